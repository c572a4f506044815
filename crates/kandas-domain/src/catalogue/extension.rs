//! Kandas status extension (SPEC 5.2; seed 004): the application only.

use crate::documents::{DocumentType as T, Requirement, Whom};

pub static APPLICATION_FORM: Requirement = Requirement {
    id: "extension.application_form",
    accepted: &[T::ApplicationForm],
    description: "application for the extension of kandas status",
    legal_basis: "Public service «Assignment/extension of kandas status»: extension to obtain \
        citizenship under the facilitated procedure",
    checks: &[],
    per: Whom::Applicant,
    reusable: false,
};
pub static KANDAS_CERTIFICATE: Requirement = Requirement {
    id: "extension.kandas_certificate",
    accepted: &[T::KandasCertificate],
    description: "the previous kandas status: satisfied from records, never asked for",
    legal_basis: "Public service «Assignment/extension of kandas status»: documents obtainable \
        from information systems are not requested",
    checks: &[],
    per: Whom::Applicant,
    reusable: false,
};
pub static ALL: [&Requirement; 2] = [&APPLICATION_FORM, &KANDAS_CERTIFICATE];

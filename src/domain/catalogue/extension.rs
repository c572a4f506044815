//! Kandas status extension (SPEC 5.2; seed 004): the application only.

use crate::domain::documents::{DocumentType as T, Requirement, Whom};

pub static APPLICATION_FORM: Requirement = Requirement {
    id: "extension.application_form",
    accepted: &[T::ApplicationForm],
    description: "application for the extension of kandas status",
    legal_basis: "SPEC 5.2; seed 004",
    checks: &[],
    per: Whom::Applicant,
    reusable: false,
};
pub static KANDAS_CERTIFICATE: Requirement = Requirement {
    id: "extension.kandas_certificate",
    accepted: &[T::KandasCertificate],
    description: "the previous kandas status: satisfied from records, never asked for",
    legal_basis: "SPEC 5.2 and SPEC 5 \"never ask for what the state already holds\"; \
                  seed 004",
    checks: &[],
    per: Whom::Applicant,
    reusable: false,
};
pub static ALL: [&Requirement; 2] = [&APPLICATION_FORM, &KANDAS_CERTIFICATE];

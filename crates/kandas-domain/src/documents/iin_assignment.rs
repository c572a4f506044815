//! Requirements of IIN assignment (SPEC §5.1; seeds 000 and 003).

use super::*;
use crate::role::Role;

pub const IDENTITY_DOCUMENT: Requirement = Requirement {
    id: "iin.identity_document",
    accepted: &[
        DocumentType::IdentityDocument,
        DocumentType::StatelessPersonDocument,
    ],
    description: "identity document of the non-resident, foreigner or stateless person, valid on the submission date",
    legal_basis: "IIN assignment: identity document of the non-resident, foreigner or \
        stateless person (no legal act cited)",
    checks: &[Check::HasNumber, Check::ValidOnSubmission],
    per: Whom::Applicant,
    // The IIN checklist is evaluated on the documents presented now (seeds 000, 003); it
    // is the first step and is kept as it was.
    reusable: false,
};

pub const TRANSLATION: Requirement = Requirement {
    id: "iin.identity_document_translation",
    accepted: &[
        DocumentType::IdentityDocument,
        DocumentType::StatelessPersonDocument,
    ],
    description: "notarized translation of the identity document into Kazakh or Russian",
    legal_basis: "IIN assignment: notarized translation; Kazakh or Russian suffices by \
        decision of the service operator (no legal act cited)",
    checks: &[Check::StateLanguageOrNotarizedTranslation],
    per: Whom::Applicant,
    reusable: false,
};

pub const POWER_OF_ATTORNEY: Requirement = Requirement {
    id: "iin.power_of_attorney",
    accepted: &[DocumentType::PowerOfAttorney],
    description: "notarized power of attorney of the representative",
    // Seed 003, the page that lists the IIN channels and their documents.
    legal_basis: "IIN assignment: notarized power of attorney for a representative (AIFC \
        Expat Centre, «Obtaining Individual Identification Number»)",
    checks: &[Check::Notarized],
    per: Whom::Applicant,
    reusable: false,
};

/// The applicant's consent to an intermediary filing for them. Seed 003 asks for it when
/// the AIFC Expat Centre files; **Decision:** every intermediary files under such an
/// agreement, so every intermediary presents it, and no other channel is asked for it.
/// It is the intermediary's own form, signed by the applicant: no translation is asked;
/// one past its stated expiry no longer consents. Made for one application, never reused.
pub const CONSENT_FORM: Requirement = Requirement {
    id: "iin.consent_form",
    accepted: &[DocumentType::ApplicantConsentForm],
    description: "the applicant's signed consent form to the intermediary filing on their behalf",
    legal_basis: "IIN assignment: consent form, applicable only if the submission goes \
        through the AIFC Expat Centre (AIFC Expat Centre, «Obtaining Individual \
        Identification Number»); asked of every intermediary by decision of the service \
        operator",
    checks: &[Check::ValidOnSubmission],
    per: Whom::Applicant,
    reusable: false,
};

/// What the requirements are for this applicant, filed by an organisation of the role
/// `filed_by`. `identity_language` is the language of the identity document presented,
/// when known: a document already in Kazakh or Russian needs no translation.
pub fn applied(
    by_representative: bool,
    filed_by: Role,
    identity_language: Option<&str>,
) -> Vec<Applied> {
    let mut applied = vec![Applied {
        requirement: &IDENTITY_DOCUMENT,
        holder: None,
        applicability: Applicability::Required,
    }];
    let translation = match identity_language {
        Some(lang) if is_state_language(lang) => Applicability::Waived {
            exemption: format!("the identity document is in a state language ({lang})"),
            legal_basis: "IIN assignment: only a foreign-language document needs a notarized \
                           translation (no legal act cited)"
                .into(),
        },
        _ => Applicability::Required,
    };
    applied.push(Applied {
        requirement: &TRANSLATION,
        holder: None,
        applicability: translation,
    });
    if by_representative {
        applied.push(Applied {
            requirement: &POWER_OF_ATTORNEY,
            holder: None,
            applicability: Applicability::Required,
        });
    }
    if filed_by == Role::Intermediary {
        applied.push(Applied {
            requirement: &CONSENT_FORM,
            holder: None,
            applicability: Applicability::Required,
        });
    }
    applied
}

/// The checklist for an IIN application filed by `filed_by` with the documents presented.
pub fn checklist(
    by_representative: bool,
    filed_by: Role,
    documents: &[Document],
    submission_date: NaiveDate,
) -> Vec<ChecklistItem> {
    let identity_language = documents
        .iter()
        .find(|d| d.holder.is_none() && IDENTITY_DOCUMENT.accepted.contains(&d.kind))
        .map(|d| d.language.as_str());
    evaluate(
        &applied(by_representative, filed_by, identity_language),
        documents,
        submission_date,
    )
}

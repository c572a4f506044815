//! Which variant of a procedure the prerequisites are checked for, as asked or as derived from
//! the records.

use crate::details::{CitizenshipCategory, Details, PermitCategory};
use crate::procedure::Procedure;
use crate::records::{PersonRecords, RegistrationKind};

/// Which variant of a procedure is being checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrerequisiteQuery {
    pub procedure: Procedure,
    pub permit_category: Option<PermitCategory>,
    pub citizenship_category: Option<CitizenshipCategory>,
    pub registration_kind: Option<RegistrationKind>,
    pub card_renewal: bool,
}

impl PrerequisiteQuery {
    /// A query for `procedure` with no variant chosen (see [`check`] for how the missing
    /// variant fields are derived).
    pub fn bare(procedure: Procedure) -> PrerequisiteQuery {
        PrerequisiteQuery {
            procedure,
            permit_category: None,
            citizenship_category: None,
            registration_kind: None,
            card_renewal: false,
        }
    }

    /// From a submission's details: exactly the variant the applicant asked for.
    pub fn from_details(details: &Details) -> PrerequisiteQuery {
        let mut query = PrerequisiteQuery::bare(details.procedure());
        match details {
            Details::PermanentResidencePermit { category, .. } => {
                query.permit_category = Some(*category)
            }
            Details::ResidencePermitCard { renewal } => query.card_renewal = *renewal,
            Details::ResidenceRegistration { kind, .. } => query.registration_kind = Some(*kind),
            Details::SimplifiedCitizenship { category, .. } => {
                query.citizenship_category = Some(*category)
            }
            Details::IinAssignment { .. }
            | Details::KandasStatusAssignment { .. }
            | Details::KandasStatusExtension
            | Details::StatelessPersonCertificate { .. }
            | Details::RegionalQuotaInclusion { .. } => {}
        }
        query
    }

    /// For `CheckPrerequisites`, where only the procedure is given: the variant is derived from
    /// the records, and only the field that belongs to the procedure is set (the others stay
    /// `None`/`false`, as [`PrerequisiteQuery::from_details`] leaves them).
    ///
    /// Decision (the choice of variant):
    /// - permanent residence permit: the kandas category when the person holds or held a kandas
    ///   status or is registered as an ethnic Kazakh, otherwise "other foreigner";
    /// - simplified citizenship: category (a) on the same condition; otherwise (b), the only
    ///   category open to someone who is neither kandas nor an ethnic Kazakh ((c) is for ethnic
    ///   Kazakh students, who are caught by the first condition);
    /// - residence registration: permanent (the kind with prerequisites of its own);
    /// - residence permit card: a renewal when a card is on record.
    pub fn for_procedure(procedure: Procedure, records: &PersonRecords) -> PrerequisiteQuery {
        let mut query = PrerequisiteQuery::bare(procedure);
        let kandas = is_kandas_or_ethnic_kazakh(records);
        match procedure {
            Procedure::PermanentResidencePermit => {
                query.permit_category = Some(if kandas {
                    PermitCategory::KandasAndFamily
                } else {
                    PermitCategory::OtherForeigner
                })
            }
            Procedure::SimplifiedCitizenship => {
                query.citizenship_category = Some(if kandas {
                    CitizenshipCategory::Kandas
                } else {
                    CitizenshipCategory::RepressionVictimDescendant
                })
            }
            Procedure::ResidenceRegistration => {
                query.registration_kind = Some(RegistrationKind::Permanent)
            }
            Procedure::ResidencePermitCard => query.card_renewal = !records.cards.is_empty(),
            Procedure::IinAssignment
            | Procedure::KandasStatusAssignment
            | Procedure::KandasStatusExtension
            | Procedure::StatelessPersonCertificate
            | Procedure::RegionalQuotaInclusion => {}
        }
        query
    }
}

fn is_kandas_or_ethnic_kazakh(records: &PersonRecords) -> bool {
    records.ethnic_kazakh || !records.kandas_statuses.is_empty()
}

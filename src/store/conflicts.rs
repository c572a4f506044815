//! The schema's constraints that a caller's request can run into, by name: the one place where
//! a database refusal becomes the rule it stands for.

/// A rule the database enforced when two requests raced, or when one repeated a fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// `persons_iin_unique`: the IIN belongs to a person already registered.
    IinTaken,
    /// `person_documents_held_once`: another person holds this identity document.
    DocumentHeld,
    /// `appeals_once_per_refusal`: this refusal was appealed already.
    AppealFiled,
    /// `applications_one_open_per_procedure`: the applicant already waits for a decision.
    ApplicationAlreadyOpen,
    /// `permits_one_per_person`: a permanent residence permit is granted once.
    PermitAlreadyGranted,
    /// `payments_one_rent_per_month`: one rent payment per month.
    RentMonthPaid,
    /// `entitlement_lines_*`: a payment above what the commission granted.
    AboveEntitlement,
    /// `organisations_already_registered`: the organisation id is taken.
    OrganisationAlreadyRegistered,
    /// `applicant_signature_used_once`: these signed bytes confirmed an act already.
    SignatureAlreadyUsed,
}

impl Conflict {
    /// The conflict a database error stands for, if it is one of ours.
    pub fn of(error: &sqlx::Error) -> Option<Self> {
        let sqlx::Error::Database(db) = error else {
            return None;
        };
        match db.constraint()? {
            "persons_iin_unique" => Some(Self::IinTaken),
            "person_documents_held_once" => Some(Self::DocumentHeld),
            "appeals_once_per_refusal" => Some(Self::AppealFiled),
            "applications_one_open_per_procedure" => Some(Self::ApplicationAlreadyOpen),
            "permits_one_per_person" => Some(Self::PermitAlreadyGranted),
            "payments_one_rent_per_month" => Some(Self::RentMonthPaid),
            "organisations_already_registered" => Some(Self::OrganisationAlreadyRegistered),
            "applicant_signature_used_once" => Some(Self::SignatureAlreadyUsed),
            name if name.starts_with("entitlement_lines") => Some(Self::AboveEntitlement),
            _ => None,
        }
    }
}

//! Prerequisites of the procedures (SPEC §5, especially 5.3–5.6): the facts on record that must
//! hold before an application is accepted.
//!
//! One function, [`check`], serves both `PrerequisiteService.CheckPrerequisites` (which shows the
//! whole picture: every check, satisfied or not) and `SubmitApplication` (which refuses on
//! [`unmet`] blocking checks), so the two always agree. The set of checks listed depends only on
//! the [`PrerequisiteQuery`] (after its missing variant fields are derived from the records),
//! never on whether they pass, and comes in a stable order: identity first, then the
//! procedure's own checks, then `NO_OPEN_APPLICATION`, then the non-blocking
//! `REGISTRATION_LAPSE`.
//!
//! Decision: records dated after the as-of date (a permit granted, a citizenship acquired, an
//! offence or refusal) are ignored, so a check as of an earlier date sees what existed then.
//! Open applications carry no date and always count.

mod card;
mod citizenship;
mod code;
mod identity;
mod kandas_status;
mod offences_and_refusals;
mod open_application;
mod passport;
mod permit;
mod query;
mod registration;

pub use card::CARD_RENEWAL_DAYS;
pub use code::PrerequisiteCode;
pub use passport::{PASSPORT_MIN_DAYS, passport_on_record, passport_presented};
pub use query::PrerequisiteQuery;
pub use registration::{REGISTRATION_GRACE_DAYS, register_again_by};

use super::details::{CitizenshipCategory, PermitCategory};
use super::procedure::Procedure;
use super::records::{
    Evidence, KandasStatusRecord, PermitRecord, PersonRecords, RegistrationKind, RegistrationRecord,
};
use chrono::NaiveDate;
use kandas_status::{
    BASIS_KANDAS_CITIZENSHIP, BASIS_KANDAS_EXTENSION, BASIS_KANDAS_PERMIT, BASIS_KANDAS_QUOTA,
};
use permit::{BASIS_PERMIT_CARD, BASIS_PERMIT_REGISTRATION};
use registration::{BASIS_REGISTRATION_CITIZENSHIP, BASIS_REGISTRATION_QUOTA};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prerequisite {
    /// Stable code; clients see its UPPER_SNAKE_CASE string, e.g. `IIN_ASSIGNED`,
    /// `PASSPORT_VALID_180_DAYS`.
    pub code: PrerequisiteCode,
    /// In words, with the relevant dates.
    pub description: String,
    pub satisfied: bool,
    /// The record that proves it or that breaks it: `applications/{id}`, `offences/{id}`, the
    /// passport's evidence, or `persons/{id}`.
    pub evidence: Option<Evidence>,
    /// The act the rule rests on, in words, as the sources name it (or that it is the
    /// operator's decision, or that no act is cited); never an internal reference.
    pub legal_basis: &'static str,
    /// When unmet only because it is too early: the first date it is met (a new permit
    /// application after a refusal or an offence; a card renewal).
    pub earliest_date: Option<NaiveDate>,
    /// Whether an unmet check blocks submission. The 10-day registration lapse is shown, not
    /// blocking (registering is how it is cured).
    pub blocking: bool,
}

impl Prerequisite {
    /// Unmet and blocking: a submission is refused on it.
    pub fn blocks(&self) -> bool {
        self.blocking && !self.satisfied
    }
}

/// Unmet blocking prerequisites only (what submission refuses on).
pub fn unmet(checks: &[Prerequisite]) -> impl Iterator<Item = &Prerequisite> {
    checks.iter().filter(|c| c.blocks())
}

// The codes callers outside the domain name directly.
pub const PASSPORT_VALID_180_DAYS: PrerequisiteCode = PrerequisiteCode::PassportValid180Days;
pub const PASSPORT_VALID: PrerequisiteCode = PrerequisiteCode::PassportValid;

/// The check for `query` on `as_of` (the submission date), every one listed whether satisfied
/// or not. `passport` is the identity document to judge by: the one presented now, else
/// [`passport_on_record`].
///
/// Variant fields left `None` in `query` are derived from the records as
/// [`PrerequisiteQuery::for_procedure`] does.
pub fn check(
    query: &PrerequisiteQuery,
    records: &PersonRecords,
    passport: Option<(NaiveDate, Evidence)>,
    as_of: NaiveDate,
) -> Vec<Prerequisite> {
    let derived = PrerequisiteQuery::for_procedure(query.procedure, records);
    let ctx = Ctx {
        records,
        as_of,
        passport,
    };
    let mut out = Vec::new();

    // Identity.
    match query.procedure {
        Procedure::IinAssignment => out.push(ctx.iin_not_yet_assigned()),
        // Decision: kandas status assignment does not require an IIN (applicants abroad apply
        // through foreign institutions before they have one).
        Procedure::KandasStatusAssignment => {}
        _ => out.push(ctx.iin_assigned()),
    }

    // The procedure's own checks.
    match query.procedure {
        Procedure::IinAssignment => {}
        Procedure::KandasStatusAssignment => out.push(ctx.no_valid_kandas_status()),
        Procedure::KandasStatusExtension => {
            out.push(ctx.kandas_status_valid(BASIS_KANDAS_EXTENSION))
        }
        Procedure::PermanentResidencePermit => {
            let category = query
                .permit_category
                .or(derived.permit_category)
                .unwrap_or(PermitCategory::OtherForeigner);
            if category == PermitCategory::KandasAndFamily {
                out.push(ctx.kandas_status_valid(BASIS_KANDAS_PERMIT));
            }
            out.push(ctx.passport_valid_180_days());
            out.push(ctx.no_offence_12_months());
            out.push(ctx.no_refusal_12_months());
            out.push(ctx.no_permit_yet());
        }
        Procedure::ResidencePermitCard => {
            out.push(ctx.permit_granted(BASIS_PERMIT_CARD));
            // Decision: the renewal window is listed for every card application; a first card
            // (no renewal asked, no card on record) meets it trivially. A renewal is judged
            // when asked for or when a card is on record.
            out.push(ctx.card_renewal_window(query.card_renewal));
            out.push(ctx.passport_valid());
        }
        Procedure::StatelessPersonCertificate => out.push(ctx.stateless()),
        Procedure::ResidenceRegistration => {
            // Decision: a registration of unstated kind is judged as permanent (the kind with
            // prerequisites of its own).
            let kind = query
                .registration_kind
                .or(derived.registration_kind)
                .unwrap_or(RegistrationKind::Permanent);
            if kind == RegistrationKind::Permanent {
                out.push(ctx.permit_granted(BASIS_PERMIT_REGISTRATION));
            }
            // Temporary and refugee registrations need only the IIN.
        }
        Procedure::RegionalQuotaInclusion => {
            // Decision: the eligibility of SPEC 6 that the records can tell (a valid kandas
            // status and an active permanent registration) is checked here; whether the
            // registration's region is among the year's quota regions, and that nobody is
            // included twice, is for the quota rules, which hold the year's quotas.
            out.push(ctx.kandas_status_valid(BASIS_KANDAS_QUOTA));
            out.push(ctx.permanent_registration_active(BASIS_REGISTRATION_QUOTA));
        }
        Procedure::SimplifiedCitizenship => {
            out.push(ctx.not_a_citizen());
            let category = query
                .citizenship_category
                .or(derived.citizenship_category)
                .unwrap_or(CitizenshipCategory::Kandas);
            match category {
                CitizenshipCategory::Kandas => {
                    // An extended status counts: the latest record valid on the date.
                    out.push(ctx.kandas_status_valid(BASIS_KANDAS_CITIZENSHIP));
                    out.push(ctx.permanent_registration_active(BASIS_REGISTRATION_CITIZENSHIP));
                    out.push(ctx.card_held());
                }
                CitizenshipCategory::RepressionVictimDescendant => {
                    // "Permanently residing legally": an active permanent registration.
                    out.push(ctx.permanent_registration_active(BASIS_REGISTRATION_CITIZENSHIP));
                }
                // Nothing beyond the IIN and not being a citizen.
                CitizenshipCategory::EthnicKazakhStudent => {}
            }
        }
    }

    // Decision: one undecided application per procedure at a time, except residence
    // registration (a person may hold several registrations).
    if query.procedure != Procedure::ResidenceRegistration {
        out.push(ctx.no_open_application(query.procedure));
    }

    // Decision: the 10-day registration violation of SPEC 5.5 is shown with the procedures of a
    // permit holder (registration, card, citizenship); it never blocks, registering cures it.
    if matches!(
        query.procedure,
        Procedure::ResidenceRegistration
            | Procedure::ResidencePermitCard
            | Procedure::SimplifiedCitizenship
    ) {
        out.push(ctx.registration_lapse());
    }

    out
}

fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    to.signed_duration_since(from).num_days()
}

struct Ctx<'a> {
    records: &'a PersonRecords,
    as_of: NaiveDate,
    passport: Option<(NaiveDate, Evidence)>,
}

fn prerequisite(
    code: PrerequisiteCode,
    satisfied: bool,
    description: String,
    evidence: Option<Evidence>,
    legal_basis: &'static str,
) -> Prerequisite {
    Prerequisite {
        code,
        description,
        satisfied,
        evidence,
        legal_basis,
        earliest_date: None,
        blocking: true,
    }
}

impl Ctx<'_> {
    fn person(&self) -> Option<Evidence> {
        Some(self.records.person.clone())
    }

    /// The permit held on the date: the latest granted on or before it and not annulled by
    /// then.
    fn permit(&self) -> Option<&PermitRecord> {
        self.records.permit_on(self.as_of)
    }

    /// The latest permit granted by the date but annulled by then: what breaks a check that
    /// needs a permit.
    fn annulled_permit(&self) -> Option<&PermitRecord> {
        self.records
            .permits
            .iter()
            .filter(|p| p.granted_on <= self.as_of && !p.held_on(self.as_of))
            .max_by_key(|p| p.granted_on)
    }

    fn kandas_status(&self) -> Option<&KandasStatusRecord> {
        self.records.kandas_status_on(self.as_of)
    }

    fn registration(&self) -> Option<&RegistrationRecord> {
        self.records.permanent_registration_on(self.as_of)
    }
}

#[cfg(test)]
mod tests;

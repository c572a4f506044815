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

use super::details::{CitizenshipCategory, Details, PermitCategory};
use super::documents::{Document, DocumentType};
use super::procedure::Procedure;
use super::records::{
    CardRecord, Evidence, KandasStatusRecord, OffenceField, PermitRecord, PersonRecords,
    RegistrationKind, RegistrationRecord,
};
use chrono::{Days, Months, NaiveDate};

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prerequisite {
    /// Stable UPPER_SNAKE_CASE code, e.g. `IIN_ASSIGNED`, `PASSPORT_VALID_180_DAYS`.
    pub code: &'static str,
    /// In words, with the relevant dates.
    pub description: String,
    pub satisfied: bool,
    /// The record that proves it or that breaks it: `applications/{id}`, `offences/{id}`, the
    /// passport's evidence, or `persons/{id}`.
    pub evidence: Option<Evidence>,
    /// SPEC section and seed (and the law where SPEC names it).
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

// Codes, stable: callers and tests match on them.
pub const IIN_ASSIGNED: &str = "IIN_ASSIGNED";
pub const IIN_NOT_YET_ASSIGNED: &str = "IIN_NOT_YET_ASSIGNED";
pub const NOT_A_CITIZEN: &str = "NOT_A_CITIZEN";
pub const NO_VALID_KANDAS_STATUS: &str = "NO_VALID_KANDAS_STATUS";
pub const KANDAS_STATUS_VALID: &str = "KANDAS_STATUS_VALID";
pub const PASSPORT_VALID_180_DAYS: &str = "PASSPORT_VALID_180_DAYS";
pub const PASSPORT_VALID: &str = "PASSPORT_VALID";
pub const NO_OFFENCE_12_MONTHS: &str = "NO_OFFENCE_12_MONTHS";
pub const NO_REFUSAL_12_MONTHS: &str = "NO_REFUSAL_12_MONTHS";
pub const NO_PERMIT_YET: &str = "NO_PERMIT_YET";
pub const PERMIT_GRANTED: &str = "PERMIT_GRANTED";
pub const CARD_RENEWAL_WINDOW: &str = "CARD_RENEWAL_WINDOW";
pub const STATELESS: &str = "STATELESS";
pub const PERMANENT_REGISTRATION_ACTIVE: &str = "PERMANENT_REGISTRATION_ACTIVE";
pub const CARD_HELD: &str = "CARD_HELD";
pub const NO_OPEN_APPLICATION: &str = "NO_OPEN_APPLICATION";
pub const REGISTRATION_LAPSE: &str = "REGISTRATION_LAPSE";

/// Passport validity required for the permanent residence permit: more than this many
/// calendar days on the submission date (SPEC 5.3).
pub const PASSPORT_MIN_DAYS: i64 = 180;
/// Renewal of a residence permit card is accepted from this many days before it expires
/// (SPEC 5.4).
pub const CARD_RENEWAL_DAYS: u64 = 45;
/// A permit holder without an active permanent registration for more than this many calendar
/// days is in violation (SPEC 5.5).
pub const REGISTRATION_GRACE_DAYS: i64 = 10;
/// The look-back window for offences and refusals, in months (SPEC 5.3).
pub const LOOK_BACK_MONTHS: u32 = 12;

const BASIS_IIN: &str = "SPEC 5.3, 5.4, 5.5, 5.6 (IIN assigned); seeds 000, 001, 002, 003";
const BASIS_IIN_NEW: &str = "SPEC 2.1 (an IIN is unique and never reissued), 5.1; seeds 000, 003";
const BASIS_NOT_A_CITIZEN: &str = "SPEC 5.6; seed 000 (Law on Citizenship of the Republic of Kazakhstan: admission applies to non-citizens)";
const BASIS_KANDAS_NEW: &str =
    "SPEC 5.2; seeds 000, 004 (a valid status is extended, not assigned again)";
const BASIS_KANDAS_EXTENSION: &str = "SPEC 5.2; seeds 000, 004";
const BASIS_KANDAS_PERMIT: &str = "SPEC 5.3; seeds 000, 001";
const BASIS_KANDAS_CITIZENSHIP: &str = "SPEC 5.6 (a); seed 000";
const BASIS_KANDAS_QUOTA: &str = "SPEC 6 (eligibility); seed 000";
const BASIS_PASSPORT_180: &str = "SPEC 5.3; seeds 000, 001";
const BASIS_PASSPORT_CARD: &str = "SPEC 5.4; seeds 000, 001 (valid national passport)";
const BASIS_OFFENCE: &str =
    "SPEC 5.3; seeds 000, 001 (administrative offences in migration, tax or labour law)";
const BASIS_REFUSAL: &str = "SPEC 5.3; seeds 000, 001";
const BASIS_NO_PERMIT_YET: &str =
    "SPEC 5.3; seeds 000, 001 (one permanent residence permit per person)";
const BASIS_PERMIT_CARD: &str = "SPEC 5.4; seeds 000, 001";
const BASIS_PERMIT_REGISTRATION: &str = "SPEC 5.5; seeds 002, 001, 003";
const BASIS_CARD_RENEWAL: &str = "SPEC 5.4; seeds 000, 001";
const BASIS_STATELESS: &str = "SPEC 5.4; seed 000";
const BASIS_REGISTRATION_CITIZENSHIP: &str =
    "SPEC 5.6 (a), (b): permanently residing legally; seed 000";
const BASIS_REGISTRATION_QUOTA: &str = "SPEC 6 (eligibility); seed 000";
const BASIS_CARD_HELD: &str = "SPEC 5.6 (a); seed 000";
const BASIS_OPEN: &str = "SPEC 5 (one decision per application)";
const BASIS_LAPSE: &str = "SPEC 5.5; seeds 002, 001, 003";

/// The identity documents of the applicant among `documents` (holder `None`) with an expiry
/// date: a national passport or a stateless person's document.
fn identity_expiries(documents: &[Document]) -> impl Iterator<Item = NaiveDate> + '_ {
    documents
        .iter()
        .filter(|d| {
            d.holder.is_none()
                && matches!(
                    d.kind,
                    DocumentType::IdentityDocument | DocumentType::StatelessPersonDocument
                )
        })
        .filter_map(|d| d.expiry_date)
}

/// The passport to judge by among the documents presented now with an application: the
/// applicant's latest-expiring identity document, with `evidence` (given by the caller, e.g.
/// the application being submitted).
pub fn passport_presented(
    documents: &[Document],
    evidence: Evidence,
) -> Option<(NaiveDate, Evidence)> {
    identity_expiries(documents).max().map(|e| (e, evidence))
}

/// The passport to judge "valid more than 180 days" when none is presented now: the
/// latest-expiring identity document on record, with the application it came with. The caller
/// prefers the identity document presented now, if any ([`passport_presented`]).
pub fn passport_on_record(records: &PersonRecords) -> Option<(NaiveDate, Evidence)> {
    records
        .presented
        .iter()
        .filter_map(|p| {
            identity_expiries(std::slice::from_ref(&p.document))
                .next()
                .map(|e| (e, p))
        })
        // Latest expiry; among equal expiries the latest presented (then the last listed).
        .max_by_key(|(e, p)| (*e, p.presented_on))
        .map(|(e, p)| (e, p.evidence.clone()))
}

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

/// Whether `event` lies within the 12 months before `as_of`: after the same day number 12
/// months earlier (the last day of the month where it does not exist) and not after `as_of`.
/// An event exactly 12 months before does not count.
fn within_look_back(event: NaiveDate, as_of: NaiveDate) -> bool {
    if event > as_of {
        return false;
    }
    match as_of.checked_sub_months(Months::new(LOOK_BACK_MONTHS)) {
        Some(start) => event > start,
        None => true,
    }
}

/// The first day on which `event` no longer lies within the look-back window: `event` + 12
/// months.
/// Decision: for an event on 29 February, `event` + 12 months is 28 February, which is still
/// inside the window (28 February − 12 months = 28 February < 29 February), so the first day
/// is 1 March; the earliest date given always passes the check.
fn first_day_outside_look_back(event: NaiveDate) -> Option<NaiveDate> {
    let candidate = event.checked_add_months(Months::new(LOOK_BACK_MONTHS))?;
    if within_look_back(event, candidate) {
        candidate.succ_opt()
    } else {
        Some(candidate)
    }
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
    code: &'static str,
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

    /// The permit held on the date: the latest granted on or before it.
    fn permit(&self) -> Option<&PermitRecord> {
        self.records
            .permits
            .iter()
            .filter(|p| p.granted_on <= self.as_of)
            .max_by_key(|p| p.granted_on)
    }

    fn kandas_status(&self) -> Option<&KandasStatusRecord> {
        self.records.kandas_status_on(self.as_of)
    }

    fn registration(&self) -> Option<&RegistrationRecord> {
        self.records.permanent_registration_on(self.as_of)
    }

    // Privacy (SPEC 7): descriptions may reach logs, so they never carry the IIN itself.
    fn iin_assigned(&self) -> Prerequisite {
        let satisfied = self.records.iin.is_some();
        let description = if satisfied {
            "an IIN is assigned to the person".to_string()
        } else {
            "no IIN is assigned to the person; apply for IIN assignment first".to_string()
        };
        prerequisite(
            IIN_ASSIGNED,
            satisfied,
            description,
            self.person(),
            BASIS_IIN,
        )
    }

    fn iin_not_yet_assigned(&self) -> Prerequisite {
        let satisfied = self.records.iin.is_none();
        let description = if satisfied {
            "the person holds no IIN yet".to_string()
        } else {
            "the person already holds an IIN; it is never reissued".to_string()
        };
        prerequisite(
            IIN_NOT_YET_ASSIGNED,
            satisfied,
            description,
            self.person(),
            BASIS_IIN_NEW,
        )
    }

    fn not_a_citizen(&self) -> Prerequisite {
        let citizenship = self
            .records
            .kazakh_citizenship
            .as_ref()
            .filter(|c| c.granted_on <= self.as_of);
        match citizenship {
            None => prerequisite(
                NOT_A_CITIZEN,
                true,
                format!(
                    "the person is not a citizen of Kazakhstan on {}",
                    self.as_of
                ),
                self.person(),
                BASIS_NOT_A_CITIZEN,
            ),
            Some(c) => prerequisite(
                NOT_A_CITIZEN,
                false,
                format!(
                    "the person has been a citizen of Kazakhstan since {}",
                    c.granted_on
                ),
                Some(c.evidence.clone()),
                BASIS_NOT_A_CITIZEN,
            ),
        }
    }

    fn no_valid_kandas_status(&self) -> Prerequisite {
        match self.kandas_status() {
            None => prerequisite(
                NO_VALID_KANDAS_STATUS,
                true,
                format!("no kandas status is valid on {}", self.as_of),
                self.person(),
                BASIS_KANDAS_NEW,
            ),
            Some(s) => prerequisite(
                NO_VALID_KANDAS_STATUS,
                false,
                format!(
                    "kandas certificate {} is valid until {} inclusive; apply for its extension instead",
                    s.certificate_number, s.valid_until
                ),
                Some(s.evidence.clone()),
                BASIS_KANDAS_NEW,
            ),
        }
    }

    fn kandas_status_valid(&self, legal_basis: &'static str) -> Prerequisite {
        if let Some(s) = self.kandas_status() {
            return prerequisite(
                KANDAS_STATUS_VALID,
                true,
                format!(
                    "kandas certificate {} is valid on {}, until {} inclusive",
                    s.certificate_number, self.as_of, s.valid_until
                ),
                Some(s.evidence.clone()),
                legal_basis,
            );
        }
        // The status that lapsed last, if any, is what breaks it.
        let lapsed = self
            .records
            .kandas_statuses
            .iter()
            .filter(|s| s.valid_until < self.as_of)
            .max_by_key(|s| s.valid_until);
        match lapsed {
            Some(s) => prerequisite(
                KANDAS_STATUS_VALID,
                false,
                format!(
                    "kandas certificate {} expired after {}; no kandas status is valid on {}",
                    s.certificate_number, s.valid_until, self.as_of
                ),
                Some(s.evidence.clone()),
                legal_basis,
            ),
            None => prerequisite(
                KANDAS_STATUS_VALID,
                false,
                format!("no kandas status is valid on {}", self.as_of),
                self.person(),
                legal_basis,
            ),
        }
    }

    fn passport_valid_180_days(&self) -> Prerequisite {
        let Some((expiry, evidence)) = &self.passport else {
            return prerequisite(
                PASSPORT_VALID_180_DAYS,
                false,
                "no passport or stateless person's document with an expiry date is presented or on record"
                    .to_string(),
                None,
                BASIS_PASSPORT_180,
            );
        };
        let days = days_between(self.as_of, *expiry);
        let satisfied = days > PASSPORT_MIN_DAYS;
        let description = if satisfied {
            format!(
                "passport expires {expiry}, {days} days after {}; more than {PASSPORT_MIN_DAYS} are required",
                self.as_of
            )
        } else if days < 0 {
            format!(
                "passport expired on {expiry}, before {}; more than {PASSPORT_MIN_DAYS} days of validity are required",
                self.as_of
            )
        } else {
            format!(
                "passport expires {expiry}, {days} days after {}; more than {PASSPORT_MIN_DAYS} are required",
                self.as_of
            )
        };
        prerequisite(
            PASSPORT_VALID_180_DAYS,
            satisfied,
            description,
            Some(evidence.clone()),
            BASIS_PASSPORT_180,
        )
    }

    fn passport_valid(&self) -> Prerequisite {
        let Some((expiry, evidence)) = &self.passport else {
            return prerequisite(
                PASSPORT_VALID,
                false,
                "no passport with an expiry date is presented or on record".to_string(),
                None,
                BASIS_PASSPORT_CARD,
            );
        };
        let satisfied = *expiry >= self.as_of;
        let description = if satisfied {
            format!("passport valid on {}, until {expiry} inclusive", self.as_of)
        } else {
            format!("passport expired on {expiry}, before {}", self.as_of)
        };
        prerequisite(
            PASSPORT_VALID,
            satisfied,
            description,
            Some(evidence.clone()),
            BASIS_PASSPORT_CARD,
        )
    }

    fn no_offence_12_months(&self) -> Prerequisite {
        // Offences in any other field of law never count.
        let latest = self
            .records
            .offences
            .iter()
            .filter(|o| {
                matches!(
                    o.field,
                    OffenceField::Migration | OffenceField::Tax | OffenceField::Labour
                ) && within_look_back(o.date, self.as_of)
            })
            .max_by_key(|o| o.date);
        match latest {
            None => prerequisite(
                NO_OFFENCE_12_MONTHS,
                true,
                format!(
                    "no administrative offence in migration, tax or labour law in the 12 months before {}",
                    self.as_of
                ),
                None,
                BASIS_OFFENCE,
            ),
            Some(o) => {
                let field = match o.field {
                    OffenceField::Migration => "migration",
                    OffenceField::Tax => "tax",
                    OffenceField::Labour => "labour",
                    OffenceField::Other => "other",
                };
                let earliest = first_day_outside_look_back(o.date);
                let mut p = prerequisite(
                    NO_OFFENCE_12_MONTHS,
                    false,
                    format!(
                        "administrative offence in {field} law on {}, within the 12 months before {}{}",
                        o.date,
                        self.as_of,
                        earliest
                            .map(|d| format!("; it no longer counts from {d}"))
                            .unwrap_or_default()
                    ),
                    Some(o.evidence.clone()),
                    BASIS_OFFENCE,
                );
                // Decision: like a refusal, an offence names the first day it no longer
                // counts (the latest offence in the window decides).
                p.earliest_date = earliest;
                p
            }
        }
    }

    fn no_refusal_12_months(&self) -> Prerequisite {
        let latest = self
            .records
            .refusals
            .iter()
            .filter(|r| {
                r.procedure == Procedure::PermanentResidencePermit
                    && within_look_back(r.decision_date, self.as_of)
            })
            .max_by_key(|r| r.decision_date);
        match latest {
            None => prerequisite(
                NO_REFUSAL_12_MONTHS,
                true,
                format!(
                    "no permanent residence permit refused in the 12 months before {}",
                    self.as_of
                ),
                None,
                BASIS_REFUSAL,
            ),
            Some(r) => {
                let earliest = first_day_outside_look_back(r.decision_date);
                let mut p = prerequisite(
                    NO_REFUSAL_12_MONTHS,
                    false,
                    format!(
                        "a permanent residence permit was refused on {}, within the 12 months before {}{}",
                        r.decision_date,
                        self.as_of,
                        earliest
                            .map(|d| format!("; a new application is accepted from {d}"))
                            .unwrap_or_default()
                    ),
                    Some(r.evidence.clone()),
                    BASIS_REFUSAL,
                );
                p.earliest_date = earliest;
                p
            }
        }
    }

    fn no_permit_yet(&self) -> Prerequisite {
        match self.permit() {
            None => prerequisite(
                NO_PERMIT_YET,
                true,
                format!("no permanent residence permit is held on {}", self.as_of),
                None,
                BASIS_NO_PERMIT_YET,
            ),
            Some(p) => prerequisite(
                NO_PERMIT_YET,
                false,
                format!(
                    "permanent residence permit {} was already granted on {}",
                    p.number, p.granted_on
                ),
                Some(p.evidence.clone()),
                BASIS_NO_PERMIT_YET,
            ),
        }
    }

    fn permit_granted(&self, legal_basis: &'static str) -> Prerequisite {
        match self.permit() {
            Some(p) => prerequisite(
                PERMIT_GRANTED,
                true,
                format!(
                    "permanent residence permit {} granted on {}",
                    p.number, p.granted_on
                ),
                Some(p.evidence.clone()),
                legal_basis,
            ),
            None => prerequisite(
                PERMIT_GRANTED,
                false,
                format!("no permanent residence permit is granted on {}", self.as_of),
                self.person(),
                legal_basis,
            ),
        }
    }

    /// The card a renewal is judged by: the latest-expiring card issued on or before the date.
    fn card_to_renew(&self) -> Option<&CardRecord> {
        self.records
            .cards
            .iter()
            .filter(|c| c.issued_on <= self.as_of)
            .max_by_key(|c| c.valid_until)
    }

    fn card_renewal_window(&self, renewal_asked: bool) -> Prerequisite {
        let Some(card) = self.card_to_renew() else {
            return if renewal_asked {
                prerequisite(
                    CARD_RENEWAL_WINDOW,
                    false,
                    "a renewal is asked for but no residence permit card is on record".to_string(),
                    self.person(),
                    BASIS_CARD_RENEWAL,
                )
            } else {
                prerequisite(
                    CARD_RENEWAL_WINDOW,
                    true,
                    "first residence permit card: no renewal window applies".to_string(),
                    None,
                    BASIS_CARD_RENEWAL,
                )
            };
        };
        let opens = card
            .valid_until
            .checked_sub_days(Days::new(CARD_RENEWAL_DAYS))
            .unwrap_or(NaiveDate::MIN);
        let satisfied = self.as_of >= opens;
        let description = format!(
            "residence permit card {} is valid until {}; renewal is accepted from {opens}, {CARD_RENEWAL_DAYS} days before",
            card.number, card.valid_until
        );
        let mut p = prerequisite(
            CARD_RENEWAL_WINDOW,
            satisfied,
            description,
            Some(card.evidence.clone()),
            BASIS_CARD_RENEWAL,
        );
        if !satisfied {
            p.earliest_date = Some(opens);
        }
        p
    }

    fn stateless(&self) -> Prerequisite {
        // Decision: stateless means no foreign citizenship on record (`citizenship` empty) and
        // not a citizen of Kazakhstan either.
        if let Some(c) = self
            .records
            .kazakh_citizenship
            .as_ref()
            .filter(|c| c.granted_on <= self.as_of)
        {
            return prerequisite(
                STATELESS,
                false,
                format!(
                    "the person has been a citizen of Kazakhstan since {}",
                    c.granted_on
                ),
                Some(c.evidence.clone()),
                BASIS_STATELESS,
            );
        }
        let citizenship = self.records.citizenship.trim();
        let (satisfied, description) = if citizenship.is_empty() {
            (true, "the person holds no citizenship".to_string())
        } else {
            (
                false,
                format!("the person is recorded as a citizen of {citizenship}"),
            )
        };
        prerequisite(
            STATELESS,
            satisfied,
            description,
            self.person(),
            BASIS_STATELESS,
        )
    }

    fn permanent_registration_active(&self, legal_basis: &'static str) -> Prerequisite {
        match self.registration() {
            Some(r) => prerequisite(
                PERMANENT_REGISTRATION_ACTIVE,
                true,
                format!(
                    "permanently registered in {} since {}",
                    r.region, r.registered_on
                ),
                Some(r.evidence.clone()),
                legal_basis,
            ),
            None => prerequisite(
                PERMANENT_REGISTRATION_ACTIVE,
                false,
                format!("no active permanent registration on {}", self.as_of),
                self.person(),
                legal_basis,
            ),
        }
    }

    fn card_held(&self) -> Prerequisite {
        match self.records.card_on(self.as_of) {
            Some(c) => prerequisite(
                CARD_HELD,
                true,
                format!(
                    "residence permit card {} is valid on {}, until {} inclusive",
                    c.number, self.as_of, c.valid_until
                ),
                Some(c.evidence.clone()),
                BASIS_CARD_HELD,
            ),
            None => prerequisite(
                CARD_HELD,
                false,
                format!("no residence permit card is valid on {}", self.as_of),
                self.person(),
                BASIS_CARD_HELD,
            ),
        }
    }

    fn no_open_application(&self, procedure: Procedure) -> Prerequisite {
        let open = self
            .records
            .open_applications
            .iter()
            .find(|(p, _)| *p == procedure);
        match open {
            None => prerequisite(
                NO_OPEN_APPLICATION,
                true,
                format!("no undecided {} application", procedure.as_str()),
                None,
                BASIS_OPEN,
            ),
            Some((_, evidence)) => prerequisite(
                NO_OPEN_APPLICATION,
                false,
                format!(
                    "an undecided {} application is already open: {evidence}",
                    procedure.as_str()
                ),
                Some(evidence.clone()),
                BASIS_OPEN,
            ),
        }
    }

    fn registration_lapse(&self) -> Prerequisite {
        let mut p = self.registration_lapse_inner();
        p.blocking = false;
        p
    }

    fn registration_lapse_inner(&self) -> Prerequisite {
        let Some(permit) = self.permit() else {
            return prerequisite(
                REGISTRATION_LAPSE,
                true,
                format!(
                    "no permanent residence permit on {}, so no permanent registration is due",
                    self.as_of
                ),
                None,
                BASIS_LAPSE,
            );
        };
        if let Some(r) = self.registration() {
            return prerequisite(
                REGISTRATION_LAPSE,
                true,
                format!(
                    "permanently registered in {} since {}",
                    r.region, r.registered_on
                ),
                Some(r.evidence.clone()),
                BASIS_LAPSE,
            );
        }
        // Unregistered since the later of the permit's grant and the last day of the last
        // permanent registration that has ended.
        let ended = self
            .records
            .registrations
            .iter()
            .filter(|r| r.kind == RegistrationKind::Permanent)
            .filter_map(|r| r.until.filter(|u| *u < self.as_of).map(|u| (u, r)))
            .max_by_key(|(u, _)| *u);
        let (since, evidence, what) = match ended {
            Some((until, r)) if until > permit.granted_on => (
                until,
                r.evidence.clone(),
                format!("the last permanent registration ended on {until}"),
            ),
            _ => (
                permit.granted_on,
                permit.evidence.clone(),
                format!(
                    "permanent residence permit {} granted on {}",
                    permit.number, permit.granted_on
                ),
            ),
        };
        let days = days_between(since, self.as_of);
        let satisfied = days <= REGISTRATION_GRACE_DAYS;
        let description = if satisfied {
            format!(
                "{what}; no active permanent registration for {days} days on {} (a violation after more than {REGISTRATION_GRACE_DAYS})",
                self.as_of
            )
        } else {
            format!(
                "{what}; no active permanent registration for {days} days on {}, more than {REGISTRATION_GRACE_DAYS}: in violation until registered",
                self.as_of
            )
        };
        prerequisite(
            REGISTRATION_LAPSE,
            satisfied,
            description,
            Some(evidence),
            BASIS_LAPSE,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::documents::DocumentForm;
    use crate::domain::records::{
        CitizenshipRecord, OffenceRecord, PresentedDocument, RefusalRecord,
    };
    use uuid::Uuid;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    const AS_OF: (i32, u32, u32) = (2026, 6, 1);

    fn as_of() -> NaiveDate {
        d(AS_OF.0, AS_OF.1, AS_OF.2)
    }

    fn person() -> PersonRecords {
        let mut r = PersonRecords::new(Uuid::nil(), d(1985, 4, 10));
        r.iin = Some("871008401427".into());
        r.citizenship = "CHN".into();
        r.ethnic_kazakh = true;
        r
    }

    fn status(from: NaiveDate, until: NaiveDate, n: &str) -> KandasStatusRecord {
        KandasStatusRecord {
            evidence: format!("applications/kandas-{n}"),
            certificate_number: format!("KC-{n}"),
            valid_from: from,
            valid_until: until,
        }
    }

    fn permit(on: NaiveDate) -> PermitRecord {
        PermitRecord {
            evidence: "applications/permit".into(),
            number: "PRP-1".into(),
            granted_on: on,
        }
    }

    fn card(issued: NaiveDate, until: NaiveDate) -> CardRecord {
        CardRecord {
            evidence: "applications/card".into(),
            number: "RPC-1".into(),
            issued_on: issued,
            valid_until: until,
        }
    }

    fn registration(from: NaiveDate, until: Option<NaiveDate>) -> RegistrationRecord {
        RegistrationRecord {
            evidence: "applications/registration".into(),
            kind: RegistrationKind::Permanent,
            region: crate::domain::regions::Region::Pavlodar,
            registered_on: from,
            until,
        }
    }

    /// A kandas who meets every prerequisite of every procedure but the IIN one (and the ones
    /// that exclude each other: a permit to have and not to have).
    fn settled_kandas() -> PersonRecords {
        let mut r = person();
        r.kandas_statuses
            .push(status(d(2025, 9, 1), d(2026, 9, 1), "1"));
        r.permits.push(permit(d(2025, 10, 1)));
        r.cards.push(card(d(2025, 10, 20), d(2030, 10, 19)));
        r.registrations.push(registration(d(2025, 10, 5), None));
        r
    }

    fn find<'a>(checks: &'a [Prerequisite], code: &str) -> &'a Prerequisite {
        checks
            .iter()
            .find(|c| c.code == code)
            .unwrap_or_else(|| panic!("{code} missing from {checks:#?}"))
    }

    fn codes(checks: &[Prerequisite]) -> Vec<&'static str> {
        checks.iter().map(|c| c.code).collect()
    }

    fn permit_query() -> PrerequisiteQuery {
        PrerequisiteQuery {
            permit_category: Some(PermitCategory::KandasAndFamily),
            ..PrerequisiteQuery::bare(Procedure::PermanentResidencePermit)
        }
    }

    /// A permit applicant who meets everything, with a passport valid for a long time.
    fn permit_applicant() -> PersonRecords {
        let mut r = person();
        r.kandas_statuses
            .push(status(d(2025, 9, 1), d(2026, 9, 1), "1"));
        r
    }

    fn passport(expiry: NaiveDate) -> Option<(NaiveDate, Evidence)> {
        Some((expiry, "applications/now".to_string()))
    }

    fn check_permit(records: &PersonRecords, expiry: NaiveDate) -> Vec<Prerequisite> {
        check(&permit_query(), records, passport(expiry), as_of())
    }

    #[test]
    fn a_complete_permit_applicant_meets_every_check_in_order() {
        let checks = check_permit(&permit_applicant(), d(2030, 1, 1));
        assert_eq!(
            codes(&checks),
            vec![
                IIN_ASSIGNED,
                KANDAS_STATUS_VALID,
                PASSPORT_VALID_180_DAYS,
                NO_OFFENCE_12_MONTHS,
                NO_REFUSAL_12_MONTHS,
                NO_PERMIT_YET,
                NO_OPEN_APPLICATION,
            ]
        );
        assert!(checks.iter().all(|c| c.satisfied), "{checks:#?}");
        assert_eq!(unmet(&checks).count(), 0);
        assert_eq!(
            find(&checks, IIN_ASSIGNED).evidence.as_deref(),
            Some("persons/00000000-0000-0000-0000-000000000000")
        );
        assert!(checks.iter().all(|c| !c.legal_basis.is_empty()));
        // The IIN never appears in clear.
        assert!(
            checks
                .iter()
                .all(|c| !c.description.contains("871008401427"))
        );
    }

    #[test]
    fn other_foreigners_need_no_kandas_status_for_the_permit() {
        let mut q = permit_query();
        q.permit_category = Some(PermitCategory::OtherForeigner);
        let checks = check(&q, &person(), passport(d(2030, 1, 1)), as_of());
        assert!(!codes(&checks).contains(&KANDAS_STATUS_VALID));
        assert_eq!(unmet(&checks).count(), 0);
    }

    #[test]
    fn passport_must_be_valid_more_than_180_days() {
        // 2026-06-01 + 180 days = 2026-11-28.
        let checks = check_permit(&permit_applicant(), d(2026, 11, 28));
        let p = find(&checks, PASSPORT_VALID_180_DAYS);
        assert!(!p.satisfied && p.blocking);
        assert_eq!(
            p.description,
            "passport expires 2026-11-28, 180 days after 2026-06-01; more than 180 are required"
        );
        assert_eq!(p.evidence.as_deref(), Some("applications/now"));
        assert_eq!(
            unmet(&checks).map(|c| c.code).collect::<Vec<_>>(),
            vec![PASSPORT_VALID_180_DAYS]
        );

        let checks = check_permit(&permit_applicant(), d(2026, 11, 29));
        assert!(find(&checks, PASSPORT_VALID_180_DAYS).satisfied);

        let checks = check(&permit_query(), &permit_applicant(), None, as_of());
        let p = find(&checks, PASSPORT_VALID_180_DAYS);
        assert!(!p.satisfied && p.evidence.is_none());

        let checks = check_permit(&permit_applicant(), d(2026, 5, 1));
        assert!(
            find(&checks, PASSPORT_VALID_180_DAYS)
                .description
                .contains("expired")
        );
    }

    fn offence(field: OffenceField, date: NaiveDate) -> OffenceRecord {
        OffenceRecord {
            evidence: "offences/1".into(),
            field,
            date,
        }
    }

    #[test]
    fn an_offence_exactly_12_months_before_no_longer_counts() {
        for field in [
            OffenceField::Migration,
            OffenceField::Tax,
            OffenceField::Labour,
        ] {
            let mut r = permit_applicant();
            r.offences.push(offence(field, d(2025, 6, 1)));
            assert!(find(&check_permit(&r, d(2030, 1, 1)), NO_OFFENCE_12_MONTHS).satisfied);

            let mut r = permit_applicant();
            r.offences.push(offence(field, d(2025, 6, 2)));
            let checks = check_permit(&r, d(2030, 1, 1));
            let p = find(&checks, NO_OFFENCE_12_MONTHS);
            assert!(!p.satisfied && p.blocking, "{field:?}");
            assert_eq!(p.evidence.as_deref(), Some("offences/1"));
            assert_eq!(p.earliest_date, Some(d(2026, 6, 2)));
            assert!(p.description.contains("2025-06-02"));
        }
        // Offences on the as-of date count; later ones (recorded in advance) do not.
        let mut r = permit_applicant();
        r.offences.push(offence(OffenceField::Tax, as_of()));
        assert!(!find(&check_permit(&r, d(2030, 1, 1)), NO_OFFENCE_12_MONTHS).satisfied);
        let mut r = permit_applicant();
        r.offences.push(offence(OffenceField::Tax, d(2026, 6, 2)));
        assert!(find(&check_permit(&r, d(2030, 1, 1)), NO_OFFENCE_12_MONTHS).satisfied);
    }

    #[test]
    fn offences_in_other_fields_of_law_never_count() {
        let mut r = permit_applicant();
        r.offences
            .push(offence(OffenceField::Other, d(2026, 5, 31)));
        r.offences.push(offence(OffenceField::Other, as_of()));
        assert!(find(&check_permit(&r, d(2030, 1, 1)), NO_OFFENCE_12_MONTHS).satisfied);
    }

    fn refusal(procedure: Procedure, date: NaiveDate) -> RefusalRecord {
        RefusalRecord {
            evidence: "applications/refused".into(),
            procedure,
            decision_date: date,
        }
    }

    #[test]
    fn a_refusal_exactly_12_months_before_no_longer_counts() {
        let mut r = permit_applicant();
        r.refusals
            .push(refusal(Procedure::PermanentResidencePermit, d(2025, 6, 1)));
        let p = find(&check_permit(&r, d(2030, 1, 1)), NO_REFUSAL_12_MONTHS).clone();
        assert!(p.satisfied && p.earliest_date.is_none());

        let mut r = permit_applicant();
        r.refusals
            .push(refusal(Procedure::PermanentResidencePermit, d(2025, 6, 2)));
        let checks = check_permit(&r, d(2030, 1, 1));
        let p = find(&checks, NO_REFUSAL_12_MONTHS);
        assert!(!p.satisfied && p.blocking);
        assert_eq!(p.earliest_date, Some(d(2026, 6, 2)));
        assert_eq!(p.evidence.as_deref(), Some("applications/refused"));
        assert!(
            p.description.contains("accepted from 2026-06-02"),
            "{}",
            p.description
        );
        // Exactly on the earliest date the application is accepted.
        let on = check(&permit_query(), &r, passport(d(2030, 1, 1)), d(2026, 6, 2));
        assert!(find(&on, NO_REFUSAL_12_MONTHS).satisfied);
    }

    #[test]
    fn the_latest_refusal_decides_and_other_procedures_do_not_count() {
        let mut r = permit_applicant();
        r.refusals
            .push(refusal(Procedure::PermanentResidencePermit, d(2025, 8, 1)));
        r.refusals
            .push(refusal(Procedure::PermanentResidencePermit, d(2026, 1, 15)));
        r.refusals
            .push(refusal(Procedure::ResidencePermitCard, d(2026, 5, 1)));
        let checks = check_permit(&r, d(2030, 1, 1));
        assert_eq!(
            find(&checks, NO_REFUSAL_12_MONTHS).earliest_date,
            Some(d(2027, 1, 15))
        );
    }

    #[test]
    fn a_refusal_on_29_february_is_accepted_again_from_1_march() {
        let refused = d(2024, 2, 29);
        assert!(within_look_back(refused, d(2025, 2, 28)));
        assert!(!within_look_back(refused, d(2025, 3, 1)));
        assert_eq!(first_day_outside_look_back(refused), Some(d(2025, 3, 1)));
        // Month-end clamping of the as-of date: 12 months before 2024-02-29 is 2023-02-28.
        assert!(!within_look_back(d(2023, 2, 28), d(2024, 2, 29)));
        assert!(within_look_back(d(2023, 3, 1), d(2024, 2, 29)));
    }

    #[test]
    fn a_kandas_status_is_valid_through_its_last_day() {
        let mut r = person();
        r.kandas_statuses.push(status(d(2025, 6, 1), as_of(), "1"));
        let checks = check_permit(&r, d(2030, 1, 1));
        let p = find(&checks, KANDAS_STATUS_VALID);
        assert!(p.satisfied);
        assert!(p.description.contains("until 2026-06-01"));
        assert_eq!(p.evidence.as_deref(), Some("applications/kandas-1"));

        let checks = check(&permit_query(), &r, passport(d(2030, 1, 1)), d(2026, 6, 2));
        let p = find(&checks, KANDAS_STATUS_VALID);
        assert!(!p.satisfied && p.blocking);
        assert_eq!(p.evidence.as_deref(), Some("applications/kandas-1"));
    }

    #[test]
    fn kandas_assignment_and_extension_exclude_each_other() {
        let assignment = PrerequisiteQuery::bare(Procedure::KandasStatusAssignment);
        let extension = PrerequisiteQuery::bare(Procedure::KandasStatusExtension);
        let mut r = person();
        r.iin = None;
        // Without an IIN, with no status: assignment is open, extension is not.
        let checks = check(&assignment, &r, None, as_of());
        assert_eq!(
            codes(&checks),
            vec![NO_VALID_KANDAS_STATUS, NO_OPEN_APPLICATION]
        );
        assert_eq!(unmet(&checks).count(), 0);
        let checks = check(&extension, &r, None, as_of());
        assert_eq!(
            codes(&checks),
            vec![IIN_ASSIGNED, KANDAS_STATUS_VALID, NO_OPEN_APPLICATION]
        );
        assert_eq!(unmet(&checks).count(), 2);

        r.iin = Some("871008401427".into());
        r.kandas_statuses
            .push(status(d(2025, 7, 1), d(2026, 7, 1), "1"));
        let checks = check(&assignment, &r, None, as_of());
        let p = find(&checks, NO_VALID_KANDAS_STATUS);
        assert!(!p.satisfied && p.description.contains("extension"));
        assert_eq!(unmet(&check(&extension, &r, None, as_of())).count(), 0);
    }

    #[test]
    fn iin_assignment_requires_no_iin_yet() {
        let q = PrerequisiteQuery::bare(Procedure::IinAssignment);
        let mut r = person();
        let checks = check(&q, &r, None, as_of());
        assert_eq!(
            codes(&checks),
            vec![IIN_NOT_YET_ASSIGNED, NO_OPEN_APPLICATION]
        );
        assert!(!checks[0].satisfied);
        r.iin = None;
        r.open_applications
            .push((Procedure::IinAssignment, "applications/open".into()));
        let checks = check(&q, &r, None, as_of());
        assert!(checks[0].satisfied);
        let open = find(&checks, NO_OPEN_APPLICATION);
        assert!(!open.satisfied && open.blocking);
        assert_eq!(open.evidence.as_deref(), Some("applications/open"));
    }

    #[test]
    fn an_open_application_of_another_procedure_does_not_block() {
        let mut r = permit_applicant();
        r.open_applications
            .push((Procedure::KandasStatusExtension, "applications/ext".into()));
        assert!(find(&check_permit(&r, d(2030, 1, 1)), NO_OPEN_APPLICATION).satisfied);
        r.open_applications.push((
            Procedure::PermanentResidencePermit,
            "applications/prp".into(),
        ));
        assert!(!find(&check_permit(&r, d(2030, 1, 1)), NO_OPEN_APPLICATION).satisfied);
    }

    #[test]
    fn no_second_permit() {
        let mut r = permit_applicant();
        r.permits.push(permit(d(2025, 1, 1)));
        let p = find(&check_permit(&r, d(2030, 1, 1)), NO_PERMIT_YET).clone();
        assert!(!p.satisfied);
        assert_eq!(p.evidence.as_deref(), Some("applications/permit"));
    }

    fn card_query(renewal: bool) -> PrerequisiteQuery {
        PrerequisiteQuery {
            card_renewal: renewal,
            ..PrerequisiteQuery::bare(Procedure::ResidencePermitCard)
        }
    }

    #[test]
    fn a_first_card_needs_a_permit_and_a_valid_passport() {
        let mut r = person();
        let checks = check(&card_query(false), &r, passport(as_of()), as_of());
        assert_eq!(
            codes(&checks),
            vec![
                IIN_ASSIGNED,
                PERMIT_GRANTED,
                CARD_RENEWAL_WINDOW,
                PASSPORT_VALID,
                NO_OPEN_APPLICATION,
                REGISTRATION_LAPSE,
            ]
        );
        assert_eq!(
            unmet(&checks).map(|c| c.code).collect::<Vec<_>>(),
            vec![PERMIT_GRANTED]
        );
        r.permits.push(permit(d(2026, 5, 25)));
        // Passport valid through its expiry date, not the day after.
        assert_eq!(
            unmet(&check(&card_query(false), &r, passport(as_of()), as_of())).count(),
            0
        );
        let checks = check(&card_query(false), &r, passport(d(2026, 5, 31)), as_of());
        assert_eq!(
            unmet(&checks).map(|c| c.code).collect::<Vec<_>>(),
            vec![PASSPORT_VALID]
        );
        // A renewal asked for without a card on record cannot be judged.
        let checks = check(&card_query(true), &r, passport(d(2030, 1, 1)), as_of());
        assert!(!find(&checks, CARD_RENEWAL_WINDOW).satisfied);
    }

    #[test]
    fn card_renewal_opens_45_days_before_expiry() {
        let mut r = person();
        r.permits.push(permit(d(2016, 1, 1)));
        r.registrations.push(registration(d(2016, 1, 5), None));
        // 2026-06-01 + 45 days = 2026-07-16.
        r.cards.push(card(d(2016, 7, 16), d(2026, 7, 16)));
        let checks = check(&card_query(true), &r, passport(d(2030, 1, 1)), as_of());
        let p = find(&checks, CARD_RENEWAL_WINDOW);
        assert!(p.satisfied && p.earliest_date.is_none(), "{p:?}");
        assert_eq!(unmet(&checks).count(), 0);

        r.cards[0].valid_until = d(2026, 7, 17);
        // A card on record makes it a renewal even when not asked for.
        for renewal in [true, false] {
            let checks = check(&card_query(renewal), &r, passport(d(2030, 1, 1)), as_of());
            let p = find(&checks, CARD_RENEWAL_WINDOW);
            assert!(!p.satisfied && p.blocking);
            assert_eq!(p.earliest_date, Some(d(2026, 6, 2)));
            assert_eq!(p.evidence.as_deref(), Some("applications/card"));
        }
        // An expired card can be renewed.
        r.cards[0].valid_until = d(2026, 1, 1);
        assert!(
            find(
                &check(&card_query(true), &r, passport(d(2030, 1, 1)), as_of()),
                CARD_RENEWAL_WINDOW
            )
            .satisfied
        );
    }

    #[test]
    fn registration_lapse_after_more_than_10_days_is_shown_not_blocking() {
        let q = PrerequisiteQuery {
            registration_kind: Some(RegistrationKind::Permanent),
            ..PrerequisiteQuery::bare(Procedure::ResidenceRegistration)
        };
        let mut r = person();
        // Permit granted 10 days before: not yet in violation.
        r.permits.push(permit(d(2026, 5, 22)));
        let checks = check(&q, &r, None, as_of());
        assert_eq!(
            codes(&checks),
            vec![IIN_ASSIGNED, PERMIT_GRANTED, REGISTRATION_LAPSE]
        );
        let p = find(&checks, REGISTRATION_LAPSE);
        assert!(p.satisfied && !p.blocking);
        assert!(p.description.contains("10 days"), "{}", p.description);
        // 11 days: in violation, shown but not blocking.
        r.permits[0].granted_on = d(2026, 5, 21);
        let checks = check(&q, &r, None, as_of());
        let p = find(&checks, REGISTRATION_LAPSE);
        assert!(!p.satisfied && !p.blocking);
        assert!(p.description.contains("11 days"), "{}", p.description);
        assert_eq!(p.evidence.as_deref(), Some("applications/permit"));
        assert_eq!(unmet(&checks).count(), 0);

        // Counted from the end of the last permanent registration when that is later.
        r.permits[0].granted_on = d(2025, 1, 1);
        r.registrations
            .push(registration(d(2025, 1, 3), Some(d(2026, 5, 22))));
        assert!(find(&check(&q, &r, None, as_of()), REGISTRATION_LAPSE).satisfied);
        r.registrations[0].until = Some(d(2026, 5, 21));
        let p = find(&check(&q, &r, None, as_of()), REGISTRATION_LAPSE).clone();
        assert!(!p.satisfied);
        assert_eq!(p.evidence.as_deref(), Some("applications/registration"));
        // Registered: satisfied.
        r.registrations.push(registration(d(2026, 5, 30), None));
        assert!(find(&check(&q, &r, None, as_of()), REGISTRATION_LAPSE).satisfied);
        // No permit: no duty.
        let p = find(&check(&q, &person(), None, as_of()), REGISTRATION_LAPSE).clone();
        assert!(p.satisfied);
    }

    #[test]
    fn temporary_and_refugee_registration_need_only_the_iin() {
        for kind in [RegistrationKind::Temporary, RegistrationKind::Refugee] {
            let q = PrerequisiteQuery {
                registration_kind: Some(kind),
                ..PrerequisiteQuery::bare(Procedure::ResidenceRegistration)
            };
            let mut r = person();
            r.open_applications
                .push((Procedure::ResidenceRegistration, "applications/reg".into()));
            let checks = check(&q, &r, None, as_of());
            assert_eq!(codes(&checks), vec![IIN_ASSIGNED, REGISTRATION_LAPSE]);
            assert_eq!(unmet(&checks).count(), 0);
            r.iin = None;
            assert_eq!(unmet(&check(&q, &r, None, as_of())).count(), 1);
        }
    }

    fn citizenship_query(category: CitizenshipCategory) -> PrerequisiteQuery {
        PrerequisiteQuery {
            citizenship_category: Some(category),
            ..PrerequisiteQuery::bare(Procedure::SimplifiedCitizenship)
        }
    }

    fn unmet_codes(q: &PrerequisiteQuery, r: &PersonRecords) -> Vec<&'static str> {
        unmet(&check(q, r, None, as_of())).map(|c| c.code).collect()
    }

    #[test]
    fn citizenship_category_a_needs_status_registration_and_card() {
        let q = citizenship_query(CitizenshipCategory::Kandas);
        let r = settled_kandas();
        let checks = check(&q, &r, None, as_of());
        assert_eq!(
            codes(&checks),
            vec![
                IIN_ASSIGNED,
                NOT_A_CITIZEN,
                KANDAS_STATUS_VALID,
                PERMANENT_REGISTRATION_ACTIVE,
                CARD_HELD,
                NO_OPEN_APPLICATION,
                REGISTRATION_LAPSE,
            ]
        );
        assert!(checks.iter().all(|c| c.satisfied), "{checks:#?}");

        let mut no_status = r.clone();
        no_status.kandas_statuses[0].valid_until = d(2026, 5, 31);
        assert_eq!(unmet_codes(&q, &no_status), vec![KANDAS_STATUS_VALID]);
        // An extended status counts.
        no_status
            .kandas_statuses
            .push(status(d(2026, 5, 20), d(2027, 5, 20), "2"));
        assert_eq!(unmet_codes(&q, &no_status), Vec::<&str>::new());
        let p = find(&check(&q, &no_status, None, as_of()), KANDAS_STATUS_VALID).clone();
        assert_eq!(p.evidence.as_deref(), Some("applications/kandas-2"));

        let mut no_registration = r.clone();
        no_registration.registrations.clear();
        assert_eq!(
            unmet_codes(&q, &no_registration),
            vec![PERMANENT_REGISTRATION_ACTIVE]
        );
        let lapse = find(
            &check(&q, &no_registration, None, as_of()),
            REGISTRATION_LAPSE,
        )
        .clone();
        assert!(!lapse.satisfied && !lapse.blocking);

        let mut no_card = r.clone();
        no_card.cards[0].valid_until = d(2026, 5, 31);
        assert_eq!(unmet_codes(&q, &no_card), vec![CARD_HELD]);
    }

    #[test]
    fn citizenship_categories_b_and_c() {
        let mut r = person();
        let b = citizenship_query(CitizenshipCategory::RepressionVictimDescendant);
        let c = citizenship_query(CitizenshipCategory::EthnicKazakhStudent);
        assert_eq!(unmet_codes(&b, &r), vec![PERMANENT_REGISTRATION_ACTIVE]);
        assert_eq!(unmet_codes(&c, &r), Vec::<&str>::new());
        assert_eq!(
            codes(&check(&c, &r, None, as_of())),
            vec![
                IIN_ASSIGNED,
                NOT_A_CITIZEN,
                NO_OPEN_APPLICATION,
                REGISTRATION_LAPSE
            ]
        );
        r.registrations.push(registration(d(2020, 1, 1), None));
        assert_eq!(unmet_codes(&b, &r), Vec::<&str>::new());
        r.kazakh_citizenship = Some(CitizenshipRecord {
            evidence: "applications/cit".into(),
            granted_on: d(2026, 1, 1),
        });
        assert_eq!(unmet_codes(&c, &r), vec![NOT_A_CITIZEN]);
        assert_eq!(
            find(&check(&c, &r, None, as_of()), NOT_A_CITIZEN)
                .evidence
                .as_deref(),
            Some("applications/cit")
        );
    }

    #[test]
    fn stateless_certificate_needs_no_citizenship() {
        let q = PrerequisiteQuery::bare(Procedure::StatelessPersonCertificate);
        let mut r = person();
        assert_eq!(unmet_codes(&q, &r), vec![STATELESS]);
        r.citizenship.clear();
        assert_eq!(unmet_codes(&q, &r), Vec::<&str>::new());
        assert_eq!(
            codes(&check(&q, &r, None, as_of())),
            vec![IIN_ASSIGNED, STATELESS, NO_OPEN_APPLICATION]
        );
        r.kazakh_citizenship = Some(CitizenshipRecord {
            evidence: "applications/cit".into(),
            granted_on: d(2026, 1, 1),
        });
        assert_eq!(unmet_codes(&q, &r), vec![STATELESS]);
    }

    #[test]
    fn quota_inclusion_needs_status_and_permanent_registration() {
        let q = PrerequisiteQuery::bare(Procedure::RegionalQuotaInclusion);
        assert_eq!(
            unmet_codes(&q, &person()),
            vec![KANDAS_STATUS_VALID, PERMANENT_REGISTRATION_ACTIVE]
        );
        assert_eq!(unmet_codes(&q, &settled_kandas()), Vec::<&str>::new());
    }

    #[test]
    fn for_procedure_derives_the_variant_from_the_records() {
        let mut r = person();
        r.ethnic_kazakh = false;
        let q = PrerequisiteQuery::for_procedure(Procedure::PermanentResidencePermit, &r);
        assert_eq!(q.permit_category, Some(PermitCategory::OtherForeigner));
        assert_eq!(q.citizenship_category, None);
        let q = PrerequisiteQuery::for_procedure(Procedure::SimplifiedCitizenship, &r);
        assert_eq!(
            q.citizenship_category,
            Some(CitizenshipCategory::RepressionVictimDescendant)
        );
        assert_eq!(q.permit_category, None);

        // A kandas status held, even expired, makes the kandas category.
        r.kandas_statuses
            .push(status(d(2020, 1, 1), d(2021, 1, 1), "old"));
        let q = PrerequisiteQuery::for_procedure(Procedure::PermanentResidencePermit, &r);
        assert_eq!(q.permit_category, Some(PermitCategory::KandasAndFamily));
        let q = PrerequisiteQuery::for_procedure(Procedure::SimplifiedCitizenship, &r);
        assert_eq!(q.citizenship_category, Some(CitizenshipCategory::Kandas));
        // So does being an ethnic Kazakh.
        let q = PrerequisiteQuery::for_procedure(Procedure::PermanentResidencePermit, &person());
        assert_eq!(q.permit_category, Some(PermitCategory::KandasAndFamily));

        let q = PrerequisiteQuery::for_procedure(Procedure::ResidenceRegistration, &r);
        assert_eq!(q.registration_kind, Some(RegistrationKind::Permanent));
        let q = PrerequisiteQuery::for_procedure(Procedure::ResidencePermitCard, &r);
        assert!(!q.card_renewal);
        r.cards.push(card(d(2020, 1, 1), d(2030, 1, 1)));
        let q = PrerequisiteQuery::for_procedure(Procedure::ResidencePermitCard, &r);
        assert!(q.card_renewal);
        let q = PrerequisiteQuery::for_procedure(Procedure::IinAssignment, &r);
        assert_eq!(q, PrerequisiteQuery::bare(Procedure::IinAssignment));

        // An unset variant in `check` is derived the same way.
        let bare = PrerequisiteQuery::bare(Procedure::PermanentResidencePermit);
        let derived = PrerequisiteQuery::for_procedure(Procedure::PermanentResidencePermit, &r);
        assert_eq!(
            check(&bare, &r, None, as_of()),
            check(&derived, &r, None, as_of())
        );
    }

    #[test]
    fn from_details_takes_the_variant_asked_for() {
        let q = PrerequisiteQuery::from_details(&Details::SimplifiedCitizenship {
            category: CitizenshipCategory::EthnicKazakhStudent,
            family: vec![],
        });
        assert_eq!(q.procedure, Procedure::SimplifiedCitizenship);
        assert_eq!(
            q.citizenship_category,
            Some(CitizenshipCategory::EthnicKazakhStudent)
        );
        let q = PrerequisiteQuery::from_details(&Details::ResidencePermitCard { renewal: true });
        assert!(q.card_renewal);
        let q = PrerequisiteQuery::from_details(&Details::ResidenceRegistration {
            kind: RegistrationKind::Temporary,
            region: crate::domain::regions::Region::Astana,
            address: "a".into(),
            until: None,
            by_representative: false,
            owner_is_organisation: false,
            family: vec![],
        });
        assert_eq!(q.registration_kind, Some(RegistrationKind::Temporary));
        let q = PrerequisiteQuery::from_details(&Details::PermanentResidencePermit {
            category: PermitCategory::OtherForeigner,
            refugee_or_asylum: false,
            ethnic_kazakh_from_prc: false,
            former_compatriot: false,
            treaty_simplified_citizenship: false,
            without_identity_document: false,
            family: vec![],
        });
        assert_eq!(q.permit_category, Some(PermitCategory::OtherForeigner));
        assert_eq!(
            PrerequisiteQuery::from_details(&Details::KandasStatusExtension),
            PrerequisiteQuery::bare(Procedure::KandasStatusExtension)
        );
    }

    fn identity(expiry: Option<NaiveDate>, holder: Option<Uuid>, kind: DocumentType) -> Document {
        Document {
            kind,
            holder,
            form: DocumentForm::Original,
            language: "kk".into(),
            translation: None,
            number: "N1".into(),
            issuing_country: "CHN".into(),
            issue_date: None,
            expiry_date: expiry,
            amount_tenge: None,
            photo: None,
            notarized: false,
            content_sha256: String::new(),
            storage_ref: String::new(),
        }
    }

    #[test]
    fn passport_on_record_is_the_latest_expiring_identity_document() {
        let mut r = person();
        assert_eq!(passport_on_record(&r), None);
        let presented = |evidence: &str, document| PresentedDocument {
            evidence: evidence.into(),
            presented_on: d(2025, 1, 1),
            document,
        };
        r.presented.push(presented(
            "applications/a",
            identity(Some(d(2029, 1, 1)), None, DocumentType::IdentityDocument),
        ));
        r.presented.push(presented(
            "applications/b",
            identity(
                Some(d(2031, 1, 1)),
                None,
                DocumentType::StatelessPersonDocument,
            ),
        ));
        r.presented.push(presented(
            "applications/c",
            identity(
                Some(d(2040, 1, 1)),
                Some(Uuid::nil()),
                DocumentType::IdentityDocument,
            ),
        ));
        r.presented.push(presented(
            "applications/d",
            identity(Some(d(2045, 1, 1)), None, DocumentType::Photo),
        ));
        r.presented.push(presented(
            "applications/e",
            identity(None, None, DocumentType::IdentityDocument),
        ));
        assert_eq!(
            passport_on_record(&r),
            Some((d(2031, 1, 1), "applications/b".to_string()))
        );
        let now = [
            identity(Some(d(2027, 1, 1)), None, DocumentType::IdentityDocument),
            identity(Some(d(2028, 1, 1)), None, DocumentType::IdentityDocument),
        ];
        assert_eq!(
            passport_presented(&now, "applications/new".into()),
            Some((d(2028, 1, 1), "applications/new".to_string()))
        );
        assert_eq!(passport_presented(&[], "applications/new".into()), None);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn any_date() -> impl Strategy<Value = NaiveDate> {
            prop_oneof![
                8 => (-400i64..400).prop_map(|days| d(2026, 6, 1) + chrono::Duration::days(days)),
                1 => Just(NaiveDate::MIN),
                1 => Just(NaiveDate::MAX),
                1 => (-200_000i32..200_000).prop_map(|y| d(y, 2, 28)),
            ]
        }

        fn any_procedure() -> impl Strategy<Value = Procedure> {
            (0..Procedure::ALL.len()).prop_map(|i| Procedure::ALL[i])
        }

        fn any_field() -> impl Strategy<Value = OffenceField> {
            prop_oneof![
                Just(OffenceField::Migration),
                Just(OffenceField::Tax),
                Just(OffenceField::Labour),
                Just(OffenceField::Other),
            ]
        }

        fn any_kind() -> impl Strategy<Value = RegistrationKind> {
            prop_oneof![
                Just(RegistrationKind::Permanent),
                Just(RegistrationKind::Temporary),
                Just(RegistrationKind::Refugee),
            ]
        }

        fn any_query() -> impl Strategy<Value = PrerequisiteQuery> {
            (
                any_procedure(),
                proptest::option::of(prop_oneof![
                    Just(PermitCategory::KandasAndFamily),
                    Just(PermitCategory::OtherForeigner)
                ]),
                proptest::option::of(prop_oneof![
                    Just(CitizenshipCategory::Kandas),
                    Just(CitizenshipCategory::RepressionVictimDescendant),
                    Just(CitizenshipCategory::EthnicKazakhStudent)
                ]),
                proptest::option::of(any_kind()),
                any::<bool>(),
            )
                .prop_map(|(procedure, p, c, k, card_renewal)| PrerequisiteQuery {
                    procedure,
                    permit_category: p,
                    citizenship_category: c,
                    registration_kind: k,
                    card_renewal,
                })
        }

        prop_compose! {
            fn any_records()(
                iin in any::<bool>(),
                ethnic in any::<bool>(),
                stateless in any::<bool>(),
                citizen in proptest::option::of(any_date()),
                statuses in proptest::collection::vec((any_date(), any_date()), 0..3),
                permits in proptest::collection::vec(any_date(), 0..2),
                cards in proptest::collection::vec((any_date(), any_date()), 0..3),
                registrations in proptest::collection::vec(
                    (any_kind(), any_date(), proptest::option::of(any_date())), 0..3),
                offences in proptest::collection::vec((any_field(), any_date()), 0..3),
                refusals in proptest::collection::vec((any_procedure(), any_date()), 0..3),
                open in proptest::collection::vec(any_procedure(), 0..3),
            ) -> PersonRecords {
                let mut r = PersonRecords::new(Uuid::nil(), d(1990, 1, 1));
                r.iin = iin.then(|| "871008401427".to_string());
                r.ethnic_kazakh = ethnic;
                r.citizenship = if stateless { String::new() } else { "MNG".into() };
                r.kazakh_citizenship = citizen.map(|granted_on| CitizenshipRecord {
                    evidence: "applications/cit".into(),
                    granted_on,
                });
                r.kandas_statuses = statuses
                    .into_iter()
                    .enumerate()
                    .map(|(i, (a, b))| status(a, b, &i.to_string()))
                    .collect();
                r.permits = permits.into_iter().map(permit).collect();
                r.cards = cards.into_iter().map(|(a, b)| card(a, b)).collect();
                r.registrations = registrations
                    .into_iter()
                    .map(|(kind, from, until)| RegistrationRecord {
                        kind,
                        ..registration(from, until)
                    })
                    .collect();
                r.offences = offences.into_iter().map(|(f, date)| offence(f, date)).collect();
                r.refusals = refusals.into_iter().map(|(p, date)| refusal(p, date)).collect();
                r.open_applications = open
                    .into_iter()
                    .map(|p| (p, format!("applications/{}", p.as_str())))
                    .collect();
                r
            }
        }

        proptest! {
            #[test]
            fn check_never_panics_and_codes_are_unique(
                query in any_query(),
                records in any_records(),
                passport in proptest::option::of(any_date()),
                as_of in any_date(),
            ) {
                let passport = passport.map(|e| (e, "applications/now".to_string()));
                let checks = check(&query, &records, passport.clone(), as_of);
                let mut seen = std::collections::HashSet::new();
                for c in &checks {
                    prop_assert!(seen.insert(c.code), "duplicate {}", c.code);
                    prop_assert!(!c.description.is_empty());
                    prop_assert!(!c.legal_basis.is_empty());
                    prop_assert!(c.code.chars().all(|ch| ch.is_ascii_uppercase() || ch == '_' || ch.is_ascii_digit()));
                    if c.code == REGISTRATION_LAPSE {
                        prop_assert!(!c.blocking);
                    } else {
                        prop_assert!(c.blocking);
                    }
                    if c.satisfied {
                        prop_assert!(c.earliest_date.is_none());
                    }
                }
                // The same query on other records lists the same checks in the same order,
                // once the variant is fixed.
                let fixed = PrerequisiteQuery {
                    permit_category: query.permit_category.or(Some(PermitCategory::OtherForeigner)),
                    citizenship_category: query.citizenship_category.or(Some(CitizenshipCategory::Kandas)),
                    registration_kind: query.registration_kind.or(Some(RegistrationKind::Permanent)),
                    ..query.clone()
                };
                let a: Vec<_> = check(&fixed, &records, passport.clone(), as_of).iter().map(|c| c.code).collect();
                let b: Vec<_> = check(&fixed, &person(), None, as_of).iter().map(|c| c.code).collect();
                prop_assert_eq!(a, b);
                let _ = passport_on_record(&records);
                let _ = PrerequisiteQuery::for_procedure(query.procedure, &records);
            }

            #[test]
            fn the_earliest_date_given_for_a_refusal_is_accepted(
                refused in any_date(),
                as_of in any_date(),
            ) {
                let mut r = permit_applicant();
                r.refusals.push(refusal(Procedure::PermanentResidencePermit, refused));
                let checks = check(&permit_query(), &r, None, as_of);
                let p = find(&checks, NO_REFUSAL_12_MONTHS);
                prop_assert_eq!(p.satisfied, !within_look_back(refused, as_of));
                if let Some(earliest) = p.earliest_date {
                    prop_assert!(earliest > as_of);
                    let then = check(&permit_query(), &r, None, earliest);
                    prop_assert!(find(&then, NO_REFUSAL_12_MONTHS).satisfied);
                    if let Some(before) = earliest.pred_opt() {
                        prop_assert!(within_look_back(refused, before));
                    }
                }
            }
        }
    }
}

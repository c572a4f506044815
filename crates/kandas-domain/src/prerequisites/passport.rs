//! The passport to judge by and its validity: more than 180 days for the permit, valid on the
//! date for the card.

use super::{Ctx, Prerequisite, PrerequisiteCode, days_between, prerequisite};
use crate::documents::{Document, DocumentType};
use crate::records::{Evidence, PersonRecords};
use chrono::NaiveDate;

/// Passport validity required for the permanent residence permit: more than this many
/// calendar days on the submission date (SPEC 5.3).
pub const PASSPORT_MIN_DAYS: i64 = 180;

// SPEC 5.3; seeds 000, 001.
const BASIS_PASSPORT_180: &str = "Rules for issuing temporary and permanent residence permits to \
    foreigners and stateless persons: passport valid more than 180 calendar days on the day of \
    application";
// SPEC 5.4; seeds 000, 001 (name no act for the card).
const BASIS_PASSPORT_CARD: &str =
    "Residence permit card: valid national passport (no legal act cited)";

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

impl Ctx<'_> {
    pub(super) fn passport_valid_180_days(&self) -> Prerequisite {
        let Some((expiry, evidence)) = &self.passport else {
            return prerequisite(
                PrerequisiteCode::PassportValid180Days,
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
            PrerequisiteCode::PassportValid180Days,
            satisfied,
            description,
            Some(evidence.clone()),
            BASIS_PASSPORT_180,
        )
    }

    pub(super) fn passport_valid(&self) -> Prerequisite {
        let Some((expiry, evidence)) = &self.passport else {
            return prerequisite(
                PrerequisiteCode::PassportValid,
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
            PrerequisiteCode::PassportValid,
            satisfied,
            description,
            Some(evidence.clone()),
            BASIS_PASSPORT_CARD,
        )
    }
}

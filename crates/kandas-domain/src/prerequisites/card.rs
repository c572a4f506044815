//! The residence permit card: its renewal window, and a card held for citizenship.

use super::{Ctx, Prerequisite, PrerequisiteCode, prerequisite};
use crate::records::CardRecord;
use chrono::{Days, NaiveDate};

/// Renewal of a residence permit card is accepted from this many days before it expires
/// (SPEC 5.4).
pub const CARD_RENEWAL_DAYS: u64 = 45;

// SPEC 5.4; seed 001 ("a month and a half"; no act named).
const BASIS_CARD_RENEWAL: &str = "Renewal a month and a half before expiry, as published; 45 days \
    is a decision of the service operator (no legal act cited)";
// SPEC 5.6 (a); seed 000 (names no act for simplified citizenship).
const BASIS_CARD_HELD: &str = "Admission to citizenship of the Republic of Kazakhstan in a \
    simplified (registration) manner: kandas with a residence permit and permanent registration \
    (no legal act cited)";

impl Ctx<'_> {
    /// The card a renewal is judged by: the latest-expiring card issued on or before the date
    /// whose permit is not annulled by then (a card that fell with its permit is not renewed).
    fn card_to_renew(&self) -> Option<&CardRecord> {
        self.records
            .cards
            .iter()
            .filter(|c| c.issued_on <= self.as_of)
            .filter(|c| self.records.card_annulled_on(c, self.as_of).is_none())
            .max_by_key(|c| c.valid_until)
    }

    pub(super) fn card_renewal_window(&self, renewal_asked: bool) -> Prerequisite {
        let Some(card) = self.card_to_renew() else {
            return if renewal_asked {
                prerequisite(
                    PrerequisiteCode::CardRenewalWindow,
                    false,
                    "a renewal is asked for but no residence permit card is on record".to_string(),
                    self.person(),
                    BASIS_CARD_RENEWAL,
                )
            } else {
                prerequisite(
                    PrerequisiteCode::CardRenewalWindow,
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
            PrerequisiteCode::CardRenewalWindow,
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

    pub(super) fn card_held(&self) -> Prerequisite {
        match self.records.card_on(self.as_of) {
            Some(c) => prerequisite(
                PrerequisiteCode::CardHeld,
                true,
                format!(
                    "residence permit card {} is valid on {}, until {} inclusive",
                    c.number, self.as_of, c.valid_until
                ),
                Some(c.evidence.clone()),
                BASIS_CARD_HELD,
            ),
            None => {
                // A card that would be valid but for its permit's annulment is what breaks it.
                let fallen = self
                    .records
                    .cards
                    .iter()
                    .filter(|c| c.issued_on <= self.as_of && self.as_of <= c.valid_until)
                    .find_map(|c| self.records.card_annulled_on(c, self.as_of).map(|a| (c, a)));
                match fallen {
                    Some((c, a)) => prerequisite(
                        PrerequisiteCode::CardHeld,
                        false,
                        format!(
                            "residence permit card {} is invalid from {}: its permanent residence permit was {}",
                            c.number,
                            a.from,
                            a.describe()
                        ),
                        Some(c.evidence.clone()),
                        BASIS_CARD_HELD,
                    ),
                    None => prerequisite(
                        PrerequisiteCode::CardHeld,
                        false,
                        format!("no residence permit card is valid on {}", self.as_of),
                        self.person(),
                        BASIS_CARD_HELD,
                    ),
                }
            }
        }
    }
}

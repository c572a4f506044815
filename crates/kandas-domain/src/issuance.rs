//! What an approval issues, and for how long (SPEC §5 table and 5.2–5.6).

use super::period::Period;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssuedKind {
    KandasCertificate,
    KandasExtension,
    PermanentResidencePermit,
    ResidencePermitCard,
    StatelessPersonCertificate,
    Registration,
    Citizenship,
    QuotaInclusion,
}

impl IssuedKind {
    /// Prefix of the printed number.
    pub fn number_prefix(self) -> &'static str {
        match self {
            IssuedKind::KandasCertificate | IssuedKind::KandasExtension => "KC",
            IssuedKind::PermanentResidencePermit => "PRP",
            IssuedKind::ResidencePermitCard => "RPC",
            IssuedKind::StatelessPersonCertificate => "SPC",
            IssuedKind::Registration => "REG",
            IssuedKind::Citizenship => "CIT",
            IssuedKind::QuotaInclusion => "QI",
        }
    }
}

/// One thing an approval issued to one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issued {
    pub person_id: Uuid,
    pub kind: IssuedKind,
    pub number: String,
    pub valid_from: Option<NaiveDate>,
    /// Last day of validity (inclusive); `None` when open-ended.
    pub valid_until: Option<NaiveDate>,
    pub region: String,
    pub address: String,
}

/// How long a kandas status, granted or extended, is valid (SPEC 5.2).
pub const KANDAS_VALIDITY: Period = Period::years(1);
/// The longest a residence permit card is valid (SPEC 5.4).
pub const CARD_VALIDITY: Period = Period::years(10);

/// Kandas status, granted or extended: valid from the decision date through the same date a
/// year later, by the term rule of SPEC 3.
pub fn kandas_validity(decision_date: NaiveDate) -> (NaiveDate, NaiveDate) {
    (decision_date, KANDAS_VALIDITY.last_day(decision_date))
}

/// A residence permit card is valid at most 10 years and never past the passport's expiry
/// (SPEC §5 table). `None` when the passport has already expired on the decision date.
pub fn card_valid_until(decision_date: NaiveDate, passport_expiry: NaiveDate) -> Option<NaiveDate> {
    if passport_expiry < decision_date {
        return None;
    }
    Some(CARD_VALIDITY.last_day(decision_date).min(passport_expiry))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn kandas_status_lasts_one_year_from_the_decision() {
        assert_eq!(
            kandas_validity(d(2026, 3, 10)),
            (d(2026, 3, 10), d(2027, 3, 10))
        );
        assert_eq!(kandas_validity(d(2024, 2, 29)).1, d(2025, 2, 28));
        // SPEC 3: decided 2025-05-20, valid through 2026-05-20 and not on 2026-05-21.
        assert_eq!(kandas_validity(d(2025, 5, 20)).1, d(2026, 5, 20));
        assert!(KANDAS_VALIDITY.covers(d(2025, 5, 20), d(2026, 5, 20)));
        assert!(!KANDAS_VALIDITY.covers(d(2025, 5, 20), d(2026, 5, 21)));
    }

    #[test]
    fn card_validity_is_ten_years_capped_by_the_passport() {
        assert_eq!(
            card_valid_until(d(2026, 6, 1), d(2040, 1, 1)),
            Some(d(2036, 6, 1))
        );
        assert_eq!(
            card_valid_until(d(2026, 6, 1), d(2030, 1, 14)),
            Some(d(2030, 1, 14))
        );
        assert_eq!(
            card_valid_until(d(2026, 6, 1), d(2026, 6, 1)),
            Some(d(2026, 6, 1))
        );
        assert_eq!(card_valid_until(d(2026, 6, 1), d(2026, 5, 31)), None);
    }
}

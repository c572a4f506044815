//! State support for a family included in the regional quota (SPEC §6), in MCI and whole
//! tenge at the MCI of the decision year (SPEC §4 Decision).

use super::money::percent_of;
use serde::{Deserialize, Serialize};

/// Relocation subsidy: one payment of 70 MCI per person included.
pub const RELOCATION_MCI_PER_PERSON: i64 = 70;
/// Rent and utilities subsidy: 15 to 30 whole MCI a month per family, for 12 months.
pub const RENT_MCI_RANGE: std::ops::RangeInclusive<i64> = 15..=30;
pub const RENT_MONTHS: i64 = 12;
/// Economic Mobility Certificate: 50% of the housing cost, at most 1,160 MCI.
pub const CERTIFICATE_PERCENT: i64 = 50;
pub const CERTIFICATE_CAP_MCI: i64 = 1160;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupportKind {
    Relocation,
    Rent,
    MobilityCertificate,
}

impl SupportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SupportKind::Relocation => "relocation",
            SupportKind::Rent => "rent",
            SupportKind::MobilityCertificate => "mobility_certificate",
        }
    }

    pub fn parse(value: &str) -> Option<SupportKind> {
        [
            SupportKind::Relocation,
            SupportKind::Rent,
            SupportKind::MobilityCertificate,
        ]
        .into_iter()
        .find(|k| k.as_str() == value)
    }
}

/// One line of an entitlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub kind: SupportKind,
    /// The line in MCI (for the certificate: the MCI equivalent of its amount, rounded down).
    pub mci: i64,
    pub tenge: i64,
    /// Largest single payment; `None` when any amount up to the line is fine.
    pub per_payment: Option<i64>,
    /// How many payments at most; `None` when not limited.
    pub max_payments: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SupportError {
    #[error("the monthly rent rate must be a whole number of MCI from 15 to 30, not {0}")]
    RentOutOfRange(i64),
    #[error("the housing cost must not be negative")]
    NegativeHousingCost,
    #[error("the amount overflows")]
    Overflow,
}

/// The entitlement of a family of `persons` at `mci` tenge per MCI, with the rent rate the
/// commission set and, when the certificate was asked for, the housing cost.
pub fn entitlement(
    persons: i64,
    rent_mci: i64,
    housing_cost: Option<i64>,
    mci: i64,
) -> Result<Vec<Line>, SupportError> {
    if !RENT_MCI_RANGE.contains(&rent_mci) {
        return Err(SupportError::RentOutOfRange(rent_mci));
    }
    let times = |a: i64, b: i64| a.checked_mul(b).ok_or(SupportError::Overflow);
    let relocation_mci = times(RELOCATION_MCI_PER_PERSON, persons)?;
    let monthly = times(rent_mci, mci)?;
    let mut lines = vec![
        Line {
            kind: SupportKind::Relocation,
            mci: relocation_mci,
            tenge: times(relocation_mci, mci)?,
            per_payment: None,
            max_payments: Some(1),
        },
        Line {
            kind: SupportKind::Rent,
            mci: times(rent_mci, RENT_MONTHS)?,
            tenge: times(monthly, RENT_MONTHS)?,
            per_payment: Some(monthly),
            max_payments: Some(RENT_MONTHS as i32),
        },
    ];
    if let Some(cost) = housing_cost {
        if cost < 0 {
            return Err(SupportError::NegativeHousingCost);
        }
        let cap = times(CERTIFICATE_CAP_MCI, mci)?;
        let tenge = percent_of(cost, CERTIFICATE_PERCENT).min(cap);
        lines.push(Line {
            kind: SupportKind::MobilityCertificate,
            mci: tenge / mci,
            tenge,
            per_payment: None,
            max_payments: None,
        });
    }
    Ok(lines)
}

/// Why a payment cannot be recorded against a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentProblem {
    NotPositive,
    AboveSinglePayment { cap: i64 },
    AboveLine { remaining: i64 },
    TooManyPayments { max: i32 },
    PeriodRequired,
    PeriodNotAllowed,
}

/// Checks a payment against what the line allows and what was paid so far (the database
/// enforces the same limits as constraints).
pub fn check_payment(
    line: &Line,
    paid: i64,
    payments: i32,
    amount: i64,
    period: Option<&str>,
) -> Result<(), PaymentProblem> {
    if amount <= 0 {
        return Err(PaymentProblem::NotPositive);
    }
    match (line.kind, period) {
        (SupportKind::Rent, None) => return Err(PaymentProblem::PeriodRequired),
        (SupportKind::Relocation | SupportKind::MobilityCertificate, Some(_)) => {
            return Err(PaymentProblem::PeriodNotAllowed);
        }
        _ => {}
    }
    if let Some(max) = line.max_payments
        && payments >= max
    {
        return Err(PaymentProblem::TooManyPayments { max });
    }
    if let Some(cap) = line.per_payment
        && amount > cap
    {
        return Err(PaymentProblem::AboveSinglePayment { cap });
    }
    let remaining = line.tenge - paid;
    if amount > remaining {
        return Err(PaymentProblem::AboveLine { remaining });
    }
    Ok(())
}

/// A rent period `YYYY-MM` with a real month.
pub fn is_period(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() == 7
        && bytes[4] == b'-'
        && value[..4]
            .parse::<u16>()
            .is_ok_and(|y| (2000..=2200).contains(&y))
        && value[5..]
            .parse::<u8>()
            .is_ok_and(|m| (1..=12).contains(&m))
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MCI_2025: i64 = 3932;

    #[test]
    fn spec_worked_example_family_of_four_in_2025() {
        let lines = entitlement(4, 15, Some(20_000_000), MCI_2025).unwrap();
        assert_eq!(lines[0].mci, 280);
        assert_eq!(lines[0].tenge, 1_100_960);
        assert_eq!(lines[1].per_payment, Some(58_980), "15 MCI a month");
        assert_eq!(lines[1].tenge, 12 * 58_980);
        assert_eq!(lines[2].tenge, 4_561_120, "the certificate cap, 1,160 MCI");
        assert_eq!(
            entitlement(4, 30, None, MCI_2025).unwrap()[1].per_payment,
            Some(117_960)
        );
    }

    #[test]
    fn a_2026_decision_uses_4325_and_the_certificate_is_half_the_cost_under_the_cap() {
        let lines = entitlement(1, 20, Some(3_000_001), 4325).unwrap();
        assert_eq!(lines[0].tenge, 70 * 4325);
        assert_eq!(lines[2].tenge, 1_500_000, "50% rounded down");
    }

    #[test]
    fn rent_rate_must_be_15_to_30() {
        assert_eq!(
            entitlement(1, 14, None, MCI_2025),
            Err(SupportError::RentOutOfRange(14))
        );
        assert_eq!(
            entitlement(1, 31, None, MCI_2025),
            Err(SupportError::RentOutOfRange(31))
        );
        assert!(entitlement(1, 30, None, MCI_2025).is_ok());
    }

    #[test]
    fn payments_never_exceed_a_line() {
        let lines = entitlement(4, 15, Some(1_000_000), MCI_2025).unwrap();
        let (relocation, rent, certificate) = (&lines[0], &lines[1], &lines[2]);
        assert_eq!(check_payment(relocation, 0, 0, 1_100_960, None), Ok(()));
        assert_eq!(
            check_payment(relocation, 1_100_960, 1, 1, None),
            Err(PaymentProblem::TooManyPayments { max: 1 })
        );
        assert_eq!(
            check_payment(rent, 0, 0, 58_981, Some("2025-07")),
            Err(PaymentProblem::AboveSinglePayment { cap: 58_980 })
        );
        assert_eq!(
            check_payment(rent, 11 * 58_980, 11, 58_980, Some("2026-06")),
            Ok(())
        );
        assert_eq!(
            check_payment(rent, 12 * 58_980, 12, 1, Some("2026-07")),
            Err(PaymentProblem::TooManyPayments { max: 12 })
        );
        assert_eq!(
            check_payment(rent, 0, 0, 100, None),
            Err(PaymentProblem::PeriodRequired)
        );
        assert_eq!(
            check_payment(certificate, 400_000, 1, 100_001, None),
            Err(PaymentProblem::AboveLine { remaining: 100_000 })
        );
        assert_eq!(
            check_payment(certificate, 400_000, 1, 100_000, None),
            Ok(())
        );
    }

    #[test]
    fn periods_are_year_and_month() {
        assert!(is_period("2025-07"));
        assert!(!is_period("2025-13"));
        assert!(!is_period("2025-7"));
        assert!(!is_period("25-07-01"));
    }
}

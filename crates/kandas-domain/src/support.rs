//! State support for a family included in the regional quota (SPEC §6), in MCI and whole
//! tenge at the MCI of the decision year (SPEC §4 Decision).

use super::money::{Mci, percent_of};
use chrono::{Datelike, NaiveDate};
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
    /// The same in MCI (for rent: the monthly rate the commission set); `None` likewise.
    pub per_payment_mci: Option<i64>,
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
    mci: Mci,
) -> Result<Vec<Line>, SupportError> {
    if !RENT_MCI_RANGE.contains(&rent_mci) {
        return Err(SupportError::RentOutOfRange(rent_mci));
    }
    let times = |a: i64, b: i64| a.checked_mul(b).ok_or(SupportError::Overflow);
    let in_tenge = |count: i64| mci.times(count).ok_or(SupportError::Overflow);
    let relocation_mci = times(RELOCATION_MCI_PER_PERSON, persons)?;
    let monthly = in_tenge(rent_mci)?;
    let mut lines = vec![
        Line {
            kind: SupportKind::Relocation,
            mci: relocation_mci,
            tenge: in_tenge(relocation_mci)?,
            per_payment: None,
            per_payment_mci: None,
            max_payments: Some(1),
        },
        Line {
            kind: SupportKind::Rent,
            mci: times(rent_mci, RENT_MONTHS)?,
            tenge: times(monthly, RENT_MONTHS)?,
            per_payment: Some(monthly),
            per_payment_mci: Some(rent_mci),
            max_payments: Some(RENT_MONTHS as i32),
        },
    ];
    if let Some(cost) = housing_cost {
        if cost < 0 {
            return Err(SupportError::NegativeHousingCost);
        }
        let cap = in_tenge(CERTIFICATE_CAP_MCI)?;
        let tenge = percent_of(cost, CERTIFICATE_PERCENT).min(cap);
        lines.push(Line {
            kind: SupportKind::MobilityCertificate,
            mci: tenge / mci.tenge(),
            tenge,
            per_payment: None,
            per_payment_mci: None,
            max_payments: None,
        });
    }
    Ok(lines)
}

/// Why a payment cannot be recorded against a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentProblem {
    NotPositive,
    AboveSinglePayment {
        cap: i64,
    },
    AboveLine {
        remaining: i64,
    },
    TooManyPayments {
        max: i32,
    },
    PeriodRequired,
    PeriodNotAllowed,
    /// The rent month lies outside the 12 months the entitlement covers.
    PeriodOutsideRentMonths {
        first: Period,
        last: Period,
    },
}

/// A calendar month, as a rent payment names it (`YYYY-MM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Period {
    pub year: i32,
    pub month: u32,
}

impl Period {
    /// A `YYYY-MM` with a real month, see [`is_period`].
    pub fn parse(value: &str) -> Option<Period> {
        if !is_period(value) {
            return None;
        }
        Some(Period {
            year: value[..4].parse().ok()?,
            month: value[5..].parse().ok()?,
        })
    }

    /// The month `months` after this one.
    fn plus(self, months: i64) -> Period {
        let index = i64::from(self.year) * 12 + i64::from(self.month) - 1 + months;
        Period {
            year: index.div_euclid(12) as i32,
            month: index.rem_euclid(12) as u32 + 1,
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The first and last month rent is paid for, both inclusive.
///
/// Decision (SPEC 6): the 12 calendar months starting with the month after the commission's
/// inclusion decision, so a decision of 2026-03-10 covers 2026-04 through 2027-03.
pub fn rent_months(decided_on: NaiveDate) -> (Period, Period) {
    let decided = Period {
        year: decided_on.year(),
        month: decided_on.month(),
    };
    (decided.plus(1), decided.plus(RENT_MONTHS))
}

/// Whether `period` is one of the rent months of a decision of `decided_on`.
pub fn check_rent_period(decided_on: NaiveDate, period: &str) -> Result<(), PaymentProblem> {
    let (first, last) = rent_months(decided_on);
    match Period::parse(period) {
        Some(month) if (first..=last).contains(&month) => Ok(()),
        _ => Err(PaymentProblem::PeriodOutsideRentMonths { first, last }),
    }
}

/// Checks a payment against what the line allows and what was paid so far (the database
/// enforces the same limits as constraints); `decided_on` is the inclusion decision's date,
/// which fixes the rent months.
pub fn check_payment(
    line: &Line,
    paid: i64,
    payments: i32,
    amount: i64,
    period: Option<&str>,
    decided_on: NaiveDate,
) -> Result<(), PaymentProblem> {
    if amount <= 0 {
        return Err(PaymentProblem::NotPositive);
    }
    match (line.kind, period) {
        (SupportKind::Rent, None) => return Err(PaymentProblem::PeriodRequired),
        (SupportKind::Rent, Some(period)) => check_rent_period(decided_on, period)?,
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

    fn mci(tenge: i64) -> Mci {
        Mci::new(tenge).unwrap()
    }

    #[test]
    fn at_the_largest_mci_the_amounts_fit_and_a_sum_that_would_not_is_refused() {
        let largest = mci(100_000);
        let lines = entitlement(1_000, 30, Some(i64::MAX), largest).unwrap();
        assert_eq!(lines[0].tenge, 70 * 1_000 * 100_000);
        assert_eq!(lines[1].tenge, 12 * 30 * 100_000);
        assert_eq!(lines[2].tenge, 1_160 * 100_000);
        assert_eq!(
            entitlement(i64::MAX / 70, 15, None, largest),
            Err(SupportError::Overflow)
        );
    }
    /// An inclusion decided in June 2025: rent is paid for 2025-07 through 2026-06.
    const DECIDED_2025_06: NaiveDate = NaiveDate::from_ymd_opt(2025, 6, 20).unwrap();

    #[test]
    fn spec_worked_example_family_of_four_in_2025() {
        let lines = entitlement(4, 15, Some(20_000_000), mci(MCI_2025)).unwrap();
        assert_eq!(lines[0].mci, 280);
        assert_eq!(lines[0].tenge, 1_100_960);
        assert_eq!(lines[1].per_payment, Some(58_980), "15 MCI a month");
        assert_eq!(lines[1].tenge, 12 * 58_980);
        assert_eq!(lines[2].tenge, 4_561_120, "the certificate cap, 1,160 MCI");
        assert_eq!(
            entitlement(4, 30, None, mci(MCI_2025)).unwrap()[1].per_payment,
            Some(117_960)
        );
    }

    #[test]
    fn a_2026_decision_uses_4325_and_the_certificate_is_half_the_cost_under_the_cap() {
        let lines = entitlement(1, 20, Some(3_000_001), mci(4325)).unwrap();
        assert_eq!(lines[0].tenge, 70 * 4325);
        assert_eq!(lines[2].tenge, 1_500_000, "50% rounded down");
    }

    #[test]
    fn rent_rate_must_be_15_to_30() {
        assert_eq!(
            entitlement(1, 14, None, mci(MCI_2025)),
            Err(SupportError::RentOutOfRange(14))
        );
        assert_eq!(
            entitlement(1, 31, None, mci(MCI_2025)),
            Err(SupportError::RentOutOfRange(31))
        );
        assert!(entitlement(1, 30, None, mci(MCI_2025)).is_ok());
    }

    #[test]
    fn payments_never_exceed_a_line() {
        let lines = entitlement(4, 15, Some(1_000_000), mci(MCI_2025)).unwrap();
        let (relocation, rent, certificate) = (&lines[0], &lines[1], &lines[2]);
        assert_eq!(
            check_payment(relocation, 0, 0, 1_100_960, None, DECIDED_2025_06),
            Ok(())
        );
        assert_eq!(
            check_payment(relocation, 1_100_960, 1, 1, None, DECIDED_2025_06),
            Err(PaymentProblem::TooManyPayments { max: 1 })
        );
        assert_eq!(
            check_payment(rent, 0, 0, 58_981, Some("2025-07"), DECIDED_2025_06),
            Err(PaymentProblem::AboveSinglePayment { cap: 58_980 })
        );
        assert_eq!(
            check_payment(
                rent,
                11 * 58_980,
                11,
                58_980,
                Some("2026-06"),
                DECIDED_2025_06
            ),
            Ok(())
        );
        assert_eq!(
            check_payment(rent, 12 * 58_980, 12, 1, Some("2025-08"), DECIDED_2025_06),
            Err(PaymentProblem::TooManyPayments { max: 12 })
        );
        assert_eq!(
            check_payment(rent, 0, 0, 100, None, DECIDED_2025_06),
            Err(PaymentProblem::PeriodRequired)
        );
        assert_eq!(
            check_payment(certificate, 400_000, 1, 100_001, None, DECIDED_2025_06),
            Err(PaymentProblem::AboveLine { remaining: 100_000 })
        );
        assert_eq!(
            check_payment(certificate, 400_000, 1, 100_000, None, DECIDED_2025_06),
            Ok(())
        );
    }

    /// SPEC 6 Decision: decided 2026-03-10, rent months 2026-04 through 2027-03.
    #[test]
    fn rent_is_paid_for_the_12_months_after_the_decision_month() {
        let decided = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        let range = PaymentProblem::PeriodOutsideRentMonths {
            first: Period {
                year: 2026,
                month: 4,
            },
            last: Period {
                year: 2027,
                month: 3,
            },
        };
        assert_eq!(check_rent_period(decided, "2026-03"), Err(range.clone()));
        assert_eq!(check_rent_period(decided, "2026-04"), Ok(()));
        assert_eq!(check_rent_period(decided, "2027-03"), Ok(()));
        assert_eq!(check_rent_period(decided, "2027-04"), Err(range));
        let (first, last) = rent_months(decided);
        assert_eq!(
            (first.to_string(), last.to_string()),
            ("2026-04".into(), "2027-03".into())
        );
    }

    #[test]
    fn rent_months_cross_the_year_from_a_december_decision() {
        let (first, last) = rent_months(NaiveDate::from_ymd_opt(2025, 12, 31).unwrap());
        assert_eq!(
            (first.to_string(), last.to_string()),
            ("2026-01".into(), "2026-12".into())
        );
    }

    #[test]
    fn a_rent_payment_outside_the_months_is_refused_before_any_amount_rule() {
        let lines = entitlement(4, 15, None, mci(MCI_2025)).unwrap();
        let rent = &lines[1];
        assert!(matches!(
            check_payment(rent, 0, 0, 58_980, Some("2025-06"), DECIDED_2025_06),
            Err(PaymentProblem::PeriodOutsideRentMonths { .. })
        ));
        assert_eq!(
            check_payment(rent, 0, 0, 58_980, Some("2025-07"), DECIDED_2025_06),
            Ok(())
        );
    }

    #[test]
    fn the_rent_line_carries_the_monthly_rate_in_mci_and_tenge() {
        let rent = &entitlement(4, 15, None, mci(MCI_2025)).unwrap()[1];
        assert_eq!(rent.per_payment_mci, Some(15));
        assert_eq!(rent.per_payment, Some(58_980));
    }

    #[test]
    fn periods_are_year_and_month() {
        assert!(is_period("2025-07"));
        assert!(!is_period("2025-13"));
        assert!(!is_period("2025-7"));
        assert!(!is_period("25-07-01"));
    }
}

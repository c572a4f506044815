//! Whole-tenge arithmetic (SPEC §4: integer tenge only).
//!
//! The MCI itself is data an administrator sets per year: it lives in the `mci_values` table
//! (seeded with SPEC's 2023–2026 values by migration 0003) and reaches the rules as an [`Mci`].

use std::ops::RangeInclusive;

/// The monthly calculation index of one year, in whole tenge.
///
/// Decision (SPEC §2.3): 1 to 100,000 tenge. The largest sum the rules make of it, 1,320 MCI of
/// solvency or 70 MCI for each of a family's members, then stays far inside `i64`; the rules
/// still multiply with [`Mci::times`], which says when a product would not fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mci(i64);

/// An MCI value outside [`Mci::RANGE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be a whole number of tenge from 1 to 100,000, not {0}")]
pub struct MciOutOfRange(pub i64);

impl Mci {
    pub const RANGE: RangeInclusive<i64> = 1..=100_000;

    pub fn new(tenge: i64) -> Result<Mci, MciOutOfRange> {
        if Mci::RANGE.contains(&tenge) {
            Ok(Mci(tenge))
        } else {
            Err(MciOutOfRange(tenge))
        }
    }

    pub fn tenge(self) -> i64 {
        self.0
    }

    /// `count` MCI in tenge, or `None` when that does not fit an `i64`.
    pub fn times(self, count: i64) -> Option<i64> {
        count.checked_mul(self.0)
    }
}

/// `percent`% of `amount`, rounded down (floor); saturates at the i64 range instead of overflowing.
pub fn percent_of(amount: i64, percent: i64) -> i64 {
    let exact = i128::from(amount) * i128::from(percent);
    let floored = exact.div_euclid(100);
    i64::try_from(floored).unwrap_or(if floored < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_mci_is_one_to_a_hundred_thousand_tenge() {
        assert_eq!(Mci::new(0), Err(MciOutOfRange(0)));
        assert_eq!(Mci::new(1).map(Mci::tenge), Ok(1));
        assert_eq!(Mci::new(100_000).map(Mci::tenge), Ok(100_000));
        assert_eq!(Mci::new(100_001), Err(MciOutOfRange(100_001)));
        assert_eq!(Mci::new(-4325), Err(MciOutOfRange(-4325)));
        assert_eq!(Mci::new(i64::MAX), Err(MciOutOfRange(i64::MAX)));
    }

    #[test]
    fn a_product_that_does_not_fit_is_none() {
        let largest = Mci::new(100_000).unwrap();
        assert_eq!(largest.times(1_320), Some(132_000_000));
        assert_eq!(largest.times(i64::MAX), None);
        assert_eq!(largest.times(i64::MIN), None);
    }

    #[test]
    fn percent_of_floors() {
        assert_eq!(percent_of(10_000_001, 50), 5_000_000);
        assert_eq!(percent_of(3, 50), 1);
        assert_eq!(percent_of(-3, 50), -2);
        assert_eq!(percent_of(i64::MAX, 200), i64::MAX);
        assert_eq!(percent_of(i64::MIN, 200), i64::MIN);
        // Certificate: 50% of the housing cost, capped at 1,160 MCI of 2025 (3,932 tenge).
        let cap = 1160 * 3932;
        assert_eq!(percent_of(12_000_000, 50).min(cap), 4_561_120);
        assert_eq!(percent_of(8_000_000, 50).min(cap), 4_000_000);
    }

    proptest! {
        #[test]
        fn percent_of_never_panics_and_is_floor(a in any::<i64>(), p in any::<i64>()) {
            let r = percent_of(a, p);
            let exact = i128::from(a) * i128::from(p);
            if let Ok(r128) = i64::try_from(exact.div_euclid(100)) {
                prop_assert_eq!(r, r128);
                prop_assert!(i128::from(r) * 100 <= exact);
                prop_assert!(exact < (i128::from(r) + 1) * 100);
            } else {
                prop_assert!(r == i64::MAX || r == i64::MIN);
            }
        }
    }
}

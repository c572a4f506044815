//! Whole-tenge arithmetic (SPEC §4: integer tenge only).
//!
//! The MCI itself is data an administrator sets per year: it lives in the `mci` table (seeded
//! with SPEC's 2023–2026 values by migration 0003) and reaches the rules as a plain number.

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

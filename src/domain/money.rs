//! Whole-tenge amounts and the monthly calculation index (MCI) by year (SPEC 4).

use std::collections::BTreeMap;

use serde::Deserialize;
use thiserror::Error;

const DEFAULT_MCI_TOML: &str = include_str!("../../data/mci.toml");

/// Why an amount cannot be computed or an MCI table cannot be loaded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MoneyError {
    /// No MCI value is known for the year; an administrator has to set it.
    #[error("MCI for year {year} is not set")]
    MciNotSet {
        /// The year without a value.
        year: i32,
    },
    /// The result does not fit in a 64-bit tenge amount.
    #[error("amount overflows the tenge range")]
    Overflow,
    /// The MCI table text is not valid TOML of the expected shape.
    #[error("invalid MCI table: {0}")]
    InvalidToml(String),
    /// A key of the `[mci]` table is not a year.
    #[error("MCI table key {key:?} is not a year")]
    InvalidYear {
        /// The offending key.
        key: String,
    },
    /// An MCI value is zero or negative.
    #[error("MCI for year {year} must be positive, found {tenge}")]
    NonPositiveMci {
        /// The year of the bad value.
        year: i32,
        /// The bad value.
        tenge: i64,
    },
}

/// Shape of data/mci.toml: a `[mci]` table of year = tenge.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MciFile {
    mci: BTreeMap<String, i64>,
}

/// MCI value in whole tenge for each year that has one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MciTable {
    by_year: BTreeMap<i32, i64>,
}

impl MciTable {
    /// Loads a table from TOML text of the form `[mci]` / `2025 = 3932`.
    pub fn from_toml(text: &str) -> Result<MciTable, MoneyError> {
        let file: MciFile =
            toml::from_str(text).map_err(|e| MoneyError::InvalidToml(e.to_string()))?;
        let mut by_year = BTreeMap::new();
        for (key, tenge) in file.mci {
            let year = parse_year(&key)?;
            if tenge <= 0 {
                return Err(MoneyError::NonPositiveMci { year, tenge });
            }
            by_year.insert(year, tenge);
        }
        Ok(MciTable { by_year })
    }

    /// The shipped defaults from data/mci.toml (2023–2026).
    pub fn kazakhstan_default() -> MciTable {
        // The embedded file is covered by a unit test, so this cannot fail in a built binary.
        MciTable::from_toml(DEFAULT_MCI_TOML).expect("data/mci.toml is valid")
    }

    /// Builds a table from (year, tenge) pairs; a later pair for the same year wins.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (i32, i64)>) -> MciTable {
        MciTable {
            by_year: pairs.into_iter().collect(),
        }
    }

    /// Sets or replaces the MCI of a year.
    pub fn set(&mut self, year: i32, tenge: i64) {
        self.by_year.insert(year, tenge);
    }

    /// MCI of a year, or `MciNotSet` naming the year.
    pub fn get(&self, year: i32) -> Result<i64, MoneyError> {
        self.by_year
            .get(&year)
            .copied()
            .ok_or(MoneyError::MciNotSet { year })
    }

    /// All (year, tenge) pairs in year order.
    pub fn years(&self) -> impl Iterator<Item = (i32, i64)> + '_ {
        self.by_year.iter().map(|(&y, &t)| (y, t))
    }

    /// "N MCI" in a year as whole tenge: N × MCI(year), checked.
    pub fn tenge(&self, mci_count: i64, year: i32) -> Result<i64, MoneyError> {
        let mci = self.get(year)?;
        mci_count.checked_mul(mci).ok_or(MoneyError::Overflow)
    }
}

fn parse_year(key: &str) -> Result<i32, MoneyError> {
    // Only plain decimal years; "+2025" or " 2025" are more likely typos than intent.
    if key.is_empty() || key.len() > 6 || !key.bytes().all(|b| b.is_ascii_digit()) {
        return Err(MoneyError::InvalidYear {
            key: key.to_owned(),
        });
    }
    key.parse().map_err(|_| MoneyError::InvalidYear {
        key: key.to_owned(),
    })
}

/// `percent`% of `amount`, rounded down (floor); saturates at the i64 range instead of overflowing.
pub fn percent_of(amount: i64, percent: i64) -> i64 {
    let exact = i128::from(amount) * i128::from(percent);
    let floored = exact.div_euclid(100);
    i64::try_from(floored).unwrap_or(if floored < 0 { i64::MIN } else { i64::MAX })
}

/// `percent`% of `amount`, rounded down (floor), or `Overflow` when it does not fit in i64.
pub fn checked_percent_of(amount: i64, percent: i64) -> Result<i64, MoneyError> {
    let exact = i128::from(amount) * i128::from(percent);
    i64::try_from(exact.div_euclid(100)).map_err(|_| MoneyError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn default_table_has_spec_values() {
        let t = MciTable::kazakhstan_default();
        let pairs: Vec<_> = t.years().collect();
        assert_eq!(
            pairs,
            vec![(2023, 3450), (2024, 3692), (2025, 3932), (2026, 4325)]
        );
    }

    #[test]
    fn spec_worked_example_2025() {
        let t = MciTable::kazakhstan_default();
        // Family of 4: relocation subsidy 70 MCI per person.
        assert_eq!(t.tenge(70 * 4, 2025), Ok(1_100_960));
        assert_eq!(t.tenge(15, 2025), Ok(58_980));
        assert_eq!(t.tenge(30, 2025), Ok(117_960));
        assert_eq!(t.tenge(1160, 2025), Ok(4_561_120));
    }

    #[test]
    fn year_2026_uses_its_own_mci() {
        let t = MciTable::kazakhstan_default();
        assert_eq!(t.get(2026), Ok(4_325));
        assert_eq!(t.tenge(280, 2026), Ok(1_211_000));
    }

    #[test]
    fn missing_year_names_the_year() {
        let t = MciTable::kazakhstan_default();
        let err = t.tenge(1, 2027).unwrap_err();
        assert_eq!(err, MoneyError::MciNotSet { year: 2027 });
        assert!(err.to_string().contains("2027"));
    }

    #[test]
    fn set_adds_a_year() {
        let mut t = MciTable::kazakhstan_default();
        t.set(2027, 4500);
        assert_eq!(t.tenge(2, 2027), Ok(9000));
        t.set(2027, 4600);
        assert_eq!(t.get(2027), Ok(4600));
    }

    #[test]
    fn from_pairs_and_overflow() {
        let t = MciTable::from_pairs([(2025, 3932), (2024, 3692)]);
        assert_eq!(t.years().next(), Some((2024, 3692)));
        assert_eq!(t.tenge(i64::MAX, 2025), Err(MoneyError::Overflow));
        assert_eq!(t.tenge(-1, 2025), Ok(-3932));
    }

    #[test]
    fn bad_toml_is_rejected() {
        assert!(matches!(
            MciTable::from_toml("[mci]\n2025 = \"x\""),
            Err(MoneyError::InvalidToml(_))
        ));
        assert!(matches!(
            MciTable::from_toml("[mci]\nnext = 1"),
            Err(MoneyError::InvalidYear { .. })
        ));
        assert_eq!(
            MciTable::from_toml("[mci]\n2025 = 0"),
            Err(MoneyError::NonPositiveMci {
                year: 2025,
                tenge: 0
            })
        );
        assert!(matches!(
            MciTable::from_toml("[other]\n2025 = 1"),
            Err(MoneyError::InvalidToml(_))
        ));
    }

    #[test]
    fn percent_of_floors() {
        assert_eq!(percent_of(10_000_001, 50), 5_000_000);
        assert_eq!(percent_of(3, 50), 1);
        assert_eq!(percent_of(-3, 50), -2);
        assert_eq!(percent_of(i64::MAX, 200), i64::MAX);
        assert_eq!(percent_of(i64::MIN, 200), i64::MIN);
        assert_eq!(checked_percent_of(i64::MAX, 200), Err(MoneyError::Overflow));
        // Certificate: 50% of the housing cost, capped at 1,160 MCI of 2025.
        let cap = MciTable::kazakhstan_default().tenge(1160, 2025).unwrap();
        assert_eq!(percent_of(12_000_000, 50).min(cap), 4_561_120);
        assert_eq!(percent_of(8_000_000, 50).min(cap), 4_000_000);
    }

    proptest! {
        #[test]
        fn percent_of_never_panics_and_is_floor(a in any::<i64>(), p in any::<i64>()) {
            let r = percent_of(a, p);
            if let Ok(c) = checked_percent_of(a, p) {
                prop_assert_eq!(r, c);
                let exact = i128::from(a) * i128::from(p);
                prop_assert!(i128::from(c) * 100 <= exact);
                prop_assert!(exact < (i128::from(c) + 1) * 100);
            }
        }

        #[test]
        fn tenge_never_panics(n in any::<i64>(), y in any::<i32>()) {
            let _ = MciTable::kazakhstan_default().tenge(n, y);
        }

        #[test]
        fn from_toml_never_panics(s in "\\PC*") {
            let _ = MciTable::from_toml(&s);
        }
    }
}

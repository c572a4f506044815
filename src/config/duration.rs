//! Durations of the settings. Deployed files and variables give them as bare numbers in the
//! unit the setting's name ends with (`_ms`, `_s`), so a bare number keeps that meaning; a
//! number with its unit (`500ms`, `5s`, `1h 30m`, as humantime reads them) is taken as written,
//! so neither form can be mistaken for the other.

use serde::de::{self, Deserialize, Deserializer, Visitor};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A duration whose bare numbers count units of `UNIT_MS` milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationIn<const UNIT_MS: u64>(pub Duration);

/// A setting named `…_ms`.
pub type Millis = DurationIn<1>;
/// A setting named `…_s`.
pub type Seconds = DurationIn<1000>;

impl<const UNIT_MS: u64> DurationIn<UNIT_MS> {
    fn from_units(units: u64) -> Result<Self, String> {
        units
            .checked_mul(UNIT_MS)
            .map(|ms| DurationIn(Duration::from_millis(ms)))
            .ok_or_else(|| format!("{units} is too long a time"))
    }
}

/// A bare number, in the setting's unit.
impl<const UNIT_MS: u64> From<u64> for DurationIn<UNIT_MS> {
    fn from(units: u64) -> Self {
        DurationIn(Duration::from_millis(units.saturating_mul(UNIT_MS)))
    }
}

impl<const UNIT_MS: u64> FromStr for DurationIn<UNIT_MS> {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            let units = text
                .parse()
                .map_err(|_| format!("{text} is too long a time"))?;
            return Self::from_units(units);
        }
        humantime::parse_duration(text).map(DurationIn).map_err(|e| {
            let unit = if UNIT_MS == 1 { "milliseconds" } else { "seconds" };
            format!("`{text}` is not a duration ({e}): give {unit} or a number with its unit, such as 500ms or 5s")
        })
    }
}

impl<'de, const UNIT_MS: u64> Deserialize<'de> for DurationIn<UNIT_MS> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Units<const UNIT_MS: u64>;
        impl<const UNIT_MS: u64> Visitor<'_> for Units<UNIT_MS> {
            type Value = DurationIn<UNIT_MS>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a whole number in the key's unit, or a string such as \"500ms\" or \"5s\"",
                )
            }
            fn visit_u64<E: de::Error>(self, units: u64) -> Result<Self::Value, E> {
                DurationIn::from_units(units).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, units: i64) -> Result<Self::Value, E> {
                let units = u64::try_from(units)
                    .map_err(|_| E::custom(format!("{units}: a time cannot be negative")))?;
                self.visit_u64(units)
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                text.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_any(Units::<UNIT_MS>)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_numbers_keep_the_unit_of_the_name_and_units_are_taken_as_written() {
        assert_eq!("1000".parse::<Millis>().unwrap().0, Duration::from_secs(1));
        assert_eq!(
            "300".parse::<Seconds>().unwrap().0,
            Duration::from_secs(300)
        );
        assert_eq!("1s".parse::<Millis>().unwrap().0, Duration::from_secs(1));
        assert_eq!(
            "500ms".parse::<Seconds>().unwrap().0,
            Duration::from_millis(500)
        );
        assert_eq!(
            "1h 30m".parse::<Seconds>().unwrap().0,
            Duration::from_secs(5400)
        );
        assert_eq!("0".parse::<Millis>().unwrap().0, Duration::ZERO);
        for bad in ["", "-5", "5 parsecs", "1.5", "99999999999999999999"] {
            let error = bad.parse::<Millis>().unwrap_err();
            assert!(!error.is_empty(), "{bad}");
        }
        assert!(u64::MAX.to_string().parse::<Seconds>().is_err(), "overflow");
    }

    #[test]
    fn toml_takes_integers_in_the_unit_and_strings_with_one() {
        #[derive(serde::Deserialize)]
        struct Keys {
            wait_ms: Millis,
            age_s: Seconds,
        }
        let keys: Keys = toml::from_str("wait_ms = 250\nage_s = \"2m\"").unwrap();
        assert_eq!(keys.wait_ms.0, Duration::from_millis(250));
        assert_eq!(keys.age_s.0, Duration::from_secs(120));
        assert!(toml::from_str::<Keys>("wait_ms = -1\nage_s = 1").is_err());
        assert!(toml::from_str::<Keys>("wait_ms = 1.5\nage_s = 1").is_err());
    }
}

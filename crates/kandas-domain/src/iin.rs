//! Individual identification number (IIN): validation, decoding and issuing (SPEC 2.1).
//!
//! The digits are personal data, so neither `Debug` nor `Display` ever prints them.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use thiserror::Error;

/// Number of digits in an IIN.
pub const IIN_LEN: usize = 12;

/// Highest serial number that fits in digits 8–11.
pub const MAX_SERIAL: u16 = 9999;

/// First birth year an IIN can encode (century digit 1/2).
pub const MIN_BIRTH_YEAR: i32 = 1800;

/// Last birth year an IIN can encode (century digit 5/6).
pub const MAX_BIRTH_YEAR: i32 = 2099;

const FIRST_PASS_WEIGHTS: [u32; 11] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const SECOND_PASS_WEIGHTS: [u32; 11] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

/// Sex as encoded in digit 7 of an IIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// Odd century-sex digit.
    Male,
    /// Even century-sex digit.
    Female,
}

impl Sex {
    /// Stable name used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }

    pub fn parse(name: &str) -> Option<Sex> {
        [Sex::Male, Sex::Female]
            .into_iter()
            .find(|s| s.as_str() == name)
    }
}

/// Why a string is not a valid IIN, or why an IIN cannot be issued.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IinError {
    /// The input is not 12 characters long.
    #[error("IIN must be exactly 12 digits, found {found} characters")]
    WrongLength {
        /// Number of characters found.
        found: usize,
    },
    /// The input contains something other than ASCII digits.
    #[error("IIN must contain only ASCII digits 0-9")]
    NotDigits,
    /// The 12th digit does not match the digit computed from the first 11.
    #[error("IIN check digit is {found}, expected {expected}")]
    InvalidCheckDigit {
        /// Check digit computed from the first 11 digits.
        expected: u8,
        /// Check digit present in the input.
        found: u8,
    },
    /// Both weighting passes give 10, so no IIN with these first 11 digits is ever issued.
    #[error("IIN cannot exist: its first 11 digits have no valid check digit")]
    NeverIssued,
    /// The birth year lies outside the centuries an IIN can encode.
    #[error("birth year {year} cannot be encoded in an IIN (allowed 1800-2099)")]
    BirthYearOutOfRange {
        /// The rejected year.
        year: i32,
    },
    /// The serial number does not fit in four digits.
    #[error("IIN serial number must be between 0 and 9999")]
    SerialOutOfRange,
}

impl IinError {
    /// Short machine-friendly name of the violated rule, for error details.
    pub fn rule(&self) -> &'static str {
        match self {
            IinError::WrongLength { .. } => "IIN_LENGTH",
            IinError::NotDigits => "IIN_DIGITS",
            IinError::InvalidCheckDigit { .. } => "IIN_CHECK_DIGIT",
            IinError::NeverIssued => "IIN_NEVER_ISSUED",
            IinError::BirthYearOutOfRange { .. } => "IIN_BIRTH_YEAR",
            IinError::SerialOutOfRange => "IIN_SERIAL",
        }
    }
}

/// What the digits of an IIN say; fields are `None` where the digits do not form a valid value.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct IinDecoded {
    /// Birth date from digits 1–6 and the century of digit 7.
    pub birth_date: Option<NaiveDate>,
    /// Sex from digit 7.
    pub sex: Option<Sex>,
    /// First year of the century from digit 7: 1800, 1900 or 2000.
    pub century: Option<i32>,
    /// Serial number, digits 8–11.
    pub serial: u16,
}

// Birth date and sex are personal data too.
impl fmt::Debug for IinDecoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IinDecoded(***)")
    }
}

/// Whether an IIN's digits agree with a holder's recorded birth date and sex (a hint, never a rejection).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IinAgreement {
    /// Digits 1–7 encode the given birth date.
    pub birth_date_matches: bool,
    /// Digit 7 encodes the given sex.
    pub sex_matches: bool,
}

impl IinAgreement {
    /// True when both birth date and sex agree.
    pub fn all_match(&self) -> bool {
        self.birth_date_matches && self.sex_matches
    }
}

/// A syntactically valid IIN (12 digits, correct check digit).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Iin(String);

impl fmt::Debug for Iin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Iin(***)")
    }
}

impl fmt::Display for Iin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl FromStr for Iin {
    type Err = IinError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Iin::parse(s)
    }
}

impl Iin {
    /// Validates format and check digit only; birth date and sex are not checked (SPEC 2.1).
    pub fn parse(s: &str) -> Result<Iin, IinError> {
        let digits = to_digits(s)?;
        let mut first11 = [0u8; 11];
        first11.copy_from_slice(&digits[..11]);
        let found = digits[11];
        match check_digit(&first11) {
            None => Err(IinError::NeverIssued),
            Some(expected) if expected != found => {
                Err(IinError::InvalidCheckDigit { expected, found })
            }
            Some(_) => Ok(Iin(s.to_owned())),
        }
    }

    /// The 12 digits, for deliberate use (storage, responses); never log this.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Reads birth date, sex, century and serial from the digits; never fails.
    pub fn decode(&self) -> IinDecoded {
        let d = self.digit_values();
        let century = century_of(d[6]);
        let sex = sex_of(d[6]);
        let birth_date = century.and_then(|c| {
            let year = c + i32::from(d[0]) * 10 + i32::from(d[1]);
            let month = u32::from(d[2]) * 10 + u32::from(d[3]);
            let day = u32::from(d[4]) * 10 + u32::from(d[5]);
            NaiveDate::from_ymd_opt(year, month, day)
        });
        let serial = d[7..11]
            .iter()
            .fold(0u16, |acc, &x| acc * 10 + u16::from(x));
        IinDecoded {
            birth_date,
            sex,
            century,
            serial,
        }
    }

    /// Compares the encoded birth date and sex with the holder's recorded ones.
    pub fn agrees_with(&self, birth_date: NaiveDate, sex: Sex) -> IinAgreement {
        let decoded = self.decode();
        IinAgreement {
            birth_date_matches: decoded.birth_date == Some(birth_date),
            sex_matches: decoded.sex == Some(sex),
        }
    }

    /// The first 7 digits (birth date and century-sex digit) of IINs issued for this person.
    pub fn prefix(birth_date: NaiveDate, sex: Sex) -> Result<String, IinError> {
        let year = birth_date.year();
        let century_sex = century_sex_digit(year, sex)?;
        Ok(format!(
            "{:02}{:02}{:02}{}",
            year.rem_euclid(100),
            birth_date.month(),
            birth_date.day(),
            century_sex
        ))
    }

    /// Completes a 7-digit prefix with a serial and check digit; `None` if the prefix is not 7 digits,
    /// the serial exceeds 9999, or no check digit exists for this serial.
    pub fn from_prefix_and_serial(prefix: &str, serial: u16) -> Option<Iin> {
        if serial > MAX_SERIAL || prefix.len() != 7 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let body = format!("{prefix}{serial:04}");
        let mut first11 = [0u8; 11];
        for (slot, b) in first11.iter_mut().zip(body.bytes()) {
            *slot = b - b'0';
        }
        let check = check_digit(&first11)?;
        Some(Iin(format!("{body}{check}")))
    }

    /// Builds the IIN for a birth date, sex and serial; `Ok(None)` means this serial can never be
    /// issued and the caller takes the next one.
    pub fn generate(birth_date: NaiveDate, sex: Sex, serial: u16) -> Result<Option<Iin>, IinError> {
        if serial > MAX_SERIAL {
            return Err(IinError::SerialOutOfRange);
        }
        let prefix = Iin::prefix(birth_date, sex)?;
        Ok(Iin::from_prefix_and_serial(&prefix, serial))
    }

    fn digit_values(&self) -> [u8; IIN_LEN] {
        let mut out = [0u8; IIN_LEN];
        // Construction guarantees 12 ASCII digits; `saturating_sub` keeps this total anyway.
        for (slot, b) in out.iter_mut().zip(self.0.bytes()) {
            *slot = b.saturating_sub(b'0');
        }
        out
    }
}

/// Check digit of an IIN from its first 11 digits; `None` when both passes give 10
/// (or when a value above 9 is passed, which is not a digit).
pub fn check_digit(first11: &[u8; 11]) -> Option<u8> {
    if first11.iter().any(|&d| d > 9) {
        return None;
    }
    let first = weighted_mod11(first11, &FIRST_PASS_WEIGHTS);
    if first < 10 {
        return Some(first);
    }
    // The second pass exists only to rescue numbers whose first pass gives 10.
    let second = weighted_mod11(first11, &SECOND_PASS_WEIGHTS);
    if second < 10 { Some(second) } else { None }
}

fn weighted_mod11(digits: &[u8; 11], weights: &[u32; 11]) -> u8 {
    let sum: u32 = digits
        .iter()
        .zip(weights)
        .map(|(&d, &w)| u32::from(d) * w)
        .sum();
    // A remainder of 11 is always below 11, so it fits in u8.
    (sum % 11) as u8
}

fn to_digits(s: &str) -> Result<[u8; IIN_LEN], IinError> {
    // Count characters, not bytes, so a caller sending non-ASCII text gets a sensible length.
    let found = s.chars().count();
    if found != IIN_LEN {
        return Err(IinError::WrongLength { found });
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IinError::NotDigits);
    }
    let mut out = [0u8; IIN_LEN];
    for (slot, b) in out.iter_mut().zip(s.bytes()) {
        *slot = b - b'0';
    }
    Ok(out)
}

fn century_of(century_sex: u8) -> Option<i32> {
    match century_sex {
        1 | 2 => Some(1800),
        3 | 4 => Some(1900),
        5 | 6 => Some(2000),
        _ => None,
    }
}

fn sex_of(century_sex: u8) -> Option<Sex> {
    match century_sex {
        1 | 3 | 5 => Some(Sex::Male),
        2 | 4 | 6 => Some(Sex::Female),
        _ => None,
    }
}

fn century_sex_digit(year: i32, sex: Sex) -> Result<u8, IinError> {
    let male_digit = match year {
        1800..=1899 => 1,
        1900..=1999 => 3,
        2000..=2099 => 5,
        _ => return Err(IinError::BirthYearOutOfRange { year }),
    };
    Ok(match sex {
        Sex::Male => male_digit,
        Sex::Female => male_digit + 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    #[test]
    fn spec_vectors_valid_first_pass() {
        for s in ["871008401427", "760212350620", "800416300257"] {
            let iin = Iin::parse(s).expect(s);
            assert_eq!(iin.as_str(), s);
        }
    }

    #[test]
    fn spec_vectors_valid_second_pass() {
        for s in ["830717350867", "061211600012"] {
            let mut first11 = [0u8; 11];
            for (slot, b) in first11.iter_mut().zip(s.bytes()) {
                *slot = b - b'0';
            }
            assert_eq!(weighted_mod11(&first11, &FIRST_PASS_WEIGHTS), 10, "{s}");
            assert!(Iin::parse(s).is_ok(), "{s}");
        }
    }

    #[test]
    fn spec_vector_never_issued() {
        let err = Iin::parse("000813159890").unwrap_err();
        assert_eq!(err, IinError::NeverIssued);
        assert_eq!(err.rule(), "IIN_NEVER_ISSUED");
        assert_eq!(
            check_digit(&[0, 0, 0, 8, 1, 3, 1, 5, 9, 8, 9]),
            None,
            "both passes give 10"
        );
    }

    #[test]
    fn wrong_check_digit_is_reported() {
        let err = Iin::parse("871008401428").unwrap_err();
        assert_eq!(
            err,
            IinError::InvalidCheckDigit {
                expected: 7,
                found: 8
            }
        );
        assert_eq!(err.rule(), "IIN_CHECK_DIGIT");
    }

    #[test]
    fn format_errors() {
        assert_eq!(
            Iin::parse("87100840142").unwrap_err(),
            IinError::WrongLength { found: 11 }
        );
        assert_eq!(
            Iin::parse("").unwrap_err(),
            IinError::WrongLength { found: 0 }
        );
        assert_eq!(Iin::parse("87100840142a").unwrap_err(), IinError::NotDigits);
        assert_eq!(Iin::parse(" 87100840142").unwrap_err(), IinError::NotDigits);
        // Twelve non-ASCII digits: right length in characters, but not ASCII digits.
        assert_eq!(Iin::parse("١٢٣٤٥٦٧٨٩٠١٢").unwrap_err(), IinError::NotDigits);
        assert_eq!(Iin::parse("x").unwrap_err().rule(), "IIN_LENGTH");
        assert_eq!(Iin::parse("abcdefghijkl").unwrap_err().rule(), "IIN_DIGITS");
    }

    #[test]
    fn decode_spec_vectors() {
        let d = Iin::parse("871008401427").unwrap().decode();
        assert_eq!(d.birth_date, Some(date(1987, 10, 8)));
        assert_eq!(d.sex, Some(Sex::Female));
        assert_eq!(d.century, Some(1900));
        assert_eq!(d.serial, 142);

        let d = Iin::parse("061211600012").unwrap().decode();
        assert_eq!(d.birth_date, Some(date(2006, 12, 11)));
        assert_eq!(d.sex, Some(Sex::Female));
        assert_eq!(d.century, Some(2000));
        assert_eq!(d.serial, 1);

        let d = Iin::parse("830717350867").unwrap().decode();
        assert_eq!(d.birth_date, Some(date(1983, 7, 17)));
        assert_eq!(d.sex, Some(Sex::Male));
    }

    #[test]
    fn decode_tolerates_meaningless_digits() {
        // Century digit 0 and month 13: still a valid IIN since 2013 digits need not mean anything.
        let iin = Iin::from_prefix_and_serial("991399012", 0);
        assert!(iin.is_none(), "prefix must be 7 digits");
        let iin = Iin::from_prefix_and_serial("9913990", 12).expect("has a check digit");
        let d = iin.decode();
        assert_eq!(d.birth_date, None);
        assert_eq!(d.sex, None);
        assert_eq!(d.century, None);
        assert_eq!(d.serial, 12);
    }

    #[test]
    fn personal_data_is_not_printed() {
        let iin = Iin::parse("871008401427").unwrap();
        assert_eq!(format!("{iin:?}"), "Iin(***)");
        assert_eq!(format!("{iin}"), "***");
        assert_eq!(format!("{:?}", iin.decode()), "IinDecoded(***)");
        let err = Iin::parse("871008401428").unwrap_err();
        assert!(!err.to_string().contains("87100840"));
    }

    #[test]
    fn prefix_and_generate() {
        assert_eq!(
            Iin::prefix(date(1987, 10, 8), Sex::Female).unwrap(),
            "8710084"
        );
        assert_eq!(Iin::prefix(date(1899, 1, 2), Sex::Male).unwrap(), "9901021");
        assert_eq!(
            Iin::prefix(date(2006, 12, 11), Sex::Female).unwrap(),
            "0612116"
        );
        let iin = Iin::generate(date(1987, 10, 8), Sex::Female, 142)
            .unwrap()
            .unwrap();
        assert_eq!(iin.as_str(), "871008401427");
        let iin = Iin::generate(date(2006, 12, 11), Sex::Female, 1)
            .unwrap()
            .unwrap();
        assert_eq!(iin.as_str(), "061211600012");
    }

    #[test]
    fn generate_rejects_unencodable_input() {
        assert_eq!(
            Iin::generate(date(1799, 12, 31), Sex::Male, 1).unwrap_err(),
            IinError::BirthYearOutOfRange { year: 1799 }
        );
        assert_eq!(
            Iin::generate(date(2100, 1, 1), Sex::Female, 1).unwrap_err(),
            IinError::BirthYearOutOfRange { year: 2100 }
        );
        assert_eq!(
            Iin::generate(date(2000, 1, 1), Sex::Male, 10_000).unwrap_err(),
            IinError::SerialOutOfRange
        );
        assert!(Iin::from_prefix_and_serial("0001015", 10_000).is_none());
    }

    #[test]
    fn generate_skips_serials_that_cannot_exist() {
        // 000813 1 5989 (born 1800-08-13, male): both passes give 10, so serial 5989 is never
        // issued for this prefix.
        assert_eq!(
            Iin::generate(date(1800, 8, 13), Sex::Male, 5989).unwrap(),
            None
        );
        assert!(
            Iin::generate(date(1800, 8, 13), Sex::Male, 5990)
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn agreement_is_a_hint() {
        let iin = Iin::parse("871008401427").unwrap();
        assert!(iin.agrees_with(date(1987, 10, 8), Sex::Female).all_match());
        let a = iin.agrees_with(date(1987, 10, 9), Sex::Male);
        assert!(!a.birth_date_matches);
        assert!(!a.sex_matches);
    }

    #[test]
    fn from_str_matches_parse() {
        let iin: Iin = "760212350620".parse().unwrap();
        assert_eq!(iin.as_str(), "760212350620");
    }

    fn any_birth_date() -> impl Strategy<Value = NaiveDate> {
        let first = date(MIN_BIRTH_YEAR, 1, 1);
        let span = (date(MAX_BIRTH_YEAR, 12, 31) - first).num_days();
        (0..=span).prop_map(move |n| first + chrono::Duration::days(n))
    }

    proptest! {
        #[test]
        fn generate_parse_decode_round_trip(
            birth in any_birth_date(),
            male in any::<bool>(),
            serial in 0u16..=MAX_SERIAL,
        ) {
            let sex = if male { Sex::Male } else { Sex::Female };
            // Take the next issuable serial, as the issuing procedure does.
            let mut s = serial;
            let iin = loop {
                if let Some(iin) = Iin::generate(birth, sex, s).unwrap() {
                    break iin;
                }
                s = if s == MAX_SERIAL { 0 } else { s + 1 };
            };
            let parsed = Iin::parse(iin.as_str()).unwrap();
            let decoded = parsed.decode();
            prop_assert_eq!(decoded.birth_date, Some(birth));
            prop_assert_eq!(decoded.sex, Some(sex));
            prop_assert_eq!(decoded.serial, s);
            prop_assert!(parsed.agrees_with(birth, sex).all_match());
        }

        #[test]
        fn twelve_digits_parse_or_give_a_check_digit_error(s in "[0-9]{12}") {
            match Iin::parse(&s) {
                Ok(iin) => {
                    prop_assert_eq!(iin.as_str(), s.as_str());
                    let _ = iin.decode();
                }
                Err(IinError::InvalidCheckDigit { expected, found }) => {
                    prop_assert!(expected <= 9 && found <= 9 && expected != found);
                }
                Err(IinError::NeverIssued) => {}
                Err(other) => prop_assert!(false, "unexpected error {other:?}"),
            }
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC*") {
            if let Ok(iin) = Iin::parse(&s) {
                let _ = iin.decode();
            }
        }

        #[test]
        fn from_prefix_never_panics(p in "\\PC{0,9}", serial in any::<u16>()) {
            if let Some(iin) = Iin::from_prefix_and_serial(&p, serial) {
                prop_assert!(Iin::parse(iin.as_str()).is_ok());
            }
        }
    }
}

//! The verification code printed on a re-issued kandas certificate (SPEC 5.7): whoever holds
//! the paper types it in to learn whether the certificate holds today.
//!
//! Decision: 80 random bits written as 16 Crockford base32 symbols in four groups, e.g.
//! `7K2Q-9XMD-R4TB-H3NC`. Base32 without I, L, O and U leaves nothing to misread, and a
//! code is read back in either case, with or without the dashes, and with I/L taken for 1 and
//! O for 0, as Crockford's alphabet prescribes. 80 bits keep a code out of reach of anyone
//! trying codes at the service's full rate for years; the randomness comes from the caller
//! (the operating system's generator), so this module stays pure.

use std::fmt;

/// How many random bytes make one code: 80 bits, 16 symbols of 5 bits.
pub const RANDOM_BYTES: usize = 10;

const SYMBOLS: usize = 16;
const GROUP: usize = 4;
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A well-formed code, held in its stored form: 16 upper-case symbols, no dashes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VerificationCode(String);

/// Why a typed code is not one this service could have printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeError {
    Empty,
    /// The number of symbols once dashes and spaces are dropped.
    Length(usize),
    /// A character outside Crockford's base32 (the letter U, or punctuation).
    Character(char),
}

impl fmt::Display for CodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let form = "16 letters and digits, as printed (e.g. 7K2Q-9XMD-R4TB-H3NC)";
        match self {
            CodeError::Empty => write!(f, "required: the verification code, {form}"),
            CodeError::Length(n) => write!(f, "has {n} letters and digits; a code has {form}"),
            CodeError::Character(c) => {
                write!(f, "`{c}` is not in a verification code, which has {form}")
            }
        }
    }
}

/// The symbol a typed character stands for, Crockford's way.
fn symbol(c: char) -> Option<u8> {
    let upper = match c.to_ascii_uppercase() {
        'I' | 'L' => '1',
        'O' => '0',
        other => other,
    };
    u8::try_from(upper).ok().filter(|b| ALPHABET.contains(b))
}

impl VerificationCode {
    /// The code these random bytes spell: every 80-bit value gives a different code.
    pub fn from_random(bytes: [u8; RANDOM_BYTES]) -> Self {
        let value = bytes
            .iter()
            .fold(0u128, |acc, &byte| (acc << 8) | u128::from(byte));
        let code = (0..SYMBOLS)
            .map(|i| {
                let shift = 5 * (SYMBOLS - 1 - i);
                char::from(ALPHABET[((value >> shift) & 0x1f) as usize])
            })
            .collect();
        VerificationCode(code)
    }

    /// Reads a code as a person types it: any case, dashes and spaces anywhere.
    pub fn parse(typed: &str) -> Result<Self, CodeError> {
        let mut code = String::with_capacity(SYMBOLS);
        for c in typed.chars().filter(|c| *c != '-' && !c.is_whitespace()) {
            let s = symbol(c).ok_or(CodeError::Character(c))?;
            code.push(char::from(s));
        }
        match code.len() {
            0 => Err(CodeError::Empty),
            SYMBOLS => Ok(VerificationCode(code)),
            n => Err(CodeError::Length(n)),
        }
    }

    /// The stored form: 16 upper-case symbols.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The printed form, in groups of four joined by dashes.
impl fmt::Display for VerificationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, group) in self.0.as_bytes().chunks(GROUP).enumerate() {
            if i > 0 {
                f.write_str("-")?;
            }
            // The stored form is ASCII, so every chunk is whole characters.
            f.write_str(std::str::from_utf8(group).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_code_is_printed_in_four_groups_of_four() {
        let code = VerificationCode::from_random([0; RANDOM_BYTES]);
        assert_eq!(code.to_string(), "0000-0000-0000-0000");
        let code = VerificationCode::from_random([0xff; RANDOM_BYTES]);
        assert_eq!(code.to_string(), "ZZZZ-ZZZZ-ZZZZ-ZZZZ");
        let code = VerificationCode::from_random([0, 0, 0, 0, 0, 0, 0, 0, 0, 33]);
        assert_eq!(code.as_str(), "0000000000000011");
    }

    #[test]
    fn a_code_is_read_in_any_case_with_or_without_dashes() {
        let printed = VerificationCode::parse("7K2Q-9XMD-R4TB-H3NC").unwrap();
        assert_eq!(printed.as_str(), "7K2Q9XMDR4TBH3NC");
        for typed in [
            "7k2q-9xmd-r4tb-h3nc",
            "7K2Q9XMDR4TBH3NC",
            " 7K2Q 9XMD R4TB H3NC ",
            "7k2q9xmd-r4tbh3nc",
        ] {
            assert_eq!(
                VerificationCode::parse(typed),
                Ok(printed.clone()),
                "{typed}"
            );
        }
    }

    #[test]
    fn letters_that_look_like_digits_are_read_as_those_digits() {
        assert_eq!(
            VerificationCode::parse("IOL0-0000-0000-0000")
                .unwrap()
                .as_str(),
            "1010000000000000"
        );
    }

    #[test]
    fn what_no_code_can_be_is_refused_with_the_rule() {
        assert_eq!(VerificationCode::parse(""), Err(CodeError::Empty));
        assert_eq!(VerificationCode::parse(" - "), Err(CodeError::Empty));
        assert_eq!(
            VerificationCode::parse("7K2Q-9XMD-R4TB"),
            Err(CodeError::Length(12))
        );
        assert_eq!(
            VerificationCode::parse("7K2Q-9XMD-R4TB-H3NC-0"),
            Err(CodeError::Length(17))
        );
        assert_eq!(
            VerificationCode::parse("7K2Q-9XMD-R4TB-H3NU"),
            Err(CodeError::Character('U'))
        );
        assert_eq!(
            VerificationCode::parse("7K2Q_9XMD"),
            Err(CodeError::Character('_'))
        );
        assert_eq!(
            VerificationCode::parse("7K2Q-9XMD-R4TB-H3NӘ"),
            Err(CodeError::Character('Ә'))
        );
        assert!(
            CodeError::Length(12)
                .to_string()
                .contains("16 letters and digits")
        );
    }

    proptest! {
        #[test]
        fn every_code_reads_back_from_its_printed_form_in_either_case(
            bytes in any::<[u8; RANDOM_BYTES]>()
        ) {
            let code = VerificationCode::from_random(bytes);
            let printed = code.to_string();
            prop_assert_eq!(printed.len(), 19);
            prop_assert_eq!(VerificationCode::parse(&printed), Ok(code.clone()));
            prop_assert_eq!(VerificationCode::parse(&printed.to_lowercase()), Ok(code.clone()));
        }

        #[test]
        fn different_random_bytes_give_different_codes(
            a in any::<[u8; RANDOM_BYTES]>(),
            b in any::<[u8; RANDOM_BYTES]>()
        ) {
            prop_assume!(a != b);
            prop_assert_ne!(VerificationCode::from_random(a), VerificationCode::from_random(b));
        }
    }
}

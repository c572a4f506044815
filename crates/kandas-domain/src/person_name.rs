//! A person's surname, given name or patronymic (SPEC §2.3).
//!
//! Decision: a name holds letters (Unicode L*), combining marks (M*), the space U+0020, the
//! hyphens U+002D and U+2010, the apostrophes U+0027 and U+2019 (U+02BC and U+02BB are modifier
//! letters, so letters already) and the full stop, with at least one letter that is not a
//! modifier letter. Every other character is refused: controls and format characters
//! (bidirectional overrides, zero-width characters, the byte order mark) because they change
//! how a name reads without changing how it looks, other spaces and look-alike punctuation
//! because they make one name into two that look the same, and digits and symbols because no
//! person is named with them.

use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};

/// Longest name kept, in characters (Unicode scalar values).
pub const MAX_CHARS: usize = 100;

/// Characters besides letters and combining marks that a name may hold.
const PUNCTUATION: [char; 6] = [' ', '-', '\u{2010}', '\'', '\u{2019}', '.'];

/// A name as registered: trimmed of spaces and otherwise as given.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PersonName(String);

/// The rule a name breaks. A refused character is named by its code point only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("required: 1 to {MAX_CHARS} characters with at least one letter")]
    Empty,
    #[error("at most {MAX_CHARS} characters, not {0}")]
    TooLong(usize),
    #[error(
        "must not contain control or format characters such as bidirectional overrides or zero-width characters (U+{0:04X} found)"
    )]
    Invisible(u32),
    #[error(
        "may hold only letters, combining marks, spaces, hyphens, apostrophes and full stops (U+{0:04X} found)"
    )]
    NotAllowed(u32),
    #[error("must contain at least one letter")]
    NoLetter,
}

impl PersonName {
    /// Parses a required name.
    pub fn parse(value: &str) -> Result<PersonName, NameError> {
        let name = value.trim_matches(' ');
        if name.is_empty() {
            return Err(NameError::Empty);
        }
        if let Some(c) = name.chars().find(|c| is_invisible(*c)) {
            return Err(NameError::Invisible(u32::from(c)));
        }
        if let Some(c) = name.chars().find(|c| !is_allowed(*c)) {
            return Err(NameError::NotAllowed(u32::from(c)));
        }
        let count = name.chars().count();
        if count > MAX_CHARS {
            return Err(NameError::TooLong(count));
        }
        if !name.chars().any(is_letter) {
            return Err(NameError::NoLetter);
        }
        Ok(PersonName(name.to_string()))
    }

    /// Parses a name a person may not have (a patronymic): nothing but spaces is no name.
    pub fn parse_optional(value: &str) -> Result<Option<PersonName>, NameError> {
        if value.trim_matches(' ').is_empty() {
            Ok(None)
        } else {
            PersonName::parse(value).map(Some)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Controls (Cc) and format characters (Cf).
fn is_invisible(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Control | GeneralCategory::Format
    )
}

fn is_allowed(c: char) -> bool {
    matches!(
        c.general_category_group(),
        GeneralCategoryGroup::Letter | GeneralCategoryGroup::Mark
    ) || PUNCTUATION.contains(&c)
}

/// A letter that stands for a sound of its own: a modifier letter (an apostrophe-like ʼ, the
/// Arabic tatweel) alone makes no name.
fn is_letter(c: char) -> bool {
    c.general_category_group() == GeneralCategoryGroup::Letter
        && c.general_category() != GeneralCategory::ModifierLetter
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_of_the_scripts_kandas_write_in_are_accepted() {
        for name in [
            "Nurlanov",
            "Әбілқасымова",
            "Ғалымжан",
            "Қуаныш Ұлықбек",
            "Үмітжан Өмірзақ Һ",
            "Іңкәр",
            "Nurlanuly-Seitkali",
            "O'Brien",
            "Nur\u{2019}lan",
            "Zhumagaliyevʼ",
            "Žaneta Müller-Lüdenscheidt",
            "J. R.",
            "努尔兰",
            "محمد",
            "ᠨᠤᠷᠯᠠᠨ",
            "e\u{301}",
        ] {
            assert_eq!(
                PersonName::parse(name).map(|n| n.as_str().to_string()),
                Ok(name.to_string()),
                "{name}"
            );
        }
    }

    #[test]
    fn spaces_around_a_name_are_trimmed_and_nothing_else_changes() {
        let name = PersonName::parse("  Nurlanov  Aidos ").unwrap();
        assert_eq!(name.as_str(), "Nurlanov  Aidos");
    }

    #[test]
    fn a_bidirectional_override_is_refused_by_its_code_point() {
        assert_eq!(
            PersonName::parse("Nur\u{202E}volnaruN"),
            Err(NameError::Invisible(0x202E))
        );
        for c in ['\u{202A}', '\u{202D}', '\u{2066}', '\u{2069}', '\u{200E}'] {
            assert_eq!(
                PersonName::parse(&format!("Aidos{c}")),
                Err(NameError::Invisible(u32::from(c)))
            );
        }
    }

    #[test]
    fn zero_width_characters_are_refused_alone_or_inside_a_name() {
        assert_eq!(
            PersonName::parse("\u{200B}\u{200C}\u{200D}\u{FEFF}"),
            Err(NameError::Invisible(0x200B))
        );
        assert_eq!(
            PersonName::parse("Ai\u{200D}dos"),
            Err(NameError::Invisible(0x200D))
        );
        assert_eq!(
            PersonName::parse("\u{FEFF}Aidos"),
            Err(NameError::Invisible(0xFEFF))
        );
    }

    #[test]
    fn controls_are_refused_even_at_the_ends() {
        for value in ["Aidos\n", "\tAidos", "Ai\0dos", "Aidos\u{85}"] {
            assert!(
                matches!(PersonName::parse(value), Err(NameError::Invisible(_))),
                "{value:?}"
            );
        }
    }

    #[test]
    fn a_hundred_characters_are_kept_and_a_hundred_and_one_refused() {
        let hundred = "Ә".repeat(100);
        assert_eq!(PersonName::parse(&hundred).unwrap().as_str(), hundred);
        assert_eq!(
            PersonName::parse(&format!(" {hundred} ")).unwrap().as_str(),
            hundred
        );
        assert_eq!(
            PersonName::parse(&"Ә".repeat(101)),
            Err(NameError::TooLong(101))
        );
    }

    #[test]
    fn an_empty_name_or_one_without_a_letter_is_refused() {
        assert_eq!(PersonName::parse(""), Err(NameError::Empty));
        assert_eq!(PersonName::parse("   "), Err(NameError::Empty));
        for value in ["-", "' .", "\u{301}", "ʼʼ", "\u{640}"] {
            assert_eq!(
                PersonName::parse(value),
                Err(NameError::NoLetter),
                "{value:?}"
            );
        }
    }

    #[test]
    fn digits_symbols_and_other_spaces_are_refused() {
        for (value, c) in [
            ("Feed1", '1'),
            ("Aidos\u{A0}Nur", '\u{A0}'),
            ("Aidos\u{3000}", '\u{3000}'),
            ("Ai_dos", '_'),
            ("Aidos😀", '😀'),
            ("Ai`dos", '`'),
            ("Aidos\u{2028}", '\u{2028}'),
            ("Aidos\u{E000}", '\u{E000}'),
        ] {
            assert_eq!(
                PersonName::parse(value),
                Err(NameError::NotAllowed(u32::from(c))),
                "{value:?}"
            );
        }
    }

    #[test]
    fn a_patronymic_may_be_absent() {
        assert_eq!(PersonName::parse_optional(""), Ok(None));
        assert_eq!(PersonName::parse_optional("  "), Ok(None));
        assert_eq!(
            PersonName::parse_optional("\u{200B}"),
            Err(NameError::Invisible(0x200B))
        );
        assert_eq!(
            PersonName::parse_optional(" Serikuly")
                .unwrap()
                .unwrap()
                .as_str(),
            "Serikuly"
        );
    }

    /// Letters of the scripts kandas write their names in.
    fn letter() -> impl Strategy<Value = char> {
        prop_oneof![
            prop::sample::select(
                "ӘәҒғҚқҢңӨөҰұҮүҺһІіАбвгдеёжзийклмнопрстуфхцчшщъыьэюяabcdefghijklmnopqrstuvwxyzÀÉÖØßĞŞİıčžŁ"
                    .chars()
                    .collect::<Vec<_>>()
            ),
            prop::char::range('\u{4E00}', '\u{9FFF}'),
            prop::char::range('\u{0621}', '\u{063A}'),
            prop::char::range('\u{0641}', '\u{064A}'),
            prop::char::range('\u{1820}', '\u{1842}'),
        ]
    }

    /// Combining marks, enclosing ones among them.
    fn mark() -> impl Strategy<Value = char> {
        prop_oneof![
            prop::char::range('\u{300}', '\u{36F}'),
            prop::char::range('\u{64B}', '\u{65F}'),
            prop::char::range('\u{20D0}', '\u{20F0}'),
        ]
    }

    /// Any character a name may hold.
    fn name_char() -> impl Strategy<Value = char> {
        prop_oneof![
            4 => letter(),
            1 => prop::sample::select(PUNCTUATION.to_vec()),
            1 => mark(),
        ]
    }

    /// A name the rule accepts: allowed characters around a letter, no spaces at the ends.
    fn valid_name() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(name_char(), 0..50),
            letter(),
            prop::collection::vec(name_char(), 0..49),
        )
            .prop_map(|(before, letter, after)| {
                let name: String = before.into_iter().chain([letter]).chain(after).collect();
                name.trim_matches(' ').to_string()
            })
    }

    /// Controls, bidirectional controls, zero-width and other format characters.
    fn invisible() -> impl Strategy<Value = char> {
        prop_oneof![
            prop::char::range('\0', '\u{1F}'),
            prop::char::range('\u{7F}', '\u{9F}'),
            prop::char::range('\u{200B}', '\u{200F}'),
            prop::char::range('\u{202A}', '\u{202E}'),
            prop::char::range('\u{2060}', '\u{2064}'),
            prop::char::range('\u{2066}', '\u{206F}'),
            prop::char::range('\u{E0020}', '\u{E007F}'),
            prop::sample::select(vec![
                '\u{FEFF}',
                '\u{AD}',
                '\u{61C}',
                '\u{180E}',
                '\u{E0001}'
            ]),
        ]
    }

    /// Anything, with names and invisible characters well represented.
    fn any_text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![name_char(), invisible(), any::<char>(), Just('1')],
            0..120,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #[test]
        fn every_name_of_allowed_characters_is_kept_as_given(name in valid_name()) {
            let parsed = PersonName::parse(&name).unwrap();
            prop_assert_eq!(parsed.as_str(), name.as_str());
        }

        #[test]
        fn spaces_around_a_name_change_nothing(name in valid_name(), left in 0..4usize, right in 0..4usize) {
            let padded = format!("{}{name}{}", " ".repeat(left), " ".repeat(right));
            prop_assert_eq!(PersonName::parse(&padded), PersonName::parse(&name));
        }

        #[test]
        fn a_control_or_format_character_anywhere_is_refused(
            name in valid_name(),
            c in invisible(),
            at in any::<prop::sample::Index>(),
        ) {
            let mut chars: Vec<char> = name.chars().collect();
            let at = at.index(chars.len() + 1);
            chars.insert(at, c);
            let tampered: String = chars.into_iter().collect();
            prop_assert_eq!(PersonName::parse(&tampered), Err(NameError::Invisible(u32::from(c))));
        }

        #[test]
        fn whatever_is_accepted_keeps_the_rule(value in any_text()) {
            if let Ok(name) = PersonName::parse(&value) {
                let name = name.as_str();
                let count = name.chars().count();
                prop_assert!((1..=MAX_CHARS).contains(&count));
                prop_assert!(!name.starts_with(' ') && !name.ends_with(' '));
                prop_assert!(name.chars().all(is_allowed));
                prop_assert!(!name.chars().any(is_invisible));
                prop_assert!(name.chars().any(is_letter));
                let again = PersonName::parse(name);
                prop_assert_eq!(again.as_ref().map(PersonName::as_str), Ok(name));
            }
        }
    }
}

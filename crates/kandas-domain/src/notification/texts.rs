//! What a notification says, in Kazakh, Russian or English: told from its facts when read, so a
//! notification written once reads in every language the service speaks.

use super::Facts;
use chrono::NaiveDate;

/// The languages notifications are told in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    /// Kazakh, the state language: the default.
    Kk,
    Ru,
    En,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::Kk, Language::Ru, Language::En];

    /// ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Language::Kk => "kk",
            Language::Ru => "ru",
            Language::En => "en",
        }
    }

    /// The language an HTTP `Accept-Language`-like value prefers among those spoken here
    /// (`ru`, `kk-KZ`, `ru-RU,en;q=0.8`); `None` when it names none of them.
    pub fn negotiate(accept: &str) -> Option<Language> {
        // TODO(texts helper): weights (q), ranges, malformed input.
        let first = accept.split(',').next()?.split(';').next()?.trim();
        let primary = first.split('-').next()?.to_ascii_lowercase();
        Language::ALL.into_iter().find(|l| l.code() == primary)
    }
}

/// A notification as told in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Told {
    pub title: String,
    /// What happened and what the applicant may do next, with the dates.
    pub text: String,
    /// The last day of what comes next, when something is due.
    pub due_date: Option<NaiveDate>,
}

/// What `facts` say in `language`.
pub fn tell(facts: &Facts, language: Language) -> Told {
    // TODO(texts helper): the texts of every kind in each language.
    let _ = language;
    Told {
        title: facts.kind().as_str().to_owned(),
        text: String::new(),
        due_date: None,
    }
}

//! What a notification says, in Kazakh, Russian or English: told from its facts when read, so a
//! notification written once reads in every language the service speaks.
//!
//! Each language is one module (`kk`, `ru`, `en`) that tells every kind in its own word order;
//! what is due, and the typed reading of the stored names, are decided here once.

use super::{Facts, IssuedNote};
use crate::issuance::IssuedKind;
use crate::procedure::Procedure;
use crate::record_life::{AnnullableKind, AnnulmentGround, EndReason};
use crate::records::RegistrationKind;
use crate::regions::Region;
use crate::role::Role;
use chrono::NaiveDate;

mod en;
mod kk;
mod ru;
#[cfg(test)]
mod tests;

/// The languages notifications are told in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    /// Kazakh, the state language: the default.
    Kk,
    Ru,
    En,
}

/// Longer `Accept-Language` values are refused unread: a real browser sends a few dozen bytes,
/// and the value comes from outside.
const MAX_ACCEPT_LEN: usize = 256;

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
    /// (RFC 9110 §12.5.4): the highest weight wins, the earlier range on a tie; `kk-KZ` is
    /// Kazakh, `*` is the default (Kazakh) unless Kazakh is named itself; `q=0` means not
    /// acceptable. Malformed ranges are skipped. `None` when it names none of them, or when the
    /// value is longer than 256 bytes.
    pub fn negotiate(accept: &str) -> Option<Language> {
        if accept.len() > MAX_ACCEPT_LEN {
            return None;
        }
        let ranges: Vec<(Range, u16)> = accept.split(',').filter_map(weighted_range).collect();
        let named = |language: Language| ranges.iter().any(|(r, _)| *r == Range::Named(language));
        let mut best: Option<(u16, Language)> = None;
        for (range, weight) in ranges.iter().copied() {
            let language = match range {
                Range::Named(language) => language,
                Range::Any if !named(Language::Kk) => Language::Kk,
                Range::Any | Range::Other => continue,
            };
            // Strictly greater: on a tie the earlier range stays.
            if weight > 0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, language));
            }
        }
        best.map(|(_, language)| language)
    }
}

/// A language range of `Accept-Language`, as far as it matters here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Range {
    Named(Language),
    Any,
    /// A well-formed range of a language not spoken here.
    Other,
}

/// One comma-separated part: a language range with an optional weight in thousandths
/// (`q=0.5` → 500); `None` when malformed.
fn weighted_range(part: &str) -> Option<(Range, u16)> {
    let mut pieces = part.split(';');
    let range = language_range(pieces.next()?.trim())?;
    let mut weight = 1000;
    for parameter in pieces {
        let (name, value) = parameter.trim().split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("q") {
            return None;
        }
        weight = qvalue(value.trim())?;
    }
    Some((range, weight))
}

/// `*`, or `1*8ALPHA *("-" 1*8alphanum)` (RFC 4647 §2.1) matched by its primary subtag.
fn language_range(range: &str) -> Option<Range> {
    if range == "*" {
        return Some(Range::Any);
    }
    let mut subtags = range.split('-');
    let primary = subtags.next()?;
    let well_formed = (1..=8).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && subtags
            .all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()));
    if !well_formed {
        return None;
    }
    Some(
        Language::ALL
            .into_iter()
            .find(|l| primary.eq_ignore_ascii_case(l.code()))
            .map_or(Range::Other, Range::Named),
    )
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
fn qvalue(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = fraction.bytes().chain(std::iter::repeat(b'0')).take(3);
    let fraction = thousandths.fold(0u16, |n, b| n * 10 + u16::from(b - b'0'));
    match whole {
        "0" => Some(fraction),
        "1" if fraction == 0 => Some(1000),
        _ => None,
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
    let Text { title, text } = match language {
        Language::Kk => tell_in::<kk::Kazakh>(facts),
        Language::Ru => tell_in::<ru::Russian>(facts),
        Language::En => tell_in::<en::English>(facts),
    };
    Told {
        title,
        text,
        due_date: due_date(facts),
    }
}

/// Every kind told in one language, in that language's own word order. The facts are read
/// (and their stored names parsed) here once; a name that does not parse is left unsaid rather
/// than shown as a code.
trait Tongue {
    fn procedure(procedure: Procedure) -> &'static str;
    fn accepted(
        p: Procedure,
        on: NaiveDate,
        deadline: Option<NaiveDate>,
        provisional: bool,
    ) -> Text;
    fn approved(p: Procedure, on: NaiveDate, iin: Option<&str>, issued: &[IssuedNote]) -> Text;
    fn refused(p: Procedure, on: NaiveDate, code: &str, reason: &str, until: NaiveDate) -> Text;
    fn certificate_ready(number: &str, valid_until: NaiveDate) -> Text;
    fn quota_included(quota: Quota, places: i32, rent_mci: i32) -> Text;
    fn quota_refused(quota: Quota, code: &str, appeal_until: Option<NaiveDate>) -> Text;
    fn appeal_filed(filed_on: NaiveDate, decide_by: NaiveDate) -> Text;
    fn appeal_decided(on: NaiveDate, upheld: bool, new_deadline: Option<NaiveDate>) -> Text;
    fn record_annulled(annulment: Annulled<'_>) -> Text;
    fn registration_ended(ended: Ended) -> Text;
    fn deadline_missed(p: Procedure, deadline: NaiveDate) -> Text;
}

/// A quota decision: whose region, which year, decided when.
#[derive(Clone, Copy)]
struct Quota {
    region: Region,
    year: i32,
    decided_on: NaiveDate,
}

/// An annulment, its stored names parsed.
struct Annulled<'a> {
    record: Option<AnnullableKind>,
    number: &'a str,
    from: NaiveDate,
    ground: Option<AnnulmentGround>,
    legal_basis: &'a str,
    cards: &'a [String],
}

/// An ended registration, its stored names parsed.
struct Ended {
    kind: Option<RegistrationKind>,
    region: Region,
    last_day: NaiveDate,
    reason: Option<EndReason>,
    register_again_by: Option<NaiveDate>,
}

fn tell_in<T: Tongue>(facts: &Facts) -> Text {
    match facts {
        Facts::Accepted {
            procedure,
            submitted_on,
            deadline,
            provisional,
        } => T::accepted(*procedure, *submitted_on, *deadline, *provisional),
        Facts::Approved {
            procedure,
            decided_on,
            iin,
            issued,
        } => T::approved(*procedure, *decided_on, iin.as_deref(), issued),
        Facts::Refused {
            procedure,
            decided_on,
            reason_code,
            reason_text,
            appeal_until,
        } => T::refused(
            *procedure,
            *decided_on,
            reason_code,
            reason_text,
            *appeal_until,
        ),
        Facts::CertificateReady {
            certificate_number,
            valid_until,
        } => T::certificate_ready(certificate_number, *valid_until),
        Facts::QuotaDecided {
            region,
            year,
            decided_on,
            included,
            places,
            rent_mci,
            reason_code,
            appeal_until,
        } => {
            let quota = Quota {
                region: *region,
                year: *year,
                decided_on: *decided_on,
            };
            if *included {
                T::quota_included(quota, *places, *rent_mci)
            } else {
                T::quota_refused(quota, reason_code, *appeal_until)
            }
        }
        Facts::AppealFiled {
            filed_on,
            decide_by,
            ..
        } => T::appeal_filed(*filed_on, *decide_by),
        Facts::AppealDecided {
            decided_on,
            upheld,
            new_deadline,
            ..
        } => T::appeal_decided(*decided_on, *upheld, *new_deadline),
        Facts::RecordAnnulled {
            record,
            number,
            annulled_on,
            ground,
            legal_basis,
            cards,
        } => T::record_annulled(Annulled {
            record: annulled_record(record),
            number: number.trim(),
            from: *annulled_on,
            ground: AnnulmentGround::parse(ground),
            legal_basis: legal_basis.trim(),
            cards,
        }),
        Facts::RegistrationEnded {
            registration_kind,
            region,
            last_day,
            reason,
            register_again_by,
        } => T::registration_ended(Ended {
            kind: RegistrationKind::parse(registration_kind),
            region: *region,
            last_day: *last_day,
            reason: EndReason::parse(reason),
            register_again_by: *register_again_by,
        }),
        Facts::DeadlineMissed {
            procedure,
            deadline,
        } => T::deadline_missed(*procedure, *deadline),
    }
}

/// The localized name of a procedure, as a service is named to the applicant.
pub fn procedure_name(procedure: Procedure, language: Language) -> &'static str {
    match language {
        Language::Kk => kk::Kazakh::procedure(procedure),
        Language::Ru => ru::Russian::procedure(procedure),
        Language::En => en::English::procedure(procedure),
    }
}

/// The localized name of a region.
pub fn region_name(region: Region, language: Language) -> &'static str {
    match language {
        Language::Kk => region.name_kk(),
        Language::Ru => region.name_ru(),
        Language::En => region.name(),
    }
}

/// The last day of what the applicant may or must do next: the same in every language.
fn due_date(facts: &Facts) -> Option<NaiveDate> {
    match facts {
        Facts::Accepted { deadline, .. } => *deadline,
        Facts::Refused { appeal_until, .. } => Some(*appeal_until),
        Facts::QuotaDecided { appeal_until, .. } => *appeal_until,
        Facts::AppealFiled { decide_by, .. } => Some(*decide_by),
        Facts::AppealDecided { new_deadline, .. } => *new_deadline,
        Facts::RegistrationEnded {
            register_again_by, ..
        } => *register_again_by,
        Facts::Approved { .. }
        | Facts::CertificateReady { .. }
        | Facts::RecordAnnulled { .. }
        | Facts::DeadlineMissed { .. } => None,
    }
}

/// A title and a text, before the due date joins them.
struct Text {
    title: String,
    text: String,
}

impl Text {
    fn new(title: &str, sentences: Vec<String>) -> Text {
        Text {
            title: title.to_owned(),
            text: sentences.join(" "),
        }
    }
}

/// A date as the applicant reads it: `10.06.2026`.
fn date(day: NaiveDate) -> String {
    day.format("%d.%m.%Y").to_string()
}

/// The record an annulment names, as the facts store it (`kandas_status`, `permit`).
fn annulled_record(record: &str) -> Option<AnnullableKind> {
    match record {
        "kandas_status" => Some(AnnullableKind::KandasStatus),
        "permit" => Some(AnnullableKind::Permit),
        _ => None,
    }
}

/// The kinds an approval issued, each once, in the order issued: the next steps follow them.
fn issued_kinds(issued: &[IssuedNote]) -> Vec<IssuedKind> {
    let mut kinds = Vec::new();
    for note in issued {
        if !kinds.contains(&note.kind) {
            kinds.push(note.kind);
        }
    }
    kinds
}

/// The channels that accept `procedure`'s applications (an appeal goes through any of them),
/// named by `channel` and listed with `or`.
fn channels(procedure: Procedure, channel: fn(Role) -> Option<&'static str>, or: &str) -> String {
    let names: Vec<&str> = procedure
        .submitters()
        .iter()
        .filter_map(|r| channel(*r))
        .collect();
    match names.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} {or} {last}", rest.join(", ")),
        None => String::new(),
    }
}

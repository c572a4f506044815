//! gRPC services: proto ⟷ domain conversion at the edge, one error mapping, the one path
//! every handler takes (`handler`: caller, audit subject, answer) and the parsers they share
//! (resource names, dates, paging, idempotency).

pub mod admin;
pub mod application;
pub mod audit;
pub mod convert;
mod handler;
pub mod notification;
pub mod person;
pub mod prerequisite;
pub mod quota;
mod subjects;
pub mod support;

pub use handler::{Rpc, call_of, handle, handle_evaluated, handle_listing, open, respond};

use crate::domain::country::CountryCode;
use crate::domain::ids::NameError;
use crate::domain::regions::Region;
pub use crate::error::Fields;
use crate::error::{FieldError, NOT_OUR_CURSOR};
use base64::Engine;
use std::str::FromStr;
use uuid::Uuid;

/// Parses the resource name of a `T`, such as `persons/{uuid}` into a
/// [`PersonId`](crate::domain::ids::PersonId).
pub fn parse_name<T: FromStr<Err = NameError>>(field: &str, value: &str) -> Result<T, FieldError> {
    value
        .parse()
        .map_err(|refused: NameError| FieldError::new(field, refused.to_string()))
}

/// Parses an ISO 3166-2:KZ region code such as `KZ-55`.
pub fn parse_region(field: &str, value: &str) -> Result<Region, FieldError> {
    Region::parse(value)
        .ok_or_else(|| FieldError::new(field, "must be an ISO 3166-2:KZ region code, e.g. KZ-55"))
}

/// A country the request may leave empty, as its ISO 3166-1 alpha-3 or ICAO code in upper
/// case.
pub fn optional_country(field: &str, value: &str) -> Result<String, FieldError> {
    if value.is_empty() {
        return Ok(String::new());
    }
    CountryCode::parse(value)
        .map(|code| code.as_str().to_string())
        .map_err(|e| FieldError::new(field, format!("{e}; or empty")))
}

/// A quota year: the years the service plans quotas for.
pub fn parse_quota_year(year: i32) -> Result<i32, FieldError> {
    if (2000..=2200).contains(&year) {
        Ok(year)
    } else {
        Err(FieldError::new(
            "year",
            "required: a year from 2000 to 2200",
        ))
    }
}

/// Required free text (a reason, grounds, a document's kind), trimmed, of at most `max`
/// characters.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String, FieldError> {
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed.chars().count() > max || trimmed.chars().any(char::is_control)
    {
        Err(FieldError::new(
            field,
            format!("required: 1 to {max} characters, no control characters"),
        ))
    } else {
        Ok(trimmed.to_string())
    }
}

/// A required `request_id`: a UUID the caller chose.
pub fn parse_request_id(value: &str) -> Result<Uuid, FieldError> {
    Uuid::parse_str(value)
        .ok()
        .filter(|id| !id.is_nil())
        .ok_or_else(|| {
            FieldError::new(
                "request_id",
                "required: a UUID chosen by the caller, reused on retry",
            )
        })
}

pub const DEFAULT_PAGE_SIZE: i64 = 50;
pub const MAX_PAGE_SIZE: i64 = 500;

/// AIP-158 page size: 0 means the default, larger than the maximum is clamped.
pub fn page_size(value: i32) -> Result<i64, FieldError> {
    page_size_within(value, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
}

/// A page size for a list with its own `default` and `max`, by the same rule.
pub fn page_size_within(value: i32, default: i64, max: i64) -> Result<i64, FieldError> {
    match value {
        v if v < 0 => Err(FieldError::new("page_size", "must not be negative")),
        0 => Ok(default),
        v => Ok(i64::from(v).min(max)),
    }
}

/// A page of a feed read after a cursor (record events, notifications): 100 unless asked
/// otherwise, and at most 1000 (a larger size is clamped, AIP-158).
pub fn feed_page_size(value: i32) -> Result<i64, FieldError> {
    page_size_within(value, 100, 1000)
}

const TOKEN_PREFIX: &str = "k1:";

/// An opaque page token carrying the last key of the previous page.
pub fn encode_page_token(last_key: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{TOKEN_PREFIX}{last_key}"))
}

pub fn decode_page_token(token: &str) -> Result<Option<String>, FieldError> {
    if token.is_empty() {
        return Ok(None);
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix(TOKEN_PREFIX).map(str::to_string))
        .map(Some)
        .ok_or_else(|| FieldError::new("page_token", "not a token returned by this service"))
}

/// The cursor of feed position `seq`: opaque to callers, who resume after it.
pub fn encode_cursor(seq: i64) -> String {
    encode_page_token(&seq.to_string())
}

/// A feed position from a cursor this service returned: empty for the beginning (0).
pub fn parse_cursor(value: &str) -> Result<i64, FieldError> {
    decode_page_token(value)
        .ok()
        .and_then(|key| match key {
            None => Some(0),
            Some(key) => key.parse::<i64>().ok().filter(|seq| *seq >= 0),
        })
        .ok_or_else(|| FieldError::new("cursor", NOT_OUR_CURSOR))
}

/// The last key of the previous page, as the type the list is ordered by: a token that
/// decodes but holds no such key was not made here, and is refused rather than read as page 1.
pub fn decode_page_key<K: std::str::FromStr>(token: &str) -> Result<Option<K>, FieldError> {
    decode_page_token(token)?
        .map(|key| {
            key.parse()
                .map_err(|_| FieldError::new("page_token", "not a token returned by this service"))
        })
        .transpose()
}

/// Trims a page fetched with `limit + 1` rows to `limit` and returns the token of the next
/// page (empty on the last one), keyed by the last row kept.
pub fn next_page<T>(rows: &mut Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> String {
    if rows.len() as i64 <= limit {
        return String::new();
    }
    rows.truncate(limit as usize);
    rows.last()
        .map(|r| encode_page_token(&key(r)))
        .unwrap_or_default()
}

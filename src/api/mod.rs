//! gRPC services: proto ⟷ domain conversion at the edge, one error mapping, and the helpers
//! every handler shares (caller, resource names, dates, paging, idempotency, audit).

pub mod admin;
pub mod application;
pub mod audit;
pub mod convert;
pub mod person;
pub mod prerequisite;
pub mod quota;
pub mod support;

use crate::audit::Entry;
use crate::domain::call::Call;
use crate::domain::caller::{ApplicantClaim, Caller};
use crate::domain::country::CountryCode;
use crate::domain::ids::NameError;
use crate::domain::jurisdiction::Reach;
use crate::domain::regions::Region;
pub use crate::error::Fields;
use crate::error::{ApiError, ApiResult, FieldError, NOT_OUR_CURSOR, Reason};
use crate::service::persons;
use crate::state::AppState;
use base64::Engine;
use std::str::FromStr;
use tonic::{Request, Response, Status};
use uuid::Uuid;

/// Opens the call of `rpc`: the caller the auth layer verified and put on the request, bound
/// to the portal's applicant when the portal named one by IIN.
pub async fn open<T>(
    state: &AppState,
    request: &Request<T>,
    rpc: &'static str,
) -> Result<Call, Status> {
    let caller = request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| {
            Status::from(ApiError::Unauthenticated {
                reason: Reason::ClientIdentityMissing,
                message: "no verified client identity".into(),
            })
        })?;
    let reach = request
        .extensions()
        .get::<Reach>()
        .copied()
        .unwrap_or(Reach::Files);
    let mut call = Call::new(rpc, caller).reaching(reach);
    let applicant = match request.extensions().get::<ApplicantClaim>() {
        None => return Ok(call),
        Some(ApplicantClaim::Person(id)) => Ok(*id),
        Some(ApplicantClaim::Iin(iin)) => persons::holder_of(state, iin).await,
    };
    match applicant {
        Ok(id) => {
            call.caller.applicant = Some(id);
            Ok(call)
        }
        Err(refused) => {
            let call = call.about("persons:by-iin");
            respond(state, &call, true, Err::<(), _>(refused))
                .await
                .map(|_| call)
        }
    }
}

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

/// Finishes a list of personal data: one audit event per person in the answer (so "who
/// read person X" finds every list that showed them), besides the event of the call. The
/// answer is served only once every event is stored.
pub async fn respond_listing<T>(
    state: &AppState,
    call: &Call,
    persons: impl Fn(&T) -> Vec<String>,
    result: ApiResult<T>,
) -> Result<Response<T>, Status> {
    let Ok(answer) = &result else {
        return respond(state, call, true, result).await;
    };
    if let Err(error) = state.audit.record_reads(call, persons(answer)).await {
        let refused = ApiError::from(error);
        return respond(state, call, true, Err::<T, _>(refused)).await;
    }
    respond(state, call, true, result).await
}

/// Finishes an evaluation of persons' records at the door (a dry run, a checklist): one audit
/// event per person whose records it read, besides the event of the call, as a list does.
pub async fn respond_evaluated<T>(
    state: &AppState,
    call: &Call,
    result: ApiResult<crate::service::applications::Evaluated<T>>,
) -> Result<Response<T>, Status> {
    let (result, persons) = match result {
        Ok(evaluated) => (Ok(evaluated.answer), evaluated.persons),
        Err(error) => (Err(error), Vec::new()),
    };
    respond_listing(state, call, |_| persons.clone(), result).await
}

/// Finishes a handler: audits a read of personal data or a failed attempt, maps the error.
/// `audit_success` is false for mutations, which audit inside their own transaction.
pub async fn respond<T>(
    state: &AppState,
    call: &Call,
    audit_success: bool,
    result: ApiResult<T>,
) -> Result<Response<T>, Status> {
    let outcome = match &result {
        Ok(_) if !audit_success => None,
        Ok(_) => Some("OK".to_string()),
        Err(error) => Some(format!("{:?}", error.code())),
    };
    if let Some(outcome) = outcome {
        let entry = Entry::of(call, &outcome);
        if let Err(error) = state.audit.record(&entry).await {
            if result.is_ok() {
                // A read of personal data that cannot be audited is not served. The attempt
                // is still worth a record if the log takes one (the failure may have been in
                // the commit it shared, not in the log itself).
                let refused = ApiError::from(error);
                let outcome = format!("{:?}", refused.code());
                if let Err(error) = state.audit.record(&Entry::of(call, &outcome)).await {
                    tracing::warn!(%error, rpc = call.rpc, "could not audit a refused read");
                }
                return Err(refused.into());
            }
            tracing::warn!(%error, rpc = call.rpc, "could not audit a failed call");
        }
    }
    result.map(Response::new).map_err(Status::from)
}

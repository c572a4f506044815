//! The one error type of the service and its one mapping to `google.rpc.Status`.
//!
//! Every error carries an `ErrorInfo` (domain `kandas.gov.kz`, one of the [`Reason`]s);
//! malformed input carries `BadRequest` field violations, unmet conditions a
//! `PreconditionFailure` listing all of them, exhausted quota a `QuotaFailure`. Internal details
//! are logged here, once, and never sent.

mod reason;

pub use reason::Reason;

use crate::domain::call::Call;
use crate::domain::jurisdiction::OutsideJurisdiction;
use crate::store::Fault;
use crate::store::conflicts::Conflict;
use std::collections::HashMap;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, PreconditionViolation, QuotaViolation, StatusExt};

/// How long a client is asked to wait before retrying a call refused for a passing reason.
const RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// Domain of every `ErrorInfo` the service sends.
pub const ERROR_DOMAIN: &str = "kandas.gov.kz";

/// What a feed cursor that this service did not return is told: malformed, or past the head.
pub const NOT_OUR_CURSOR: &str = "not a cursor returned by this service";

/// One unmet condition: its type (e.g. `DOCUMENT_MISSING`), the subject it concerns and what
/// to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub kind: String,
    pub subject: String,
    pub description: String,
}

impl Violation {
    pub fn new(
        kind: impl Into<String>,
        subject: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        Self {
            kind: kind.into(),
            subject: subject.into(),
            description: description.into(),
        }
    }
}

/// A malformed field: its path in the request (e.g. `person.birth_date`) and the rule broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub rule: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            rule: rule.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid request: {}", describe_fields(.0))]
    InvalidArgument(Vec<FieldError>),
    #[error("{resource} not found")]
    NotFound { resource: String },
    #[error("{message}")]
    AlreadyExists { reason: Reason, message: String },
    #[error("{message}")]
    FailedPrecondition {
        reason: Reason,
        message: String,
        violations: Vec<Violation>,
    },
    #[error("{message}")]
    Aborted { reason: Reason, message: String },
    #[error("{message}")]
    Unauthenticated { reason: Reason, message: String },
    #[error("{message}")]
    PermissionDenied { reason: Reason, message: String },
    #[error("{message}")]
    ResourceExhausted {
        reason: Reason,
        message: String,
        violations: Vec<(String, String)>,
    },
    #[error("{message}")]
    DeadlineExceeded { reason: Reason, message: String },
    #[error("{message}")]
    Unavailable { reason: Reason, message: String },
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// Most violations one error lists. Status details travel in an HTTP/2 header, and a header
/// block larger than the client accepts (16 KiB by default in hyper) kills the connection
/// instead of answering: a request with a thousand bad entries must still get its answer.
pub const MAX_LISTED_VIOLATIONS: usize = 50;
/// Most field violations spelled out in the status message itself.
const MAX_DESCRIBED_FIELDS: usize = 10;

fn describe_fields(fields: &[FieldError]) -> String {
    let mut text = fields
        .iter()
        .take(MAX_DESCRIBED_FIELDS)
        .map(|f| format!("{}: {}", f.field, f.rule))
        .collect::<Vec<_>>()
        .join("; ");
    if fields.len() > MAX_DESCRIBED_FIELDS {
        text.push_str(&format!(
            "; and {} more",
            fields.len() - MAX_DESCRIBED_FIELDS
        ));
    }
    text
}

impl ApiError {
    /// A single malformed field.
    pub fn field(field: impl Into<String>, rule: impl Into<String>) -> Self {
        ApiError::InvalidArgument(vec![FieldError::new(field, rule)])
    }

    pub fn not_found(resource: impl Into<String>) -> Self {
        ApiError::NotFound {
            resource: resource.into(),
        }
    }

    /// A file `call` names (its subject) that does not exist. Only a caller that would read
    /// it wherever it lay is told so; any other gets the refusal a file out of its reach gets,
    /// so a refusal never tells whether the file exists (AIP-211).
    pub fn missing(call: &Call, resource: &str) -> Self {
        Self::missing_as(call, resource, &call.subject)
    }

    /// As [`ApiError::missing`], for a file named `name` rather than by the call's subject.
    pub fn missing_as(call: &Call, resource: &str, name: &str) -> Self {
        let name = if name.is_empty() { resource } else { name };
        match call.scope().missing(name) {
            Some(refusal) => refusal.into(),
            None => ApiError::not_found(resource),
        }
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(error.into())
    }

    fn code_and_reason(&self) -> (Code, Reason) {
        match self {
            ApiError::InvalidArgument(_) => (Code::InvalidArgument, Reason::InvalidArgument),
            ApiError::NotFound { .. } => (Code::NotFound, Reason::NotFound),
            ApiError::AlreadyExists { reason, .. } => (Code::AlreadyExists, *reason),
            ApiError::FailedPrecondition { reason, .. } => (Code::FailedPrecondition, *reason),
            ApiError::Aborted { reason, .. } => (Code::Aborted, *reason),
            ApiError::Unauthenticated { reason, .. } => (Code::Unauthenticated, *reason),
            ApiError::PermissionDenied { reason, .. } => (Code::PermissionDenied, *reason),
            ApiError::ResourceExhausted { reason, .. } => (Code::ResourceExhausted, *reason),
            ApiError::DeadlineExceeded { reason, .. } => (Code::DeadlineExceeded, *reason),
            ApiError::Unavailable { reason, .. } => (Code::Unavailable, *reason),
            ApiError::Internal(_) => (Code::Internal, Reason::Internal),
        }
    }

    /// The gRPC code this error is sent with.
    /// How many violations the error carries (field, precondition or quota).
    fn violation_count(&self) -> usize {
        match self {
            ApiError::InvalidArgument(fields) => fields.len(),
            ApiError::FailedPrecondition { violations, .. } => violations.len(),
            ApiError::ResourceExhausted { violations, .. } => violations.len(),
            _ => 0,
        }
    }

    pub fn code(&self) -> Code {
        self.code_and_reason().0
    }
}

impl From<ApiError> for Status {
    fn from(error: ApiError) -> Status {
        let (code, reason) = error.code_and_reason();
        // The reference lists each reason with its codes; a pairing it does not list is a
        // mistake of this code, found by the tests rather than by a client.
        debug_assert!(
            reason.codes().contains(&code),
            "{reason} is not listed with {code:?}"
        );
        let mut details = ErrorDetails::new();
        let listed = MAX_LISTED_VIOLATIONS;
        match &error {
            ApiError::InvalidArgument(fields) => {
                details.set_bad_request(
                    fields
                        .iter()
                        .take(listed)
                        .map(|f| FieldViolation::new(&f.field, &f.rule))
                        .collect::<Vec<_>>(),
                );
            }
            ApiError::FailedPrecondition { violations, .. } => {
                details.set_precondition_failure(
                    violations
                        .iter()
                        .take(listed)
                        .map(|v| PreconditionViolation::new(&v.kind, &v.subject, &v.description))
                        .collect::<Vec<_>>(),
                );
            }
            ApiError::ResourceExhausted { violations, .. } => {
                details.set_quota_failure(
                    violations
                        .iter()
                        .take(listed)
                        .map(|(subject, description)| QuotaViolation::new(subject, description))
                        .collect::<Vec<_>>(),
                );
            }
            ApiError::Internal(source) => {
                // The cause goes to the log (scrubbed of personal data), never to the caller.
                tracing::error!(error = %format!("{source:#}"), "internal error");
            }
            _ => {}
        }
        let mut metadata = HashMap::<String, String>::new();
        let total = error.violation_count();
        if total > listed {
            metadata.insert("omitted_violations".into(), (total - listed).to_string());
        }
        details.set_error_info(reason.as_str(), ERROR_DOMAIN, metadata);
        if matches!(error, ApiError::Unavailable { .. }) || reason == Reason::TransactionConflict {
            details.set_retry_info(Some(RETRY_AFTER));
        }
        Status::with_error_details(code, error.to_string(), details)
    }
}

impl From<OutsideJurisdiction> for ApiError {
    fn from(refusal: OutsideJurisdiction) -> Self {
        ApiError::PermissionDenied {
            reason: Reason::OutsideJurisdiction,
            message: refusal.0,
        }
    }
}

impl From<Conflict> for ApiError {
    fn from(conflict: Conflict) -> Self {
        let precondition = |reason, message: &str, kind, subject: &str, rule: &str| {
            failed_precondition(reason, message, vec![Violation::new(kind, subject, rule)])
        };
        match conflict {
            Conflict::IinTaken => ApiError::AlreadyExists {
                reason: Reason::IinAlreadyRegistered,
                message: "a person with this IIN is already registered (person.iin)".into(),
            },
            Conflict::DocumentHeld => ApiError::AlreadyExists {
                reason: Reason::IdentityDocumentHeld,
                message: "another person registered at the same moment holds this identity document (identity_document)".into(),
            },
            Conflict::AppealFiled => ApiError::AlreadyExists {
                reason: Reason::AppealAlreadyFiled,
                message: "this refusal was appealed already; an appeal's decision is final".into(),
            },
            Conflict::OrganisationAlreadyRegistered => ApiError::AlreadyExists {
                reason: Reason::OrganisationAlreadyRegistered,
                message: "an organisation with this id is already registered (organisation.id)"
                    .into(),
            },
            Conflict::SignatureAlreadyUsed => ApiError::PermissionDenied {
                reason: Reason::SignatureAlreadyUsed,
                message: "this signature confirmed an act already; each act is signed anew over its own request (applicant_signature)".into(),
            },
            Conflict::ApplicationAlreadyOpen => precondition(
                Reason::ApplicationAlreadyOpen,
                "an application of this procedure for this person is already waiting for a decision",
                "NO_OPEN_APPLICATION",
                "applicant",
                "one open application per person and procedure",
            ),
            Conflict::PermitAlreadyGranted => precondition(
                Reason::PermitAlreadyGranted,
                "a permanent residence permit is already granted to a person of this application",
                "NO_PERMIT_YET",
                "applicant",
                "a permit is granted once",
            ),
            Conflict::RentMonthPaid => precondition(
                Reason::PeriodAlreadyPaid,
                "the rent of this month is already paid: one payment per month",
                "PERIOD_ALREADY_PAID",
                "period",
                "one rent payment per month",
            ),
            Conflict::AboveEntitlement => precondition(
                Reason::AboveEntitlement,
                "the payment would exceed the entitlement",
                "ABOVE_ENTITLEMENT",
                "application",
                "never above the entitlement",
            ),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        if let Some(conflict) = Conflict::of(&error) {
            return conflict.into();
        }
        passing_fault(&error).unwrap_or_else(|| ApiError::Internal(error.into()))
    }
}

impl From<Fault> for ApiError {
    fn from(fault: Fault) -> Self {
        let unavailable = |reason, what: &str| ApiError::Unavailable {
            reason,
            message: format!("{what}; retry with the same request_id"),
        };
        match fault {
            Fault::Unreachable => {
                unavailable(Reason::DatabaseUnavailable, "the database is unavailable")
            }
            Fault::ReadOnly => unavailable(
                Reason::DatabaseReadOnly,
                "the database accepts no writes now",
            ),
            Fault::OutOfResources => unavailable(
                Reason::DatabaseOutOfResources,
                "the database is out of resources",
            ),
            Fault::Contention => ApiError::Aborted {
                reason: Reason::TransactionConflict,
                message:
                    "a concurrent change conflicted with this one; retry with the same request_id"
                        .into(),
            },
        }
    }
}

impl From<crate::audit::AuditError> for ApiError {
    fn from(error: crate::audit::AuditError) -> Self {
        // The log's own database refusals mean what any other's do.
        let fault = match &error {
            crate::audit::AuditError::Database(db) => passing_fault(db),
            crate::audit::AuditError::Stopped => None,
        };
        fault.unwrap_or_else(|| ApiError::Internal(error.into()))
    }
}

/// A database refusal that says nothing about the request, logged once, as the caller is told
/// it; `None` for any other error.
fn passing_fault(error: &sqlx::Error) -> Option<ApiError> {
    let fault = Fault::of(error)?;
    tracing::warn!(%error, ?fault, "database refused");
    Some(fault.into())
}

/// Builds a `FailedPrecondition` from collected violations.
pub fn failed_precondition(
    reason: Reason,
    message: impl Into<String>,
    violations: Vec<Violation>,
) -> ApiError {
    ApiError::FailedPrecondition {
        reason,
        message: message.into(),
        violations,
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The canonical name of a gRPC code, as the audit log and grpcurl spell it.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// Collects every malformed field of a request, so one INVALID_ARGUMENT names them all.
#[derive(Debug, Default)]
pub struct Fields {
    errors: Vec<FieldError>,
}

impl Fields {
    pub fn new() -> Self {
        Self::default()
    }

    /// The parsed value, or `None` with its error kept.
    pub fn check<T>(&mut self, parsed: Result<T, FieldError>) -> Option<T> {
        parsed.map_err(|e| self.push(e)).ok()
    }

    pub fn push(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    /// Whether `field` already has an error, so a later rule does not report it twice.
    pub fn reported(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }

    /// How many errors so far: a parser compares it to tell whether its own part failed.
    pub fn count(&self) -> usize {
        self.errors.len()
    }

    /// `INVALID_ARGUMENT` with every collected violation, or Ok.
    pub fn finish(self) -> ApiResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::InvalidArgument(self.errors))
        }
    }

    /// `value` if nothing was collected: for a value built whole whose parts may still break
    /// rules (a document with a bad language code), combined with others by [`AllValid`].
    pub fn into_result<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(self.errors)
        }
    }
}

/// What a parse of one part can fail with: one broken rule or several.
pub trait IntoViolations {
    fn into_violations(self) -> Vec<FieldError>;
}

impl IntoViolations for FieldError {
    fn into_violations(self) -> Vec<FieldError> {
        vec![self]
    }
}

impl IntoViolations for Vec<FieldError> {
    fn into_violations(self) -> Vec<FieldError> {
        self
    }
}

/// A tuple of parsed parts, each `Ok` or its violations: every part's value, or every
/// violation of every part in order. A request is parsed whole this way, so no part can be
/// missing once its command is built.
pub trait AllValid {
    type Values;
    fn all_valid(self) -> Result<Self::Values, Vec<FieldError>>;

    /// The same, answered as `INVALID_ARGUMENT`.
    fn or_invalid(self) -> ApiResult<Self::Values>
    where
        Self: Sized,
    {
        self.all_valid().map_err(ApiError::InvalidArgument)
    }
}

macro_rules! all_valid_for_tuple {
    ($($value:ident $error:ident $part:ident),+) => {
        impl<$($value, $error: IntoViolations),+> AllValid for ($(Result<$value, $error>,)+) {
            type Values = ($($value,)+);
            fn all_valid(self) -> Result<Self::Values, Vec<FieldError>> {
                let ($($part,)+) = self;
                let mut errors = Vec::new();
                $(let $part = $part.map_err(|e| errors.extend(e.into_violations()));)+
                match ($($part,)+) {
                    ($(Ok($part),)+) => Ok(($($part,)+)),
                    _ => Err(errors),
                }
            }
        }
    };
}

all_valid_for_tuple!(A EA a);
all_valid_for_tuple!(A EA a, B EB b);
all_valid_for_tuple!(A EA a, B EB b, C EC c);
all_valid_for_tuple!(A EA a, B EB b, C EC c, D ED d);
all_valid_for_tuple!(A EA a, B EB b, C EC c, D ED d, E EE e);
all_valid_for_tuple!(A EA a, B EB b, C EC c, D ED d, E EE e, F EF f);
all_valid_for_tuple!(A EA a, B EB b, C EC c, D ED d, E EE e, F EF f, G EG g);
all_valid_for_tuple!(A EA a, B EB b, C EC c, D ED d, E EE e, F EF f, G EG g, H EH h);

#[cfg(test)]
mod tests {
    use super::*;

    fn broken(field: &str) -> FieldError {
        FieldError::new(field, "broken")
    }

    #[test]
    fn every_part_valid_gives_every_value() {
        let parts: (Result<u8, FieldError>, Result<&str, Vec<FieldError>>) = (Ok(1), Ok("x"));
        assert_eq!(parts.all_valid(), Ok((1, "x")));
    }

    #[test]
    fn violations_of_every_part_are_kept_in_order() {
        let many: Result<u8, Vec<FieldError>> = Ok(2);
        let parts = (Err::<u8, _>(broken("a")), many, Err::<u8, _>(broken("c")));
        let fields: Vec<String> = parts
            .all_valid()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["a", "c"]);
    }

    #[test]
    fn a_collector_with_errors_withholds_its_value() {
        let mut fields = Fields::new();
        assert_eq!(Fields::new().into_result(7), Ok(7));
        fields.push(broken("b"));
        assert_eq!(fields.into_result(7), Err(vec![broken("b")]));
    }
}

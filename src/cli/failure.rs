//! How a command ends when it does not succeed, what the operator is told on stderr, and the
//! exit code a script sees.

use super::output::Format;
use crate::error::code_name;
use serde_json::{Value, json};
use std::process::ExitCode;
use tonic::{Code, Status};
use tonic_types::StatusExt;
use uuid::Uuid;

/// Exit code when the command could not be made: a flag, a file or its contents. Nothing was
/// sent. (clap uses the same code for a malformed command line.)
const EXIT_LOCAL: u8 = 2;
/// Exit code when the service refused, could not be reached, or answered "no".
const EXIT_SERVICE: u8 = 1;

#[derive(Debug)]
pub enum Failure {
    /// The service answered with an error; `request_id` is the one a mutation was sent with,
    /// for a safe retry.
    Refused {
        status: Status,
        request_id: Option<Uuid>,
    },
    /// The service was not reached.
    Unreachable(anyhow::Error),
    /// The command could not be made from what was given.
    Local(anyhow::Error),
    /// The answer was received and printed, and it is a "no": NOT_SERVING, a broken chain.
    Negative,
}

impl Failure {
    pub fn refused(status: Status) -> Failure {
        Failure::Refused {
            status,
            request_id: None,
        }
    }

    /// The refusal of a mutation sent with `request_id`, which a retry should reuse.
    pub fn refused_request(request_id: Uuid) -> impl FnOnce(Status) -> Failure {
        move |status| Failure::Refused {
            status,
            request_id: Some(request_id),
        }
    }

    /// Reports the failure on stderr and gives the exit code.
    pub fn report(&self, format: Format) -> ExitCode {
        match self {
            Failure::Refused { status, request_id } => {
                match format {
                    Format::Human => eprint!("{}", describe(status, *request_id)),
                    Format::Json => eprintln!("{}", as_json(status, *request_id)),
                }
                ExitCode::from(EXIT_SERVICE)
            }
            Failure::Unreachable(error) => {
                eprintln!("kandas: {error:#}");
                ExitCode::from(EXIT_SERVICE)
            }
            Failure::Local(error) => {
                eprintln!("kandas: {error:#}");
                ExitCode::from(EXIT_LOCAL)
            }
            Failure::Negative => ExitCode::from(EXIT_SERVICE),
        }
    }
}

/// The refusal for a person: code and message, then every decoded detail on its own line.
fn describe(status: &Status, request_id: Option<Uuid>) -> String {
    let mut text = format!(
        "kandas: {}: {}\n",
        code_name(status.code()),
        status.message()
    );
    let details = status.get_error_details();
    if let Some(info) = details.error_info() {
        text.push_str(&format!("  reason: {} ({})\n", info.reason, info.domain));
        let mut metadata: Vec<_> = info.metadata.iter().collect();
        metadata.sort();
        for (key, value) in metadata {
            text.push_str(&format!("    {key}: {value}\n"));
        }
    }
    if let Some(bad) = details.bad_request() {
        for violation in &bad.field_violations {
            text.push_str(&format!(
                "  field {}: {}\n",
                violation.field, violation.description
            ));
        }
    }
    if let Some(failure) = details.precondition_failure() {
        for violation in &failure.violations {
            text.push_str(&format!(
                "  precondition {} {}: {}\n",
                violation.r#type, violation.subject, violation.description
            ));
        }
    }
    if let Some(failure) = details.quota_failure() {
        for violation in &failure.violations {
            text.push_str(&format!(
                "  quota {}: {}\n",
                violation.subject, violation.description
            ));
        }
    }
    if let Some(id) = request_id {
        if may_succeed_on_retry(status.code()) {
            text.push_str(&format!(
                "  request id {id}: repeat with --request-id {id} to retry safely\n"
            ));
        } else {
            text.push_str(&format!("  request id {id}\n"));
        }
    }
    text
}

/// Whether the same request could be answered differently later, or may even have been
/// carried out already: then a retry must reuse the request id. A refusal of the request
/// itself (a field, a grant, a precondition) answers the same every time.
fn may_succeed_on_retry(code: Code) -> bool {
    matches!(
        code,
        Code::Unavailable
            | Code::DeadlineExceeded
            | Code::Aborted
            | Code::Cancelled
            | Code::Unknown
            | Code::Internal
            | Code::ResourceExhausted
    )
}

/// The refusal for a program: one JSON object with the same facts.
fn as_json(status: &Status, request_id: Option<Uuid>) -> Value {
    let details = status.get_error_details();
    let mut error = json!({
        "code": code_name(status.code()),
        "message": status.message(),
    });
    if let Some(info) = details.error_info() {
        error["errorInfo"] = json!({
            "reason": info.reason,
            "domain": info.domain,
            "metadata": info.metadata,
        });
    }
    if let Some(bad) = details.bad_request() {
        error["fieldViolations"] = bad
            .field_violations
            .iter()
            .map(|v| json!({"field": v.field, "description": v.description}))
            .collect();
    }
    if let Some(failure) = details.precondition_failure() {
        error["preconditionViolations"] = failure
            .violations
            .iter()
            .map(|v| json!({"type": v.r#type, "subject": v.subject, "description": v.description}))
            .collect();
    }
    if let Some(failure) = details.quota_failure() {
        error["quotaViolations"] = failure
            .violations
            .iter()
            .map(|v| json!({"subject": v.subject, "description": v.description}))
            .collect();
    }
    if let Some(id) = request_id {
        error["requestId"] = json!(id.to_string());
    }
    json!({ "error": error })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_types::{ErrorDetails, FieldViolation};

    fn refusal() -> Status {
        let mut details = ErrorDetails::with_bad_request(vec![FieldViolation::new(
            "year",
            "required: a year from 1990 to 2200",
        )]);
        details.set_error_info(
            "INVALID_FIELDS",
            "kandas.gov.kz",
            std::collections::HashMap::new(),
        );
        Status::with_error_details(Code::InvalidArgument, "invalid request", details)
    }

    #[test]
    fn a_refusal_names_its_code_reason_and_fields() {
        let id = Uuid::new_v4();
        let text = describe(&refusal(), Some(id));
        assert!(
            text.starts_with("kandas: INVALID_ARGUMENT: invalid request\n"),
            "{text}"
        );
        assert!(
            text.contains("reason: INVALID_FIELDS (kandas.gov.kz)"),
            "{text}"
        );
        assert!(
            text.contains("field year: required: a year from 1990 to 2200"),
            "{text}"
        );
        assert!(text.ends_with(&format!("  request id {id}\n")), "{text}");
        assert!(
            !text.contains("--request-id"),
            "retrying cannot help: {text}"
        );
    }

    #[test]
    fn a_call_that_may_have_acted_says_how_to_retry_it_safely() {
        let id = Uuid::new_v4();
        let text = describe(&Status::unavailable("database unavailable"), Some(id));
        assert!(
            text.contains(&format!("repeat with --request-id {id}")),
            "{text}"
        );
        assert!(!describe(&Status::unavailable("x"), None).contains("request id"));
    }

    #[test]
    fn a_refusal_in_json_carries_the_same_facts() {
        let json = as_json(&refusal(), None);
        assert_eq!(json["error"]["code"], "INVALID_ARGUMENT");
        assert_eq!(json["error"]["errorInfo"]["reason"], "INVALID_FIELDS");
        assert_eq!(json["error"]["fieldViolations"][0]["field"], "year");
        assert!(json["error"].get("requestId").is_none());
    }

    #[test]
    fn every_code_has_its_canonical_name() {
        assert_eq!(code_name(Code::PermissionDenied), "PERMISSION_DENIED");
        assert_eq!(code_name(Code::from_i32(14)), "UNAVAILABLE");
    }
}

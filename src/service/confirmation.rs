//! The applicant's own confirmation of a portal act (SPEC 1.1): a portal that submits,
//! withdraws or appeals says how the applicant confirmed it; a signature is verified against
//! the national CAs the operator trusts and kept with the act, an SMS statement is accepted
//! only from an organisation the operator lets confirm by SMS. Other roles act under their
//! own certificate and carry none.

use crate::domain::call::Call;
use crate::domain::ids::ApplicationId;
use crate::domain::iin::Iin;
use crate::domain::role::Role;
use crate::error::{ApiError, ApiResult, FieldError, Reason};
use crate::signature::{self, Assurance, RequestDigest};
use crate::state::AppState;
use crate::store::confirmations::{self, Evidence, NewConfirmation};
use crate::store::{Tx, persons};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// What the request says about the applicant's confirmation, as parsed at the edge.
#[derive(Debug, Clone)]
pub enum Given {
    None,
    Sms {
        confirmed_at: DateTime<Utc>,
    },
    /// CMS SignedData, DER, as received.
    Signature(Vec<u8>),
}

/// The confirmation of one request and the digest of that request without it.
#[derive(Debug, Clone)]
pub struct Presented {
    pub given: Given,
    pub request: RequestDigest,
}

/// A confirmation that passed: its assurance, and the evidence to keep.
#[derive(Debug, Clone)]
pub struct Confirmed {
    pub assurance: Assurance,
    evidence: Option<Evidence>,
    at: DateTime<Utc>,
}

/// Checks how the applicant confirmed `call`'s act concerning `applicant`, read in `tx`.
pub async fn check(
    state: &AppState,
    tx: &mut Tx<'_>,
    call: &Call,
    applicant: Uuid,
    presented: &Presented,
) -> ApiResult<Confirmed> {
    let at = state.clock.now();
    let confirmed = |assurance, evidence| Confirmed {
        assurance,
        evidence,
        at,
    };
    if call.caller.role != Role::Portal {
        return match presented.given {
            Given::None => Ok(confirmed(Assurance::None, None)),
            Given::Sms { .. } => Err(only_portal("sms_confirmation")),
            Given::Signature(_) => Err(only_portal("applicant_signature")),
        };
    }
    match &presented.given {
        Given::None => Err(ApiError::PermissionDenied {
            reason: Reason::ApplicantConfirmationRequired,
            message: "a portal act needs the applicant's own confirmation: applicant_signature \
                      (their CMS signature over the request's canonical bytes) or \
                      sms_confirmation"
                .into(),
        }),
        Given::Sms { confirmed_at } => {
            let accepts = state
                .organisations
                .current()
                .get(&call.caller.organisation)
                .is_some_and(|o| o.accepts_sms_confirmation);
            if !accepts {
                return Err(ApiError::PermissionDenied {
                    reason: Reason::SmsConfirmationNotAccepted,
                    message: format!(
                        "organisation `{}` may not confirm acts by SMS: the applicant signs \
                         (applicant_signature)",
                        call.caller.organisation
                    ),
                });
            }
            Ok(confirmed(
                Assurance::Sms,
                Some(Evidence::Sms {
                    sms_confirmed_at: *confirmed_at,
                }),
            ))
        }
        Given::Signature(der) => {
            let iin = applicant_iin(tx, applicant).await?.ok_or_else(|| {
                refused(
                    Reason::SignerNotApplicant,
                    "the applicant has no IIN on record, so no national CA certificate is \
                     theirs; the portal confirms by SMS until an IIN is assigned"
                        .into(),
                )
            })?;
            let content = signature::signed_content(call.rpc, &iin, &presented.request);
            let trust = state.applicant_trust.current();
            let signer = signature::verify(der, &content, &trust, at, Some(&iin))
                .map_err(|refusal| refused(refusal.reason.into(), refusal.message))?;
            Ok(confirmed(
                Assurance::Signature,
                Some(Evidence::Signature {
                    signature: der.clone(),
                    signed_content: content,
                    signer_certificate: signer.certificate,
                    signer_fingerprint: signer.fingerprint,
                }),
            ))
        }
    }
}

/// Keeps the evidence of a confirmed act, with the application (and appeal) it concerns.
pub async fn record(
    tx: &mut Tx<'_>,
    call: &Call,
    request_id: Uuid,
    application_id: Uuid,
    appeal_id: Option<Uuid>,
    confirmed: &Confirmed,
) -> ApiResult<()> {
    let Some(evidence) = &confirmed.evidence else {
        return Ok(());
    };
    confirmations::insert(
        tx,
        &NewConfirmation {
            application_id,
            appeal_id,
            rpc: call.rpc,
            client: &call.caller.client(),
            request_id,
            confirmed_at: confirmed.at,
            evidence,
        },
    )
    .await?;
    Ok(())
}

/// The IIN of the person, if they have one.
pub async fn applicant_iin(tx: &mut Tx<'_>, person: Uuid) -> ApiResult<Option<Iin>> {
    let row = persons::get(&mut **tx, person)
        .await?
        .ok_or_else(|| ApiError::not_found("applicant"))?;
    Ok(row.iin.as_deref().and_then(|text| Iin::parse(text).ok()))
}

fn only_portal(field: &str) -> ApiError {
    ApiError::InvalidArgument(vec![FieldError::new(
        field,
        "only a portal call carries the applicant's confirmation; an office acts under its own certificate",
    )])
}

fn refused(reason: Reason, message: String) -> ApiError {
    ApiError::PermissionDenied { reason, message }
}

/// One act's stored confirmation, its signature (if any) verified again as of the act and as
/// of now from the stored evidence alone.
#[derive(Debug, Clone)]
pub struct VerifiedAct {
    pub row: confirmations::ConfirmationRow,
    pub signer_subject: String,
    pub at_act: Option<Verdict>,
    pub now: Option<Verdict>,
}

/// Whether a stored signature verifies at a moment.
#[derive(Debug, Clone)]
pub enum Verdict {
    Valid {
        revoked_since: Option<DateTime<Utc>>,
    },
    Refused(signature::Refusal),
}

/// Every confirmed act of an application within the caller's scope, verified again.
pub async fn verify_acts(
    state: &AppState,
    call: &Call,
    id: ApplicationId,
) -> ApiResult<Vec<VerifiedAct>> {
    let application_id = id.uuid();
    let mut conn = state.pool.acquire().await?;
    let application = crate::store::applications::get(&mut *conn, application_id)
        .await?
        .ok_or_else(|| ApiError::missing(call, "application"))?;
    call.scope().check(application.placement(), &call.subject)?;
    let iin = persons::get(&mut *conn, application.applicant_id)
        .await?
        .and_then(|row| row.iin)
        .and_then(|text| Iin::parse(&text).ok());
    let rows = confirmations::of_application(&mut *conn, application_id).await?;
    drop(conn);
    let trust = state.applicant_trust.current();
    let now = state.clock.now();
    Ok(rows
        .into_iter()
        .map(|row| {
            let (Some(der), Some(content)) = (&row.signature, &row.signed_content) else {
                return VerifiedAct {
                    row,
                    signer_subject: String::new(),
                    at_act: None,
                    now: None,
                };
            };
            let judge = |at| match stored_act_matches(&row.rpc, iin.as_ref(), content) {
                Err(refusal) => Verdict::Refused(refusal),
                Ok(()) => match signature::verify(der, content, &trust, at, iin.as_ref()) {
                    Ok(signer) => Verdict::Valid {
                        revoked_since: signer.revoked_since,
                    },
                    Err(refusal) => Verdict::Refused(refusal),
                },
            };
            let at_act = judge(row.confirmed_at);
            let today = judge(now);
            let signer_subject = row
                .signer_certificate
                .as_deref()
                .and_then(|der| {
                    use x509_parser::prelude::FromDer;
                    x509_parser::certificate::X509Certificate::from_der(der)
                        .ok()
                        .map(|(_, certificate)| certificate.subject().to_string())
                })
                .unwrap_or_default();
            VerifiedAct {
                row,
                signer_subject,
                at_act: Some(at_act),
                now: Some(today),
            }
        })
        .collect())
}

/// The stored canonical bytes must name the act they are stored with and the applicant: bytes
/// and a signature moved over from another act verify, but do not confirm this one.
fn stored_act_matches(
    rpc: &str,
    applicant: Option<&Iin>,
    content: &[u8],
) -> Result<(), signature::Refusal> {
    let expected = applicant.map(|iin| {
        format!(
            "{}\nrpc={rpc}\niin={}\n",
            signature::CANONICAL_HEADER,
            iin.as_str()
        )
    });
    match expected {
        Some(prefix) if content.starts_with(prefix.as_bytes()) => Ok(()),
        _ => Err(signature::Refusal::new(
            signature::Reason::ContentMismatch,
            "the stored signed bytes do not name this act and its applicant",
        )),
    }
}

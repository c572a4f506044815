//! How the applicant confirmed each portal act (SPEC 1.1): one row per act, with the whole
//! signature and what it covers, so the evidence verifies again without the portal.

use super::Tx;
use crate::domain::signature::Assurance;
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

/// The evidence of one act.
#[derive(Debug, Clone)]
pub enum Evidence {
    Sms {
        sms_confirmed_at: DateTime<Utc>,
    },
    Signature {
        signature: Vec<u8>,
        signed_content: Vec<u8>,
        signer_certificate: Vec<u8>,
        signer_fingerprint: String,
    },
}

/// One act's confirmation as it will be stored.
pub struct NewConfirmation<'a> {
    pub application_id: Uuid,
    pub appeal_id: Option<Uuid>,
    pub rpc: &'a str,
    pub client: &'a str,
    pub request_id: Uuid,
    /// The moment the act was judged at.
    pub confirmed_at: DateTime<Utc>,
    pub evidence: &'a Evidence,
}

#[derive(Debug, Clone)]
pub struct ConfirmationRow {
    pub rpc: String,
    pub client: String,
    pub request_id: Uuid,
    pub appeal_id: Option<Uuid>,
    pub assurance: Assurance,
    pub confirmed_at: DateTime<Utc>,
    pub sms_confirmed_at: Option<DateTime<Utc>>,
    pub signature: Option<Vec<u8>>,
    pub signed_content: Option<Vec<u8>>,
    pub signer_certificate: Option<Vec<u8>>,
    pub signer_fingerprint: Option<String>,
}

/// Stores an act's confirmation; signed bytes used before fail on
/// `applicant_signature_used_once`.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.confirmations.insert", db.system.name = "postgresql"))]
pub async fn insert(tx: &mut Tx<'_>, new: &NewConfirmation<'_>) -> Result<(), sqlx::Error> {
    let (assurance, sms, signature, content, certificate, fingerprint) = match new.evidence {
        Evidence::Sms { sms_confirmed_at } => (
            Assurance::Sms,
            Some(*sms_confirmed_at),
            None,
            None,
            None,
            None,
        ),
        Evidence::Signature {
            signature,
            signed_content,
            signer_certificate,
            signer_fingerprint,
        } => (
            Assurance::Signature,
            None,
            Some(signature.as_slice()),
            Some(signed_content.as_slice()),
            Some(signer_certificate.as_slice()),
            Some(signer_fingerprint.as_str()),
        ),
    };
    sqlx::query!(
        "INSERT INTO applicant_confirmations (id, application_id, appeal_id, rpc, client,
            request_id, assurance, confirmed_at, sms_confirmed_at, signature, signed_content,
            signer_certificate, signer_fingerprint)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        Uuid::now_v7(),
        new.application_id,
        new.appeal_id,
        new.rpc,
        new.client,
        new.request_id,
        assurance.as_str(),
        new.confirmed_at,
        sms,
        signature,
        content,
        certificate,
        fingerprint
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every confirmed act of an application, in the order they were made.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.confirmations.of_application", db.system.name = "postgresql"))]
pub async fn of_application<'e>(
    executor: impl PgExecutor<'e>,
    application_id: Uuid,
) -> Result<Vec<ConfirmationRow>, sqlx::Error> {
    sqlx::query_as!(
        ConfirmationRow,
        r#"SELECT rpc, client, request_id, appeal_id, assurance AS "assurance: Assurance",
                confirmed_at, sms_confirmed_at, signature, signed_content, signer_certificate,
                signer_fingerprint
         FROM applicant_confirmations WHERE application_id = $1 ORDER BY created_at, id"#,
        application_id
    )
    .fetch_all(executor)
    .await
}

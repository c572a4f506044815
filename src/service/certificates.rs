//! Kandas certificates after issue (SPEC 5.7): `psc` re-issues one by downloading it, and
//! anyone holding the paper checks its verification code.
//!
//! Decision: only a certificate in force is re-issued. An expired or annulled one stays on the
//! person's record (ListPersonRecords shows it), but a fresh paper would only ever verify as
//! no longer valid.

use crate::domain::call::Call;
use crate::domain::ids::PersonId;
use crate::domain::record_list::{Standing, status_standing};
use crate::domain::verification_code::{RANDOM_BYTES, VerificationCode};
use crate::error::{ApiError, ApiResult, Reason, Violation, failed_precondition};
use crate::service::persons::within;
use crate::state::AppState;
use crate::store::Tx;
use crate::store::certificates::{self, CertificateRow};
use crate::store::persons::{self, PersonRow};
use chrono::NaiveDate;
use uuid::Uuid;

/// DownloadKandasCertificate, parsed: the certificate `number` of `person`.
pub struct Download {
    pub person: PersonId,
    pub number: String,
}

/// What a re-issued certificate prints: its holder, the grant or extension it carries and the
/// code of that grant or extension.
pub struct Reissue {
    pub person: PersonRow,
    pub certificate: CertificateRow,
    pub code: VerificationCode,
    pub issued_on: NaiveDate,
}

/// What a verification code tells, as of `as_of`.
pub struct Verified {
    pub certificate: CertificateRow,
    pub standing: Standing,
    pub as_of: NaiveDate,
}

/// Re-issues certificate `number` of a person within the caller's scope. `present` sets the
/// paper; the code is stored with it, so a paper that cannot be set leaves no code behind.
pub async fn download<R>(
    state: &AppState,
    call: &Call,
    command: Download,
    present: impl FnOnce(&Reissue) -> ApiResult<R>,
) -> ApiResult<R> {
    let Download { person, number } = command;
    let mut tx = state.pool.begin().await?;
    let person = persons::get(&mut *tx, person.uuid())
        .await?
        .ok_or_else(|| ApiError::missing(call, "person"))?;
    within(&mut *tx, call, person.id).await?;
    let certificate = certificates::latest(&mut *tx, person.id, &number)
        .await?
        .ok_or_else(|| ApiError::not_found("kandas status"))?;
    let today = state.clock.today();
    let name = format!("persons/{}/kandas-statuses/{number}", person.id);
    ensure_in_force(&name, &certificate, today)?;
    let code = code_of(&mut tx, certificate.status_id).await?;
    let answer = present(&Reissue {
        person,
        certificate,
        code,
        issued_on: today,
    })?;
    tx.commit().await?;
    Ok(answer)
}

/// Refuses the re-issue of certificate `name` when it is no longer in force on `today`.
fn ensure_in_force(name: &str, certificate: &CertificateRow, today: NaiveDate) -> ApiResult<()> {
    let status = &certificate.status;
    let (reason, message) = match status_standing(status, today) {
        Standing::Valid | Standing::NotYet => return Ok(()),
        Standing::Annulled(from) => (
            Reason::KandasStatusAnnulled,
            format!("{name} is annulled from {from}; an annulled certificate is not re-issued"),
        ),
        Standing::Expired | Standing::Ended(_) => (
            Reason::KandasStatusExpired,
            format!(
                "{name} was valid through {}; an expired certificate is not re-issued",
                status.valid_until
            ),
        ),
    };
    Err(failed_precondition(
        reason,
        message.clone(),
        vec![Violation::new(reason.as_str(), name, message)],
    ))
}

/// The verification code of status `status_id`, made from the operating system's random
/// generator at its first download.
async fn code_of(tx: &mut Tx<'_>, status_id: Uuid) -> ApiResult<VerificationCode> {
    // A fresh code fails to store only when it collides with another (one chance in 2^80 per
    // certificate) or a concurrent first download stored its own; a few tries settle either.
    for _ in 0..3 {
        let mut random = [0u8; RANDOM_BYTES];
        getrandom::fill(&mut random)
            .map_err(|e| ApiError::internal(anyhow::anyhow!("the OS random generator: {e}")))?;
        let candidate = VerificationCode::from_random(random);
        if let Some(stored) = certificates::code_for(tx, status_id, candidate.as_str()).await? {
            return VerificationCode::parse(&stored).map_err(|e| {
                ApiError::internal(anyhow::anyhow!("a stored verification code {e}"))
            });
        }
    }
    Err(ApiError::internal(anyhow::anyhow!(
        "no verification code could be stored in three tries"
    )))
}

/// The certificate `code` was printed on, as it stands today. A code no certificate carries
/// is NOT_FOUND, whoever asks.
pub async fn verify(state: &AppState, code: &VerificationCode) -> ApiResult<Verified> {
    let certificate = certificates::by_code(&state.pool, code.as_str())
        .await?
        .ok_or_else(|| ApiError::not_found("kandas certificate with this verification code"))?;
    let as_of = state.clock.today();
    Ok(Verified {
        standing: status_standing(&certificate.status, as_of),
        certificate,
        as_of,
    })
}

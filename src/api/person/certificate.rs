//! A re-issued kandas certificate as the answer carries it: the paper set in the configured
//! font, and a verification as its answer; nothing about the holder leaves through the latter.

use crate::api::convert::date_to_proto;
use crate::domain::record_list::Standing;
use crate::error::{ApiError, ApiResult, Reason, Violation, failed_precondition};
use crate::pb;
use crate::render::FontError;
use crate::render::kandas_certificate::{self, Holder, KandasCertificate};
use crate::service::certificates::{Reissue, Verified};
use std::path::Path;

/// The setting an operator changes when the font is wrong.
const FONT_SETTING: &str = "KANDAS_CERTIFICATE_FONT";

/// The refusal of a download because of the font, naming the setting; the path and the cause
/// go to the log, as they are the operator's to fix.
fn font_refused(reason: Reason, why: &str) -> ApiError {
    let message = format!(
        "kandas certificates cannot be set: the font {FONT_SETTING} {why}; the operator sets \
         {FONT_SETTING} to a TrueType font with Cyrillic and Kazakh letters (Debian: \
         apt-get install fonts-dejavu-core)"
    );
    failed_precondition(
        reason,
        message.clone(),
        vec![Violation::new(reason.as_str(), FONT_SETTING, message)],
    )
}

/// Reads the certificate font; the refusal is kept for the moment a certificate is to be set,
/// so that a call refused for other reasons is refused for those.
pub(super) async fn read_font(path: &Path) -> Result<Vec<u8>, ApiError> {
    tokio::fs::read(path).await.map_err(|error| {
        tracing::warn!(font = %path.display(), %error, "the certificate font cannot be read");
        font_refused(Reason::CertificateFontUnavailable, "cannot be read")
    })
}

fn render_refused(error: FontError) -> ApiError {
    tracing::warn!(%error, "the certificate font cannot set a certificate");
    match error {
        FontError::MissingGlyph => font_refused(
            Reason::CertificateFontIncomplete,
            "lacks a letter this certificate needs",
        ),
        other => font_refused(Reason::CertificateFontUnusable, &other.to_string()),
    }
}

/// The answer to a download: the certificate set in `font`, named as the request named it.
pub(super) fn present(
    reissue: &Reissue,
    name: &str,
    font: Result<Vec<u8>, ApiError>,
) -> ApiResult<pb::KandasCertificate> {
    let font = font?;
    let Reissue {
        person,
        certificate,
        code,
        issued_on,
    } = reissue;
    let status = &certificate.status;
    let paper = KandasCertificate {
        number: status.certificate_number.clone(),
        holder: Holder {
            surname: person.surname.clone(),
            given_name: person.given_name.clone(),
            patronymic: person.patronymic.clone(),
            iin: person.iin.as_ref().map(|iin| iin.trim().to_string()),
            birth_date: person.birth_date,
        },
        valid_from: status.valid_from,
        valid_until: status.valid_until,
        extension: certificate.extension,
        decision_date: certificate.decision_date,
        decided_by: decided_by_name(certificate),
        code: code.clone(),
        issued_on: *issued_on,
    };
    let pdf = kandas_certificate::render(&paper, &font).map_err(render_refused)?;
    Ok(pb::KandasCertificate {
        name: name.to_string(),
        number: paper.number,
        pdf,
        verification_code: code.to_string(),
        valid_from: Some(date_to_proto(status.valid_from)),
        valid_until: Some(date_to_proto(status.valid_until)),
    })
}

/// The deciding organisation by its registered name, else by its id.
fn decided_by_name(certificate: &crate::store::certificates::CertificateRow) -> String {
    certificate
        .decided_by_name
        .clone()
        .unwrap_or_else(|| certificate.decided_by.clone())
}

/// The answer to a verification: the certificate's number, dates and deciding body.
pub(super) fn verification_to_proto(verified: &Verified) -> pb::KandasCertificateVerification {
    use pb::kandas_certificate_verification::State;
    let certificate = &verified.certificate;
    let status = &certificate.status;
    let state = match verified.standing {
        Standing::Valid => State::Valid,
        Standing::NotYet => State::NotYetValid,
        Standing::Expired | Standing::Ended(_) => State::Expired,
        Standing::Annulled(_) => State::Annulled,
    };
    pb::KandasCertificateVerification {
        state: state as i32,
        as_of: Some(date_to_proto(verified.as_of)),
        number: status.certificate_number.clone(),
        valid_from: Some(date_to_proto(status.valid_from)),
        valid_until: Some(date_to_proto(status.valid_until)),
        annulled_on: status.annulment.as_ref().map(|a| date_to_proto(a.from)),
        decided_by: certificate.decided_by.clone(),
        decided_by_name: decided_by_name(certificate),
        extension: certificate.extension,
    }
}

//! The applicant's confirmation carried by a submission, withdrawal or appeal, parsed: the
//! signature or the SMS statement, and the digest of the request without it, which is what the
//! canonical bytes name.

use crate::api::convert::{assurance_to_proto, timestamp};
use crate::domain::signature::RequestDigest;
use crate::error::{FieldError, Reason};
use crate::pb;
use crate::service::confirmation::{Given, Presented, Verdict, VerifiedAct};
use chrono::{DateTime, Utc};
use prost::Message;

/// The two ways a request states the applicant's confirmation, whichever message carries
/// them.
pub(super) enum Stated {
    Signature(Vec<u8>),
    Sms(pb::SmsConfirmation),
}

/// Takes the confirmation out of a copy of `request` (with `take`) and digests the rest.
pub(super) fn presented<M: Message + Clone>(
    request: &M,
    take: impl FnOnce(&mut M) -> Option<Stated>,
) -> Result<Presented, FieldError> {
    let mut bare = request.clone();
    let given = match take(&mut bare) {
        None => Given::None,
        Some(Stated::Signature(der)) if der.is_empty() => {
            return Err(FieldError::new(
                "applicant_signature",
                "empty: the applicant's CMS SignedData in DER, or leave it unset",
            ));
        }
        Some(Stated::Signature(der)) => Given::Signature(der),
        Some(Stated::Sms(sms)) => Given::Sms {
            confirmed_at: sms_time(sms.confirm_time.as_ref())?,
        },
    };
    Ok(Presented {
        given,
        request: RequestDigest::of_encoding(&bare.encode_to_vec()),
    })
}

fn sms_time(given: Option<&prost_types::Timestamp>) -> Result<DateTime<Utc>, FieldError> {
    given
        .and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).ok()?))
        .ok_or_else(|| {
            FieldError::new(
                "sms_confirmation.confirm_time",
                "required: when the applicant confirmed the SMS code",
            )
        })
}

fn verdict_to_proto(verdict: &Verdict) -> pb::SignatureVerdict {
    match verdict {
        Verdict::Valid { revoked_since } => pb::SignatureVerdict {
            valid: true,
            revoke_time: revoked_since.map(timestamp),
            ..Default::default()
        },
        Verdict::Refused(refusal) => pb::SignatureVerdict {
            valid: false,
            reason: Reason::from(refusal.reason).to_string(),
            message: refusal.message.clone(),
            revoke_time: None,
        },
    }
}

pub(super) fn act_to_proto(act: &VerifiedAct) -> pb::ApplicantAct {
    let row = &act.row;
    pb::ApplicantAct {
        rpc: row.rpc.clone(),
        client: row.client.clone(),
        request_id: row.request_id.to_string(),
        appeal: row
            .appeal_id
            .map(|id| crate::domain::ids::AppealId::from(id).to_string())
            .unwrap_or_default(),
        assurance: assurance_to_proto(row.assurance) as i32,
        confirm_time: Some(timestamp(row.confirmed_at)),
        sms_confirm_time: row.sms_confirmed_at.map(timestamp),
        signature: row.signature.clone().unwrap_or_default(),
        signed_content: row.signed_content.clone().unwrap_or_default(),
        signer_certificate: row.signer_certificate.clone().unwrap_or_default(),
        signer_subject: act.signer_subject.clone(),
        signer_fingerprint: row.signer_fingerprint.clone().unwrap_or_default(),
        at_act: act.at_act.as_ref().map(verdict_to_proto),
        now: act.now.as_ref().map(verdict_to_proto),
    }
}

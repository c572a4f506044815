//! The canonical bytes an applicant signs: a short UTF-8 text that names the act, the
//! applicant and the exact request, so that a signature can neither be moved to another RPC
//! (a withdrawal and an appeal have fields of the same numbers and types) nor to another
//! request or person.
//!
//! ```text
//! kandas-applicant-signature-v1
//! rpc=/kandas.v1.ApplicationService/SubmitApplication
//! iin=870101300123
//! request-sha256=<64 lowercase hex digits>
//! ```
//!
//! Every line ends with a line feed, the last one too. The request's SHA-256 is over its
//! protobuf encoding with the confirmation (`applicant_signature` / `sms_confirmation`) left
//! unset: fields in field-number order, no unknown fields, which is what every protobuf
//! library writes for these messages (they have no maps).

use super::super::iin::Iin;
use ring::digest::{SHA256, digest};

/// First line of the canonical bytes: the version of this layout.
pub const CANONICAL_HEADER: &str = "kandas-applicant-signature-v1";

/// SHA-256 of a request's encoding without its confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestDigest([u8; 32]);

impl RequestDigest {
    /// The digest of a request already encoded without its confirmation.
    pub fn of_encoding(encoded: &[u8]) -> RequestDigest {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(digest(&SHA256, encoded).as_ref());
        RequestDigest(bytes)
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

/// The bytes the applicant signs for `rpc` (its full path) on this request.
pub fn signed_content(rpc: &str, applicant: &Iin, request: &RequestDigest) -> Vec<u8> {
    format!(
        "{CANONICAL_HEADER}\nrpc={rpc}\niin={}\nrequest-sha256={}\n",
        applicant.as_str(),
        request.to_hex()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_is_four_lines_each_ending_in_a_line_feed() {
        let iin = Iin::generate(
            chrono::NaiveDate::from_ymd_opt(1987, 1, 1).unwrap(),
            crate::iin::Sex::Male,
            1,
        )
        .unwrap()
        .unwrap();
        let digest = RequestDigest::of_encoding(b"");
        let text = String::from_utf8(signed_content(
            "/kandas.v1.ApplicationService/SubmitApplication",
            &iin,
            &digest,
        ))
        .unwrap();
        let lines: Vec<&str> = text.split_terminator('\n').collect();
        assert_eq!(lines.len(), 4);
        assert!(text.ends_with('\n'));
        assert_eq!(lines[0], CANONICAL_HEADER);
        assert_eq!(
            lines[1],
            "rpc=/kandas.v1.ApplicationService/SubmitApplication"
        );
        assert_eq!(lines[2], format!("iin={}", iin.as_str()));
        // SHA-256 of nothing, as every implementation knows it.
        assert_eq!(
            lines[3],
            "request-sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}

//! The applicant's own confirmation of a portal act (SPEC 1.1): a CMS signature made with a
//! certificate of a national certification authority the operator trusts, over the act's
//! canonical bytes, or the portal's statement that a one-time SMS code was confirmed.
//!
//! Here are what a signature must cover (the act's canonical bytes), why one is refused and
//! how an act was confirmed; the verification itself, which needs X.509 and CMS parsers, is
//! the service's (`kandas::signature`).

mod canonical;
mod refusal;

pub use canonical::{CANONICAL_HEADER, RequestDigest, signed_content};
pub use refusal::{Reason, Refusal};

/// How the applicant confirmed an act, as stored with it and shown to the offices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Assurance {
    /// The act came from an office or channel that acts under its own certificate.
    None,
    /// The portal states that the applicant confirmed a one-time SMS code.
    Sms,
    /// The applicant's own CMS signature, verified and stored.
    Signature,
}

impl Assurance {
    pub fn as_str(self) -> &'static str {
        match self {
            Assurance::None => "none",
            Assurance::Sms => "sms",
            Assurance::Signature => "signature",
        }
    }

    pub fn parse(text: &str) -> Option<Assurance> {
        [Assurance::None, Assurance::Sms, Assurance::Signature]
            .into_iter()
            .find(|a| a.as_str() == text)
    }
}

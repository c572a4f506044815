//! The applicant's own confirmation of a portal act (SPEC 1.1): a CMS signature made with a
//! certificate of a national certification authority the operator trusts, over the act's
//! canonical bytes, or the portal's statement that a one-time SMS code was confirmed.
//!
//! Everything here is pure: the trusted certificates and CRLs arrive as bytes, and the moment
//! the signature is judged at is passed in, so the same function answers for the act's day and
//! for today.

mod canonical;
mod cms;
mod refusal;
mod trust;
mod verify;

pub use canonical::{CANONICAL_HEADER, RequestDigest, signed_content};
pub use refusal::{Reason, Refusal};
pub use trust::{TrustError, TrustStore};
pub use verify::{Signer, verify};

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

#[cfg(test)]
mod tests;

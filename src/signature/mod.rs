//! The applicant's own confirmation of a portal act (SPEC 1.1): a CMS signature made with a
//! certificate of a national certification authority the operator trusts, over the act's
//! canonical bytes (`domain::signature`), or the portal's statement that a one-time SMS code
//! was confirmed.
//!
//! Everything here is pure: the trusted certificates and CRLs arrive as bytes, and the moment
//! the signature is judged at is passed in, so the same function answers for the act's day and
//! for today.

mod cms;
mod trust;
mod verify;

pub use crate::domain::signature::{
    Assurance, CANONICAL_HEADER, Reason, Refusal, RequestDigest, signed_content,
};
pub use trust::{TrustError, TrustStore};
pub use verify::{Signer, verify};

#[cfg(test)]
mod tests;

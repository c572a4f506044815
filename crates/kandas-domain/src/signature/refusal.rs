//! Why a signature is not accepted, in the words the caller and the offices are given. No
//! message names a person: the IIN and names stay in the certificate.

/// What is wrong with a signature; each is sent as an ErrorInfo reason of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Not a CMS SignedData in DER, or without exactly one signer and its certificate.
    Malformed,
    /// A GOST algorithm, or another the service does not verify.
    AlgorithmUnsupported,
    /// The signature value does not verify with the signer's key.
    Invalid,
    /// The signature verifies, but over other bytes than this request's canonical bytes.
    ContentMismatch,
    /// The signer's certificate does not chain to a trusted national CA.
    CertificateUntrusted,
    CertificateExpired,
    CertificateNotYetValid,
    CertificateRevoked,
    /// Revocation cannot be decided: no CRL of the issuer, or the one in force is stale.
    RevocationUnknown,
    /// Neither digitalSignature nor nonRepudiation is among the key usages.
    KeyUsage,
    /// The certificate's subject serialNumber is not `IIN` and the applicant's digits.
    NotApplicant,
}

/// A refused signature: the reason and what exactly is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub reason: Reason,
    pub message: String,
}

impl Refusal {
    pub fn new(reason: Reason, message: impl Into<String>) -> Refusal {
        Refusal {
            reason,
            message: message.into(),
        }
    }
}

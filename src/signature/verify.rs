//! Verifies an applicant's CMS signature over an act's canonical bytes: the algorithm, the
//! signature value, that it covers exactly these bytes, the signer's chain to a trusted national
//! CA with its validity and revocation at the moment given, the key usage, and the IIN in the
//! certificate's subject.

use super::cms::{self, ID_DATA};
use super::trust::TrustStore;
use crate::domain::iin::Iin;
use crate::domain::signature::{Reason, Refusal};
use chrono::{DateTime, Utc};
use der::asn1::ObjectIdentifier as Oid;
use ring::{digest, signature};
use rustls::pki_types::{CertificateDer, UnixTime};
use webpki::{
    EndEntityCert, ExpirationPolicy, ExtendedKeyUsageValidator, KeyPurposeIdIter,
    RevocationCheckDepth, RevocationOptionsBuilder, UnknownStatusPolicy,
};
use x509_parser::prelude::{FromDer, X509Certificate};

/// The signer of a verified signature, as stored with the act.
#[derive(Clone, PartialEq, Eq)]
pub struct Signer {
    pub iin: Iin,
    /// The certificate's subject, RFC 4514 style (it names the person: a file's content).
    pub subject: String,
    /// The signer's certificate, DER.
    pub certificate: Vec<u8>,
    /// SHA-256 of the certificate, lowercase hex.
    pub fingerprint: String,
    /// The signature algorithm in words, e.g. `ECDSA P-256 with SHA-256`.
    pub algorithm: &'static str,
    /// The certificate was revoked after the moment judged (the revocation does not reach back
    /// to the act), on this date.
    pub revoked_since: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The subject and certificate name the person.
        f.debug_struct("Signer")
            .field("fingerprint", &self.fingerprint)
            .field("algorithm", &self.algorithm)
            .field("revoked_since", &self.revoked_since)
            .finish_non_exhaustive()
    }
}

const GOST_ARC: &str = "1.2.643.";
const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";
const SHA384_WITH_RSA: &str = "1.2.840.113549.1.1.12";
const SHA512_WITH_RSA: &str = "1.2.840.113549.1.1.13";
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const ECDSA_WITH_SHA256: &str = "1.2.840.10045.4.3.2";
const ECDSA_WITH_SHA384: &str = "1.2.840.10045.4.3.3";
const P256: &str = "1.2.840.10045.3.1.7";
const P384: &str = "1.3.132.0.34";
const SERIAL_NUMBER: &str = "2.5.4.5";

/// Verifies `signature` (CMS SignedData, DER) over `content` as of `at`. With `applicant`,
/// the signer must be that person.
pub fn verify(
    signature: &[u8],
    content: &[u8],
    trust: &TrustStore,
    at: DateTime<Utc>,
    applicant: Option<&Iin>,
) -> Result<Signer, Refusal> {
    let signed = cms::parse(signature)?;
    let (_, certificate) = X509Certificate::from_der(&signed.certificate).map_err(|e| {
        Refusal::new(
            Reason::Malformed,
            format!("the signer's certificate cannot be parsed ({e})"),
        )
    })?;
    let key_algorithm = certificate.public_key().algorithm.algorithm.to_id_string();
    for oid in [
        signed.digest_algorithm.to_string(),
        signed.signature_algorithm.to_string(),
        key_algorithm.clone(),
        certificate.signature_algorithm.algorithm.to_id_string(),
    ] {
        if oid.starts_with(GOST_ARC) {
            return Err(Refusal::new(
                Reason::AlgorithmUnsupported,
                format!(
                    "GOST (GOST R 34.10 / 34.11, algorithm {oid}) signatures are not verified yet; sign with the applicant's RSA or ECDSA certificate of the national CA"
                ),
            ));
        }
    }
    let (hash, hash_name) = digest_of(signed.digest_algorithm)?;
    let (algorithm, name) = verification_algorithm(
        &key_algorithm,
        certificate.public_key().algorithm.parameters.as_ref(),
        &signed.signature_algorithm.to_string(),
        hash_name,
    )?;
    if signed.content_type != ID_DATA {
        return Err(Refusal::new(
            Reason::ContentMismatch,
            format!(
                "the signed content is of type {}, not id-data",
                signed.content_type
            ),
        ));
    }
    if signed
        .content
        .as_deref()
        .is_some_and(|carried| carried != content)
    {
        return Err(Refusal::new(
            Reason::ContentMismatch,
            "the signature carries other content than this request's canonical bytes",
        ));
    }
    let message: &[u8] = match &signed.attributes {
        None => content,
        Some(attributes) => {
            let stated = attributes.message_digest.as_deref().ok_or_else(|| {
                Refusal::new(
                    Reason::Malformed,
                    "the signed attributes lack the message digest",
                )
            })?;
            if attributes.content_type != Some(ID_DATA) {
                return Err(Refusal::new(
                    Reason::Malformed,
                    "the signed attributes must state content type id-data",
                ));
            }
            if digest::digest(hash, content).as_ref() != stated {
                return Err(Refusal::new(
                    Reason::ContentMismatch,
                    "the signature was made over other bytes than this request's canonical bytes: another request, another RPC or another applicant",
                ));
            }
            &attributes.der
        }
    };
    signature::UnparsedPublicKey::new(algorithm, &certificate.public_key().subject_public_key.data)
        .verify(message, &signed.signature)
        .map_err(|_| {
            Refusal::new(
                Reason::Invalid,
                "the signature value does not verify with the key of the signer's certificate",
            )
        })?;
    let revoked_since = chain(&signed.certificate, &signed.others, trust, at)?;
    let usage_allows_signing = match certificate.key_usage() {
        Ok(Some(usage)) => usage.value.digital_signature() || usage.value.non_repudiation(),
        _ => false,
    };
    if !usage_allows_signing {
        return Err(Refusal::new(
            Reason::KeyUsage,
            "the signer's certificate is not for signatures: its key usage has neither digitalSignature nor nonRepudiation",
        ));
    }
    let iin = subject_iin(&certificate)?;
    if applicant.is_some_and(|applicant| *applicant != iin) {
        return Err(Refusal::new(
            Reason::NotApplicant,
            "the signing certificate belongs to another person than the applicant (its subject serialNumber names another IIN)",
        ));
    }
    Ok(Signer {
        iin,
        subject: certificate.subject().to_string(),
        fingerprint: hex::encode(digest::digest(&digest::SHA256, &signed.certificate)),
        certificate: signed.certificate.clone(),
        algorithm: name,
        revoked_since,
    })
}

fn digest_of(oid: Oid) -> Result<(&'static digest::Algorithm, &'static str), Refusal> {
    match oid {
        SHA256 => Ok((&digest::SHA256, "SHA-256")),
        SHA384 => Ok((&digest::SHA384, "SHA-384")),
        SHA512 => Ok((&digest::SHA512, "SHA-512")),
        other => Err(Refusal::new(
            Reason::AlgorithmUnsupported,
            format!("digest algorithm {other} is not supported; use SHA-256, SHA-384 or SHA-512"),
        )),
    }
}

/// The algorithm that checks a signature of `signature_oid` with a key of `key_oid`, the
/// signed attributes hashed with `hash`.
fn verification_algorithm(
    key_oid: &str,
    key_parameters: Option<&x509_parser::der_parser::asn1_rs::Any>,
    signature_oid: &str,
    hash: &'static str,
) -> Result<(&'static dyn signature::VerificationAlgorithm, &'static str), Refusal> {
    let unsupported = || {
        Refusal::new(
            Reason::AlgorithmUnsupported,
            format!(
                "signature algorithm {signature_oid} with a key of {key_oid} and {hash} is not supported; RSA (PKCS #1 v1.5, 2048 bits or more) and ECDSA on P-256 or P-384 with SHA-256 or SHA-384 are"
            ),
        )
    };
    let named_hash = match signature_oid {
        RSA_ENCRYPTION | EC_PUBLIC_KEY => hash,
        SHA256_WITH_RSA | ECDSA_WITH_SHA256 => "SHA-256",
        SHA384_WITH_RSA | ECDSA_WITH_SHA384 => "SHA-384",
        SHA512_WITH_RSA => "SHA-512",
        _ => return Err(unsupported()),
    };
    if named_hash != hash {
        return Err(unsupported());
    }
    let rsa_signature = matches!(
        signature_oid,
        RSA_ENCRYPTION | SHA256_WITH_RSA | SHA384_WITH_RSA | SHA512_WITH_RSA
    );
    match key_oid {
        RSA_ENCRYPTION if rsa_signature => match hash {
            "SHA-256" => Ok((
                &signature::RSA_PKCS1_2048_8192_SHA256,
                "RSA PKCS #1 v1.5 with SHA-256",
            )),
            "SHA-384" => Ok((
                &signature::RSA_PKCS1_2048_8192_SHA384,
                "RSA PKCS #1 v1.5 with SHA-384",
            )),
            _ => Ok((
                &signature::RSA_PKCS1_2048_8192_SHA512,
                "RSA PKCS #1 v1.5 with SHA-512",
            )),
        },
        EC_PUBLIC_KEY if !rsa_signature => {
            let curve = key_parameters
                .and_then(|p| p.clone().oid().ok())
                .map(|oid| oid.to_id_string());
            match (curve.as_deref(), hash) {
                (Some(P256), "SHA-256") => Ok((
                    &signature::ECDSA_P256_SHA256_ASN1,
                    "ECDSA P-256 with SHA-256",
                )),
                (Some(P256), "SHA-384") => Ok((
                    &signature::ECDSA_P256_SHA384_ASN1,
                    "ECDSA P-256 with SHA-384",
                )),
                (Some(P384), "SHA-256") => Ok((
                    &signature::ECDSA_P384_SHA256_ASN1,
                    "ECDSA P-384 with SHA-256",
                )),
                (Some(P384), "SHA-384") => Ok((
                    &signature::ECDSA_P384_SHA384_ASN1,
                    "ECDSA P-384 with SHA-384",
                )),
                _ => Err(unsupported()),
            }
        }
        _ => Err(unsupported()),
    }
}

/// Any extended key usage is accepted: a national CA's signing certificates state their own,
/// and the key usage bits are what say a key signs.
struct AnyExtendedUsage;

impl ExtendedKeyUsageValidator for AnyExtendedUsage {
    fn validate(&self, _: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        Ok(())
    }
}

fn unix_time(at: DateTime<Utc>) -> UnixTime {
    UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        u64::try_from(at.timestamp()).unwrap_or(0),
    ))
}

fn date_of(time: UnixTime) -> DateTime<Utc> {
    DateTime::from_timestamp(time.as_secs() as i64, 0).unwrap_or_default()
}

/// Checks the signer's chain to a trusted CA as of `at`, with revocation when CRLs are in
/// force. A revocation dated after `at` does not reach back: it is returned, not refused.
fn chain(
    certificate: &[u8],
    others: &[Vec<u8>],
    trust: &TrustStore,
    at: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, Refusal> {
    if trust.anchors.is_empty() {
        return Err(Refusal::new(
            Reason::CertificateUntrusted,
            "no national certification authority is trusted for applicant signatures (the operator sets KANDAS_APPLICANT_SIGNATURE_CA)",
        ));
    }
    let der = CertificateDer::from(certificate);
    let end_entity = EndEntityCert::try_from(&der).map_err(|e| {
        Refusal::new(
            Reason::Malformed,
            format!("the signer's certificate cannot be read ({e})"),
        )
    })?;
    let intermediates: Vec<CertificateDer<'_>> = others
        .iter()
        .map(|d| CertificateDer::from(d.as_slice()))
        .collect();
    let crls: Vec<&webpki::CertRevocationList<'_>> = trust.crls.iter().collect();
    let check = |with_revocation: bool| {
        let revocation = (with_revocation && !crls.is_empty()).then(|| {
            RevocationOptionsBuilder::new(&crls)
                .expect("the list is not empty")
                .with_depth(RevocationCheckDepth::Chain)
                .with_status_policy(UnknownStatusPolicy::Deny)
                .with_expiration_policy(ExpirationPolicy::Enforce)
                .build()
        });
        end_entity
            .verify_for_usage(
                webpki::ALL_VERIFICATION_ALGS,
                &trust.anchors,
                &intermediates,
                unix_time(at),
                AnyExtendedUsage,
                revocation,
                None,
            )
            .map(|_| ())
    };
    match check(true) {
        Ok(()) => Ok(None),
        Err(webpki::Error::CertRevoked) => {
            // When the CRL says the certificate went out of use after `at`, the signature
            // stood then; the earlier of the revocation and the invalidity date counts.
            let since = trust
                .crls
                .iter()
                .filter(|crl| crl.issuer() == end_entity.issuer())
                .filter_map(|crl| crl.find_serial(end_entity.serial()).ok().flatten())
                .map(|entry| {
                    let revoked = entry.revocation_date;
                    entry
                        .invalidity_date
                        .map_or(revoked, |invalid| invalid.min(revoked))
                })
                .min()
                .map(date_of);
            match since {
                Some(since) if since > at => match check(false) {
                    Ok(()) => Ok(Some(since)),
                    Err(error) => Err(chain_refusal(error)),
                },
                Some(since) => Err(Refusal::new(
                    Reason::CertificateRevoked,
                    format!(
                        "the signer's certificate was revoked on {}",
                        since.format("%Y-%m-%d")
                    ),
                )),
                None => Err(chain_refusal(webpki::Error::CertRevoked)),
            }
        }
        Err(error) => Err(chain_refusal(error)),
    }
}

fn chain_refusal(error: webpki::Error) -> Refusal {
    use webpki::Error as E;
    match &error {
        E::CertExpired { not_after, .. } => Refusal::new(
            Reason::CertificateExpired,
            format!(
                "the signer's certificate expired on {}",
                date_of(*not_after).format("%Y-%m-%d")
            ),
        ),
        E::CertNotValidYet { not_before, .. } => Refusal::new(
            Reason::CertificateNotYetValid,
            format!(
                "the signer's certificate is valid only from {}",
                date_of(*not_before).format("%Y-%m-%d")
            ),
        ),
        E::CertRevoked => Refusal::new(
            Reason::CertificateRevoked,
            "a certificate of the signer's chain is revoked",
        ),
        E::UnknownRevocationStatus => Refusal::new(
            Reason::RevocationUnknown,
            "no revocation list in force covers a certificate of the signer's chain; the operator sets KANDAS_APPLICANT_SIGNATURE_CRL",
        ),
        E::CrlExpired { next_update, .. } => Refusal::new(
            Reason::RevocationUnknown,
            format!(
                "the revocation list in force was due for renewal on {}; revocation cannot be decided until the operator installs a current one",
                date_of(*next_update).format("%Y-%m-%d")
            ),
        ),
        E::InvalidCrlSignatureForPublicKey
        | E::IssuerNotCrlSigner
        | E::UnsupportedCrlSignatureAlgorithmContext(_)
        | E::UnsupportedCrlSignatureAlgorithmForPublicKeyContext(_)
        | E::UnsupportedIndirectCrl
        | E::UnsupportedDeltaCrl
        | E::UnsupportedCrlVersion
        | E::UnsupportedCrlIssuingDistributionPoint => Refusal::new(
            Reason::RevocationUnknown,
            format!(
                "the revocation list in force for the signer's CA cannot be used ({error:?}); the operator must install the one the CA signed"
            ),
        ),
        E::UnknownIssuer => Refusal::new(
            Reason::CertificateUntrusted,
            "the signer's certificate does not chain to a national certification authority trusted for applicant signatures",
        ),
        other => Refusal::new(
            Reason::CertificateUntrusted,
            format!("the signer's certificate chain is not valid ({other})"),
        ),
    }
}

/// The IIN in the subject's serialNumber, as the national CA writes it: `IIN` and 12 digits.
fn subject_iin(certificate: &X509Certificate<'_>) -> Result<Iin, Refusal> {
    let not_individual = || {
        Refusal::new(
            Reason::NotApplicant,
            "the signing certificate's subject has no serialNumber `IIN` followed by 12 digits: it is not an individual's certificate of the national CA",
        )
    };
    let oid =
        x509_parser::oid_registry::Oid::from_str(SERIAL_NUMBER).map_err(|_| not_individual())?;
    let values: Vec<&str> = certificate
        .subject()
        .iter_by_oid(&oid)
        .filter_map(|attribute| attribute.as_str().ok())
        .collect();
    match values.as_slice() {
        [one] => one
            .strip_prefix("IIN")
            .and_then(|digits| Iin::parse(digits).ok())
            .ok_or_else(not_individual),
        _ => Err(not_individual()),
    }
}

use std::str::FromStr;

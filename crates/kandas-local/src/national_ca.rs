//! A stand-in for the national certification authority whose certificates applicants sign
//! with (SPEC 1.1): a CA that issues an individual's signing certificate with `IIN` and the
//! twelve digits in the subject's serialNumber, a CRL of it, and CMS signatures made the way a
//! signing tool makes them. The tests, the benchmark and a development set-up use it; nothing
//! in the service trusts it unless the operator configures its certificate.

use super::LocalError;
use cms::cert::x509::attr::Attribute;
use cms::cert::x509::spki::AlgorithmIdentifierOwned;
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{ObjectIdentifier as Oid, OctetString, SetOfVec};
use der::{Any, Decode, Encode};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue, IsCa, Issuer,
    KeyIdMethod, KeyPair, KeyUsagePurpose, SignatureAlgorithm,
};
use ring::rand::SystemRandom;
use ring::signature::{self as ring_signature, EcdsaKeyPair, RsaKeyPair};
use time::OffsetDateTime;

const ID_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.1");
const ID_SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
const ID_CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA256_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
const ECDSA_WITH_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
/// GOST R 34.11-2012 (256 bits) and GOST R 34.10-2012 with it, as the national CA's GOST
/// certificates use them.
pub const GOST_DIGEST: &str = "1.2.643.7.1.1.2.2";
pub const GOST_SIGNATURE: &str = "1.2.643.7.1.1.3.2";

/// The key of a CA or an applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// ECDSA on P-256 with SHA-256, generated.
    Ecdsa,
    /// RSA with SHA-256 (PKCS #1 v1.5), from this PKCS #8 PEM: ring does not generate RSA
    /// keys.
    Rsa(&'static str),
}

impl KeyKind {
    fn key_pair(self) -> Result<KeyPair, LocalError> {
        match self {
            KeyKind::Ecdsa => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
            KeyKind::Rsa(pem) => KeyPair::from_pem_and_sign_algo(pem, Self::rsa()),
        }
        .map_err(|e| LocalError::pki("making a national CA key", e))
    }

    fn rsa() -> &'static SignatureAlgorithm {
        &rcgen::PKCS_RSA_SHA256
    }
}

/// A validity window.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

/// The national CA stand-in: its certificate and signing key.
pub struct NationalCa {
    cert_pem: String,
    cert_der: Vec<u8>,
    issuer: Issuer<'static, KeyPair>,
}

/// An applicant's signing certificate and key.
pub struct ApplicantCertificate {
    pub cert_pem: String,
    pub cert_der: Vec<u8>,
    /// PKCS #8 PEM, as `openssl cms -inkey` reads it.
    pub key_pem: String,
    key_der: Vec<u8>,
    kind: KeyKind,
}

impl NationalCa {
    /// A self-signed root with this name, key and validity.
    pub fn generate(name: &str, kind: KeyKind, window: Window) -> Result<NationalCa, LocalError> {
        let key = kind.key_pair()?;
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        params.distinguished_name.push(DnType::CountryName, "KZ");
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.not_before = window.not_before;
        params.not_after = window.not_after;
        let cert = params
            .self_signed(&key)
            .map_err(|e| LocalError::pki("self-signing a national CA", e))?;
        params.key_identifier_method = KeyIdMethod::PreSpecified(params.key_identifier(&key));
        Ok(NationalCa {
            cert_pem: cert.pem(),
            cert_der: cert.der().to_vec(),
            issuer: Issuer::new(params, key),
        })
    }

    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// An individual's signing certificate: subject `CN=<name>, serialNumber=IIN<iin>, C=KZ`,
    /// key usage digitalSignature and nonRepudiation unless `usages` says otherwise.
    pub fn issue(
        &self,
        iin: &str,
        name: &str,
        kind: KeyKind,
        window: Window,
        usages: Option<Vec<KeyUsagePurpose>>,
    ) -> Result<ApplicantCertificate, LocalError> {
        let key = kind.key_pair()?;
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        params.distinguished_name.push(
            DnType::CustomDnType(vec![2, 5, 4, 5]),
            DnValue::PrintableString(
                format!("IIN{iin}")
                    .try_into()
                    .map_err(|e| LocalError::pki("the subject serialNumber", e))?,
            ),
        );
        params.distinguished_name.push(DnType::CountryName, "KZ");
        params.key_usages = usages.unwrap_or_else(|| {
            vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::ContentCommitment,
            ]
        });
        params.not_before = window.not_before;
        params.not_after = window.not_after;
        params.use_authority_key_identifier_extension = true;
        params.serial_number = Some(rcgen::SerialNumber::from_slice(
            &uuid::Uuid::new_v4().as_bytes()[..15],
        ));
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(|e| LocalError::pki("issuing an applicant's signing certificate", e))?;
        Ok(ApplicantCertificate {
            cert_pem: cert.pem(),
            cert_der: cert.der().to_vec(),
            key_pem: key.serialize_pem(),
            key_der: key.serialize_der(),
            kind,
        })
    }

    /// A CRL revoking `revoked` as of `revoked_at`, issued at `this_update`, due again at
    /// `next_update`; PEM.
    pub fn revocation_list(
        &self,
        revoked: &[(&ApplicantCertificate, OffsetDateTime)],
        this_update: OffsetDateTime,
        next_update: OffsetDateTime,
        number: u64,
    ) -> Result<String, LocalError> {
        let mut revoked_certs = Vec::new();
        for (certificate, at) in revoked {
            let parsed = cms::cert::x509::Certificate::from_der(&certificate.cert_der)
                .map_err(|e| LocalError::pki("reading a certificate to revoke", e))?;
            revoked_certs.push(rcgen::RevokedCertParams {
                serial_number: rcgen::SerialNumber::from_slice(
                    parsed.tbs_certificate.serial_number.as_bytes(),
                ),
                revocation_time: *at,
                reason_code: Some(rcgen::RevocationReason::KeyCompromise),
                invalidity_date: None,
            });
        }
        let crl = rcgen::CertificateRevocationListParams {
            this_update,
            next_update,
            crl_number: rcgen::SerialNumber::from(number),
            issuing_distribution_point: None,
            revoked_certs,
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(&self.issuer)
        .map_err(|e| LocalError::pki("signing a national CA's CRL", e))?;
        crl.pem()
            .map_err(|e| LocalError::pki("encoding a national CA's CRL", e))
    }
}

/// How a CMS signature is made.
#[derive(Debug, Clone, Copy, Default)]
pub struct SignOptions {
    /// The content travels inside the signature (otherwise it is detached).
    pub attached: bool,
    /// Algorithm identifiers written instead of the real ones (e.g. GOST's), with a signature
    /// value that is then meaningless.
    pub claimed_algorithms: Option<(&'static str, &'static str)>,
}

impl ApplicantCertificate {
    /// A CMS SignedData (DER) over `content` with signed attributes, carrying this certificate.
    pub fn sign(&self, content: &[u8], options: SignOptions) -> Result<Vec<u8>, LocalError> {
        let fail = |e: &dyn std::fmt::Display| LocalError::pki("making a CMS signature", e);
        let certificate =
            cms::cert::x509::Certificate::from_der(&self.cert_der).map_err(|e| fail(&e))?;
        let digest = ring::digest::digest(&ring::digest::SHA256, content);
        let attribute = |oid: Oid, value: Any| -> Result<Attribute, LocalError> {
            Ok(Attribute {
                oid,
                values: SetOfVec::try_from(vec![value]).map_err(|e| fail(&e))?,
            })
        };
        let attributes = SetOfVec::try_from(vec![
            attribute(
                ID_CONTENT_TYPE,
                Any::encode_from(&ID_DATA).map_err(|e| fail(&e))?,
            )?,
            attribute(
                ID_MESSAGE_DIGEST,
                Any::encode_from(&OctetString::new(digest.as_ref()).map_err(|e| fail(&e))?)
                    .map_err(|e| fail(&e))?,
            )?,
        ])
        .map_err(|e| fail(&e))?;
        let signed_bytes = attributes.to_der().map_err(|e| fail(&e))?;
        let rng = SystemRandom::new();
        let (digest_oid, signature_oid, signature) = match (self.kind, options.claimed_algorithms) {
            (_, Some((digest, signature))) => (
                Oid::new(digest).map_err(|e| fail(&e))?,
                Oid::new(signature).map_err(|e| fail(&e))?,
                vec![0x5a; 64],
            ),
            (KeyKind::Ecdsa, None) => {
                let key = EcdsaKeyPair::from_pkcs8(
                    &ring_signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                    &self.key_der,
                    &rng,
                )
                .map_err(|e| fail(&e))?;
                let value = key.sign(&rng, &signed_bytes).map_err(|e| fail(&e))?;
                (SHA256, ECDSA_WITH_SHA256, value.as_ref().to_vec())
            }
            (KeyKind::Rsa(_), None) => {
                let key = RsaKeyPair::from_pkcs8(&self.key_der).map_err(|e| fail(&e))?;
                let mut value = vec![0; key.public().modulus_len()];
                key.sign(
                    &ring_signature::RSA_PKCS1_SHA256,
                    &rng,
                    &signed_bytes,
                    &mut value,
                )
                .map_err(|e| fail(&e))?;
                (SHA256, SHA256_WITH_RSA, value)
            }
        };
        let algorithm = |oid: Oid| AlgorithmIdentifierOwned {
            oid,
            parameters: None,
        };
        let signer = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: certificate.tbs_certificate.issuer.clone(),
                serial_number: certificate.tbs_certificate.serial_number.clone(),
            }),
            digest_alg: algorithm(digest_oid),
            signed_attrs: Some(attributes),
            signature_algorithm: algorithm(signature_oid),
            signature: OctetString::new(signature).map_err(|e| fail(&e))?,
            unsigned_attrs: None,
        };
        let econtent = if options.attached {
            Some(
                Any::encode_from(&OctetString::new(content).map_err(|e| fail(&e))?)
                    .map_err(|e| fail(&e))?,
            )
        } else {
            None
        };
        let signed = SignedData {
            version: CmsVersion::V1,
            digest_algorithms: SetOfVec::try_from(vec![algorithm(digest_oid)])
                .map_err(|e| fail(&e))?,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: ID_DATA,
                econtent,
            },
            certificates: Some(CertificateSet(
                SetOfVec::try_from(vec![CertificateChoices::Certificate(certificate)])
                    .map_err(|e| fail(&e))?,
            )),
            crls: None,
            signer_infos: SignerInfos(SetOfVec::try_from(vec![signer]).map_err(|e| fail(&e))?),
        };
        ContentInfo {
            content_type: ID_SIGNED_DATA,
            content: Any::encode_from(&signed).map_err(|e| fail(&e))?,
        }
        .to_der()
        .map_err(|e| fail(&e))
    }
}

//! A CMS (RFC 5652) SignedData taken apart into what verification needs: exactly one signer,
//! its certificate among those the message carries, and what it signed.

use crate::domain::signature::{Reason, Refusal};
use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};

pub(super) const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");

/// The one signer of a SignedData and what it signed.
pub(super) struct Signed {
    /// The signer's certificate (DER), found by the signer identifier.
    pub certificate: Vec<u8>,
    /// Every other certificate the message carries: candidates for intermediates.
    pub others: Vec<Vec<u8>>,
    pub digest_algorithm: ObjectIdentifier,
    pub signature_algorithm: ObjectIdentifier,
    /// DER of the signed attributes as a SET OF (what the signature covers), with the
    /// content type and message digest they state; `None` when the content is signed directly.
    pub attributes: Option<SignedAttributes>,
    pub signature: Vec<u8>,
    /// The content carried inside the message; `None` for a detached signature.
    pub content: Option<Vec<u8>>,
    pub content_type: ObjectIdentifier,
}

pub(super) struct SignedAttributes {
    pub der: Vec<u8>,
    pub content_type: Option<ObjectIdentifier>,
    pub message_digest: Option<Vec<u8>>,
}

fn malformed(message: impl Into<String>) -> Refusal {
    Refusal::new(Reason::Malformed, message)
}

pub(super) fn parse(der: &[u8]) -> Result<Signed, Refusal> {
    let info = ContentInfo::from_der(der).map_err(|e| {
        malformed(format!(
            "applicant_signature is not a DER-encoded CMS ContentInfo ({e})"
        ))
    })?;
    if info.content_type != ID_SIGNED_DATA {
        return Err(malformed(format!(
            "applicant_signature holds CMS content of type {}, not SignedData",
            info.content_type
        )));
    }
    let signed: SignedData = info
        .content
        .decode_as()
        .map_err(|e| malformed(format!("the CMS SignedData cannot be read ({e})")))?;
    let signer = match signed.signer_infos.0.as_slice() {
        [one] => one,
        [] => return Err(malformed("the CMS SignedData has no signer")),
        _ => {
            return Err(malformed(
                "the CMS SignedData has several signers; the applicant signs alone",
            ));
        }
    };
    let mut certificates = Vec::new();
    for choice in signed.certificates.iter().flat_map(|set| set.0.iter()) {
        if let CertificateChoices::Certificate(certificate) = choice {
            let der = certificate
                .to_der()
                .map_err(|e| malformed(format!("a carried certificate cannot be encoded ({e})")))?;
            certificates.push((certificate.clone(), der));
        }
    }
    let position = certificates
        .iter()
        .position(|(certificate, _)| identifies(&signer.sid, certificate))
        .ok_or_else(|| {
            malformed(
                "the CMS SignedData does not carry the signer's certificate; sign with the certificate included",
            )
        })?;
    let (_, certificate) = certificates.remove(position);
    let attributes = match &signer.signed_attrs {
        None => None,
        Some(set) => {
            let mut content_type = None;
            let mut message_digest = None;
            for attribute in set.iter() {
                let single = || match attribute.values.as_slice() {
                    [one] => Ok(one),
                    _ => Err(malformed(format!(
                        "the signed attribute {} must have exactly one value",
                        attribute.oid
                    ))),
                };
                if attribute.oid == ID_CONTENT_TYPE {
                    content_type =
                        Some(single()?.decode_as::<ObjectIdentifier>().map_err(|e| {
                            malformed(format!("the content-type attribute is not an OID ({e})"))
                        })?);
                } else if attribute.oid == ID_MESSAGE_DIGEST {
                    message_digest = Some(
                        single()?
                            .decode_as::<OctetString>()
                            .map_err(|e| {
                                malformed(format!(
                                    "the message-digest attribute is not an OCTET STRING ({e})"
                                ))
                            })?
                            .into_bytes(),
                    );
                }
            }
            Some(SignedAttributes {
                der: set
                    .to_der()
                    .map_err(|e| malformed(format!("the signed attributes ({e})")))?,
                content_type,
                message_digest,
            })
        }
    };
    let content = match &signed.encap_content_info.econtent {
        None => None,
        Some(any) => Some(
            any.decode_as::<OctetString>()
                .map_err(|e| {
                    malformed(format!("the attached content is not an OCTET STRING ({e})"))
                })?
                .into_bytes(),
        ),
    };
    Ok(Signed {
        certificate,
        others: certificates.into_iter().map(|(_, der)| der).collect(),
        digest_algorithm: signer.digest_alg.oid,
        signature_algorithm: signer.signature_algorithm.oid,
        attributes,
        signature: signer.signature.as_bytes().to_vec(),
        content,
        content_type: signed.encap_content_info.econtent_type,
    })
}

/// Whether `certificate` is the one the signer identifier names.
fn identifies(sid: &SignerIdentifier, certificate: &cms::cert::x509::Certificate) -> bool {
    let tbs = &certificate.tbs_certificate;
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(named) => {
            named.issuer == tbs.issuer && named.serial_number == tbs.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(key_id) => tbs
            .extensions
            .iter()
            .flatten()
            .filter(|ext| ext.extn_id == ObjectIdentifier::new_unwrap("2.5.29.14"))
            .any(|ext| {
                OctetString::from_der(ext.extn_value.as_bytes())
                    .is_ok_and(|id| id.as_bytes() == key_id.0.as_bytes())
            }),
    }
}

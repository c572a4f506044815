//! The national certification authorities the operator trusts for applicants' signatures, and
//! their revocation lists, parsed once from the files' bytes.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, TrustAnchor};
use webpki::{CertRevocationList, OwnedCertRevocationList};

/// Trusted national CA certificates and the CRLs in force.
#[derive(Debug, Default)]
pub struct TrustStore {
    pub(super) anchors: Vec<TrustAnchor<'static>>,
    pub(super) crls: Vec<CertRevocationList<'static>>,
}

/// A file that cannot serve as a trusted CA or a CRL, named with what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {problem}")]
pub struct TrustError {
    pub file: String,
    pub problem: String,
}

impl TrustStore {
    /// From the CA files (PEM, one or more certificates each) and the CRL files (PEM or DER),
    /// each given as its name and contents.
    pub fn from_files(
        cas: &[(String, Vec<u8>)],
        crls: &[(String, Vec<u8>)],
    ) -> Result<TrustStore, TrustError> {
        let mut store = TrustStore::default();
        for (file, bytes) in cas {
            let problem = |problem: String| TrustError {
                file: file.clone(),
                problem,
            };
            let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(bytes)
                .collect::<Result<_, _>>()
                .map_err(|e| problem(format!("not PEM certificates ({e})")))?;
            if certificates.is_empty() {
                return Err(problem("holds no PEM certificate".into()));
            }
            for certificate in &certificates {
                let anchor = webpki::anchor_from_trusted_cert(certificate)
                    .map_err(|e| problem(format!("a certificate cannot be trusted ({e})")))?;
                store.anchors.push(anchor.to_owned());
            }
        }
        for (file, bytes) in crls {
            let problem = |problem: String| TrustError {
                file: file.clone(),
                problem,
            };
            let ders: Vec<Vec<u8>> = if bytes.starts_with(b"-----BEGIN") {
                CertificateRevocationListDer::pem_slice_iter(bytes)
                    .map(|crl| crl.map(|crl| crl.as_ref().to_vec()))
                    .collect::<Result<_, _>>()
                    .map_err(|e| problem(format!("not a PEM CRL ({e})")))?
            } else {
                vec![bytes.clone()]
            };
            if ders.is_empty() {
                return Err(problem("holds no CRL".into()));
            }
            for der in ders {
                let crl = OwnedCertRevocationList::from_der(&der)
                    .map_err(|e| problem(format!("not a CRL webpki reads ({e})")))?;
                store.crls.push(crl.into());
            }
        }
        Ok(store)
    }

    /// No CA is trusted: every signature is refused as untrusted.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// How many CAs and CRLs are in force, for the start-up log.
    pub fn counts(&self) -> (usize, usize) {
        (self.anchors.len(), self.crls.len())
    }
}

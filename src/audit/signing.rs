//! Signed chain heads: the sealer signs (position, hash, time) with an Ed25519 key the database
//! never sees, so whoever rewrites the log and recomputes its chain still cannot make the
//! signatures agree with it (SPEC §7, Decision on signed heads).
//!
//! The private key file holds PKCS#8, PEM (`-----BEGIN PRIVATE KEY-----`, as
//! `openssl genpkey -algorithm ed25519` writes it) or DER, or a raw 32-byte seed. A public key
//! is written and read as 64 lowercase hex digits (the raw 32-byte Ed25519 key).

use super::tag::TagKey;
use chrono::{DateTime, Utc};
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use rustls::pki_types::PrivatePkcs8KeyDer;
use rustls::pki_types::pem::PemObject;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// What a signature covers; the prefix keeps a head signature from meaning anything else.
const DOMAIN: &[u8] = b"kandas audit head v1\0";

/// One signed head: the chain ended at `seq` with `hash` when it was signed at `signed_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHead {
    pub seq: i64,
    pub hash: Vec<u8>,
    pub signed_at: DateTime<Utc>,
    pub key_id: String,
    pub signature: Vec<u8>,
}

/// The exact bytes signed for a head. Time is in microseconds, as PostgreSQL keeps it, so a
/// head read back from the database verifies.
pub fn signed_message(seq: i64, hash: &[u8], signed_at: DateTime<Utc>) -> Vec<u8> {
    let mut message = Vec::with_capacity(DOMAIN.len() + 16 + hash.len());
    message.extend_from_slice(DOMAIN);
    message.extend_from_slice(&seq.to_be_bytes());
    message.extend_from_slice(&signed_at.timestamp_micros().to_be_bytes());
    message.extend_from_slice(hash);
    message
}

/// A short name of a public key: the first 8 bytes of its SHA-256, in hex. Heads carry it so a
/// verifier with several keys (after a rotation) knows which one to use.
pub fn key_id(public_key: &[u8]) -> String {
    hex::encode(&Sha256::digest(public_key)[..8])
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("reading the audit signing key {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the audit signing key {path} is not an Ed25519 key (expected PKCS#8 PEM or DER, or a raw 32-byte seed)"
    )]
    NotEd25519 { path: PathBuf },
    #[error("the public key must be 64 hex digits (an Ed25519 key), or a file holding them")]
    BadPublicKey,
    #[error(
        "`{given}` is neither a public key (64 hex digits) nor a file that can be read: {source}"
    )]
    PublicKeyFile {
        given: String,
        #[source]
        source: std::io::Error,
    },
    #[error("writing the development audit signing key: {0}")]
    Write(String),
}

/// The signing half, held by the service only; it also yields the key that tags events.
pub struct HeadSigner {
    pair: Ed25519KeyPair,
    key_id: String,
    tag_key: TagKey,
}

impl std::fmt::Debug for HeadSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeadSigner")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl HeadSigner {
    fn new(pair: Ed25519KeyPair, seed: &[u8; 32]) -> Self {
        let key_id = key_id(pair.public_key().as_ref());
        Self {
            pair,
            key_id,
            tag_key: TagKey::derive(seed),
        }
    }

    fn from_pkcs8(der: &[u8]) -> Option<Self> {
        let seed = pkcs8_seed(der)?;
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).ok()?;
        Some(Self::new(pair, &seed))
    }

    /// A signer from the bytes of a key file (see the module comment for the formats).
    pub fn from_key_bytes(bytes: &[u8]) -> Option<Self> {
        if let Ok(der) = PrivatePkcs8KeyDer::from_pem_slice(bytes) {
            return Self::from_pkcs8(der.secret_pkcs8_der());
        }
        if let Ok(seed) = <[u8; 32]>::try_from(bytes) {
            return Ed25519KeyPair::from_seed_unchecked(&seed)
                .ok()
                .map(|pair| Self::new(pair, &seed));
        }
        Self::from_pkcs8(bytes)
    }

    /// The key that tags the audit events this service writes ([`super::tag`]).
    pub fn tag_key(&self) -> &TagKey {
        &self.tag_key
    }

    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        let bytes = std::fs::read(path).map_err(|source| KeyError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_key_bytes(&bytes).ok_or_else(|| KeyError::NotEd25519 {
            path: path.to_path_buf(),
        })
    }

    /// A fresh key and its PKCS#8 PEM, for the development key and for tests.
    pub fn generate() -> Result<(Self, String), KeyError> {
        let rng = ring::rand::SystemRandom::new();
        let document = Ed25519KeyPair::generate_pkcs8(&rng)
            .map_err(|_| KeyError::Write("no random numbers".into()))?;
        let signer = Self::from_pkcs8(document.as_ref())
            .ok_or_else(|| KeyError::Write("generated key does not parse".into()))?;
        Ok((signer, pkcs8_pem(document.as_ref())))
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            bytes: self.pair.public_key().as_ref().to_vec(),
            key_id: self.key_id.clone(),
        }
    }

    pub fn sign(&self, seq: i64, hash: &[u8], signed_at: DateTime<Utc>) -> SignedHead {
        // Signed with the time as stored, so the signature covers exactly what is read back.
        let signed_at =
            DateTime::from_timestamp_micros(signed_at.timestamp_micros()).unwrap_or(signed_at);
        let signature = self.pair.sign(&signed_message(seq, hash, signed_at));
        SignedHead {
            seq,
            hash: hash.to_vec(),
            signed_at,
            key_id: self.key_id.clone(),
            signature: signature.as_ref().to_vec(),
        }
    }
}

/// The 32-byte seed inside an Ed25519 PKCS#8 document (RFC 8410): after the algorithm
/// identifier 1.3.101.112, the private key is an OCTET STRING holding an OCTET STRING of 32
/// bytes. ring reads the key but does not give the seed back, and the tag key derives from it.
fn pkcs8_seed(der: &[u8]) -> Option<[u8; 32]> {
    const OID: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
    const SEED: &[u8] = &[0x04, 0x22, 0x04, 0x20];
    let after_oid = der.windows(OID.len()).position(|w| w == OID)? + OID.len();
    let rest = &der[after_oid..];
    let start = rest.windows(SEED.len()).position(|w| w == SEED)? + SEED.len();
    rest.get(start..start + 32)?.try_into().ok()
}

fn pkcs8_pem(der: &[u8]) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    for line in encoded.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    pem
}

/// The verifying half: all an auditor needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    bytes: Vec<u8>,
    key_id: String,
}

impl PublicKey {
    /// 64 hex digits, or the name of a file holding them (as `audit-signing.pub`).
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let bytes = hex::decode(text).map_err(|_| KeyError::BadPublicKey)?;
        if bytes.len() != 32 {
            return Err(KeyError::BadPublicKey);
        }
        Ok(Self {
            key_id: key_id(&bytes),
            bytes,
        })
    }

    /// `key` itself if it is a key, else the contents of the file it names.
    pub fn from_argument(key: &str) -> Result<Self, KeyError> {
        if let Ok(key) = Self::parse(key) {
            return Ok(key);
        }
        let text = std::fs::read_to_string(key).map_err(|source| KeyError::PublicKeyFile {
            given: key.into(),
            source,
        })?;
        Self::parse(&text)
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn to_hex(&self) -> String {
        hex::encode(&self.bytes)
    }

    pub fn verifies(&self, head: &SignedHead) -> bool {
        UnparsedPublicKey::new(&ED25519, &self.bytes)
            .verify(
                &signed_message(head.seq, &head.hash, head.signed_at),
                &head.signature,
            )
            .is_ok()
    }
}

/// Where the development key lives: beside the development PKI.
pub fn dev_key_paths(certs_dir: &Path) -> (PathBuf, PathBuf) {
    (
        certs_dir.join("audit-signing.key"),
        certs_dir.join("audit-signing.pub"),
    )
}

/// The development signing key in `certs_dir`, made (with its `.pub`) if there is none yet.
/// An existing key is never replaced: heads it signed must keep verifying.
pub fn ensure_dev_key(certs_dir: &Path) -> Result<HeadSigner, KeyError> {
    let (key_path, pub_path) = dev_key_paths(certs_dir);
    if key_path.exists() {
        let signer = HeadSigner::from_file(&key_path)?;
        if !pub_path.exists() {
            write_public(&pub_path, &signer)?;
        }
        return Ok(signer);
    }
    std::fs::create_dir_all(certs_dir).map_err(|e| KeyError::Write(e.to_string()))?;
    let (signer, pem) = HeadSigner::generate()?;
    crate::local::pki::write_file(&key_path, &pem, 0o600)
        .map_err(|e| KeyError::Write(e.to_string()))?;
    write_public(&pub_path, &signer)?;
    tracing::info!(key = %key_path.display(), key_id = signer.key_id(), "wrote a development audit signing key");
    Ok(signer)
}

fn write_public(path: &Path, signer: &HeadSigner) -> Result<(), KeyError> {
    crate::local::pki::write_file(path, &format!("{}\n", signer.public_key().to_hex()), 0o644)
        .map_err(|e| KeyError::Write(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(micros: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(micros).unwrap()
    }

    #[test]
    fn a_head_signed_with_a_key_verifies_with_its_public_key_only() {
        let (signer, _) = HeadSigner::generate().unwrap();
        let (other, _) = HeadSigner::generate().unwrap();
        let head = signer.sign(7, &[1; 32], at(1_700_000_000_123_456));
        assert!(signer.public_key().verifies(&head));
        assert!(!other.public_key().verifies(&head));
        assert_eq!(head.key_id, signer.public_key().key_id());
        assert_ne!(signer.key_id(), other.key_id());
    }

    #[test]
    fn changing_any_signed_part_of_a_head_breaks_its_signature() {
        let (signer, _) = HeadSigner::generate().unwrap();
        let key = signer.public_key();
        let head = signer.sign(7, &[1; 32], at(1_700_000_000_000_000));
        let mut moved = head.clone();
        moved.seq = 6;
        let mut rehashed = head.clone();
        rehashed.hash[0] ^= 1;
        let mut retimed = head.clone();
        retimed.signed_at = at(1_700_000_000_000_001);
        for bad in [moved, rehashed, retimed] {
            assert!(!key.verifies(&bad), "{bad:?}");
        }
    }

    #[test]
    fn keys_load_from_pkcs8_pem_and_from_a_raw_seed() {
        let (signer, pem) = HeadSigner::generate().unwrap();
        let loaded = HeadSigner::from_key_bytes(pem.as_bytes()).unwrap();
        assert_eq!(loaded.public_key(), signer.public_key());
        let seeded = HeadSigner::from_key_bytes(&[9; 32]).unwrap();
        assert_eq!(
            seeded.public_key(),
            HeadSigner::from_key_bytes(&[9; 32]).unwrap().public_key()
        );
        assert!(HeadSigner::from_key_bytes(b"not a key").is_none());
    }

    #[test]
    fn the_tag_key_follows_the_signing_key_in_every_format() {
        use super::super::tag::{Tagged, judge};
        let event = Tagged {
            recorded_at: at(1_700_000_000_000_000),
            client: "urn:kandas:psc:almaty-01",
            role: "psc",
            operator_id: "",
            rpc: "/kandas.v1.PersonService/GetPerson",
            subject: "persons/a",
            request_id: "",
            outcome: "OK",
            applicant: "",
        };
        let (signer, pem) = HeadSigner::generate().unwrap();
        let tag = signer.tag_key().tag(&event);
        let loaded = HeadSigner::from_key_bytes(pem.as_bytes()).unwrap();
        assert_eq!(judge(loaded.tag_key(), &event, Some(&tag)), None);
        let (other, _) = HeadSigner::generate().unwrap();
        assert!(judge(other.tag_key(), &event, Some(&tag)).is_some());
        // A PKCS#8 file and the raw seed inside it are the same key, with the same tag key.
        let der = PrivatePkcs8KeyDer::from_pem_slice(pem.as_bytes()).unwrap();
        let seed = pkcs8_seed(der.secret_pkcs8_der()).unwrap();
        let seeded = HeadSigner::from_key_bytes(&seed).unwrap();
        assert_eq!(seeded.public_key(), signer.public_key());
        assert_eq!(judge(seeded.tag_key(), &event, Some(&tag)), None);
    }

    #[test]
    fn public_keys_parse_from_hex_and_refuse_anything_else() {
        let (signer, _) = HeadSigner::generate().unwrap();
        let hex = signer.public_key().to_hex();
        assert_eq!(PublicKey::parse(&hex).unwrap(), signer.public_key());
        assert!(PublicKey::parse("abcd").is_err());
        assert!(PublicKey::parse("zz").is_err());
    }

    #[test]
    fn the_development_key_is_made_once_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = ensure_dev_key(dir.path()).unwrap();
        let again = ensure_dev_key(dir.path()).unwrap();
        assert_eq!(first.public_key(), again.public_key());
        let (_, pub_path) = dev_key_paths(dir.path());
        let written = std::fs::read_to_string(pub_path).unwrap();
        assert_eq!(PublicKey::parse(&written).unwrap(), first.public_key());
    }
}

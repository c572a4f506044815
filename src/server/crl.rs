//! Which client CRLs are in force (SPEC §1.1, RFC 5280 §5). A CRL is taken only when a
//! configured client CA signed it, it is not past its next update, and its CRL number is not
//! lower than the number of the CRL in force for the same issuer; otherwise the one in force
//! stays and the refusal names the rule. A CRL that replaced the file cannot then lock every
//! caller out (a foreign issuer's CRL leaves the real issuer's status unknown, which refuses
//! every handshake), nor un-revoke a certificate (an older CRL of the right issuer).
//!
//! No I/O here: the files are read, and the time is taken, by the caller.

use rustls::pki_types::CertificateDer;
use std::collections::BTreeMap;
use std::fmt;
use x509_parser::certificate::X509Certificate;
use x509_parser::num_bigint::BigUint;
use x509_parser::oid_registry::{
    OID_PKCS1_SHA1WITHRSA, OID_SHA1_WITH_RSA, OID_X509_EXT_DELTA_CRL_INDICATOR,
};
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

/// A CRL that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crl {
    pub der: Vec<u8>,
    /// The issuer's name as encoded, which keys the CRL in force.
    issuer: Vec<u8>,
    /// The issuer's name as a person reads it, for logs and the metric's label.
    pub issuer_name: String,
    pub number: BigUint,
    /// Seconds since the Unix epoch.
    pub next_update: i64,
}

/// Why a CRL was not put in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Unreadable(String),
    ForeignIssuer { issuer: String },
    WeakSignature,
    Delta,
    NoNextUpdate,
    PastNextUpdate { next_update: String },
    NoNumber,
    LowerNumber { number: BigUint, in_force: BigUint },
    Unusable(String),
}

impl Refusal {
    /// The `reason` label of the refusal counter.
    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::Unreadable(_) => "unreadable",
            Refusal::ForeignIssuer { .. } => "foreign_issuer",
            Refusal::WeakSignature => "weak_signature",
            Refusal::Delta => "delta_crl",
            Refusal::NoNextUpdate => "no_next_update",
            Refusal::PastNextUpdate { .. } => "past_next_update",
            Refusal::NoNumber => "no_crl_number",
            Refusal::LowerNumber { .. } => "lower_crl_number",
            Refusal::Unusable(_) => "unusable",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Unreadable(error) => write!(f, "it is not a CRL in DER or PEM ({error})"),
            Refusal::ForeignIssuer { issuer } => write!(
                f,
                "it is not signed by a configured client CA (its issuer is `{issuer}`); a CRL \
                 counts only with its issuer's verified signature (RFC 5280 §6.3.3 f, g)"
            ),
            Refusal::WeakSignature => write!(
                f,
                "it is signed with SHA-1, which the TLS verifier refuses (RFC 5280 §5.1.1.2)"
            ),
            Refusal::Delta => write!(
                f,
                "it is a delta CRL (RFC 5280 §5.2.4), which is not applied here; publish a \
                 complete CRL"
            ),
            Refusal::NoNextUpdate => write!(
                f,
                "it has no next update (RFC 5280 §5.1.2.5 requires one), so it could never be \
                 known to be stale"
            ),
            Refusal::PastNextUpdate { next_update } => write!(
                f,
                "it is past its next update, {next_update} (RFC 5280 §5.1.2.5): revocations \
                 made since are not in it"
            ),
            Refusal::NoNumber => write!(
                f,
                "it carries no CRL number (RFC 5280 §5.2.3 requires one), so it could not be \
                 told from an older CRL"
            ),
            Refusal::LowerNumber { number, in_force } => write!(
                f,
                "its CRL number {number} is lower than {in_force}, the number of the CRL in \
                 force (RFC 5280 §5.2.3): an older CRL would take revocations back"
            ),
            Refusal::Unusable(error) => write!(f, "the TLS verifier cannot use it: {error}"),
        }
    }
}

/// One CRL as read, and where it was read from (for the warning).
#[derive(Debug, Clone)]
pub struct Candidate {
    pub source: String,
    pub der: Vec<u8>,
}

/// The CRL in force for each issuer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InForce(BTreeMap<Vec<u8>, Crl>);

impl InForce {
    pub fn crls(&self) -> impl Iterator<Item = &Crl> {
        self.0.values()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The CRLs in force after reading `candidates` at `now` (seconds since the epoch): each
    /// accepted one replaces its issuer's, a refused one leaves its issuer's in force, and a
    /// CRL whose issuer is no longer among `cas` is dropped (its certificates no longer chain).
    /// An issuer whose CRL is missing from the files keeps the one in force: removing a CRL
    /// must not un-revoke.
    pub fn update(
        &self,
        candidates: &[Candidate],
        cas: &[CertificateDer<'_>],
        now: i64,
    ) -> (InForce, Vec<(String, Refusal)>) {
        let mut next: BTreeMap<Vec<u8>, Crl> = self
            .0
            .iter()
            .filter(|(_, crl)| signer(&crl.der, cas).is_ok())
            .map(|(issuer, crl)| (issuer.clone(), crl.clone()))
            .collect();
        let mut refused = Vec::new();
        for candidate in candidates {
            let in_force = |issuer: &[u8]| next.get(issuer).map(|crl| crl.number.clone());
            match judge(&candidate.der, cas, in_force, now) {
                Ok(crl) => {
                    next.insert(crl.issuer.clone(), crl);
                }
                Err(refusal) => refused.push((candidate.source.clone(), refusal)),
            }
        }
        (InForce(next), refused)
    }

    /// The CRLs in force that are past their next update at `now`.
    pub fn stale(&self, now: i64) -> impl Iterator<Item = &Crl> {
        self.0.values().filter(move |crl| crl.next_update < now)
    }
}

/// Whether `der` may be put in force at `now`, given the number in force for its issuer.
pub fn judge(
    der: &[u8],
    cas: &[CertificateDer<'_>],
    in_force: impl Fn(&[u8]) -> Option<BigUint>,
    now: i64,
) -> Result<Crl, Refusal> {
    let crl = parse(der)?;
    signer(der, cas)?;
    if crl.signature_algorithm.algorithm == OID_PKCS1_SHA1WITHRSA
        || crl.signature_algorithm.algorithm == OID_SHA1_WITH_RSA
    {
        return Err(Refusal::WeakSignature);
    }
    if crl
        .extensions()
        .iter()
        .any(|ext| ext.oid == OID_X509_EXT_DELTA_CRL_INDICATOR)
    {
        return Err(Refusal::Delta);
    }
    let next_update = crl.next_update().ok_or(Refusal::NoNextUpdate)?;
    if next_update.timestamp() < now {
        return Err(Refusal::PastNextUpdate {
            next_update: next_update.to_string(),
        });
    }
    let number = crl.crl_number().ok_or(Refusal::NoNumber)?.clone();
    let issuer = crl.issuer().as_raw().to_vec();
    if let Some(in_force) = in_force(&issuer)
        && number < in_force
    {
        return Err(Refusal::LowerNumber { number, in_force });
    }
    // What rustls-webpki will parse at every handshake; anything it refuses is refused here,
    // where the one in force can still be kept.
    webpki::OwnedCertRevocationList::from_der(der)
        .map_err(|error| Refusal::Unusable(format!("{error:?}")))?;
    Ok(Crl {
        der: der.to_vec(),
        issuer,
        issuer_name: crl.issuer().to_string(),
        number,
        next_update: next_update.timestamp(),
    })
}

fn parse(der: &[u8]) -> Result<CertificateRevocationList<'_>, Refusal> {
    match CertificateRevocationList::from_der(der) {
        Ok(([], crl)) => Ok(crl),
        Ok(_) => Err(Refusal::Unreadable("bytes after the CRL".into())),
        Err(error) => Err(Refusal::Unreadable(error.to_string())),
    }
}

/// The configured CA whose name is the CRL's issuer and whose key verifies its signature.
fn signer(der: &[u8], cas: &[CertificateDer<'_>]) -> Result<(), Refusal> {
    let crl = parse(der)?;
    let signed = cas.iter().any(|ca| {
        X509Certificate::from_der(ca.as_ref()).is_ok_and(|(_, ca)| {
            ca.subject().as_raw() == crl.issuer().as_raw()
                && crl.verify_signature(ca.public_key()).is_ok()
        })
    });
    if signed {
        Ok(())
    } else {
        Err(Refusal::ForeignIssuer {
            issuer: crl.issuer().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{
        BasicConstraints, CertificateParams, CertificateRevocationListParams, DnType, IsCa, Issuer,
        KeyIdMethod, KeyPair, KeyUsagePurpose, SerialNumber, SigningKey,
    };
    use time::{Duration, OffsetDateTime};

    struct Ca {
        der: CertificateDer<'static>,
        issuer: Issuer<'static, KeyPair>,
    }

    impl Ca {
        fn cas(&self) -> &[CertificateDer<'static>] {
            std::slice::from_ref(&self.der)
        }
    }

    fn ca(name: &str) -> Ca {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).unwrap();
        Ca {
            der: cert.der().clone(),
            issuer: Issuer::new(params, key),
        }
    }

    fn now() -> i64 {
        OffsetDateTime::now_utc().unix_timestamp()
    }

    /// A CRL of `ca` numbered `number`, due again in `days`.
    fn crl(ca: &Ca, number: u64, days: i64) -> Vec<u8> {
        let now = OffsetDateTime::now_utc();
        CertificateRevocationListParams {
            this_update: now - Duration::hours(1),
            next_update: now + Duration::days(days),
            crl_number: SerialNumber::from(number),
            issuing_distribution_point: None,
            revoked_certs: Vec::new(),
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(&ca.issuer)
        .unwrap()
        .der()
        .to_vec()
    }

    fn candidate(der: Vec<u8>) -> Candidate {
        Candidate {
            source: "clients.crl".into(),
            der,
        }
    }

    fn none(_: &[u8]) -> Option<BigUint> {
        None
    }

    #[test]
    fn a_crl_of_a_configured_ca_is_taken_with_its_number_and_next_update() {
        let ca = ca("clients CA");
        let taken = judge(&crl(&ca, 7, 7), ca.cas(), none, now()).unwrap();
        assert_eq!(taken.number, BigUint::from(7u32));
        assert!(taken.next_update > now() + 6 * 86_400);
        assert!(taken.issuer_name.contains("clients CA"), "{taken:?}");
    }

    #[test]
    fn a_crl_signed_by_another_ca_is_refused_even_under_the_same_name() {
        let ours = ca("clients CA");
        let impostor = ca("clients CA");
        let refused = judge(&crl(&impostor, 9, 7), ours.cas(), none, now());
        assert!(matches!(refused, Err(Refusal::ForeignIssuer { .. })));
        let other = ca("another CA");
        let refused = judge(&crl(&other, 9, 7), ours.cas(), none, now()).unwrap_err();
        assert_eq!(refused.reason(), "foreign_issuer");
        assert!(refused.to_string().contains("RFC 5280"), "{refused}");
    }

    #[test]
    fn a_crl_past_its_next_update_is_refused() {
        let ca = ca("clients CA");
        let in_eight_days = now() + 8 * 86_400;
        let refused = judge(&crl(&ca, 1, 7), ca.cas(), none, in_eight_days).unwrap_err();
        assert_eq!(refused.reason(), "past_next_update");
        assert!(refused.to_string().contains("§5.1.2.5"), "{refused}");
    }

    #[test]
    fn a_lower_number_is_refused_and_the_same_or_a_higher_one_is_taken() {
        let ca = ca("clients CA");
        let cas = [ca.der.clone()];
        let five = |_: &[u8]| Some(BigUint::from(5u32));
        let refused = judge(&crl(&ca, 4, 7), &cas, five, now()).unwrap_err();
        assert_eq!(
            refused,
            Refusal::LowerNumber {
                number: BigUint::from(4u32),
                in_force: BigUint::from(5u32)
            }
        );
        assert!(judge(&crl(&ca, 5, 7), &cas, five, now()).is_ok());
        assert!(judge(&crl(&ca, 6, 7), &cas, five, now()).is_ok());
    }

    #[test]
    fn a_crl_without_extensions_is_refused_for_its_missing_number() {
        let ca = ca("clients CA");
        let refused = judge(&v1_crl(&ca), ca.cas(), none, now()).unwrap_err();
        assert_eq!(refused, Refusal::NoNumber);
        assert!(refused.to_string().contains("§5.2.3"), "{refused}");
    }

    #[test]
    fn bytes_that_are_no_crl_are_refused_as_unreadable() {
        let ca = ca("clients CA");
        let refused = judge(b"not a CRL", ca.cas(), none, now()).unwrap_err();
        assert_eq!(refused.reason(), "unreadable");
    }

    #[test]
    fn a_refused_crl_leaves_its_issuers_crl_in_force_and_the_others_move_on() {
        let a = ca("CA a");
        let b = ca("CA b");
        let cas = [a.der.clone(), b.der.clone()];
        let (first, refused) = InForce::default().update(
            &[candidate(crl(&a, 3, 7)), candidate(crl(&b, 10, 7))],
            &cas,
            now(),
        );
        assert!(refused.is_empty(), "{refused:?}");
        let number_of = |in_force: &InForce, name: &str| {
            in_force
                .crls()
                .find(|crl| crl.issuer_name.contains(name))
                .map(|crl| crl.number.clone())
        };
        // a's replaced by an older one, b's by a newer one, and a foreign CRL beside them.
        let stranger = ca("CA a");
        let (second, refused) = first.update(
            &[
                candidate(crl(&a, 2, 7)),
                candidate(crl(&b, 11, 7)),
                candidate(crl(&stranger, 99, 7)),
            ],
            &cas,
            now(),
        );
        let reasons: Vec<_> = refused.iter().map(|(_, r)| r.reason()).collect();
        assert_eq!(reasons, ["lower_crl_number", "foreign_issuer"]);
        assert_eq!(number_of(&second, "CA a"), Some(BigUint::from(3u32)));
        assert_eq!(number_of(&second, "CA b"), Some(BigUint::from(11u32)));
        // A file that now holds only b's CRL does not take a's away.
        let (third, _) = second.update(&[candidate(crl(&b, 11, 7))], &cas, now());
        assert_eq!(number_of(&third, "CA a"), Some(BigUint::from(3u32)));
        // A CA no longer configured takes its CRL with it.
        let (fourth, _) = third.update(&[], b.cas(), now());
        assert_eq!(number_of(&fourth, "CA a"), None);
        assert_eq!(fourth.crls().count(), 1);
    }

    #[test]
    fn a_crl_in_force_is_stale_once_past_its_next_update() {
        let ca = ca("clients CA");
        let (in_force, _) =
            InForce::default().update(&[candidate(crl(&ca, 1, 7))], ca.cas(), now());
        assert_eq!(in_force.stale(now()).count(), 0);
        assert_eq!(in_force.stale(now() + 8 * 86_400).count(), 1);
    }

    /// A version 1 CRL (RFC 5280 §5.1.2.1): no extensions at all, so no CRL number, signed by
    /// `ca` with ECDSA P-256 and SHA-256 as rcgen's keys are.
    fn v1_crl(ca: &Ca) -> Vec<u8> {
        use yasna::models::{ObjectIdentifier, UTCTime};
        let (_, cert) = X509Certificate::from_der(ca.der.as_ref()).unwrap();
        let issuer = cert.subject().as_raw().to_vec();
        let ecdsa_with_sha256 = ObjectIdentifier::from_slice(&[1, 2, 840, 10045, 4, 3, 2]);
        let algorithm =
            |w: yasna::DERWriter| w.write_sequence(|w| w.next().write_oid(&ecdsa_with_sha256));
        let time = |offset: Duration| {
            let at = OffsetDateTime::now_utc() + offset;
            UTCTime::from_datetime(at.replace_nanosecond(0).unwrap())
        };
        let tbs = yasna::construct_der(|w| {
            w.write_sequence(|w| {
                algorithm(w.next());
                w.next().write_der(&issuer);
                w.next().write_utctime(&time(-Duration::hours(1)));
                w.next().write_utctime(&time(Duration::days(7)));
            })
        });
        let signature = ca.issuer.key().sign(&tbs).unwrap();
        yasna::construct_der(|w| {
            w.write_sequence(|w| {
                w.next().write_der(&tbs);
                algorithm(w.next());
                w.next().write_bitvec_bytes(&signature, signature.len() * 8);
            })
        })
    }
}

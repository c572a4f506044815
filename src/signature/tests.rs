//! The verifier against a national-CA-like hierarchy made here with rcgen: RSA and ECDSA,
//! individuals' certificates with `serialNumber=IIN…`.

use super::*;
use crate::domain::iin::{Iin, Sex};
use crate::local::national_ca::{
    ApplicantCertificate, GOST_DIGEST, GOST_SIGNATURE, KeyKind, NationalCa, SignOptions, Window,
};
use chrono::{DateTime, NaiveDate, Utc};
use time::{Duration, OffsetDateTime};

const RSA_CA_KEY: &str = include_str!("../../tests/data/applicant_signatures/rsa-ca.key.pem");
const RSA_APPLICANT_KEY: &str =
    include_str!("../../tests/data/applicant_signatures/rsa-applicant.key.pem");

/// The moment every test judges at: 2026-06-01, noon in Kazakhstan.
fn at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_780_297_200, 0).unwrap()
}

fn offset(at: DateTime<Utc>) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(at.timestamp()).unwrap()
}

/// A year around the moment judged.
fn current() -> Window {
    Window {
        not_before: offset(at()) - Duration::days(180),
        not_after: offset(at()) + Duration::days(180),
    }
}

fn iin(serial: u16) -> Iin {
    Iin::generate(
        NaiveDate::from_ymd_opt(1987, 10, 8).unwrap(),
        Sex::Male,
        serial,
    )
    .unwrap()
    .unwrap()
}

fn ca(kind: KeyKind) -> NationalCa {
    named_ca("ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (test)", kind)
}

fn named_ca(name: &str, kind: KeyKind) -> NationalCa {
    NationalCa::generate(name, kind, current()).unwrap()
}

fn trusting(ca: &NationalCa, crls: &[String]) -> TrustStore {
    TrustStore::from_files(
        &[("ca.pem".into(), ca.cert_pem().as_bytes().to_vec())],
        &crls
            .iter()
            .map(|crl| ("ca.crl".to_string(), crl.as_bytes().to_vec()))
            .collect::<Vec<_>>(),
    )
    .unwrap()
}

fn applicant(ca: &NationalCa, who: &Iin, kind: KeyKind, window: Window) -> ApplicantCertificate {
    ca.issue(who.as_str(), "ЖАҚСЫЛЫҚОВ АЙДОС", kind, window, None)
        .unwrap()
}

fn content(who: &Iin, request: &[u8]) -> Vec<u8> {
    signed_content(
        "/kandas.v1.ApplicationService/SubmitApplication",
        who,
        &RequestDigest::of_encoding(request),
    )
}

fn refused(result: Result<Signer, Refusal>) -> Refusal {
    result.expect_err("the signature is refused")
}

#[test]
fn an_ecdsa_signature_of_the_applicant_over_this_request_is_accepted() {
    let ca = ca(KeyKind::Ecdsa);
    let who = iin(1);
    let signer = applicant(&ca, &who, KeyKind::Ecdsa, current());
    let bytes = content(&who, b"request");
    let signature = signer.sign(&bytes, SignOptions::default()).unwrap();
    let verified = verify(&signature, &bytes, &trusting(&ca, &[]), at(), Some(&who)).unwrap();
    assert_eq!(verified.iin, who);
    assert_eq!(verified.certificate, signer.cert_der);
    assert_eq!(verified.algorithm, "ECDSA P-256 with SHA-256");
    assert!(verified.subject.contains("IIN"), "{}", verified.subject);
    assert_eq!(verified.revoked_since, None);
}

#[test]
fn an_rsa_signature_with_the_content_attached_is_accepted() {
    let ca = ca(KeyKind::Rsa(RSA_CA_KEY));
    let who = iin(2);
    let signer = applicant(&ca, &who, KeyKind::Rsa(RSA_APPLICANT_KEY), current());
    let bytes = content(&who, b"request");
    let options = SignOptions {
        attached: true,
        ..SignOptions::default()
    };
    let signature = signer.sign(&bytes, options).unwrap();
    let verified = verify(&signature, &bytes, &trusting(&ca, &[]), at(), Some(&who)).unwrap();
    assert_eq!(verified.algorithm, "RSA PKCS #1 v1.5 with SHA-256");
}

#[test]
fn another_persons_signature_is_refused_as_not_the_applicants() {
    let ca = ca(KeyKind::Ecdsa);
    let (who, someone_else) = (iin(3), iin(4));
    let signer = applicant(&ca, &someone_else, KeyKind::Ecdsa, current());
    let bytes = content(&who, b"request");
    let signature = signer.sign(&bytes, SignOptions::default()).unwrap();
    let refusal = refused(verify(
        &signature,
        &bytes,
        &trusting(&ca, &[]),
        at(),
        Some(&who),
    ));
    assert_eq!(refusal.reason, Reason::NotApplicant);
    assert!(
        !refusal.message.contains(someone_else.as_str()),
        "no IIN in words"
    );
}

#[test]
fn a_signature_over_another_request_or_attached_other_content_is_refused() {
    let ca = ca(KeyKind::Ecdsa);
    let who = iin(5);
    let signer = applicant(&ca, &who, KeyKind::Ecdsa, current());
    let trust = trusting(&ca, &[]);
    let signed = content(&who, b"the request the applicant saw");
    let presented = content(&who, b"the request the portal sent");
    let detached = signer.sign(&signed, SignOptions::default()).unwrap();
    let refusal = refused(verify(&detached, &presented, &trust, at(), Some(&who)));
    assert_eq!(refusal.reason, Reason::ContentMismatch);
    let attached = signer
        .sign(
            &signed,
            SignOptions {
                attached: true,
                ..SignOptions::default()
            },
        )
        .unwrap();
    let refusal = refused(verify(&attached, &presented, &trust, at(), Some(&who)));
    assert_eq!(refusal.reason, Reason::ContentMismatch);
}

#[test]
fn a_broken_signature_value_is_refused_as_invalid() {
    let ca = ca(KeyKind::Ecdsa);
    let who = iin(6);
    let signer = applicant(&ca, &who, KeyKind::Ecdsa, current());
    let bytes = content(&who, b"request");
    let mut signature = signer.sign(&bytes, SignOptions::default()).unwrap();
    // The ECDSA value is the last thing in the message: change its last byte.
    let last = signature.len() - 1;
    signature[last] ^= 0x01;
    let refusal = refused(verify(
        &signature,
        &bytes,
        &trusting(&ca, &[]),
        at(),
        Some(&who),
    ));
    assert_eq!(refusal.reason, Reason::Invalid);
    let garbage = refused(verify(
        b"not a signature",
        &bytes,
        &trusting(&ca, &[]),
        at(),
        None,
    ));
    assert_eq!(garbage.reason, Reason::Malformed);
}

#[test]
fn an_expired_or_not_yet_valid_certificate_is_refused_with_its_date() {
    let ca = ca(KeyKind::Ecdsa);
    let who = iin(7);
    let expired = applicant(
        &ca,
        &who,
        KeyKind::Ecdsa,
        Window {
            not_before: offset(at()) - Duration::days(400),
            not_after: offset(at()) - Duration::days(35),
        },
    );
    let bytes = content(&who, b"request");
    let trust = trusting(&ca, &[]);
    let signature = expired.sign(&bytes, SignOptions::default()).unwrap();
    let refusal = refused(verify(&signature, &bytes, &trust, at(), Some(&who)));
    assert_eq!(refusal.reason, Reason::CertificateExpired);
    assert!(
        refusal.message.contains("2026-04-27"),
        "{}",
        refusal.message
    );
    // The same signature judged at a moment the certificate was valid stands.
    let earlier = at() - chrono::Duration::days(100);
    assert!(verify(&signature, &bytes, &trust, earlier, Some(&who)).is_ok());
    let future = applicant(
        &ca,
        &who,
        KeyKind::Ecdsa,
        Window {
            not_before: offset(at()) + Duration::days(2),
            not_after: offset(at()) + Duration::days(100),
        },
    );
    let signature = future.sign(&bytes, SignOptions::default()).unwrap();
    let refusal = refused(verify(&signature, &bytes, &trust, at(), Some(&who)));
    assert_eq!(refusal.reason, Reason::CertificateNotYetValid);
}

#[test]
fn a_revoked_certificate_is_refused_and_a_revocation_after_the_moment_judged_does_not_reach_back() {
    let ca = ca(KeyKind::Ecdsa);
    let who = iin(8);
    let signer = applicant(&ca, &who, KeyKind::Ecdsa, current());
    let bytes = content(&who, b"request");
    let signature = signer.sign(&bytes, SignOptions::default()).unwrap();
    let revoked_on = offset(at()) - Duration::days(3);
    let crl = ca
        .revocation_list(
            &[(&signer, revoked_on)],
            revoked_on,
            offset(at()) + Duration::days(7),
            2,
        )
        .unwrap();
    let trust = trusting(&ca, &[crl]);
    let refusal = refused(verify(&signature, &bytes, &trust, at(), Some(&who)));
    assert_eq!(refusal.reason, Reason::CertificateRevoked);
    assert!(
        refusal.message.contains("2026-05-29"),
        "{}",
        refusal.message
    );
    let before = at() - chrono::Duration::days(10);
    let then = verify(&signature, &bytes, &trust, before, Some(&who)).unwrap();
    assert_eq!(
        then.revoked_since
            .map(|d| d.date_naive().to_string())
            .as_deref(),
        Some("2026-05-29")
    );
}

#[test]
fn with_crls_in_force_a_certificate_none_covers_or_a_stale_one_leaves_revocation_unknown() {
    let trusted = ca(KeyKind::Ecdsa);
    let other = named_ca("another CA", KeyKind::Ecdsa);
    // Same name as the trusted one, another key: a CRL forged in its name.
    let forger = ca(KeyKind::Ecdsa);
    let who = iin(9);
    let signer = applicant(&trusted, &who, KeyKind::Ecdsa, current());
    let bytes = content(&who, b"request");
    let signature = signer.sign(&bytes, SignOptions::default()).unwrap();
    let foreign = other
        .revocation_list(
            &[],
            offset(at()) - Duration::days(1),
            offset(at()) + Duration::days(7),
            1,
        )
        .unwrap();
    let refusal = refused(verify(
        &signature,
        &bytes,
        &trusting(&trusted, &[foreign]),
        at(),
        Some(&who),
    ));
    assert_eq!(
        refusal.reason,
        Reason::RevocationUnknown,
        "{}",
        refusal.message
    );
    let forged = forger
        .revocation_list(
            &[],
            offset(at()) - Duration::days(1),
            offset(at()) + Duration::days(7),
            9,
        )
        .unwrap();
    let refusal = refused(verify(
        &signature,
        &bytes,
        &trusting(&trusted, &[forged]),
        at(),
        Some(&who),
    ));
    assert_eq!(
        refusal.reason,
        Reason::RevocationUnknown,
        "{}",
        refusal.message
    );
    let stale = trusted
        .revocation_list(
            &[],
            offset(at()) - Duration::days(20),
            offset(at()) - Duration::days(13),
            1,
        )
        .unwrap();
    let refusal = refused(verify(
        &signature,
        &bytes,
        &trusting(&trusted, &[stale]),
        at(),
        Some(&who),
    ));
    assert_eq!(refusal.reason, Reason::RevocationUnknown);
    assert!(
        refusal.message.contains("2026-05-19"),
        "{}",
        refusal.message
    );
}

#[test]
fn a_gost_signature_is_refused_naming_gost() {
    let ca = ca(KeyKind::Ecdsa);
    let who = iin(10);
    let signer = applicant(&ca, &who, KeyKind::Ecdsa, current());
    let bytes = content(&who, b"request");
    let options = SignOptions {
        claimed_algorithms: Some((GOST_DIGEST, GOST_SIGNATURE)),
        ..SignOptions::default()
    };
    let signature = signer.sign(&bytes, options).unwrap();
    let refusal = refused(verify(
        &signature,
        &bytes,
        &trusting(&ca, &[]),
        at(),
        Some(&who),
    ));
    assert_eq!(refusal.reason, Reason::AlgorithmUnsupported);
    assert!(refusal.message.contains("GOST"), "{}", refusal.message);
}

#[test]
fn a_certificate_of_an_untrusted_ca_or_with_no_ca_trusted_is_refused_as_untrusted() {
    let trusted = ca(KeyKind::Ecdsa);
    let impostor = ca(KeyKind::Ecdsa);
    let who = iin(11);
    let signer = applicant(&impostor, &who, KeyKind::Ecdsa, current());
    let bytes = content(&who, b"request");
    let signature = signer.sign(&bytes, SignOptions::default()).unwrap();
    let refusal = refused(verify(
        &signature,
        &bytes,
        &trusting(&trusted, &[]),
        at(),
        Some(&who),
    ));
    assert_eq!(refusal.reason, Reason::CertificateUntrusted);
    let refusal = refused(verify(
        &signature,
        &bytes,
        &TrustStore::default(),
        at(),
        Some(&who),
    ));
    assert_eq!(refusal.reason, Reason::CertificateUntrusted);
    assert!(refusal.message.contains("KANDAS_APPLICANT_SIGNATURE_CA"));
}

#[test]
fn a_certificate_whose_key_usage_is_not_for_signing_is_refused() {
    let ca = ca(KeyKind::Ecdsa);
    let who = iin(12);
    let signer = ca
        .issue(
            who.as_str(),
            "ЖАҚСЫЛЫҚОВ АЙДОС",
            KeyKind::Ecdsa,
            current(),
            Some(vec![rcgen::KeyUsagePurpose::KeyAgreement]),
        )
        .unwrap();
    let bytes = content(&who, b"request");
    let signature = signer.sign(&bytes, SignOptions::default()).unwrap();
    let refusal = refused(verify(
        &signature,
        &bytes,
        &trusting(&ca, &[]),
        at(),
        Some(&who),
    ));
    assert_eq!(refusal.reason, Reason::KeyUsage);
}

#[test]
fn a_ca_file_without_certificates_is_refused_naming_the_file() {
    let error = TrustStore::from_files(&[("/etc/kandas/nca.pem".into(), b"hello".to_vec())], &[])
        .unwrap_err();
    assert!(
        error.to_string().starts_with("/etc/kandas/nca.pem:"),
        "{error}"
    );
}

//! What verifying one applicant's signature costs the server (SPEC 1.1): a loop over
//! `domain::signature::verify`, the whole check a signed portal act adds (CMS parsing, the
//! signature, the chain to the national CA, the CRL, key usage, the IIN), with no server and
//! no database around it, for each kind of key the national CA issues that is supported.

use chrono::Utc;
use kandas::domain::iin::{Iin, Sex};
use kandas::local::national_ca::{KeyKind, NationalCa, SignOptions, Window};
use kandas::signature::{RequestDigest, TrustStore, signed_content, verify};
use std::time::Instant;
use time::{Duration, OffsetDateTime};

const RSA_CA_KEY: &str = include_str!("../../../tests/data/applicant_signatures/rsa-ca.key.pem");
const RSA_APPLICANT_KEY: &str =
    include_str!("../../../tests/data/applicant_signatures/rsa-applicant.key.pem");

pub fn run(iterations: u32) -> anyhow::Result<()> {
    let now = OffsetDateTime::now_utc();
    let window = Window {
        not_before: now - Duration::days(30),
        not_after: now + Duration::days(30),
    };
    let iin = Iin::generate(
        chrono::NaiveDate::from_ymd_opt(1987, 10, 8).expect("a date"),
        Sex::Male,
        1,
    )?
    .expect("a serial that gives an IIN");
    let content = signed_content(
        "/kandas.v1.ApplicationService/SubmitApplication",
        &iin,
        &RequestDigest::of_encoding(b"a request"),
    );
    let iterations = iterations.max(1);
    for (name, ca_key, applicant_key) in [
        ("ECDSA P-256", KeyKind::Ecdsa, KeyKind::Ecdsa),
        (
            "RSA 2048",
            KeyKind::Rsa(RSA_CA_KEY),
            KeyKind::Rsa(RSA_APPLICANT_KEY),
        ),
    ] {
        let ca = NationalCa::generate("bench national CA", ca_key, window)?;
        let signer = ca.issue(iin.as_str(), "BENCH", applicant_key, window, None)?;
        let signature = signer.sign(&content, SignOptions::default())?;
        let crl = ca.revocation_list(&[], now - Duration::days(1), now + Duration::days(7), 1)?;
        let cas = [("ca.pem".to_string(), ca.cert_pem().as_bytes().to_vec())];
        for (with, crls) in [
            ("no CRL", Vec::new()),
            ("a CRL", vec![("ca.crl".to_string(), crl.into_bytes())]),
        ] {
            let trust = TrustStore::from_files(&cas, &crls)?;
            let at = Utc::now();
            // One call outside the timing: it must verify, or the loop measures a refusal.
            verify(&signature, &content, &trust, at, Some(&iin)).map_err(|refusal| {
                let reason = kandas::error::Reason::from(refusal.reason);
                anyhow::anyhow!("{reason}: {}", refusal.message)
            })?;
            let started = Instant::now();
            for _ in 0..iterations {
                let _ = verify(&signature, &content, &trust, at, Some(&iin));
            }
            let each = started.elapsed() / iterations;
            println!(
                "verify_signature {name}, {with}: {iterations} calls, {} µs per call",
                each.as_micros()
            );
        }
    }
    Ok(())
}

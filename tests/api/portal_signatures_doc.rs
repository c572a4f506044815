//! The book's portal signature page (docs/src/integrating/portal-signatures.md) replayed: its worked example of canonical bytes, its OpenSSL
//! signing command run with the real openssl binary against the server, and its offline
//! verification command run with the real kandas binary.

use crate::helpers::*;
use crate::signing::*;
use kandas::domain::iin::Iin;
use kandas::local::national_ca::KeyKind;
use kandas::pb;
use kandas::pb::rpc::application_service::{SUBMIT_APPLICATION, WITHDRAW_APPLICATION};
use prost::Message;

const DOC: &str = include_str!("../../docs/src/integrating/portal-signatures.md");
/// The IIN the document's examples use.
const EXAMPLE_IIN: &str = "871008300016";

/// The body of the first fenced block of `language` whose text contains `marker`.
fn block(language: &str, marker: &str) -> String {
    let fence = format!("```{language}\n");
    DOC.split(&fence)
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap())
        .find(|body| body.contains(marker))
        .unwrap_or_else(|| panic!("no ```{language} block with `{marker}` in the document"))
        .to_string()
}

#[test]
fn the_worked_example_is_what_the_service_signs() {
    let request = pb::WithdrawApplicationRequest {
        request_id: "0193a5c4-7d2e-7c11-9b1e-5f3a2c1d4e6f".into(),
        name: "applications/0193a5c4-7c00-7a3b-8f2d-1e2f3a4b5c6d".into(),
        etag: "v1".into(),
        ..Default::default()
    };
    let encoded = hex::encode(request.encode_to_vec());
    assert_eq!(block("text", "0a24").trim(), encoded);
    let canonical = canonical(
        WITHDRAW_APPLICATION,
        &Iin::parse(EXAMPLE_IIN).unwrap(),
        &request,
    );
    assert_eq!(
        block(
            "text",
            "rpc=/kandas.v1.ApplicationService/WithdrawApplication"
        ),
        String::from_utf8(canonical).unwrap()
    );
}

/// Runs one shell block of the document in `dir`; its output when it succeeds.
fn run(dir: &std::path::Path, script: &str) -> std::process::Output {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .output()
        .expect("run sh")
}

#[tokio::test]
async fn the_documented_openssl_signature_is_accepted_and_verifies_offline() {
    // The openssl binary is part of the machine's base system; the test installs nothing.
    assert!(
        std::process::Command::new("openssl")
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success()),
        "the openssl binary is needed to replay the document's example (Debian: openssl)"
    );
    let pki = NationalPki::new();
    let crl = pki
        .rsa
        .revocation_list(
            &[],
            offset(judged_at()) - time::Duration::days(1),
            offset(judged_at()) + time::Duration::days(7),
            1,
        )
        .unwrap();
    let app = spawn_app_with(|s| pki.configure(s, std::slice::from_ref(&crl))).await;
    let mut persons = app.persons("psc").await;
    // Born 1987-10-08, male: the document's IIN.
    let mut holder = person("Example");
    holder.iin = EXAMPLE_IIN.into();
    holder.citizenship = "MNG".into();
    let me = register(&mut persons, holder).await;
    let iin = Iin::parse(EXAMPLE_IIN).unwrap();
    let signer = pki
        .rsa
        .issue(
            EXAMPLE_IIN,
            "ЖАҚСЫЛЫҚОВ АЙДОС",
            KeyKind::Rsa(RSA_APPLICANT_KEY),
            current(),
            None,
        )
        .unwrap();
    let request = kandas_submission(&me.name);
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes).unwrap();
    write(
        "canonical.txt",
        &canonical(SUBMIT_APPLICATION, &iin, &request),
    );
    write("applicant.pem", signer.cert_pem.as_bytes());
    write("applicant.key", signer.key_pem.as_bytes());
    let signing = run(dir.path(), &block("sh", "openssl cms -sign"));
    assert!(
        signing.status.success(),
        "{}",
        String::from_utf8_lossy(&signing.stderr)
    );
    let signature = std::fs::read(dir.path().join("signature.der")).unwrap();
    let accepted = app
        .applications("portal")
        .await
        .submit_application(for_applicant(
            signed_submission(request, signature),
            &me.name,
        ))
        .await
        .expect("the signature openssl made is accepted")
        .into_inner();
    assert_eq!(
        accepted.submission_assurance,
        pb::ApplicantAssurance::Signature as i32
    );

    // The offline check, as the document writes it, with this build's binary.
    write("nca-root.pem", pki.ecdsa.cert_pem().as_bytes());
    write("nca-rsa.pem", pki.rsa.cert_pem().as_bytes());
    write("nca-rsa.crl", crl.as_bytes());
    let command = block("sh", "kandas signature verify");
    let command = command
        .trim_start()
        .strip_prefix("kandas ")
        .expect("the command starts with kandas");
    let verified = run(
        dir.path(),
        &format!("'{}' {command}", env!("CARGO_BIN_EXE_kandas")),
    );
    let said = String::from_utf8_lossy(&verified.stdout);
    assert!(
        verified.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(
        said.starts_with("valid at 2026-06-01T07:00:00+00:00"),
        "{said}"
    );
    // Another person's IIN is refused, exit 1.
    let other = run(
        dir.path(),
        &format!(
            "'{}' {}",
            env!("CARGO_BIN_EXE_kandas"),
            command.replace(EXAMPLE_IIN, &test_iin(5))
        ),
    );
    assert_eq!(other.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&other.stdout).contains("SIGNER_NOT_APPLICANT"));
}

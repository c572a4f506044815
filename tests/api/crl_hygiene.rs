//! CRL hygiene (SPEC §1.1, RFC 5280 §5): a CRL not signed by a configured client CA, past its
//! next update, or with a lower CRL number than the one in force is refused and the one in
//! force kept, so it can neither lock every caller out nor un-revoke a certificate; the
//! operator sees a warning naming the reason and the CRL in force in the metrics; at start a
//! CRL that would be refused stops the start with words, not a bare `ParseError`.

use crate::helpers::*;
use crate::revocation::{client, eventually, replace, served, start_with, write_files};
use kandas::local::pki::CertificateAuthority;
use kandas::server::startup::{Application, Settings, TlsMaterial};
use std::time::Duration;

fn metrics_on(s: &mut Settings) {
    s.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
}

fn count(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

/// Waits until the metrics count one refusal for `reason`.
async fn refused_for(app: &TestApp, reason: &str) {
    let series = format!("kandas_client_crl_refused_total{{reason=\"{reason}\"}}");
    let found = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            if count(&metrics_text(app).await, &series) == Some(1.0) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(
        found.is_ok(),
        "{series} not within 15 s:\n{}",
        metrics_text(app).await
    );
}

#[tokio::test]
async fn a_crl_of_another_ca_written_over_the_file_is_refused_and_every_caller_still_served() {
    let ca = CertificateAuthority::generate("clients CA").unwrap();
    let (one, two) = (client(&ca, "psc-kept"), client(&ca, "psc-sibling"));
    let files = write_files(&ca, &ca, &ca.revocation_list(&[], 1).unwrap());
    let app = start_with(&files, Duration::from_millis(100), metrics_on).await;
    // The same name as the real CA, another key: what an attacker who can write the file makes.
    let impostor = CertificateAuthority::generate("clients CA").unwrap();
    replace(
        &files.files.client_crls[0],
        &impostor.revocation_list(&[], 99).unwrap(),
    );
    refused_for(&app, "foreign_issuer").await;
    assert!(served(&app, &ca, &one).await, "callers are not locked out");
    assert!(served(&app, &ca, &two).await);
    let text = metrics_text(&app).await;
    let number = text
        .lines()
        .find(|line| line.starts_with("kandas_client_crl_number{"))
        .unwrap_or_else(|| panic!("no CRL number in\n{text}"));
    assert!(
        number.contains("clients CA") && number.ends_with(" 1.0"),
        "{number}"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_expired_crl_and_an_older_crl_are_refused_and_the_one_in_force_kept() {
    let ca = CertificateAuthority::generate("clients CA").unwrap();
    let stolen = client(&ca, "psc-stolen");
    let sibling = client(&ca, "psc-sibling");
    let revoking = ca.revocation_list(&[&stolen.cert_pem], 2).unwrap();
    let files = write_files(&ca, &ca, &revoking);
    let app = start_with(&files, Duration::from_millis(100), metrics_on).await;
    assert!(!served(&app, &ca, &stolen).await);

    // An older CRL, genuinely signed, that does not list the stolen certificate yet.
    replace(
        &files.files.client_crls[0],
        &ca.revocation_list(&[], 1).unwrap(),
    );
    refused_for(&app, "lower_crl_number").await;
    assert!(!served(&app, &ca, &stolen).await, "it is not un-revoked");

    // A CRL past its next update, newer in number and revoking the sibling too.
    let yesterday = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    replace(
        &files.files.client_crls[0],
        &ca.revocation_list_until(&[&stolen.cert_pem, &sibling.cert_pem], 3, yesterday)
            .unwrap(),
    );
    refused_for(&app, "past_next_update").await;
    assert!(
        served(&app, &ca, &sibling).await,
        "the stale CRL is not applied"
    );
    assert!(!served(&app, &ca, &stolen).await);

    // A fresh, higher one is taken.
    replace(
        &files.files.client_crls[0],
        &ca.revocation_list(&[&stolen.cert_pem, &sibling.cert_pem], 4)
            .unwrap(),
    );
    eventually("the fresh CRL is in force", async || {
        !served(&app, &ca, &sibling).await
    })
    .await;
    let text = metrics_text(&app).await;
    let next_update = text
        .lines()
        .find(|line| line.starts_with("kandas_client_crl_next_update_timestamp_seconds{"))
        .and_then(|line| line.rsplit(' ').next()?.parse::<i64>().ok())
        .unwrap_or_else(|| panic!("no next update in\n{text}"));
    let in_six_days = time::OffsetDateTime::now_utc().unix_timestamp() + 6 * 86_400;
    assert!(next_update > in_six_days, "{next_update}");
    app.stop().await;
}

#[tokio::test]
async fn a_client_ca_replaced_without_a_crl_of_its_own_is_not_taken_unchecked() {
    let ca = CertificateAuthority::generate("clients CA").unwrap();
    let next = CertificateAuthority::generate("next clients CA").unwrap();
    let files = write_files(&ca, &ca, &ca.revocation_list(&[], 1).unwrap());
    let app = start_with(&files, Duration::from_millis(100), metrics_on).await;
    let (old, new) = (client(&ca, "psc-kept"), client(&next, "psc-sibling"));
    assert!(served(&app, &ca, &old).await);
    // The CRL file still holds the old CA's CRL, now of a CA no longer configured: taking the
    // new CA file would leave no CRL, and no revocation checked at all.
    replace(&files.files.client_ca, &next.cert_pem());
    refused_for(&app, "foreign_issuer").await;
    assert!(
        !served(&app, &ca, &new).await,
        "the new CA's certificates are not let in unchecked"
    );
    assert!(served(&app, &ca, &old).await, "the files in force stay");
    app.stop().await;
}

fn material(ca: &CertificateAuthority, crl: Vec<u8>) -> TlsMaterial {
    let server = ca
        .issue_server(&["localhost"], &["127.0.0.1".parse().unwrap()])
        .unwrap();
    TlsMaterial {
        cert_chain_pem: server.cert_pem.into_bytes(),
        key_pem: server.key_pem.into_bytes(),
        client_ca_pem: ca.cert_pem().into_bytes(),
        client_crls: vec![crl],
    }
}

async fn start_error(tls: TlsMaterial) -> String {
    let settings = Settings::new(
        "127.0.0.1:0".parse().unwrap(),
        migrated_database().await,
        tls,
    );
    match Application::build(settings).await {
        Ok(_) => panic!("the server started"),
        Err(error) => format!("{error:#}"),
    }
}

#[tokio::test]
async fn a_crl_the_server_would_refuse_stops_the_start_with_the_rule_in_words() {
    let ca = CertificateAuthority::generate("clients CA").unwrap();
    let error = start_error(material(&ca, version_1_crl(&ca))).await;
    assert!(
        error.contains("no CRL number") && error.contains("RFC 5280 §5.2.3"),
        "{error}"
    );
    let other = CertificateAuthority::generate("another CA").unwrap();
    let foreign = other.revocation_list(&[], 1).unwrap().into_bytes();
    let error = start_error(material(&ca, foreign)).await;
    assert!(
        error.contains("not signed by a configured client CA"),
        "{error}"
    );
}

#[tokio::test]
async fn the_running_binary_warns_with_the_rfc_reason_when_it_refuses_a_crl() {
    let dir = tempfile::tempdir().unwrap();
    let ca = CertificateAuthority::generate("clients CA").unwrap();
    let files = write_files(&ca, &ca, &ca.revocation_list(&[], 5).unwrap());
    let log = dir.path().join("stderr");
    let banner = dir.path().join("stdout");
    let mut child = serve_binary(dir.path())
        .await
        .env("KANDAS_TLS_CERT", &files.files.cert)
        .env("KANDAS_TLS_KEY", &files.files.key)
        .env("KANDAS_CLIENT_CA", &files.files.client_ca)
        .env("KANDAS_CLIENT_CRL", &files.files.client_crls[0])
        .env("KANDAS_LOG_FORMAT", "text")
        .stdout(std::fs::File::create(&banner).unwrap())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start the kandas binary");
    let logged = || std::fs::read_to_string(&log).unwrap_or_default();
    wait_until(Duration::from_secs(60), "the binary serves", || async {
        std::fs::read_to_string(&banner)
            .unwrap_or_default()
            .contains("serving")
    })
    .await;
    replace(
        &files.files.client_crls[0],
        &ca.revocation_list(&[], 4).unwrap(),
    );
    wait_until(Duration::from_secs(30), "the refusal's warning", || async {
        logged().contains("client CRL refused")
    })
    .await;
    let text = logged();
    let line = text
        .lines()
        .find(|line| line.contains("client CRL refused"))
        .unwrap();
    assert!(
        line.contains("WARN")
            && line.contains("lower_crl_number")
            && line.contains("RFC 5280 §5.2.3"),
        "{line}"
    );
    child.kill().await.unwrap();
}

/// A version 1 CRL of `ca` (no extensions at all, hence no CRL number), which rcgen cannot
/// make: DER written here and signed with the CA's key (ECDSA P-256 with SHA-256).
fn version_1_crl(ca: &CertificateAuthority) -> Vec<u8> {
    use rcgen::SigningKey;
    use x509_parser::prelude::FromDer;
    use yasna::models::{ObjectIdentifier, UTCTime};
    let key = rcgen::KeyPair::from_pem(&ca.key_pem()).unwrap();
    let ca_der = rustls::pki_types::pem::PemObject::from_pem_slice(ca.cert_pem().as_bytes())
        .map(|der: rustls::pki_types::CertificateDer<'static>| der.to_vec())
        .unwrap();
    let (_, cert) = x509_parser::certificate::X509Certificate::from_der(&ca_der).unwrap();
    let issuer = cert.subject().as_raw().to_vec();
    let ecdsa_with_sha256 = ObjectIdentifier::from_slice(&[1, 2, 840, 10045, 4, 3, 2]);
    let algorithm =
        |w: yasna::DERWriter| w.write_sequence(|w| w.next().write_oid(&ecdsa_with_sha256));
    let time = |offset: time::Duration| {
        let at = time::OffsetDateTime::now_utc() + offset;
        UTCTime::from_datetime(at.replace_nanosecond(0).unwrap())
    };
    let tbs = yasna::construct_der(|w| {
        w.write_sequence(|w| {
            algorithm(w.next());
            w.next().write_der(&issuer);
            w.next().write_utctime(&time(-time::Duration::hours(1)));
            w.next().write_utctime(&time(time::Duration::days(7)));
        })
    });
    let signature = key.sign(&tbs).unwrap();
    yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next().write_der(&tbs);
            algorithm(w.next());
            w.next().write_bitvec_bytes(&signature, signature.len() * 8);
        })
    })
}

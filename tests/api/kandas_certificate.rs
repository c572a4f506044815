//! Re-issue of a kandas certificate (SPEC 5.7): psc downloads it as a PDF that an independent
//! reader (poppler's pdftotext) shows, with a verification code that anyone can check.

use crate::helpers::*;
use chrono::NaiveDate;
use kandas::domain::organisation::{Jurisdiction, Organisation};
use kandas::domain::regions::Region;
use kandas::domain::role::Role;
use kandas::pb;
use kandas::pb::application_details::Procedure as P;
use kandas::pb::kandas_certificate_verification::State;
use kandas::pb::person_service_client::PersonServiceClient;
use kandas::state::Clock;
use std::io::Write;
use tonic::Code;

const INSIDE: &str = "KZ-55";
const OUTSIDE: &str = "KZ-10";
const COMMISSION: &str = "Павлодар облысы әкімдігінің комиссиясы";
const DOWNLOAD: &str = kandas::pb::rpc::person_service::DOWNLOAD_KANDAS_CERTIFICATE;
const VERIFY: &str = kandas::pb::rpc::person_service::VERIFY_KANDAS_CERTIFICATE;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A psc in each region and the commission of `INSIDE`, registered under its Kazakh name.
async fn spawn() -> TestApp {
    spawn_app_with(|s| {
        register_regional(s, "psc", "psc-55", &[INSIDE]);
        register_regional(s, "psc", "psc-10", &[OUTSIDE]);
        s.seed_organisations.push(Organisation {
            display_name: COMMISSION.into(),
            jurisdiction: Jurisdiction::Regions(vec![Region::parse(INSIDE).unwrap()]),
            ..Organisation::national("commission-55", Role::Commission)
        });
    })
    .await
}

/// The same database on another day.
async fn on(app: &TestApp, today: NaiveDate) -> TestApp {
    spawn_on(app.database_url.clone(), app.same_ca(), |s| {
        s.clock = Clock::pinned(today)
    })
    .await
}

async fn persons_as(app: &TestApp, role: &str, org: &str) -> PersonClient {
    PersonServiceClient::new(app.channel_as(role, org).await)
}

fn document(kind: pb::DocumentType) -> pb::Document {
    pb::Document {
        r#type: kind as i32,
        form: pb::DocumentForm::Original as i32,
        language: "kk".into(),
        number: "F-1".into(),
        ..Default::default()
    }
}

/// Submits `details` for `applicant` at psc-55 and has commission-55 approve it; returns the
/// approved application.
async fn granted(
    app: &TestApp,
    applicant: &str,
    details: pb::ApplicationDetails,
    documents: Vec<pb::Document>,
) -> pb::Application {
    let submitted = ApplicationClient::new(app.channel_as("psc", "psc-55").await)
        .submit_application(pb::SubmitApplicationRequest {
            request_id: request_id(),
            applicant: applicant.into(),
            documents,
            details: Some(details),
            region: INSIDE.into(),
            applicant_confirmation: None,
        })
        .await
        .expect("psc-55 files the application")
        .into_inner();
    ApplicationClient::new(app.channel_as("commission", "commission-55").await)
        .decide_application(approve(&submitted.name, &submitted.etag))
        .await
        .expect("commission-55 approves")
        .into_inner()
}

/// Әбілқасымова Айгүл Серікқызы, IIN 871008401427 (born 1987-10-08), registered at psc-55
/// and granted kandas status by commission-55 on the day `app` is pinned to. Returns the
/// person and the status's resource name.
async fn kandas_holder(app: &TestApp) -> (pb::Person, String) {
    let holder = register(
        &mut persons_as(app, "psc", "psc-55").await,
        pb::Person {
            surname: "Әбілқасымова".into(),
            given_name: "Айгүл".into(),
            patronymic: "Серікқызы".into(),
            iin: "871008401427".into(),
            sex: pb::Sex::Female as i32,
            ..person("")
        },
    )
    .await;
    let approved = granted(
        app,
        &holder.name,
        details(P::KandasStatusAssignment(pb::KandasStatusAssignment {
            grounds: vec![pb::kandas_status_assignment::Ground::QuotaRegionResettlement as i32],
            nationality_in_identity_document: true,
            ..Default::default()
        })),
        vec![
            document(pb::DocumentType::ApplicationForm),
            document(pb::DocumentType::Biography),
            passport(),
        ],
    )
    .await;
    let number = approved.decision.unwrap().issued[0].number.clone();
    let name = format!("{}/kandas-statuses/{number}", holder.name);
    (holder, name)
}

async fn download(
    client: &mut PersonClient,
    name: &str,
) -> Result<pb::KandasCertificate, tonic::Status> {
    client
        .download_kandas_certificate(pb::DownloadKandasCertificateRequest { name: name.into() })
        .await
        .map(|r| r.into_inner())
}

async fn verify(
    app: &TestApp,
    code: &str,
) -> Result<pb::KandasCertificateVerification, tonic::Status> {
    app.persons("police")
        .await
        .verify_kandas_certificate(pb::VerifyKandasCertificateRequest { code: code.into() })
        .await
        .map(|r| r.into_inner())
}

/// Runs one of poppler's tools on `pdf` (then `after`): a reader that shares no code with the
/// service.
fn poppler(tool: &str, pdf: &[u8], after: &[&str]) -> String {
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    file.write_all(pdf).expect("write the PDF");
    let output = std::process::Command::new(tool)
        .arg(file.path())
        .args(after)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{tool} cannot be run ({e}): install poppler-utils (apt-get install poppler-utils)"
            )
        });
    assert!(
        output.status.success() && output.stderr.is_empty(),
        "{tool} found the PDF malformed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("poppler writes UTF-8")
}

#[tokio::test]
async fn psc_downloads_a_certificate_a_pdf_reader_shows_and_anyone_verifies_its_code() {
    let app = spawn().await;
    let (holder, name) = kandas_holder(&app).await;
    let number = name.rsplit('/').next().unwrap().to_string();
    let mut psc = persons_as(&app, "psc", "psc-55").await;
    let certificate = download(&mut psc, &name)
        .await
        .expect("psc-55 re-issues it");
    assert_eq!(certificate.name, name);
    assert_eq!(certificate.number, number);
    assert_eq!(certificate.valid_from, Some(date(2026, 6, 1)));
    assert_eq!(certificate.valid_until, Some(date(2027, 6, 1)));
    let code = certificate.verification_code.clone();
    assert_eq!(code.len(), 19, "four groups of four: {code}");

    let text = poppler("pdftotext", &certificate.pdf, &["-"]);
    for expected in [
        "Certificate of kandas status",
        number.as_str(),
        "Әбілқасымова",
        "Айгүл",
        "Серікқызы",
        "871008401427",
        "08.10.1987",
        "01.06.2026",
        "01.06.2027",
        COMMISSION,
        code.as_str(),
        "VerifyKandasCertificate",
    ] {
        assert!(
            text.contains(expected),
            "the PDF does not show {expected:?}:\n{text}"
        );
    }
    let fonts = poppler("pdffonts", &certificate.pdf, &[]);
    assert!(
        fonts.contains("CID TrueType") && fonts.contains("yes yes yes"),
        "one font, embedded, subset, with a ToUnicode map:\n{fonts}"
    );

    // Downloading again prints the same code: the same paper, byte for byte.
    let again = download(&mut psc, &name).await.unwrap();
    assert_eq!(again.verification_code, code);
    assert_eq!(again.pdf, certificate.pdf);

    // Police hold the paper: the code tells them what to compare, and nothing about whom.
    let verified = verify(&app, &code).await.expect("police verify the code");
    assert_eq!(
        verified,
        pb::KandasCertificateVerification {
            state: State::Valid as i32,
            as_of: Some(date(2026, 6, 1)),
            number: number.clone(),
            valid_from: Some(date(2026, 6, 1)),
            valid_until: Some(date(2027, 6, 1)),
            annulled_on: None,
            decided_by: "commission-55".into(),
            decided_by_name: COMMISSION.into(),
            extension: false,
        }
    );
    let typed = code.replace('-', "").to_lowercase();
    assert_eq!(verify(&app, &typed).await.unwrap(), verified);

    // Valid through its last day, expired the day after; not re-issued once expired.
    let last_day = on(&app, day(2027, 6, 1)).await;
    assert_eq!(
        verify(&last_day, &code).await.unwrap().state,
        State::Valid as i32
    );
    let after = on(&app, day(2027, 6, 2)).await;
    let expired = verify(&after, &code).await.unwrap();
    assert_eq!(expired.state, State::Expired as i32);
    assert_eq!(expired.as_of, Some(date(2027, 6, 2)));
    let refused = download(&mut persons_as(&after, "psc", "psc-55").await, &name)
        .await
        .unwrap_err();
    assert_reason(&refused, "KANDAS_STATUS_EXPIRED");

    // Annulled by the commission from 2026-07-01: valid before, annulled from then on.
    let july = on(&app, day(2026, 7, 1)).await;
    pb::person_service_client::PersonServiceClient::new(
        july.channel_as("commission", "commission-55").await,
    )
    .annul_record(pb::AnnulRecordRequest {
        request_id: request_id(),
        name: name.clone(),
        annulled_on: Some(date(2026, 7, 1)),
        ground: pb::annulled_record::Ground::FalseDocuments as i32,
        legal_basis: "Law on Migration of the Population, art. 51".into(),
    })
    .await
    .expect("commission-55 annuls the status");
    let annulled = verify(&july, &code).await.unwrap();
    assert_eq!(annulled.state, State::Annulled as i32);
    assert_eq!(annulled.annulled_on, Some(date(2026, 7, 1)));
    assert_eq!(
        verify(&app, &code).await.unwrap().state,
        State::Valid as i32
    );
    let refused = download(&mut persons_as(&july, "psc", "psc-55").await, &name)
        .await
        .unwrap_err();
    assert_reason(&refused, "KANDAS_STATUS_ANNULLED");

    // Each download and each verification is audited under the person; the code is not kept
    // in the log.
    for (rpc, at_least) in [(DOWNLOAD, 2), (VERIFY, 5)] {
        let events: i64 = sqlx::query_scalar!(
            r#"SELECT count(*) AS "count!" FROM audit_events WHERE rpc = $1 AND subject = $2 AND outcome = 'OK'"#,
            rpc,
            &holder.name
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert!(events >= at_least, "{rpc}: {events} events");
    }
    let stored = code.replace('-', "");
    let leaked: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM audit_events e WHERE position($1 in e::text) > 0"#,
        &stored
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(leaked, 0);
}

#[tokio::test]
async fn only_a_psc_within_its_jurisdiction_downloads_and_a_code_must_be_one() {
    let app = spawn().await;
    let (holder, name) = kandas_holder(&app).await;

    let portal = app
        .persons("portal")
        .await
        .download_kandas_certificate(for_applicant(
            pb::DownloadKandasCertificateRequest { name: name.clone() },
            &holder.name,
        ))
        .await
        .unwrap_err();
    assert_eq!(portal.code(), Code::PermissionDenied);
    assert_reason(&portal, "ROLE_NOT_PERMITTED");
    let police = download(&mut app.persons("police").await, &name)
        .await
        .unwrap_err();
    assert_reason(&police, "ROLE_NOT_PERMITTED");

    let elsewhere = download(&mut persons_as(&app, "psc", "psc-10").await, &name)
        .await
        .unwrap_err();
    assert_eq!(elsewhere.code(), Code::PermissionDenied);
    assert_reason(&elsewhere, "OUTSIDE_JURISDICTION");
    let codes: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM certificate_codes"#)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(codes, 0, "a refused download makes no code");

    let mut psc = persons_as(&app, "psc", "psc-55").await;
    let malformed = download(&mut psc, "persons/x/kandas-statuses/KC-1")
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&malformed), vec!["name"]);
    let unknown = download(
        &mut psc,
        &format!("{}/kandas-statuses/KC-2026-999999", holder.name),
    )
    .await
    .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    assert_reason(&unknown, "NOT_FOUND");

    let unknown = verify(&app, "7K2Q-9XMD-R4TB-H3NC").await.unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    assert_reason(&unknown, "NOT_FOUND");
    for malformed in ["", "7K2Q-9XMD-R4TB", "7K2Q-9XMD-R4TB-H3NU"] {
        let refused = verify(&app, malformed).await.unwrap_err();
        assert_eq!(violated_fields(&refused), vec!["code"], "{malformed:?}");
    }

    // Without its font the service still serves, and says which setting to fix.
    let fontless = spawn_on(app.database_url.clone(), app.same_ca(), |s| {
        s.certificate_font = "/nonexistent/kandas/font.ttf".into()
    })
    .await;
    let refused = download(&mut persons_as(&fontless, "psc", "psc-55").await, &name)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_reason(&refused, "CERTIFICATE_FONT_UNAVAILABLE");
    assert!(
        refused.message().contains("KANDAS_CERTIFICATE_FONT"),
        "{refused:?}"
    );
    assert!(
        !refused.message().contains("/nonexistent"),
        "the path stays in the log"
    );
    let codes: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM certificate_codes"#)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(codes, 0, "a certificate that cannot be set makes no code");
    let served = download(&mut persons_as(&app, "psc", "psc-55").await, &name).await;
    assert!(served.is_ok(), "{served:?}");
}

#[tokio::test]
async fn an_extension_is_printed_with_a_code_of_its_own_and_the_grant_keeps_its_own() {
    let app = spawn().await;
    let (_, name) = kandas_holder(&app).await;
    let grant = download(&mut persons_as(&app, "psc", "psc-55").await, &name)
        .await
        .unwrap();

    let may = on(&app, day(2027, 5, 3)).await;
    granted(
        &may,
        name.split("/kandas-statuses/").next().unwrap(),
        details(P::KandasStatusExtension(pb::KandasStatusExtension {})),
        vec![document(pb::DocumentType::ApplicationForm)],
    )
    .await;
    let extension = download(&mut persons_as(&may, "psc", "psc-55").await, &name)
        .await
        .unwrap();
    assert_eq!(
        extension.number, grant.number,
        "an extension keeps the number"
    );
    assert_ne!(extension.verification_code, grant.verification_code);
    assert_eq!(extension.valid_from, Some(date(2027, 5, 3)));
    assert_eq!(extension.valid_until, Some(date(2028, 5, 3)));
    assert!(
        poppler("pdftotext", &extension.pdf, &["-"])
            .contains("Extension of kandas status, 03.05.2027")
    );

    let verified = verify(&may, &extension.verification_code).await.unwrap();
    assert!(verified.extension);
    assert_eq!(verified.valid_until, Some(date(2028, 5, 3)));
    // The paper of the grant still tells its own validity, through its own last day.
    let old = verify(&may, &grant.verification_code).await.unwrap();
    assert!(!old.extension);
    assert_eq!(old.valid_until, Some(date(2027, 6, 1)));
    assert_eq!(old.state, State::Valid as i32);
}

//! Every read of a file counts (SPEC 1.1): a dry run, a checklist and a refused submission
//! evaluate a walk-in's records wherever they lie, but tell an office outside the person's
//! jurisdiction only whether each requirement is met, never which record, and each is audited
//! as a read of the person.

use crate::helpers::*;
use kandas::pb;
use pb::application_details::Procedure as P;
use prost::Message;
use tonic::Code;

const INSIDE: &str = "KZ-55";
const OUTSIDE: &str = "KZ-10";

/// A family permanently registered in `region`, with a kandas status, a permit and a quota
/// application; returns the applicant and what identifies their records.
async fn person_with_records(app: &TestApp, first: u32, region: &str) -> (pb::Person, Vec<String>) {
    let family = eligible_family(app, first, 1, region).await;
    let application = quota_application_ready(app, &family, region, 2026).await;
    let id = uuid::Uuid::parse_str(family[0].name.trim_start_matches("persons/")).unwrap();
    let status: String = sqlx::query_scalar!(
        "SELECT certificate_number FROM kandas_statuses WHERE person_id = $1",
        id
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let permit: String = sqlx::query_scalar!("SELECT number FROM permits WHERE person_id = $1", id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let applications: Vec<uuid::Uuid> =
        sqlx::query_scalar!("SELECT id FROM applications WHERE applicant_id = $1", id)
            .fetch_all(&app.pool)
            .await
            .unwrap();
    let mut identifiers = vec![status, permit, application.name, region.to_string()];
    identifiers.extend(applications.iter().map(|a| a.to_string()));
    (family[0].clone(), identifiers)
}

fn extension() -> pb::ApplicationDetails {
    details(P::KandasStatusExtension(pb::KandasStatusExtension {}))
}

fn permit() -> pb::ApplicationDetails {
    details(P::PermanentResidencePermit(pb::PermanentResidencePermit {
        category: pb::permanent_residence_permit::Category::KandasAndFamily as i32,
        ..Default::default()
    }))
}

/// What of `identifiers` an answer's bytes show.
fn shown(answer: &[u8], identifiers: &[String]) -> Vec<String> {
    let text = String::from_utf8_lossy(answer);
    identifiers
        .iter()
        .filter(|id| text.contains(id.as_str()))
        .cloned()
        .collect()
}

async fn reads_audited(app: &TestApp, rpc: &str, client: &str, person: &str) -> i64 {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM audit_events
         WHERE rpc LIKE '%' || $1 AND client = $2 AND subject = $3 AND outcome = 'OK'"#,
        rpc,
        client,
        person
    )
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

async fn spawn_with_offices() -> TestApp {
    spawn_app_with(|s| {
        register_regional(s, "psc", "psc-55", &[INSIDE]);
        register_regional(s, "police", "police-55", &[INSIDE]);
    })
    .await
}

#[tokio::test]
async fn an_office_learns_whether_records_satisfy_a_walk_in_but_not_which_records() {
    let app = spawn_with_offices().await;
    let (mine, my_records) = person_with_records(&app, 1, INSIDE).await;
    let (walk_in, their_records) = person_with_records(&app, 2, OUTSIDE).await;
    let mut psc = ApplicationClient::new(app.channel_as("psc", "psc-55").await);

    for (person, records, outsider) in [
        (&mine, &my_records, false),
        (&walk_in, &their_records, true),
    ] {
        let checked = psc
            .check_documents(pb::CheckDocumentsRequest {
                applicant: person.name.clone(),
                documents: vec![],
                details: Some(extension()),
            })
            .await
            .expect("the office checks anyone who walks in")
            .into_inner();
        // Either way the kandas certificate is satisfied from records and never asked for.
        let certificate = checked
            .checklist
            .iter()
            .find(|item| item.requirement.contains("certificate"))
            .expect("the extension's certificate item");
        assert_eq!(
            certificate.status,
            pb::checklist_item::Status::SatisfiedFromRecords as i32
        );
        let told = shown(&checked.encode_to_vec(), records);
        if outsider {
            assert!(
                told.is_empty(),
                "a dry run outside jurisdiction shows {told:?}"
            );
        } else {
            assert!(!told.is_empty(), "an office reads its own files' records");
        }
        let listed = psc
            .list_required_documents(pb::ListRequiredDocumentsRequest {
                applicant: person.name.clone(),
                details: Some(extension()),
                description: None,
            })
            .await
            .unwrap()
            .into_inner();
        let told = shown(&listed.encode_to_vec(), records);
        assert_eq!(told.is_empty(), outsider, "{told:?}");
    }

    // The police office checks a permit application of a person who already holds one: the
    // unmet prerequisite is named, the permit is not.
    let mut police = ApplicationClient::new(app.channel_as("police", "police-55").await);
    let checked = police
        .check_documents(pb::CheckDocumentsRequest {
            applicant: walk_in.name.clone(),
            documents: vec![],
            details: Some(permit()),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!checked.complete);
    let held = checked
        .unmet_prerequisites
        .iter()
        .find(|u| u.code == "NO_PERMIT_YET")
        .expect("a second permit is refused");
    assert_eq!(held.person, walk_in.name);
    assert!(held.evidence.is_empty(), "{held:?}");
    assert!(held.earliest_date.is_none(), "{held:?}");
    let told = shown(&checked.encode_to_vec(), &their_records);
    assert!(told.is_empty(), "{told:?}");

    // Refused at the door, the refusal lists every problem in the same terms.
    let refused = police
        .submit_application(pb::SubmitApplicationRequest {
            request_id: request_id(),
            applicant: walk_in.name.clone(),
            documents: vec![],
            details: Some(permit()),
            region: INSIDE.into(),
            applicant_confirmation: None,
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    let violations = error_details(&refused)
        .precondition_failure()
        .expect("every problem listed")
        .violations
        .clone();
    assert!(violations.iter().any(|v| v.r#type == "NO_PERMIT_YET"));
    let text: Vec<String> = violations
        .iter()
        .map(|v| format!("{} {} {}", v.r#type, v.subject, v.description))
        .collect();
    let told = shown(text.join("\n").as_bytes(), &their_records);
    assert!(told.is_empty(), "the refusal names {told:?}");

    // Each evaluation is a read of the person.
    for (rpc, client, at_least) in [
        ("/CheckDocuments", "urn:kandas:psc:psc-55", 1),
        ("/ListRequiredDocuments", "urn:kandas:psc:psc-55", 1),
        ("/CheckDocuments", "urn:kandas:police:police-55", 1),
    ] {
        let audited = reads_audited(&app, rpc, client, &walk_in.name).await;
        assert!(
            audited >= at_least,
            "{client} {rpc}: {audited} reads of the walk-in audited"
        );
    }
    let refusals: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM audit_events WHERE rpc LIKE '%/SubmitApplication'
         AND client = 'urn:kandas:police:police-55' AND subject = $1
         AND outcome = 'FailedPrecondition'"#,
        &walk_in.name
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(refusals, 1, "the refused submission is audited");
}

#[tokio::test]
async fn a_dry_run_in_json_is_told_no_more_than_over_grpc() {
    let app = spawn_with_offices().await;
    let (walk_in, their_records) = person_with_records(&app, 3, OUTSIDE).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.pem"), app.ca.cert_pem()).unwrap();
    let pair = app
        .ca
        .issue_client(
            "psc-55",
            Some("urn:kandas:psc:psc-55"),
            kandas::local::pki::Validity::Days(1),
        )
        .unwrap();
    std::fs::write(dir.path().join("psc.pem"), &pair.cert_pem).unwrap();
    std::fs::write(dir.path().join("psc.key"), &pair.key_pem).unwrap();
    let body = serde_json::json!({
        "applicant": walk_in.name,
        "details": {"kandasStatusExtension": {}},
    });
    let (status, answer) = curl(
        &app,
        dir.path(),
        "psc",
        "/kandas.v1.ApplicationService/CheckDocuments",
        &body.to_string(),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert!(
        answer.to_string().contains("SATISFIED_FROM_RECORDS"),
        "{answer}"
    );
    let told = shown(answer.to_string().as_bytes(), &their_records);
    assert!(told.is_empty(), "Connect shows {told:?}: {answer}");
}

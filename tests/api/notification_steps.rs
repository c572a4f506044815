//! The applicant's notifications written by each act (SPEC 5.8): one per step, for the
//! applicant alone, in the act's transaction, never twice for a retried request; and the day
//! after a legal deadline the state missed, once per deadline however many replicas look.
//! Read here straight from the table: what is written, not how it is served.

use crate::helpers::*;
use chrono::NaiveDate;
use kandas::domain::calendar::{Calendar, Term};
use kandas::pb;
use kandas::pb::person_service_client::PersonServiceClient;
use kandas::pb::quota_service_client::QuotaServiceClient;
use kandas::service::missed_deadlines::{TELL_ACT, run_once};
use kandas::state::Clock;
use serde_json::{Value, json};
use uuid::Uuid;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn proto(d: NaiveDate) -> pb::Date {
    use chrono::Datelike;
    date(d.year(), d.month(), d.day())
}

fn id_of(name: &str) -> Uuid {
    Uuid::parse_str(name.rsplit('/').next().unwrap()).unwrap()
}

/// One stored notification, as the act wrote it.
#[derive(Debug)]
struct Stored {
    application: Option<Uuid>,
    submitted_by: Option<String>,
    kind: String,
    facts: Value,
}

/// Every notification of `person`, in feed order.
async fn told(app: &TestApp, person: &str) -> Vec<Stored> {
    sqlx::query!(
        "SELECT application_id, submitted_by, kind, facts FROM notifications
         WHERE person_id = $1 ORDER BY seq",
        id_of(person)
    )
    .fetch_all(&app.pool)
    .await
    .unwrap()
    .into_iter()
    .map(|row| Stored {
        application: row.application_id,
        submitted_by: row.submitted_by,
        kind: row.kind,
        facts: row.facts,
    })
    .collect()
}

async fn all_told(app: &TestApp) -> i64 {
    sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM notifications"#)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

fn kinds(stored: &[Stored]) -> Vec<&str> {
    stored.iter().map(|s| s.kind.as_str()).collect()
}

/// The seq numbers are 1, 2, 3, ... with no gap: nothing written was rolled back or lost.
async fn feed_has_no_gap(app: &TestApp) {
    let seqs: Vec<i64> = sqlx::query_scalar!("SELECT seq FROM notifications ORDER BY seq")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
}

/// How many system events told of a missed deadline of `application`.
async fn audited_missed(app: &TestApp, application: &str) -> i64 {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM audit_events
           WHERE role = 'system' AND client = 'urn:kandas:system:deadlines'
             AND rpc = $1 AND subject = $2"#,
        TELL_ACT,
        application
    )
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn an_accepted_and_approved_iin_is_told_once_however_often_the_request_is_retried() {
    // SPEC 3: submitted Friday 2025-03-07, 3 working days → 2025-03-13.
    let app = spawn_app_with(|s| s.clock = Clock::pinned(day(2025, 3, 7))).await;
    let mut persons = app.persons("psc").await;
    let applicant = register(&mut persons, person("Told")).await;
    let mut psc = app.applications("psc").await;
    let submission = iin_submission(&applicant.name, vec![passport()]);
    let submitted = psc
        .submit_application(submission.clone())
        .await
        .unwrap()
        .into_inner();
    let again = psc
        .submit_application(submission)
        .await
        .expect("a retry gets the first answer")
        .into_inner();
    assert_eq!(again, submitted);

    let stored = told(&app, &applicant.name).await;
    assert_eq!(kinds(&stored), ["accepted"], "{stored:?}");
    assert_eq!(stored[0].application, Some(id_of(&submitted.name)));
    assert_eq!(
        stored[0].submitted_by.as_deref(),
        Some("urn:kandas:psc:test-psc")
    );
    assert_eq!(
        stored[0].facts,
        json!({
            "kind": "accepted", "procedure": "iin_assignment", "submitted_on": "2025-03-07",
            "deadline": "2025-03-13", "provisional": false
        })
    );

    // Refused at the door (no identity document): not a step, nothing told.
    let stranger = register(&mut persons, person("Turned")).await;
    let refused = psc
        .submit_application(iin_submission(&stranger.name, vec![]))
        .await
        .unwrap_err();
    assert_reason(&refused, "APPLICATION_INCOMPLETE");
    assert!(told(&app, &stranger.name).await.is_empty());

    let decision = approve(&submitted.name, &submitted.etag);
    let approved = psc
        .decide_application(decision.clone())
        .await
        .unwrap()
        .into_inner();
    let retried = psc
        .decide_application(decision)
        .await
        .expect("a retry gets the first answer")
        .into_inner();
    assert_eq!(retried, approved);
    let iin: String = sqlx::query_scalar!(
        r#"SELECT iin::text AS "iin!" FROM persons WHERE id = $1"#,
        id_of(&applicant.name)
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let stored = told(&app, &applicant.name).await;
    assert_eq!(kinds(&stored), ["accepted", "approved"], "{stored:?}");
    assert_eq!(
        stored[1].facts,
        json!({
            "kind": "approved", "procedure": "iin_assignment", "decided_on": "2025-03-07",
            "iin": iin, "issued": []
        })
    );
    assert_eq!(all_told(&app).await, 2);
    feed_has_no_gap(&app).await;
}

fn appeal_of(application: &pb::Application) -> pb::FileAppealRequest {
    pb::FileAppealRequest {
        request_id: request_id(),
        application: application.name.clone(),
        grounds: "the passport is genuine; the consulate confirms it".into(),
        applicant_confirmation: None,
    }
}

#[tokio::test]
async fn a_missed_deadline_is_told_the_day_after_once_and_again_after_an_overturn() {
    let review =
        |s: &mut kandas::server::startup::Settings| register_national(s, "psc", "psc-review");
    let app = spawn_app_with(|s| {
        s.clock = Clock::pinned(day(2025, 3, 7));
        review(s);
    })
    .await;
    let mut persons = app.persons("psc").await;
    let applicant = register(&mut persons, person("Waiting")).await;
    let submitted = app
        .applications("psc")
        .await
        .submit_application(iin_submission(&applicant.name, vec![passport()]))
        .await
        .unwrap()
        .into_inner();
    let signer = test_audit_signer();
    let tag_key = Some(signer.tag_key());

    // Due Thursday 2025-03-13: met through that day, missed from Friday the 14th.
    assert_eq!(
        run_once(&app.pool, tag_key, day(2025, 3, 13))
            .await
            .unwrap(),
        0
    );
    // Two replicas at once: told once between them, and not again on later runs.
    let (a, b) = tokio::join!(
        run_once(&app.pool, tag_key, day(2025, 3, 14)),
        run_once(&app.pool, tag_key, day(2025, 3, 14))
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(
        run_once(&app.pool, tag_key, day(2025, 3, 14))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        run_once(&app.pool, tag_key, day(2025, 3, 17))
            .await
            .unwrap(),
        0
    );
    let stored = told(&app, &applicant.name).await;
    assert_eq!(
        kinds(&stored),
        ["accepted", "deadline_missed"],
        "{stored:?}"
    );
    assert_eq!(
        stored[1].facts,
        json!({"kind": "deadline_missed", "procedure": "iin_assignment", "deadline": "2025-03-13"})
    );
    assert_eq!(stored[1].application, Some(id_of(&submitted.name)));
    assert_eq!(
        stored[1].submitted_by.as_deref(),
        Some("urn:kandas:psc:test-psc")
    );
    assert_eq!(audited_missed(&app, &submitted.name).await, 1);

    // The same database on Friday 2025-03-14: refused, appealed and overturned that day.
    let friday = spawn_on(app.database_url.clone(), app.same_ca(), |s| {
        s.clock = Clock::pinned(day(2025, 3, 14));
        review(s);
    })
    .await;
    let mut psc = friday.applications("psc").await;
    let current = psc
        .get_application(pb::GetApplicationRequest {
            name: submitted.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let refused = psc
        .decide_application(refuse(
            &current.name,
            &current.etag,
            "FORGED_DOCUMENT",
            "the passport did not check out",
        ))
        .await
        .unwrap()
        .into_inner();
    let appeal = psc
        .file_appeal(appeal_of(&refused))
        .await
        .unwrap()
        .into_inner();
    let mut reviewer = ApplicationClient::new(friday.channel_as("psc", "psc-review").await);
    let upheld_request = pb::DecideAppealRequest {
        request_id: request_id(),
        name: appeal.name.clone(),
        overturn: true,
        reason: "the consulate confirms the passport".into(),
    };
    reviewer
        .decide_appeal(upheld_request.clone())
        .await
        .expect("another office overturns");
    reviewer
        .decide_appeal(upheld_request)
        .await
        .expect("a retry gets the first answer");

    let stored = told(&friday, &applicant.name).await;
    assert_eq!(
        kinds(&stored),
        [
            "accepted",
            "deadline_missed",
            "refused",
            "appeal_filed",
            "appeal_decided"
        ],
        "{stored:?}"
    );
    // Refused 2025-03-14: appealed until 2025-06-14.
    assert_eq!(
        stored[2].facts,
        json!({
            "kind": "refused", "procedure": "iin_assignment", "decided_on": "2025-03-14",
            "reason_code": "FORGED_DOCUMENT", "reason_text": "the passport did not check out",
            "appeal_until": "2025-06-14"
        })
    );
    // 5 working days from Friday 2025-03-14, over Nauryz (21, 24, 25 March): 2025-03-26.
    assert_eq!(
        stored[3].facts,
        json!({
            "kind": "appeal_filed", "appeal": appeal.name, "filed_on": "2025-03-14",
            "decide_by": "2025-03-26"
        })
    );
    // Open again, due 3 working days from the appeal's decision: Wednesday 2025-03-19.
    assert_eq!(
        stored[4].facts,
        json!({
            "kind": "appeal_decided", "appeal": appeal.name, "decided_on": "2025-03-14",
            "upheld": false, "new_deadline": "2025-03-19"
        })
    );
    for step in &stored {
        assert_eq!(step.application, Some(id_of(&submitted.name)), "{step:?}");
    }
    assert_eq!(
        run_once(&app.pool, tag_key, day(2025, 3, 19))
            .await
            .unwrap(),
        0
    );

    // Two servers started on Thursday 2025-03-20 look at once, as they do on starting: the
    // new deadline is told once.
    let later =
        |s: &mut kandas::server::startup::Settings| s.clock = Clock::pinned(day(2025, 3, 20));
    let (one, other) = tokio::join!(
        spawn_on(app.database_url.clone(), app.same_ca(), later),
        spawn_on(app.database_url.clone(), app.same_ca(), later)
    );
    wait_until(
        std::time::Duration::from_secs(20),
        "the second missed deadline is told",
        || async { told(&one, &applicant.name).await.len() == 6 },
    )
    .await;
    assert_eq!(
        run_once(&other.pool, tag_key, day(2025, 3, 20))
            .await
            .unwrap(),
        0
    );
    let stored = told(&one, &applicant.name).await;
    assert_eq!(
        stored[5].facts,
        json!({"kind": "deadline_missed", "procedure": "iin_assignment", "deadline": "2025-03-19"})
    );
    assert_eq!(audited_missed(&app, &submitted.name).await, 2);
    assert_eq!(all_told(&app).await, 6);
    feed_has_no_gap(&app).await;
    one.stop().await;
    other.stop().await;
    friday.stop().await;
}

#[tokio::test]
async fn a_quota_application_is_told_each_missed_step_and_the_commissions_decision() {
    // Today is Monday 2026-06-01.
    let app = spawn_app().await;
    let family = eligible_family(&app, 1, 2, "KZ-55").await;
    let (applicant, member) = (&family[0].name, &family[1].name);
    let before = told(&app, applicant).await.len();
    assert!(
        told(&app, member).await.is_empty(),
        "a family member is told nothing of the applicant's file"
    );

    let submitted = app
        .applications("employment_center")
        .await
        .submit_application(pb::SubmitApplicationRequest {
            request_id: request_id(),
            applicant: applicant.clone(),
            documents: vec![],
            details: Some(quota_details(&family, "KZ-55", 2026)),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let signer = test_audit_signer();
    let tag_key = Some(signer.tag_key());
    // Forwarding is due 3 working days from Monday 2026-06-01: Thursday the 4th.
    assert_eq!(
        run_once(&app.pool, tag_key, day(2026, 6, 4)).await.unwrap(),
        0
    );
    assert_eq!(
        run_once(&app.pool, tag_key, day(2026, 6, 5)).await.unwrap(),
        1
    );

    let mut quota = QuotaServiceClient::new(app.channel("employment_center").await);
    quota
        .forward_quota_applications(pb::ForwardQuotaApplicationsRequest {
            request_id: request_id(),
            applications: vec![submitted.name.clone()],
        })
        .await
        .expect("forwarded");
    // The commission decides within 10 working days of receiving the list: 2026-06-15.
    assert_eq!(
        run_once(&app.pool, tag_key, day(2026, 6, 15))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        run_once(&app.pool, tag_key, day(2026, 6, 16))
            .await
            .unwrap(),
        1
    );

    let mut commission = app.applications("commission").await;
    let forwarded = commission
        .get_application(pb::GetApplicationRequest {
            name: submitted.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    commission
        .decide_application(quota_approval(&forwarded.name, &forwarded.etag, 20, 0))
        .await
        .expect("included");
    // Telling the applicant is the employment center's step; recording it tells nothing.
    quota
        .record_applicant_notified(pb::RecordApplicantNotifiedRequest {
            request_id: request_id(),
            application: submitted.name.clone(),
            ..Default::default()
        })
        .await
        .expect("recorded");
    // A decided application misses no more deadlines.
    assert_eq!(
        run_once(&app.pool, tag_key, day(2026, 7, 1)).await.unwrap(),
        0
    );

    let stored = told(&app, applicant).await;
    let quota_steps = &stored[before..];
    assert_eq!(
        kinds(quota_steps),
        [
            "accepted",
            "deadline_missed",
            "deadline_missed",
            "quota_decided"
        ],
        "{stored:?}"
    );
    assert_eq!(
        quota_steps[0].facts,
        json!({
            "kind": "accepted", "procedure": "regional_quota_inclusion",
            "submitted_on": "2026-06-01", "deadline": "2026-06-04", "provisional": false
        })
    );
    assert_eq!(quota_steps[1].facts["deadline"], "2026-06-04");
    assert_eq!(quota_steps[2].facts["deadline"], "2026-06-15");
    assert_eq!(
        quota_steps[3].facts,
        json!({
            "kind": "quota_decided", "region": "KZ-55", "year": 2026,
            "decided_on": "2026-06-01", "included": true, "places": 2, "rent_mci": 20,
            "reason_code": "", "appeal_until": null
        })
    );
    for step in quota_steps {
        assert_eq!(step.application, Some(id_of(&submitted.name)));
        assert_eq!(
            step.submitted_by.as_deref(),
            Some("urn:kandas:employment_center:test-employment_center")
        );
    }
    assert!(told(&app, member).await.is_empty());
    feed_has_no_gap(&app).await;
}

#[tokio::test]
async fn approvals_list_what_was_issued_and_a_record_annulled_or_ended_is_told() {
    const INSIDE: &str = "KZ-55";
    let app = spawn_app_with(|s| register_regional(s, "police", "police-55", &[INSIDE])).await;
    let family = eligible_family(&app, 1, 2, INSIDE).await;
    let applicant = &family[0].name;
    let stored = told(&app, applicant).await;
    assert_eq!(
        kinds(&stored),
        [
            "accepted",
            "approved",
            "certificate_ready",
            "accepted",
            "approved",
            "accepted",
            "approved"
        ],
        "{stored:?}"
    );
    let calendar = Calendar::kazakhstan_default();
    let today = default_today();
    // Kandas status: 35 working days; decided today, valid through the same date a year on.
    assert_eq!(
        stored[0].facts["deadline"],
        calendar
            .deadline(today, Term::WorkingDays(35))
            .date
            .to_string()
    );
    let certificates = stored[1].facts["issued"].as_array().unwrap();
    assert_eq!(
        certificates.len(),
        2,
        "the family's certificate is listed too"
    );
    let own: String = sqlx::query_scalar!(
        "SELECT certificate_number FROM kandas_statuses WHERE person_id = $1",
        id_of(applicant)
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        stored[2].facts,
        json!({"kind": "certificate_ready", "certificate_number": own, "valid_until": "2027-06-01"})
    );
    assert_eq!(stored[1].application, stored[2].application);
    // A permit for an ethnic Kazakh: 60 calendar days, Friday 2026-07-31.
    assert_eq!(stored[3].facts["deadline"], "2026-07-31");
    assert_eq!(stored[4].facts["issued"].as_array().unwrap().len(), 2);
    // A registration is decided on the spot.
    assert_eq!(stored[5].facts["deadline"], Value::Null);
    assert!(told(&app, &family[1].name).await.is_empty());

    // A fortnight later police end the applicant's registration (last day 2026-06-05): with
    // the permit in force they register again by 2026-06-15. Then the permit is annulled.
    let later = spawn_on(app.database_url.clone(), app.same_ca(), |s| {
        s.clock = Clock::pinned(day(2026, 6, 15));
        register_regional(s, "police", "police-55", &[INSIDE]);
    })
    .await;
    let mut police = PersonServiceClient::new(later.channel_as("police", "police-55").await);
    let (registration, registered_by): (Uuid, Uuid) = {
        let row = sqlx::query!(
            "SELECT id, application_id FROM registrations WHERE person_id = $1",
            id_of(applicant)
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        (row.id, row.application_id)
    };
    let ending = pb::EndRegistrationRequest {
        request_id: request_id(),
        name: format!("{applicant}/registrations/{registration}"),
        ended_on: Some(proto(day(2026, 6, 5))),
        reason: pb::registration::EndReason::MovedOut as i32,
    };
    police.end_registration(ending.clone()).await.unwrap();
    police
        .end_registration(ending)
        .await
        .expect("a retry gets the first answer");
    let (permit, permitted_by): (String, Uuid) = {
        let row = sqlx::query!(
            "SELECT number, application_id FROM permits WHERE person_id = $1",
            id_of(applicant)
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        (row.number, row.application_id)
    };
    // Placed where the applicant is permanently registered, the permit now lies in no region:
    // police of the whole country annul it.
    PersonServiceClient::new(later.channel("police").await)
        .annul_record(pb::AnnulRecordRequest {
            request_id: request_id(),
            name: format!("{applicant}/permits/{permit}"),
            annulled_on: Some(proto(day(2026, 6, 10))),
            ground: pb::annulled_record::Ground::FalseDocuments as i32,
            legal_basis: "Law on Migration of the Population, art. 51".into(),
        })
        .await
        .unwrap();

    let stored = told(&later, applicant).await;
    assert_eq!(stored.len(), 9, "{stored:?}");
    assert_eq!(
        stored[7].facts,
        json!({
            "kind": "registration_ended", "registration_kind": "permanent", "region": INSIDE,
            "last_day": "2026-06-05", "reason": "moved_out", "register_again_by": "2026-06-15"
        })
    );
    assert_eq!(stored[7].application, Some(registered_by));
    assert_eq!(
        stored[8].facts,
        json!({
            "kind": "record_annulled", "record": "permit", "number": permit,
            "annulled_on": "2026-06-10", "ground": "false_documents",
            "legal_basis": "Law on Migration of the Population, art. 51", "cards": []
        })
    );
    assert_eq!(stored[8].application, Some(permitted_by));
    assert_eq!(
        stored[8].submitted_by.as_deref(),
        Some("urn:kandas:psc:test-psc")
    );
    assert!(told(&later, &family[1].name).await.is_empty());
    feed_has_no_gap(&app).await;
    later.stop().await;
}

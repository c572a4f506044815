//! IIN assignment end to end over mutual TLS: register, submit, decide, read back.

use crate::helpers::*;
use kandas::domain::iin::Iin;
use kandas::pb;
use std::collections::HashSet;
use tonic::Code;

#[tokio::test]
async fn a_person_gets_an_iin_that_encodes_birth_date_and_sex() {
    let app = spawn_app().await;
    let mut persons = app.persons("psc").await;
    let mut apps = app.applications("psc").await;

    let mut female = person("Nurlanova");
    female.sex = pb::Sex::Female as i32;
    female.birth_date = Some(date(2006, 12, 11));
    let registered = register(&mut persons, female).await;
    assert!(registered.name.starts_with("persons/"));
    assert!(registered.iin.is_empty());

    let submitted = apps
        .submit_application(iin_submission(&registered.name, vec![passport()]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(submitted.state, pb::application::State::Submitted as i32);
    assert_eq!(submitted.procedure, pb::Procedure::IinAssignment as i32);
    // Submitted Monday 2026-06-01: three working days later is Thursday 2026-06-04.
    assert_eq!(submitted.submission_date, Some(date(2026, 6, 1)));
    assert_eq!(submitted.deadline, Some(date(2026, 6, 4)));
    assert!(!submitted.deadline_provisional);
    assert!(
        submitted
            .checklist
            .iter()
            .all(|i| i.status == pb::checklist_item::Status::Satisfied as i32)
    );

    let decided = apps
        .decide_application(approve(&submitted.name, &submitted.etag))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(decided.state, pb::application::State::Approved as i32);
    let Some(pb::decision::Result::IinAssignment(result)) = decided.decision.unwrap().result else {
        panic!("approval carries the IIN");
    };
    let iin = Iin::parse(&result.iin).expect("a valid IIN");
    let decoded = iin.decode();
    assert_eq!(
        decoded.birth_date,
        chrono::NaiveDate::from_ymd_opt(2006, 12, 11)
    );
    assert_eq!(decoded.sex, Some(kandas::domain::iin::Sex::Female));
    assert!(result.iin.starts_with("0612116"));

    let read_back = persons
        .get_person(pb::GetPersonRequest {
            name: registered.name.clone(),
            iin: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read_back.iin, result.iin);
    let by_iin = persons
        .get_person(pb::GetPersonRequest {
            name: String::new(),
            iin: result.iin.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_iin.name, registered.name);

    // Once assigned, the IIN is final: a new application is refused at the door.
    let again = apps
        .submit_application(iin_submission(&registered.name, vec![passport()]))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
    let violations = error_details(&again)
        .precondition_failure()
        .unwrap()
        .violations
        .clone();
    assert!(
        violations
            .iter()
            .any(|v| v.r#type == "IIN_NOT_YET_ASSIGNED")
    );
}

#[tokio::test]
async fn the_database_refuses_to_change_an_assigned_iin() {
    let app = spawn_app().await;
    let mut persons = app.persons("psc").await;
    let mut holder = person("Holder");
    holder.iin = "871008401427".into();
    let registered = register(&mut persons, holder).await;
    let id = registered.name.trim_start_matches("persons/");
    let changed = sqlx::query!(
        "UPDATE persons SET iin = '760212350620' WHERE id = $1::text::uuid",
        id
    )
    .execute(&app.pool)
    .await;
    assert!(changed.is_err(), "the trigger keeps an IIN immutable");
    let deleted = sqlx::query!("DELETE FROM persons WHERE id = $1::text::uuid", id)
        .execute(&app.pool)
        .await;
    assert!(deleted.is_err(), "a person holding an IIN is never deleted");
}

#[tokio::test]
async fn registering_an_iin_twice_is_refused() {
    let app = spawn_app().await;
    let mut persons = app.persons("psc").await;
    let mut first = person("First");
    first.iin = "760212350620".into();
    register(&mut persons, first.clone()).await;
    let mut second = person("Second");
    second.iin = "760212350620".into();
    let error = persons
        .register_person(pb::RegisterPersonRequest {
            request_id: request_id(),
            person: Some(second),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::AlreadyExists);
    assert_reason(&error, "IIN_ALREADY_REGISTERED");

    // A malformed IIN is INVALID_ARGUMENT naming the field and the rule.
    let mut bad = person("Bad");
    bad.iin = "871008401428".into();
    let error = persons
        .register_person(pb::RegisterPersonRequest {
            request_id: request_id(),
            person: Some(bad),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::InvalidArgument);
    let violations = error_details(&error)
        .bad_request()
        .unwrap()
        .field_violations
        .clone();
    assert_eq!(violations[0].field, "person.iin");
    assert!(violations[0].description.contains("IIN_CHECK_DIGIT"));
}

#[tokio::test]
async fn fifty_concurrent_approvals_yield_fifty_distinct_valid_iins() {
    let app = spawn_app_with(|s| s.pool.max_connections = 20).await;
    let mut persons = app.persons("psc").await;
    let mut apps = app.applications("psc").await;
    let mut submitted = Vec::new();
    for i in 0..50 {
        // Everyone shares one birth date and sex, so all compete for one IIN prefix.
        let registered = register(&mut persons, person(&numbered("Twin", i))).await;
        let app_row = apps
            .submit_application(iin_submission(&registered.name, vec![passport()]))
            .await
            .unwrap()
            .into_inner();
        submitted.push(app_row);
    }
    let channel = app.channel("psc").await;
    let decisions = submitted.into_iter().map(|a| {
        let mut client = ApplicationClient::new(channel.clone());
        tokio::spawn(async move { client.decide_application(approve(&a.name, &a.etag)).await })
    });
    let mut iins = HashSet::new();
    for decision in futures_util::future::join_all(decisions).await {
        let decided = decision
            .unwrap()
            .expect("every approval succeeds")
            .into_inner();
        let Some(pb::decision::Result::IinAssignment(r)) = decided.decision.unwrap().result else {
            panic!("approval carries an IIN");
        };
        let iin = Iin::parse(&r.iin).expect("valid IIN");
        assert!(r.iin.starts_with("8710083"));
        assert_eq!(
            iin.decode().birth_date,
            chrono::NaiveDate::from_ymd_opt(1987, 10, 8)
        );
        iins.insert(r.iin);
    }
    assert_eq!(iins.len(), 50);
    let stored: i64 = sqlx::query_scalar!(
        r#"SELECT count(DISTINCT iin) AS "count!" FROM persons WHERE iin IS NOT NULL"#
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(stored, 50);
}

#[tokio::test]
async fn a_retried_submission_creates_one_application() {
    let app = spawn_app().await;
    let mut persons = app.persons("psc").await;
    let mut apps = app.applications("psc").await;
    let registered = register(&mut persons, person("Retry")).await;
    let request = iin_submission(&registered.name, vec![passport()]);

    // Concurrent duplicates and a later retry all get the first answer.
    let channel = app.channel("psc").await;
    let attempts = (0..5).map(|_| {
        let mut client = ApplicationClient::new(channel.clone());
        let request = request.clone();
        tokio::spawn(async move { client.submit_application(request).await })
    });
    let mut names = HashSet::new();
    for attempt in futures_util::future::join_all(attempts).await {
        names.insert(attempt.unwrap().unwrap().into_inner().name);
    }
    let retry = apps
        .submit_application(request.clone())
        .await
        .unwrap()
        .into_inner();
    names.insert(retry.name);
    assert_eq!(names.len(), 1);
    let count: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM applications"#)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(count, 1);

    // The same request_id with a different request is refused, naming the field.
    let mut different = request.clone();
    different.documents[0].number = "E99999999".into();
    let error = apps.submit_application(different).await.unwrap_err();
    assert_eq!(error.code(), Code::InvalidArgument);
    assert_eq!(
        error_details(&error)
            .bad_request()
            .unwrap()
            .field_violations[0]
            .field,
        "request_id"
    );
}

#[tokio::test]
async fn a_stale_etag_is_aborted_and_a_decision_is_final() {
    let app = spawn_app().await;
    let mut persons = app.persons("psc").await;
    let mut apps = app.applications("psc").await;
    let registered = register(&mut persons, person("Stale")).await;
    let submitted = apps
        .submit_application(iin_submission(&registered.name, vec![passport()]))
        .await
        .unwrap()
        .into_inner();
    let error = apps
        .decide_application(approve(&submitted.name, "v999"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::Aborted);
    assert_reason(&error, "ETAG_MISMATCH");

    let refused = apps
        .decide_application(refuse(
            &submitted.name,
            &submitted.etag,
            "DOCUMENT_FORGED",
            "the passport failed verification",
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(refused.state, pb::application::State::Refused as i32);
    assert_ne!(refused.etag, submitted.etag);
    let decision = refused.decision.unwrap();
    assert_eq!(decision.reason_code, "DOCUMENT_FORGED");
    assert_eq!(decision.decided_by, "urn:kandas:psc:test-psc");

    // The old etag is now stale; without an etag the decision is still final.
    let stale = apps
        .decide_application(approve(&submitted.name, &submitted.etag))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);
    let final_ = apps
        .decide_application(approve(&submitted.name, ""))
        .await
        .unwrap_err();
    assert_eq!(final_.code(), Code::FailedPrecondition);
    assert_reason(&final_, "APPLICATION_FINAL");
}

#[tokio::test]
async fn two_concurrent_decisions_exactly_one_wins() {
    let app = spawn_app().await;
    let mut persons = app.persons("psc").await;
    let mut apps = app.applications("psc").await;
    let registered = register(&mut persons, person("Race")).await;
    let submitted = apps
        .submit_application(iin_submission(&registered.name, vec![passport()]))
        .await
        .unwrap()
        .into_inner();
    let channel = app.channel("psc").await;
    let races = (0..4).map(|_| {
        let mut client = ApplicationClient::new(channel.clone());
        let request = approve(&submitted.name, &submitted.etag);
        tokio::spawn(async move { client.decide_application(request).await })
    });
    let results = futures_util::future::join_all(races).await;
    let wins = results
        .iter()
        .filter(|r| r.as_ref().unwrap().is_ok())
        .count();
    assert_eq!(wins, 1);
    for r in results {
        if let Err(e) = r.unwrap() {
            assert_eq!(e.code(), Code::Aborted, "losers see a stale etag: {e:?}");
        }
    }
    let decisions: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM decisions"#)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(decisions, 1);
}

#[tokio::test]
async fn an_incomplete_submission_lists_every_problem_and_stores_nothing() {
    let app = spawn_app().await;
    let mut persons = app.persons("psc").await;
    let mut apps = app.applications("psc").await;
    let registered = register(&mut persons, person("Incomplete")).await;
    let mut request = iin_submission(&registered.name, vec![]);
    request.details = Some(iin_details(true));
    let error = apps.submit_application(request.clone()).await.unwrap_err();
    assert_eq!(error.code(), Code::FailedPrecondition);
    assert_reason(&error, "APPLICATION_INCOMPLETE");
    let subjects: Vec<String> = error_details(&error)
        .precondition_failure()
        .unwrap()
        .violations
        .iter()
        .map(|v| format!("{} {}", v.r#type, v.subject))
        .collect();
    assert_eq!(
        subjects,
        vec![
            "DOCUMENT_MISSING applicant: iin.identity_document",
            "DOCUMENT_MISSING applicant: iin.identity_document_translation",
            "DOCUMENT_MISSING applicant: iin.power_of_attorney",
        ]
    );

    // An expired passport without a notarized translation: both problems, with reasons.
    let mut expired = passport();
    expired.expiry_date = Some(date(2026, 5, 31));
    expired.translation = Some(pb::Translation {
        language: "ru".into(),
        notarized: false,
    });
    let error = apps
        .submit_application(iin_submission(&registered.name, vec![expired.clone()]))
        .await
        .unwrap_err();
    let descriptions: Vec<String> = error_details(&error)
        .precondition_failure()
        .unwrap()
        .violations
        .iter()
        .map(|v| v.description.clone())
        .collect();
    assert_eq!(descriptions.len(), 2, "{descriptions:?}");
    assert!(descriptions[0].contains("expired on 2026-05-31"));
    assert!(descriptions[1].contains("notarized"));

    // The dry run gives the same checklist.
    let check = apps
        .check_documents(pb::CheckDocumentsRequest {
            applicant: registered.name.clone(),
            documents: vec![expired],
            details: Some(iin_details(false)),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!check.complete);
    let statuses: Vec<i32> = check.checklist.iter().map(|i| i.status).collect();
    assert_eq!(
        statuses,
        vec![pb::checklist_item::Status::Invalid as i32; 2]
    );

    let count: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM applications"#)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(count, 0);
}

#[tokio::test]
async fn malformed_input_names_every_field() {
    let app = spawn_app().await;
    let mut apps = app.applications("psc").await;
    let mut bad_doc = passport();
    bad_doc.r#type = 0;
    bad_doc.language = "Chinese".into();
    bad_doc.expiry_date = Some(date(2026, 2, 30));
    let error = apps
        .submit_application(pb::SubmitApplicationRequest {
            request_id: "not-a-uuid".into(),
            applicant: "people/42".into(),
            documents: vec![bad_doc],
            details: Some(iin_details(false)),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::InvalidArgument);
    let fields = violated_fields(&error);
    assert_eq!(
        fields,
        vec![
            "request_id",
            "applicant",
            "documents[0].type",
            "documents[0].language",
            "documents[0].expiry_date"
        ]
    );
}

#[tokio::test]
async fn listing_filters_by_procedure_state_applicant_and_overdue_and_pages() {
    let app = spawn_app().await;
    let mut persons = app.persons("psc").await;
    let mut apps = app.applications("psc").await;
    let mut names = Vec::new();
    for i in 0..5 {
        let p = register(&mut persons, person(&numbered("List", i))).await;
        let a = apps
            .submit_application(iin_submission(&p.name, vec![passport()]))
            .await
            .unwrap()
            .into_inner();
        names.push((p.name, a));
    }
    apps.withdraw_application(pb::WithdrawApplicationRequest {
        request_id: request_id(),
        name: names[0].1.name.clone(),
        etag: names[0].1.etag.clone(),
        reason: "applicant moved".into(),
        applicant_confirmation: None,
    })
    .await
    .unwrap();

    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = apps
            .list_applications(pb::ListApplicationsRequest {
                page_size: 2,
                page_token: token.clone(),
                procedure: pb::Procedure::IinAssignment as i32,
                state: pb::application::State::Submitted as i32,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.applications.len() <= 2);
        seen.extend(page.applications.into_iter().map(|a| a.name));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let expected: Vec<String> = names[1..].iter().map(|(_, a)| a.name.clone()).collect();
    assert_eq!(
        seen, expected,
        "submission order, withdrawn excluded, each once"
    );

    let mine = apps
        .list_applications(pb::ListApplicationsRequest {
            applicant: names[2].0.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(mine.applications.len(), 1);

    // Nothing is overdue on the submission day; a later reader sees the open ones overdue.
    let overdue_now = apps
        .list_applications(pb::ListApplicationsRequest {
            overdue_only: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(overdue_now.applications.is_empty());
    drop(apps);
    let later = spawn_on(app.database_url.clone(), app.same_ca(), |s| {
        s.clock = kandas::state::Clock::pinned(chrono::NaiveDate::from_ymd_opt(2026, 6, 5).unwrap())
    })
    .await;
    let mut later_apps = later.applications("police").await;
    let overdue = later_apps
        .list_applications(pb::ListApplicationsRequest {
            overdue_only: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(overdue.applications.len(), 4);
    assert!(overdue.applications.iter().all(|a| a.overdue));
}

#[tokio::test]
async fn required_documents_are_listed_before_submitting() {
    let app = spawn_app().await;
    let mut apps = app.applications("mission").await;
    let listed = apps
        .list_required_documents(pb::ListRequiredDocumentsRequest {
            details: Some(iin_details(true)),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let requirements: Vec<&str> = listed
        .checklist
        .iter()
        .map(|i| i.requirement.as_str())
        .collect();
    assert_eq!(
        requirements,
        vec![
            "iin.identity_document",
            "iin.identity_document_translation",
            "iin.power_of_attorney"
        ]
    );
    assert!(listed.checklist.iter().all(|i| !i.legal_basis.is_empty()));
}

#[tokio::test]
async fn validate_iin_agrees_with_every_spec_vector() {
    let app = spawn_app().await;
    for role in [
        "psc",
        "portal",
        "intermediary",
        "mission",
        "commission",
        "police",
        "employment_center",
        "admin",
    ] {
        let mut persons = app.persons(role).await;
        for iin in [
            "871008401427",
            "760212350620",
            "800416300257",
            "830717350867",
            "061211600012",
        ] {
            let answer = persons
                .validate_iin(for_applicant(
                    pb::ValidateIinRequest {
                        iin: iin.into(),
                        ..Default::default()
                    },
                    &format!("persons/{}", uuid::Uuid::now_v7()),
                ))
                .await
                .unwrap()
                .into_inner();
            assert!(answer.valid, "{iin} is valid");
        }
        let never = persons
            .validate_iin(for_applicant(
                pb::ValidateIinRequest {
                    iin: "000813159890".into(),
                    ..Default::default()
                },
                &format!("persons/{}", uuid::Uuid::now_v7()),
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(!never.valid);
        assert_eq!(never.invalid_reason, "IIN_NEVER_ISSUED");
    }
    let mut persons = app.persons("psc").await;
    let decoded = persons
        .validate_iin(pb::ValidateIinRequest {
            iin: "871008401427".into(),
            birth_date: Some(date(1987, 10, 9)),
            sex: pb::Sex::Male as i32,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(decoded.birth_date, Some(date(1987, 10, 8)));
    assert_eq!(decoded.sex, pb::Sex::Female as i32);
    assert_eq!(decoded.century, 1900);
    assert_eq!(
        decoded.hints.len(),
        2,
        "birth date and sex differ: hints, not rejection"
    );
    let malformed = persons
        .validate_iin(pb::ValidateIinRequest {
            iin: "87100840142".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(malformed.code(), Code::InvalidArgument);
    assert_eq!(
        error_details(&malformed)
            .bad_request()
            .unwrap()
            .field_violations[0]
            .field,
        "iin"
    );
}

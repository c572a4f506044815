//! Appeals of refusals (SPEC 5.7): the 3-month window, another organisation of the deciding
//! role, the 5-working-day term and its overdue list, upheld or overturned.

use crate::helpers::*;
use kandas::pb;
use tonic::Code;

type Applications = ApplicationClient;

async fn refused_iin_application(app: &TestApp, surname: &str) -> pb::Application {
    let mut persons = app.persons("psc").await;
    let applicant = register(&mut persons, person(surname)).await;
    let mut applications = app.applications("psc").await;
    let submitted = applications
        .submit_application(iin_submission(&applicant.name, vec![passport()]))
        .await
        .unwrap()
        .into_inner();
    applications
        .decide_application(refuse(
            &submitted.name,
            &submitted.etag,
            "FORGED_DOCUMENT",
            "the passport did not check out",
        ))
        .await
        .unwrap()
        .into_inner()
}

fn appeal_of(application: &pb::Application) -> pb::FileAppealRequest {
    pb::FileAppealRequest {
        request_id: request_id(),
        application: application.name.clone(),
        grounds: "the passport is genuine; the consulate confirms it".into(),
        applicant_confirmation: None,
    }
}

fn decision(appeal: &pb::Appeal, overturn: bool) -> pb::DecideAppealRequest {
    pb::DecideAppealRequest {
        request_id: request_id(),
        name: appeal.name.clone(),
        overturn,
        reason: "reviewed".into(),
    }
}

/// Moves a refusal's date back, as if it had been decided then.
async fn refused_on(app: &TestApp, application: &pb::Application, day: &str) {
    sqlx::query!(
        "UPDATE decisions SET decision_date = $2::text::date WHERE application_id = $1::text::uuid",
        application.name.trim_start_matches("applications/"),
        day
    )
    .execute(&app.pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn a_refusal_is_appealed_within_three_months_and_decided_by_another_office() {
    let app = spawn_app_with(|s| register_national(s, "psc", "psc-review")).await;
    let refused = refused_iin_application(&app, "Appellant").await;
    let mut psc = app.applications("psc").await;
    // Refused on 2026-03-01: three months later is Monday 2026-06-01, today, the last day.
    refused_on(&app, &refused, "2026-03-01").await;
    let appeal = psc
        .file_appeal(appeal_of(&refused))
        .await
        .expect("in time on the last day")
        .into_inner();
    assert_eq!(appeal.state, pb::appeal::State::Pending as i32);
    assert_eq!(appeal.filed_on, Some(date(2026, 6, 1)));
    assert_eq!(appeal.deadline, Some(date(2026, 6, 8)), "5 working days");
    assert_eq!(appeal.refused_by, "urn:kandas:psc:test-psc");
    assert_eq!(appeal.refusal_code, "FORGED_DOCUMENT");
    // A refusal is appealed once.
    let twice = psc.file_appeal(appeal_of(&refused)).await.unwrap_err();
    assert_eq!(twice.code(), Code::AlreadyExists, "{twice:?}");

    // Not by the office that refused, nor by a role that does not decide the procedure.
    let own = psc
        .decide_appeal(decision(&appeal, true))
        .await
        .unwrap_err();
    assert_eq!(own.code(), Code::PermissionDenied, "{own:?}");
    assert_reason(&own, "SAME_ORGANISATION");
    let commission = app
        .applications("commission")
        .await
        .decide_appeal(decision(&appeal, true))
        .await
        .unwrap_err();
    assert_reason(&commission, "ROLE_MAY_NOT_DECIDE_PROCEDURE");

    let pending = psc
        .list_appeals(pb::ListAppealsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .appeals;
    assert_eq!(pending.len(), 1);
    assert!(!pending[0].overdue);

    let mut review = Applications::new(app.channel_as("psc", "psc-review").await);
    let overturned = review
        .decide_appeal(decision(&appeal, true))
        .await
        .expect("another office overturns")
        .into_inner();
    assert_eq!(overturned.state, pb::appeal::State::Overturned as i32);
    assert_eq!(overturned.decided_by, "urn:kandas:psc:psc-review");
    let again = review
        .decide_appeal(decision(&appeal, false))
        .await
        .unwrap_err();
    assert_reason(&again, "APPEAL_DECIDED");

    // The application waits for a decision again, due 3 working days from the appeal's.
    let reopened = psc
        .get_application(pb::GetApplicationRequest {
            name: refused.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reopened.state, pb::application::State::Submitted as i32);
    assert!(reopened.decision.is_none(), "the refusal no longer stands");
    assert_eq!(reopened.deadline, Some(date(2026, 6, 4)));
    let approved = psc
        .decide_application(approve(&reopened.name, &reopened.etag))
        .await
        .expect("decided anew")
        .into_inner();
    assert_eq!(approved.state, pb::application::State::Approved as i32);
    assert!(
        psc.list_appeals(pb::ListAppealsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .appeals
            .is_empty()
    );
}

#[tokio::test]
async fn a_late_appeal_and_an_appeal_of_no_refusal_are_refused_and_an_upheld_refusal_stands() {
    let app = spawn_app_with(|s| register_national(s, "psc", "psc-review")).await;
    let mut psc = app.applications("psc").await;
    // Refused on 2026-02-28: the window closed on Thursday 2026-05-28.
    let late = refused_iin_application(&app, "Late").await;
    refused_on(&app, &late, "2026-02-28").await;
    let closed = psc.file_appeal(appeal_of(&late)).await.unwrap_err();
    assert_eq!(closed.code(), Code::FailedPrecondition);
    assert_reason(&closed, "APPEAL_WINDOW_CLOSED");
    assert!(
        closed.message().contains("2026-05-28"),
        "{}",
        closed.message()
    );
    // The day before the last day is in time as well.
    let early = refused_iin_application(&app, "Early").await;
    refused_on(&app, &early, "2026-03-02").await;
    let appeal = psc
        .file_appeal(appeal_of(&early))
        .await
        .expect("a day before the last day")
        .into_inner();

    let mut persons = app.persons("psc").await;
    let open = register(&mut persons, person("Undecided")).await;
    let submitted = psc
        .submit_application(iin_submission(&open.name, vec![passport()]))
        .await
        .unwrap()
        .into_inner();
    let not_refused = psc.file_appeal(appeal_of(&submitted)).await.unwrap_err();
    assert_reason(&not_refused, "NOT_REFUSED");
    let bad = psc
        .file_appeal(pb::FileAppealRequest {
            request_id: "x".into(),
            application: "people/1".into(),
            grounds: String::new(),
            applicant_confirmation: None,
        })
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&bad),
        vec!["request_id", "application", "grounds"]
    );

    // Past its 5 working days, the appeal is listed as overdue.
    sqlx::query!("UPDATE appeals SET deadline = DATE '2026-05-29'")
        .execute(&app.pool)
        .await
        .unwrap();
    let overdue = psc
        .list_appeals(pb::ListAppealsRequest {
            overdue_only: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .appeals;
    assert_eq!(overdue.len(), 1);
    assert!(overdue[0].overdue);

    let upheld = Applications::new(app.channel_as("psc", "psc-review").await)
        .decide_appeal(decision(&appeal, false))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(upheld.state, pb::appeal::State::Upheld as i32);
    let still = psc
        .get_application(pb::GetApplicationRequest {
            name: early.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(still.state, pb::application::State::Refused as i32);
}

//! The regional quota: published defaults, the three steps with their deadlines, allocation
//! that never over-commits (200 concurrent approvals through two replicas), and the
//! resumable decision feed.

use crate::helpers::*;
use chrono::NaiveDate;
use kandas::pb;
use kandas::pb::quota_service_client::QuotaServiceClient;
use kandas::state::Clock;
use std::collections::HashSet;
use std::time::Duration;
use tonic::Code;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

async fn quota(app: &TestApp, region: &str, year: i32) -> pb::Quota {
    QuotaServiceClient::new(app.channel("employment_center").await)
        .get_quota(pb::GetQuotaRequest {
            region: region.into(),
            year,
        })
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn the_published_quotas_are_the_defaults() {
    let app = spawn_app().await;
    assert_eq!(quota(&app, "KZ-55", 2025).await.places, 1056);
    assert_eq!(quota(&app, "KZ-27", 2025).await.places, 30);
    let mut client = QuotaServiceClient::new(app.channel("portal").await);
    for (year, total) in [(2025, 2309), (2026, 2281)] {
        let quotas = client
            .list_quotas(for_applicant(
                pb::ListQuotasRequest {
                    year,
                    ..Default::default()
                },
                &format!("persons/{}", uuid::Uuid::now_v7()),
            ))
            .await
            .unwrap()
            .into_inner()
            .quotas;
        assert_eq!(quotas.len(), 8);
        assert_eq!(quotas.iter().map(|q| q.places).sum::<i32>(), total);
    }
    let missing = client
        .get_quota(for_applicant(
            pb::GetQuotaRequest {
                region: "KZ-75".into(),
                year: 2026,
            },
            &format!("persons/{}", uuid::Uuid::now_v7()),
        ))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
}

#[tokio::test]
async fn each_step_has_its_own_deadline_and_can_be_overdue() {
    // Received Monday 2026-06-01.
    let app = spawn_app_with(|s| s.clock = Clock::pinned(day(2026, 6, 1))).await;
    let family = eligible_family(&app, 1, 3, "KZ-10").await;
    let submitted = app
        .applications("portal")
        .await
        .submit_application(for_applicant(
            pb::SubmitApplicationRequest {
                request_id: request_id(),
                applicant: family[0].name.clone(),
                documents: vec![],
                details: Some(quota_details(&family, "KZ-10", 2026)),
                applicant_confirmation: Some(
                    pb::submit_application_request::ApplicantConfirmation::SmsConfirmation(
                        sms_confirmed(),
                    ),
                ),
                ..Default::default()
            },
            &family[0].name,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(submitted.pending_step, "forward");
    assert_eq!(
        submitted.step_deadline,
        Some(date(2026, 6, 4)),
        "forwarded within 3 working days"
    );

    // The commission cannot decide before the list reaches it.
    let early = app
        .applications("commission")
        .await
        .decide_application(quota_approval(&submitted.name, "", 20, 0))
        .await
        .unwrap_err();
    assert_reason(&early, "NOT_FORWARDED");

    // Forwarded late, on Friday 2026-06-05: overdue until then.
    let friday = spawn_on(app.database_url.clone(), app.same_ca(), |s| {
        s.clock = Clock::pinned(day(2026, 6, 5))
    })
    .await;
    let overdue = friday
        .applications("employment_center")
        .await
        .list_applications(pb::ListApplicationsRequest {
            overdue_only: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .applications;
    assert_eq!(
        overdue.iter().map(|a| a.name.clone()).collect::<Vec<_>>(),
        vec![submitted.name.clone()]
    );
    QuotaServiceClient::new(friday.channel("employment_center").await)
        .forward_quota_applications(pb::ForwardQuotaApplicationsRequest {
            request_id: request_id(),
            applications: vec![submitted.name.clone()],
        })
        .await
        .unwrap();
    let forwarded = friday
        .applications("commission")
        .await
        .get_application(pb::GetApplicationRequest {
            name: submitted.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(forwarded.pending_step, "decide");
    assert_eq!(forwarded.forwarded_on, Some(date(2026, 6, 5)));
    assert_eq!(
        forwarded.step_deadline,
        Some(date(2026, 6, 19)),
        "decided within 10 working days of forwarding"
    );
    assert!(!forwarded.overdue);

    // Decided on 2026-06-19; the applicant must be told by 2026-06-24 (5 calendar days).
    let decision_day = spawn_on(app.database_url.clone(), app.same_ca(), |s| {
        s.clock = Clock::pinned(day(2026, 6, 19))
    })
    .await;
    let out_of_range = decision_day
        .applications("commission")
        .await
        .decide_application(quota_approval(&forwarded.name, &forwarded.etag, 31, 0))
        .await
        .unwrap_err();
    assert_eq!(out_of_range.code(), Code::InvalidArgument);
    assert_eq!(
        error_details(&out_of_range)
            .bad_request()
            .unwrap()
            .field_violations[0]
            .field,
        "approve.rent_mci"
    );
    let before = quota(&decision_day, "KZ-10", 2026).await;
    let decided = decision_day
        .applications("commission")
        .await
        .decide_application(quota_approval(&forwarded.name, &forwarded.etag, 25, 0))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(decided.pending_step, "notify");
    assert_eq!(decided.step_deadline, Some(date(2026, 6, 24)));
    assert_eq!(
        quota(&decision_day, "KZ-10", 2026).await.taken,
        before.taken + 3,
        "one place per person"
    );

    let late_day = spawn_on(app.database_url.clone(), app.same_ca(), |s| {
        s.clock = Clock::pinned(day(2026, 6, 25))
    })
    .await;
    let overdue = late_day
        .applications("commission")
        .await
        .list_applications(pb::ListApplicationsRequest {
            overdue_only: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .applications;
    assert_eq!(overdue.len(), 1, "notification overdue");
    let notified = QuotaServiceClient::new(late_day.channel("employment_center").await)
        .record_applicant_notified(pb::RecordApplicantNotifiedRequest {
            request_id: request_id(),
            application: decided.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(notified.late);
    let done = late_day
        .applications("commission")
        .await
        .get_application(pb::GetApplicationRequest {
            name: decided.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.pending_step, "");
    assert_eq!(done.notified_on, Some(date(2026, 6, 25)));

    // Nobody is included twice, ever: the same family cannot apply again.
    let again = late_day
        .applications("employment_center")
        .await
        .submit_application(pb::SubmitApplicationRequest {
            request_id: request_id(),
            applicant: family[0].name.clone(),
            documents: vec![],
            details: Some(quota_details(&family, "KZ-10", 2026)),
            ..Default::default()
        })
        .await
        .unwrap_err();
    let kinds: Vec<String> = error_details(&again)
        .precondition_failure()
        .unwrap()
        .violations
        .iter()
        .map(|v| v.r#type.clone())
        .collect();
    assert_eq!(kinds, vec!["NOT_INCLUDED_BEFORE"; 3]);
}

#[tokio::test]
async fn eligibility_needs_registration_in_a_quota_region_of_that_year() {
    let app = spawn_app_with(|s| s.clock = Clock::pinned(day(2026, 6, 1))).await;
    let family = eligible_family(&app, 1, 1, "KZ-55").await;
    let submit = |region: &str, year: i32| {
        let details = quota_details(&family, region, year);
        let applicant = family[0].name.clone();
        let app = &app;
        async move {
            app.applications("psc")
                .await
                .submit_application(pb::SubmitApplicationRequest {
                    request_id: request_id(),
                    applicant,
                    documents: vec![],
                    details: Some(details),
                    ..Default::default()
                })
                .await
        }
    };
    let wrong_region = submit("KZ-10", 2026).await.unwrap_err();
    let kinds: Vec<String> = error_details(&wrong_region)
        .precondition_failure()
        .unwrap()
        .violations
        .iter()
        .map(|v| v.r#type.clone())
        .collect();
    assert_eq!(kinds, vec!["REGISTERED_IN_QUOTA_REGION"]);
    let no_quota = submit("KZ-55", 2027).await.unwrap_err();
    let kinds: Vec<String> = error_details(&no_quota)
        .precondition_failure()
        .unwrap()
        .violations
        .iter()
        .map(|v| v.r#type.clone())
        .collect();
    assert_eq!(kinds, vec!["QUOTA_REGION_OF_YEAR"]);
    assert!(submit("KZ-55", 2026).await.is_ok());
}

#[tokio::test]
async fn too_few_places_is_resource_exhausted_and_quotas_never_go_below_taken() {
    let app = spawn_app_with(|s| s.clock = Clock::pinned(day(2026, 6, 1))).await;
    let mut admin = pb::admin_service_client::AdminServiceClient::new(app.channel("admin").await);
    admin
        .set_quota(pb::SetQuotaRequest {
            request_id: request_id(),
            region: "KZ-27".into(),
            year: 2026,
            places: 3,
        })
        .await
        .unwrap();
    let family = eligible_family(&app, 1, 4, "KZ-27").await;
    let ready = quota_application_ready(&app, &family, "KZ-27", 2026).await;
    let error = app
        .applications("commission")
        .await
        .decide_application(quota_approval(&ready.name, &ready.etag, 20, 0))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::ResourceExhausted);
    let violation = error_details(&error).quota_failure().unwrap().violations[0].clone();
    assert_eq!(
        violation.description,
        "region KZ-27, year 2026: requested 4, remaining 3"
    );
    assert_eq!(
        quota(&app, "KZ-27", 2026).await.taken,
        0,
        "nothing taken by a failed decision"
    );

    let small = eligible_family(&app, 10, 2, "KZ-27").await;
    let ready = quota_application_ready(&app, &small, "KZ-27", 2026).await;
    app.applications("commission")
        .await
        .decide_application(quota_approval(&ready.name, &ready.etag, 20, 0))
        .await
        .unwrap();
    let below = admin
        .set_quota(pb::SetQuotaRequest {
            request_id: request_id(),
            region: "KZ-27".into(),
            year: 2026,
            places: 1,
        })
        .await
        .unwrap_err();
    assert_reason(&below, "QUOTA_BELOW_TAKEN");
    let raised = admin
        .set_quota(pb::SetQuotaRequest {
            request_id: request_id(),
            region: "KZ-27".into(),
            year: 2026,
            places: 2,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((raised.places, raised.taken, raised.remaining), (2, 2, 0));
    // Even a direct write cannot over-commit.
    let direct =
        sqlx::query!("UPDATE quotas SET taken = places + 1 WHERE region = 'KZ-27' AND year = 2026")
            .execute(&app.pool)
            .await;
    assert!(direct.is_err());
}

#[tokio::test]
async fn two_hundred_concurrent_approvals_on_two_replicas_take_exactly_the_quota() {
    const APPLICATIONS: u32 = 200;
    const PLACES: i32 = 75;
    let patient = |s: &mut kandas::server::startup::Settings| {
        s.clock = Clock::pinned(day(2026, 6, 1));
        s.pool.max_connections = 20;
        s.pool.acquire_timeout = Duration::from_secs(60);
    };
    let a = spawn_app_with(patient).await;
    let b = spawn_on(a.database_url.clone(), a.same_ca(), patient).await;
    pb::admin_service_client::AdminServiceClient::new(a.channel("admin").await)
        .set_quota(pb::SetQuotaRequest {
            request_id: request_id(),
            region: "KZ-27".into(),
            year: 2026,
            places: PLACES,
        })
        .await
        .unwrap();

    // 200 eligible single-person applications, prepared a few at a time.
    let mut ready = Vec::new();
    for chunk in (0..APPLICATIONS).collect::<Vec<_>>().chunks(10) {
        let prepared = futures_util::future::join_all(chunk.iter().map(|n| {
            let a = &a;
            async move {
                let family = eligible_family(a, 100 + n, 1, "KZ-27").await;
                quota_application_ready(a, &family, "KZ-27", 2026).await
            }
        }))
        .await;
        ready.extend(prepared);
    }

    let (ch_a, ch_b) = (a.channel("commission").await, b.channel("commission").await);
    let decisions = ready.iter().enumerate().map(|(i, app)| {
        let channel = if i % 2 == 0 {
            ch_a.clone()
        } else {
            ch_b.clone()
        };
        let request = quota_approval(&app.name, &app.etag, 15, 0);
        tokio::spawn(async move {
            ApplicationClient::new(channel)
                .decide_application(request)
                .await
        })
    });
    let results = futures_util::future::join_all(decisions).await;
    let mut approved = 0;
    for result in results {
        match result.unwrap() {
            Ok(_) => approved += 1,
            Err(status) => {
                assert_eq!(
                    status.code(),
                    Code::ResourceExhausted,
                    "only quota refusals reach a client: {status:?}"
                );
                let failure = error_details(&status)
                    .quota_failure()
                    .expect("a QuotaFailure")
                    .violations[0]
                    .clone();
                assert_eq!(
                    failure.description,
                    "region KZ-27, year 2026: requested 1, remaining 0"
                );
            }
        }
    }
    assert_eq!(approved, PLACES);
    let q = quota(&b, "KZ-27", 2026).await;
    assert_eq!((q.taken, q.remaining), (PLACES, 0));
    let included: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM quota_inclusions WHERE region = 'KZ-27'"#
    )
    .fetch_one(&a.pool)
    .await
    .unwrap();
    assert_eq!(included, i64::from(PLACES));
}

async fn next_decision(stream: &mut tonic::Streaming<pb::QuotaDecision>) -> pb::QuotaDecision {
    tokio::time::timeout(Duration::from_secs(10), stream.message())
        .await
        .expect("a decision arrives")
        .unwrap()
        .expect("the stream stays open")
}

#[tokio::test]
async fn the_decision_feed_resumes_without_gap_or_duplicate_across_replicas() {
    let a = spawn_app_with(|s| s.clock = Clock::pinned(day(2026, 6, 1))).await;
    let b = spawn_on(a.database_url.clone(), a.same_ca(), |s| {
        s.clock = Clock::pinned(day(2026, 6, 1))
    })
    .await;
    let mut decide_on_b = Vec::new();
    for n in 0..4 {
        let family = eligible_family(&a, 1 + n * 2, 1, "KZ-55").await;
        decide_on_b.push(quota_application_ready(&a, &family, "KZ-55", 2026).await);
    }
    let commission_b = b.applications("commission").await;
    let decide = |application: pb::Application| {
        let mut client = commission_b.clone();
        async move {
            client
                .decide_application(quota_approval(&application.name, &application.etag, 15, 0))
                .await
                .unwrap()
        }
    };
    decide(decide_on_b[0].clone()).await;

    // Paged listing from the beginning.
    let mut feed = QuotaServiceClient::new(a.channel("employment_center").await);
    let page = feed
        .list_quota_decisions(pb::ListQuotaDecisionsRequest {
            cursor: String::new(),
            page_size: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.decisions.len(), 1);
    assert_eq!(page.decisions[0].application, decide_on_b[0].name);

    // Watching on replica A: first the backlog, then a decision made on replica B.
    let mut stream = feed
        .watch_quota_decisions(pb::WatchQuotaDecisionsRequest {
            cursor: String::new(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let first = next_decision(&mut stream).await;
    assert_eq!(first.application, decide_on_b[0].name);
    decide(decide_on_b[1].clone()).await;
    let second = next_decision(&mut stream).await;
    assert_eq!(second.application, decide_on_b[1].name);
    assert!(second.approved);
    assert_eq!(
        (second.places, second.rent_mci, second.region.as_str()),
        (1, 15, "KZ-55")
    );
    drop(stream);

    // Disconnected while two more are decided; reconnecting with the last cursor gives exactly those.
    decide(decide_on_b[2].clone()).await;
    decide(decide_on_b[3].clone()).await;
    let mut stream = feed
        .watch_quota_decisions(pb::WatchQuotaDecisionsRequest {
            cursor: second.cursor.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut seen = HashSet::new();
    for _ in 0..2 {
        seen.insert(next_decision(&mut stream).await.application);
    }
    assert_eq!(
        seen,
        [decide_on_b[2].name.clone(), decide_on_b[3].name.clone()]
            .into_iter()
            .collect()
    );
    let nothing_more = tokio::time::timeout(Duration::from_millis(2500), stream.message()).await;
    assert!(nothing_more.is_err(), "no duplicate after the cursor");

    let bad = feed
        .list_quota_decisions(pb::ListQuotaDecisionsRequest {
            cursor: "nonsense".into(),
            page_size: 0,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
}

/// However many feeds are open, a replica listens on one connection: more watchers than the
/// pool has connections neither starve other calls nor miss a decision.
#[tokio::test]
async fn many_watchers_share_one_listening_connection() {
    let app = spawn_app_with(|s| s.clock = Clock::pinned(day(2026, 6, 1))).await;
    let family = eligible_family(&app, 1, 1, "KZ-55").await;
    let application = quota_application_ready(&app, &family, "KZ-55", 2026).await;
    let feed = QuotaServiceClient::new(app.channel("employment_center").await);
    const WATCHERS: usize = 30; // the test pool has 10 connections
    let mut streams = Vec::new();
    for _ in 0..WATCHERS {
        streams.push(
            feed.clone()
                .watch_quota_decisions(pb::WatchQuotaDecisionsRequest::default())
                .await
                .unwrap()
                .into_inner(),
        );
    }
    feed.clone()
        .list_quotas(pb::ListQuotasRequest::default())
        .await
        .expect("other calls still get a connection");
    let listening: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM pg_stat_activity
         WHERE datname = current_database() AND query ILIKE 'LISTEN%'"#
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        listening, 1,
        "one listening connection for {WATCHERS} feeds"
    );

    app.applications("commission")
        .await
        .decide_application(quota_approval(&application.name, &application.etag, 15, 0))
        .await
        .unwrap();
    for stream in &mut streams {
        assert_eq!(next_decision(stream).await.application, application.name);
    }
}

#[tokio::test]
async fn quotas_are_listed_page_by_page_and_a_forged_token_is_refused() {
    let app = spawn_app().await;
    let mut client = QuotaServiceClient::new(app.channel("commission").await);
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = client
            .list_quotas(pb::ListQuotasRequest {
                year: 2025,
                page_size: 3,
                page_token: token.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.quotas.len() <= 3);
        seen.extend(page.quotas.iter().map(|q| q.region.clone()));
        pages += 1;
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(pages, 3, "8 quotas in pages of 3");
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen, "each quota once, in region order");
    assert_eq!(seen.len(), 8);

    let forged = client
        .list_quotas(pb::ListQuotasRequest {
            year: 2025,
            page_size: 3,
            page_token: "bm90LWEtdG9rZW4".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(forged.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&forged), vec!["page_token"]);
}

async fn notify(
    app: &TestApp,
    application: &str,
    on: Option<pb::Date>,
) -> Result<pb::RecordApplicantNotifiedResponse, tonic::Status> {
    QuotaServiceClient::new(app.channel("employment_center").await)
        .record_applicant_notified(pb::RecordApplicantNotifiedRequest {
            request_id: request_id(),
            application: application.into(),
            notified_on: on,
        })
        .await
        .map(|r| r.into_inner())
}

async fn notified_on(app: &TestApp, application: &str) -> Option<pb::Date> {
    app.applications("commission")
        .await
        .get_application(pb::GetApplicationRequest {
            name: application.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .notified_on
}

/// Decided Friday 2026-06-19, the applicant is due to be told by 2026-06-24; the office
/// records it on 2026-06-26 with the day it actually happened.
#[tokio::test]
async fn the_notification_date_lies_from_the_decision_through_today_and_decides_lateness() {
    let app = spawn_app_with(|s| s.clock = Clock::pinned(day(2026, 6, 19))).await;
    let mut decided = Vec::new();
    for first in [1, 3, 5] {
        let family = eligible_family(&app, first, 1, "KZ-55").await;
        let ready = quota_application_ready(&app, &family, "KZ-55", 2026).await;
        let approved = app
            .applications("commission")
            .await
            .decide_application(quota_approval(&ready.name, &ready.etag, 20, 0))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(approved.step_deadline, Some(date(2026, 6, 24)));
        decided.push(approved.name);
    }
    let later = spawn_on(app.database_url.clone(), app.same_ca(), |s| {
        s.clock = Clock::pinned(day(2026, 6, 26))
    })
    .await;

    let before = notify(&later, &decided[0], Some(date(2026, 6, 18)))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&before), vec!["notified_on"]);
    let rule = error_details(&before)
        .bad_request()
        .unwrap()
        .field_violations[0]
        .description
        .clone();
    assert!(
        rule.contains("2026-06-19") && rule.contains("2026-06-26"),
        "the rule names the decision date and today: {rule}"
    );
    let tomorrow = notify(&later, &decided[0], Some(date(2026, 6, 27)))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&tomorrow), vec!["notified_on"]);

    let on_decision_day = notify(&later, &decided[0], Some(date(2026, 6, 19)))
        .await
        .unwrap();
    assert!(!on_decision_day.late, "told on the day of the decision");
    assert_eq!(
        notified_on(&later, &decided[0]).await,
        Some(date(2026, 6, 19))
    );

    let on_deadline = notify(&later, &decided[1], Some(date(2026, 6, 24)))
        .await
        .unwrap();
    assert!(!on_deadline.late, "told on the last day of the term");
    let day_after = notify(&later, &decided[2], Some(date(2026, 6, 25)))
        .await
        .unwrap();
    assert!(day_after.late, "told the day after the term");
    assert_eq!(
        notified_on(&later, &decided[2]).await,
        Some(date(2026, 6, 25))
    );
}

#[tokio::test]
async fn a_quota_decision_in_the_feed_names_applicant_family_places_and_refusal_reason() {
    let app = spawn_app_with(|s| {
        s.clock = Clock::pinned(day(2026, 6, 1));
        register_regional(s, "employment_center", "employment_center-55", &["KZ-55"]);
    })
    .await;
    let included = eligible_family(&app, 1, 3, "KZ-55").await;
    let ready = quota_application_ready(&app, &included, "KZ-55", 2026).await;
    let mut commission = app.applications("commission").await;
    commission
        .decide_application(quota_approval(&ready.name, &ready.etag, 20, 0))
        .await
        .unwrap();
    let refused_family = eligible_family(&app, 10, 2, "KZ-27").await;
    let refused = quota_application_ready(&app, &refused_family, "KZ-27", 2026).await;
    commission
        .decide_application(refuse(
            &refused.name,
            &refused.etag,
            "HOUSING_NOT_AVAILABLE",
            "no housing offered in the region this year",
        ))
        .await
        .unwrap();

    let list = |channel: tonic::transport::Channel, region: &'static str| async move {
        QuotaServiceClient::new(channel)
            .list_quota_decisions(pb::ListQuotaDecisionsRequest {
                region: region.into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .decisions
    };
    let national = app.channel("employment_center").await;
    let all = list(national.clone(), "").await;
    assert_eq!(all.len(), 2);
    let approved = &all[0];
    assert_eq!(approved.application, ready.name);
    assert_eq!(approved.applicant, included[0].name);
    assert_eq!(
        (approved.approved, approved.family_size, approved.places),
        (true, 3, 3)
    );
    assert_eq!(approved.refusal_reason_code, "");
    let refusal = &all[1];
    assert_eq!(refusal.applicant, refused_family[0].name);
    assert_eq!(
        (refusal.approved, refusal.family_size, refusal.places),
        (false, 2, 0)
    );
    assert_eq!(refusal.refusal_reason_code, "HOUSING_NOT_AVAILABLE");

    let only_27 = list(national.clone(), "KZ-27").await;
    assert_eq!(
        only_27
            .iter()
            .map(|d| d.application.clone())
            .collect::<Vec<_>>(),
        vec![refused.name.clone()]
    );
    let regional = app
        .channel_as("employment_center", "employment_center-55")
        .await;
    assert_eq!(list(regional.clone(), "KZ-55").await.len(), 1);
    assert!(
        list(regional.clone(), "KZ-27").await.is_empty(),
        "a region outside the caller's jurisdiction yields nothing"
    );
    let bad = QuotaServiceClient::new(national.clone())
        .list_quota_decisions(pb::ListQuotaDecisionsRequest {
            region: "Pavlodar".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&bad), vec!["region"]);

    // The live feed filters the same way: from the beginning, only KZ-27's decision.
    let mut feed = QuotaServiceClient::new(national)
        .watch_quota_decisions(pb::WatchQuotaDecisionsRequest {
            cursor: String::new(),
            region: "KZ-27".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let first = next_decision(&mut feed).await;
    assert_eq!(first.application, refused.name);
    assert_eq!(first.refusal_reason_code, "HOUSING_NOT_AVAILABLE");
}

/// CheckPrerequisites for quota inclusion answers what submission enforces: a kandas
/// registered in KZ-75 (Almaty, no quota) is told so, as submission would refuse it.
#[tokio::test]
async fn checking_quota_inclusion_reports_what_submission_refuses() {
    let app = spawn_app_with(|s| s.clock = Clock::pinned(day(2026, 6, 1))).await;
    let family = eligible_family(&app, 1, 1, "KZ-75").await;
    let mut police = pb::prerequisite_service_client::PrerequisiteServiceClient::new(
        app.channel("police").await,
    );
    let check = |region: &str, year: i32| pb::CheckPrerequisitesRequest {
        person: family[0].name.clone(),
        procedure: pb::Procedure::RegionalQuotaInclusion as i32,
        region: region.into(),
        year,
        ..Default::default()
    };
    let answer = police
        .check_prerequisites(check("KZ-75", 2026))
        .await
        .unwrap()
        .into_inner();
    assert!(!answer.all_satisfied);
    let unmet: Vec<&str> = answer
        .prerequisites
        .iter()
        .filter(|p| !p.satisfied && p.blocking)
        .map(|p| p.code.as_str())
        .collect();
    let refused = app
        .applications("psc")
        .await
        .submit_application(pb::SubmitApplicationRequest {
            request_id: request_id(),
            applicant: family[0].name.clone(),
            documents: vec![],
            details: Some(quota_details(&family, "KZ-75", 2026)),
            ..Default::default()
        })
        .await
        .unwrap_err();
    let kinds: Vec<String> = error_details(&refused)
        .precondition_failure()
        .unwrap()
        .violations
        .iter()
        .map(|v| v.r#type.clone())
        .collect();
    assert_eq!(unmet, kinds, "the check and the door agree");
    assert_eq!(unmet, vec!["QUOTA_REGION_OF_YEAR"]);

    let elsewhere = police
        .check_prerequisites(check("KZ-55", 2026))
        .await
        .unwrap()
        .into_inner();
    let codes: Vec<&str> = elsewhere
        .prerequisites
        .iter()
        .filter(|p| !p.satisfied)
        .map(|p| p.code.as_str())
        .collect();
    assert_eq!(codes, vec!["REGISTERED_IN_QUOTA_REGION"]);

    let missing = police.check_prerequisites(check("", 0)).await.unwrap_err();
    assert_eq!(violated_fields(&missing), vec!["region", "year"]);
    let no_year = police
        .check_prerequisites(check("KZ-55", 0))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&no_year), vec!["year"]);
}

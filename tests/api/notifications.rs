//! The applicant's notifications (SPEC 5.8): the portal reads and follows its applicant's, by
//! pages or as a stream resumable from a cursor, each exactly once and in order across
//! replicas; the office that submitted an application reads those of it; every read is
//! audited; the texts are told in the language asked for.
//!
//! Each application is submitted through the API, and its submission tells its applicant
//! `Accepted` itself; the later steps are written here with `store::notifications::append` in a
//! transaction of the test's own, the function every act calls in its transaction. Positions
//! expected are those the writes got, never counted by hand.

use crate::helpers::*;
use chrono::NaiveDate;
use kandas::domain::notification::{Facts, Language, NewNotification, tell};
use kandas::domain::procedure::Procedure;
use kandas::pb;
use kandas::pb::notification::Kind;
use kandas::server::startup::Settings;
use kandas::store::notifications;
use sqlx::PgPool;
use std::time::Duration;
use tonic::Code;
use tonic::transport::Channel;
use uuid::Uuid;

type NotificationClient = pb::notification_service_client::NotificationServiceClient<Channel>;

/// The office of `test-psc`, which `submit_ok` submits as.
const PSC: &str = "urn:kandas:psc:test-psc";
/// Another Public Service Center, which submitted none of them.
const OTHER_PSC: &str = "other-psc";
/// A Public Service Center whose open stream sees its suspension.
const SUSPENDED_PSC: &str = "suspended-psc";

fn with_offices(settings: &mut Settings) {
    register_national(settings, "psc", OTHER_PSC);
    register_national(settings, "psc", SUSPENDED_PSC);
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// One applicant and an IIN application submitted for them through the API.
struct Filed {
    person: Uuid,
    /// `persons/{id}`.
    name: String,
    application: Uuid,
    /// The feed position of the `Accepted` the submission told its applicant: their first.
    accepted: i64,
    /// What that `Accepted` tells, from the submission's answer.
    accepted_facts: Facts,
}

fn uuid_of(name: &str) -> Uuid {
    Uuid::parse_str(name.rsplit('/').next().unwrap()).unwrap()
}

fn day_of(date: &pb::Date) -> NaiveDate {
    day(date.year, date.month as u32, date.day as u32)
}

/// Registers applicant `n` and submits an IIN application for them as `test-psc`.
async fn filed(app: &TestApp, n: usize) -> Filed {
    let mut persons = app.persons("psc").await;
    let applicant = register(&mut persons, person(&numbered("Notified", n))).await;
    let application = submit_ok(app, &applicant.name, iin_details(false), vec![passport()]).await;
    submitted_for(app, applicant.name, &application).await
}

/// `submitted` for the applicant `name`, with the `Accepted` its submission stored for them.
async fn submitted_for(app: &TestApp, name: String, submitted: &pb::Application) -> Filed {
    let person = uuid_of(&name);
    let stored = stored_for(&app.pool, person).await;
    let [accepted] = stored[..] else {
        panic!("the submission told its applicant once: {stored:?}");
    };
    Filed {
        person,
        name,
        application: uuid_of(&submitted.name),
        accepted,
        accepted_facts: Facts::Accepted {
            procedure: Procedure::IinAssignment,
            submitted_on: day_of(submitted.submission_date.as_ref().unwrap()),
            deadline: submitted.deadline.as_ref().map(day_of),
            provisional: submitted.deadline_provisional,
        },
    }
}

/// `notification` is the `Accepted` `filed`'s submission told, in `language`.
fn assert_accepted(notification: &pb::Notification, filed: &Filed, language: Language) {
    let told = tell(&filed.accepted_facts, language);
    assert_eq!(
        (
            notification.sequence,
            notification.kind,
            notification.person.as_str(),
            notification.application.as_str(),
            notification.procedure,
        ),
        (
            filed.accepted,
            Kind::Accepted as i32,
            filed.name.as_str(),
            format!("applications/{}", filed.application).as_str(),
            pb::Procedure::IinAssignment as i32,
        ),
        "the submission's own Accepted"
    );
    assert_eq!(
        (&notification.title, &notification.text),
        (&told.title, &told.text)
    );
    assert_eq!(notification.due_date, told.due_date.map(proto_date));
    assert!(told.due_date.is_some(), "an IIN is due by a deadline");
}

fn proto_date(d: NaiveDate) -> pb::Date {
    use chrono::Datelike;
    date(d.year(), d.month(), d.day())
}

/// The facts of a later step numbered `n`: kinds in turn, so a page shows several.
fn facts(n: usize) -> Facts {
    let on = day(2026, 6, 1);
    match n % 3 {
        0 => Facts::Refused {
            procedure: Procedure::IinAssignment,
            decided_on: on,
            reason_code: "FALSE_DOCUMENTS".into(),
            reason_text: "the passport is forged".into(),
            appeal_until: day(2026, 9, 1),
        },
        1 => Facts::DeadlineMissed {
            procedure: Procedure::IinAssignment,
            deadline: day(2026, 6, 3)
                .checked_add_days(chrono::Days::new(n as u64))
                .unwrap(),
        },
        // Accepted again, as after an overturned refusal.
        _ => Facts::Accepted {
            procedure: Procedure::IinAssignment,
            submitted_on: on,
            deadline: Some(day(2026, 6, 3)),
            provisional: false,
        },
    }
}

/// The notification of step `n` of `filed`'s application, submitted by `test-psc`.
fn step(filed: &Filed, n: usize) -> NewNotification {
    NewNotification {
        person_id: filed.person,
        application_id: Some(filed.application),
        submitted_by: Some(PSC.into()),
        facts: facts(n),
    }
}

/// Commits the notifications of one act, as the act's own transaction would, and returns the
/// feed positions they got, in the order written.
async fn append(pool: &PgPool, written: &[NewNotification]) -> Vec<i64> {
    let mut tx = pool.begin().await.unwrap();
    notifications::append(&mut tx, written).await.unwrap();
    // The head stays locked by this transaction: its value is the last of these.
    let last = notifications::head(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    let count = i64::try_from(written.len()).unwrap();
    let got: Vec<i64> = (last - count + 1..=last).collect();
    let stored: Vec<(i64, Uuid)> =
        sqlx::query_as("SELECT seq, person_id FROM notifications WHERE seq = ANY($1) ORDER BY seq")
            .bind(&got)
            .fetch_all(pool)
            .await
            .unwrap();
    let expected: Vec<(i64, Uuid)> = got
        .iter()
        .zip(written)
        .map(|(seq, n)| (*seq, n.person_id))
        .collect();
    assert_eq!(stored, expected, "stored in the order written");
    got
}

/// The feed positions of `person`'s stored notifications, in order.
async fn stored_for(pool: &PgPool, person: Uuid) -> Vec<i64> {
    sqlx::query_scalar("SELECT seq FROM notifications WHERE person_id = $1 ORDER BY seq")
        .bind(person)
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn client(app: &TestApp, role: &str) -> NotificationClient {
    NotificationClient::new(app.channel(role).await)
}

fn list_request(cursor: &str, page_size: i32) -> pb::ListNotificationsRequest {
    pb::ListNotificationsRequest {
        cursor: cursor.into(),
        page_size,
        language_code: String::new(),
    }
}

/// A page of the portal's notifications for `applicant`.
async fn portal_list(
    portal: &mut NotificationClient,
    applicant: &str,
    cursor: &str,
    page_size: i32,
) -> pb::ListNotificationsResponse {
    portal
        .list_notifications(for_applicant(list_request(cursor, page_size), applicant))
        .await
        .expect("a page of notifications")
        .into_inner()
}

/// The portal's stream of `applicant`'s notifications after `cursor`.
async fn portal_watch(
    portal: &mut NotificationClient,
    applicant: &str,
    cursor: &str,
) -> tonic::Streaming<pb::Notification> {
    let request = pb::WatchNotificationsRequest {
        cursor: cursor.into(),
        language_code: String::new(),
    };
    portal
        .watch_notifications(for_applicant(request, applicant))
        .await
        .expect("the stream opens")
        .into_inner()
}

async fn next(stream: &mut tonic::Streaming<pb::Notification>) -> pb::Notification {
    tokio::time::timeout(Duration::from_secs(20), stream.message())
        .await
        .expect("a notification arrives")
        .expect("the stream stays healthy")
        .expect("the stream stays open")
}

/// Nothing more arrives on `stream` for a while.
async fn quiet(stream: &mut tonic::Streaming<pb::Notification>) {
    let more = tokio::time::timeout(Duration::from_secs(3), stream.message()).await;
    assert!(more.is_err(), "nothing more was committed for it: {more:?}");
}

fn sequences(notifications: &[pb::Notification]) -> Vec<i64> {
    notifications.iter().map(|n| n.sequence).collect()
}

/// Audit events of `rpc` by `client` about `subject` with `outcome`.
async fn audited(pool: &PgPool, client: &str, rpc: &str, subject: &str, outcome: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM audit_events
         WHERE client = $1 AND rpc = $2 AND subject = $3 AND outcome = $4",
    )
    .bind(client)
    .bind(format!("/kandas.v1.NotificationService/{rpc}"))
    .bind(subject)
    .bind(outcome)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_portal_lists_only_its_applicants_notifications_in_order_and_resumes_from_its_cursor() {
    let app = spawn_app_with(with_offices).await;
    let (a, b) = (filed(&app, 0).await, filed(&app, 1).await);
    // Interleaved with another applicant's, and one act telling both.
    let a0 = append(&app.pool, &[step(&a, 0)]).await;
    let b0 = append(&app.pool, &[step(&b, 0)]).await;
    let both = append(&app.pool, &[step(&a, 1), step(&b, 1), step(&a, 2)]).await;
    let b2 = append(&app.pool, &[step(&b, 2)]).await;
    let a3 = append(&app.pool, &[step(&a, 3)]).await;
    // Each applicant's: the submission's own Accepted, then the steps appended for them.
    let mine = [a.accepted, a0[0], both[0], both[2], a3[0]];
    let theirs = [b.accepted, b0[0], both[1], b2[0]];
    assert_eq!(stored_for(&app.pool, a.person).await, mine);
    assert_eq!(stored_for(&app.pool, b.person).await, theirs);
    assert!(
        mine.windows(2).all(|w| w[1] > w[0] + 1),
        "another's between each two: {mine:?}"
    );

    let mut portal = client(&app, "portal").await;
    let first = portal_list(&mut portal, &a.name, "", 3).await;
    assert_eq!(sequences(&first.notifications), mine[..3]);
    let second = portal_list(&mut portal, &a.name, &first.next_cursor, 3).await;
    assert_eq!(
        sequences(&second.notifications),
        mine[3..],
        "no repeat, no gap"
    );
    let rest = portal_list(&mut portal, &a.name, &second.next_cursor, 3).await;
    assert!(rest.notifications.is_empty());
    assert_eq!(
        rest.next_cursor, second.next_cursor,
        "nothing new: the same cursor"
    );
    // The cursor of the last notification read resumes right after it, too.
    let after_two = portal_list(&mut portal, &a.name, &first.notifications[1].cursor, 0).await;
    assert_eq!(sequences(&after_two.notifications), mine[2..]);

    // Each as the applicant's file tells it, in Kazakh by default: first the submission's own.
    assert_accepted(&first.notifications[0], &a, Language::Kk);
    let refused = &first.notifications[1];
    let told = tell(&facts(0), Language::Kk);
    assert_eq!(
        refused.name,
        format!("{}/notifications/{}", a.name, mine[1])
    );
    assert_eq!(refused.person, a.name);
    assert_eq!(
        refused.application,
        format!("applications/{}", a.application)
    );
    assert_eq!(refused.kind, Kind::Refused as i32);
    assert_eq!(refused.procedure, pb::Procedure::IinAssignment as i32);
    assert_eq!(refused.language_code, "kk");
    assert_eq!((&refused.title, &refused.text), (&told.title, &told.text));
    assert_eq!(refused.due_date, told.due_date.map(proto_date));
    assert!(refused.time.is_some());
    let kinds: Vec<i32> = first.notifications.iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        [
            Kind::Accepted as i32,
            Kind::Refused as i32,
            Kind::DeadlineMissed as i32
        ]
    );

    // The other applicant's portal sees theirs only.
    let page = portal_list(&mut portal, &b.name, "", 0).await;
    assert_eq!(sequences(&page.notifications), theirs);
    assert!(page.notifications.iter().all(|n| n.person == b.name));
    assert_accepted(&page.notifications[0], &b, Language::Kk);
}

#[tokio::test]
async fn a_stream_delivers_the_stored_then_each_new_one_from_any_replica_and_resumes_after_its_cursor()
 {
    let a = spawn_app_with(|s| {
        with_offices(s);
        s.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let b = spawn_on(a.database_url.clone(), a.same_ca(), with_offices).await;
    let (mine, other) = (filed(&a, 0).await, filed(&a, 1).await);
    let together = append(&a.pool, &[step(&mine, 0), step(&other, 0)]).await;
    let alone = append(&a.pool, &[step(&mine, 1)]).await;

    let mut portal = client(&a, "portal").await;
    let mut stream = portal_watch(&mut portal, &mine.name, "").await;
    assert_accepted(&next(&mut stream).await, &mine, Language::Kk);
    assert_eq!(next(&mut stream).await.sequence, together[0]);
    assert_eq!(next(&mut stream).await.sequence, alone[0]);
    assert_eq!(
        gauge(&metrics_text(&a).await, "kandas_notification_streams"),
        1
    );

    // Committed through the other replica's connection: the wake-up reaches this one.
    append(&b.pool, &[step(&other, 1)]).await;
    let new = append(&b.pool, &[step(&mine, 2)]).await;
    let live = next(&mut stream).await;
    assert_eq!(
        (live.sequence, live.person.as_str()),
        (new[0], mine.name.as_str())
    );
    quiet(&mut stream).await;
    drop(stream);

    // Reconnected to the other replica with the last cursor: exactly what came after it.
    let after = append(&a.pool, &[step(&mine, 3), step(&mine, 4)]).await;
    let mut on_b = client(&b, "portal").await;
    let mut stream = portal_watch(&mut on_b, &mine.name, &live.cursor).await;
    assert_eq!(next(&mut stream).await.sequence, after[0]);
    assert_eq!(next(&mut stream).await.sequence, after[1]);
    quiet(&mut stream).await;
    assert_eq!(
        stored_for(&a.pool, mine.person).await,
        [
            mine.accepted,
            together[0],
            alone[0],
            new[0],
            after[0],
            after[1]
        ],
        "each once, in order"
    );

    // Stopping a replica ends its open streams, so the stop can finish.
    b.stop().await;
    let ended = tokio::time::timeout(Duration::from_secs(20), stream.message())
        .await
        .expect("the stream ends");
    match ended {
        Ok(None) => {}
        Err(status) => {
            assert_eq!(status.code(), Code::Unavailable, "{status:?}");
            assert_reason(&status, "SERVER_STOPPING");
        }
        Ok(Some(notification)) => panic!("nothing more was committed: {notification:?}"),
    }
    // The first replica's stream was closed on the server once its client went away.
    wait_until(
        Duration::from_secs(20),
        "the dropped stream is closed",
        || async {
            let text = metrics_text(&a).await;
            gauge(&text, "kandas_notification_streams") == 0
                && gauge(&text, "kandas_notification_buffered") == 0
        },
    )
    .await;
}

/// A value of the metrics text, e.g. `kandas_notification_streams`.
fn gauge(text: &str, name: &str) -> i64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
}

#[tokio::test]
async fn the_office_that_submitted_reads_those_of_its_applications_and_another_office_none() {
    let app = spawn_app_with(with_offices).await;
    let (a, b) = (filed(&app, 0).await, filed(&app, 1).await);
    let both = append(&app.pool, &[step(&a, 0), step(&b, 0)]).await;
    // An act on a record alone names no submitting office: the applicant is told, no office.
    let annulled = NewNotification {
        person_id: a.person,
        application_id: None,
        submitted_by: None,
        facts: Facts::RecordAnnulled {
            record: "permit".into(),
            number: "P-1".into(),
            annulled_on: day(2026, 6, 1),
            ground: "false_documents".into(),
            legal_basis: "false documents".into(),
            cards: vec![],
        },
    };
    let annulment = append(&app.pool, &[annulled]).await;
    let later = append(&app.pool, &[step(&b, 1)]).await;

    // Those of its applications: each submission's own Accepted, then the steps appended.
    let expected = [a.accepted, b.accepted, both[0], both[1], later[0]];
    let mut office = client(&app, "psc").await;
    let page = office
        .list_notifications(list_request("", 0))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(sequences(&page.notifications), expected);
    let persons: Vec<&str> = page
        .notifications
        .iter()
        .map(|n| n.person.as_str())
        .collect();
    assert_eq!(
        persons,
        [&a.name, &b.name, &a.name, &b.name, &b.name].map(String::as_str)
    );
    assert_accepted(&page.notifications[0], &a, Language::Kk);
    assert_accepted(&page.notifications[1], &b, Language::Kk);
    // The office follows them as a stream too.
    let mut stream = office
        .watch_notifications(pb::WatchNotificationsRequest::default())
        .await
        .unwrap()
        .into_inner();
    for seq in expected {
        assert_eq!(next(&mut stream).await.sequence, seq);
    }

    // The applicant is told of the annulment; the record's act is no office's application.
    let portal = portal_list(&mut client(&app, "portal").await, &a.name, "", 0).await;
    assert_eq!(
        sequences(&portal.notifications),
        [a.accepted, both[0], annulment[0]]
    );
    let annulment = &portal.notifications[2];
    assert_eq!(
        (
            annulment.kind,
            annulment.application.as_str(),
            annulment.procedure
        ),
        (
            Kind::RecordAnnulled as i32,
            "",
            pb::Procedure::Unspecified as i32
        )
    );

    // Another Public Service Center, and an office of another role, submitted none of them.
    for mut stranger in [
        NotificationClient::new(app.channel_as("psc", OTHER_PSC).await),
        client(&app, "mission").await,
    ] {
        let page = stranger
            .list_notifications(list_request("", 0))
            .await
            .unwrap()
            .into_inner();
        assert!(page.notifications.is_empty(), "{:?}", page.notifications);
        let mut stream = stranger
            .watch_notifications(pb::WatchNotificationsRequest::default())
            .await
            .unwrap()
            .into_inner();
        quiet(&mut stream).await;
    }
}

#[tokio::test]
async fn roles_that_submit_nothing_and_a_portal_naming_no_applicant_are_refused() {
    let app = spawn_app().await;
    for role in ["commission", "registry", "admin"] {
        let mut refused_client = client(&app, role).await;
        let listed = refused_client
            .list_notifications(list_request("", 0))
            .await
            .unwrap_err();
        let watched = refused_client
            .watch_notifications(pb::WatchNotificationsRequest::default())
            .await
            .map(|_| ())
            .unwrap_err();
        for refused in [listed, watched] {
            assert_eq!(
                refused.code(),
                Code::PermissionDenied,
                "{role}: {refused:?}"
            );
            assert_reason(&refused, "ROLE_NOT_PERMITTED");
        }
        let audited: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM audit_events WHERE client = $1
             AND rpc LIKE '/kandas.v1.NotificationService/%' AND outcome = 'PermissionDenied'",
        )
        .bind(format!("urn:kandas:{role}:test-{role}"))
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(audited, 2, "{role}: each refusal is audited");
    }
    let mut portal = client(&app, "portal").await;
    let listed = portal
        .list_notifications(list_request("", 0))
        .await
        .unwrap_err();
    let watched = portal
        .watch_notifications(pb::WatchNotificationsRequest::default())
        .await
        .map(|_| ())
        .unwrap_err();
    for refused in [listed, watched] {
        assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
        assert_reason(&refused, "APPLICANT_REQUIRED");
    }
}

#[tokio::test]
async fn a_cursor_not_returned_here_and_a_negative_page_size_are_refused() {
    let app = spawn_app().await;
    let a = filed(&app, 0).await;
    let steps = append(&app.pool, &[step(&a, 0), step(&a, 1)]).await;
    let mut portal = client(&app, "portal").await;

    // A cursor past the head was never returned here: reading after it would skip some.
    let beyond = kandas::api::encode_cursor(1_000);
    for cursor in [beyond.as_str(), "nonsense"] {
        let refused = portal
            .list_notifications(for_applicant(list_request(cursor, 0), &a.name))
            .await
            .unwrap_err();
        assert_eq!(violated_fields(&refused), ["cursor"]);
        assert!(
            refused
                .message()
                .contains("not a cursor returned by this service"),
            "{refused:?}"
        );
        let request = pb::WatchNotificationsRequest {
            cursor: cursor.into(),
            language_code: String::new(),
        };
        let refused = portal
            .watch_notifications(for_applicant(request, &a.name))
            .await
            .map(|_| ())
            .unwrap_err();
        assert_eq!(violated_fields(&refused), ["cursor"]);
    }
    let refused = portal
        .list_notifications(for_applicant(
            pb::ListNotificationsRequest {
                cursor: "nonsense".into(),
                page_size: -1,
                language_code: "de".into(),
            },
            &a.name,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&refused),
        ["cursor", "page_size", "language_code"]
    );
    // The head itself is a cursor of this feed; a page size above the most is read as the most.
    let all = portal_list(&mut portal, &a.name, "", 5_000).await;
    assert_eq!(
        sequences(&all.notifications),
        [a.accepted, steps[0], steps[1]]
    );
    let at_head = portal_list(&mut portal, &a.name, &all.next_cursor, 0).await;
    assert!(at_head.notifications.is_empty());
}

#[tokio::test]
async fn each_read_is_audited_under_the_call_and_under_each_person_delivered() {
    let app = spawn_app().await;
    let (a, b) = (filed(&app, 0).await, filed(&app, 1).await);
    let steps = append(&app.pool, &[step(&a, 0), step(&b, 0), step(&a, 1)]).await;
    let mine = [a.accepted, steps[0], steps[2]];
    let portal_client = "urn:kandas:portal:test-portal";

    let mut portal = client(&app, "portal").await;
    let page = portal_list(&mut portal, &a.name, "", 0).await;
    assert_eq!(sequences(&page.notifications), mine);
    let list = "ListNotifications";
    assert_eq!(
        audited(&app.pool, portal_client, list, "notifications", "OK").await,
        1
    );
    assert_eq!(
        audited(&app.pool, portal_client, list, &a.name, "OK").await,
        1,
        "one read of the person per page"
    );
    assert_eq!(
        audited(&app.pool, portal_client, list, &b.name, "OK").await,
        0
    );
    // The portal's audit event names the applicant it acted for.
    let applicant: String = sqlx::query_scalar(
        "SELECT applicant FROM audit_events WHERE client = $1 AND rpc = $2 AND subject = $3",
    )
    .bind(portal_client)
    .bind(format!("/kandas.v1.NotificationService/{list}"))
    .bind("notifications")
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(applicant, a.name);

    // A stream's delivery is audited before it arrives: the stored ones, one page.
    let mut stream = portal_watch(&mut portal, &a.name, "").await;
    for seq in mine {
        assert_eq!(next(&mut stream).await.sequence, seq);
    }
    let watch = "WatchNotifications";
    assert_eq!(
        audited(&app.pool, portal_client, watch, "notifications", "OK").await,
        1
    );
    assert_eq!(
        audited(&app.pool, portal_client, watch, &a.name, "OK").await,
        1
    );
    let new = append(&app.pool, &[step(&a, 2)]).await;
    assert_eq!(next(&mut stream).await.sequence, new[0]);
    assert_eq!(
        audited(&app.pool, portal_client, watch, &a.name, "OK").await,
        2,
        "and each later page again"
    );

    // The office's reads name each applicant whose notification it read.
    let mut office = client(&app, "psc").await;
    office
        .list_notifications(list_request("", 0))
        .await
        .unwrap();
    for person in [&a.name, &b.name] {
        assert_eq!(audited(&app.pool, PSC, list, person, "OK").await, 1);
    }
}

#[tokio::test]
async fn the_texts_are_told_in_the_language_of_the_request_else_of_its_metadata_else_kazakh() {
    let app = spawn_app().await;
    let a = filed(&app, 0).await;
    append(&app.pool, &[step(&a, 0)]).await;
    let mut portal = client(&app, "portal").await;
    let told_in = async |portal: &mut NotificationClient, field: &str, accept: Option<&str>| {
        let mut request = for_applicant(
            pb::ListNotificationsRequest {
                language_code: field.into(),
                ..Default::default()
            },
            &a.name,
        );
        if let Some(accept) = accept {
            request
                .metadata_mut()
                .insert("accept-language", accept.parse().unwrap());
        }
        portal.list_notifications(request).await
    };
    for (field, accept, language, code) in [
        ("ru", Some("en"), Language::Ru, "ru"),
        ("en-GB,ru;q=0.5", None, Language::En, "en"),
        ("", Some("ru-RU,en;q=0.8"), Language::Ru, "ru"),
        ("", Some("en"), Language::En, "en"),
        ("", Some("de-DE"), Language::Kk, "kk"),
        ("", None, Language::Kk, "kk"),
    ] {
        let page = told_in(&mut portal, field, accept)
            .await
            .unwrap()
            .into_inner();
        let [accepted, refused] = &page.notifications[..] else {
            panic!("the submission's Accepted and the refusal: {page:?}");
        };
        assert_accepted(accepted, &a, language);
        let told = tell(&facts(0), language);
        for notification in [accepted, refused] {
            assert_eq!(notification.language_code, code, "{field:?} {accept:?}");
        }
        assert_eq!((&refused.title, &refused.text), (&told.title, &told.text));
    }
    let refused = told_in(&mut portal, "de", Some("ru")).await.unwrap_err();
    assert_eq!(violated_fields(&refused), ["language_code"]);
    for code in ["kk", "ru", "en"] {
        assert!(refused.message().contains(code), "{refused:?}");
    }

    // A stream is told in the language it was opened with.
    let mut request = for_applicant(
        pb::WatchNotificationsRequest {
            cursor: String::new(),
            language_code: String::new(),
        },
        &a.name,
    );
    request
        .metadata_mut()
        .insert("accept-language", "ru".parse().unwrap());
    let mut stream = portal
        .watch_notifications(request)
        .await
        .unwrap()
        .into_inner();
    let accepted = next(&mut stream).await;
    assert_eq!(accepted.language_code, "ru");
    assert_accepted(&accepted, &a, Language::Ru);
    let refused = portal
        .watch_notifications(for_applicant(
            pb::WatchNotificationsRequest {
                cursor: String::new(),
                language_code: "xx".into(),
            },
            &a.name,
        ))
        .await
        .map(|_| ())
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["language_code"]);
}

#[tokio::test]
async fn an_open_stream_of_an_office_ends_when_the_office_is_suspended() {
    let app = spawn_app_with(with_offices).await;
    let mut persons = app.persons("psc").await;
    let applicant = register(&mut persons, person(&numbered("Suspended", 0))).await;
    let office = app.channel_as("psc", SUSPENDED_PSC).await;
    let submitted = pb::application_service_client::ApplicationServiceClient::new(office.clone())
        .submit_application(iin_submission(&applicant.name, vec![passport()]))
        .await
        .expect("submitted")
        .into_inner();
    let filed = submitted_for(&app, applicant.name, &submitted).await;
    let of_office = |n| NewNotification {
        submitted_by: Some(format!("urn:kandas:psc:{SUSPENDED_PSC}")),
        ..step(&filed, n)
    };
    let stored = append(&app.pool, &[of_office(0)]).await;
    let mut stream = NotificationClient::new(office)
        .watch_notifications(pb::WatchNotificationsRequest::default())
        .await
        .unwrap()
        .into_inner();
    // Its submission's Accepted, then the step: all it was sent before the suspension.
    assert_accepted(&next(&mut stream).await, &filed, Language::Kk);
    let later = next(&mut stream).await;
    assert_eq!(
        (later.sequence, later.person.as_str()),
        (stored[0], filed.name.as_str())
    );

    pb::admin_service_client::AdminServiceClient::new(app.channel("admin").await)
        .update_organisation(pb::UpdateOrganisationRequest {
            request_id: request_id(),
            name: format!("organisations/{SUSPENDED_PSC}"),
            state: Some(pb::organisation::State::Suspended as i32),
            ..Default::default()
        })
        .await
        .unwrap();
    append(&app.pool, &[of_office(1)]).await;
    let ended = tokio::time::timeout(Duration::from_secs(20), stream.message())
        .await
        .expect("the stream ends")
        .expect_err("with the refusal");
    assert_eq!(ended.code(), Code::PermissionDenied, "{ended:?}");
    assert_reason(&ended, "ORGANISATION_NOT_ACTIVE");
    let audited = audited(
        &app.pool,
        &format!("urn:kandas:psc:{SUSPENDED_PSC}"),
        "WatchNotifications",
        "notifications",
        "PermissionDenied",
    )
    .await;
    assert_eq!(audited, 1, "the refusal is audited");
}

//! The record event feed of the state registries (SPEC 1, role `registry`): the operator
//! subscribes a registry to kinds of acts; the registry reads them after a cursor, by pages or
//! as a stream, each of its kinds exactly once and in commit order across replicas, and
//! acknowledges how far it got.
//!
//! Events are written here with `store::record_events::append` in a transaction of the test's
//! own, the function every act calls in its transaction.

use crate::helpers::*;
use chrono::NaiveDate;
use futures_util::future::join_all;
use kandas::api::convert::event_kind_to_proto;
use kandas::domain::record_event::{EventKind, Facts, Identity, NewEvent, Subject};
use kandas::domain::regions::Region;
use kandas::pb;
use kandas::pb::record_event::{Facts as F, Kind};
use kandas::store::record_events;
use sqlx::PgPool;
use std::time::Duration;
use tokio::sync::oneshot;
use tonic::Code;
use tonic::transport::Channel;
use uuid::Uuid;

type AdminClient = pb::admin_service_client::AdminServiceClient<Channel>;

const IIN_REGISTRY: &str = "iin-registry";
const POPULATION: &str = "population-registry";
/// A registry the operator registered and never subscribed.
const UNSUBSCRIBED: &str = "new-registry";

fn with_registries(settings: &mut kandas::server::startup::Settings) {
    for id in [IIN_REGISTRY, POPULATION, UNSUBSCRIBED] {
        register_national(settings, "registry", id);
    }
    // These scenarios count feed positions; a signed audit head takes one whenever the sealer
    // signs, so heads are left unsigned here (tests/api/audit_attacks.rs covers them).
    settings.audit_signer = None;
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn identity(n: usize) -> Identity {
    Identity {
        surname: format!("Feed{n}"),
        given_name: "Aidos".into(),
        patronymic: String::new(),
        birth_date: day(1987, 10, 8),
        sex: "male".into(),
        citizenship: "CHN".into(),
    }
}

/// The facts of one act of `kind`, numbered `n`.
fn facts(kind: EventKind, n: usize) -> Facts {
    let iin = "871008401427".to_string();
    let on = day(2026, 6, 1);
    let number = format!("N-{n}");
    match kind {
        EventKind::IinAssigned => Facts::IinAssigned {
            iin,
            identity: identity(n),
        },
        EventKind::KandasStatusGranted => Facts::KandasStatusGranted {
            iin,
            certificate_number: number,
            valid_from: on,
            valid_until: day(2027, 6, 1),
        },
        EventKind::KandasStatusExtended => Facts::KandasStatusExtended {
            iin,
            certificate_number: number,
            valid_from: on,
            valid_until: day(2027, 6, 1),
        },
        EventKind::KandasStatusAnnulled => Facts::KandasStatusAnnulled {
            iin,
            certificate_number: number,
            annulled_on: on,
            ground: "court_decision".into(),
            legal_basis: "a court decision".into(),
        },
        EventKind::PermitGranted => Facts::PermitGranted {
            iin,
            number,
            granted_on: on,
        },
        EventKind::PermitAnnulled => Facts::PermitAnnulled {
            iin,
            number,
            annulled_on: on,
            ground: "false_documents".into(),
            legal_basis: "false documents".into(),
            cards: vec![format!("C-{n}")],
        },
        EventKind::CardIssued => Facts::CardIssued {
            iin,
            number,
            issued_on: on,
            valid_until: day(2036, 6, 1),
        },
        EventKind::RegistrationMade => Facts::RegistrationMade {
            iin,
            registration_kind: "temporary".into(),
            region: "KZ-75".into(),
            registered_on: on,
            until: Some(day(2026, 12, 1)),
        },
        EventKind::RegistrationEnded => Facts::RegistrationEnded {
            iin,
            registration_kind: "permanent".into(),
            region: "KZ-75".into(),
            last_day: on,
            reason: "moved_out".into(),
        },
        EventKind::StatelessCertificateIssued => Facts::StatelessCertificateIssued {
            iin,
            number,
            issued_on: on,
        },
        EventKind::CitizenshipGranted => Facts::CitizenshipGranted {
            iin,
            granted_on: on,
        },
        EventKind::PersonCorrected => Facts::PersonCorrected {
            iin,
            revision: 2,
            changed: vec!["surname".into()],
            identity: identity(n),
        },
        EventKind::DocumentsErased => Facts::DocumentsErased {
            iin,
            application: format!("applications/{}", Uuid::nil()),
            erased_on: on,
        },
        EventKind::AuditHeadSigned => unreachable!("the feed's own acts are on persons"),
    }
}

fn event(person: Uuid, region: Option<&str>, kind: EventKind, n: usize) -> NewEvent {
    NewEvent {
        resource: format!("persons/{person}/acts/{n}"),
        subject: Subject::Person {
            id: person,
            region: region.map(|code| Region::parse(code).unwrap()),
        },
        facts: facts(kind, n),
    }
}

/// Commits the events of one act, as the act's own transaction would.
async fn append(pool: &PgPool, events: &[NewEvent]) {
    let mut tx = pool.begin().await.unwrap();
    record_events::append(&mut tx, events).await.unwrap();
    tx.commit().await.unwrap();
}

/// `n` persons registered through the API, as ids.
async fn persons(app: &TestApp, n: usize) -> Vec<Uuid> {
    let mut client = app.persons("psc").await;
    let mut ids = Vec::new();
    for i in 0..n {
        let registered = register(&mut client, person(&numbered("Feedperson", i))).await;
        ids.push(Uuid::parse_str(registered.name.trim_start_matches("persons/")).unwrap());
    }
    ids
}

async fn admin(app: &TestApp) -> AdminClient {
    AdminClient::new(app.channel("admin").await)
}

async fn subscribe(
    app: &TestApp,
    organisation: &str,
    kinds: &[EventKind],
) -> pb::RecordSubscription {
    admin(app)
        .await
        .set_record_subscription(pb::SetRecordSubscriptionRequest {
            request_id: request_id(),
            organisation: format!("organisations/{organisation}"),
            kinds: kinds
                .iter()
                .map(|k| event_kind_to_proto(*k) as i32)
                .collect(),
        })
        .await
        .expect("subscribed")
        .into_inner()
}

async fn feed(app: &TestApp, organisation: &str) -> PersonClient {
    PersonClient::new(app.channel_as("registry", organisation).await)
}

async fn list(
    client: &mut PersonClient,
    cursor: &str,
    page_size: i32,
) -> pb::ListRecordEventsResponse {
    client
        .list_record_events(pb::ListRecordEventsRequest {
            cursor: cursor.into(),
            page_size,
        })
        .await
        .expect("a page of the feed")
        .into_inner()
}

async fn watch(client: &mut PersonClient, cursor: &str) -> tonic::Streaming<pb::RecordEvent> {
    client
        .watch_record_events(pb::WatchRecordEventsRequest {
            cursor: cursor.into(),
        })
        .await
        .expect("the feed opens")
        .into_inner()
}

async fn next_event(stream: &mut tonic::Streaming<pb::RecordEvent>) -> pb::RecordEvent {
    tokio::time::timeout(Duration::from_secs(20), stream.message())
        .await
        .expect("an event arrives")
        .expect("the stream stays healthy")
        .expect("the stream stays open")
}

/// The feed positions of every stored event of `kinds`, in order: what a subscriber to them
/// must receive, whatever else the database holds.
async fn stored_positions(pool: &PgPool, kinds: &[EventKind]) -> Vec<i64> {
    let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    sqlx::query_scalar("SELECT seq FROM record_events WHERE kind = ANY($1) ORDER BY seq")
        .bind(&names)
        .fetch_all(pool)
        .await
        .unwrap()
}

/// The kind the facts of an event are, by the oneof variant it carries.
fn kind_of_facts(facts: &F) -> Kind {
    match facts {
        F::IinAssigned(_) => Kind::IinAssigned,
        F::KandasStatusGranted(_) => Kind::KandasStatusGranted,
        F::KandasStatusExtended(_) => Kind::KandasStatusExtended,
        F::KandasStatusAnnulled(_) => Kind::KandasStatusAnnulled,
        F::PermitGranted(_) => Kind::PermitGranted,
        F::PermitAnnulled(_) => Kind::PermitAnnulled,
        F::CardIssued(_) => Kind::CardIssued,
        F::RegistrationMade(_) => Kind::RegistrationMade,
        F::RegistrationEnded(_) => Kind::RegistrationEnded,
        F::StatelessCertificateIssued(_) => Kind::StatelessCertificateIssued,
        F::CitizenshipGranted(_) => Kind::CitizenshipGranted,
        F::PersonCorrected(_) => Kind::PersonCorrected,
        F::DocumentsErased(_) => Kind::DocumentsErased,
        F::AuditHeadSigned(_) => Kind::AuditHeadSigned,
    }
}

fn sequences(events: &[pb::RecordEvent]) -> Vec<i64> {
    events.iter().map(|e| e.sequence).collect()
}

/// Follows the feed as a subscriber that drops its connection every `chunk` events and
/// reconnects to the next replica with the last cursor it received, until it holds as many
/// events as `expected` says (known once the writers are done).
async fn follow(
    replicas: Vec<PersonClient>,
    chunk: usize,
    mut expected: oneshot::Receiver<usize>,
) -> Vec<pb::RecordEvent> {
    let mut target = None;
    let mut received = Vec::new();
    let mut cursor = String::new();
    for turn in 0.. {
        let mut client = replicas[turn % replicas.len()].clone();
        let mut stream = watch(&mut client, &cursor).await;
        let mut taken = 0;
        while taken < chunk {
            if target.is_some_and(|t| received.len() >= t) {
                return received;
            }
            tokio::select! {
                total = &mut expected, if target.is_none() => target = Some(total.unwrap()),
                message = stream.message() => {
                    let event = message.expect("a healthy stream").expect("an open stream");
                    cursor = event.cursor.clone();
                    received.push(event);
                    taken += 1;
                }
            }
        }
    }
    unreachable!()
}

#[tokio::test]
async fn two_subscribers_on_two_replicas_get_each_event_of_their_kinds_once_and_in_order() {
    let a = spawn_app_with(with_registries).await;
    let b = spawn_on(a.database_url.clone(), a.same_ca(), with_registries).await;
    let iin_kinds = [
        EventKind::IinAssigned,
        EventKind::PersonCorrected,
        EventKind::CitizenshipGranted,
    ];
    let population_kinds = [
        EventKind::RegistrationMade,
        EventKind::RegistrationEnded,
        EventKind::PersonCorrected,
    ];
    subscribe(&a, IIN_REGISTRY, &iin_kinds).await;
    subscribe(&b, POPULATION, &population_kinds).await;
    let people = persons(&a, 4).await;

    // Both subscribers follow live while the acts commit, dropping their connection every few
    // events and resuming on the other replica.
    let (iin_total, iin_expected) = oneshot::channel();
    let (population_total, population_expected) = oneshot::channel();
    let iin = tokio::spawn(follow(
        vec![feed(&a, IIN_REGISTRY).await, feed(&b, IIN_REGISTRY).await],
        7,
        iin_expected,
    ));
    let population = tokio::spawn(follow(
        vec![feed(&b, POPULATION).await, feed(&a, POPULATION).await],
        5,
        population_expected,
    ));

    // Eight writers, half through each replica's pool, 25 acts each of one to three events.
    let writers = (0..8usize).map(|w| {
        let pool = if w % 2 == 0 {
            a.pool.clone()
        } else {
            b.pool.clone()
        };
        let people = people.clone();
        async move {
            for i in 0..25usize {
                let events: Vec<NewEvent> = (0..1 + (w + i) % 3)
                    .map(|j| {
                        let n = w * 100 + i * 3 + j;
                        let kind = EventKind::PERSONAL[n % EventKind::PERSONAL.len()];
                        event(people[n % people.len()], Some("KZ-75"), kind, n)
                    })
                    .collect();
                append(&pool, &events).await;
            }
        }
    });
    join_all(writers).await;

    let iin_positions = stored_positions(&a.pool, &iin_kinds).await;
    let population_positions = stored_positions(&a.pool, &population_kinds).await;
    assert!(iin_positions.len() > 20 && population_positions.len() > 20);
    iin_total.send(iin_positions.len()).unwrap();
    population_total.send(population_positions.len()).unwrap();
    let within = Duration::from_secs(120);
    let iin = tokio::time::timeout(within, iin).await.unwrap().unwrap();
    let population = tokio::time::timeout(within, population)
        .await
        .unwrap()
        .unwrap();

    // Each got every event of its kinds, once, in commit order, and none of another kind.
    assert_eq!(sequences(&iin), iin_positions);
    assert_eq!(sequences(&population), population_positions);
    for (events, kinds) in [(&iin, &iin_kinds[..]), (&population, &population_kinds[..])] {
        for e in events.iter() {
            assert!(
                kinds
                    .iter()
                    .any(|k| event_kind_to_proto(*k) as i32 == e.kind),
                "{e:?}"
            );
        }
    }
    // Nothing is left after the last cursor: no event was held back to come twice.
    for (app, organisation, events) in [(&b, IIN_REGISTRY, &iin), (&a, POPULATION, &population)] {
        let last = &events.last().unwrap().cursor;
        let rest = list(&mut feed(app, organisation).await, last, 1000).await;
        assert!(rest.events.is_empty(), "{:?}", rest.events);
    }
}

#[tokio::test]
async fn an_act_rolled_back_leaves_no_event_and_no_gap() {
    let app = spawn_app_with(with_registries).await;
    subscribe(&app, IIN_REGISTRY, &[EventKind::IinAssigned]).await;
    let people = persons(&app, 1).await;
    let person = people[0];
    append(&app.pool, &[event(person, None, EventKind::IinAssigned, 1)]).await;

    // An act appends and holds the head while a second act waits for it; the first rolls back.
    let mut rolled_back = app.pool.begin().await.unwrap();
    record_events::append(
        &mut rolled_back,
        &[
            event(person, None, EventKind::IinAssigned, 2),
            event(person, None, EventKind::IinAssigned, 3),
        ],
    )
    .await
    .unwrap();
    let waiting = tokio::spawn({
        let pool = app.pool.clone();
        async move { append(&pool, &[event(person, None, EventKind::IinAssigned, 4)]).await }
    });
    let mut waits = 0;
    while waits == 0 {
        waits = sqlx::query_scalar!(
            r#"SELECT count(*) AS "waits!" FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'"#
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        tokio::task::yield_now().await;
    }
    rolled_back.rollback().await.unwrap();
    waiting.await.unwrap();

    let stored: Vec<(i64, String)> =
        sqlx::query_as("SELECT seq, resource FROM record_events ORDER BY seq")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        stored,
        vec![
            (1, format!("persons/{person}/acts/1")),
            (2, format!("persons/{person}/acts/4")),
        ],
        "the rolled-back act left neither its events nor their numbers"
    );
    let page = list(&mut feed(&app, IIN_REGISTRY).await, "", 0).await;
    assert_eq!(sequences(&page.events), [1, 2]);
    assert_eq!(page.events[1].resource, format!("persons/{person}/acts/4"));
}

#[tokio::test]
async fn a_subscriber_gets_only_its_kinds_and_regions_and_a_new_kind_applies_without_reconnecting()
{
    let app = spawn_app_with(|s| {
        with_registries(s);
        register_regional(s, "registry", "almaty-registry", &["KZ-75"]);
    })
    .await;
    subscribe(&app, IIN_REGISTRY, &[EventKind::PermitGranted]).await;
    subscribe(&app, POPULATION, &EventKind::PERSONAL).await;
    subscribe(&app, "almaty-registry", &EventKind::PERSONAL).await;
    let people = persons(&app, 2).await;

    // One event of every kind, half in Almaty and half in Astana.
    let every: Vec<NewEvent> = EventKind::PERSONAL
        .iter()
        .enumerate()
        .map(|(n, kind)| {
            let region = if n % 2 == 0 { "KZ-75" } else { "KZ-71" };
            event(people[n % 2], Some(region), *kind, n)
        })
        .collect();
    append(&app.pool, &every).await;

    // The subscriber to every kind gets each with its own facts.
    let all = list(&mut feed(&app, POPULATION).await, "", 0).await;
    assert_eq!(all.events.len(), EventKind::PERSONAL.len());
    for (sent, got) in every.iter().zip(&all.events) {
        let kind = event_kind_to_proto(sent.facts.kind());
        assert_eq!(got.kind, kind as i32);
        assert_eq!(kind_of_facts(got.facts.as_ref().unwrap()), kind);
        assert_eq!(got.resource, sent.resource);
        assert_eq!(
            got.person,
            format!("persons/{}", sent.subject.person_id().unwrap())
        );
        assert_eq!(got.iin, "871008401427", "every kind names the holder's IIN");
    }
    let Some(F::PermitAnnulled(annulled)) = &all.events[5].facts else {
        panic!("the sixth kind is a permit annulled: {:?}", all.events[5]);
    };
    assert_eq!(annulled.cards, ["C-5"]);
    assert_eq!(annulled.annulled_on, Some(date(2026, 6, 1)));

    // A registry of Almaty's only gets what lies in Almaty.
    let almaty = list(&mut feed(&app, "almaty-registry").await, "", 0).await;
    assert_eq!(almaty.events.len(), 7);
    assert!(almaty.events.iter().all(|e| e.region == "KZ-75"));

    // The permit registry gets the permit only, on the stream too.
    let mut permits = feed(&app, IIN_REGISTRY).await;
    let mut stream = watch(&mut permits, "").await;
    let first = next_event(&mut stream).await;
    assert_eq!(first.kind, Kind::PermitGranted as i32);
    assert!(list(&mut permits, &first.cursor, 0).await.events.is_empty());

    // A kind added to its subscription reaches the open stream; the others still do not.
    subscribe(
        &app,
        IIN_REGISTRY,
        &[EventKind::PermitGranted, EventKind::CardIssued],
    )
    .await;
    append(
        &app.pool,
        &[
            event(people[0], None, EventKind::CardIssued, 20),
            event(people[0], None, EventKind::IinAssigned, 21),
            event(people[0], None, EventKind::PermitGranted, 22),
        ],
    )
    .await;
    let card = next_event(&mut stream).await;
    let permit = next_event(&mut stream).await;
    assert_eq!(
        (card.kind, permit.kind),
        (Kind::CardIssued as i32, Kind::PermitGranted as i32)
    );
    assert_eq!((card.sequence, permit.sequence), (14, 16));
    assert!(
        list(&mut permits, &permit.cursor, 0)
            .await
            .events
            .is_empty()
    );
}

#[tokio::test]
async fn the_feed_is_read_by_pages_acknowledged_and_shown_to_the_operator_and_in_metrics() {
    let app = spawn_app_with(|s| {
        with_registries(s);
        s.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    subscribe(&app, IIN_REGISTRY, &[EventKind::IinAssigned]).await;
    subscribe(&app, POPULATION, &[EventKind::CardIssued]).await;
    let people = persons(&app, 3).await;
    // Five IINs for two persons, then two cards of a third: the IIN registry's feed ends with
    // positions that are not its kind.
    for n in 0..5 {
        append(
            &app.pool,
            &[event(people[n % 2], None, EventKind::IinAssigned, n)],
        )
        .await;
    }
    append(
        &app.pool,
        &[
            event(people[2], None, EventKind::CardIssued, 5),
            event(people[2], None, EventKind::CardIssued, 6),
        ],
    )
    .await;

    let mut registry = feed(&app, IIN_REGISTRY).await;
    let mut admin = admin(&app).await;
    let subscription_of = async |admin: &mut AdminClient, organisation: &str| {
        admin
            .list_record_subscriptions(pb::ListRecordSubscriptionsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .subscriptions
            .into_iter()
            .find(|s| s.organisation == format!("organisations/{organisation}"))
            .unwrap()
    };
    let before = subscription_of(&mut admin, IIN_REGISTRY).await;
    assert_eq!(
        (
            before.acknowledged_sequence,
            before.acknowledged_cursor.as_str(),
            before.lag
        ),
        (0, "", 7)
    );
    assert_eq!(before.kinds, [Kind::IinAssigned as i32]);
    assert_eq!(before.acknowledge_time, None);

    // Pages of two; presenting a page's cursor acknowledges everything up to it.
    let first = list(&mut registry, "", 2).await;
    assert_eq!(sequences(&first.events), [1, 2]);
    let second = list(&mut registry, &first.next_cursor, 2).await;
    assert_eq!(sequences(&second.events), [3, 4]);
    let acknowledged = subscription_of(&mut admin, IIN_REGISTRY).await;
    assert_eq!(
        (acknowledged.acknowledged_sequence, acknowledged.lag),
        (2, 5)
    );
    assert_eq!(acknowledged.acknowledged_cursor, first.next_cursor);
    assert!(acknowledged.acknowledge_time.is_some());
    let third = list(&mut registry, &second.next_cursor, 2).await;
    assert_eq!(sequences(&third.events), [5]);
    // The last page covers the cards too: the cursor is past them, and nothing is left.
    let last = list(&mut registry, &third.next_cursor, 2).await;
    assert!(last.events.is_empty());
    assert_eq!(
        last.next_cursor, third.next_cursor,
        "nothing new: the same cursor"
    );

    let done = registry
        .acknowledge_record_events(pb::AcknowledgeRecordEventsRequest {
            cursor: third.next_cursor.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((done.acknowledged_sequence, done.lag), (7, 0));
    // An older cursor changes nothing.
    let again = registry
        .acknowledge_record_events(pb::AcknowledgeRecordEventsRequest {
            cursor: first.next_cursor.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.acknowledged_sequence, 7);
    assert_eq!(again.acknowledge_time, done.acknowledge_time);

    // A cursor past the head was never returned here: reading after it would skip events.
    let beyond = kandas::api::encode_cursor(1_000);
    for cursor in [beyond.as_str(), "nonsense"] {
        let refused = registry
            .acknowledge_record_events(pb::AcknowledgeRecordEventsRequest {
                cursor: cursor.into(),
            })
            .await
            .unwrap_err();
        assert_eq!(violated_fields(&refused), ["cursor"]);
        assert!(
            refused
                .message()
                .contains("not a cursor returned by this service")
        );
        let refused = registry
            .list_record_events(pb::ListRecordEventsRequest {
                cursor: cursor.into(),
                page_size: 0,
            })
            .await
            .unwrap_err();
        assert_eq!(violated_fields(&refused), ["cursor"]);
        let refused = registry
            .watch_record_events(pb::WatchRecordEventsRequest {
                cursor: cursor.into(),
            })
            .await
            .unwrap_err();
        assert_eq!(violated_fields(&refused), ["cursor"]);
    }

    let refused = registry
        .list_record_events(pb::ListRecordEventsRequest {
            cursor: "nonsense".into(),
            page_size: -1,
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["cursor", "page_size"]);

    // The operator and the metrics see each subscriber's lag behind the head.
    let population = subscription_of(&mut admin, POPULATION).await;
    assert_eq!((population.acknowledged_sequence, population.lag), (0, 7));
    let text = metrics_text(&app).await;
    for line in [
        "kandas_record_feed_head 7".to_string(),
        format!("kandas_record_feed_lag{{organisation=\"{IIN_REGISTRY}\"}} 0"),
        format!("kandas_record_feed_lag{{organisation=\"{POPULATION}\"}} 7"),
        "kandas_record_feed_streams 0".to_string(),
        "kandas_record_feed_buffered_events 0".to_string(),
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in:\n{text}"
        );
    }

    // Each person whose event was delivered is audited as read by the registry; the person of
    // the cards, which it does not receive, is not.
    let audited = async |person: Uuid| -> i64 {
        sqlx::query_scalar!(
            r#"SELECT count(*) AS "count!" FROM audit_events
             WHERE client = $1 AND rpc = '/kandas.v1.PersonService/ListRecordEvents'
               AND subject = $2 AND outcome = 'OK'"#,
            format!("urn:kandas:registry:{IIN_REGISTRY}"),
            format!("persons/{person}")
        )
        .fetch_one(&app.pool)
        .await
        .unwrap()
    };
    assert_eq!(audited(people[0]).await, 3, "in pages one, two and three");
    assert_eq!(audited(people[1]).await, 2, "in pages one and two");
    assert_eq!(audited(people[2]).await, 0);
}

#[tokio::test]
async fn a_registry_without_a_subscription_is_told_so() {
    let app = spawn_app_with(with_registries).await;
    let mut registry = feed(&app, UNSUBSCRIBED).await;
    let refusals = [
        registry
            .list_record_events(pb::ListRecordEventsRequest::default())
            .await
            .map(|_| ())
            .unwrap_err(),
        registry
            .watch_record_events(pb::WatchRecordEventsRequest::default())
            .await
            .map(|_| ())
            .unwrap_err(),
        registry
            .acknowledge_record_events(pb::AcknowledgeRecordEventsRequest::default())
            .await
            .map(|_| ())
            .unwrap_err(),
    ];
    for refused in refusals {
        assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
        assert_reason(&refused, "NO_SUBSCRIPTION");
    }
    // Only a registry reads the feed.
    let refused = app
        .persons("psc")
        .await
        .list_record_events(pb::ListRecordEventsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn only_a_registered_registry_subscribes_to_named_kinds_and_a_repeat_gets_the_first_answer() {
    let app = spawn_app_with(with_registries).await;
    let mut admin = admin(&app).await;
    let set = |organisation: &str, kinds: Vec<i32>| pb::SetRecordSubscriptionRequest {
        request_id: request_id(),
        organisation: organisation.into(),
        kinds,
    };
    let permits = vec![Kind::PermitGranted as i32];
    for (organisation, reason) in [
        ("organisations/nobody", "ORGANISATION_NOT_REGISTERED"),
        ("organisations/test-psc", "NOT_A_REGISTRY"),
    ] {
        let refused = admin
            .set_record_subscription(set(organisation, permits.clone()))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
        assert_reason(&refused, reason);
    }
    for kinds in [vec![], vec![Kind::Unspecified as i32], vec![1, 99]] {
        let refused = admin
            .set_record_subscription(set(&format!("organisations/{IIN_REGISTRY}"), kinds))
            .await
            .unwrap_err();
        assert_eq!(violated_fields(&refused), ["kinds"]);
    }
    let refused = admin
        .set_record_subscription(pb::SetRecordSubscriptionRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&refused),
        ["request_id", "organisation", "kinds"]
    );

    // Named twice counts once; a repeat of the request gets the first answer, even after a change.
    let first = set(
        &format!("organisations/{IIN_REGISTRY}"),
        vec![
            Kind::IinAssigned as i32,
            Kind::PersonCorrected as i32,
            Kind::IinAssigned as i32,
        ],
    );
    let answer = admin
        .set_record_subscription(first.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        answer.kinds,
        [Kind::IinAssigned as i32, Kind::PersonCorrected as i32]
    );
    subscribe(&app, IIN_REGISTRY, &[EventKind::CardIssued]).await;
    let repeated = admin
        .set_record_subscription(first)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(repeated, answer);

    // Listed page by page, in organisation order.
    subscribe(&app, POPULATION, &[EventKind::RegistrationMade]).await;
    let page = admin
        .list_record_subscriptions(pb::ListRecordSubscriptionsRequest {
            page_size: 1,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.subscriptions.len(), 1);
    assert_eq!(
        page.subscriptions[0].organisation,
        format!("organisations/{IIN_REGISTRY}")
    );
    assert_eq!(page.subscriptions[0].kinds, [Kind::CardIssued as i32]);
    let rest = admin
        .list_record_subscriptions(pb::ListRecordSubscriptionsRequest {
            page_size: 1,
            page_token: page.next_page_token,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        rest.subscriptions[0].organisation,
        format!("organisations/{POPULATION}")
    );
    // The registry itself may not subscribe.
    let refused = AdminClient::new(app.channel_as("registry", IIN_REGISTRY).await)
        .set_record_subscription(set(&format!("organisations/{IIN_REGISTRY}"), permits))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn a_stream_ends_when_its_replica_stops_and_resumes_on_another_from_its_cursor() {
    let a = spawn_app_with(with_registries).await;
    let b = spawn_on(a.database_url.clone(), a.same_ca(), with_registries).await;
    subscribe(&a, IIN_REGISTRY, &[EventKind::IinAssigned]).await;
    let people = persons(&a, 1).await;
    for n in 0..3 {
        append(
            &a.pool,
            &[event(people[0], None, EventKind::IinAssigned, n)],
        )
        .await;
    }
    let mut on_b = feed(&b, IIN_REGISTRY).await;
    let mut stream = watch(&mut on_b, "").await;
    let mut last = String::new();
    for _ in 0..3 {
        last = next_event(&mut stream).await.cursor;
    }
    // Stopping the replica ends its open streams, so the stop can finish.
    b.stop().await;
    let ended = tokio::time::timeout(Duration::from_secs(20), stream.message())
        .await
        .expect("the stream ends");
    match ended {
        Ok(None) => {}
        Err(status) => assert_eq!(status.code(), Code::Unavailable, "{status:?}"),
        Ok(Some(event)) => panic!("no more events were committed: {event:?}"),
    }
    for n in 3..5 {
        append(
            &a.pool,
            &[event(people[0], None, EventKind::IinAssigned, n)],
        )
        .await;
    }
    let mut on_a = feed(&a, IIN_REGISTRY).await;
    let mut stream = watch(&mut on_a, &last).await;
    assert_eq!(next_event(&mut stream).await.sequence, 4);
    assert_eq!(next_event(&mut stream).await.sequence, 5);
}

#[tokio::test]
async fn an_open_stream_follows_its_registry_narrowed_and_ends_when_it_is_suspended() {
    let app = spawn_app_with(with_registries).await;
    subscribe(&app, IIN_REGISTRY, &[EventKind::PermitGranted]).await;
    let people = persons(&app, 1).await;
    let permit_in = |region, n| event(people[0], Some(region), EventKind::PermitGranted, n);
    let mut registry = feed(&app, IIN_REGISTRY).await;
    let mut stream = watch(&mut registry, "").await;
    append(&app.pool, &[permit_in("KZ-71", 1)]).await;
    assert_eq!(next_event(&mut stream).await.region, "KZ-71");

    // Narrowed to Almaty, the open stream passes over Astana from its next page.
    let mut admin = admin(&app).await;
    let name = format!("organisations/{IIN_REGISTRY}");
    admin
        .update_organisation(pb::UpdateOrganisationRequest {
            request_id: request_id(),
            name: name.clone(),
            regions: vec!["KZ-75".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    append(&app.pool, &[permit_in("KZ-71", 2), permit_in("KZ-75", 3)]).await;
    let almaty = next_event(&mut stream).await;
    assert_eq!((almaty.sequence, almaty.region.as_str()), (3, "KZ-75"));

    // Suspended, it gets nothing more: the stream ends at its next page.
    admin
        .update_organisation(pb::UpdateOrganisationRequest {
            request_id: request_id(),
            name,
            state: Some(pb::organisation::State::Suspended as i32),
            ..Default::default()
        })
        .await
        .unwrap();
    append(&app.pool, &[permit_in("KZ-75", 4)]).await;
    let ended = tokio::time::timeout(Duration::from_secs(20), stream.message())
        .await
        .expect("the stream ends")
        .expect_err("with the refusal");
    assert_eq!(ended.code(), Code::PermissionDenied, "{ended:?}");
    assert_reason(&ended, "ORGANISATION_NOT_ACTIVE");
    let audited: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM audit_events
         WHERE client = $1 AND rpc = '/kandas.v1.PersonService/WatchRecordEvents'
           AND outcome = 'PermissionDenied'"#,
        format!("urn:kandas:registry:{IIN_REGISTRY}")
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1, "the refusal is audited");
}

/// A value of the metrics text, e.g. `kandas_record_feed_buffered_events`.
fn gauge(text: &str, name: &str) -> i64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
}

/// Pages of the stream audited so far: each page audits each of its persons once.
async fn pages_audited(pool: &PgPool, persons: usize) -> i64 {
    let audited: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM audit_events
         WHERE client = $1 AND rpc = '/kandas.v1.PersonService/WatchRecordEvents'
           AND subject LIKE 'persons/%'"#,
        format!("urn:kandas:registry:{IIN_REGISTRY}")
    )
    .fetch_one(pool)
    .await
    .unwrap();
    audited / persons as i64
}

/// A catch-up of 100,000 events from the beginning streams whole and in order, and a client
/// that stops reading holds the server to its bound: with the client's HTTP/2 windows at
/// 64 KiB the transport takes a few thousand events at most, so nearly all of them are still
/// waiting, yet the stream holds no more than a page and its channel, and reads no further.
#[tokio::test]
async fn a_catch_up_of_a_hundred_thousand_events_streams_whole_in_bounded_memory() {
    const EVENTS: usize = 100_000;
    const PER_ACT: usize = 1_000;
    const PERSONS: usize = 20;
    let app = spawn_app_with(|s| {
        with_registries(s);
        s.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    subscribe(&app, IIN_REGISTRY, &[EventKind::PermitGranted]).await;
    let people = persons(&app, PERSONS).await;
    for act in 0..EVENTS / PER_ACT {
        let events: Vec<NewEvent> = (0..PER_ACT)
            .map(|i| {
                let n = act * PER_ACT + i;
                event(
                    people[n % PERSONS],
                    Some("KZ-75"),
                    EventKind::PermitGranted,
                    n,
                )
            })
            .collect();
        append(&app.pool, &events).await;
    }

    let channel = app
        .channel_with_window("registry", IIN_REGISTRY, 64 * 1024)
        .await;
    let mut registry = PersonClient::new(channel);
    let mut stream = watch(&mut registry, "").await;
    let first = next_event(&mut stream).await;
    assert_eq!(first.sequence, 1);

    // The client reads nothing more. Once the server has filled what it may hold, it reads no
    // further page: the pages audited stop growing while its channel stays full.
    let bound = kandas::service::record_feed::MOST_BUFFERED_PER_STREAM as i64;
    let full = kandas::service::record_feed::WATCH_CHANNEL as i64;
    let mut stalled = None;
    let mut pages = -1;
    for _ in 0..600 {
        let text = metrics_text(&app).await;
        let buffered = gauge(&text, "kandas_record_feed_buffered_events");
        assert!(
            buffered <= bound,
            "a stream holds {buffered} events, more than its bound of {bound}"
        );
        let now = pages_audited(&app.pool, PERSONS).await;
        if buffered >= full && now == pages {
            stalled = Some(buffered);
            break;
        }
        pages = now;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let buffered = stalled.expect("the stream waits for its client");
    assert!(buffered <= bound);
    assert_eq!(
        gauge(&metrics_text(&app).await, "kandas_record_feed_streams"),
        1
    );
    let read = pages * 500;
    assert!(
        read < EVENTS as i64 / 10,
        "the server read {read} events ahead of a client that took one"
    );

    // Read on: every event, once, in order.
    let mut expected = 2;
    while expected <= EVENTS as i64 {
        let event = next_event(&mut stream).await;
        assert_eq!(event.sequence, expected);
        expected += 1;
    }
    drop(stream);
    for _ in 0..600 {
        let text = metrics_text(&app).await;
        if gauge(&text, "kandas_record_feed_streams") == 0 {
            assert_eq!(gauge(&text, "kandas_record_feed_buffered_events"), 0);
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the stream was never closed on the server");
}

/// Registers a person and assigns an IIN through `app`'s gRPC: one `iin_assigned` event.
async fn assign_iin(app: &TestApp, n: usize) -> String {
    let mut persons = app.persons("psc").await;
    let applicant = register(&mut persons, person(&numbered("Replicant", n))).await;
    let mut applications = app.applications("psc").await;
    let submitted = applications
        .submit_application(iin_submission(&applicant.name, vec![passport()]))
        .await
        .expect("submitted")
        .into_inner();
    applications
        .decide_application(approve(&submitted.name, &submitted.etag))
        .await
        .expect("approved");
    applicant.name
}

/// Real acts, not appended events: IINs assigned through both replicas' gRPC, concurrently,
/// reach a subscriber following one replica exactly once each and in commit order.
#[tokio::test]
async fn iins_assigned_through_two_replicas_reach_the_iin_registry_once_each_in_commit_order() {
    let a = spawn_app_with(with_registries).await;
    let b = spawn_on(a.database_url.clone(), a.same_ca(), with_registries).await;
    subscribe(&a, IIN_REGISTRY, &[EventKind::IinAssigned]).await;
    let mut stream = watch(&mut feed(&b, IIN_REGISTRY).await, "").await;

    const ACTS: usize = 6;
    let acts = (0..ACTS).map(|n| assign_iin(if n % 2 == 0 { &a } else { &b }, n));
    let mut assigned = futures_util::future::join_all(acts).await;

    let mut received = Vec::new();
    while received.len() < ACTS {
        received.push(next_event(&mut stream).await);
    }
    let stored = stored_positions(&a.pool, &[EventKind::IinAssigned]).await;
    assert_eq!(sequences(&received), stored, "once each, in commit order");
    let mut persons: Vec<String> = received.iter().map(|e| e.person.clone()).collect();
    persons.sort();
    assigned.sort();
    assert_eq!(persons, assigned, "one event per IIN assigned");
    assert!(received.iter().all(|e| e.kind == Kind::IinAssigned as i32));
    assert!(received.iter().all(|e| e.iin.len() == 12), "{received:?}");
}

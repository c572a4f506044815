//! The record event feed: how fast a registry catches up over N stored events, and how soon an
//! event reaches a watching registry after its act commits.

use kandas::domain::record_event::{EventKind, Facts, NewEvent, Subject};
use kandas::pb;
use sqlx::PgPool;
use std::time::{Duration, Instant};
use tonic::transport::Channel;
use uuid::Uuid;

use crate::data::new_persons;
use crate::load::Measured;
use crate::target::Target;

/// Events one bulk act appends while filling the feed.
const PER_ACT: usize = 1_000;
/// Persons the events are about: each page of the stream audits each of its persons once.
const PERSONS: usize = 100;

/// What the feed scenarios measured.
pub(crate) struct FeedRun {
    /// Events streamed from the cursor before them to the last; latencies are the gaps
    /// between consecutive events, so rps is events per second.
    pub(crate) catch_up: Measured,
    /// One act at a time: from its commit returning to the subscriber receiving its event.
    pub(crate) live: Measured,
}

fn permit(person: Uuid, n: usize) -> NewEvent {
    let on = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).expect("a date");
    NewEvent {
        resource: format!("persons/{person}/permits/B-{n}"),
        subject: Subject::Person {
            id: person,
            region: kandas::domain::regions::Region::parse("KZ-75"),
        },
        facts: Facts::PermitGranted {
            iin: "871008401427".into(),
            number: format!("B-{n}"),
            granted_on: on,
        },
    }
}

/// Commits one act's events and returns when the commit has.
async fn append(db: &PgPool, events: &[NewEvent]) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    kandas::store::record_events::append(&mut tx, events).await?;
    tx.commit().await?;
    Ok(())
}

fn measured(name: &str, elapsed: Duration, mut latencies: Vec<Duration>) -> Measured {
    latencies.sort();
    Measured {
        name: name.to_string(),
        concurrency: 1,
        elapsed,
        latencies,
        refused: Vec::new(),
        errors: 0,
        first_error: None,
        cost: Default::default(),
    }
}

/// Subscribes the bench's registry to permits, stores `catch_up` permit events in acts of a
/// thousand, streams them from the position before them, then commits `live` acts of one
/// event each and times each from its commit to its arrival on the same stream.
pub(crate) async fn run_feed(
    target: &Target,
    catch_up: usize,
    live: usize,
) -> anyhow::Result<FeedRun> {
    println!("scenario feed: {catch_up} events to catch up on, then {live} live acts");
    let db = &target.db;
    let admin = target.channel("admin").await?;
    pb::admin_service_client::AdminServiceClient::new(admin)
        .set_record_subscription(pb::SetRecordSubscriptionRequest {
            request_id: Uuid::new_v4().to_string(),
            organisation: format!("organisations/{}", target.registry),
            kinds: vec![kandas::api::convert::event_kind_to_proto(EventKind::PermitGranted) as i32],
        })
        .await?;
    let persons = new_persons(db, PERSONS).await?;
    let start = kandas::store::record_events::head(db).await?;
    let filling = Instant::now();
    for act in 0..catch_up.div_ceil(PER_ACT) {
        let events: Vec<NewEvent> = (act * PER_ACT..((act + 1) * PER_ACT).min(catch_up))
            .map(|n| permit(persons[n % PERSONS], n))
            .collect();
        append(db, &events).await?;
    }
    // A table filled a moment ago has no statistics yet, and without them a page's query
    // reads every event of its kind after the cursor before sorting out the first 500; on a
    // long-running database autovacuum has analyzed it, as here.
    sqlx::query!("ANALYZE record_events").execute(db).await?;
    println!(
        "  stored {catch_up} events in {:.1} s (not measured)",
        filling.elapsed().as_secs_f64()
    );

    let channel: Channel = target.channel("registry").await?;
    let watching = target.watch.open().await?;
    let mut registry = pb::person_service_client::PersonServiceClient::new(channel);
    let opened = Instant::now();
    let mut stream = registry
        .watch_record_events(pb::WatchRecordEventsRequest {
            cursor: if start == 0 {
                String::new()
            } else {
                kandas::api::encode_cursor(start)
            },
        })
        .await?
        .into_inner();
    let mut gaps = Vec::with_capacity(catch_up);
    let mut last = Instant::now();
    for _ in 0..catch_up {
        anyhow::ensure!(stream.message().await?.is_some(), "the feed ended early");
        let now = Instant::now();
        gaps.push(now - last);
        last = now;
    }
    let mut catch_up = measured("feed_catch_up", opened.elapsed(), gaps);
    catch_up.cost = target.watch.close(watching).await?;
    println!(
        "  feed_catch_up: {} events in {:.1} s, {:.0} events/s",
        catch_up.latencies.len(),
        catch_up.elapsed.as_secs_f64(),
        catch_up.rps()
    );

    let mut delays = Vec::with_capacity(live);
    let watching = target.watch.open().await?;
    let started = Instant::now();
    for n in 0..live {
        append(db, &[permit(persons[n % PERSONS], n)]).await?;
        let committed = Instant::now();
        anyhow::ensure!(stream.message().await?.is_some(), "the feed ended early");
        delays.push(committed.elapsed());
    }
    let mut live = measured("feed_live", started.elapsed(), delays);
    live.cost = target.watch.close(watching).await?;
    println!(
        "  feed_live: {} acts, commit to subscriber p50 {:.2} ms, p99 {:.2} ms",
        live.latencies.len(),
        live.percentile(0.50),
        live.percentile(0.99)
    );
    Ok(FeedRun { catch_up, live })
}

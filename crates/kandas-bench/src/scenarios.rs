//! Scenarios: the calls under test.

use chrono::Datelike;
use kandas::pb;
use sqlx::PgPool;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};
use tonic::Code;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::QUOTA_REGION;
use crate::data::iin_submission;
use crate::load::{Answer, Measured, drive, pick, take};
use crate::prepare::{eligible_quota_application, prepare};
use crate::target::{ApplicationClient, Target};

pub(crate) async fn run_submit(
    target: &Target,
    fresh: &[Uuid],
    channels: &[Channel],
    duration: Duration,
) -> anyhow::Result<Measured> {
    println!("scenario submit (SubmitApplication, IIN assignment, each for a new person)");
    let applicants: Vec<String> = fresh.iter().map(|id| format!("persons/{id}")).collect();
    let clients: Vec<ApplicationClient> = channels
        .iter()
        .cloned()
        .map(ApplicationClient::new)
        .collect();
    let next = Arc::new(AtomicUsize::new(0));
    let m = drive(&target.watch, "submit", clients.len(), duration, move |w| {
        let mut client = clients[w].clone();
        let applicant = take(&applicants, &next);
        async move {
            let request = iin_submission(&applicant?);
            Some(
                client
                    .submit_application(request)
                    .await
                    .map(|_| Answer::Done),
            )
        }
    })
    .await?;
    Ok(m)
}

/// Resource names of every stored application (`applications/…`) or applicant (`persons/…`).
///
/// This reads the whole table, a sequential scan by design, so its statistics are published
/// before the scenario opens: left to itself, a backend publishes up to ten seconds after
/// falling idle, and the scan was counted against the scenario that followed (the
/// `applications` scan of 20,310 rows once found "in get_application").
pub(crate) async fn stored(db: &PgPool, persons: bool) -> anyhow::Result<Arc<Vec<String>>> {
    let mut connection = db.acquire().await?;
    let names = if persons {
        sqlx::query_scalar!(r#"SELECT 'persons/' || applicant_id AS "name!" FROM applications"#)
            .fetch_all(&mut *connection)
            .await?
    } else {
        sqlx::query_scalar!(r#"SELECT 'applications/' || id AS "name!" FROM applications"#)
            .fetch_all(&mut *connection)
            .await?
    };
    crate::cost::publish(&mut connection).await?;
    Ok(Arc::new(names))
}

/// GetApplication of random stored applications.
pub(crate) async fn run_get(
    target: &Target,
    psc: &[Channel],
    duration: Duration,
    name: &str,
) -> anyhow::Result<Measured> {
    let applications = stored(&target.db, false).await?;
    println!("scenario {name} ({} stored)", applications.len());
    let clients: Vec<ApplicationClient> = psc.iter().cloned().map(ApplicationClient::new).collect();
    drive(&target.watch, name, clients.len(), duration, move |w| {
        let mut client = clients[w].clone();
        let name = applications[pick(applications.len())].clone();
        async move {
            Some(
                client
                    .get_application(pb::GetApplicationRequest { name })
                    .await
                    .map(|_| Answer::Done),
            )
        }
    })
    .await
}

/// [`run_get`] in JSON over HTTP (the Connect protocol's unary form) on the same channels, so
/// the two differ only by the translation: what the JSON path costs beyond gRPC.
pub(crate) async fn run_get_json(
    target: &Target,
    psc: &[Channel],
    duration: Duration,
) -> anyhow::Result<Measured> {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let applications = stored(&target.db, false).await?;
    let name = "get_application_json";
    println!(
        "scenario {name} ({} stored, Connect JSON)",
        applications.len()
    );
    let uri: http::Uri = format!(
        "https://{}/kandas.v1.ApplicationService/GetApplication",
        target.addr
    )
    .parse()?;
    let channels = psc.to_vec();
    drive(&target.watch, name, channels.len(), duration, move |w| {
        let channel = channels[w].clone();
        let body = serde_json::json!({ "name": applications[pick(applications.len())] });
        let request = http::Request::post(uri.clone())
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(tonic::body::Body::new(http_body_util::Full::new(
                bytes::Bytes::from(body.to_string()),
            )))
            .expect("a well-formed request");
        async move {
            let answer = async {
                let response = channel
                    .oneshot(request)
                    .await
                    .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
                let status = response.status();
                let body = response.into_body().collect().await?.to_bytes();
                if status.is_success() {
                    Ok(Answer::Done)
                } else {
                    Err(tonic::Status::unknown(format!(
                        "HTTP {status}: {}",
                        String::from_utf8_lossy(&body)
                    )))
                }
            };
            Some(answer.await)
        }
    })
    .await
}

/// CheckPrerequisites (permanent residence permit) of random applicants of stored rows.
pub(crate) async fn run_check(
    target: &Target,
    c: usize,
    duration: Duration,
    name: &str,
) -> anyhow::Result<Measured> {
    let applicants = stored(&target.db, true).await?;
    println!("scenario {name} (permanent residence permit, random applicants)");
    let clients: Vec<_> = target
        .channels("police", c)
        .await?
        .into_iter()
        .map(pb::prerequisite_service_client::PrerequisiteServiceClient::new)
        .collect();
    drive(&target.watch, name, c, duration, move |w| {
        let mut client = clients[w].clone();
        let person = applicants[pick(applicants.len())].clone();
        async move {
            let request = pb::CheckPrerequisitesRequest {
                person,
                procedure: pb::Procedure::PermanentResidencePermit as i32,
                as_of: None,
                ..Default::default()
            };
            Some(
                client
                    .check_prerequisites(request)
                    .await
                    .map(|_| Answer::Done),
            )
        }
    })
    .await
}

/// Contended quota approvals: families made eligible through the API beforehand (the path of
/// crates/kandas-testkit/src/lib.rs `eligible_family`, families of one), all applying to one region's
/// quota, then approved by C commission clients at once, each application once. The quota is
/// first raised to hold them all; a QUOTA_EXHAUSTED would still be an answer, not an error.
pub(crate) async fn run_quota(
    target: &Target,
    c: usize,
    duration: Duration,
    families: usize,
) -> anyhow::Result<Measured> {
    let year = kandas::state::Clock::system().today().year();
    println!(
        "scenario quota_decide: preparing up to {families} eligible families for {QUOTA_REGION}/{year}"
    );
    let started = Instant::now();
    let prepared = Arc::new(
        prepare(target, c, families, move |offices| {
            eligible_quota_application(offices, year)
        })
        .await?,
    );
    // Places for every family prepared, so each run decides the same work whatever earlier
    // runs took: approvals that contend for one quota row, not refusals for want of places.
    let channel = target.channel("admin").await?;
    let quota = pb::quota_service_client::QuotaServiceClient::new(channel.clone())
        .get_quota(pb::GetQuotaRequest {
            region: QUOTA_REGION.into(),
            year,
        })
        .await?
        .into_inner();
    pb::admin_service_client::AdminServiceClient::new(channel)
        .set_quota(pb::SetQuotaRequest {
            request_id: Uuid::new_v4().to_string(),
            region: QUOTA_REGION.into(),
            year,
            places: quota.taken + prepared.len() as i32,
        })
        .await?;
    // A long-running database has current statistics (autovacuum); this one just grew.
    sqlx::query!("ANALYZE").execute(&target.db).await?;
    println!(
        "  prepared {} in {:.1} s (10 RPCs each, not measured)",
        prepared.len(),
        started.elapsed().as_secs_f64()
    );

    let clients = target.application_clients("commission", c).await?;
    let next = Arc::new(AtomicUsize::new(0));
    let m = drive(&target.watch, "quota_decide", c, duration, move |w| {
        let mut client = clients[w].clone();
        let application = take(&prepared, &next);
        async move {
            let (name, etag) = application?;
            let request = pb::DecideApplicationRequest {
                request_id: Uuid::new_v4().to_string(),
                name,
                etag,
                decision: Some(pb::decide_application_request::Decision::Approve(
                    pb::Approval {
                        rent_mci: 20,
                        housing_cost_tenge: 0,
                    },
                )),
            };
            Some(match client.decide_application(request).await {
                Ok(_) => Ok(Answer::Done),
                Err(s) if s.code() == Code::ResourceExhausted => Ok(Answer::Refused),
                Err(s) => Err(s),
            })
        }
    })
    .await?;
    // Refusals for lack of places are answers too: count them with the approvals.
    Ok(merge_refused(m))
}

fn merge_refused(mut m: Measured) -> Measured {
    if !m.refused.is_empty() {
        println!("  of which {} were QUOTA_EXHAUSTED", m.refused.len());
    }
    m.latencies.append(&mut m.refused);
    m.latencies.sort();
    m
}

/// get_application at 10× the concurrency with no think time: far past what the service
/// sustains. Returns the served calls and, apart, the shed ones (RESOURCE_EXHAUSTED or
/// UNAVAILABLE) with their own latency.
pub(crate) async fn run_overload(
    target: &Target,
    psc: &[Channel],
    workers: usize,
    duration: Duration,
) -> anyhow::Result<(Measured, Measured)> {
    println!(
        "scenario overload (get_application, {workers} clients on {} connections, no think time)",
        psc.len()
    );
    // The clients share the scenario's connections: a client certificate may hold only so
    // many (DEFAULT_MAX_CONNECTIONS_PER_CLIENT), and HTTP/2 carries many calls on each.
    let names = stored(&target.db, false).await?;
    let clients: Vec<ApplicationClient> = psc.iter().cloned().map(ApplicationClient::new).collect();
    let mut served =
        reads_under_load(target, "overload", clients, workers, names, duration).await?;
    // The window's CPU stays with the served row: it is what all the calls, shed or not, cost.
    let shed = Measured {
        name: "overload_shed".into(),
        concurrency: workers,
        elapsed: served.elapsed,
        latencies: std::mem::take(&mut served.refused),
        refused: Vec::new(),
        errors: 0,
        first_error: None,
        cost: Default::default(),
    };
    Ok((served, shed))
}

/// GetApplication of random stored `names` by `workers` callers sharing `clients` round the
/// clock, no think time; calls shed under overload (RESOURCE_EXHAUSTED, UNAVAILABLE) are
/// answers counted apart, as `refused`.
pub(crate) async fn reads_under_load(
    target: &Target,
    name: &str,
    clients: Vec<ApplicationClient>,
    workers: usize,
    names: Arc<Vec<String>>,
    duration: Duration,
) -> anyhow::Result<Measured> {
    drive(&target.watch, name, workers, duration, move |w| {
        let mut client = clients[w % clients.len()].clone();
        let name = names[pick(names.len())].clone();
        async move {
            Some(
                match client
                    .get_application(pb::GetApplicationRequest { name })
                    .await
                {
                    Ok(_) => Ok(Answer::Done),
                    Err(s) if matches!(s.code(), Code::ResourceExhausted | Code::Unavailable) => {
                        Ok(Answer::Refused)
                    }
                    Err(s) => Err(s),
                },
            )
        }
    })
    .await
}

//! The Prometheus endpoint (plain HTTP, `GET /metrics`) shows calls by method and code, their
//! durations, the pool and the quotas; past `max_concurrent_requests` calls are refused
//! RESOURCE_EXHAUSTED (SERVER_OVERLOADED) at once instead of queueing, while health answers.

use crate::helpers::*;
use kandas::local::pki::{CertificateAuthority, Validity};
use kandas::pb;
use kandas::server::startup::Application;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::Code;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

type QuotaClient = pb::quota_service_client::QuotaServiceClient<Channel>;

/// A server with its metrics endpoint on a free port. (The common `TestApp` does not keep the
/// `Application`, so it cannot tell where metrics are served.)
struct MetricsApp {
    addr: SocketAddr,
    metrics: SocketAddr,
    ca: CertificateAuthority,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
}

impl MetricsApp {
    async fn spawn() -> MetricsApp {
        let database_url = migrated_database().await;
        let ca = CertificateAuthority::generate("kandas test CA").unwrap();
        // The service's own limits, not the raised ones of `TestApp`: shedding is the point.
        let mut settings = server_settings(&database_url, &ca);
        settings.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
        settings.seed_organisations = test_organisations();
        let app = Application::build(settings)
            .await
            .expect("build the server");
        let addr = app.local_addr();
        let metrics = app.metrics_addr().expect("metrics are served");
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        MetricsApp {
            addr,
            metrics,
            ca,
            stop: Some(stop),
            server: Some(server),
        }
    }

    async fn channel(&self, role: &str) -> Channel {
        let uri = format!("urn:kandas:{role}:test-{role}");
        let id = self
            .ca
            .issue_client(role, Some(&uri), Validity::Days(1))
            .unwrap();
        let tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(self.ca.cert_pem()))
            .domain_name("localhost")
            .identity(Identity::from_pem(id.cert_pem, id.key_pem));
        Channel::from_shared(format!("https://{}", self.addr))
            .unwrap()
            .tls_config(tls)
            .unwrap()
            .connect()
            .await
            .expect("connect")
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.server
            .take()
            .unwrap()
            .await
            .expect("server task")
            .expect("server stopped cleanly");
    }
}

impl Drop for MetricsApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn scrape(addr: SocketAddr) -> String {
    let (status, head, body) =
        http_raw(addr, b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(
        head.contains("Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8"),
        "{head}"
    );
    assert!(
        head.contains(&format!("Content-Length: {}", body.len())),
        "{head}"
    );
    body
}

fn has_line(text: &str, line: &str) {
    assert!(
        text.lines().any(|l| l == line),
        "missing `{line}` in:\n{text}"
    );
}

fn has_line_starting(text: &str, prefix: &str) {
    assert!(
        text.lines().any(|l| l.starts_with(prefix)),
        "no line starting `{prefix}` in:\n{text}"
    );
}

async fn health(channel: Channel) -> i32 {
    HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .map(|r| r.into_inner().status)
        .unwrap_or(-1)
}

/// Health as soon as the first database probe has reported.
async fn assert_serving(channel: &Channel) {
    for _ in 0..300 {
        if health(channel.clone()).await == ServingStatus::Serving as i32 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("health never answered SERVING");
}

fn assert_overloaded(status: &tonic::Status) {
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_reason(status, "SERVER_OVERLOADED");
}

#[tokio::test]
async fn metrics_show_calls_by_method_and_code_durations_pool_and_quotas() {
    let app = MetricsApp::spawn().await;
    let channel = app.channel("psc").await;
    let mut persons = pb::person_service_client::PersonServiceClient::new(channel.clone());

    persons
        .validate_iin(pb::ValidateIinRequest {
            iin: "871008401427".into(),
            ..Default::default()
        })
        .await
        .expect("a well-formed IIN is OK");
    let invalid = persons
        .validate_iin(pb::ValidateIinRequest {
            iin: "12ab".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(invalid.code(), Code::InvalidArgument);
    let denied = pb::audit_service_client::AuditServiceClient::new(channel.clone())
        .list_audit_events(pb::ListAuditEventsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    // The refusal above and a read of a person who is not there: each audited, one after
    // the other, through the group writer.
    let missing = persons
        .get_person(pb::GetPersonRequest {
            name: format!("persons/{}", uuid::Uuid::now_v7()),
            iin: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    // A call whose status comes in trailers after a database read.
    QuotaClient::new(channel.clone())
        .list_quotas(pb::ListQuotasRequest::default())
        .await
        .expect("quotas listed");

    let text = scrape(app.metrics).await;
    let validate = "kandas.v1.PersonService/ValidateIin";
    // OpenMetrics names a counter family without `_total`; its samples carry it.
    has_line(&text, "# TYPE kandas_rpc_requests counter");
    has_line(
        &text,
        &format!("kandas_rpc_requests_total{{method=\"{validate}\",code=\"OK\"}} 1"),
    );
    has_line(
        &text,
        &format!("kandas_rpc_requests_total{{method=\"{validate}\",code=\"INVALID_ARGUMENT\"}} 1"),
    );
    has_line(
        &text,
        "kandas_rpc_requests_total{method=\"kandas.v1.AuditService/ListAuditEvents\",code=\"PERMISSION_DENIED\"} 1",
    );
    has_line(
        &text,
        "kandas_rpc_requests_total{method=\"kandas.v1.QuotaService/ListQuotas\",code=\"OK\"} 1",
    );

    has_line(&text, "# TYPE kandas_rpc_duration_seconds histogram");
    has_line_starting(
        &text,
        &format!("kandas_rpc_duration_seconds_bucket{{le=\"0.001\",method=\"{validate}\"}} "),
    );
    has_line(
        &text,
        &format!("kandas_rpc_duration_seconds_bucket{{le=\"10.0\",method=\"{validate}\"}} 2"),
    );
    has_line(
        &text,
        &format!("kandas_rpc_duration_seconds_bucket{{le=\"+Inf\",method=\"{validate}\"}} 2"),
    );
    has_line_starting(
        &text,
        &format!("kandas_rpc_duration_seconds_sum{{method=\"{validate}\"}} "),
    );
    has_line(
        &text,
        &format!("kandas_rpc_duration_seconds_count{{method=\"{validate}\"}} 2"),
    );

    has_line(&text, "# TYPE kandas_db_pool_connections gauge");
    has_line_starting(&text, "kandas_db_pool_connections{state=\"idle\"} ");
    has_line_starting(&text, "kandas_db_pool_connections{state=\"used\"} ");
    has_line(&text, "kandas_db_pool_max 10");
    has_line(&text, "# TYPE kandas_audit_commits counter");
    has_line(&text, "kandas_audit_commits_total 2");
    has_line(&text, "kandas_audit_events_total 2");
    has_line(&text, "kandas_audit_failed_commits_total 0");
    has_line(&text, "# TYPE kandas_retention_erased_applications gauge");
    has_line(&text, "kandas_retention_erased_applications 0");
    has_line(
        &text,
        &format!(
            "kandas_rpc_concurrency_limit {}",
            kandas::config::DEFAULT_MAX_CONCURRENT_REQUESTS
        ),
    );

    has_line(&text, "# TYPE kandas_quota_places_remaining gauge");
    has_line(
        &text,
        "kandas_quota_places_remaining{region=\"KZ-55\",year=\"2025\"} 1056",
    );

    // Every sample is `name{labels} number`, every family has HELP and TYPE, and the
    // exposition ends as OpenMetrics requires.
    assert!(text.ends_with("\n# EOF\n"), "no EOF marker");
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').expect("name and value");
        value
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("not a number in `{line}`"));
        let name = series.split('{').next().unwrap();
        let family = [
            ("_bucket", "histogram"),
            ("_sum", "histogram"),
            ("_count", "histogram"),
            ("_total", "counter"),
        ]
        .iter()
        .find_map(|(suffix, kind)| {
            name.strip_suffix(suffix)
                .filter(|base| text.contains(&format!("# TYPE {base} {kind}")))
        })
        .unwrap_or(name);
        assert!(
            text.contains(&format!("# HELP {family} ")),
            "{family} has no HELP"
        );
        assert!(
            text.contains(&format!("# TYPE {family} ")),
            "{family} has no TYPE"
        );
    }

    // Only GET /metrics; anything else is answered, never hangs or crashes the endpoint.
    let (status, _, _) = http_raw(app.metrics, b"GET / HTTP/1.1\r\n\r\n").await;
    assert_eq!(status, "HTTP/1.1 404 Not Found");
    let (status, _, _) = http_raw(app.metrics, b"POST /metrics HTTP/1.1\r\n\r\n").await;
    assert_eq!(status, "HTTP/1.1 405 Method Not Allowed");
    let (status, _, _) = http_raw(app.metrics, b"\x16\x03\x01garbage\r\n\r\n").await;
    assert_eq!(status, "HTTP/1.1 400 Bad Request");
    let (status, _, _) = http_raw(app.metrics, &[b'A'; 20_000]).await;
    assert_eq!(status, "HTTP/1.1 431 Request Header Fields Too Large");
    scrape(app.metrics).await;

    // The endpoint stops with the server.
    let metrics = app.metrics;
    app.stop().await;
    assert!(
        TcpStream::connect(metrics).await.is_err(),
        "metrics still served after shutdown"
    );
}

#[tokio::test]
async fn open_watch_streams_hold_places_and_extra_calls_are_refused_while_health_answers() {
    let app = spawn_app_with(|s| s.max_concurrent_requests = 2).await;
    let commission = app.channel("commission").await;
    let psc = app.channel("psc").await;
    assert_serving(&psc).await;

    // Two open feeds hold both places.
    let mut quota = QuotaClient::new(commission.clone());
    let first = quota
        .watch_quota_decisions(pb::WatchQuotaDecisionsRequest::default())
        .await
        .expect("first feed opens");
    let second = quota
        .watch_quota_decisions(pb::WatchQuotaDecisionsRequest::default())
        .await
        .expect("second feed opens");

    let mut persons = pb::person_service_client::PersonServiceClient::new(psc.clone());
    let refused = persons
        .validate_iin(pb::ValidateIinRequest {
            iin: "871008401427".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_overloaded(&refused);
    let refused = quota
        .watch_quota_decisions(pb::WatchQuotaDecisionsRequest::default())
        .await
        .unwrap_err();
    assert_overloaded(&refused);
    // Health is never shed.
    assert_eq!(health(psc.clone()).await, ServingStatus::Serving as i32);
    // Authorization still comes first: a role that may not call is denied, not told "busy".
    let denied = pb::audit_service_client::AuditServiceClient::new(psc.clone())
        .list_audit_events(pb::ListAuditEventsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);

    // Closing the feeds gives the places back.
    drop(first);
    drop(second);
    let mut admitted = false;
    for _ in 0..200 {
        match persons
            .validate_iin(pb::ValidateIinRequest {
                iin: "871008401427".into(),
                ..Default::default()
            })
            .await
        {
            Ok(_) => {
                admitted = true;
                break;
            }
            Err(status) => {
                assert_overloaded(&status);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    assert!(admitted, "places were not given back when the feeds closed");
    app.stop().await;
}

#[tokio::test]
async fn a_burst_past_the_limit_is_refused_at_once_not_queued() {
    let app = spawn_app_with(|s| s.max_concurrent_requests = 2).await;
    let channel = app.channel("psc").await;
    assert_serving(&channel).await;

    // Make every ListQuotas slow: it waits on this lock until the test lets go.
    let mut lock = app.pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE quotas IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();

    const CALLS: usize = 24;
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..CALLS {
        let mut client = QuotaClient::new(channel.clone());
        calls.spawn(async move {
            client
                .list_quotas(pb::ListQuotasRequest::default())
                .await
                .map(|r| r.into_inner().quotas.len())
        });
    }

    // Two calls hold the places, blocked on the lock; every other call must come back while
    // the lock is still held, so it was refused, not queued. (The timeout only turns a hang
    // into a failure.)
    let refusals = tokio::time::timeout(Duration::from_secs(60), async {
        let mut refusals = 0;
        while refusals < CALLS - 2 {
            match calls.join_next().await.expect("a call").expect("call task") {
                Err(status) => {
                    assert_overloaded(&status);
                    refusals += 1;
                }
                Ok(_) => panic!("a call was served while the quotas table was locked"),
            }
        }
        refusals
    })
    .await
    .expect("refused calls returned while two calls held the places");
    assert_eq!(refusals, CALLS - 2);
    // Saturated, the server still answers health.
    assert_eq!(health(channel.clone()).await, ServingStatus::Serving as i32);

    lock.rollback().await.unwrap();
    while let Some(result) = calls.join_next().await {
        let quotas = result
            .expect("call task")
            .expect("an admitted call is served");
        assert!(quotas > 0);
    }
    app.stop().await;
}

#[tokio::test]
async fn a_taken_default_metrics_address_does_not_stop_the_server() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let app = spawn_app_with(|s| {
        s.metrics_listen = Some(addr);
        s.metrics_required = false;
    })
    .await;
    assert_serving(&app.channel("psc").await).await;
    app.stop().await;
    drop(taken);
}

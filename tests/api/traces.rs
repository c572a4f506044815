//! Traces reach an OpenTelemetry collector: the real binary, with `KANDAS_OTLP_ENDPOINT` set,
//! exports over OTLP/gRPC to a small collector in the test (the OTLP trace service, from the
//! protocol's own definitions), continuing the trace a caller's `traceparent` names.

use crate::helpers::*;
use kandas::pb;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::Span;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};

/// What the collector received: each span with its resource's `service.name`.
#[derive(Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<(String, Span)>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut received = self.spans.lock().unwrap();
        for resource in request.into_inner().resource_spans {
            let service = resource
                .resource
                .iter()
                .flat_map(|r| &r.attributes)
                .find(|a| a.key == "service.name")
                .map(|a| text(&a.value))
                .unwrap_or_default();
            for scope in resource.scope_spans {
                received.extend(scope.spans.into_iter().map(|s| (service.clone(), s)));
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

impl Collector {
    /// Serves OTLP/gRPC on a free port; answers the endpoint to give the service.
    async fn start() -> (Collector, String) {
        let collector = Collector::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let service = TraceServiceServer::new(collector.clone());
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
        );
        (collector, endpoint)
    }

    fn spans(&self) -> Vec<(String, Span)> {
        self.spans.lock().unwrap().clone()
    }
}

fn text(value: &Option<AnyValue>) -> String {
    match value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

fn attribute(span: &Span, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|a: &&KeyValue| a.key == key)
        .map(|a| text(&a.value))
}

#[tokio::test]
async fn a_call_is_traced_to_the_collector_as_a_child_of_the_callers_trace() {
    let (collector, endpoint) = Collector::start().await;
    let dir = tempfile::tempdir().unwrap();
    let stdout_path = dir.path().join("stdout.log");
    let mut child = serve_binary(dir.path())
        .await
        .env("KANDAS_OTLP_ENDPOINT", &endpoint)
        // The SDK's batch delay, short so the test need not wait five seconds.
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the kandas binary");
    let banner = || std::fs::read_to_string(&stdout_path).unwrap_or_default();
    wait_until(Duration::from_secs(60), "the binary's banner", || async {
        banner().contains("audit heads signed")
    })
    .await;
    let printed = banner();
    let addr = printed
        .lines()
        .find_map(|line| {
            line.split(" on ")
                .nth(1)
                .filter(|_| line.contains("serving"))
        })
        .unwrap_or_else(|| panic!("no address in {printed}"))
        .trim()
        .to_string();
    let port = addr.rsplit(':').next().unwrap();

    let certs = dir.path().join(".kandas/certs");
    let read = |file: &str| std::fs::read(certs.join(file)).unwrap();
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(read("ca.pem")))
        .identity(Identity::from_pem(read("psc.pem"), read("psc.key")))
        .domain_name("localhost");
    let channel = Endpoint::from_shared(format!("https://localhost:{port}"))
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect()
        .await
        .expect("connect to the binary");
    let mut persons = pb::person_service_client::PersonServiceClient::new(channel);

    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let mut holder = person("Zhaksylykova");
    holder.given_name = "Gulnara".into();
    let mut request = tonic::Request::new(pb::RegisterPersonRequest {
        request_id: request_id(),
        person: Some(holder),
        ..Default::default()
    });
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{trace_id}-{caller_span}-01").parse().unwrap(),
    );
    let registered = persons
        .register_person(request)
        .await
        .expect("the binary registers the person")
        .into_inner();

    let call_name = "kandas.v1.PersonService/RegisterPerson";
    wait_until(
        Duration::from_secs(30),
        "the call's span at the collector",
        || {
            let collector = collector.clone();
            async move {
                collector
                    .spans()
                    .iter()
                    .any(|(_, span)| span.name == call_name)
            }
        },
    )
    .await;
    let spans = collector.spans();
    let (service, call) = spans
        .iter()
        .find(|(_, span)| span.name == call_name)
        .unwrap();
    assert_eq!(service, "kandas");
    assert_eq!(hex::encode(&call.trace_id), trace_id, "the caller's trace");
    assert_eq!(hex::encode(&call.parent_span_id), caller_span);
    assert_eq!(attribute(call, "rpc.system").as_deref(), Some("grpc"));
    assert_eq!(
        attribute(call, "rpc.service").as_deref(),
        Some("kandas.v1.PersonService")
    );
    assert_eq!(
        attribute(call, "rpc.method").as_deref(),
        Some("RegisterPerson")
    );
    assert_eq!(
        attribute(call, "rpc.grpc.status_code").as_deref(),
        Some("0")
    );
    assert_eq!(attribute(call, "kandas.role").as_deref(), Some("psc"));
    assert_eq!(
        attribute(call, "kandas.organisation").as_deref(),
        Some("dev-psc")
    );

    // The database work is the call's children, in the same trace.
    let children: Vec<&Span> = spans
        .iter()
        .map(|(_, span)| span)
        .filter(|span| span.parent_span_id == call.span_id)
        .collect();
    assert!(
        children
            .iter()
            .any(|span| span.name == "store.persons.insert"),
        "{:?}",
        children.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    assert!(children.iter().all(|span| span.trace_id == call.trace_id));
    assert!(
        children
            .iter()
            .all(|span| attribute(span, "db.system.name").as_deref() == Some("postgresql"))
    );

    // Nothing personal leaves the process: no name, no person id, in any span or event.
    for (_, span) in &spans {
        let everything = format!("{span:?}");
        for secret in ["Zhaksylykova", "Gulnara", registered.name.as_str()] {
            assert!(!everything.contains(secret), "`{secret}` in {everything}");
        }
        assert!(span.events.is_empty(), "no log event is exported: {span:?}");
    }
    child.start_kill().unwrap();
    let _ = child.wait().await;
}

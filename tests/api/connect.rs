//! JSON over HTTP (the Connect protocol's unary form) and gRPC-Web on the gRPC port, called by
//! real clients: curl with the client certificate, and the official Connect and gRPC-Web
//! transports for Node (`tests/node/`).

use crate::helpers::*;
use base64::Engine;
use prost::Message;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Stdio;
use tokio::process::Command;

/// A Connect unary call with curl, the body in JSON.
async fn post(
    app: &TestApp,
    dir: &Path,
    role: &str,
    path: &str,
    body: &Value,
    extra: &[&str],
) -> (u16, Value) {
    curl(app, dir, role, path, &body.to_string(), extra).await
}

fn register_body(request_id: &str) -> Value {
    json!({
        "requestId": request_id,
        "person": {"surname": "Nurlanov", "givenName": "Aidos",
                   "birthDate": {"year": 1987, "month": 10, "day": 8},
                   "sex": "SEX_MALE", "citizenship": "CHN", "ethnicKazakh": true}
    })
}

fn iin_submission_body(applicant: &str) -> Value {
    // Proto field names are accepted beside the JSON names, as the mapping requires.
    json!({
        "request_id": request_id(), "applicant": applicant,
        "details": {"iin_assignment": {}},
        "documents": [{"type": "DOCUMENT_TYPE_IDENTITY_DOCUMENT", "form": "DOCUMENT_FORM_ORIGINAL",
                       "language": "zh", "translation": {"language": "ru", "notarized": true},
                       "number": "E12345678", "issuing_country": "CHN",
                       "expiry_date": {"year": 2030, "month": 1, "day": 14}}]
    })
}

/// The detail of `type` in a Connect error, checked to be the same message in both the
/// `value` Connect clients decode and the `debug` form a reader without descriptors reads.
fn detail<'a>(error: &'a Value, type_name: &str) -> &'a Value {
    let detail = error["details"]
        .as_array()
        .unwrap_or_else(|| panic!("no details: {error}"))
        .iter()
        .find(|d| d["type"] == type_name)
        .unwrap_or_else(|| panic!("no {type_name}: {error}"));
    let value = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(detail["value"].as_str().unwrap())
        .unwrap();
    if type_name == "google.rpc.BadRequest" {
        let decoded = tonic_types::pb::BadRequest::decode(value.as_slice()).unwrap();
        let debug_fields: Vec<&str> = detail["debug"]["fieldViolations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["field"].as_str().unwrap())
            .collect();
        let fields: Vec<&str> = decoded
            .field_violations
            .iter()
            .map(|v| v.field.as_str())
            .collect();
        assert_eq!(fields, debug_fields);
    }
    &detail["debug"]
}

async fn audited(app: &TestApp, rpc: &str) -> Vec<(String, String)> {
    sqlx::query!(
        "SELECT role, outcome FROM audit_events WHERE rpc = $1 ORDER BY recorded_at, id",
        rpc
    )
    .fetch_all(&app.pool)
    .await
    .unwrap()
    .into_iter()
    .map(|row| (row.role, row.outcome))
    .collect()
}

#[tokio::test]
async fn curl_registers_a_person_submits_and_approves_an_iin_application_in_json() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    write_certificates(&app, dir.path(), &["psc"]);

    let register = register_body(&request_id());
    let path = "/kandas.v1.PersonService/RegisterPerson";
    let (status, person) = post(&app, dir.path(), "psc", path, &register, &[]).await;
    assert_eq!(status, 200, "{person}");
    let name = person["name"].as_str().unwrap().to_string();
    assert!(name.starts_with("persons/"), "{person}");
    assert_eq!(person["givenName"], "Aidos");
    assert_eq!(person["sex"], "SEX_MALE");
    // A retry with the same request_id is the same person, over HTTP/1.1 this time.
    let (status, again) = post(&app, dir.path(), "psc", path, &register, &["--http1.1"]).await;
    assert_eq!((status, again["name"].as_str()), (200, Some(name.as_str())));

    let submit = "/kandas.v1.ApplicationService/SubmitApplication";
    let (status, submitted) = post(
        &app,
        dir.path(),
        "psc",
        submit,
        &iin_submission_body(&name),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{submitted}");
    assert_eq!(submitted["state"], "STATE_SUBMITTED");

    let decide = "/kandas.v1.ApplicationService/DecideApplication";
    let approval = json!({"requestId": request_id(), "name": submitted["name"],
                          "etag": submitted["etag"], "approve": {}});
    let (status, approved) = post(&app, dir.path(), "psc", decide, &approval, &[]).await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["state"], "STATE_APPROVED");

    let get = "/kandas.v1.PersonService/GetPerson";
    let (status, read) = post(&app, dir.path(), "psc", get, &json!({"name": name}), &[]).await;
    assert_eq!(status, 200, "{read}");
    let iin = read["iin"].as_str().unwrap();
    assert!(
        iin.len() == 12 && iin.bytes().all(|b| b.is_ascii_digit()),
        "{read}"
    );

    // The same audit as over gRPC: one event per call under the caller's role, and none for
    // the retry, which did nothing.
    assert_eq!(audited(&app, path).await, vec![("psc".into(), "OK".into())]);
    assert_eq!(
        audited(&app, decide).await,
        vec![("psc".into(), "OK".into())]
    );
    let persons: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM persons"#)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(persons, 1, "the retry registered nobody twice");
}

#[tokio::test]
async fn a_refusal_in_json_is_connect_error_json_with_the_same_details() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    write_certificates(&app, dir.path(), &["psc"]);
    let path = "/kandas.v1.PersonService/RegisterPerson";

    let (status, error) = post(&app, dir.path(), "psc", path, &register_body("nope"), &[]).await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["code"], "invalid_argument");
    assert!(error["message"].as_str().unwrap().contains("request_id"));
    let bad_request = detail(&error, "google.rpc.BadRequest");
    assert_eq!(bad_request["fieldViolations"][0]["field"], "request_id");
    assert_eq!(
        detail(&error, "google.rpc.ErrorInfo")["domain"],
        "kandas.gov.kz"
    );

    // A body that is not the message names the field it stopped at, as the caller spelled it.
    let mut malformed = register_body(&request_id());
    malformed["person"]["birthDate"]["year"] = json!("soon");
    let (status, error) = post(&app, dir.path(), "psc", path, &malformed, &[]).await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["code"], "invalid_argument");
    assert_eq!(
        detail(&error, "google.rpc.BadRequest")["fieldViolations"][0]["field"],
        "person.birthDate.year"
    );
    let (status, error) = post(&app, dir.path(), "psc", path, &json!({"nope": 1}), &[]).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (400, Some("invalid_argument"))
    );
    assert!(
        error["message"].as_str().unwrap().contains("nope"),
        "{error}"
    );

    // A missing person is 404, a stale etag 409: plain HTTP tooling reads the outcome too.
    let get = "/kandas.v1.PersonService/GetPerson";
    let missing = json!({"name": "persons/00000000-0000-0000-0000-000000000000"});
    let (status, error) = post(&app, dir.path(), "psc", get, &missing, &[]).await;
    assert_eq!((status, error["code"].as_str()), (404, Some("not_found")));
    assert_eq!(persons_stored(&app).await, 0);
}

async fn persons_stored(app: &TestApp) -> i64 {
    sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM persons"#)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_caller_refused_a_method_learns_nothing_of_how_its_body_would_be_read() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    write_certificates(&app, dir.path(), &["psc", "mission"]);
    let decide = "/kandas.v1.ApplicationService/DecideApplication";
    let malformed = json!({"requestId": request_id(), "name": 7});

    let (status, error) = post(&app, dir.path(), "mission", decide, &malformed, &[]).await;
    assert_eq!(status, 403, "{error}");
    assert_eq!(error["code"], "permission_denied");
    assert_eq!(
        audited(&app, decide).await,
        vec![("mission".into(), "PermissionDenied".into())],
        "the refusal is audited as a gRPC one is"
    );

    let (status, error) = post(&app, dir.path(), "psc", decide, &malformed, &[]).await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(
        detail(&error, "google.rpc.BadRequest")["fieldViolations"][0]["field"],
        "name"
    );
}

#[tokio::test]
async fn streaming_and_unknown_methods_are_refused_in_connect_terms() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    write_certificates(&app, dir.path(), &["employment_center"]);

    let watch = "/kandas.v1.QuotaService/WatchQuotaDecisions";
    let (status, error) = post(
        &app,
        dir.path(),
        "employment_center",
        watch,
        &json!({}),
        &[],
    )
    .await;
    assert_eq!(status, 501, "{error}");
    assert_eq!(error["code"], "unimplemented");
    assert!(error["message"].as_str().unwrap().contains("gRPC-Web"));

    let unknown = "/kandas.v1.QuotaService/Nope";
    let (status, error) = post(
        &app,
        dir.path(),
        "employment_center",
        unknown,
        &json!({}),
        &[],
    )
    .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (501, Some("unimplemented"))
    );

    // Health answers in JSON too, so an HTTP load balancer can probe the port.
    let check = "/grpc.health.v1.Health/Check";
    let (status, health) = post(
        &app,
        dir.path(),
        "employment_center",
        check,
        &json!({}),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{health}");
    assert!(health["status"].is_string(), "{health}");
}

/// `npm ci` in `tests/node` once per test run, when its modules are not there yet.
async fn node_clients() -> std::path::PathBuf {
    static INSTALLED: tokio::sync::OnceCell<std::path::PathBuf> =
        tokio::sync::OnceCell::const_new();
    INSTALLED
        .get_or_init(|| async {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node");
            if !dir.join("node_modules/@connectrpc/connect-node").is_dir() {
                let status = Command::new("npm")
                    .args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
                    .current_dir(&dir)
                    .stdout(Stdio::null())
                    .status()
                    .await
                    .unwrap_or_else(|e| panic!("npm cannot be run ({e}): install Node.js"));
                assert!(status.success(), "npm ci in {} failed", dir.display());
            }
            dir
        })
        .await
        .clone()
}

/// The descriptors the server's reflection serves, as one set for the Node clients.
fn served_descriptor_set() -> Vec<u8> {
    kandas::server::descriptor_pool().unwrap().encode_to_vec()
}

#[tokio::test]
async fn the_connect_and_grpc_web_clients_for_node_walk_the_iin_path() {
    let clients = node_clients().await;
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    write_certificates(&app, dir.path(), &["psc"]);
    let descriptors = dir.path().join("kandas.binpb");
    std::fs::write(&descriptors, served_descriptor_set()).unwrap();

    // Two persons: the second with the same names would be a possible duplicate of the first.
    for (protocol, surname) in [("connect", "Nurlanov"), ("grpc-web", "Seitkali")] {
        let output = Command::new("node")
            .current_dir(&clients)
            .arg("iin-path.mjs")
            .arg(protocol)
            .arg(format!("https://localhost:{}", app.addr.port()))
            .arg(&descriptors)
            .arg(dir.path())
            .arg(surname)
            .output()
            .await
            .unwrap_or_else(|e| panic!("node cannot be run ({e}): install Node.js"));
        let printed = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{protocol}: {printed}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let walked: Value = serde_json::from_str(&printed).unwrap();
        assert!(walked["person"].as_str().unwrap().starts_with("persons/"));
        assert_eq!(walked["repeated"], walked["person"], "{protocol}: {walked}");
        assert_eq!(
            walked["submitted"], "STATE_SUBMITTED",
            "{protocol}: {walked}"
        );
        assert_eq!(walked["approved"], "STATE_APPROVED", "{protocol}: {walked}");
        assert_eq!(walked["iin"].as_str().unwrap().len(), 12, "{walked}");
        assert_eq!(walked["refusal"]["code"], "InvalidArgument", "{walked}");
        assert!(
            walked["refusal"]["fields"]
                .as_array()
                .unwrap()
                .contains(&json!("request_id")),
            "{protocol}: {walked}"
        );
        assert_eq!(walked["refusal"]["reasons"].as_array().unwrap().len(), 1);
    }
    assert_eq!(
        persons_stored(&app).await,
        2,
        "one person per client, retries included"
    );
}

#[tokio::test]
async fn a_json_body_over_the_message_limit_is_refused_as_a_grpc_one_is() {
    let app = spawn_app_with(|settings| settings.max_message_bytes = 1000).await;
    let dir = tempfile::tempdir().unwrap();
    write_certificates(&app, dir.path(), &["psc"]);
    let mut body = register_body(&request_id());
    body["person"]["surname"] = json!("N".repeat(2000));
    let path = "/kandas.v1.PersonService/RegisterPerson";
    let (status, error) = post(&app, dir.path(), "psc", path, &body, &[]).await;
    assert_eq!(status, 429, "{error}");
    assert_eq!(error["code"], "resource_exhausted");
    assert_eq!(
        detail(&error, "google.rpc.ErrorInfo")["reason"],
        "MESSAGE_TOO_LARGE"
    );
    assert_eq!(persons_stored(&app).await, 0);
}

//! Single-valued request metadata (SPEC 1.1): `x-kandas-applicant` and `x-operator-id` given
//! twice are refused as INVALID_ARGUMENT naming the header, never read as either value, on
//! gRPC, Connect and gRPC-Web alike.

use crate::helpers::*;
use kandas::pb;
use tonic::Code;
use tonic::metadata::MetadataValue;

async fn two_applicants() -> (TestApp, pb::Person, pb::Person) {
    let app = spawn_app().await;
    let mut persons = app.persons("psc").await;
    let a = register(&mut persons, person("First")).await;
    let b = register(&mut persons, person("Second")).await;
    (app, a, b)
}

#[tokio::test]
async fn a_header_given_twice_over_grpc_is_refused_naming_it() {
    let (app, a, b) = two_applicants().await;
    let mut portal = app.applications("portal").await;
    let mut request = tonic::Request::new(pb::ListApplicationsRequest::default());
    for applicant in [&b.name, &a.name] {
        request.metadata_mut().append(
            "x-kandas-applicant",
            MetadataValue::try_from(applicant.as_str()).unwrap(),
        );
    }
    let refused = portal.list_applications(request).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    assert_eq!(violated_fields(&refused), vec!["x-kandas-applicant"]);

    let mut psc = app.persons("psc").await;
    let mut request = tonic::Request::new(pb::GetPersonRequest {
        name: a.name.clone(),
        iin: String::new(),
    });
    for operator in ["clerk-1", "clerk-2"] {
        request
            .metadata_mut()
            .append("x-operator-id", MetadataValue::from_static(operator));
    }
    let refused = psc.get_person(request).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    assert_eq!(violated_fields(&refused), vec!["x-operator-id"]);

    // Once each, the same calls are served.
    let once = portal
        .list_applications(for_applicant(
            pb::ListApplicationsRequest::default(),
            &a.name,
        ))
        .await;
    assert!(once.is_ok(), "{once:?}");
}

#[tokio::test]
async fn a_header_given_twice_over_connect_and_grpc_web_is_refused_naming_it() {
    let (app, a, b) = two_applicants().await;
    let dir = tempfile::tempdir().unwrap();
    write_certificates(&app, dir.path(), &["portal"]);
    let twice = [
        "--header",
        &format!("x-kandas-applicant: {}", b.name),
        "--header",
        &format!("x-kandas-applicant: {}", a.name),
    ]
    .map(str::to_string);
    let twice: Vec<&str> = twice.iter().map(String::as_str).collect();
    let (status, answer) = curl(
        &app,
        dir.path(),
        "portal",
        "/kandas.v1.ApplicationService/ListApplications",
        "{}",
        &twice,
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["code"], "invalid_argument", "{answer}");
    assert!(
        answer.to_string().contains("x-kandas-applicant"),
        "{answer}"
    );

    // gRPC-Web: an empty ListApplicationsRequest in one uncompressed frame.
    std::fs::write(dir.path().join("frame.bin"), [0u8, 0, 0, 0, 0]).unwrap();
    let output = tokio::process::Command::new("curl")
        .current_dir(dir.path())
        .args(["--silent", "--show-error", "--cacert", "ca.pem"])
        .args(["--cert", "portal.pem", "--key", "portal.key"])
        .args(["--header", "Content-Type: application/grpc-web+proto"])
        .args(["--header", "X-Grpc-Web: 1"])
        .args(&twice)
        .args(["--data-binary", "@frame.bin", "--dump-header", "-"])
        .arg(format!(
            "https://localhost:{}/kandas.v1.ApplicationService/ListApplications",
            app.addr.port()
        ))
        .output()
        .await
        .expect("curl runs");
    assert!(output.status.success(), "{output:?}");
    let answer = String::from_utf8_lossy(&output.stdout).to_lowercase();
    assert!(answer.contains("grpc-status: 3"), "{answer}");
    assert!(answer.contains("x-kandas-applicant"), "{answer}");
}

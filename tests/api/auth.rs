//! Identity and authorization: only certificates from our CA with a known role get in, and
//! each role reaches only the RPCs the table grants it.

use crate::helpers::*;
use kandas::local::pki::{CertificateAuthority, Validity};
use kandas::pb;
use kandas::server::auth::{KANDAS_METHODS, Role, allowed_roles};
use tonic::Code;
use tonic::transport::Channel;

async fn validate(channel: Channel) -> Result<pb::ValidateIinResponse, tonic::Status> {
    PersonClient::new(channel)
        .validate_iin(pb::ValidateIinRequest {
            iin: "871008401427".into(),
            ..Default::default()
        })
        .await
        .map(|r| r.into_inner())
}

#[tokio::test]
async fn a_client_without_a_certificate_gets_no_service() {
    let app = spawn_app().await;
    // The TLS handshake itself fails, so no RPC ever reaches a handler.
    let result = match app.channel_with(None, &app.ca.cert_pem()).await {
        Err(_) => Err(()),
        Ok(channel) => validate(channel).await.map(|_| ()).map_err(|_| ()),
    };
    assert!(result.is_err());
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_refused() {
    let app = spawn_app().await;
    let stranger = CertificateAuthority::generate("someone else's CA").unwrap();
    let id = stranger
        .issue_client("psc", Some("urn:kandas:psc:almaty-01"), Validity::Days(1))
        .unwrap();
    let result = match app.channel_with(Some(id), &app.ca.cert_pem()).await {
        Err(_) => Err(()),
        Ok(channel) => validate(channel).await.map(|_| ()).map_err(|_| ()),
    };
    assert!(result.is_err());
}

#[tokio::test]
async fn an_expired_certificate_is_refused() {
    let app = spawn_app().await;
    let id = app
        .ca
        .issue_client("psc", Some("urn:kandas:psc:almaty-01"), Validity::Expired)
        .unwrap();
    let result = match app.channel_with(Some(id), &app.ca.cert_pem()).await {
        Err(_) => Err(()),
        Ok(channel) => validate(channel).await.map(|_| ()).map_err(|_| ()),
    };
    assert!(result.is_err());
}

#[tokio::test]
async fn unknown_role_or_missing_uri_san_is_unauthenticated() {
    let app = spawn_app().await;
    for (uri, reason) in [
        (Some("urn:kandas:tourist:nowhere"), "UNKNOWN_ROLE"),
        (None, "CLIENT_IDENTITY_INVALID"),
        (Some("urn:kandas:psc:"), "CLIENT_IDENTITY_INVALID"),
        (Some("https://example.org/psc"), "CLIENT_IDENTITY_INVALID"),
    ] {
        let id = app
            .ca
            .issue_client("client", uri, Validity::Days(1))
            .unwrap();
        let channel = app
            .channel_with(Some(id), &app.ca.cert_pem())
            .await
            .unwrap();
        let error = validate(channel).await.unwrap_err();
        assert_eq!(error.code(), Code::Unauthenticated, "{uri:?}");
        assert_reason(&error, reason);
    }
}

#[tokio::test]
async fn portal_may_not_decide_and_nothing_changes() {
    let app = spawn_app().await;
    let mut persons = app.persons("psc").await;
    let mut apps = app.applications("psc").await;
    let registered = register(&mut persons, person("Portal")).await;
    let submitted = apps
        .submit_application(iin_submission(&registered.name, vec![passport()]))
        .await
        .unwrap()
        .into_inner();
    let mut portal = app.applications("portal").await;
    let error = portal
        .decide_application(approve(&submitted.name, &submitted.etag))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::PermissionDenied);
    assert_reason(&error, "ROLE_NOT_PERMITTED");

    // Commission may decide some procedures, but not IIN assignment.
    let mut commission = app.applications("commission").await;
    let error = commission
        .decide_application(approve(&submitted.name, &submitted.etag))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::PermissionDenied);
    assert_reason(&error, "ROLE_MAY_NOT_DECIDE_PROCEDURE");

    // Police may submit some procedures, but not IIN assignment.
    let mut police = app.applications("police").await;
    let error = police
        .submit_application(iin_submission(&registered.name, vec![passport()]))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::PermissionDenied);

    let state: String = sqlx::query_scalar!("SELECT state FROM applications")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(state, "submitted");
}

/// Calls `method` with an empty request as `role`, over raw gRPC, so every RPC in the table
/// can be probed without writing a client call for each.
async fn call_raw(channel: Channel, method: &str) -> Result<(), tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let codec = tonic_prost::ProstCodec::<pb::Date, pb::Date>::default();
    let path: http::uri::PathAndQuery = method.parse().unwrap();
    // Every role names an applicant, so the portal's calls get as far as everyone else's.
    let applicant = format!("persons/{}", uuid::Uuid::now_v7());
    let request = || for_applicant(pb::Date::default(), &applicant);
    if is_stream(method) {
        grpc.server_streaming(request(), path, codec)
            .await
            .map(|_| ())
    } else {
        grpc.unary(request(), path, codec).await.map(|_| ())
    }
}

#[tokio::test]
async fn every_rpc_refuses_every_role_it_is_not_granted_to() {
    let app = spawn_app().await;
    for role in Role::ALL {
        let channel = app.channel(role.as_str()).await;
        for method in KANDAS_METHODS {
            let granted = allowed_roles(method).unwrap().contains(&role);
            let result = call_raw(channel.clone(), method).await;
            match result {
                Err(status) if status.code() == Code::PermissionDenied => {
                    assert!(
                        !granted,
                        "{role} was refused {method} although the table grants it"
                    );
                    assert_reason(&status, "ROLE_NOT_PERMITTED");
                }
                _ => assert!(
                    granted,
                    "{role} reached {method} although the table does not grant it: {result:?}"
                ),
            }
        }
    }
    // Nothing those calls did was stored: refused calls touch nothing.
    let persons: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM persons"#)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(persons, 0);
}

#[tokio::test]
async fn operator_id_is_recorded_and_a_malformed_one_is_refused() {
    let app = spawn_app().await;
    let channel = app.channel("psc").await;
    let mut persons = PersonClient::new(channel.clone());
    let mut request = tonic::Request::new(pb::RegisterPersonRequest {
        request_id: request_id(),
        person: Some(person("Op")),
        ..Default::default()
    });
    request
        .metadata_mut()
        .insert("x-operator-id", "clerk-042".parse().unwrap());
    let registered = persons.register_person(request).await.unwrap().into_inner();
    let operator: String = sqlx::query_scalar!(
        "SELECT operator_id FROM audit_events WHERE subject = $1",
        &registered.name
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(operator, "clerk-042");

    let mut request = tonic::Request::new(pb::ValidateIinRequest {
        iin: "871008401427".into(),
        ..Default::default()
    });
    request
        .metadata_mut()
        .insert("x-operator-id", "has space".parse().unwrap());
    let error = persons.validate_iin(request).await.unwrap_err();
    assert_eq!(error.code(), Code::InvalidArgument);
    assert_eq!(
        error_details(&error)
            .bad_request()
            .unwrap()
            .field_violations[0]
            .field,
        "x-operator-id"
    );
}

/// A server stream: only its opening is awaited, since one that opens may stay open.
fn is_stream(method: &str) -> bool {
    method.ends_with("/WatchQuotaDecisions") || method.ends_with("/WatchNotifications")
}

//! Hostile input: arbitrary bytes and arbitrary field contents sent to every kandas RPC.
//! No panic, no INTERNAL: every rejection is a clean client error, and the server keeps
//! serving. Also: a request larger than the configured limit is refused and stores nothing.

use crate::helpers::*;
use kandas::pb;
use kandas::server::auth::{KANDAS_METHODS, allowed_roles};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use prost::Message;
use prost::bytes::Bytes;
use tonic::Code;
use tonic::transport::Channel;

async fn send(channel: Channel, method: &str, body: Bytes) -> Result<(), tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let path: http::uri::PathAndQuery = method.parse().unwrap();
    let mut request = tonic::Request::new(body);
    request.set_timeout(std::time::Duration::from_secs(10));
    if is_stream(method) {
        // A stream: only its opening matters here.
        grpc.server_streaming(request, path, RawCodec)
            .await
            .map(|_| ())
    } else {
        grpc.unary(request, path, RawCodec).await.map(|_| ())
    }
}

/// A client error is fine; INTERNAL, UNKNOWN or a dropped connection is not.
fn assert_clean(method: &str, result: &Result<(), tonic::Status>, input: &[u8]) {
    if let Err(status) = result {
        assert!(
            !matches!(
                status.code(),
                Code::Internal | Code::Unknown | Code::Unavailable | Code::DeadlineExceeded
            ),
            "{method} answered {status:?} to {input:02x?}"
        );
        if status.code() == Code::InvalidArgument {
            let details = error_details(status);
            assert_eq!(
                details.error_info().map(|i| i.domain.as_str()),
                Some("kandas.gov.kz"),
                "{method}: {status:?}"
            );
            assert!(
                details
                    .bad_request()
                    .is_some_and(|b| !b.field_violations.is_empty()),
                "{method}: names the field"
            );
        }
    }
}

/// A role the table grants `method` to, so the call gets past authorization.
fn granted_role(method: &str) -> &'static str {
    allowed_roles(method).unwrap()[0].as_str()
}

#[tokio::test]
async fn arbitrary_bytes_to_every_rpc_are_rejected_cleanly() {
    let app = spawn_app().await;
    let mut runner = TestRunner::deterministic();
    let strategy = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..64),
        proptest::collection::vec(any::<u8>(), 64..2048),
    ];
    for method in KANDAS_METHODS {
        let channel = app.channel(granted_role(method)).await;
        for _ in 0..24 {
            let input = strategy.new_tree(&mut runner).unwrap().current();
            let result = send(channel.clone(), method, Bytes::from(input.clone())).await;
            assert_clean(method, &result, &input);
        }
    }
    // Still serving.
    let ok = app
        .persons("psc")
        .await
        .validate_iin(pb::ValidateIinRequest {
            iin: "871008401427".into(),
            ..Default::default()
        })
        .await;
    assert!(ok.is_ok());
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z]{1,8}/[0-9a-f-]{0,40}",
        "persons/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        ".{0,300}",
        "[0-9]{0,14}",
    ]
}

fn date() -> impl Strategy<Value = Option<pb::Date>> {
    proptest::option::of(
        (any::<i32>(), -2..15i32, -2..35i32).prop_map(|(year, month, day)| pb::Date {
            year: year % 3000,
            month,
            day,
        }),
    )
}

fn document() -> impl Strategy<Value = pb::Document> {
    (
        any::<i32>(),
        text(),
        any::<i32>(),
        text(),
        text(),
        date(),
        any::<i64>(),
        any::<bool>(),
    )
        .prop_map(
            |(kind, holder, form, language, number, expiry, amount, notarized)| pb::Document {
                r#type: kind % 40,
                holder,
                form: form % 6,
                language,
                number,
                expiry_date: expiry,
                amount_tenge: amount,
                notarized,
                photo: Some(pb::PhotoSpec {
                    count: (amount % 7) as i32,
                    width_mm: 35,
                    height_mm: (amount % 50) as i32,
                }),
                ..Default::default()
            },
        )
}

fn details() -> impl Strategy<Value = Option<pb::ApplicationDetails>> {
    use pb::application_details::Procedure as P;
    fn family() -> impl Strategy<Value = Vec<pb::FamilyMember>> {
        proptest::collection::vec(
            (text(), any::<i32>()).prop_map(|(person, relation)| pb::FamilyMember {
                person,
                relation: relation % 6,
            }),
            0..4,
        )
    }
    proptest::option::of(prop_oneof![
        any::<bool>().prop_map(|b| P::IinAssignment(pb::IinAssignment {
            by_representative: b
        })),
        (proptest::collection::vec(any::<i32>(), 0..4), family()).prop_map(|(grounds, family)| {
            P::KandasStatusAssignment(pb::KandasStatusAssignment {
                grounds: grounds.into_iter().map(|g| g % 8).collect(),
                family,
                ..Default::default()
            })
        }),
        (any::<i32>(), family()).prop_map(|(category, family)| P::PermanentResidencePermit(
            pb::PermanentResidencePermit {
                category: category % 4,
                family,
                ..Default::default()
            }
        )),
        (any::<i32>(), text(), text(), date(), family()).prop_map(
            |(kind, region, address, until, family)| P::ResidenceRegistration(
                pb::ResidenceRegistration {
                    kind: kind % 5,
                    region,
                    address,
                    until,
                    family,
                    ..Default::default()
                }
            )
        ),
        (text(), any::<i32>(), family()).prop_map(|(region, year, family)| {
            P::RegionalQuotaInclusion(pb::RegionalQuotaInclusion {
                region,
                year,
                family,
            })
        }),
    ])
    .prop_map(|p| {
        p.map(|procedure| pb::ApplicationDetails {
            procedure: Some(procedure),
        })
    })
}

#[tokio::test]
async fn arbitrary_field_contents_reach_validation_and_are_rejected_cleanly() {
    let app = spawn_app().await;
    let mut runner = TestRunner::deterministic();
    let psc = app.channel("psc").await;
    let registrations = (text(), text(), date(), any::<i32>(), text(), text()).prop_map(
        |(request_id, surname, birth, sex, citizenship, iin)| pb::RegisterPersonRequest {
            request_id,
            person: Some(pb::Person {
                surname,
                given_name: "G".into(),
                birth_date: birth,
                sex: sex % 4,
                citizenship,
                iin,
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    let submissions = (
        text(),
        text(),
        proptest::collection::vec(document(), 0..6),
        details(),
    )
        .prop_map(
            |(request_id, applicant, documents, details)| pb::SubmitApplicationRequest {
                request_id,
                applicant,
                documents,
                details,
                ..Default::default()
            },
        );
    for _ in 0..150 {
        let registration = registrations.new_tree(&mut runner).unwrap().current();
        let body = Bytes::from(registration.encode_to_vec());
        let result = send(
            psc.clone(),
            "/kandas.v1.PersonService/RegisterPerson",
            body.clone(),
        )
        .await;
        assert_clean("RegisterPerson", &result, &body);

        let submission = submissions.new_tree(&mut runner).unwrap().current();
        let body = Bytes::from(submission.encode_to_vec());
        for method in [
            "/kandas.v1.ApplicationService/SubmitApplication",
            "/kandas.v1.ApplicationService/CheckDocuments",
        ] {
            let result = send(psc.clone(), method, body.clone()).await;
            assert_clean(method, &result, &body);
        }
    }
}

#[tokio::test]
async fn a_request_over_the_configured_size_is_refused_and_stores_nothing() {
    let app = spawn_app_with(|s| s.max_message_bytes = 4096).await;
    let mut persons = app.persons("psc").await;
    let mut big = person("x");
    big.patronymic = "y".repeat(8192);
    let refused = persons
        .register_person(pb::RegisterPersonRequest {
            request_id: request_id(),
            person: Some(big),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused.code(),
            Code::OutOfRange | Code::ResourceExhausted | Code::InvalidArgument
        ),
        "{refused:?}"
    );
    let stored: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM persons"#)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
    // A normal request on the same connection still works.
    register(&mut persons, person("Small")).await;
}

#[tokio::test]
async fn a_forged_page_token_is_refused_not_read_as_the_first_page() {
    use base64::Engine;
    let app = spawn_app().await;
    let mut applications = app.applications("psc").await;
    // Well-formed for the token scheme, but not a key this list is ordered by.
    let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("k1:not-a-key");
    let status = applications
        .list_applications(pb::ListApplicationsRequest {
            page_token: forged,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&status), ["page_token"]);
    app.stop().await;
}

/// A server stream: only its opening is awaited, since one that opens may stay open.
fn is_stream(method: &str) -> bool {
    method.ends_with("/WatchQuotaDecisions") || method.ends_with("/WatchNotifications")
}

//! The organisation registry (SPEC 1.1): only a registered, active organisation calls, in the
//! role it is registered for; an administrator registers, changes and lists organisations,
//! and a suspension reaches every replica within seconds.

use crate::helpers::*;
use kandas::pb;
use std::time::{Duration, Instant};
use tonic::Code;
use tonic::transport::Channel;

type AdminClient = pb::admin_service_client::AdminServiceClient<Channel>;

async fn validate(channel: Channel) -> Result<(), tonic::Status> {
    PersonClient::new(channel)
        .validate_iin(pb::ValidateIinRequest {
            iin: "871008401427".into(),
            ..Default::default()
        })
        .await
        .map(|_| ())
}

fn regional(id: &str, role: &str, regions: &[&str]) -> pb::Organisation {
    pb::Organisation {
        id: id.into(),
        role: role.into(),
        display_name: format!("Office {id}"),
        regions: regions.iter().map(|r| r.to_string()).collect(),
        ..Default::default()
    }
}

async fn register_org(admin: &mut AdminClient, organisation: pb::Organisation) -> pb::Organisation {
    admin
        .register_organisation(pb::RegisterOrganisationRequest {
            request_id: request_id(),
            organisation: Some(organisation),
        })
        .await
        .unwrap()
        .into_inner()
}

fn set_state(name: &str, state: pb::organisation::State) -> pb::UpdateOrganisationRequest {
    pb::UpdateOrganisationRequest {
        request_id: request_id(),
        name: name.into(),
        state: Some(state as i32),
        ..Default::default()
    }
}

fn refused_not_active(result: Result<(), tonic::Status>, says: &str) {
    let status = result.expect_err("the call is refused");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert_reason(&status, "ORGANISATION_NOT_ACTIVE");
    assert!(status.message().contains(says), "{status:?}");
}

#[tokio::test]
async fn an_unregistered_organisation_is_refused_but_may_still_check_health() {
    let app = spawn_app().await;
    let stranger = app.channel_as("psc", "almaty-99").await;
    refused_not_active(validate(stranger.clone()).await, "not registered");
    let health = tonic_health::pb::health_client::HealthClient::new(stranger)
        .check(tonic_health::pb::HealthCheckRequest::default())
        .await;
    assert!(health.is_ok(), "{health:?}");
}

#[tokio::test]
async fn a_certificate_of_another_role_than_registered_is_refused() {
    let app = spawn_app().await;
    let mut admin = AdminClient::new(app.channel("admin").await);
    register_org(&mut admin, regional("almaty-01", "psc", &["KZ-75"])).await;
    assert!(
        validate(app.channel_as("psc", "almaty-01").await)
            .await
            .is_ok()
    );
    refused_not_active(
        validate(app.channel_as("police", "almaty-01").await).await,
        "registered as `psc`",
    );
}

#[tokio::test]
async fn organisations_are_registered_listed_and_updated_with_every_bad_field_named() {
    let app = spawn_app().await;
    let mut admin = AdminClient::new(app.channel("admin").await);

    let mut bad = regional("almaty 01", "tourist", &["KZ-75", "KZ-75", "XX-1"]);
    bad.national = true;
    bad.display_name = " ".into();
    let status = admin
        .register_organisation(pb::RegisterOrganisationRequest {
            request_id: "not-a-uuid".into(),
            organisation: Some(bad),
        })
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&status),
        [
            "request_id",
            "organisation.id",
            "organisation.role",
            "organisation.display_name",
            "organisation.regions[1]",
            "organisation.regions[2]",
            "organisation.national",
        ]
    );
    let neither = admin
        .register_organisation(pb::RegisterOrganisationRequest {
            request_id: request_id(),
            organisation: Some(regional("astana-01", "psc", &[])),
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&neither), ["organisation.regions"]);

    let request = pb::RegisterOrganisationRequest {
        request_id: request_id(),
        organisation: Some(regional("almaty-01", "psc", &["KZ-75", "KZ-19"])),
    };
    let first = admin
        .register_organisation(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.name, "organisations/almaty-01");
    assert_eq!(first.regions, ["KZ-75", "KZ-19"]);
    assert!(!first.national);
    assert_eq!(first.state, pb::organisation::State::Active as i32);
    let retry = admin
        .register_organisation(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retry, first, "a retry answers the first result");
    let again = admin
        .register_organisation(pb::RegisterOrganisationRequest {
            request_id: request_id(),
            organisation: Some(regional("almaty-01", "psc", &["KZ-75"])),
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::AlreadyExists);
    assert_reason(&again, "ORGANISATION_ALREADY_REGISTERED");

    let update = pb::UpdateOrganisationRequest {
        request_id: request_id(),
        name: first.name.clone(),
        etag: first.etag.clone(),
        national: Some(true),
        display_name: Some("Almaty PSC, national".into()),
        ..Default::default()
    };
    let updated = admin
        .update_organisation(update.clone())
        .await
        .unwrap()
        .into_inner();
    assert!(updated.national && updated.regions.is_empty());
    assert_eq!(updated.display_name, "Almaty PSC, national");
    assert_ne!(updated.etag, first.etag);
    let replay = admin
        .update_organisation(update)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replay, updated, "a retry answers the first result");

    let stale = admin
        .update_organisation(pb::UpdateOrganisationRequest {
            etag: first.etag.clone(),
            ..set_state(&first.name, pb::organisation::State::Suspended)
        })
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);
    let both = admin
        .update_organisation(pb::UpdateOrganisationRequest {
            regions: vec!["KZ-75".into(), "nowhere".into()],
            national: Some(true),
            state: Some(0),
            ..set_state("persons/almaty-01", pb::organisation::State::Active)
        })
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&both),
        ["name", "regions[1]", "national", "state"]
    );
    let missing = admin
        .update_organisation(set_state(
            "organisations/nobody",
            pb::organisation::State::Active,
        ))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);

    // The harness registers test-<role> for every role; one per page walks them all.
    let mut ids = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = admin
            .list_organisations(pb::ListOrganisationsRequest {
                page_size: 3,
                page_token,
            })
            .await
            .unwrap()
            .into_inner();
        ids.extend(page.organisations.into_iter().map(|o| o.id));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    // almaty-01 and one test organisation per role.
    assert_eq!(ids.len(), 1 + kandas::domain::role::Role::ALL.len());
    assert_eq!(ids[0], "almaty-01");
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");

    let refused = AdminClient::new(app.channel("psc").await)
        .list_organisations(pb::ListOrganisationsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
}

/// Waits until `check` holds, at most `bound`; how long it took.
async fn within(bound: Duration, what: &str, mut check: impl AsyncFnMut() -> bool) -> Duration {
    let start = Instant::now();
    while start.elapsed() < bound {
        if check().await {
            return start.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not within {bound:?}: {what}");
}

#[tokio::test]
async fn a_suspension_reaches_another_replica_within_five_seconds_and_so_does_reactivation() {
    let a = spawn_app().await;
    let b = spawn_on(a.database_url.clone(), a.same_ca(), |_| {}).await;
    let mut admin = AdminClient::new(a.channel("admin").await);
    let office = register_org(&mut admin, regional("karaganda-01", "police", &["KZ-35"])).await;
    let on_b = b.channel_as("police", "karaganda-01").await;
    within(Duration::from_secs(5), "registered on b", async || {
        validate(on_b.clone()).await.is_ok()
    })
    .await;

    admin
        .update_organisation(set_state(&office.name, pb::organisation::State::Suspended))
        .await
        .unwrap();
    // The replica that made the change refuses at once.
    refused_not_active(
        validate(a.channel_as("police", "karaganda-01").await).await,
        "suspended",
    );
    within(Duration::from_secs(5), "suspended on b", async || {
        validate(on_b.clone()).await.is_err()
    })
    .await;
    refused_not_active(validate(on_b.clone()).await, "suspended");

    admin
        .update_organisation(set_state(&office.name, pb::organisation::State::Active))
        .await
        .unwrap();
    within(Duration::from_secs(5), "reactivated on b", async || {
        validate(on_b.clone()).await.is_ok()
    })
    .await;
}

#[tokio::test]
async fn a_suspension_made_by_sql_without_a_notification_still_reaches_a_replica() {
    let app = spawn_app().await;
    assert!(validate(app.channel("police").await).await.is_ok());
    // An operator's SQL that notifies nobody: the periodic re-read alone must carry it.
    sqlx::query("ALTER TABLE organisations DISABLE TRIGGER organisations_announce")
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query!("UPDATE organisations SET state = 'suspended' WHERE id = 'test-police'")
        .execute(&app.pool)
        .await
        .unwrap();
    let channel = app.channel("police").await;
    let took = within(Duration::from_secs(7), "suspended", async || {
        validate(channel.clone()).await.is_err()
    })
    .await;
    assert!(took <= Duration::from_millis(5500), "took {took:?}");
}

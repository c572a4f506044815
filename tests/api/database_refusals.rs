//! The database refusing writes for a while: callers are told to retry, health says so, and
//! both recover by themselves.

use crate::helpers::*;
use std::time::Duration;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

async fn overall_health(app: &TestApp) -> i32 {
    HealthClient::new(app.channel("psc").await)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .map(|r| r.into_inner().status)
        .unwrap_or(-1)
}

async fn wait_health(app: &TestApp, want: ServingStatus) {
    for _ in 0..100 {
        if overall_health(app).await == want as i32 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("health never became {want:?}");
}

/// Sets the service's database read-only (or back) and ends its sessions, so the pool's next
/// connections start under the new setting.
async fn set_read_only(app: &TestApp, on: bool) {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(&app.database_url)
        .await
        .unwrap();
    // This session must write even while the database's default says otherwise.
    sqlx::query("SET default_transaction_read_only = off")
        .execute(&mut admin)
        .await
        .unwrap();
    let database: String = sqlx::query_scalar!(r#"SELECT current_database() AS "database!""#)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    let value = if on { "on" } else { "off" };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE {database} SET default_transaction_read_only = {value}"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    sqlx::query!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    admin.close().await.unwrap();
}

#[tokio::test]
async fn a_read_only_database_answers_unavailable_with_retry_info_and_not_serving_then_recovers() {
    let app = spawn_app_with(|s| s.health_every = Duration::from_millis(100)).await;
    let mut persons = app.persons("psc").await;
    wait_health(&app, ServingStatus::Serving).await;
    let kept = register(&mut persons, person("Before")).await;

    set_read_only(&app, true).await;
    wait_health(&app, ServingStatus::NotServing).await;
    // The first calls after the sessions ended may meet connections the pool still held,
    // which answer DATABASE_UNAVAILABLE; a fresh session meets the read-only database.
    let mut refused = None;
    for _ in 0..20 {
        let status = persons
            .register_person(pb_register(person("During")))
            .await
            .expect_err("a read-only database takes no registration");
        assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
        if error_details(&status)
            .error_info()
            .map(|i| i.reason.as_str())
            == Some("DATABASE_READ_ONLY")
        {
            refused = Some(status);
            break;
        }
    }
    let refused = refused.expect("a registration refused as DATABASE_READ_ONLY");
    assert_reason(&refused, "DATABASE_READ_ONLY");
    let retry = error_details(&refused).retry_info().cloned();
    assert!(
        retry.is_some_and(|r| r.retry_delay.is_some()),
        "{refused:?}"
    );
    // What was stored before is still there and readable.
    let read = persons
        .get_person(kandas::pb::GetPersonRequest {
            name: kept.name.clone(),
            iin: String::new(),
        })
        .await;
    // A read is served only once its audit event is stored, which a read-only database refuses.
    assert_eq!(read.unwrap_err().code(), tonic::Code::Unavailable);

    set_read_only(&app, false).await;
    wait_health(&app, ServingStatus::Serving).await;
    let after = persons
        .register_person(pb_register(person("After")))
        .await
        .expect("writes are taken again without a restart");
    assert_ne!(after.into_inner().name, kept.name);
    app.stop().await;
}

fn pb_register(person: kandas::pb::Person) -> kandas::pb::RegisterPersonRequest {
    kandas::pb::RegisterPersonRequest {
        request_id: request_id(),
        person: Some(person),
        ..Default::default()
    }
}

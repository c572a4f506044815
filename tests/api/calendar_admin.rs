//! An administrator loads a year's official calendar (SPEC 3): deadlines in that year follow
//! its transfers and stop being provisional, on every replica.

use crate::helpers::*;
use kandas::pb;
use kandas::state::Clock;
use std::time::Duration;
use tonic::Code;

type AdminClient = pb::admin_service_client::AdminServiceClient<tonic::transport::Channel>;

/// Tuesday 5 January 2027: a year whose decree is not shipped.
fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2027, 1, 5).unwrap()
}

fn decree_2027(request_id: String) -> pb::SetCalendarYearRequest {
    pb::SetCalendarYearRequest {
        request_id,
        year: 2027,
        dated_days_off: vec![pb::CalendarDayOff {
            date: Some(date(2027, 5, 17)),
            name: "Kurban Ait".into(),
        }],
        // Friday 8 January off, worked on Saturday 16 January.
        transfers: vec![
            pb::CalendarTransfer {
                date: Some(date(2027, 1, 8)),
                working: false,
                note: "for 16 January".into(),
            },
            pb::CalendarTransfer {
                date: Some(date(2027, 1, 16)),
                working: true,
                note: "for 8 January".into(),
            },
        ],
    }
}

async fn year_2027(client: &mut AdminClient) -> pb::CalendarYear {
    client
        .get_calendar_year(pb::GetCalendarYearRequest { year: 2027 })
        .await
        .unwrap()
        .into_inner()
}

async fn iin_deadline(app: &TestApp, surname: &str) -> (pb::Date, bool) {
    let mut persons = app.persons("psc").await;
    let registered = register(&mut persons, person(surname)).await;
    let submitted = app
        .applications("psc")
        .await
        .submit_application(iin_submission(&registered.name, vec![passport()]))
        .await
        .unwrap()
        .into_inner();
    (submitted.deadline.unwrap(), submitted.deadline_provisional)
}

#[tokio::test]
async fn a_loaded_year_moves_deadlines_and_ends_provisional_on_every_replica() {
    let a = spawn_app_with(|s| s.clock = Clock::pinned(today())).await;
    let b = spawn_on(a.database_url.clone(), a.same_ca(), |s| {
        s.clock = Clock::pinned(today())
    })
    .await;
    let mut psc_view = AdminClient::new(a.channel("psc").await);
    assert!(year_2027(&mut psc_view).await.provisional);

    // Three working days from Tuesday 5 January under the shipped rules: 6, 8 (7 is
    // Orthodox Christmas) and Monday 11 January — provisional.
    assert_eq!(iin_deadline(&a, "Before").await, (date(2027, 1, 11), true));

    let mut admin = AdminClient::new(a.channel("admin").await);
    let request = decree_2027(request_id());
    let loaded = admin
        .set_calendar_year(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert!(!loaded.provisional);
    assert!(loaded.days_off.contains(&date(2027, 1, 8)));
    assert!(loaded.days_off.contains(&date(2027, 5, 17)));
    assert_eq!(loaded.working_weekends, vec![date(2027, 1, 16)]);
    let again = admin.set_calendar_year(request).await.unwrap().into_inner();
    assert_eq!(again, loaded, "a retry returns the first answer");

    // Now 6, 11 and 12 January (8 is off): official.
    assert_eq!(iin_deadline(&a, "After").await, (date(2027, 1, 12), false));

    // Replica B hears of it without a restart.
    let mut on_b = AdminClient::new(b.channel("psc").await);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while year_2027(&mut on_b).await.provisional {
        assert!(
            tokio::time::Instant::now() < deadline,
            "replica B still counts 2027 as provisional"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(iin_deadline(&b, "OnB").await, (date(2027, 1, 12), false));

    // A replica started later loads it from the database.
    let c = spawn_on(a.database_url.clone(), a.same_ca(), |s| {
        s.clock = Clock::pinned(today())
    })
    .await;
    let mut on_c = AdminClient::new(c.channel("police").await);
    assert_eq!(year_2027(&mut on_c).await, loaded);
}

#[tokio::test]
async fn a_bad_decree_names_every_field_and_loads_nothing() {
    let app = spawn_app().await;
    let mut admin = AdminClient::new(app.channel("admin").await);
    let mut request = decree_2027(request_id());
    request.transfers[0].working = true; // Friday cannot become a working day
    request.transfers[1].date = Some(date(2028, 1, 15)); // not in 2027
    request.dated_days_off[0].date = None;
    request.dated_days_off.push(pb::CalendarDayOff {
        date: Some(date(2027, 2, 30)),
        name: "Nowhere".into(),
    });
    let status = admin.set_calendar_year(request).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields = violated_fields(&status);
    // Unreadable or missing dates first: the year's own rules need every date.
    assert_eq!(fields, ["dated_days_off[0].date", "dated_days_off[1].date"]);
    // With every date readable, the year's own rules are reported.
    let mut request = decree_2027(request_id());
    request.transfers[0].working = true;
    request.transfers[1].date = Some(date(2028, 1, 15));
    let status = admin.set_calendar_year(request).await.unwrap_err();
    let fields = violated_fields(&status);
    assert_eq!(fields, ["transfers[0].date", "transfers[1].date"]);
    assert!(year_2027(&mut admin).await.provisional);
    let mut flood = decree_2027(request_id());
    flood.transfers = vec![flood.transfers[1].clone(); 367];
    // 367 violations (the count, then 366 repeated dates): the answer lists the first 50 and
    // says how many it left out, instead of a header too large for the connection.
    let status = admin.set_calendar_year(flood).await.unwrap_err();
    let fields = violated_fields(&status);
    assert_eq!(fields.len(), kandas::error::MAX_LISTED_VIOLATIONS);
    assert_eq!(fields[0], "transfers");
    let info = error_details(&status).error_info().cloned().unwrap();
    assert_eq!(
        info.metadata.get("omitted_violations").map(String::as_str),
        Some("317")
    );
    assert!(
        status.message().ends_with("and 357 more"),
        "{}",
        status.message()
    );

    let refused = AdminClient::new(app.channel("psc").await)
        .set_calendar_year(decree_2027(request_id()))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let bad_year = admin
        .get_calendar_year(pb::GetCalendarYearRequest { year: 1999 })
        .await
        .unwrap_err();
    assert_eq!(bad_year.code(), Code::InvalidArgument);
}

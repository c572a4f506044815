//! State support with SPEC's numbers: entitlements in MCI and tenge, payments never above them.

use crate::helpers::*;
use chrono::NaiveDate;
use kandas::pb;
use kandas::state::Clock;

async fn included_family(
    today: NaiveDate,
    size: u32,
    rent_mci: i32,
    housing_cost: i64,
) -> (TestApp, pb::Application) {
    let app = spawn_app_with(|s| s.clock = Clock::pinned(today)).await;
    let family = eligible_family(&app, 1, size, "KZ-55").await;
    let ready =
        quota_application_ready(&app, &family, "KZ-55", chrono::Datelike::year(&today)).await;
    let decided = app
        .applications("commission")
        .await
        .decide_application(quota_approval(
            &ready.name,
            &ready.etag,
            rent_mci,
            housing_cost,
        ))
        .await
        .expect("approved")
        .into_inner();
    (app, decided)
}

async fn entitlement(app: &TestApp, application: &str) -> pb::Entitlement {
    pb::support_service_client::SupportServiceClient::new(app.channel("employment_center").await)
        .get_entitlement(pb::GetEntitlementRequest {
            application: application.into(),
        })
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn a_family_of_four_included_in_2025_gets_spec_amounts() {
    let (app, decided) = included_family(
        NaiveDate::from_ymd_opt(2025, 6, 2).unwrap(),
        4,
        15,
        20_000_000,
    )
    .await;
    let e = entitlement(&app, &decided.name).await;
    assert_eq!((e.mci_year, e.mci_tenge), (2025, 3932));
    let relocation = &e.lines[0];
    assert_eq!((relocation.mci, relocation.tenge), (280, 1_100_960));
    assert_eq!(
        (e.rent_mci_per_month, e.rent_tenge_per_month),
        (15, 58_980),
        "the monthly rent the commission set, in MCI and tenge"
    );
    let rent = &e.lines[1];
    assert_eq!(rent.per_payment_tenge, 58_980, "15 MCI a month in 2025");
    assert_eq!(rent.per_payment_mci, 15);
    assert_eq!(
        (rent.mci, rent.tenge, rent.max_payments),
        (180, 12 * 58_980, 12)
    );
    let certificate = &e.lines[2];
    assert_eq!(
        certificate.tenge, 4_561_120,
        "the 2025 certificate cap, 1,160 MCI"
    );
}

#[tokio::test]
async fn thirty_mci_rent_in_2025_and_a_2026_decision_at_4325() {
    let (app, decided) =
        included_family(NaiveDate::from_ymd_opt(2025, 6, 2).unwrap(), 1, 30, 0).await;
    let e = entitlement(&app, &decided.name).await;
    assert_eq!(e.lines[1].per_payment_tenge, 117_960);
    assert_eq!(
        (e.rent_mci_per_month, e.rent_tenge_per_month),
        (30, 117_960)
    );
    assert_eq!(e.lines.len(), 2, "no certificate asked for");

    let (app, decided) = included_family(
        NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
        2,
        20,
        1_000_000,
    )
    .await;
    let e = entitlement(&app, &decided.name).await;
    assert_eq!((e.mci_year, e.mci_tenge), (2026, 4325));
    assert_eq!(
        (e.rent_mci_per_month, e.rent_tenge_per_month),
        (20, 20 * 4325)
    );
    assert_eq!(e.lines[0].tenge, 140 * 4325);
    assert_eq!(
        e.lines[2].tenge, 500_000,
        "50% of the housing cost, under the cap"
    );
}

async fn pay(
    app: &TestApp,
    request: pb::RecordPaymentRequest,
) -> Result<pb::Payment, tonic::Status> {
    pb::support_service_client::SupportServiceClient::new(app.channel("employment_center").await)
        .record_payment(request)
        .await
        .map(|r| r.into_inner())
}

fn payment(
    application: &str,
    kind: pb::SupportKind,
    tenge: i64,
    period: &str,
) -> pb::RecordPaymentRequest {
    pb::RecordPaymentRequest {
        request_id: request_id(),
        application: application.into(),
        kind: kind as i32,
        tenge,
        period: period.into(),
    }
}

#[tokio::test]
async fn payments_never_exceed_a_line_and_retries_never_duplicate() {
    let (app, decided) = included_family(
        NaiveDate::from_ymd_opt(2025, 6, 2).unwrap(),
        4,
        15,
        1_000_000,
    )
    .await;
    let a = decided.name.as_str();

    // One relocation payment; a retry returns the first; a second payment is refused.
    let relocation = payment(a, pb::SupportKind::Relocation, 1_100_960, "");
    let first = pay(&app, relocation.clone()).await.unwrap();
    assert_eq!(pay(&app, relocation).await.unwrap().name, first.name);
    let again = pay(&app, payment(a, pb::SupportKind::Relocation, 1, ""))
        .await
        .unwrap_err();
    assert_eq!(again.code(), tonic::Code::FailedPrecondition);
    assert_reason(&again, "PAYMENTS_EXHAUSTED");

    // Rent: at most the monthly amount, one payment per month, twelve in all.
    let too_much = pay(&app, payment(a, pb::SupportKind::Rent, 58_981, "2025-07"))
        .await
        .unwrap_err();
    assert_reason(&too_much, "ABOVE_MONTHLY_AMOUNT");
    for month in 0..12 {
        let period = format!("{}-{:02}", 2025 + (6 + month) / 12, (6 + month) % 12 + 1);
        pay(&app, payment(a, pb::SupportKind::Rent, 58_980, &period))
            .await
            .unwrap();
    }
    let same_month = pay(&app, payment(a, pb::SupportKind::Rent, 100, "2025-07"))
        .await
        .unwrap_err();
    assert_eq!(same_month.code(), tonic::Code::FailedPrecondition);
    let thirteenth = pay(&app, payment(a, pb::SupportKind::Rent, 58_980, "2026-06"))
        .await
        .unwrap_err();
    assert_reason(&thirteenth, "PAYMENTS_EXHAUSTED");

    // Certificate: 500,000 in parts, never more.
    pay(
        &app,
        payment(a, pb::SupportKind::MobilityCertificate, 300_000, ""),
    )
    .await
    .unwrap();
    let over = pay(
        &app,
        payment(a, pb::SupportKind::MobilityCertificate, 200_001, ""),
    )
    .await
    .unwrap_err();
    assert_reason(&over, "ABOVE_ENTITLEMENT");
    pay(
        &app,
        payment(a, pb::SupportKind::MobilityCertificate, 200_000, ""),
    )
    .await
    .unwrap();

    let e = entitlement(&app, a).await;
    assert_eq!(
        e.lines.iter().map(|l| l.paid_tenge).collect::<Vec<_>>(),
        vec![1_100_960, 12 * 58_980, 500_000]
    );
    let listed = pb::support_service_client::SupportServiceClient::new(
        app.channel("employment_center").await,
    )
    .list_payments(pb::ListPaymentsRequest {
        application: a.into(),
        page_size: 100,
        page_token: String::new(),
    })
    .await
    .unwrap()
    .into_inner();
    assert_eq!(listed.payments.len(), 1 + 12 + 2);
    // The database refuses an overpayment even from a writer that skips the checks.
    let bypass = sqlx::query!(
        "UPDATE entitlement_lines SET paid_tenge = tenge + 1 WHERE kind = 'relocation'"
    )
    .execute(&app.pool)
    .await;
    assert!(bypass.is_err());
}

/// SPEC 6 Decision: decided 2026-03-10, rent is paid for 2026-04 through 2027-03 only.
#[tokio::test]
async fn rent_is_paid_only_for_the_12_months_after_the_decision_month() {
    let (app, decided) =
        included_family(NaiveDate::from_ymd_opt(2026, 3, 10).unwrap(), 1, 15, 0).await;
    let a = decided.name.as_str();
    let monthly = 15 * 4325;
    for outside in ["2026-03", "2027-04"] {
        let error = pay(&app, payment(a, pb::SupportKind::Rent, monthly, outside))
            .await
            .unwrap_err();
        assert_eq!(error.code(), tonic::Code::FailedPrecondition, "{outside}");
        assert_reason(&error, "PERIOD_OUTSIDE_RENT_MONTHS");
        assert!(
            error.message().contains("2026-04") && error.message().contains("2027-03"),
            "the allowed range is named: {}",
            error.message()
        );
    }
    for inside in ["2026-04", "2027-03"] {
        pay(&app, payment(a, pb::SupportKind::Rent, monthly, inside))
            .await
            .unwrap_or_else(|e| panic!("{inside}: {e:?}"));
    }
    let e = entitlement(&app, a).await;
    assert_eq!(
        (e.lines[1].payments, e.lines[1].paid_tenge),
        (2, 2 * monthly)
    );
}

#[tokio::test]
async fn a_year_without_mci_is_an_error_naming_it_until_an_administrator_sets_it() {
    let app =
        spawn_app_with(|s| s.clock = Clock::pinned(NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()))
            .await;
    let mut admin = pb::admin_service_client::AdminServiceClient::new(app.channel("admin").await);
    admin
        .set_quota(pb::SetQuotaRequest {
            request_id: request_id(),
            region: "KZ-55".into(),
            year: 2027,
            places: 500,
        })
        .await
        .unwrap();
    let family = eligible_family(&app, 1, 1, "KZ-55").await;
    let ready = quota_application_ready(&app, &family, "KZ-55", 2027).await;
    let mut commission = app.applications("commission").await;
    let error = commission
        .decide_application(quota_approval(&ready.name, &ready.etag, 15, 0))
        .await
        .unwrap_err();
    assert_eq!(error.code(), tonic::Code::FailedPrecondition);
    assert_reason(&error, "MCI_NOT_SET");
    assert!(error.message().contains("2027"), "{}", error.message());

    admin
        .set_mci(pb::SetMciRequest {
            request_id: request_id(),
            year: 2027,
            tenge: 4_500,
        })
        .await
        .unwrap();
    let listed = admin
        .list_mci(pb::ListMciRequest {})
        .await
        .unwrap()
        .into_inner()
        .values;
    assert_eq!(
        listed.iter().map(|m| (m.year, m.tenge)).collect::<Vec<_>>(),
        vec![
            (2023, 3450),
            (2024, 3692),
            (2025, 3932),
            (2026, 4325),
            (2027, 4500)
        ]
    );
    let decided = commission
        .decide_application(quota_approval(&ready.name, &ready.etag, 15, 0))
        .await
        .unwrap()
        .into_inner();
    let e = entitlement(&app, &decided.name).await;
    assert_eq!((e.mci_year, e.lines[0].tenge), (2027, 70 * 4_500));
}

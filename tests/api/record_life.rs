//! After issue (SPEC 5.7): police end a registration, the commission annuls a kandas status,
//! police annul a permit and its card falls with it; prerequisites see each as of any date.

use crate::helpers::*;
use chrono::NaiveDate;
use kandas::pb;
use kandas::pb::person_service_client::PersonServiceClient;
use kandas::pb::prerequisite_service_client::PrerequisiteServiceClient;
use kandas::state::Clock;
use std::collections::BTreeMap;
use tonic::Code;

const INSIDE: &str = "KZ-55";
const OUTSIDE: &str = "KZ-10";

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn proto(d: NaiveDate) -> pb::Date {
    use chrono::Datelike;
    date(d.year(), d.month(), d.day())
}

/// A settled kandas in `INSIDE` (status, permit, permanent registration issued on
/// 2026-06-01), with an office of each deciding role in each region.
async fn settled() -> (TestApp, pb::Person) {
    let app = spawn_app_with(|s| {
        s.clock = Clock::pinned(default_today());
        for (role, region) in [
            ("police", INSIDE),
            ("police", OUTSIDE),
            ("commission", OUTSIDE),
        ] {
            register_regional(s, role, &format!("{role}-{}", &region[3..]), &[region]);
        }
    })
    .await;
    let family = eligible_family(&app, 1, 1, INSIDE).await;
    (app, family[0].clone())
}

/// The same database a fortnight later.
async fn later(app: &TestApp, today: NaiveDate) -> TestApp {
    spawn_on(app.database_url.clone(), app.same_ca(), |s| {
        s.clock = Clock::pinned(today)
    })
    .await
}

// Run-time text: each caller names the table its record lies in.
async fn record_name(app: &TestApp, person: &str, sql: &'static str, collection: &str) -> String {
    let id = uuid::Uuid::parse_str(person.trim_start_matches("persons/")).unwrap();
    let key: String = sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    format!("{person}/{collection}/{key}")
}

async fn registration_of(app: &TestApp, person: &str) -> String {
    record_name(
        app,
        person,
        "SELECT id::text FROM registrations WHERE person_id = $1",
        "registrations",
    )
    .await
}

async fn permit_of(app: &TestApp, person: &str) -> String {
    record_name(
        app,
        person,
        "SELECT number FROM permits WHERE person_id = $1",
        "permits",
    )
    .await
}

async fn status_of(app: &TestApp, person: &str) -> String {
    record_name(
        app,
        person,
        "SELECT certificate_number FROM kandas_statuses WHERE person_id = $1",
        "kandas-statuses",
    )
    .await
}

/// Prerequisite code → satisfied, as of `as_of`.
async fn checks(
    app: &TestApp,
    person: &str,
    procedure: pb::Procedure,
    as_of: NaiveDate,
) -> BTreeMap<String, (bool, String)> {
    PrerequisiteServiceClient::new(app.channel("police").await)
        .check_prerequisites(pb::CheckPrerequisitesRequest {
            person: person.into(),
            procedure: procedure as i32,
            as_of: Some(proto(as_of)),
            // Quota inclusion is checked for the region and year it would be filed for.
            region: INSIDE.into(),
            year: chrono::Datelike::year(&as_of),
        })
        .await
        .unwrap()
        .into_inner()
        .prerequisites
        .into_iter()
        .map(|p| (p.code, (p.satisfied, p.description)))
        .collect()
}

async fn satisfied(
    app: &TestApp,
    person: &str,
    procedure: pb::Procedure,
    code: &str,
    as_of: NaiveDate,
) -> bool {
    checks(app, person, procedure, as_of).await[code].0
}

fn ending(name: &str, last_day: NaiveDate) -> pb::EndRegistrationRequest {
    pb::EndRegistrationRequest {
        request_id: request_id(),
        name: name.into(),
        ended_on: Some(proto(last_day)),
        reason: pb::registration::EndReason::MovedOut as i32,
    }
}

fn annulment(name: &str, from: NaiveDate) -> pb::AnnulRecordRequest {
    pb::AnnulRecordRequest {
        request_id: request_id(),
        name: name.into(),
        annulled_on: Some(proto(from)),
        ground: pb::annulled_record::Ground::FalseDocuments as i32,
        legal_basis: "Law on Migration of the Population, art. 51".into(),
    }
}

async fn persons_as(app: &TestApp, role: &str, org: &str) -> PersonClient {
    PersonServiceClient::new(app.channel_as(role, org).await)
}

#[tokio::test]
async fn an_ended_registration_counts_through_its_last_day_and_the_ten_days_from_then() {
    let (app, person) = settled().await;
    let later = later(&app, day(2026, 6, 15)).await;
    let name = registration_of(&app, &person.name).await;
    let mut police = persons_as(&later, "police", "police-55").await;
    let request = ending(&name, day(2026, 6, 5));
    let ended = police
        .end_registration(request.clone())
        .await
        .expect("police end the registration")
        .into_inner();
    assert_eq!(ended.name, name);
    assert_eq!(ended.ended_on, Some(date(2026, 6, 5)));
    assert_eq!(
        ended.end_reason,
        pb::registration::EndReason::MovedOut as i32
    );
    assert_eq!(ended.region, INSIDE);

    // A retry gets the first answer; the same id for another request is refused.
    let again = police
        .end_registration(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, ended);
    let changed = police
        .end_registration(pb::EndRegistrationRequest {
            ended_on: Some(date(2026, 6, 4)),
            ..request
        })
        .await
        .unwrap_err();
    assert_eq!(changed.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&changed), vec!["request_id"]);
    // A fresh request on a registration already ended is a stale one.
    let stale = police
        .end_registration(ending(&name, day(2026, 6, 3)))
        .await
        .unwrap_err();
    assert_reason(&stale, "REGISTRATION_ALREADY_ENDED");

    let quota = pb::Procedure::RegionalQuotaInclusion;
    let active = "PERMANENT_REGISTRATION_ACTIVE";
    assert!(satisfied(&later, &person.name, quota, active, day(2026, 6, 4)).await);
    assert!(satisfied(&later, &person.name, quota, active, day(2026, 6, 5)).await);
    assert!(!satisfied(&later, &person.name, quota, active, day(2026, 6, 6)).await);

    let registration = pb::Procedure::ResidenceRegistration;
    let lapse = "REGISTRATION_LAPSE";
    assert!(satisfied(&later, &person.name, registration, lapse, day(2026, 6, 15)).await);
    let eleventh = &checks(&later, &person.name, registration, day(2026, 6, 16)).await[lapse];
    assert!(!eleventh.0, "{}", eleventh.1);
    assert!(eleventh.1.contains("ended by police"), "{}", eleventh.1);
    later.stop().await;
}

#[tokio::test]
async fn ending_a_registration_is_refused_to_others_outside_jurisdiction_and_for_unknown_ones() {
    let (app, person) = settled().await;
    let name = registration_of(&app, &person.name).await;
    let today = default_today();

    let refused = app
        .persons("psc")
        .await
        .end_registration(ending(&name, today))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);

    let outside = persons_as(&app, "police", "police-10")
        .await
        .end_registration(ending(&name, today))
        .await
        .unwrap_err();
    assert_reason(&outside, "OUTSIDE_JURISDICTION");

    let mut police = persons_as(&app, "police", "police-55").await;
    let unknown = format!("{}/registrations/{}", person.name, uuid::Uuid::now_v7());
    let missing = police
        .end_registration(ending(&unknown, today))
        .await
        .unwrap_err();
    // A regional office is not told whether a registration exists elsewhere (AIP-211): the
    // refusal is the one a registration outside its jurisdiction gets.
    assert_eq!(missing.code(), Code::PermissionDenied);
    assert_reason(&missing, "OUTSIDE_JURISDICTION");

    let future = police
        .end_registration(ending(&name, day(2026, 6, 2)))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&future), vec!["ended_on"]);
    let malformed = police
        .end_registration(pb::EndRegistrationRequest {
            name: "registrations/1".into(),
            reason: 0,
            ..ending(&name, today)
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&malformed), vec!["name", "reason"]);
    let early = police
        .end_registration(ending(&name, day(2026, 5, 31)))
        .await
        .unwrap_err();
    assert_reason(&early, "REGISTRATION_NOT_STARTED");
}

#[tokio::test]
async fn an_annulled_permit_takes_its_card_with_it_and_fails_prerequisites_from_its_date() {
    let (app, person) = settled().await;
    let mut psc = app.applications("psc").await;
    let card = psc
        .submit_application(pb::SubmitApplicationRequest {
            request_id: request_id(),
            applicant: person.name.clone(),
            details: Some(details(
                pb::application_details::Procedure::ResidencePermitCard(pb::ResidencePermitCard {
                    renewal: false,
                }),
            )),
            documents: vec![pb::Document {
                r#type: pb::DocumentType::StateDutyPayment as i32,
                form: pb::DocumentForm::Original as i32,
                language: "kk".into(),
                number: "F-1".into(),
                amount_tenge: 4 * 4_325,
                ..Default::default()
            }],
            ..Default::default()
        })
        .await
        .expect("a card application")
        .into_inner();
    let decided = psc
        .decide_application(approve(&card.name, &card.etag))
        .await
        .expect("the card is issued")
        .into_inner();
    let card_number = decided.decision.unwrap().issued[0].number.clone();

    let later = later(&app, day(2026, 6, 15)).await;
    let name = permit_of(&app, &person.name).await;
    let citizenship = pb::Procedure::SimplifiedCitizenship;
    assert!(
        satisfied(
            &later,
            &person.name,
            citizenship,
            "CARD_HELD",
            day(2026, 6, 9)
        )
        .await
    );

    // The commission does not annul permits.
    let wrong = persons_as(&later, "commission", "commission-10")
        .await
        .annul_record(annulment(&name, day(2026, 6, 10)))
        .await
        .unwrap_err();
    assert_reason(&wrong, "RECORD_KIND_NOT_ANNULLED_BY_ROLE");
    let outside = persons_as(&later, "police", "police-10")
        .await
        .annul_record(annulment(&name, day(2026, 6, 10)))
        .await
        .unwrap_err();
    assert_reason(&outside, "OUTSIDE_JURISDICTION");

    let mut police = persons_as(&later, "police", "police-55").await;
    let request = annulment(&name, day(2026, 6, 10));
    let annulled = police
        .annul_record(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(annulled.name, name);
    assert_eq!(
        annulled.kind,
        pb::annulled_record::Kind::PermanentResidencePermit as i32
    );
    assert_eq!(annulled.annulled_on, Some(date(2026, 6, 10)));
    assert_eq!(annulled.cards, vec![card_number]);
    assert_eq!(
        police.annul_record(request).await.unwrap().into_inner(),
        annulled
    );
    let stale = police
        .annul_record(annulment(&name, day(2026, 6, 12)))
        .await
        .unwrap_err();
    assert_reason(&stale, "RECORD_ALREADY_ANNULLED");

    for (as_of, valid) in [(9, true), (10, false), (11, false)] {
        let as_of = day(2026, 6, as_of);
        let held = checks(&later, &person.name, citizenship, as_of).await;
        assert_eq!(
            held["CARD_HELD"].0, valid,
            "card on {as_of}: {}",
            held["CARD_HELD"].1
        );
        let card = pb::Procedure::ResidencePermitCard;
        assert_eq!(
            satisfied(&later, &person.name, card, "PERMIT_GRANTED", as_of).await,
            valid,
            "permit on {as_of}"
        );
    }
    let unknown = police
        .annul_record(annulment(
            &format!("{}/permits/PRP-0000-000000", person.name),
            day(2026, 6, 10),
        ))
        .await
        .unwrap_err();
    // A regional office is not told whether a permit exists (AIP-211).
    assert_eq!(unknown.code(), Code::PermissionDenied);
    assert_reason(&unknown, "OUTSIDE_JURISDICTION");
    later.stop().await;
}

#[tokio::test]
async fn the_commission_annuls_a_kandas_status_and_quota_eligibility_ends_that_day() {
    let (app, person) = settled().await;
    let later = later(&app, day(2026, 6, 15)).await;
    let name = status_of(&app, &person.name).await;

    let wrong = persons_as(&later, "police", "police-55")
        .await
        .annul_record(annulment(&name, day(2026, 6, 10)))
        .await
        .unwrap_err();
    assert_reason(&wrong, "RECORD_KIND_NOT_ANNULLED_BY_ROLE");
    let outside = persons_as(&later, "commission", "commission-10")
        .await
        .annul_record(annulment(&name, day(2026, 6, 10)))
        .await
        .unwrap_err();
    assert_reason(&outside, "OUTSIDE_JURISDICTION");

    let annulled = later
        .persons("commission")
        .await
        .annul_record(annulment(&name, day(2026, 6, 10)))
        .await
        .expect("the commission annuls the status")
        .into_inner();
    assert_eq!(
        annulled.kind,
        pb::annulled_record::Kind::KandasStatus as i32
    );
    assert!(annulled.cards.is_empty());

    let quota = pb::Procedure::RegionalQuotaInclusion;
    let valid = "KANDAS_STATUS_VALID";
    assert!(satisfied(&later, &person.name, quota, valid, day(2026, 6, 9)).await);
    let on_the_day = &checks(&later, &person.name, quota, day(2026, 6, 10)).await[valid];
    assert!(!on_the_day.0);
    assert!(
        on_the_day.1.contains("annulled from 2026-06-10"),
        "{}",
        on_the_day.1
    );
    assert!(!satisfied(&later, &person.name, quota, valid, day(2026, 6, 11)).await);
    later.stop().await;
}

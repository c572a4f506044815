//! Record events for the state registries (SPEC 1, role `registry`): every act on a person's
//! records writes its event in the act's own transaction — one per person and record, with the
//! facts a registry needs — numbered 1, 2, 3… with no gap. A retry writes none again, and an
//! act refused or rolled back leaves none behind.

use crate::helpers::*;
use chrono::NaiveDate;
use kandas::pb;
use kandas::pb::application_details::Procedure as P;
use kandas::service::retention::run_once;
use kandas::state::Clock;
use serde_json::{Value, json};
use tonic::Code;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// One stored event, as a registry's feed would carry it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
struct Event {
    seq: i64,
    kind: String,
    resource: String,
    /// `persons/{id}`.
    person: String,
    region: Option<String>,
    facts: Value,
}

/// These scenarios name exact feed positions; a signed audit head takes one whenever the sealer
/// signs, so heads are left unsigned here (tests/api/audit_attacks.rs covers them).
fn without_heads(settings: &mut kandas::server::startup::Settings) {
    settings.audit_signer = None;
}

/// Every event written so far, in feed order. Asserts the positions run 1, 2, 3… up to the
/// feed's head with no gap, and that each event's facts name its kind.
async fn feed(app: &TestApp) -> Vec<Event> {
    let events: Vec<Event> = sqlx::query_as(
        "SELECT seq, kind, resource, 'persons/' || person_id AS person, region, facts
         FROM record_events ORDER BY seq",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let head: i64 = sqlx::query_scalar("SELECT seq FROM record_feed_head")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let positions: Vec<i64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(
        positions,
        (1..=head).collect::<Vec<_>>(),
        "numbered from 1 to the head with no gap"
    );
    for event in &events {
        assert_eq!(event.facts["kind"], event.kind.as_str(), "{event:?}");
    }
    events
}

/// The events written after the first `before`.
async fn new_events(app: &TestApp, before: usize) -> Vec<Event> {
    feed(app).await.split_off(before)
}

fn kinds(events: &[Event]) -> Vec<&str> {
    events.iter().map(|e| e.kind.as_str()).collect()
}

fn uuid_of(name: &str) -> uuid::Uuid {
    uuid::Uuid::parse_str(name.rsplit('/').next().unwrap()).unwrap()
}

fn state_fee() -> pb::Document {
    pb::Document {
        amount_tenge: 4 * 4_325,
        ..doc(pb::DocumentType::StateDutyPayment, "")
    }
}

/// Submits as psc, naming `region` when not empty.
async fn submit(
    app: &TestApp,
    applicant: &str,
    details: pb::ApplicationDetails,
    documents: Vec<pb::Document>,
    region: &str,
) -> pb::Application {
    match app
        .applications("psc")
        .await
        .submit_application(pb::SubmitApplicationRequest {
            request_id: request_id(),
            applicant: applicant.into(),
            documents,
            details: Some(details),
            region: region.into(),
            applicant_confirmation: None,
        })
        .await
    {
        Ok(response) => response.into_inner(),
        Err(status) => panic!(
            "submission refused: {status:?} {:?}",
            error_details(&status).precondition_failure()
        ),
    }
}

async fn decide(
    app: &TestApp,
    role: &str,
    request: pb::DecideApplicationRequest,
) -> Result<pb::Application, tonic::Status> {
    app.applications(role)
        .await
        .decide_application(request)
        .await
        .map(|r| r.into_inner())
}

async fn approved(app: &TestApp, role: &str, application: &pb::Application) -> pb::Application {
    let decided = decide(app, role, approve(&application.name, &application.etag))
        .await
        .expect("approved");
    assert_eq!(decided.state, pb::application::State::Approved as i32);
    decided
}

fn issued(application: &pb::Application) -> Vec<pb::IssuedRecord> {
    application.decision.clone().unwrap().issued
}

async fn get_person(app: &TestApp, name: &str) -> pb::Person {
    app.persons("psc")
        .await
        .get_person(pb::GetPersonRequest {
            name: name.into(),
            iin: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
}

/// A card for `person`, the passport on record; returns the card's number.
async fn card_for(app: &TestApp, person: &pb::Person) -> String {
    let application = submit(
        app,
        &person.name,
        details(P::ResidencePermitCard(pb::ResidencePermitCard {
            renewal: false,
        })),
        vec![state_fee()],
        "",
    )
    .await;
    issued(&approved(app, "psc", &application).await)[0]
        .number
        .clone()
}

#[tokio::test]
async fn an_assigned_iin_reaches_the_iin_registry_once_with_the_identity_as_stored() {
    let app = spawn_app_with(without_heads).await;
    let mut persons = app.persons("psc").await;
    let applicant = register(
        &mut persons,
        pb::Person {
            patronymic: "Serikuly".into(),
            ..person("Abenov")
        },
    )
    .await;
    let application = submit(
        &app,
        &applicant.name,
        iin_details(false),
        vec![passport()],
        "KZ-75",
    )
    .await;

    // A decision on a version that has since changed is refused, and nothing is written.
    let stale = decide(&app, "psc", approve(&application.name, "v999"))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);
    assert_eq!(feed(&app).await, vec![]);

    let approval = approve(&application.name, &application.etag);
    let first = decide(&app, "psc", approval.clone()).await.unwrap();
    let iin = get_person(&app, &applicant.name).await.iin;
    assert_eq!(iin.len(), 12);
    let expected = vec![Event {
        seq: 1,
        kind: "iin_assigned".into(),
        resource: applicant.name.clone(),
        person: applicant.name.clone(),
        region: Some("KZ-75".into()),
        facts: json!({
            "kind": "iin_assigned",
            "iin": iin,
            "identity": {
                "surname": "Abenov",
                "given_name": "Aidos",
                "patronymic": "Serikuly",
                "birth_date": "1987-10-08",
                "sex": "male",
                "citizenship": "CHN",
            },
        }),
    }];
    assert_eq!(feed(&app).await, expected);

    // The same request again answers as the first time and writes nothing.
    let again = decide(&app, "psc", approval).await.unwrap();
    assert_eq!(again, first);
    assert_eq!(feed(&app).await, expected);
    // A new decision on a decided application is refused: still the one event.
    let final_ = decide(&app, "psc", approve(&application.name, &first.etag))
        .await
        .unwrap_err();
    assert_reason(&final_, "APPLICATION_FINAL");
    assert_eq!(feed(&app).await, expected);

    // A refusal issues nothing, so no registry hears of it.
    let other = register(&mut persons, person("Bekov")).await;
    let refused = submit(&app, &other.name, iin_details(false), vec![passport()], "").await;
    let decided = decide(
        &app,
        "psc",
        refuse(
            &refused.name,
            &refused.etag,
            "FALSE_INFORMATION",
            "the passport is not the applicant's",
        ),
    )
    .await
    .unwrap();
    assert_eq!(decided.state, pb::application::State::Refused as i32);
    assert_eq!(feed(&app).await, expected);
}

#[tokio::test]
async fn acts_committing_at_once_are_numbered_one_after_another_without_a_gap() {
    let app = spawn_app_with(without_heads).await;
    let mut persons = app.persons("psc").await;
    let mut applications = Vec::new();
    for surname in [
        "Alimov", "Baimov", "Dauletov", "Ermekov", "Zhakenov", "Iskakov",
    ] {
        let p = register(&mut persons, person(surname)).await;
        applications.push(submit(&app, &p.name, iin_details(false), vec![passport()], "").await);
    }
    let decisions = applications.iter().map(|a| approved(&app, "psc", a));
    futures_util::future::join_all(decisions).await;
    let events = feed(&app).await;
    assert_eq!(events.len(), 6, "one each: {events:?}");
    let mut persons: Vec<&str> = events.iter().map(|e| e.person.as_str()).collect();
    persons.sort();
    persons.dedup();
    assert_eq!(persons.len(), 6, "one per person");
}

#[tokio::test]
async fn each_record_a_family_is_issued_is_one_event_per_person_where_it_lies() {
    let app = spawn_app_with(without_heads).await;
    let family = eligible_family(&app, 1, 2, "KZ-55").await;
    let (a, b) = (&family[0], &family[1]);
    let events = feed(&app).await;
    assert_eq!(
        kinds(&events),
        vec![
            "kandas_status_granted",
            "kandas_status_granted",
            "permit_granted",
            "permit_granted",
            "registration_made",
            "registration_made",
        ]
    );
    let people: Vec<&str> = events.iter().map(|e| e.person.as_str()).collect();
    assert_eq!(
        people,
        vec![&a.name, &b.name, &a.name, &b.name, &a.name, &b.name]
    );
    for (event, holder) in events.iter().zip([a, b, a, b, a, b]) {
        assert_eq!(event.facts["iin"], holder.iin.as_str(), "{event:?}");
    }

    for (event, holder) in events[..2].iter().zip([a, b]) {
        let number: String = sqlx::query_scalar!(
            "SELECT certificate_number FROM kandas_statuses WHERE person_id = $1",
            uuid_of(&holder.name)
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(
            event.resource,
            format!("{}/kandas-statuses/{number}", holder.name)
        );
        // Filed by a national office that named no region: the status lies nowhere yet.
        assert_eq!(event.region, None);
        assert_eq!(
            event.facts,
            json!({
                "kind": "kandas_status_granted",
                "iin": holder.iin,
                "certificate_number": number,
                "valid_from": "2026-06-01",
                "valid_until": "2027-06-01",
            })
        );
    }
    for (event, holder) in events[2..4].iter().zip([a, b]) {
        let number: String = sqlx::query_scalar!(
            "SELECT number FROM permits WHERE person_id = $1",
            uuid_of(&holder.name)
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(event.resource, format!("{}/permits/{number}", holder.name));
        assert_eq!(
            event.facts,
            json!({
                "kind": "permit_granted",
                "iin": holder.iin,
                "number": number,
                "granted_on": "2026-06-01",
            })
        );
    }
    for (event, holder) in events[4..].iter().zip([a, b]) {
        let id: uuid::Uuid = sqlx::query_scalar!(
            "SELECT id FROM registrations WHERE person_id = $1",
            uuid_of(&holder.name)
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(
            event.resource,
            format!("{}/registrations/{id}", holder.name)
        );
        assert_eq!(event.region.as_deref(), Some("KZ-55"));
        assert_eq!(
            event.facts,
            json!({
                "kind": "registration_made",
                "iin": holder.iin,
                "registration_kind": "permanent",
                "region": "KZ-55",
                "registered_on": "2026-06-01",
                "until": null,
            })
        );
    }

    // A card each: where the holder is permanently registered, capped by the passport.
    for holder in [a, b] {
        let number = card_for(&app, holder).await;
        let events = new_events(&app, feed(&app).await.len() - 1).await;
        assert_eq!(
            events,
            vec![Event {
                seq: events[0].seq,
                kind: "card_issued".into(),
                resource: format!("{}/cards/{number}", holder.name),
                person: holder.name.clone(),
                region: Some("KZ-55".into()),
                facts: json!({
                    "kind": "card_issued",
                    "iin": holder.iin,
                    "number": number,
                    "issued_on": "2026-06-01",
                    "valid_until": "2034-01-01",
                }),
            }]
        );
    }

    // Citizenship for the family: one event per person.
    let before = feed(&app).await.len();
    let citizenship = submit(
        &app,
        &a.name,
        details(P::SimplifiedCitizenship(pb::SimplifiedCitizenship {
            category: pb::simplified_citizenship::Category::Kandas as i32,
            family: vec![pb::FamilyMember {
                person: b.name.clone(),
                relation: pb::Relation::OtherRelative as i32,
            }],
        })),
        vec![
            notarized(pb::DocumentType::CitizenshipRenunciation, ""),
            doc(pb::DocumentType::ApplicationForm, ""),
            photos("", 4),
            doc(pb::DocumentType::ComplianceObligation, ""),
        ],
        "",
    )
    .await;
    approved(&app, "police", &citizenship).await;
    let events = new_events(&app, before).await;
    assert_eq!(events.len(), 2, "{events:?}");
    for (event, holder) in events.iter().zip([a, b]) {
        assert_eq!(event.kind, "citizenship_granted");
        assert_eq!(event.resource, format!("{}/citizenship", holder.name));
        assert_eq!(event.person, holder.name);
        assert_eq!(event.region.as_deref(), Some("KZ-55"));
        assert_eq!(
            event.facts,
            json!({"kind": "citizenship_granted", "iin": holder.iin, "granted_on": "2026-06-01"})
        );
    }
}

#[tokio::test]
async fn a_stateless_certificate_is_one_event_where_the_application_lies() {
    let app = spawn_app_with(without_heads).await;
    let mut persons = app.persons("psc").await;
    let stateless = register(
        &mut persons,
        pb::Person {
            iin: "800416300257".into(),
            birth_date: Some(date(1980, 4, 16)),
            citizenship: String::new(),
            ethnic_kazakh: false,
            ..person("Stateless")
        },
    )
    .await;
    let application = submit(
        &app,
        &stateless.name,
        details(P::StatelessPersonCertificate(
            pb::StatelessPersonCertificate { paper_form: true },
        )),
        vec![
            state_fee(),
            photos("", 3),
            doc(pb::DocumentType::UssrPassport1974, ""),
        ],
        "KZ-19",
    )
    .await;
    let number = issued(&approved(&app, "psc", &application).await)[0]
        .number
        .clone();
    assert_eq!(
        feed(&app).await,
        vec![Event {
            seq: 1,
            kind: "stateless_certificate_issued".into(),
            resource: format!("{}/stateless-certificates/{number}", stateless.name),
            person: stateless.name.clone(),
            region: Some("KZ-19".into()),
            facts: json!({
                "kind": "stateless_certificate_issued",
                "iin": "800416300257",
                "number": number,
                "issued_on": "2026-06-01",
            }),
        }]
    );
}

#[tokio::test]
async fn an_extension_names_the_status_it_extends_with_its_new_validity() {
    let app = spawn_app_with(|s| {
        without_heads(s);
        s.clock = Clock::pinned(day(2026, 6, 1));
    })
    .await;
    let family = eligible_family(&app, 1, 1, "KZ-55").await;
    let granted = feed(&app).await.remove(0);
    assert_eq!(granted.kind, "kandas_status_granted");

    let later = spawn_on(app.database_url.clone(), app.same_ca(), |s| {
        without_heads(s);
        s.clock = Clock::pinned(day(2027, 5, 3));
    })
    .await;
    let extension = submit(
        &later,
        &family[0].name,
        details(P::KandasStatusExtension(pb::KandasStatusExtension {})),
        vec![doc(pb::DocumentType::ApplicationForm, "")],
        "KZ-55",
    )
    .await;
    approved(&later, "commission", &extension).await;
    let events = new_events(&later, 3).await;
    assert_eq!(
        events,
        vec![Event {
            seq: 4,
            kind: "kandas_status_extended".into(),
            resource: granted.resource.clone(),
            person: family[0].name.clone(),
            region: Some("KZ-55".into()),
            facts: json!({
                "kind": "kandas_status_extended",
                "iin": family[0].iin,
                "certificate_number": granted.facts["certificate_number"],
                "valid_from": "2027-05-03",
                "valid_until": "2028-05-03",
            }),
        }]
    );
}

#[tokio::test]
async fn an_approval_that_fails_its_precondition_leaves_no_event() {
    let app = spawn_app_with(without_heads).await;
    let family = eligible_family(&app, 1, 1, "KZ-55").await;
    let before = feed(&app).await;
    // A card asked for with a passport that expires before the office decides.
    let application = submit(
        &app,
        &family[0].name,
        details(P::ResidencePermitCard(pb::ResidencePermitCard {
            renewal: false,
        })),
        vec![
            state_fee(),
            pb::Document {
                number: "E99999999".into(),
                expiry_date: Some(date(2026, 6, 10)),
                ..passport()
            },
        ],
        "",
    )
    .await;
    let later = spawn_on(app.database_url.clone(), app.same_ca(), |s| {
        without_heads(s);
        s.clock = Clock::pinned(day(2026, 6, 11));
    })
    .await;
    let refused = decide(&later, "psc", approve(&application.name, &application.etag))
        .await
        .unwrap_err();
    assert_reason(&refused, "PASSPORT_EXPIRED");
    assert_eq!(feed(&later).await, before);

    // The next act's event follows the last one with no gap.
    let holder = get_person(&later, &family[0].name).await;
    later
        .persons("psc")
        .await
        .update_person(correction(&holder.name, &holder.etag, &["surname"]))
        .await
        .unwrap();
    let events = new_events(&later, before.len()).await;
    assert_eq!(kinds(&events), vec!["person_corrected"]);
    assert_eq!(events[0].seq, before.len() as i64 + 1);
}

#[tokio::test]
async fn an_annulled_permit_names_its_cards_and_a_status_and_a_registration_end_once() {
    let app = spawn_app_with(without_heads).await;
    let family = eligible_family(&app, 1, 1, "KZ-55").await;
    let holder = &family[0];
    let card = card_for(&app, holder).await;
    let events = feed(&app).await;
    let permit = events.iter().find(|e| e.kind == "permit_granted").unwrap();
    let status = events
        .iter()
        .find(|e| e.kind == "kandas_status_granted")
        .unwrap();
    let registration = events
        .iter()
        .find(|e| e.kind == "registration_made")
        .unwrap();
    let before = events.len();

    // Police annul the permit: one event, naming the card that falls with it. The permit's
    // application named no region, so it lies where the holder is permanently registered.
    let mut police = app.persons("police").await;
    let annul_permit = pb::AnnulRecordRequest {
        request_id: request_id(),
        name: permit.resource.clone(),
        annulled_on: Some(date(2026, 6, 1)),
        ground: pb::annulled_record::Ground::FalseDocuments as i32,
        legal_basis: "Law on Migration of Population, art. 51".into(),
    };
    let first = police
        .annul_record(annul_permit.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.cards, vec![card.clone()]);
    let expected = vec![Event {
        seq: before as i64 + 1,
        kind: "permit_annulled".into(),
        resource: permit.resource.clone(),
        person: holder.name.clone(),
        region: Some("KZ-55".into()),
        facts: json!({
            "kind": "permit_annulled",
            "iin": holder.iin,
            "number": permit.facts["number"],
            "annulled_on": "2026-06-01",
            "ground": "false_documents",
            "legal_basis": "Law on Migration of Population, art. 51",
            "cards": [card],
        }),
    }];
    assert_eq!(new_events(&app, before).await, expected);
    // The retry answers the same and writes nothing; a second annulment is refused.
    let again = police
        .annul_record(annul_permit.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, first);
    let twice = police
        .annul_record(pb::AnnulRecordRequest {
            request_id: request_id(),
            ..annul_permit
        })
        .await
        .unwrap_err();
    assert_reason(&twice, "RECORD_ALREADY_ANNULLED");
    assert_eq!(new_events(&app, before).await, expected);

    // The commission annuls the kandas status.
    app.persons("commission")
        .await
        .annul_record(pb::AnnulRecordRequest {
            request_id: request_id(),
            name: status.resource.clone(),
            annulled_on: Some(date(2026, 6, 1)),
            ground: pb::annulled_record::Ground::DepartureAbroad as i32,
            legal_basis: "Law on Migration of Population, art. 20".into(),
        })
        .await
        .unwrap();
    let events = new_events(&app, before + 1).await;
    assert_eq!(
        events,
        vec![Event {
            seq: before as i64 + 2,
            kind: "kandas_status_annulled".into(),
            resource: status.resource.clone(),
            person: holder.name.clone(),
            region: Some("KZ-55".into()),
            facts: json!({
                "kind": "kandas_status_annulled",
                "iin": holder.iin,
                "certificate_number": status.facts["certificate_number"],
                "annulled_on": "2026-06-01",
                "ground": "departure_abroad",
                "legal_basis": "Law on Migration of Population, art. 20",
            }),
        }]
    );

    // Police end the registration: one event with its last day and reason, once.
    let ending = pb::EndRegistrationRequest {
        request_id: request_id(),
        name: registration.resource.clone(),
        ended_on: Some(date(2026, 6, 1)),
        reason: pb::registration::EndReason::LeftKazakhstan as i32,
    };
    police.end_registration(ending.clone()).await.unwrap();
    police.end_registration(ending.clone()).await.unwrap();
    let twice = police
        .end_registration(pb::EndRegistrationRequest {
            request_id: request_id(),
            ..ending
        })
        .await
        .unwrap_err();
    assert_reason(&twice, "REGISTRATION_ALREADY_ENDED");
    assert_eq!(
        new_events(&app, before + 2).await,
        vec![Event {
            seq: before as i64 + 3,
            kind: "registration_ended".into(),
            resource: registration.resource.clone(),
            person: holder.name.clone(),
            region: Some("KZ-55".into()),
            facts: json!({
                "kind": "registration_ended",
                "iin": holder.iin,
                "registration_kind": "permanent",
                "region": "KZ-55",
                "last_day": "2026-06-01",
                "reason": "left_kazakhstan",
            }),
        }]
    );
}

fn correction(name: &str, etag: &str, paths: &[&str]) -> pb::UpdatePersonRequest {
    pb::UpdatePersonRequest {
        request_id: request_id(),
        person: Some(pb::Person {
            name: name.into(),
            surname: "Abenuly".into(),
            patronymic: "Serikuly".into(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: paths.iter().map(|p| p.to_string()).collect(),
        }),
        etag: etag.into(),
        reason: "names misspelt at registration".into(),
        supporting_document: Some(pb::SupportingDocument {
            kind: "passport".into(),
            number: "E12345678".into(),
            ..Default::default()
        }),
    }
}

#[tokio::test]
async fn a_correction_names_the_fields_changed_and_the_identity_as_corrected() {
    let app = spawn_app_with(without_heads).await;
    let family = eligible_family(&app, 1, 1, "KZ-55").await;
    let holder = get_person(&app, &family[0].name).await;
    let before = feed(&app).await.len();
    let mut psc = app.persons("psc").await;

    let stale = psc
        .update_person(correction(&holder.name, "v999", &["patronymic"]))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);
    assert_eq!(new_events(&app, before).await, vec![]);

    let request = correction(&holder.name, &holder.etag, &["patronymic", "surname"]);
    psc.update_person(request.clone()).await.unwrap();
    psc.update_person(request).await.unwrap();
    let birth = holder.birth_date.unwrap();
    assert_eq!(
        new_events(&app, before).await,
        vec![Event {
            seq: before as i64 + 1,
            kind: "person_corrected".into(),
            resource: holder.name.clone(),
            person: holder.name.clone(),
            // Where the person is permanently registered.
            region: Some("KZ-55".into()),
            facts: json!({
                "kind": "person_corrected",
                "iin": holder.iin,
                // Registered, then this correction.
                "revision": 2,
                "changed": ["patronymic", "surname"],
                "identity": {
                    "surname": "Abenuly",
                    "given_name": "Aidos",
                    "patronymic": "Serikuly",
                    "birth_date": format!("{:04}-{:02}-{:02}", birth.year, birth.month, birth.day),
                    "sex": "male",
                    "citizenship": "CHN",
                },
            }),
        }]
    );

    // A person with neither an IIN nor a registration: known by no IIN, lying nowhere.
    let newcomer = register(&mut psc, person("Newcomer")).await;
    psc.update_person(correction(&newcomer.name, &newcomer.etag, &["surname"]))
        .await
        .unwrap();
    let events = new_events(&app, before + 1).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].region, None);
    assert_eq!(events[0].facts["iin"], "");
    assert_eq!(events[0].facts["changed"], json!(["surname"]));
}

#[tokio::test]
async fn retention_tells_the_registries_whose_documents_it_erased_once() {
    // Decided Tuesday 2025-05-20: erased from 2026-05-21.
    let app = spawn_app_with(|s| {
        without_heads(s);
        s.clock = Clock::pinned(day(2025, 5, 20));
    })
    .await;
    let mut persons = app.persons("psc").await;
    let applicant = register(
        &mut persons,
        pb::Person {
            iin: "760212350620".into(),
            birth_date: Some(date(1976, 2, 12)),
            ..person("Retained")
        },
    )
    .await;
    let applicant = get_person(&app, &applicant.name).await;
    let application = submit(
        &app,
        &applicant.name,
        details(P::KandasStatusAssignment(pb::KandasStatusAssignment {
            grounds: vec![pb::kandas_status_assignment::Ground::QuotaRegionResettlement as i32],
            nationality_in_identity_document: true,
            consent_via_foreign_institution: false,
            family: vec![],
        })),
        vec![
            doc(pb::DocumentType::ApplicationForm, ""),
            doc(pb::DocumentType::Biography, ""),
            pb::Document {
                expiry_date: Some(date(2034, 1, 1)),
                ..passport()
            },
        ],
        "KZ-19",
    )
    .await;
    approved(&app, "commission", &application).await;
    assert_eq!(kinds(&feed(&app).await), vec!["kandas_status_granted"]);

    let signer = test_audit_signer();
    let tag_key = Some(signer.tag_key());
    assert_eq!(
        run_once(&app.pool, tag_key, day(2026, 5, 20))
            .await
            .unwrap(),
        0
    );
    assert_eq!(feed(&app).await.len(), 1, "kept through the year");
    assert_eq!(
        run_once(&app.pool, tag_key, day(2026, 5, 21))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        run_once(&app.pool, tag_key, day(2026, 5, 22))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        new_events(&app, 1).await,
        vec![Event {
            seq: 2,
            kind: "documents_erased".into(),
            resource: application.name.clone(),
            person: applicant.name.clone(),
            region: Some("KZ-19".into()),
            facts: json!({
                "kind": "documents_erased",
                "iin": applicant.iin,
                "application": application.name,
                "erased_on": "2026-05-21",
            }),
        }]
    );
}

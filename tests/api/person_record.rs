//! One person, one record, and corrections of it (SPEC 5.7).

use crate::helpers::*;
use kandas::pb;
use tonic::Code;

fn passport_of(number: &str) -> Option<pb::IdentityDocument> {
    Some(pb::IdentityDocument {
        number: number.into(),
        issuing_country: "chn".into(),
    })
}

fn registration(p: pb::Person, document: &str) -> pb::RegisterPersonRequest {
    pb::RegisterPersonRequest {
        request_id: request_id(),
        person: Some(p),
        identity_document: passport_of(document),
        confirmed_distinct: false,
    }
}

#[tokio::test]
async fn an_identity_document_is_held_by_one_person_only() {
    let app = spawn_app().await;
    let mut persons = app.persons("psc").await;
    let first = persons
        .register_person(registration(person("Nurlanov"), "E1234567"))
        .await
        .unwrap()
        .into_inner();
    // The same passport, written differently, under another name: the same human.
    let again = persons
        .register_person(registration(person("Nurlanuly"), "e 1234-567"))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::AlreadyExists);
    assert_reason(&again, "IDENTITY_DOCUMENT_HELD");
    assert!(again.message().contains(&first.name), "{}", again.message());
    // Another country's document of the same number is another document.
    persons
        .register_person(pb::RegisterPersonRequest {
            identity_document: Some(pb::IdentityDocument {
                number: "E1234567".into(),
                issuing_country: "MNG".into(),
            }),
            ..registration(person("Bataar"), "")
        })
        .await
        .expect("a different document");
    let malformed = persons
        .register_person(pb::RegisterPersonRequest {
            identity_document: Some(pb::IdentityDocument {
                number: "№".into(),
                issuing_country: "China".into(),
            }),
            ..registration(person("Other"), "")
        })
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&malformed),
        vec![
            "identity_document.number",
            "identity_document.issuing_country"
        ]
    );
}

#[tokio::test]
async fn a_look_alike_is_refused_until_the_office_states_it_is_someone_else() {
    let app = spawn_app().await;
    let mut persons = app.persons("psc").await;
    let first = register(&mut persons, person("Seitkali")).await;
    let mut look_alike = person("SEITKALI");
    look_alike.patronymic = "Serikuly".into();
    let refused = persons
        .register_person(registration(look_alike.clone(), "G7654321"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_reason(&refused, "POSSIBLE_DUPLICATE");
    let candidates: Vec<String> = error_details(&refused)
        .precondition_failure()
        .unwrap()
        .violations
        .iter()
        .map(|v| v.subject.clone())
        .collect();
    assert_eq!(candidates, vec![first.name.clone()]);
    // A different birth date is not a look-alike.
    let mut younger = look_alike.clone();
    younger.birth_date = Some(date(1990, 1, 1));
    persons
        .register_person(registration(younger, "G1111111"))
        .await
        .expect("not the same birth date");

    let distinct = persons
        .register_person(pb::RegisterPersonRequest {
            confirmed_distinct: true,
            ..registration(look_alike, "G7654321")
        })
        .await
        .expect("stated to be someone else")
        .into_inner();
    assert_ne!(distinct.name, first.name);
    let stated: Vec<(String, String)> = sqlx::query!(
        "SELECT subject, outcome FROM audit_events WHERE outcome = 'CONFIRMED_DISTINCT'"
    )
    .fetch_all(&app.pool)
    .await
    .unwrap()
    .into_iter()
    .map(|row| (row.subject, row.outcome))
    .collect();
    assert_eq!(
        stated,
        vec![(distinct.name.clone(), "CONFIRMED_DISTINCT".to_string())]
    );
    let versions = versions_of(&app, &distinct.name).await;
    assert!(
        versions[0].reason.contains(&first.name),
        "{}",
        versions[0].reason
    );
}

fn correction(
    person: &pb::Person,
    paths: &[&str],
    etag: &str,
    change: impl FnOnce(&mut pb::Person),
) -> pb::UpdatePersonRequest {
    let mut proposed = pb::Person {
        name: person.name.clone(),
        ..Default::default()
    };
    change(&mut proposed);
    pb::UpdatePersonRequest {
        request_id: request_id(),
        person: Some(proposed),
        update_mask: Some(prost_types::FieldMask {
            paths: paths.iter().map(|p| p.to_string()).collect(),
        }),
        etag: etag.into(),
        reason: "misspelt at registration".into(),
        supporting_document: Some(pb::SupportingDocument {
            kind: "passport".into(),
            number: "E1234567".into(),
            issue_date: Some(date(2020, 3, 1)),
            issuing_country: "CHN".into(),
        }),
    }
}

async fn versions_of(app: &TestApp, name: &str) -> Vec<pb::PersonVersion> {
    app.persons("psc")
        .await
        .list_person_versions(pb::ListPersonVersionsRequest { name: name.into() })
        .await
        .unwrap()
        .into_inner()
        .versions
}

#[tokio::test]
async fn a_correction_changes_the_fields_named_keeps_the_iin_and_every_version() {
    let app = spawn_app().await;
    let mut persons = app.persons("psc").await;
    let mut holder = person("Nurlanof");
    holder.iin = "871008401427".into();
    holder.birth_date = Some(date(1987, 10, 8));
    holder.sex = pb::Sex::Female as i32;
    let registered = register(&mut persons, holder).await;

    let request = correction(
        &registered,
        &["surname", "birth_date"],
        &registered.etag,
        |p| {
            p.surname = "Nurlanov".into();
            p.given_name = "Not asked for".into();
            p.birth_date = Some(date(1987, 10, 9));
        },
    );
    let corrected = persons
        .update_person(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(corrected.surname, "Nurlanov");
    assert_eq!(corrected.given_name, registered.given_name);
    assert_eq!(corrected.birth_date, Some(date(1987, 10, 9)));
    assert_eq!(corrected.iin, registered.iin, "the IIN never changes");
    assert_ne!(corrected.etag, registered.etag);
    // A retry returns the first answer; the old etag is stale now.
    let retried = persons.update_person(request).await.unwrap().into_inner();
    assert_eq!(retried, corrected);
    let stale = persons
        .update_person(correction(
            &registered,
            &["surname"],
            &registered.etag,
            |p| p.surname = "Other".into(),
        ))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);
    // The IIN now disagrees with the birth date: a hint, never a rejection (SPEC 2.1).
    let checked = persons
        .validate_iin(pb::ValidateIinRequest {
            iin: corrected.iin.clone(),
            birth_date: corrected.birth_date,
            sex: corrected.sex,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(checked.valid);
    assert_eq!(checked.hints.len(), 1, "{:?}", checked.hints);

    let versions = versions_of(&app, &registered.name).await;
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].revision, 1);
    assert_eq!(versions[0].person.as_ref().unwrap().surname, "Nurlanof");
    assert_eq!(versions[0].reason, "registered");
    assert_eq!(versions[1].person.as_ref().unwrap().surname, "Nurlanov");
    assert_eq!(versions[1].reason, "misspelt at registration");
    assert_eq!(versions[1].changed_by, "urn:kandas:psc:test-psc");
    assert_eq!(
        versions[1].supporting_document.as_ref().unwrap().number,
        "E1234567"
    );
    assert!(versions[1].change_time.is_some());
}

#[tokio::test]
async fn a_correction_names_every_problem_and_changes_nothing() {
    let app = spawn_app().await;
    let mut persons = app.persons("psc").await;
    let registered = register(&mut persons, person("Kairatov")).await;
    let iin = persons
        .update_person(correction(&registered, &["iin"], &registered.etag, |_| {}))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&iin), vec!["update_mask"]);
    assert!(iin.message().contains("never changes"), "{}", iin.message());
    let invalid = persons
        .update_person(pb::UpdatePersonRequest {
            reason: String::new(),
            supporting_document: None,
            ..correction(&registered, &["citizenship"], &registered.etag, |p| {
                p.citizenship = "China".into()
            })
        })
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&invalid),
        vec!["reason", "supporting_document"]
    );
    let rule = persons
        .update_person(correction(
            &registered,
            &["citizenship", "surname"],
            &registered.etag,
            |p| p.citizenship = "China".into(),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&rule),
        vec!["person.surname", "person.citizenship"]
    );
    // The commission does not correct persons.
    let role = app
        .persons("commission")
        .await
        .update_person(correction(
            &registered,
            &["surname"],
            &registered.etag,
            |p| p.surname = "X".into(),
        ))
        .await
        .unwrap_err();
    assert_reason(&role, "ROLE_NOT_PERMITTED");
    assert_eq!(versions_of(&app, &registered.name).await.len(), 1);
}

#[tokio::test]
async fn a_persons_records_are_one_list_each_as_it_stands_on_the_day_asked() {
    let app = spawn_app().await;
    let family = eligible_family(&app, 1, 1, "KZ-55").await;
    let mut persons = app.persons("psc").await;
    let list = |as_of: Option<pb::Date>| {
        let mut persons = persons.clone();
        let name = family[0].name.clone();
        async move {
            persons
                .list_person_records(pb::ListPersonRecordsRequest { name, as_of })
                .await
                .unwrap()
                .into_inner()
                .records
        }
    };
    use pb::person_record::{Kind, Standing};
    let today = list(None).await;
    let kinds: Vec<i32> = today.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        vec![
            Kind::Iin as i32,
            Kind::KandasStatus as i32,
            Kind::PermanentResidencePermit as i32,
            Kind::PermanentRegistration as i32
        ]
    );
    assert_eq!(today[0].number, family[0].iin);
    assert!(
        today.iter().all(|r| r.standing == Standing::Valid as i32),
        "{today:?}"
    );
    assert_eq!(today[3].region, "KZ-55");
    assert!(!today[1].number.is_empty() && !today[1].application.is_empty());
    // The day before they were issued, none but the IIN was in force yet.
    let before = list(Some(date(2026, 5, 31))).await;
    assert!(
        before[1..]
            .iter()
            .all(|r| r.standing == Standing::NotYetValid as i32),
        "{before:?}"
    );
    let malformed = persons
        .list_person_records(pb::ListPersonRecordsRequest {
            name: "people/1".into(),
            as_of: None,
        })
        .await
        .unwrap_err();
    assert_eq!(malformed.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn a_mission_corrects_the_persons_it_registered_only() {
    let app = spawn_app_with(|s| register_national(s, "mission", "mission-abroad")).await;
    let channel = app.channel_as("mission", "mission-abroad").await;
    let mut mission = PersonClient::new(channel.clone());
    let own = register(&mut mission, person("Abroad")).await;
    mission
        .update_person(correction(&own, &["surname"], &own.etag, |p| {
            p.surname = "Abroadov".into()
        }))
        .await
        .expect("a person the mission registered");
    // A person a psc registered, though the mission files for them, is the psc's to correct.
    let theirs = register(&mut app.persons("psc").await, person("Athome")).await;
    ApplicationClient::new(channel)
        .submit_application(iin_submission(&theirs.name, vec![passport()]))
        .await
        .expect("the mission files for them");
    let refused = mission
        .update_person(correction(&theirs, &["surname"], &theirs.etag, |p| {
            p.surname = "Athomov".into()
        }))
        .await
        .unwrap_err();
    assert_reason(&refused, "OUTSIDE_JURISDICTION");
}

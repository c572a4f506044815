//! Plausible values only (SPEC §2.3): each value the attack of 2026-12-06 stored is refused
//! INVALID_ARGUMENT naming its field, and nothing is stored; what real kandas are called, and
//! where they come from, still registers as given.

use crate::helpers::*;
use kandas::pb;
use kandas::pb::admin_service_client::AdminServiceClient;
use kandas::pb::application_details::Procedure as P;
use tonic::Code;

async fn persons_stored(app: &TestApp) -> i64 {
    sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM persons"#)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

fn registration(p: pb::Person) -> pb::RegisterPersonRequest {
    pb::RegisterPersonRequest {
        request_id: request_id(),
        person: Some(p),
        ..Default::default()
    }
}

/// Registers `p` and expects a refusal naming exactly `fields`; returns the rules given.
async fn refused(
    app: &TestApp,
    request: pb::RegisterPersonRequest,
    fields: &[&str],
) -> Vec<String> {
    let status = app
        .persons("psc")
        .await
        .register_person(request)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_reason(&status, "INVALID_ARGUMENT");
    assert_eq!(violated_fields(&status), fields, "{status:?}");
    error_details(&status)
        .bad_request()
        .unwrap()
        .field_violations
        .iter()
        .map(|v| v.description.clone())
        .collect()
}

#[tokio::test]
async fn a_name_with_a_bidirectional_override_is_refused_naming_the_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let rules = refused(
        &app,
        registration(person("Nurlanov\u{202E}voLnaruN")),
        &["person.surname"],
    )
    .await;
    assert!(rules[0].contains("U+202E"), "{rules:?}");
    assert_eq!(persons_stored(&app).await, 0);
}

#[tokio::test]
async fn a_name_of_zero_width_characters_only_is_refused() {
    let app = spawn_app().await;
    let mut p = person("Nurlanov");
    p.given_name = "\u{200B}\u{200C}\u{200D}".into();
    p.patronymic = "\u{FEFF}".into();
    let rules = refused(
        &app,
        registration(p),
        &["person.given_name", "person.patronymic"],
    )
    .await;
    assert!(rules[0].contains("zero-width"), "{rules:?}");
    assert_eq!(persons_stored(&app).await, 0);
}

#[tokio::test]
async fn a_citizenship_of_spaces_is_refused_not_read_as_stateless() {
    let app = spawn_app().await;
    let mut p = person("Nurlanov");
    p.citizenship = "   ".into();
    refused(&app, registration(p), &["person.citizenship"]).await;
    let mut p = person("Nurlanov");
    p.citizenship = "ZZZ".into();
    refused(&app, registration(p), &["person.citizenship"]).await;
    assert_eq!(persons_stored(&app).await, 0);
}

#[tokio::test]
async fn a_birth_date_of_1800_is_refused_though_its_iin_still_validates() {
    let app = spawn_app().await;
    let born = chrono::NaiveDate::from_ymd_opt(1800, 1, 1).unwrap();
    let iin = (1..)
        .find_map(|serial| {
            kandas::domain::iin::Iin::generate(born, kandas::domain::iin::Sex::Male, serial)
                .ok()
                .flatten()
        })
        .unwrap();
    let checked = app
        .persons("psc")
        .await
        .validate_iin(pb::ValidateIinRequest {
            iin: iin.as_str().into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(checked.valid, "an IIN of the 1800s validates (SPEC 2.1)");
    let mut p = person("Nurlanov");
    p.iin = iin.as_str().into();
    p.birth_date = Some(date(1800, 1, 1));
    let rules = refused(&app, registration(p), &["person.birth_date"]).await;
    assert!(rules[0].contains("120 years"), "{rules:?}");
    assert_eq!(persons_stored(&app).await, 0);
}

#[tokio::test]
async fn birth_dates_are_taken_from_a_hundred_and_twenty_years_ago_up_to_today() {
    // The harness's clock says 2026-06-01.
    let app = spawn_app().await;
    let mut persons = app.persons("psc").await;
    for (birth, ok) in [
        (date(1906, 5, 31), false),
        (date(1906, 6, 1), true),
        (date(2026, 6, 1), true),
        (date(2026, 6, 2), false),
    ] {
        let mut p = person("Nurlanov");
        p.birth_date = Some(birth);
        let answer = persons
            .register_person(pb::RegisterPersonRequest {
                confirmed_distinct: true,
                ..registration(p)
            })
            .await;
        match (ok, answer) {
            (true, Ok(_)) => {}
            (false, Err(status)) => assert_eq!(violated_fields(&status), ["person.birth_date"]),
            (_, answer) => panic!("{birth:?}: {answer:?}"),
        }
    }
    assert_eq!(persons_stored(&app).await, 2);
}

#[tokio::test]
async fn names_in_the_scripts_kandas_write_and_icao_codes_register_as_given() {
    let app = spawn_app().await;
    let mut persons = app.persons("psc").await;
    for (surname, given_name, citizenship) in [
        ("  Әбілқасымова ", "Айгүл", "CHN"),
        ("努尔兰", "艾多斯", "chn"),
        ("محمدی", "علی", "IRN"),
        ("Nurlanuly-Seitkali", "O\u{2019}Brien", "XXA"),
        ("Ölziibat", "Bat-Erdene", "mng"),
    ] {
        let mut p = person(surname);
        p.given_name = given_name.into();
        p.citizenship = citizenship.into();
        let registered = register(&mut persons, p).await;
        assert_eq!(registered.surname, surname.trim());
        assert_eq!(registered.given_name, given_name);
        assert_eq!(registered.citizenship, citizenship.to_ascii_uppercase());
    }
}

#[tokio::test]
async fn an_identity_document_from_no_country_is_refused() {
    let app = spawn_app().await;
    let request = pb::RegisterPersonRequest {
        identity_document: Some(pb::IdentityDocument {
            number: "E1234567".into(),
            issuing_country: "SUN".into(),
        }),
        ..registration(person("Nurlanov"))
    };
    refused(&app, request, &["identity_document.issuing_country"]).await;
    assert_eq!(persons_stored(&app).await, 0);
}

fn correction(
    registered: &pb::Person,
    paths: &[&str],
    change: impl FnOnce(&mut pb::Person, &mut pb::SupportingDocument),
) -> pb::UpdatePersonRequest {
    let mut proposed = pb::Person {
        name: registered.name.clone(),
        ..Default::default()
    };
    let mut document = pb::SupportingDocument {
        kind: "passport".into(),
        number: "E1234567".into(),
        issue_date: Some(date(2020, 3, 1)),
        issuing_country: "CHN".into(),
    };
    change(&mut proposed, &mut document);
    pb::UpdatePersonRequest {
        request_id: request_id(),
        person: Some(proposed),
        update_mask: Some(prost_types::FieldMask {
            paths: paths.iter().map(|p| p.to_string()).collect(),
        }),
        etag: registered.etag.clone(),
        reason: "misspelt at registration".into(),
        supporting_document: Some(document),
    }
}

#[tokio::test]
async fn a_correction_to_an_implausible_value_is_refused_and_the_record_stays() {
    let app = spawn_app().await;
    let mut persons = app.persons("psc").await;
    let registered = register(&mut persons, person("Nurlanov")).await;
    let status = persons
        .update_person(correction(
            &registered,
            &["surname", "birth_date", "citizenship"],
            |p, _| {
                p.surname = "\u{202E}vonalruN".into();
                p.birth_date = Some(date(1800, 1, 1));
                p.citizenship = " ".into();
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&status),
        ["person.surname", "person.birth_date", "person.citizenship"]
    );
    let status = persons
        .update_person(correction(&registered, &["surname"], |p, document| {
            p.surname = "Nurlanuly".into();
            document.issuing_country = "China".into();
        }))
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&status),
        ["supporting_document.issuing_country"]
    );
    let now = persons
        .get_person(pb::GetPersonRequest {
            name: registered.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(now, registered);
}

#[tokio::test]
async fn a_document_presented_from_no_country_is_refused_naming_it() {
    let app = spawn_app().await;
    let mut persons = app.persons("psc").await;
    let applicant = register(&mut persons, person("Nurlanov")).await;
    let mut document = passport();
    document.issuing_country = " ".into();
    let status = app
        .applications("psc")
        .await
        .check_documents(pb::CheckDocumentsRequest {
            applicant: applicant.name.clone(),
            details: Some(iin_details(false)),
            documents: vec![document],
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["documents[0].issuing_country"]);
}

#[tokio::test]
async fn a_described_applicant_or_member_born_too_long_ago_is_refused_naming_who() {
    let app = spawn_app().await;
    let status = app
        .applications("psc")
        .await
        .list_required_documents(pb::ListRequiredDocumentsRequest {
            details: Some(details(P::PermanentResidencePermit(
                pb::PermanentResidencePermit {
                    category: pb::permanent_residence_permit::Category::OtherForeigner as i32,
                    ..Default::default()
                },
            ))),
            applicant: String::new(),
            description: Some(pb::ApplicantDescription {
                birth_date: Some(date(1800, 1, 1)),
                ethnic_kazakh: false,
                family: vec![
                    pb::DescribedMember {
                        relation: pb::Relation::Child as i32,
                        birth_date: Some(date(2011, 1, 1)),
                    },
                    pb::DescribedMember {
                        relation: pb::Relation::Child as i32,
                        birth_date: Some(date(2030, 1, 1)),
                    },
                ],
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&status),
        ["description.birth_date", "description.family[1].birth_date"]
    );
}

async fn mci_of(app: &TestApp, year: i32) -> Option<i64> {
    sqlx::query_scalar!("SELECT tenge FROM mci_values WHERE year = $1", year)
        .fetch_optional(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_mci_is_set_from_one_to_a_hundred_thousand_tenge_and_nothing_else() {
    let app = spawn_app().await;
    let mut admin = AdminServiceClient::new(app.channel("admin").await);
    let set = |tenge: i64| pb::SetMciRequest {
        request_id: request_id(),
        year: 2030,
        tenge,
    };
    for tenge in [i64::MAX, 100_001, 0, -1, i64::MIN] {
        let status = admin.set_mci(set(tenge)).await.unwrap_err();
        assert_eq!(violated_fields(&status), ["tenge"], "{tenge}");
        assert_eq!(mci_of(&app, 2030).await, None, "{tenge}");
    }
    for tenge in [1, 100_000] {
        admin.set_mci(set(tenge)).await.unwrap();
        assert_eq!(mci_of(&app, 2030).await, Some(tenge));
    }
}

#[tokio::test]
async fn an_mci_stored_out_of_range_refuses_the_approval_before_anything_is_stored() {
    let app = spawn_app().await;
    let family = eligible_family(&app, 1, 2, "KZ-55").await;
    let ready = quota_application_ready(&app, &family, "KZ-55", 2026).await;
    // As the attack left it: a value stored before SetMci kept to the range.
    sqlx::query!(
        "UPDATE mci_values SET tenge = $1 WHERE year = 2026",
        i64::MAX
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let taken = || async {
        sqlx::query_scalar!("SELECT taken FROM quotas WHERE region = 'KZ-55' AND year = 2026")
            .fetch_one(&app.pool)
            .await
            .unwrap()
    };
    let taken_before = taken().await;
    let mut commission = app.applications("commission").await;
    let status = commission
        .decide_application(quota_approval(&ready.name, &ready.etag, 15, 0))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_reason(&status, "MCI_OUT_OF_RANGE");
    assert!(status.message().contains("2026"), "{}", status.message());
    assert_eq!(taken().await, taken_before);
    let lines: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM entitlement_lines"#)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(lines, 0);
    let unchanged = commission
        .get_application(pb::GetApplicationRequest {
            name: ready.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(unchanged.etag, ready.etag);

    // Set again in range, the same approval goes through.
    AdminServiceClient::new(app.channel("admin").await)
        .set_mci(pb::SetMciRequest {
            request_id: request_id(),
            year: 2026,
            tenge: 4_325,
        })
        .await
        .unwrap();
    commission
        .decide_application(quota_approval(&ready.name, &ready.etag, 15, 0))
        .await
        .unwrap();
    assert_eq!(taken().await, taken_before + 2);
}

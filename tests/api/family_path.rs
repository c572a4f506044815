//! One family — applicant, spouse, a child of 15 and a child of 10 — from IINs to simplified
//! citizenship through gRPC, with CheckPrerequisites before and after each step showing
//! exactly what changed, and nothing the family presented or the state issued asked twice; then
//! past citizenship, the life of the records: a correction, a deregistration and a new
//! registration, and an annulled permit taking its card with it. On the way a wrongful refusal
//! of the permit is appealed and overturned by another police office.

use crate::helpers::*;
use chrono::NaiveDate;
use kandas::pb;
use kandas::pb::application_details::Procedure as P;
use kandas::pb::checklist_item::Status;
use kandas::state::Clock;
use std::collections::BTreeMap;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A Chinese passport with a notarized Russian translation, valid until 2031.
fn chinese_passport(holder: &str, number: &str) -> pb::Document {
    pb::Document {
        holder: holder.into(),
        number: number.into(),
        expiry_date: Some(date(2031, 8, 31)),
        ..passport()
    }
}

fn birth_certificate(holder: &str) -> pb::Document {
    pb::Document {
        language: "zh".into(),
        translation: Some(pb::Translation {
            language: "kk".into(),
            notarized: true,
        }),
        issuing_country: "CHN".into(),
        ..doc(pb::DocumentType::BirthCertificate, holder)
    }
}

fn member(person: &pb::Person, relation: pb::Relation) -> pb::FamilyMember {
    pb::FamilyMember {
        person: person.name.clone(),
        relation: relation as i32,
    }
}

/// The family's world on one day: a server on the shared database pinned to that date.
struct Family {
    database_url: String,
    ca_cert: String,
    ca_key: String,
    spouse: pb::Person,
    teen: pb::Person,
    child: pb::Person,
}

impl Family {
    async fn on(&self, today: NaiveDate) -> TestApp {
        let ca = kandas::local::pki::CertificateAuthority::from_pem(&self.ca_cert, &self.ca_key)
            .unwrap();
        spawn_on(self.database_url.clone(), ca, |s| {
            s.clock = Clock::pinned(today);
            register_national(s, "police", "police-review");
        })
        .await
    }

    fn members(&self) -> Vec<pb::FamilyMember> {
        vec![
            member(&self.spouse, pb::Relation::Spouse),
            member(&self.teen, pb::Relation::Child),
            member(&self.child, pb::Relation::Child),
        ]
    }
}

/// Prerequisites of `procedure` for the applicant as the police see them: code → satisfied.
async fn prerequisites(
    app: &TestApp,
    person: &str,
    procedure: pb::Procedure,
) -> BTreeMap<String, bool> {
    let mut client = pb::prerequisite_service_client::PrerequisiteServiceClient::new(
        app.channel("police").await,
    );
    client
        .check_prerequisites(pb::CheckPrerequisitesRequest {
            person: person.into(),
            procedure: procedure as i32,
            as_of: None,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .prerequisites
        .into_iter()
        .map(|p| (p.code, p.satisfied))
        .collect()
}

/// What changed between two prerequisite pictures: code → (before, after).
fn changes(
    before: &BTreeMap<String, bool>,
    after: &BTreeMap<String, bool>,
) -> BTreeMap<String, (bool, bool)> {
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "same checks listed"
    );
    before
        .iter()
        .filter(|(code, was)| after[*code] != **was)
        .map(|(code, was)| (code.clone(), (*was, after[code])))
        .collect()
}

fn changed(pairs: &[(&str, bool, bool)]) -> BTreeMap<String, (bool, bool)> {
    pairs
        .iter()
        .map(|(c, b, a)| (c.to_string(), (*b, *a)))
        .collect()
}

async fn decide(app: &TestApp, role: &str, application: &pb::Application) -> pb::Application {
    let mut client = app.applications(role).await;
    let decided = client
        .decide_application(approve(&application.name, &application.etag))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(decided.state, pb::application::State::Approved as i32);
    decided
}

/// Asserts these requirements (requirement id, holder) were satisfied from records.
fn assert_from_records(application: &pb::Application, expected: &[(&str, &str)]) {
    for (requirement, holder) in expected {
        let item = application
            .checklist
            .iter()
            .find(|i| i.requirement == *requirement && i.holder == *holder)
            .unwrap_or_else(|| panic!("{requirement} for `{holder}` not in the checklist"));
        assert_eq!(
            item.status,
            Status::SatisfiedFromRecords as i32,
            "{requirement} for `{holder}` must come from records, not be asked again: {item:?}"
        );
        assert!(
            item.detail.starts_with("applications/"),
            "names the record: {item:?}"
        );
    }
}

#[tokio::test]
async fn a_family_goes_from_iins_to_citizenship_and_is_never_asked_twice() {
    let first = spawn_app_with(|s| s.clock = Clock::pinned(day(2026, 1, 12))).await;
    let mut persons = first.persons("psc").await;
    let new_person = |surname: &str, born: pb::Date, sex: pb::Sex| pb::Person {
        surname: surname.into(),
        birth_date: Some(born),
        sex: sex as i32,
        ..person(surname)
    };
    let applicant = register(
        &mut persons,
        new_person("Abenov", date(1985, 7, 20), pb::Sex::Male),
    )
    .await;
    let spouse = register(
        &mut persons,
        new_person("Abenova", date(1987, 3, 14), pb::Sex::Female),
    )
    .await;
    let teen = register(
        &mut persons,
        new_person("Abenov", date(2010, 9, 1), pb::Sex::Male),
    )
    .await;
    let child = register(
        &mut persons,
        new_person("Abenova", date(2015, 5, 5), pb::Sex::Female),
    )
    .await;
    let family = Family {
        database_url: first.database_url.clone(),
        ca_cert: first.ca.cert_pem(),
        ca_key: first.ca.key_pem(),
        spouse: spouse.clone(),
        teen: teen.clone(),
        child: child.clone(),
    };
    let a = applicant.name.as_str();
    let goal = pb::Procedure::SimplifiedCitizenship;

    // 1. IINs, 2026-01-12: each person applies for their own, with their passport.
    let before = prerequisites(&first, a, goal).await;
    assert_eq!(
        before,
        [
            ("CARD_HELD", false),
            ("IIN_ASSIGNED", false),
            ("KANDAS_STATUS_VALID", false),
            ("NOT_A_CITIZEN", true),
            ("NO_OPEN_APPLICATION", true),
            ("PERMANENT_REGISTRATION_ACTIVE", false),
            ("REGISTRATION_LAPSE", true),
        ]
        .into_iter()
        .map(|(c, s)| (c.to_string(), s))
        .collect::<BTreeMap<_, _>>()
    );
    for (i, p) in [&applicant, &spouse, &teen, &child].into_iter().enumerate() {
        let submitted = submit_ok(
            &first,
            &p.name,
            iin_details(false),
            vec![chinese_passport("", &format!("E0000{i}"))],
        )
        .await;
        decide(&first, "psc", &submitted).await;
    }
    assert_eq!(
        changes(&before, &prerequisites(&first, a, goal).await),
        changed(&[("IIN_ASSIGNED", false, true)])
    );

    // 2. Kandas status, 2026-01-19: the passports are on record; the children's birth
    //    certificates are presented now.
    let today = family.on(day(2026, 1, 19)).await;
    let before = prerequisites(&today, a, goal).await;
    let permit_before = prerequisites(&today, a, pb::Procedure::PermanentResidencePermit).await;
    let kandas = submit_ok(
        &today,
        a,
        details(P::KandasStatusAssignment(pb::KandasStatusAssignment {
            grounds: vec![pb::kandas_status_assignment::Ground::QuotaRegionResettlement as i32],
            nationality_in_identity_document: true,
            consent_via_foreign_institution: false,
            family: family.members(),
        })),
        vec![
            doc(pb::DocumentType::ApplicationForm, ""),
            doc(pb::DocumentType::Biography, ""),
            birth_certificate(&teen.name),
            birth_certificate(&child.name),
        ],
    )
    .await;
    assert_eq!(kandas.deadline, Some(date(2026, 3, 10)), "35 working days");
    assert_from_records(
        &kandas,
        &[
            ("kandas.identity_document", ""),
            ("kandas.identity_document", &spouse.name),
            ("kandas.identity_document", &teen.name),
            ("kandas.identity_document", &child.name),
        ],
    );
    let decided = decide(&today, "commission", &kandas).await;
    let issued = decided.decision.unwrap().issued;
    assert_eq!(issued.len(), 4, "applicant and three family members");
    assert!(
        issued
            .iter()
            .all(|r| r.valid_until == Some(date(2027, 1, 19)) && r.number.starts_with("KC-2026-"))
    );
    assert_eq!(
        changes(&before, &prerequisites(&today, a, goal).await),
        changed(&[("KANDAS_STATUS_VALID", false, true)])
    );
    assert_eq!(
        changes(
            &permit_before,
            &prerequisites(&today, a, pb::Procedure::PermanentResidencePermit).await
        ),
        changed(&[("KANDAS_STATUS_VALID", false, true)])
    );

    // 3. Permanent residence permit, 2026-02-02: ethnic Kazakhs from the PRC, with family.
    let today = family.on(day(2026, 2, 2)).await;
    let before = prerequisites(&today, a, goal).await;
    let card_before = prerequisites(&today, a, pb::Procedure::ResidencePermitCard).await;
    let mut documents = vec![
        doc(pb::DocumentType::ApplicationForm, ""),
        notarized(pb::DocumentType::ChildConsent, &teen.name),
        notarized(pb::DocumentType::HousingContract, ""),
    ];
    for holder in ["", &spouse.name, &teen.name, &child.name] {
        documents.push(doc(pb::DocumentType::MedicalCertificate, holder));
        documents.push(photos(holder, 1));
    }
    let permit = submit_ok(
        &today,
        a,
        details(P::PermanentResidencePermit(pb::PermanentResidencePermit {
            category: pb::permanent_residence_permit::Category::KandasAndFamily as i32,
            ethnic_kazakh_from_prc: true,
            family: family.members(),
            ..Default::default()
        })),
        documents,
    )
    .await;
    assert_eq!(
        permit.deadline,
        Some(date(2026, 4, 3)),
        "60 calendar days for kandas"
    );
    assert_from_records(
        &permit,
        &[
            ("permit.identity_document", ""),
            ("permit.identity_document", &spouse.name),
            ("permit.birth_certificate", &teen.name),
            ("permit.birth_certificate", &child.name),
            ("permit.biography", ""),
        ],
    );
    let waived: Vec<&str> = permit
        .checklist
        .iter()
        .filter(|i| i.status == Status::Waived as i32)
        .map(|i| i.requirement.as_str())
        .collect();
    for requirement in [
        "permit.departure_consent",
        "permit.solvency",
        "permit.criminal_record",
        "permit.state_duty",
    ] {
        assert!(
            waived.contains(&requirement),
            "{requirement} waived for kandas from the PRC: {waived:?}"
        );
    }
    // The first office refuses, wrongly; the family appeals the same day through the PSC, and
    // another police office overturns the refusal, which then no longer bars (SPEC 5.7).
    let mut police = today.applications("police").await;
    let refused = police
        .decide_application(refuse(
            &permit.name,
            &permit.etag,
            "FALSE_INFORMATION",
            "the housing contract could not be confirmed",
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(refused.state, pb::application::State::Refused as i32);
    let refusal_bars = |checks: &BTreeMap<String, bool>| !checks["NO_REFUSAL_12_MONTHS"];
    assert!(refusal_bars(
        &prerequisites(&today, a, pb::Procedure::PermanentResidencePermit).await
    ));
    let appeal = today
        .applications("psc")
        .await
        .file_appeal(pb::FileAppealRequest {
            request_id: request_id(),
            application: permit.name.clone(),
            grounds: "the owner confirms the housing contract in writing".into(),
            applicant_confirmation: None,
        })
        .await
        .expect("appealed within 3 months")
        .into_inner();
    let overturned = ApplicationClient::new(today.channel_as("police", "police-review").await)
        .decide_appeal(pb::DecideAppealRequest {
            request_id: request_id(),
            name: appeal.name.clone(),
            overturn: true,
            reason: "the contract is confirmed by its owner".into(),
        })
        .await
        .expect("another police office overturns the refusal")
        .into_inner();
    assert_eq!(overturned.state, pb::appeal::State::Overturned as i32);
    assert!(!refusal_bars(
        &prerequisites(&today, a, pb::Procedure::PermanentResidencePermit).await
    ));
    let reopened = police
        .get_application(pb::GetApplicationRequest {
            name: permit.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reopened.state, pb::application::State::Submitted as i32);
    assert_eq!(
        reopened.deadline,
        Some(date(2026, 4, 3)),
        "60 calendar days again, from the appeal's decision"
    );
    let decided = decide(&today, "police", &reopened).await;
    assert_eq!(decided.decision.unwrap().issued.len(), 4);
    assert_eq!(
        changes(&before, &prerequisites(&today, a, goal).await),
        changed(&[])
    );
    assert_eq!(
        changes(
            &card_before,
            &prerequisites(&today, a, pb::Procedure::ResidencePermitCard).await
        ),
        changed(&[("PERMIT_GRANTED", false, true)])
    );

    // 4. Permanent registration, 2026-02-09 (7 days after the permit: no lapse).
    let today = family.on(day(2026, 2, 9)).await;
    let before = prerequisites(&today, a, goal).await;
    let registration = submit_ok(
        &today,
        a,
        details(P::ResidenceRegistration(pb::ResidenceRegistration {
            kind: pb::residence_registration::Kind::Permanent as i32,
            region: "KZ-55".into(),
            address: "Pavlodar, Lermontov street 12, flat 4".into(),
            family: family.members(),
            ..Default::default()
        })),
        vec![
            pb::Document {
                expiry_date: Some(date(2035, 1, 1)),
                ..doc(pb::DocumentType::OwnerIdentityDocument, "")
            },
            doc(pb::DocumentType::OwnerConsent, ""),
        ],
    )
    .await;
    assert_eq!(registration.deadline, None, "decided on the spot");
    assert_from_records(
        &registration,
        &[
            ("registration.identity_document", ""),
            ("registration.identity_document", &spouse.name),
            ("registration.identity_document", &teen.name),
            ("registration.representative_authority", &teen.name),
            ("registration.representative_authority", &child.name),
        ],
    );
    let decided = decide(&today, "police", &registration).await;
    let issued = decided.decision.unwrap().issued;
    assert_eq!(issued.len(), 4);
    assert!(issued.iter().all(|r| r.region == "KZ-55"));
    assert_eq!(
        changes(&before, &prerequisites(&today, a, goal).await),
        changed(&[("PERMANENT_REGISTRATION_ACTIVE", false, true)])
    );

    // 5. Residence permit cards, 2026-02-16: one per person, the passport on record.
    let today = family.on(day(2026, 2, 16)).await;
    let before = prerequisites(&today, a, goal).await;
    for p in [&applicant, &spouse, &teen, &child] {
        let fee = pb::Document {
            amount_tenge: 4 * 4_325,
            ..doc(pb::DocumentType::StateDutyPayment, "")
        };
        let card = submit_ok(
            &today,
            &p.name,
            details(P::ResidencePermitCard(pb::ResidencePermitCard {
                renewal: false,
            })),
            vec![fee],
        )
        .await;
        assert_from_records(&card, &[("card.identity_document", "")]);
        let decided = decide(&today, "psc", &card).await;
        let issued = decided.decision.unwrap().issued;
        assert_eq!(
            issued[0].valid_until,
            Some(date(2031, 8, 31)),
            "capped by the passport"
        );
    }
    assert_eq!(
        changes(&before, &prerequisites(&today, a, goal).await),
        changed(&[("CARD_HELD", false, true)])
    );

    // 6. Simplified citizenship (a), 2026-03-02, the whole family.
    let today = family.on(day(2026, 3, 2)).await;
    let before = prerequisites(&today, a, goal).await;
    assert!(
        before.iter().all(|(_, satisfied)| *satisfied),
        "every prerequisite met: {before:?}"
    );
    let citizenship = submit_ok(
        &today,
        a,
        details(P::SimplifiedCitizenship(pb::SimplifiedCitizenship {
            category: pb::simplified_citizenship::Category::Kandas as i32,
            family: family.members(),
        })),
        vec![
            notarized(pb::DocumentType::CitizenshipRenunciation, ""),
            doc(pb::DocumentType::ApplicationForm, ""),
            photos("", 4),
            doc(pb::DocumentType::ComplianceObligation, ""),
        ],
    )
    .await;
    assert_eq!(citizenship.deadline, Some(date(2026, 6, 2)), "3 months");
    assert_from_records(
        &citizenship,
        &[
            ("citizenship.kandas_certificate", ""),
            ("citizenship.biography", ""),
            ("citizenship.identity_document", ""),
            ("citizenship.identity_document", &spouse.name),
            ("citizenship.birth_certificate", &teen.name),
            ("citizenship.birth_certificate", &child.name),
        ],
    );
    decide(&today, "police", &citizenship).await;
    assert_eq!(
        changes(&before, &prerequisites(&today, a, goal).await),
        changed(&[("NOT_A_CITIZEN", true, false)])
    );
    let mut persons = today.persons("police").await;
    for p in [&applicant, &spouse, &teen, &child] {
        let record = persons
            .get_person(pb::GetPersonRequest {
                name: p.name.clone(),
                iin: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            record.kazakh_citizenship_since,
            Some(date(2026, 3, 2)),
            "the person's record shows citizenship"
        );
        assert!(!record.iin.is_empty());
    }

    // Life after issue: a misspelt patronymic is corrected on the passport; the IIN stays.
    let mut psc = today.persons("psc").await;
    let before_correction = psc
        .get_person(pb::GetPersonRequest {
            name: applicant.name.clone(),
            iin: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let corrected = psc
        .update_person(pb::UpdatePersonRequest {
            request_id: request_id(),
            person: Some(pb::Person {
                name: applicant.name.clone(),
                patronymic: "Serikuly".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["patronymic".into()],
            }),
            etag: before_correction.etag.clone(),
            reason: "patronymic misspelt at registration".into(),
            supporting_document: Some(pb::SupportingDocument {
                kind: "passport".into(),
                number: "E12345678".into(),
                ..Default::default()
            }),
        })
        .await
        .expect("the office corrects the record")
        .into_inner();
    assert_eq!(corrected.patronymic, "Serikuly");
    assert_eq!(corrected.iin, before_correction.iin);
    assert_eq!(corrected.kazakh_citizenship_since, Some(date(2026, 3, 2)));

    // The family moves out: police end the permanent registration, and the list of records
    // shows it ended from the next day while citizenship stands.
    let registration: String = sqlx::query_scalar!(
        r#"SELECT id::text AS "id!" FROM registrations
         WHERE person_id = $1::text::uuid AND kind = 'permanent'
         ORDER BY registered_on DESC LIMIT 1"#,
        applicant.name.trim_start_matches("persons/")
    )
    .fetch_one(&today.pool)
    .await
    .unwrap();
    persons
        .end_registration(pb::EndRegistrationRequest {
            request_id: request_id(),
            name: format!("{}/registrations/{registration}", applicant.name),
            ended_on: Some(date(2026, 3, 2)),
            reason: pb::registration::EndReason::MovedOut as i32,
        })
        .await
        .expect("police end the registration");
    let records = psc
        .list_person_records(pb::ListPersonRecordsRequest {
            name: applicant.name.clone(),
            as_of: Some(date(2026, 3, 3)),
        })
        .await
        .unwrap()
        .into_inner()
        .records;
    use pb::person_record::{Kind, Standing};
    let permanent: Vec<_> = records
        .iter()
        .filter(|r| r.kind == Kind::PermanentRegistration as i32)
        .collect();
    assert_eq!(permanent.len(), 1, "{records:?}");
    assert_eq!(permanent[0].standing, Standing::Ended as i32);
    assert_eq!(permanent[0].standing_since, Some(date(2026, 3, 2)));
    assert!(
        records
            .iter()
            .any(|r| r.kind == Kind::KazakhCitizenship as i32
                && r.standing == Standing::Valid as i32),
        "{records:?}"
    );

    // A week later the family registers at its new address in Almaty.
    let today = family.on(day(2026, 3, 9)).await;
    let moved = submit_ok(
        &today,
        a,
        details(P::ResidenceRegistration(pb::ResidenceRegistration {
            kind: pb::residence_registration::Kind::Permanent as i32,
            region: "KZ-75".into(),
            address: "Almaty, Abai avenue 150, flat 21".into(),
            family: family.members(),
            ..Default::default()
        })),
        vec![
            pb::Document {
                expiry_date: Some(date(2036, 1, 1)),
                ..doc(pb::DocumentType::OwnerIdentityDocument, "")
            },
            doc(pb::DocumentType::OwnerConsent, ""),
        ],
    )
    .await;
    let issued = decide(&today, "police", &moved)
        .await
        .decision
        .unwrap()
        .issued;
    assert_eq!(issued.len(), 4);
    assert!(issued.iter().all(|r| r.region == "KZ-75"));

    // A court finds the applicant's permit was obtained on a false housing contract: police
    // annul it from 2026-03-09, and its card falls with it; citizenship is another act.
    let permit_number = records
        .iter()
        .find(|r| r.kind == Kind::PermanentResidencePermit as i32)
        .expect("the permit is listed")
        .number
        .clone();
    let mut police = today.persons("police").await;
    let annulled = police
        .annul_record(pb::AnnulRecordRequest {
            request_id: request_id(),
            name: format!("{a}/permits/{permit_number}"),
            annulled_on: Some(date(2026, 3, 9)),
            ground: pb::annulled_record::Ground::CourtDecision as i32,
            legal_basis: "decision of the Pavlodar city court of 2026-03-06".into(),
        })
        .await
        .expect("police annul the permit")
        .into_inner();
    assert_eq!(annulled.cards.len(), 1);

    let list_on = |as_of| {
        let mut psc = psc.clone();
        async move {
            psc.list_person_records(pb::ListPersonRecordsRequest {
                name: a.to_string(),
                as_of: Some(date(2026, 3, as_of)),
            })
            .await
            .unwrap()
            .into_inner()
            .records
        }
    };
    let standing = |records: &[pb::PersonRecord], kind: Kind| -> Vec<i32> {
        records
            .iter()
            .filter(|r| r.kind == kind as i32)
            .map(|r| r.standing)
            .collect()
    };
    let before = list_on(8).await;
    assert_eq!(
        standing(&before, Kind::PermanentResidencePermit),
        vec![Standing::Valid as i32]
    );
    assert_eq!(
        standing(&before, Kind::ResidencePermitCard),
        vec![Standing::Valid as i32]
    );
    let after = list_on(9).await;
    for kind in [Kind::PermanentResidencePermit, Kind::ResidencePermitCard] {
        assert_eq!(
            standing(&after, kind),
            vec![Standing::Annulled as i32],
            "{kind:?}"
        );
    }
    assert_eq!(
        standing(&after, Kind::PermanentRegistration),
        vec![Standing::Ended as i32, Standing::Valid as i32],
        "the old address ended, the new one stands"
    );
    assert_eq!(
        standing(&after, Kind::KazakhCitizenship),
        vec![Standing::Valid as i32]
    );
    let card = prerequisites(&today, a, pb::Procedure::ResidencePermitCard).await;
    assert!(!card["PERMIT_GRANTED"], "{card:?}");
}

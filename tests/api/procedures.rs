//! Happy paths of the procedures the family test does not take, and the deciding offices'
//! views of their open and overdue work.

use crate::helpers::*;
use chrono::NaiveDate;
use kandas::pb;
use kandas::pb::application_details::Procedure as P;
use kandas::pb::checklist_item::Status;
use kandas::state::Clock;
use tonic::Code;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn doc(kind: pb::DocumentType) -> pb::Document {
    pb::Document {
        r#type: kind as i32,
        form: pb::DocumentForm::Original as i32,
        language: "kk".into(),
        number: "X-1".into(),
        ..Default::default()
    }
}

async fn submit(
    app: &TestApp,
    role: &str,
    applicant: &str,
    details: pb::ApplicationDetails,
    documents: Vec<pb::Document>,
) -> Result<pb::Application, tonic::Status> {
    app.applications(role)
        .await
        .submit_application(for_applicant(
            pb::SubmitApplicationRequest {
                request_id: request_id(),
                applicant: applicant.into(),
                documents,
                details: Some(details),
                // The portal says how the applicant confirmed it; offices act on their own.
                applicant_confirmation: (role == "portal").then(|| {
                    pb::submit_application_request::ApplicantConfirmation::SmsConfirmation(
                        sms_confirmed(),
                    )
                }),
                ..Default::default()
            },
            applicant,
        ))
        .await
        .map(|r| r.into_inner())
}

async fn decide(app: &TestApp, role: &str, application: &pb::Application) -> pb::Application {
    app.applications(role)
        .await
        .decide_application(approve(&application.name, &application.etag))
        .await
        .unwrap()
        .into_inner()
}

/// A person holding an IIN, registered directly.
async fn holder(app: &TestApp, iin: &str, ethnic_kazakh: bool, citizenship: &str) -> pb::Person {
    let mut persons = app.persons("psc").await;
    // Each holder is a different person: the IIN's serial tells them apart by name too.
    let mut p = person(&numbered("Holder ", &iin[7..11]));
    p.iin = iin.into();
    p.birth_date = Some(date(1976, 2, 12));
    p.ethnic_kazakh = ethnic_kazakh;
    p.citizenship = citizenship.into();
    register(&mut persons, p).await
}

fn kandas_details() -> pb::ApplicationDetails {
    details(P::KandasStatusAssignment(pb::KandasStatusAssignment {
        grounds: vec![pb::kandas_status_assignment::Ground::FamilyReunification as i32],
        nationality_in_identity_document: true,
        ..Default::default()
    }))
}

#[tokio::test]
async fn kandas_status_is_extended_for_a_year_from_the_extension_decision() {
    let app = spawn_app_with(|s| s.clock = Clock::pinned(day(2025, 6, 2))).await;
    let p = holder(&app, "760212350620", true, "MNG").await;
    // Ground 3 needs the kinship documents; the application lists what is missing first.
    let incomplete = submit(
        &app,
        "portal",
        &p.name,
        kandas_details(),
        vec![doc(pb::DocumentType::ApplicationForm)],
    )
    .await
    .unwrap_err();
    let missing: Vec<String> = error_details(&incomplete)
        .precondition_failure()
        .unwrap()
        .violations
        .iter()
        .map(|v| v.subject.clone())
        .collect();
    assert!(
        missing.contains(&"applicant: kandas.kinship_proof".to_string()),
        "{missing:?}"
    );
    assert!(
        missing.contains(&"applicant: kandas.identity_document".to_string()),
        "{missing:?}"
    );

    let documents = vec![
        doc(pb::DocumentType::ApplicationForm),
        doc(pb::DocumentType::Biography),
        doc(pb::DocumentType::KinshipProof),
        pb::Document {
            expiry_date: Some(date(2032, 1, 1)),
            ..passport()
        },
    ];
    let status = submit(&app, "portal", &p.name, kandas_details(), documents)
        .await
        .unwrap();
    let granted = decide(&app, "commission", &status).await;
    assert_eq!(
        granted.decision.unwrap().issued[0].valid_until,
        Some(date(2026, 6, 2))
    );

    // Eleven months later the status is extended: only the application form is asked.
    let later = spawn_on(app.database_url.clone(), app.same_ca(), |s| {
        s.clock = Clock::pinned(day(2026, 5, 4))
    })
    .await;
    let extension_details = details(P::KandasStatusExtension(pb::KandasStatusExtension {}));
    let extension = submit(
        &later,
        "psc",
        &p.name,
        extension_details,
        vec![doc(pb::DocumentType::ApplicationForm)],
    )
    .await
    .unwrap();
    let from_records = extension
        .checklist
        .iter()
        .find(|i| i.requirement == "extension.kandas_certificate")
        .unwrap();
    assert_eq!(from_records.status, Status::SatisfiedFromRecords as i32);
    assert_eq!(from_records.detail, status.name);
    let extended = decide(&later, "commission", &extension).await;
    let issued = &extended.decision.unwrap().issued[0];
    assert_eq!(issued.kind, pb::issued_record::Kind::KandasExtension as i32);
    assert_eq!(
        issued.valid_until,
        Some(date(2027, 5, 4)),
        "1 year from the extension decision"
    );
    assert_eq!(
        issued.number,
        granted_number(&later, &status).await,
        "the same certificate, extended"
    );
}

async fn granted_number(app: &TestApp, application: &pb::Application) -> String {
    app.applications("psc")
        .await
        .get_application(pb::GetApplicationRequest {
            name: application.name.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .decision
        .unwrap()
        .issued[0]
        .number
        .clone()
}

#[tokio::test]
async fn a_stateless_person_gets_a_certificate_and_a_citizen_of_somewhere_does_not() {
    let app = spawn_app().await;
    let stateless = holder(&app, "800416300257", false, "").await;
    let certificate = details(P::StatelessPersonCertificate(
        pb::StatelessPersonCertificate { paper_form: true },
    ));
    let documents = vec![
        pb::Document {
            amount_tenge: 4 * 4_325,
            ..doc(pb::DocumentType::StateDutyPayment)
        },
        pb::Document {
            photo: Some(pb::PhotoSpec {
                count: 3,
                width_mm: 35,
                height_mm: 45,
            }),
            ..doc(pb::DocumentType::Photo)
        },
        doc(pb::DocumentType::UssrPassport1974),
    ];
    let submitted = submit(
        &app,
        "psc",
        &stateless.name,
        certificate.clone(),
        documents.clone(),
    )
    .await
    .unwrap();
    assert_eq!(
        submitted.deadline,
        Some(date(2026, 6, 24)),
        "17 working days from 2026-06-01"
    );
    let decided = decide(&app, "psc", &submitted).await;
    let issued = &decided.decision.unwrap().issued[0];
    assert_eq!(
        issued.kind,
        pb::issued_record::Kind::StatelessPersonCertificate as i32
    );
    assert!(issued.number.starts_with("SPC-2026-"));

    let citizen = holder(&app, "830717350867", false, "UZB").await;
    let refused = submit(&app, "psc", &citizen.name, certificate, documents)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    let kinds: Vec<String> = error_details(&refused)
        .precondition_failure()
        .unwrap()
        .violations
        .iter()
        .map(|v| v.r#type.clone())
        .collect();
    assert_eq!(kinds, vec!["STATELESS"]);
}

#[tokio::test]
async fn temporary_registration_needs_no_permit_and_ends_on_its_last_day() {
    let app = spawn_app().await;
    let p = holder(&app, "871008401427", false, "TUR").await;
    let registration = |kind: pb::residence_registration::Kind, until: Option<pb::Date>| {
        details(P::ResidenceRegistration(pb::ResidenceRegistration {
            kind: kind as i32,
            region: "KZ-75".into(),
            address: "Almaty, Abai avenue 1".into(),
            until,
            ..Default::default()
        }))
    };
    let documents = vec![
        pb::Document {
            expiry_date: Some(date(2030, 1, 1)),
            ..passport()
        },
        pb::Document {
            expiry_date: Some(date(2035, 1, 1)),
            ..doc(pb::DocumentType::OwnerIdentityDocument)
        },
        doc(pb::DocumentType::OwnerConsent),
    ];
    // Permanent registration requires a permit: refused, naming the prerequisite.
    let refused = submit(
        &app,
        "psc",
        &p.name,
        registration(pb::residence_registration::Kind::Permanent, None),
        documents.clone(),
    )
    .await
    .unwrap_err();
    let kinds: Vec<String> = error_details(&refused)
        .precondition_failure()
        .unwrap()
        .violations
        .iter()
        .map(|v| v.r#type.clone())
        .collect();
    assert_eq!(kinds, vec!["PERMIT_GRANTED"]);
    // A temporary one without an end date is malformed.
    let malformed = submit(
        &app,
        "psc",
        &p.name,
        registration(pb::residence_registration::Kind::Temporary, None),
        documents.clone(),
    )
    .await
    .unwrap_err();
    assert_eq!(malformed.code(), Code::InvalidArgument);
    assert_eq!(
        error_details(&malformed)
            .bad_request()
            .unwrap()
            .field_violations[0]
            .field,
        "details.residence_registration.until"
    );

    let temporary = submit(
        &app,
        "psc",
        &p.name,
        registration(
            pb::residence_registration::Kind::Temporary,
            Some(date(2026, 12, 31)),
        ),
        documents,
    )
    .await
    .unwrap();
    let decided = decide(&app, "police", &temporary).await;
    let issued = &decided.decision.unwrap().issued[0];
    assert_eq!(issued.valid_until, Some(date(2026, 12, 31)));
    assert_eq!(issued.region, "KZ-75");
    assert!(issued.number.starts_with("registrations/"));
}

#[tokio::test]
async fn required_documents_for_a_described_family_name_each_member() {
    let app = spawn_app_with(|s| s.clock = Clock::pinned(day(2026, 6, 1))).await;
    let listed = app
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
                birth_date: Some(date(1980, 1, 1)),
                ethnic_kazakh: false,
                family: vec![pb::DescribedMember {
                    relation: pb::Relation::Child as i32,
                    birth_date: Some(date(2011, 1, 1)),
                }],
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let for_child: Vec<&str> = listed
        .checklist
        .iter()
        .filter(|i| i.holder == "family[0]")
        .map(|i| i.requirement.as_str())
        .collect();
    assert!(
        for_child.contains(&"permit.birth_certificate"),
        "a child of 15: {for_child:?}"
    );
    assert!(
        for_child.contains(&"permit.child_consent"),
        "aged 14 to 18: {for_child:?}"
    );
    let solvency = listed
        .checklist
        .iter()
        .find(|i| i.requirement == "permit.solvency")
        .unwrap();
    assert_eq!(
        solvency.status,
        Status::Missing as i32,
        "no exemption for other foreigners"
    );
    assert!(
        solvency.description.contains("5,709,000"),
        "1,320 MCI of 2026 in tenge: {}",
        solvency.description
    );
}

#[tokio::test]
async fn required_documents_for_a_described_applicant_name_them_as_the_request_did() {
    let app = spawn_app_with(|s| s.clock = Clock::pinned(day(2026, 6, 1))).await;
    let listed = app
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
                birth_date: Some(date(1980, 1, 1)),
                ethnic_kazakh: true,
                family: vec![pb::DescribedMember {
                    relation: pb::Relation::Child as i32,
                    birth_date: Some(date(2011, 1, 1)),
                }],
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let solvency = listed
        .checklist
        .iter()
        .find(|i| i.requirement == "permit.solvency")
        .unwrap();
    assert_eq!(solvency.status, Status::Waived as i32);
    assert!(
        solvency.detail.contains("(applicant)"),
        "the exemption names the described applicant: {}",
        solvency.detail
    );
    for item in &listed.checklist {
        for text in [&item.holder, &item.detail, &item.description] {
            assert!(
                !text.contains("persons/"),
                "{}: a described person has no name to show: {text}",
                item.requirement
            );
        }
    }
}

#[tokio::test]
async fn deciding_offices_list_their_own_overdue_work() {
    let app = spawn_app_with(|s| s.clock = Clock::pinned(day(2026, 6, 1))).await;
    let mut persons = app.persons("psc").await;
    let newcomer = register(&mut persons, person("Newcomer")).await;
    submit(
        &app,
        "psc",
        &newcomer.name,
        iin_details(false),
        vec![passport()],
    )
    .await
    .unwrap();
    let p = holder(&app, "760212350620", true, "MNG").await;
    let documents = vec![
        doc(pb::DocumentType::ApplicationForm),
        doc(pb::DocumentType::Biography),
        doc(pb::DocumentType::KinshipProof),
        pb::Document {
            expiry_date: Some(date(2032, 1, 1)),
            ..passport()
        },
    ];
    submit(&app, "mission", &p.name, kandas_details(), documents)
        .await
        .unwrap();

    // Two months on: the IIN application (3 working days) and the kandas status
    // application (35 working days, due 2026-07-20) — only the first is overdue.
    let later = spawn_on(app.database_url.clone(), app.same_ca(), |s| {
        s.clock = Clock::pinned(day(2026, 7, 1))
    })
    .await;
    let list = |role: &'static str| {
        let later = &later;
        async move {
            later
                .applications(role)
                .await
                .list_applications(pb::ListApplicationsRequest {
                    overdue_only: true,
                    decided_by_role: role.into(),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner()
                .applications
        }
    };
    let psc = list("psc").await;
    assert_eq!(psc.len(), 1);
    assert_eq!(psc[0].procedure, pb::Procedure::IinAssignment as i32);
    assert!(list("commission").await.is_empty(), "not yet overdue");
    assert!(list("police").await.is_empty());
}

#[tokio::test]
async fn a_refusal_carries_its_reason_and_bars_a_new_permit_for_twelve_months() {
    let app = spawn_app_with(|s| s.clock = Clock::pinned(day(2026, 6, 1))).await;
    let p = holder(&app, "871008401427", false, "TUR").await;
    let permit = details(P::PermanentResidencePermit(pb::PermanentResidencePermit {
        category: pb::permanent_residence_permit::Category::OtherForeigner as i32,
        ..Default::default()
    }));
    let documents = vec![
        doc(pb::DocumentType::ApplicationForm),
        pb::Document {
            expiry_date: Some(date(2030, 1, 1)),
            ..passport()
        },
        doc(pb::DocumentType::DepartureConsent),
        doc(pb::DocumentType::Biography),
        pb::Document {
            amount_tenge: 1_320 * 4_325,
            ..doc(pb::DocumentType::SolvencyProof)
        },
        doc(pb::DocumentType::CriminalRecordCertificate),
        pb::Document {
            notarized: true,
            ..doc(pb::DocumentType::HousingContract)
        },
        doc(pb::DocumentType::MedicalCertificate),
        pb::Document {
            photo: Some(pb::PhotoSpec {
                count: 1,
                width_mm: 35,
                height_mm: 45,
            }),
            ..doc(pb::DocumentType::Photo)
        },
        pb::Document {
            amount_tenge: 4 * 4_325,
            ..doc(pb::DocumentType::StateDutyPayment)
        },
    ];
    let submitted = submit(&app, "police", &p.name, permit.clone(), documents.clone())
        .await
        .unwrap();
    assert_eq!(
        submitted.deadline,
        Some(date(2026, 7, 16)),
        "45 calendar days for other foreigners"
    );
    let refused = app
        .applications("police")
        .await
        .decide_application(refuse(
            &submitted.name,
            &submitted.etag,
            "FALSE_INFORMATION",
            "the housing contract could not be confirmed",
        ))
        .await
        .unwrap()
        .into_inner();
    let decision = refused.decision.unwrap();
    assert_eq!(decision.reason_code, "FALSE_INFORMATION");
    assert!(decision.issued.is_empty());

    let again = submit(&app, "police", &p.name, permit, documents)
        .await
        .unwrap_err();
    let violation = error_details(&again)
        .precondition_failure()
        .unwrap()
        .violations
        .iter()
        .find(|v| v.r#type == "NO_REFUSAL_12_MONTHS")
        .cloned()
        .expect("the refusal bars a new application");
    assert!(
        violation.description.contains("2027-06-01"),
        "{}",
        violation.description
    );
}

#[tokio::test]
async fn a_child_under_16_with_only_a_birth_certificate_does_not_block_a_family_permit() {
    let app = spawn_app_with(|s| s.clock = Clock::pinned(day(2026, 6, 1))).await;
    let parent = holder(&app, "871008401427", false, "TUR").await;
    // A 13-year-old registered with the IIN they hold; no passport anywhere on record.
    let born = day(2012, 12, 11);
    let iin = kandas::domain::iin::Iin::generate(born, kandas::domain::iin::Sex::Female, 1)
        .unwrap()
        .unwrap();
    let mut persons = app.persons("psc").await;
    let mut child = person("Child");
    child.iin = iin.as_str().to_string();
    child.birth_date = Some(date(2012, 12, 11));
    child.sex = pb::Sex::Female as i32;
    let child = register(&mut persons, child).await;

    let permit = details(P::PermanentResidencePermit(pb::PermanentResidencePermit {
        category: pb::permanent_residence_permit::Category::OtherForeigner as i32,
        family: vec![pb::FamilyMember {
            person: child.name.clone(),
            relation: pb::Relation::Child as i32,
        }],
        ..Default::default()
    }));
    let mut documents = vec![
        doc(pb::DocumentType::ApplicationForm),
        pb::Document {
            expiry_date: Some(date(2030, 1, 1)),
            ..passport()
        },
        doc(pb::DocumentType::DepartureConsent),
        doc(pb::DocumentType::Biography),
        pb::Document {
            amount_tenge: 1_320 * 4_325,
            ..doc(pb::DocumentType::SolvencyProof)
        },
        doc(pb::DocumentType::CriminalRecordCertificate),
        pb::Document {
            notarized: true,
            ..doc(pb::DocumentType::HousingContract)
        },
        pb::Document {
            amount_tenge: 4 * 4_325,
            ..doc(pb::DocumentType::StateDutyPayment)
        },
        pb::Document {
            holder: child.name.clone(),
            ..doc(pb::DocumentType::BirthCertificate)
        },
    ];
    for holder in [String::new(), child.name.clone()] {
        documents.push(pb::Document {
            holder: holder.clone(),
            ..doc(pb::DocumentType::MedicalCertificate)
        });
        documents.push(pb::Document {
            holder,
            photo: Some(pb::PhotoSpec {
                count: 1,
                width_mm: 35,
                height_mm: 45,
            }),
            ..doc(pb::DocumentType::Photo)
        });
    }
    let accepted = submit(&app, "police", &parent.name, permit, documents).await;
    assert!(
        accepted.is_ok(),
        "{:?}",
        accepted
            .err()
            .map(|e| error_details(&e).precondition_failure().cloned())
    );
}

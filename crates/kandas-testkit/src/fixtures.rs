//! What tests send and expect: dates, persons, documents, submissions and decisions, a family
//! made eligible step by step through the API, and the shape of refusals.

use crate::*;
use kandas::pb;
use uuid::Uuid;

pub fn date(y: i32, m: u32, d: u32) -> pb::Date {
    pb::Date {
        year: y,
        month: m as i32,
        day: d as i32,
    }
}

pub fn request_id() -> String {
    Uuid::new_v4().to_string()
}

/// A person to register: born 1987-10-08, male, Chinese citizen.
pub fn person(surname: &str) -> pb::Person {
    pb::Person {
        surname: surname.into(),
        given_name: "Aidos".into(),
        patronymic: String::new(),
        birth_date: Some(date(1987, 10, 8)),
        sex: pb::Sex::Male as i32,
        citizenship: "CHN".into(),
        ethnic_kazakh: true,
        ..Default::default()
    }
}

pub async fn register(client: &mut PersonClient, person: pb::Person) -> pb::Person {
    client
        .register_person(pb::RegisterPersonRequest {
            request_id: request_id(),
            person: Some(person),
            ..Default::default()
        })
        .await
        .expect("register person")
        .into_inner()
}

/// A document of `kind` held by `holder` (empty: the applicant).
pub fn doc(kind: pb::DocumentType, holder: &str) -> pb::Document {
    pb::Document {
        r#type: kind as i32,
        holder: holder.into(),
        form: pb::DocumentForm::Original as i32,
        language: "kk".into(),
        number: format!("N-{}", kind as i32),
        ..Default::default()
    }
}

/// A notarized document of `kind` held by `holder`.
pub fn notarized(kind: pb::DocumentType, holder: &str) -> pb::Document {
    pb::Document {
        notarized: true,
        ..doc(kind, holder)
    }
}

/// `count` photos of 35×45 mm of `holder`.
pub fn photos(holder: &str, count: i32) -> pb::Document {
    pb::Document {
        photo: Some(pb::PhotoSpec {
            count,
            width_mm: 35,
            height_mm: 45,
        }),
        ..doc(pb::DocumentType::Photo, holder)
    }
}

/// A Chinese passport with a notarized Russian translation, valid until 2030.
pub fn passport() -> pb::Document {
    pb::Document {
        r#type: pb::DocumentType::IdentityDocument as i32,
        form: pb::DocumentForm::Original as i32,
        language: "zh".into(),
        translation: Some(pb::Translation {
            language: "ru".into(),
            notarized: true,
        }),
        number: "E12345678".into(),
        issuing_country: "CHN".into(),
        issue_date: Some(date(2020, 1, 15)),
        expiry_date: Some(date(2030, 1, 14)),
        ..Default::default()
    }
}

/// Typed details of a procedure.
pub fn details(procedure: pb::application_details::Procedure) -> pb::ApplicationDetails {
    pb::ApplicationDetails {
        procedure: Some(procedure),
    }
}

pub fn iin_details(by_representative: bool) -> pb::ApplicationDetails {
    details(pb::application_details::Procedure::IinAssignment(
        pb::IinAssignment { by_representative },
    ))
}

pub fn iin_submission(
    applicant: &str,
    documents: Vec<pb::Document>,
) -> pb::SubmitApplicationRequest {
    pb::SubmitApplicationRequest {
        request_id: request_id(),
        applicant: applicant.into(),
        documents,
        details: Some(iin_details(false)),
        ..Default::default()
    }
}

/// A request as the portal sends it: for the applicant signed in to it (`persons/{id}` or an
/// IIN).
pub fn for_applicant<T>(message: T, applicant: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("x-kandas-applicant", applicant.parse().unwrap());
    request
}

/// The portal's statement that the applicant confirmed an act by SMS code (SPEC 1.1), which
/// the test portals are allowed to make.
pub fn sms_confirmed() -> pb::SmsConfirmation {
    pb::SmsConfirmation {
        confirm_time: Some(prost_types::Timestamp {
            seconds: 1_780_297_000,
            nanos: 0,
        }),
    }
}

pub fn approve(name: &str, etag: &str) -> pb::DecideApplicationRequest {
    pb::DecideApplicationRequest {
        request_id: request_id(),
        name: name.into(),
        etag: etag.into(),
        decision: Some(pb::decide_application_request::Decision::Approve(
            pb::Approval::default(),
        )),
    }
}

/// A refusal of the application `name` at `etag`, for a reason.
pub fn refuse(name: &str, etag: &str, code: &str, text: &str) -> pb::DecideApplicationRequest {
    pb::DecideApplicationRequest {
        request_id: request_id(),
        name: name.into(),
        etag: etag.into(),
        decision: Some(pb::decide_application_request::Decision::Refuse(
            pb::Refusal {
                reason_code: code.into(),
                reason_text: text.into(),
            },
        )),
    }
}

/// The google.rpc details of an error status.
pub fn error_details(status: &tonic::Status) -> tonic_types::ErrorDetails {
    use tonic_types::StatusExt;
    status.get_error_details()
}

/// The field paths an INVALID_ARGUMENT names, in order.
pub fn violated_fields(status: &tonic::Status) -> Vec<String> {
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    error_details(status)
        .bad_request()
        .expect("INVALID_ARGUMENT carries BadRequest")
        .field_violations
        .iter()
        .map(|v| v.field.clone())
        .collect()
}

/// Asserts a status carries an ErrorInfo in the kandas domain with this reason.
pub fn assert_reason(status: &tonic::Status, reason: &str) {
    let details = error_details(status);
    let info = details
        .error_info()
        .expect("every error carries an ErrorInfo");
    assert_eq!(info.domain, "kandas.gov.kz");
    assert_eq!(info.reason, reason, "status: {status:?}");
}

/// A distinct valid IIN for test person number `n` (adults born in 1980-1989).
pub fn test_iin(n: u32) -> String {
    use kandas::domain::iin::{Iin, Sex};
    let birth = chrono::NaiveDate::from_ymd_opt(
        1980 + (n % 10) as i32,
        1 + (n / 10 % 12),
        1 + (n / 120 % 28),
    )
    .unwrap();
    let mut serial = (n / 3360 + 1) as u16;
    loop {
        if let Ok(Some(iin)) = Iin::generate(birth, Sex::Male, serial) {
            return iin.as_str().to_string();
        }
        serial += 1;
    }
}

fn plain(kind: pb::DocumentType, holder: &str) -> pb::Document {
    pb::Document {
        r#type: kind as i32,
        holder: holder.into(),
        form: pb::DocumentForm::Original as i32,
        language: "kk".into(),
        number: "F-1".into(),
        ..Default::default()
    }
}

/// Submits as psc and returns the application; a refusal fails the test with its unmet
/// conditions.
pub async fn submit_ok(
    app: &TestApp,
    applicant: &str,
    details: pb::ApplicationDetails,
    documents: Vec<pb::Document>,
) -> pb::Application {
    match app
        .applications("psc")
        .await
        .submit_application(pb::SubmitApplicationRequest {
            request_id: request_id(),
            applicant: applicant.into(),
            documents,
            details: Some(details),
            ..Default::default()
        })
        .await
    {
        Ok(r) => r.into_inner(),
        Err(e) => panic!(
            "fixture submission refused: {:?}",
            error_details(&e).precondition_failure()
        ),
    }
}

async fn approve_as(app: &TestApp, role: &str, application: &pb::Application) {
    app.applications(role)
        .await
        .decide_application(approve(&application.name, &application.etag))
        .await
        .expect("fixture approval");
}

/// Registers a family of adult ethnic Kazakhs from the PRC (persons `first..first+size`,
/// applicant first) and takes them through the API to what quota eligibility needs: a
/// kandas status, a permit and a permanent registration in `region`. Returns the persons.
pub async fn eligible_family(
    app: &TestApp,
    first: u32,
    size: u32,
    region: &str,
) -> Vec<pb::Person> {
    use pb::application_details::Procedure as P;
    let mut persons = app.persons("psc").await;
    let mut family = Vec::new();
    for n in first..first + size {
        let mut p = person(&numbered("Quota", n));
        p.iin = test_iin(n);
        let decoded = kandas::domain::iin::Iin::parse(&p.iin).unwrap().decode();
        let born = decoded.birth_date.unwrap();
        p.birth_date = Some(date(
            chrono::Datelike::year(&born),
            chrono::Datelike::month(&born),
            chrono::Datelike::day(&born),
        ));
        family.push(register(&mut persons, p).await);
    }
    let applicant = family[0].name.clone();
    let members: Vec<pb::FamilyMember> = family[1..]
        .iter()
        .map(|m| pb::FamilyMember {
            person: m.name.clone(),
            relation: pb::Relation::OtherRelative as i32,
        })
        .collect();
    let holders: Vec<String> = std::iter::once(String::new())
        .chain(family[1..].iter().map(|m| m.name.clone()))
        .collect();

    let mut documents = vec![
        plain(pb::DocumentType::ApplicationForm, ""),
        plain(pb::DocumentType::Biography, ""),
    ];
    documents.extend(holders.iter().map(|h| pb::Document {
        holder: h.clone(),
        expiry_date: Some(date(2034, 1, 1)),
        ..passport()
    }));
    let kandas = submit_ok(
        app,
        &applicant,
        details(P::KandasStatusAssignment(pb::KandasStatusAssignment {
            grounds: vec![pb::kandas_status_assignment::Ground::QuotaRegionResettlement as i32],
            nationality_in_identity_document: true,
            consent_via_foreign_institution: false,
            family: members.clone(),
        })),
        documents,
    )
    .await;
    approve_as(app, "commission", &kandas).await;

    let mut documents = vec![
        plain(pb::DocumentType::ApplicationForm, ""),
        pb::Document {
            notarized: true,
            ..plain(pb::DocumentType::HousingContract, "")
        },
    ];
    for h in &holders {
        documents.push(plain(pb::DocumentType::MedicalCertificate, h));
        documents.push(pb::Document {
            photo: Some(pb::PhotoSpec {
                count: 1,
                width_mm: 35,
                height_mm: 45,
            }),
            ..plain(pb::DocumentType::Photo, h)
        });
    }
    let permit = submit_ok(
        app,
        &applicant,
        details(P::PermanentResidencePermit(pb::PermanentResidencePermit {
            category: pb::permanent_residence_permit::Category::KandasAndFamily as i32,
            ethnic_kazakh_from_prc: true,
            family: members.clone(),
            ..Default::default()
        })),
        documents,
    )
    .await;
    approve_as(app, "police", &permit).await;

    let registration = submit_ok(
        app,
        &applicant,
        details(P::ResidenceRegistration(pb::ResidenceRegistration {
            kind: pb::residence_registration::Kind::Permanent as i32,
            region: region.into(),
            address: "Main street 1".into(),
            family: members,
            ..Default::default()
        })),
        vec![
            pb::Document {
                expiry_date: Some(date(2040, 1, 1)),
                ..plain(pb::DocumentType::OwnerIdentityDocument, "")
            },
            plain(pb::DocumentType::OwnerConsent, ""),
        ],
    )
    .await;
    approve_as(app, "police", &registration).await;
    family
}

/// Typed details of a quota inclusion for this family.
pub fn quota_details(family: &[pb::Person], region: &str, year: i32) -> pb::ApplicationDetails {
    details(pb::application_details::Procedure::RegionalQuotaInclusion(
        pb::RegionalQuotaInclusion {
            region: region.into(),
            year,
            family: family[1..]
                .iter()
                .map(|m| pb::FamilyMember {
                    person: m.name.clone(),
                    relation: pb::Relation::OtherRelative as i32,
                })
                .collect(),
        },
    ))
}

/// Submits (as the employment center) and forwards a quota application; returns it as the
/// commission will see it.
pub async fn quota_application_ready(
    app: &TestApp,
    family: &[pb::Person],
    region: &str,
    year: i32,
) -> pb::Application {
    let submitted = app
        .applications("employment_center")
        .await
        .submit_application(pb::SubmitApplicationRequest {
            request_id: request_id(),
            applicant: family[0].name.clone(),
            documents: vec![],
            details: Some(quota_details(family, region, year)),
            ..Default::default()
        })
        .await
        .expect("quota application accepted")
        .into_inner();
    pb::quota_service_client::QuotaServiceClient::new(app.channel("employment_center").await)
        .forward_quota_applications(pb::ForwardQuotaApplicationsRequest {
            request_id: request_id(),
            applications: vec![submitted.name.clone()],
        })
        .await
        .expect("forwarded");
    app.applications("commission")
        .await
        .get_application(pb::GetApplicationRequest {
            name: submitted.name,
        })
        .await
        .unwrap()
        .into_inner()
}

/// The commission's approval of a quota application with a rent rate (and housing cost).
pub fn quota_approval(
    name: &str,
    etag: &str,
    rent_mci: i32,
    housing_cost_tenge: i64,
) -> pb::DecideApplicationRequest {
    pb::DecideApplicationRequest {
        request_id: request_id(),
        name: name.into(),
        etag: etag.into(),
        decision: Some(pb::decide_application_request::Decision::Approve(
            pb::Approval {
                rent_mci,
                housing_cost_tenge,
            },
        )),
    }
}

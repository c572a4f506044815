//! Work made through the API before a decision scenario is measured: persons registered with
//! an IIN and taken along the law's path (kandas status, permit, registration, quota) as far as
//! the decision under test, each step as crates/kandas-testkit/src/lib.rs `eligible_family` takes it.

use anyhow::bail;
use chrono::NaiveDate;
use kandas::pb;
use pb::application_details::Procedure as P;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tonic::Code;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::QUOTA_REGION;
use crate::data::{bench_person, date, numbered_surname, passport, procedure};
use crate::load::pick;
use crate::target::{ApplicationClient, Target};

/// One channel per office a path passes through.
#[derive(Clone)]
pub(crate) struct Offices {
    pub(crate) psc: Channel,
    pub(crate) police: Channel,
    pub(crate) commission: Channel,
    pub(crate) employment: Channel,
}

impl Offices {
    pub(crate) async fn of(target: &Target) -> anyhow::Result<Offices> {
        Ok(Offices {
            psc: target.channel("psc").await?,
            police: target.channel("police").await?,
            commission: target.channel("commission").await?,
            employment: target.channel("employment_center").await?,
        })
    }
}

/// `count` items made by `make` on `workers` tasks at once. The tasks share one connection
/// per office (HTTP/2 carries their calls side by side), so preparing never counts against
/// the connections a client certificate may hold while the scenario's own are open.
pub(crate) async fn prepare<T, F, Fut>(
    target: &Target,
    workers: usize,
    count: usize,
    make: F,
) -> anyhow::Result<Vec<T>>
where
    T: Send + 'static,
    F: Fn(Offices) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<T>> + Send,
{
    let made = Arc::new(tokio::sync::Mutex::new(Vec::with_capacity(count)));
    let next = Arc::new(AtomicUsize::new(0));
    let make = Arc::new(make);
    let offices = Offices::of(target).await?;
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (made, next, make, offices) =
            (made.clone(), next.clone(), make.clone(), offices.clone());
        tasks.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < count {
                let item = make(offices.clone()).await?;
                made.lock().await.push(item);
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let made = std::mem::take(&mut *made.lock().await);
    Ok(made)
}

fn plain(kind: pb::DocumentType) -> pb::Document {
    pb::Document {
        r#type: kind as i32,
        form: pb::DocumentForm::Original as i32,
        language: "kk".into(),
        number: "F-1".into(),
        ..Default::default()
    }
}

fn submission(
    person: &pb::Person,
    region: &str,
    details: P,
    documents: Vec<pb::Document>,
) -> pb::SubmitApplicationRequest {
    pb::SubmitApplicationRequest {
        request_id: Uuid::new_v4().to_string(),
        applicant: person.name.clone(),
        documents,
        details: Some(procedure(details)),
        region: region.into(),
        applicant_confirmation: None,
    }
}

/// `request` as the psc submits it.
async fn submitted(
    offices: &Offices,
    request: pb::SubmitApplicationRequest,
) -> anyhow::Result<pb::Application> {
    Ok(ApplicationClient::new(offices.psc.clone())
        .submit_application(request)
        .await?
        .into_inner())
}

/// The decision that approves `application` as it was read (its etag).
pub(crate) fn approval(application: pb::Application) -> pb::DecideApplicationRequest {
    pb::DecideApplicationRequest {
        request_id: Uuid::new_v4().to_string(),
        name: application.name,
        etag: application.etag,
        decision: Some(pb::decide_application_request::Decision::Approve(
            pb::Approval::default(),
        )),
    }
}

/// An adult ethnic Kazakh from the PRC registered with a random valid IIN; on the rare
/// collision with a registered one, another.
pub(crate) async fn registered(offices: &Offices) -> anyhow::Result<pb::Person> {
    let mut persons = pb::person_service_client::PersonServiceClient::new(offices.psc.clone());
    loop {
        let born =
            NaiveDate::from_ymd_opt(1960, 1, 1).unwrap() + chrono::Days::new(pick(14_000) as u64);
        let sex = kandas::domain::iin::Sex::Male;
        let Ok(Some(iin)) = kandas::domain::iin::Iin::generate(born, sex, 1 + pick(9_000) as u16)
        else {
            continue;
        };
        let mut person = bench_person(numbered_surname("Path", pick(1 << 30)));
        person.iin = iin.as_str().to_string();
        person.birth_date = Some(date(born));
        match persons
            .register_person(pb::RegisterPersonRequest {
                request_id: Uuid::new_v4().to_string(),
                person: Some(person),
                // Synthetic persons share names by design; none is a duplicate.
                confirmed_distinct: true,
                identity_document: None,
            })
            .await
        {
            Ok(r) => return Ok(r.into_inner()),
            Err(s) if s.code() == Code::AlreadyExists => continue,
            Err(s) => bail!("registering a person: {s:?}"),
        }
    }
}

/// A kandas status application for resettlement in a quota region, as the psc submits it.
pub(crate) async fn kandas_status_submitted(
    offices: &Offices,
    person: &pb::Person,
    region: &str,
) -> anyhow::Result<pb::Application> {
    let request = submission(
        person,
        region,
        P::KandasStatusAssignment(pb::KandasStatusAssignment {
            grounds: vec![pb::kandas_status_assignment::Ground::QuotaRegionResettlement as i32],
            nationality_in_identity_document: true,
            ..Default::default()
        }),
        vec![
            plain(pb::DocumentType::ApplicationForm),
            plain(pb::DocumentType::Biography),
            passport(NaiveDate::from_ymd_opt(2034, 1, 1).unwrap()),
        ],
    );
    submitted(offices, request).await
}

/// A permanent residence permit application of a kandas, as the psc submits it.
pub(crate) async fn permit_submitted(
    offices: &Offices,
    person: &pb::Person,
    region: &str,
) -> anyhow::Result<pb::Application> {
    let request = submission(
        person,
        region,
        P::PermanentResidencePermit(pb::PermanentResidencePermit {
            category: pb::permanent_residence_permit::Category::KandasAndFamily as i32,
            ethnic_kazakh_from_prc: true,
            ..Default::default()
        }),
        vec![
            plain(pb::DocumentType::ApplicationForm),
            pb::Document {
                notarized: true,
                ..plain(pb::DocumentType::HousingContract)
            },
            plain(pb::DocumentType::MedicalCertificate),
            pb::Document {
                photo: Some(pb::PhotoSpec {
                    count: 1,
                    width_mm: 35,
                    height_mm: 45,
                }),
                ..plain(pb::DocumentType::Photo)
            },
        ],
    );
    submitted(offices, request).await
}

/// A registered person whose kandas status is approved: ready to apply for a permit.
pub(crate) async fn with_kandas_status(
    offices: &Offices,
    region: &str,
) -> anyhow::Result<pb::Person> {
    let person = registered(offices).await?;
    let kandas = kandas_status_submitted(offices, &person, region).await?;
    ApplicationClient::new(offices.commission.clone())
        .decide_application(approval(kandas))
        .await?;
    Ok(person)
}

/// One adult ethnic Kazakh from the PRC taken through the API to a forwarded quota application
/// in QUOTA_REGION: registration with an IIN, kandas status, permit, permanent registration
/// (each approved), the quota application and its forwarding. Returns (name, etag).
pub(crate) async fn eligible_quota_application(
    offices: Offices,
    year: i32,
) -> anyhow::Result<(String, String)> {
    let mut police = ApplicationClient::new(offices.police.clone());
    let mut commission = ApplicationClient::new(offices.commission.clone());
    let mut employment = ApplicationClient::new(offices.employment.clone());

    let person = with_kandas_status(&offices, QUOTA_REGION).await?;
    let permit = permit_submitted(&offices, &person, QUOTA_REGION).await?;
    police.decide_application(approval(permit)).await?;

    let registration = submitted(
        &offices,
        submission(
            &person,
            QUOTA_REGION,
            P::ResidenceRegistration(pb::ResidenceRegistration {
                kind: pb::residence_registration::Kind::Permanent as i32,
                region: QUOTA_REGION.into(),
                address: "Main street 1".into(),
                ..Default::default()
            }),
            vec![
                pb::Document {
                    expiry_date: Some(date(NaiveDate::from_ymd_opt(2040, 1, 1).unwrap())),
                    ..plain(pb::DocumentType::OwnerIdentityDocument)
                },
                plain(pb::DocumentType::OwnerConsent),
            ],
        ),
    )
    .await?;
    police.decide_application(approval(registration)).await?;

    let quota = employment
        .submit_application(submission(
            &person,
            QUOTA_REGION,
            P::RegionalQuotaInclusion(pb::RegionalQuotaInclusion {
                region: QUOTA_REGION.into(),
                year,
                family: vec![],
            }),
            vec![],
        ))
        .await?
        .into_inner();
    pb::quota_service_client::QuotaServiceClient::new(offices.employment.clone())
        .forward_quota_applications(pb::ForwardQuotaApplicationsRequest {
            request_id: Uuid::new_v4().to_string(),
            applications: vec![quota.name.clone()],
        })
        .await?;
    // Forwarding changed the etag: read it as the commission will.
    let ready = commission
        .get_application(pb::GetApplicationRequest { name: quota.name })
        .await?
        .into_inner();
    Ok((ready.name, ready.etag))
}

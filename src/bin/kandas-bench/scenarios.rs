//! Scenarios: the calls under test.

use anyhow::bail;
use chrono::{Datelike, NaiveDate};
use kandas::pb;
use sqlx::PgPool;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tonic::Code;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::QUOTA_REGION;
use crate::data::{bench_person, date, iin_submission, passport, procedure};
use crate::load::{Answer, Measured, drive, pick, take};
use crate::target::Target;

type ApplicationClient = pb::application_service_client::ApplicationServiceClient<Channel>;

pub(crate) async fn run_submit(
    fresh: &[Uuid],
    channels: &[Channel],
    duration: Duration,
) -> anyhow::Result<Measured> {
    println!("scenario submit (SubmitApplication, IIN assignment, each for a new person)");
    let applicants: Vec<String> = fresh.iter().map(|id| format!("persons/{id}")).collect();
    let clients: Vec<ApplicationClient> = channels
        .iter()
        .cloned()
        .map(ApplicationClient::new)
        .collect();
    let next = Arc::new(AtomicUsize::new(0));
    let m = drive("submit", clients.len(), duration, move |w| {
        let mut client = clients[w].clone();
        let applicant = take(&applicants, &next);
        async move {
            let request = iin_submission(&applicant?);
            Some(
                client
                    .submit_application(request)
                    .await
                    .map(|_| Answer::Done),
            )
        }
    })
    .await;
    Ok(m)
}

/// Resource names of every stored application (`applications/…`) or applicant (`persons/…`).
async fn stored(db: &PgPool, persons: bool) -> anyhow::Result<Arc<Vec<String>>> {
    let sql = if persons {
        "SELECT 'persons/' || applicant_id FROM applications"
    } else {
        "SELECT 'applications/' || id FROM applications"
    };
    Ok(Arc::new(sqlx::query_scalar(sql).fetch_all(db).await?))
}

/// GetApplication of random stored applications.
pub(crate) async fn run_get(
    target: &Target,
    psc: &[Channel],
    duration: Duration,
    name: &str,
) -> anyhow::Result<Measured> {
    let applications = stored(&target.db, false).await?;
    println!("scenario {name} ({} stored)", applications.len());
    let clients: Vec<ApplicationClient> = psc.iter().cloned().map(ApplicationClient::new).collect();
    Ok(drive(name, clients.len(), duration, move |w| {
        let mut client = clients[w].clone();
        let name = applications[pick(applications.len())].clone();
        async move {
            Some(
                client
                    .get_application(pb::GetApplicationRequest { name })
                    .await
                    .map(|_| Answer::Done),
            )
        }
    })
    .await)
}

/// [`run_get`] in JSON over HTTP (the Connect protocol's unary form) on the same channels, so
/// the two differ only by the translation: what the JSON path costs beyond gRPC.
pub(crate) async fn run_get_json(
    target: &Target,
    psc: &[Channel],
    duration: Duration,
) -> anyhow::Result<Measured> {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let applications = stored(&target.db, false).await?;
    let name = "get_application_json";
    println!(
        "scenario {name} ({} stored, Connect JSON)",
        applications.len()
    );
    let uri: http::Uri = format!(
        "https://{}/kandas.v1.ApplicationService/GetApplication",
        target.addr
    )
    .parse()?;
    let channels = psc.to_vec();
    Ok(drive(name, channels.len(), duration, move |w| {
        let channel = channels[w].clone();
        let body = serde_json::json!({ "name": applications[pick(applications.len())] });
        let request = http::Request::post(uri.clone())
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(tonic::body::Body::new(http_body_util::Full::new(
                bytes::Bytes::from(body.to_string()),
            )))
            .expect("a well-formed request");
        async move {
            let answer = async {
                let response = channel
                    .oneshot(request)
                    .await
                    .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
                let status = response.status();
                let body = response.into_body().collect().await?.to_bytes();
                if status.is_success() {
                    Ok(Answer::Done)
                } else {
                    Err(tonic::Status::unknown(format!(
                        "HTTP {status}: {}",
                        String::from_utf8_lossy(&body)
                    )))
                }
            };
            Some(answer.await)
        }
    })
    .await)
}

/// CheckPrerequisites (permanent residence permit) of random applicants of stored rows.
pub(crate) async fn run_check(
    target: &Target,
    c: usize,
    duration: Duration,
    name: &str,
) -> anyhow::Result<Measured> {
    let applicants = stored(&target.db, true).await?;
    println!("scenario {name} (permanent residence permit, random applicants)");
    let clients: Vec<_> = target
        .channels("police", c)
        .await?
        .into_iter()
        .map(pb::prerequisite_service_client::PrerequisiteServiceClient::new)
        .collect();
    Ok(drive(name, c, duration, move |w| {
        let mut client = clients[w].clone();
        let person = applicants[pick(applicants.len())].clone();
        async move {
            let request = pb::CheckPrerequisitesRequest {
                person,
                procedure: pb::Procedure::PermanentResidencePermit as i32,
                as_of: None,
                ..Default::default()
            };
            Some(
                client
                    .check_prerequisites(request)
                    .await
                    .map(|_| Answer::Done),
            )
        }
    })
    .await)
}

/// Contended quota approvals: families made eligible through the API beforehand (the path of
/// tests/common `eligible_family`, families of one), all applying to one region's quota, then
/// approved by C commission clients at once, each application once. When the region runs out
/// (repeated runs on one database), QUOTA_EXHAUSTED is an answer, not an error.
pub(crate) async fn run_quota(
    target: &Target,
    c: usize,
    duration: Duration,
    families: usize,
) -> anyhow::Result<Measured> {
    let year = kandas::state::Clock::system().today().year();
    println!(
        "scenario quota_decide: preparing up to {families} eligible families for {QUOTA_REGION}/{year}"
    );
    let started = Instant::now();
    let prepared = Arc::new(tokio::sync::Mutex::new(Vec::new()));
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..c {
        let channels = Channels {
            psc: target.channel("psc").await?,
            police: target.channel("police").await?,
            commission: target.channel("commission").await?,
            employment: target.channel("employment_center").await?,
        };
        let (prepared, next) = (prepared.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < families {
                let ready = eligible_quota_application(&channels, year).await?;
                prepared.lock().await.push(ready);
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let prepared = Arc::new(std::mem::take(&mut *prepared.lock().await));
    // A long-running database has current statistics (autovacuum); this one just grew.
    sqlx::query("ANALYZE").execute(&target.db).await?;
    println!(
        "  prepared {} in {:.1} s (10 RPCs each, not measured)",
        prepared.len(),
        started.elapsed().as_secs_f64()
    );

    let clients: Vec<ApplicationClient> = target
        .channels("commission", c)
        .await?
        .into_iter()
        .map(ApplicationClient::new)
        .collect();
    let next = Arc::new(AtomicUsize::new(0));
    let m = drive("quota_decide", c, duration, move |w| {
        let mut client = clients[w].clone();
        let application = take(&prepared, &next);
        async move {
            let (name, etag) = application?;
            let request = pb::DecideApplicationRequest {
                request_id: Uuid::new_v4().to_string(),
                name,
                etag,
                decision: Some(pb::decide_application_request::Decision::Approve(
                    pb::Approval {
                        rent_mci: 20,
                        housing_cost_tenge: 0,
                    },
                )),
            };
            Some(match client.decide_application(request).await {
                Ok(_) => Ok(Answer::Done),
                Err(s) if s.code() == Code::ResourceExhausted => Ok(Answer::Refused),
                Err(s) => Err(s),
            })
        }
    })
    .await;
    // Refusals for lack of places are answers too: count them with the approvals.
    Ok(merge_refused(m))
}

fn merge_refused(mut m: Measured) -> Measured {
    if !m.refused.is_empty() {
        println!("  of which {} were QUOTA_EXHAUSTED", m.refused.len());
    }
    m.latencies.append(&mut m.refused);
    m.latencies.sort();
    m
}

struct Channels {
    pub(crate) psc: Channel,
    pub(crate) police: Channel,
    pub(crate) commission: Channel,
    pub(crate) employment: Channel,
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

/// One adult ethnic Kazakh from the PRC taken through the API to a forwarded quota application
/// in QUOTA_REGION: registration with an IIN, kandas status, permit, permanent registration
/// (each approved), the quota application and its forwarding. Returns (name, etag).
async fn eligible_quota_application(ch: &Channels, year: i32) -> anyhow::Result<(String, String)> {
    use pb::application_details::Procedure as P;
    let mut persons = pb::person_service_client::PersonServiceClient::new(ch.psc.clone());
    let mut psc = ApplicationClient::new(ch.psc.clone());
    let mut police = ApplicationClient::new(ch.police.clone());
    let mut commission = ApplicationClient::new(ch.commission.clone());
    let mut employment = ApplicationClient::new(ch.employment.clone());

    // A random valid IIN; on the rare collision with a registered one, another.
    let person = loop {
        let born =
            NaiveDate::from_ymd_opt(1960, 1, 1).unwrap() + chrono::Days::new(pick(14_000) as u64);
        let sex = kandas::domain::iin::Sex::Male;
        let Ok(Some(iin)) = kandas::domain::iin::Iin::generate(born, sex, 1 + pick(9_000) as u16)
        else {
            continue;
        };
        let mut p = bench_person(format!("Quota{}", pick(1 << 30)));
        p.iin = iin.as_str().to_string();
        p.birth_date = Some(date(born));
        match persons
            .register_person(pb::RegisterPersonRequest {
                request_id: Uuid::new_v4().to_string(),
                person: Some(p),
                // Synthetic persons share names by design; none is a duplicate.
                confirmed_distinct: true,
                identity_document: None,
            })
            .await
        {
            Ok(r) => break r.into_inner(),
            Err(s) if s.code() == Code::AlreadyExists => continue,
            Err(s) => bail!("registering a quota applicant: {s:?}"),
        }
    };
    let submit = |details: P, documents: Vec<pb::Document>| pb::SubmitApplicationRequest {
        request_id: Uuid::new_v4().to_string(),
        applicant: person.name.clone(),
        documents,
        details: Some(procedure(details)),
        region: QUOTA_REGION.into(),
    };
    let approve = |a: pb::Application| pb::DecideApplicationRequest {
        request_id: Uuid::new_v4().to_string(),
        name: a.name,
        etag: a.etag,
        decision: Some(pb::decide_application_request::Decision::Approve(
            pb::Approval::default(),
        )),
    };

    let kandas = psc
        .submit_application(submit(
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
        ))
        .await?
        .into_inner();
    commission.decide_application(approve(kandas)).await?;

    let permit = psc
        .submit_application(submit(
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
        ))
        .await?
        .into_inner();
    police.decide_application(approve(permit)).await?;

    let registration = psc
        .submit_application(submit(
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
        ))
        .await?
        .into_inner();
    police.decide_application(approve(registration)).await?;

    let quota = employment
        .submit_application(submit(
            P::RegionalQuotaInclusion(pb::RegionalQuotaInclusion {
                region: QUOTA_REGION.into(),
                year,
                family: vec![],
            }),
            vec![],
        ))
        .await?
        .into_inner();
    pb::quota_service_client::QuotaServiceClient::new(ch.employment.clone())
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

/// get_application at 10× the concurrency with no think time: far past what the service
/// sustains. Returns the served calls and, apart, the shed ones (RESOURCE_EXHAUSTED or
/// UNAVAILABLE) with their own latency.
pub(crate) async fn run_overload(
    target: &Target,
    psc: &[Channel],
    workers: usize,
    duration: Duration,
) -> anyhow::Result<(Measured, Measured)> {
    println!("scenario overload (get_application, {workers} clients, no think time)");
    let mut channels = psc.to_vec();
    channels.extend(
        target
            .channels("psc", workers.saturating_sub(psc.len()))
            .await?,
    );
    let names = stored(&target.db, false).await?;
    let clients: Vec<ApplicationClient> =
        channels.into_iter().map(ApplicationClient::new).collect();
    let mut served = drive("overload", workers, duration, move |w| {
        let mut client = clients[w].clone();
        let name = names[pick(names.len())].clone();
        async move {
            Some(
                match client
                    .get_application(pb::GetApplicationRequest { name })
                    .await
                {
                    Ok(_) => Ok(Answer::Done),
                    Err(s) if matches!(s.code(), Code::ResourceExhausted | Code::Unavailable) => {
                        Ok(Answer::Refused)
                    }
                    Err(s) => Err(s),
                },
            )
        }
    })
    .await;
    let shed = Measured {
        name: "overload_shed".into(),
        concurrency: workers,
        elapsed: served.elapsed,
        latencies: std::mem::take(&mut served.refused),
        refused: Vec::new(),
        errors: 0,
        first_error: None,
    };
    Ok((served, shed))
}

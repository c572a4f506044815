//! A family's path as the applicant sees it (SPEC 5.8): an IIN for the applicant and one for
//! the spouse through an intermediary, then kandas status through the portal, a permit, a
//! registration and quota inclusion for both, with two replicas sharing the database. The portal follows the applicant's notifications as a stream
//! on one replica while the acts happen on the other; the stream is dropped half way and
//! resumed from its last cursor on the other replica. After each step the applicant has
//! exactly the new notifications of that step, once each and in commit order, and a list read
//! from either replica agrees with the stream. The spouse is told of their own IIN application
//! only: the family's applications are the applicant's file.

use crate::helpers::*;
use kandas::pb;
use kandas::pb::application_details::Procedure as P;
use kandas::pb::notification::Kind;
use kandas::pb::submit_application_request::ApplicantConfirmation as Submitted;
use std::time::Duration;
use tokio_stream::StreamExt;
use tonic::Streaming;

/// The intermediary of the path, an AIFC-like centre acting in Astana.
const CENTRE: &str = "expat-centre";
const CENTRE_REGION: &str = "KZ-71";
/// Where the family settles: a quota region of 2026 (Pavlodar).
const SETTLES_IN: &str = "KZ-55";

fn with_centre(settings: &mut kandas::server::startup::Settings) {
    register_regional(settings, "intermediary", CENTRE, &[CENTRE_REGION]);
}

/// The portal's client for the applicant `me`, on `app`.
async fn notifications(
    app: &TestApp,
) -> pb::notification_service_client::NotificationServiceClient<tonic::transport::Channel> {
    pb::notification_service_client::NotificationServiceClient::new(app.channel("portal").await)
}

async fn watch(app: &TestApp, me: &str, cursor: &str) -> Streaming<pb::Notification> {
    notifications(app)
        .await
        .watch_notifications(for_applicant(
            pb::WatchNotificationsRequest {
                cursor: cursor.into(),
                language_code: "en".into(),
            },
            me,
        ))
        .await
        .expect("the portal follows its applicant")
        .into_inner()
}

/// The next `n` notifications of the stream, and then that nothing more arrives for a moment:
/// each step makes exactly its own.
async fn next(stream: &mut Streaming<pb::Notification>, n: usize) -> Vec<pb::Notification> {
    let mut got = Vec::new();
    while got.len() < n {
        let item = tokio::time::timeout(Duration::from_secs(20), stream.next())
            .await
            .unwrap_or_else(|_| {
                panic!("waited for notification {} of {n}: {got:#?}", got.len() + 1)
            })
            .expect("the stream stays open")
            .expect("a notification");
        got.push(item);
    }
    let more = tokio::time::timeout(Duration::from_millis(700), stream.next()).await;
    assert!(more.is_err(), "nothing more than {n}: then {more:?}");
    got
}

fn kinds(items: &[pb::Notification]) -> Vec<Kind> {
    items.iter().map(|n| n.kind()).collect()
}

/// Every notification of the applicant from the start, read as pages from `app`.
async fn listed(app: &TestApp, me: &str) -> Vec<pb::Notification> {
    let mut client = notifications(app).await;
    let mut all = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = client
            .list_notifications(for_applicant(
                pb::ListNotificationsRequest {
                    cursor: cursor.clone(),
                    page_size: 3,
                    language_code: "en".into(),
                },
                me,
            ))
            .await
            .expect("the portal lists its applicant's notifications")
            .into_inner();
        if page.notifications.is_empty() {
            assert_eq!(page.next_cursor, cursor, "nothing new: the same cursor");
            return all;
        }
        all.extend(page.notifications);
        cursor = page.next_cursor;
    }
}

async fn approve_as(app: &TestApp, role: &str, application: &pb::Application) -> pb::Application {
    app.applications(role)
        .await
        .decide_application(approve(&application.name, &application.etag))
        .await
        .unwrap_or_else(|e| panic!("{role} approves {}: {e:?}", application.name))
        .into_inner()
}

/// A portal submission for `me` (`persons/{id}`), signed in as `signed_in` (its IIN),
/// confirmed by SMS.
async fn portal_submits(
    app: &TestApp,
    me: &str,
    signed_in: &str,
    details: pb::ApplicationDetails,
    documents: Vec<pb::Document>,
) -> pb::Application {
    app.applications("portal")
        .await
        .submit_application(for_applicant(
            pb::SubmitApplicationRequest {
                request_id: request_id(),
                applicant: me.into(),
                documents,
                details: Some(details),
                applicant_confirmation: Some(Submitted::SmsConfirmation(sms_confirmed())),
                ..Default::default()
            },
            signed_in,
        ))
        .await
        .unwrap_or_else(|e| panic!("the portal submits: {:?}", error_details(&e)))
        .into_inner()
}

#[tokio::test]
async fn a_family_is_told_each_step_of_its_own_file_once_in_order_across_replicas_and_a_reconnect()
{
    let a = spawn_app_with(with_centre).await;
    let b = spawn_on(a.database_url.clone(), a.same_ca(), with_centre).await;

    // The intermediary registers the applicant and the spouse on B, and files each one's IIN
    // application on A, with their signed consent forms.
    let centre = a.channel_as("intermediary", CENTRE).await;
    let mut registrar = pb::person_service_client::PersonServiceClient::new(
        b.channel_as("intermediary", CENTRE).await,
    );
    let me = register(&mut registrar, person(&numbered("Path", 1))).await;
    let mut wife = person(&numbered("Path", 2));
    wife.given_name = "Aigerim".into();
    wife.sex = pb::Sex::Female as i32;
    wife.birth_date = Some(date(1990, 4, 12));
    let spouse = register(&mut registrar, wife).await;
    let mut stream = watch(&a, &me.name, "").await;

    let files_iin = async |applicant: &str, passport_number: &str| {
        pb::application_service_client::ApplicationServiceClient::new(centre.clone())
            .submit_application(iin_submission(
                applicant,
                vec![
                    pb::Document {
                        number: passport_number.into(),
                        ..passport()
                    },
                    doc(pb::DocumentType::ApplicantConsentForm, ""),
                ],
            ))
            .await
            .unwrap_or_else(|e| panic!("the intermediary files: {:?}", error_details(&e)))
            .into_inner()
    };
    let iin = files_iin(&me.name, "E12345678").await;
    let told = next(&mut stream, 1).await;
    assert_eq!(kinds(&told), [Kind::Accepted]);
    assert_eq!(told[0].application, iin.name);
    assert_eq!(told[0].person, me.name);
    assert_eq!(told[0].procedure(), pb::Procedure::IinAssignment);
    assert_eq!(
        told[0].due_date, iin.deadline,
        "accepted, with its legal deadline"
    );
    assert_eq!(told[0].language_code, "en");
    assert!(!told[0].text.is_empty());

    // A PSC of the same region assigns the IIN, on B.
    let assigned = approve_as(&b, "psc", &iin).await;
    let Some(pb::decision::Result::IinAssignment(result)) =
        assigned.decision.and_then(|d| d.result)
    else {
        panic!("the approval carries the IIN");
    };
    let told = next(&mut stream, 1).await;
    assert_eq!(kinds(&told), [Kind::Approved]);
    assert!(
        told[0].text.contains(&result.iin),
        "the IIN is told: {}",
        told[0].text
    );

    // The spouse's own IIN is the spouse's step, not the applicant's.
    let spouse_iin = files_iin(&spouse.name, "E87654321").await;
    approve_as(&b, "psc", &spouse_iin).await;
    assert!(
        next(&mut stream, 0).await.is_empty(),
        "nothing of the spouse's file"
    );
    let family = vec![pb::FamilyMember {
        person: spouse.name.clone(),
        relation: pb::Relation::Spouse as i32,
    }];

    // From now on the portal names its applicant by IIN, as after its own sign-in.
    let me_by_iin = result.iin.clone();
    // Kandas status through the portal, on B; the commission grants it on A.
    let kandas = portal_submits(
        &b,
        &me.name,
        &me_by_iin,
        details(P::KandasStatusAssignment(pb::KandasStatusAssignment {
            grounds: vec![pb::kandas_status_assignment::Ground::QuotaRegionResettlement as i32],
            nationality_in_identity_document: true,
            family: family.clone(),
            ..Default::default()
        })),
        vec![
            doc(pb::DocumentType::ApplicationForm, ""),
            doc(pb::DocumentType::Biography, ""),
            pb::Document {
                expiry_date: Some(date(2034, 1, 1)),
                ..passport()
            },
            pb::Document {
                holder: spouse.name.clone(),
                number: "E87654321".into(),
                expiry_date: Some(date(2034, 1, 1)),
                ..passport()
            },
        ],
    )
    .await;
    let told = next(&mut stream, 1).await;
    assert_eq!(kinds(&told), [Kind::Accepted]);
    assert_eq!(told[0].application, kandas.name);
    let granted = approve_as(&a, "commission", &kandas).await;
    let told = next(&mut stream, 2).await;
    assert_eq!(kinds(&told), [Kind::Approved, Kind::CertificateReady]);
    let certificate = &granted.decision.unwrap().issued[0].number;
    assert!(
        told[1].text.contains(certificate.as_str()),
        "{}",
        told[1].text
    );
    let last_seen = told[1].cursor.clone();

    // The portal's connection drops; the acts go on meanwhile.
    drop(stream);
    let permit = submit_ok(
        &b,
        &me.name,
        details(P::PermanentResidencePermit(pb::PermanentResidencePermit {
            category: pb::permanent_residence_permit::Category::KandasAndFamily as i32,
            ethnic_kazakh_from_prc: true,
            family: family.clone(),
            ..Default::default()
        })),
        vec![
            doc(pb::DocumentType::ApplicationForm, ""),
            notarized(pb::DocumentType::HousingContract, ""),
            doc(pb::DocumentType::MedicalCertificate, ""),
            photos("", 1),
            doc(pb::DocumentType::MedicalCertificate, &spouse.name),
            photos(&spouse.name, 1),
        ],
    )
    .await;
    approve_as(&a, "police", &permit).await;

    // It resumes from its last cursor on the other replica: the two steps it missed, once.
    let mut stream = watch(&b, &me_by_iin, &last_seen).await;
    let told = next(&mut stream, 2).await;
    assert_eq!(kinds(&told), [Kind::Accepted, Kind::Approved]);
    assert!(told.iter().all(|n| n.application == permit.name));

    // A permanent registration in a quota region, decided on the spot by the police.
    let registration = submit_ok(
        &a,
        &me.name,
        details(P::ResidenceRegistration(pb::ResidenceRegistration {
            kind: pb::residence_registration::Kind::Permanent as i32,
            region: SETTLES_IN.into(),
            address: "Main street".into(),
            family: family.clone(),
            ..Default::default()
        })),
        vec![
            pb::Document {
                expiry_date: Some(date(2040, 1, 1)),
                ..doc(pb::DocumentType::OwnerIdentityDocument, "")
            },
            doc(pb::DocumentType::OwnerConsent, ""),
        ],
    )
    .await;
    approve_as(&b, "police", &registration).await;
    let told = next(&mut stream, 2).await;
    assert_eq!(kinds(&told), [Kind::Accepted, Kind::Approved]);
    assert_eq!(told[0].due_date, None, "registration has no legal term");

    // Quota inclusion through the portal; the employment center forwards, the commission
    // includes the applicant.
    let quota = portal_submits(
        &a,
        &me.name,
        &me_by_iin,
        details(P::RegionalQuotaInclusion(pb::RegionalQuotaInclusion {
            region: SETTLES_IN.into(),
            year: 2026,
            family: family.clone(),
        })),
        vec![],
    )
    .await;
    let told = next(&mut stream, 1).await;
    assert_eq!(kinds(&told), [Kind::Accepted]);
    pb::quota_service_client::QuotaServiceClient::new(b.channel("employment_center").await)
        .forward_quota_applications(pb::ForwardQuotaApplicationsRequest {
            request_id: request_id(),
            applications: vec![quota.name.clone()],
        })
        .await
        .expect("forwarded");
    assert!(
        next(&mut stream, 0).await.is_empty(),
        "forwarding is the offices' step, not the applicant's"
    );
    let forwarded = b
        .applications("commission")
        .await
        .get_application(pb::GetApplicationRequest {
            name: quota.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    a.applications("commission")
        .await
        .decide_application(quota_approval(&forwarded.name, &forwarded.etag, 20, 0))
        .await
        .expect("included");
    let told = next(&mut stream, 1).await;
    assert_eq!(kinds(&told), [Kind::QuotaDecided]);
    assert_eq!(told[0].application, quota.name);

    // Both replicas list the applicant's eleven, in the order streamed, each once.
    let expected = [
        Kind::Accepted,
        Kind::Approved,
        Kind::Accepted,
        Kind::Approved,
        Kind::CertificateReady,
        Kind::Accepted,
        Kind::Approved,
        Kind::Accepted,
        Kind::Approved,
        Kind::Accepted,
        Kind::QuotaDecided,
    ];
    for app in [&a, &b] {
        let all = listed(app, &me.name).await;
        assert_eq!(kinds(&all), expected);
        let sequences: Vec<i64> = all.iter().map(|n| n.sequence).collect();
        assert!(
            sequences.windows(2).all(|w| w[0] < w[1]),
            "in commit order: {sequences:?}"
        );
        let mut names: Vec<&str> = all.iter().map(|n| n.name.as_str()).collect();
        names.dedup();
        assert_eq!(names.len(), expected.len(), "each once");
    }

    // The spouse, signed in to the portal, reads their own IIN application's steps only.
    let theirs = listed(&b, &spouse.name).await;
    assert_eq!(kinds(&theirs), [Kind::Accepted, Kind::Approved]);
    assert!(theirs.iter().all(|n| n.application == spouse_iin.name));

    // The intermediary reads what it submitted, and nothing of the rest of the path.
    let theirs = pb::notification_service_client::NotificationServiceClient::new(
        a.channel_as("intermediary", CENTRE).await,
    )
    .list_notifications(pb::ListNotificationsRequest::default())
    .await
    .expect("the submitting office lists its applications' notifications")
    .into_inner()
    .notifications;
    assert_eq!(
        kinds(&theirs),
        [
            Kind::Accepted,
            Kind::Approved,
            Kind::Accepted,
            Kind::Approved
        ]
    );
    assert!(
        theirs
            .iter()
            .all(|n| n.application == iin.name || n.application == spouse_iin.name)
    );
}

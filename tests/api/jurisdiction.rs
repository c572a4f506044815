//! Jurisdiction (SPEC 1.1). The scope table is generated from the role table: every role, every
//! RPC it may call, on files inside and outside its jurisdiction, and what each must answer.
//! Then the portal's applicant header, the identity lookup by IIN, and per-office lists.

use crate::helpers::*;
use kandas::domain::role::Role;
use kandas::pb;
use kandas::server::auth::{KANDAS_METHODS, allowed_roles};
use prost::Message;
use prost::bytes::Bytes;
use tonic::Code;
use tonic::transport::Channel;

const INSIDE: &str = "KZ-55";
const OUTSIDE: &str = "KZ-10";
const MISSION: &str = "mission-abroad";
const INTERMEDIARY: &str = "intermediary-55";
const OFFICES: [&str; 5] = [
    "psc",
    "police",
    "commission",
    "employment_center",
    "registry",
];

/// Every office acts in `INSIDE` only, and so does the intermediary; the mission is national,
/// as missions abroad are.
async fn spawn_with_offices() -> TestApp {
    spawn_app_with(|s| {
        for role in OFFICES {
            register_regional(s, role, &format!("{role}-55"), &[INSIDE]);
        }
        register_national(s, "mission", MISSION);
        register_regional(s, "intermediary", INTERMEDIARY, &[INSIDE]);
    })
    .await
}

/// The files of one region: a person permanently registered there and their quota
/// application, forwarded to the commission.
#[derive(Clone)]
struct Files {
    person: pb::Person,
    application: pb::Application,
    region: &'static str,
    /// `persons/{id}/registrations/{id}`, `persons/{id}/kandas-statuses/{number}` and
    /// `persons/{id}/permits/{number}` of the person; empty for a mission's files.
    registration: String,
    kandas_status: String,
    permit: String,
    /// `appeals/{id}`: an appeal against a refused IIN application of the region; empty for a
    /// mission's files.
    appeal: String,
}

/// Files that do not exist, named as existing ones are.
fn absent_files() -> Files {
    let person = format!("persons/{}", uuid::Uuid::now_v7());
    Files {
        person: pb::Person {
            name: person.clone(),
            ..Default::default()
        },
        application: pb::Application {
            name: format!("applications/{}", uuid::Uuid::now_v7()),
            ..Default::default()
        },
        region: OUTSIDE,
        registration: format!("{person}/registrations/{}", uuid::Uuid::now_v7()),
        kandas_status: format!("{person}/kandas-statuses/KC-2026-999999"),
        permit: format!("{person}/permits/PR-2026-999999"),
        appeal: format!("appeals/{}", uuid::Uuid::now_v7()),
    }
}

/// An appeal against a refused IIN application of `region`, filed by the national psc.
async fn appeal_in(app: &TestApp, surname: &str, region: &str) -> String {
    let applicant = register(&mut app.persons("psc").await, person(surname)).await;
    let mut applications = app.applications("psc").await;
    let submitted = applications
        .submit_application(pb::SubmitApplicationRequest {
            region: region.into(),
            ..iin_submission(&applicant.name, vec![passport()])
        })
        .await
        .unwrap()
        .into_inner();
    let refused = applications
        .decide_application(refuse(
            &submitted.name,
            &submitted.etag,
            "FORGED_DOCUMENT",
            "the passport did not check out",
        ))
        .await
        .unwrap()
        .into_inner();
    applications
        .file_appeal(pb::FileAppealRequest {
            request_id: request_id(),
            application: refused.name,
            grounds: "the passport is genuine".into(),
            applicant_confirmation: None,
        })
        .await
        .unwrap()
        .into_inner()
        .name
}

/// The resource names of `person`'s registration, kandas status and permit.
async fn record_names(app: &TestApp, person: &str) -> (String, String, String) {
    let id = uuid::Uuid::parse_str(person.trim_start_matches("persons/")).unwrap();
    let registration: uuid::Uuid =
        sqlx::query_scalar!("SELECT id FROM registrations WHERE person_id = $1", id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let status: String = sqlx::query_scalar!(
        "SELECT certificate_number FROM kandas_statuses WHERE person_id = $1",
        id
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let permit: String = sqlx::query_scalar!("SELECT number FROM permits WHERE person_id = $1", id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    (
        format!("{person}/registrations/{registration}"),
        format!("{person}/kandas-statuses/{status}"),
        format!("{person}/permits/{permit}"),
    )
}

async fn files_in(app: &TestApp, first: u32, region: &'static str) -> Files {
    let family = eligible_family(app, first, 1, region).await;
    let application = quota_application_ready(app, &family, region, 2026).await;
    let (registration, kandas_status, permit) = record_names(app, &family[0].name).await;
    let appeal = appeal_in(app, &numbered("Appellant", first), region).await;
    Files {
        person: family[0].clone(),
        application,
        region,
        registration,
        kandas_status,
        permit,
        appeal,
    }
}

/// A mission's own work: a person it registered and the IIN application it filed for them.
async fn mission_files(app: &TestApp) -> Files {
    let channel = app.channel_as("mission", MISSION).await;
    let registered = register(&mut PersonClient::new(channel.clone()), person("Abroad")).await;
    let application = ApplicationClient::new(channel)
        .submit_application(pb::SubmitApplicationRequest {
            region: INSIDE.into(),
            ..iin_submission(&registered.name, vec![passport()])
        })
        .await
        .expect("the mission files an IIN application")
        .into_inner();
    Files {
        person: registered,
        application,
        region: INSIDE,
        registration: String::new(),
        kandas_status: String::new(),
        permit: String::new(),
        appeal: String::new(),
    }
}

/// An intermediary's own work: a person it registered and the IIN application it filed for
/// them with their consent form, in its region.
async fn intermediary_files(app: &TestApp) -> Files {
    let channel = app.channel_as("intermediary", INTERMEDIARY).await;
    let registered = register(&mut PersonClient::new(channel.clone()), person("Expat")).await;
    let application = ApplicationClient::new(channel)
        .submit_application(iin_submission(
            &registered.name,
            vec![passport(), doc(pb::DocumentType::ApplicantConsentForm, "")],
        ))
        .await
        .expect("the intermediary files an IIN application")
        .into_inner();
    Files {
        person: registered,
        application,
        region: INSIDE,
        registration: String::new(),
        kandas_status: String::new(),
        permit: String::new(),
        appeal: String::new(),
    }
}

/// What a call on files outside the caller's scope must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Any answer but an OUTSIDE_JURISDICTION refusal: the RPC does not depend on whose files.
    Served,
    /// PERMISSION_DENIED, reason OUTSIDE_JURISDICTION.
    Refused,
    /// Served, listing none of those files.
    Unlisted,
}

/// The rule of SPEC 1.1 for one role calling one RPC on files outside its scope, written out
/// here apart from the service's own table so that the two are checked against each other.
fn outside_expectation(role: Role, method: &str) -> Expect {
    let name = method.rsplit('/').next().unwrap();
    match (role, name) {
        // No one's file: checking an IIN, quotas, calendars, organisations, the audit log,
        // registering a new person.
        (
            _,
            "ValidateIin"
            | "GetQuota"
            | "ListQuotas"
            | "GetCalendarYear"
            | "SetCalendarYear"
            | "SetQuota"
            | "SetMci"
            | "ListMci"
            | "RegisterOrganisation"
            | "UpdateOrganisation"
            | "ListOrganisations"
            | "ListAuditEvents"
            | "VerifyAuditChain"
            | "RegisterPerson"
            | "ListAppeals"
            | "VerifyKandasCertificate"
            | "SetRecordSubscription"
            | "ListRecordSubscriptions"
            | "RunRetention"
            | "GetRetentionStatus",
        ) => Expect::Served,
        // A registry names no file: its feed holds only what lies in its regions, which
        // `record_feed::` checks event by event.
        (Role::Registry, "ListRecordEvents" | "AcknowledgeRecordEvents") => Expect::Served,
        // Notifications name no file: a caller reads only its applicant's, or those of what it
        // submitted, which `notifications::` checks notification by notification.
        (_, "ListNotifications") => Expect::Served,
        // A person moves between regions: police checks and records nationwide.
        (Role::Police, "CheckPrerequisites" | "RecordOffence" | "RecordArrivalNotification") => {
            Expect::Served
        }
        // An office prepares and files for anyone who walks in; the application's region
        // decides whether it may file it.
        (Role::Portal, "CheckDocuments" | "ListRequiredDocuments") => Expect::Refused,
        (_, "CheckDocuments" | "ListRequiredDocuments") => Expect::Served,
        (Role::Mission, "SubmitApplication") => Expect::Served,
        (_, "ListApplications") => Expect::Unlisted,
        _ => Expect::Refused,
    }
}

/// The request each RPC is probed with, about `files`. A new RPC fails here until it is given
/// one, so the table cannot silently skip it.
fn probe_request(role: Role, method: &str, files: &Files) -> Vec<u8> {
    use pb::application_details::Procedure as P;
    let person = files.person.name.clone();
    let application = files.application.name.clone();
    let submitted = || -> (pb::ApplicationDetails, String) {
        match role {
            Role::Police => (
                details(P::PermanentResidencePermit(pb::PermanentResidencePermit {
                    category: pb::permanent_residence_permit::Category::KandasAndFamily as i32,
                    ..Default::default()
                })),
                files.region.into(),
            ),
            // The IIN application lies where the request names, for the intermediary to be
            // refused outside its region.
            Role::Intermediary => (iin_details(false), files.region.into()),
            Role::Mission => (
                details(P::KandasStatusAssignment(pb::KandasStatusAssignment {
                    grounds: vec![
                        pb::kandas_status_assignment::Ground::QuotaRegionResettlement as i32,
                    ],
                    ..Default::default()
                })),
                files.region.into(),
            ),
            _ => (
                quota_details(std::slice::from_ref(&files.person), files.region, 2026),
                String::new(),
            ),
        }
    };
    let name = method.rsplit('/').next().unwrap();
    match name {
        "RegisterPerson" => pb::RegisterPersonRequest {
            request_id: request_id(),
            person: Some(crate::helpers::person("Probe")),
            ..Default::default()
        }
        .encode_to_vec(),
        "GetPerson" => pb::GetPersonRequest {
            name: person,
            iin: String::new(),
        }
        .encode_to_vec(),
        "UpdatePerson" => pb::UpdatePersonRequest {
            request_id: request_id(),
            person: Some(pb::Person {
                name: person,
                surname: "Corrected".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["surname".into()],
            }),
            etag: "stale".into(),
            reason: "misspelt at registration".into(),
            supporting_document: Some(pb::SupportingDocument {
                kind: "passport".into(),
                number: "E1".into(),
                ..Default::default()
            }),
        }
        .encode_to_vec(),
        "ListPersonVersions" => pb::ListPersonVersionsRequest { name: person }.encode_to_vec(),
        "ListPersonRecords" => pb::ListPersonRecordsRequest {
            name: person,
            as_of: None,
        }
        .encode_to_vec(),
        "RecordArrivalNotification" => pb::RecordArrivalNotificationRequest {
            request_id: request_id(),
            person,
            entry_date: Some(date(2026, 5, 29)),
            host: "Host family".into(),
            ..Default::default()
        }
        .encode_to_vec(),
        "SubmitApplication" => {
            let (details, region) = submitted();
            pb::SubmitApplicationRequest {
                request_id: request_id(),
                applicant: person,
                documents: vec![],
                details: Some(details),
                region,
                applicant_confirmation: None,
            }
            .encode_to_vec()
        }
        "CheckDocuments" => pb::CheckDocumentsRequest {
            applicant: person,
            documents: vec![],
            details: Some(submitted().0),
        }
        .encode_to_vec(),
        "ListRequiredDocuments" => pb::ListRequiredDocumentsRequest {
            applicant: person,
            details: Some(submitted().0),
            description: None,
        }
        .encode_to_vec(),
        "GetApplication" => pb::GetApplicationRequest { name: application }.encode_to_vec(),
        "ListApplications" => pb::ListApplicationsRequest {
            applicant: person,
            ..Default::default()
        }
        .encode_to_vec(),
        "DecideApplication" => approve(&application, "stale").encode_to_vec(),
        "WithdrawApplication" => pb::WithdrawApplicationRequest {
            request_id: request_id(),
            name: application,
            etag: "stale".into(),
            reason: String::new(),
            applicant_confirmation: None,
        }
        .encode_to_vec(),
        "FileAppeal" => pb::FileAppealRequest {
            request_id: request_id(),
            application,
            grounds: "probe".into(),
            applicant_confirmation: None,
        }
        .encode_to_vec(),
        "VerifyApplicantSignatures" => {
            pb::VerifyApplicantSignaturesRequest { name: application }.encode_to_vec()
        }
        "DecideAppeal" => pb::DecideAppealRequest {
            request_id: request_id(),
            name: files.appeal.clone(),
            overturn: false,
            reason: "probe".into(),
        }
        .encode_to_vec(),
        "ListAppeals" => pb::ListAppealsRequest::default().encode_to_vec(),
        "CheckPrerequisites" => pb::CheckPrerequisitesRequest {
            person,
            procedure: pb::Procedure::RegionalQuotaInclusion as i32,
            as_of: None,
            ..Default::default()
        }
        .encode_to_vec(),
        "RecordOffence" => pb::RecordOffenceRequest {
            request_id: request_id(),
            person,
            field: pb::record_offence_request::Field::Other as i32,
            offence_date: Some(date(2026, 5, 1)),
            description: "probe".into(),
        }
        .encode_to_vec(),
        "ForwardQuotaApplications" => pb::ForwardQuotaApplicationsRequest {
            request_id: request_id(),
            applications: vec![application],
        }
        .encode_to_vec(),
        "RecordApplicantNotified" => pb::RecordApplicantNotifiedRequest {
            request_id: request_id(),
            application,
            ..Default::default()
        }
        .encode_to_vec(),
        "GetEntitlement" => pb::GetEntitlementRequest { application }.encode_to_vec(),
        "ListPayments" => pb::ListPaymentsRequest {
            application,
            ..Default::default()
        }
        .encode_to_vec(),
        "RecordPayment" => pb::RecordPaymentRequest {
            request_id: request_id(),
            application,
            kind: pb::SupportKind::Relocation as i32,
            tenge: 1,
            period: String::new(),
        }
        .encode_to_vec(),
        // Dated before the records began, so a call inside jurisdiction is refused on the
        // dates and leaves the files as they are for the probes that follow.
        "EndRegistration" => pb::EndRegistrationRequest {
            request_id: request_id(),
            name: files.registration.clone(),
            ended_on: Some(date(2026, 5, 1)),
            reason: pb::registration::EndReason::MovedOut as i32,
        }
        .encode_to_vec(),
        "AnnulRecord" => pb::AnnulRecordRequest {
            request_id: request_id(),
            name: match role {
                Role::Commission => files.kandas_status.clone(),
                _ => files.permit.clone(),
            },
            annulled_on: Some(date(2026, 5, 1)),
            ground: pb::annulled_record::Ground::CourtDecision as i32,
            legal_basis: "probe".into(),
        }
        .encode_to_vec(),
        // Re-issues the certificate of the files' kandas status (psc only, the only role that
        // may call it).
        "DownloadKandasCertificate" => pb::DownloadKandasCertificateRequest {
            name: files.kandas_status.clone(),
        }
        .encode_to_vec(),
        // A code names a certificate, not a file: one no certificate carries is NOT_FOUND to
        // everyone, and `kandas_certificate::` verifies real ones.
        "VerifyKandasCertificate" => pb::VerifyKandasCertificateRequest {
            code: "7K2Q-9XMD-R4TB-H3NC".into(),
        }
        .encode_to_vec(),
        // Requests with nothing personal in them: an empty message is enough to show the
        // call is not refused for whose files it concerns.
        "ValidateIin"
        | "GetQuota"
        | "ListQuotas"
        | "GetCalendarYear"
        | "SetCalendarYear"
        | "SetQuota"
        | "SetMci"
        | "ListMci"
        | "RegisterOrganisation"
        | "UpdateOrganisation"
        | "ListOrganisations"
        | "ListAuditEvents"
        | "VerifyAuditChain"
        | "SetRecordSubscription"
        | "ListRecordSubscriptions"
        | "RunRetention"
        | "GetRetentionStatus"
        | "ListRecordEvents"
        | "AcknowledgeRecordEvents"
        | "ListNotifications" => Vec::new(),
        other => panic!("the scope table has no probe for {other}: add one"),
    }
}

/// One unary call with raw bytes, as `role` would send it (the portal naming `applicant`).
async fn call(
    channel: Channel,
    method: &str,
    body: Vec<u8>,
    applicant: &str,
) -> Result<Bytes, tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.expect("channel ready");
    let path: http::uri::PathAndQuery = method.parse().unwrap();
    grpc.unary(for_applicant(Bytes::from(body), applicant), path, RawCodec)
        .await
        .map(|r| r.into_inner())
}

/// A refusal's message with every resource name put in general terms, to compare refusals of
/// files that exist with those of files that do not.
fn refusal_text(result: &Result<Bytes, tonic::Status>) -> String {
    let status = result.as_ref().expect_err("a refusal");
    status
        .message()
        .split(' ')
        .map(|word| if word.contains('/') { "<name>" } else { word })
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_outside(result: &Result<Bytes, tonic::Status>) -> bool {
    match result {
        Err(status) if status.code() == Code::PermissionDenied => error_details(status)
            .error_info()
            .is_some_and(|info| info.reason == "OUTSIDE_JURISDICTION"),
        _ => false,
    }
}

/// Whether a ListApplications answer shows `application`.
fn lists(answer: &Bytes, application: &str) -> bool {
    pb::ListApplicationsResponse::decode(answer.clone())
        .unwrap()
        .applications
        .iter()
        .any(|a| a.name == application)
}

#[tokio::test]
async fn every_role_and_rpc_acts_inside_its_jurisdiction_and_is_refused_outside_it() {
    let app = spawn_with_offices().await;
    let inside = files_in(&app, 1, INSIDE).await;
    let outside = files_in(&app, 2, OUTSIDE).await;
    let abroad = mission_files(&app).await;
    let filed = intermediary_files(&app).await;
    let nowhere = absent_files();
    // The regional registry reads its feed of every kind.
    pb::admin_service_client::AdminServiceClient::new(app.channel("admin").await)
        .set_record_subscription(pb::SetRecordSubscriptionRequest {
            request_id: request_id(),
            organisation: "organisations/registry-55".into(),
            kinds: (1..=13).collect(),
        })
        .await
        .expect("the registry subscribes");

    let mut probes = 0;
    let mut refusals = 0;
    for role in Role::ALL {
        let (channel, own, others) = match role {
            Role::Mission => (app.channel_as("mission", MISSION).await, &abroad, &inside),
            // Own work in its region; files of another region are refused, filing there too.
            Role::Intermediary => (
                app.channel_as("intermediary", INTERMEDIARY).await,
                &filed,
                &outside,
            ),
            Role::Portal | Role::Admin => (app.channel(role.as_str()).await, &inside, &outside),
            office => (
                app.channel_as(office.as_str(), &format!("{office}-55"))
                    .await,
                &inside,
                &outside,
            ),
        };
        // The portal's applicant is the person whose files are its own.
        let applicant = own.person.name.clone();
        for method in KANDAS_METHODS {
            if !allowed_roles(method).unwrap().contains(&role) || method.contains("Watch") {
                continue;
            }
            if method.ends_with("/ListQuotaDecisions") {
                continue; // where decisions fall is checked below, once there are some
            }
            let expect = outside_expectation(role, method);
            let mine = call(
                channel.clone(),
                method,
                probe_request(role, method, own),
                &applicant,
            )
            .await;
            assert!(
                !is_outside(&mine),
                "{role} was refused {method} on its own files: {mine:?}"
            );
            if expect == Expect::Unlisted {
                assert!(
                    lists(mine.as_ref().unwrap(), &own.application.name),
                    "{role}: {method} omits its own application"
                );
            }
            let theirs = call(
                channel.clone(),
                method,
                probe_request(role, method, others),
                &applicant,
            )
            .await;
            match expect {
                Expect::Served => assert!(
                    !is_outside(&theirs),
                    "{role} was refused {method} though it does not depend on whose files: {theirs:?}"
                ),
                Expect::Refused => {
                    assert!(
                        is_outside(&theirs),
                        "{role} reached {method} on files outside its jurisdiction: {theirs:?}"
                    );
                    refusals += 1;
                    // Whether the files exist is not told (AIP-211), nor where they lie.
                    let missing = call(
                        channel.clone(),
                        method,
                        probe_request(role, method, &nowhere),
                        &applicant,
                    )
                    .await;
                    assert!(
                        is_outside(&missing),
                        "{role}: {method} on files that do not exist is told apart: {missing:?}"
                    );
                    assert_eq!(
                        refusal_text(&missing),
                        refusal_text(&theirs),
                        "{role}: {method} refuses missing and outside files in other words"
                    );
                    assert!(
                        !refusal_text(&theirs).contains(others.region),
                        "{role}: {method}'s refusal names where the file lies: {theirs:?}"
                    );
                    refusals += 1;
                }
                Expect::Unlisted => assert!(
                    !lists(theirs.as_ref().unwrap(), &others.application.name),
                    "{role}: {method} lists an application outside its jurisdiction"
                ),
            }
            probes += 1;
        }
    }
    assert!(probes > 60, "the table covered {probes} role × RPC pairs");

    // Every refusal left an audit event naming it.
    let audited: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM audit_events WHERE outcome = 'PermissionDenied'"#
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(
        audited >= refusals,
        "{refusals} refusals, {audited} audited"
    );
}

#[tokio::test]
async fn an_office_sees_the_quota_decisions_of_its_regions_only_and_the_operator_sees_all() {
    let app = spawn_with_offices().await;
    let inside = files_in(&app, 1, INSIDE).await;
    let outside = files_in(&app, 2, OUTSIDE).await;
    let mut commission = app.applications("commission").await;
    for files in [&inside, &outside] {
        commission
            .decide_application(quota_approval(
                &files.application.name,
                &files.application.etag,
                20,
                0,
            ))
            .await
            .expect("the national commission approves");
    }
    let decided = |channel: Channel| async move {
        pb::quota_service_client::QuotaServiceClient::new(channel)
            .list_quota_decisions(pb::ListQuotaDecisionsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .decisions
            .into_iter()
            .map(|d| d.application)
            .collect::<Vec<_>>()
    };
    let regional = decided(
        app.channel_as("employment_center", "employment_center-55")
            .await,
    )
    .await;
    assert_eq!(regional, vec![inside.application.name.clone()]);
    // The operator sees where decisions fall, never whose; an office sees whose it pays.
    let applicants = |channel: Channel| async move {
        pb::quota_service_client::QuotaServiceClient::new(channel)
            .list_quota_decisions(pb::ListQuotaDecisionsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .decisions
            .into_iter()
            .map(|d| d.applicant)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        applicants(app.channel("admin").await).await,
        vec![String::new(), String::new()]
    );
    assert_eq!(
        applicants(
            app.channel_as("employment_center", "employment_center-55")
                .await
        )
        .await,
        vec![inside.person.name.clone()]
    );
    let read: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM audit_events WHERE rpc LIKE '%/ListQuotaDecisions'
         AND client = 'urn:kandas:employment_center:employment_center-55' AND subject = $1"#,
        &inside.person.name
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    // Two pages named the applicant: the list above and this one.
    assert_eq!(read, 2, "each page's applicant is a read of that person");
    let all = decided(app.channel("admin").await).await;
    assert_eq!(
        all,
        vec![
            inside.application.name.clone(),
            outside.application.name.clone()
        ]
    );

    // The live feed holds to the same scope: its first decision is the one inside.
    let mut feed = pb::quota_service_client::QuotaServiceClient::new(
        app.channel_as("commission", "commission-55").await,
    )
    .watch_quota_decisions(pb::WatchQuotaDecisionsRequest::default())
    .await
    .unwrap()
    .into_inner();
    let first = tokio::time::timeout(std::time::Duration::from_secs(10), feed.message())
        .await
        .expect("a decision arrives")
        .unwrap()
        .unwrap();
    assert_eq!(first.application, inside.application.name);
    assert_eq!(first.region, INSIDE);
}

#[tokio::test]
async fn an_office_looking_up_a_newcomer_by_iin_learns_who_they_are_and_nothing_on_file() {
    let app = spawn_with_offices().await;
    let outside = files_in(&app, 2, OUTSIDE).await;
    let iin = outside.person.iin.clone();
    for role in ["psc", "police"] {
        let mut persons = PersonClient::new(app.channel_as(role, &format!("{role}-55")).await);
        let found = persons
            .get_person(pb::GetPersonRequest {
                name: String::new(),
                iin: iin.clone(),
            })
            .await
            .unwrap_or_else(|e| panic!("{role} looks up by IIN: {e:?}"))
            .into_inner();
        assert_eq!(found.name, outside.person.name);
        assert_eq!(found.surname, outside.person.surname);
        assert_eq!(found.birth_date, outside.person.birth_date);
        assert!(
            !found.ethnic_kazakh,
            "declared ethnicity is on file, not identity"
        );
        assert!(found.etag.is_empty());
        // By resource name, the same person is outside the office's jurisdiction.
        let refused = persons
            .get_person(pb::GetPersonRequest {
                name: outside.person.name.clone(),
                iin: String::new(),
            })
            .await
            .unwrap_err();
        assert_reason(&refused, "OUTSIDE_JURISDICTION");
    }
    // The commission has no identity lookup: by IIN it is refused as well.
    let refused = PersonClient::new(app.channel_as("commission", "commission-55").await)
        .get_person(pb::GetPersonRequest {
            name: String::new(),
            iin,
        })
        .await
        .unwrap_err();
    assert_reason(&refused, "OUTSIDE_JURISDICTION");
    // The lookup is audited under the person, never by the IIN.
    let audited: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM audit_events WHERE rpc LIKE '%/GetPerson' AND subject = $1"#,
        &outside.person.name
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(audited >= 4, "{audited}");
}

#[tokio::test]
async fn a_new_application_brings_a_walk_in_person_into_the_office() {
    let app = spawn_with_offices().await;
    let psc = app.channel_as("psc", "psc-55").await;
    let mut persons = PersonClient::new(psc.clone());
    // Registered elsewhere (by the national office): nothing in KZ-55 yet.
    let walk_in = register(&mut app.persons("psc").await, person("Walkin")).await;
    let refused = persons
        .get_person(pb::GetPersonRequest {
            name: walk_in.name.clone(),
            iin: String::new(),
        })
        .await
        .unwrap_err();
    assert_reason(&refused, "OUTSIDE_JURISDICTION");
    // Filing in another region is refused; in its own, accepted, and the person is now its.
    let mut applications = ApplicationClient::new(psc);
    let elsewhere = applications
        .submit_application(pb::SubmitApplicationRequest {
            region: OUTSIDE.into(),
            ..iin_submission(&walk_in.name, vec![passport()])
        })
        .await
        .unwrap_err();
    assert_reason(&elsewhere, "OUTSIDE_JURISDICTION");
    let filed = applications
        .submit_application(iin_submission(&walk_in.name, vec![passport()]))
        .await
        .expect("an office of one region files in it without naming it")
        .into_inner();
    assert_eq!(filed.region, INSIDE);
    persons
        .get_person(pb::GetPersonRequest {
            name: walk_in.name.clone(),
            iin: String::new(),
        })
        .await
        .expect("the application brought the person into the office's jurisdiction");
    // A person the office registered itself is its own from the start.
    let own = register(&mut persons, person("Ownregistration")).await;
    persons
        .get_person(pb::GetPersonRequest {
            name: own.name,
            iin: String::new(),
        })
        .await
        .expect("the office reads a person it registered");
}

#[tokio::test]
async fn an_office_of_several_regions_names_the_region_it_files_in() {
    let app =
        spawn_app_with(|s| register_regional(s, "psc", "psc-north", &[INSIDE, OUTSIDE])).await;
    let channel = app.channel_as("psc", "psc-north").await;
    let walk_in = register(&mut PersonClient::new(channel.clone()), person("North")).await;
    let mut applications = ApplicationClient::new(channel);
    let unnamed = applications
        .submit_application(iin_submission(&walk_in.name, vec![passport()]))
        .await
        .unwrap_err();
    assert_eq!(unnamed.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&unnamed), vec!["region"]);
    let named = applications
        .submit_application(pb::SubmitApplicationRequest {
            region: OUTSIDE.into(),
            ..iin_submission(&walk_in.name, vec![passport()])
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(named.region, OUTSIDE);
}

#[tokio::test]
async fn the_portal_acts_only_for_the_applicant_it_names() {
    let app = spawn_app().await;
    let me = files_in(&app, 1, INSIDE).await;
    let other = files_in(&app, 2, OUTSIDE).await;
    let mut portal = app.applications("portal").await;

    // Without the header every portal call is refused, even one with nothing personal in it.
    let bare = portal
        .get_application(pb::GetApplicationRequest {
            name: me.application.name.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(bare.code(), Code::PermissionDenied);
    assert_reason(&bare, "APPLICANT_REQUIRED");
    let bare = app
        .persons("portal")
        .await
        .validate_iin(pb::ValidateIinRequest {
            iin: me.person.iin.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_reason(&bare, "APPLICANT_REQUIRED");
    // A malformed header names itself; an IIN no one holds names no applicant.
    let malformed = portal
        .get_application(for_applicant(
            pb::GetApplicationRequest {
                name: me.application.name.clone(),
            },
            "someone",
        ))
        .await
        .unwrap_err();
    assert_eq!(malformed.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&malformed), vec!["x-kandas-applicant"]);
    let unknown = portal
        .get_application(for_applicant(
            pb::GetApplicationRequest {
                name: me.application.name.clone(),
            },
            &test_iin(77),
        ))
        .await
        .unwrap_err();
    assert_reason(&unknown, "APPLICANT_UNKNOWN");

    // Named by resource name or by IIN, the applicant reads their own and only their own.
    for header in [me.person.name.clone(), me.person.iin.clone()] {
        let own = portal
            .get_application(for_applicant(
                pb::GetApplicationRequest {
                    name: me.application.name.clone(),
                },
                &header,
            ))
            .await
            .expect("the applicant's own application")
            .into_inner();
        assert_eq!(own.applicant, me.person.name);
        let theirs = portal
            .get_application(for_applicant(
                pb::GetApplicationRequest {
                    name: other.application.name.clone(),
                },
                &header,
            ))
            .await
            .unwrap_err();
        assert_reason(&theirs, "OUTSIDE_JURISDICTION");
        let listed = portal
            .list_applications(for_applicant(
                pb::ListApplicationsRequest::default(),
                &header,
            ))
            .await
            .unwrap()
            .into_inner()
            .applications;
        assert!(!listed.is_empty());
        assert!(
            listed.iter().all(|a| a.applicant == me.person.name),
            "{listed:?}"
        );
    }
    // It withdraws neither another applicant's application nor files for them.
    let withdraw = portal
        .withdraw_application(for_applicant(
            pb::WithdrawApplicationRequest {
                request_id: request_id(),
                name: other.application.name.clone(),
                etag: other.application.etag.clone(),
                reason: String::new(),
                applicant_confirmation: None,
            },
            &me.person.name,
        ))
        .await
        .unwrap_err();
    assert_reason(&withdraw, "OUTSIDE_JURISDICTION");
    let state: String = sqlx::query_scalar!(
        "SELECT state FROM applications WHERE id = $1::text::uuid",
        other.application.name.trim_start_matches("applications/")
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(state, "submitted");
    let submit = portal
        .submit_application(for_applicant(
            pb::SubmitApplicationRequest {
                request_id: request_id(),
                applicant: other.person.name.clone(),
                details: Some(quota_details(
                    std::slice::from_ref(&other.person),
                    OUTSIDE,
                    2026,
                )),
                ..Default::default()
            },
            &me.person.name,
        ))
        .await
        .unwrap_err();
    assert_reason(&submit, "OUTSIDE_JURISDICTION");

    // Each portal call is recorded with the applicant it acted for.
    let applicants: Vec<String> = sqlx::query_scalar!(
        "SELECT DISTINCT applicant FROM audit_events WHERE role = 'portal' AND applicant <> ''"
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(applicants, vec![me.person.name.clone()]);
    let listed = app
        .audit()
        .await
        .list_audit_events(pb::ListAuditEventsRequest {
            subject: other.application.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    assert!(
        listed
            .iter()
            .any(|e| e.role == "portal" && e.applicant == me.person.name),
        "{listed:?}"
    );
}

#[tokio::test]
async fn a_refusal_by_role_or_registration_is_audited() {
    let app = spawn_app().await;
    let refused = PersonClient::new(app.channel_as("psc", "unregistered-office").await)
        .get_person(pb::GetPersonRequest {
            name: format!("persons/{}", uuid::Uuid::now_v7()),
            iin: String::new(),
        })
        .await
        .unwrap_err();
    assert_reason(&refused, "ORGANISATION_NOT_ACTIVE");
    let refused = pb::audit_service_client::AuditServiceClient::new(app.channel("psc").await)
        .verify_audit_chain(pb::VerifyAuditChainRequest {})
        .await
        .unwrap_err();
    assert_reason(&refused, "ROLE_NOT_PERMITTED");
    let events: Vec<(String, String, String)> = sqlx::query!(
        "SELECT client, rpc, outcome FROM audit_events WHERE outcome = 'PermissionDenied' ORDER BY id"
    )
    .fetch_all(&app.pool)
    .await
    .unwrap()
    .into_iter()
    .map(|row| (row.client, row.rpc, row.outcome))
    .collect();
    assert_eq!(
        events,
        vec![
            (
                "urn:kandas:psc:unregistered-office".to_string(),
                "/kandas.v1.PersonService/GetPerson".to_string(),
                "PermissionDenied".to_string()
            ),
            (
                "urn:kandas:psc:test-psc".to_string(),
                "/kandas.v1.AuditService/VerifyAuditChain".to_string(),
                "PermissionDenied".to_string()
            ),
        ]
    );
}

#[tokio::test]
async fn each_office_sees_the_overdue_work_of_its_own_regions() {
    let app = spawn_with_offices().await;
    let inside = files_in(&app, 1, INSIDE).await;
    let outside = files_in(&app, 2, OUTSIDE).await;
    // Both quota applications wait for the commission past their step's deadline.
    let ids: Vec<String> = [&inside, &outside]
        .iter()
        .map(|f| {
            f.application
                .name
                .trim_start_matches("applications/")
                .to_string()
        })
        .collect();
    sqlx::query!(
        "UPDATE applications SET step_deadline = DATE '2026-05-01'
         WHERE id = ANY($1::text[]::uuid[])",
        &ids
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let overdue = |channel: Channel| async move {
        ApplicationClient::new(channel)
            .list_applications(pb::ListApplicationsRequest {
                overdue_only: true,
                decided_by_role: "commission".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .applications
            .into_iter()
            .map(|a| a.name)
            .collect::<Vec<_>>()
    };
    let regional = overdue(app.channel_as("commission", "commission-55").await).await;
    assert_eq!(regional, vec![inside.application.name.clone()]);
    let national = overdue(app.channel("commission").await).await;
    assert_eq!(
        national,
        vec![
            inside.application.name.clone(),
            outside.application.name.clone()
        ]
    );
}

//! The IIN channels of SPEC 5 besides the front office (seed 003): the portal filing for its
//! signed-in applicant, and an intermediary filing on an applicant's behalf under its service
//! agreement with the applicant's consent form, acting in its regions and reading only what it
//! filed (SPEC 1, 1.1, 5.1).

use crate::helpers::*;
use kandas::pb;
use kandas::pb::submit_application_request::ApplicantConfirmation as Submitted;
use tonic::Code;

const ASTANA: &str = "KZ-71";
const ABAI: &str = "KZ-10";
const EXPAT_CENTRE: &str = "expat-centre";
const OTHER_AGENT: &str = "other-agent";

/// An intermediary of Astana, a second one of the same region, and a psc of Abai.
async fn spawn_with_intermediaries() -> TestApp {
    spawn_app_with(|s| {
        register_regional(s, "intermediary", EXPAT_CENTRE, &[ASTANA]);
        register_regional(s, "intermediary", OTHER_AGENT, &[ASTANA]);
        register_regional(s, "psc", "psc-10", &[ABAI]);
    })
    .await
}

fn consent_form() -> pb::Document {
    doc(pb::DocumentType::ApplicantConsentForm, "")
}

async fn intermediary(app: &TestApp, organisation: &str) -> ApplicationClient {
    ApplicationClient::new(app.channel_as("intermediary", organisation).await)
}

/// The requirement ids of a checklist.
fn requirements(checklist: &[pb::ChecklistItem]) -> Vec<&str> {
    checklist.iter().map(|i| i.requirement.as_str()).collect()
}

/// A refusal's message with every resource name put in general terms.
fn in_general_terms(status: &tonic::Status) -> String {
    status
        .message()
        .split(' ')
        .map(|word| if word.contains('/') { "<name>" } else { word })
        .collect::<Vec<_>>()
        .join(" ")
}

fn precondition_violations(status: &tonic::Status) -> Vec<(String, String, String)> {
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    error_details(status)
        .precondition_failure()
        .expect("a refusal at the door lists every problem")
        .violations
        .iter()
        .map(|v| (v.r#type.clone(), v.subject.clone(), v.description.clone()))
        .collect()
}

#[tokio::test]
async fn the_portal_files_an_iin_application_for_its_applicant_and_psc_assigns_the_iin() {
    let app = spawn_app().await;
    let me = register(&mut app.persons("psc").await, person("Newcomer")).await;
    let mut portal = app.applications("portal").await;

    // The portal is asked for what the office is asked for, and no consent form.
    let listed = portal
        .list_required_documents(for_applicant(
            pb::ListRequiredDocumentsRequest {
                applicant: me.name.clone(),
                details: Some(iin_details(false)),
                description: None,
            },
            &me.name,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        requirements(&listed.checklist),
        ["iin.identity_document", "iin.identity_document_translation"]
    );

    // Like its other acts, a submission the applicant did not confirm is refused.
    let unconfirmed = portal
        .submit_application(for_applicant(
            iin_submission(&me.name, vec![passport()]),
            &me.name,
        ))
        .await
        .unwrap_err();
    assert_eq!(unconfirmed.code(), Code::PermissionDenied);
    assert_reason(&unconfirmed, "APPLICANT_CONFIRMATION_REQUIRED");

    // Someone applying for an IIN holds none, so no national CA certificate is theirs: a
    // signature is refused saying so, and the portal confirms by SMS.
    let signed = pb::SubmitApplicationRequest {
        applicant_confirmation: Some(Submitted::ApplicantSignature(vec![0x30, 0x00])),
        ..iin_submission(&me.name, vec![passport()])
    };
    let refused = portal
        .submit_application(for_applicant(signed, &me.name))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert_reason(&refused, "SIGNER_NOT_APPLICANT");
    assert!(refused.message().contains("no IIN"), "{refused:?}");
    assert!(refused.message().contains("SMS"), "{refused:?}");

    // Only for the applicant signed in to it.
    let stranger = register(&mut app.persons("psc").await, person("Stranger")).await;
    let for_someone_else = portal
        .submit_application(for_applicant(
            pb::SubmitApplicationRequest {
                applicant_confirmation: Some(Submitted::SmsConfirmation(sms_confirmed())),
                ..iin_submission(&stranger.name, vec![passport()])
            },
            &me.name,
        ))
        .await
        .unwrap_err();
    assert_eq!(for_someone_else.code(), Code::PermissionDenied);
    assert_reason(&for_someone_else, "OUTSIDE_JURISDICTION");

    let submitted = portal
        .submit_application(for_applicant(
            pb::SubmitApplicationRequest {
                applicant_confirmation: Some(Submitted::SmsConfirmation(sms_confirmed())),
                ..iin_submission(&me.name, vec![passport()])
            },
            &me.name,
        ))
        .await
        .expect("the portal files its applicant's IIN application")
        .into_inner();
    assert_eq!(submitted.procedure, pb::Procedure::IinAssignment as i32);
    assert_eq!(
        submitted.submission_assurance,
        pb::ApplicantAssurance::Sms as i32
    );
    // Submitted Monday 2026-06-01: three working days later is Thursday 2026-06-04.
    assert_eq!(submitted.deadline, Some(date(2026, 6, 4)));

    let decided = app
        .applications("psc")
        .await
        .decide_application(approve(&submitted.name, &submitted.etag))
        .await
        .expect("psc decides IIN assignment whoever filed it")
        .into_inner();
    let Some(pb::decision::Result::IinAssignment(result)) = decided.decision.unwrap().result else {
        panic!("the approval carries the IIN");
    };
    assert!(result.iin.starts_with("8710083"), "{}", result.iin);

    // The applicant reads the outcome through the portal.
    let read = portal
        .get_application(for_applicant(
            pb::GetApplicationRequest {
                name: submitted.name.clone(),
            },
            &me.name,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.state, pb::application::State::Approved as i32);
}

#[tokio::test]
async fn an_intermediary_files_with_the_applicants_consent_form_and_no_one_else_is_asked_for_it() {
    let app = spawn_with_intermediaries().await;
    let mut agent = intermediary(&app, EXPAT_CENTRE).await;
    // An applicant without an IIN is not in the service yet: the intermediary registers them.
    let client = register(
        &mut PersonClient::new(app.channel_as("intermediary", EXPAT_CENTRE).await),
        person("Expat"),
    )
    .await;

    let required = |channel: tonic::transport::Channel| {
        let applicant = client.name.clone();
        async move {
            ApplicationClient::new(channel)
                .list_required_documents(pb::ListRequiredDocumentsRequest {
                    applicant,
                    details: Some(iin_details(false)),
                    description: None,
                })
                .await
                .unwrap()
                .into_inner()
                .checklist
        }
    };
    let from_intermediary = required(app.channel_as("intermediary", EXPAT_CENTRE).await).await;
    assert_eq!(
        requirements(&from_intermediary),
        [
            "iin.identity_document",
            "iin.identity_document_translation",
            "iin.consent_form"
        ]
    );
    let consent = &from_intermediary[2];
    assert_eq!(
        consent.document_type,
        pb::DocumentType::ApplicantConsentForm as i32
    );
    assert!(
        consent.legal_basis.contains("AIFC Expat Centre"),
        "{}",
        consent.legal_basis
    );
    let from_psc = required(app.channel("psc").await).await;
    assert_eq!(
        requirements(&from_psc),
        ["iin.identity_document", "iin.identity_document_translation"]
    );

    // Without the consent form the application is refused at the door, naming it.
    let refused = agent
        .submit_application(iin_submission(&client.name, vec![passport()]))
        .await
        .unwrap_err();
    assert_reason(&refused, "APPLICATION_INCOMPLETE");
    let violations = precondition_violations(&refused);
    assert_eq!(violations.len(), 1, "{violations:?}");
    let (kind, subject, description) = &violations[0];
    assert_eq!(kind, "DOCUMENT_MISSING");
    assert_eq!(subject, "applicant: iin.consent_form");
    assert!(description.contains("consent form"), "{description}");
    assert!(description.contains("AIFC Expat Centre"), "{description}");

    // The dry run agrees; with the form, nothing is missing.
    let checked = agent
        .check_documents(pb::CheckDocumentsRequest {
            applicant: client.name.clone(),
            documents: vec![passport(), consent_form()],
            details: Some(iin_details(false)),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(checked.complete, "{checked:?}");

    let filed = agent
        .submit_application(iin_submission(
            &client.name,
            vec![passport(), consent_form()],
        ))
        .await
        .expect("with the consent form the application is accepted")
        .into_inner();
    // The IIN application lies in the office's region.
    assert_eq!(filed.region, ASTANA);
    assert_eq!(
        requirements(&filed.checklist),
        [
            "iin.identity_document",
            "iin.identity_document_translation",
            "iin.consent_form"
        ]
    );
    assert!(
        filed
            .checklist
            .iter()
            .all(|i| i.status == pb::checklist_item::Status::Satisfied as i32)
    );
    assert_eq!(
        filed.submission_assurance,
        pb::ApplicantAssurance::None as i32
    );

    // A psc files without any consent form.
    let walk_in = register(&mut app.persons("psc").await, person("Walkin")).await;
    app.applications("psc")
        .await
        .submit_application(iin_submission(&walk_in.name, vec![passport()]))
        .await
        .expect("a front office needs no consent form");

    // The psc assigns the IIN of the intermediary's application.
    let decided = app
        .applications("psc")
        .await
        .decide_application(approve(&filed.name, &filed.etag))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(decided.state, pb::application::State::Approved as i32);
}

#[tokio::test]
async fn an_intermediary_reads_only_what_it_filed_in_its_regions_and_decides_nothing() {
    let app = spawn_with_intermediaries().await;
    let channel = app.channel_as("intermediary", EXPAT_CENTRE).await;
    let mut agent = ApplicationClient::new(channel.clone());
    let client = register(&mut PersonClient::new(channel.clone()), person("Client")).await;
    let filed = agent
        .submit_application(iin_submission(
            &client.name,
            vec![passport(), consent_form()],
        ))
        .await
        .unwrap()
        .into_inner();
    let walk_in = register(&mut app.persons("psc").await, person("Walkin")).await;
    let by_psc = app
        .applications("psc")
        .await
        .submit_application(pb::SubmitApplicationRequest {
            region: ASTANA.into(),
            ..iin_submission(&walk_in.name, vec![passport()])
        })
        .await
        .unwrap()
        .into_inner();

    // Its own application it reads and lists; the psc's of its own region it does not.
    let get = |name: &str| pb::GetApplicationRequest { name: name.into() };
    let read = agent
        .get_application(get(&filed.name))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.name, filed.name);
    let listed: Vec<String> = agent
        .list_applications(pb::ListApplicationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .applications
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(listed, vec![filed.name.clone()]);

    // Another intermediary of the same region, a psc of another region and the intermediary
    // on someone else's file are each told the same as for an application that does not
    // exist: nothing says whether it exists or where it lies.
    let absent = format!("applications/{}", uuid::Uuid::now_v7());
    let outside_psc = ApplicationClient::new(app.channel_as("psc", "psc-10").await);
    for (mut caller, name) in [
        (intermediary(&app, OTHER_AGENT).await, filed.name.clone()),
        (outside_psc, filed.name.clone()),
        (agent.clone(), by_psc.name.clone()),
    ] {
        let theirs = caller.get_application(get(&name)).await.unwrap_err();
        assert_eq!(theirs.code(), Code::PermissionDenied, "{theirs:?}");
        assert_reason(&theirs, "OUTSIDE_JURISDICTION");
        assert!(!theirs.message().contains(ASTANA), "{theirs:?}");
        let missing = caller.get_application(get(&absent)).await.unwrap_err();
        assert_eq!(missing.code(), Code::PermissionDenied, "{missing:?}");
        assert_eq!(in_general_terms(&missing), in_general_terms(&theirs));
    }

    // It files in its regions only; the refusal does not say where the file would lie.
    let elsewhere = register(&mut PersonClient::new(channel.clone()), person("Abroad")).await;
    let outside = agent
        .submit_application(pb::SubmitApplicationRequest {
            region: ABAI.into(),
            ..iin_submission(&elsewhere.name, vec![passport(), consent_form()])
        })
        .await
        .unwrap_err();
    assert_eq!(outside.code(), Code::PermissionDenied);
    assert_reason(&outside, "OUTSIDE_JURISDICTION");
    assert!(!outside.message().contains(ABAI), "{outside:?}");

    // It files IIN applications and nothing else.
    let kandas = agent
        .submit_application(pb::SubmitApplicationRequest {
            request_id: request_id(),
            applicant: client.name.clone(),
            details: Some(details(
                pb::application_details::Procedure::KandasStatusAssignment(
                    pb::KandasStatusAssignment {
                        grounds: vec![
                            pb::kandas_status_assignment::Ground::QuotaRegionResettlement as i32,
                        ],
                        ..Default::default()
                    },
                ),
            )),
            region: ASTANA.into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(kandas.code(), Code::PermissionDenied);
    assert_reason(&kandas, "ROLE_MAY_NOT_SUBMIT_PROCEDURE");

    // It neither decides nor reads the persons' files and records.
    let decide = agent
        .decide_application(approve(&filed.name, &filed.etag))
        .await
        .unwrap_err();
    assert_eq!(decide.code(), Code::PermissionDenied);
    assert_reason(&decide, "ROLE_NOT_PERMITTED");
    let mut persons = PersonClient::new(channel.clone());
    let records = persons
        .list_person_records(pb::ListPersonRecordsRequest {
            name: client.name.clone(),
            as_of: None,
        })
        .await
        .unwrap_err();
    assert_reason(&records, "ROLE_NOT_PERMITTED");
    let person = persons
        .get_person(pb::GetPersonRequest {
            name: client.name.clone(),
            iin: String::new(),
        })
        .await
        .unwrap_err();
    assert_reason(&person, "ROLE_NOT_PERMITTED");

    // A refusal of what it filed it appeals, as any channel that may submit the procedure.
    let refused = app
        .applications("psc")
        .await
        .decide_application(refuse(
            &filed.name,
            &filed.etag,
            "FORGED_DOCUMENT",
            "the passport did not check out",
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(refused.state, pb::application::State::Refused as i32);
    let appeal = agent
        .file_appeal(pb::FileAppealRequest {
            request_id: request_id(),
            application: filed.name.clone(),
            grounds: "the passport is genuine".into(),
            applicant_confirmation: None,
        })
        .await
        .expect("the intermediary appeals the refusal of what it filed")
        .into_inner();
    assert_eq!(appeal.application, filed.name);
    let other = intermediary(&app, OTHER_AGENT)
        .await
        .file_appeal(pb::FileAppealRequest {
            request_id: request_id(),
            application: filed.name.clone(),
            grounds: "not theirs".into(),
            applicant_confirmation: None,
        })
        .await
        .unwrap_err();
    assert_reason(&other, "OUTSIDE_JURISDICTION");
}

#[tokio::test]
async fn a_representative_without_a_notarized_power_of_attorney_is_refused_naming_it() {
    let app = spawn_with_intermediaries().await;
    let applicant = register(&mut app.persons("psc").await, person("Represented")).await;
    let by_representative = |documents| pb::SubmitApplicationRequest {
        details: Some(iin_details(true)),
        ..iin_submission(&applicant.name, documents)
    };
    let mut psc = app.applications("psc").await;
    let missing = psc
        .submit_application(by_representative(vec![passport()]))
        .await
        .unwrap_err();
    let violations = precondition_violations(&missing);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].0, "DOCUMENT_MISSING");
    assert_eq!(violations[0].1, "applicant: iin.power_of_attorney");
    // The legal basis names where the rule comes from.
    assert!(
        violations[0].2.contains("AIFC Expat Centre"),
        "{}",
        violations[0].2
    );
    assert!(
        !violations[0].2.contains("no legal act"),
        "{}",
        violations[0].2
    );

    // A power of attorney that is not notarized is invalid, saying why.
    let unnotarized = doc(pb::DocumentType::PowerOfAttorney, "");
    let invalid = psc
        .submit_application(by_representative(vec![passport(), unnotarized]))
        .await
        .unwrap_err();
    let violations = precondition_violations(&invalid);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].0, "DOCUMENT_INVALID");
    assert_eq!(violations[0].1, "applicant: iin.power_of_attorney");
    assert!(violations[0].2.contains("notarized"), "{}", violations[0].2);

    // Through an intermediary a representative needs both papers.
    let mut agent = intermediary(&app, EXPAT_CENTRE).await;
    let both = agent
        .submit_application(by_representative(vec![passport()]))
        .await
        .unwrap_err();
    let subjects: Vec<String> = precondition_violations(&both)
        .into_iter()
        .map(|(_, subject, _)| subject)
        .collect();
    assert_eq!(
        subjects,
        [
            "applicant: iin.power_of_attorney",
            "applicant: iin.consent_form"
        ]
    );
    let accepted = agent
        .submit_application(by_representative(vec![
            passport(),
            notarized(pb::DocumentType::PowerOfAttorney, ""),
            consent_form(),
        ]))
        .await
        .expect("with both papers the representative's application is accepted")
        .into_inner();
    assert_eq!(accepted.region, ASTANA);
}

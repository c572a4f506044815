//! The applicant's own confirmation of a portal act (SPEC 1.1): a signature with a national
//! CA's certificate over the request's canonical bytes, kept and verified again later, or an
//! SMS statement where the operator allows it; every bad signature refused with its reason.

use crate::helpers::*;
use crate::signing::*;
use kandas::domain::organisation::Organisation;
use kandas::domain::role::Role;
use kandas::local::national_ca::{GOST_DIGEST, GOST_SIGNATURE, KeyKind, SignOptions, Window};
use kandas::pb;
use kandas::pb::rpc::application_service::{FILE_APPEAL, SUBMIT_APPLICATION, WITHDRAW_APPLICATION};
use kandas::pb::submit_application_request::ApplicantConfirmation as Submitted;
use kandas::state::Clock;
use time::Duration;
use tonic::Code;

async fn verify_signatures(
    app: &TestApp,
    role: &str,
    application: &str,
) -> Result<pb::VerifyApplicantSignaturesResponse, tonic::Status> {
    app.applications(role)
        .await
        .verify_applicant_signatures(pb::VerifyApplicantSignaturesRequest {
            name: application.into(),
        })
        .await
        .map(|r| r.into_inner())
}

// Run-time text: each caller hands its own count.
async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_portal_submission_signed_by_the_applicant_is_accepted_and_verifies_again_later() {
    let pki = NationalPki::new();
    let app = spawn_app_with(|s| pki.configure(s, &[])).await;
    let (me, iin) = iin_holder(&app, 11).await;
    let signer = pki
        .ecdsa
        .issue(
            iin.as_str(),
            "ЖАҚСЫЛЫҚОВ АЙДОС",
            KeyKind::Ecdsa,
            current(),
            None,
        )
        .unwrap();
    let request = kandas_submission(&me.name);
    let signature = sign(&signer, &canonical(SUBMIT_APPLICATION, &iin, &request));
    let submitted = app
        .applications("portal")
        .await
        .submit_application(for_applicant(
            signed_submission(request, signature.clone()),
            &me.name,
        ))
        .await
        .expect("the applicant's signed submission is accepted")
        .into_inner();
    assert_eq!(
        submitted.submission_assurance,
        pb::ApplicantAssurance::Signature as i32
    );
    // The audit event of the act and its evidence share the portal's request id.
    let kept = count(
        &app,
        "SELECT count(*) FROM applicant_confirmations c JOIN audit_events e
           ON e.client = c.client AND e.request_id = c.request_id::text
         WHERE c.assurance = 'signature'",
    )
    .await;
    assert_eq!(kept, 1);

    // The commission checks the evidence without the portal.
    let acts = verify_signatures(&app, "commission", &submitted.name)
        .await
        .unwrap()
        .acts;
    assert_eq!(acts.len(), 1);
    let act = &acts[0];
    assert_eq!(act.rpc, SUBMIT_APPLICATION);
    assert_eq!(act.signature, signature);
    assert_eq!(act.signer_certificate, signer.cert_der);
    assert!(act.signer_subject.contains(&format!("IIN{}", iin.as_str())));
    assert!(act.at_act.as_ref().unwrap().valid);
    assert!(act.now.as_ref().unwrap().valid);

    // A year on the certificate has expired: the act stood when it was made, not today.
    let later = spawn_on(app.database_url.clone(), app.same_ca(), |s| {
        pki.configure(s, &[]);
        s.clock = Clock::pinned(default_today() + chrono::Duration::days(365));
    })
    .await;
    let acts = verify_signatures(&later, "police", &submitted.name)
        .await
        .unwrap()
        .acts;
    assert!(
        acts[0].at_act.as_ref().unwrap().valid,
        "{:?}",
        acts[0].at_act
    );
    let now = acts[0].now.clone().unwrap();
    assert!(!now.valid);
    assert_eq!(now.reason, "SIGNER_CERTIFICATE_EXPIRED");

    // A portal reads its applicant's applications, not the offices' evidence.
    let portal = verify_signatures(&app, "portal", &submitted.name)
        .await
        .unwrap_err();
    assert_eq!(portal.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn each_bad_signature_is_refused_with_a_reason_that_names_what_is_wrong() {
    let pki = NationalPki::new();
    let expired_window = Window {
        not_before: offset(judged_at()) - Duration::days(400),
        not_after: offset(judged_at()) - Duration::days(35),
    };
    // Prepared before the server starts, so the CRL it reads names the revoked one.
    let revoked = pki
        .ecdsa
        .issue(&test_iin(21), "REVOKED", KeyKind::Ecdsa, current(), None)
        .unwrap();
    let revoked_on = offset(judged_at()) - Duration::days(2);
    let crls = vec![
        pki.ecdsa
            .revocation_list(
                &[(&revoked, revoked_on)],
                revoked_on,
                offset(judged_at()) + Duration::days(7),
                1,
            )
            .unwrap(),
        pki.rsa
            .revocation_list(&[], revoked_on, offset(judged_at()) + Duration::days(7), 1)
            .unwrap(),
    ];
    let app = spawn_app_with(|s| pki.configure(s, &crls)).await;
    let (me, iin) = iin_holder(&app, 21).await;
    let (_, someone_else) = iin_holder(&app, 22).await;
    let request = kandas_submission(&me.name);
    let content = canonical(SUBMIT_APPLICATION, &iin, &request);
    let mine = |kind, window| {
        pki.ecdsa
            .issue(iin.as_str(), "ЖАҚСЫЛЫҚОВ АЙДОС", kind, window, None)
            .unwrap()
    };
    let other_request = kandas_submission(&me.name);
    let impostor =
        kandas::local::national_ca::NationalCa::generate("Impostor CA", KeyKind::Ecdsa, current())
            .unwrap();
    let cases: Vec<(&str, Option<Vec<u8>>, &str, &str)> = vec![
        (
            "another person's signature",
            Some(sign(
                &pki.ecdsa
                    .issue(
                        someone_else.as_str(),
                        "OTHER",
                        KeyKind::Ecdsa,
                        current(),
                        None,
                    )
                    .unwrap(),
                &content,
            )),
            "SIGNER_NOT_APPLICANT",
            "another person",
        ),
        (
            "a revoked certificate",
            Some(sign(&revoked, &content)),
            "SIGNER_CERTIFICATE_REVOKED",
            "revoked on",
        ),
        (
            "an expired certificate",
            Some(sign(&mine(KeyKind::Ecdsa, expired_window), &content)),
            "SIGNER_CERTIFICATE_EXPIRED",
            "expired on",
        ),
        (
            "a signature over a different request",
            Some(sign(
                &mine(KeyKind::Ecdsa, current()),
                &canonical(SUBMIT_APPLICATION, &iin, &other_request),
            )),
            "SIGNED_CONTENT_MISMATCH",
            "other bytes",
        ),
        (
            "a signature over the same request as another RPC",
            Some(sign(
                &mine(KeyKind::Ecdsa, current()),
                &canonical(WITHDRAW_APPLICATION, &iin, &request),
            )),
            "SIGNED_CONTENT_MISMATCH",
            "another RPC",
        ),
        (
            "a GOST signature",
            Some(
                mine(KeyKind::Ecdsa, current())
                    .sign(
                        &content,
                        SignOptions {
                            claimed_algorithms: Some((GOST_DIGEST, GOST_SIGNATURE)),
                            ..SignOptions::default()
                        },
                    )
                    .unwrap(),
            ),
            "SIGNATURE_ALGORITHM_UNSUPPORTED",
            "GOST",
        ),
        (
            "a certificate of a CA the operator does not trust",
            Some(sign(
                &impostor
                    .issue(iin.as_str(), "FORGED", KeyKind::Ecdsa, current(), None)
                    .unwrap(),
                &content,
            )),
            "SIGNER_CERTIFICATE_UNTRUSTED",
            "does not chain",
        ),
        (
            "no signature and no SMS",
            None,
            "APPLICANT_CONFIRMATION_REQUIRED",
            "applicant_signature",
        ),
    ];
    let mut portal = app.applications("portal").await;
    for (what, signature, reason, words) in cases {
        let mut sent = request.clone();
        sent.applicant_confirmation = signature.map(Submitted::ApplicantSignature);
        let refused = portal
            .submit_application(for_applicant(sent, &me.name))
            .await
            .expect_err(what);
        assert_eq!(
            refused.code(),
            Code::PermissionDenied,
            "{what}: {refused:?}"
        );
        assert_reason(&refused, reason);
        assert!(
            refused.message().contains(words),
            "{what}: {}",
            refused.message()
        );
        assert!(
            !refused.message().contains(iin.as_str()),
            "{what}: no IIN in the words"
        );
    }
    assert_eq!(
        count(&app, "SELECT count(*) FROM applications").await,
        0,
        "nothing was stored"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_events WHERE outcome = 'PermissionDenied' AND role = 'portal'",
        )
        .await,
        8,
        "every refusal is audited"
    );

    // With the RSA CA, the applicant's own certificate signs and is accepted.
    let rsa = pki
        .rsa
        .issue(
            iin.as_str(),
            "ЖАҚСЫЛЫҚОВ АЙДОС",
            KeyKind::Rsa(RSA_APPLICANT_KEY),
            current(),
            None,
        )
        .unwrap();
    let accepted = portal
        .submit_application(for_applicant(
            signed_submission(request.clone(), sign(&rsa, &content)),
            &me.name,
        ))
        .await
        .expect("an RSA signature of the applicant is accepted")
        .into_inner();
    assert_eq!(
        accepted.submission_assurance,
        pb::ApplicantAssurance::Signature as i32
    );
}

#[tokio::test]
async fn an_sms_confirmation_is_refused_where_the_operator_does_not_accept_it() {
    let app = spawn_app_with(|s| {
        s.seed_organisations.push(Organisation {
            accepts_sms_confirmation: false,
            ..Organisation::national("portal-strict", Role::Portal)
        })
    })
    .await;
    let (me, _) = iin_holder(&app, 31).await;
    let by_sms = |request: pb::SubmitApplicationRequest| pb::SubmitApplicationRequest {
        applicant_confirmation: Some(Submitted::SmsConfirmation(sms_confirmed())),
        ..request
    };
    let strict = pb::application_service_client::ApplicationServiceClient::new(
        app.channel_as("portal", "portal-strict").await,
    );
    let refused = strict
        .clone()
        .submit_application(for_applicant(by_sms(kandas_submission(&me.name)), &me.name))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert_reason(&refused, "SMS_CONFIRMATION_NOT_ACCEPTED");
    assert!(refused.message().contains("applicant_signature"));

    // The default portal confirms by SMS, and the application says so.
    let accepted = app
        .applications("portal")
        .await
        .submit_application(for_applicant(by_sms(kandas_submission(&me.name)), &me.name))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        accepted.submission_assurance,
        pb::ApplicantAssurance::Sms as i32
    );
    let acts = verify_signatures(&app, "psc", &accepted.name)
        .await
        .unwrap()
        .acts;
    assert_eq!(acts[0].assurance, pb::ApplicantAssurance::Sms as i32);
    assert!(acts[0].at_act.is_none() && acts[0].sms_confirm_time.is_some());

    // The operator turns SMS off for it; its next act needs the signature.
    let updated = pb::admin_service_client::AdminServiceClient::new(app.channel("admin").await)
        .update_organisation(pb::UpdateOrganisationRequest {
            request_id: request_id(),
            name: "organisations/test-portal".into(),
            accepts_sms_confirmation: Some(false),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.accepts_sms_confirmation, Some(false));
    let withdrawal = app
        .applications("portal")
        .await
        .withdraw_application(for_applicant(
            pb::WithdrawApplicationRequest {
                request_id: request_id(),
                name: accepted.name.clone(),
                applicant_confirmation: Some(
                    pb::withdraw_application_request::ApplicantConfirmation::SmsConfirmation(
                        sms_confirmed(),
                    ),
                ),
                ..Default::default()
            },
            &me.name,
        ))
        .await
        .unwrap_err();
    assert_reason(&withdrawal, "SMS_CONFIRMATION_NOT_ACCEPTED");

    // Someone with no IIN yet holds no national CA certificate: a signature cannot be theirs.
    let newcomer = register(&mut app.persons("psc").await, person("Newcomer")).await;
    let mut unsigned = kandas_submission(&newcomer.name);
    unsigned.applicant_confirmation = Some(Submitted::ApplicantSignature(vec![0x30, 0x00]));
    let refused = app
        .applications("portal")
        .await
        .submit_application(for_applicant(unsigned, &newcomer.name))
        .await
        .unwrap_err();
    assert_reason(&refused, "SIGNER_NOT_APPLICANT");
    assert!(refused.message().contains("no IIN"), "{refused:?}");

    // An office acts under its own certificate and states no applicant's confirmation.
    let office = app
        .applications("psc")
        .await
        .submit_application(by_sms(kandas_submission(&me.name)))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&office), vec!["sms_confirmation"]);
}

#[tokio::test]
async fn a_withdrawal_and_an_appeal_are_confirmed_too_and_a_signature_confirms_one_act_only() {
    let pki = NationalPki::new();
    let app = spawn_app_with(|s| {
        pki.configure(s, &[]);
        s.seed_organisations
            .push(Organisation::national("portal-b", Role::Portal));
    })
    .await;
    let (me, iin) = iin_holder(&app, 41).await;
    let signer = pki
        .ecdsa
        .issue(
            iin.as_str(),
            "ЖАҚСЫЛЫҚОВ АЙДОС",
            KeyKind::Ecdsa,
            current(),
            None,
        )
        .unwrap();
    let mut portal = app.applications("portal").await;
    let request = kandas_submission(&me.name);
    let signed = signed_submission(
        request.clone(),
        sign(&signer, &canonical(SUBMIT_APPLICATION, &iin, &request)),
    );
    let submitted = portal
        .submit_application(for_applicant(signed.clone(), &me.name))
        .await
        .unwrap()
        .into_inner();

    // The applicant withdraws it, signing the withdrawal.
    let withdraw = pb::WithdrawApplicationRequest {
        request_id: request_id(),
        name: submitted.name.clone(),
        etag: submitted.etag.clone(),
        reason: "I stay abroad this year".into(),
        applicant_confirmation: None,
    };
    let withdrawal_signature = sign(&signer, &canonical(WITHDRAW_APPLICATION, &iin, &withdraw));
    let withdrawn = portal
        .withdraw_application(for_applicant(
            pb::WithdrawApplicationRequest {
                applicant_confirmation: Some(
                    pb::withdraw_application_request::ApplicantConfirmation::ApplicantSignature(
                        withdrawal_signature,
                    ),
                ),
                ..withdraw
            },
            &me.name,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        withdrawn.withdrawal_assurance,
        pb::ApplicantAssurance::Signature as i32
    );

    // Another portal replays the applicant's signed submission under its own client: the
    // request id is new to it, the signature is genuine, and it is refused all the same.
    let replayed = pb::application_service_client::ApplicationServiceClient::new(
        app.channel_as("portal", "portal-b").await,
    )
    .submit_application(for_applicant(signed, &me.name))
    .await
    .unwrap_err();
    assert_reason(&replayed, "SIGNATURE_ALREADY_USED");

    // A refused application is appealed with the applicant's signature over the appeal.
    let again = kandas_submission(&me.name);
    let second = portal
        .submit_application(for_applicant(
            signed_submission(
                again.clone(),
                sign(&signer, &canonical(SUBMIT_APPLICATION, &iin, &again)),
            ),
            &me.name,
        ))
        .await
        .unwrap()
        .into_inner();
    app.applications("commission")
        .await
        .decide_application(refuse(
            &second.name,
            &second.etag,
            "KINSHIP_NOT_PROVEN",
            "the kinship proof names another family",
        ))
        .await
        .unwrap();
    let appeal = pb::FileAppealRequest {
        request_id: request_id(),
        application: second.name.clone(),
        grounds: "the registry office confirms the kinship".into(),
        applicant_confirmation: None,
    };
    let appeal_signature = sign(&signer, &canonical(FILE_APPEAL, &iin, &appeal));
    let filed = portal
        .file_appeal(for_applicant(
            pb::FileAppealRequest {
                applicant_confirmation: Some(
                    pb::file_appeal_request::ApplicantConfirmation::ApplicantSignature(
                        appeal_signature,
                    ),
                ),
                ..appeal
            },
            &me.name,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        filed.filing_assurance,
        pb::ApplicantAssurance::Signature as i32
    );
    let acts = verify_signatures(&app, "commission", &second.name)
        .await
        .unwrap()
        .acts;
    let rpcs: Vec<&str> = acts.iter().map(|a| a.rpc.as_str()).collect();
    assert_eq!(rpcs, vec![SUBMIT_APPLICATION, FILE_APPEAL]);
    assert_eq!(acts[1].appeal, filed.name);
    assert!(acts.iter().all(|a| a.at_act.as_ref().unwrap().valid));

    // Whoever moves another act's genuine evidence onto this one (a byte added, so the
    // database's own one-use rule does not stop it) is caught on re-verification.
    sqlx::query!(
        "UPDATE applicant_confirmations SET signature = s.signature,
             signed_content = s.signed_content || '\\x0a'::bytea
         FROM (SELECT signature, signed_content FROM applicant_confirmations
               WHERE rpc = $1 LIMIT 1) s
         WHERE rpc = $2",
        WITHDRAW_APPLICATION,
        FILE_APPEAL
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let acts = verify_signatures(&app, "commission", &second.name)
        .await
        .unwrap()
        .acts;
    let swapped = acts[1].at_act.clone().unwrap();
    assert!(!swapped.valid);
    assert_eq!(swapped.reason, "SIGNED_CONTENT_MISMATCH");
}

//! A national-CA-like hierarchy for applicants' signatures, written to files the server is
//! configured with as an operator would, and portal requests signed over their canonical
//! bytes.

use crate::helpers::*;
use chrono::{DateTime, Utc};
use kandas::domain::iin::Iin;
use kandas::domain::signature::{RequestDigest, signed_content};
use kandas::local::national_ca::{ApplicantCertificate, KeyKind, NationalCa, SignOptions, Window};
use kandas::pb;
use kandas::server::startup::{ApplicantTrustFiles, Settings};
use prost::Message;
use std::path::PathBuf;
use time::{Duration, OffsetDateTime};

pub const RSA_CA_KEY: &str = include_str!("../data/applicant_signatures/rsa-ca.key.pem");
pub const RSA_APPLICANT_KEY: &str =
    include_str!("../data/applicant_signatures/rsa-applicant.key.pem");

/// Noon in Kazakhstan on the day the tests pin: the moment the server judges signatures at.
pub fn judged_at() -> DateTime<Utc> {
    kandas::state::Clock::pinned(default_today()).now()
}

pub fn offset(at: DateTime<Utc>) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(at.timestamp()).unwrap()
}

/// Valid from half a year before the tests' day to half a year after it.
pub fn current() -> Window {
    Window {
        not_before: offset(judged_at()) - Duration::days(180),
        not_after: offset(judged_at()) + Duration::days(180),
    }
}

/// The national CA stand-ins (RSA and ECDSA) and the files the server trusts them from.
pub struct NationalPki {
    pub rsa: NationalCa,
    pub ecdsa: NationalCa,
    pub dir: tempfile::TempDir,
}

impl NationalPki {
    pub fn new() -> NationalPki {
        NationalPki {
            rsa: NationalCa::generate("NCA RSA (test)", KeyKind::Rsa(RSA_CA_KEY), current())
                .unwrap(),
            ecdsa: NationalCa::generate("NCA ECDSA (test)", KeyKind::Ecdsa, current()).unwrap(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Writes both CAs, and these CRLs (PEM) if any, and points `settings` at them.
    pub fn configure(&self, settings: &mut Settings, crls: &[String]) {
        let write = |name: &str, text: &str| -> PathBuf {
            let path = self.dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let cas = vec![
            write("nca-rsa.pem", self.rsa.cert_pem()),
            write("nca-ecdsa.pem", self.ecdsa.cert_pem()),
        ];
        let crls = crls
            .iter()
            .enumerate()
            .map(|(i, crl)| write(&format!("nca-{i}.crl"), crl))
            .collect();
        settings.applicant_trust = ApplicantTrustFiles { cas, crls };
    }
}

/// A person holding test IIN number `n`, with the birth date the IIN encodes.
pub async fn iin_holder(app: &TestApp, n: u32) -> (pb::Person, Iin) {
    let mut persons = app.persons("psc").await;
    let mut p = person(&numbered("Signer ", n));
    p.iin = test_iin(n);
    let iin = Iin::parse(&p.iin).unwrap();
    let born = iin.decode().birth_date.unwrap();
    p.birth_date = Some(date(
        chrono::Datelike::year(&born),
        chrono::Datelike::month(&born),
        chrono::Datelike::day(&born),
    ));
    p.citizenship = "MNG".into();
    (register(&mut persons, p).await, iin)
}

/// A kandas status application the portal may submit, complete.
pub fn kandas_submission(applicant: &str) -> pb::SubmitApplicationRequest {
    let doc = |kind: pb::DocumentType| pb::Document {
        r#type: kind as i32,
        form: pb::DocumentForm::Original as i32,
        language: "kk".into(),
        number: "X-1".into(),
        ..Default::default()
    };
    pb::SubmitApplicationRequest {
        request_id: request_id(),
        applicant: applicant.into(),
        documents: vec![
            doc(pb::DocumentType::ApplicationForm),
            doc(pb::DocumentType::Biography),
            doc(pb::DocumentType::KinshipProof),
            pb::Document {
                expiry_date: Some(date(2032, 1, 1)),
                ..passport()
            },
        ],
        details: Some(details(
            pb::application_details::Procedure::KandasStatusAssignment(
                pb::KandasStatusAssignment {
                    grounds: vec![pb::kandas_status_assignment::Ground::FamilyReunification as i32],
                    nationality_in_identity_document: true,
                    ..Default::default()
                },
            ),
        )),
        ..Default::default()
    }
}

/// The canonical bytes of `request` (its confirmation left out) for `rpc` and `iin`.
pub fn canonical<M: Message>(rpc: &str, iin: &Iin, request: &M) -> Vec<u8> {
    signed_content(
        rpc,
        iin,
        &RequestDigest::of_encoding(&request.encode_to_vec()),
    )
}

/// A detached signature of `signer` over `content`.
pub fn sign(signer: &ApplicantCertificate, content: &[u8]) -> Vec<u8> {
    signer.sign(content, SignOptions::default()).unwrap()
}

pub fn signed_submission(
    mut request: pb::SubmitApplicationRequest,
    signature: Vec<u8>,
) -> pb::SubmitApplicationRequest {
    request.applicant_confirmation =
        Some(pb::submit_application_request::ApplicantConfirmation::ApplicantSignature(signature));
    request
}

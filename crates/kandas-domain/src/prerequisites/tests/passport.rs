//! The passport judged by, and how long it must stay valid.

use super::*;
use crate::documents::{Document, DocumentForm, DocumentType};
use crate::records::PresentedDocument;

#[test]
fn passport_must_be_valid_more_than_180_days() {
    // 2026-06-01 + 180 days = 2026-11-28.
    let checks = check_permit(&permit_applicant(), d(2026, 11, 28));
    let p = find(&checks, PrerequisiteCode::PassportValid180Days);
    assert!(!p.satisfied && p.blocking);
    assert_eq!(
        p.description,
        "passport expires 2026-11-28, 180 days after 2026-06-01; more than 180 are required"
    );
    assert_eq!(p.evidence.as_deref(), Some("applications/now"));
    assert_eq!(
        unmet(&checks).map(|c| c.code).collect::<Vec<_>>(),
        vec![PrerequisiteCode::PassportValid180Days]
    );

    let checks = check_permit(&permit_applicant(), d(2026, 11, 29));
    assert!(find(&checks, PrerequisiteCode::PassportValid180Days).satisfied);

    let checks = check(&permit_query(), &permit_applicant(), None, as_of());
    let p = find(&checks, PrerequisiteCode::PassportValid180Days);
    assert!(!p.satisfied && p.evidence.is_none());

    let checks = check_permit(&permit_applicant(), d(2026, 5, 1));
    assert!(
        find(&checks, PrerequisiteCode::PassportValid180Days)
            .description
            .contains("expired")
    );
}

fn identity(expiry: Option<NaiveDate>, holder: Option<Uuid>, kind: DocumentType) -> Document {
    Document {
        kind,
        holder,
        form: DocumentForm::Original,
        language: "kk".into(),
        translation: None,
        number: "N1".into(),
        issuing_country: "CHN".into(),
        issue_date: None,
        expiry_date: expiry,
        amount_tenge: None,
        photo: None,
        notarized: false,
        content_sha256: String::new(),
        storage_ref: String::new(),
    }
}

#[test]
fn passport_on_record_is_the_latest_expiring_identity_document() {
    let mut r = person();
    assert_eq!(passport_on_record(&r), None);
    let presented = |evidence: &str, document| PresentedDocument {
        evidence: evidence.into(),
        presented_on: d(2025, 1, 1),
        document,
    };
    r.presented.push(presented(
        "applications/a",
        identity(Some(d(2029, 1, 1)), None, DocumentType::IdentityDocument),
    ));
    r.presented.push(presented(
        "applications/b",
        identity(
            Some(d(2031, 1, 1)),
            None,
            DocumentType::StatelessPersonDocument,
        ),
    ));
    r.presented.push(presented(
        "applications/c",
        identity(
            Some(d(2040, 1, 1)),
            Some(Uuid::nil()),
            DocumentType::IdentityDocument,
        ),
    ));
    r.presented.push(presented(
        "applications/d",
        identity(Some(d(2045, 1, 1)), None, DocumentType::Photo),
    ));
    r.presented.push(presented(
        "applications/e",
        identity(None, None, DocumentType::IdentityDocument),
    ));
    assert_eq!(
        passport_on_record(&r),
        Some((d(2031, 1, 1), "applications/b".to_string()))
    );
    let now = [
        identity(Some(d(2027, 1, 1)), None, DocumentType::IdentityDocument),
        identity(Some(d(2028, 1, 1)), None, DocumentType::IdentityDocument),
    ];
    assert_eq!(
        passport_presented(&now, "applications/new".into()),
        Some((d(2028, 1, 1), "applications/new".to_string()))
    );
    assert_eq!(passport_presented(&[], "applications/new".into()), None);
}

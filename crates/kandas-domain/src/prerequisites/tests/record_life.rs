//! After issue (SPEC 5.7): a registration ended by police, a kandas status or permit annulled,
//! each seen as it stood on the day before, the day of and the day after its boundary.

use super::*;
use crate::record_life::{Annulment, AnnulmentGround, EndReason, RegistrationEnd};

fn annulment(from: NaiveDate) -> Option<Annulment> {
    Some(Annulment {
        from,
        ground: AnnulmentGround::FalseDocuments,
        legal_basis: "Law on Migration, annulment".into(),
    })
}

fn at(
    q: &PrerequisiteQuery,
    r: &PersonRecords,
    code: PrerequisiteCode,
    day: NaiveDate,
) -> Prerequisite {
    find(&check(q, r, None, day), code).clone()
}

fn citizenship() -> PrerequisiteQuery {
    PrerequisiteQuery {
        citizenship_category: Some(CitizenshipCategory::Kandas),
        ..PrerequisiteQuery::bare(Procedure::SimplifiedCitizenship)
    }
}

fn registration_query() -> PrerequisiteQuery {
    PrerequisiteQuery {
        registration_kind: Some(RegistrationKind::Permanent),
        ..PrerequisiteQuery::bare(Procedure::ResidenceRegistration)
    }
}

/// Settled, then deregistered with 2026-06-10 as the last day registered.
fn deregistered() -> PersonRecords {
    let mut r = settled_kandas();
    r.registrations[0].ended = Some(RegistrationEnd {
        last_day: d(2026, 6, 10),
        reason: EndReason::MovedOut,
    });
    r
}

#[test]
fn an_ended_registration_counts_through_its_last_day_and_not_from_the_next() {
    let r = deregistered();
    let q = citizenship();
    let code = PrerequisiteCode::PermanentRegistrationActive;
    assert!(at(&q, &r, code, d(2026, 6, 9)).satisfied);
    assert!(at(&q, &r, code, d(2026, 6, 10)).satisfied);
    let after = at(&q, &r, code, d(2026, 6, 11));
    assert!(!after.satisfied, "{}", after.description);
    let quota = PrerequisiteQuery::bare(Procedure::RegionalQuotaInclusion);
    assert!(at(&quota, &r, code, d(2026, 6, 10)).satisfied);
    assert!(!at(&quota, &r, code, d(2026, 6, 11)).satisfied);
}

#[test]
fn the_ten_day_rule_counts_from_the_last_day_of_an_ended_registration() {
    let r = deregistered();
    let q = registration_query();
    let code = PrerequisiteCode::RegistrationLapse;
    // Registered through 06-10; 06-11..06-20 are the ten days of grace; 06-21 is the 11th.
    assert!(at(&q, &r, code, d(2026, 6, 10)).satisfied);
    let tenth = at(&q, &r, code, d(2026, 6, 20));
    assert!(tenth.satisfied, "{}", tenth.description);
    assert!(
        tenth.description.contains("10 days"),
        "{}",
        tenth.description
    );
    let eleventh = at(&q, &r, code, d(2026, 6, 21));
    assert!(!eleventh.satisfied && !eleventh.blocking);
    assert!(
        eleventh.description.contains("ended by police"),
        "{}",
        eleventh.description
    );
    assert_eq!(
        eleventh.evidence.as_deref(),
        Some("applications/registration")
    );
}

#[test]
fn a_new_registration_after_an_ending_cures_the_lapse() {
    let mut r = deregistered();
    r.registrations.push(registration(d(2026, 6, 25), None));
    let q = registration_query();
    assert!(!at(&q, &r, PrerequisiteCode::RegistrationLapse, d(2026, 6, 24)).satisfied);
    assert!(at(&q, &r, PrerequisiteCode::RegistrationLapse, d(2026, 6, 25)).satisfied);
}

#[test]
fn an_annulled_status_is_valid_the_day_before_and_annulled_from_its_date() {
    let mut r = settled_kandas();
    r.kandas_statuses[0].annulment = annulment(d(2026, 6, 10));
    let q = citizenship();
    let code = PrerequisiteCode::KandasStatusValid;
    assert!(at(&q, &r, code, d(2026, 6, 9)).satisfied);
    for day in [d(2026, 6, 10), d(2026, 6, 11)] {
        let p = at(&q, &r, code, day);
        assert!(!p.satisfied && p.blocking);
        assert!(
            p.description.contains("annulled from 2026-06-10"),
            "{}",
            p.description
        );
        assert!(
            p.description.contains("false documents"),
            "{}",
            p.description
        );
    }
    // With the status annulled, a new assignment is no longer barred by it.
    let assignment = PrerequisiteQuery::bare(Procedure::KandasStatusAssignment);
    let code = PrerequisiteCode::NoValidKandasStatus;
    assert!(!at(&assignment, &r, code, d(2026, 6, 9)).satisfied);
    assert!(at(&assignment, &r, code, d(2026, 6, 10)).satisfied);
}

#[test]
fn an_annulled_permit_fails_the_checks_that_need_it_from_its_date() {
    let mut r = settled_kandas();
    r.permits[0].annulment = annulment(d(2026, 6, 10));
    let card = PrerequisiteQuery::bare(Procedure::ResidencePermitCard);
    let code = PrerequisiteCode::PermitGranted;
    assert!(at(&card, &r, code, d(2026, 6, 9)).satisfied);
    for day in [d(2026, 6, 10), d(2026, 6, 11)] {
        let p = at(&card, &r, code, day);
        assert!(!p.satisfied, "{day}");
        assert!(
            p.description.contains("annulled from 2026-06-10"),
            "{}",
            p.description
        );
        assert_eq!(p.evidence.as_deref(), Some("applications/permit"));
    }
    // A new permit may be applied for once the old one is annulled.
    let code = PrerequisiteCode::NoPermitYet;
    assert!(!at(&permit_query(), &r, code, d(2026, 6, 9)).satisfied);
    assert!(at(&permit_query(), &r, code, d(2026, 6, 10)).satisfied);
    // Without a permit no permanent registration is due.
    let lapse = at(
        &registration_query(),
        &r,
        PrerequisiteCode::RegistrationLapse,
        d(2026, 7, 1),
    );
    assert!(lapse.satisfied, "{}", lapse.description);
}

#[test]
fn the_card_falls_with_its_permit_on_the_same_date() {
    let mut r = settled_kandas();
    r.permits[0].annulment = annulment(d(2026, 6, 10));
    let q = citizenship();
    let code = PrerequisiteCode::CardHeld;
    assert!(at(&q, &r, code, d(2026, 6, 9)).satisfied);
    for day in [d(2026, 6, 10), d(2026, 6, 11)] {
        let p = at(&q, &r, code, day);
        assert!(!p.satisfied, "{day}");
        assert!(
            p.description.contains("invalid from 2026-06-10"),
            "{}",
            p.description
        );
        assert_eq!(p.evidence.as_deref(), Some("applications/card"));
    }
}

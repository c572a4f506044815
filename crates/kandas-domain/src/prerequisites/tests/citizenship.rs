//! Simplified citizenship by category, and the stateless person's certificate.

use super::*;

fn citizenship_query(category: CitizenshipCategory) -> PrerequisiteQuery {
    PrerequisiteQuery {
        citizenship_category: Some(category),
        ..PrerequisiteQuery::bare(Procedure::SimplifiedCitizenship)
    }
}

#[test]
fn citizenship_category_a_needs_status_registration_and_card() {
    let q = citizenship_query(CitizenshipCategory::Kandas);
    let r = settled_kandas();
    let checks = check(&q, &r, None, as_of());
    assert_eq!(
        codes(&checks),
        vec![
            PrerequisiteCode::IinAssigned,
            PrerequisiteCode::NotACitizen,
            PrerequisiteCode::KandasStatusValid,
            PrerequisiteCode::PermanentRegistrationActive,
            PrerequisiteCode::CardHeld,
            PrerequisiteCode::NoOpenApplication,
            PrerequisiteCode::RegistrationLapse,
        ]
    );
    assert!(checks.iter().all(|c| c.satisfied), "{checks:#?}");

    let mut no_status = r.clone();
    no_status.kandas_statuses[0].valid_until = d(2026, 5, 31);
    assert_eq!(
        unmet_codes(&q, &no_status),
        vec![PrerequisiteCode::KandasStatusValid]
    );
    // An extended status counts.
    no_status
        .kandas_statuses
        .push(status(d(2026, 5, 20), d(2027, 5, 20), "2"));
    assert_eq!(unmet_codes(&q, &no_status), Vec::<PrerequisiteCode>::new());
    let p = find(
        &check(&q, &no_status, None, as_of()),
        PrerequisiteCode::KandasStatusValid,
    )
    .clone();
    assert_eq!(p.evidence.as_deref(), Some("applications/kandas-2"));

    let mut no_registration = r.clone();
    no_registration.registrations.clear();
    assert_eq!(
        unmet_codes(&q, &no_registration),
        vec![PrerequisiteCode::PermanentRegistrationActive]
    );
    let lapse = find(
        &check(&q, &no_registration, None, as_of()),
        PrerequisiteCode::RegistrationLapse,
    )
    .clone();
    assert!(!lapse.satisfied && !lapse.blocking);

    let mut no_card = r.clone();
    no_card.cards[0].valid_until = d(2026, 5, 31);
    assert_eq!(unmet_codes(&q, &no_card), vec![PrerequisiteCode::CardHeld]);
}

#[test]
fn citizenship_categories_b_and_c() {
    let mut r = person();
    let b = citizenship_query(CitizenshipCategory::RepressionVictimDescendant);
    let c = citizenship_query(CitizenshipCategory::EthnicKazakhStudent);
    assert_eq!(
        unmet_codes(&b, &r),
        vec![PrerequisiteCode::PermanentRegistrationActive]
    );
    assert_eq!(unmet_codes(&c, &r), Vec::<PrerequisiteCode>::new());
    assert_eq!(
        codes(&check(&c, &r, None, as_of())),
        vec![
            PrerequisiteCode::IinAssigned,
            PrerequisiteCode::NotACitizen,
            PrerequisiteCode::NoOpenApplication,
            PrerequisiteCode::RegistrationLapse
        ]
    );
    r.registrations.push(registration(d(2020, 1, 1), None));
    assert_eq!(unmet_codes(&b, &r), Vec::<PrerequisiteCode>::new());
    r.kazakh_citizenship = Some(CitizenshipRecord {
        evidence: "applications/cit".into(),
        granted_on: d(2026, 1, 1),
    });
    assert_eq!(unmet_codes(&c, &r), vec![PrerequisiteCode::NotACitizen]);
    assert_eq!(
        find(&check(&c, &r, None, as_of()), PrerequisiteCode::NotACitizen)
            .evidence
            .as_deref(),
        Some("applications/cit")
    );
}

#[test]
fn stateless_certificate_needs_no_citizenship() {
    let q = PrerequisiteQuery::bare(Procedure::StatelessPersonCertificate);
    let mut r = person();
    assert_eq!(unmet_codes(&q, &r), vec![PrerequisiteCode::Stateless]);
    r.citizenship = "XXB".into();
    assert_eq!(unmet_codes(&q, &r), vec![PrerequisiteCode::Stateless]);
    r.citizenship = "XXA".into();
    assert_eq!(unmet_codes(&q, &r), Vec::<PrerequisiteCode>::new());
    r.citizenship.clear();
    assert_eq!(unmet_codes(&q, &r), Vec::<PrerequisiteCode>::new());
    assert_eq!(
        codes(&check(&q, &r, None, as_of())),
        vec![
            PrerequisiteCode::IinAssigned,
            PrerequisiteCode::Stateless,
            PrerequisiteCode::NoOpenApplication
        ]
    );
    r.kazakh_citizenship = Some(CitizenshipRecord {
        evidence: "applications/cit".into(),
        granted_on: d(2026, 1, 1),
    });
    assert_eq!(unmet_codes(&q, &r), vec![PrerequisiteCode::Stateless]);
}

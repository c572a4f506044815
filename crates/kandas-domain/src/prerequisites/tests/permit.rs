//! The permanent residence permit: the whole list of a complete applicant, and one permit per person.

use super::*;

#[test]
fn a_complete_permit_applicant_meets_every_check_in_order() {
    let checks = check_permit(&permit_applicant(), d(2030, 1, 1));
    assert_eq!(
        codes(&checks),
        vec![
            PrerequisiteCode::IinAssigned,
            PrerequisiteCode::KandasStatusValid,
            PrerequisiteCode::PassportValid180Days,
            PrerequisiteCode::NoOffence12Months,
            PrerequisiteCode::NoRefusal12Months,
            PrerequisiteCode::NoPermitYet,
            PrerequisiteCode::NoOpenApplication,
        ]
    );
    assert!(checks.iter().all(|c| c.satisfied), "{checks:#?}");
    assert_eq!(unmet(&checks).count(), 0);
    assert_eq!(
        find(&checks, PrerequisiteCode::IinAssigned)
            .evidence
            .as_deref(),
        Some("persons/00000000-0000-0000-0000-000000000000")
    );
    assert!(checks.iter().all(|c| !c.legal_basis.is_empty()));
    // The IIN never appears in clear.
    assert!(
        checks
            .iter()
            .all(|c| !c.description.contains("871008401427"))
    );
}

#[test]
fn other_foreigners_need_no_kandas_status_for_the_permit() {
    let mut q = permit_query();
    q.permit_category = Some(PermitCategory::OtherForeigner);
    let checks = check(&q, &person(), passport(d(2030, 1, 1)), as_of());
    assert!(!codes(&checks).contains(&PrerequisiteCode::KandasStatusValid));
    assert_eq!(unmet(&checks).count(), 0);
}

#[test]
fn no_second_permit() {
    let mut r = permit_applicant();
    r.permits.push(permit(d(2025, 1, 1)));
    let p = find(
        &check_permit(&r, d(2030, 1, 1)),
        PrerequisiteCode::NoPermitYet,
    )
    .clone();
    assert!(!p.satisfied);
    assert_eq!(p.evidence.as_deref(), Some("applications/permit"));
}

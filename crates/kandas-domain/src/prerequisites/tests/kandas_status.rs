//! The kandas status: valid through its last day, and assignment against extension.

use super::*;

#[test]
fn a_kandas_status_is_valid_through_its_last_day() {
    let mut r = person();
    r.kandas_statuses.push(status(d(2025, 6, 1), as_of(), "1"));
    let checks = check_permit(&r, d(2030, 1, 1));
    let p = find(&checks, PrerequisiteCode::KandasStatusValid);
    assert!(p.satisfied);
    assert!(p.description.contains("until 2026-06-01"));
    assert_eq!(p.evidence.as_deref(), Some("applications/kandas-1"));

    let checks = check(&permit_query(), &r, passport(d(2030, 1, 1)), d(2026, 6, 2));
    let p = find(&checks, PrerequisiteCode::KandasStatusValid);
    assert!(!p.satisfied && p.blocking);
    assert_eq!(p.evidence.as_deref(), Some("applications/kandas-1"));
}

#[test]
fn kandas_assignment_and_extension_exclude_each_other() {
    let assignment = PrerequisiteQuery::bare(Procedure::KandasStatusAssignment);
    let extension = PrerequisiteQuery::bare(Procedure::KandasStatusExtension);
    let mut r = person();
    r.iin = None;
    // Without an IIN, with no status: assignment is open, extension is not.
    let checks = check(&assignment, &r, None, as_of());
    assert_eq!(
        codes(&checks),
        vec![
            PrerequisiteCode::NoValidKandasStatus,
            PrerequisiteCode::NoOpenApplication
        ]
    );
    assert_eq!(unmet(&checks).count(), 0);
    let checks = check(&extension, &r, None, as_of());
    assert_eq!(
        codes(&checks),
        vec![
            PrerequisiteCode::IinAssigned,
            PrerequisiteCode::KandasStatusValid,
            PrerequisiteCode::NoOpenApplication
        ]
    );
    assert_eq!(unmet(&checks).count(), 2);

    r.iin = Some("871008401427".into());
    r.kandas_statuses
        .push(status(d(2025, 7, 1), d(2026, 7, 1), "1"));
    let checks = check(&assignment, &r, None, as_of());
    let p = find(&checks, PrerequisiteCode::NoValidKandasStatus);
    assert!(!p.satisfied && p.description.contains("extension"));
    assert_eq!(unmet(&check(&extension, &r, None, as_of())).count(), 0);
}

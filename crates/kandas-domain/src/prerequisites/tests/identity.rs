//! The IIN: not yet assigned for its own assignment.

use super::*;

#[test]
fn iin_assignment_requires_no_iin_yet() {
    let q = PrerequisiteQuery::bare(Procedure::IinAssignment);
    let mut r = person();
    let checks = check(&q, &r, None, as_of());
    assert_eq!(
        codes(&checks),
        vec![
            PrerequisiteCode::IinNotYetAssigned,
            PrerequisiteCode::NoOpenApplication
        ]
    );
    assert!(!checks[0].satisfied);
    r.iin = None;
    r.open_applications
        .push((Procedure::IinAssignment, "applications/open".into()));
    let checks = check(&q, &r, None, as_of());
    assert!(checks[0].satisfied);
    let open = find(&checks, PrerequisiteCode::NoOpenApplication);
    assert!(!open.satisfied && open.blocking);
    assert_eq!(open.evidence.as_deref(), Some("applications/open"));
}

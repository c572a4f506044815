//! One open application per procedure.

use super::*;

#[test]
fn an_open_application_of_another_procedure_does_not_block() {
    let mut r = permit_applicant();
    r.open_applications
        .push((Procedure::KandasStatusExtension, "applications/ext".into()));
    assert!(
        find(
            &check_permit(&r, d(2030, 1, 1)),
            PrerequisiteCode::NoOpenApplication
        )
        .satisfied
    );
    r.open_applications.push((
        Procedure::PermanentResidencePermit,
        "applications/prp".into(),
    ));
    assert!(
        !find(
            &check_permit(&r, d(2030, 1, 1)),
            PrerequisiteCode::NoOpenApplication
        )
        .satisfied
    );
}

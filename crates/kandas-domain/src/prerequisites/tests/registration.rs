//! Registration: the 10-day lapse after a permit, the kinds that need only the IIN, and the
//! permanent registration the quota needs.

use super::*;

#[test]
fn registration_lapse_after_more_than_10_days_is_shown_not_blocking() {
    let q = PrerequisiteQuery {
        registration_kind: Some(RegistrationKind::Permanent),
        ..PrerequisiteQuery::bare(Procedure::ResidenceRegistration)
    };
    let mut r = person();
    // Permit granted 10 days before: not yet in violation.
    r.permits.push(permit(d(2026, 5, 22)));
    let checks = check(&q, &r, None, as_of());
    assert_eq!(
        codes(&checks),
        vec![
            PrerequisiteCode::IinAssigned,
            PrerequisiteCode::PermitGranted,
            PrerequisiteCode::RegistrationLapse
        ]
    );
    let p = find(&checks, PrerequisiteCode::RegistrationLapse);
    assert!(p.satisfied && !p.blocking);
    assert!(p.description.contains("10 days"), "{}", p.description);
    // 11 days: in violation, shown but not blocking.
    r.permits[0].granted_on = d(2026, 5, 21);
    let checks = check(&q, &r, None, as_of());
    let p = find(&checks, PrerequisiteCode::RegistrationLapse);
    assert!(!p.satisfied && !p.blocking);
    assert!(p.description.contains("11 days"), "{}", p.description);
    assert_eq!(p.evidence.as_deref(), Some("applications/permit"));
    assert_eq!(unmet(&checks).count(), 0);

    // Counted from the end of the last permanent registration when that is later.
    r.permits[0].granted_on = d(2025, 1, 1);
    r.registrations
        .push(registration(d(2025, 1, 3), Some(d(2026, 5, 22))));
    assert!(
        find(
            &check(&q, &r, None, as_of()),
            PrerequisiteCode::RegistrationLapse
        )
        .satisfied
    );
    r.registrations[0].until = Some(d(2026, 5, 21));
    let p = find(
        &check(&q, &r, None, as_of()),
        PrerequisiteCode::RegistrationLapse,
    )
    .clone();
    assert!(!p.satisfied);
    assert_eq!(p.evidence.as_deref(), Some("applications/registration"));
    // Registered: satisfied.
    r.registrations.push(registration(d(2026, 5, 30), None));
    assert!(
        find(
            &check(&q, &r, None, as_of()),
            PrerequisiteCode::RegistrationLapse
        )
        .satisfied
    );
    // No permit: no duty.
    let p = find(
        &check(&q, &person(), None, as_of()),
        PrerequisiteCode::RegistrationLapse,
    )
    .clone();
    assert!(p.satisfied);
}

#[test]
fn temporary_and_refugee_registration_need_only_the_iin() {
    for kind in [RegistrationKind::Temporary, RegistrationKind::Refugee] {
        let q = PrerequisiteQuery {
            registration_kind: Some(kind),
            ..PrerequisiteQuery::bare(Procedure::ResidenceRegistration)
        };
        let mut r = person();
        r.open_applications
            .push((Procedure::ResidenceRegistration, "applications/reg".into()));
        let checks = check(&q, &r, None, as_of());
        assert_eq!(
            codes(&checks),
            vec![
                PrerequisiteCode::IinAssigned,
                PrerequisiteCode::RegistrationLapse
            ]
        );
        assert_eq!(unmet(&checks).count(), 0);
        r.iin = None;
        assert_eq!(unmet(&check(&q, &r, None, as_of())).count(), 1);
    }
}

#[test]
fn quota_inclusion_needs_status_and_permanent_registration() {
    let q = PrerequisiteQuery::bare(Procedure::RegionalQuotaInclusion);
    assert_eq!(
        unmet_codes(&q, &person()),
        vec![
            PrerequisiteCode::KandasStatusValid,
            PrerequisiteCode::PermanentRegistrationActive
        ]
    );
    assert_eq!(
        unmet_codes(&q, &settled_kandas()),
        Vec::<PrerequisiteCode>::new()
    );
}

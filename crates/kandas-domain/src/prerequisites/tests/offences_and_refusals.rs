//! The permit's 12-month look-back over offences and refusals.

use super::*;
use crate::prerequisites::offences_and_refusals::first_day_outside_look_back;

#[test]
fn an_offence_bars_through_the_same_date_a_year_later() {
    for field in [
        OffenceField::Migration,
        OffenceField::Tax,
        OffenceField::Labour,
    ] {
        let mut r = permit_applicant();
        r.offences.push(offence(field, d(2025, 5, 31)));
        assert!(
            find(
                &check_permit(&r, d(2030, 1, 1)),
                PrerequisiteCode::NoOffence12Months
            )
            .satisfied
        );

        let mut r = permit_applicant();
        r.offences.push(offence(field, d(2025, 6, 1)));
        let checks = check_permit(&r, d(2030, 1, 1));
        let p = find(&checks, PrerequisiteCode::NoOffence12Months);
        assert!(!p.satisfied && p.blocking, "{field:?}");
        assert_eq!(p.evidence.as_deref(), Some("offences/1"));
        assert_eq!(p.earliest_date, Some(d(2026, 6, 2)));
        assert!(p.description.contains("2025-06-01"));
        assert!(p.description.contains("bars through 2026-06-01"));
    }
    // Offences on the as-of date count; later ones (recorded in advance) do not.
    let mut r = permit_applicant();
    r.offences.push(offence(OffenceField::Tax, as_of()));
    assert!(
        !find(
            &check_permit(&r, d(2030, 1, 1)),
            PrerequisiteCode::NoOffence12Months
        )
        .satisfied
    );
    let mut r = permit_applicant();
    r.offences.push(offence(OffenceField::Tax, d(2026, 6, 2)));
    assert!(
        find(
            &check_permit(&r, d(2030, 1, 1)),
            PrerequisiteCode::NoOffence12Months
        )
        .satisfied
    );
}

#[test]
fn offences_in_other_fields_of_law_never_count() {
    let mut r = permit_applicant();
    r.offences
        .push(offence(OffenceField::Other, d(2026, 5, 31)));
    r.offences.push(offence(OffenceField::Other, as_of()));
    assert!(
        find(
            &check_permit(&r, d(2030, 1, 1)),
            PrerequisiteCode::NoOffence12Months
        )
        .satisfied
    );
}

#[test]
fn a_refusal_bars_through_the_same_date_a_year_later() {
    let mut r = permit_applicant();
    r.refusals
        .push(refusal(Procedure::PermanentResidencePermit, d(2025, 5, 31)));
    let p = find(
        &check_permit(&r, d(2030, 1, 1)),
        PrerequisiteCode::NoRefusal12Months,
    )
    .clone();
    assert!(p.satisfied && p.earliest_date.is_none());

    let mut r = permit_applicant();
    r.refusals
        .push(refusal(Procedure::PermanentResidencePermit, d(2025, 6, 1)));
    let checks = check_permit(&r, d(2030, 1, 1));
    let p = find(&checks, PrerequisiteCode::NoRefusal12Months);
    assert!(!p.satisfied && p.blocking);
    assert_eq!(p.earliest_date, Some(d(2026, 6, 2)));
    assert_eq!(p.evidence.as_deref(), Some("applications/refused"));
    assert!(
        p.description.contains("accepted from 2026-06-02"),
        "{}",
        p.description
    );
    // Exactly on the earliest date the application is accepted.
    let on = check(&permit_query(), &r, passport(d(2030, 1, 1)), d(2026, 6, 2));
    assert!(find(&on, PrerequisiteCode::NoRefusal12Months).satisfied);
}

#[test]
fn the_latest_refusal_decides_and_other_procedures_do_not_count() {
    let mut r = permit_applicant();
    r.refusals
        .push(refusal(Procedure::PermanentResidencePermit, d(2025, 8, 1)));
    r.refusals
        .push(refusal(Procedure::PermanentResidencePermit, d(2026, 1, 15)));
    r.refusals
        .push(refusal(Procedure::ResidencePermitCard, d(2026, 5, 1)));
    let checks = check_permit(&r, d(2030, 1, 1));
    assert_eq!(
        find(&checks, PrerequisiteCode::NoRefusal12Months).earliest_date,
        Some(d(2027, 1, 16))
    );
}

#[test]
fn a_refusal_on_29_february_is_accepted_again_from_1_march() {
    let refused = d(2024, 2, 29);
    assert!(within_look_back(refused, d(2025, 2, 28)));
    assert!(!within_look_back(refused, d(2025, 3, 1)));
    assert_eq!(first_day_outside_look_back(refused), Some(d(2025, 3, 1)));
    // Month-end clamping of the as-of date: 12 months before 2024-02-29 is 2023-02-28.
    assert!(!within_look_back(d(2023, 2, 28), d(2024, 2, 29)));
    assert!(within_look_back(d(2023, 3, 1), d(2024, 2, 29)));
}

#[test]
fn spec_vectors_of_the_term_rule() {
    // SPEC 3: refused 2025-03-10, barred through 2026-03-10, accepted from 2026-03-11; an
    // offence of 2025-03-10 bars through 2026-03-10.
    let event = d(2025, 3, 10);
    assert!(within_look_back(event, d(2026, 3, 9)));
    assert!(within_look_back(event, d(2026, 3, 10)));
    assert!(!within_look_back(event, d(2026, 3, 11)));
    assert_eq!(first_day_outside_look_back(event), Some(d(2026, 3, 11)));
    for as_of in [d(2026, 3, 10), d(2026, 3, 11)] {
        let mut r = permit_applicant();
        r.refusals
            .push(refusal(Procedure::PermanentResidencePermit, event));
        r.offences.push(offence(OffenceField::Migration, event));
        let checks = check(&permit_query(), &r, None, as_of);
        let barred = as_of == d(2026, 3, 10);
        for code in [
            PrerequisiteCode::NoRefusal12Months,
            PrerequisiteCode::NoOffence12Months,
        ] {
            let p = find(&checks, code);
            assert_eq!(p.satisfied, !barred, "{code:?} on {as_of}");
            if barred {
                assert_eq!(p.earliest_date, Some(d(2026, 3, 11)));
                assert!(p.description.contains("2026-03-11"), "{}", p.description);
            }
        }
    }
}

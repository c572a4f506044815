//! The residence permit card: a first card after the permit, and the renewal window.

use super::*;

fn card_query(renewal: bool) -> PrerequisiteQuery {
    PrerequisiteQuery {
        card_renewal: renewal,
        ..PrerequisiteQuery::bare(Procedure::ResidencePermitCard)
    }
}

#[test]
fn a_first_card_needs_a_permit_and_a_valid_passport() {
    let mut r = person();
    let checks = check(&card_query(false), &r, passport(as_of()), as_of());
    assert_eq!(
        codes(&checks),
        vec![
            PrerequisiteCode::IinAssigned,
            PrerequisiteCode::PermitGranted,
            PrerequisiteCode::CardRenewalWindow,
            PrerequisiteCode::PassportValid,
            PrerequisiteCode::NoOpenApplication,
            PrerequisiteCode::RegistrationLapse,
        ]
    );
    assert_eq!(
        unmet(&checks).map(|c| c.code).collect::<Vec<_>>(),
        vec![PrerequisiteCode::PermitGranted]
    );
    r.permits.push(permit(d(2026, 5, 25)));
    // Passport valid through its expiry date, not the day after.
    assert_eq!(
        unmet(&check(&card_query(false), &r, passport(as_of()), as_of())).count(),
        0
    );
    let checks = check(&card_query(false), &r, passport(d(2026, 5, 31)), as_of());
    assert_eq!(
        unmet(&checks).map(|c| c.code).collect::<Vec<_>>(),
        vec![PrerequisiteCode::PassportValid]
    );
    // A renewal asked for without a card on record cannot be judged.
    let checks = check(&card_query(true), &r, passport(d(2030, 1, 1)), as_of());
    assert!(!find(&checks, PrerequisiteCode::CardRenewalWindow).satisfied);
}

#[test]
fn card_renewal_opens_45_days_before_expiry() {
    let mut r = person();
    r.permits.push(permit(d(2016, 1, 1)));
    r.registrations.push(registration(d(2016, 1, 5), None));
    // 2026-06-01 + 45 days = 2026-07-16.
    r.cards.push(card(d(2016, 7, 16), d(2026, 7, 16)));
    let checks = check(&card_query(true), &r, passport(d(2030, 1, 1)), as_of());
    let p = find(&checks, PrerequisiteCode::CardRenewalWindow);
    assert!(p.satisfied && p.earliest_date.is_none(), "{p:?}");
    assert_eq!(unmet(&checks).count(), 0);

    r.cards[0].valid_until = d(2026, 7, 17);
    // A card on record makes it a renewal even when not asked for.
    for renewal in [true, false] {
        let checks = check(&card_query(renewal), &r, passport(d(2030, 1, 1)), as_of());
        let p = find(&checks, PrerequisiteCode::CardRenewalWindow);
        assert!(!p.satisfied && p.blocking);
        assert_eq!(p.earliest_date, Some(d(2026, 6, 2)));
        assert_eq!(p.evidence.as_deref(), Some("applications/card"));
    }
    // An expired card can be renewed.
    r.cards[0].valid_until = d(2026, 1, 1);
    assert!(
        find(
            &check(&card_query(true), &r, passport(d(2030, 1, 1)), as_of()),
            PrerequisiteCode::CardRenewalWindow
        )
        .satisfied
    );
}

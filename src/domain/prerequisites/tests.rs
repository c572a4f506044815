use super::offences_and_refusals::{first_day_outside_look_back, within_look_back};
use super::*;
use crate::domain::details::Details;
use crate::domain::documents::{Document, DocumentForm, DocumentType};
use crate::domain::records::{
    CardRecord, CitizenshipRecord, OffenceField, OffenceRecord, PresentedDocument, RefusalRecord,
};
use uuid::Uuid;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

const AS_OF: (i32, u32, u32) = (2026, 6, 1);

fn as_of() -> NaiveDate {
    d(AS_OF.0, AS_OF.1, AS_OF.2)
}

fn person() -> PersonRecords {
    let mut r = PersonRecords::new(Uuid::nil(), d(1985, 4, 10));
    r.iin = Some("871008401427".into());
    r.citizenship = "CHN".into();
    r.ethnic_kazakh = true;
    r
}

fn status(from: NaiveDate, until: NaiveDate, n: &str) -> KandasStatusRecord {
    KandasStatusRecord {
        evidence: format!("applications/kandas-{n}"),
        certificate_number: format!("KC-{n}"),
        valid_from: from,
        valid_until: until,
    }
}

fn permit(on: NaiveDate) -> PermitRecord {
    PermitRecord {
        evidence: "applications/permit".into(),
        number: "PRP-1".into(),
        granted_on: on,
    }
}

fn card(issued: NaiveDate, until: NaiveDate) -> CardRecord {
    CardRecord {
        evidence: "applications/card".into(),
        number: "RPC-1".into(),
        issued_on: issued,
        valid_until: until,
    }
}

fn registration(from: NaiveDate, until: Option<NaiveDate>) -> RegistrationRecord {
    RegistrationRecord {
        evidence: "applications/registration".into(),
        kind: RegistrationKind::Permanent,
        region: crate::domain::regions::Region::Pavlodar,
        registered_on: from,
        until,
    }
}

/// A kandas who meets every prerequisite of every procedure but the IIN one (and the ones
/// that exclude each other: a permit to have and not to have).
fn settled_kandas() -> PersonRecords {
    let mut r = person();
    r.kandas_statuses
        .push(status(d(2025, 9, 1), d(2026, 9, 1), "1"));
    r.permits.push(permit(d(2025, 10, 1)));
    r.cards.push(card(d(2025, 10, 20), d(2030, 10, 19)));
    r.registrations.push(registration(d(2025, 10, 5), None));
    r
}

fn find(checks: &[Prerequisite], code: PrerequisiteCode) -> &Prerequisite {
    checks
        .iter()
        .find(|c| c.code == code)
        .unwrap_or_else(|| panic!("{code} missing from {checks:#?}"))
}

fn codes(checks: &[Prerequisite]) -> Vec<PrerequisiteCode> {
    checks.iter().map(|c| c.code).collect()
}

fn permit_query() -> PrerequisiteQuery {
    PrerequisiteQuery {
        permit_category: Some(PermitCategory::KandasAndFamily),
        ..PrerequisiteQuery::bare(Procedure::PermanentResidencePermit)
    }
}

/// A permit applicant who meets everything, with a passport valid for a long time.
fn permit_applicant() -> PersonRecords {
    let mut r = person();
    r.kandas_statuses
        .push(status(d(2025, 9, 1), d(2026, 9, 1), "1"));
    r
}

fn passport(expiry: NaiveDate) -> Option<(NaiveDate, Evidence)> {
    Some((expiry, "applications/now".to_string()))
}

fn check_permit(records: &PersonRecords, expiry: NaiveDate) -> Vec<Prerequisite> {
    check(&permit_query(), records, passport(expiry), as_of())
}

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

fn offence(field: OffenceField, date: NaiveDate) -> OffenceRecord {
    OffenceRecord {
        evidence: "offences/1".into(),
        field,
        date,
    }
}

#[test]
fn an_offence_exactly_12_months_before_no_longer_counts() {
    for field in [
        OffenceField::Migration,
        OffenceField::Tax,
        OffenceField::Labour,
    ] {
        let mut r = permit_applicant();
        r.offences.push(offence(field, d(2025, 6, 1)));
        assert!(
            find(
                &check_permit(&r, d(2030, 1, 1)),
                PrerequisiteCode::NoOffence12Months
            )
            .satisfied
        );

        let mut r = permit_applicant();
        r.offences.push(offence(field, d(2025, 6, 2)));
        let checks = check_permit(&r, d(2030, 1, 1));
        let p = find(&checks, PrerequisiteCode::NoOffence12Months);
        assert!(!p.satisfied && p.blocking, "{field:?}");
        assert_eq!(p.evidence.as_deref(), Some("offences/1"));
        assert_eq!(p.earliest_date, Some(d(2026, 6, 2)));
        assert!(p.description.contains("2025-06-02"));
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

fn refusal(procedure: Procedure, date: NaiveDate) -> RefusalRecord {
    RefusalRecord {
        evidence: "applications/refused".into(),
        procedure,
        decision_date: date,
    }
}

#[test]
fn a_refusal_exactly_12_months_before_no_longer_counts() {
    let mut r = permit_applicant();
    r.refusals
        .push(refusal(Procedure::PermanentResidencePermit, d(2025, 6, 1)));
    let p = find(
        &check_permit(&r, d(2030, 1, 1)),
        PrerequisiteCode::NoRefusal12Months,
    )
    .clone();
    assert!(p.satisfied && p.earliest_date.is_none());

    let mut r = permit_applicant();
    r.refusals
        .push(refusal(Procedure::PermanentResidencePermit, d(2025, 6, 2)));
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
        Some(d(2027, 1, 15))
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

fn citizenship_query(category: CitizenshipCategory) -> PrerequisiteQuery {
    PrerequisiteQuery {
        citizenship_category: Some(category),
        ..PrerequisiteQuery::bare(Procedure::SimplifiedCitizenship)
    }
}

fn unmet_codes(q: &PrerequisiteQuery, r: &PersonRecords) -> Vec<PrerequisiteCode> {
    unmet(&check(q, r, None, as_of())).map(|c| c.code).collect()
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

#[test]
fn for_procedure_derives_the_variant_from_the_records() {
    let mut r = person();
    r.ethnic_kazakh = false;
    let q = PrerequisiteQuery::for_procedure(Procedure::PermanentResidencePermit, &r);
    assert_eq!(q.permit_category, Some(PermitCategory::OtherForeigner));
    assert_eq!(q.citizenship_category, None);
    let q = PrerequisiteQuery::for_procedure(Procedure::SimplifiedCitizenship, &r);
    assert_eq!(
        q.citizenship_category,
        Some(CitizenshipCategory::RepressionVictimDescendant)
    );
    assert_eq!(q.permit_category, None);

    // A kandas status held, even expired, makes the kandas category.
    r.kandas_statuses
        .push(status(d(2020, 1, 1), d(2021, 1, 1), "old"));
    let q = PrerequisiteQuery::for_procedure(Procedure::PermanentResidencePermit, &r);
    assert_eq!(q.permit_category, Some(PermitCategory::KandasAndFamily));
    let q = PrerequisiteQuery::for_procedure(Procedure::SimplifiedCitizenship, &r);
    assert_eq!(q.citizenship_category, Some(CitizenshipCategory::Kandas));
    // So does being an ethnic Kazakh.
    let q = PrerequisiteQuery::for_procedure(Procedure::PermanentResidencePermit, &person());
    assert_eq!(q.permit_category, Some(PermitCategory::KandasAndFamily));

    let q = PrerequisiteQuery::for_procedure(Procedure::ResidenceRegistration, &r);
    assert_eq!(q.registration_kind, Some(RegistrationKind::Permanent));
    let q = PrerequisiteQuery::for_procedure(Procedure::ResidencePermitCard, &r);
    assert!(!q.card_renewal);
    r.cards.push(card(d(2020, 1, 1), d(2030, 1, 1)));
    let q = PrerequisiteQuery::for_procedure(Procedure::ResidencePermitCard, &r);
    assert!(q.card_renewal);
    let q = PrerequisiteQuery::for_procedure(Procedure::IinAssignment, &r);
    assert_eq!(q, PrerequisiteQuery::bare(Procedure::IinAssignment));

    // An unset variant in `check` is derived the same way.
    let bare = PrerequisiteQuery::bare(Procedure::PermanentResidencePermit);
    let derived = PrerequisiteQuery::for_procedure(Procedure::PermanentResidencePermit, &r);
    assert_eq!(
        check(&bare, &r, None, as_of()),
        check(&derived, &r, None, as_of())
    );
}

#[test]
fn from_details_takes_the_variant_asked_for() {
    let q = PrerequisiteQuery::from_details(&Details::SimplifiedCitizenship {
        category: CitizenshipCategory::EthnicKazakhStudent,
        family: vec![],
    });
    assert_eq!(q.procedure, Procedure::SimplifiedCitizenship);
    assert_eq!(
        q.citizenship_category,
        Some(CitizenshipCategory::EthnicKazakhStudent)
    );
    let q = PrerequisiteQuery::from_details(&Details::ResidencePermitCard { renewal: true });
    assert!(q.card_renewal);
    let q = PrerequisiteQuery::from_details(&Details::ResidenceRegistration {
        kind: RegistrationKind::Temporary,
        region: crate::domain::regions::Region::Astana,
        address: "a".into(),
        until: None,
        by_representative: false,
        owner_is_organisation: false,
        family: vec![],
    });
    assert_eq!(q.registration_kind, Some(RegistrationKind::Temporary));
    let q = PrerequisiteQuery::from_details(&Details::PermanentResidencePermit {
        category: PermitCategory::OtherForeigner,
        refugee_or_asylum: false,
        ethnic_kazakh_from_prc: false,
        former_compatriot: false,
        treaty_simplified_citizenship: false,
        without_identity_document: false,
        family: vec![],
    });
    assert_eq!(q.permit_category, Some(PermitCategory::OtherForeigner));
    assert_eq!(
        PrerequisiteQuery::from_details(&Details::KandasStatusExtension),
        PrerequisiteQuery::bare(Procedure::KandasStatusExtension)
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

mod properties;

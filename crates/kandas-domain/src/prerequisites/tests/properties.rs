use super::*;
use proptest::prelude::*;

fn any_date() -> impl Strategy<Value = NaiveDate> {
    prop_oneof![
        8 => (-400i64..400).prop_map(|days| d(2026, 6, 1) + chrono::Duration::days(days)),
        1 => Just(NaiveDate::MIN),
        1 => Just(NaiveDate::MAX),
        1 => (-200_000i32..200_000).prop_map(|y| d(y, 2, 28)),
    ]
}

fn any_procedure() -> impl Strategy<Value = Procedure> {
    (0..Procedure::ALL.len()).prop_map(|i| Procedure::ALL[i])
}

fn any_field() -> impl Strategy<Value = OffenceField> {
    prop_oneof![
        Just(OffenceField::Migration),
        Just(OffenceField::Tax),
        Just(OffenceField::Labour),
        Just(OffenceField::Other),
    ]
}

fn any_kind() -> impl Strategy<Value = RegistrationKind> {
    prop_oneof![
        Just(RegistrationKind::Permanent),
        Just(RegistrationKind::Temporary),
        Just(RegistrationKind::Refugee),
    ]
}

fn any_query() -> impl Strategy<Value = PrerequisiteQuery> {
    (
        any_procedure(),
        proptest::option::of(prop_oneof![
            Just(PermitCategory::KandasAndFamily),
            Just(PermitCategory::OtherForeigner)
        ]),
        proptest::option::of(prop_oneof![
            Just(CitizenshipCategory::Kandas),
            Just(CitizenshipCategory::RepressionVictimDescendant),
            Just(CitizenshipCategory::EthnicKazakhStudent)
        ]),
        proptest::option::of(any_kind()),
        any::<bool>(),
    )
        .prop_map(|(procedure, p, c, k, card_renewal)| PrerequisiteQuery {
            procedure,
            permit_category: p,
            citizenship_category: c,
            registration_kind: k,
            card_renewal,
        })
}

prop_compose! {
    fn any_records()(
        iin in any::<bool>(),
        ethnic in any::<bool>(),
        stateless in any::<bool>(),
        citizen in proptest::option::of(any_date()),
        statuses in proptest::collection::vec((any_date(), any_date()), 0..3),
        permits in proptest::collection::vec(any_date(), 0..2),
        cards in proptest::collection::vec((any_date(), any_date()), 0..3),
        registrations in proptest::collection::vec(
            (any_kind(), any_date(), proptest::option::of(any_date())), 0..3),
        offences in proptest::collection::vec((any_field(), any_date()), 0..3),
        refusals in proptest::collection::vec((any_procedure(), any_date()), 0..3),
        open in proptest::collection::vec(any_procedure(), 0..3),
    ) -> PersonRecords {
        let mut r = PersonRecords::new(Uuid::nil(), d(1990, 1, 1));
        r.iin = iin.then(|| "871008401427".to_string());
        r.ethnic_kazakh = ethnic;
        r.citizenship = if stateless { String::new() } else { "MNG".into() };
        r.kazakh_citizenship = citizen.map(|granted_on| CitizenshipRecord {
            evidence: "applications/cit".into(),
            granted_on,
        });
        r.kandas_statuses = statuses
            .into_iter()
            .enumerate()
            .map(|(i, (a, b))| status(a, b, &i.to_string()))
            .collect();
        r.permits = permits.into_iter().map(permit).collect();
        r.cards = cards.into_iter().map(|(a, b)| card(a, b)).collect();
        r.registrations = registrations
            .into_iter()
            .map(|(kind, from, until)| RegistrationRecord {
                kind,
                ..registration(from, until)
            })
            .collect();
        r.offences = offences.into_iter().map(|(f, date)| offence(f, date)).collect();
        r.refusals = refusals.into_iter().map(|(p, date)| refusal(p, date)).collect();
        r.open_applications = open
            .into_iter()
            .map(|p| (p, format!("applications/{}", p.as_str())))
            .collect();
        r
    }
}

proptest! {
    #[test]
    fn check_never_panics_and_codes_are_unique(
        query in any_query(),
        records in any_records(),
        passport in proptest::option::of(any_date()),
        as_of in any_date(),
    ) {
        let passport = passport.map(|e| (e, "applications/now".to_string()));
        let checks = check(&query, &records, passport.clone(), as_of);
        let mut seen = std::collections::HashSet::new();
        for c in &checks {
            prop_assert!(seen.insert(c.code), "duplicate {}", c.code);
            prop_assert!(!c.description.is_empty());
            prop_assert!(!c.legal_basis.is_empty());
            prop_assert!(c.code.as_str().chars().all(|ch| ch.is_ascii_uppercase() || ch == '_' || ch.is_ascii_digit()));
            if c.code == PrerequisiteCode::RegistrationLapse {
                prop_assert!(!c.blocking);
            } else {
                prop_assert!(c.blocking);
            }
            if c.satisfied {
                prop_assert!(c.earliest_date.is_none());
            }
        }
        // The same query on other records lists the same checks in the same order,
        // once the variant is fixed.
        let fixed = PrerequisiteQuery {
            permit_category: query.permit_category.or(Some(PermitCategory::OtherForeigner)),
            citizenship_category: query.citizenship_category.or(Some(CitizenshipCategory::Kandas)),
            registration_kind: query.registration_kind.or(Some(RegistrationKind::Permanent)),
            ..query.clone()
        };
        let a: Vec<_> = check(&fixed, &records, passport.clone(), as_of).iter().map(|c| c.code).collect();
        let b: Vec<_> = check(&fixed, &person(), None, as_of).iter().map(|c| c.code).collect();
        prop_assert_eq!(a, b);
        let _ = passport_on_record(&records);
        let _ = PrerequisiteQuery::for_procedure(query.procedure, &records);
    }

    #[test]
    fn the_earliest_date_given_for_a_refusal_is_accepted(
        refused in any_date(),
        as_of in any_date(),
    ) {
        let mut r = permit_applicant();
        r.refusals.push(refusal(Procedure::PermanentResidencePermit, refused));
        let checks = check(&permit_query(), &r, None, as_of);
        let p = find(&checks, PrerequisiteCode::NoRefusal12Months);
        prop_assert_eq!(p.satisfied, !within_look_back(refused, as_of));
        if let Some(earliest) = p.earliest_date {
            prop_assert!(earliest > as_of);
            let then = check(&permit_query(), &r, None, earliest);
            prop_assert!(find(&then, PrerequisiteCode::NoRefusal12Months).satisfied);
            if let Some(before) = earliest.pred_opt() {
                prop_assert!(within_look_back(refused, before));
            }
        }
    }
}

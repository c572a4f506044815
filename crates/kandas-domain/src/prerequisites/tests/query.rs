//! The variant checked for: derived from the records, or taken from the details.

use super::*;
use crate::details::Details;

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
        region: crate::regions::Region::Astana,
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

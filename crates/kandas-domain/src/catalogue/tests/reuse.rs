use super::*;

fn presented(evidence: &str, on: NaiveDate, document: Document) -> PresentedDocument {
    PresentedDocument {
        evidence: evidence.into(),
        presented_on: on,
        document: Document {
            holder: None,
            ..document
        },
    }
}

#[test]
fn passport_from_the_kandas_step_is_reused_while_valid() {
    let mut applicant = adult();
    applicant.presented.push(presented(
        "applications/kandas-1",
        d(2025, 2, 1),
        passport(d(2030, 1, 1)),
    ));
    let details = permit(PermitCategory::KandasAndFamily, vec![]);
    let items = checklist(&case(&details, d(2025, 9, 15), &applicant, &[], &[], None));
    let it = item(&items, "permit.identity_document", None).unwrap();
    assert_eq!(it.status, ItemStatus::SatisfiedFromRecords);
    assert_eq!(it.detail, "applications/kandas-1");

    let mut expired = adult();
    expired.presented.push(presented(
        "applications/kandas-1",
        d(2025, 2, 1),
        passport(d(2025, 9, 14)),
    ));
    let items = checklist(&case(&details, d(2025, 9, 15), &expired, &[], &[], None));
    required(&items, "permit.identity_document");
    // A new passport presented now is checked as usual.
    let fresh = [passport(d(2032, 1, 1))];
    let items = checklist(&case(&details, d(2025, 9, 15), &expired, &[], &fresh, None));
    assert_eq!(
        status(&items, "permit.identity_document", None),
        ItemStatus::Satisfied
    );
    // Application forms are never reused.
    let mut with_form = adult();
    with_form.presented.push(presented(
        "applications/kandas-1",
        d(2025, 2, 1),
        doc(T::ApplicationForm),
    ));
    let items = checklist(&case(&details, d(2025, 9, 15), &with_form, &[], &[], None));
    required(&items, "permit.application_form");
}

#[test]
fn the_family_is_not_asked_again_for_what_it_presented() {
    // Kandas step: applicant with passport and biography, spouse with passport, a child
    // of 10 with a birth certificate.
    let kandas_day = d(2025, 2, 3);
    let mut applicant = adult();
    let mut spouse = person(d(1987, 7, 7));
    let mut kid = person(d(2015, 4, 4));
    let family_members = vec![
        FamilyMember {
            person_id: spouse.person_id,
            relation: Relation::Spouse,
        },
        child(&kid),
    ];
    let kandas = Details::KandasStatusAssignment {
        grounds: vec![KandasGround::QuotaRegionResettlement],
        nationality_in_identity_document: true,
        consent_via_foreign_institution: false,
        family: family_members.clone(),
    };
    let birth = Document {
        language: "mn".into(),
        translation: Some(Translation {
            language: "kk".into(),
            notarized: true,
        }),
        ..doc(T::BirthCertificate)
    };
    let docs = vec![
        doc(T::ApplicationForm),
        doc(T::Biography),
        passport(d(2031, 1, 1)),
        held(passport(d(2031, 1, 1)), spouse.person_id),
        held(birth.clone(), kid.person_id),
    ];
    let family = [spouse.clone(), kid.clone()];
    let items = checklist(&case(&kandas, kandas_day, &applicant, &family, &docs, None));
    assert!(items.iter().all(|i| !i.is_problem()), "{items:#?}");
    assert_eq!(
        items
            .iter()
            .filter(|i| i.requirement == "kandas.identity_document")
            .count(),
        3
    );

    // The store records what was presented, per person.
    let evidence = "applications/kandas-1";
    for d in &docs {
        let target = match d.holder {
            None => &mut applicant,
            Some(id) if id == spouse.person_id => &mut spouse,
            Some(_) => &mut kid,
        };
        target
            .presented
            .push(presented(evidence, kandas_day, d.clone()));
    }
    applicant.kandas_statuses.push(kandas_record(
        "applications/kandas-1",
        kandas_day,
        d(2026, 2, 3),
    ));

    // Permit step: passports, the child's birth certificate and the biography come from
    // records; the state duty is waived; the rest is asked for.
    let permit_details = permit(PermitCategory::KandasAndFamily, family_members.clone());
    let family = [spouse.clone(), kid.clone()];
    let items = checklist(&case(
        &permit_details,
        d(2025, 6, 2),
        &applicant,
        &family,
        &[],
        None,
    ));
    for (id, holder) in [
        ("permit.identity_document", None),
        ("permit.identity_document", Some(spouse.person_id)),
        ("permit.birth_certificate", Some(kid.person_id)),
        ("permit.biography", None),
    ] {
        let it = item(&items, id, holder).unwrap();
        assert_eq!(
            it.status,
            ItemStatus::SatisfiedFromRecords,
            "{id} {holder:?}"
        );
        assert_eq!(it.detail, evidence);
    }
    assert_eq!(
        status(&items, "permit.state_duty", None),
        ItemStatus::Waived
    );
    required(&items, "permit.application_form");

    // Citizenship step: the kandas certificate too.
    let citizenship = Details::SimplifiedCitizenship {
        category: CitizenshipCategory::Kandas,
        family: family_members,
    };
    let items = checklist(&case(
        &citizenship,
        d(2025, 12, 1),
        &applicant,
        &family,
        &[],
        None,
    ));
    for (id, holder) in [
        ("citizenship.identity_document", None),
        ("citizenship.identity_document", Some(spouse.person_id)),
        ("citizenship.birth_certificate", Some(kid.person_id)),
        ("citizenship.biography", None),
        ("citizenship.kandas_certificate", None),
    ] {
        assert_eq!(
            status(&items, id, holder),
            ItemStatus::SatisfiedFromRecords,
            "{id} {holder:?}"
        );
    }
}

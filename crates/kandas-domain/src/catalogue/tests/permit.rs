use super::*;

fn permit_items(details: &Details, applicant: &PersonRecords) -> Vec<ChecklistItem> {
    checklist(&case(
        details,
        d(2025, 9, 15),
        applicant,
        &[],
        &[],
        Some(MCI_2025),
    ))
}

#[test]
fn without_exemptions_every_permit_document_is_required() {
    let items = permit_items(&permit(PermitCategory::OtherForeigner, vec![]), &adult());
    for id in [
        "permit.application_form",
        "permit.identity_document",
        "permit.departure_consent",
        "permit.biography",
        "permit.solvency",
        "permit.criminal_record",
        "permit.housing",
        "permit.medical_certificate",
        "permit.photo",
        "permit.state_duty",
    ] {
        required(&items, id);
    }
    assert!(item(&items, "permit.citizenship_termination", None).is_none());
}

#[test]
fn each_exemption_of_5_3_waives_what_it_should() {
    let applicant = adult();
    // Refugees and asylum holders: departure consent only.
    let items = permit_items(
        &permit_with(|d| {
            if let Details::PermanentResidencePermit {
                refugee_or_asylum, ..
            } = d
            {
                *refugee_or_asylum = true;
            }
        }),
        &applicant,
    );
    waived_with(&items, "permit.departure_consent", "refugees");
    required(&items, "permit.criminal_record");
    required(&items, "permit.solvency");

    // Ethnic Kazakhs from the PRC: departure consent and criminal record.
    let items = permit_items(
        &permit_with(|d| {
            if let Details::PermanentResidencePermit {
                ethnic_kazakh_from_prc,
                ..
            } = d
            {
                *ethnic_kazakh_from_prc = true;
            }
        }),
        &applicant,
    );
    waived_with(
        &items,
        "permit.departure_consent",
        "People's Republic of China",
    );
    waived_with(
        &items,
        "permit.criminal_record",
        "People's Republic of China",
    );
    required(&items, "permit.state_duty");
    // ... also when the person record says so.
    let mut chinese_kazakh = adult();
    chinese_kazakh.ethnic_kazakh = true;
    chinese_kazakh.citizenship = "CHN".into();
    let items = permit_items(
        &permit(PermitCategory::OtherForeigner, vec![]),
        &chinese_kazakh,
    );
    waived_with(
        &items,
        "permit.criminal_record",
        "People's Republic of China",
    );
    waived_with(
        &items,
        "permit.departure_consent",
        "People's Republic of China",
    );

    // Solvency: ethnic Kazakhs, former compatriots, treaty, and their family members.
    let items = permit_items(&permit(PermitCategory::KandasAndFamily, vec![]), &applicant);
    waived_with(&items, "permit.solvency", "1185");
    waived_with(&items, "permit.state_duty", "Tax Code art. 619");
    required(&items, "permit.departure_consent");
    required(&items, "permit.criminal_record");
    let mut ethnic = adult();
    ethnic.ethnic_kazakh = true;
    let items = permit_items(&permit(PermitCategory::OtherForeigner, vec![]), &ethnic);
    waived_with(&items, "permit.solvency", "ethnic Kazakhs");
    for flag in 0..2 {
        let items = permit_items(
            &permit_with(|d| {
                if let Details::PermanentResidencePermit {
                    former_compatriot,
                    treaty_simplified_citizenship,
                    ..
                } = d
                {
                    *[former_compatriot, treaty_simplified_citizenship][flag] = true;
                }
            }),
            &applicant,
        );
        waived_with(&items, "permit.solvency", "No. 1185");
        required(&items, "permit.state_duty");
    }
    let mut spouse = adult();
    spouse.ethnic_kazakh = true;
    let details = permit(
        PermitCategory::OtherForeigner,
        vec![FamilyMember {
            person_id: spouse.person_id,
            relation: Relation::Spouse,
        }],
    );
    let family = [spouse];
    let items = checklist(&case(
        &details,
        d(2025, 9, 15),
        &applicant,
        &family,
        &[],
        None,
    ));
    waived_with(&items, "permit.solvency", "family members");

    // State duty: kandas (also by a valid status on record).
    let mut kandas = adult();
    kandas.kandas_statuses.push(KandasStatusRecord {
        evidence: "applications/k1".into(),
        certificate_number: "KC-1".into(),
        valid_from: d(2025, 1, 10),
        valid_until: d(2026, 1, 10),
        annulment: None,
    });
    let items = permit_items(&permit(PermitCategory::OtherForeigner, vec![]), &kandas);
    waived_with(&items, "permit.state_duty", "Tax Code art. 619");

    // Without an identity document: the termination certificate replaces the passport.
    let items = permit_items(
        &permit_with(|d| {
            if let Details::PermanentResidencePermit {
                without_identity_document,
                ..
            } = d
            {
                *without_identity_document = true;
            }
        }),
        &applicant,
    );
    required(&items, "permit.citizenship_termination");
    waived_with(&items, "permit.identity_document", "residence permits");
}

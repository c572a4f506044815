use super::*;
use crate::details::{CitizenshipCategory, KandasGround, PermitCategory, Relation};
use crate::documents::{DocumentForm, ItemStatus, Photo, Translation};
use crate::records::{KandasStatusRecord, PresentedDocument, RegistrationKind};
use uuid::Uuid;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

const MCI_2025: i64 = 3_932;

fn doc(kind: T) -> Document {
    Document {
        kind,
        holder: None,
        form: DocumentForm::Original,
        language: "kk".into(),
        translation: None,
        number: "N-1".into(),
        issuing_country: "KAZ".into(),
        issue_date: Some(d(2020, 1, 1)),
        expiry_date: None,
        amount_tenge: None,
        photo: None,
        notarized: false,
        content_sha256: String::new(),
        storage_ref: String::new(),
    }
}

fn held(mut document: Document, holder: Uuid) -> Document {
    document.holder = Some(holder);
    document
}

fn passport(expiry: NaiveDate) -> Document {
    Document {
        language: "zh".into(),
        translation: Some(Translation {
            language: "ru".into(),
            notarized: true,
        }),
        issuing_country: "CHN".into(),
        expiry_date: Some(expiry),
        ..doc(T::IdentityDocument)
    }
}

fn paid(kind: T, amount: i64) -> Document {
    Document {
        amount_tenge: Some(amount),
        ..doc(kind)
    }
}

fn photos(count: u32, width_mm: u32, height_mm: u32) -> Document {
    Document {
        photo: Some(Photo {
            count,
            width_mm,
            height_mm,
        }),
        ..doc(T::Photo)
    }
}

fn person(birth: NaiveDate) -> PersonRecords {
    PersonRecords::new(Uuid::new_v4(), birth)
}

fn child(records: &PersonRecords) -> FamilyMember {
    FamilyMember {
        person_id: records.person_id,
        relation: Relation::Child,
    }
}

fn permit(category: PermitCategory, family: Vec<FamilyMember>) -> Details {
    Details::PermanentResidencePermit {
        category,
        refugee_or_asylum: false,
        ethnic_kazakh_from_prc: false,
        former_compatriot: false,
        treaty_simplified_citizenship: false,
        without_identity_document: false,
        family,
    }
}

fn case<'a>(
    details: &'a Details,
    submission_date: NaiveDate,
    applicant: &'a PersonRecords,
    family: &'a [PersonRecords],
    documents: &'a [Document],
    mci: Option<i64>,
) -> Case<'a> {
    Case {
        details,
        submission_date,
        applicant,
        family: details.family().iter().zip(family).collect(),
        documents,
        mci: mci.map(|tenge| Mci::new(tenge).unwrap()),
        filed_by: Role::Psc,
    }
}

/// The item for `requirement` and `holder`, if the checklist has one.
fn item<'i>(
    items: &'i [ChecklistItem],
    requirement: &str,
    holder: Option<Uuid>,
) -> Option<&'i ChecklistItem> {
    items
        .iter()
        .find(|i| i.requirement == requirement && i.holder == holder)
}

fn status(items: &[ChecklistItem], requirement: &str, holder: Option<Uuid>) -> ItemStatus {
    item(items, requirement, holder)
        .unwrap_or_else(|| panic!("no {requirement} for {holder:?} in {items:#?}"))
        .status
}

fn adult() -> PersonRecords {
    person(d(1985, 5, 20))
}

#[test]
fn child_exactly_16_needs_no_birth_certificate_one_day_short_does() {
    let applicant = adult();
    let kid = person(d(2010, 3, 2));
    let details = permit(PermitCategory::KandasAndFamily, vec![child(&kid)]);
    let family = [kid.clone()];
    let id = Some(kid.person_id);

    let on_16th_birthday = checklist(&case(
        &details,
        d(2026, 3, 2),
        &applicant,
        &family,
        &[],
        None,
    ));
    assert!(item(&on_16th_birthday, "permit.birth_certificate", id).is_none());
    // At 16 the child is identified by their own passport instead.
    assert_eq!(
        status(&on_16th_birthday, "permit.identity_document", id),
        ItemStatus::Missing
    );

    let day_before = checklist(&case(
        &details,
        d(2026, 3, 1),
        &applicant,
        &family,
        &[],
        None,
    ));
    assert_eq!(
        status(&day_before, "permit.birth_certificate", id),
        ItemStatus::Missing
    );
    assert!(item(&day_before, "permit.identity_document", id).is_none());

    let certificate = held(doc(T::BirthCertificate), kid.person_id);
    let docs = [certificate];
    let presented = checklist(&case(
        &details,
        d(2026, 3, 1),
        &applicant,
        &family,
        &docs,
        None,
    ));
    assert_eq!(
        status(&presented, "permit.birth_certificate", id),
        ItemStatus::Satisfied
    );
    // A child's document does not serve the applicant.
    assert!(item(&presented, "permit.birth_certificate", None).is_none());
}

#[test]
fn child_consent_needed_from_14_until_18() {
    let applicant = adult();
    let day = d(2026, 6, 1);
    for (birth, needed) in [
        (d(2013, 6, 1), false), // exactly 13
        (d(2012, 6, 2), false), // 13, one day short of 14
        (d(2012, 6, 1), true),  // exactly 14
        (d(2008, 6, 2), true),  // 17, one day short of 18
        (d(2008, 6, 1), false), // exactly 18
    ] {
        let kid = person(birth);
        let details = permit(PermitCategory::KandasAndFamily, vec![child(&kid)]);
        let family = [kid.clone()];
        let items = checklist(&case(&details, day, &applicant, &family, &[], None));
        let consent = item(&items, "permit.child_consent", Some(kid.person_id));
        assert_eq!(consent.is_some(), needed, "born {birth}");
    }
    // The consent must be notarized.
    let kid = person(d(2012, 6, 1));
    let details = permit(PermitCategory::KandasAndFamily, vec![child(&kid)]);
    let family = [kid.clone()];
    let mut consent = held(doc(T::ChildConsent), kid.person_id);
    let docs = [consent.clone()];
    let items = checklist(&case(&details, day, &applicant, &family, &docs, None));
    let it = item(&items, "permit.child_consent", Some(kid.person_id)).unwrap();
    assert_eq!(it.status, ItemStatus::Invalid);
    assert!(it.detail.contains("notarized"), "{}", it.detail);
    consent.notarized = true;
    let docs = [consent];
    let items = checklist(&case(&details, day, &applicant, &family, &docs, None));
    assert_eq!(
        status(&items, "permit.child_consent", Some(kid.person_id)),
        ItemStatus::Satisfied
    );
}

#[test]
fn solvency_of_exactly_1320_mci_in_2025_is_enough_one_tenge_less_is_not() {
    assert_eq!(1_320 * MCI_2025, 5_190_240);
    let applicant = adult();
    let details = permit(PermitCategory::OtherForeigner, vec![]);
    let day = d(2025, 9, 15);
    let enough = [paid(T::SolvencyProof, 5_190_240)];
    let items = checklist(&case(
        &details,
        day,
        &applicant,
        &[],
        &enough,
        Some(MCI_2025),
    ));
    let it = item(&items, "permit.solvency", None).unwrap();
    assert_eq!(it.status, ItemStatus::Satisfied);
    assert!(
        it.description.contains("5,190,240 tenge in 2025"),
        "{}",
        it.description
    );

    let short = [paid(T::SolvencyProof, 5_190_239)];
    let items = checklist(&case(
        &details,
        day,
        &applicant,
        &[],
        &short,
        Some(MCI_2025),
    ));
    let it = item(&items, "permit.solvency", None).unwrap();
    assert_eq!(it.status, ItemStatus::Invalid);
    assert!(
        it.detail.contains("5,190,239") && it.detail.contains("5,190,240"),
        "{}",
        it.detail
    );

    let no_amount = [doc(T::SolvencyProof)];
    let items = checklist(&case(
        &details,
        day,
        &applicant,
        &[],
        &no_amount,
        Some(MCI_2025),
    ));
    assert_eq!(status(&items, "permit.solvency", None), ItemStatus::Invalid);
}

#[test]
fn state_duty_is_4_mci() {
    let applicant = adult();
    let day = d(2025, 9, 15);
    let details = permit(PermitCategory::OtherForeigner, vec![]);
    for (amount, expected) in [
        (15_728, ItemStatus::Satisfied),
        (15_727, ItemStatus::Invalid),
        (20_000, ItemStatus::Satisfied),
    ] {
        let docs = [paid(T::StateDutyPayment, amount)];
        let items = checklist(&case(&details, day, &applicant, &[], &docs, Some(MCI_2025)));
        assert_eq!(
            status(&items, "permit.state_duty", None),
            expected,
            "{amount}"
        );
    }
    // The same amount for the card's and the stateless certificate's fee (Decision).
    for (details, id) in [
        (
            Details::ResidencePermitCard { renewal: false },
            "card.state_fee",
        ),
        (
            Details::StatelessPersonCertificate { paper_form: false },
            "stateless.state_fee",
        ),
    ] {
        let docs = [paid(T::StateDutyPayment, 15_727)];
        let items = checklist(&case(&details, day, &applicant, &[], &docs, Some(MCI_2025)));
        assert_eq!(status(&items, id, None), ItemStatus::Invalid);
    }
}

#[test]
fn a_money_check_without_mci_is_invalid_naming_the_year() {
    let applicant = adult();
    let details = permit(PermitCategory::OtherForeigner, vec![]);
    let docs = [
        paid(T::StateDutyPayment, 1_000_000),
        paid(T::SolvencyProof, 100_000_000),
    ];
    let items = checklist(&case(&details, d(2027, 2, 1), &applicant, &[], &docs, None));
    for id in ["permit.state_duty", "permit.solvency"] {
        let it = item(&items, id, None).unwrap();
        assert_eq!(it.status, ItemStatus::Invalid);
        assert!(
            it.detail.contains("MCI for 2027 is not set"),
            "{}",
            it.detail
        );
    }
    // Nothing presented: simply missing (ListRequiredDocuments), the amount is unknown.
    let items = checklist(&case(&details, d(2027, 2, 1), &applicant, &[], &[], None));
    let it = item(&items, "permit.state_duty", None).unwrap();
    assert_eq!(it.status, ItemStatus::Missing);
    assert!(it.description.contains("MCI for 2027 is not set"));
}

fn waived_with(items: &[ChecklistItem], id: &str, basis: &str) {
    let it = item(items, id, None).unwrap_or_else(|| panic!("no {id}"));
    assert_eq!(it.status, ItemStatus::Waived, "{id}: {it:?}");
    assert!(!it.detail.is_empty(), "{id}: exemption text");
    assert!(it.legal_basis.contains(basis), "{id}: {}", it.legal_basis);
}

fn required(items: &[ChecklistItem], id: &str) {
    assert_eq!(status(items, id, None), ItemStatus::Missing, "{id}");
}

fn permit_with(edit: impl FnOnce(&mut Details)) -> Details {
    let mut details = permit(PermitCategory::OtherForeigner, vec![]);
    edit(&mut details);
    details
}

fn kandas_record(evidence: &str, from: NaiveDate, until: NaiveDate) -> KandasStatusRecord {
    KandasStatusRecord {
        evidence: evidence.into(),
        certificate_number: "KC-000001".into(),
        valid_from: from,
        valid_until: until,
        annulment: None,
    }
}

#[test]
fn kandas_certificate_on_record_satisfies_citizenship_a_from_records() {
    let mut applicant = adult();
    applicant.kandas_statuses.push(kandas_record(
        "applications/k1",
        d(2025, 3, 1),
        d(2026, 3, 1),
    ));
    let details = Details::SimplifiedCitizenship {
        category: CitizenshipCategory::Kandas,
        family: vec![],
    };
    let items = checklist(&case(&details, d(2025, 12, 1), &applicant, &[], &[], None));
    let it = item(&items, "citizenship.kandas_certificate", None).unwrap();
    assert_eq!(it.status, ItemStatus::SatisfiedFromRecords);
    assert_eq!(it.detail, "applications/k1");
    assert_eq!(it.document_type, T::KandasCertificate);
    waived_with(&items, "citizenship.state_duty", "Tax Code art. 619");
    assert!(item(&items, "citizenship.study_certificate", None).is_none());

    // Expired and not extended: missing, and a paper does not replace the record.
    let paper = [doc(T::KandasCertificate)];
    let items = checklist(&case(
        &details,
        d(2026, 3, 2),
        &applicant,
        &[],
        &paper,
        None,
    ));
    let it = item(&items, "citizenship.kandas_certificate", None).unwrap();
    assert_eq!(it.status, ItemStatus::Missing);
    assert!(it.detail.contains("2026-03-02"), "{}", it.detail);

    // Category (c): institution certificate and nationality proof; duty not waived.
    let details = Details::SimplifiedCitizenship {
        category: CitizenshipCategory::EthnicKazakhStudent,
        family: vec![],
    };
    let items = checklist(&case(&details, d(2026, 3, 2), &adult(), &[], &[], None));
    required(&items, "citizenship.study_certificate");
    required(&items, "citizenship.nationality_proof");
    required(&items, "citizenship.state_duty");
    assert!(item(&items, "citizenship.kandas_certificate", None).is_none());
}

#[test]
fn extension_asks_for_the_application_only() {
    let details = Details::KandasStatusExtension;
    let applicant = adult();
    let items = checklist(&case(&details, d(2026, 2, 1), &applicant, &[], &[], None));
    required(&items, "extension.application_form");
    let it = item(&items, "extension.kandas_certificate", None).unwrap();
    assert_eq!(it.status, ItemStatus::Missing);
    assert!(!it.detail.is_empty());

    let mut applicant = adult();
    applicant.kandas_statuses.push(kandas_record(
        "applications/k1",
        d(2025, 3, 1),
        d(2026, 3, 1),
    ));
    let items = checklist(&case(&details, d(2026, 2, 1), &applicant, &[], &[], None));
    let it = item(&items, "extension.kandas_certificate", None).unwrap();
    assert_eq!(it.status, ItemStatus::SatisfiedFromRecords);
    assert_eq!(it.detail, "applications/k1");
    assert_eq!(items.len(), 2);
}

#[test]
fn photos_are_counted_and_sized_35_by_45() {
    let applicant = adult();
    let day = d(2025, 9, 15);
    let details = permit(PermitCategory::KandasAndFamily, vec![]);
    for (photo, expected) in [
        (photos(1, 35, 45), ItemStatus::Satisfied),
        (photos(2, 35, 45), ItemStatus::Satisfied),
        (photos(0, 35, 45), ItemStatus::Invalid),
        (photos(1, 30, 40), ItemStatus::Invalid),
        (doc(T::Photo), ItemStatus::Invalid),
    ] {
        let docs = [photo];
        let items = checklist(&case(&details, day, &applicant, &[], &docs, None));
        assert_eq!(status(&items, "permit.photo", None), expected);
    }
    let citizenship = Details::SimplifiedCitizenship {
        category: CitizenshipCategory::RepressionVictimDescendant,
        family: vec![],
    };
    for (count, expected) in [(4, ItemStatus::Satisfied), (3, ItemStatus::Invalid)] {
        let docs = [photos(count, 35, 45)];
        let items = checklist(&case(&citizenship, day, &applicant, &[], &docs, None));
        let it = item(&items, "citizenship.photos", None).unwrap();
        assert_eq!(it.status, expected, "{count}: {}", it.detail);
    }
    // Stateless certificate: three photos in paper form only.
    let paper = Details::StatelessPersonCertificate { paper_form: true };
    let docs = [photos(3, 35, 45)];
    let items = checklist(&case(&paper, day, &applicant, &[], &docs, None));
    assert_eq!(
        status(&items, "stateless.photos", None),
        ItemStatus::Satisfied
    );
    let docs = [photos(2, 35, 45)];
    let items = checklist(&case(&paper, day, &applicant, &[], &docs, None));
    assert_eq!(
        status(&items, "stateless.photos", None),
        ItemStatus::Invalid
    );
    let electronic = Details::StatelessPersonCertificate { paper_form: false };
    let items = checklist(&case(&electronic, day, &applicant, &[], &[], None));
    assert!(item(&items, "stateless.photos", None).is_none());
}

#[test]
fn foreign_language_identity_document_needs_a_notarized_translation() {
    let applicant = adult();
    let details = Details::KandasStatusAssignment {
        grounds: vec![KandasGround::EmployerInvitation],
        nationality_in_identity_document: false,
        consent_via_foreign_institution: true,
        family: vec![],
    };
    let day = d(2025, 9, 15);
    let mut untranslated = passport(d(2030, 1, 1));
    untranslated.translation = None;
    let docs = [untranslated.clone()];
    let items = checklist(&case(&details, day, &applicant, &[], &docs, None));
    let it = item(&items, "kandas.identity_document", None).unwrap();
    assert_eq!(it.status, ItemStatus::Invalid);
    assert!(it.detail.contains("notarized translation"), "{}", it.detail);
    untranslated.translation = Some(Translation {
        language: "ru".into(),
        notarized: false,
    });
    let docs = [untranslated];
    let items = checklist(&case(&details, day, &applicant, &[], &docs, None));
    assert_eq!(
        status(&items, "kandas.identity_document", None),
        ItemStatus::Invalid
    );
    let docs = [passport(d(2030, 1, 1))];
    let items = checklist(&case(&details, day, &applicant, &[], &docs, None));
    assert_eq!(
        status(&items, "kandas.identity_document", None),
        ItemStatus::Satisfied
    );
    // Conditions of 5.2.
    required(&items, "kandas.nationality_proof");
    required(&items, "kandas.employer_invitation");
    required(&items, "kandas.prior_consent_decision");
    assert!(item(&items, "kandas.kinship_proof", None).is_none());
    assert!(item(&items, "kandas.study_certificate", None).is_none());
}

fn registration(
    by_representative: bool,
    owner_is_organisation: bool,
    family: Vec<FamilyMember>,
) -> Details {
    Details::ResidenceRegistration {
        kind: RegistrationKind::Permanent,
        region: crate::regions::Region::Pavlodar,
        address: "Pavlodar, Lenin St 1".into(),
        until: None,
        by_representative,
        owner_is_organisation,
        family,
    }
}

#[test]
fn registration_asks_identity_from_14_and_authority_for_children() {
    let applicant = adult();
    let day = d(2026, 6, 1);
    let fourteen = person(d(2012, 6, 1));
    let thirteen = person(d(2012, 6, 2));
    let details = registration(false, false, vec![child(&fourteen), child(&thirteen)]);
    let family = [fourteen.clone(), thirteen.clone()];
    let items = checklist(&case(&details, day, &applicant, &family, &[], None));
    let identity = "registration.identity_document";
    required(&items, identity);
    assert_eq!(
        status(&items, identity, Some(fourteen.person_id)),
        ItemStatus::Missing
    );
    assert!(item(&items, identity, Some(thirteen.person_id)).is_none());
    for kid in [&fourteen, &thirteen] {
        assert_eq!(
            status(
                &items,
                "registration.representative_authority",
                Some(kid.person_id)
            ),
            ItemStatus::Missing
        );
    }
    required(&items, "registration.owner_identity_document");
    required(&items, "registration.owner_consent");
    assert!(item(&items, "registration.organisation_request", None).is_none());
    assert!(item(&items, "registration.power_of_attorney", None).is_none());

    // Copies are not accepted; originals and electronic documents are.
    let mut copy = passport(d(2030, 1, 1));
    copy.form = DocumentForm::Copy;
    let mut electronic = copy.clone();
    electronic.form = DocumentForm::Electronic;
    for (document, expected) in [
        (copy, ItemStatus::Invalid),
        (electronic, ItemStatus::Satisfied),
    ] {
        let docs = [document];
        let items = checklist(&case(&details, day, &applicant, &family, &docs, None));
        assert_eq!(status(&items, identity, None), expected);
    }

    // An authorised person with a power of attorney; an organisation's dwelling.
    let details = registration(true, true, vec![child(&thirteen)]);
    let family = [thirteen.clone()];
    let items = checklist(&case(&details, day, &applicant, &family, &[], None));
    let it = item(
        &items,
        "registration.representative_authority",
        Some(thirteen.person_id),
    )
    .unwrap();
    assert_eq!(it.status, ItemStatus::Waived);
    assert!(
        it.legal_basis
            .contains("Permanent and temporary registration")
    );
    required(&items, "registration.power_of_attorney");
    required(&items, "registration.organisation_request");
    assert!(item(&items, "registration.owner_consent", None).is_none());
}

#[test]
fn stateless_certificate_accepts_one_of_the_listed_documents() {
    let day = d(2026, 6, 1);
    let details = Details::StatelessPersonCertificate { paper_form: false };
    let adult = adult();
    let expired = [passport(d(2020, 1, 1))];
    let items = checklist(&case(&details, day, &adult, &[], &expired, None));
    assert_eq!(
        status(&items, "stateless.identity_basis", None),
        ItemStatus::Satisfied
    );
    let military = [doc(T::MilitaryId)];
    let items = checklist(&case(&details, day, &adult, &[], &military, None));
    assert_eq!(
        status(&items, "stateless.identity_basis", None),
        ItemStatus::Satisfied
    );
    let birth = [doc(T::BirthCertificate)];
    let items = checklist(&case(&details, day, &adult, &[], &birth, None));
    assert_eq!(
        status(&items, "stateless.identity_basis", None),
        ItemStatus::Missing
    );
    let minor = person(d(2011, 1, 1));
    let items = checklist(&case(&details, day, &minor, &[], &birth, None));
    assert_eq!(
        status(&items, "stateless.identity_basis", None),
        ItemStatus::Satisfied
    );
}

fn every_details(family: &[FamilyMember]) -> Vec<Details> {
    vec![
        Details::IinAssignment {
            by_representative: true,
        },
        Details::KandasStatusAssignment {
            grounds: vec![
                KandasGround::FamilyReunification,
                KandasGround::EmployerInvitation,
                KandasGround::HigherEducationStudent,
            ],
            nationality_in_identity_document: false,
            consent_via_foreign_institution: true,
            family: family.to_vec(),
        },
        Details::KandasStatusExtension,
        permit(PermitCategory::KandasAndFamily, family.to_vec()),
        permit_with(|d| {
            if let Details::PermanentResidencePermit {
                without_identity_document,
                family: f,
                ..
            } = d
            {
                *without_identity_document = true;
                *f = family.to_vec();
            }
        }),
        Details::ResidencePermitCard { renewal: true },
        Details::StatelessPersonCertificate { paper_form: true },
        registration(false, false, family.to_vec()),
        registration(true, true, family.to_vec()),
        Details::SimplifiedCitizenship {
            category: CitizenshipCategory::Kandas,
            family: family.to_vec(),
        },
        Details::SimplifiedCitizenship {
            category: CitizenshipCategory::EthnicKazakhStudent,
            family: family.to_vec(),
        },
    ]
}

#[test]
fn list_required_documents_reports_only_missing_waived_or_from_records() {
    let applicant = PersonRecords::new(Uuid::new_v4(), d(1980, 1, 1));
    let teen = PersonRecords::new(Uuid::new_v4(), d(2010, 9, 1));
    let baby = PersonRecords::new(Uuid::new_v4(), d(2024, 9, 1));
    let members = [child(&teen), child(&baby)];
    let family = [teen.clone(), baby.clone()];
    for mci in [None, Some(4_325)] {
        for details in every_details(&members) {
            let items = checklist(&case(
                &details,
                d(2026, 3, 2),
                &applicant,
                &family,
                &[],
                mci,
            ));
            assert!(!items.is_empty(), "{details:?}");
            for it in &items {
                assert!(
                    matches!(
                        it.status,
                        ItemStatus::Missing | ItemStatus::Waived | ItemStatus::SatisfiedFromRecords
                    ),
                    "{details:?}: {it:?}"
                );
                assert!(!it.legal_basis.is_empty() && !it.description.is_empty());
                let prefix = it.requirement.split('.').next().unwrap();
                let expected = match details.procedure() {
                    Procedure::IinAssignment => "iin",
                    Procedure::KandasStatusAssignment => "kandas",
                    Procedure::KandasStatusExtension => "extension",
                    Procedure::PermanentResidencePermit => "permit",
                    Procedure::ResidencePermitCard => "card",
                    Procedure::StatelessPersonCertificate => "stateless",
                    Procedure::ResidenceRegistration => "registration",
                    Procedure::RegionalQuotaInclusion => "quota",
                    Procedure::SimplifiedCitizenship => "citizenship",
                };
                assert_eq!(prefix, expected);
                assert!(
                    requirements(details.procedure())
                        .iter()
                        .any(|r| r.id == it.requirement),
                    "{} not in the catalogue",
                    it.requirement
                );
            }
            // One item per requirement and holder.
            let mut keys: Vec<_> = items.iter().map(|i| (&i.requirement, i.holder)).collect();
            keys.sort();
            let before = keys.len();
            keys.dedup();
            assert_eq!(before, keys.len(), "{details:?}");
        }
    }
}

#[test]
fn iin_assignment_is_delegated_unchanged() {
    let applicant = adult();
    let details = Details::IinAssignment {
        by_representative: false,
    };
    let docs = [passport(d(2030, 1, 1))];
    let day = d(2026, 3, 2);
    assert_eq!(
        checklist(&case(&details, day, &applicant, &[], &docs, None)),
        iin_assignment::checklist(false, Role::Psc, &docs, day)
    );
    assert_eq!(
        applied(&case(&details, day, &applicant, &[], &docs, None)).len(),
        2
    );
}

#[test]
fn the_filing_role_reaches_the_iin_checklist() {
    let applicant = adult();
    let details = Details::IinAssignment {
        by_representative: false,
    };
    let docs = [passport(d(2030, 1, 1))];
    let day = d(2026, 3, 2);
    let by_intermediary = Case {
        filed_by: Role::Intermediary,
        ..case(&details, day, &applicant, &[], &docs, None)
    };
    let items = checklist(&by_intermediary);
    assert_eq!(
        items,
        iin_assignment::checklist(false, Role::Intermediary, &docs, day)
    );
    assert_eq!(
        status(&items, "iin.consent_form", None),
        ItemStatus::Missing
    );
    assert_eq!(applied(&by_intermediary).len(), 3);
    let by_portal = Case {
        filed_by: Role::Portal,
        ..case(&details, day, &applicant, &[], &docs, None)
    };
    assert!(item(&checklist(&by_portal), "iin.consent_form", None).is_none());
}

#[test]
fn catalogue_ids_are_unique_per_procedure_and_reuse_is_decided_per_document() {
    for procedure in Procedure::ALL {
        let reqs = requirements(procedure);
        let mut ids: Vec<_> = reqs.iter().map(|r| r.id).collect();
        ids.sort();
        ids.dedup();
        // The stateless identity basis has an under-16 variant under the same id.
        let variants = usize::from(procedure == Procedure::StatelessPersonCertificate);
        assert_eq!(ids.len() + variants, reqs.len(), "{procedure:?}");
        for r in reqs {
            assert!(!r.accepted.is_empty());
            let one_off = [
                T::ApplicationForm,
                T::StateDutyPayment,
                T::Photo,
                T::MedicalCertificate,
                T::ChildConsent,
                T::SolvencyProof,
            ];
            if one_off.contains(&r.accepted[0]) {
                assert!(!r.reusable, "{}", r.id);
            }
            if matches!(
                r.accepted[0],
                T::BirthCertificate | T::NationalityProof | T::Biography
            ) {
                assert!(r.reusable, "{}", r.id);
            }
        }
    }
}

mod legal_basis;
mod permit;
mod reuse;

//! What the door says about a submission (SPEC §5 "incomplete is refused at the door"): the
//! catalogue's checklist and every unmet blocking prerequisite of everyone in the
//! application, including what quota eligibility adds (SPEC §6).

use super::catalogue;
use super::details::{Details, FamilyMember};
use super::documents::{ChecklistItem, Document, DocumentType};
use super::money::Mci;
use super::prerequisites::{self, Prerequisite, PrerequisiteCode, PrerequisiteQuery};
use super::records::{Evidence, PersonRecords, age_on};
use super::role::Role;
use chrono::NaiveDate;
use uuid::Uuid;

/// A submission as parsed at the edge: who, what, with which documents.
#[derive(Debug, Clone)]
pub struct Submission {
    pub applicant: Uuid,
    pub details: Details,
    pub documents: Vec<Document>,
}

/// The applicant and each family member with what is on record for them.
#[derive(Debug, Clone)]
pub struct People {
    pub applicant: PersonRecords,
    pub family: Vec<(FamilyMember, PersonRecords)>,
}

impl People {
    pub fn everyone(&self) -> impl Iterator<Item = &PersonRecords> {
        std::iter::once(&self.applicant).chain(self.family.iter().map(|(_, r)| r))
    }
}

/// An unmet blocking prerequisite of one person (`persons/{id}`).
#[derive(Debug, Clone)]
pub struct Unmet {
    pub person: String,
    pub check: Prerequisite,
}

/// The checklist and every unmet prerequisite.
#[derive(Debug, Clone)]
pub struct Assessment {
    pub checklist: Vec<ChecklistItem>,
    pub unmet: Vec<Unmet>,
}

impl Assessment {
    pub fn complete(&self) -> bool {
        self.unmet.is_empty() && !self.checklist.iter().any(ChecklistItem::is_problem)
    }
}

/// The identity document presented now for `holder`: the passport prerequisites judge by.
pub fn presented_passport(
    documents: &[Document],
    holder: Option<Uuid>,
) -> Option<(NaiveDate, Evidence)> {
    documents
        .iter()
        .enumerate()
        .filter(|(_, d)| {
            d.holder == holder
                && matches!(
                    d.kind,
                    DocumentType::IdentityDocument | DocumentType::StatelessPersonDocument
                )
        })
        .filter_map(|(i, d)| d.expiry_date.map(|e| (e, format!("documents[{i}]"))))
        .max_by_key(|(e, _)| *e)
}

/// The one evaluation behind CheckDocuments, ListRequiredDocuments and SubmitApplication, of
/// a submission filed by an organisation of the role `filed_by` (the caller's).
pub fn assess(
    people: &People,
    submission: &Submission,
    filed_by: Role,
    today: NaiveDate,
    mci: Option<Mci>,
) -> Assessment {
    let case = catalogue::Case {
        details: &submission.details,
        submission_date: today,
        applicant: &people.applicant,
        family: people.family.iter().map(|(m, r)| (m, r)).collect(),
        documents: &submission.documents,
        mci,
        filed_by,
    };
    let checklist = catalogue::checklist(&case);
    let query = PrerequisiteQuery::from_details(&submission.details);
    let mut unmet = Vec::new();
    for person in people.everyone() {
        let holder = (person.person_id != people.applicant.person_id).then_some(person.person_id);
        let passport = presented_passport(&submission.documents, holder)
            .or_else(|| prerequisites::passport_on_record(person));
        // Decision: a family member under 16 is identified by a birth certificate (SPEC
        // 5.3), so the passport rules bind them only when they do hold a passport.
        let passportless_child =
            holder.is_some() && passport.is_none() && age_on(person.birth_date, today) < 16;
        let checks = prerequisites::check(&query, person, passport, today);
        unmet.extend(
            prerequisites::unmet(&checks)
                .filter(|c| {
                    !(passportless_child
                        && [
                            prerequisites::PASSPORT_VALID_180_DAYS,
                            prerequisites::PASSPORT_VALID,
                        ]
                        .contains(&c.code))
                })
                .map(|check| Unmet {
                    person: person.person.clone(),
                    check: check.clone(),
                }),
        );
    }
    Assessment { checklist, unmet }
}

/// What the store knows that quota eligibility needs: whether the region has a quota that
/// year, and who of the family was ever included, in which application.
#[derive(Debug, Clone, Default)]
pub struct QuotaFacts {
    pub quota_exists: bool,
    pub already_included: Vec<(Uuid, Uuid)>,
}

/// What quota eligibility needs beyond the common prerequisites (SPEC 6): the permanent
/// registration is in the region applied for, that region has a quota that year, and nobody
/// in the family was ever included before.
pub fn quota_eligibility(
    people: &People,
    details: &Details,
    facts: &QuotaFacts,
    today: NaiveDate,
) -> Vec<Unmet> {
    let Details::RegionalQuotaInclusion { region, year, .. } = details else {
        return Vec::new();
    };
    // SPEC 6; seed 000 (2025), SPEC (2026).
    const BASIS: &str = "Regional quota for accepting kandas: Government resolution (2025), \
        Labour Ministry order of 12 December 2025 (2026)";
    let unmet = |person: &PersonRecords,
                 code: PrerequisiteCode,
                 description: String,
                 evidence: Option<String>| Unmet {
        person: person.person.clone(),
        check: Prerequisite {
            code,
            description,
            satisfied: false,
            evidence,
            legal_basis: BASIS,
            earliest_date: None,
            blocking: true,
        },
    };
    let mut found = Vec::new();
    if !facts.quota_exists {
        found.push(unmet(
            &people.applicant,
            PrerequisiteCode::QuotaRegionOfYear,
            format!("{region} has no resettlement quota for {year}"),
            None,
        ));
    }
    if let Some(registration) = people.applicant.permanent_registration_on(today)
        && registration.region != *region
    {
        found.push(unmet(
            &people.applicant,
            PrerequisiteCode::RegisteredInQuotaRegion,
            format!(
                "the permanent registration is in {}, not in {region}",
                registration.region
            ),
            Some(registration.evidence.clone()),
        ));
    }
    for (person, application) in &facts.already_included {
        if let Some(records) = people.everyone().find(|p| p.person_id == *person) {
            found.push(unmet(
                records,
                PrerequisiteCode::NotIncludedBefore,
                "already included in a regional quota; nobody is included twice".into(),
                Some(format!("applications/{application}")),
            ));
        }
    }
    found
}

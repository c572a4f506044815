//! What the door tells a caller about persons whose files it may not read (SPEC 1.1, "every
//! read of a file counts"). An office may prepare and file for anyone who walks in, so a dry
//! run or a refused submission is evaluated on the person's records wherever they lie; for a
//! person outside the caller's jurisdiction the answer keeps whether each requirement is met,
//! and from records, and drops everything that identifies a record: its number, dates, region
//! and application.

use super::admission::{Assessment, Unmet};
use super::documents::{ChecklistItem, ItemStatus};
use uuid::Uuid;

/// What an item satisfied from records says to a caller that may not read the record.
pub const FROM_RECORDS: &str = "satisfied from the service's records";

/// `assessment` as told to a caller that may read the files of none of `unreadable`.
/// Checklist items without a holder concern `applicant`.
pub fn for_outsider(assessment: Assessment, applicant: Uuid, unreadable: &[Uuid]) -> Assessment {
    if unreadable.is_empty() {
        return assessment;
    }
    let hidden = |person: Uuid| unreadable.contains(&person);
    let names: Vec<String> = unreadable
        .iter()
        .map(|id| format!("persons/{id}"))
        .collect();
    Assessment {
        checklist: assessment
            .checklist
            .into_iter()
            .map(|item| {
                if hidden(item.holder.unwrap_or(applicant)) {
                    item_for_outsider(item)
                } else {
                    item
                }
            })
            .collect(),
        unmet: assessment
            .unmet
            .into_iter()
            .map(|unmet| {
                if names.contains(&unmet.person) {
                    unmet_for_outsider(unmet)
                } else {
                    unmet
                }
            })
            .collect(),
    }
}

fn item_for_outsider(item: ChecklistItem) -> ChecklistItem {
    match item.status {
        ItemStatus::SatisfiedFromRecords => ChecklistItem {
            detail: FROM_RECORDS.into(),
            ..item
        },
        // What was presented, a waiver's ground and what is missing are the caller's own
        // request and the catalogue's rules, not anyone's records.
        _ => item,
    }
}

fn unmet_for_outsider(mut unmet: Unmet) -> Unmet {
    unmet.check.description = unmet.check.code.rule().into();
    unmet.check.evidence = None;
    // The first date a new application is accepted tells when the refusal or offence was.
    unmet.check.earliest_date = None;
    unmet
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::DocumentType;
    use crate::prerequisites::{Prerequisite, PrerequisiteCode};
    use crate::records::Evidence;
    use chrono::NaiveDate;

    fn item(holder: Option<Uuid>, status: ItemStatus, detail: &str) -> ChecklistItem {
        ChecklistItem {
            requirement: "kandas.certificate".into(),
            document_type: DocumentType::IdentityDocument,
            holder,
            status,
            detail: detail.into(),
            legal_basis: "basis".into(),
            description: "kandas certificate".into(),
        }
    }

    fn refused_recently(person: Uuid) -> Unmet {
        Unmet {
            person: format!("persons/{person}"),
            check: Prerequisite {
                code: PrerequisiteCode::NoRefusal12Months,
                description: "refused on 2025-03-10 in KZ-75; accepted from 2026-03-11".into(),
                satisfied: false,
                evidence: Some(Evidence::from(
                    "applications/0190e1d2-0000-7000-8000-000000000001",
                )),
                legal_basis: "basis",
                earliest_date: NaiveDate::from_ymd_opt(2026, 3, 11),
                blocking: true,
            },
        }
    }

    #[test]
    fn an_outsider_learns_that_a_record_satisfies_an_item_but_not_which() {
        let applicant = Uuid::now_v7();
        let assessment = Assessment {
            checklist: vec![
                item(
                    None,
                    ItemStatus::SatisfiedFromRecords,
                    "kandas certificate KC-2026-000001 valid until 2027-05-20",
                ),
                item(None, ItemStatus::Missing, "missing: passport"),
            ],
            unmet: vec![refused_recently(applicant)],
        };
        let told = for_outsider(assessment, applicant, &[applicant]);
        assert_eq!(told.checklist[0].status, ItemStatus::SatisfiedFromRecords);
        assert_eq!(told.checklist[0].detail, FROM_RECORDS);
        assert_eq!(told.checklist[1].detail, "missing: passport");
        let check = &told.unmet[0].check;
        assert_eq!(check.code, PrerequisiteCode::NoRefusal12Months);
        assert!(!check.satisfied);
        assert_eq!(check.evidence, None);
        assert_eq!(check.earliest_date, None);
        assert!(!check.description.contains("KZ-"), "{}", check.description);
        assert!(!check.description.contains("2026"), "{}", check.description);
    }

    #[test]
    fn only_the_persons_out_of_reach_are_told_less() {
        let applicant = Uuid::now_v7();
        let member = Uuid::now_v7();
        let record = "applications/0190e1d2-0000-7000-8000-000000000002";
        let assessment = Assessment {
            checklist: vec![
                item(None, ItemStatus::SatisfiedFromRecords, record),
                item(Some(member), ItemStatus::SatisfiedFromRecords, record),
            ],
            unmet: vec![refused_recently(applicant), refused_recently(member)],
        };
        let told = for_outsider(assessment, applicant, &[member]);
        assert_eq!(told.checklist[0].detail, record);
        assert_eq!(told.checklist[1].detail, FROM_RECORDS);
        assert!(told.unmet[0].check.earliest_date.is_some());
        assert!(told.unmet[1].check.earliest_date.is_none());
    }
}

//! The facts of each step of an applicant's file (SPEC 5.8), from what its act knows. The dates
//! a notification names for what comes next are those the rules hold the applicant and the
//! state to: the last day to appeal is the one [`appeal::may_file`] accepts, the day to register
//! again the one the lapse check counts to.

use super::{Facts, IssuedNote};
use crate::appeal;
use crate::calendar::Deadline;
use crate::details::{Details, Outcome};
use crate::ids::AppealId;
use crate::issuance::{Issued, IssuedKind};
use crate::prerequisites;
use crate::procedure::Procedure;
use crate::record_life::{AnnullableKind, Annulment, RegistrationEnd};
use crate::records::{PersonRecords, RegistrationKind};
use crate::regions::Region;
use chrono::NaiveDate;
use uuid::Uuid;

/// An application was accepted on `submitted_on`, due by `deadline` where its procedure has one.
pub fn accepted(
    procedure: Procedure,
    submitted_on: NaiveDate,
    deadline: Option<Deadline>,
) -> Facts {
    Facts::Accepted {
        procedure,
        submitted_on,
        deadline: deadline.map(|d| d.date),
        provisional: deadline.is_some_and(|d| d.provisional),
    }
}

/// A decision, as its act knows it.
#[derive(Debug, Clone, Copy)]
pub struct Decision<'a> {
    pub details: &'a Details,
    /// The applicant of the application: the one the decision is told to.
    pub applicant: Uuid,
    pub decided_on: NaiveDate,
    pub outcome: &'a Outcome,
    /// A refusal's reason; empty for an approval.
    pub reason_code: &'a str,
    pub reason_text: &'a str,
    /// The monthly rent subsidy a quota inclusion set, in MCI.
    pub rent_mci: i32,
}

/// What a decision tells the applicant, in order. A quota inclusion is told as the
/// commission's quota decision (SPEC 6), never as a plain approval or refusal. An approved
/// kandas status, granted or extended, is told twice: approved, then its certificate ready for
/// download (a Public Service Center prints it on request, SPEC 5.2).
pub fn decided(decision: &Decision<'_>) -> Vec<Facts> {
    let procedure = decision.details.procedure();
    let decided_on = decision.decided_on;
    if let Details::RegionalQuotaInclusion { region, year, .. } = decision.details {
        return vec![quota_decided(decision, *region, *year)];
    }
    match decision.outcome {
        Outcome::Refused => vec![Facts::Refused {
            procedure,
            decided_on,
            reason_code: decision.reason_code.to_owned(),
            reason_text: decision.reason_text.to_owned(),
            appeal_until: appeal::last_day_to_file(decided_on),
        }],
        Outcome::IinAssigned { iin } => vec![Facts::Approved {
            procedure,
            decided_on,
            iin: Some(iin.clone()),
            issued: Vec::new(),
        }],
        Outcome::Issued { records } => {
            let approved = Facts::Approved {
                procedure,
                decided_on,
                iin: None,
                issued: records.iter().map(note).collect(),
            };
            std::iter::once(approved)
                .chain(certificate_ready(records, decision.applicant))
                .collect()
        }
    }
}

/// One thing issued, as the applicant is told of it: every record the approval issued is
/// listed, the family's too, since the applicant filed for them.
fn note(issued: &Issued) -> IssuedNote {
    IssuedNote {
        kind: issued.kind,
        number: issued.number.clone(),
        valid_until: issued.valid_until,
    }
}

/// The applicant's own kandas certificate, granted or extended, is ready for download. Family
/// members' certificates are listed in the approval; this notification is the applicant's.
fn certificate_ready(records: &[Issued], applicant: Uuid) -> Option<Facts> {
    records
        .iter()
        .filter(|r| r.person_id == applicant)
        .filter(|r| {
            matches!(
                r.kind,
                IssuedKind::KandasCertificate | IssuedKind::KandasExtension
            )
        })
        .find_map(|r| {
            Some(Facts::CertificateReady {
                certificate_number: r.number.clone(),
                valid_until: r.valid_until?,
            })
        })
}

/// The commission's quota decision: included with the places the family takes and the rent
/// subsidy set, or refused with the reason and the last day to appeal.
fn quota_decided(decision: &Decision<'_>, region: Region, year: i32) -> Facts {
    let included = !matches!(decision.outcome, Outcome::Refused);
    let family_size = i32::try_from(decision.details.family().len())
        .unwrap_or(i32::MAX)
        .saturating_add(1);
    Facts::QuotaDecided {
        region,
        year,
        decided_on: decision.decided_on,
        included,
        places: if included { family_size } else { 0 },
        rent_mci: if included { decision.rent_mci } else { 0 },
        reason_code: if included {
            String::new()
        } else {
            decision.reason_code.to_owned()
        },
        appeal_until: (!included).then(|| appeal::last_day_to_file(decision.decided_on)),
    }
}

/// An appeal was filed on `filed_on`, to be decided by `decide_by` (the term of
/// [`appeal::DECISION_TERM`] as the appeal stores it).
pub fn appeal_filed(appeal: AppealId, filed_on: NaiveDate, decide_by: NaiveDate) -> Facts {
    Facts::AppealFiled {
        appeal: appeal.to_string(),
        filed_on,
        decide_by,
    }
}

/// An appeal was decided: upheld (`new_deadline` is `None`, the refusal stands), or overturned,
/// the application open again and due by `new_deadline` where its procedure has a term.
pub fn appeal_decided(
    appeal: AppealId,
    decided_on: NaiveDate,
    overturned: bool,
    new_deadline: Option<NaiveDate>,
) -> Facts {
    Facts::AppealDecided {
        appeal: appeal.to_string(),
        decided_on,
        upheld: !overturned,
        new_deadline: new_deadline.filter(|_| overturned),
    }
}

/// A kandas status or a permit of the applicant was annulled; a permit's cards fall with it.
pub fn record_annulled(
    kind: AnnullableKind,
    number: &str,
    annulment: &Annulment,
    cards: Vec<String>,
) -> Facts {
    Facts::RecordAnnulled {
        record: match kind {
            AnnullableKind::KandasStatus => "kandas_status",
            AnnullableKind::Permit => "permit",
        }
        .to_owned(),
        number: number.to_owned(),
        annulled_on: annulment.from,
        ground: annulment.ground.as_str().to_owned(),
        legal_basis: annulment.legal_basis.clone(),
        cards: match kind {
            AnnullableKind::Permit => cards,
            AnnullableKind::KandasStatus => Vec::new(),
        },
    }
}

/// Police ended a registration of the applicant; `holder` is what is on record of them with
/// the end applied.
pub fn registration_ended(
    kind: RegistrationKind,
    region: Region,
    end: RegistrationEnd,
    holder: &PersonRecords,
) -> Facts {
    Facts::RegistrationEnded {
        registration_kind: kind.as_str().to_owned(),
        region,
        last_day: end.last_day,
        reason: end.reason.as_str().to_owned(),
        register_again_by: register_again_by(kind, end.last_day, holder),
    }
}

/// For an ended permanent registration of a permit holder left with no other one, the last
/// day to register permanently again before the 10-day rule of SPEC 5.5 is broken, counted as
/// the lapse check counts: from the later of that last day and the permit's grant.
pub fn register_again_by(
    kind: RegistrationKind,
    last_day: NaiveDate,
    holder: &PersonRecords,
) -> Option<NaiveDate> {
    if kind != RegistrationKind::Permanent {
        return None;
    }
    let first_unregistered = last_day.succ_opt()?;
    if holder
        .permanent_registration_on(first_unregistered)
        .is_some()
    {
        return None;
    }
    let permit = holder.permit_on(first_unregistered)?;
    Some(prerequisites::register_again_by(
        last_day.max(permit.granted_on),
    ))
}

/// Whether the state has missed a legal `deadline` on `today`: a deadline is met through the
/// whole of its last day, so it is missed from the day after, and the applicant is told then.
pub fn deadline_missed_on(deadline: NaiveDate, today: NaiveDate) -> bool {
    deadline < today
}

/// The state let `deadline` pass without deciding an application of `procedure`.
pub fn deadline_missed(procedure: Procedure, deadline: NaiveDate) -> Facts {
    Facts::DeadlineMissed {
        procedure,
        deadline,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{Calendar, Term};
    use crate::details::{FamilyMember, Relation};
    use crate::issuance;
    use crate::prerequisites::{PrerequisiteCode, PrerequisiteQuery};
    use crate::record_life::{AnnulmentGround, EndReason};
    use crate::records::{PermitRecord, RegistrationRecord};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn issued(person: Uuid, kind: IssuedKind, number: &str, until: Option<NaiveDate>) -> Issued {
        Issued {
            person_id: person,
            kind,
            number: number.into(),
            valid_from: Some(d(2025, 5, 20)),
            valid_until: until,
            region: String::new(),
            address: String::new(),
        }
    }

    fn decision<'a>(details: &'a Details, applicant: Uuid, outcome: &'a Outcome) -> Decision<'a> {
        Decision {
            details,
            applicant,
            decided_on: d(2025, 3, 10),
            outcome,
            reason_code: "",
            reason_text: "",
            rent_mci: 0,
        }
    }

    fn kandas_details(family: &[Uuid]) -> Details {
        Details::KandasStatusAssignment {
            grounds: vec![crate::details::KandasGround::QuotaRegionResettlement],
            nationality_in_identity_document: true,
            consent_via_foreign_institution: false,
            family: members(family),
        }
    }

    fn members(family: &[Uuid]) -> Vec<FamilyMember> {
        family
            .iter()
            .map(|&person_id| FamilyMember {
                person_id,
                relation: Relation::Spouse,
            })
            .collect()
    }

    #[test]
    fn an_iin_accepted_on_friday_7_march_2025_is_due_on_13_march() {
        // SPEC 3: 3 working days from Friday 2025-03-07 (8-9 weekend, 10 a holiday).
        let calendar = Calendar::kazakhstan_default();
        let deadline = calendar.deadline(d(2025, 3, 7), Term::WorkingDays(3));
        assert_eq!(
            accepted(Procedure::IinAssignment, d(2025, 3, 7), Some(deadline)),
            Facts::Accepted {
                procedure: Procedure::IinAssignment,
                submitted_on: d(2025, 3, 7),
                deadline: Some(d(2025, 3, 13)),
                provisional: false,
            }
        );
        // A registration is decided on the spot: no deadline.
        assert_eq!(
            accepted(Procedure::ResidenceRegistration, d(2025, 3, 7), None),
            Facts::Accepted {
                procedure: Procedure::ResidenceRegistration,
                submitted_on: d(2025, 3, 7),
                deadline: None,
                provisional: false,
            }
        );
    }

    #[test]
    fn a_missed_deadline_is_told_on_the_day_after_and_not_on_the_day() {
        let deadline = d(2025, 3, 13);
        assert!(!deadline_missed_on(deadline, d(2025, 3, 12)));
        assert!(!deadline_missed_on(deadline, d(2025, 3, 13)));
        assert!(deadline_missed_on(deadline, d(2025, 3, 14)));
        assert_eq!(
            deadline_missed(Procedure::IinAssignment, deadline),
            Facts::DeadlineMissed {
                procedure: Procedure::IinAssignment,
                deadline,
            }
        );
    }

    #[test]
    fn a_refusal_names_the_last_day_the_appeal_is_accepted() {
        let details = Details::IinAssignment {
            by_representative: false,
        };
        let refused = Decision {
            reason_code: "FORGED_DOCUMENT",
            reason_text: "the passport did not check out",
            decided_on: d(2026, 3, 7),
            ..decision(&details, Uuid::nil(), &Outcome::Refused)
        };
        // Refused 2026-03-07: the window ends Sunday 2026-06-07, no move to a working day.
        let facts = decided(&refused);
        assert_eq!(
            facts,
            vec![Facts::Refused {
                procedure: Procedure::IinAssignment,
                decided_on: d(2026, 3, 7),
                reason_code: "FORGED_DOCUMENT".into(),
                reason_text: "the passport did not check out".into(),
                appeal_until: d(2026, 6, 7),
            }]
        );
        // The day named is the last one `may_file` accepts, and the day after is refused.
        assert_eq!(appeal::may_file(d(2026, 6, 7), d(2026, 3, 7)), Ok(()));
        assert!(appeal::may_file(d(2026, 6, 8), d(2026, 3, 7)).is_err());
        // Refused 30 November: the last day is 28 February.
        let november = Decision {
            decided_on: d(2026, 11, 30),
            ..refused
        };
        assert!(matches!(
            decided(&november)[0],
            Facts::Refused { appeal_until, .. } if appeal_until == d(2027, 2, 28)
        ));
    }

    #[test]
    fn an_iin_approval_names_the_iin_and_issues_nothing_else() {
        let details = Details::IinAssignment {
            by_representative: false,
        };
        let outcome = Outcome::IinAssigned {
            iin: "871008401427".into(),
        };
        assert_eq!(
            decided(&decision(&details, Uuid::nil(), &outcome)),
            vec![Facts::Approved {
                procedure: Procedure::IinAssignment,
                decided_on: d(2025, 3, 10),
                iin: Some("871008401427".into()),
                issued: Vec::new(),
            }]
        );
    }

    #[test]
    fn a_kandas_status_lists_the_family_and_readies_the_applicants_certificate() {
        let (applicant, spouse) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let details = kandas_details(&[spouse]);
        // SPEC 3: decided 2025-05-20, valid through 2026-05-20.
        let (_, until) = issuance::kandas_validity(d(2025, 5, 20));
        assert_eq!(until, d(2026, 5, 20));
        // The family's record is issued first here: the applicant's is found all the same.
        let outcome = Outcome::Issued {
            records: vec![
                issued(
                    spouse,
                    IssuedKind::KandasCertificate,
                    "KC-2025-2",
                    Some(until),
                ),
                issued(
                    applicant,
                    IssuedKind::KandasCertificate,
                    "KC-2025-1",
                    Some(until),
                ),
            ],
        };
        let facts = decided(&Decision {
            decided_on: d(2025, 5, 20),
            ..decision(&details, applicant, &outcome)
        });
        assert_eq!(
            facts,
            vec![
                Facts::Approved {
                    procedure: Procedure::KandasStatusAssignment,
                    decided_on: d(2025, 5, 20),
                    iin: None,
                    issued: vec![
                        IssuedNote {
                            kind: IssuedKind::KandasCertificate,
                            number: "KC-2025-2".into(),
                            valid_until: Some(until),
                        },
                        IssuedNote {
                            kind: IssuedKind::KandasCertificate,
                            number: "KC-2025-1".into(),
                            valid_until: Some(until),
                        },
                    ],
                },
                Facts::CertificateReady {
                    certificate_number: "KC-2025-1".into(),
                    valid_until: d(2026, 5, 20),
                },
            ]
        );
    }

    #[test]
    fn an_extension_readies_the_same_certificate_with_its_new_validity() {
        let applicant = Uuid::from_u128(1);
        let details = Details::KandasStatusExtension;
        let outcome = Outcome::Issued {
            records: vec![issued(
                applicant,
                IssuedKind::KandasExtension,
                "KC-2024-7",
                Some(d(2026, 5, 20)),
            )],
        };
        let facts = decided(&decision(&details, applicant, &outcome));
        assert_eq!(facts.len(), 2);
        assert_eq!(
            facts[1],
            Facts::CertificateReady {
                certificate_number: "KC-2024-7".into(),
                valid_until: d(2026, 5, 20),
            }
        );
    }

    #[test]
    fn a_permit_approval_is_one_notification_listing_every_permit() {
        let (applicant, child) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let details = Details::PermanentResidencePermit {
            category: crate::details::PermitCategory::KandasAndFamily,
            ethnic_kazakh_from_prc: false,
            treaty_simplified_citizenship: false,
            former_compatriot: false,
            refugee_or_asylum: false,
            without_identity_document: false,
            family: members(&[child]),
        };
        let outcome = Outcome::Issued {
            records: vec![
                issued(
                    applicant,
                    IssuedKind::PermanentResidencePermit,
                    "PRP-1",
                    None,
                ),
                issued(child, IssuedKind::PermanentResidencePermit, "PRP-2", None),
            ],
        };
        let facts = decided(&decision(&details, applicant, &outcome));
        assert!(matches!(
            &facts[..],
            [Facts::Approved { issued, .. }] if issued.len() == 2 && issued[1].number == "PRP-2"
        ));
    }

    #[test]
    fn a_quota_decision_is_told_as_such_with_the_places_and_rent_or_the_appeal() {
        let applicant = Uuid::from_u128(1);
        let family = [Uuid::from_u128(2), Uuid::from_u128(3), Uuid::from_u128(4)];
        let details = Details::RegionalQuotaInclusion {
            region: Region::parse("KZ-55").unwrap(),
            year: 2025,
            family: members(&family),
        };
        let outcome = Outcome::Issued {
            records: vec![issued(applicant, IssuedKind::QuotaInclusion, "QI-1", None)],
        };
        let included = decided(&Decision {
            rent_mci: 15,
            ..decision(&details, applicant, &outcome)
        });
        assert_eq!(
            included,
            vec![Facts::QuotaDecided {
                region: Region::parse("KZ-55").unwrap(),
                year: 2025,
                decided_on: d(2025, 3, 10),
                included: true,
                places: 4,
                rent_mci: 15,
                reason_code: String::new(),
                appeal_until: None,
            }]
        );
        let refused = decided(&Decision {
            reason_code: "NOT_ELIGIBLE",
            reason_text: "no permanent registration in the region",
            rent_mci: 15,
            ..decision(&details, applicant, &Outcome::Refused)
        });
        assert_eq!(
            refused,
            vec![Facts::QuotaDecided {
                region: Region::parse("KZ-55").unwrap(),
                year: 2025,
                decided_on: d(2025, 3, 10),
                included: false,
                places: 0,
                rent_mci: 0,
                reason_code: "NOT_ELIGIBLE".into(),
                appeal_until: Some(d(2025, 6, 10)),
            }]
        );
    }

    #[test]
    fn an_appeal_names_its_decision_day_and_an_overturn_the_new_deadline() {
        let calendar = Calendar::kazakhstan_default();
        let appeal = AppealId::from(Uuid::from_u128(9));
        // Filed Friday 2026-06-05: the 5th working day after is Friday 2026-06-12.
        let decide_by = calendar.deadline(d(2026, 6, 5), appeal::DECISION_TERM).date;
        assert_eq!(
            appeal_filed(appeal, d(2026, 6, 5), decide_by),
            Facts::AppealFiled {
                appeal: appeal.to_string(),
                filed_on: d(2026, 6, 5),
                decide_by: d(2026, 6, 12),
            }
        );
        assert_eq!(
            appeal_decided(appeal, d(2026, 6, 8), false, None),
            Facts::AppealDecided {
                appeal: appeal.to_string(),
                decided_on: d(2026, 6, 8),
                upheld: true,
                new_deadline: None,
            }
        );
        // Overturned Friday 2025-03-07 on an IIN: due again 3 working days later, 2025-03-13.
        let again = calendar.deadline(d(2025, 3, 7), Term::WorkingDays(3)).date;
        assert_eq!(
            appeal_decided(appeal, d(2025, 3, 7), true, Some(again)),
            Facts::AppealDecided {
                appeal: appeal.to_string(),
                decided_on: d(2025, 3, 7),
                upheld: false,
                new_deadline: Some(d(2025, 3, 13)),
            }
        );
    }

    #[test]
    fn an_annulled_permit_names_its_cards_and_a_status_none() {
        let annulment = Annulment {
            from: d(2026, 6, 10),
            ground: AnnulmentGround::FalseDocuments,
            legal_basis: "Law on Migration of the Population, art. 51".into(),
        };
        assert_eq!(
            record_annulled(
                AnnullableKind::Permit,
                "PRP-2026-1",
                &annulment,
                vec!["RPC-2026-1".into()]
            ),
            Facts::RecordAnnulled {
                record: "permit".into(),
                number: "PRP-2026-1".into(),
                annulled_on: d(2026, 6, 10),
                ground: "false_documents".into(),
                legal_basis: "Law on Migration of the Population, art. 51".into(),
                cards: vec!["RPC-2026-1".into()],
            }
        );
        assert!(matches!(
            record_annulled(AnnullableKind::KandasStatus, "KC-1", &annulment, Vec::new()),
            Facts::RecordAnnulled { record, cards, .. } if record == "kandas_status" && cards.is_empty()
        ));
    }

    fn permit_holder(
        granted_on: NaiveDate,
        registered: &[(NaiveDate, Option<RegistrationEnd>)],
    ) -> PersonRecords {
        let mut records = PersonRecords::new(Uuid::from_u128(1), d(1980, 1, 1));
        records.iin = Some("800101300017".into());
        records.permits.push(PermitRecord {
            evidence: "applications/1".into(),
            number: "PRP-1".into(),
            granted_on,
            annulment: None,
        });
        for (registered_on, ended) in registered {
            records.registrations.push(RegistrationRecord {
                evidence: "applications/2".into(),
                kind: RegistrationKind::Permanent,
                region: Region::parse("KZ-55").unwrap(),
                registered_on: *registered_on,
                until: None,
                ended: *ended,
            });
        }
        records
    }

    fn lapse_met(records: &PersonRecords, as_of: NaiveDate) -> bool {
        let query = PrerequisiteQuery::bare(Procedure::ResidenceRegistration);
        prerequisites::check(&query, records, None, as_of)
            .into_iter()
            .find(|p| p.code == PrerequisiteCode::RegistrationLapse)
            .expect("the lapse check is listed")
            .satisfied
    }

    #[test]
    fn an_ended_permanent_registration_names_the_tenth_day_the_lapse_check_allows() {
        // Ended with 2026-06-05 its last day: registered again by 2026-06-15, a violation on
        // the 16th (SPEC 5.5, 5.7).
        let end = RegistrationEnd {
            last_day: d(2026, 6, 5),
            reason: EndReason::MovedOut,
        };
        let holder = permit_holder(d(2026, 6, 1), &[(d(2026, 6, 1), Some(end))]);
        let region = Region::parse("KZ-55").unwrap();
        assert_eq!(
            registration_ended(RegistrationKind::Permanent, region, end, &holder),
            Facts::RegistrationEnded {
                registration_kind: "permanent".into(),
                region,
                last_day: d(2026, 6, 5),
                reason: "moved_out".into(),
                register_again_by: Some(d(2026, 6, 15)),
            }
        );
        assert!(lapse_met(&holder, d(2026, 6, 14)));
        assert!(lapse_met(&holder, d(2026, 6, 15)));
        assert!(!lapse_met(&holder, d(2026, 6, 16)));
    }

    #[test]
    fn no_day_to_register_again_without_a_permit_or_for_a_temporary_registration() {
        let end = RegistrationEnd {
            last_day: d(2026, 6, 5),
            reason: EndReason::LeftKazakhstan,
        };
        let mut holder = permit_holder(d(2026, 6, 1), &[(d(2026, 6, 1), Some(end))]);
        assert_eq!(
            register_again_by(RegistrationKind::Temporary, end.last_day, &holder),
            None
        );
        // A permit annulled from the day after the end is no permit in force then.
        holder.permits[0].annulment = Some(Annulment {
            from: d(2026, 6, 6),
            ground: AnnulmentGround::DepartureAbroad,
            legal_basis: "Law on Migration of the Population, art. 51".into(),
        });
        assert_eq!(
            register_again_by(RegistrationKind::Permanent, end.last_day, &holder),
            None
        );
        let nobody = PersonRecords::new(Uuid::from_u128(1), d(1980, 1, 1));
        assert_eq!(
            register_again_by(RegistrationKind::Permanent, end.last_day, &nobody),
            None
        );
    }

    #[test]
    fn no_day_to_register_again_while_another_permanent_registration_runs() {
        let end = RegistrationEnd {
            last_day: d(2026, 6, 5),
            reason: EndReason::MovedOut,
        };
        let holder = permit_holder(
            d(2026, 6, 1),
            &[(d(2026, 6, 1), Some(end)), (d(2026, 6, 6), None)],
        );
        assert_eq!(
            register_again_by(RegistrationKind::Permanent, end.last_day, &holder),
            None
        );
    }

    #[test]
    fn a_permit_granted_after_the_last_day_counts_from_its_grant() {
        // The lapse check counts from the later of the two; so does the notification.
        let end = RegistrationEnd {
            last_day: d(2026, 6, 5),
            reason: EndReason::MovedOut,
        };
        let holder = permit_holder(d(2026, 6, 6), &[(d(2026, 5, 1), Some(end))]);
        assert_eq!(
            register_again_by(RegistrationKind::Permanent, end.last_day, &holder),
            Some(d(2026, 6, 16))
        );
        assert!(lapse_met(&holder, d(2026, 6, 16)));
        assert!(!lapse_met(&holder, d(2026, 6, 17)));
    }
}

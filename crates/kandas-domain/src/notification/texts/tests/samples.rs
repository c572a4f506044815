//! The facts of every kind of step, with the dates its texts must show and what is due.

use super::super::*;
use crate::appeal::FILING_WINDOW;

pub(super) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Facts of one step, the dates its texts must show, and what is due.
pub(super) struct Sample {
    pub(super) facts: Facts,
    pub(super) dates: Vec<NaiveDate>,
    pub(super) due: Option<NaiveDate>,
}

pub(super) fn sample(facts: Facts, dates: &[NaiveDate], due: Option<NaiveDate>) -> Sample {
    Sample {
        facts,
        dates: dates.to_vec(),
        due,
    }
}

pub(super) fn note(kind: IssuedKind, number: &str, valid_until: Option<NaiveDate>) -> IssuedNote {
    IssuedNote {
        kind,
        number: number.into(),
        valid_until,
    }
}

/// Every kind, and each branch of a kind that tells something else.
pub(super) fn samples() -> Vec<Sample> {
    let refused_on = d(2026, 3, 10);
    vec![
        sample(
            Facts::Accepted {
                procedure: Procedure::KandasStatusAssignment,
                submitted_on: d(2026, 3, 2),
                deadline: Some(d(2026, 4, 22)),
                provisional: false,
            },
            &[d(2026, 3, 2), d(2026, 4, 22)],
            Some(d(2026, 4, 22)),
        ),
        sample(
            Facts::Accepted {
                procedure: Procedure::SimplifiedCitizenship,
                submitted_on: d(2027, 11, 1),
                deadline: Some(d(2028, 2, 1)),
                provisional: true,
            },
            &[d(2027, 11, 1), d(2028, 2, 1)],
            Some(d(2028, 2, 1)),
        ),
        sample(
            Facts::Accepted {
                procedure: Procedure::ResidenceRegistration,
                submitted_on: d(2026, 6, 1),
                deadline: None,
                provisional: false,
            },
            &[d(2026, 6, 1)],
            None,
        ),
        sample(
            Facts::Approved {
                procedure: Procedure::IinAssignment,
                decided_on: d(2026, 3, 5),
                iin: Some("900101300123".into()),
                issued: vec![],
            },
            &[d(2026, 3, 5)],
            None,
        ),
        sample(
            Facts::Approved {
                procedure: Procedure::KandasStatusAssignment,
                decided_on: d(2026, 3, 10),
                iin: None,
                issued: vec![
                    note(
                        IssuedKind::KandasCertificate,
                        "KC-000001",
                        Some(d(2027, 3, 10)),
                    ),
                    note(
                        IssuedKind::KandasCertificate,
                        "KC-000002",
                        Some(d(2027, 3, 10)),
                    ),
                ],
            },
            &[d(2026, 3, 10), d(2027, 3, 10)],
            None,
        ),
        sample(
            Facts::Approved {
                procedure: Procedure::ResidencePermitCard,
                decided_on: d(2026, 6, 1),
                iin: None,
                issued: vec![note(
                    IssuedKind::ResidencePermitCard,
                    "RPC-000007",
                    Some(d(2036, 6, 1)),
                )],
            },
            &[d(2026, 6, 1), d(2036, 6, 1)],
            None,
        ),
        sample(
            Facts::Refused {
                procedure: Procedure::PermanentResidencePermit,
                decided_on: refused_on,
                reason_code: "FALSE_DOCUMENTS".into(),
                reason_text: "the housing contract is forged".into(),
                appeal_until: FILING_WINDOW.last_day(refused_on),
            },
            &[refused_on, d(2026, 6, 10)],
            Some(d(2026, 6, 10)),
        ),
        sample(
            Facts::CertificateReady {
                certificate_number: "KC-000001".into(),
                valid_until: d(2027, 3, 10),
            },
            &[d(2027, 3, 10)],
            None,
        ),
        sample(
            Facts::QuotaDecided {
                region: Region::Pavlodar,
                year: 2026,
                decided_on: d(2026, 4, 14),
                included: true,
                places: 4,
                rent_mci: 20,
                reason_code: String::new(),
                appeal_until: None,
            },
            &[d(2026, 4, 14)],
            None,
        ),
        sample(
            Facts::QuotaDecided {
                region: Region::Astana,
                year: 2026,
                decided_on: d(2026, 4, 14),
                included: false,
                places: 0,
                rent_mci: 0,
                reason_code: "NOT_ELIGIBLE".into(),
                appeal_until: Some(d(2026, 7, 14)),
            },
            &[d(2026, 4, 14), d(2026, 7, 14)],
            Some(d(2026, 7, 14)),
        ),
        sample(
            Facts::AppealFiled {
                appeal: "applications/a/appeals/b".into(),
                filed_on: d(2026, 3, 20),
                decide_by: d(2026, 3, 27),
            },
            &[d(2026, 3, 20), d(2026, 3, 27)],
            Some(d(2026, 3, 27)),
        ),
        sample(
            Facts::AppealDecided {
                appeal: "applications/a/appeals/b".into(),
                decided_on: d(2026, 3, 26),
                upheld: true,
                new_deadline: None,
            },
            &[d(2026, 3, 26)],
            None,
        ),
        sample(
            Facts::AppealDecided {
                appeal: "applications/a/appeals/b".into(),
                decided_on: d(2026, 3, 26),
                upheld: false,
                new_deadline: Some(d(2026, 5, 25)),
            },
            &[d(2026, 3, 26), d(2026, 5, 25)],
            Some(d(2026, 5, 25)),
        ),
        sample(
            Facts::RecordAnnulled {
                record: "permit".into(),
                number: "PRP-000003".into(),
                annulled_on: d(2026, 9, 1),
                ground: "administrative_violation".into(),
                legal_basis: "Law on Migration of the Population, art. 51".into(),
                cards: vec!["RPC-000004".into(), "RPC-000005".into()],
            },
            &[d(2026, 9, 1)],
            None,
        ),
        sample(
            Facts::RecordAnnulled {
                record: "kandas_status".into(),
                number: "KC-000001".into(),
                annulled_on: d(2026, 9, 1),
                ground: "false_documents".into(),
                legal_basis: String::new(),
                cards: vec![],
            },
            &[d(2026, 9, 1)],
            None,
        ),
        sample(
            Facts::RegistrationEnded {
                registration_kind: "permanent".into(),
                region: Region::Pavlodar,
                last_day: d(2026, 6, 5),
                reason: "owner_consent_withdrawn".into(),
                register_again_by: Some(d(2026, 6, 15)),
            },
            &[d(2026, 6, 5), d(2026, 6, 15)],
            Some(d(2026, 6, 15)),
        ),
        sample(
            Facts::RegistrationEnded {
                registration_kind: "temporary".into(),
                region: Region::Almaty,
                last_day: d(2026, 6, 5),
                reason: "moved_out".into(),
                register_again_by: None,
            },
            &[d(2026, 6, 5)],
            None,
        ),
        sample(
            Facts::DeadlineMissed {
                procedure: Procedure::RegionalQuotaInclusion,
                deadline: d(2026, 4, 20),
            },
            &[d(2026, 4, 20)],
            None,
        ),
    ]
}

pub(super) fn all_told() -> Vec<(Facts, Language, Told)> {
    let mut told = Vec::new();
    for s in samples() {
        for language in Language::ALL {
            told.push((s.facts.clone(), language, tell(&s.facts, language)));
        }
    }
    told
}

pub(super) fn whole(told: &Told) -> String {
    format!("{}\n{}", told.title, told.text)
}

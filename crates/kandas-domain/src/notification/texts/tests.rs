use super::*;
use crate::appeal::FILING_WINDOW;
use crate::notification::NotificationKind;
use crate::period::Period;

mod negotiation;
mod samples;

use samples::{all_told, d, note, samples, whole};

#[test]
fn the_samples_cover_every_kind() {
    let kinds: Vec<_> = samples().iter().map(|s| s.facts.kind()).collect();
    for kind in NotificationKind::ALL {
        assert!(kinds.contains(&kind), "no sample of {kind:?}");
    }
}

#[test]
fn every_kind_in_every_language_tells_its_dates_and_what_is_due() {
    for s in samples() {
        for language in Language::ALL {
            let told = tell(&s.facts, language);
            let what = format!("{:?} in {language:?}", s.facts.kind());
            assert!(!told.title.trim().is_empty(), "{what}: empty title");
            assert!(
                told.text.len() > told.title.len(),
                "{what}: text {:?}",
                told.text
            );
            for day in &s.dates {
                assert!(
                    told.text.contains(&date(*day)),
                    "{what}: {} missing from {:?}",
                    date(*day),
                    told.text
                );
            }
            assert_eq!(told.due_date, s.due, "{what}");
            if let Some(due) = told.due_date {
                assert!(told.text.contains(&date(due)), "{what}: due date untold");
            }
        }
    }
}

#[test]
fn dates_are_written_day_month_year() {
    assert_eq!(date(d(2026, 6, 10)), "10.06.2026");
    assert_eq!(date(d(2027, 1, 2)), "02.01.2027");
}

#[test]
fn a_refusal_of_the_tenth_of_march_may_be_appealed_through_the_tenth_of_june() {
    // The texts say "3 months": the act stores the last day of this window.
    assert_eq!(FILING_WINDOW, Period::months(3));
    let decided_on = d(2026, 3, 10);
    let appeal_until = FILING_WINDOW.last_day(decided_on);
    assert_eq!(appeal_until, d(2026, 6, 10));
    let facts = Facts::Refused {
        procedure: Procedure::KandasStatusAssignment,
        decided_on,
        reason_code: "GROUND_NOT_MET".into(),
        reason_text: "no ground declared".into(),
        appeal_until,
    };
    let expected = [
        (Language::Kk, ["3 ай", "10.06.2026 қоса алғанда"]),
        (Language::Ru, ["3 месяцев", "до 10.06.2026 включительно"]),
        (Language::En, ["3 months", "until 10.06.2026 inclusive"]),
    ];
    for (language, phrases) in expected {
        let told = tell(&facts, language);
        assert_eq!(told.due_date, Some(d(2026, 6, 10)));
        for phrase in phrases {
            assert!(told.text.contains(phrase), "{language:?}: {:?}", told.text);
        }
        assert!(told.text.contains("GROUND_NOT_MET") && told.text.contains("no ground declared"));
    }
    // Kandas status is submitted through the portal, a mission or a PSC: any of them takes it.
    let en = tell(&facts, Language::En).text;
    for channel in [
        "Public Service Center",
        "online portal",
        "foreign institution",
    ] {
        assert!(en.contains(channel), "{en}");
    }
    assert!(
        !en.contains("police") && !en.contains("employment center"),
        "{en}"
    );
}

#[test]
fn kazakh_is_written_with_kazakh_letters() {
    for (facts, language, told) in all_told() {
        if language != Language::Kk {
            continue;
        }
        for part in [&told.title, &told.text] {
            assert!(
                part.chars().any(|c| "әғқңөұүһіӘҒҚҢӨҰҮҺІ".contains(c)),
                "{:?}: {part:?}",
                facts.kind()
            );
        }
    }
}

#[test]
fn russian_is_cyrillic_and_english_is_not() {
    for (facts, language, told) in all_told() {
        let cyrillic = told
            .title
            .chars()
            .any(|c| ('а'..='я').contains(&c.to_lowercase().next().unwrap()));
        assert_eq!(
            cyrillic,
            language != Language::En,
            "{:?} {language:?}: {}",
            facts.kind(),
            told.title
        );
    }
}

/// A stored name such as `false_documents` or an internal reference never reaches the applicant;
/// the only code told is a refusal's reason code, in capitals.
#[test]
fn texts_hold_no_internal_names() {
    for (facts, language, told) in all_told() {
        let text = whole(&told);
        let what = format!("{:?} in {language:?}: {text}", facts.kind());
        for internal in ["SPEC", "seed", "Seed", "§", "TODO", "{", "}"] {
            assert!(!text.contains(internal), "{what}");
        }
        let snake = text
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .find(|word| word.contains('_') && word.chars().any(char::is_lowercase));
        assert_eq!(snake, None, "{what}");
        assert!(!text.contains("  ") && !text.contains(" ."), "{what}");
    }
}

#[test]
fn a_provisional_deadline_says_it_may_move_and_names_the_year() {
    let facts = |provisional| Facts::Accepted {
        procedure: Procedure::SimplifiedCitizenship,
        submitted_on: d(2027, 11, 1),
        deadline: Some(d(2028, 2, 1)),
        provisional,
    };
    let words = [
        (Language::Kk, "өзгеруі мүмкін"),
        (Language::Ru, "может сдвинуться"),
        (Language::En, "may still move"),
    ];
    for (language, may_move) in words {
        let provisional = tell(&facts(true), language).text;
        assert!(
            provisional.contains(may_move) && provisional.contains("2028"),
            "{provisional}"
        );
        assert!(!tell(&facts(false), language).text.contains(may_move));
    }
}

#[test]
fn registration_is_decided_on_the_spot_with_nothing_due() {
    let facts = Facts::Accepted {
        procedure: Procedure::ResidenceRegistration,
        submitted_on: d(2026, 6, 1),
        deadline: None,
        provisional: false,
    };
    let words = [
        (Language::Kk, "орнында"),
        (Language::Ru, "на месте"),
        (Language::En, "on the spot"),
    ];
    for (language, on_the_spot) in words {
        let told = tell(&facts, language);
        assert!(told.text.contains(on_the_spot), "{}", told.text);
        assert_eq!(told.due_date, None);
    }
}

#[test]
fn an_approval_tells_what_was_issued_and_what_comes_next() {
    let iin = Facts::Approved {
        procedure: Procedure::IinAssignment,
        decided_on: d(2026, 3, 5),
        iin: Some("900101300123".into()),
        issued: vec![],
    };
    for language in Language::ALL {
        assert!(tell(&iin, language).text.contains("900101300123"));
    }
    let kandas = Facts::Approved {
        procedure: Procedure::KandasStatusAssignment,
        decided_on: d(2026, 3, 10),
        iin: None,
        issued: vec![note(
            IssuedKind::KandasCertificate,
            "KC-000001",
            Some(d(2027, 3, 10)),
        )],
    };
    let en = tell(&kandas, Language::En).text;
    assert!(
        en.contains("kandas certificate No. KC-000001 (valid through 10.03.2027)"),
        "{en}"
    );
    assert!(
        en.contains("you may apply for a permanent residence permit"),
        "{en}"
    );
    let kk = tell(&kandas, Language::Kk).text;
    assert!(
        kk.contains("№ KC-000001 қандас куәлігі (10.03.2027 қоса алғанда жарамды)"),
        "{kk}"
    );
    let card = Facts::Approved {
        procedure: Procedure::ResidencePermitCard,
        decided_on: d(2026, 6, 1),
        iin: None,
        issued: vec![note(
            IssuedKind::ResidencePermitCard,
            "RPC-000007",
            Some(d(2036, 6, 1)),
        )],
    };
    let collect = [
        (Language::Kk, "Халыққа қызмет көрсету орталығынан алыңыз"),
        (
            Language::Ru,
            "Получите вид на жительство в Центре обслуживания населения",
        ),
        (Language::En, "Collect your card at a Public Service Center"),
    ];
    for (language, words) in collect {
        let text = tell(&card, language).text;
        assert!(
            text.contains(words) && text.contains("RPC-000007"),
            "{text}"
        );
    }
}

#[test]
fn a_next_step_is_told_once_for_a_family() {
    let facts = Facts::Approved {
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
    };
    let en = tell(&facts, Language::En).text;
    assert_eq!(en.matches("permanent residence permit").count(), 1, "{en}");
    assert!(en.contains("KC-000001") && en.contains("KC-000002"));
}

#[test]
fn a_quota_inclusion_tells_places_rent_and_the_relocation_subsidy() {
    let facts = |rent_mci| Facts::QuotaDecided {
        region: Region::Pavlodar,
        year: 2026,
        decided_on: d(2026, 4, 14),
        included: true,
        places: 4,
        rent_mci,
        reason_code: String::new(),
        appeal_until: None,
    };
    let expected = [
        (
            Language::Kk,
            [
                "Павлодар облысының 2026 жылға",
                "4 орын",
                "20 АЕК, 12 ай",
                "70 АЕК",
            ],
        ),
        (
            Language::Ru,
            [
                "Павлодарская область",
                "Мест: 4",
                "20 МРП в течение 12 месяцев",
                "70 МРП",
            ],
        ),
        (
            Language::En,
            [
                "quota of Pavlodar for 2026",
                "4 places",
                "20 MCI for 12 months",
                "70 MCI per person",
            ],
        ),
    ];
    for (language, phrases) in expected {
        let text = tell(&facts(20), language).text;
        for phrase in phrases {
            assert!(
                text.contains(phrase),
                "{language:?}: {phrase:?} not in {text}"
            );
        }
        let no_rent = tell(&facts(0), language).text;
        assert!(
            !no_rent.contains(phrases[2]) && no_rent.contains(phrases[3]),
            "{no_rent}"
        );
    }
}

#[test]
fn a_quota_refusal_may_be_appealed_through_the_quota_channels() {
    let facts = Facts::QuotaDecided {
        region: Region::Astana,
        year: 2026,
        decided_on: d(2026, 4, 14),
        included: false,
        places: 0,
        rent_mci: 0,
        reason_code: "NOT_ELIGIBLE".into(),
        appeal_until: Some(d(2026, 7, 14)),
    };
    let en = tell(&facts, Language::En).text;
    assert!(
        en.contains("NOT_ELIGIBLE") && en.contains("until 14.07.2026 inclusive"),
        "{en}"
    );
    assert!(
        en.contains("an employment center") && !en.contains("MCI"),
        "{en}"
    );
    assert!(tell(&facts, Language::Ru).text.contains("город Астана"));
    assert!(tell(&facts, Language::Kk).text.contains("Астана қаласының"));
}

#[test]
fn an_annulled_permit_takes_its_cards_from_the_same_day() {
    let facts = Facts::RecordAnnulled {
        record: "permit".into(),
        number: "PRP-000003".into(),
        annulled_on: d(2026, 9, 1),
        ground: "administrative_violation".into(),
        legal_basis: "Law on Migration of the Population, art. 51".into(),
        cards: vec!["RPC-000004".into(), "RPC-000005".into()],
    };
    let expected = [
        (
            Language::Kk,
            [
                "әкімшілік құқық бұзушылық",
                "№ RPC-000004, № RPC-000005",
                "сотта",
            ],
        ),
        (
            Language::Ru,
            [
                "административное правонарушение",
                "№ RPC-000004, № RPC-000005",
                "в суде",
            ],
        ),
        (
            Language::En,
            [
                "an administrative violation",
                "No. RPC-000004, No. RPC-000005",
                "in court",
            ],
        ),
    ];
    for (language, phrases) in expected {
        let told = tell(&facts, language);
        for phrase in phrases
            .into_iter()
            .chain(["PRP-000003", "art. 51", "01.09.2026"])
        {
            assert!(
                told.text.contains(phrase),
                "{language:?}: {phrase:?} not in {}",
                told.text
            );
        }
    }
}

#[test]
fn every_ground_and_end_reason_is_told_in_words() {
    for ground in AnnulmentGround::ALL {
        let facts = Facts::RecordAnnulled {
            record: "kandas_status".into(),
            number: "KC-000001".into(),
            annulled_on: d(2026, 9, 1),
            ground: ground.as_str().into(),
            legal_basis: String::new(),
            cards: vec![],
        };
        for language in Language::ALL {
            let text = tell(&facts, language).text;
            assert!(!text.contains(ground.as_str()), "{text}");
            assert!(
                ["Негізі: ", "Основание: ", "Ground: "]
                    .iter()
                    .any(|w| text.contains(w)),
                "{text}"
            );
        }
    }
    for reason in EndReason::ALL {
        let facts = Facts::RegistrationEnded {
            registration_kind: "refugee".into(),
            region: Region::Shymkent,
            last_day: d(2026, 6, 5),
            reason: reason.as_str().into(),
            register_again_by: None,
        };
        for language in Language::ALL {
            let text = tell(&facts, language).text;
            assert!(!text.contains(reason.as_str()), "{text}");
            assert!(
                ["Себебі", "Причина", "Reason"]
                    .iter()
                    .any(|w| text.contains(w)),
                "{text}"
            );
        }
    }
}

#[test]
fn names_it_cannot_read_are_left_unsaid() {
    let facts = Facts::RegistrationEnded {
        registration_kind: "someday_kind".into(),
        region: Region::Shymkent,
        last_day: d(2026, 6, 5),
        reason: "some_reason".into(),
        register_again_by: None,
    };
    for language in Language::ALL {
        let text = tell(&facts, language).text;
        assert!(!text.contains("some"), "{text}");
        assert!(text.contains("05.06.2026"));
    }
    for record in ["kandas_status", "permit", "some_record"] {
        let facts = Facts::RecordAnnulled {
            record: record.into(),
            number: String::new(),
            annulled_on: d(2026, 9, 1),
            ground: "some_ground".into(),
            legal_basis: " ".into(),
            cards: vec![],
        };
        for language in Language::ALL {
            let text = tell(&facts, language).text;
            assert!(!text.contains("some") && !text.contains('№') && !text.contains("No."));
            assert!(
                !text.contains("()") && !text.contains("  ") && !text.contains(" :"),
                "{text}"
            );
            assert!(text.contains("01.09.2026"), "{text}");
        }
    }
}

#[test]
fn a_lapsed_permanent_registration_says_by_when_to_register_again() {
    let facts = Facts::RegistrationEnded {
        registration_kind: "permanent".into(),
        region: Region::Pavlodar,
        last_day: d(2026, 6, 5),
        reason: "moved_out".into(),
        register_again_by: Some(d(2026, 6, 15)),
    };
    let expected = [
        (
            Language::Kk,
            [
                "Павлодар облысындағы",
                "15.06.2026 қоса алғанда тіркеліңіз",
                "10 күн",
            ],
        ),
        (
            Language::Ru,
            [
                "Павлодарская область",
                "не позднее 15.06.2026",
                "10 календарных дней",
            ],
        ),
        (
            Language::En,
            ["in Pavlodar", "by 15.06.2026 inclusive", "10 calendar days"],
        ),
    ];
    for (language, phrases) in expected {
        let told = tell(&facts, language);
        assert_eq!(told.due_date, Some(d(2026, 6, 15)));
        for phrase in phrases {
            assert!(
                told.text.contains(phrase),
                "{language:?}: {phrase:?} not in {}",
                told.text
            );
        }
    }
}

#[test]
fn an_appeal_decision_tells_whether_the_application_is_open_again() {
    let decided = |upheld, new_deadline| Facts::AppealDecided {
        appeal: "applications/a/appeals/b".into(),
        decided_on: d(2026, 3, 26),
        upheld,
        new_deadline,
    };
    let upheld = tell(&decided(true, None), Language::En);
    assert!(upheld.text.contains("the refusal stands") && upheld.text.contains("final"));
    let overturned = tell(&decided(false, Some(d(2026, 5, 25))), Language::En);
    assert!(overturned.text.contains("under consideration again"));
    assert_eq!(overturned.due_date, Some(d(2026, 5, 25)));
    let ru = tell(&decided(false, Some(d(2026, 5, 25))), Language::Ru).text;
    assert!(
        ru.contains("отказ отменён") && ru.contains("не позднее 25.05.2026"),
        "{ru}"
    );
}

#[test]
fn a_missed_deadline_keeps_the_application_and_tells_where_to_complain() {
    let facts = Facts::DeadlineMissed {
        procedure: Procedure::KandasStatusAssignment,
        deadline: d(2026, 4, 20),
    };
    let expected = [
        (
            Language::Kk,
            [
                "«Қандас мәртебесін беру»",
                "қаралуда қала береді",
                "уәкілетті органға",
            ],
        ),
        (
            Language::Ru,
            [
                "«Присвоение статуса кандаса»",
                "остаётся на рассмотрении",
                "уполномоченный орган",
            ],
        ),
        (
            Language::En,
            [
                "“Kandas status assignment”",
                "remains under consideration",
                "authorised body",
            ],
        ),
    ];
    for (language, phrases) in expected {
        let text = tell(&facts, language).text;
        for phrase in phrases {
            assert!(
                text.contains(phrase),
                "{language:?}: {phrase:?} not in {text}"
            );
        }
    }
}

#[test]
fn every_procedure_and_region_has_a_distinct_name_in_every_language() {
    for language in Language::ALL {
        let procedures: std::collections::HashSet<_> = Procedure::ALL
            .into_iter()
            .map(|p| procedure_name(p, language))
            .collect();
        assert_eq!(procedures.len(), Procedure::ALL.len(), "{language:?}");
        let regions: std::collections::HashSet<_> = Region::ALL
            .into_iter()
            .map(|r| region_name(r, language))
            .collect();
        assert_eq!(regions.len(), Region::ALL.len(), "{language:?}");
    }
    assert_eq!(
        procedure_name(Procedure::IinAssignment, Language::Kk),
        "ЖСН беру"
    );
    assert_eq!(
        region_name(Region::Pavlodar, Language::Ru),
        "Павлодарская область"
    );
}

use super::*;
use proptest::prelude::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
}

fn dates(year: i32, md: &[(u32, u32)]) -> Vec<NaiveDate> {
    md.iter().map(|&(m, d)| date(year, m, d)).collect()
}

fn kz() -> Calendar {
    Calendar::kazakhstan_default()
}

fn transfer(date: NaiveDate, kind: TransferKind) -> Transfer {
    Transfer {
        date,
        kind,
        note: None,
    }
}

#[test]
fn loading_an_official_year_replaces_its_exceptions_and_ends_provisional() {
    // 2027 with a made-up decree: Saturday 9 January worked, Friday 8 January off.
    let official = OfficialYear {
        year: 2027,
        dated_days_off: vec![DatedDayOff {
            name: "Kurban Ait".into(),
            date: date(2027, 5, 17),
        }],
        transfers: vec![
            transfer(date(2027, 1, 9), TransferKind::Working),
            transfer(date(2027, 1, 8), TransferKind::Off),
        ],
    };
    assert!(official.problems().is_empty());
    let cal = Calendar::from_data(kz().data().clone().with_official_year(&official)).unwrap();
    assert!(!cal.is_provisional(2027));
    assert!(cal.is_working_day(date(2027, 1, 9)));
    assert!(!cal.is_working_day(date(2027, 1, 8)));
    assert!(!cal.is_working_day(date(2027, 5, 17)));
    // Other years keep the shipped data: 2026's Kurban Ait is still off.
    assert!(!cal.is_working_day(date(2026, 5, 27)));
    // Loading 2026 without Kurban Ait replaces the shipped 2026 days off.
    let bare = OfficialYear {
        year: 2026,
        dated_days_off: vec![],
        transfers: vec![],
    };
    let cal = Calendar::from_data(cal.data().clone().with_official_year(&bare)).unwrap();
    assert!(cal.is_working_day(date(2026, 5, 27)));
    assert!(!cal.is_working_day(date(2027, 5, 17)));
}

#[test]
fn an_official_year_names_every_broken_rule_by_field() {
    let official = OfficialYear {
        year: 2027,
        dated_days_off: vec![DatedDayOff {
            name: " ".into(),
            date: date(2028, 1, 3),
        }],
        transfers: vec![
            transfer(date(2027, 1, 6), TransferKind::Working), // a Wednesday
            transfer(date(2027, 1, 9), TransferKind::Off),     // a Saturday
            transfer(date(2027, 1, 6), TransferKind::Off),     // listed twice
            transfer(date(2026, 12, 31), TransferKind::Off),
        ],
    };
    let fields: Vec<String> = official.problems().into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        fields,
        [
            "dated_days_off[0].date",
            "dated_days_off[0].name",
            "transfers[0].date",
            "transfers[1].date",
            "transfers[2].date",
            "transfers[3].date",
        ]
    );
}

#[test]
fn spec_days_off_2024() {
    let expected = dates(
        2024,
        &[
            (1, 1),
            (1, 2),
            (3, 8),
            (3, 21),
            (3, 22),
            (3, 25),
            (5, 1),
            (5, 7),
            (5, 8),
            (5, 9),
            (7, 8),
            (8, 30),
            (10, 25),
            (12, 16),
        ],
    );
    assert_eq!(kz().days_off(2024), expected);
}

#[test]
fn spec_days_off_2025() {
    let expected = dates(
        2025,
        &[
            (1, 1),
            (1, 2),
            (1, 3),
            (1, 7),
            (3, 10),
            (3, 21),
            (3, 24),
            (3, 25),
            (5, 1),
            (5, 7),
            (5, 9),
            (6, 6),
            (7, 7),
            (9, 1),
            (10, 27),
            (12, 16),
        ],
    );
    assert_eq!(kz().days_off(2025), expected);
}

#[test]
fn spec_days_off_2026() {
    let expected = dates(
        2026,
        &[
            (1, 1),
            (1, 2),
            (1, 7),
            (3, 9),
            (3, 23),
            (3, 24),
            (3, 25),
            (5, 1),
            (5, 7),
            (5, 11),
            (5, 27),
            (7, 6),
            (10, 26),
            (12, 16),
        ],
    );
    assert_eq!(kz().days_off(2026), expected);
}

#[test]
fn decree_transfers() {
    let cal = kz();
    // Saturday 4 May 2024 and Sunday 5 January 2025 were worked.
    assert!(cal.is_working_day(date(2024, 5, 4)));
    assert!(cal.is_working_day(date(2025, 1, 5)));
    assert!(!cal.is_working_day(date(2024, 5, 5)));
    assert!(!cal.is_working_day(date(2024, 5, 8)));
    assert!(!cal.is_working_day(date(2025, 1, 3)));
    assert_eq!(cal.working_weekends(2024), vec![date(2024, 5, 4)]);
    assert_eq!(cal.working_weekends(2025), vec![date(2025, 1, 5)]);
    assert!(cal.working_weekends(2026).is_empty());
}

#[test]
fn fixed_days_off_never_move() {
    let cal = kz();
    // 7 January 2024 and Kurban Ait 2024-06-16 are Sundays: nothing moves to Monday.
    assert!(cal.is_working_day(date(2024, 1, 8)));
    assert!(cal.is_working_day(date(2024, 6, 17)));
}

#[test]
fn spec_example_three_working_days() {
    // Friday 7 March 2025; 8–9 weekend, 10 is the carried-over 8 March; 11, 12, 13 count.
    let d = kz().deadline(date(2025, 3, 7), Term::WorkingDays(3));
    assert_eq!(
        d,
        Deadline {
            date: date(2025, 3, 13),
            provisional: false
        }
    );
}

#[test]
fn thirty_five_working_days_across_nauryz_2026() {
    // From Monday 2 March 2026, 35 working days would be 7 full weeks, Monday 20 April,
    // without holidays. Four weekdays in between are off: 9 March (8 March was a Sunday)
    // and 23, 24, 25 March (Nauryz 23rd plus the carried-over 21st and 22nd). Four more
    // working days after 20 April: 21, 22, 23, 24 → Friday 24 April.
    let d = kz().deadline(date(2026, 3, 2), Term::WorkingDays(35));
    assert_eq!(d.date, date(2026, 4, 24));
    assert!(!d.provisional);
}

#[test]
fn sixty_calendar_days_ending_on_nauryz() {
    // 20 January 2026 + 60 days = Saturday 21 March; 22 Sunday, 23–25 off → Thursday 26.
    let start = date(2026, 1, 20);
    assert_eq!(start + Days::new(60), date(2026, 3, 21));
    let d = kz().deadline(start, Term::CalendarDays(60));
    assert_eq!(d.date, date(2026, 3, 26));
}

#[test]
fn forty_five_calendar_days_ending_on_8_march() {
    // 22 January 2025 + 45 days = Saturday 8 March; 9 Sunday, 10 carried over → Tuesday 11.
    let start = date(2025, 1, 22);
    assert_eq!(start + Days::new(45), date(2025, 3, 8));
    let d = kz().deadline(start, Term::CalendarDays(45));
    assert_eq!(d.date, date(2025, 3, 11));
    // A raw date that is a working day stays put.
    let d = kz().deadline(date(2025, 1, 27), Term::CalendarDays(45));
    assert_eq!(d.date, date(2025, 3, 13));
}

#[test]
fn months_clamp_to_month_end_then_move() {
    let cal = kz();
    // 31 January + 1 month → 28 February 2026 (Saturday) → Monday 2 March.
    assert_eq!(
        cal.deadline(date(2026, 1, 31), Term::Months(1)).date,
        date(2026, 3, 2)
    );
    // 31 December 2025 + 3 months → Tuesday 31 March 2026, a working day.
    assert_eq!(
        cal.deadline(date(2025, 12, 31), Term::Months(3)).date,
        date(2026, 3, 31)
    );
    // Leap day + 12 months → Friday 28 February 2025.
    assert_eq!(
        cal.deadline(date(2024, 2, 29), Term::Months(12)).date,
        date(2025, 2, 28)
    );
    // 22 December 2025 + 3 months → 22 March 2026, Nauryz → Thursday 26 March.
    assert_eq!(
        cal.deadline(date(2025, 12, 22), Term::Months(3)).date,
        date(2026, 3, 26)
    );
}

#[test]
fn constitution_day_moves_from_2027() {
    let cal = kz();
    assert!(cal.is_working_day(date(2026, 8, 31)));
    assert!(!cal.days_off(2026).contains(&date(2026, 8, 31)));
    assert!(!cal.is_working_day(date(2027, 3, 15)));
    assert!(cal.days_off(2027).contains(&date(2027, 3, 15)));
    assert!(cal.is_working_day(date(2026, 3, 16)));
}

#[test]
fn year_2027_is_provisional() {
    let cal = kz();
    assert!(cal.is_provisional(2027));
    assert!(!cal.is_provisional(2026));
    assert!(cal.is_provisional(2023));
    let d = cal.deadline(date(2027, 3, 1), Term::WorkingDays(10));
    assert!(d.provisional);
    // Crossing from 2026 into 2027 is provisional too.
    let d = cal.deadline(date(2026, 12, 20), Term::WorkingDays(10));
    assert_eq!(d.date.year(), 2027);
    assert!(d.provisional);
    let d = cal.deadline(date(2024, 12, 20), Term::Months(12));
    assert!(!d.provisional);
}

#[test]
fn rules_apply_in_unloaded_years() {
    // 2027: 2 January is a Saturday → Monday 4th; 21 March a Sunday → Wednesday 24th;
    // 1 May a Saturday → Monday 3rd; 9 May a Sunday → Monday 10th.
    let expected = dates(
        2027,
        &[
            (1, 1),
            (1, 4),
            (1, 7),
            (3, 8),
            (3, 15),
            (3, 22),
            (3, 23),
            (3, 24),
            (5, 3),
            (5, 7),
            (5, 10),
            (7, 6),
            (10, 25),
            (12, 16),
        ],
    );
    assert_eq!(kz().days_off(2027), expected);
}

#[test]
fn carry_over_across_new_year() {
    let text = r#"
        official_transfer_years = [2022]
        [[holiday]]
        name = "Eve"
        month = 12
        day = 31
        [[holiday]]
        name = "New Year"
        month = 1
        day = 1
    "#;
    let cal = Calendar::from_toml(text).unwrap();
    // 31 December 2022 is a Saturday, 1 January 2023 a Sunday: Monday 2 and Tuesday 3 January.
    assert_eq!(cal.days_off(2023), vec![date(2023, 1, 2), date(2023, 1, 3)]);
    // 31 December 2022 itself is a Saturday, so 2022 only has New Year 2022 carried to 3 January.
    assert_eq!(cal.days_off(2022), vec![date(2022, 1, 3)]);
}

#[test]
fn working_days_zero_and_on_a_day_off() {
    let cal = kz();
    assert_eq!(
        cal.deadline(date(2026, 3, 21), Term::WorkingDays(0)).date,
        date(2026, 3, 26)
    );
    assert_eq!(
        cal.deadline(date(2026, 3, 21), Term::WorkingDays(1)).date,
        date(2026, 3, 26)
    );
    assert_eq!(
        cal.next_working_day_on_or_after(date(2026, 3, 20)),
        date(2026, 3, 20)
    );
}

#[test]
fn long_terms_skip_whole_years() {
    let cal = kz();
    let start = date(2024, 6, 3);
    let walked = (0..600).fold(start, |d, _| {
        cal.next_working_day_on_or_after(d.succ_opt().unwrap())
    });
    assert_eq!(cal.deadline(start, Term::WorkingDays(600)).date, walked);
}

#[test]
fn extreme_inputs_do_not_panic() {
    let cal = kz();
    let d = cal.deadline(NaiveDate::MAX, Term::WorkingDays(1));
    assert_eq!(d.date, NaiveDate::MAX);
    let d = cal.deadline(NaiveDate::MAX, Term::Months(u32::MAX));
    assert_eq!(d.date, NaiveDate::MAX);
    let d = cal.deadline(NaiveDate::MIN, Term::CalendarDays(u32::MAX));
    assert!(d.provisional);
    let _ = cal.days_off(NaiveDate::MIN.year());
    let _ = cal.days_off(i32::MIN);
    let _ = cal.days_off(i32::MAX);
    let _ = cal.next_working_day_on_or_after(NaiveDate::MIN);
    let d = cal.deadline(date(2025, 1, 1), Term::WorkingDays(u32::MAX));
    assert!(d.provisional);
}

#[test]
fn data_round_trips_through_toml() {
    let cal = kz();
    let text = toml::to_string(cal.data()).unwrap();
    let again = Calendar::from_toml(&text).unwrap();
    assert_eq!(again.data(), cal.data());
    assert_eq!(again.days_off(2025), cal.days_off(2025));
}

#[test]
fn bare_toml_dates_are_accepted() {
    let text = r#"
        official_transfer_years = [2024]
        [[dated_day_off]]
        name = "Kurban Ait"
        date = 2024-06-17
        [[transfer]]
        date = 2024-05-04
        kind = "working"
    "#;
    let cal = Calendar::from_toml(text).unwrap();
    assert_eq!(cal.days_off(2024), vec![date(2024, 6, 17)]);
    assert!(cal.is_working_day(date(2024, 5, 4)));
}

#[test]
fn inconsistent_data_is_rejected() {
    let bad = |text: &str| Calendar::from_toml(text).unwrap_err();
    assert!(matches!(
        bad("[[holiday]]\nname = \"x\"\nmonth = 2\nday = 30"),
        CalendarError::InvalidDayOfMonth {
            month: 2,
            day: 30,
            ..
        }
    ));
    assert!(matches!(
        bad("[[fixed_day_off]]\nname = \"x\"\nmonth = 13\nday = 1"),
        CalendarError::InvalidDayOfMonth { .. }
    ));
    assert!(matches!(
        bad("[[holiday]]\nname = \"x\"\nmonth = 1\nday = 1\nfrom_year = 2026\nto_year = 2025"),
        CalendarError::EmptyYearRange { .. }
    ));
    assert_eq!(
        bad(
            "official_transfer_years = [2024]\n[[transfer]]\ndate = \"2024-05-06\"\nkind = \"working\""
        ),
        CalendarError::WorkingTransferOnWeekday {
            date: date(2024, 5, 6)
        }
    );
    assert_eq!(
        bad(
            "official_transfer_years = [2024]\n[[transfer]]\ndate = \"2024-05-05\"\nkind = \"off\""
        ),
        CalendarError::OffTransferOnWeekend {
            date: date(2024, 5, 5)
        }
    );
    assert_eq!(
        bad(
            "official_transfer_years = [2024]\n[[transfer]]\ndate = \"2024-05-08\"\nkind = \"off\"\n[[transfer]]\ndate = \"2024-05-08\"\nkind = \"off\""
        ),
        CalendarError::DuplicateTransfer {
            date: date(2024, 5, 8)
        }
    );
    let err = bad("[[transfer]]\ndate = \"2027-05-10\"\nkind = \"off\"");
    assert_eq!(
        err,
        CalendarError::TransferYearNotLoaded {
            date: date(2027, 5, 10),
            year: 2027
        }
    );
    assert!(err.to_string().contains("2027"));
    assert!(matches!(
        bad("[[transfer]]\ndate = \"2024-02-30\"\nkind = \"off\""),
        CalendarError::InvalidToml(_)
    ));
    assert!(matches!(
        bad("holidays = []"),
        CalendarError::InvalidToml(_)
    ));
    assert!(matches!(
        bad("[[transfer]]\ndate = \"2024-05-08\"\nkind = \"holiday\""),
        CalendarError::InvalidToml(_)
    ));
}

#[test]
fn empty_data_means_weekends_only() {
    let cal = Calendar::from_data(CalendarData::default()).unwrap();
    assert!(cal.days_off(2025).is_empty());
    assert!(cal.is_provisional(2025));
    assert_eq!(
        cal.deadline(date(2025, 1, 3), Term::WorkingDays(5)).date,
        date(2025, 1, 10)
    );
}

fn any_date() -> impl Strategy<Value = NaiveDate> {
    let first = date(2020, 1, 1);
    (0i64..(365 * 12)).prop_map(move |n| first + chrono::Duration::days(n))
}

proptest! {
    #[test]
    fn working_day_deadlines_are_working_and_increasing(start in any_date(), n in 1u32..400) {
        let cal = kz();
        let a = cal.deadline(start, Term::WorkingDays(n)).date;
        let b = cal.deadline(start, Term::WorkingDays(n + 1)).date;
        prop_assert!(cal.is_working_day(a));
        prop_assert!(cal.is_working_day(b));
        prop_assert!(a > start);
        prop_assert!(a < b);
        // The next one is exactly the first working day after the previous.
        prop_assert_eq!(b, cal.next_working_day_on_or_after(a.succ_opt().unwrap()));
    }

    #[test]
    fn calendar_and_month_deadlines_are_working_days(start in any_date(), n in 0u32..800, m in 0u32..40) {
        let cal = kz();
        let d = cal.deadline(start, Term::CalendarDays(n)).date;
        prop_assert!(cal.is_working_day(d));
        prop_assert!(d >= start + Days::new(u64::from(n)));
        let d = cal.deadline(start, Term::Months(m)).date;
        prop_assert!(cal.is_working_day(d));
        prop_assert!(d >= start.checked_add_months(Months::new(m)).unwrap());
    }

    #[test]
    fn any_term_never_panics(days in any::<i32>(), n in any::<u32>(), kind in 0u8..3) {
        let cal = kz();
        let start = NaiveDate::from_num_days_from_ce_opt(days).unwrap_or(NaiveDate::MIN);
        let term = match kind {
            0 => Term::WorkingDays(n % 100_000),
            1 => Term::CalendarDays(n),
            _ => Term::Months(n),
        };
        let _ = cal.deadline(start, term);
    }

    #[test]
    fn from_toml_never_panics(s in "\\PC*") {
        let _ = Calendar::from_toml(&s);
    }
}

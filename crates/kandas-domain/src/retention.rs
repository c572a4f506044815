//! How long the documents of a kandas status application are kept (seed 004, SPEC 5.7): one
//! year after its decision or withdrawal, counted by the term rule of SPEC 3. Kept through the
//! end date; erased from the next day. What is erased is what identifies the papers (numbers,
//! dates, hashes, storage references); the kind of each, its holder and the checklist's
//! outcome remain, and so does the decision.

use super::documents::Document;
use super::period::Period;
use chrono::NaiveDate;

/// How long the documents are kept after the application closes.
pub const KEPT_FOR: Period = Period::years(1);

/// The first day a closed application's documents may be erased: the day after the same date
/// a year after `closed_on` (the last day of February where the 29th does not exist).
pub fn erasable_from(closed_on: NaiveDate) -> NaiveDate {
    KEPT_FOR
        .first_day_after(closed_on)
        .unwrap_or(NaiveDate::MAX)
}

/// A bound for the search: no application closed after this date is due on `today` (its
/// year has not ended); [`due`] decides exactly for those closed on or before it.
pub fn latest_closing_due(today: NaiveDate) -> NaiveDate {
    today
        .checked_sub_months(chrono::Months::new(12))
        .unwrap_or(NaiveDate::MIN)
}

/// Whether documents of an application closed on `closed_on` are due for erasure on `today`.
pub fn due(closed_on: NaiveDate, today: NaiveDate) -> bool {
    today >= erasable_from(closed_on)
}

/// What retention has before it on a day: how many applications' documents are due, and the
/// first later day on which more become due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outlook {
    pub due: i64,
    pub next_due: Option<NaiveDate>,
}

/// The outlook on `today` of the applications whose documents are kept, given as their
/// closing days with how many closed on each.
pub fn outlook(waiting: impl IntoIterator<Item = (NaiveDate, i64)>, today: NaiveDate) -> Outlook {
    let mut outlook = Outlook {
        due: 0,
        next_due: None,
    };
    for (closed_on, applications) in waiting {
        if due(closed_on, today) {
            outlook.due += applications;
        } else {
            let from = erasable_from(closed_on);
            outlook.next_due = Some(outlook.next_due.map_or(from, |next| next.min(from)));
        }
    }
    outlook
}

/// The document with what identifies it erased.
pub fn erased(document: &Document) -> Document {
    Document {
        number: String::new(),
        issuing_country: String::new(),
        issue_date: None,
        expiry_date: None,
        amount_tenge: None,
        content_sha256: String::new(),
        storage_ref: String::new(),
        ..document.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn documents_are_kept_through_the_same_date_a_year_later_and_erased_the_day_after() {
        let decided = day(2025, 5, 20);
        assert!(!due(decided, day(2026, 5, 19)));
        assert!(!due(decided, day(2026, 5, 20)));
        assert!(due(decided, day(2026, 5, 21)));
    }

    proptest::proptest! {
        #[test]
        fn everything_due_lies_within_the_search_bound(
            closed in 0i64..40_000,
            later in 0i64..1_000,
        ) {
            let closed_on = day(1990, 1, 1) + chrono::Duration::days(closed);
            let today = closed_on + chrono::Duration::days(later);
            if due(closed_on, today) {
                proptest::prop_assert!(closed_on <= latest_closing_due(today));
            }
        }
    }

    #[test]
    fn the_outlook_counts_what_is_due_and_names_the_next_day_something_is() {
        let waiting = [
            (day(2025, 5, 1), 2),
            (day(2025, 5, 20), 1),
            (day(2025, 7, 3), 4),
            (day(2025, 6, 9), 1),
        ];
        assert_eq!(
            outlook(waiting, day(2026, 5, 21)),
            Outlook {
                due: 3,
                next_due: Some(day(2026, 6, 10)),
            }
        );
        assert_eq!(
            outlook(waiting, day(2026, 7, 4)),
            Outlook {
                due: 8,
                next_due: None,
            }
        );
        assert_eq!(
            outlook([], day(2026, 7, 4)),
            Outlook {
                due: 0,
                next_due: None
            }
        );
    }

    #[test]
    fn a_year_from_the_29th_of_february_ends_on_the_28th() {
        assert_eq!(erasable_from(day(2024, 2, 29)), day(2025, 3, 1));
    }
}

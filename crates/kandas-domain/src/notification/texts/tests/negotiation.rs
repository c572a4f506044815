//! Choosing the language from an `Accept-Language`-like value.

use super::super::*;
use proptest::prelude::*;

#[test]
fn negotiation_examples() {
    let cases = [
        ("ru-RU,ru;q=0.9,en;q=0.8", Some(Language::Ru)),
        ("en;q=0.5, kk;q=0.9", Some(Language::Kk)),
        ("fr", None),
        ("*", Some(Language::Kk)),
        ("KK-kz", Some(Language::Kk)),
        ("ru;q=0", None),
        ("", None),
        ("kk", Some(Language::Kk)),
        ("en-GB, ru", Some(Language::En)),
        ("ru;q=0.5, en;q=0.5", Some(Language::Ru)),
        ("en;q=0.5, ru;q=0.5", Some(Language::En)),
        ("fr-FR, en;q=0.001", Some(Language::En)),
        ("fr, *;q=0.1", Some(Language::Kk)),
        ("kk;q=0, *", None),
        ("kk;q=0, *, en;q=0.2", Some(Language::En)),
        ("en;q=1.000, ru;Q=0.999", Some(Language::En)),
        // Malformed ranges are skipped, the rest still counts.
        ("ru;q=2, en", Some(Language::En)),
        ("ru;q=0.1234, en;q=0.1", Some(Language::En)),
        ("ru;q=, en;q=0.1", Some(Language::En)),
        ("ru;level=1, en;q=0.1", Some(Language::En)),
        ("r u, en", Some(Language::En)),
        ("ru_RU, en", Some(Language::En)),
        ("toolongtag-RU, en", Some(Language::En)),
        ("ru-, en", Some(Language::En)),
        ("1.0, en", Some(Language::En)),
        (",,, ;;; ,ru", Some(Language::Ru)),
        ("ru;q=1.5", None),
        ("ru;q=-0.5", None),
        ("ru;q=1., en;q=0.", Some(Language::Ru)),
        ("ru;q=0., en;q=0.", None),
        ("  ru  ;  q=0.3  ", Some(Language::Ru)),
    ];
    for (accept, expected) in cases {
        assert_eq!(Language::negotiate(accept), expected, "{accept:?}");
    }
}

#[test]
fn an_absurdly_long_value_is_not_read() {
    let long = format!("{}ru", "x;q=0.1, ".repeat(40));
    assert!(long.len() > MAX_ACCEPT_LEN);
    assert_eq!(Language::negotiate(&long), None);
    let at_limit = format!("{}ru", " ".repeat(MAX_ACCEPT_LEN - 2));
    assert_eq!(Language::negotiate(&at_limit), Some(Language::Ru));
}

#[test]
fn qvalues_are_read_in_thousandths() {
    assert_eq!(qvalue("1"), Some(1000));
    assert_eq!(qvalue("1.0"), Some(1000));
    assert_eq!(qvalue("0.5"), Some(500));
    assert_eq!(qvalue("0.05"), Some(50));
    assert_eq!(qvalue("0.001"), Some(1));
    assert_eq!(qvalue("0"), Some(0));
    for bad in [
        "1.001", "0.0001", "2", "", ".5", "0.5x", "01", "+0.5", "0,5", "٠.٥",
    ] {
        assert_eq!(qvalue(bad), None, "{bad:?}");
    }
}

proptest! {
    #[test]
    fn negotiation_never_panics(accept in any::<String>()) {
        let _ = Language::negotiate(&accept);
    }

    #[test]
    fn negotiation_never_panics_on_near_misses(accept in "[kKrRuUeEnN*;q=0-9.,\\- ]{0,300}") {
        let chosen = Language::negotiate(&accept);
        if accept.len() > MAX_ACCEPT_LEN {
            prop_assert_eq!(chosen, None);
        }
    }

    #[test]
    fn a_single_acceptable_language_is_chosen(
        language in prop::sample::select(Language::ALL.to_vec()),
        region in "(-[A-Za-z]{2})?",
        weight in 1u16..=1000,
    ) {
        let q = format!("{}.{:03}", weight / 1000, weight % 1000);
        let accept = format!("{}{region};q={q}", language.code().to_uppercase());
        prop_assert_eq!(Language::negotiate(&accept), Some(language));
        let refused = format!("{}{region};q=0, fr", language.code());
        prop_assert_eq!(Language::negotiate(&refused), None);
    }

    #[test]
    fn the_heaviest_wins_whatever_the_order(
        weights in prop::collection::vec(0u16..=1000, 3),
        shift in 0usize..3,
    ) {
        let mut ranges: Vec<(Language, u16)> = Language::ALL.into_iter().zip(weights).collect();
        ranges.rotate_left(shift);
        let accept: Vec<String> = ranges
            .iter()
            .map(|(l, w)| format!("{};q={}.{:03}", l.code(), w / 1000, w % 1000))
            .collect();
        let best = ranges
            .iter()
            .filter(|(_, w)| *w > 0)
            .fold(None::<(Language, u16)>, |best, &(l, w)| match best {
                Some((_, b)) if b >= w => best,
                _ => Some((l, w)),
            });
        prop_assert_eq!(Language::negotiate(&accept.join(", ")), best.map(|(l, _)| l));
    }
}

//! Names for persons registered by number. A name holds no digits (SPEC §2.3), so the number
//! that tells such persons apart is spelt in letters.

/// `prefix` and then `n` with each digit written as a letter, `0` as `a` up to `9` as `j`:
/// `numbered("Quota", 12)` is `Quotabc`.
pub fn numbered(prefix: &str, n: impl std::fmt::Display) -> String {
    let spelt: String = n
        .to_string()
        .chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from(b'a' + d as u8),
            None => c,
        })
        .collect();
    format!("{prefix}{spelt}")
}

#[cfg(test)]
#[test]
fn every_digit_is_spelt_as_a_letter() {
    assert_eq!(numbered("Quota", 12), "Quotabc");
    assert_eq!(numbered("Page", 0), "Pagea");
    assert_eq!(numbered("Holder ", "3490"), "Holder deja");
}

//! Pure rules of SPEC.md: no I/O, no async. Each rule lives here once.
//!
//! The crate depends on no runtime, database driver or transport; with the feature `sqlx`,
//! [`columns`] lets the store read and write its values as PostgreSQL text columns.

pub mod admission;
pub mod appeal;
pub mod calendar;
pub mod call;
pub mod caller;
pub mod catalogue;
#[cfg(feature = "sqlx")]
pub mod columns;
pub mod correction;
pub mod country;
pub mod details;
pub mod disclosure;
pub mod documents;
pub mod ids;
pub mod iin;
pub mod issuance;
pub mod jurisdiction;
pub mod lifecycle;
pub mod money;
pub mod notification;
pub mod organisation;
pub mod period;
pub mod person;
pub mod person_name;
pub mod prerequisites;
pub mod procedure;
pub mod record_acts;
pub mod record_event;
pub mod record_life;
pub mod record_list;
pub mod records;
pub mod regions;
pub mod retention;
pub mod role;
pub mod signature;
pub mod support;
pub mod verification_code;

/// Tests: a legal basis as answered to callers names the act (or says honestly that the rule is
/// the operator's decision, or that no act is cited), never an internal reference to SPEC.md or
/// the seed documents.
#[cfg(test)]
pub(crate) fn assert_basis_names_an_act(what: &str, basis: &str) {
    assert!(!basis.trim().is_empty(), "{what}: empty legal basis");
    for internal in ["SPEC", "§"] {
        assert!(
            !basis.contains(internal),
            "{what}: legal basis {basis:?} cites {internal:?}"
        );
    }
    assert!(
        !basis.to_lowercase().contains("seed"),
        "{what}: legal basis {basis:?} cites a seed"
    );
}

//! Pure rules of SPEC.md: no I/O, no async. Each rule lives here once.

pub mod admission;
pub mod appeal;
pub mod calendar;
pub mod caller;
pub mod catalogue;
pub mod correction;
pub mod details;
pub mod documents;
pub mod iin;
pub mod issuance;
pub mod jurisdiction;
pub mod lifecycle;
pub mod money;
pub mod organisation;
pub mod person;
pub mod prerequisites;
pub mod procedure;
pub mod record_life;
pub mod record_list;
pub mod records;
pub mod regions;
pub mod retention;
pub mod role;
pub mod support;
pub mod verification_code;

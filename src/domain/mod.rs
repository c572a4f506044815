//! Pure rules of SPEC.md: no I/O, no async. Each rule lives here once.

pub mod calendar;
pub mod documents;
pub mod iin;
pub mod money;
pub mod person;
pub mod procedures;
pub mod regions;
pub mod role;

//! One undecided application per procedure at a time.

use super::{Ctx, Prerequisite, PrerequisiteCode, prerequisite};
use crate::procedure::Procedure;

// SPEC 5 (one decision per application); a Decision of SPEC, no source behind it.
const BASIS_OPEN: &str = "Decision of the service operator: one undecided application per \
    procedure at a time (no act sets this)";

impl Ctx<'_> {
    pub(super) fn no_open_application(&self, procedure: Procedure) -> Prerequisite {
        let open = self
            .records
            .open_applications
            .iter()
            .find(|(p, _)| *p == procedure);
        match open {
            None => prerequisite(
                PrerequisiteCode::NoOpenApplication,
                true,
                format!("no undecided {} application", procedure.as_str()),
                None,
                BASIS_OPEN,
            ),
            Some((_, evidence)) => prerequisite(
                PrerequisiteCode::NoOpenApplication,
                false,
                format!(
                    "an undecided {} application is already open: {evidence}",
                    procedure.as_str()
                ),
                Some(evidence.clone()),
                BASIS_OPEN,
            ),
        }
    }
}

//! The applicant's notifications (SPEC 5.8; seeds 004, 000): every step of an applicant's file
//! makes one notification for that applicant, written in the transaction of the act, so it
//! exists exactly when the act does. A notification stores what happened as facts; what it
//! says in Kazakh, Russian or English is told from the facts when it is read (`texts`).
//!
//! A refusal at the door is not a step: nothing was filed, and the caller was told at once.

use super::issuance::IssuedKind;
use super::procedure::Procedure;
use super::regions::Region;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub mod readers;
pub mod steps;
pub mod texts;

pub use readers::{NoReader, Reader, reader};
pub use texts::{Language, Told, tell};

/// What happened to the applicant's file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NotificationKind {
    /// An application was accepted, with its legal deadline.
    Accepted,
    /// An application was approved, with what was issued.
    Approved,
    /// An application was refused, with the reason and the last day to appeal.
    Refused,
    /// A kandas certificate is ready: a Public Service Center prints it on request.
    CertificateReady,
    /// The commission decided on quota inclusion (SPEC 6: the applicant is notified).
    QuotaDecided,
    AppealFiled,
    AppealDecided,
    /// A kandas status or a permanent residence permit of the applicant was annulled.
    RecordAnnulled,
    /// The police ended a registration of the applicant.
    RegistrationEnded,
    /// The state let an application's legal deadline pass without a decision.
    DeadlineMissed,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 10] = [
        NotificationKind::Accepted,
        NotificationKind::Approved,
        NotificationKind::Refused,
        NotificationKind::CertificateReady,
        NotificationKind::QuotaDecided,
        NotificationKind::AppealFiled,
        NotificationKind::AppealDecided,
        NotificationKind::RecordAnnulled,
        NotificationKind::RegistrationEnded,
        NotificationKind::DeadlineMissed,
    ];

    /// Stable name used in storage and in the facts' `kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Accepted => "accepted",
            NotificationKind::Approved => "approved",
            NotificationKind::Refused => "refused",
            NotificationKind::CertificateReady => "certificate_ready",
            NotificationKind::QuotaDecided => "quota_decided",
            NotificationKind::AppealFiled => "appeal_filed",
            NotificationKind::AppealDecided => "appeal_decided",
            NotificationKind::RecordAnnulled => "record_annulled",
            NotificationKind::RegistrationEnded => "registration_ended",
            NotificationKind::DeadlineMissed => "deadline_missed",
        }
    }

    pub fn parse(name: &str) -> Option<NotificationKind> {
        NotificationKind::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
    }
}

/// One thing an approval issued, as the applicant is told of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedNote {
    pub kind: IssuedKind,
    /// The printed number; for an IIN assignment, empty (the IIN is in `iin`).
    pub number: String,
    /// The last day valid, when it ends.
    pub valid_until: Option<NaiveDate>,
}

/// What the applicant is told of one step, and nothing more. Dates are local dates in
/// Kazakhstan (SPEC 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Facts {
    Accepted {
        procedure: Procedure,
        submitted_on: NaiveDate,
        /// The legal deadline for the decision; `None` where the procedure has none
        /// (registration is decided on the spot).
        deadline: Option<NaiveDate>,
        /// The deadline falls in a year whose official transfers of days off are not loaded.
        provisional: bool,
    },
    Approved {
        procedure: Procedure,
        decided_on: NaiveDate,
        /// The IIN assigned, for an IIN assignment.
        iin: Option<String>,
        /// What was issued to the applicant (and, in a family's application, to the family).
        issued: Vec<IssuedNote>,
    },
    Refused {
        procedure: Procedure,
        decided_on: NaiveDate,
        reason_code: String,
        reason_text: String,
        /// The last day an appeal is accepted (SPEC 5.7).
        appeal_until: NaiveDate,
    },
    CertificateReady {
        certificate_number: String,
        valid_until: NaiveDate,
    },
    QuotaDecided {
        region: Region,
        year: i32,
        decided_on: NaiveDate,
        included: bool,
        /// Places taken: the applicant and the family members of the application.
        places: i32,
        /// The monthly rent subsidy the commission set, in MCI; 0 when refused.
        rent_mci: i32,
        reason_code: String,
        /// The last day an appeal of a refusal is accepted; `None` when included.
        appeal_until: Option<NaiveDate>,
    },
    AppealFiled {
        /// `appeals/{id}`, as the API names the appeal.
        appeal: String,
        filed_on: NaiveDate,
        /// The last day for its decision (SPEC 5.7).
        decide_by: NaiveDate,
    },
    AppealDecided {
        appeal: String,
        decided_on: NaiveDate,
        /// The refusal stands, finally; otherwise the application is open again.
        upheld: bool,
        /// An overturned refusal: the application's new legal deadline.
        new_deadline: Option<NaiveDate>,
    },
    RecordAnnulled {
        /// `kandas_status` or `permit`.
        record: String,
        number: String,
        /// The first day not valid.
        annulled_on: NaiveDate,
        ground: String,
        legal_basis: String,
        /// For a permit: its cards, invalid from the same date.
        cards: Vec<String>,
    },
    RegistrationEnded {
        /// `permanent`, `temporary` or `refugee`.
        registration_kind: String,
        region: Region,
        /// The last day registered.
        last_day: NaiveDate,
        reason: String,
        /// For a permanent registration of a permit holder: the last day before the 10-day
        /// rule of SPEC 5.5 is broken; `None` otherwise.
        register_again_by: Option<NaiveDate>,
    },
    DeadlineMissed {
        procedure: Procedure,
        /// The deadline that passed (the application's, or its pending step's).
        deadline: NaiveDate,
    },
}

impl Facts {
    pub fn kind(&self) -> NotificationKind {
        match self {
            Facts::Accepted { .. } => NotificationKind::Accepted,
            Facts::Approved { .. } => NotificationKind::Approved,
            Facts::Refused { .. } => NotificationKind::Refused,
            Facts::CertificateReady { .. } => NotificationKind::CertificateReady,
            Facts::QuotaDecided { .. } => NotificationKind::QuotaDecided,
            Facts::AppealFiled { .. } => NotificationKind::AppealFiled,
            Facts::AppealDecided { .. } => NotificationKind::AppealDecided,
            Facts::RecordAnnulled { .. } => NotificationKind::RecordAnnulled,
            Facts::RegistrationEnded { .. } => NotificationKind::RegistrationEnded,
            Facts::DeadlineMissed { .. } => NotificationKind::DeadlineMissed,
        }
    }
}

/// A notification to write, in the transaction of its act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    /// The applicant it is for.
    pub person_id: Uuid,
    /// The application the step belongs to; `None` for an act on a record that no application
    /// of the service issued.
    pub application_id: Option<Uuid>,
    /// The client URI of the office that submitted that application: it reads the
    /// notifications of what it submitted (SPEC 5.8).
    pub submitted_by: Option<String>,
    pub facts: Facts,
}

/// A notification as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Its position in the feed of every applicant: 1, 2, 3, ... in commit order, no gap.
    pub seq: i64,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    pub person_id: Uuid,
    pub application_id: Option<Uuid>,
    pub submitted_by: Option<String>,
    pub facts: Facts,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn kind_names_round_trip_and_are_distinct() {
        for kind in NotificationKind::ALL {
            assert_eq!(NotificationKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(NotificationKind::parse("nope"), None);
    }

    #[test]
    fn facts_are_stored_tagged_with_their_kind() {
        let facts = Facts::Refused {
            procedure: Procedure::PermanentResidencePermit,
            decided_on: d(2026, 3, 10),
            reason_code: "FALSE_DOCUMENTS".into(),
            reason_text: "the housing contract is forged".into(),
            appeal_until: d(2026, 6, 10),
        };
        let json = serde_json::to_value(&facts).unwrap();
        assert_eq!(json["kind"], "refused");
        assert_eq!(json["procedure"], "permanent_residence_permit");
        assert_eq!(json["appeal_until"], "2026-06-10");
        assert_eq!(serde_json::from_value::<Facts>(json).unwrap(), facts);
        assert_eq!(facts.kind(), NotificationKind::Refused);
    }

    #[test]
    fn an_unknown_procedure_is_not_read_back() {
        let json = serde_json::json!({
            "kind": "deadline_missed", "procedure": "nope", "deadline": "2026-03-10"
        });
        assert!(serde_json::from_value::<Facts>(json).is_err());
    }
}

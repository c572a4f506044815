//! The acts on a person's records that the state registries receive (SPEC 1, role `registry`;
//! seeds 000, 002, 004): what each kind of act tells a registry, and nothing more. An event is
//! written in the transaction of its act, so it exists exactly when the act does.

use super::regions::Region;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What happened to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    IinAssigned,
    KandasStatusGranted,
    KandasStatusExtended,
    KandasStatusAnnulled,
    PermitGranted,
    /// The permit's cards fall with it; the event names them.
    PermitAnnulled,
    CardIssued,
    RegistrationMade,
    RegistrationEnded,
    StatelessCertificateIssued,
    CitizenshipGranted,
    PersonCorrected,
    /// Retention erased what identified the papers of a kandas status application.
    DocumentsErased,
    /// The service signed a head of its audit log: about no person, so every registry may hold
    /// it as a witness of the log outside the database.
    AuditHeadSigned,
}

impl EventKind {
    /// Every kind, the acts on persons' records and the signed audit heads.
    pub const ALL: [EventKind; 14] = [
        EventKind::IinAssigned,
        EventKind::KandasStatusGranted,
        EventKind::KandasStatusExtended,
        EventKind::KandasStatusAnnulled,
        EventKind::PermitGranted,
        EventKind::PermitAnnulled,
        EventKind::CardIssued,
        EventKind::RegistrationMade,
        EventKind::RegistrationEnded,
        EventKind::StatelessCertificateIssued,
        EventKind::CitizenshipGranted,
        EventKind::PersonCorrected,
        EventKind::DocumentsErased,
        EventKind::AuditHeadSigned,
    ];

    /// The kinds that are acts on a person's records: each event of these has a person.
    pub const PERSONAL: [EventKind; 13] = [
        EventKind::IinAssigned,
        EventKind::KandasStatusGranted,
        EventKind::KandasStatusExtended,
        EventKind::KandasStatusAnnulled,
        EventKind::PermitGranted,
        EventKind::PermitAnnulled,
        EventKind::CardIssued,
        EventKind::RegistrationMade,
        EventKind::RegistrationEnded,
        EventKind::StatelessCertificateIssued,
        EventKind::CitizenshipGranted,
        EventKind::PersonCorrected,
        EventKind::DocumentsErased,
    ];

    /// Stable name used in storage and in the facts' `kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::IinAssigned => "iin_assigned",
            EventKind::KandasStatusGranted => "kandas_status_granted",
            EventKind::KandasStatusExtended => "kandas_status_extended",
            EventKind::KandasStatusAnnulled => "kandas_status_annulled",
            EventKind::PermitGranted => "permit_granted",
            EventKind::PermitAnnulled => "permit_annulled",
            EventKind::CardIssued => "card_issued",
            EventKind::RegistrationMade => "registration_made",
            EventKind::RegistrationEnded => "registration_ended",
            EventKind::StatelessCertificateIssued => "stateless_certificate_issued",
            EventKind::CitizenshipGranted => "citizenship_granted",
            EventKind::PersonCorrected => "person_corrected",
            EventKind::DocumentsErased => "documents_erased",
            EventKind::AuditHeadSigned => "audit_head_signed",
        }
    }

    pub fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Whether events of this kind are about a person; only a signed audit head is not.
    pub fn is_personal(self) -> bool {
        self != EventKind::AuditHeadSigned
    }
}

/// A person's identity as the IIN registry keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub surname: String,
    pub given_name: String,
    pub patronymic: String,
    pub birth_date: NaiveDate,
    /// `male` or `female`.
    pub sex: String,
    /// ISO 3166-1 alpha-3; empty when stateless.
    pub citizenship: String,
}

/// What a registry needs of one act. Every variant of an act on a person's records carries the
/// holder's IIN, by which the registries know a person (empty for a person who has none yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Facts {
    IinAssigned {
        iin: String,
        identity: Identity,
    },
    KandasStatusGranted {
        iin: String,
        certificate_number: String,
        valid_from: NaiveDate,
        valid_until: NaiveDate,
    },
    KandasStatusExtended {
        iin: String,
        certificate_number: String,
        valid_from: NaiveDate,
        valid_until: NaiveDate,
    },
    KandasStatusAnnulled {
        iin: String,
        certificate_number: String,
        annulled_on: NaiveDate,
        ground: String,
        legal_basis: String,
    },
    PermitGranted {
        iin: String,
        number: String,
        granted_on: NaiveDate,
    },
    PermitAnnulled {
        iin: String,
        number: String,
        annulled_on: NaiveDate,
        ground: String,
        legal_basis: String,
        /// The cards invalid from the same date.
        cards: Vec<String>,
    },
    CardIssued {
        iin: String,
        number: String,
        issued_on: NaiveDate,
        valid_until: NaiveDate,
    },
    RegistrationMade {
        iin: String,
        /// `permanent`, `temporary` or `refugee`.
        registration_kind: String,
        region: String,
        registered_on: NaiveDate,
        /// The last day of a temporary registration.
        until: Option<NaiveDate>,
    },
    RegistrationEnded {
        iin: String,
        registration_kind: String,
        region: String,
        /// The last day registered.
        last_day: NaiveDate,
        reason: String,
    },
    StatelessCertificateIssued {
        iin: String,
        number: String,
        issued_on: NaiveDate,
    },
    CitizenshipGranted {
        iin: String,
        granted_on: NaiveDate,
    },
    PersonCorrected {
        iin: String,
        /// The person's version after the correction.
        revision: i32,
        /// The fields the correction changed, as the update mask named them.
        changed: Vec<String>,
        identity: Identity,
    },
    DocumentsErased {
        /// The applicant's.
        iin: String,
        /// `applications/{id}` whose documents were erased.
        application: String,
        erased_on: NaiveDate,
    },
    /// A signed head of the audit log, as `audit_signed_heads` holds it (SPEC §7). A registry
    /// keeps it and hands it to an auditor, who checks a later export against it.
    AuditHeadSigned {
        seq: i64,
        /// Hex, as the audit export writes it.
        hash: String,
        signed_at: chrono::DateTime<chrono::Utc>,
        key_id: String,
        /// Hex.
        signature: String,
    },
}

impl Facts {
    pub fn kind(&self) -> EventKind {
        match self {
            Facts::IinAssigned { .. } => EventKind::IinAssigned,
            Facts::KandasStatusGranted { .. } => EventKind::KandasStatusGranted,
            Facts::KandasStatusExtended { .. } => EventKind::KandasStatusExtended,
            Facts::KandasStatusAnnulled { .. } => EventKind::KandasStatusAnnulled,
            Facts::PermitGranted { .. } => EventKind::PermitGranted,
            Facts::PermitAnnulled { .. } => EventKind::PermitAnnulled,
            Facts::CardIssued { .. } => EventKind::CardIssued,
            Facts::RegistrationMade { .. } => EventKind::RegistrationMade,
            Facts::RegistrationEnded { .. } => EventKind::RegistrationEnded,
            Facts::StatelessCertificateIssued { .. } => EventKind::StatelessCertificateIssued,
            Facts::CitizenshipGranted { .. } => EventKind::CitizenshipGranted,
            Facts::PersonCorrected { .. } => EventKind::PersonCorrected,
            Facts::DocumentsErased { .. } => EventKind::DocumentsErased,
            Facts::AuditHeadSigned { .. } => EventKind::AuditHeadSigned,
        }
    }
}

/// Whom an event is about. Every act on records is about a person; a signed audit head is
/// about the log itself, and lies in no region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Person {
        id: Uuid,
        /// Where the record lies, for registries whose jurisdiction is regions.
        region: Option<Region>,
    },
    AuditLog,
}

impl Subject {
    pub fn person_id(&self) -> Option<Uuid> {
        match self {
            Subject::Person { id, .. } => Some(*id),
            Subject::AuditLog => None,
        }
    }

    pub fn region(&self) -> Option<Region> {
        match self {
            Subject::Person { region, .. } => *region,
            Subject::AuditLog => None,
        }
    }
}

/// An event about to be written with its act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// The record the act made or changed, named as the API names records so a registry can
    /// match an annulment or an ending to the grant it received earlier:
    ///
    /// | kinds | resource |
    /// | --- | --- |
    /// | IIN assigned, person corrected | `persons/{id}` |
    /// | kandas status granted, extended, annulled | `persons/{id}/kandas-statuses/{certificate-number}` |
    /// | permit granted, annulled | `persons/{id}/permits/{number}` |
    /// | card issued | `persons/{id}/cards/{number}` |
    /// | registration made, ended | `persons/{id}/registrations/{id}` |
    /// | stateless certificate issued | `persons/{id}/stateless-certificates/{number}` |
    /// | citizenship granted | `persons/{id}/citizenship` (a person has it once) |
    /// | documents erased | `applications/{id}` |
    ///
    /// | audit head signed | `auditHeads/{seq}` |
    ///
    /// An extension keeps its certificate's number, so it names the status it extends.
    pub resource: String,
    pub subject: Subject,
    pub facts: Facts,
}

impl NewEvent {
    /// The event that publishes a signed audit head to the registries.
    pub fn audit_head_signed(
        seq: i64,
        hash: &[u8],
        signed_at: chrono::DateTime<chrono::Utc>,
        key_id: &str,
        signature: &[u8],
    ) -> NewEvent {
        NewEvent {
            resource: format!("auditHeads/{seq}"),
            subject: Subject::AuditLog,
            facts: Facts::AuditHeadSigned {
                seq,
                hash: hex::encode(hash),
                signed_at,
                key_id: key_id.to_string(),
                signature: hex::encode(signature),
            },
        }
    }
}

/// An event as the feed holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordEvent {
    pub seq: i64,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    pub resource: String,
    pub subject: Subject,
    pub facts: Facts,
}

/// A registry's subscription: the kinds it receives, at least one, each once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub kinds: Vec<EventKind>,
}

impl Subscription {
    /// The kinds named, sorted and each once; `None` when none is.
    pub fn of(mut kinds: Vec<EventKind>) -> Option<Subscription> {
        kinds.sort();
        kinds.dedup();
        (!kinds.is_empty()).then_some(Subscription { kinds })
    }

    pub fn receives(&self, kind: EventKind) -> bool {
        self.kinds.contains(&kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_by_name() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EventKind::parse("quota_decided"), None);
    }

    #[test]
    fn the_stored_facts_name_their_kind_as_the_column_does() {
        let facts = Facts::CitizenshipGranted {
            iin: "871008401427".into(),
            granted_on: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        };
        let json = serde_json::to_value(&facts).unwrap();
        assert_eq!(json["kind"], facts.kind().as_str());
        assert_eq!(serde_json::from_value::<Facts>(json).unwrap(), facts);
    }

    #[test]
    fn only_a_signed_audit_head_is_about_no_person() {
        assert_eq!(EventKind::ALL.len(), EventKind::PERSONAL.len() + 1);
        assert!(EventKind::PERSONAL.iter().all(|k| k.is_personal()));
        assert!(!EventKind::AuditHeadSigned.is_personal());
        let at = chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap();
        let event = NewEvent::audit_head_signed(12, &[0xab, 0x01], at, "k1", &[0x0f]);
        assert_eq!(event.subject, Subject::AuditLog);
        assert_eq!(event.subject.person_id(), None);
        assert_eq!(event.resource, "auditHeads/12");
        let json = serde_json::to_value(&event.facts).unwrap();
        assert_eq!(json["kind"], "audit_head_signed");
        assert_eq!(json["hash"], "ab01");
        assert_eq!(json["signature"], "0f");
        assert_eq!(serde_json::from_value::<Facts>(json).unwrap(), event.facts);
    }

    #[test]
    fn a_subscription_names_each_kind_once_and_at_least_one() {
        assert_eq!(Subscription::of(Vec::new()), None);
        let s = Subscription::of(vec![
            EventKind::RegistrationEnded,
            EventKind::IinAssigned,
            EventKind::RegistrationEnded,
        ])
        .unwrap();
        assert_eq!(
            s.kinds,
            vec![EventKind::IinAssigned, EventKind::RegistrationEnded]
        );
        assert!(s.receives(EventKind::IinAssigned));
        assert!(!s.receives(EventKind::CardIssued));
    }
}

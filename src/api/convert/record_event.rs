//! Record events and subscriptions as the API shows them.

use super::*;
use crate::domain::record_event::{EventKind, Facts, Identity, RecordEvent};
use crate::service::record_feed::Standing;
use pb::record_event::{Facts as F, Kind};

/// Every kind beside its wire value: the one table both directions read.
const KINDS: [(EventKind, Kind); 14] = [
    (EventKind::IinAssigned, Kind::IinAssigned),
    (EventKind::KandasStatusGranted, Kind::KandasStatusGranted),
    (EventKind::KandasStatusExtended, Kind::KandasStatusExtended),
    (EventKind::KandasStatusAnnulled, Kind::KandasStatusAnnulled),
    (EventKind::PermitGranted, Kind::PermitGranted),
    (EventKind::PermitAnnulled, Kind::PermitAnnulled),
    (EventKind::CardIssued, Kind::CardIssued),
    (EventKind::RegistrationMade, Kind::RegistrationMade),
    (EventKind::RegistrationEnded, Kind::RegistrationEnded),
    (
        EventKind::StatelessCertificateIssued,
        Kind::StatelessCertificateIssued,
    ),
    (EventKind::CitizenshipGranted, Kind::CitizenshipGranted),
    (EventKind::PersonCorrected, Kind::PersonCorrected),
    (EventKind::DocumentsErased, Kind::DocumentsErased),
    (EventKind::AuditHeadSigned, Kind::AuditHeadSigned),
];

pub fn event_kind_to_proto(kind: EventKind) -> Kind {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(Kind::Unspecified, |(_, wire)| *wire)
}

/// The kind a wire value names; `None` for KIND_UNSPECIFIED and unknown values.
pub fn event_kind_from_proto(value: i32) -> Option<EventKind> {
    KINDS
        .iter()
        .find(|(_, wire)| *wire as i32 == value)
        .map(|(kind, _)| *kind)
}

fn identity_to_proto(identity: &Identity) -> pb::RecordIdentity {
    pb::RecordIdentity {
        surname: identity.surname.clone(),
        given_name: identity.given_name.clone(),
        patronymic: identity.patronymic.clone(),
        birth_date: Some(date_to_proto(identity.birth_date)),
        sex: identity.sex.clone(),
        citizenship: identity.citizenship.clone(),
    }
}

fn status(number: &str, valid_from: NaiveDate, valid_until: NaiveDate) -> pb::KandasStatusIssued {
    pb::KandasStatusIssued {
        certificate_number: number.to_string(),
        valid_from: Some(date_to_proto(valid_from)),
        valid_until: Some(date_to_proto(valid_until)),
    }
}

fn annulled(
    number: &str,
    annulled_on: NaiveDate,
    ground: &str,
    legal_basis: &str,
    cards: &[String],
) -> pb::RecordAnnulled {
    pb::RecordAnnulled {
        number: number.to_string(),
        annulled_on: Some(date_to_proto(annulled_on)),
        ground: ground.to_string(),
        legal_basis: legal_basis.to_string(),
        cards: cards.to_vec(),
    }
}

/// The holder's IIN (empty for a signed audit head, about no person) and the kind's own message.
fn facts_to_proto(facts: &Facts) -> (String, F) {
    let d = |date: &NaiveDate| Some(date_to_proto(*date));
    match facts {
        Facts::IinAssigned { iin, identity } => (
            iin.clone(),
            F::IinAssigned(pb::IinAssigned {
                identity: Some(identity_to_proto(identity)),
            }),
        ),
        Facts::KandasStatusGranted {
            iin,
            certificate_number,
            valid_from,
            valid_until,
        }
        | Facts::KandasStatusExtended {
            iin,
            certificate_number,
            valid_from,
            valid_until,
        } => {
            let issued = status(certificate_number, *valid_from, *valid_until);
            let facts = match facts.kind() {
                EventKind::KandasStatusGranted => F::KandasStatusGranted(issued),
                _ => F::KandasStatusExtended(issued),
            };
            (iin.clone(), facts)
        }
        Facts::KandasStatusAnnulled {
            iin,
            certificate_number,
            annulled_on,
            ground,
            legal_basis,
        } => (
            iin.clone(),
            F::KandasStatusAnnulled(annulled(
                certificate_number,
                *annulled_on,
                ground,
                legal_basis,
                &[],
            )),
        ),
        Facts::PermitGranted {
            iin,
            number,
            granted_on,
        } => (
            iin.clone(),
            F::PermitGranted(pb::PermitGranted {
                number: number.clone(),
                granted_on: d(granted_on),
            }),
        ),
        Facts::PermitAnnulled {
            iin,
            number,
            annulled_on,
            ground,
            legal_basis,
            cards,
        } => (
            iin.clone(),
            F::PermitAnnulled(annulled(number, *annulled_on, ground, legal_basis, cards)),
        ),
        Facts::CardIssued {
            iin,
            number,
            issued_on,
            valid_until,
        } => (
            iin.clone(),
            F::CardIssued(pb::CardIssued {
                number: number.clone(),
                issued_on: d(issued_on),
                valid_until: d(valid_until),
            }),
        ),
        Facts::RegistrationMade {
            iin,
            registration_kind,
            region: _,
            registered_on,
            until,
        } => (
            iin.clone(),
            F::RegistrationMade(pb::RegistrationMade {
                registration_kind: registration_kind.clone(),
                registered_on: d(registered_on),
                until: until.as_ref().and_then(d),
            }),
        ),
        Facts::RegistrationEnded {
            iin,
            registration_kind,
            region: _,
            last_day,
            reason,
        } => (
            iin.clone(),
            F::RegistrationEnded(pb::RegistrationEnded {
                registration_kind: registration_kind.clone(),
                last_day: d(last_day),
                reason: reason.clone(),
            }),
        ),
        Facts::StatelessCertificateIssued {
            iin,
            number,
            issued_on,
        } => (
            iin.clone(),
            F::StatelessCertificateIssued(pb::StatelessCertificateIssued {
                number: number.clone(),
                issued_on: d(issued_on),
            }),
        ),
        Facts::CitizenshipGranted { iin, granted_on } => (
            iin.clone(),
            F::CitizenshipGranted(pb::CitizenshipGranted {
                granted_on: d(granted_on),
            }),
        ),
        Facts::PersonCorrected {
            iin,
            revision,
            changed,
            identity,
        } => (
            iin.clone(),
            F::PersonCorrected(pb::PersonCorrected {
                revision: *revision,
                changed: changed.clone(),
                identity: Some(identity_to_proto(identity)),
            }),
        ),
        Facts::DocumentsErased {
            iin,
            application,
            erased_on,
        } => (
            iin.clone(),
            F::DocumentsErased(pb::DocumentsErased {
                application: application.clone(),
                erased_on: d(erased_on),
            }),
        ),
        Facts::AuditHeadSigned {
            seq,
            hash,
            signed_at,
            key_id,
            signature,
        } => (
            String::new(),
            // Stored by hex::encode of the signed head's bytes; never not hex.
            F::AuditHeadSigned(pb::AuditHeadSigned {
                seq: *seq,
                hash: hex::decode(hash).unwrap_or_default(),
                signed_at: Some(timestamp(*signed_at)),
                key_id: key_id.clone(),
                signature: hex::decode(signature).unwrap_or_default(),
            }),
        ),
    }
}

pub fn record_event_to_proto(event: &RecordEvent) -> pb::RecordEvent {
    let (iin, facts) = facts_to_proto(&event.facts);
    pb::RecordEvent {
        cursor: crate::api::encode_cursor(event.seq),
        sequence: event.seq,
        time: Some(timestamp(event.occurred_at)),
        kind: event_kind_to_proto(event.facts.kind()) as i32,
        resource: event.resource.clone(),
        person: event
            .subject
            .person_id()
            .map(|id| PersonId::from(id).to_string())
            .unwrap_or_default(),
        region: event
            .subject
            .region()
            .map(|r| r.code().to_string())
            .unwrap_or_default(),
        iin,
        facts: Some(facts),
    }
}

/// A registry's subscription with its acknowledged position and lag.
pub fn subscription_to_proto(standing: &Standing) -> pb::RecordSubscription {
    let row = &standing.row;
    let acknowledged_cursor = if row.acknowledged > 0 {
        crate::api::encode_cursor(row.acknowledged)
    } else {
        String::new()
    };
    pb::RecordSubscription {
        organisation: crate::service::organisations::name_of(&row.organisation_id),
        kinds: row
            .kinds()
            .into_iter()
            .map(|kind| event_kind_to_proto(kind) as i32)
            .collect(),
        acknowledged_cursor,
        acknowledged_sequence: row.acknowledged,
        acknowledge_time: row.acknowledged_at.map(timestamp),
        lag: standing.lag(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_wire_value_both_ways() {
        for kind in EventKind::ALL {
            let wire = event_kind_to_proto(kind);
            assert_ne!(wire, Kind::Unspecified, "{kind:?}");
            assert_eq!(event_kind_from_proto(wire as i32), Some(kind));
        }
        assert_eq!(event_kind_from_proto(Kind::Unspecified as i32), None);
        assert_eq!(event_kind_from_proto(99), None);
    }
}

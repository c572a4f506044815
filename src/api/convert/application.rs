//! An application as the API shows it: state, steps, decision and what it issued.

use super::*;
use crate::domain::signature::Assurance;

pub(super) fn issued_kind_to_proto(kind: IssuedKind) -> pb::issued_record::Kind {
    use pb::issued_record::Kind;
    match kind {
        IssuedKind::KandasCertificate => Kind::KandasCertificate,
        IssuedKind::KandasExtension => Kind::KandasExtension,
        IssuedKind::PermanentResidencePermit => Kind::PermanentResidencePermit,
        IssuedKind::ResidencePermitCard => Kind::ResidencePermitCard,
        IssuedKind::StatelessPersonCertificate => Kind::StatelessPersonCertificate,
        IssuedKind::Registration => Kind::Registration,
        IssuedKind::Citizenship => Kind::Citizenship,
        IssuedKind::QuotaInclusion => Kind::QuotaInclusion,
    }
}

pub fn issued_to_proto(issued: &Issued) -> pb::IssuedRecord {
    pb::IssuedRecord {
        person: PersonId::from(issued.person_id).to_string(),
        kind: issued_kind_to_proto(issued.kind) as i32,
        number: issued.number.clone(),
        valid_from: issued.valid_from.map(date_to_proto),
        valid_until: issued.valid_until.map(date_to_proto),
        region: issued.region.clone(),
        address: issued.address.clone(),
    }
}

pub(super) fn state_to_proto(state: State) -> pb::application::State {
    match state {
        State::Submitted => pb::application::State::Submitted,
        State::Approved => pb::application::State::Approved,
        State::Refused => pb::application::State::Refused,
        State::Withdrawn => pb::application::State::Withdrawn,
    }
}

pub fn state_from_proto(value: i32) -> Option<State> {
    match pb::application::State::try_from(value).ok()? {
        pb::application::State::Submitted => Some(State::Submitted),
        pb::application::State::Approved => Some(State::Approved),
        pb::application::State::Refused => Some(State::Refused),
        pb::application::State::Withdrawn => Some(State::Withdrawn),
        pb::application::State::Unspecified => None,
    }
}

/// The stored application as the API shows it, with `overdue` as of `today`.
pub fn application_to_proto(row: &ApplicationRow, today: NaiveDate) -> pb::Application {
    let decision = row.decision.outcome.map(|outcome| {
        let result = row.decision.result.as_ref().map(|r| &r.0);
        pb::Decision {
            outcome: if outcome == State::Approved {
                pb::decision::Outcome::Approved as i32
            } else {
                pb::decision::Outcome::Refused as i32
            },
            decided_by: row.decision.decided_by.clone().unwrap_or_default(),
            decide_time: row.decision.decided_at.map(timestamp),
            decision_date: row.decision.decision_date.map(date_to_proto),
            reason_code: row.decision.reason_code.clone().unwrap_or_default(),
            reason_text: row.decision.reason_text.clone().unwrap_or_default(),
            issued: match result {
                Some(Outcome::Issued { records }) => records.iter().map(issued_to_proto).collect(),
                _ => Vec::new(),
            },
            result: match result {
                Some(Outcome::IinAssigned { iin }) => Some(pb::decision::Result::IinAssignment(
                    pb::IinAssignmentResult { iin: iin.clone() },
                )),
                _ => None,
            },
        }
    });
    let step_open = row.pending_step.is_pending();
    pb::Application {
        name: ApplicationId::from(row.id).to_string(),
        procedure: procedure_to_proto(row.procedure) as i32,
        state: state_to_proto(row.state) as i32,
        applicant: PersonId::from(row.applicant_id).to_string(),
        documents: row.documents.0.iter().map(document_to_proto).collect(),
        submission_date: Some(date_to_proto(row.submission_date)),
        deadline: row.deadline.map(date_to_proto),
        deadline_provisional: row.deadline_provisional,
        overdue: step_open && row.step_deadline.is_some_and(|d| d < today),
        pending_step: if step_open {
            row.pending_step.to_string()
        } else {
            String::new()
        },
        step_deadline: row.step_deadline.map(date_to_proto),
        forwarded_on: row.forwarded_on.map(date_to_proto),
        notified_on: row.notified_on.map(date_to_proto),
        create_time: Some(timestamp(row.created_at)),
        update_time: Some(timestamp(row.updated_at)),
        etag: etag(row.version),
        submitted_by: row.submitted_by.clone(),
        region: row.region.map(|r| r.code().to_string()).unwrap_or_default(),
        checklist: row.checklist.0.iter().map(checklist_to_proto).collect(),
        decision,
        details: Some(details_to_proto(&row.details.0)),
        submission_assurance: assurance_to_proto(row.submission_assurance) as i32,
        withdrawal_assurance: row
            .withdrawal_assurance
            .map_or(pb::ApplicantAssurance::Unspecified, assurance_to_proto)
            as i32,
    }
}

/// How the applicant confirmed an act, as the API names it.
pub fn assurance_to_proto(assurance: Assurance) -> pb::ApplicantAssurance {
    match assurance {
        Assurance::None => pb::ApplicantAssurance::None,
        Assurance::Sms => pb::ApplicantAssurance::Sms,
        Assurance::Signature => pb::ApplicantAssurance::Signature,
    }
}

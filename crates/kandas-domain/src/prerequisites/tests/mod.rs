//! Tests of the prerequisites, a file per check module; the records and queries they share
//! are built here.

use super::offences_and_refusals::within_look_back;
use super::*;
use crate::records::{CardRecord, CitizenshipRecord, OffenceField, OffenceRecord, RefusalRecord};
use uuid::Uuid;

mod card;
mod citizenship;
mod identity;
mod kandas_status;
mod legal_basis;
mod offences_and_refusals;
mod open_application;
mod passport;
mod permit;
mod properties;
mod query;
mod record_life;
mod registration;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

const AS_OF: (i32, u32, u32) = (2026, 6, 1);

fn as_of() -> NaiveDate {
    d(AS_OF.0, AS_OF.1, AS_OF.2)
}

fn person() -> PersonRecords {
    let mut r = PersonRecords::new(Uuid::nil(), d(1985, 4, 10));
    r.iin = Some("871008401427".into());
    r.citizenship = "CHN".into();
    r.ethnic_kazakh = true;
    r
}

fn status(from: NaiveDate, until: NaiveDate, n: &str) -> KandasStatusRecord {
    KandasStatusRecord {
        evidence: format!("applications/kandas-{n}"),
        certificate_number: format!("KC-{n}"),
        valid_from: from,
        valid_until: until,
        annulment: None,
    }
}

fn permit(on: NaiveDate) -> PermitRecord {
    PermitRecord {
        evidence: "applications/permit".into(),
        number: "PRP-1".into(),
        granted_on: on,
        annulment: None,
    }
}

fn card(issued: NaiveDate, until: NaiveDate) -> CardRecord {
    CardRecord {
        evidence: "applications/card".into(),
        number: "RPC-1".into(),
        issued_on: issued,
        valid_until: until,
    }
}

fn registration(from: NaiveDate, until: Option<NaiveDate>) -> RegistrationRecord {
    RegistrationRecord {
        evidence: "applications/registration".into(),
        kind: RegistrationKind::Permanent,
        region: crate::regions::Region::Pavlodar,
        registered_on: from,
        until,
        ended: None,
    }
}

/// A kandas who meets every prerequisite of every procedure but the IIN one (and the ones
/// that exclude each other: a permit to have and not to have).
fn settled_kandas() -> PersonRecords {
    let mut r = person();
    r.kandas_statuses
        .push(status(d(2025, 9, 1), d(2026, 9, 1), "1"));
    r.permits.push(permit(d(2025, 10, 1)));
    r.cards.push(card(d(2025, 10, 20), d(2030, 10, 19)));
    r.registrations.push(registration(d(2025, 10, 5), None));
    r
}

fn find(checks: &[Prerequisite], code: PrerequisiteCode) -> &Prerequisite {
    checks
        .iter()
        .find(|c| c.code == code)
        .unwrap_or_else(|| panic!("{code} missing from {checks:#?}"))
}

fn codes(checks: &[Prerequisite]) -> Vec<PrerequisiteCode> {
    checks.iter().map(|c| c.code).collect()
}

fn permit_query() -> PrerequisiteQuery {
    PrerequisiteQuery {
        permit_category: Some(PermitCategory::KandasAndFamily),
        ..PrerequisiteQuery::bare(Procedure::PermanentResidencePermit)
    }
}

/// A permit applicant who meets everything, with a passport valid for a long time.
fn permit_applicant() -> PersonRecords {
    let mut r = person();
    r.kandas_statuses
        .push(status(d(2025, 9, 1), d(2026, 9, 1), "1"));
    r
}

fn passport(expiry: NaiveDate) -> Option<(NaiveDate, Evidence)> {
    Some((expiry, "applications/now".to_string()))
}

fn check_permit(records: &PersonRecords, expiry: NaiveDate) -> Vec<Prerequisite> {
    check(&permit_query(), records, passport(expiry), as_of())
}

fn offence(field: OffenceField, date: NaiveDate) -> OffenceRecord {
    OffenceRecord {
        evidence: "offences/1".into(),
        field,
        date,
    }
}

fn refusal(procedure: Procedure, date: NaiveDate) -> RefusalRecord {
    RefusalRecord {
        evidence: "applications/refused".into(),
        procedure,
        decision_date: date,
    }
}

fn unmet_codes(q: &PrerequisiteQuery, r: &PersonRecords) -> Vec<PrerequisiteCode> {
    unmet(&check(q, r, None, as_of())).map(|c| c.code).collect()
}

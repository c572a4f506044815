//! A person's issued records as one list (SPEC 5.7, seed 004), each with where it stands on a
//! day: the list a front office reads before it acts, and re-issue starts from.

use super::records::{KandasStatusRecord, ListedRecords, PersonRecords, RegistrationKind};
use chrono::NaiveDate;

/// What kind of record an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Iin,
    KandasStatus,
    Permit,
    Card,
    Registration(RegistrationKind),
    StatelessCertificate,
    QuotaInclusion { year: i32 },
    Citizenship,
}

/// Where a record stands on the day asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Valid,
    /// Not yet in force on that day.
    NotYet,
    /// Its validity ended (a status or card past its last day, a replaced registration).
    Expired,
    /// Annulled (or, for a card, fallen with its permit) from this day.
    Annulled(NaiveDate),
    /// A registration police ended; this was its last day.
    Ended(NaiveDate),
}

/// One record as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordEntry {
    pub kind: RecordKind,
    pub number: String,
    /// `applications/{id}` that produced it; empty for an IIN brought from elsewhere.
    pub evidence: String,
    pub from: Option<NaiveDate>,
    /// The last day it is valid, where it has one.
    pub until: Option<NaiveDate>,
    /// Where a registration is, or the region of a quota inclusion.
    pub region: Option<super::regions::Region>,
    pub standing: Standing,
}

fn by_dates(from: NaiveDate, until: Option<NaiveDate>, day: NaiveDate) -> Standing {
    if day < from {
        Standing::NotYet
    } else if until.is_some_and(|last| day > last) {
        Standing::Expired
    } else {
        Standing::Valid
    }
}

/// Where one kandas status (a grant or an extension) stands on `day`: what the list shows
/// and what a verification code printed on its certificate answers.
pub fn status_standing(status: &KandasStatusRecord, day: NaiveDate) -> Standing {
    match &status.annulment {
        Some(a) if a.in_force_on(day) => Standing::Annulled(a.from),
        _ => by_dates(status.valid_from, Some(status.valid_until), day),
    }
}

/// Every record of `records` and `listed`, as it stands on `day`: the IIN, then statuses,
/// permits, cards, registrations, stateless certificates, the quota inclusion and citizenship,
/// each in the order it was issued.
pub fn list(records: &PersonRecords, listed: &ListedRecords, day: NaiveDate) -> Vec<RecordEntry> {
    let mut entries = Vec::new();
    if let Some(iin) = &records.iin {
        entries.push(RecordEntry {
            kind: RecordKind::Iin,
            number: iin.clone(),
            evidence: String::new(),
            from: None,
            until: None,
            region: None,
            standing: Standing::Valid,
        });
    }
    for status in &records.kandas_statuses {
        let standing = status_standing(status, day);
        entries.push(RecordEntry {
            kind: RecordKind::KandasStatus,
            number: status.certificate_number.clone(),
            evidence: status.evidence.clone(),
            from: Some(status.valid_from),
            until: Some(status.valid_until),
            region: None,
            standing,
        });
    }
    for permit in &records.permits {
        let standing = match &permit.annulment {
            Some(a) if a.in_force_on(day) => Standing::Annulled(a.from),
            _ => by_dates(permit.granted_on, None, day),
        };
        entries.push(RecordEntry {
            kind: RecordKind::Permit,
            number: permit.number.clone(),
            evidence: permit.evidence.clone(),
            from: Some(permit.granted_on),
            until: None,
            region: None,
            standing,
        });
    }
    for card in &records.cards {
        let standing = match records.card_annulled_on(card, day) {
            Some(a) => Standing::Annulled(a.from),
            None => by_dates(card.issued_on, Some(card.valid_until), day),
        };
        entries.push(RecordEntry {
            kind: RecordKind::Card,
            number: card.number.clone(),
            evidence: card.evidence.clone(),
            from: Some(card.issued_on),
            until: Some(card.valid_until),
            region: None,
            standing,
        });
    }
    for registration in &records.registrations {
        let standing = match &registration.ended {
            Some(end) if day > end.last_day => Standing::Ended(end.last_day),
            _ => by_dates(registration.registered_on, registration.last_day(), day),
        };
        entries.push(RecordEntry {
            kind: RecordKind::Registration(registration.kind),
            number: String::new(),
            evidence: registration.evidence.clone(),
            from: Some(registration.registered_on),
            until: registration.last_day(),
            region: Some(registration.region),
            standing,
        });
    }
    for certificate in &listed.stateless_certificates {
        // Decision: SPEC sets the certificate no term, so it stands from its issue.
        entries.push(RecordEntry {
            kind: RecordKind::StatelessCertificate,
            number: certificate.number.clone(),
            evidence: certificate.evidence.clone(),
            from: Some(certificate.issued_on),
            until: None,
            region: None,
            standing: by_dates(certificate.issued_on, None, day),
        });
    }
    if let Some(inclusion) = &listed.quota_inclusion {
        entries.push(RecordEntry {
            kind: RecordKind::QuotaInclusion {
                year: inclusion.year,
            },
            number: String::new(),
            evidence: inclusion.evidence.clone(),
            from: Some(inclusion.decided_on),
            until: None,
            region: Some(inclusion.region),
            standing: by_dates(inclusion.decided_on, None, day),
        });
    }
    if let Some(citizenship) = &records.kazakh_citizenship {
        entries.push(RecordEntry {
            kind: RecordKind::Citizenship,
            number: String::new(),
            evidence: citizenship.evidence.clone(),
            from: Some(citizenship.granted_on),
            until: None,
            region: None,
            standing: by_dates(citizenship.granted_on, None, day),
        });
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{QuotaInclusionRecord, StatelessCertificateRecord};
    use crate::regions::Region;
    use uuid::Uuid;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_status_is_valid_through_its_last_day_and_expired_the_day_after() {
        let mut records = PersonRecords::new(Uuid::nil(), day(1987, 10, 8));
        records.kandas_statuses.push(KandasStatusRecord {
            evidence: "applications/x".into(),
            certificate_number: "KS-2025-000001".into(),
            valid_from: day(2025, 5, 20),
            valid_until: day(2026, 5, 20),
            annulment: None,
        });
        let standing = |d| list(&records, &ListedRecords::default(), d)[0].standing;
        assert_eq!(standing(day(2025, 5, 19)), Standing::NotYet);
        assert_eq!(standing(day(2026, 5, 20)), Standing::Valid);
        assert_eq!(standing(day(2026, 5, 21)), Standing::Expired);
    }

    #[test]
    fn a_stateless_certificate_and_a_quota_inclusion_are_listed_from_their_day() {
        let records = PersonRecords::new(Uuid::nil(), day(1987, 10, 8));
        let listed = ListedRecords {
            stateless_certificates: vec![StatelessCertificateRecord {
                evidence: "applications/s".into(),
                number: "SC-2026-000007".into(),
                issued_on: day(2026, 3, 2),
            }],
            quota_inclusion: Some(QuotaInclusionRecord {
                evidence: "applications/q".into(),
                region: Region::parse("KZ-55").unwrap(),
                year: 2026,
                decided_on: day(2026, 4, 1),
            }),
        };
        let on = |d| list(&records, &listed, d);
        let entries = on(day(2026, 4, 1));
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].kind, RecordKind::StatelessCertificate);
        assert_eq!(entries[0].standing, Standing::Valid);
        assert_eq!(entries[1].kind, RecordKind::QuotaInclusion { year: 2026 });
        assert_eq!(entries[1].region.map(|r| r.code()), Some("KZ-55"));
        assert_eq!(entries[1].standing, Standing::Valid);
        assert_eq!(on(day(2026, 3, 31))[1].standing, Standing::NotYet);
        assert_eq!(on(day(2026, 3, 1))[0].standing, Standing::NotYet);
    }

    #[test]
    fn an_annulled_status_stands_valid_before_its_annulment_and_annulled_from_it() {
        use crate::record_life::{Annulment, AnnulmentGround};
        let status = KandasStatusRecord {
            evidence: "applications/x".into(),
            certificate_number: "KC-2025-000001".into(),
            valid_from: day(2025, 5, 20),
            valid_until: day(2026, 5, 20),
            annulment: Some(Annulment {
                from: day(2025, 9, 1),
                ground: AnnulmentGround::FalseDocuments,
                legal_basis: "art. 51".into(),
            }),
        };
        assert_eq!(status_standing(&status, day(2025, 8, 31)), Standing::Valid);
        let annulled = Standing::Annulled(day(2025, 9, 1));
        assert_eq!(status_standing(&status, day(2025, 9, 1)), annulled);
        assert_eq!(status_standing(&status, day(2026, 6, 1)), annulled);
    }
}

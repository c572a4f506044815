//! What each approval issues (SPEC §5): IINs, kandas certificates and extensions, permits,
//! cards, stateless certificates, registrations, citizenship and quota places with their
//! support entitlement, and the record event of each for the registries. Runs inside the
//! decision's transaction.

use super::Approval;
use crate::domain::admission;
use crate::domain::details::{Details, Outcome};
use crate::domain::ids::PersonId;
use crate::domain::issuance::{self, Issued, IssuedKind};
use crate::domain::prerequisites::{self, PrerequisiteCode};
use crate::domain::record_acts::{self, Holder};
use crate::domain::record_event::NewEvent;
use crate::domain::regions::Region;
use crate::error::{
    ApiError, ApiResult, FieldError, Fields, Reason, Violation, failed_precondition,
};
use crate::store::applications::ApplicationRow;
use crate::store::persons::{self, IssueError};
use crate::store::{self, Tx, records};
use chrono::{Datelike, NaiveDate};
use uuid::Uuid;

/// What an approval issued, and the events the registries receive of it, in the order issued.
pub struct Approved {
    pub outcome: Outcome,
    pub events: Vec<NewEvent>,
}

/// Carries out what an approval produces and records it.
pub async fn approve(
    tx: &mut Tx<'_>,
    row: &ApplicationRow,
    approval: &Approval,
    today: NaiveDate,
) -> ApiResult<Approved> {
    let details = &row.details.0;
    let everyone: Vec<Uuid> = std::iter::once(row.applicant_id)
        .chain(details.family().iter().map(|m| m.person_id))
        .collect();
    let year = today.year();
    let mut issued = Vec::new();
    let mut events = Vec::new();
    // The records of this application lie where it does; a registration, where it is.
    let region = row.region;
    let iins = persons::iins(&mut **tx, &everyone).await?;
    let holder = |person: Uuid| Holder::new(person, iins.get(&person).map(String::as_str));
    match details {
        Details::IinAssignment { .. } => return assign_iin(tx, row.applicant_id, region).await,
        Details::KandasStatusAssignment { .. } => {
            let (from, until) = issuance::kandas_validity(today);
            for person in everyone {
                let number =
                    records::next_number(tx, IssuedKind::KandasCertificate.number_prefix(), year)
                        .await?;
                records::insert_kandas_status(tx, person, row.id, &number, from, until, false)
                    .await?;
                events.push(record_acts::kandas_status_granted(
                    &holder(person),
                    &number,
                    (from, until),
                    region,
                ));
                issued.push(issue(
                    person,
                    IssuedKind::KandasCertificate,
                    number,
                    Some(from),
                    Some(until),
                ));
            }
        }
        Details::KandasStatusExtension => {
            let current = records::load(tx, row.applicant_id)
                .await?
                .and_then(|r| r.kandas_statuses.into_iter().max_by_key(|s| s.valid_until))
                .ok_or_else(|| {
                    failed_precondition(
                        Reason::NoKandasStatus,
                        "there is no kandas status to extend",
                        vec![Violation::new(
                            "KANDAS_STATUS_VALID",
                            "applicant",
                            "no kandas status on record",
                        )],
                    )
                })?;
            let (from, until) = issuance::kandas_validity(today);
            records::insert_kandas_status(
                tx,
                row.applicant_id,
                row.id,
                &current.certificate_number,
                from,
                until,
                true,
            )
            .await?;
            events.push(record_acts::kandas_status_extended(
                &holder(row.applicant_id),
                &current.certificate_number,
                (from, until),
                region,
            ));
            issued.push(issue(
                row.applicant_id,
                IssuedKind::KandasExtension,
                current.certificate_number,
                Some(from),
                Some(until),
            ));
        }
        Details::PermanentResidencePermit { .. } => {
            for person in everyone {
                let number = records::next_number(
                    tx,
                    IssuedKind::PermanentResidencePermit.number_prefix(),
                    year,
                )
                .await?;
                records::insert_permit(tx, person, row.id, &number, today).await?;
                events.push(record_acts::permit_granted(
                    &holder(person),
                    &number,
                    today,
                    region,
                ));
                issued.push(issue(
                    person,
                    IssuedKind::PermanentResidencePermit,
                    number,
                    Some(today),
                    None,
                ));
            }
        }
        Details::ResidencePermitCard { .. } => {
            let passport = admission::presented_passport(&row.documents.0, None).or(records::load(
                tx,
                row.applicant_id,
            )
            .await?
            .and_then(|r| prerequisites::passport_on_record(&r)));
            let valid_until = passport
                .and_then(|(expiry, _)| issuance::card_valid_until(today, expiry))
                .ok_or_else(|| {
                    failed_precondition(
                        Reason::PassportExpired,
                        "the card cannot outlive the passport, which is no longer valid",
                        vec![Violation::new(
                            "PASSPORT_VALID",
                            "applicant",
                            "a valid national passport is required",
                        )],
                    )
                })?;
            let number =
                records::next_number(tx, IssuedKind::ResidencePermitCard.number_prefix(), year)
                    .await?;
            records::insert_card(tx, row.applicant_id, row.id, &number, today, valid_until).await?;
            events.push(record_acts::card_issued(
                &holder(row.applicant_id),
                &number,
                today,
                valid_until,
                region,
            ));
            issued.push(issue(
                row.applicant_id,
                IssuedKind::ResidencePermitCard,
                number,
                Some(today),
                Some(valid_until),
            ));
        }
        Details::StatelessPersonCertificate { .. } => {
            let number = records::next_number(
                tx,
                IssuedKind::StatelessPersonCertificate.number_prefix(),
                year,
            )
            .await?;
            records::insert_stateless_certificate(tx, row.applicant_id, row.id, &number, today)
                .await?;
            events.push(record_acts::stateless_certificate_issued(
                &holder(row.applicant_id),
                &number,
                today,
                region,
            ));
            issued.push(issue(
                row.applicant_id,
                IssuedKind::StatelessPersonCertificate,
                number,
                Some(today),
                None,
            ));
        }
        Details::ResidenceRegistration {
            kind,
            region,
            address,
            until,
            ..
        } => {
            for person in everyone {
                let id = records::insert_registration(
                    tx, person, row.id, *kind, *region, address, today, *until,
                )
                .await?;
                events.push(record_acts::registration_made(
                    &holder(person),
                    id,
                    *kind,
                    *region,
                    today,
                    *until,
                ));
                let mut record = issue(
                    person,
                    IssuedKind::Registration,
                    format!("registrations/{id}"),
                    Some(today),
                    *until,
                );
                record.region = region.to_string();
                record.address = address.clone();
                issued.push(record);
            }
        }
        // Quota places are no record a registry keeps: the quota feed carries them (SPEC 6).
        Details::RegionalQuotaInclusion { region, year, .. } => {
            let outcome =
                include_in_quota(tx, row, &everyone, *region, *year, approval, today).await?;
            return Ok(Approved {
                outcome,
                events: Vec::new(),
            });
        }
        Details::SimplifiedCitizenship { .. } => {
            for person in everyone {
                records::grant_citizenship(tx, person, row.id, today).await?;
                events.push(record_acts::citizenship_granted(
                    &holder(person),
                    today,
                    region,
                ));
                let number =
                    records::next_number(tx, IssuedKind::Citizenship.number_prefix(), year).await?;
                issued.push(issue(
                    person,
                    IssuedKind::Citizenship,
                    number,
                    Some(today),
                    None,
                ));
            }
        }
    }
    Ok(Approved {
        outcome: Outcome::Issued { records: issued },
        events,
    })
}

/// Takes one place per person atomically, records the inclusion (never twice for anyone)
/// and fixes the entitlement at the MCI of the decision year.
#[allow(clippy::too_many_arguments)]
async fn include_in_quota(
    tx: &mut Tx<'_>,
    row: &ApplicationRow,
    everyone: &[Uuid],
    region: Region,
    year: i32,
    approval: &Approval,
    today: NaiveDate,
) -> ApiResult<Outcome> {
    let rent_mci = i64::from(approval.rent_mci);
    let housing_cost = (approval.housing_cost_tenge != 0).then_some(approval.housing_cost_tenge);
    let mut fields = Fields::new();
    if !crate::domain::support::RENT_MCI_RANGE.contains(&rent_mci) {
        fields.push(FieldError::new(
            "approve.rent_mci",
            "required for quota inclusion: 15 to 30 whole MCI a month",
        ));
    }
    if approval.housing_cost_tenge < 0 {
        fields.push(FieldError::new(
            "approve.housing_cost_tenge",
            "must not be negative",
        ));
    }
    fields.finish()?;
    let mci_year = today.year();
    let mci = match store::quota::mci(&mut **tx, mci_year).await? {
        Some(Ok(mci)) => mci,
        None => {
            return Err(failed_precondition(
                Reason::MciNotSet,
                format!(
                    "the MCI for {mci_year} is not set; an administrator sets it with AdminService.SetMci"
                ),
                vec![Violation::new(
                    "MCI_SET",
                    format!("mci/{mci_year}"),
                    format!("MCI of {mci_year}"),
                )],
            ));
        }
        Some(Err(stored)) => {
            return Err(failed_precondition(
                Reason::MciOutOfRange,
                format!(
                    "the MCI stored for {mci_year} is {} tenge, outside 1 to 100,000; an administrator sets it again with AdminService.SetMci",
                    stored.0
                ),
                vec![Violation::new(
                    "MCI_SET",
                    format!("mci/{mci_year}"),
                    format!("MCI of {mci_year}: {stored}"),
                )],
            ));
        }
    };
    let lines =
        crate::domain::support::entitlement(everyone.len() as i64, rent_mci, housing_cost, mci)
            .map_err(|e| ApiError::field("approve", e.to_string()))?;
    let places = everyone.len() as i32;
    match store::quota::allocate(tx, region, year, places).await? {
        store::quota::Allocation::Taken => {}
        store::quota::Allocation::TooFew {
            places: total,
            remaining,
        } => {
            return Err(ApiError::ResourceExhausted {
                reason: Reason::QuotaExhausted,
                message: format!(
                    "the {year} quota of {region} has {remaining} of {total} places left; {places} requested"
                ),
                violations: vec![(
                    format!("quotas/{region}/{year}"),
                    format!(
                        "region {region}, year {year}: requested {places}, remaining {remaining}"
                    ),
                )],
            });
        }
        store::quota::Allocation::NoQuota => {
            return Err(failed_precondition(
                Reason::NotAQuotaRegion,
                format!("{region} has no quota for {year}"),
                vec![Violation::new(
                    "QUOTA_REGION",
                    format!("quotas/{region}/{year}"),
                    "no quota set",
                )],
            ));
        }
    }
    if let Err(person) = store::quota::include(tx, everyone, row.id, region, year).await? {
        return Err(failed_precondition(
            Reason::AlreadyIncluded,
            "a person of this family was already included in a quota; nobody is included twice",
            vec![Violation::new(
                PrerequisiteCode::NotIncludedBefore,
                PersonId::from(person).to_string(),
                "included in an earlier quota",
            )],
        ));
    }
    store::support::insert_lines(tx, row.id, mci_year, mci.tenge(), &lines).await?;
    let number = records::next_number(tx, IssuedKind::QuotaInclusion.number_prefix(), year).await?;
    let issued = everyone
        .iter()
        .map(|person| {
            let mut record = issue(
                *person,
                IssuedKind::QuotaInclusion,
                number.clone(),
                Some(today),
                None,
            );
            record.region = region.to_string();
            record
        })
        .collect();
    Ok(Outcome::Issued { records: issued })
}

async fn assign_iin(
    tx: &mut Tx<'_>,
    applicant: Uuid,
    region: Option<Region>,
) -> ApiResult<Approved> {
    let person = persons::get_for_update(tx, applicant)
        .await?
        .ok_or_else(|| ApiError::not_found("applicant"))?;
    if person.iin.is_some() {
        return Err(failed_precondition(
            Reason::IinAlreadyAssigned,
            "the person already holds an IIN",
            vec![Violation::new(
                "IIN_NOT_YET_ASSIGNED",
                "applicant",
                "an IIN is never changed or regenerated once assigned",
            )],
        ));
    }
    let iin = persons::issue_iin(tx, &person).await.map_err(|e| match e {
        IssueError::Database(db) => ApiError::from(db),
        IssueError::SerialsExhausted => ApiError::ResourceExhausted {
            reason: Reason::IinSerialsExhausted,
            message: "every IIN serial for this birth date and sex has been issued".into(),
            violations: vec![(
                "iin_serials".into(),
                "no free serial for this prefix".into(),
            )],
        },
        IssueError::Unencodable => failed_precondition(
            Reason::BirthDateNotEncodable,
            "the birth date cannot be encoded in an IIN",
            vec![Violation::new(
                "BIRTH_DATE_NOT_ENCODABLE",
                "applicant",
                "IINs encode births from 1800 to 2099",
            )],
        ),
    })?;
    let holder = Holder::new(person.id, Some(iin.as_str()));
    Ok(Approved {
        outcome: Outcome::IinAssigned {
            iin: iin.as_str().to_string(),
        },
        events: vec![record_acts::iin_assigned(
            &holder,
            person.identity(),
            region,
        )],
    })
}

fn issue(
    person_id: Uuid,
    kind: IssuedKind,
    number: String,
    valid_from: Option<NaiveDate>,
    valid_until: Option<NaiveDate>,
) -> Issued {
    Issued {
        person_id,
        kind,
        number,
        valid_from,
        valid_until,
        region: String::new(),
        address: String::new(),
    }
}

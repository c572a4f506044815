//! The prerequisites of one person for one procedure, as migration police systems check them
//! before deciding, and the offences they record (which the permit's look-back then counts).

use crate::domain::admission::{self, People};
use crate::domain::call::Call;
use crate::domain::details::Details;
use crate::domain::ids::{OffenceId, PersonId};
use crate::domain::prerequisites::{self, Prerequisite, PrerequisiteQuery};
use crate::domain::procedure::Procedure;
use crate::domain::records::OffenceField;
use crate::domain::regions::Region;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::service::mutation::{self, Idempotency};
use crate::service::{applications, persons};
use crate::state::AppState;
use crate::store::{self, records};
use chrono::NaiveDate;
use prost::Message;
use uuid::Uuid;

/// CheckPrerequisites, parsed.
pub struct CheckFor {
    pub person: PersonId,
    pub procedure: Procedure,
    /// Today's clock when unset.
    pub as_of: Option<NaiveDate>,
    /// For quota inclusion (required there), the region and year applied for.
    pub region: Option<Region>,
    pub year: Option<i32>,
}

/// RecordOffence, parsed.
pub struct RecordOffence {
    pub key: Idempotency,
    pub person: PersonId,
    pub field: OffenceField,
    pub date: NaiveDate,
    /// Trimmed, as stored.
    pub description: String,
}

/// An offence as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offence {
    pub id: OffenceId,
    pub person: PersonId,
    pub field: OffenceField,
    pub date: NaiveDate,
    pub description: String,
}

/// Every check of the procedure's variant the person's records call for, satisfied or not:
/// the same [`prerequisites::check`] that submission refuses on, and for quota inclusion the
/// same quota eligibility on the same facts, so the two never disagree.
pub async fn check(
    state: &AppState,
    call: &Call,
    command: CheckFor,
) -> ApiResult<Vec<Prerequisite>> {
    let CheckFor {
        person,
        procedure,
        as_of,
        region,
        year,
    } = command;
    let person = person.uuid();
    let as_of = as_of.unwrap_or_else(|| state.clock.today());
    let mut conn = state.pool.acquire().await?;
    let records = records::load(&mut conn, person)
        .await?
        .ok_or_else(|| ApiError::missing(call, "person"))?;
    persons::within(&mut *conn, call, person).await?;
    let quota = quota_applied_for(procedure, region, year)?;
    let query = PrerequisiteQuery::for_procedure(procedure, &records);
    let mut checks = prerequisites::check(
        &query,
        &records,
        prerequisites::passport_on_record(&records),
        as_of,
    );
    if let Some((region, year)) = quota {
        let people = People {
            applicant: records,
            family: Vec::new(),
        };
        let details = Details::RegionalQuotaInclusion {
            region,
            year,
            family: Vec::new(),
        };
        let facts = applications::quota_facts(&mut conn, &people, &details).await?;
        checks.extend(
            admission::quota_eligibility(&people, &details, &facts, as_of)
                .into_iter()
                .map(|unmet| unmet.check),
        );
    }
    Ok(checks)
}

/// Quota eligibility depends on the region and year applied for, as submission judges it:
/// for quota inclusion both are required (checked once the caller may see the person, like
/// every other answer about them); other procedures ignore them.
fn quota_applied_for(
    procedure: Procedure,
    region: Option<Region>,
    year: Option<i32>,
) -> ApiResult<Option<(Region, i32)>> {
    if procedure != Procedure::RegionalQuotaInclusion {
        return Ok(None);
    }
    if let (Some(region), Some(year)) = (region, year) {
        return Ok(Some((region, year)));
    }
    let missing = [
        (
            region.is_none(),
            "region",
            "the quota region applied for, e.g. KZ-55",
        ),
        (
            year.is_none(),
            "year",
            "the quota year applied for, e.g. 2026",
        ),
    ];
    Err(ApiError::InvalidArgument(
        missing
            .into_iter()
            .filter(|(absent, _, _)| *absent)
            .map(|(_, field, what)| {
                FieldError::new(
                    field,
                    format!("required for REGIONAL_QUOTA_INCLUSION: {what}"),
                )
            })
            .collect(),
    ))
}

/// Records an offence of a registered person, once. `present` turns it into the answer, which
/// a retry gets again.
pub async fn record_offence<R: Message + Default>(
    state: &AppState,
    call: &Call,
    command: RecordOffence,
    present: impl Fn(&Offence) -> R,
) -> ApiResult<R> {
    let RecordOffence {
        key,
        person,
        field,
        date,
        description,
    } = command;
    let mut tx = state.pool.begin().await?;
    if let Some(first) = mutation::claim(&mut tx, call, &key).await? {
        return Ok(first);
    }
    store::persons::get(&mut *tx, person.uuid())
        .await?
        .ok_or_else(|| ApiError::missing(call, "person"))?;
    persons::within(&mut *tx, call, person.uuid()).await?;
    let id = OffenceId::from(Uuid::now_v7());
    records::insert_offence(
        &mut tx,
        id.uuid(),
        person.uuid(),
        field,
        date,
        &description,
        &call.caller.client(),
    )
    .await?;
    let answer = present(&Offence {
        id,
        person,
        field,
        date,
        description,
    });
    let name = person.to_string();
    mutation::commit(&state.audit, tx, call, &key, &name, &answer).await?;
    Ok(answer)
}

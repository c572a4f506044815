//! Persons: registering one, reading one by name or IIN, and recording a host's notification
//! of a person's arrival. Commands arrive parsed; each mutation owns its transaction.

use crate::domain::caller::Call;
use crate::domain::iin::Iin;
use crate::domain::jurisdiction::OutsideJurisdiction;
use crate::domain::person::{ARRIVAL_NOTICE_TERM, ArrivalNotice, PersonDetails};
use crate::domain::role::Role;
use crate::error::{ApiError, ApiResult};
use crate::service::mutation::{self, Idempotency};
use crate::state::AppState;
use crate::store::persons::{self, PersonRow};
use crate::store::records;
use chrono::NaiveDate;
use prost::Message;
use uuid::Uuid;

/// RegisterPerson, parsed.
pub struct Register {
    pub key: Idempotency,
    /// Only for a person who already holds an IIN issued elsewhere.
    pub iin: Option<Iin>,
    pub details: PersonDetails,
}

/// GetPerson, parsed: the one way the request names the person.
pub enum Lookup {
    Name(Uuid),
    Iin(Iin),
}

/// RecordArrivalNotification, parsed.
pub struct RecordArrival {
    pub key: Idempotency,
    pub person: Uuid,
    pub entry_date: NaiveDate,
    pub notified_on: NaiveDate,
    pub host: String,
}

/// Registers a person, once. `present` turns the stored person into the answer, which a retry
/// gets again.
pub async fn register<R: Message + Default>(
    state: &AppState,
    call: &Call,
    command: Register,
    present: impl Fn(&PersonRow) -> R,
) -> ApiResult<R> {
    let Register { key, iin, details } = command;
    let mut tx = state.pool.begin().await?;
    if let Some(first) = mutation::claim(&mut tx, call, &key).await? {
        return Ok(first);
    }
    let row = persons::insert(
        &mut tx,
        Uuid::now_v7(),
        iin.as_ref(),
        &details,
        &call.caller.client(),
    )
    .await?;
    let answer = present(&row);
    let name = format!("persons/{}", row.id);
    mutation::commit(tx, call, &key, &name, &answer).await?;
    Ok(answer)
}

/// How much of a person a reader is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disclosure {
    /// The whole person: they are within the caller's jurisdiction.
    Full,
    /// Names, birth date, sex and citizenship only: an office looked up by the IIN they
    /// presented a person who has nothing in its jurisdiction yet (SPEC 1.1).
    Identity,
}

/// Reads a person within the caller's scope. A `psc` or `police` office that looks a person
/// up by IIN is answered their identity even outside its jurisdiction, which is enough to
/// submit for them.
pub async fn get(
    state: &AppState,
    call: &Call,
    lookup: Lookup,
) -> ApiResult<(PersonRow, Disclosure)> {
    let by_iin = matches!(lookup, Lookup::Iin(_));
    let row = match lookup {
        Lookup::Name(id) => persons::get(&state.pool, id).await?,
        Lookup::Iin(iin) => persons::get_by_iin(&state.pool, &iin).await?,
    }
    .ok_or_else(|| ApiError::not_found("person"))?;
    if persons::in_scope(&state.pool, row.id, &call.scope(), &call.caller.client()).await? {
        return Ok((row, Disclosure::Full));
    }
    if by_iin && matches!(call.caller.role, Role::Psc | Role::Police) {
        return Ok((row, Disclosure::Identity));
    }
    Err(outside(row.id))
}

/// The refusal of a person outside the caller's jurisdiction.
pub fn outside(person: Uuid) -> ApiError {
    OutsideJurisdiction(format!(
        "persons/{person} has no application or record in this organisation's jurisdiction"
    ))
    .into()
}

/// Refuses a person outside the caller's scope.
pub async fn within(
    executor: impl sqlx::PgExecutor<'_>,
    call: &Call,
    person: Uuid,
) -> ApiResult<()> {
    if persons::in_scope(executor, person, &call.scope(), &call.caller.client()).await? {
        Ok(())
    } else {
        Err(outside(person))
    }
}

/// The person a portal's applicant IIN stands for. An IIN no one holds names no applicant the
/// portal can act for.
pub async fn holder_of(state: &AppState, iin: &Iin) -> ApiResult<Uuid> {
    persons::get_by_iin(&state.pool, iin)
        .await?
        .map(|row| row.id)
        .ok_or_else(|| ApiError::PermissionDenied {
            reason: "APPLICANT_UNKNOWN",
            message: "no person holds the IIN named in `x-kandas-applicant`".into(),
        })
}

/// Records a host's arrival notification, late or not, with the day it was due. It is
/// audited under the person as the call names them, the name the answer echoes.
pub async fn record_arrival<R: Message + Default>(
    state: &AppState,
    call: &Call,
    command: RecordArrival,
    present: impl Fn(&ArrivalNotice) -> R,
) -> ApiResult<R> {
    let RecordArrival {
        key,
        person,
        entry_date,
        notified_on,
        host,
    } = command;
    let due_date = state
        .calendar
        .current()
        .deadline(entry_date, ARRIVAL_NOTICE_TERM)
        .date;
    let mut tx = state.pool.begin().await?;
    if let Some(first) = mutation::claim(&mut tx, call, &key).await? {
        return Ok(first);
    }
    persons::get(&mut *tx, person)
        .await?
        .ok_or_else(|| ApiError::not_found("person"))?;
    within(&mut *tx, call, person).await?;
    let notice = ArrivalNotice {
        id: Uuid::now_v7(),
        person,
        entry_date,
        notified_on,
        due_date,
    };
    records::insert_arrival_notification(
        &mut tx,
        notice.id,
        person,
        entry_date,
        notified_on,
        due_date,
        &host,
        &call.caller.client(),
    )
    .await?;
    let answer = present(&notice);
    mutation::commit(tx, call, &key, &call.subject, &answer).await?;
    Ok(answer)
}

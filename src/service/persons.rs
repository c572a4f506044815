//! Persons: registering one, reading one by name or IIN, and recording a host's notification
//! of a person's arrival. Commands arrive parsed; each mutation owns its transaction.

use crate::domain::caller::Call;
use crate::domain::iin::Iin;
use crate::domain::person::{ARRIVAL_NOTICE_TERM, ArrivalNotice, PersonDetails};
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
    let row = persons::insert(&mut tx, Uuid::now_v7(), iin.as_ref(), &details).await?;
    let answer = present(&row);
    let name = format!("persons/{}", row.id);
    mutation::commit(tx, call, &key, &name, &answer).await?;
    Ok(answer)
}

pub async fn get(state: &AppState, lookup: Lookup) -> ApiResult<PersonRow> {
    let row = match lookup {
        Lookup::Name(id) => persons::get(&state.pool, id).await?,
        Lookup::Iin(iin) => persons::get_by_iin(&state.pool, &iin).await?,
    };
    row.ok_or_else(|| ApiError::not_found("person"))
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

//! Persons: registering one, reading one by name or IIN, and recording a host's notification
//! of a person's arrival. Commands arrive parsed; each mutation owns its transaction.

use crate::audit::Entry;
use crate::domain::call::Call;
use crate::domain::correction::{self, Correctable, SupportingDocument};
use crate::domain::ids::PersonId;
use crate::domain::iin::Iin;
use crate::domain::jurisdiction::OutsideJurisdiction;
use crate::domain::person::{
    ARRIVAL_NOTICE_TERM, ArrivalNotice, IdentityDocument, PersonDetails, RawPerson,
};
use crate::domain::record_acts::{self, Holder};
use crate::domain::role::Role;
use crate::error::{ApiError, ApiResult, FieldError, Reason, Violation, failed_precondition};
use crate::service::mutation::{self, Idempotency};
use crate::state::AppState;
use crate::store::persons::{self, PersonRow};
use crate::store::{record_events, records};
use chrono::NaiveDate;
use prost::Message;
use uuid::Uuid;

/// RegisterPerson, parsed.
pub struct Register {
    pub key: Idempotency,
    /// Only for a person who already holds an IIN issued elsewhere.
    pub iin: Option<Iin>,
    pub details: PersonDetails,
    pub document: Option<IdentityDocument>,
    /// The caller checked the possible duplicates and states this is someone else.
    pub confirmed_distinct: bool,
}

/// UpdatePerson, parsed: the fields to take from `proposed`, on the version `etag` names.
pub struct Correct {
    pub key: Idempotency,
    pub person: PersonId,
    pub etag: String,
    pub fields: Vec<Correctable>,
    pub proposed: ProposedPerson,
    pub reason: String,
    pub document: SupportingDocument,
}

/// A person's fields as a correction proposes them, not yet checked against the record.
#[derive(Debug, Clone, Default)]
pub struct ProposedPerson {
    pub surname: String,
    pub given_name: String,
    pub patronymic: String,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<crate::domain::iin::Sex>,
    pub citizenship: String,
    pub ethnic_kazakh: bool,
}

/// GetPerson, parsed: the one way the request names the person.
pub enum Lookup {
    Name(PersonId),
    Iin(Iin),
}

/// RecordArrivalNotification, parsed.
pub struct RecordArrival {
    pub key: Idempotency,
    pub person: PersonId,
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
    let Register {
        key,
        iin,
        details,
        document,
        confirmed_distinct,
    } = command;
    let mut tx = state.pool.begin().await?;
    if let Some(first) = mutation::claim(&mut tx, call, &key).await? {
        return Ok(first);
    }
    if let Some(document) = &document
        && let Some(holder) = persons::holder_of_document(&mut *tx, document).await?
    {
        return Err(ApiError::AlreadyExists {
            reason: Reason::IdentityDocumentHeld,
            message: format!(
                "persons/{holder} holds this identity document already: one person, one record"
            ),
        });
    }
    // A held IIN is refused by its own constraint, which names the rule more exactly than a
    // list of look-alikes would.
    let iin_held = match &iin {
        Some(iin) => persons::get_by_iin(&mut *tx, iin).await?.is_some(),
        None => false,
    };
    let candidates = if iin_held {
        Vec::new()
    } else {
        persons::same_identity(&mut *tx, &details).await?
    };
    if !candidates.is_empty() && !confirmed_distinct {
        return Err(possible_duplicate(&candidates));
    }
    let client = call.caller.client();
    let row = persons::insert(&mut tx, Uuid::now_v7(), iin.as_ref(), &details, &client).await?;
    if let Some(document) = &document {
        persons::insert_document(&mut tx, row.id, document).await?;
    }
    let name = PersonId::from(row.id).to_string();
    let reason = if candidates.is_empty() {
        "registered".to_string()
    } else {
        let others: Vec<String> = candidates
            .iter()
            .map(|id| PersonId::from(*id).to_string())
            .collect();
        format!("registered; stated distinct from {}", others.join(", "))
    };
    let change = persons::Change {
        changed_by: &client,
        operator_id: &call.caller.operator_id,
        reason: &reason,
        document: None,
    };
    persons::record_version(&mut tx, &row, &change).await?;
    if !candidates.is_empty() {
        // The statement that this is someone else is an act of its own, found under the person.
        let stated = call.clone().about(&name);
        crate::audit::record(
            &mut *tx,
            state.audit.tag_key(),
            &Entry::of(&stated, "CONFIRMED_DISTINCT"),
        )
        .await?;
    }
    let answer = present(&row);
    mutation::commit(&state.audit, tx, call, &key, &name, &answer).await?;
    Ok(answer)
}

/// The refusal of a registration that may be someone registered already.
fn possible_duplicate(candidates: &[Uuid]) -> ApiError {
    failed_precondition(
        Reason::PossibleDuplicate,
        "a person with the same surname, given name, birth date and sex is registered; if this \
         is someone else, register again with `confirmed_distinct`",
        candidates
            .iter()
            .map(|id| {
                Violation::new(
                    "POSSIBLE_DUPLICATE",
                    PersonId::from(*id).to_string(),
                    "same surname, given name, birth date and sex",
                )
            })
            .collect(),
    )
}

/// Corrects a person, once, on the version the caller read. The IIN stays. `present` turns the
/// corrected person into the answer, which a retry gets again.
pub async fn correct<R: Message + Default>(
    state: &AppState,
    call: &Call,
    command: Correct,
    present: impl Fn(&PersonRow) -> R,
) -> ApiResult<R> {
    let Correct {
        key,
        person,
        etag,
        fields,
        proposed,
        reason,
        document,
    } = command;
    let person = person.uuid();
    let mut tx = state.pool.begin().await?;
    if let Some(first) = mutation::claim(&mut tx, call, &key).await? {
        return Ok(first);
    }
    let current = persons::get_for_update(&mut tx, person)
        .await?
        .ok_or_else(|| ApiError::missing(call, "person"))?;
    within(&mut *tx, call, person).await?;
    // A mission corrects the persons it registered, not everyone its applications include.
    if call.caller.role == Role::Mission
        && current.registered_by.as_deref() != Some(call.caller.client().as_str())
    {
        return Err(OutsideJurisdiction(format!(
            "persons/{person} was not registered by this mission; a psc corrects them"
        ))
        .into());
    }
    mutation::ensure_fresh("person", &etag, current.version)?;
    let raw = RawPerson {
        surname: &proposed.surname,
        given_name: &proposed.given_name,
        patronymic: &proposed.patronymic,
        birth_date: proposed.birth_date,
        sex: proposed.sex,
        citizenship: &proposed.citizenship,
        ethnic_kazakh: proposed.ethnic_kazakh,
    };
    let corrected = correction::correct(&current.as_raw(), &raw, &fields, state.clock.today())
        .map_err(|problems| {
            ApiError::InvalidArgument(
                problems
                    .into_iter()
                    .map(|(field, rule)| FieldError::new(format!("person.{field}"), rule))
                    .collect(),
            )
        })?;
    let row = persons::update(&mut tx, person, &corrected).await?;
    let change = persons::Change {
        changed_by: &call.caller.client(),
        operator_id: &call.caller.operator_id,
        reason: &reason,
        document: Some(&document),
    };
    let revision = persons::record_version(&mut tx, &row, &change).await?;
    // A correction lies where the person lives, for the registries that keep that region.
    let lives_in = records::load(&mut tx, person).await?.and_then(|r| {
        r.permanent_registration_on(state.clock.today())
            .map(|registration| registration.region)
    });
    let event = record_acts::person_corrected(
        &Holder::new(row.id, row.iin.as_deref()),
        revision,
        &fields,
        &corrected,
        lives_in,
    );
    let answer = present(&row);
    record_events::append(&mut tx, &[event]).await?;
    mutation::commit(&state.audit, tx, call, &key, &call.subject, &answer).await?;
    Ok(answer)
}

/// A person's issued records within the caller's scope, as they stand on `as_of`.
pub async fn records(
    state: &AppState,
    call: &Call,
    person: PersonId,
    as_of: Option<NaiveDate>,
) -> ApiResult<Vec<crate::domain::record_list::RecordEntry>> {
    let person = person.uuid();
    let mut conn = state.pool.acquire().await?;
    let on_record = records::load(&mut conn, person)
        .await?
        .ok_or_else(|| ApiError::missing(call, "person"))?;
    within(&mut *conn, call, person).await?;
    let listed = records::load_listed(&mut conn, person).await?;
    let day = as_of.unwrap_or_else(|| state.clock.today());
    Ok(crate::domain::record_list::list(&on_record, &listed, day))
}

/// Every version of a person within the caller's scope, oldest first.
pub async fn versions(
    state: &AppState,
    call: &Call,
    person: PersonId,
) -> ApiResult<Vec<persons::VersionRow>> {
    let person = person.uuid();
    persons::get(&state.pool, person)
        .await?
        .ok_or_else(|| ApiError::missing(call, "person"))?;
    within(&state.pool, call, person).await?;
    Ok(persons::versions(&state.pool, person).await?)
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
    let name = match &lookup {
        Lookup::Name(id) => id.to_string(),
        Lookup::Iin(_) => "the person with this IIN".into(),
    };
    let row = match lookup {
        Lookup::Name(id) => persons::get(&state.pool, id.uuid()).await?,
        Lookup::Iin(iin) => persons::get_by_iin(&state.pool, &iin).await?,
    }
    // A psc or police office may learn whether an IIN is held: the lookup of a walk-in is
    // theirs to make (SPEC 1.1). Anyone else is not told whether a person exists.
    .ok_or_else(|| {
        if by_iin && matches!(call.caller.role, Role::Psc | Role::Police) {
            ApiError::not_found("person")
        } else {
            ApiError::missing_as(call, "person", &name)
        }
    })?;
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
    OutsideJurisdiction::of(&PersonId::from(person).to_string()).into()
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
            reason: Reason::ApplicantUnknown,
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
    let person = person.uuid();
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
        .ok_or_else(|| ApiError::missing(call, "person"))?;
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
    mutation::commit(&state.audit, tx, call, &key, &call.subject, &answer).await?;
    Ok(answer)
}

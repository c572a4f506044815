//! A record after its issue (SPEC 5.7): police end a registration; the commission annuls a
//! kandas status and police a permanent residence permit. Each mutation owns its transaction,
//! its idempotency claim and its audit event, and acts only within the caller's jurisdiction.

use crate::domain::call::Call;
use crate::domain::ids::PersonId;
use crate::domain::jurisdiction::Placement;
use crate::domain::notification::{Facts, NewNotification, steps};
use crate::domain::record_acts::{self, Holder};
use crate::domain::record_life::{
    self, AnnulRefusal, AnnullableKind, Annulment, EndRefusal, RegistrationEnd,
};
use crate::domain::regions::Region;
use crate::error::{ApiError, ApiResult, Reason, Violation, failed_precondition};
use crate::service::mutation::{self, Idempotency};
use crate::state::AppState;
use crate::store::records::{self, AnnullableRow, RegistrationRow};
use crate::store::{Tx, applications, notifications, persons, record_events};
use prost::Message;
use uuid::Uuid;

/// EndRegistration, parsed.
pub struct EndRegistration {
    pub key: Idempotency,
    pub person: PersonId,
    pub registration: Uuid,
    pub end: RegistrationEnd,
}

/// AnnulRecord, parsed.
pub struct AnnulRecord {
    pub key: Idempotency,
    pub kind: AnnullableKind,
    pub person: PersonId,
    pub number: String,
    pub annulment: Annulment,
}

/// An annulled record, with the cards that fell with a permit.
pub struct Annulled {
    pub kind: AnnullableKind,
    pub row: AnnullableRow,
    pub cards: Vec<String>,
}

/// Ends a registration, once. `present` turns the ended registration into the answer, which
/// a retry gets again.
pub async fn end_registration<R: Message + Default>(
    state: &AppState,
    call: &Call,
    command: EndRegistration,
    present: impl Fn(&RegistrationRow) -> R,
) -> ApiResult<R> {
    let EndRegistration {
        key,
        person,
        registration,
        end,
    } = command;
    let person = person.uuid();
    let mut tx = state.pool.begin().await?;
    if let Some(first) = mutation::claim(&mut tx, call, &key).await? {
        return Ok(first);
    }
    let mut row = records::registration_for_update(&mut tx, person, registration)
        .await?
        .ok_or_else(|| ApiError::missing(call, "registration"))?;
    call.scope().check(
        Placement {
            region: Some(row.region),
            applicant: row.person_id,
            submitted_by: &row.submitted_by,
        },
        &call.subject,
    )?;
    record_life::check_end(row.registered_on, row.until, row.ended(), end.last_day)
        .map_err(|refusal| end_refused(&call.subject, refusal))?;
    records::end_registration(&mut tx, row.id, end).await?;
    row.ended_on = Some(end.last_day);
    row.end_reason = Some(end.reason);
    let answer = present(&row);
    let ended = record_acts::registration_ended(
        &holder(&mut tx, person).await?,
        row.id,
        row.kind,
        row.region,
        end,
    );
    // What is on record of the person with the end applied: whether they must register
    // again, and by when (SPEC 5.5).
    let on_record = records::load(&mut tx, person)
        .await?
        .ok_or_else(|| ApiError::not_found("person"))?;
    let told = steps::registration_ended(row.kind, row.region, end, &on_record);
    notifications::append(
        &mut tx,
        &[of_record(
            person,
            row.application_id,
            &row.submitted_by,
            told,
        )],
    )
    .await?;
    record_events::append(&mut tx, &[ended]).await?;
    mutation::commit(&state.audit, tx, call, &key, &call.subject, &answer).await?;
    Ok(answer)
}

fn end_refused(name: &str, refusal: EndRefusal) -> ApiError {
    let (reason, message) = match refusal {
        EndRefusal::AlreadyEnded(end) => (
            Reason::RegistrationAlreadyEnded,
            format!(
                "{name} was already ended with {} as its last day",
                end.last_day
            ),
        ),
        EndRefusal::BeforeStart(start) => (
            Reason::RegistrationNotStarted,
            format!("{name} began on {start}; its last day cannot be earlier"),
        ),
        EndRefusal::EndsEarlier(until) => (
            Reason::RegistrationEndsEarlier,
            format!("{name} already ends on {until}; it can only be ended earlier"),
        ),
    };
    failed_precondition(
        reason,
        message.clone(),
        vec![Violation::new(reason.as_str(), name, message)],
    )
}

/// Annuls a kandas status (commission) or a permit (police), once, within the jurisdiction of
/// the application it came from. `present` turns the annulled record into the answer, which a
/// retry gets again.
pub async fn annul<R: Message + Default>(
    state: &AppState,
    call: &Call,
    command: AnnulRecord,
    present: impl Fn(&Annulled) -> R,
) -> ApiResult<R> {
    let AnnulRecord {
        key,
        kind,
        person,
        number,
        annulment,
    } = command;
    let person = person.uuid();
    let annuls = kind.annulled_by();
    if call.caller.role != annuls {
        return Err(ApiError::PermissionDenied {
            reason: Reason::RecordKindNotAnnulledByRole,
            message: format!(
                "{} is annulled by `{annuls}` only (the body that granted it), not by `{}`",
                kind.words(),
                call.caller.role
            ),
        });
    }
    let mut tx = state.pool.begin().await?;
    if let Some(first) = mutation::claim(&mut tx, call, &key).await? {
        return Ok(first);
    }
    let mut row = records::annullable_for_update(&mut tx, kind, person, &number)
        .await?
        .ok_or_else(|| ApiError::missing(call, kind.collection()))?;
    let (region, submitted_by) = record_within(state, &mut tx, call, &row).await?;
    record_life::check_annulment(
        row.valid_from,
        row.valid_until,
        row.annulment.as_ref(),
        annulment.from,
    )
    .map_err(|refusal| annul_refused(&call.subject, refusal))?;
    records::annul(&mut tx, kind, person, &number, &annulment).await?;
    let cards = match kind {
        AnnullableKind::Permit => fallen_cards(&mut tx, person, &number).await?,
        AnnullableKind::KandasStatus => Vec::new(),
    };
    let holder = holder(&mut tx, person).await?;
    let annulled = match kind {
        AnnullableKind::KandasStatus => {
            record_acts::kandas_status_annulled(&holder, &number, &annulment, region)
        }
        AnnullableKind::Permit => {
            record_acts::permit_annulled(&holder, &number, &annulment, &cards, region)
        }
    };
    let told = steps::record_annulled(kind, &number, &annulment, cards.clone());
    notifications::append(
        &mut tx,
        &[of_record(person, row.application_id, &submitted_by, told)],
    )
    .await?;
    row.annulment = Some(annulment);
    let answer = present(&Annulled { kind, row, cards });
    record_events::append(&mut tx, &[annulled]).await?;
    mutation::commit(&state.audit, tx, call, &key, &call.subject, &answer).await?;
    Ok(answer)
}

/// Refuses a record outside the caller's scope: it lies where the application it came from
/// lies. An application placed in no region (filed by a national organisation that named
/// none) lies, as SPEC 1.1 takes it from records, where the person is permanently registered
/// today. Returns where it lies, if anywhere, and the office that submitted that application.
async fn record_within(
    state: &AppState,
    tx: &mut Tx<'_>,
    call: &Call,
    row: &AnnullableRow,
) -> ApiResult<(Option<Region>, String)> {
    let Some(application) = applications::get(&mut **tx, row.application_id).await? else {
        return Err(ApiError::not_found("application"));
    };
    let mut placement = application.placement();
    if placement.region.is_none() {
        let on_record = records::load(tx, row.person_id).await?;
        placement.region = on_record
            .as_ref()
            .and_then(|r| r.permanent_registration_on(state.clock.today()))
            .map(|r| r.region);
    }
    call.scope().check(placement, &call.subject)?;
    Ok((placement.region, application.submitted_by.clone()))
}

/// The notification of an act on a record of `person`, told to them (the record is theirs,
/// whoever applied for it) and read by the office that submitted the application it was
/// issued on.
fn of_record(person: Uuid, application: Uuid, submitted_by: &str, facts: Facts) -> NewNotification {
    NewNotification {
        person_id: person,
        application_id: Some(application),
        submitted_by: Some(submitted_by.to_owned()),
        facts,
    }
}

/// The person a record is of, as the registries know them.
async fn holder(tx: &mut Tx<'_>, person: Uuid) -> ApiResult<Holder> {
    let row = persons::get(&mut **tx, person)
        .await?
        .ok_or_else(|| ApiError::not_found("person"))?;
    Ok(Holder::new(row.id, row.iin.as_deref()))
}

/// The numbers of the cards that rest on permit `number`, as the rules read them.
async fn fallen_cards(tx: &mut Tx<'_>, person: Uuid, number: &str) -> ApiResult<Vec<String>> {
    let Some(on_record) = records::load(tx, person).await? else {
        return Ok(Vec::new());
    };
    Ok(on_record
        .cards
        .iter()
        .filter(|c| on_record.permit_of(c).is_some_and(|p| p.number == number))
        .map(|c| c.number.clone())
        .collect())
}

fn annul_refused(name: &str, refusal: AnnulRefusal) -> ApiError {
    let (reason, message) = match refusal {
        AnnulRefusal::AlreadyAnnulled(a) => (
            Reason::RecordAlreadyAnnulled,
            format!("{name} was already {}", a.describe()),
        ),
        AnnulRefusal::BeforeIssue(from) => (
            Reason::AnnulmentBeforeIssue,
            format!("{name} is valid from {from}; it cannot be annulled from an earlier date"),
        ),
        AnnulRefusal::ExpiredBefore(until) => (
            Reason::RecordExpired,
            format!("{name} was valid through {until} only; there is nothing left to annul"),
        ),
    };
    failed_precondition(
        reason,
        message.clone(),
        vec![Violation::new(reason.as_str(), name, message)],
    )
}

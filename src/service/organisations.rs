//! The organisation registry (SPEC 1.1): registering, changing and listing organisations, and
//! keeping every replica's copy of the registry current. Commands arrive parsed; each change
//! owns its transaction.

use crate::domain::call::Call;
use crate::domain::ids::OrganisationId;
use crate::domain::organisation::{Jurisdiction, Organisation, OrganisationState, Registry};
use crate::error::{ApiError, ApiResult};
use crate::service::mutation::{self, Idempotency};
use crate::state::{AppState, OrganisationsCell};
use crate::store::organisations::{self, OrganisationRow};
use prost::Message;
use sqlx::PgPool;
use std::time::Duration;

/// The longest a replica honours a suspension it has not heard of: the registry is read again
/// this often even when every notification is lost.
pub const REREAD_EVERY: Duration = Duration::from_secs(5);

/// RegisterOrganisation, parsed.
pub struct RegisterOrganisation {
    pub key: Idempotency,
    pub organisation: Organisation,
}

/// UpdateOrganisation, parsed: each field given replaces the stored one.
pub struct UpdateOrganisation {
    pub key: Idempotency,
    pub id: OrganisationId,
    /// Empty: change whatever version is stored.
    pub etag: String,
    pub display_name: Option<String>,
    pub jurisdiction: Option<Jurisdiction>,
    pub state: Option<OrganisationState>,
    pub accepts_sms_confirmation: Option<bool>,
}

/// The resource name of an organisation id held as text, as a row or a certificate holds it;
/// one parsed from a request is an [`OrganisationId`], which names itself.
pub fn name_of(id: &str) -> String {
    format!("{}/{id}", OrganisationId::COLLECTION)
}

/// Registers a new organisation; its certificates are honoured once every replica has heard.
pub async fn register<R: Message + Default>(
    state: &AppState,
    call: &Call,
    command: RegisterOrganisation,
    present: impl Fn(&OrganisationRow) -> R,
) -> ApiResult<R> {
    let RegisterOrganisation { key, organisation } = command;
    let mut tx = state.pool.begin().await?;
    if let Some(first) = mutation::claim(&mut tx, call, &key).await? {
        return Ok(first);
    }
    let row = organisations::insert(&mut tx, &organisation).await?;
    let answer = present(&row);
    mutation::commit(
        &state.audit,
        tx,
        call,
        &key,
        &name_of(&organisation.id),
        &answer,
    )
    .await?;
    reload(&state.pool, &state.organisations).await;
    Ok(answer)
}

/// Changes an organisation's name, jurisdiction or state; a suspension refuses its calls.
pub async fn update<R: Message + Default>(
    state: &AppState,
    call: &Call,
    command: UpdateOrganisation,
    present: impl Fn(&OrganisationRow) -> R,
) -> ApiResult<R> {
    let UpdateOrganisation {
        key,
        id,
        etag: given,
        display_name,
        jurisdiction,
        state: new_state,
        accepts_sms_confirmation,
    } = command;
    let name = id.to_string();
    let mut tx = state.pool.begin().await?;
    if let Some(first) = mutation::claim(&mut tx, call, &key).await? {
        return Ok(first);
    }
    let stored = organisations::lock(&mut tx, id.as_str())
        .await?
        .ok_or_else(|| ApiError::NotFound {
            resource: name.clone(),
        })?;
    mutation::ensure_fresh("organisation", &given, stored.version)?;
    let mut changed = stored.organisation;
    if let Some(display_name) = display_name {
        changed.display_name = display_name;
    }
    if let Some(jurisdiction) = jurisdiction {
        changed.jurisdiction = jurisdiction;
    }
    if let Some(new_state) = new_state {
        changed.state = new_state;
    }
    if let Some(accepts) = accepts_sms_confirmation {
        changed.accepts_sms_confirmation = accepts;
    }
    let row = organisations::update(&mut tx, &changed, stored.version)
        .await?
        .ok_or_else(|| mutation::stale("organisation"))?;
    let answer = present(&row);
    mutation::commit(&state.audit, tx, call, &key, &name, &answer).await?;
    reload(&state.pool, &state.organisations).await;
    Ok(answer)
}

/// Up to `limit + 1` organisations after `after`, in id order (the extra one says whether
/// another page follows).
pub async fn list(
    state: &AppState,
    after: Option<&str>,
    limit: i64,
) -> ApiResult<Vec<OrganisationRow>> {
    Ok(organisations::page(&state.pool, after, limit + 1).await?)
}

/// Registers each of `seeds` whose id is not registered yet.
pub async fn seed(pool: &PgPool, seeds: &[Organisation]) -> Result<(), sqlx::Error> {
    for organisation in seeds {
        if organisations::insert_if_absent(pool, organisation).await? {
            tracing::info!(organisation = %organisation.id, role = %organisation.role, "organisation registered");
        }
    }
    Ok(())
}

/// The registry as stored now.
pub async fn load(pool: &PgPool) -> Result<Registry, sqlx::Error> {
    Ok(Registry::new(organisations::all(pool).await?))
}

/// Replaces this replica's registry with the stored one; on failure keeps the one in force,
/// which the next re-read replaces.
async fn reload(pool: &PgPool, cell: &OrganisationsCell) {
    match load(pool).await {
        Ok(registry) => cell.replace(registry),
        Err(error) => {
            tracing::warn!(%error, "organisations not reloaded; keeping the registry in force")
        }
    }
}

//! Retention (SPEC 5.7, seed 004): erases the documents of kandas status applications a year
//! after their decision or withdrawal. Replicas share the work safely: one transaction-scoped
//! advisory lock lets one replica at a time run, and erasing what is already erased is a no-op,
//! so a run cut short is simply finished by the next.

use crate::domain::ids::ApplicationId;
use crate::domain::record_acts::{self, Holder};
use crate::domain::retention;
use crate::service::jobs::Done;
use crate::store::record_events;
use crate::store::retention as store;
use chrono::NaiveDate;
use sqlx::PgPool;

/// Applications erased per transaction: short transactions keep the lock brief.
const BATCH: i64 = 200;
/// The act audited for each application whose documents were erased.
pub const ERASE_ACT: &str = "retention/EraseKandasDocuments";

/// Erases every application's documents due on `today`, in batches; returns how many this
/// replica erased (none while another holds the lock).
/// Its audit events are tagged with `tag_key`, as every event the service writes.
pub async fn run_once(
    pool: &PgPool,
    tag_key: Option<&crate::audit::TagKey>,
    today: NaiveDate,
) -> Result<u64, sqlx::Error> {
    Ok(run(pool, tag_key, today).await?.count)
}

/// [`run_once`], saying also whether it stopped because another replica held the lock.
pub async fn run(
    pool: &PgPool,
    tag_key: Option<&crate::audit::TagKey>,
    today: NaiveDate,
) -> Result<Done, sqlx::Error> {
    let closed_by = retention::latest_closing_due(today);
    let mut erased = 0;
    loop {
        let mut tx = pool.begin().await?;
        if !store::try_lock(&mut tx).await? {
            return Ok(Done {
                count: erased,
                lock_held: true,
            });
        }
        let kept = store::kept(&mut tx, closed_by, BATCH).await?;
        let due: Vec<_> = kept
            .iter()
            .filter(|k| retention::due(k.closed_on, today))
            .collect();
        let mut events = Vec::new();
        for application in &due {
            let erased: Vec<_> = application
                .documents
                .iter()
                .map(retention::erased)
                .collect();
            if !store::erase(&mut tx, application.id, &erased, today).await? {
                continue;
            }
            let subject = ApplicationId::from(application.id).to_string();
            crate::audit::record_system(&mut *tx, tag_key, "retention", ERASE_ACT, &subject)
                .await?;
            let applicant = Holder::new(
                application.applicant_id,
                application.applicant_iin.as_deref(),
            );
            events.push(record_acts::documents_erased(
                &applicant,
                application.id,
                today,
                application.region,
            ));
        }
        // Once per batch and last: the feed's head stays locked only for the commit.
        record_events::append(&mut tx, &events).await?;
        tx.commit().await?;
        erased += events.len() as u64;
        if (kept.len() as i64) < BATCH || due.is_empty() {
            return Ok(Done::counted(erased));
        }
    }
}

/// Retention as a periodic job (`service::jobs`).
pub const JOB: crate::service::jobs::Job = crate::service::jobs::Job {
    name: "retention",
    done: "retention erased kandas documents",
    run_once: |pool, tag_key, today| Box::pin(run(pool, tag_key, today)),
};

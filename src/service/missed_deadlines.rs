//! Missed deadlines (SPEC 5.8, 6): the day after the state let an application's legal deadline
//! pass undecided (or, for quota inclusion, its pending step's), the applicant is told, once
//! per application and deadline. An overturned appeal gives an application a new deadline,
//! which can be missed again and is told again.
//!
//! Decision: only an undecided application misses a deadline here. A decided quota
//! application's last step, the employment center telling the applicant within 5 calendar
//! days (SPEC 6), stays on the overdue list when late; the applicant was notified of the
//! decision when it was made, so there is nothing missed to tell them.
//!
//! Every replica runs the job and any may find the same deadline: each batch takes the
//! notification feed's head lock before it looks, so replicas take turns and the one that
//! comes second finds the notification already written. The unique index
//! `notifications_deadline_missed_once` stands behind that. No application row is locked:
//! a decision being made meanwhile came too late all the same, and acts lock an application
//! before the feed's head, never after.

use crate::domain::ids::ApplicationId;
use crate::domain::notification::{NewNotification, steps};
use crate::store::missed_deadlines as store;
use crate::store::notifications;
use chrono::NaiveDate;
use sqlx::PgPool;

/// Applications told per transaction: the feed's head stays locked for one batch only.
const BATCH: i64 = 100;
/// The act audited for each notification of a missed deadline, with the application as its
/// subject: the service tells an applicant something of their file by itself.
pub const TELL_ACT: &str = "notifications/DeadlineMissed";
/// The job as the audit log names it (`urn:kandas:system:deadlines`).
const ACTOR: &str = "deadlines";

/// Tells every applicant whose application's deadline passed before `today` and who was not
/// yet told; returns how many this replica told. Its audit events are tagged with `tag_key`,
/// as every event the service writes.
pub async fn run_once(
    pool: &PgPool,
    tag_key: Option<&crate::audit::TagKey>,
    today: NaiveDate,
) -> Result<u64, sqlx::Error> {
    let mut told = 0;
    loop {
        // Most runs find nothing: look first without holding up anyone's act.
        if store::untold(pool, today, 1).await?.is_empty() {
            return Ok(told);
        }
        let mut tx = pool.begin().await?;
        store::lock_feed(&mut tx).await?;
        let missed: Vec<_> = store::untold(&mut *tx, today, BATCH)
            .await?
            .into_iter()
            .filter(|m| steps::deadline_missed_on(m.deadline, today))
            .collect();
        let mut batch = Vec::with_capacity(missed.len());
        for m in &missed {
            let subject = ApplicationId::from(m.application_id).to_string();
            crate::audit::record_system(&mut *tx, tag_key, ACTOR, TELL_ACT, &subject).await?;
            batch.push(NewNotification {
                person_id: m.applicant_id,
                application_id: Some(m.application_id),
                submitted_by: Some(m.submitted_by.clone()),
                facts: steps::deadline_missed(m.procedure, m.deadline),
            });
        }
        notifications::append(&mut tx, &batch).await?;
        tx.commit().await?;
        told += batch.len() as u64;
        if (missed.len() as i64) < BATCH {
            return Ok(told);
        }
    }
}

/// Telling missed deadlines as a periodic job (`service::jobs`).
pub const JOB: crate::service::jobs::Job = crate::service::jobs::Job {
    name: "missed_deadlines",
    done: "applicants told of missed deadlines",
    run_once: |pool, tag_key, today| {
        Box::pin(async move {
            let told = run_once(pool, tag_key, today).await;
            told.map(crate::service::jobs::Done::counted)
        })
    },
};

//! Legal deadlines the state let pass (SPEC 5.8, 6), as the job that tells applicants of them
//! finds them.

use super::Tx;
use crate::domain::procedure::Procedure;
use chrono::NaiveDate;
use sqlx::PgExecutor;
use uuid::Uuid;

/// An open application whose pending step's deadline has passed, its applicant not yet told.
#[derive(Debug, Clone)]
pub struct Missed {
    pub application_id: Uuid,
    pub applicant_id: Uuid,
    pub submitted_by: String,
    pub procedure: Procedure,
    /// The pending step's deadline: the decision's, or for quota inclusion the step's (SPEC 6).
    pub deadline: NaiveDate,
}

/// Takes the notification feed's head row lock until the transaction ends, before anything
/// is read: every writer of notifications takes it, so what this transaction then reads of
/// them (each statement reads anew) stays true until it commits. A check for a notification
/// followed by its insert is thus race-free across replicas, with no failed insert to leave
/// a gap in the feed.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.missed_deadlines.lock_feed", db.system.name = "postgresql"))]
pub async fn lock_feed(tx: &mut Tx<'_>) -> Result<(), sqlx::Error> {
    sqlx::query_scalar!("SELECT seq FROM notification_feed_head FOR UPDATE")
        .fetch_one(&mut **tx)
        .await?;
    Ok(())
}

/// Undecided applications whose pending step was due before `today` and whose applicant was
/// not yet told of that deadline, earliest deadline first, at most `limit`.
///
/// The open steps' deadlines are read through `applications_pending_step` (the overdue
/// listing's index), and each one's notification through `notifications_deadline_missed_once`,
/// the unique index that keeps one per application and deadline.
#[tracing::instrument(level = "debug", skip_all, fields(otel.name = "store.missed_deadlines.untold", db.system.name = "postgresql"))]
pub async fn untold<'e>(
    executor: impl PgExecutor<'e>,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<Missed>, sqlx::Error> {
    // The facts store a date as serde writes it, `YYYY-MM-DD`; `to_char` writes it the same
    // way whatever the session's DateStyle.
    sqlx::query_as!(
        Missed,
        r#"SELECT a.id AS application_id, a.applicant_id, a.submitted_by,
                a.procedure AS "procedure: Procedure", a.step_deadline AS "deadline!"
         FROM applications a
         WHERE a.pending_step <> 'done' AND a.step_deadline < $1 AND a.state = 'submitted'
           AND NOT EXISTS (
               SELECT 1 FROM notifications n
               WHERE n.kind = 'deadline_missed' AND n.application_id = a.id
                 AND n.facts ->> 'deadline' = to_char(a.step_deadline, 'YYYY-MM-DD'))
         ORDER BY a.step_deadline, a.id
         LIMIT $2"#,
        today,
        limit
    )
    .fetch_all(executor)
    .await
}

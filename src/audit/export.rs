//! `kandas audit export`: the sealed events and signed heads, read from the database and
//! written in the line format of [`super::offline`].

use super::offline::{event_line, head_line, header_line};
use super::{sealed_after, signed_heads};
use sqlx::PgPool;
use std::io::Write;

const PAGE: i64 = 5000;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("reading the audit log: {0}")]
    Database(#[from] sqlx::Error),
    #[error("writing the export: {0}")]
    Write(#[from] std::io::Error),
}

/// What an export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exported {
    pub events: u64,
    pub heads: u64,
}

/// Writes every sealed event up to the chain head and every signed head to `out`. Reads in
/// one repeatable-read transaction, so the counts in the header, the heads and the events are
/// one consistent picture even while the service keeps writing.
pub async fn export(pool: &PgPool, out: &mut impl Write) -> Result<Exported, ExportError> {
    let mut tx = pool.begin().await?;
    sqlx::query!("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut *tx)
        .await?;
    let end = sqlx::query_scalar!("SELECT seq FROM audit_chain_head")
        .fetch_one(&mut *tx)
        .await?;
    let events = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM audit_events WHERE seq BETWEEN 1 AND $1"#,
        end
    )
    .fetch_one(&mut *tx)
    .await?;
    let heads = signed_heads(&mut *tx).await?;
    out.write_all(header_line(chrono::Utc::now(), events as u64, heads.len() as u64).as_bytes())?;
    for head in &heads {
        out.write_all(head_line(head).as_bytes())?;
    }
    let mut after = 0_i64;
    let mut written = 0_u64;
    loop {
        let page = sealed_after(&mut *tx, after, end, PAGE).await?;
        let Some(last) = page.last().and_then(|e| e.seq) else {
            break;
        };
        for event in &page {
            if let Some(line) = event_line(event) {
                out.write_all(line.as_bytes())?;
                written += 1;
            }
        }
        after = last;
    }
    out.flush()?;
    tx.commit().await?;
    Ok(Exported {
        events: written,
        heads: heads.len() as u64,
    })
}

//! Families read from the database at each scrape for the shipped alert rules
//! (`crate::store::gauges`), each left out of a scrape the database does not answer in time:
//!
//! - `kandas_applications_overdue{region,procedure}`: open applications past their pending
//!   step's deadline, by deciding office (region and procedure), as the offices' overdue lists
//!   show them; only offices with some are shown.
//! - `kandas_audit_chain_head`, `kandas_audit_signed_head` and
//!   `kandas_audit_last_signed_head_timestamp_seconds`: how far the audit chain is sealed and
//!   signed, by any replica; shown only by a replica that signs heads, so a service without
//!   a signing key raises no alert of unsigned heads.

use super::QUOTA_QUERY_TIMEOUT;
use crate::state::Clock;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::registry::Registry;
use sqlx::PgPool;

/// Most (region, procedure) pairs of overdue applications exported in one scrape.
pub const MAX_OVERDUE_SERIES: i64 = 1000;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OfficeLabels {
    region: String,
    procedure: String,
}

/// Adds the overdue applications by office as of `clock`'s today.
pub(super) async fn register_overdue(pool: &PgPool, clock: Clock, registry: &mut Registry) {
    let query = crate::store::gauges::overdue(pool, clock.today(), MAX_OVERDUE_SERIES);
    let Ok(Ok(offices)) = tokio::time::timeout(QUOTA_QUERY_TIMEOUT, query).await else {
        tracing::debug!("metrics: overdue applications not read; left out of this scrape");
        return;
    };
    let family = Family::<OfficeLabels, Gauge>::default();
    for office in offices {
        family
            .get_or_create(&OfficeLabels {
                region: office.region,
                procedure: office.procedure,
            })
            .set(office.count);
    }
    registry.register(
        "kandas_applications_overdue",
        "Open applications past their pending step's legal deadline, by region and procedure (the deciding office), on all replicas",
        family,
    );
}

/// Adds how far the audit chain is sealed and signed.
pub(super) async fn register_signing(pool: &PgPool, registry: &mut Registry) {
    let query = crate::store::gauges::signing(pool);
    let Ok(Ok(signing)) = tokio::time::timeout(QUOTA_QUERY_TIMEOUT, query).await else {
        tracing::debug!("metrics: audit signing not read; left out of this scrape");
        return;
    };
    registry.register(
        "kandas_audit_chain_head",
        "The position of the sealed audit chain's head, on all replicas",
        ConstGauge::new(signing.chain_head),
    );
    registry.register(
        "kandas_audit_signed_head",
        "The position of the last signed audit head, by any replica; 0 before the first",
        ConstGauge::new(signing.signed_head),
    );
    registry.register(
        "kandas_audit_last_signed_head_timestamp_seconds",
        "When the last audit head was signed, by any replica; 0 before the first",
        ConstGauge::new(signing.signed_at.map_or(0, |at| at.timestamp())),
    );
}

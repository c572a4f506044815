//! The transport's families, read at scrape time:
//!
//! - `kandas_client_crl_number{issuer}` and `kandas_client_crl_next_update_timestamp_seconds
//!   {issuer}`: the client CRL in force for each CA, to alert before it goes stale;
//!   `kandas_client_crl_refused_total{reason}`: CRLs refused at a reload, the one in force kept.
//! - `kandas_server_certificate_not_after_timestamp_seconds{subject}` and
//!   `kandas_client_ca_not_after_timestamp_seconds{subject}`: when each certificate of the
//!   served chain and each client CA in force expires, to alert before it does.
//! - `kandas_connections_open`, `kandas_connections_handshaking` and
//!   `kandas_connections_limit`: connections open now (handshaking ones included), those still
//!   in their handshake, and the limit of both together.
//! - `kandas_connections_refused_total{reason}`: connections refused or given up before their
//!   first call (see `crate::server::refusals`).
//! - `kandas_connections_closed_total{reason}`: open connections closed because their
//!   certificate was revoked or no longer verifies, or their organisation is not active.

use crate::server::connections::Connections;
use crate::server::tls::CurrentTls;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct IssuerLabels {
    issuer: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SubjectLabels {
    subject: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

/// The CRLs in force and those refused.
pub(super) fn register_crls(tls: &CurrentTls, registry: &mut Registry) {
    let numbers = Family::<IssuerLabels, Gauge<f64, AtomicU64>>::default();
    let next_updates = Family::<IssuerLabels, Gauge>::default();
    for crl in tls.in_force().crls.crls() {
        let labels = IssuerLabels {
            issuer: crl.issuer_name.clone(),
        };
        // A CRL number may have up to 20 octets; a float shows every number a CA counts to.
        let number: f64 = crl.number.to_string().parse().unwrap_or(f64::MAX);
        numbers.get_or_create(&labels).set(number);
        next_updates.get_or_create(&labels).set(crl.next_update);
    }
    registry.register(
        "kandas_client_crl_number",
        "CRL number of the client CRL in force, by issuing CA",
        numbers,
    );
    registry.register(
        "kandas_client_crl_next_update_timestamp_seconds",
        "When the client CRL in force is due to be replaced (its next update), by issuing CA; past it the CRL is kept but stale",
        next_updates,
    );
    registry.register(
        "kandas_client_crl_refused",
        "Client CRLs refused at a reload, the one in force kept, by RFC 5280 reason",
        tls.crl_refusals.clone(),
    );
}

/// When the certificates in force expire.
pub(super) fn register_certificates(tls: &CurrentTls, registry: &mut Registry) {
    let in_force = tls.in_force();
    registry.register(
        "kandas_server_certificate_not_after_timestamp_seconds",
        "When each certificate of the served chain in force expires (its not after), by subject",
        not_after(&in_force.expiries.server),
    );
    registry.register(
        "kandas_client_ca_not_after_timestamp_seconds",
        "When each client CA in force expires (its not after), by subject; past it no client certificate it issued verifies",
        not_after(&in_force.expiries.client_cas),
    );
}

/// A family of `not after` gauges; of two certificates with one subject, the earlier expiry.
fn not_after(certificates: &[(String, i64)]) -> Family<SubjectLabels, Gauge> {
    let mut earliest = std::collections::BTreeMap::<&str, i64>::new();
    for (subject, not_after) in certificates {
        let at = earliest.entry(subject).or_insert(*not_after);
        *at = (*at).min(*not_after);
    }
    let family = Family::<SubjectLabels, Gauge>::default();
    for (subject, not_after) in earliest {
        family
            .get_or_create(&SubjectLabels {
                subject: subject.to_string(),
            })
            .set(not_after);
    }
    family
}

/// The connections open, handshaking, refused and closed.
pub(super) fn register_connections(connections: &Connections, registry: &mut Registry) {
    let gauge = |value: usize| ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX));
    registry.register(
        "kandas_connections_open",
        "Client connections open now, those still in their TLS handshake included",
        gauge(connections.open()),
    );
    registry.register(
        "kandas_connections_handshaking",
        "Client connections still in their TLS handshake",
        gauge(connections.handshakes.count()),
    );
    registry.register(
        "kandas_connections_limit",
        "Client connections open at once before new ones are refused",
        gauge(connections.limit()),
    );
    let refused = counters(
        connections
            .refusals
            .counts()
            .into_iter()
            .map(|(reason, count)| (reason.label(), count)),
    );
    registry.register(
        "kandas_connections_refused",
        "Connections refused or given up before their first call, by reason",
        refused,
    );
    registry.register(
        "kandas_connections_closed",
        "Open connections closed because their certificate or organisation no longer admits them, by reason",
        counters(connections.established.closed_counts()),
    );
}

/// A family of counters holding `counts`, made for one scrape.
fn counters(
    counts: impl IntoIterator<Item = (&'static str, u64)>,
) -> Family<ReasonLabels, Counter> {
    let family = Family::<ReasonLabels, Counter>::default();
    for (reason, count) in counts {
        family.get_or_create(&ReasonLabels { reason }).inc_by(count);
    }
    family
}

//! An open connection stays answerable to the rules that let it in (SPEC §1.1). After a reload
//! of the TLS files, every open connection's certificate chain is verified again with the new
//! verifier (the CRLs in force included); every second, its organisation is looked up in the
//! registry in force. A connection that fails either is marked, so each further call on it is
//! refused with the reason (and audited, as every refusal is), and is closed at once, which
//! also ends its open streams.
//!
//! An organisation that is not registered at all is left alone: health checks and reflection
//! are open to any certificate the CA signed, and its calls are refused one by one anyway.

use crate::domain::organisation::{NotActive, Registry};
use crate::domain::role::Role;
use crate::error::{ApiError, Reason};
use crate::server::tls::CurrentTls;
use crate::state::OrganisationsCell;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::ClientCertVerifier;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Why a connection no longer serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lapse {
    Revoked,
    NotTrusted(String),
    OrganisationNotActive(String),
}

impl Lapse {
    /// The `reason` label of `kandas_connections_closed_total`.
    pub fn label(&self) -> &'static str {
        match self {
            Lapse::Revoked => "certificate_revoked",
            Lapse::NotTrusted(_) => "certificate_not_trusted",
            Lapse::OrganisationNotActive(_) => "organisation_not_active",
        }
    }

    /// The refusal of a call on the connection.
    pub fn refusal(&self) -> ApiError {
        match self {
            Lapse::Revoked => ApiError::Unauthenticated {
                reason: Reason::CertificateRevoked,
                message: "the client certificate of this connection has been revoked".into(),
            },
            Lapse::NotTrusted(why) => ApiError::Unauthenticated {
                reason: Reason::CertificateNotTrusted,
                message: format!(
                    "the client certificate of this connection no longer verifies: {why}"
                ),
            },
            Lapse::OrganisationNotActive(why) => ApiError::PermissionDenied {
                reason: Reason::OrganisationNotActive,
                message: format!("the organisation of this connection {why}"),
            },
        }
    }
}

/// One connection past its handshake: its certificates, who they name, and whether it lapsed.
#[derive(Debug)]
pub struct Standing {
    chain: Vec<CertificateDer<'static>>,
    identity: Option<(Role, String)>,
    lapse: OnceLock<Lapse>,
    closed: CancellationToken,
}

impl Standing {
    /// Why this connection serves no more, if it does not.
    pub fn lapse(&self) -> Option<&Lapse> {
        self.lapse.get()
    }

    /// Cancelled when the connection must close.
    pub fn closed(&self) -> &CancellationToken {
        &self.closed
    }

    /// Marks the connection and closes it; the first reason stays.
    fn end(&self, lapse: Lapse) -> bool {
        let first = self.lapse.set(lapse).is_ok();
        self.closed.cancel();
        first
    }
}

/// The connections past their handshake, and how many were closed for each reason.
#[derive(Debug, Default)]
pub struct Established {
    open: Mutex<HashMap<u64, Weak<Standing>>>,
    next: AtomicU64,
    closed: Mutex<HashMap<&'static str, u64>>,
}

impl Established {
    /// Registers a connection whose handshake presented `chain` (leaf first); it is forgotten
    /// once the connection (which holds the returned standing) is gone.
    pub fn admit(&self, chain: Vec<CertificateDer<'static>>) -> Arc<Standing> {
        let identity = chain
            .first()
            .and_then(|leaf| crate::server::identity::identity_from_certificate(leaf).ok());
        let standing = Arc::new(Standing {
            chain,
            identity,
            lapse: OnceLock::new(),
            closed: CancellationToken::new(),
        });
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(id, Arc::downgrade(&standing));
        standing
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Weak<Standing>>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The connections open now; forgets those that closed.
    fn live(&self) -> Vec<Arc<Standing>> {
        let mut open = self.lock();
        open.retain(|_, standing| standing.strong_count() > 0);
        open.values().filter_map(Weak::upgrade).collect()
    }

    /// Connections past their handshake and open now.
    pub fn count(&self) -> usize {
        self.live().len()
    }

    /// Connections closed because they lapsed, by reason.
    pub fn closed_counts(&self) -> Vec<(&'static str, u64)> {
        let closed = self.closed.lock().unwrap_or_else(|p| p.into_inner());
        let mut counts: Vec<_> = closed.iter().map(|(k, v)| (*k, *v)).collect();
        counts.sort();
        counts
    }

    fn end(&self, standing: &Standing, lapse: Lapse) {
        let (role, organisation) = match &standing.identity {
            Some((role, organisation)) => (role.as_str(), organisation.as_str()),
            None => ("", ""),
        };
        let label = lapse.label();
        let refusal = lapse.refusal();
        tracing::info!(
            role,
            organisation,
            reason = label,
            "open connection closed: {refusal}"
        );
        if standing.end(lapse) {
            *self
                .closed
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(label)
                .or_default() += 1;
        }
    }

    /// Verifies every open connection's chain again with `verifier`, as a new handshake would
    /// be; ends those it refuses. Returns how many it ended.
    pub fn recheck_certificates(&self, verifier: &dyn ClientCertVerifier) -> usize {
        let now = UnixTime::now();
        let mut ended = 0;
        for standing in self.live() {
            let Some((leaf, intermediates)) = standing.chain.split_first() else {
                continue;
            };
            if standing.lapse().is_some() {
                continue;
            }
            if let Err(error) = verifier.verify_client_cert(leaf, intermediates, now) {
                let lapse = match error {
                    rustls::Error::InvalidCertificate(rustls::CertificateError::Revoked) => {
                        Lapse::Revoked
                    }
                    other => Lapse::NotTrusted(other.to_string()),
                };
                self.end(&standing, lapse);
                ended += 1;
            }
        }
        ended
    }

    /// Ends the open connections of organisations that `registry` suspends or registers for
    /// another role. Returns how many it ended.
    pub fn recheck_organisations(&self, registry: &Registry) -> usize {
        let mut ended = 0;
        for standing in self.live() {
            let Some((role, organisation)) = &standing.identity else {
                continue;
            };
            if standing.lapse().is_some() {
                continue;
            }
            let why = match registry.admit(*role, organisation) {
                Ok(_) | Err(NotActive::NotRegistered) => continue,
                Err(NotActive::Suspended) => format!("`{organisation}` is suspended"),
                Err(NotActive::OtherRole(registered)) => {
                    format!("`{organisation}` is registered as `{registered}`, not `{role}`")
                }
            };
            self.end(&standing, Lapse::OrganisationNotActive(why));
            ended += 1;
        }
        ended
    }
}

/// Keeps the open connections answerable: after each reload of the TLS configuration, and
/// every `every` for the organisations.
pub async fn keep_answerable(
    established: Arc<Established>,
    tls: CurrentTls,
    organisations: OrganisationsCell,
    every: Duration,
) {
    let mut checked = tls.in_force().generation;
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let in_force = tls.in_force();
        if in_force.generation != checked {
            checked = in_force.generation;
            established.recheck_certificates(in_force.verifier.as_ref());
        }
        established.recheck_organisations(&organisations.current());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::organisation::{Organisation, OrganisationState};
    use crate::local::pki::{CertificateAuthority, Validity};
    use rustls::pki_types::pem::PemObject;

    fn der(pem: &str) -> CertificateDer<'static> {
        CertificateDer::from_pem_slice(pem.as_bytes()).unwrap()
    }

    fn verifier(ca: &CertificateAuthority, crl: &str) -> Arc<dyn ClientCertVerifier> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(der(&ca.cert_pem())).unwrap();
        let crl = rustls::pki_types::CertificateRevocationListDer::from_pem_slice(crl.as_bytes())
            .unwrap();
        rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            Arc::new(rustls::crypto::ring::default_provider()),
        )
        .with_crls([crl])
        .only_check_end_entity_revocation()
        .build()
        .unwrap()
    }

    #[test]
    fn a_revoked_certificates_connection_is_ended_and_its_neighbour_kept() {
        let ca = CertificateAuthority::generate("clients").unwrap();
        let issue = |org: &str| {
            let uri = format!("urn:kandas:psc:{org}");
            ca.issue_client(org, Some(&uri), Validity::Days(1)).unwrap()
        };
        let (stolen, kept) = (issue("stolen"), issue("kept"));
        let established = Established::default();
        let a = established.admit(vec![der(&stolen.cert_pem)]);
        let b = established.admit(vec![der(&kept.cert_pem)]);
        let none = ca.revocation_list(&[], 1).unwrap();
        assert_eq!(
            established.recheck_certificates(verifier(&ca, &none).as_ref()),
            0
        );
        let revoking = ca.revocation_list(&[&stolen.cert_pem], 2).unwrap();
        assert_eq!(
            established.recheck_certificates(verifier(&ca, &revoking).as_ref()),
            1
        );
        assert_eq!(a.lapse(), Some(&Lapse::Revoked));
        assert!(a.closed().is_cancelled());
        assert!(b.lapse().is_none() && !b.closed().is_cancelled());
        assert_eq!(established.closed_counts(), [("certificate_revoked", 1)]);
        let refusal = a.lapse().unwrap().refusal();
        assert_eq!(refusal.code(), tonic::Code::Unauthenticated);
    }

    #[test]
    fn a_suspended_organisations_connection_is_ended_and_an_unregistered_one_kept() {
        let ca = CertificateAuthority::generate("clients").unwrap();
        let issue = |uri: &str| {
            der(&ca
                .issue_client("x", Some(uri), Validity::Days(1))
                .unwrap()
                .cert_pem)
        };
        let established = Established::default();
        let office = established.admit(vec![issue("urn:kandas:police:office")]);
        let balancer = established.admit(vec![issue("urn:kandas:psc:balancer")]);
        let mut registered = Organisation::national("office", Role::Police);
        let active = Registry::new([registered.clone()]);
        assert_eq!(established.recheck_organisations(&active), 0);
        registered.state = OrganisationState::Suspended;
        let suspended = Registry::new([registered]);
        assert_eq!(established.recheck_organisations(&suspended), 1);
        assert!(matches!(
            office.lapse(),
            Some(Lapse::OrganisationNotActive(why)) if why.contains("suspended")
        ));
        assert!(balancer.lapse().is_none());
        drop(office);
        assert_eq!(established.count(), 1, "a closed connection is forgotten");
    }
}

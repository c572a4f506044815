//! The TLS configuration: TLS 1.3 and HTTP/2 only, a client certificate from the configured
//! CA required and checked against the configured CRLs, and all of it replaced without a
//! restart when its files change or on SIGHUP. A handshake uses the configuration in force
//! when it starts; connections already open are verified again against a new one by
//! `crate::server::standing`. Which CRLs are put in force is `crate::server::crl`'s rule.

use crate::server::crl::{Candidate, InForce};
use crate::state::Current;
use anyhow::Context;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::ClientCertVerifier;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio_rustls::TlsAcceptor;

/// TLS material as bytes: PEM for certificates and key, PEM or DER for each CRL.
#[derive(Clone, Default)]
pub struct TlsMaterial {
    pub cert_chain_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
    pub client_ca_pem: Vec<u8>,
    pub client_crls: Vec<Vec<u8>>,
}

/// Where the TLS material is read from, so that it can be read again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_ca: PathBuf,
    pub client_crls: Vec<PathBuf>,
}

impl TlsFiles {
    pub fn read(&self) -> anyhow::Result<TlsMaterial> {
        let read = |path: &PathBuf| {
            std::fs::read(path).with_context(|| format!("reading {}", path.display()))
        };
        Ok(TlsMaterial {
            cert_chain_pem: read(&self.cert)?,
            key_pem: read(&self.key)?,
            client_ca_pem: read(&self.client_ca)?,
            client_crls: self
                .client_crls
                .iter()
                .map(read)
                .collect::<Result<_, _>>()?,
        })
    }

    /// What changes when any of the files is replaced or rewritten.
    fn stamp(&self) -> Vec<Option<(SystemTime, u64)>> {
        [&self.cert, &self.key, &self.client_ca]
            .into_iter()
            .chain(&self.client_crls)
            .map(|path| {
                let meta = std::fs::metadata(path).ok()?;
                Some((meta.modified().ok()?, meta.len()))
            })
            .collect()
    }
}

/// What a handshake is checked against now: the acceptor, its client certificate verifier
/// (with which open connections are checked again after a reload) and the CRLs in force.
pub struct InForceTls {
    pub acceptor: TlsAcceptor,
    pub verifier: Arc<dyn ClientCertVerifier>,
    pub crls: InForce,
    /// Counts reloads put in force, so a watcher sees that the verifier changed.
    pub generation: u64,
    /// When the certificates in force expire, for the metrics.
    pub expiries: Expiries,
}

/// The subject and `not after` (seconds since the Unix epoch) of each certificate in force:
/// the served chain's, leaf first, and the client CAs'. Read when a TLS set is put in force, so
/// `kandas_server_certificate_not_after_timestamp_seconds` and
/// `kandas_client_ca_not_after_timestamp_seconds` follow every reload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expiries {
    pub server: Vec<(String, i64)>,
    pub client_cas: Vec<(String, i64)>,
}

/// Each certificate's subject and `not after`; one x509-parser cannot read (rustls took it)
/// is left out of the metrics rather than refused.
fn expiries(certs: &[CertificateDer<'_>]) -> Vec<(String, i64)> {
    certs
        .iter()
        .filter_map(|der| {
            let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).ok()?;
            Some((
                cert.subject().to_string(),
                cert.validity().not_after.timestamp(),
            ))
        })
        .collect()
}

/// Labels of the CRL refusal counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RefusalLabels {
    pub reason: &'static str,
}

/// The TLS configuration in force, shared by the accept loop, the reloader, the connection
/// watcher and the metrics.
#[derive(Clone)]
pub struct CurrentTls {
    current: Current<InForceTls>,
    /// CRLs refused at a reload, by reason.
    pub crl_refusals: Family<RefusalLabels, Counter>,
}

impl CurrentTls {
    /// The configuration at start. A CRL that would be refused at a reload stops the start
    /// instead: there is no CRL in force to keep yet, and serving without one would un-revoke.
    pub fn new(material: &TlsMaterial, files: Option<&TlsFiles>) -> anyhow::Result<CurrentTls> {
        let cas = client_cas(material)?;
        let candidates = candidates(material, files);
        let (crls, refused) = InForce::default().update(&candidates, &cas, unix_now());
        if let Some((source, refusal)) = refused.first() {
            anyhow::bail!("the client CRL {source} is refused: {refusal}");
        }
        Ok(CurrentTls {
            current: Current::new(in_force(material, cas, crls, 0)?),
            crl_refusals: Family::default(),
        })
    }

    pub fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::clone(&self.current.current().acceptor)
    }

    pub fn in_force(&self) -> Arc<InForceTls> {
        self.current.current()
    }

    /// Reads the files again and puts them in force. A bad certificate, key or CA file is
    /// refused and everything in force stays, so a half-written rotation cannot take the
    /// service down; a refused CRL is only warned about (with its RFC 5280 reason) and its
    /// issuer's CRL in force stays, the rest of the files taking effect.
    pub fn reload(&self, files: &TlsFiles) -> anyhow::Result<()> {
        let material = files.read()?;
        let cas = client_cas(&material)?;
        let before = self.current.current();
        let (crls, refused) =
            before
                .crls
                .update(&candidates(&material, Some(files)), &cas, unix_now());
        for (source, refusal) in &refused {
            self.crl_refusals
                .get_or_create(&RefusalLabels {
                    reason: refusal.reason(),
                })
                .inc();
            tracing::warn!(
                crl = %source,
                reason = refusal.reason(),
                "client CRL refused, the one in force is kept: {refusal}"
            );
        }
        // Without any CRL the verifier would check no revocation at all, where with one it
        // refuses a certificate whose status no CRL gives: CRL files are configured, so
        // revocation stays required.
        anyhow::ensure!(
            material.client_crls.is_empty() || !crls.is_empty(),
            "no client CRL would be in force: every CRL read was refused and the CA of each one \
             in force is gone from the client CA file"
        );
        let next = in_force(&material, cas, crls, before.generation + 1)?;
        for crl in next.crls.crls() {
            if !before.crls.crls().any(|old| old == crl) {
                tracing::info!(issuer = %crl.issuer_name, number = %crl.number, "client CRL put in force");
            }
        }
        self.current.replace(next);
        Ok(())
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Every CRL of the material, named after its file (and its place when a file holds several).
fn candidates(material: &TlsMaterial, files: Option<&TlsFiles>) -> Vec<Candidate> {
    let mut candidates = Vec::new();
    for (index, bytes) in material.client_crls.iter().enumerate() {
        let file = files
            .and_then(|files| files.client_crls.get(index))
            .map_or_else(
                || format!("#{}", index + 1),
                |path| path.display().to_string(),
            );
        match parse_crls(bytes) {
            Ok(ders) if ders.len() == 1 => {
                candidates.extend(ders.into_iter().map(|der| Candidate {
                    source: file.clone(),
                    der: der.to_vec(),
                }))
            }
            Ok(ders) => {
                let count = ders.len();
                candidates.extend(ders.into_iter().enumerate().map(|(at, der)| Candidate {
                    source: format!("{file} (CRL {} of {count})", at + 1),
                    der: der.to_vec(),
                }))
            }
            // Handed on as it is, to be refused as unreadable with the others' reasons.
            Err(_) => candidates.push(Candidate {
                source: file,
                der: bytes.clone(),
            }),
        }
    }
    candidates
}

/// Reloads whenever the files change (looked at every `every`) or SIGHUP arrives, and warns
/// once for each CRL in force that goes past its next update.
pub async fn keep_current(current: CurrentTls, files: Option<TlsFiles>, every: Duration) {
    let mut hangup = hangup_signals();
    // None: the files are read again at the first tick, since they may have changed while the
    // service started (after they were read, before this began watching them).
    let mut stamp = None;
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut warned_stale = Vec::new();
    loop {
        let asked = tokio::select! {
            _ = ticker.tick() => false,
            () = next_hangup(&mut hangup) => true,
        };
        warn_stale(&current, &mut warned_stale);
        let Some(files) = &files else {
            if asked {
                tracing::info!("SIGHUP: TLS material was given as bytes; nothing to reload");
            }
            continue;
        };
        let now = files.stamp();
        if !asked && Some(&now) == stamp.as_ref() {
            continue;
        }
        let first = stamp.replace(now).is_none();
        match current.reload(files) {
            Ok(()) if first && !asked => tracing::debug!("TLS files read again at start"),
            Ok(()) => tracing::info!(asked, "TLS certificates, client CA and CRLs reloaded"),
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "TLS files not reloaded; keeping those in force")
            }
        }
    }
}

/// A CRL in force past its next update is kept (refusing it would refuse every caller of its
/// CA), but revocations made since are unknown until a fresh one is published: said once per
/// CRL, and shown by `kandas_client_crl_next_update_timestamp_seconds` before it happens.
fn warn_stale(current: &CurrentTls, warned: &mut Vec<(String, String)>) {
    let in_force = current.in_force();
    for crl in in_force.crls.stale(unix_now()) {
        let key = (crl.issuer_name.clone(), crl.number.to_string());
        if !warned.contains(&key) {
            tracing::warn!(
                issuer = %crl.issuer_name,
                number = %crl.number,
                "the client CRL in force is past its next update (RFC 5280 §5.1.2.5): it stays \
                 in force, but revocations made since are unknown until a fresh CRL is published"
            );
            warned.push(key);
        }
    }
}

#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = ();

/// SIGHUP is taken over here, so it asks for a reload instead of ending the process.
fn hangup_signals() -> Hangups {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        signal(SignalKind::hangup())
            .map_err(|error| tracing::warn!(%error, "SIGHUP not handled"))
            .ok()
    }
}

async fn next_hangup(hangups: &mut Hangups) {
    #[cfg(unix)]
    if let Some(signal) = hangups
        && signal.recv().await.is_some()
    {
        return;
    }
    let _ = hangups;
    std::future::pending::<()>().await
}

fn client_cas(tls: &TlsMaterial) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let cas: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&tls.client_ca_pem)
        .collect::<Result<_, _>>()
        .context("reading the client CA (PEM)")?;
    anyhow::ensure!(!cas.is_empty(), "the client CA file holds no certificate");
    Ok(cas)
}

/// TLS 1.3 only, HTTP/2 only, and a client certificate from the configured CA required; with
/// CRLs, a revoked client certificate (or one whose status no CRL gives) is refused.
fn in_force(
    tls: &TlsMaterial,
    cas: Vec<CertificateDer<'static>>,
    crls: InForce,
    generation: u64,
) -> anyhow::Result<InForceTls> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&tls.cert_chain_pem)
        .collect::<Result<_, _>>()
        .context("reading the server certificate chain (PEM)")?;
    anyhow::ensure!(
        !certs.is_empty(),
        "the server certificate file holds no certificate"
    );
    let expiries = Expiries {
        server: expiries(&certs),
        client_cas: expiries(&cas),
    };
    let key = PrivateKeyDer::from_pem_slice(&tls.key_pem)
        .context("reading the server private key (PEM)")?;
    let mut roots = rustls::RootCertStore::empty();
    for ca in cas {
        roots.add(ca).context("adding the client CA")?;
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .with_crls(
            crls.crls()
                .map(|crl| CertificateRevocationListDer::from(crl.der.clone())),
        )
        .only_check_end_entity_revocation()
        .build()
        .map_err(|error| anyhow::anyhow!("building the client certificate verifier: {error}"))?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .context("selecting TLS 1.3")?
        .with_client_cert_verifier(verifier.clone())
        .with_single_cert(certs, key)
        .context("the server certificate and key do not match")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(InForceTls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        verifier,
        crls,
        generation,
        expiries,
    })
}

/// The CRLs of one file: PEM blocks, or else the whole file as one DER CRL.
fn parse_crls(bytes: &[u8]) -> anyhow::Result<Vec<CertificateRevocationListDer<'static>>> {
    if bytes.trim_ascii_start().starts_with(b"-----") {
        let crls: Vec<_> = CertificateRevocationListDer::pem_slice_iter(bytes)
            .collect::<Result<_, _>>()
            .context("reading a client CRL (PEM)")?;
        anyhow::ensure!(!crls.is_empty(), "a client CRL file holds no CRL");
        Ok(crls)
    } else {
        Ok(vec![CertificateRevocationListDer::from(bytes.to_vec())])
    }
}

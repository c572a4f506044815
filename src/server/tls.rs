//! The TLS configuration: TLS 1.3 and HTTP/2 only, a client certificate from the configured
//! CA required and checked against the configured CRLs, and all of it replaced without a
//! restart when its files change or on SIGHUP. A handshake uses the configuration in force
//! when it starts; connections already open keep theirs.

use crate::state::Current;
use anyhow::Context;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
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

/// The acceptor in force, shared by the accept loop and the reloader.
#[derive(Clone)]
pub struct CurrentTls(Current<TlsAcceptor>);

impl CurrentTls {
    pub fn new(material: &TlsMaterial) -> anyhow::Result<CurrentTls> {
        Ok(CurrentTls(Current::new(tls_acceptor(material)?)))
    }

    pub fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::clone(&self.0.current())
    }

    /// Reads the files again and puts them in force; a bad set is refused and the one in force
    /// stays, so a half-written rotation cannot take the service down.
    pub fn reload(&self, files: &TlsFiles) -> anyhow::Result<()> {
        self.0.replace(tls_acceptor(&files.read()?)?);
        Ok(())
    }
}

/// Reloads whenever the files change (looked at every `every`) or SIGHUP arrives.
pub async fn keep_current(current: CurrentTls, files: Option<TlsFiles>, every: Duration) {
    let mut hangup = hangup_signals();
    let mut stamp = files.as_ref().map(TlsFiles::stamp);
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let asked = tokio::select! {
            _ = ticker.tick() => false,
            () = next_hangup(&mut hangup) => true,
        };
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
        stamp = Some(now);
        match current.reload(files) {
            Ok(()) => tracing::info!(asked, "TLS certificates, client CA and CRLs reloaded"),
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "TLS files not reloaded; keeping those in force")
            }
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

/// TLS 1.3 only, HTTP/2 only, and a client certificate from the configured CA required; with
/// CRLs, a revoked client certificate (or one whose status no CRL gives) is refused.
pub fn tls_acceptor(tls: &TlsMaterial) -> anyhow::Result<TlsAcceptor> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&tls.cert_chain_pem)
        .collect::<Result<_, _>>()
        .context("reading the server certificate chain (PEM)")?;
    anyhow::ensure!(
        !certs.is_empty(),
        "the server certificate file holds no certificate"
    );
    let key = PrivateKeyDer::from_pem_slice(&tls.key_pem)
        .context("reading the server private key (PEM)")?;
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_slice_iter(&tls.client_ca_pem) {
        roots
            .add(ca.context("reading the client CA (PEM)")?)
            .context("adding the client CA")?;
    }
    anyhow::ensure!(!roots.is_empty(), "the client CA file holds no certificate");
    let mut crls = Vec::new();
    for bytes in &tls.client_crls {
        crls.extend(parse_crls(bytes)?);
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .with_crls(crls)
        .only_check_end_entity_revocation()
        .build()
        .context("building the client certificate verifier (is every CRL from a client CA?)")?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .context("selecting TLS 1.3")?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)
        .context("the server certificate and key do not match")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
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

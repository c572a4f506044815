//! Where the service is and who the operator is: the flags every `kandas admin` command
//! shares, and the mutual-TLS channel they open.

use crate::config::{DEFAULT_LISTEN, DEFAULT_STATE_DIR};
use anyhow::Context;
use clap::Args;
use http::Uri;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

/// The role whose development certificate the commands use unless told otherwise.
const OPERATOR_ROLE: &str = "admin";
/// Long enough for a loaded server, short enough that a script on a dead address is not left
/// hanging.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Args, Clone)]
pub struct ConnectionArgs {
    /// The service's address: https://HOST:PORT, or HOST:PORT [default: https://127.0.0.1:50051]
    #[arg(long, env = "KANDAS_ADDR", global = true, value_name = "URL")]
    pub addr: Option<ServerAddress>,
    /// CA certificate(s) the server's certificate must chain to (PEM)
    /// [default: <state-dir>/certs/ca.pem]
    #[arg(long, env = "KANDAS_CA", global = true, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// The operator's client certificate (PEM), naming an organisation of role admin
    /// [default: <state-dir>/certs/admin.pem]
    #[arg(long, env = "KANDAS_CERT", global = true, value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// The private key of --cert (PEM) [default: <state-dir>/certs/admin.key]
    #[arg(long, env = "KANDAS_KEY", global = true, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Where `kandas serve` and `kandas certs` keep the development PKI, used for the
    /// defaults above [default: .kandas]
    #[arg(long, env = "KANDAS_STATE_DIR", global = true, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// The name the server's certificate must carry [default: the host of --addr]
    #[arg(long, env = "KANDAS_SERVER_NAME", global = true, value_name = "NAME")]
    pub server_name: Option<String>,
}

/// A `https` URI with a host: the service speaks only TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerAddress(Uri);

impl ServerAddress {
    pub fn default_listen() -> ServerAddress {
        format!("https://{DEFAULT_LISTEN}")
            .parse()
            .expect("the default listen address is a valid URI")
    }
}

impl FromStr for ServerAddress {
    type Err = String;

    fn from_str(given: &str) -> Result<ServerAddress, String> {
        let given = given.trim();
        let text = if given.contains("://") {
            given.to_string()
        } else {
            format!("https://{given}")
        };
        let uri: Uri = text
            .parse()
            .map_err(|e| format!("`{given}` is not an address: {e}"))?;
        if uri.scheme_str() != Some("https") {
            return Err(format!(
                "`{given}`: the service takes mutual TLS only; use https://HOST:PORT"
            ));
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(format!("`{given}` names no host"));
        }
        Ok(ServerAddress(uri))
    }
}

impl fmt::Display for ServerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Uri prints a bare authority with a trailing slash; the address reads better without.
        write!(f, "{}", self.0.to_string().trim_end_matches('/'))
    }
}

/// The files and address a channel is made from, defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub addr: ServerAddress,
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub server_name: Option<String>,
}

impl ConnectionArgs {
    pub fn resolve(&self) -> Connection {
        let certs = self
            .state_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_STATE_DIR))
            .join("certs");
        Connection {
            addr: self
                .addr
                .clone()
                .unwrap_or_else(ServerAddress::default_listen),
            ca: self.ca.clone().unwrap_or_else(|| certs.join("ca.pem")),
            cert: self
                .cert
                .clone()
                .unwrap_or_else(|| certs.join(format!("{OPERATOR_ROLE}.pem"))),
            key: self
                .key
                .clone()
                .unwrap_or_else(|| certs.join(format!("{OPERATOR_ROLE}.key"))),
            server_name: self.server_name.clone(),
        }
    }
}

/// Why no channel could be opened: the operator's own files, or the service.
#[derive(Debug)]
pub enum ConnectError {
    /// A certificate or key could not be read: nothing was sent.
    Files(anyhow::Error),
    /// The service was not reached, or the TLS handshake failed.
    Unreachable(anyhow::Error),
}

impl Connection {
    /// Opens the channel now, so an unreachable service or a refused handshake is reported
    /// as such rather than as the first call's failure.
    pub async fn open(&self) -> Result<Channel, ConnectError> {
        let ca = read(&self.ca, "the CA certificate (--ca, KANDAS_CA)")?;
        let cert = read(&self.cert, "the client certificate (--cert, KANDAS_CERT)")?;
        let key = read(&self.key, "the client key (--key, KANDAS_KEY)")?;
        let mut tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(ca))
            .identity(Identity::from_pem(cert, key));
        if let Some(name) = &self.server_name {
            tls = tls.domain_name(name.clone());
        }
        let endpoint = Channel::builder(self.addr.0.clone())
            .tls_config(tls)
            .context("the TLS settings")
            .map_err(ConnectError::Files)?
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(CALL_TIMEOUT);
        endpoint
            .connect()
            .await
            .with_context(|| format!("cannot connect to {}", self.addr))
            .map_err(ConnectError::Unreachable)
    }
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, ConnectError> {
    std::fs::read(path)
        .with_context(|| format!("reading {what} {}", path.display()))
        .map_err(ConnectError::Files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_without_a_scheme_is_https() {
        let addr: ServerAddress = "localhost:6000".parse().unwrap();
        assert_eq!(addr.to_string(), "https://localhost:6000");
        assert_eq!(
            ServerAddress::default_listen().to_string(),
            "https://127.0.0.1:50051"
        );
    }

    #[test]
    fn plain_http_and_hostless_addresses_are_refused() {
        let error = "http://127.0.0.1:50051"
            .parse::<ServerAddress>()
            .unwrap_err();
        assert!(error.contains("https://"), "{error}");
        assert!("https://".parse::<ServerAddress>().is_err());
        assert!("not an address at all".parse::<ServerAddress>().is_err());
    }

    #[test]
    fn files_default_to_the_development_pki_of_the_state_dir() {
        let args = ConnectionArgs {
            addr: None,
            ca: None,
            cert: None,
            key: Some("/etc/kandas/operator.key".into()),
            state_dir: Some("/srv/kandas".into()),
            server_name: None,
        };
        let connection = args.resolve();
        assert_eq!(connection.ca, PathBuf::from("/srv/kandas/certs/ca.pem"));
        assert_eq!(
            connection.cert,
            PathBuf::from("/srv/kandas/certs/admin.pem")
        );
        assert_eq!(connection.key, PathBuf::from("/etc/kandas/operator.key"));
        assert_eq!(connection.addr, ServerAddress::default_listen());
    }
}

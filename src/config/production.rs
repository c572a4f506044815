//! What a production start refuses unless the operator allows it: serving on the development
//! PKI the service makes itself (a CA whose private key sits beside it in the state directory,
//! so whoever reads that directory can make a certificate for any caller), and beside the
//! `dev-<role>` organisations registered for that PKI, national for every role. The packaged
//! kandas.toml refuses both (`allow_development_pki = false`); the embedded default allows
//! them, so a start with nothing configured serves at once, as SPEC 1.1 wants.
//!
//! The decisions are pure: a start gathers the facts (which files exist, which organisations
//! are registered) and these functions say what is unmet. Every unmet condition goes into one
//! message, so the operator fixes them in one edit instead of one restart each.

use crate::config::{Config, DatabaseSource, TlsSource};
use crate::domain::organisation::{Organisation, OrganisationState};
use crate::domain::role::Role;
use std::path::{Path, PathBuf};

/// Whether the development PKI and its organisations may serve (`allow_development_pki`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum DevelopmentPki {
    #[default]
    Allowed,
    /// Refused, by the configuration file `config_file` when one was read: the message names it.
    Refused { config_file: Option<PathBuf> },
}

/// One condition a start that refuses the development PKI does not meet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmet {
    /// tls_cert, tls_key and client_ca are unset: the development PKI would be made in this
    /// directory.
    DevelopmentPki(PathBuf),
    /// A TLS setting (its key) names something that is not a file.
    MissingFile { key: &'static str, path: PathBuf },
    /// bootstrap_admin is unset and no admin organisation but the development one is active:
    /// nobody could register the organisations. `known` is false before the database is read,
    /// when it is said only beside another unmet condition.
    NoAdministrator { known: bool },
    /// Development organisations still active, by id.
    DevelopmentOrganisations(Vec<String>),
}

/// The organisation the development PKI registers for `role`, whose client certificate it makes.
pub fn development_organisation_id(role: Role) -> String {
    format!("dev-{role}")
}

impl DevelopmentPki {
    /// What the configuration alone leaves unmet, before anything is started or written;
    /// `is_file` says whether a path is a file.
    pub fn before_start(&self, config: &Config, is_file: impl Fn(&Path) -> bool) -> Vec<Unmet> {
        if *self == DevelopmentPki::Allowed {
            return Vec::new();
        }
        let mut unmet = Vec::new();
        match &config.tls {
            TlsSource::DevPki(dir) => unmet.push(Unmet::DevelopmentPki(dir.clone())),
            TlsSource::Files {
                cert,
                key,
                client_ca,
            } => {
                for (key, path) in [
                    ("tls_cert", cert),
                    ("tls_key", key),
                    ("client_ca", client_ca),
                ] {
                    if !is_file(path) {
                        unmet.push(Unmet::MissingFile {
                            key,
                            path: path.clone(),
                        });
                    }
                }
            }
        }
        if config.bootstrap_admin.is_none() {
            // A private cluster not made yet holds no organisation at all; any other database
            // is read after migrating (`registered`).
            let empty = matches!(&config.database,
                DatabaseSource::Private(dir) if !is_file(&dir.join("PG_VERSION")));
            if empty || !unmet.is_empty() {
                unmet.push(Unmet::NoAdministrator { known: empty });
            }
        }
        unmet
    }

    /// What the registered organisations leave unmet, read after the bootstrap administrator
    /// was registered.
    pub fn registered(&self, organisations: &[Organisation]) -> Vec<Unmet> {
        if *self == DevelopmentPki::Allowed {
            return Vec::new();
        }
        let development: Vec<String> = Role::ALL
            .into_iter()
            .map(development_organisation_id)
            .collect();
        let mut active = organisations
            .iter()
            .filter(|o| o.state == OrganisationState::Active);
        let mut left: Vec<String> = active
            .clone()
            .filter(|o| development.contains(&o.id))
            .map(|o| o.id.clone())
            .collect();
        left.sort();
        let mut unmet = Vec::new();
        if !left.is_empty() {
            unmet.push(Unmet::DevelopmentOrganisations(left));
        }
        if !active.any(|o| o.role == Role::Admin && !development.contains(&o.id)) {
            unmet.push(Unmet::NoAdministrator { known: true });
        }
        unmet
    }

    /// Refuses the start when anything is unmet, with one message saying all of it and what
    /// to set.
    pub fn refuse(&self, unmet: &[Unmet]) -> anyhow::Result<()> {
        let config_file = match self {
            DevelopmentPki::Refused { config_file } => config_file.as_deref(),
            DevelopmentPki::Allowed => None,
        };
        match refusal(unmet, config_file) {
            Some(message) => Err(anyhow::anyhow!(message)),
            None => Ok(()),
        }
    }
}

/// The one message for `unmet`, or `None` when nothing is.
pub fn refusal(unmet: &[Unmet], config_file: Option<&Path>) -> Option<String> {
    if unmet.is_empty() {
        return None;
    }
    let mut keys: Vec<&'static str> = Vec::new();
    let mut suspend = None;
    let problems: Vec<String> = unmet
        .iter()
        .map(|condition| match condition {
            Unmet::DevelopmentPki(dir) => {
                keys.extend(["tls_cert", "tls_key", "client_ca"]);
                format!(
                    "tls_cert, tls_key and client_ca are unset, so the service would make a \
                     development PKI in {} and trust it: a CA whose private key sits beside it",
                    dir.display()
                )
            }
            Unmet::MissingFile { key, path } => {
                keys.push(*key);
                format!("{key} names {}, which is not a file", path.display())
            }
            Unmet::NoAdministrator { known: true } => {
                keys.push("bootstrap_admin");
                "bootstrap_admin is unset and no admin organisation is registered, so nobody \
                 could administer the service"
                    .to_string()
            }
            Unmet::NoAdministrator { known: false } => {
                keys.push("bootstrap_admin");
                "bootstrap_admin is unset, so nobody could administer the service unless an \
                 admin organisation is registered already"
                    .to_string()
            }
            Unmet::DevelopmentOrganisations(ids) => {
                suspend = Some(ids.join(", "));
                format!(
                    "the development organisations {} are active, registered national by an \
                     earlier start on the development PKI",
                    ids.join(", ")
                )
            }
        })
        .collect();
    let mut unique: Vec<&'static str> = Vec::new();
    for key in keys {
        if !unique.contains(&key) {
            unique.push(key);
        }
    }
    let keys = unique;
    let mut steps = Vec::new();
    if !keys.is_empty() {
        let place = match config_file {
            Some(file) => format!("in {}", file.display()),
            None => "in the configuration file".to_string(),
        };
        let variables: Vec<String> = keys
            .iter()
            .map(|key| format!("KANDAS_{}", key.to_uppercase()))
            .collect();
        let described: Vec<String> = keys
            .iter()
            .map(|key| format!("{key} ({})", what_it_names(key)))
            .collect();
        steps.push(format!(
            "set {} {place} (or {})",
            listed(&described),
            listed(&variables),
        ));
    }
    if let Some(ids) = suspend {
        steps.push(format!(
            "suspend {ids} with `kandas admin organisations update <id> --state suspended` from \
             a start with allow_development_pki = true and your own TLS files (which accept no \
             development certificate)"
        ));
    }
    Some(format!(
        "refusing to serve on the development defaults (allow_development_pki = false): {}. To \
         serve, {}. Or, only for a trial on the development PKI, set allow_development_pki = \
         true (KANDAS_ALLOW_DEVELOPMENT_PKI=true)",
        problems.join("; "),
        steps.join("; and "),
    ))
}

/// What an operator gives a setting the message asks for.
fn what_it_names(key: &str) -> &'static str {
    match key {
        "tls_cert" => "your server's certificate chain",
        "tls_key" => "its private key",
        "client_ca" => "the CA your partners' client certificates chain to",
        "bootstrap_admin" => {
            "the organisation id of your first administrator, whose certificate names \
             urn:kandas:admin:<id>"
        }
        _ => "a file that exists",
    }
}

/// `a`, `a and b`, `a, b and c`.
fn listed(items: &[impl AsRef<str>]) -> String {
    match items {
        [] => String::new(),
        [only] => only.as_ref().to_string(),
        [init @ .., last] => format!(
            "{} and {}",
            init.iter()
                .map(|item| item.as_ref())
                .collect::<Vec<_>>()
                .join(", "),
            last.as_ref()
        ),
    }
}

#[cfg(test)]
mod tests;

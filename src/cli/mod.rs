//! The `kandas` command line: the server's own commands (`serve`, `migrate`, `certs`, `audit`,
//! `signature`) and `admin`, the operator's client of a running service.
//!
//! `admin` speaks to the service only through its public gRPC contract over mutual TLS, with
//! the operator's certificate, exactly as any other caller: it is granted, refused and audited
//! like one, and needs no database access.

mod admin;
mod audit;
mod calendar;
mod calendar_file;
mod connection;
mod failure;
mod health;
mod mci;
mod organisations;
mod output;
mod quotas;
mod request_id;
mod retention;
mod session;
pub mod signature;
mod subscriptions;
mod values;

pub use admin::{AdminArgs, run_admin};

use crate::config::{AuditCommand, CertsArgs, ServeArgs};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "kandas",
    version,
    about = "Back office for the path of kandas to citizenship of Kazakhstan"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

// Parsed once per process, so the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the gRPC API (the default when no command is given).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(ServeArgs),
    /// Write a development PKI: a CA, a server pair and one client pair per role.
    Certs(CertsArgs),
    /// Export the audit log with its signed heads, or verify an export offline.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Verify an applicant's signature offline, from its bytes and the national CA's
    /// certificate.
    #[command(subcommand)]
    Signature(signature::SignatureCommand),
    /// Operate a running service over mutual TLS with an admin certificate: organisations,
    /// quotas, MCI, the calendar, record subscriptions, retention, the audit log and health.
    #[command(after_help = admin::EXIT_CODES)]
    Admin(AdminArgs),
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_command_has_help_text() {
        fn walk(command: &clap::Command, path: &str) {
            for sub in command.get_subcommands() {
                let path = format!("{path} {}", sub.get_name());
                assert!(sub.get_about().is_some(), "`{path}` has no help text");
                walk(sub, &path);
            }
        }
        walk(&Cli::command(), "kandas");
    }
}

//! The `kandas` command line: the server's own commands (`serve`, `migrate`, `certs`, `audit`).

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

//! `kandas admin`: the operator's commands, the flags they share, and the dispatch to one
//! module per area.

use super::audit::{self, AuditCommand};
use super::calendar::{self, CalendarCommand};
use super::connection::ConnectionArgs;
use super::health::{self, HealthArgs};
use super::mci::{self, MciCommand};
use super::organisations::{self, OrganisationsCommand};
use super::output::Format;
use super::quotas::{self, QuotasCommand};
use super::retention::{self, RetentionCommand};
use super::session::Session;
use super::subscriptions::{self, SubscriptionsCommand};
use clap::{Args, Subcommand};
use std::process::ExitCode;

pub const EXIT_CODES: &str = "\
Exit codes: 0 done (for `health`, SERVING; for `audit verify-chain`, intact); 1 the service
refused (the gRPC code, message and details go to stderr), was not reached (for `health
--wait`, not SERVING before the timeout), or answered no;
2 the command could not be made here (a flag, a certificate, a file), so nothing was sent.

Every command calls the service as the certificate's organisation: the service decides what
it may do and records each call in the audit log.";

#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Print answers (and refusals, on stderr) as JSON: the proto3 JSON mapping of the
    /// answer, every field present
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// The organisations allowed to call: list, register, update (rename, jurisdiction,
    /// suspend or reactivate).
    #[command(subcommand, visible_alias = "orgs")]
    Organisations(OrganisationsCommand),
    /// Regional resettlement quotas: set a region's places for a year, read them.
    #[command(subcommand)]
    Quotas(QuotasCommand),
    /// Monthly calculation index values by year: set, list.
    #[command(subcommand)]
    Mci(MciCommand),
    /// The working-day calendar: load a year's decree from a TOML file, show a year.
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// The record event kinds each registry receives: list, set.
    #[command(subcommand)]
    Subscriptions(SubscriptionsCommand),
    /// Retention of kandas documents: run it now, or see what is due and when it last ran.
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// The audit log as the running service holds it: list events, verify the chain.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Ask the service's grpc.health.v1 Check, or wait until SERVING; exit 0 only when
    /// SERVING.
    Health(HealthArgs),
}

pub async fn run_admin(args: AdminArgs) -> ExitCode {
    let format = if args.json {
        Format::Json
    } else {
        Format::Human
    };
    let session = Session::new(args.connection.resolve(), format);
    let result = match args.command {
        AdminCommand::Organisations(command) => organisations::run(command, &session).await,
        AdminCommand::Quotas(command) => quotas::run(command, &session).await,
        AdminCommand::Mci(command) => mci::run(command, &session).await,
        AdminCommand::Calendar(command) => calendar::run(command, &session).await,
        AdminCommand::Subscriptions(command) => subscriptions::run(command, &session).await,
        AdminCommand::Retention(command) => retention::run(command, &session).await,
        AdminCommand::Audit(command) => audit::run(command, &session).await,
        AdminCommand::Health(args) => health::run(args, &session).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(session.format),
    }
}

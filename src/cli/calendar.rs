//! `kandas admin calendar`: a year's official calendar loaded from the decree (SPEC 3), and a
//! year shown as the service counts terms in it.

use super::calendar_file;
use super::failure::Failure;
use super::output;
use super::request_id::RequestIdArgs;
use super::session::Session;
use crate::pb::{self, admin_service_client::AdminServiceClient};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Load a year's official calendar from a TOML file: its dated days off and transfers
    /// replace what the service had for that year, and deadlines in it stop being provisional.
    #[command(after_long_help = calendar_file::FORMAT)]
    Load(LoadArgs),
    /// A year as the service counts terms in it: its days off besides weekends, the weekend
    /// days worked, and whether it is still provisional.
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct LoadArgs {
    /// The calendar file (TOML; see `kandas admin calendar load --help` for its format)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub request_id: RequestIdArgs,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The year
    #[arg(long)]
    pub year: i32,
}

pub async fn run(command: CalendarCommand, session: &Session) -> Result<(), Failure> {
    let year = match command {
        CalendarCommand::Load(args) => {
            // Read before connecting: a file that does not parse needs no server to say so.
            let official = calendar_file::read(&args.file).map_err(Failure::Local)?;
            let request_id = args.request_id.resolve();
            AdminServiceClient::new(session.channel().await?)
                .set_calendar_year(calendar_file::to_request(&official, request_id))
                .await
                .map_err(Failure::refused_request(request_id))?
                .into_inner()
        }
        CalendarCommand::Show(args) => AdminServiceClient::new(session.channel().await?)
            .get_calendar_year(pb::GetCalendarYearRequest { year: args.year })
            .await
            .map_err(Failure::refused)?
            .into_inner(),
    };
    output::print(session.format, &year, render).map_err(Failure::Local)
}

fn render(year: &pb::CalendarYear) -> String {
    let mut text = if year.provisional {
        format!(
            "{}: provisional (no decree loaded; deadlines in it are marked provisional)\n",
            year.year
        )
    } else {
        format!("{}: official\n", year.year)
    };
    text.push_str(&format!(
        "days off besides Saturdays and Sundays ({}):\n",
        year.days_off.len()
    ));
    for day in &year.days_off {
        text.push_str(&format!("  {}\n", output::date(Some(day))));
    }
    text.push_str(&format!(
        "Saturdays and Sundays worked ({}):\n",
        year.working_weekends.len()
    ));
    for day in &year.working_weekends {
        text.push_str(&format!("  {}\n", output::date(Some(day))));
    }
    text
}

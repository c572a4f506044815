//! `kandas admin mci`: the monthly calculation index of each year (SPEC 4), in tenge, which
//! every amount "in MCI" is multiplied by.

use super::failure::Failure;
use super::output::{self, Table};
use super::request_id::RequestIdArgs;
use super::session::Session;
use crate::pb::{self, admin_service_client::AdminServiceClient};
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum MciCommand {
    /// Set a year's MCI in tenge, as the budget law fixes it.
    Set(SetArgs),
    /// Every year's MCI.
    List,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// The year
    #[arg(long)]
    pub year: i32,
    /// One MCI in whole tenge, e.g. 4325
    #[arg(long)]
    pub tenge: i64,
    #[command(flatten)]
    pub request_id: RequestIdArgs,
}

pub async fn run(command: MciCommand, session: &Session) -> Result<(), Failure> {
    let mut client = AdminServiceClient::new(session.channel().await?);
    let printed = match command {
        MciCommand::Set(args) => {
            let request_id = args.request_id.resolve();
            let mci = client
                .set_mci(pb::SetMciRequest {
                    request_id: request_id.to_string(),
                    year: args.year,
                    tenge: args.tenge,
                })
                .await
                .map_err(Failure::refused_request(request_id))?
                .into_inner();
            output::print(session.format, &mci, |mci| {
                render(std::slice::from_ref(mci))
            })
        }
        MciCommand::List => {
            let list = client
                .list_mci(pb::ListMciRequest {})
                .await
                .map_err(Failure::refused)?
                .into_inner();
            output::print(session.format, &list, |list| render(&list.values))
        }
    };
    printed.map_err(Failure::Local)
}

fn render(values: &[pb::Mci]) -> String {
    let mut table = Table::new(&["YEAR", "TENGE"]);
    for mci in values {
        table.row(vec![mci.year.to_string(), mci.tenge.to_string()]);
    }
    table.render()
}

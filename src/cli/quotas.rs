//! `kandas admin quotas`: a region's resettlement places for a year (SPEC 6), set through
//! AdminService and read through QuotaService.

use super::failure::Failure;
use super::output::{self, Table};
use super::request_id::RequestIdArgs;
use super::session::Session;
use super::values;
use crate::domain::regions::Region;
use crate::pb::{
    self, admin_service_client::AdminServiceClient, quota_service_client::QuotaServiceClient,
};
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum QuotasCommand {
    /// Set or amend a region's places for a year; never below the places already taken.
    Set(SetArgs),
    /// One region's quota for a year, with places taken and remaining.
    Get(GetArgs),
    /// Every quota, or one year's, with places taken and remaining.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// The region (ISO 3166-2:KZ, e.g. KZ-55)
    #[arg(long, value_name = "CODE", value_parser = values::region)]
    pub region: Region,
    /// The year the places are for
    #[arg(long)]
    pub year: i32,
    /// Places in all, taken ones included
    #[arg(long)]
    pub places: i32,
    #[command(flatten)]
    pub request_id: RequestIdArgs,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// The region (ISO 3166-2:KZ, e.g. KZ-55)
    #[arg(long, value_name = "CODE", value_parser = values::region)]
    pub region: Region,
    /// The year
    #[arg(long)]
    pub year: i32,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this year's quotas [default: every year]
    #[arg(long)]
    pub year: Option<i32>,
}

pub async fn run(command: QuotasCommand, session: &Session) -> Result<(), Failure> {
    let channel = session.channel().await?;
    let quota = match command {
        QuotasCommand::Set(args) => {
            let request_id = args.request_id.resolve();
            AdminServiceClient::new(channel)
                .set_quota(pb::SetQuotaRequest {
                    request_id: request_id.to_string(),
                    region: args.region.code().to_string(),
                    year: args.year,
                    places: args.places,
                })
                .await
                .map_err(Failure::refused_request(request_id))?
                .into_inner()
        }
        QuotasCommand::Get(args) => QuotaServiceClient::new(channel)
            .get_quota(pb::GetQuotaRequest {
                region: args.region.code().to_string(),
                year: args.year,
            })
            .await
            .map_err(Failure::refused)?
            .into_inner(),
        QuotasCommand::List(args) => {
            let mut client = QuotaServiceClient::new(channel);
            let mut all = pb::ListQuotasResponse::default();
            loop {
                let page = client
                    .list_quotas(pb::ListQuotasRequest {
                        year: args.year.unwrap_or(0),
                        page_size: 0,
                        page_token: all.next_page_token.clone(),
                    })
                    .await
                    .map_err(Failure::refused)?
                    .into_inner();
                all.quotas.extend(page.quotas);
                all.next_page_token = page.next_page_token;
                if all.next_page_token.is_empty() {
                    break;
                }
            }
            return output::print(session.format, &all, |list| render(&list.quotas))
                .map_err(Failure::Local);
        }
    };
    output::print(session.format, &quota, |quota| {
        render(std::slice::from_ref(quota))
    })
    .map_err(Failure::Local)
}

fn render(quotas: &[pb::Quota]) -> String {
    let mut table = Table::new(&["REGION", "NAME", "YEAR", "PLACES", "TAKEN", "REMAINING"]);
    for quota in quotas {
        let name = Region::parse(&quota.region).map_or("", |r| r.name());
        table.row(vec![
            quota.region.clone(),
            name.to_string(),
            quota.year.to_string(),
            quota.places.to_string(),
            quota.taken.to_string(),
            quota.remaining.to_string(),
        ]);
    }
    table.render()
}

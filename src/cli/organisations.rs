//! `kandas admin organisations`: the registry of organisations whose certificates the service
//! honours (SPEC 1.1), through AdminService.

use super::failure::Failure;
use super::output::{self, Table};
use super::request_id::RequestIdArgs;
use super::session::Session;
use super::values::{self, OrganisationId};
use crate::domain::regions::Region;
use crate::domain::role::Role;
use crate::pb::{self, admin_service_client::AdminServiceClient, organisation::State};
use clap::{ArgGroup, Args, Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub enum OrganisationsCommand {
    /// Every registered organisation, in id order.
    List,
    /// Register an organisation: certificates naming it (urn:kandas:<role>:<id>) are honoured
    /// from then on, for that role only.
    Register(RegisterArgs),
    /// Change an organisation's display name, jurisdiction or state; its id and role never
    /// change. A suspension refuses its certificates on every replica within seconds.
    Update(UpdateArgs),
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("jurisdiction").required(true).args(["regions", "national"])))]
pub struct RegisterArgs {
    /// The <organisation-id> its certificates carry, e.g. almaty-psc-01
    #[arg(value_name = "ID")]
    pub id: OrganisationId,
    /// The role its certificates name: psc, portal, mission, commission, police,
    /// employment_center, admin or registry
    #[arg(long, value_parser = values::role)]
    pub role: Role,
    /// The name people know it by
    #[arg(long, value_name = "NAME")]
    pub display_name: String,
    /// A region it acts in (ISO 3166-2:KZ, e.g. KZ-75); repeat for several
    #[arg(long = "region", value_name = "CODE", value_parser = values::region)]
    pub regions: Vec<Region>,
    /// It acts on the whole country's files (instead of --region)
    #[arg(long)]
    pub national: bool,
    /// Register it suspended: its certificates are refused until it is made active
    #[arg(long)]
    pub suspended: bool,
    /// A portal: whether its statement that the applicant confirmed an act by SMS code is
    /// accepted in place of the applicant's signature [default: accepted]
    #[arg(long, value_enum, value_name = "ACCEPTED|REFUSED")]
    pub sms_confirmation: Option<SmsArg>,
    #[command(flatten)]
    pub request_id: RequestIdArgs,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("change").required(true).multiple(true)
    .args(["display_name", "regions", "national", "state", "sms_confirmation"])))]
pub struct UpdateArgs {
    /// The organisation's id (or its name, organisations/<id>)
    #[arg(value_name = "ID")]
    pub id: OrganisationId,
    /// A new display name
    #[arg(long, value_name = "NAME")]
    pub display_name: Option<String>,
    /// The regions it acts in from now on (replacing the stored ones); repeat for several
    #[arg(long = "region", value_name = "CODE", value_parser = values::region,
          conflicts_with = "national")]
    pub regions: Vec<Region>,
    /// It acts nationally from now on
    #[arg(long)]
    pub national: bool,
    /// active, or suspended to refuse its certificates
    #[arg(long, value_enum)]
    pub state: Option<StateArg>,
    /// A portal: accepted, or refused to require the applicant's own signature
    #[arg(long, value_enum, value_name = "ACCEPTED|REFUSED")]
    pub sms_confirmation: Option<SmsArg>,
    /// The etag of the version you read (from `list`): a change made since then refuses the
    /// update ABORTED instead of being overwritten [default: whatever is stored]
    #[arg(long)]
    pub etag: Option<String>,
    #[command(flatten)]
    pub request_id: RequestIdArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StateArg {
    Active,
    Suspended,
}

/// Whether a portal's SMS confirmations are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SmsArg {
    Accepted,
    Refused,
}

impl SmsArg {
    fn accepted(self) -> bool {
        self == SmsArg::Accepted
    }
}

impl StateArg {
    fn to_proto(self) -> State {
        match self {
            StateArg::Active => State::Active,
            StateArg::Suspended => State::Suspended,
        }
    }
}

pub async fn run(command: OrganisationsCommand, session: &Session) -> Result<(), Failure> {
    let mut client = AdminServiceClient::new(session.channel().await?);
    match command {
        OrganisationsCommand::List => {
            let mut all = pb::ListOrganisationsResponse::default();
            loop {
                let page = client
                    .list_organisations(pb::ListOrganisationsRequest {
                        page_size: 0,
                        page_token: all.next_page_token.clone(),
                    })
                    .await
                    .map_err(Failure::refused)?
                    .into_inner();
                all.organisations.extend(page.organisations);
                all.next_page_token = page.next_page_token;
                if all.next_page_token.is_empty() {
                    break;
                }
            }
            output::print(session.format, &all, render_list).map_err(Failure::Local)
        }
        OrganisationsCommand::Register(args) => {
            let request_id = args.request_id.resolve();
            let state = if args.suspended {
                State::Suspended
            } else {
                State::Active
            };
            let request = pb::RegisterOrganisationRequest {
                request_id: request_id.to_string(),
                organisation: Some(pb::Organisation {
                    id: args.id.to_string(),
                    role: args.role.as_str().to_string(),
                    display_name: args.display_name,
                    regions: codes(&args.regions),
                    national: args.national,
                    state: state as i32,
                    accepts_sms_confirmation: args.sms_confirmation.map(SmsArg::accepted),
                    ..pb::Organisation::default()
                }),
            };
            let registered = client
                .register_organisation(request)
                .await
                .map_err(Failure::refused_request(request_id))?
                .into_inner();
            output::print(session.format, &registered, render_one).map_err(Failure::Local)
        }
        OrganisationsCommand::Update(args) => {
            let request_id = args.request_id.resolve();
            let request = pb::UpdateOrganisationRequest {
                request_id: request_id.to_string(),
                name: args.id.name(),
                etag: args.etag.unwrap_or_default(),
                display_name: args.display_name,
                regions: codes(&args.regions),
                national: args.national.then_some(true),
                state: args.state.map(|s| s.to_proto() as i32),
                accepts_sms_confirmation: args.sms_confirmation.map(SmsArg::accepted),
            };
            let updated = client
                .update_organisation(request)
                .await
                .map_err(Failure::refused_request(request_id))?
                .into_inner();
            output::print(session.format, &updated, render_one).map_err(Failure::Local)
        }
    }
}

fn codes(regions: &[Region]) -> Vec<String> {
    regions.iter().map(|r| r.code().to_string()).collect()
}

fn state_name(state: i32) -> &'static str {
    // The table reads `ACTIVE`, not the contract's prefixed `STATE_ACTIVE`; --json keeps the
    // contract's name.
    State::try_from(state).map_or("UNKNOWN", |s| s.as_str_name().trim_start_matches("STATE_"))
}

fn jurisdiction(organisation: &pb::Organisation) -> String {
    if organisation.national {
        "national".to_string()
    } else {
        organisation.regions.join(",")
    }
}

fn render_list(list: &pb::ListOrganisationsResponse) -> String {
    let mut table = Table::new(&["ID", "ROLE", "STATE", "JURISDICTION", "DISPLAY NAME"]);
    for organisation in &list.organisations {
        table.row(vec![
            organisation.id.clone(),
            organisation.role.clone(),
            state_name(organisation.state).to_string(),
            jurisdiction(organisation),
            organisation.display_name.clone(),
        ]);
    }
    table.render()
}

fn render_one(organisation: &pb::Organisation) -> String {
    format!(
        "{}\n  role:          {}\n  display name:  {}\n  jurisdiction:  {}\n  state:         {}\n  SMS confirms:  {}\n  etag:          {}\n  updated:       {}\n",
        organisation.name,
        organisation.role,
        organisation.display_name,
        jurisdiction(organisation),
        state_name(organisation.state),
        match organisation.accepts_sms_confirmation {
            Some(false) => "refused",
            _ => "accepted",
        },
        organisation.etag,
        output::timestamp(organisation.update_time.as_ref()),
    )
}

//! `kandas admin subscriptions`: which record event kinds each registry receives (SPEC 1),
//! with how far it has read, through AdminService.

use super::failure::Failure;
use super::output::{self, Table};
use super::request_id::RequestIdArgs;
use super::session::Session;
use super::values::OrganisationId;
use crate::pb::{self, admin_service_client::AdminServiceClient, record_event::Kind};
use clap::{Args, Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub enum SubscriptionsCommand {
    /// Every registry's subscription: its kinds, the position it acknowledged and its lag.
    List,
    /// Set the kinds a registry receives, replacing the ones it had; its acknowledged
    /// position stays. Only an organisation registered with role registry subscribes.
    Set(SetArgs),
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// The registry's organisation id (or its name, organisations/<id>)
    #[arg(long, value_name = "ID")]
    pub organisation: OrganisationId,
    /// The record event kinds it receives, comma-separated or the flag repeated
    #[arg(long, value_enum, value_delimiter = ',', required = true)]
    pub kinds: Vec<KindArg>,
    #[command(flatten)]
    pub request_id: RequestIdArgs,
}

/// A record event kind as an operator writes it: the contract's name, lower case, without
/// its `KIND_` prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum KindArg {
    IinAssigned,
    KandasStatusGranted,
    KandasStatusExtended,
    KandasStatusAnnulled,
    PermitGranted,
    PermitAnnulled,
    CardIssued,
    RegistrationMade,
    RegistrationEnded,
    StatelessCertificateIssued,
    CitizenshipGranted,
    PersonCorrected,
    DocumentsErased,
    AuditHeadSigned,
}

impl KindArg {
    fn to_proto(self) -> Kind {
        match self {
            KindArg::IinAssigned => Kind::IinAssigned,
            KindArg::KandasStatusGranted => Kind::KandasStatusGranted,
            KindArg::KandasStatusExtended => Kind::KandasStatusExtended,
            KindArg::KandasStatusAnnulled => Kind::KandasStatusAnnulled,
            KindArg::PermitGranted => Kind::PermitGranted,
            KindArg::PermitAnnulled => Kind::PermitAnnulled,
            KindArg::CardIssued => Kind::CardIssued,
            KindArg::RegistrationMade => Kind::RegistrationMade,
            KindArg::RegistrationEnded => Kind::RegistrationEnded,
            KindArg::StatelessCertificateIssued => Kind::StatelessCertificateIssued,
            KindArg::CitizenshipGranted => Kind::CitizenshipGranted,
            KindArg::PersonCorrected => Kind::PersonCorrected,
            KindArg::DocumentsErased => Kind::DocumentsErased,
            KindArg::AuditHeadSigned => Kind::AuditHeadSigned,
        }
    }
}

pub async fn run(command: SubscriptionsCommand, session: &Session) -> Result<(), Failure> {
    let mut client = AdminServiceClient::new(session.channel().await?);
    match command {
        SubscriptionsCommand::List => {
            let mut all = pb::ListRecordSubscriptionsResponse::default();
            loop {
                let page = client
                    .list_record_subscriptions(pb::ListRecordSubscriptionsRequest {
                        page_size: 0,
                        page_token: all.next_page_token.clone(),
                    })
                    .await
                    .map_err(Failure::refused)?
                    .into_inner();
                all.subscriptions.extend(page.subscriptions);
                all.next_page_token = page.next_page_token;
                if all.next_page_token.is_empty() {
                    break;
                }
            }
            output::print(session.format, &all, |all| render(&all.subscriptions))
                .map_err(Failure::Local)
        }
        SubscriptionsCommand::Set(args) => {
            let request_id = args.request_id.resolve();
            let request = pb::SetRecordSubscriptionRequest {
                request_id: request_id.to_string(),
                organisation: args.organisation.name(),
                kinds: args.kinds.iter().map(|k| k.to_proto() as i32).collect(),
            };
            let set = client
                .set_record_subscription(request)
                .await
                .map_err(Failure::refused_request(request_id))?
                .into_inner();
            output::print(session.format, &set, |set| {
                render(std::slice::from_ref(set))
            })
            .map_err(Failure::Local)
        }
    }
}

/// A kind as the flag takes it: `KIND_PERMIT_GRANTED` reads `permit_granted`.
fn kind_name(kind: i32) -> String {
    Kind::try_from(kind).map_or_else(
        |_| format!("unknown({kind})"),
        |k| k.as_str_name().trim_start_matches("KIND_").to_lowercase(),
    )
}

fn render(subscriptions: &[pb::RecordSubscription]) -> String {
    let mut table = Table::new(&["ORGANISATION", "ACKNOWLEDGED", "LAG", "KINDS"]);
    for subscription in subscriptions {
        let acknowledged = if subscription.acknowledge_time.is_some() {
            format!(
                "{} at {}",
                subscription.acknowledged_sequence,
                output::timestamp(subscription.acknowledge_time.as_ref())
            )
        } else {
            "-".to_string()
        };
        let kinds: Vec<String> = subscription.kinds.iter().map(|k| kind_name(*k)).collect();
        table.row(vec![
            subscription
                .organisation
                .trim_start_matches("organisations/")
                .to_string(),
            acknowledged,
            subscription.lag.to_string(),
            kinds.join(","),
        ]);
    }
    table.render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_the_contract_has_a_value_named_as_the_table_shows_it() {
        for value in KindArg::value_variants() {
            let name = value.to_possible_value().unwrap().get_name().to_string();
            assert_eq!(kind_name(value.to_proto() as i32), name);
        }
        // Every kind but KIND_UNSPECIFIED.
        let contract = (1i32..).take_while(|k| Kind::try_from(*k).is_ok()).count();
        assert_eq!(KindArg::value_variants().len(), contract);
    }
}

//! `kandas admin audit`: the audit log as the running service holds it, through AuditService.
//! (`kandas audit export` and `kandas audit verify` work on the database and on an export
//! file instead, with no server.)

use super::failure::Failure;
use super::output::{self, Table};
use super::session::Session;
use crate::pb::{self, audit_service_client::AuditServiceClient};
use clap::{Args, Subcommand};
use std::num::NonZeroU32;

/// The service's largest page: asking for more returns this many anyway.
const PAGE: u32 = 500;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Audit events, oldest first, optionally only those about one subject or one client.
    Events(EventsArgs),
    /// Recompute the hash chain and check every signed head against it (the service seals
    /// and signs what is pending first). Exit 0 only when intact; every problem is listed.
    VerifyChain,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Only events about this resource, e.g. persons/<id> or organisations/<id>
    #[arg(long, value_name = "NAME")]
    pub subject: Option<String>,
    /// Only events of this client, as its certificate names it, e.g.
    /// urn:kandas:psc:almaty-01
    #[arg(long, value_name = "URI")]
    pub client: Option<String>,
    /// At most this many events
    #[arg(long, default_value = "50")]
    pub limit: NonZeroU32,
    /// Continue after an earlier listing: the token it printed last
    #[arg(long, value_name = "TOKEN")]
    pub page_token: Option<String>,
}

pub async fn run(command: AuditCommand, session: &Session) -> Result<(), Failure> {
    let mut client = AuditServiceClient::new(session.channel().await?);
    match command {
        AuditCommand::Events(args) => {
            let mut listed = pb::ListAuditEventsResponse {
                events: Vec::new(),
                next_page_token: args.page_token.unwrap_or_default(),
            };
            let limit = args.limit.get();
            loop {
                let wanted = (limit - listed.events.len() as u32).min(PAGE);
                let page = client
                    .list_audit_events(pb::ListAuditEventsRequest {
                        page_size: wanted as i32,
                        page_token: listed.next_page_token.clone(),
                        subject: args.subject.clone().unwrap_or_default(),
                        client: args.client.clone().unwrap_or_default(),
                    })
                    .await
                    .map_err(Failure::refused)?
                    .into_inner();
                listed.events.extend(page.events);
                listed.next_page_token = page.next_page_token;
                if listed.next_page_token.is_empty() || listed.events.len() as u32 >= limit {
                    break;
                }
            }
            output::print(session.format, &listed, render_events).map_err(Failure::Local)
        }
        AuditCommand::VerifyChain => {
            let report = client
                .verify_audit_chain(pb::VerifyAuditChainRequest {})
                .await
                .map_err(Failure::refused)?
                .into_inner();
            output::print(session.format, &report, render_report).map_err(Failure::Local)?;
            if report.intact {
                Ok(())
            } else {
                Err(Failure::Negative)
            }
        }
    }
}

fn render_events(listed: &pb::ListAuditEventsResponse) -> String {
    let mut table = Table::new(&["SEQ", "TIME", "CLIENT", "RPC", "SUBJECT", "OUTCOME"]);
    for event in &listed.events {
        // An event not yet sealed into the chain has no position.
        let sequence = match event.sequence {
            0 => "-".to_string(),
            n => n.to_string(),
        };
        table.row(vec![
            sequence,
            output::timestamp(event.time.as_ref()),
            event.client.clone(),
            event.rpc.clone(),
            event.subject.clone(),
            event.outcome.clone(),
        ]);
    }
    let mut text = table.render();
    if !listed.next_page_token.is_empty() {
        text.push_str(&format!("more: --page-token {}\n", listed.next_page_token));
    }
    text
}

fn render_report(report: &pb::VerifyAuditChainResponse) -> String {
    let mut text = if report.intact {
        format!(
            "intact: {} events chained, {} signed heads agree (last signed at {})\n",
            report.verified_events, report.signed_heads, report.last_signed_sequence
        )
    } else {
        format!(
            "NOT INTACT from position {}: {} problems in {} events\n",
            report.first_bad_sequence,
            report.problems.len(),
            report.verified_events
        )
    };
    text.push_str(&format!("  head hash:      {}\n", report.head_hash));
    text.push_str(&format!("  pending events: {}\n", report.pending_events));
    for problem in &report.problems {
        text.push_str(&format!("  at {}: {}\n", problem.sequence, problem.problem));
    }
    text
}

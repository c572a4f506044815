//! `QuotaService`: places per region and year, the quota application's forwarding and
//! notification steps, and the decision feed employment centers consume. Each method parses
//! its request into a command and runs the use case in `service::quota`.

mod commands;

use super::convert::timestamp;
use super::{Rpc, call_of, encode_cursor, handle, handle_listing, next_page};
use crate::domain::ids::{ApplicationId, PersonId};
use crate::domain::jurisdiction::reads_personal_files;
use crate::error::ApiError;
use crate::pb::rpc::quota_service as rpc;
use crate::pb::{self, quota_service_server::QuotaService};
use crate::service::quota as use_case;
use crate::state::AppState;
use crate::store::quota::{DecisionRow, QuotaRow};
use commands::{
    QuotaPageKey, decisions_query, forward_command, notified_command, quota_key, quotas_query,
    watch_cursor,
};
use futures_util::{FutureExt, Stream, StreamExt};
use std::pin::Pin;
use tonic::{Request, Response, Status};

// Quotas are figures set by law, no one's data: the call is opened for its caller only.
const GET: Rpc = Rpc::read(rpc::GET_QUOTA);
const LIST: Rpc = Rpc::read(rpc::LIST_QUOTAS);
const DECISIONS: Rpc = Rpc::read(rpc::LIST_QUOTA_DECISIONS);
const WATCH: Rpc = Rpc::read(rpc::WATCH_QUOTA_DECISIONS);
const FORWARD: Rpc = Rpc::change(rpc::FORWARD_QUOTA_APPLICATIONS);
const NOTIFIED: Rpc = Rpc::change(rpc::RECORD_APPLICANT_NOTIFIED);
/// Decisions read ahead of a watching client that has not taken them yet.
const WATCH_BUFFER: usize = 64;

pub struct QuotaApi {
    state: AppState,
    /// Bumped whenever a decision may have committed on any replica.
    decided: tokio::sync::watch::Receiver<u64>,
}

impl QuotaApi {
    /// `decided` is bumped by the notification relay for [`crate::store::quota::FEED_CHANNEL`].
    pub fn new(state: AppState, decided: tokio::sync::watch::Receiver<u64>) -> Self {
        Self { state, decided }
    }
}

pub fn quota_to_proto(row: &QuotaRow) -> pb::Quota {
    pb::Quota {
        region: row.region.to_string(),
        year: row.year,
        places: row.places,
        taken: row.taken,
        remaining: row.places - row.taken,
    }
}

fn cursor_of(row: &DecisionRow) -> String {
    encode_cursor(row.seq)
}

/// A decision as `caller` is told it: whose application it was only for a role that reads
/// personal files (SPEC 1.1).
fn decision_to_proto(row: &DecisionRow, names_applicant: bool) -> pb::QuotaDecision {
    pb::QuotaDecision {
        cursor: cursor_of(row),
        application: ApplicationId::from(row.application_id).to_string(),
        region: row.region.to_string(),
        year: row.year,
        approved: row.approved,
        places: row.places,
        rent_mci: row.rent_mci,
        decide_time: Some(timestamp(row.decided_at)),
        applicant: if names_applicant {
            PersonId::from(row.applicant_id).to_string()
        } else {
            String::new()
        },
        family_size: row.family_size,
        refusal_reason_code: row.reason_code.clone(),
    }
}

type DecisionStream =
    Pin<Box<dyn Stream<Item = Result<pb::QuotaDecision, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl QuotaService for QuotaApi {
    async fn get_quota(
        &self,
        request: Request<pb::GetQuotaRequest>,
    ) -> Result<Response<pb::Quota>, Status> {
        call_of(&self.state, &request, GET).await?;
        let key = quota_key(request.get_ref())?;
        let row = use_case::get(&self.state, key).await?;
        Ok(Response::new(quota_to_proto(&row)))
    }

    async fn list_quotas(
        &self,
        request: Request<pb::ListQuotasRequest>,
    ) -> Result<Response<pb::ListQuotasResponse>, Status> {
        call_of(&self.state, &request, LIST).await?;
        let query = quotas_query(request.get_ref())?;
        let limit = query.limit;
        let mut quotas = use_case::list(&self.state, query).await?;
        let next_page_token = next_page(&mut quotas, limit, |q| {
            QuotaPageKey(q.year, q.region).to_string()
        });
        Ok(Response::new(pb::ListQuotasResponse {
            quotas: quotas.iter().map(quota_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn list_quota_decisions(
        &self,
        request: Request<pb::ListQuotaDecisionsRequest>,
    ) -> Result<Response<pb::ListQuotaDecisionsResponse>, Status> {
        // Every applicant a page names is a read of that person.
        let named = |page: &pb::ListQuotaDecisionsResponse| {
            page.decisions
                .iter()
                .filter(|d| !d.applicant.is_empty())
                .map(|d| d.applicant.clone())
                .collect()
        };
        handle_listing(&self.state, request, DECISIONS, named, async |call, req| {
            let names = reads_personal_files(call.caller.role);
            let rows = use_case::decisions(&self.state, call, decisions_query(&req)?).await?;
            // With nothing new the caller keeps its cursor, to ask again from there.
            let next_cursor = rows.last().map_or_else(|| req.cursor.clone(), cursor_of);
            Ok(pb::ListQuotaDecisionsResponse {
                decisions: rows.iter().map(|r| decision_to_proto(r, names)).collect(),
                next_cursor,
            })
        })
        .await
    }

    async fn watch_quota_decisions(
        &self,
        request: Request<pb::WatchQuotaDecisionsRequest>,
    ) -> Result<Response<DecisionStream>, Status> {
        let call = call_of(&self.state, &request, WATCH).await?;
        let (after, region) = watch_cursor(request.get_ref())?;
        let (sender, receiver) = tokio::sync::mpsc::channel(WATCH_BUFFER);
        let (state, decided) = (self.state.clone(), self.decided.clone());
        let regions = use_case::regions_asked(&call.scope(), region);
        let names = reads_personal_files(call.caller.role);
        let audit = self.state.audit.clone();
        tokio::spawn(use_case::feed(state, regions, decided, after, sender));
        // Each decision that names its applicant is a read of that person, audited before it
        // is sent.
        let stream = tokio_stream::wrappers::ReceiverStream::new(receiver).then(move |decision| {
            let (audit, call) = (audit.clone(), call.clone());
            async move {
                let decision = decision_to_proto(&decision?, names);
                if !decision.applicant.is_empty() {
                    audit
                        .record_reads(&call, [decision.applicant.clone()])
                        .await
                        .map_err(ApiError::from)?;
                }
                Ok(decision)
            }
            .map(|answer: Result<pb::QuotaDecision, ApiError>| answer.map_err(Status::from))
        });
        Ok(Response::new(Box::pin(stream)))
    }

    async fn forward_quota_applications(
        &self,
        request: Request<pb::ForwardQuotaApplicationsRequest>,
    ) -> Result<Response<pb::ForwardQuotaApplicationsResponse>, Status> {
        handle(&self.state, request, FORWARD, async |call, req| {
            let command = forward_command(&req)?;
            let present = |ids: &[ApplicationId]| pb::ForwardQuotaApplicationsResponse {
                forwarded: ids.iter().map(ApplicationId::to_string).collect(),
            };
            use_case::forward(&self.state, call, command, present).await
        })
        .await
    }

    async fn record_applicant_notified(
        &self,
        request: Request<pb::RecordApplicantNotifiedRequest>,
    ) -> Result<Response<pb::RecordApplicantNotifiedResponse>, Status> {
        handle(&self.state, request, NOTIFIED, async |call, req| {
            let command = notified_command(&req)?;
            let present = |late| pb::RecordApplicantNotifiedResponse {
                application: req.application.clone(),
                late,
            };
            use_case::record_notified(&self.state, call, command, present).await
        })
        .await
    }
}

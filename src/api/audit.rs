//! `AuditService`: reading and verifying the audit log (admin only). Each method parses its
//! request, runs the use case in `service::audit_log`, and converts the answer.
//!
//! Neither is audited in turn: the log names persons by resource name only, so reading it is
//! not a read of personal data (SPEC §7), and verifying it answers with counts and hashes.

use super::convert::timestamp;
use super::{decode_page_key, next_page, page_size};
use crate::audit::{EventRow, ListFilter, Verification};
use crate::error::{AllValid, ApiResult};
use crate::pb::{self, audit_service_server::AuditService};
use crate::service::audit_log::{self as use_case, EventQuery};
use crate::state::AppState;
use tonic::{Request, Response, Status};

pub struct AuditApi {
    state: AppState,
}

impl AuditApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

fn list_query(req: &pb::ListAuditEventsRequest) -> ApiResult<EventQuery> {
    let (limit, after_id) = (
        page_size(req.page_size),
        decode_page_key::<i64>(&req.page_token),
    )
        .or_invalid()?;
    Ok(EventQuery {
        filter: ListFilter {
            subject: (!req.subject.is_empty()).then(|| req.subject.clone()),
            client: (!req.client.is_empty()).then(|| req.client.clone()),
            after_id,
        },
        limit,
    })
}

/// The id of the last event of the previous page: a token carries it as a number.
fn event_to_proto(row: &EventRow) -> pb::AuditEvent {
    pb::AuditEvent {
        sequence: row.seq.unwrap_or_default(),
        time: Some(timestamp(row.recorded_at)),
        client: row.client.clone(),
        role: row.role.clone(),
        operator_id: row.operator_id.clone(),
        applicant: row.applicant.clone(),
        rpc: row.rpc.clone(),
        subject: row.subject.clone(),
        request_id: row.request_id.clone(),
        outcome: row.outcome.clone(),
        hash: row.hash.as_ref().map(hex::encode).unwrap_or_default(),
    }
}

fn verification_to_proto(result: Verification) -> pb::VerifyAuditChainResponse {
    let first_bad_sequence = result.first_bad().unwrap_or_default();
    pb::VerifyAuditChainResponse {
        intact: result.problems.is_empty(),
        verified_events: result.verified,
        pending_events: result.pending,
        problems: result
            .problems
            .into_iter()
            .map(|p| pb::AuditChainProblem {
                sequence: p.seq,
                problem: p.problem,
            })
            .collect(),
        head_hash: hex::encode(&result.head_hash),
        first_bad_sequence,
        signed_heads: result.signed_heads,
        last_signed_sequence: result.last_signed,
    }
}

#[tonic::async_trait]
impl AuditService for AuditApi {
    async fn list_audit_events(
        &self,
        request: Request<pb::ListAuditEventsRequest>,
    ) -> Result<Response<pb::ListAuditEventsResponse>, Status> {
        let query = list_query(request.get_ref())?;
        let limit = query.limit;
        let mut rows = use_case::list(&self.state, query).await?;
        let next_page_token = next_page(&mut rows, limit, |r| r.id.to_string());
        Ok(Response::new(pb::ListAuditEventsResponse {
            events: rows.iter().map(event_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn verify_audit_chain(
        &self,
        _request: Request<pb::VerifyAuditChainRequest>,
    ) -> Result<Response<pb::VerifyAuditChainResponse>, Status> {
        let result = use_case::verify(&self.state).await?;
        Ok(Response::new(verification_to_proto(result)))
    }
}

//! `AuditService`: reading and verifying the audit log (admin only).

use super::convert::timestamp;
use super::{Fields, decode_page_token, next_page, page_size};
use crate::audit::{self, EventRow};
use crate::error::{ApiResult, FieldError};
use crate::pb::{self, audit_service_server::AuditService};
use crate::state::AppState;
use tonic::{Request, Response, Status};

pub struct AuditApi {
    state: AppState,
}

impl AuditApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    async fn list(
        &self,
        req: &pb::ListAuditEventsRequest,
    ) -> ApiResult<pb::ListAuditEventsResponse> {
        let mut fields = Fields::new();
        let limit = fields.check(page_size(req.page_size)).unwrap_or(0);
        let after_id = match decode_page_token(&req.page_token) {
            Ok(None) => None,
            Ok(Some(key)) => key.parse::<i64>().map(Some).unwrap_or_else(|_| {
                fields.push(FieldError::new(
                    "page_token",
                    "not a token returned by this service",
                ));
                None
            }),
            Err(e) => {
                fields.push(e);
                None
            }
        };
        fields.finish()?;
        let filter = audit::ListFilter {
            subject: (!req.subject.is_empty()).then(|| req.subject.clone()),
            client: (!req.client.is_empty()).then(|| req.client.clone()),
            after_id,
        };
        let mut rows = audit::list(&self.state.pool, &filter, limit + 1).await?;
        let next_page_token = next_page(&mut rows, limit, |r| r.id.to_string());
        Ok(pb::ListAuditEventsResponse {
            events: rows.iter().map(event_to_proto).collect(),
            next_page_token,
        })
    }

    async fn verify(&self) -> ApiResult<pb::VerifyAuditChainResponse> {
        // Seal what is waiting first, so the answer covers everything written so far.
        audit::seal_pending(&self.state.pool).await?;
        let result = audit::verify(&self.state.pool).await?;
        Ok(pb::VerifyAuditChainResponse {
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
            head_hash: hex::encode(result.head_hash),
        })
    }
}

fn event_to_proto(row: &EventRow) -> pb::AuditEvent {
    pb::AuditEvent {
        sequence: row.seq.unwrap_or_default(),
        time: Some(timestamp(row.recorded_at)),
        client: row.client.clone(),
        role: row.role.clone(),
        operator_id: row.operator_id.clone(),
        rpc: row.rpc.clone(),
        subject: row.subject.clone(),
        request_id: row.request_id.clone(),
        outcome: row.outcome.clone(),
        hash: row.hash.as_ref().map(hex::encode).unwrap_or_default(),
    }
}

#[tonic::async_trait]
impl AuditService for AuditApi {
    async fn list_audit_events(
        &self,
        request: Request<pb::ListAuditEventsRequest>,
    ) -> Result<Response<pb::ListAuditEventsResponse>, Status> {
        self.list(request.get_ref())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn verify_audit_chain(
        &self,
        _request: Request<pb::VerifyAuditChainRequest>,
    ) -> Result<Response<pb::VerifyAuditChainResponse>, Status> {
        self.verify().await.map(Response::new).map_err(Status::from)
    }
}

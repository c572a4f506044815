//! `QuotaService`: places per region and year, the quota application's forwarding and
//! notification steps, and the decision feed employment centers consume.

use super::convert::timestamp;
use super::{
    Fields, caller, commit_mutation, decode_page_token, encode_page_token, name_of, page_size,
    parse_name, parse_region, parse_request_id, replay_or_claim, respond,
};
use crate::domain::caller::Caller;
use crate::domain::lifecycle;
use crate::domain::procedure::Procedure;
use crate::domain::regions::Region;
use crate::error::{ApiError, ApiResult, FieldError, Violation, failed_precondition};
use crate::pb::{self, quota_service_server::QuotaService};
use crate::state::AppState;
use crate::store::applications;
use crate::store::quota::{self, DecisionRow, QuotaRow};
use futures_util::Stream;
use std::pin::Pin;
use std::time::Duration;
use tonic::{Request, Response, Status};
use uuid::Uuid;

const FORWARD: &str = crate::pb::rpc::quota_service::FORWARD_QUOTA_APPLICATIONS;
const NOTIFIED: &str = crate::pb::rpc::quota_service::RECORD_APPLICANT_NOTIFIED;
const FEED_PAGE: i64 = 500;

pub struct QuotaApi {
    state: AppState,
    /// Bumped whenever a decision may have committed on any replica.
    decided: tokio::sync::watch::Receiver<u64>,
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

fn decision_to_proto(row: &DecisionRow) -> pb::QuotaDecision {
    pb::QuotaDecision {
        cursor: encode_page_token(&row.seq.to_string()),
        application: name_of("applications", row.application_id),
        region: row.region.to_string(),
        year: row.year,
        approved: row.approved,
        places: row.places,
        rent_mci: row.rent_mci,
        decide_time: Some(timestamp(row.decided_at)),
    }
}

/// A feed cursor: empty for the beginning.
fn parse_cursor(value: &str) -> Result<i64, FieldError> {
    match decode_page_token(value) {
        Ok(None) => Ok(0),
        Ok(Some(key)) => key
            .parse::<i64>()
            .ok()
            .filter(|seq| *seq >= 0)
            .ok_or_else(|| FieldError::new("cursor", "not a cursor returned by this service")),
        Err(_) => Err(FieldError::new(
            "cursor",
            "not a cursor returned by this service",
        )),
    }
}

/// A quota's region and year, each checked.
fn quota_key(region: &str, year: i32) -> ApiResult<(Region, i32)> {
    let mut fields = Fields::new();
    let region = fields.check(parse_region("region", region));
    if !(2000..=2200).contains(&year) {
        fields.push(FieldError::new(
            "year",
            "required: a year from 2000 to 2200",
        ));
    }
    fields.finish()?;
    region.map(|r| (r, year)).ok_or_else(super::lost_field)
}

impl QuotaApi {
    /// `decided` is bumped by the notification relay for [`quota::FEED_CHANNEL`].
    pub fn new(state: AppState, decided: tokio::sync::watch::Receiver<u64>) -> Self {
        Self { state, decided }
    }

    async fn get(&self, req: &pb::GetQuotaRequest) -> ApiResult<pb::Quota> {
        let (region, year) = quota_key(&req.region, req.year)?;
        quota::get(&self.state.pool, region, year)
            .await?
            .map(|q| quota_to_proto(&q))
            .ok_or_else(|| ApiError::not_found(format!("quota of {} for {}", req.region, req.year)))
    }

    async fn list(&self, req: &pb::ListQuotasRequest) -> ApiResult<pb::ListQuotasResponse> {
        let year = (req.year != 0).then_some(req.year);
        // At most 20 regions a year: one page holds them; the token is accepted and ignored.
        let quotas = quota::list(&self.state.pool, year).await?;
        Ok(pb::ListQuotasResponse {
            quotas: quotas.iter().map(quota_to_proto).collect(),
            next_page_token: String::new(),
        })
    }

    async fn decisions(
        &self,
        req: &pb::ListQuotaDecisionsRequest,
    ) -> ApiResult<pb::ListQuotaDecisionsResponse> {
        let mut fields = Fields::new();
        let after = fields.check(parse_cursor(&req.cursor)).unwrap_or(0);
        let limit = fields.check(page_size(req.page_size)).unwrap_or(0);
        fields.finish()?;
        let rows = quota::decisions_after(&self.state.pool, after, limit).await?;
        let next_cursor = rows
            .last()
            .map(|r| encode_page_token(&r.seq.to_string()))
            .unwrap_or_else(|| req.cursor.clone());
        Ok(pb::ListQuotaDecisionsResponse {
            decisions: rows.iter().map(decision_to_proto).collect(),
            next_cursor,
        })
    }

    async fn forward(
        &self,
        caller: &Caller,
        req: &pb::ForwardQuotaApplicationsRequest,
    ) -> ApiResult<pb::ForwardQuotaApplicationsResponse> {
        let mut fields = Fields::new();
        let request_id = fields.check(parse_request_id(&req.request_id));
        if req.applications.is_empty() || req.applications.len() > 500 {
            fields.push(FieldError::new(
                "applications",
                "1 to 500 application names",
            ));
        }
        let ids: Vec<Uuid> = req
            .applications
            .iter()
            .enumerate()
            .filter_map(|(i, name)| {
                fields.check(parse_name(
                    &format!("applications[{i}]"),
                    name,
                    "applications",
                ))
            })
            .collect();
        fields.finish()?;
        let Some(request_id) = request_id else {
            return Err(super::lost_field());
        };
        let mut tx = self.state.pool.begin().await?;
        if let Some(first) = replay_or_claim(
            &mut tx,
            &crate::domain::caller::Call::new(FORWARD, caller.clone()),
            request_id,
            req,
        )
        .await?
        {
            return Ok(first);
        }
        let today = self.state.clock.today();
        // The commission's 10 working days count from receiving the list (SPEC 6).
        let decide_by = self
            .state
            .calendar
            .current()
            .deadline(today, lifecycle::QUOTA_DECIDE_TERM)
            .date;
        let mut problems = Vec::new();
        let mut forwarded = Vec::new();
        for id in ids {
            let name = name_of("applications", id);
            match applications::get_for_update(&mut tx, id).await? {
                Some(row)
                    if row.procedure == Procedure::RegionalQuotaInclusion
                        && lifecycle::may_forward(row.state, row.pending_step).is_ok() =>
                {
                    applications::mark_forwarded(&mut tx, id, today, decide_by).await?;
                    forwarded.push(name);
                }
                Some(row) if row.procedure == Procedure::RegionalQuotaInclusion => {
                    problems.push(Violation::new(
                        "NOT_AWAITING_FORWARDING",
                        name,
                        format!(
                            "the application waits for `{}`, not for forwarding",
                            row.pending_step
                        ),
                    ))
                }
                Some(_) => problems.push(Violation::new(
                    "NOT_A_QUOTA_APPLICATION",
                    name,
                    "only quota inclusion applications are forwarded",
                )),
                None => problems.push(Violation::new("NOT_FOUND", name, "no such application")),
            }
        }
        if !problems.is_empty() {
            return Err(failed_precondition(
                "NOT_FORWARDABLE",
                "some applications cannot be forwarded; nothing was forwarded",
                problems,
            ));
        }
        let response = pb::ForwardQuotaApplicationsResponse { forwarded };
        commit_mutation(
            tx,
            &crate::domain::caller::Call::new(FORWARD, caller.clone()),
            request_id,
            "applications",
            &response,
        )
        .await?;
        Ok(response)
    }

    async fn notified(
        &self,
        caller: &Caller,
        req: &pb::RecordApplicantNotifiedRequest,
    ) -> ApiResult<pb::RecordApplicantNotifiedResponse> {
        let mut fields = Fields::new();
        let request_id = fields.check(parse_request_id(&req.request_id));
        let id = fields.check(parse_name("application", &req.application, "applications"));
        fields.finish()?;
        let (Some(request_id), Some(id)) = (request_id, id) else {
            return Err(super::lost_field());
        };
        let mut tx = self.state.pool.begin().await?;
        if let Some(first) = replay_or_claim(
            &mut tx,
            &crate::domain::caller::Call::new(NOTIFIED, caller.clone()),
            request_id,
            req,
        )
        .await?
        {
            return Ok(first);
        }
        let row = applications::get_for_update(&mut tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("application"))?;
        if row.procedure != Procedure::RegionalQuotaInclusion
            || lifecycle::may_record_notified(row.pending_step).is_err()
        {
            return Err(failed_precondition(
                "NOT_AWAITING_NOTIFICATION",
                "only a decided quota application whose applicant was not yet notified",
                vec![Violation::new(
                    "AWAITING_NOTIFICATION",
                    req.application.clone(),
                    format!("pending step is `{}`", row.pending_step),
                )],
            ));
        }
        let today = self.state.clock.today();
        applications::mark_notified(&mut tx, id, today).await?;
        let response = pb::RecordApplicantNotifiedResponse {
            application: req.application.clone(),
            late: row.step_deadline.is_some_and(|due| today > due),
        };
        commit_mutation(
            tx,
            &crate::domain::caller::Call::new(NOTIFIED, caller.clone()),
            request_id,
            &response.application,
            &response,
        )
        .await?;
        Ok(response)
    }
}

type DecisionStream =
    Pin<Box<dyn Stream<Item = Result<pb::QuotaDecision, Status>> + Send + 'static>>;

/// Sends every decision after `last`, then each new one as it commits on any replica: the
/// replica's notification relay wakes the stream, and a periodic re-read covers anything the
/// relay missed. It ends when the client goes away or the server shuts down.
async fn feed(
    state: AppState,
    mut decided: tokio::sync::watch::Receiver<u64>,
    mut last: i64,
    sender: tokio::sync::mpsc::Sender<Result<pb::QuotaDecision, Status>>,
) {
    loop {
        // Marks what this read covers: a notification from now on wakes the next one.
        decided.borrow_and_update();
        // Everything committed after `last`, in order.
        loop {
            let rows = match quota::decisions_after(&state.pool, last, FEED_PAGE).await {
                Ok(rows) => rows,
                Err(error) => {
                    let _ = sender.send(Err(ApiError::from(error).into())).await;
                    return;
                }
            };
            for row in &rows {
                if sender.send(Ok(decision_to_proto(row))).await.is_err() {
                    return;
                }
                last = row.seq;
            }
            if (rows.len() as i64) < FEED_PAGE {
                break;
            }
        }
        let woken = async {
            if decided.changed().await.is_err() {
                // The relay is gone (shutting down): the periodic re-read remains.
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            () = woken => {}
            () = tokio::time::sleep(Duration::from_secs(2)) => {}
            () = sender.closed() => return,
            () = state.shutdown.cancelled() => return,
        }
    }
}

#[tonic::async_trait]
impl QuotaService for QuotaApi {
    async fn get_quota(
        &self,
        request: Request<pb::GetQuotaRequest>,
    ) -> Result<Response<pb::Quota>, Status> {
        self.get(request.get_ref())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn list_quotas(
        &self,
        request: Request<pb::ListQuotasRequest>,
    ) -> Result<Response<pb::ListQuotasResponse>, Status> {
        self.list(request.get_ref())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn list_quota_decisions(
        &self,
        request: Request<pb::ListQuotaDecisionsRequest>,
    ) -> Result<Response<pb::ListQuotaDecisionsResponse>, Status> {
        self.decisions(request.get_ref())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn watch_quota_decisions(
        &self,
        request: Request<pb::WatchQuotaDecisionsRequest>,
    ) -> Result<Response<DecisionStream>, Status> {
        let after = parse_cursor(&request.get_ref().cursor)
            .map_err(|e| Status::from(ApiError::InvalidArgument(vec![e])))?;
        let (sender, receiver) = tokio::sync::mpsc::channel(64);
        tokio::spawn(feed(
            self.state.clone(),
            self.decided.clone(),
            after,
            sender,
        ));
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(receiver),
        )))
    }

    async fn forward_quota_applications(
        &self,
        request: Request<pb::ForwardQuotaApplicationsRequest>,
    ) -> Result<Response<pb::ForwardQuotaApplicationsResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let result = self.forward(&caller, &req).await;
        respond(
            &self.state,
            &crate::domain::caller::Call::new(FORWARD, caller.clone())
                .about("applications")
                .with_request_id(&req.request_id),
            false,
            result,
        )
        .await
    }

    async fn record_applicant_notified(
        &self,
        request: Request<pb::RecordApplicantNotifiedRequest>,
    ) -> Result<Response<pb::RecordApplicantNotifiedResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let result = self.notified(&caller, &req).await;
        let subject: String = req.application.chars().take(64).collect();
        respond(
            &self.state,
            &crate::domain::caller::Call::new(NOTIFIED, caller.clone())
                .about(&subject)
                .with_request_id(&req.request_id),
            false,
            result,
        )
        .await
    }
}

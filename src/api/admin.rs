//! `AdminService`: the yearly figures set by law — quotas and MCI values.

use super::quota::quota_to_proto;
use super::{Fields, caller, commit_mutation, parse_request_id, replay_or_claim, respond};
use crate::auth::Caller;
use crate::domain::regions::Region;
use crate::error::{ApiError, ApiResult, FieldError, Violation, failed_precondition};
use crate::pb::{self, admin_service_server::AdminService};
use crate::state::AppState;
use crate::store::quota::{self, SetQuota};
use tonic::{Request, Response, Status};

const SET_QUOTA: &str = "/kandas.v1.AdminService/SetQuota";
const SET_MCI: &str = "/kandas.v1.AdminService/SetMci";

pub struct AdminApi {
    state: AppState,
}

impl AdminApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    async fn set_quota(&self, caller: &Caller, req: &pb::SetQuotaRequest) -> ApiResult<pb::Quota> {
        let mut fields = Fields::new();
        let request_id = fields.check(parse_request_id(&req.request_id));
        if Region::parse(&req.region).is_none() {
            fields.push(FieldError::new(
                "region",
                "must be an ISO 3166-2:KZ region code, e.g. KZ-55",
            ));
        }
        if !(2000..=2200).contains(&req.year) {
            fields.push(FieldError::new(
                "year",
                "required: a year from 2000 to 2200",
            ));
        }
        if req.places < 0 {
            fields.push(FieldError::new("places", "must not be negative"));
        }
        fields.finish()?;
        let Some(request_id) = request_id else {
            return Err(super::lost_field());
        };
        let mut tx = self.state.pool.begin().await?;
        if let Some(first) = replay_or_claim(&mut tx, caller, SET_QUOTA, request_id, req).await? {
            return Ok(first);
        }
        let quota = match quota::set(&mut tx, &req.region, req.year, req.places).await? {
            SetQuota::Set(row) => quota_to_proto(&row),
            SetQuota::BelowTaken { taken } => {
                return Err(failed_precondition(
                    "QUOTA_BELOW_TAKEN",
                    format!(
                        "{taken} places of {} {} are already taken; the quota cannot be set to {}",
                        req.region, req.year, req.places
                    ),
                    vec![Violation::new(
                        "QUOTA_AT_LEAST_TAKEN",
                        format!("quotas/{}/{}", req.region, req.year),
                        format!("at least {taken}"),
                    )],
                ));
            }
        };
        commit_mutation(
            tx,
            caller,
            SET_QUOTA,
            request_id,
            &format!("quotas/{}/{}", req.region, req.year),
            &quota,
        )
        .await?;
        Ok(quota)
    }

    async fn set_mci(&self, caller: &Caller, req: &pb::SetMciRequest) -> ApiResult<pb::Mci> {
        let mut fields = Fields::new();
        let request_id = fields.check(parse_request_id(&req.request_id));
        if !(1990..=2200).contains(&req.year) {
            fields.push(FieldError::new(
                "year",
                "required: a year from 1990 to 2200",
            ));
        }
        if req.tenge <= 0 {
            fields.push(FieldError::new(
                "tenge",
                "required: a positive whole number of tenge",
            ));
        }
        fields.finish()?;
        let Some(request_id) = request_id else {
            return Err(super::lost_field());
        };
        let mut tx = self.state.pool.begin().await?;
        if let Some(first) = replay_or_claim(&mut tx, caller, SET_MCI, request_id, req).await? {
            return Ok(first);
        }
        quota::set_mci(&mut *tx, req.year, req.tenge).await?;
        let mci = pb::Mci {
            year: req.year,
            tenge: req.tenge,
        };
        commit_mutation(
            tx,
            caller,
            SET_MCI,
            request_id,
            &format!("mci/{}", req.year),
            &mci,
        )
        .await?;
        Ok(mci)
    }
}

#[tonic::async_trait]
impl AdminService for AdminApi {
    async fn set_quota(
        &self,
        request: Request<pb::SetQuotaRequest>,
    ) -> Result<Response<pb::Quota>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let result = AdminApi::set_quota(self, &caller, &req).await;
        respond(
            &self.state,
            &caller,
            SET_QUOTA,
            &format!(
                "quotas/{}/{}",
                req.region.chars().take(8).collect::<String>(),
                req.year
            ),
            &req.request_id,
            false,
            result,
        )
        .await
    }

    async fn set_mci(
        &self,
        request: Request<pb::SetMciRequest>,
    ) -> Result<Response<pb::Mci>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let result = AdminApi::set_mci(self, &caller, &req).await;
        respond(
            &self.state,
            &caller,
            SET_MCI,
            &format!("mci/{}", req.year),
            &req.request_id,
            false,
            result,
        )
        .await
    }

    async fn list_mci(
        &self,
        _request: Request<pb::ListMciRequest>,
    ) -> Result<Response<pb::ListMciResponse>, Status> {
        quota::all_mci(&self.state.pool)
            .await
            .map(|values| {
                Response::new(pb::ListMciResponse {
                    values: values
                        .into_iter()
                        .map(|(year, tenge)| pb::Mci { year, tenge })
                        .collect(),
                })
            })
            .map_err(|e| Status::from(ApiError::from(e)))
    }
}

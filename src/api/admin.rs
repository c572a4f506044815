//! `AdminService`: the yearly figures set by law — quotas, MCI values and the calendar.

use super::convert::{date_from_proto, date_to_proto};
use super::parse_region;
use super::quota::quota_to_proto;
use super::{Fields, caller, commit_mutation, parse_request_id, replay_or_claim, respond};
use crate::domain::calendar::{Calendar, DatedDayOff, OfficialYear, Transfer, TransferKind};
use crate::domain::caller::Caller;
use crate::error::{ApiError, ApiResult, FieldError, Violation, failed_precondition};
use crate::pb::{self, admin_service_server::AdminService};
use crate::state::AppState;
use crate::store::calendar;
use crate::store::quota::{self, SetQuota};
use tonic::{Request, Response, Status};

const SET_QUOTA: &str = crate::pb::rpc::admin_service::SET_QUOTA;
const SET_MCI: &str = crate::pb::rpc::admin_service::SET_MCI;
const SET_CALENDAR_YEAR: &str = crate::pb::rpc::admin_service::SET_CALENDAR_YEAR;
/// Years a calendar can be loaded for: those the calendar precomputes and stores.
const CALENDAR_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

fn calendar_year_to_proto(calendar: &Calendar, year: i32) -> pb::CalendarYear {
    pb::CalendarYear {
        year,
        provisional: calendar.is_provisional(year),
        days_off: calendar
            .days_off(year)
            .into_iter()
            .map(date_to_proto)
            .collect(),
        working_weekends: calendar
            .working_weekends(year)
            .into_iter()
            .map(date_to_proto)
            .collect(),
    }
}

fn calendar_year_field(year: i32) -> Result<i32, FieldError> {
    if CALENDAR_YEARS.contains(&year) {
        Ok(year)
    } else {
        Err(FieldError::new(
            "year",
            "required: a year from 2000 to 2100",
        ))
    }
}

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
        let region = fields.check(parse_region("region", &req.region));
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
        let (Some(request_id), Some(region)) = (request_id, region) else {
            return Err(super::lost_field());
        };
        let mut tx = self.state.pool.begin().await?;
        if let Some(first) = replay_or_claim(
            &mut tx,
            &crate::domain::caller::Call::new(SET_QUOTA, caller.clone()),
            request_id,
            req,
        )
        .await?
        {
            return Ok(first);
        }
        let quota = match quota::set(&mut tx, region, req.year, req.places).await? {
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
            &crate::domain::caller::Call::new(SET_QUOTA, caller.clone()),
            request_id,
            &format!("quotas/{}/{}", req.region, req.year),
            &quota,
        )
        .await?;
        Ok(quota)
    }

    async fn set_calendar_year(
        &self,
        caller: &Caller,
        req: &pb::SetCalendarYearRequest,
    ) -> ApiResult<pb::CalendarYear> {
        let mut fields = Fields::new();
        let request_id = fields.check(parse_request_id(&req.request_id));
        fields.check(calendar_year_field(req.year));
        // A year has 366 days at most; more entries can only be a mistake or an attack.
        for (field, len) in [
            ("dated_days_off", req.dated_days_off.len()),
            ("transfers", req.transfers.len()),
        ] {
            if len > 366 {
                fields.push(FieldError::new(field, "at most 366 entries, one per day"));
            }
        }
        let mut required_date = |field: String, date: Option<&pb::Date>| match fields
            .check(date_from_proto(&field, date))
            .flatten()
        {
            Some(date) => Some(date),
            None if fields.reported(&field) => None,
            None => {
                fields.push(FieldError::new(field, "required"));
                None
            }
        };
        let dated_days_off: Vec<Option<DatedDayOff>> = req
            .dated_days_off
            .iter()
            .enumerate()
            .map(|(i, day)| {
                required_date(format!("dated_days_off[{i}].date"), day.date.as_ref()).map(|date| {
                    DatedDayOff {
                        name: day.name.trim().to_string(),
                        date,
                    }
                })
            })
            .collect();
        let transfers: Vec<Option<Transfer>> = req
            .transfers
            .iter()
            .enumerate()
            .map(|(i, t)| {
                required_date(format!("transfers[{i}].date"), t.date.as_ref()).map(|date| {
                    Transfer {
                        date,
                        kind: if t.working {
                            TransferKind::Working
                        } else {
                            TransferKind::Off
                        },
                        note: Some(t.note.trim().to_string()).filter(|n| !n.is_empty()),
                    }
                })
            })
            .collect();
        // The year's own rules are checked once every date is readable.
        let official = match (
            dated_days_off.into_iter().collect::<Option<Vec<_>>>(),
            transfers.into_iter().collect::<Option<Vec<_>>>(),
        ) {
            (Some(dated_days_off), Some(transfers)) => Some(OfficialYear {
                year: req.year,
                dated_days_off,
                transfers,
            }),
            _ => None,
        };
        for (field, rule) in official.iter().flat_map(OfficialYear::problems) {
            fields.push(FieldError::new(field, rule));
        }
        fields.finish()?;
        let (Some(request_id), Some(official)) = (request_id, official) else {
            return Err(super::lost_field());
        };
        self.load_year(caller, request_id, req, &official).await
    }

    async fn load_year(
        &self,
        caller: &Caller,
        request_id: uuid::Uuid,
        req: &pb::SetCalendarYearRequest,
        official: &OfficialYear,
    ) -> ApiResult<pb::CalendarYear> {
        let mut tx = self.state.pool.begin().await?;
        if let Some(first) = replay_or_claim(
            &mut tx,
            &crate::domain::caller::Call::new(SET_CALENDAR_YEAR, caller.clone()),
            request_id,
            req,
        )
        .await?
        {
            return Ok(first);
        }
        calendar::save(&mut tx, official, &caller.client()).await?;
        // Built from every stored year, inside the transaction: the same calendar each replica
        // rebuilds when it hears of this commit.
        let updated = calendar::current(&mut *tx)
            .await
            .map_err(ApiError::internal)?;
        let year = calendar_year_to_proto(&updated, official.year);
        commit_mutation(
            tx,
            &crate::domain::caller::Call::new(SET_CALENDAR_YEAR, caller.clone()),
            request_id,
            &format!("calendar/{}", official.year),
            &year,
        )
        .await?;
        self.state.calendar.replace(updated);
        Ok(year)
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
        if let Some(first) = replay_or_claim(
            &mut tx,
            &crate::domain::caller::Call::new(SET_MCI, caller.clone()),
            request_id,
            req,
        )
        .await?
        {
            return Ok(first);
        }
        quota::set_mci(&mut *tx, req.year, req.tenge).await?;
        let mci = pb::Mci {
            year: req.year,
            tenge: req.tenge,
        };
        commit_mutation(
            tx,
            &crate::domain::caller::Call::new(SET_MCI, caller.clone()),
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
            &crate::domain::caller::Call::new(SET_QUOTA, caller.clone())
                .about(&format!(
                    "quotas/{}/{}",
                    req.region.chars().take(8).collect::<String>(),
                    req.year
                ))
                .with_request_id(&req.request_id),
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
            &crate::domain::caller::Call::new(SET_MCI, caller.clone())
                .about(&format!("mci/{}", req.year))
                .with_request_id(&req.request_id),
            false,
            result,
        )
        .await
    }

    async fn set_calendar_year(
        &self,
        request: Request<pb::SetCalendarYearRequest>,
    ) -> Result<Response<pb::CalendarYear>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let result = AdminApi::set_calendar_year(self, &caller, &req).await;
        respond(
            &self.state,
            &crate::domain::caller::Call::new(SET_CALENDAR_YEAR, caller.clone())
                .about(&format!("calendar/{}", req.year))
                .with_request_id(&req.request_id),
            false,
            result,
        )
        .await
    }

    async fn get_calendar_year(
        &self,
        request: Request<pb::GetCalendarYearRequest>,
    ) -> Result<Response<pb::CalendarYear>, Status> {
        let year = calendar_year_field(request.get_ref().year)
            .map_err(|e| Status::from(ApiError::InvalidArgument(vec![e])))?;
        Ok(Response::new(calendar_year_to_proto(
            &self.state.calendar.current(),
            year,
        )))
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

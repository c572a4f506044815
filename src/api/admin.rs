//! `AdminService`: the yearly figures set by law — quotas, MCI values and the calendar. Each
//! change is parsed into a command and run by the use case in `service::admin`.

mod commands;

use super::convert::date_to_proto;
use super::quota::quota_to_proto;
use super::{open, respond};
use crate::domain::calendar::Calendar;
use crate::error::ApiError;
use crate::pb::{self, admin_service_server::AdminService};
use crate::service::admin as use_case;
use crate::state::AppState;
use commands::{
    calendar_year_field, set_calendar_year_command, set_mci_command, set_quota_command,
};
use tonic::{Request, Response, Status};

const SET_QUOTA: &str = crate::pb::rpc::admin_service::SET_QUOTA;
const SET_MCI: &str = crate::pb::rpc::admin_service::SET_MCI;
const SET_CALENDAR_YEAR: &str = crate::pb::rpc::admin_service::SET_CALENDAR_YEAR;

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

pub struct AdminApi {
    state: AppState,
}

impl AdminApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[tonic::async_trait]
impl AdminService for AdminApi {
    async fn set_quota(
        &self,
        request: Request<pb::SetQuotaRequest>,
    ) -> Result<Response<pb::Quota>, Status> {
        let call = open(&request, SET_QUOTA)?;
        let req = request.into_inner();
        // A hostile region code cannot crowd the year out of the subject.
        let region: String = req.region.chars().take(8).collect();
        let call = call
            .about(&format!("quotas/{region}/{}", req.year))
            .with_request_id(&req.request_id);
        let result = async {
            let command = set_quota_command(&req)?;
            use_case::set_quota(&self.state, &call, command, quota_to_proto).await
        }
        .await;
        respond(&self.state, &call, false, result).await
    }

    async fn set_mci(
        &self,
        request: Request<pb::SetMciRequest>,
    ) -> Result<Response<pb::Mci>, Status> {
        let call = open(&request, SET_MCI)?;
        let req = request.into_inner();
        let call = call
            .about(&format!("mci/{}", req.year))
            .with_request_id(&req.request_id);
        let result = async {
            let command = set_mci_command(&req)?;
            let present = |year, tenge| pb::Mci { year, tenge };
            use_case::set_mci(&self.state, &call, command, present).await
        }
        .await;
        respond(&self.state, &call, false, result).await
    }

    async fn set_calendar_year(
        &self,
        request: Request<pb::SetCalendarYearRequest>,
    ) -> Result<Response<pb::CalendarYear>, Status> {
        let call = open(&request, SET_CALENDAR_YEAR)?;
        let req = request.into_inner();
        let call = call
            .about(&format!("calendar/{}", req.year))
            .with_request_id(&req.request_id);
        let result = async {
            let command = set_calendar_year_command(&req)?;
            use_case::set_calendar_year(&self.state, &call, command, calendar_year_to_proto).await
        }
        .await;
        respond(&self.state, &call, false, result).await
    }

    async fn get_calendar_year(
        &self,
        request: Request<pb::GetCalendarYearRequest>,
    ) -> Result<Response<pb::CalendarYear>, Status> {
        let year = calendar_year_field(request.get_ref().year)
            .map_err(|e| Status::from(ApiError::InvalidArgument(vec![e])))?;
        let calendar = self.state.calendar.current();
        Ok(Response::new(calendar_year_to_proto(&calendar, year)))
    }

    async fn list_mci(
        &self,
        _request: Request<pb::ListMciRequest>,
    ) -> Result<Response<pb::ListMciResponse>, Status> {
        let values = use_case::list_mci(&self.state).await?;
        Ok(Response::new(pb::ListMciResponse {
            values: values
                .into_iter()
                .map(|(year, tenge)| pb::Mci { year, tenge })
                .collect(),
        }))
    }
}

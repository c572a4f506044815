//! `AdminService`: the yearly figures set by law — quotas, MCI values and the calendar — and
//! the organisation registry. Each change is parsed into a command and run by the use case in
//! `service::admin` or `service::organisations`.

mod commands;
mod organisations;
mod retention;
mod subscriptions;

use super::convert::{date_to_proto, subscription_to_proto};
use super::quota::quota_to_proto;
use super::{Fields, Rpc, handle, next_page, page_size};
use crate::domain::calendar::Calendar;
use crate::error::ApiError;
use crate::pb::rpc::admin_service as rpc;
use crate::pb::{self, admin_service_server::AdminService};
use crate::service::admin as use_case;
use crate::service::organisations as registry;
use crate::service::record_feed as feed;
use crate::service::retention_operator as retention_use_case;
use crate::state::AppState;
use commands::{
    calendar_year_field, set_calendar_year_command, set_mci_command, set_quota_command,
};
use organisations::{organisation_to_proto, page_after, register_command, update_command};
use subscriptions::{set_subscription_command, subscriptions_query};
use tonic::{Request, Response, Status};

const SET_QUOTA: Rpc = Rpc::change(rpc::SET_QUOTA);
const SET_MCI: Rpc = Rpc::change(rpc::SET_MCI);
const SET_CALENDAR_YEAR: Rpc = Rpc::change(rpc::SET_CALENDAR_YEAR);
const REGISTER_ORGANISATION: Rpc = Rpc::change(rpc::REGISTER_ORGANISATION);
const UPDATE_ORGANISATION: Rpc = Rpc::change(rpc::UPDATE_ORGANISATION);
const SET_RECORD_SUBSCRIPTION: Rpc = Rpc::change(rpc::SET_RECORD_SUBSCRIPTION);
// Audited at the door: each erasure is audited in its own transaction as retention's act,
// and this event records who asked for the run and how it ended.
const RUN_RETENTION: Rpc = Rpc::read(rpc::RUN_RETENTION);
const GET_RETENTION_STATUS: Rpc = Rpc::read(rpc::GET_RETENTION_STATUS);

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
        handle(&self.state, request, SET_QUOTA, async |call, req| {
            let command = set_quota_command(&req)?;
            use_case::set_quota(&self.state, call, command, quota_to_proto).await
        })
        .await
    }

    async fn set_mci(
        &self,
        request: Request<pb::SetMciRequest>,
    ) -> Result<Response<pb::Mci>, Status> {
        handle(&self.state, request, SET_MCI, async |call, req| {
            let command = set_mci_command(&req)?;
            let present = |year, tenge| pb::Mci { year, tenge };
            use_case::set_mci(&self.state, call, command, present).await
        })
        .await
    }

    async fn set_calendar_year(
        &self,
        request: Request<pb::SetCalendarYearRequest>,
    ) -> Result<Response<pb::CalendarYear>, Status> {
        handle(
            &self.state,
            request,
            SET_CALENDAR_YEAR,
            async |call, req| {
                let command = set_calendar_year_command(&req)?;
                use_case::set_calendar_year(&self.state, call, command, calendar_year_to_proto)
                    .await
            },
        )
        .await
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

    async fn register_organisation(
        &self,
        request: Request<pb::RegisterOrganisationRequest>,
    ) -> Result<Response<pb::Organisation>, Status> {
        handle(
            &self.state,
            request,
            REGISTER_ORGANISATION,
            async |call, req| {
                let command = register_command(&req)?;
                registry::register(&self.state, call, command, organisation_to_proto).await
            },
        )
        .await
    }

    async fn update_organisation(
        &self,
        request: Request<pb::UpdateOrganisationRequest>,
    ) -> Result<Response<pb::Organisation>, Status> {
        handle(
            &self.state,
            request,
            UPDATE_ORGANISATION,
            async |call, req| {
                let command = update_command(&req)?;
                registry::update(&self.state, call, command, organisation_to_proto).await
            },
        )
        .await
    }

    async fn list_organisations(
        &self,
        request: Request<pb::ListOrganisationsRequest>,
    ) -> Result<Response<pb::ListOrganisationsResponse>, Status> {
        let req = request.into_inner();
        let mut fields = Fields::new();
        let limit = fields.check(page_size(req.page_size)).unwrap_or(0);
        let after = fields.check(page_after(&req.page_token)).flatten();
        fields.finish()?;
        let mut rows = registry::list(&self.state, after.as_deref(), limit).await?;
        let next_page_token = next_page(&mut rows, limit, |r| r.organisation.id.clone());
        Ok(Response::new(pb::ListOrganisationsResponse {
            organisations: rows.iter().map(organisation_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn set_record_subscription(
        &self,
        request: Request<pb::SetRecordSubscriptionRequest>,
    ) -> Result<Response<pb::RecordSubscription>, Status> {
        handle(
            &self.state,
            request,
            SET_RECORD_SUBSCRIPTION,
            async |call, req| {
                let command = set_subscription_command(&req)?;
                feed::set_subscription(&self.state, call, command, subscription_to_proto).await
            },
        )
        .await
    }

    async fn list_record_subscriptions(
        &self,
        request: Request<pb::ListRecordSubscriptionsRequest>,
    ) -> Result<Response<pb::ListRecordSubscriptionsResponse>, Status> {
        let (limit, after) = subscriptions_query(request.get_ref())?;
        let mut rows = feed::subscriptions(&self.state, after.as_deref(), limit).await?;
        let next_page_token = next_page(&mut rows, limit, |s| s.row.organisation_id.clone());
        Ok(Response::new(pb::ListRecordSubscriptionsResponse {
            subscriptions: rows.iter().map(subscription_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn run_retention(
        &self,
        request: Request<pb::RunRetentionRequest>,
    ) -> Result<Response<pb::RunRetentionResponse>, Status> {
        handle(&self.state, request, RUN_RETENTION, async |call, _req| {
            let run = retention_use_case::run_now(&self.state, call).await?;
            Ok(retention::run_to_proto(&run))
        })
        .await
    }

    async fn get_retention_status(
        &self,
        request: Request<pb::GetRetentionStatusRequest>,
    ) -> Result<Response<pb::RetentionStatus>, Status> {
        handle(
            &self.state,
            request,
            GET_RETENTION_STATUS,
            async |_call, _req| {
                let status = retention_use_case::status(&self.state).await?;
                Ok(retention::status_to_proto(&status))
            },
        )
        .await
    }
}

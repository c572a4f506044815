//! `QuotaService` requests parsed into the commands of `service::quota`, every malformed field
//! collected.

use crate::api::convert::date_from_proto;
use crate::api::{
    Fields, decode_page_key, page_size, parse_cursor, parse_name, parse_region, parse_request_id,
};
use crate::domain::ids::ApplicationId;
use crate::domain::regions::Region;
use crate::error::{AllValid, ApiResult, FieldError};
use crate::pb;
use crate::service::mutation::Idempotency;
use crate::service::quota::{DecisionsQuery, Forward, QuotaKey, QuotasQuery, RecordNotified};

/// Most applications one forwarding lists.
const MAX_FORWARDED: usize = 500;

/// A quota's region and year, each checked.
pub(super) fn quota_key(req: &pb::GetQuotaRequest) -> ApiResult<QuotaKey> {
    let year = crate::api::parse_quota_year(req.year);
    let (region, year) = (parse_region("region", &req.region), year).or_invalid()?;
    Ok(QuotaKey { region, year })
}

/// The page key of a quota list: its year and region, as `2026:KZ-55`.
pub(super) struct QuotaPageKey(pub i32, pub Region);

impl std::fmt::Display for QuotaPageKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.0, self.1.code())
    }
}

impl std::str::FromStr for QuotaPageKey {
    type Err = ();
    fn from_str(key: &str) -> Result<Self, ()> {
        let (year, region) = key.split_once(':').ok_or(())?;
        Ok(QuotaPageKey(
            year.parse().map_err(|_| ())?,
            Region::parse(region).ok_or(())?,
        ))
    }
}

pub(super) fn quotas_query(req: &pb::ListQuotasRequest) -> ApiResult<QuotasQuery> {
    let year = (req.year != 0)
        .then(|| crate::api::parse_quota_year(req.year))
        .transpose();
    let (year, after, limit) = (
        year,
        decode_page_key::<QuotaPageKey>(&req.page_token),
        page_size(req.page_size),
    )
        .or_invalid()?;
    Ok(QuotasQuery {
        year,
        after: after.map(|QuotaPageKey(year, region)| (year, region)),
        limit,
    })
}

/// A feed's region filter: empty for every region.
fn region_filter(value: &str) -> Result<Option<Region>, FieldError> {
    (!value.is_empty())
        .then(|| parse_region("region", value))
        .transpose()
}

pub(super) fn decisions_query(req: &pb::ListQuotaDecisionsRequest) -> ApiResult<DecisionsQuery> {
    let (after, limit, region) = (
        parse_cursor(&req.cursor),
        page_size(req.page_size),
        region_filter(&req.region),
    )
        .or_invalid()?;
    Ok(DecisionsQuery {
        after,
        limit,
        region,
    })
}

/// Where the feed resumes, and its region filter.
pub(super) fn watch_cursor(
    req: &pb::WatchQuotaDecisionsRequest,
) -> ApiResult<(i64, Option<Region>)> {
    (parse_cursor(&req.cursor), region_filter(&req.region)).or_invalid()
}

pub(super) fn forward_command(req: &pb::ForwardQuotaApplicationsRequest) -> ApiResult<Forward> {
    let count = if req.applications.is_empty() || req.applications.len() > MAX_FORWARDED {
        Err(FieldError::new(
            "applications",
            "1 to 500 application names",
        ))
    } else {
        Ok(())
    };
    let (request_id, (), applications) = (
        parse_request_id(&req.request_id),
        count,
        application_names(&req.applications),
    )
        .or_invalid()?;
    Ok(Forward {
        key: Idempotency::new(request_id, req),
        applications,
    })
}

/// Every listed name, each checked: a bad one is reported at its index.
fn application_names(names: &[String]) -> Result<Vec<ApplicationId>, Vec<FieldError>> {
    let mut fields = Fields::new();
    let ids = names
        .iter()
        .enumerate()
        .filter_map(|(i, name)| {
            fields.check(parse_name::<ApplicationId>(
                &format!("applications[{i}]"),
                name,
            ))
        })
        .collect();
    fields.into_result(ids)
}

pub(super) fn notified_command(
    req: &pb::RecordApplicantNotifiedRequest,
) -> ApiResult<RecordNotified> {
    let (request_id, application, notified_on) = (
        parse_request_id(&req.request_id),
        parse_name::<ApplicationId>("application", &req.application),
        date_from_proto("notified_on", req.notified_on.as_ref()),
    )
        .or_invalid()?;
    Ok(RecordNotified {
        key: Idempotency::new(request_id, req),
        application,
        name: req.application.clone(),
        notified_on,
    })
}

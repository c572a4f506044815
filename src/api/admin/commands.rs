//! `AdminService` requests parsed into the commands of `service::admin`, every malformed field
//! collected in request order.

use crate::api::convert::date_from_proto;
use crate::api::{Fields, parse_region, parse_request_id};
use crate::domain::calendar::{DatedDayOff, OfficialYear, Transfer, TransferKind};
use crate::domain::money::Mci;
use crate::error::{AllValid, ApiResult, FieldError};
use crate::pb;
use crate::service::admin::{SetCalendarYear, SetMci, SetQuota};
use crate::service::mutation::Idempotency;
use chrono::NaiveDate;

/// Years a calendar can be loaded for: those the calendar precomputes and stores.
const CALENDAR_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;
/// A year has 366 days at most; more entries can only be a mistake or an attack.
const MAX_DAY_ENTRIES: usize = 366;

pub(super) fn calendar_year_field(year: i32) -> Result<i32, FieldError> {
    if CALENDAR_YEARS.contains(&year) {
        Ok(year)
    } else {
        Err(FieldError::new(
            "year",
            "required: a year from 2000 to 2100",
        ))
    }
}

pub(super) fn set_quota_command(req: &pb::SetQuotaRequest) -> ApiResult<SetQuota> {
    let year = crate::api::parse_quota_year(req.year);
    let places = if req.places < 0 {
        Err(FieldError::new("places", "must not be negative"))
    } else {
        Ok(req.places)
    };
    let (request_id, region, year, places) = (
        parse_request_id(&req.request_id),
        parse_region("region", &req.region),
        year,
        places,
    )
        .or_invalid()?;
    Ok(SetQuota {
        key: Idempotency::new(request_id, req),
        region,
        year,
        places,
    })
}

pub(super) fn set_mci_command(req: &pb::SetMciRequest) -> ApiResult<SetMci> {
    let year = if (1990..=2200).contains(&req.year) {
        Ok(req.year)
    } else {
        Err(FieldError::new(
            "year",
            "required: a year from 1990 to 2200",
        ))
    };
    let tenge = Mci::new(req.tenge).map_err(|e| FieldError::new("tenge", e.to_string()));
    let (request_id, year, tenge) =
        (parse_request_id(&req.request_id), year, tenge).or_invalid()?;
    Ok(SetMci {
        key: Idempotency::new(request_id, req),
        year,
        tenge,
    })
}

pub(super) fn set_calendar_year_command(
    req: &pb::SetCalendarYearRequest,
) -> ApiResult<SetCalendarYear> {
    let mut lengths = Fields::new();
    for (field, len) in [
        ("dated_days_off", req.dated_days_off.len()),
        ("transfers", req.transfers.len()),
    ] {
        if len > MAX_DAY_ENTRIES {
            lengths.push(FieldError::new(field, "at most 366 entries, one per day"));
        }
    }
    let (request_id, _, (), official) = (
        parse_request_id(&req.request_id),
        calendar_year_field(req.year),
        lengths.into_result(()),
        official_year(req),
    )
        .or_invalid()?;
    Ok(SetCalendarYear {
        key: Idempotency::new(request_id, req),
        official,
    })
}

/// The decree's year, once every date in it is readable and the year's own rules hold. The
/// rules are checked against the year as given, even one out of range.
fn official_year(req: &pb::SetCalendarYearRequest) -> Result<OfficialYear, Vec<FieldError>> {
    let mut fields = Fields::new();
    let mut dated_days_off = Vec::new();
    for (i, day) in req.dated_days_off.iter().enumerate() {
        let field = format!("dated_days_off[{i}].date");
        if let Some(date) = fields.check(required_date(field, day.date.as_ref())) {
            dated_days_off.push(DatedDayOff {
                name: day.name.trim().to_string(),
                date,
            });
        }
    }
    let mut transfers = Vec::new();
    for (i, t) in req.transfers.iter().enumerate() {
        let field = format!("transfers[{i}].date");
        if let Some(date) = fields.check(required_date(field, t.date.as_ref())) {
            transfers.push(Transfer {
                date,
                kind: if t.working {
                    TransferKind::Working
                } else {
                    TransferKind::Off
                },
                note: Some(t.note.trim().to_string()).filter(|n| !n.is_empty()),
            });
        }
    }
    let official = fields.into_result(OfficialYear {
        year: req.year,
        dated_days_off,
        transfers,
    })?;
    let mut rules = Fields::new();
    for (field, rule) in official.problems() {
        rules.push(FieldError::new(field, rule));
    }
    rules.into_result(official)
}

fn required_date(field: String, date: Option<&pb::Date>) -> Result<NaiveDate, FieldError> {
    date_from_proto(&field, date)?.ok_or_else(|| FieldError::new(field, "required"))
}

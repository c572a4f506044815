//! What a command prints on stdout: lines for a person by default, or with `--json` the
//! answer in the proto3 JSON mapping (field names in lowerCamelCase, enums by name, every
//! field present), as grpcurl prints it, so a script reads the same shape either way.

use crate::pb;
use anyhow::Context;
use chrono::{DateTime, Datelike, NaiveDate};
use prost_reflect::{DescriptorPool, DynamicMessage, SerializeOptions};
use std::sync::OnceLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

/// A generated message with the protobuf name its descriptor is found by.
pub trait Named: prost::Message {
    const FULL_NAME: &'static str;
}

macro_rules! named {
    ($($message:ty => $name:literal,)*) => {
        $(impl Named for $message {
            const FULL_NAME: &'static str = $name;
        })*
    };
}

named! {
    pb::Organisation => "kandas.v1.Organisation",
    pb::ListOrganisationsResponse => "kandas.v1.ListOrganisationsResponse",
    pb::Quota => "kandas.v1.Quota",
    pb::ListQuotasResponse => "kandas.v1.ListQuotasResponse",
    pb::Mci => "kandas.v1.Mci",
    pb::ListMciResponse => "kandas.v1.ListMciResponse",
    pb::CalendarYear => "kandas.v1.CalendarYear",
    pb::ListAuditEventsResponse => "kandas.v1.ListAuditEventsResponse",
    pb::VerifyAuditChainResponse => "kandas.v1.VerifyAuditChainResponse",
    pb::RecordSubscription => "kandas.v1.RecordSubscription",
    pb::ListRecordSubscriptionsResponse => "kandas.v1.ListRecordSubscriptionsResponse",
    pb::RunRetentionResponse => "kandas.v1.RunRetentionResponse",
    pb::RetentionStatus => "kandas.v1.RetentionStatus",
    tonic_health::pb::HealthCheckResponse => "grpc.health.v1.HealthCheckResponse",
}

/// The descriptors of everything the service serves, read once.
fn descriptors() -> anyhow::Result<&'static DescriptorPool> {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    if let Some(pool) = POOL.get() {
        return Ok(pool);
    }
    let pool = crate::server::descriptor_pool().context("reading the served descriptors")?;
    Ok(POOL.get_or_init(|| pool))
}

/// `message` in the proto3 JSON mapping, pretty-printed.
pub fn to_json<M: Named>(message: &M) -> anyhow::Result<String> {
    let descriptor = descriptors()?
        .get_message_by_name(M::FULL_NAME)
        .with_context(|| format!("no descriptor for {}", M::FULL_NAME))?;
    let dynamic = DynamicMessage::decode(descriptor, message.encode_to_vec().as_slice())
        .with_context(|| format!("re-reading a {}", M::FULL_NAME))?;
    // Defaults too: a script asking for `.taken` should get 0, not a missing key.
    let options = SerializeOptions::new().skip_default_fields(false);
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::pretty(&mut out);
    dynamic
        .serialize_with_options(&mut serializer, &options)
        .with_context(|| format!("writing a {} as JSON", M::FULL_NAME))?;
    String::from_utf8(out).context("JSON is UTF-8")
}

/// Prints `message` in `format`: as JSON, or as `human` renders it.
pub fn print<M: Named>(
    format: Format,
    message: &M,
    human: impl FnOnce(&M) -> String,
) -> anyhow::Result<()> {
    let text = match format {
        Format::Json => to_json(message)?,
        Format::Human => human(message),
    };
    println!("{}", text.trim_end());
    Ok(())
}

/// Columns padded to their widest cell, under a header.
pub struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&'static str]) -> Table {
        Table {
            header: header.to_vec(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let header: Vec<String> = self.header.iter().map(|h| h.to_string()).collect();
        let lines: Vec<&Vec<String>> = std::iter::once(&header).chain(&self.rows).collect();
        let mut widths = vec![0; self.header.len()];
        for line in &lines {
            for (width, cell) in widths.iter_mut().zip(line.iter()) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut text = String::new();
        for line in lines {
            let cells: Vec<String> = line
                .iter()
                .zip(&widths)
                .map(|(cell, &width)| format!("{cell:<width$}"))
                .collect();
            text.push_str(cells.join("  ").trim_end());
            text.push('\n');
        }
        text
    }
}

/// A protobuf date as ISO 8601 with its weekday, which is what a calendar is read by.
pub fn date(date: Option<&pb::Date>) -> String {
    let Some(d) = date else {
        return "-".to_string();
    };
    let parsed = u32::try_from(d.month)
        .ok()
        .zip(u32::try_from(d.day).ok())
        .and_then(|(month, day)| NaiveDate::from_ymd_opt(d.year, month, day));
    match parsed {
        Some(day) => format!("{} {}", day.format("%Y-%m-%d"), day.weekday()),
        None => format!("{:04}-{:02}-{:02}", d.year, d.month, d.day),
    }
}

/// A protobuf timestamp in UTC, to the second.
pub fn timestamp(at: Option<&prost_types::Timestamp>) -> String {
    at.and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)))
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| "-".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_follows_the_proto3_mapping_with_defaults() {
        let quota = pb::Quota {
            region: "KZ-55".into(),
            year: 2027,
            places: 10,
            taken: 0,
            remaining: 10,
        };
        let json: serde_json::Value = serde_json::from_str(&to_json(&quota).unwrap()).unwrap();
        assert_eq!(json["region"], "KZ-55");
        assert_eq!(json["taken"], 0);
        let health = tonic_health::pb::HealthCheckResponse { status: 1 };
        let json: serde_json::Value = serde_json::from_str(&to_json(&health).unwrap()).unwrap();
        assert_eq!(json["status"], "SERVING");
    }

    #[test]
    fn every_named_message_has_a_descriptor() {
        let pool = descriptors().unwrap();
        for name in [
            <pb::Organisation as Named>::FULL_NAME,
            <pb::ListOrganisationsResponse as Named>::FULL_NAME,
            <pb::Quota as Named>::FULL_NAME,
            <pb::ListQuotasResponse as Named>::FULL_NAME,
            <pb::Mci as Named>::FULL_NAME,
            <pb::ListMciResponse as Named>::FULL_NAME,
            <pb::CalendarYear as Named>::FULL_NAME,
            <pb::ListAuditEventsResponse as Named>::FULL_NAME,
            <pb::VerifyAuditChainResponse as Named>::FULL_NAME,
            <pb::RecordSubscription as Named>::FULL_NAME,
            <pb::ListRecordSubscriptionsResponse as Named>::FULL_NAME,
            <pb::RunRetentionResponse as Named>::FULL_NAME,
            <pb::RetentionStatus as Named>::FULL_NAME,
        ] {
            assert!(pool.get_message_by_name(name).is_some(), "{name}");
        }
    }

    #[test]
    fn tables_pad_every_column_but_the_last() {
        let mut table = Table::new(&["ID", "ROLE"]);
        table.row(vec!["dev-admin".into(), "admin".into()]);
        table.row(vec!["x".into(), "psc".into()]);
        assert_eq!(
            table.render(),
            "ID         ROLE\ndev-admin  admin\nx          psc\n"
        );
    }

    #[test]
    fn dates_carry_their_weekday() {
        let d = pb::Date {
            year: 2027,
            month: 1,
            day: 16,
        };
        assert_eq!(date(Some(&d)), "2027-01-16 Sat");
    }
}

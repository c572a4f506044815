//! `kandas admin health`: the service's grpc.health.v1 Check, for a person or a probe. The
//! service reports NOT_SERVING while its database does not take writes. With `--wait` it asks
//! again until SERVING, also while the service cannot be reached yet, e.g. right after a start.

use super::failure::Failure;
use super::output;
use super::session::Session;
use crate::config::Seconds;
use clap::Args;
use std::time::Duration;
use tokio::time::Instant;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse, health_client::HealthClient};

/// How long `--wait` waits unless told: a service starts (migrations, the first database
/// probe) in seconds; a minute is plenty without leaving a deploy script hanging.
const DEFAULT_WAIT: Duration = Duration::from_secs(60);
/// Between two checks while waiting: quick enough to be done soon after the service is.
const WAIT_STEP: Duration = Duration::from_millis(250);

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// One service's health, e.g. kandas.v1.PersonService [default: the whole server]
    #[arg(long, value_name = "NAME", default_value = "")]
    pub service: String,
    /// Check again until the service is SERVING, also while it cannot be reached yet
    /// (connection refused); exit 1 if --timeout passes first
    #[arg(long)]
    pub wait: bool,
    /// With --wait, how long to wait: seconds, or a number with its unit such as 500ms, 90s or
    /// 2m [default: 60s]
    #[arg(long, value_name = "DURATION", requires = "wait")]
    pub timeout: Option<Seconds>,
}

pub async fn run(args: HealthArgs, session: &Session) -> Result<(), Failure> {
    let answer = if args.wait {
        let timeout = args.timeout.map_or(DEFAULT_WAIT, |t| t.0);
        wait_until_serving(session, &args.service, timeout).await?
    } else {
        check(session, &args.service).await?
    };
    output::print(session.format, &answer, |answer| {
        format!("{}\n", status_name(answer))
    })
    .map_err(Failure::Local)?;
    if answer.status == ServingStatus::Serving as i32 {
        Ok(())
    } else {
        Err(Failure::Negative)
    }
}

async fn check(session: &Session, service: &str) -> Result<HealthCheckResponse, Failure> {
    Ok(HealthClient::new(session.channel().await?)
        .check(HealthCheckRequest {
            service: service.to_string(),
        })
        .await
        .map_err(Failure::refused)?
        .into_inner())
}

/// Checks until an answer is SERVING or `timeout` passes. An unreachable service, a refused
/// check and NOT_SERVING are all tried again; only a failure of the operator's own files
/// (nothing could be sent) ends the wait at once.
async fn wait_until_serving(
    session: &Session,
    service: &str,
    timeout: Duration,
) -> Result<HealthCheckResponse, Failure> {
    let deadline = Instant::now() + timeout;
    let mut last = String::from("no answer yet");
    loop {
        match tokio::time::timeout_at(deadline, check(session, service)).await {
            Ok(Ok(answer)) if answer.status == ServingStatus::Serving as i32 => return Ok(answer),
            Ok(Ok(answer)) => last = format!("the last answer was {}", status_name(&answer)),
            Ok(Err(Failure::Local(error))) => return Err(Failure::Local(error)),
            Ok(Err(Failure::Unreachable(error))) => last = format!("{error:#}"),
            Ok(Err(Failure::Refused { status, .. })) => {
                last = format!("the check was refused: {status}")
            }
            Ok(Err(Failure::Negative)) | Err(_) => {}
        }
        if Instant::now() + WAIT_STEP >= deadline {
            return Err(Failure::Unreachable(anyhow::anyhow!(
                "the service was not SERVING within {}: {last}",
                humantime::format_duration(timeout)
            )));
        }
        tokio::time::sleep(WAIT_STEP).await;
    }
}

fn status_name(answer: &HealthCheckResponse) -> &'static str {
    ServingStatus::try_from(answer.status).map_or("UNKNOWN", |s| s.as_str_name())
}

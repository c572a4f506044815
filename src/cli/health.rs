//! `kandas admin health`: the service's grpc.health.v1 Check, for a person or a probe. The
//! service reports NOT_SERVING while its database does not take writes.

use super::failure::Failure;
use super::output;
use super::session::Session;
use clap::Args;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse, health_client::HealthClient};

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// One service's health, e.g. kandas.v1.PersonService [default: the whole server]
    #[arg(long, value_name = "NAME", default_value = "")]
    pub service: String,
}

pub async fn run(args: HealthArgs, session: &Session) -> Result<(), Failure> {
    let answer = HealthClient::new(session.channel().await?)
        .check(HealthCheckRequest {
            service: args.service,
        })
        .await
        .map_err(Failure::refused)?
        .into_inner();
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

fn status_name(answer: &HealthCheckResponse) -> &'static str {
    ServingStatus::try_from(answer.status).map_or("UNKNOWN", |s| s.as_str_name())
}

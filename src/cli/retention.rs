//! `kandas admin retention`: the erasure of kandas status applications' documents a year after
//! they close (SPEC 5.7). Each replica runs it at start and hourly; an operator runs it now
//! and sees what is due, what was erased, and when and where it last ran.

use super::failure::Failure;
use super::output::{self, Table};
use super::session::Session;
use crate::pb::{self, admin_service_client::AdminServiceClient, job_run};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Run retention once now on the replica that takes the call, for the service's today.
    /// Never waits: while another replica runs it, says so and does nothing.
    Run,
    /// What is due for erasure today and when more will be, how many applications'
    /// documents were erased in all, and the last runs on each replica.
    Status,
}

pub async fn run(command: RetentionCommand, session: &Session) -> Result<(), Failure> {
    let mut client = AdminServiceClient::new(session.channel().await?);
    let printed = match command {
        RetentionCommand::Run => {
            let answer = client
                .run_retention(pb::RunRetentionRequest {})
                .await
                .map_err(Failure::refused)?
                .into_inner();
            output::print(session.format, &answer, render_run)
        }
        RetentionCommand::Status => {
            let status = client
                .get_retention_status(pb::GetRetentionStatusRequest {})
                .await
                .map_err(Failure::refused)?
                .into_inner();
            output::print(session.format, &status, render_status)
        }
    };
    printed.map_err(Failure::Local)
}

fn render_run(run: &pb::RunRetentionResponse) -> String {
    let today = output::date(run.today.as_ref());
    if run.lock_held {
        format!(
            "another replica is running retention: {} erased nothing more (today {today}); \
             that run erases what is due\n",
            run.replica
        )
    } else {
        format!(
            "erased the documents of {} {} on {} (today {today})\n",
            run.erased,
            if run.erased == 1 {
                "application"
            } else {
                "applications"
            },
            run.replica
        )
    }
}

fn render_status(status: &pb::RetentionStatus) -> String {
    let next = match &status.next_due_date {
        Some(date) => output::date(Some(date)),
        None => "none waiting".to_string(),
    };
    let mut text = format!(
        "today:          {}\ndue now:        {}\nnext due:       {next}\nerased in all:  {}\n",
        output::date(status.today.as_ref()),
        status.due,
        status.erased,
    );
    if status.runs.is_empty() {
        text.push_str("\nno run recorded yet\n");
        return text;
    }
    let mut table = Table::new(&[
        "REPLICA", "TRIGGER", "STARTED", "FINISHED", "ERASED", "OUTCOME",
    ]);
    for run in &status.runs {
        table.row(vec![
            run.replica.clone(),
            trigger(run),
            output::timestamp(run.start_time.as_ref()),
            output::timestamp(run.finish_time.as_ref()),
            run.count.to_string(),
            outcome(run),
        ]);
    }
    text.push('\n');
    text.push_str(&table.render());
    text
}

fn trigger(run: &pb::JobRun) -> String {
    match job_run::Trigger::try_from(run.trigger) {
        Ok(job_run::Trigger::Schedule) => "schedule".to_string(),
        Ok(job_run::Trigger::Operator) => format!(
            "operator {}",
            run.organisation.trim_start_matches("organisations/")
        ),
        _ => "unknown".to_string(),
    }
}

fn outcome(run: &pb::JobRun) -> String {
    match job_run::Outcome::try_from(run.outcome) {
        Ok(job_run::Outcome::Done) => "done".to_string(),
        Ok(job_run::Outcome::LockHeld) => "lock held elsewhere".to_string(),
        Ok(job_run::Outcome::Failed) => format!("failed ({})", run.error_class),
        _ => "unknown".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_says_what_it_erased_or_that_another_replica_holds_the_lock() {
        let today = Some(pb::Date {
            year: 2026,
            month: 5,
            day: 21,
        });
        let done = pb::RunRetentionResponse {
            erased: 1,
            lock_held: false,
            replica: "kandas-1/0.0.0.0:50051".into(),
            today,
        };
        assert_eq!(
            render_run(&done),
            "erased the documents of 1 application on kandas-1/0.0.0.0:50051 (today 2026-05-21 Thu)\n"
        );
        let busy = pb::RunRetentionResponse {
            erased: 0,
            lock_held: true,
            ..done
        };
        assert!(render_run(&busy).starts_with("another replica is running retention"));
    }

    #[test]
    fn the_status_lists_each_run_with_its_trigger_and_outcome() {
        let at = Some(prost_types::Timestamp {
            seconds: 1_779_000_000,
            nanos: 0,
        });
        let status = pb::RetentionStatus {
            today: Some(pb::Date {
                year: 2026,
                month: 5,
                day: 21,
            }),
            due: 2,
            next_due_date: None,
            erased: 7,
            runs: vec![
                pb::JobRun {
                    job: "retention".into(),
                    replica: "a/127.0.0.1:1".into(),
                    trigger: job_run::Trigger::Operator as i32,
                    organisation: "organisations/ops".into(),
                    start_time: at,
                    finish_time: at,
                    count: 3,
                    outcome: job_run::Outcome::Done as i32,
                    error_class: String::new(),
                },
                pb::JobRun {
                    job: "retention".into(),
                    replica: "b/127.0.0.1:2".into(),
                    trigger: job_run::Trigger::Schedule as i32,
                    organisation: String::new(),
                    start_time: at,
                    finish_time: at,
                    count: 0,
                    outcome: job_run::Outcome::Failed as i32,
                    error_class: "pool_timed_out".into(),
                },
            ],
        };
        let text = render_status(&status);
        assert!(text.contains("due now:        2\n"), "{text}");
        assert!(text.contains("next due:       none waiting\n"), "{text}");
        assert!(text.contains("operator ops"), "{text}");
        assert!(text.contains("failed (pool_timed_out)"), "{text}");
    }
}

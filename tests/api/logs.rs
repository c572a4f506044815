//! Personal data never reaches the logs: a full scenario at debug level, then the captured
//! output is searched for every IIN, name and document number used.

use crate::helpers::*;
use kandas::pb;
use std::io::Write;
use std::sync::{Arc, Mutex};
use tracing_subscriber::fmt::MakeWriter;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn no_iin_name_or_document_number_in_the_logs_of_a_full_scenario() {
    let captured = Captured::default();
    kandas::telemetry::init_with_writer(
        "debug",
        kandas::telemetry::LogFormat::Text,
        false,
        captured.clone(),
    );

    let app = spawn_app().await;
    let mut persons = app.persons("psc").await;
    let mut apps = app.applications("psc").await;

    let mut holder = person("Zhaksylykova");
    holder.given_name = "Gulnara".into();
    holder.iin = "760212350620".into();
    register(&mut persons, holder.clone()).await;
    // A duplicate: the database error names the IIN; it must not reach the log.
    let _ = persons
        .register_person(pb::RegisterPersonRequest {
            request_id: request_id(),
            person: Some(holder),
            ..Default::default()
        })
        .await;
    let _ = persons
        .validate_iin(pb::ValidateIinRequest {
            iin: "871008401427".into(),
            ..Default::default()
        })
        .await;
    let _ = persons
        .get_person(pb::GetPersonRequest {
            name: String::new(),
            iin: "760212350620".into(),
        })
        .await;

    let mut newcomer = person("Serikbayev");
    newcomer.given_name = "Nurzhan".into();
    let registered = register(&mut persons, newcomer).await;
    let mut doc = passport();
    doc.number = "G77001234".into();
    let submitted = apps
        .submit_application(iin_submission(&registered.name, vec![doc.clone()]))
        .await
        .unwrap()
        .into_inner();
    let decided = apps
        .decide_application(approve(&submitted.name, &submitted.etag))
        .await
        .unwrap()
        .into_inner();
    let Some(pb::decision::Result::IinAssignment(assigned)) = decided.decision.unwrap().result
    else {
        panic!("an IIN");
    };
    let _ = apps
        .submit_application(iin_submission(&registered.name, vec![doc]))
        .await;
    app.stop().await;

    let output = String::from_utf8_lossy(&captured.0.lock().unwrap()).to_string();
    assert!(
        output.contains("kandas"),
        "the scenario produced log output"
    );
    for secret in [
        "760212350620",
        "871008401427",
        assigned.iin.as_str(),
        "Zhaksylykova",
        "Gulnara",
        "Serikbayev",
        "Nurzhan",
        "G77001234",
        "E12345678",
    ] {
        assert!(!output.contains(secret), "`{secret}` appeared in the logs");
    }
}

/// Starts the `kandas` binary on a fresh database with the development PKI in a directory of
/// its own, its stderr into a file (not a terminal), and returns that output once the service
/// has reported its database healthy, which it logs at info.
async fn stderr_of_the_binary(format: Option<&str>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let stderr_path = dir.path().join("stderr.log");
    let mut command = serve_binary(dir.path()).await;
    if let Some(format) = format {
        command.env("KANDAS_LOG_FORMAT", format);
    }
    let mut child = command
        .env("KANDAS_LOG", "kandas=info")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .expect("start the kandas binary");
    let read = || std::fs::read_to_string(&stderr_path).unwrap_or_default();
    wait_until(
        std::time::Duration::from_secs(60),
        "the binary logging that it serves",
        || async { read().contains("SERVING") },
    )
    .await;
    let _ = child.start_kill();
    let _ = child.wait().await;
    read()
}

#[tokio::test]
async fn logs_written_to_a_file_carry_no_colour_codes() {
    let text = stderr_of_the_binary(None).await;
    assert!(!text.contains('\u{1b}'), "ANSI escape in {text:?}");
    assert!(text.contains(" INFO "), "{text}");
}

#[tokio::test]
async fn kandas_log_format_json_writes_one_json_object_a_line() {
    let text = stderr_of_the_binary(Some("json")).await;
    assert!(!text.contains('\u{1b}'), "ANSI escape in {text:?}");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let serving = lines
        .iter()
        .find(|line| {
            line["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("SERVING"))
        })
        .expect("the SERVING line");
    assert_eq!(serving["level"], "INFO");
    assert!(serving["target"].as_str().unwrap().starts_with("kandas"));
    assert!(serving["timestamp"].is_string());
}

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
    kandas::telemetry::init_with_writer("debug", captured.clone());

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

//! The book's page on the applicant's notifications (docs/src/integrating/portal-notifications.md)
//! replayed with the real grpcurl: its stream command, as printed, follows an applicant and
//! receives a step that commits while it watches. (Its list calls, in grpcurl and curl, are
//! replayed with the rest of the book in readme.rs.)

use crate::helpers::*;
use std::time::Duration;

const DOC: &str = include_str!("../../docs/src/integrating/portal-notifications.md");

/// The body of the first ```sh block whose text contains `marker`.
fn block(marker: &str) -> String {
    DOC.split("```sh\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap())
        .find(|body| body.contains(marker))
        .unwrap_or_else(|| panic!("no ```sh block with `{marker}` in the page"))
        .to_string()
}

#[tokio::test]
async fn the_documented_grpcurl_stream_receives_a_step_as_it_commits() {
    let app = spawn_app().await;
    let me = register(&mut app.persons("psc").await, person("Follower")).await;
    let submitted = submit_ok(&app, &me.name, iin_details(false), vec![passport()]).await;

    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join(".kandas/certs");
    std::fs::create_dir_all(&certs).unwrap();
    write_certificates(&app, &certs, &["portal"]);
    // From the beginning: the page's cursor is the one a first list returned, here none.
    let script = block("WatchNotifications")
        .replace("localhost:50051", &format!("localhost:{}", app.addr.port()))
        .replace("persons/<id from above>", &me.name)
        .replace("<next_cursor of the portal page>", "");
    let watching = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .output();
    let deciding = async {
        // The stream is open and has sent the catch-up by then; the decision comes live.
        tokio::time::sleep(Duration::from_secs(2)).await;
        app.applications("psc")
            .await
            .decide_application(approve(&submitted.name, &submitted.etag))
            .await
            .expect("approved");
    };
    let (output, ()) = tokio::join!(watching, deciding);
    let output = output.unwrap_or_else(|e| panic!("grpcurl cannot be run ({e})"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // `-max-time` ends the example: grpcurl reports the deadline, having printed the stream.
    assert!(
        stderr.contains("DeadlineExceeded"),
        "the stream stayed open until -max-time: {stderr}"
    );
    let printed: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&stdout)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("grpcurl printed JSON messages ({e}): {stdout}"));
    let kinds: Vec<&str> = printed
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["KIND_ACCEPTED", "KIND_APPROVED"], "{stdout}");
    for notification in &printed {
        assert_eq!(notification["person"], me.name.as_str());
        assert_eq!(notification["application"], submitted.name.as_str());
        assert_eq!(notification["languageCode"], "en");
        assert!(!notification["text"].as_str().unwrap().is_empty());
    }
}

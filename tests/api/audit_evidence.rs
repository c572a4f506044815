//! Evidence that survives its own database: signed chain heads, the export, and the offline
//! verifier. Each tampering is done as whoever controls the database (triggers bypassed, the
//! chain head moved, the chain even recomputed) and must be reported at its first bad
//! position, both by VerifyAuditChain and by `kandas audit verify` on an export.

use crate::helpers::*;
use kandas::audit::offline::{Report, verify_export};
use kandas::audit::{EventRow, ListFilter, chain_hash};
use std::process::Command;

/// `count` registrations, one audit event each.
async fn register_some(app: &TestApp, count: usize, tag: &str) {
    let mut persons = app.persons("psc").await;
    for i in 0..count {
        register(&mut persons, person(&numbered(tag, i))).await;
    }
}

/// Six events, sealed and signed twice over: a head at 3 and a head at 6 (the background
/// sealer may add heads in between; none contradicts these).
async fn signed_log() -> TestApp {
    let app = spawn_app().await;
    register_some(&app, 3, "Early").await;
    let first = app.verify_audit_chain().await;
    assert!(first.intact, "{:?}", first.problems);
    register_some(&app, 3, "Later").await;
    let second = app.verify_audit_chain().await;
    assert!(second.intact, "{:?}", second.problems);
    assert_eq!(second.verified_events, 6);
    assert_eq!(second.last_signed_sequence, 6);
    assert!(second.signed_heads >= 2, "{second:?}");
    app
}

/// The export of the app's log, made by the function `kandas audit export` calls.
async fn export(app: &TestApp) -> Vec<u8> {
    let mut out = Vec::new();
    kandas::audit::export::export(&app.pool, &mut out)
        .await
        .expect("export the audit log");
    out
}

fn offline(export: &[u8]) -> Report {
    verify_export(export, &[test_audit_signer().public_key()]).expect("a well-formed export")
}

/// Acts as someone with full control of the database, bypassing the triggers.
async fn tamper(app: &TestApp, statements: &[&str]) {
    let mut tx = app.pool.begin().await.unwrap();
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .unwrap();
    for sql in statements {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

/// Both verifiers name `first_bad`: the server over gRPC, and the offline one on an export.
async fn both_report(app: &TestApp, first_bad: i64, says: &str) {
    let online = app.verify_audit_chain().await;
    assert!(!online.intact);
    assert_eq!(
        online.first_bad_sequence, first_bad,
        "{:?}",
        online.problems
    );
    assert_eq!(online.problems[0].sequence, first_bad);
    assert!(
        online.problems[0].problem.contains(says),
        "{:?}",
        online.problems
    );
    let report = offline(&export(app).await);
    assert!(!report.intact());
    assert_eq!(report.first_bad(), Some(first_bad), "{:?}", report.problems);
    assert!(
        report.problems[0].problem.contains(says),
        "{:?}",
        report.problems
    );
}

#[tokio::test]
async fn an_untouched_log_exports_and_verifies_offline() {
    let app = signed_log().await;
    let text = export(&app).await;
    let report = offline(&text);
    assert!(report.intact(), "{:?}", report.problems);
    assert_eq!(
        (report.events, report.last_seq, report.last_signed),
        (6, 6, 6)
    );
    let lines = String::from_utf8(text).unwrap();
    assert!(
        lines
            .lines()
            .next()
            .unwrap()
            .contains("\"kandas-audit-log\"")
    );
    assert!(
        !lines.contains("Earlya"),
        "the log names persons by resource name only"
    );
}

#[tokio::test]
async fn heads_are_append_only_for_ordinary_writers() {
    let app = signed_log().await;
    for sql in [
        "UPDATE audit_signed_heads SET seq = 1",
        "DELETE FROM audit_signed_heads",
        "TRUNCATE audit_signed_heads",
    ] {
        let result = sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&app.pool)
            .await;
        assert!(result.is_err(), "{sql}");
    }
}

#[tokio::test]
async fn an_edited_event_is_reported_at_its_position() {
    let app = signed_log().await;
    tamper(
        &app,
        &["UPDATE audit_events SET outcome = 'PermissionDenied' WHERE seq = 3"],
    )
    .await;
    both_report(&app, 3, "altered").await;
}

#[tokio::test]
async fn an_event_deleted_in_the_middle_is_reported_at_its_position() {
    let app = signed_log().await;
    tamper(&app, &["DELETE FROM audit_events WHERE seq = 4"]).await;
    both_report(&app, 4, "missing").await;
}

#[tokio::test]
async fn two_swapped_events_are_reported_at_the_first_of_them() {
    let app = signed_log().await;
    tamper(
        &app,
        &[
            "UPDATE audit_events SET seq = -2 WHERE seq = 2",
            "UPDATE audit_events SET seq = 2 WHERE seq = 3",
            "UPDATE audit_events SET seq = 3 WHERE seq = -2",
        ],
    )
    .await;
    both_report(&app, 2, "").await;
}

#[tokio::test]
async fn a_cut_off_end_with_the_head_moved_back_is_caught_by_the_signed_head() {
    let app = signed_log().await;
    tamper(
        &app,
        &[
            "DELETE FROM audit_events WHERE seq > 3",
            "UPDATE audit_chain_head SET seq = 3, hash = (SELECT hash FROM audit_events WHERE seq = 3)",
        ],
    )
    .await;
    // The chain alone is consistent now; only the head signed at 6 shows the cut.
    both_report(&app, 4, "removed from the end").await;
}

/// The whole chain recomputed inside the database after an edit: every hash agrees, and only
/// the signatures, made with a key the database never held, tell.
#[tokio::test]
async fn a_chain_recomputed_after_an_edit_is_caught_at_the_first_signed_head_after_it() {
    let app = signed_log().await;
    let edited = 2_i64;
    let mut events: Vec<EventRow> = kandas::audit::list(&app.pool, &ListFilter::default(), 100)
        .await
        .unwrap();
    events.sort_by_key(|e| e.seq);
    let mut statements = Vec::new();
    let mut prev = events[edited as usize - 2].hash.clone().unwrap();
    for event in &mut events[edited as usize - 1..] {
        let seq = event.seq.unwrap();
        if seq == edited {
            event.outcome = "PermissionDenied".into();
        }
        let hash = chain_hash(&prev, seq, event);
        statements.push(format!(
            "UPDATE audit_events SET outcome = '{}', prev_hash = '\\x{}', hash = '\\x{}' WHERE seq = {seq}",
            event.outcome,
            hex::encode(&prev),
            hex::encode(&hash)
        ));
        prev = hash;
    }
    statements.push(format!(
        "UPDATE audit_chain_head SET hash = '\\x{}'",
        hex::encode(&prev)
    ));
    let statements: Vec<&str> = statements.iter().map(String::as_str).collect();
    tamper(&app, &statements).await;
    let first_head_after: i64 = sqlx::query_scalar!(
        r#"SELECT min(seq) AS "seq!" FROM audit_signed_heads WHERE seq >= $1"#,
        edited
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    // Offline, the export alone shows the rewrite at the first signed head after the edit.
    let report = offline(&export(&app).await);
    assert_eq!(
        report.first_bad(),
        Some(first_head_after),
        "{:?}",
        report.problems
    );
    assert!(report.problems[0].problem.contains("rewritten"));
    // The service also remembers the hashes it sealed, and names the edited event itself.
    let online = app.verify_audit_chain().await;
    assert!(!online.intact);
    assert_eq!(online.first_bad_sequence, edited, "{:?}", online.problems);
    assert!(
        online.problems[0].problem.contains("rewritten"),
        "{:?}",
        online.problems
    );
}

fn kandas_verify(file: &std::path::Path, key: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kandas"))
        .args(["audit", "verify"])
        .arg(file)
        .args(["--public-key", key])
        .env_remove("KANDAS_CONFIG")
        .output()
        .expect("run kandas audit verify")
}

#[tokio::test]
async fn kandas_audit_verify_exits_zero_only_for_an_intact_export() {
    let app = signed_log().await;
    let dir = tempfile::tempdir().unwrap();
    let key = test_audit_signer().public_key().to_hex();
    let key_file = dir.path().join("audit-signing.pub");
    std::fs::write(&key_file, format!("{key}\n")).unwrap();

    let intact = dir.path().join("intact.jsonl");
    let exported = Command::new(env!("CARGO_BIN_EXE_kandas"))
        .args(["audit", "export", "--out"])
        .arg(&intact)
        .args(["--database-url", &app.database_url])
        .env_remove("KANDAS_CONFIG")
        .output()
        .expect("run kandas audit export");
    assert!(exported.status.success(), "{exported:?}");
    let run = kandas_verify(&intact, key_file.to_str().unwrap());
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    assert!(String::from_utf8_lossy(&run.stdout).contains("intact"));

    let (other, _) = kandas::audit::HeadSigner::generate().unwrap();
    let run = kandas_verify(&intact, &other.public_key().to_hex());
    assert_eq!(run.status.code(), Some(1), "another key: {run:?}");

    tamper(
        &app,
        &["UPDATE audit_events SET outcome = 'PermissionDenied' WHERE seq = 5"],
    )
    .await;
    let edited = dir.path().join("edited.jsonl");
    std::fs::write(&edited, export(&app).await).unwrap();
    let run = kandas_verify(&edited, &key);
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    assert!(
        String::from_utf8_lossy(&run.stdout).contains("first bad position 5"),
        "{run:?}"
    );

    let garbage = dir.path().join("garbage.jsonl");
    std::fs::write(&garbage, "not an export\n").unwrap();
    assert_eq!(kandas_verify(&garbage, &key).status.code(), Some(2));
    assert_eq!(kandas_verify(&intact, "not-a-key").status.code(), Some(2));
}

#[tokio::test]
async fn a_clean_stop_seals_and_signs_the_last_events() {
    let app = spawn_app().await;
    register_some(&app, 2, "Stopping").await;
    let pool = app.pool.clone();
    app.stop().await;
    let stored = sqlx::query!(
        r#"SELECT seq, (SELECT max(seq) FROM audit_signed_heads) AS "signed?" FROM audit_chain_head"#
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let (head, signed) = (stored.seq, stored.signed);
    assert_eq!((head, signed), (2, Some(2)));
}

/// After a rotation, new heads carry the new key's id and old heads verify with the old
/// public key, given as a previous key; without it they are reported, not skipped.
#[tokio::test]
async fn after_a_key_rotation_old_heads_verify_with_the_previous_public_key() {
    let old = signed_log().await;
    let (database_url, ca) = (old.database_url.clone(), old.same_ca());
    old.stop().await;
    let new_key = std::sync::Arc::new(kandas::audit::HeadSigner::generate().unwrap().0);
    let rotated = spawn_on(database_url.clone(), ca, |settings| {
        settings.audit_signer = Some(new_key.clone());
        settings.audit_previous_keys = vec![test_audit_signer().public_key()];
    })
    .await;
    register_some(&rotated, 2, "Rotated").await;
    let result = rotated.verify_audit_chain().await;
    assert!(result.intact, "{:?}", result.problems);
    assert_eq!(result.last_signed_sequence, 8);
    let both = verify_export(
        export(&rotated).await.as_slice(),
        &[test_audit_signer().public_key(), new_key.public_key()],
    )
    .unwrap();
    assert!(both.intact(), "{:?}", both.problems);
    let same_ca = rotated.same_ca();
    rotated.stop().await;

    let forgetful = spawn_on(database_url, same_ca, |settings| {
        settings.audit_signer = Some(new_key.clone());
    })
    .await;
    let result = forgetful.verify_audit_chain().await;
    assert!(!result.intact);
    assert!(
        result.problems[0].problem.contains("no public key given"),
        "{:?}",
        result.problems
    );
}

/// Nobody asks for a verification: the sealer signs newly sealed events by itself, within
/// seconds (SIGN_AT_MOST_EVERY), well inside the minute SPEC §7 allows.
#[tokio::test]
async fn the_sealer_signs_new_events_by_itself_within_seconds() {
    let app = spawn_app().await;
    register_some(&app, 2, "Unasked").await;
    let deadline = std::time::Instant::now()
        + kandas::audit::SIGN_AT_MOST_EVERY
        + std::time::Duration::from_secs(10);
    loop {
        let signed: Option<i64> =
            sqlx::query_scalar!(r#"SELECT max(seq) AS "seq?" FROM audit_signed_heads"#)
                .fetch_one(&app.pool)
                .await
                .unwrap();
        if signed == Some(2) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no head signed by the sealer: {signed:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

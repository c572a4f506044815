//! Backup and point-in-time restore with PostgreSQL's own tools: a base backup, a WAL archive,
//! and a cluster restored from them to a chosen time, on which the service starts and the
//! audit log proves itself up to that time. Run alone with
//! `cargo test --test api point_in_time_restore`.

use crate::helpers::*;
use kandas::audit::offline::verify_export;
use kandas::local::pki::CertificateAuthority;
use kandas::local::postgres::{ClusterOptions, LocalCluster, PgBinaries};
use kandas::pb;
use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(60);

fn durable(settings: Vec<(String, String)>) -> ClusterOptions {
    ClusterOptions {
        port: None,
        ephemeral: false,
        max_connections: 60,
        settings,
        ..ClusterOptions::default()
    }
}

async fn register_batch(app: &TestApp, tag: &str, count: usize) -> Vec<String> {
    let mut persons = app.persons("psc").await;
    let mut names = Vec::new();
    for i in 0..count {
        names.push(
            register(&mut persons, person(&numbered(&format!("{tag}x"), i)))
                .await
                .name,
        );
    }
    names
}

/// Seals and signs everything written so far (VerifyAuditChain signs on demand).
async fn verify_chain(app: &TestApp) -> pb::VerifyAuditChainResponse {
    let verified = app.verify_audit_chain().await;
    assert!(verified.intact, "{:?}", verified.problems);
    verified
}

async fn person_names(app: &TestApp) -> HashSet<String> {
    let ids: Vec<uuid::Uuid> = sqlx::query_scalar!("SELECT id FROM persons")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    ids.iter().map(|id| format!("persons/{id}")).collect()
}

/// The signed heads as stored: position, hash and signing time.
async fn signed_heads(app: &TestApp) -> Vec<(i64, Vec<u8>, String)> {
    sqlx::query!(
        r#"SELECT seq, hash, signed_at::text AS "signed_at!" FROM audit_signed_heads ORDER BY id"#
    )
    .fetch_all(&app.pool)
    .await
    .unwrap()
    .into_iter()
    .map(|row| (row.seq, row.hash, row.signed_at))
    .collect()
}

/// Closes the current WAL segment and waits until the archive holds it, so a restore can
/// replay everything written before this call.
fn archive_everything(primary: &LocalCluster) {
    let segment = primary
        .psql("postgres", "SELECT pg_walfile_name(pg_switch_wal())")
        .unwrap();
    let segment = segment.trim().to_owned();
    let deadline = Instant::now() + WAIT;
    loop {
        let archived = primary
            .psql(
                "postgres",
                "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver",
            )
            .unwrap();
        if archived.trim() >= segment.as_str() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "WAL {segment} never reached the archive"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn point_in_time_restore_brings_back_the_log_as_it_was_and_nothing_after() {
    let root = tempfile::tempdir().unwrap();
    // The clusters run as the postgres user when tests run as root: let it in.
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let root = root.path().to_path_buf();
    let archive = root.join("archive");
    let (bins, primary) = {
        let (root, archive) = (root.clone(), archive.clone());
        tokio::task::spawn_blocking(move || {
            let bins = PgBinaries::locate().expect("the PostgreSQL server binaries");
            let data = root.join("primary");
            let archiving = LocalCluster::archive_settings(&archive, &data).unwrap();
            let primary = LocalCluster::start_with(&bins, &data, durable(archiving), &root)
                .expect("start the primary");
            (bins, primary)
        })
        .await
        .unwrap()
    };
    let app = spawn_on(
        cluster_database(&primary, "kandas"),
        CertificateAuthority::generate("restore CA").unwrap(),
        |_| {},
    )
    .await;

    let mut kept = register_batch(&app, "Backedup", 3).await;
    let backup = root.join("backup");
    tokio::task::block_in_place(|| primary.base_backup(&backup, &root)).expect("base backup");
    kept.extend(register_batch(&app, "Archived", 4).await);
    let at_target = verify_chain(&app).await;
    let heads_at_target = signed_heads(&app).await;
    // The chosen time: after every write above has committed, before any write below.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let target = primary
        .psql("postgres", "SELECT clock_timestamp()::text")
        .unwrap()
        .trim()
        .to_owned();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let lost = register_batch(&app, "Afterwards", 4).await;
    let at_end = verify_chain(&app).await;
    assert!(at_end.last_signed_sequence > at_target.last_signed_sequence);
    let heads_at_end = signed_heads(&app).await;
    tokio::task::block_in_place(|| archive_everything(&primary));
    drop(app);
    tokio::task::block_in_place(|| primary.stop()).unwrap();

    let restored = tokio::task::block_in_place(|| {
        LocalCluster::start_restored(
            &bins,
            &backup,
            &archive,
            &target,
            durable(Vec::new()),
            &root,
        )
    })
    .expect("restore to the chosen time");
    let app = spawn_on(
        cluster_database(&restored, "kandas"),
        CertificateAuthority::generate("restored CA").unwrap(),
        |_| {},
    )
    .await;

    // Everything committed before the chosen time is back; nothing after it.
    let persons = person_names(&app).await;
    assert_eq!(persons, kept.iter().cloned().collect::<HashSet<_>>());
    assert!(lost.iter().all(|name| !persons.contains(name)));
    // The heads signed before the chosen time are all back, the one signed at the end is not
    // (the restored service may since have signed heads of its own).
    let heads = signed_heads(&app).await;
    assert_eq!(heads[..heads_at_target.len()], heads_at_target[..]);
    assert!(!heads.contains(heads_at_end.last().unwrap()));

    // The chain and its signed heads verify, offline too; its end is where it was then.
    let verified = verify_chain(&app).await;
    assert!(verified.verified_events >= at_target.verified_events);
    assert_ne!(verified.head_hash, at_end.head_hash);
    let mut export = Vec::new();
    kandas::audit::export::export(&app.pool, &mut export)
        .await
        .expect("export the restored log");
    let report = verify_export(&export[..], &[test_audit_signer().public_key()]).unwrap();
    assert!(report.intact(), "{:?}", report.problems);
    let subjects: Vec<String> = sqlx::query_scalar!("SELECT subject FROM audit_events")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert!(
        kept.iter().all(|name| subjects.contains(name)),
        "an event written before the chosen time is missing"
    );
    assert!(
        lost.iter().all(|name| !subjects.contains(name)),
        "an event written after the chosen time was restored"
    );
    eprintln!(
        "point-in-time restore to {target}: {} persons and {} sealed events kept, {} persons \
         written later absent; {} signed heads of before the time kept, {} of after it absent",
        persons.len(),
        at_target.verified_events,
        lost.len(),
        heads_at_target.len(),
        heads_at_end.len() - heads_at_target.len(),
    );
    drop(app);
    tokio::task::block_in_place(|| drop(restored));
}

//! The database server's own log carries no personal data, even when a statement fails on it.

use crate::helpers::*;
use kandas::local::postgres::{ClusterOptions, LocalCluster};
use kandas::pb;

#[tokio::test]
async fn a_duplicate_iin_leaves_no_iin_in_the_postgresql_log() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = LocalCluster::start(
        &dir.path().join("pg"),
        ClusterOptions {
            port: None,
            ephemeral: true,
            max_connections: 30,
            ..ClusterOptions::default()
        },
    )
    .expect("start a dedicated PostgreSQL cluster");
    cluster.ensure_database("kandas").unwrap();
    let ca = kandas::local::pki::CertificateAuthority::generate("log CA").unwrap();
    let app = spawn_on(cluster_database(&cluster, "kandas"), ca, |_| {}).await;
    let mut persons = app.persons("psc").await;
    let iin = test_iin(4242);
    let mut holder = person("Holder");
    holder.iin = iin.clone();
    register(&mut persons, holder.clone()).await;
    let twice = persons
        .register_person(pb::RegisterPersonRequest {
            request_id: request_id(),
            person: Some(holder),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(twice.code(), tonic::Code::AlreadyExists);
    app.stop().await;

    let log = std::fs::read_to_string(cluster.log_path()).unwrap();
    assert!(
        log.contains("persons_iin_unique"),
        "the refusal is logged by the server: {log}"
    );
    assert!(!log.contains(&iin), "the IIN is in the server log:\n{log}");
    cluster.stop().unwrap();
}

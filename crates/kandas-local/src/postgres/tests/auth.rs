use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::process::Command;

use super::{bins, open_tempdir, options, psql_on};
use crate::postgres::data_dir::HBA;
use crate::postgres::roles::{OWNER, Passwords, SERVICE};
use crate::postgres::user::{euid, lookup_user_by_name};
use crate::postgres::{LocalCluster, SUPERUSER};

/// psql on the cluster's socket as `user` with no password at hand, run as the server's own
/// OS user (the `postgres` user when we are root): what the distribution's cluster, or anything
/// else sharing that account, could try.
fn psql_without_password(cluster: &LocalCluster, user: &str) -> std::process::Output {
    let mut cmd = Command::new(bins().psql());
    cmd.env_remove("PGPASSFILE")
        .env_remove("PGPASSWORD")
        .env("HOME", "/nonexistent")
        .args(["-X", "-A", "-t", "-w", "-h"])
        .arg(cluster.socket_dir())
        .args([
            "-p",
            &cluster.port().to_string(),
            "-U",
            user,
            "-d",
            "kandas",
        ])
        .args(["-c", "select 1"]);
    if euid() == 0 {
        let server_user = lookup_user_by_name("postgres").unwrap();
        cmd.uid(server_user.uid).gid(server_user.gid);
    }
    cmd.output().unwrap()
}

#[test]
fn no_role_logs_in_without_its_password_even_as_the_servers_os_user() {
    let tmp = open_tempdir();
    let cluster =
        LocalCluster::start_with(&bins(), &tmp.path().join("pg"), options(), tmp.path()).unwrap();
    for user in [SUPERUSER, OWNER, SERVICE] {
        let refused = psql_without_password(&cluster, user);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            !refused.status.success(),
            "{user} logged in without a password"
        );
        assert!(stderr.contains("password"), "{user}: {stderr}");
    }
    // The passwords are in a file only kandas's own user may read.
    let file = cluster.password_file();
    assert_eq!(file, tmp.path().join("pg.pgpass"));
    let meta = fs::metadata(file).unwrap();
    assert_eq!(meta.mode() & 0o777, 0o600);
    assert_eq!(meta.uid(), euid());
    let passwords = Passwords::read(file).unwrap();
    for role in [SUPERUSER, OWNER, SERVICE] {
        assert_eq!(passwords.get(role).map(str::len), Some(64), "{role}");
    }
    assert_eq!(fs::read_to_string(cluster.hba_file()).unwrap(), HBA);
    // With the file, each role logs in; only the superuser is one.
    assert_eq!(
        psql_on(
            &cluster,
            "select string_agg(rolname || '=' || rolsuper || rolcreaterole || rolcreatedb \
             || rolreplication, ',' order by rolname) from pg_roles \
             where rolname in ('kandas', 'kandas_owner', 'kandas_service')"
        )
        .unwrap(),
        "kandas=truetruetruetrue,kandas_owner=falsefalsefalsefalse,kandas_service=falsefalsefalsefalse"
    );
    assert_eq!(
        psql_on(
            &cluster,
            "select pg_get_userbyid(datdba) from pg_database where datname = 'kandas'"
        )
        .unwrap(),
        OWNER
    );
    cluster.stop().unwrap();
}

#[test]
fn a_cluster_made_by_an_older_kandas_gets_passwords_and_an_owner_at_its_next_start() {
    let tmp = open_tempdir();
    let data = tmp.path().join("pg");
    let cluster = LocalCluster::start_with(&bins(), &data, options(), tmp.path()).unwrap();
    // As an older kandas left it: the superuser migrated (and owns) the schema.
    cluster
        .psql("kandas", "ALTER DATABASE kandas OWNER TO kandas")
        .unwrap();
    cluster
        .psql(
            "kandas",
            "CREATE TABLE audit_like (id bigint GENERATED ALWAYS AS IDENTITY, v text); \
             CREATE SEQUENCE numbers; \
             CREATE FUNCTION guard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        )
        .unwrap();
    let hba = cluster.hba_file();
    cluster.stop().unwrap();
    fs::write(&hba, "local all all trust\nlocal replication all trust\n").unwrap();
    let old_password_file = tmp.path().join("pg.pgpass");
    fs::remove_file(&old_password_file).unwrap();

    let cluster = LocalCluster::start_with(&bins(), &data, options(), tmp.path()).unwrap();
    assert_eq!(fs::read_to_string(cluster.hba_file()).unwrap(), HBA);
    let refused = psql_without_password(&cluster, SUPERUSER);
    assert!(!refused.status.success());
    assert_eq!(
        psql_on(
            &cluster,
            "select string_agg(x, ',' order by x) from ( \
               select pg_get_userbyid(relowner) || ':' || relname as x from pg_class \
               where relnamespace = 'public'::regnamespace \
               union all select pg_get_userbyid(proowner) || ':' || proname from pg_proc \
               where pronamespace = 'public'::regnamespace \
               union all select pg_get_userbyid(datdba) || ':db' from pg_database \
               where datname = 'kandas') owned"
        )
        .unwrap(),
        "kandas_owner:audit_like,kandas_owner:audit_like_id_seq,kandas_owner:db,\
         kandas_owner:guard,kandas_owner:numbers"
    );
    cluster.stop().unwrap();
}

#[test]
fn a_password_file_others_can_read_is_refused() {
    let tmp = open_tempdir();
    let data = tmp.path().join("pg");
    let cluster = LocalCluster::start_with(&bins(), &data, options(), tmp.path()).unwrap();
    let file = cluster.password_file().to_path_buf();
    cluster.stop().unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
    let error = LocalCluster::start_with(&bins(), &data, options(), tmp.path()).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("lets others read it"), "{message}");
    assert!(message.contains("remove it"), "{message}");
}

#[test]
fn pgpass_lines_are_read_as_libpq_reads_them() {
    let passwords = Passwords::parse(
        "# comment\n*:*:*:kandas:abc\nlocalhost:5432:*:with\\:colon:p\\:w\\\\d\nshort:line\n",
    );
    assert_eq!(passwords.get("kandas"), Some("abc"));
    assert_eq!(passwords.get("with:colon"), Some("p:w\\d"));
    assert_eq!(passwords.get("short"), None);
}

#[test]
fn no_password_reaches_the_server_log_even_when_it_logs_every_statement() {
    let tmp = open_tempdir();
    let mut logging = options();
    logging
        .settings
        .push(("log_statement".into(), "all".into()));
    let cluster =
        LocalCluster::start_with(&bins(), &tmp.path().join("pg"), logging, tmp.path()).unwrap();
    let log = fs::read_to_string(cluster.log_path()).unwrap();
    assert!(
        log.contains("pg_is_in_recovery"),
        "statements are logged: {log}"
    );
    let passwords = Passwords::read(cluster.password_file()).unwrap();
    for role in [SUPERUSER, OWNER, SERVICE] {
        let password = passwords.get(role).unwrap();
        assert!(!log.contains(password), "{role}'s password is in the log");
    }
    cluster.stop().unwrap();
}

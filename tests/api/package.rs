//! The Debian package: cargo-deb builds it from `[package.metadata.deb]` around the binary
//! this test run already built, dpkg installs it into a throwaway root, and it runs from there.
//!
//! Building without a release build: cargo-deb names a built binary `target/release/kandas`
//! whatever the real target directory is, and with `--no-build` packages what it finds there.
//! The test lays out a target directory of its own in a tempdir, with this run's
//! `CARGO_BIN_EXE_kandas` at `release/kandas`, and names it in CARGO_TARGET_DIR, which
//! cargo-deb reads through `cargo metadata`. Every asset, script and field then comes from
//! Cargo.toml as `cargo deb` uses them, and nothing is written under the real target
//! directory. (`--profile dev --no-build` would find the test build in place, but cargo-deb
//! warns that it will refuse the dev profile.)
//!
//! Installing: the real dpkg, with `--root` on the tempdir (an empty package database there)
//! and `--log` there too, since the host's dpkg.cfg would log to its own /var/log/dpkg.log.
//! `--unpack` rather than `-i`: configuring runs the postinst, which makes a system user and
//! calls systemd; dpkg would run it chrooted into a root that has no shell, so it could only
//! fail, and it must never run against the host. Unpacking runs only a preinst, and the
//! package has none (checked first), so no maintainer script runs at all, while dpkg still
//! places and records every file and registers the conffile (as `kandas.toml.dpkg-new`, which
//! configuring would move into place). It works as root and, with `--force-not-root`, as a
//! normal user.

use kandas::config::{DatabaseSource, ServeArgs, TlsSource};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");
const CONFFILE: &str = "/etc/kandas/kandas.toml";
const UNIT: &str = "usr/lib/systemd/system/kandas.service";
const MIGRATIONS: &str = "usr/share/kandas/migrations";

/// The cargo running these tests, so `cargo deb` sees the same toolchain and project.
fn cargo() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(cargo);
    command.current_dir(MANIFEST_DIR);
    command
}

/// Runs `command` and returns its standard output, failing with everything it printed.
fn output_of(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn require_cargo_deb() {
    let found = cargo()
        .args(["deb", "--version"])
        .output()
        .is_ok_and(|output| output.status.success());
    assert!(
        found,
        "cargo-deb is not installed, and this test builds the Debian package with it: \
         install it with `cargo install cargo-deb --locked` (.ci/run does when it is missing)"
    );
}

/// `cargo deb` around this run's binary, without building anything; the .deb's path.
fn build_package(dir: &Path) -> PathBuf {
    let target = dir.join("target");
    std::fs::create_dir_all(target.join("release")).unwrap();
    std::fs::copy(
        env!("CARGO_BIN_EXE_kandas"),
        target.join("release").join("kandas"),
    )
    .unwrap();
    let deb = dir.join("kandas.deb");
    output_of(
        cargo()
            .env("CARGO_TARGET_DIR", &target)
            .args(["deb", "--no-build", "--locked", "--offline", "--fast"])
            .arg("--manifest-path")
            .arg(Path::new(MANIFEST_DIR).join("Cargo.toml"))
            .arg("--output")
            .arg(&deb),
    );
    deb
}

/// The control fields `dpkg-deb --field` prints, by name.
fn control_fields(deb: &Path) -> BTreeMap<String, String> {
    let text = output_of(Command::new("dpkg-deb").arg("--field").arg(deb));
    let mut fields = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        if let Some(continued) = line.strip_prefix(' ') {
            let last = last.as_ref().expect("a continuation after a field");
            let value: &mut String = fields.get_mut(last).unwrap();
            value.push('\n');
            value.push_str(continued);
        } else if let Some((name, value)) = line.split_once(": ") {
            fields.insert(name.to_owned(), value.to_owned());
            last = Some(name.to_owned());
        }
    }
    fields
}

/// Unpacks `deb` with dpkg into `root`, a package database of its own made there first.
fn unpack_into(root: &Path, deb: &Path) {
    let admin = root.join("var/lib/dpkg");
    for dir in ["info", "updates", "triggers"] {
        std::fs::create_dir_all(admin.join(dir)).unwrap();
    }
    std::fs::write(admin.join("status"), "").unwrap();
    std::fs::create_dir_all(root.join("var/log")).unwrap();
    output_of(
        Command::new("dpkg")
            .arg(format!("--root={}", root.display()))
            .arg(format!("--log={}", root.join("var/log/dpkg.log").display()))
            .args(["--force-not-root", "--unpack"])
            .arg(deb),
    );
}

/// `key=value` lines of a systemd unit, comments and section headers left out.
fn unit_settings(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut settings: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with(['#', ';', '[']) {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            settings
                .entry(key.trim().to_owned())
                .or_default()
                .push(value.trim().to_owned());
        }
    }
    settings
}

/// The value of a setting the unit must set exactly once.
fn set_once<'a>(settings: &'a BTreeMap<String, Vec<String>>, key: &str) -> &'a str {
    match settings.get(key).map(Vec::as_slice) {
        Some([value]) => value,
        other => panic!("{UNIT} sets {key} {other:?}, not once"),
    }
}

fn sql_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect()
}

#[test]
fn the_debian_package_installs_into_an_empty_root_and_its_binary_runs_from_there() {
    require_cargo_deb();
    let dir = tempfile::tempdir().unwrap();
    let deb = build_package(dir.path());

    let fields = control_fields(&deb);
    assert_eq!(fields["Package"], "kandas");
    assert_eq!(
        fields["Version"],
        format!("{}-1", env!("CARGO_PKG_VERSION"))
    );
    for needed in ["libc6", "adduser", "procps"] {
        assert!(fields["Depends"].contains(needed), "{fields:?}");
    }
    for recommended in ["postgresql", "fonts-dejavu-core"] {
        assert!(fields["Recommends"].contains(recommended), "{fields:?}");
    }

    let control = dir.path().join("control");
    output_of(
        Command::new("dpkg-deb")
            .arg("--control")
            .arg(&deb)
            .arg(&control),
    );
    assert!(
        !control.join("preinst").exists(),
        "a preinst would run on unpacking, so this test would no longer install without running a maintainer script"
    );
    assert_eq!(
        std::fs::read_to_string(control.join("conffiles")).unwrap(),
        format!("{CONFFILE}\n")
    );
    let postinst = std::fs::read_to_string(control.join("postinst")).unwrap();
    assert!(
        postinst.contains("getent passwd kandas") && postinst.contains("adduser --system"),
        "the postinst makes the kandas user when missing:\n{postinst}"
    );

    let root = dir.path().join("root");
    unpack_into(&root, &deb);
    let log = std::fs::read_to_string(root.join("var/log/dpkg.log")).unwrap();
    assert!(log.contains("status unpacked kandas"), "{log}");
    let recorded = output_of(
        Command::new("dpkg-query")
            .arg(format!("--root={}", root.display()))
            .args(["--show", "--showformat=${Status}\n${Conffiles}\n", "kandas"]),
    );
    assert!(recorded.starts_with("install ok unpacked\n"), "{recorded}");
    assert!(recorded.contains(&format!(" {CONFFILE} ")), "{recorded}");

    let binary = root.join("usr/bin/kandas");
    let mode = std::fs::metadata(&binary).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o755, "{mode:o}");
    let version = output_of(Command::new(&binary).arg("--version"));
    assert_eq!(
        version.trim(),
        format!("kandas {}", env!("CARGO_PKG_VERSION"))
    );
    let help = output_of(Command::new(&binary).args(["serve", "--help"]));
    for listed in [
        "KANDAS_LISTEN",
        "KANDAS_DATABASE_URL",
        "KANDAS_CONFIG",
        "--config",
    ] {
        assert!(
            help.contains(listed),
            "serve --help lacks {listed}:\n{help}"
        );
    }

    let unit = std::fs::read_to_string(root.join(UNIT)).unwrap();
    let settings = unit_settings(&unit);
    let one = |key: &str| set_once(&settings, key);
    assert_eq!(
        one("ExecStart"),
        format!("/usr/bin/kandas serve --config {CONFFILE}")
    );
    assert_eq!(one("User"), "kandas");
    assert_eq!(one("StateDirectory"), "kandas");
    assert_eq!(one("WorkingDirectory"), "/var/lib/kandas");
    assert_eq!(one("ProtectSystem"), "strict");
    assert_eq!(one("NoNewPrivileges"), "yes");
    assert_eq!(one("WantedBy"), "multi-user.target");

    // Configuring only renames the conffile into place; it is the repository's, and the real
    // loader keeps everything it makes in the unit's state directory.
    let conffile = root.join(format!("{}.dpkg-new", &CONFFILE[1..]));
    assert_eq!(
        std::fs::read(&conffile).unwrap(),
        std::fs::read(Path::new(MANIFEST_DIR).join("packaging/kandas.toml")).unwrap()
    );
    let config = ServeArgs {
        config: Some(conffile),
        ..ServeArgs::default()
    }
    .resolve()
    .expect("the packaged configuration loads");
    let state = Path::new(one("WorkingDirectory"));
    assert_eq!(config.tls, TlsSource::DevPki(state.join("certs")));
    if let DatabaseSource::Private(data) = &config.database {
        assert_eq!(data, &state.join("pg"));
    }

    let packaged = sql_files(&root.join(MIGRATIONS));
    let repository = sql_files(&Path::new(MANIFEST_DIR).join("migrations"));
    assert!(!repository.is_empty());
    assert_eq!(
        packaged.keys().collect::<Vec<_>>(),
        repository.keys().collect::<Vec<_>>()
    );
    assert!(packaged == repository, "a packaged migration differs");

    for (installed, source) in [
        (
            "usr/share/kandas/prometheus/kandas-alerts.yml",
            "packaging/prometheus/kandas-alerts.yml",
        ),
        (
            "usr/share/kandas/grafana/kandas.json",
            "packaging/grafana/kandas.json",
        ),
    ] {
        assert_eq!(
            std::fs::read(root.join(installed)).unwrap_or_else(|e| panic!("{installed}: {e}")),
            std::fs::read(Path::new(MANIFEST_DIR).join(source)).unwrap(),
            "{installed} is not the repository's {source}"
        );
    }
}

/// The unpacked binary on the unpacked conffile, as the unit runs it but on a free port,
/// without metrics, with its state in `state` and none of this process's `KANDAS_` settings.
fn packaged_serve(root: &Path, state: &Path) -> tokio::process::Command {
    let mut command = packaged_kandas(root);
    command
        .arg("serve")
        .arg("--config")
        .arg(root.join(format!("{}.dpkg-new", &CONFFILE[1..])))
        .env("KANDAS_STATE_DIR", state)
        .env("KANDAS_LISTEN", "127.0.0.1:0")
        .env("KANDAS_METRICS_LISTEN", "off")
        .kill_on_drop(true);
    command
}

/// The unpacked binary, with none of this process's `KANDAS_` settings, in `root`'s parent (a
/// directory the private cluster's postgres user can reach).
fn packaged_kandas(root: &Path) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(root.join("usr/bin/kandas"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("KANDAS_") || key == "DATABASE_URL" {
            command.env_remove(key);
        }
    }
    command
        .current_dir(root.parent().unwrap())
        .stdin(std::process::Stdio::null());
    command
}

/// How long a start may take on a loaded machine: a bound on waiting, never a measurement.
const START: std::time::Duration = std::time::Duration::from_secs(180);

/// A started `kandas serve`, its output in files.
struct Serving {
    child: tokio::process::Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Serving {
    fn start(mut command: tokio::process::Command, logs: &Path) -> Serving {
        std::fs::create_dir_all(logs).unwrap();
        let stdout = logs.join("stdout");
        let stderr = logs.join("stderr");
        let child = command
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("start the packaged kandas");
        Serving {
            child,
            stdout,
            stderr,
        }
    }

    /// The port of the banner's `serving … on 127.0.0.1:PORT`, once printed.
    async fn port(&mut self) -> u16 {
        let banner = || std::fs::read_to_string(&self.stdout).unwrap_or_default();
        let stderr = self.stderr.clone();
        let mut exited = None;
        crate::helpers::wait_until(START, "the packaged service's banner", || {
            exited = exited.or(self.child.try_wait().unwrap());
            let done = banner().contains("serving gRPC") || exited.is_some();
            async move { done }
        })
        .await;
        assert!(
            exited.is_none(),
            "the packaged service exited ({exited:?}): {}",
            std::fs::read_to_string(&stderr).unwrap_or_default()
        );
        let printed = banner();
        printed
            .lines()
            .find_map(|line| line.strip_prefix("kandas serving gRPC over mutual TLS on "))
            .and_then(|addr| addr.trim().rsplit(':').next()?.parse().ok())
            .unwrap_or_else(|| panic!("no address in {printed}"))
    }

    /// SIGTERM, and the clean stop that follows.
    async fn stop(mut self) {
        let pid = self.child.id().unwrap() as i32;
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        let status = tokio::time::timeout(START, self.child.wait())
            .await
            .expect("the packaged service stops")
            .unwrap();
        assert!(
            status.success(),
            "{status:?}: {}",
            std::fs::read_to_string(&self.stderr).unwrap_or_default()
        );
    }
}

/// `kandas admin health` from the package, over mutual TLS with `client` (`--ca`, `--cert`,
/// `--key` or `--state-dir` and what it finds there), until it answers SERVING.
async fn healthy(root: &Path, port: u16, client: &[&std::ffi::OsStr]) {
    let last = std::sync::Mutex::new(String::new());
    crate::helpers::wait_until(START, "health SERVING over mutual TLS", || {
        let mut command = packaged_kandas(root);
        command
            .args(["admin", "health", "--addr"])
            .arg(format!("https://localhost:{port}"))
            .args(client);
        let last = &last;
        async move {
            let output = command.output().await.unwrap();
            *last.lock().unwrap() = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            output.status.success()
        }
    })
    .await;
    let last = last.into_inner().unwrap();
    assert!(last.contains("SERVING"), "{last}");
}

/// Files a test PKI leaves for the operator: the server's pair, the client CA, and an
/// administrator's pair for `admin` (`urn:kandas:admin:<admin>`).
struct OperatorPki {
    cert: PathBuf,
    key: PathBuf,
    client_ca: PathBuf,
    admin_cert: PathBuf,
    admin_key: PathBuf,
}

fn operator_pki(dir: &Path, admin: &str) -> OperatorPki {
    use kandas::local::pki::{CertificateAuthority, Validity};
    std::fs::create_dir_all(dir).unwrap();
    let ca = CertificateAuthority::generate("operator CA").unwrap();
    let server = ca
        .issue_server(&["localhost"], &["127.0.0.1".parse().unwrap()])
        .unwrap();
    let operator = ca
        .issue_client(
            admin,
            Some(&format!("urn:kandas:admin:{admin}")),
            Validity::Days(1),
        )
        .unwrap();
    let pki = OperatorPki {
        cert: dir.join("server.pem"),
        key: dir.join("server.key"),
        client_ca: dir.join("client-ca.pem"),
        admin_cert: dir.join("admin.pem"),
        admin_key: dir.join("admin.key"),
    };
    for (path, text) in [
        (&pki.cert, &server.cert_pem),
        (&pki.key, &server.key_pem),
        (&pki.client_ca, &ca.cert_pem()),
        (&pki.admin_cert, &operator.cert_pem),
        (&pki.admin_key, &operator.key_pem),
    ] {
        std::fs::write(path, text).unwrap();
    }
    pki
}

fn entries(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(read) => read
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// The installed service as the unit starts it: refused on its own development PKI with one
/// line saying what to set, before it makes anything; serving on it when the operator allows
/// a trial; refused again beside the trial's organisations once the trial is over; and serving
/// on the operator's own certificates and database with a bootstrap administrator.
#[tokio::test]
async fn the_packaged_configuration_serves_only_on_a_pki_the_operator_gives_or_allows() {
    require_cargo_deb();
    let dir = tempfile::tempdir().unwrap();
    // Run as root, the private cluster's postgres user must reach the state directories.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let deb = build_package(dir.path());
    let root = dir.path().join("root");
    unpack_into(&root, &deb);
    let admin = "national-operator";
    let pki = operator_pki(&dir.path().join("operator-pki"), admin);
    let with_pki = |command: &mut tokio::process::Command| {
        command
            .env("KANDAS_TLS_CERT", &pki.cert)
            .env("KANDAS_TLS_KEY", &pki.key)
            .env("KANDAS_CLIENT_CA", &pki.client_ca)
            .env("KANDAS_BOOTSTRAP_ADMIN", admin);
    };

    // As installed: refused, saying everything at once, and nothing made.
    let state = dir.path().join("state");
    let refused = tokio::time::timeout(START, packaged_serve(&root, &state).output())
        .await
        .expect("the refusal comes at once")
        .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one message: {stderr}");
    for named in [
        "tls_cert",
        "tls_key",
        "client_ca",
        "bootstrap_admin",
        "allow_development_pki = true",
        "kandas.toml.dpkg-new",
    ] {
        assert!(stderr.contains(named), "{named} is not named: {stderr}");
    }
    assert!(
        entries(&state).is_empty(),
        "a refused start made {:?} in the state directory",
        entries(&state)
    );
    // The operating docs show this very line, for the installed paths.
    let docs =
        std::fs::read_to_string(Path::new(MANIFEST_DIR).join("docs/src/operating/package.md"))
            .unwrap();
    let shown = docs
        .lines()
        .find(|line| line.starts_with("kandas: refusing to serve"))
        .expect("docs/src/operating/package.md shows the refusal");
    let conffile = root.join(format!("{}.dpkg-new", &CONFFILE[1..]));
    assert_eq!(
        shown
            .replace(CONFFILE, &conffile.display().to_string())
            .replace("/var/lib/kandas", &state.display().to_string()),
        stderr.trim_end(),
        "docs/src/operating/package.md shows another refusal than the service's"
    );

    // A trial: the development PKI and the private cluster, as `cargo run` serves.
    let mut trial = packaged_serve(&root, &state);
    trial.env("KANDAS_ALLOW_DEVELOPMENT_PKI", "true");
    let mut serving = Serving::start(trial, &dir.path().join("trial"));
    let port = serving.port().await;
    healthy(&root, port, &["--state-dir".as_ref(), state.as_os_str()]).await;
    let logged = std::fs::read_to_string(&serving.stderr).unwrap();
    assert!(
        logged.contains("serving on the development PKI"),
        "no warning that it is the development PKI: {logged}"
    );
    serving.stop().await;
    assert!(state.join("certs/ca.key").is_file() || state.join("certs/ca.pem").is_file());

    // The trial over, the operator's PKI set but the trial's organisations still active.
    let mut after_trial = packaged_serve(&root, &state);
    with_pki(&mut after_trial);
    let refused = tokio::time::timeout(START, after_trial.output())
        .await
        .expect("the refusal comes once the database is read")
        .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    let message = stderr.lines().last().unwrap_or_default();
    for named in ["dev-admin", "dev-psc", "--state suspended"] {
        assert!(message.contains(named), "{named} is not named: {stderr}");
    }
    assert!(!message.contains("tls_cert"), "{message}");

    // Production: the operator's certificates, a database of its own, a bootstrap admin.
    let state = dir.path().join("production");
    let database = crate::helpers::database_of(&crate::helpers::empty_database().await);
    let mut production = packaged_serve(&root, &state);
    with_pki(&mut production);
    production
        .env("KANDAS_DATABASE_URL", &database.service)
        .env("KANDAS_MIGRATION_DATABASE_URL", &database.owner);
    let mut serving = Serving::start(production, &dir.path().join("production-logs"));
    let port = serving.port().await;
    healthy(
        &root,
        port,
        &[
            "--ca".as_ref(),
            pki.client_ca.as_os_str(),
            "--cert".as_ref(),
            pki.admin_cert.as_os_str(),
            "--key".as_ref(),
            pki.admin_key.as_os_str(),
        ],
    )
    .await;
    let logged = std::fs::read_to_string(&serving.stderr).unwrap();
    assert!(
        !logged.contains("development PKI"),
        "production logged the development PKI: {logged}"
    );
    serving.stop().await;
    assert!(
        !state.join("certs/ca.pem").exists() && !state.join("pg").exists(),
        "production made a development PKI or a private cluster: {:?}",
        entries(&state)
    );
}

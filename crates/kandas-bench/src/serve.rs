//! The service the bench starts for itself runs in a process of its own (this same binary,
//! `--serve-for-bench DIR`), so its CPU is read apart from the client's and a call's cost to
//! the server shows in `/proc`.

use anyhow::Context;
use kandas::domain::organisation::{Jurisdiction, Organisation};
use kandas::domain::regions::Region;
use kandas::domain::role::Role;
use kandas::server::startup::{Application, Settings, TlsMaterial};
use std::io::{Read, Write};
use std::path::Path;

/// A client identity of the bench: the name its certificate files carry (`<name>.pem`), its
/// role and organisation, and the regions of that organisation (none: national).
pub(crate) struct Identity {
    pub(crate) name: &'static str,
    pub(crate) role: &'static str,
    pub(crate) organisation: &'static str,
    pub(crate) regions: &'static [&'static str],
}

/// One national organisation per role, as the development PKI has them; a second Public
/// Service Center that floods in the fairness scenario; and a regional office (Almaty city)
/// whose lists are narrowed to its region.
pub(crate) const IDENTITIES: &[Identity] = &[
    national("psc", "bench-psc"),
    national("portal", "bench-portal"),
    national("police", "bench-police"),
    national("commission", "bench-commission"),
    national("employment_center", "bench-employment_center"),
    national("admin", "bench-admin"),
    national("registry", "bench-registry"),
    Identity {
        name: "psc-flood",
        role: "psc",
        organisation: "bench-psc-flood",
        regions: &[],
    },
    Identity {
        name: "psc-office",
        role: "psc",
        organisation: "bench-psc-kz75",
        regions: &["KZ-75"],
    },
];

const fn national(role: &'static str, organisation: &'static str) -> Identity {
    Identity {
        name: role,
        role,
        organisation,
        regions: &[],
    }
}

fn organisation(identity: &Identity) -> anyhow::Result<Organisation> {
    let role = Role::parse(identity.role).context("a kandas role")?;
    let mut organisation = Organisation::national(identity.organisation, role);
    if !identity.regions.is_empty() {
        let regions = identity
            .regions
            .iter()
            .map(|code| Region::parse(code).context("a region code"))
            .collect::<anyhow::Result<Vec<_>>>()?;
        organisation.jurisdiction = Jurisdiction::Regions(regions);
    }
    Ok(organisation)
}

/// Files the parent writes into the directory it passes.
pub(crate) const DATABASE_URL: &str = "database_url";
pub(crate) const MIGRATION_DATABASE_URL: &str = "migration_database_url";
pub(crate) const SERVER_CERT: &str = "server.pem";
pub(crate) const SERVER_KEY: &str = "server.key";
pub(crate) const CLIENT_CA: &str = "ca.pem";
/// What the child prints, followed by its address, once it is listening.
pub(crate) const LISTENING: &str = "listening ";

/// The child's side: the server with production defaults (pool of 16, system clock) on
/// 127.0.0.1:0, until its standard input closes, which it does when the bench stops or dies.
pub(crate) async fn serve(dir: &Path) -> anyhow::Result<()> {
    let read = |name: &str| {
        std::fs::read(dir.join(name))
            .with_context(|| format!("reading {name} in {}", dir.display()))
    };
    let url = String::from_utf8(read(DATABASE_URL)?)?;
    let tls = TlsMaterial {
        cert_chain_pem: read(SERVER_CERT)?,
        key_pem: read(SERVER_KEY)?,
        client_ca_pem: read(CLIENT_CA)?,
        client_crls: Vec::new(),
    };
    let mut settings = Settings::new("127.0.0.1:0".parse()?, url, tls);
    settings.migration_database_url = Some(String::from_utf8(read(MIGRATION_DATABASE_URL)?)?);
    for identity in IDENTITIES {
        settings.seed_organisations.push(organisation(identity)?);
    }
    let app = Application::build(settings).await?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{LISTENING}{}", app.local_addr())?;
    stdout.flush()?;
    let (closed, on_close) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        let _ = closed.send(());
    });
    app.run_until(async {
        let _ = on_close.await;
    })
    .await
}

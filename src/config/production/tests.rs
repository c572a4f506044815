use super::*;
use crate::config::ServeArgs;

/// The packaged configuration's choices: a state directory, the development PKI refused.
fn refusing(adjust: impl FnOnce(&mut ServeArgs)) -> Config {
    let mut args = ServeArgs {
        state_dir: Some("/var/lib/kandas".into()),
        allow_development_pki: Some(false),
        ..ServeArgs::default()
    };
    adjust(&mut args);
    if args.database_url.is_none() {
        // DATABASE_URL in the test's environment must not stand for the private cluster.
        let mut config = args.resolve().unwrap();
        config.database = DatabaseSource::Private("/var/lib/kandas/pg".into());
        return config;
    }
    args.resolve().unwrap()
}

fn with_tls(args: &mut ServeArgs) {
    args.tls_cert = Some("/etc/kandas/tls/server.pem".into());
    args.tls_key = Some("/etc/kandas/tls/server.key".into());
    args.client_ca = Some("/etc/kandas/tls/client-ca.pem".into());
}

/// `is_file` for a host holding exactly `files`.
fn host(files: &'static [&'static str]) -> impl Fn(&Path) -> bool {
    move |path| files.iter().any(|file| Path::new(file) == path)
}

const TLS_FILES: &[&str] = &[
    "/etc/kandas/tls/server.pem",
    "/etc/kandas/tls/server.key",
    "/etc/kandas/tls/client-ca.pem",
];

fn organisation(id: &str, role: Role, state: OrganisationState) -> Organisation {
    Organisation {
        state,
        ..Organisation::national(id, role)
    }
}

fn development_organisations() -> Vec<Organisation> {
    Role::ALL
        .into_iter()
        .map(|role| Organisation::national(&development_organisation_id(role), role))
        .collect()
}

#[test]
fn with_nothing_configured_the_development_pki_and_its_organisations_serve() {
    let config = ServeArgs::default().resolve().unwrap();
    assert_eq!(config.development_pki, DevelopmentPki::Allowed);
    assert!(
        config
            .development_pki
            .before_start(&config, host(&[]))
            .is_empty()
    );
    assert!(
        config
            .development_pki
            .registered(&development_organisations())
            .is_empty()
    );
    assert!(config.development_pki.refuse(&[]).is_ok());
}

#[test]
fn a_fresh_packaged_start_is_refused_with_one_message_naming_every_setting() {
    let mut config = refusing(|_| {});
    config.development_pki = DevelopmentPki::Refused {
        config_file: Some("/etc/kandas/kandas.toml".into()),
    };
    let unmet = config.development_pki.before_start(&config, host(&[]));
    assert_eq!(
        unmet,
        vec![
            Unmet::DevelopmentPki("/var/lib/kandas/certs".into()),
            Unmet::NoAdministrator { known: true },
        ]
    );
    let message = format!("{:#}", config.development_pki.refuse(&unmet).unwrap_err());
    assert!(!message.contains('\n'), "one line: {message}");
    for named in [
        "tls_cert",
        "tls_key",
        "client_ca",
        "bootstrap_admin",
        "allow_development_pki = true",
        "KANDAS_TLS_CERT",
        "KANDAS_BOOTSTRAP_ADMIN",
        "KANDAS_ALLOW_DEVELOPMENT_PKI=true",
        "in /etc/kandas/kandas.toml",
        "/var/lib/kandas/certs",
        "no admin organisation is registered",
    ] {
        assert!(message.contains(named), "{named} not in: {message}");
    }
}

#[test]
fn configured_files_must_exist_and_an_unknown_database_is_read_before_deciding_on_an_admin() {
    let config = refusing(with_tls);
    // A private cluster not made yet holds no organisation: without bootstrap_admin, nobody
    // could administer it, which is known before anything is made.
    assert_eq!(
        config
            .development_pki
            .before_start(&config, host(TLS_FILES)),
        vec![Unmet::NoAdministrator { known: true }]
    );
    let unmet = config.development_pki.before_start(&config, host(&[]));
    assert!(unmet.contains(&Unmet::NoAdministrator { known: true }));
    assert!(unmet.contains(&Unmet::MissingFile {
        key: "tls_key",
        path: "/etc/kandas/tls/server.key".into()
    }));
    let message = refusal(&unmet, None).unwrap();
    assert!(
        message.contains("tls_key names /etc/kandas/tls/server.key, which is not a file"),
        "{message}"
    );
    assert!(message.contains("in the configuration file"), "{message}");

    // A database already made may hold an admin organisation: read after migrating.
    let made = refusing(|args| {
        with_tls(args);
        args.database_url = Some("postgres://db.example/kandas".into());
    });
    assert!(
        made.development_pki
            .before_start(&made, host(TLS_FILES))
            .is_empty()
    );
    // Beside another unmet condition, it is said all the same, as a condition.
    assert_eq!(
        made.development_pki.before_start(
            &made,
            host(&[
                "/etc/kandas/tls/server.pem",
                "/etc/kandas/tls/client-ca.pem"
            ])
        ),
        vec![
            Unmet::MissingFile {
                key: "tls_key",
                path: "/etc/kandas/tls/server.key".into()
            },
            Unmet::NoAdministrator { known: false },
        ]
    );
    let existing_cluster = refusing(with_tls);
    assert!(
        existing_cluster
            .development_pki
            .before_start(
                &existing_cluster,
                host(&[
                    "/etc/kandas/tls/server.pem",
                    "/etc/kandas/tls/server.key",
                    "/etc/kandas/tls/client-ca.pem",
                    "/var/lib/kandas/pg/PG_VERSION",
                ])
            )
            .is_empty()
    );
    let bootstrapped = refusing(|args| {
        with_tls(args);
        args.bootstrap_admin = Some("operator-one".into());
    });
    assert!(
        bootstrapped
            .development_pki
            .before_start(&bootstrapped, host(TLS_FILES))
            .is_empty()
    );
}

#[test]
fn active_development_organisations_and_no_administrator_of_ones_own_are_refused() {
    let refused = DevelopmentPki::Refused { config_file: None };
    let unmet = refused.registered(&development_organisations());
    let mut ids: Vec<String> = Role::ALL
        .into_iter()
        .map(development_organisation_id)
        .collect();
    ids.sort();
    assert_eq!(
        unmet,
        vec![
            Unmet::DevelopmentOrganisations(ids),
            // dev-admin is no administrator of the operator's own.
            Unmet::NoAdministrator { known: true },
        ]
    );
    let message = refusal(&unmet, None).unwrap();
    for named in [
        "dev-admin, ",
        "dev-psc",
        "kandas admin organisations update <id> --state suspended",
        "bootstrap_admin",
        "allow_development_pki = true",
    ] {
        assert!(message.contains(named), "{named} not in: {message}");
    }

    let mut suspended: Vec<Organisation> = development_organisations()
        .into_iter()
        .map(|o| Organisation {
            state: OrganisationState::Suspended,
            ..o
        })
        .collect();
    suspended.push(Organisation::national("operator-one", Role::Admin));
    assert!(refused.registered(&suspended).is_empty());

    let one_left = vec![
        organisation("dev-psc", Role::Psc, OrganisationState::Active),
        organisation("operator-one", Role::Admin, OrganisationState::Active),
    ];
    assert_eq!(
        refused.registered(&one_left),
        vec![Unmet::DevelopmentOrganisations(vec!["dev-psc".into()])]
    );
    let suspended_admin = vec![organisation(
        "operator-one",
        Role::Admin,
        OrganisationState::Suspended,
    )];
    assert_eq!(
        refused.registered(&suspended_admin),
        vec![Unmet::NoAdministrator { known: true }]
    );
}

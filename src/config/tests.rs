use super::*;
use std::io::Write;

#[test]
fn nothing_configured_means_private_cluster_and_dev_pki() {
    let config = ServeArgs::default().resolve().unwrap();
    assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
    assert_eq!(
        config.tls,
        TlsSource::DevPki(PathBuf::from(".kandas/certs"))
    );
    assert_eq!(
        config.certificate_font,
        PathBuf::from(DEFAULT_CERTIFICATE_FONT)
    );
    assert_eq!(
        config.audit_signing_key,
        AuditKeySource::Dev(PathBuf::from(".kandas/certs"))
    );
    assert_eq!(config.development_pki, DevelopmentPki::Allowed);
    if std::env::var("DATABASE_URL").is_err() {
        assert_eq!(
            config.database,
            DatabaseSource::Private(PathBuf::from(".kandas/pg"))
        );
    }
}

#[test]
fn file_fills_what_flags_leave_unset_and_flags_win() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        file,
        "listen = \"0.0.0.0:6000\"\ndatabase_url = \"postgres://file/db\"\ndb_max_connections = 4\ncertificate_font = \"/srv/fonts/cert.ttf\""
    )
    .unwrap();
    let args = ServeArgs {
        config: Some(file.path().to_path_buf()),
        database_url: Some("postgres://flag/db".into()),
        ..ServeArgs::default()
    };
    let config = args.resolve().unwrap();
    assert_eq!(config.listen.to_string(), "0.0.0.0:6000");
    assert_eq!(
        config.database,
        DatabaseSource::Url("postgres://flag/db".into())
    );
    assert_eq!(config.db_max_connections, 4);
    assert_eq!(
        config.certificate_font,
        PathBuf::from("/srv/fonts/cert.ttf")
    );
}

#[test]
fn overload_and_metrics_settings_default_and_can_be_turned_off() {
    let config = ServeArgs::default().resolve().unwrap();
    assert_eq!(
        config.max_concurrent_requests,
        DEFAULT_MAX_CONCURRENT_REQUESTS
    );
    assert_eq!(config.db_acquire_timeout, Duration::from_secs(1));
    assert_eq!(
        config.metrics_listen.map(|a| a.to_string()).as_deref(),
        Some(DEFAULT_METRICS_LISTEN)
    );
    assert!(!config.metrics_listen_configured);
    let args = ServeArgs {
        metrics_listen: Some("off".into()),
        max_concurrent_requests: Some(8),
        db_acquire_timeout_ms: Some(250.into()),
        ..ServeArgs::default()
    };
    let config = args.resolve().unwrap();
    assert_eq!(config.metrics_listen, None);
    assert!(config.metrics_listen_configured);
    assert_eq!(config.max_concurrent_requests, 8);
    assert_eq!(config.db_acquire_timeout, Duration::from_millis(250));
    for bad in [
        ServeArgs {
            metrics_listen: Some("localhost".into()),
            ..ServeArgs::default()
        },
        ServeArgs {
            max_concurrent_requests: Some(0),
            ..ServeArgs::default()
        },
    ] {
        assert!(bad.resolve().is_err());
    }
}

#[test]
fn isolation_defaults_follow_the_places_and_zero_is_refused() {
    let config = ServeArgs::default().resolve().unwrap();
    assert_eq!(
        config.isolation,
        Isolation::defaults(DEFAULT_MAX_CONCURRENT_REQUESTS, DEFAULT_DB_MAX_CONNECTIONS)
    );
    assert_eq!(config.isolation.max_calls_per_organisation, 8);
    let pool_of_40 = ServeArgs {
        db_max_connections: Some(40),
        ..ServeArgs::default()
    };
    assert_eq!(
        pool_of_40
            .resolve()
            .unwrap()
            .isolation
            .max_calls_per_organisation,
        20,
        "half the pool"
    );
    let args = ServeArgs {
        max_concurrent_requests: Some(10),
        max_calls_per_organisation: Some(50),
        idle_timeout_s: Some(7.into()),
        ..ServeArgs::default()
    };
    let isolation = args.resolve().unwrap().isolation;
    assert_eq!(
        isolation.max_calls_per_organisation, 10,
        "never above the total"
    );
    assert_eq!(isolation.idle_timeout, Duration::from_secs(7));
    let no_wait = ServeArgs {
        share_wait_ms: Some(0.into()),
        ..ServeArgs::default()
    };
    assert_eq!(
        no_wait.resolve().unwrap().isolation.share_wait,
        Duration::ZERO
    );
    let args = ServeArgs {
        max_connections: Some(100),
        max_connection_age_s: Some(600.into()),
        ..ServeArgs::default()
    };
    let isolation = args.resolve().unwrap().isolation;
    assert_eq!(isolation.max_handshakes, 25, "a quarter of the connections");
    assert_eq!(isolation.max_handshakes_per_source, 64);
    assert_eq!(isolation.max_connection_age, Duration::from_secs(600));
    let too_many = ServeArgs {
        max_connections: Some(100),
        max_handshakes: Some(101),
        ..ServeArgs::default()
    };
    let error = too_many.resolve().unwrap_err().to_string();
    assert!(error.contains("KANDAS_MAX_HANDSHAKES"), "{error}");
    let zero = ServeArgs {
        max_connections_per_client: Some(0),
        ..ServeArgs::default()
    };
    let error = zero.resolve().unwrap_err().to_string();
    assert!(
        error.contains("KANDAS_MAX_CONNECTIONS_PER_CLIENT"),
        "{error}"
    );
}

#[test]
fn audit_keys_default_to_the_development_key_and_bad_previous_keys_are_refused() {
    let args = ServeArgs {
        state_dir: Some("/srv/kandas".into()),
        ..ServeArgs::default()
    };
    assert_eq!(
        args.resolve().unwrap().audit_signing_key,
        AuditKeySource::Dev(PathBuf::from("/srv/kandas/certs"))
    );
    let key = "ab".repeat(32);
    let args = ServeArgs {
        audit_signing_key: Some("/etc/kandas/audit.key".into()),
        audit_previous_public_keys: vec![key.clone()],
        ..ServeArgs::default()
    };
    let config = args.resolve().unwrap();
    assert_eq!(
        config.audit_signing_key,
        AuditKeySource::File("/etc/kandas/audit.key".into())
    );
    assert_eq!(config.audit_previous_keys[0].to_hex(), key);
    let bad = ServeArgs {
        audit_previous_public_keys: vec!["/nonexistent/old.pub".into()],
        ..ServeArgs::default()
    };
    let error = format!("{:#}", bad.resolve().unwrap_err());
    assert!(
        error.contains("KANDAS_AUDIT_PREVIOUS_PUBLIC_KEYS"),
        "{error}"
    );
}

#[test]
fn applicant_signature_cas_and_crls_come_from_the_file_unless_flags_name_them() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        file,
        "applicant_signature_ca = [\"/etc/kandas/nca/root.pem\", \"/etc/kandas/nca/rsa.pem\"]\napplicant_signature_crl = [\"/etc/kandas/nca/rsa.crl\"]"
    )
    .unwrap();
    let from_file = ServeArgs {
        config: Some(file.path().to_path_buf()),
        ..ServeArgs::default()
    }
    .resolve()
    .unwrap();
    assert_eq!(from_file.applicant_signature_ca.len(), 2);
    assert_eq!(
        from_file.applicant_signature_crl,
        vec![PathBuf::from("/etc/kandas/nca/rsa.crl")]
    );
    let flagged = ServeArgs {
        config: Some(file.path().to_path_buf()),
        applicant_signature_ca: vec!["/srv/nca.pem".into()],
        ..ServeArgs::default()
    }
    .resolve()
    .unwrap();
    assert_eq!(
        flagged.applicant_signature_ca,
        vec![PathBuf::from("/srv/nca.pem")]
    );
    assert!(
        ServeArgs::default()
            .resolve()
            .unwrap()
            .applicant_signature_ca
            .is_empty(),
        "none by default"
    );
}

#[test]
fn partial_tls_configuration_is_refused() {
    let args = ServeArgs {
        tls_cert: Some("server.pem".into()),
        ..ServeArgs::default()
    };
    let error = args.resolve().unwrap_err().to_string();
    assert!(error.contains("KANDAS_TLS_KEY"), "{error}");
}

/// The commented configuration the Debian package installs as /etc/kandas/kandas.toml,
/// read through the same loader `serve` uses.
mod packaged_file {
    use super::*;
    use serde::de::{self, Visitor};

    const PACKAGED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/packaging/kandas.toml");

    /// The keys the loader accepts, as serde's derive hands them to a deserializer: this
    /// one keeps them and deserializes nothing.
    pub(super) fn accepted_keys() -> Vec<&'static str> {
        #[derive(Default)]
        struct KeyRecorder(&'static [&'static str]);
        impl<'de> de::Deserializer<'de> for &mut KeyRecorder {
            type Error = de::value::Error;
            fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
                Err(de::Error::custom("only a struct's keys are recorded"))
            }
            fn deserialize_struct<V: Visitor<'de>>(
                self,
                _name: &'static str,
                fields: &'static [&'static str],
                _visitor: V,
            ) -> Result<V::Value, Self::Error> {
                self.0 = fields;
                Err(de::Error::custom("keys recorded"))
            }
            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
                byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
                enum identifier ignored_any
            }
        }
        let mut recorder = KeyRecorder::default();
        let _ = ServeArgs::deserialize(&mut recorder);
        assert!(!recorder.0.is_empty(), "ServeArgs named no keys");
        recorder.0.to_vec()
    }

    /// `key` if `line` sets it, as `key = …` or as the example `#key = …`.
    fn key_of(line: &str) -> Option<&str> {
        let (key, _) = line.strip_prefix('#').unwrap_or(line).split_once(" = ")?;
        key.bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_')
            .then_some(key)
    }

    fn resolve_text(text: &str) -> Config {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        let args = ServeArgs {
            config: Some(file.path().to_path_buf()),
            ..ServeArgs::default()
        };
        args.resolve()
            .unwrap_or_else(|e| panic!("the loader refused it: {e:#}\n{text}"))
    }

    #[test]
    fn as_shipped_it_loads_and_keeps_all_state_in_the_units_state_directory() {
        let args = ServeArgs {
            config: Some(PACKAGED.into()),
            ..ServeArgs::default()
        };
        let config = args.resolve().unwrap();
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(
            config.tls,
            TlsSource::DevPki(PathBuf::from("/var/lib/kandas/certs"))
        );
        assert_eq!(
            config.audit_signing_key,
            AuditKeySource::Dev(PathBuf::from("/var/lib/kandas/certs"))
        );
        if std::env::var("DATABASE_URL").is_err() {
            assert_eq!(
                config.database,
                DatabaseSource::Private(PathBuf::from("/var/lib/kandas/pg"))
            );
        }
        assert_eq!(
            config.certificate_font,
            PathBuf::from(DEFAULT_CERTIFICATE_FONT)
        );
        // Refused until the operator gives a PKI (crate::config::production), naming the file.
        assert_eq!(
            config.development_pki,
            DevelopmentPki::Refused {
                config_file: Some(PACKAGED.into())
            }
        );
    }

    #[test]
    fn it_documents_every_key_the_loader_accepts_with_its_default() {
        let text = std::fs::read_to_string(PACKAGED).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for key in accepted_keys() {
            let at = lines
                .iter()
                .position(|line| key_of(line) == Some(key))
                .unwrap_or_else(|| panic!("packaging/kandas.toml does not show `{key}`"));
            // The prose above the key (and above the keys set beside it, as the TLS
            // files are) says what it does and its default.
            let prose: Vec<&str> = lines[..at]
                .iter()
                .rev()
                .skip_while(|line| key_of(line).is_some())
                .take_while(|line| line.starts_with("# "))
                .copied()
                .collect();
            assert!(
                prose.len() >= 2 && prose.iter().any(|line| line.starts_with("# Default:")),
                "`{key}` needs a comment above it saying what it does and a `# Default:` line"
            );
        }
    }

    #[test]
    fn every_example_in_it_is_a_value_the_loader_accepts() {
        let text = std::fs::read_to_string(PACKAGED).unwrap();
        let uncommented: String = text
            .lines()
            .map(|line| match (line.strip_prefix('#'), key_of(line)) {
                (Some(setting), Some(_)) => format!("{setting}\n"),
                _ => format!("{line}\n"),
            })
            .collect();
        let shown = text.lines().filter(|line| key_of(line).is_some()).count();
        assert_eq!(shown, accepted_keys().len(), "each key shown once");
        let config = resolve_text(&uncommented);
        // The examples took effect, so none was skipped as prose.
        assert_eq!(config.listen.to_string(), "0.0.0.0:50051");
        assert!(matches!(config.database, DatabaseSource::Url(_)));
        assert!(matches!(config.tls, TlsSource::Files { .. }));
        assert_eq!(config.metrics_listen, None);
        assert_eq!(config.log_format, crate::telemetry::LogFormat::Json);
        assert_eq!(config.audit_previous_keys.len(), 1);
    }
}

/// Every setting as clap declares it (flag, variable, help with its default), held to the
/// TOML keys, to what `resolve` does, and to the operating docs and the packaged file: a
/// setting added without documenting it fails here.
mod declared_once {
    use super::*;
    use clap::FromArgMatches;

    const DOCS: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/src/operating/configuration.md"
    );
    const PACKAGED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/packaging/kandas.toml");

    struct Setting {
        flag: String,
        key: String,
        env: String,
        help: String,
    }

    impl Setting {
        /// The `[default: …]` of the help.
        fn default(&self) -> Option<&str> {
            let (_, rest) = self.help.rsplit_once("[default: ")?;
            rest.split_once(']').map(|(value, _)| value)
        }
    }

    fn command() -> clap::Command {
        ServeArgs::augment_args(clap::Command::new("serve"))
    }

    fn settings() -> Vec<Setting> {
        let settings: Vec<Setting> = command()
            .get_arguments()
            .filter(|arg| arg.get_id() != "config")
            .map(|arg| {
                let flag = arg
                    .get_long()
                    .expect("every setting has a flag")
                    .to_string();
                let help = arg.get_long_help().or(arg.get_help());
                Setting {
                    key: flag.replace('-', "_"),
                    env: arg
                        .get_env()
                        .unwrap_or_else(|| panic!("--{flag} has no KANDAS_* variable"))
                        .to_string_lossy()
                        .into_owned(),
                    help: help.map(ToString::to_string).unwrap_or_default(),
                    flag,
                }
            })
            .collect();
        assert!(settings.len() > 30, "the settings were not found");
        settings
    }

    /// `args` on the command line, resolved.
    fn resolve_flags(args: &[&str]) -> anyhow::Result<Config> {
        let matches =
            command().try_get_matches_from(std::iter::once("serve").chain(args.iter().copied()))?;
        ServeArgs::from_arg_matches(&matches)?.resolve()
    }

    /// The resolved settings, but for whether the metrics address was given (which its
    /// default, given explicitly, changes).
    fn comparable(config: Config) -> String {
        format!(
            "{:?}",
            Config {
                metrics_listen_configured: false,
                ..config
            }
        )
    }

    /// The settings whose help default is a value the flag takes (not prose such as "half of
    /// …"), with that value.
    fn value_defaults() -> Vec<(Setting, String)> {
        settings()
            .into_iter()
            .filter_map(|setting| {
                let value = setting.default()?.to_string();
                resolve_flags(&[&format!("--{}", setting.flag), &value])
                    .is_ok()
                    .then_some((setting, value))
            })
            .collect()
    }

    #[test]
    fn each_flag_is_a_toml_key_and_a_kandas_variable_of_the_same_name() {
        let keys = super::packaged_file::accepted_keys();
        let settings = settings();
        for setting in &settings {
            assert!(
                keys.contains(&setting.key.as_str()),
                "--{} is no TOML key",
                setting.flag
            );
            assert_eq!(
                setting.env,
                format!("KANDAS_{}", setting.key.to_uppercase())
            );
            assert!(
                setting.help.len() > 20
                    && (setting.default().is_some() || setting.help.contains("Unset")),
                "--{} needs a help that says what it does and its default ([default: …] or \
                 Unset: …): {}",
                setting.flag,
                setting.help
            );
        }
        assert_eq!(keys.len(), settings.len(), "each TOML key is a flag");
    }

    #[test]
    fn each_default_in_the_help_is_what_leaving_the_setting_out_gives() {
        let nothing = comparable(ServeArgs::default().resolve().unwrap());
        let checked = value_defaults();
        for (setting, value) in &checked {
            let given =
                comparable(resolve_flags(&[&format!("--{}", setting.flag), value]).unwrap());
            assert_eq!(
                given, nothing,
                "--{} {value} is not its default",
                setting.flag
            );
        }
        assert!(
            checked.len() >= 18,
            "only {} defaults were values",
            checked.len()
        );
        // A duration's default is in the unit its name gives.
        let unit = resolve_flags(&["--share-wait-ms", "500ms", "--idle-timeout-s", "5m"]).unwrap();
        assert_eq!(comparable(unit), nothing);
    }

    #[test]
    fn times_in_the_file_take_a_unit_and_an_unknown_key_stops_the_start() {
        let resolve = |text: &str| {
            let mut file = tempfile::NamedTempFile::new().unwrap();
            file.write_all(text.as_bytes()).unwrap();
            ServeArgs {
                config: Some(file.path().to_path_buf()),
                ..ServeArgs::default()
            }
            .resolve()
        };
        let config = resolve("db_acquire_timeout_ms = \"2s\"\nidle_timeout_s = 90\n").unwrap();
        assert_eq!(config.db_acquire_timeout, Duration::from_secs(2));
        assert_eq!(config.isolation.idle_timeout, Duration::from_secs(90));
        for (text, named) in [
            ("db_acquire_timeout = 5\n", "db_acquire_timeout"),
            ("share_wait_ms = \"soon\"\n", "share_wait_ms"),
            (
                "handshake_timeout_ms = \"0s\"\n",
                "KANDAS_HANDSHAKE_TIMEOUT_MS",
            ),
        ] {
            let error = format!("{:#}", resolve(text).unwrap_err());
            assert!(error.contains(named), "{text}: {error}");
        }
    }

    #[test]
    fn the_operating_docs_table_each_variable_with_its_default() {
        let docs = std::fs::read_to_string(DOCS).unwrap();
        let rows: Vec<Vec<&str>> = docs
            .lines()
            .filter(|line| line.starts_with("| `"))
            .map(|line| line.split(" | ").collect())
            .collect();
        let row = |env: &str| {
            rows.iter()
                .find(|row| row[0].contains(&format!("`{env}`")))
                .unwrap_or_else(|| panic!("{DOCS} has no row for {env}"))
        };
        for setting in settings() {
            row(&setting.env);
        }
        for (setting, value) in value_defaults() {
            let default = row(&setting.env)[1];
            assert!(
                default.contains(&format!("`{value}`")),
                "{DOCS}: {} defaults to `{value}`, not {default}",
                setting.env
            );
        }
    }

    #[test]
    fn the_packaged_file_gives_each_default_above_its_key() {
        let text = std::fs::read_to_string(PACKAGED).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (setting, value) in value_defaults() {
            let at = lines
                .iter()
                .position(|line| {
                    let line = line.strip_prefix('#').unwrap_or(line);
                    line.starts_with(&format!("{} = ", setting.key))
                })
                .unwrap_or_else(|| panic!("packaging/kandas.toml does not show {}", setting.key));
            let stated = lines[..at]
                .iter()
                .rev()
                .find(|line| line.starts_with("# Default:"))
                .unwrap();
            assert!(
                stated.contains(&value),
                "packaging/kandas.toml: {} defaults to {value}, not {stated}",
                setting.key
            );
        }
    }
}

//! The shipped monitoring: the alert rules (packaging/prometheus/kandas-alerts.yml) pass
//! Prometheus's own `promtool check rules` and their unit tests (`promtool test rules`), and
//! every metric the rules and the Grafana dashboard (packaging/grafana/kandas.json) name is one
//! a running server exports, checked against a scrape of a test server that has served calls,
//! has an overdue application, a registry subscribed and a client CRL in force. promtool is
//! required, never skipped: CI installs it (scripts/prerequisites.sh).

use crate::helpers::*;
use kandas::local::pki::CertificateAuthority;
use kandas::pb;
use kandas::state::Clock;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const RULES: &str = "packaging/prometheus/kandas-alerts.yml";
const RULE_TESTS: &str = "packaging/prometheus/kandas-alerts.test.yml";
const DASHBOARD: &str = "packaging/grafana/kandas.json";

/// Series Prometheus makes itself, not the service.
const PROMETHEUS_OWN: [&str; 2] = ["up", "ALERTS"];

/// Metrics the scrape's server cannot show, with the test that shows each where it is. The
/// exposition leaves out a labelled family until its first series, and these need an event
/// the scrape's server does not make: its private cluster restarting, a fault of its own, a
/// malformed frame, a CRL refused at a reload, an open connection closed for its certificate.
const EXPORTED_ELSEWHERE: [(&str, &str); 5] = [
    (
        "kandas_database_restarts_total",
        "tests/api/database_restart.rs",
    ),
    (
        "kandas_rpc_server_errors_total",
        "src/server/metrics/mod.rs",
    ),
    (
        "kandas_rpc_malformed_requests_total",
        "tests/api/malformed_frames.rs",
    ),
    (
        "kandas_client_crl_refused_total",
        "tests/api/crl_hygiene.rs",
    ),
    (
        "kandas_connections_closed_total",
        "tests/api/open_connections.rs",
    ),
];

fn repository(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Runs promtool with `args` in `dir`, `stdin` fed to it; whether it succeeded, and what it
/// printed.
fn promtool(dir: &Path, args: &[&str], stdin: Option<&str>) -> (bool, String) {
    let child = Command::new("promtool")
        .args(args)
        .current_dir(dir)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => panic!(
            "promtool is not installed, and the shipped alert rules are checked with it: \
             install Debian's prometheus package (`apt-get install --no-install-recommends \
             prometheus`, which ships /usr/bin/promtool), as scripts/prerequisites.sh does"
        ),
        Err(error) => panic!("running promtool: {error}"),
    };
    if let Some(text) = stdin {
        let mut input = child.stdin.take().unwrap();
        input.write_all(text.as_bytes()).unwrap();
    }
    let output = child.wait_with_output().unwrap();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), printed)
}

#[test]
fn the_alert_rules_pass_promtool_and_their_unit_tests() {
    let dir = repository("packaging/prometheus");
    let rules = std::fs::read_to_string(repository(RULES)).unwrap();
    let (ok, printed) = promtool(&dir, &["check", "rules", "kandas-alerts.yml"], None);
    assert!(ok, "promtool check rules {RULES}:\n{printed}");
    // The expressions this file's parser reads are every rule promtool found.
    let exprs = rule_exprs(&rules);
    assert!(
        printed.contains(&format!("SUCCESS: {} rules found", exprs.len())),
        "{} expressions read, promtool says:\n{printed}",
        exprs.len()
    );

    let (ok, printed) = promtool(&dir, &["test", "rules", "kandas-alerts.test.yml"], None);
    assert!(ok, "promtool test rules {RULE_TESTS}:\n{printed}");

    // Every alert has its unit test, with the labels and annotations it must carry.
    let tests = std::fs::read_to_string(repository(RULE_TESTS)).unwrap();
    for line in rules.lines() {
        if let Some(alert) = line.trim().strip_prefix("- alert: ") {
            assert!(
                tests.contains(&format!("alertname: {alert}\n")),
                "{alert} has no unit test in {RULE_TESTS}"
            );
            let tested = tests.contains(&format!(
                "alertname: {alert}\n      exp_alerts:\n      - exp_labels"
            ));
            assert!(tested, "no test of {RULE_TESTS} expects {alert} to fire");
        }
    }
    for needed in ["severity:", "summary:", "description:", "runbook:", "for:"] {
        assert_eq!(
            rules.matches(needed).count(),
            exprs.len(),
            "every rule has {needed}"
        );
    }
}

/// The `expr` of every rule: inline, or a folded block (`>-`) of more-indented lines.
fn rule_exprs(rules: &str) -> Vec<String> {
    let lines: Vec<&str> = rules.lines().collect();
    let mut exprs = Vec::new();
    let mut at = 0;
    while at < lines.len() {
        let line = lines[at];
        at += 1;
        let Some(value) = line.trim_start().strip_prefix("expr:") else {
            continue;
        };
        let value = value.trim();
        if value != ">-" && value != ">" {
            exprs.push(value.to_string());
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let mut block = Vec::new();
        while at < lines.len() {
            let next = lines[at];
            if !next.trim().is_empty() && next.len() - next.trim_start().len() <= indent {
                break;
            }
            block.push(next.trim());
            at += 1;
        }
        exprs.push(block.join(" ").trim().to_string());
    }
    exprs
}

/// The `expr` of every target of every panel of the dashboard, rows' panels included.
fn dashboard_exprs(dashboard: &serde_json::Value) -> Vec<String> {
    fn walk(panels: &serde_json::Value, exprs: &mut Vec<String>) {
        for panel in panels.as_array().into_iter().flatten() {
            for target in panel["targets"].as_array().into_iter().flatten() {
                let expr = target["expr"]
                    .as_str()
                    .unwrap_or_else(|| panic!("a target of panel {} has no expr", panel["title"]));
                exprs.push(expr.to_string());
            }
            walk(&panel["panels"], exprs);
        }
    }
    let mut exprs = Vec::new();
    walk(&dashboard["panels"], &mut exprs);
    exprs
}

/// PromQL's functions this parser knows; a call of any other fails the test, so a new function
/// is added here knowingly rather than taken for a metric.
const FUNCTIONS: [&str; 31] = [
    "abs",
    "absent",
    "avg",
    "avg_over_time",
    "ceil",
    "changes",
    "clamp_max",
    "clamp_min",
    "count",
    "count_over_time",
    "delta",
    "deriv",
    "floor",
    "histogram_quantile",
    "idelta",
    "increase",
    "irate",
    "label_replace",
    "max",
    "max_over_time",
    "min",
    "min_over_time",
    "predict_linear",
    "quantile",
    "rate",
    "resets",
    "round",
    "sum",
    "sum_over_time",
    "time",
    "topk",
];

/// Keywords that are not metrics: binary operators, and modifiers followed by a list of labels.
const OPERATORS: [&str; 5] = ["and", "or", "unless", "bool", "offset"];
const LABEL_LISTS: [&str; 6] = [
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

/// The metric names a PromQL expression selects. Quoted strings (label values, `$variables`),
/// label matchers `{...}` and ranges `[...]` are dropped; what is left is identifiers,
/// numbers, durations and operators. An identifier followed by `(` is a function (one of
/// [`FUNCTIONS`]); one after `by`, `without`, `on`, `ignoring`, `group_left` or `group_right`
/// is in a list of labels; the operator keywords are no metrics; every other identifier is.
fn metric_names(expr: &str) -> BTreeSet<String> {
    // Strings first: a quoted `}` or `]` must not end a matcher or range.
    let mut plain = String::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in expr.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if matches!(c, '"' | '\'' | '`') => quote = Some(c),
            None => plain.push(c),
        }
    }
    assert!(quote.is_none(), "an unclosed string in {expr}");
    let mut bare = String::new();
    let mut closing: Option<char> = None;
    for c in plain.chars() {
        match closing {
            Some(end) if c == end => closing = None,
            Some(_) => {}
            None if c == '{' => closing = Some('}'),
            None if c == '[' => closing = Some(']'),
            None => bare.push(c),
        }
    }
    assert!(closing.is_none(), "an unclosed matcher or range in {expr}");

    let chars: Vec<char> = bare.chars().collect();
    let mut names = BTreeSet::new();
    let mut at = 0;
    let mut labels_next = false;
    while at < chars.len() {
        let c = chars[at];
        if c.is_ascii_digit() || c == '.' {
            // A number or a duration (`5m`, `1d`), letters included.
            while at < chars.len() && (chars[at].is_ascii_alphanumeric() || chars[at] == '.') {
                at += 1;
            }
            continue;
        }
        if !(c.is_ascii_alphabetic() || c == '_' || c == ':') {
            if c == '(' && labels_next {
                // The list of labels after `by (`, `on (`, ...: skipped to its `)`.
                while at < chars.len() && chars[at] != ')' {
                    at += 1;
                }
                labels_next = false;
            }
            at += 1;
            continue;
        }
        let start = at;
        while at < chars.len()
            && (chars[at].is_ascii_alphanumeric() || chars[at] == '_' || chars[at] == ':')
        {
            at += 1;
        }
        let word: String = chars[start..at].iter().collect();
        let rest: String = chars[at..].iter().collect();
        let rest = rest.trim_start();
        // `sum(...)`, or an aggregation with its modifier first: `sum by (label) (...)`.
        let called = rest.starts_with('(')
            || ["by", "without"].iter().any(|modifier| {
                rest.strip_prefix(modifier)
                    .is_some_and(|after| after.trim_start().starts_with('('))
            });
        if LABEL_LISTS.contains(&word.as_str()) {
            labels_next = true;
        } else if OPERATORS.contains(&word.as_str()) {
        } else if called {
            assert!(
                FUNCTIONS.contains(&word.as_str()),
                "{word}( in {expr} is no PromQL function this test knows: add it to FUNCTIONS"
            );
        } else {
            names.insert(word);
        }
    }
    names
}

#[test]
fn the_promql_parser_finds_metrics_and_nothing_else() {
    let found = |expr: &str| metric_names(expr).into_iter().collect::<Vec<_>>();
    assert_eq!(
        found(
            r#"histogram_quantile(0.99, sum by (method, le) (rate(kandas_rpc_duration_seconds_bucket{instance=~"$instance", method="a}b[c"}[$__rate_interval])))"#
        ),
        ["kandas_rpc_duration_seconds_bucket"]
    );
    assert_eq!(
        found(
            "kandas_applications_overdue > (kandas_applications_overdue offset 1d or kandas_applications_overdue * 0)"
        ),
        ["kandas_applications_overdue"]
    );
    assert_eq!(
        found(
            "kandas_audit_chain_head > on (instance) group_left (job) kandas_audit_signed_head and time() - x_seconds > 600"
        ),
        [
            "kandas_audit_chain_head",
            "kandas_audit_signed_head",
            "x_seconds"
        ]
    );
    assert_eq!(
        found("sum without(code) (increase(a_total[5m:1m])) / ignoring(x) b_total"),
        ["a_total", "b_total"]
    );
    assert_eq!(found(r#"up{job="kandas"} == 0"#), ["up"]);
}

/// Every sample name the exposition declares (`# TYPE`) or shows: a counter family `f` is
/// sampled as `f_total`, a histogram's as `f_bucket`, `f_sum` and `f_count`, a gauge's as `f`.
fn exported_names(scrape: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in scrape.lines() {
        if let Some(declared) = line.strip_prefix("# TYPE ") {
            let (family, kind) = declared.split_once(' ').expect("# TYPE name kind");
            let suffixes: &[&str] = match kind {
                "counter" => &["_total"],
                "histogram" | "gaugehistogram" => &["_bucket", "_sum", "_count"],
                "summary" => &["", "_sum", "_count"],
                "info" => &["_info"],
                _ => &[""],
            };
            names.extend(suffixes.iter().map(|s| format!("{family}{s}")));
        } else if !line.starts_with('#') && !line.is_empty() {
            let end = line.find(['{', ' ']).unwrap_or(line.len());
            names.insert(line[..end].to_string());
        }
    }
    names
}

/// The value of the series `series` (name and labels as exposed) in `scrape`.
fn value_of(scrape: &str, series: &str) -> Option<f64> {
    scrape.lines().find_map(|line| {
        let rest = line.strip_prefix(series)?;
        rest.strip_prefix(' ')?.trim().parse().ok()
    })
}

/// The value of the first series of `family` whose labels contain `label`.
fn value_with(scrape: &str, family: &str, label: &str) -> Option<f64> {
    scrape.lines().find_map(|line| {
        let labels = line.strip_prefix(family)?.strip_prefix('{')?;
        let (labels, value) = labels.split_once("} ")?;
        labels.contains(label).then(|| value.trim().parse().ok())?
    })
}

/// The scrape of a server that has served calls of several organisations, with a registry
/// subscribed, a client CRL in force, signed audit heads, and an application a day past its
/// deadline: the day before, another replica of the same database took it in.
async fn scrape_of_a_served_server() -> String {
    let submitted_on = chrono::NaiveDate::from_ymd_opt(2025, 3, 7).unwrap();
    let the_day_after = chrono::NaiveDate::from_ymd_opt(2025, 3, 14).unwrap();
    let database = migrated_database().await;
    let ca = CertificateAuthority::generate("kandas test CA").unwrap();
    let crl = ca.revocation_list(&[], 1).unwrap();
    let earlier = spawn_on(database.clone(), ca, |s| {
        s.clock = Clock::pinned(submitted_on)
    })
    .await;
    let mut persons = earlier.persons("psc").await;
    let applicant = register(&mut persons, person(&numbered("Overdue", 1))).await;
    earlier
        .applications("psc")
        .await
        .submit_application(iin_submission(&applicant.name, vec![passport()]))
        .await
        .expect("submitted");
    let ca = earlier.same_ca();
    earlier.stop().await;

    let app = spawn_on(database, ca, |s| {
        s.clock = Clock::pinned(the_day_after);
        s.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
        s.tls.client_crls = vec![crl.into_bytes()];
    })
    .await;
    let mut persons = app.persons("psc").await;
    register(&mut persons, person(&numbered("Scraped", 2))).await;
    let mut admin = pb::admin_service_client::AdminServiceClient::new(app.channel("admin").await);
    admin
        .set_record_subscription(pb::SetRecordSubscriptionRequest {
            request_id: request_id(),
            organisation: "organisations/test-registry".into(),
            kinds: vec![pb::record_event::Kind::IinAssigned as i32],
        })
        .await
        .expect("subscribed");
    // Health's first probe and the sealer's first signature run beside the calls.
    wait_until(
        Duration::from_secs(30),
        "health probed, a head signed",
        || async {
            let scrape = metrics_text(&app).await;
            value_of(&scrape, "kandas_database_takes_writes") == Some(1.0)
                && value_of(&scrape, "kandas_audit_signed_head").is_some_and(|seq| seq > 0.0)
        },
    )
    .await;
    metrics_text(&app).await
}

#[tokio::test]
async fn every_metric_the_rules_and_the_dashboard_name_is_exported() {
    let scrape = scrape_of_a_served_server().await;
    let exported = exported_names(&scrape);

    // The new series are there with their labels, not only declared.
    let present = |series: &str| {
        assert!(
            scrape.lines().any(|line| line.starts_with(series)),
            "no {series} in\n{scrape}"
        )
    };
    present(r#"kandas_applications_overdue{region=""#);
    present(r#"kandas_organisation_calls_total{organisation="urn:kandas:psc:test-psc"}"#);
    present(
        r#"kandas_organisation_over_share_total{organisation="urn:kandas:admin:test-admin"} 0"#,
    );
    present(r#"kandas_rpc_shed_total{reason="server_overloaded"} 0"#);
    present(r#"kandas_record_feed_lag{organisation="#);
    present(r#"kandas_client_crl_next_update_timestamp_seconds{issuer="#);
    present(r#"kandas_quota_places{region="#);
    present("kandas_audit_chain_head ");
    present("kandas_audit_last_signed_head_timestamp_seconds ");
    let overdue = value_with(
        &scrape,
        "kandas_applications_overdue",
        r#"procedure="iin_assignment""#,
    );
    assert_eq!(
        overdue,
        Some(1.0),
        "the application a day past its deadline:\n{scrape}"
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    for family in [
        "kandas_server_certificate_not_after_timestamp_seconds",
        "kandas_client_ca_not_after_timestamp_seconds",
    ] {
        let not_after = value_with(&scrape, family, "subject=")
            .unwrap_or_else(|| panic!("no {family} in\n{scrape}"));
        assert!(not_after > now, "{family} {not_after} is not in the future");
    }

    let rules = std::fs::read_to_string(repository(RULES)).unwrap();
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repository(DASHBOARD)).unwrap()).unwrap();
    let rule_exprs = rule_exprs(&rules);
    let panel_exprs = dashboard_exprs(&dashboard);
    assert!(!rule_exprs.is_empty() && !panel_exprs.is_empty());
    let mut missing = Vec::new();
    for (source, expr) in rule_exprs
        .iter()
        .map(|e| (RULES, e))
        .chain(panel_exprs.iter().map(|e| (DASHBOARD, e)))
    {
        let names = metric_names(expr);
        assert!(!names.is_empty(), "{source}: no metric in {expr}");
        for name in names {
            let known = exported.contains(&name)
                || PROMETHEUS_OWN.contains(&name.as_str())
                || EXPORTED_ELSEWHERE.iter().any(|(n, _)| *n == name);
            if !known {
                missing.push(format!("{source}: {name} in {expr}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "metrics named but not exported:\n{}\n\nthe scrape:\n{scrape}",
        missing.join("\n")
    );
    for (name, test) in EXPORTED_ELSEWHERE {
        assert!(
            !exported.contains(name),
            "{name} is exported here now: take it off EXPORTED_ELSEWHERE"
        );
        let source = std::fs::read_to_string(repository(test)).unwrap();
        assert!(
            source.contains(&format!("\"{name}{{")) || source.contains(&format!("\"{name} ")),
            "{test} no longer looks for {name}"
        );
    }
}

/// The scrape in the Prometheus text format (0.0.4) that promtool's `check metrics` reads.
/// The service serves OpenMetrics, where a counter's `# HELP` and `# TYPE` name its family
/// (`kandas_rpc_requests`) and its samples add `_total`; the older format names the samples in
/// both, and has no `# EOF`. Only those lines change, so the names, types and help texts linted
/// are the service's own.
fn as_prometheus_text(openmetrics: &str) -> String {
    let counters: BTreeSet<&str> = openmetrics
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE ")?.strip_suffix(" counter"))
        .collect();
    let mut text = String::new();
    for line in openmetrics.lines() {
        if line == "# EOF" {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (family, tail) = rest.split_once(' ')?;
            counters
                .contains(family)
                .then(|| format!("{prefix}{family}_total {tail}"))
        });
        text.push_str(renamed.as_deref().unwrap_or(line));
        text.push('\n');
    }
    text
}

#[tokio::test]
async fn promtool_check_metrics_accepts_the_scrape() {
    let scrape = scrape_of_a_served_server().await;
    assert!(
        scrape.ends_with("# EOF\n"),
        "OpenMetrics, as the conversion expects"
    );
    let text = as_prometheus_text(&scrape);
    let (ok, printed) = promtool(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &["check", "metrics"],
        Some(&text),
    );
    assert!(
        ok,
        "promtool check metrics:\n{printed}\n\nthe scrape, as checked:\n{text}"
    );
}

#[test]
fn the_dashboard_takes_its_prometheus_as_an_input() {
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repository(DASHBOARD)).unwrap()).unwrap();
    assert_eq!(dashboard["__inputs"][0]["name"], "DS_PROMETHEUS");
    assert_eq!(dashboard["__inputs"][0]["pluginId"], "prometheus");
    assert!(dashboard["schemaVersion"].as_u64().unwrap() >= 39);
    let mut titles = BTreeSet::new();
    fn walk(panels: &serde_json::Value, titles: &mut BTreeSet<String>) {
        for panel in panels.as_array().into_iter().flatten() {
            titles.insert(panel["title"].as_str().unwrap().to_string());
            if panel["type"] != "row" {
                assert_eq!(
                    panel["datasource"]["uid"], "${DS_PROMETHEUS}",
                    "panel {}",
                    panel["title"]
                );
                for target in panel["targets"].as_array().into_iter().flatten() {
                    assert_eq!(target["datasource"]["uid"], "${DS_PROMETHEUS}");
                }
            }
            walk(&panel["panels"], titles);
        }
    }
    walk(&dashboard["panels"], &mut titles);
    let ids: Vec<_> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_u64().unwrap())
        .collect();
    let unique: BTreeSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "panel ids are unique");
    for needed in [
        "Calls by RPC",
        "Calls by organisation",
        "Errors by RPC and code",
        "Latency p99 by RPC",
        "Overdue applications by office",
        "Quota fill by region",
        "Record feed lag by registry",
        "Audit sealing and signing",
        "Calls shed",
        "Certificate and CRL expiry",
    ] {
        assert!(titles.contains(needed), "no panel {needed}: {titles:?}");
    }
}

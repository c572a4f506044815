//! `kandas admin`: the real binary run against a real server with the operator's certificate,
//! each change read back over gRPC, and refusals shown with their code, details and exit code.

use crate::helpers::*;
use kandas::pb;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tempfile::TempDir;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

type AdminClient = pb::admin_service_client::AdminServiceClient<tonic::transport::Channel>;
type QuotaClient = pb::quota_service_client::QuotaServiceClient<tonic::transport::Channel>;

/// The variables the command reads, so a developer's own settings cannot leak into a test.
const CLIENT_VARIABLES: &[&str] = &[
    "KANDAS_ADDR",
    "KANDAS_CA",
    "KANDAS_CERT",
    "KANDAS_KEY",
    "KANDAS_STATE_DIR",
    "KANDAS_SERVER_NAME",
];

/// A state directory laid out as `kandas certs` writes it (`certs/ca.pem`, `certs/<role>.pem`,
/// `certs/<role>.key`), with the test server's CA and certificates of its organisations.
pub(crate) struct Operator {
    pub(crate) state_dir: TempDir,
    pub(crate) addr: String,
}

/// What one run of the binary did.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    pub(crate) fn succeeded(&self) -> &Run {
        assert_eq!(self.code, Some(0), "{self:#?}");
        self
    }

    pub(crate) fn failed_with(&self, code: i32) -> &Run {
        assert_eq!(self.code, Some(code), "{self:#?}");
        self
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {self:#?}"))
    }

    pub(crate) fn stderr_json(&self) -> Value {
        serde_json::from_str(&self.stderr).unwrap_or_else(|e| panic!("{e}: {self:#?}"))
    }
}

impl Operator {
    pub(crate) fn new(app: &TestApp) -> Operator {
        let state_dir = tempfile::tempdir().unwrap();
        let certs = state_dir.path().join("certs");
        std::fs::create_dir(&certs).unwrap();
        std::fs::write(certs.join("ca.pem"), app.ca.cert_pem()).unwrap();
        for role in ["admin", "psc"] {
            let pair = app.identity(role);
            std::fs::write(certs.join(format!("{role}.pem")), pair.cert_pem).unwrap();
            std::fs::write(certs.join(format!("{role}.key")), pair.key_pem).unwrap();
        }
        Operator {
            state_dir,
            addr: format!("https://{}", app.addr),
        }
    }

    pub(crate) fn certs(&self) -> PathBuf {
        self.state_dir.path().join("certs")
    }

    /// `kandas admin --addr … --state-dir … ARGS`: the certificate files are found where the
    /// development PKI keeps them, the admin pair unless ARGS name others.
    pub(crate) async fn run(&self, args: &[&str]) -> Run {
        let mut command = self.command();
        command
            .arg("--addr")
            .arg(&self.addr)
            .arg("--state-dir")
            .arg(self.state_dir.path())
            .args(args);
        run(command).await
    }

    /// The same with the psc pair: a certificate the service knows, of another role.
    pub(crate) async fn run_as_psc(&self, args: &[&str]) -> Run {
        let certs = self.certs();
        let mut full = vec!["--cert", certs.join("psc.pem").to_str().unwrap()]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>();
        full.extend(["--key".into(), certs.join("psc.key").display().to_string()]);
        full.extend(args.iter().map(|a| a.to_string()));
        let full: Vec<&str> = full.iter().map(String::as_str).collect();
        self.run(&full).await
    }

    pub(crate) fn command(&self) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_kandas"));
        command.arg("admin");
        for variable in CLIENT_VARIABLES {
            command.env_remove(variable);
        }
        command
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.state_dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

pub(crate) async fn run(mut command: tokio::process::Command) -> Run {
    let output = command
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run the kandas binary");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}

#[tokio::test]
async fn organisations_are_registered_listed_and_suspended_from_the_command_line() {
    let app = spawn_app().await;
    let operator = Operator::new(&app);

    let registered = operator
        .run(&[
            "organisations",
            "register",
            "almaty-psc-07",
            "--role",
            "psc",
            "--display-name",
            "PSC Almaty No. 7",
            "--region",
            "KZ-75",
            "--region",
            "KZ-19",
        ])
        .await;
    registered.succeeded();
    assert!(
        registered
            .stdout
            .starts_with("organisations/almaty-psc-07\n"),
        "{registered:#?}"
    );
    assert!(
        registered.stdout.contains("KZ-75") && registered.stdout.contains("KZ-19"),
        "{registered:#?}"
    );
    assert!(registered.stdout.contains("ACTIVE"), "{registered:#?}");

    let listed = operator.run(&["organisations", "list"]).await;
    listed.succeeded();
    let row = listed
        .stdout
        .lines()
        .find(|line| line.starts_with("almaty-psc-07 "))
        .unwrap_or_else(|| panic!("no row for the new organisation: {listed:#?}"));
    assert!(
        row.contains("psc") && row.contains("PSC Almaty No. 7"),
        "{row}"
    );
    assert!(
        listed.stdout.starts_with("ID "),
        "a header first: {listed:#?}"
    );

    let json = operator.run(&["--json", "orgs", "list"]).await;
    json.succeeded();
    let json = json.json();
    let entry = json["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == "almaty-psc-07")
        .expect("the new organisation in the JSON list")
        .clone();
    assert_eq!(entry["state"], "STATE_ACTIVE");
    assert_eq!(entry["national"], false);
    assert_eq!(entry["displayName"], "PSC Almaty No. 7");

    let suspended = operator
        .run(&[
            "organisations",
            "update",
            "organisations/almaty-psc-07",
            "--state",
            "suspended",
            "--etag",
            entry["etag"].as_str().unwrap(),
        ])
        .await;
    suspended.succeeded();
    assert!(suspended.stdout.contains("SUSPENDED"), "{suspended:#?}");

    let mut admin = AdminClient::new(app.channel("admin").await);
    let stored = admin
        .list_organisations(pb::ListOrganisationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .organisations
        .into_iter()
        .find(|o| o.id == "almaty-psc-07")
        .expect("registered through the command line");
    assert_eq!(stored.state, pb::organisation::State::Suspended as i32);
    assert_eq!(stored.role, "psc");
    let mut regions = stored.regions.clone();
    regions.sort();
    assert_eq!(regions, ["KZ-19", "KZ-75"]);

    // The etag read before the suspension is stale now: the update is refused, not applied.
    let stale = operator
        .run(&[
            "organisations",
            "update",
            "almaty-psc-07",
            "--display-name",
            "Renamed",
            "--etag",
            entry["etag"].as_str().unwrap(),
        ])
        .await;
    stale.failed_with(1);
    assert!(stale.stderr.starts_with("kandas: ABORTED: "), "{stale:#?}");
}

#[tokio::test]
async fn a_portals_sms_confirmations_are_refused_and_accepted_again_from_the_command_line() {
    let app = spawn_app().await;
    let operator = Operator::new(&app);
    let registered = operator
        .run(&[
            "organisations",
            "register",
            "egov-portal",
            "--role",
            "portal",
            "--national",
            "--display-name",
            "eGov portal",
            "--sms-confirmation",
            "refused",
        ])
        .await;
    registered.succeeded();
    assert!(
        registered.stdout.contains("SMS confirms:  refused"),
        "{registered:#?}"
    );
    let stored = |organisations: Vec<pb::Organisation>| {
        organisations
            .into_iter()
            .find(|o| o.id == "egov-portal")
            .expect("registered through the command line")
            .accepts_sms_confirmation
    };
    let mut admin = AdminClient::new(app.channel("admin").await);
    let list = || pb::ListOrganisationsRequest::default();
    let before = admin.list_organisations(list()).await.unwrap().into_inner();
    assert_eq!(stored(before.organisations), Some(false));
    let updated = operator
        .run(&[
            "organisations",
            "update",
            "egov-portal",
            "--sms-confirmation",
            "accepted",
        ])
        .await;
    updated.succeeded();
    let after = admin.list_organisations(list()).await.unwrap().into_inner();
    assert_eq!(stored(after.organisations), Some(true));
}

#[tokio::test]
async fn quotas_are_set_and_read_back() {
    let app = spawn_app().await;
    let operator = Operator::new(&app);

    let set = operator
        .run(&[
            "quotas", "set", "--region", "KZ-55", "--year", "2027", "--places", "321",
        ])
        .await;
    set.succeeded();
    let row = set.stdout.lines().nth(1).unwrap_or_default().to_string();
    assert!(
        row.starts_with("KZ-55") && row.contains("Pavlodar") && row.contains("321"),
        "{set:#?}"
    );

    let stored = QuotaClient::new(app.channel("psc").await)
        .get_quota(pb::GetQuotaRequest {
            region: "KZ-55".into(),
            year: 2027,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((stored.places, stored.taken), (321, 0));

    let got = operator
        .run(&[
            "--json", "quotas", "get", "--region", "KZ-55", "--year", "2027",
        ])
        .await;
    got.succeeded();
    let got = got.json();
    assert_eq!(got["places"], 321);
    assert_eq!(got["taken"], 0, "defaults are printed too");
    assert_eq!(got["remaining"], 321);

    let listed = operator.run(&["quotas", "list", "--year", "2027"]).await;
    listed.succeeded();
    assert!(
        listed
            .stdout
            .lines()
            .any(|l| l.starts_with("KZ-55") && l.contains("321")),
        "{listed:#?}"
    );
    assert!(
        listed.stdout.lines().skip(1).all(|l| l.contains("2027")),
        "only 2027: {listed:#?}"
    );
}

#[tokio::test]
async fn mci_is_set_and_listed() {
    let app = spawn_app().await;
    let operator = Operator::new(&app);

    operator
        .run(&["mci", "set", "--year", "2031", "--tenge", "5012"])
        .await
        .succeeded();
    let values = AdminClient::new(app.channel("admin").await)
        .list_mci(pb::ListMciRequest {})
        .await
        .unwrap()
        .into_inner()
        .values;
    assert!(
        values.contains(&pb::Mci {
            year: 2031,
            tenge: 5012
        }),
        "{values:?}"
    );

    let listed = operator.run(&["mci", "list"]).await;
    listed.succeeded();
    assert!(
        listed
            .stdout
            .lines()
            .any(|l| l.split_whitespace().eq(["2031", "5012"])),
        "{listed:#?}"
    );
    assert!(
        listed.stdout.lines().any(|l| l.contains("4325")),
        "the shipped 2026 value: {listed:#?}"
    );
}

#[tokio::test]
async fn an_mci_over_a_hundred_thousand_tenge_is_refused_naming_the_field_and_not_set() {
    let app = spawn_app().await;
    let operator = Operator::new(&app);
    let refused = operator
        .run(&[
            "mci",
            "set",
            "--year",
            "2031",
            "--tenge",
            "9223372036854775807",
        ])
        .await;
    refused.failed_with(1);
    assert!(
        refused
            .stderr
            .contains("field tenge: must be a whole number of tenge from 1 to 100,000"),
        "{refused:#?}"
    );
    let values = AdminClient::new(app.channel("admin").await)
        .list_mci(pb::ListMciRequest {})
        .await
        .unwrap()
        .into_inner()
        .values;
    assert!(values.iter().all(|mci| mci.year != 2031), "{values:?}");
}

/// The 2027 decree in the file format `calendar load --help` documents.
const DECREE_2027: &str = r#"
year = 2027

[[dated_days_off]]
date = 2027-05-17
name = "Kurban Ait"

[[transfers]]
date = 2027-01-08
kind = "off"
note = "moved from Saturday 16 January"

[[transfers]]
date = "2027-01-16"
kind = "working"
"#;

#[tokio::test]
async fn a_calendar_year_is_loaded_from_a_toml_file_and_shown() {
    let app = spawn_app().await;
    let operator = Operator::new(&app);
    let mut admin = AdminClient::new(app.channel("admin").await);
    let before = admin
        .get_calendar_year(pb::GetCalendarYearRequest { year: 2027 })
        .await
        .unwrap()
        .into_inner();
    assert!(before.provisional);

    let file = operator.write("decree-2027.toml", DECREE_2027);
    let loaded = operator.run(&["calendar", "load", path(&file)]).await;
    loaded.succeeded();
    assert!(loaded.stdout.starts_with("2027: official\n"), "{loaded:#?}");
    for day in ["2027-01-08 Fri", "2027-01-16 Sat", "2027-05-17 Mon"] {
        assert!(loaded.stdout.contains(day), "{day} in {loaded:#?}");
    }

    let after = admin
        .get_calendar_year(pb::GetCalendarYearRequest { year: 2027 })
        .await
        .unwrap()
        .into_inner();
    assert!(!after.provisional);
    assert_eq!(after.working_weekends, [date(2027, 1, 16)]);
    assert!(after.days_off.contains(&date(2027, 1, 8)));
    assert!(after.days_off.contains(&date(2027, 5, 17)));

    let shown = operator
        .run(&["calendar", "show", "--year", "2027", "--json"])
        .await;
    shown.succeeded();
    let shown = shown.json();
    assert_eq!(shown["provisional"], false);
    assert_eq!(
        shown["workingWeekends"],
        serde_json::json!([{"year": 2027, "month": 1, "day": 16}])
    );

    let provisional = operator.run(&["calendar", "show", "--year", "2029"]).await;
    provisional.succeeded();
    assert!(
        provisional.stdout.starts_with("2029: provisional"),
        "{provisional:#?}"
    );
}

#[tokio::test]
async fn a_calendar_breaking_a_rule_is_refused_naming_the_field_and_a_malformed_file_is_never_sent()
{
    let app = spawn_app().await;
    let operator = Operator::new(&app);

    // Friday 14 January 2028 cannot become a working day: only a weekend day can.
    let file = operator.write(
        "decree-2028.toml",
        "year = 2028\n[[transfers]]\ndate = 2028-01-15\nkind = \"working\"\n\
         [[transfers]]\ndate = 2028-01-14\nkind = \"working\"\n",
    );
    let refused = operator.run(&["calendar", "load", path(&file)]).await;
    refused.failed_with(1);
    assert!(
        refused.stderr.starts_with("kandas: INVALID_ARGUMENT: "),
        "{refused:#?}"
    );
    assert!(
        refused.stderr.contains(
            "field transfers[1].date: only a Saturday or Sunday can become a working day"
        ),
        "{refused:#?}"
    );
    assert!(
        refused.stderr.contains("\n  request id "),
        "the request id, to find the call in the audit log: {refused:#?}"
    );
    let year = AdminClient::new(app.channel("admin").await)
        .get_calendar_year(pb::GetCalendarYearRequest { year: 2028 })
        .await
        .unwrap()
        .into_inner();
    assert!(year.provisional, "nothing was loaded");

    // A misspelt table is the file's problem: exit 2, named, and no server is asked (the
    // address below has nobody listening).
    let misspelt = operator.write(
        "holidays.toml",
        "year = 2028\n[[holiday]]\ndate = 2028-01-14\nname = \"x\"\n",
    );
    let mut command = operator.command();
    command
        .args(["--addr", "https://127.0.0.1:9", "--state-dir"])
        .arg(operator.state_dir.path())
        .args(["calendar", "load", path(&misspelt)]);
    let local = run(command).await;
    local.failed_with(2);
    assert!(
        local
            .stderr
            .contains("holidays.toml is not a calendar file"),
        "{local:#?}"
    );
    assert!(local.stderr.contains("holiday"), "{local:#?}");
}

#[tokio::test]
async fn a_certificate_of_another_role_is_refused_permission_denied() {
    let app = spawn_app().await;
    let operator = Operator::new(&app);

    let refused = operator
        .run_as_psc(&["mci", "set", "--year", "2030", "--tenge", "4999"])
        .await;
    refused.failed_with(1);
    assert!(
        refused.stderr.starts_with("kandas: PERMISSION_DENIED: "),
        "{refused:#?}"
    );
    assert!(
        refused
            .stderr
            .contains("reason: ROLE_NOT_PERMITTED (kandas.gov.kz)"),
        "{refused:#?}"
    );
    assert!(refused.stdout.is_empty(), "{refused:#?}");

    let json = operator
        .run_as_psc(&["--json", "organisations", "list"])
        .await;
    json.failed_with(1);
    let error = json.stderr_json();
    assert_eq!(error["error"]["code"], "PERMISSION_DENIED");
    assert_eq!(error["error"]["errorInfo"]["reason"], "ROLE_NOT_PERMITTED");

    let values = AdminClient::new(app.channel("admin").await)
        .list_mci(pb::ListMciRequest {})
        .await
        .unwrap()
        .into_inner()
        .values;
    assert!(values.iter().all(|mci| mci.year != 2030), "{values:?}");
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field_or_the_flag() {
    let app = spawn_app().await;
    let operator = Operator::new(&app);

    // The service judges the year: its field violation is printed as it sent it.
    let refused = operator
        .run(&["mci", "set", "--year", "1800", "--tenge", "4000"])
        .await;
    refused.failed_with(1);
    assert!(
        refused.stderr.starts_with("kandas: INVALID_ARGUMENT: "),
        "{refused:#?}"
    );
    assert!(
        refused
            .stderr
            .contains("field year: required: a year from 1990 to 2200"),
        "{refused:#?}"
    );

    let json = operator
        .run(&["--json", "mci", "set", "--year", "1800", "--tenge", "0"])
        .await;
    json.failed_with(1);
    let fields: Vec<Value> = json.stderr_json()["error"]["fieldViolations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["field"].clone())
        .collect();
    assert_eq!(fields, ["year", "tenge"]);

    // A region code is parsed here: the flag is named and nothing is sent.
    let local = operator
        .run(&[
            "quotas", "set", "--region", "KZ-99", "--year", "2027", "--places", "1",
        ])
        .await;
    local.failed_with(2);
    assert!(
        local.stderr.contains("--region") && local.stderr.contains("KZ-99"),
        "{local:#?}"
    );
}

async fn set_quota_places(operator: &Operator, places: &str, request_id: &str) -> Run {
    operator
        .run(&[
            "--json",
            "quotas",
            "set",
            "--region",
            "KZ-11",
            "--year",
            "2027",
            "--places",
            places,
            "--request-id",
            request_id,
        ])
        .await
}

#[tokio::test]
async fn a_repeated_request_id_acts_once_and_a_changed_request_under_it_is_refused() {
    let app = spawn_app().await;
    let operator = Operator::new(&app);
    let id = request_id();
    let first = set_quota_places(&operator, "50", &id).await;
    first.succeeded();
    let again = set_quota_places(&operator, "50", &id).await;
    again.succeeded();
    assert_eq!(first.json(), again.json());

    let changed = set_quota_places(&operator, "60", &id).await;
    changed.failed_with(1);
    let error = changed.stderr_json();
    assert_eq!(error["error"]["code"], "INVALID_ARGUMENT");
    assert_eq!(error["error"]["requestId"], id.as_str());

    let stored = QuotaClient::new(app.channel("admin").await)
        .get_quota(pb::GetQuotaRequest {
            region: "KZ-11".into(),
            year: 2027,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stored.places, 50);

    let malformed = operator.run(&["mci", "list", "--request-id", "x"]).await;
    malformed.failed_with(2);
}

#[tokio::test]
async fn audit_events_are_listed_and_the_chain_verified() {
    let app = spawn_app().await;
    let operator = Operator::new(&app);
    for (year, tenge) in [("2032", "6000"), ("2033", "6100")] {
        operator
            .run(&["mci", "set", "--year", year, "--tenge", tenge])
            .await
            .succeeded();
    }

    let events = operator
        .run(&["audit", "events", "--subject", "mci/2032"])
        .await;
    events.succeeded();
    let row = events
        .stdout
        .lines()
        .find(|l| l.contains("/kandas.v1.AdminService/SetMci"))
        .unwrap_or_else(|| panic!("the SetMci event: {events:#?}"));
    assert!(
        row.contains("urn:kandas:admin:test-admin") && row.contains("mci/2032"),
        "{row}"
    );
    assert!(row.trim_end().ends_with("OK"), "{row}");

    let limited = operator
        .run(&["--json", "audit", "events", "--limit", "1"])
        .await;
    limited.succeeded();
    let limited = limited.json();
    assert_eq!(limited["events"].as_array().unwrap().len(), 1);
    let token = limited["nextPageToken"].as_str().unwrap().to_string();
    assert!(!token.is_empty(), "two events at least: {limited}");
    let next = operator
        .run(&[
            "--json",
            "audit",
            "events",
            "--limit",
            "1",
            "--page-token",
            &token,
        ])
        .await;
    next.succeeded();
    assert_ne!(next.json()["events"][0], limited["events"][0]);

    let verified = operator.run(&["audit", "verify-chain"]).await;
    verified.succeeded();
    assert!(verified.stdout.starts_with("intact: "), "{verified:#?}");
    let verified = operator.run(&["audit", "verify-chain", "--json"]).await;
    verified.succeeded();
    let report = verified.json();
    assert_eq!(report["intact"], true);
    assert!(
        report["verifiedEvents"]
            .as_str()
            .unwrap()
            .parse::<i64>()
            .unwrap()
            > 0
    );
}

#[tokio::test]
async fn health_is_serving_and_a_server_that_is_gone_fails_the_check() {
    let app = spawn_app().await;
    let operator = Operator::new(&app);
    let channel = app.channel("admin").await;
    wait_until(std::time::Duration::from_secs(30), "SERVING", || {
        let channel = channel.clone();
        async move {
            HealthClient::new(channel)
                .check(HealthCheckRequest::default())
                .await
                .is_ok_and(|r| r.into_inner().status == ServingStatus::Serving as i32)
        }
    })
    .await;

    let healthy = operator.run(&["health"]).await;
    healthy.succeeded();
    assert_eq!(healthy.stdout, "SERVING\n");
    let one = operator
        .run(&["health", "--service", "kandas.v1.AdminService", "--json"])
        .await;
    one.succeeded();
    assert_eq!(one.json()["status"], "SERVING");

    // The variables work as the flags do.
    let mut command = operator.command();
    command
        .env("KANDAS_ADDR", &operator.addr)
        .env("KANDAS_STATE_DIR", operator.state_dir.path())
        .arg("health");
    run(command).await.succeeded();

    app.stop().await;
    let gone = operator.run(&["health"]).await;
    gone.failed_with(1);
    assert!(gone.stderr.contains("cannot connect to"), "{gone:#?}");
}

#[tokio::test]
async fn every_admin_command_explains_itself() {
    let commands: &[&[&str]] = &[
        &[],
        &["organisations"],
        &["organisations", "list"],
        &["organisations", "register"],
        &["organisations", "update"],
        &["quotas"],
        &["quotas", "set"],
        &["quotas", "get"],
        &["quotas", "list"],
        &["mci"],
        &["mci", "set"],
        &["mci", "list"],
        &["calendar"],
        &["calendar", "load"],
        &["calendar", "show"],
        &["audit"],
        &["audit", "events"],
        &["audit", "verify-chain"],
        &["subscriptions"],
        &["subscriptions", "list"],
        &["subscriptions", "set"],
        &["retention"],
        &["retention", "run"],
        &["retention", "status"],
        &["health"],
    ];
    for path in commands {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_kandas"));
        command.arg("admin").args(*path).arg("--help");
        let help = run(command).await;
        help.succeeded();
        let usage = format!("Usage: kandas admin {}", path.join(" "));
        assert!(
            help.stdout.contains(usage.trim_end()),
            "{path:?}: {help:#?}"
        );
        assert!(help.stdout.contains("--addr"), "{path:?}: {help:#?}");
    }
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_kandas"));
    command.args(["admin", "calendar", "load", "--help"]);
    let help = run(command).await;
    assert!(help.stdout.contains("[[transfers]]"), "{help:#?}");
    assert!(help.stdout.contains("kind = \"working\""), "{help:#?}");
}

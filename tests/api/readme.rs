//! The grpcurl and curl examples of README.md and of the book in docs/ (every page, in the order
//! docs/src/SUMMARY.md lists them), replayed call by call against a real server, so what
//! a newcomer pastes first cannot drift from the contract.
//!
//! A grpcurl body goes through the proto3 JSON mapping with the service's own descriptors, as
//! grpcurl does with reflection, and is sent as bytes on the method's path. A curl command is
//! run by the real curl against the server's JSON over HTTP.

use crate::helpers::*;
use kandas::pb;
use prost::Message;
use prost::bytes::Bytes;
use prost_reflect::{DescriptorPool, DeserializeOptions, DynamicMessage, MethodDescriptor};
use std::path::Path;
use std::time::Duration;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;

/// How many grpcurl calls the README and the book show today. Finding fewer means the parser
/// (or an edit of a page) lost some; raise it when the pages gain calls.
const CALLS_IN_DOCS: usize = 17;
/// The same for curl: every grpcurl call but reflection's `list` and the notification stream.
const CURL_CALLS_IN_DOCS: usize = 15;

/// Which earlier call's latest answer fills each placeholder, and with which of its fields
/// (a JSON pointer into the answer in the proto3 JSON mapping, as grpcurl prints it).
const PLACEHOLDERS: &[(&str, &str, &str)] = &[
    (
        "persons/<id from above>",
        "kandas.v1.PersonService/RegisterPerson",
        "/name",
    ),
    (
        "applications/<id>",
        "kandas.v1.ApplicationService/SubmitApplication",
        "/name",
    ),
    (
        "<number from the approval>",
        "kandas.v1.ApplicationService/DecideApplication",
        "/decision/issued/0/number",
    ),
    (
        "<code printed on it>",
        "kandas.v1.PersonService/DownloadKandasCertificate",
        "/verificationCode",
    ),
    (
        "<next_cursor from above>",
        "kandas.v1.PersonService/ListRecordEvents",
        "/nextCursor",
    ),
    (
        "<next_cursor of the portal page>",
        "kandas.v1.NotificationService/ListNotifications",
        "/nextCursor",
    ),
];

/// The examples name the development PKI's organisations, `dev-<role>`; the test server
/// registers the same for its certificates as `test-<role>`.
const DEV_ORGANISATIONS: (&str, &str) = ("organisations/dev-", "organisations/test-");

/// One grpcurl command as printed.
#[derive(Debug, PartialEq)]
struct Call {
    /// From `-cert $C/<role>.pem`.
    role: String,
    /// `package.Service/Method`, or `list` for reflection.
    method: String,
    /// The `-d` body; grpcurl sends an empty message without one.
    body: String,
    /// Request metadata from `-H 'name: value'` (curl: besides the content type).
    headers: Vec<(String, String)>,
}

/// One `-H 'name: value'`.
fn header(value: Option<&String>) -> (String, String) {
    let value = value.expect("-H takes a value");
    let (name, value) = value
        .split_once(':')
        .unwrap_or_else(|| panic!("a header is `name: value`, not {value:?}"));
    (name.trim().to_ascii_lowercase(), value.trim().to_string())
}

/// Splits one shell command into words the way sh would for what the examples use: single
/// quotes keep everything (newlines too), a backslash before a newline continues the
/// command, an unquoted newline ends it.
fn shell_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let word = word.get_or_insert_with(String::new);
                let mut closed = false;
                for quoted in chars.by_ref() {
                    if quoted == '\'' {
                        closed = true;
                        break;
                    }
                    word.push(quoted);
                }
                assert!(closed, "an unterminated quote in: {text}");
            }
            '\\' if chars.peek() == Some(&'\n') => {
                chars.next();
                words.extend(word.take());
            }
            '\n' => break,
            c if c.is_whitespace() => words.extend(word.take()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word.take());
    words
}

/// Reads the words of one grpcurl command. Any flag the examples start to use fails here
/// until this test learns what it means, rather than being replayed without it.
fn parse_call(words: &[String]) -> Call {
    assert_eq!(words.first().map(String::as_str), Some("grpcurl"));
    // What a pipe hands grpcurl's output to is the reader's business, not part of the call.
    let words = match words.iter().position(|w| w == "|") {
        Some(pipe) => &words[..pipe],
        None => words,
    };
    let mut cert = None;
    let mut key = None;
    let mut body = None;
    let mut headers = Vec::new();
    let mut positional = Vec::new();
    let mut rest = words[1..].iter();
    while let Some(word) = rest.next() {
        match word.as_str() {
            // Where the certificates lie, and how long a stream is watched: the reader's.
            "-cacert" | "-max-time" => {
                rest.next();
            }
            "-cert" => cert = rest.next().cloned(),
            "-key" => key = rest.next().cloned(),
            "-d" => body = rest.next().cloned(),
            "-H" => headers.push(header(rest.next())),
            flag if flag.starts_with('-') => {
                panic!("the examples use grpcurl flag {flag}, which this test does not replay")
            }
            _ => positional.push(word.as_str()),
        }
    }
    let [address, method] = positional[..] else {
        panic!("expected an address and a method in {words:?}");
    };
    assert_eq!(address, "localhost:50051", "in {words:?}");
    Call {
        role: role_of(cert, key, words),
        method: method.to_string(),
        body: body.unwrap_or_else(|| "{}".to_string()),
        headers,
    }
}

/// The role whose pair `$C/<role>.pem` and `$C/<role>.key` a command presents.
fn role_of(cert: Option<String>, key: Option<String>, words: &[String]) -> String {
    let cert = cert.unwrap_or_else(|| panic!("no client certificate in {words:?}"));
    let role = cert
        .strip_prefix("$C/")
        .and_then(|file| file.strip_suffix(".pem"))
        .unwrap_or_else(|| panic!("the certificate {cert} is not $C/<role>.pem"));
    // A pasted command with another role's key fails the handshake.
    assert_eq!(
        key.as_deref().and_then(|k| k.strip_suffix(".key")),
        cert.strip_suffix(".pem"),
        "the key goes with the certificate in {words:?}"
    );
    role.to_string()
}

/// Every grpcurl command in the text, in order: each one starts a line.
fn grpcurl_calls(text: &str) -> Vec<Call> {
    commands(text, "grpcurl", parse_call)
}

/// Reads the words of one curl command, as strictly as [`parse_call`] reads grpcurl's.
fn parse_curl(words: &[String]) -> Call {
    assert_eq!(words.first().map(String::as_str), Some("curl"));
    let words = match words.iter().position(|w| w == "|") {
        Some(pipe) => &words[..pipe],
        None => words,
    };
    let mut cert = None;
    let mut key = None;
    let mut body = None;
    let mut json = false;
    let mut headers = Vec::new();
    let mut url = None;
    let mut rest = words[1..].iter();
    while let Some(word) = rest.next() {
        match word.as_str() {
            "--cacert" => {
                rest.next();
            }
            "--cert" => cert = rest.next().cloned(),
            "--key" => key = rest.next().cloned(),
            "-H" => match rest.next().map(String::as_str) {
                Some("Content-Type: application/json") => json = true,
                other => headers.push(header(other.map(str::to_string).as_ref())),
            },
            "-d" => body = rest.next().cloned(),
            flag if flag.starts_with('-') => {
                panic!("the examples use curl flag {flag}, which this test does not replay")
            }
            _ => url = Some(word.as_str()),
        }
    }
    assert!(
        json,
        "a JSON call says so: -H 'Content-Type: application/json' in {words:?}"
    );
    let url = url.unwrap_or_else(|| panic!("no URL in {words:?}"));
    let method = url
        .strip_prefix("https://localhost:50051/")
        .unwrap_or_else(|| panic!("{url} is not on https://localhost:50051/"));
    Call {
        role: role_of(cert, key, words),
        method: method.to_string(),
        body: body.unwrap_or_else(|| panic!("a Connect call has a body (-d) in {words:?}")),
        headers,
    }
}

/// Every command of `program` in the text, in order: each one starts a line.
fn commands(text: &str, program: &str, parse: fn(&[String]) -> Call) -> Vec<Call> {
    let mut calls = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        if line[indent..].starts_with(&format!("{program} ")) {
            calls.push(parse(&shell_words(&text[offset + indent..])));
        }
        offset += line.len();
    }
    calls
}

/// What the server serves, for the JSON mapping.
fn descriptors() -> DescriptorPool {
    kandas::server::descriptor_pool().expect("the served descriptors")
}

fn find_method(pool: &DescriptorPool, path: &str) -> MethodDescriptor {
    let (service, method) = path
        .split_once('/')
        .unwrap_or_else(|| panic!("{path} is not Service/Method"));
    pool.get_service_by_name(service)
        .unwrap_or_else(|| panic!("no service {service}"))
        .methods()
        .find(|m| m.name() == method)
        .unwrap_or_else(|| panic!("{service} has no method {method}"))
}

/// The examples' placeholders replaced by the field of the latest answer they refer to.
fn fill_placeholders(body: &str, answers: &[(String, DynamicMessage)]) -> String {
    let mut body = body.replace(DEV_ORGANISATIONS.0, DEV_ORGANISATIONS.1);
    for (placeholder, from, field) in PLACEHOLDERS {
        if !body.contains(placeholder) {
            continue;
        }
        let (_, answer) = answers
            .iter()
            .rev()
            .find(|(method, _)| method == from)
            .unwrap_or_else(|| panic!("{placeholder} needs an earlier {from}"));
        let json = serde_json::to_value(answer).expect("the answer in the JSON mapping");
        let value = json
            .pointer(field)
            .and_then(|v| v.as_str())
            .unwrap_or_else(|| panic!("the answer of {from} has no {field}: {json}"));
        body = body.replace(placeholder, value);
    }
    assert!(
        !body.contains('<'),
        "a placeholder this test cannot fill (add it to PLACEHOLDERS): {body}"
    );
    body
}

/// The headers with their placeholders filled as a body's are.
fn filled_headers(
    headers: &[(String, String)],
    answers: &[(String, DynamicMessage)],
) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| (name.clone(), fill_placeholders(value, answers)))
        .collect()
}

/// The body in the proto3 JSON mapping. Unknown fields are refused, as grpcurl refuses
/// them: a field in the wrong message must fail here, not be dropped.
fn from_json(method: &MethodDescriptor, body: &str) -> DynamicMessage {
    let mut json = serde_json::Deserializer::from_str(body);
    let message = DynamicMessage::deserialize_with_options(
        method.input(),
        &mut json,
        &DeserializeOptions::new(),
    )
    .unwrap_or_else(|e| {
        panic!(
            "{} body is not a {}: {e}\n{body}",
            method.name(),
            method.input().full_name()
        )
    });
    json.end().expect("nothing after the JSON body");
    message
}

async fn unary(
    channel: Channel,
    path: &str,
    method: &MethodDescriptor,
    request: &DynamicMessage,
    headers: &[(String, String)],
) -> Result<DynamicMessage, tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let mut request = tonic::Request::new(Bytes::from(request.encode_to_vec()));
    for (name, value) in headers {
        let name: tonic::metadata::MetadataKey<tonic::metadata::Ascii> =
            name.parse().expect("a metadata name");
        request
            .metadata_mut()
            .insert(name, value.parse().expect("an ASCII metadata value"));
    }
    // A hang should fail the test with a status rather than stall the suite.
    request.set_timeout(Duration::from_secs(30));
    let path = format!("/{path}").parse().expect("a gRPC path");
    let answer = grpc.unary(request, path, RawCodec).await?.into_inner();
    Ok(DynamicMessage::decode(method.output(), answer).expect("the answer has its declared type"))
}

/// What `grpcurl list` prints: the services reflection names.
async fn list_services(channel: Channel) -> Vec<String> {
    use tonic_reflection::pb::v1;
    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
            String::new(),
        )),
    };
    let mut stream = v1::server_reflection_client::ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection answers")
        .into_inner();
    let response = stream.message().await.unwrap().expect("one response");
    let Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        response.message_response
    else {
        panic!("a service list, got {:?}", response.message_response);
    };
    list.service.into_iter().map(|s| s.name).collect()
}

/// Waits for the first database probe, as someone pasting the examples does by starting the
/// service first: until then health is NOT_SERVING.
async fn wait_until_serving(channel: Channel) {
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let mut client = HealthClient::new(channel);
    for _ in 0..600 {
        let status = client
            .check(HealthCheckRequest::default())
            .await
            .map(|r| r.into_inner().status)
            .ok();
        if status == Some(ServingStatus::Serving as i32) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server never became SERVING");
}

/// Every answer of `method`, in the examples' order, as its generated type.
fn answers_of<T: Message + Default>(answers: &[(String, DynamicMessage)], method: &str) -> Vec<T> {
    let typed: Vec<T> = answers
        .iter()
        .filter(|(m, _)| m == method)
        .map(|(_, answer)| answer.transcode_to().expect("transcode the answer"))
        .collect();
    assert!(!typed.is_empty(), "the examples no longer call {method}");
    typed
}

/// The latest answer of `method` as its generated type.
fn answer_of<T: Message + Default>(answers: &[(String, DynamicMessage)], method: &str) -> T {
    answers_of(answers, method).pop().unwrap()
}

#[test]
fn a_body_may_span_lines_a_backslash_continues_the_command_and_a_pipe_ends_it() {
    let text = "# comment\n  grpcurl -cacert $C/ca.pem -cert $C/police.pem -key $C/police.key -d '{\n  \"a\": 1,\n  \"b\": \"x y\"}' \\\n  localhost:50051 kandas.v1.X/Y\nnext line\ngrpcurl -cert $C/psc.pem -key $C/psc.key localhost:50051 list\ngrpcurl -cert $C/psc.pem -key $C/psc.key localhost:50051 kandas.v1.X/Z | jq -r .pdf | base64 -d > x.pdf\ngrpcurl -cert $C/portal.pem -key $C/portal.key -max-time 5 -H 'x-kandas-applicant: persons/1' localhost:50051 kandas.v1.X/W\n";
    assert_eq!(
        grpcurl_calls(text),
        vec![
            Call {
                role: "police".into(),
                method: "kandas.v1.X/Y".into(),
                body: "{\n  \"a\": 1,\n  \"b\": \"x y\"}".into(),
                headers: vec![],
            },
            Call {
                role: "psc".into(),
                method: "list".into(),
                body: "{}".into(),
                headers: vec![],
            },
            Call {
                role: "psc".into(),
                method: "kandas.v1.X/Z".into(),
                body: "{}".into(),
                headers: vec![],
            },
            Call {
                role: "portal".into(),
                method: "kandas.v1.X/W".into(),
                body: "{}".into(),
                headers: vec![("x-kandas-applicant".into(), "persons/1".into())],
            },
        ]
    );
}

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const BOOK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/src");

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The pages SUMMARY.md links, in its order.
fn book_pages(summary: &str) -> Vec<&str> {
    summary
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split_once(')'))
        .map(|(page, _)| page)
        .filter(|page| page.ends_with(".md"))
        .collect()
}

/// README.md, then every page of the book as a reader meets them: later calls fill their
/// placeholders from earlier answers, so the order is the SUMMARY's.
fn documentation() -> String {
    let mut text = read(&Path::new(ROOT).join("README.md"));
    let summary = read(&Path::new(BOOK).join("SUMMARY.md"));
    for page in book_pages(&summary) {
        text.push('\n');
        text.push_str(&read(&Path::new(BOOK).join(page)));
    }
    text
}

/// Every Markdown file under `dir`, relative to `BOOK`.
fn markdown_files(dir: &Path, found: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            markdown_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "md") {
            let relative = path.strip_prefix(BOOK).unwrap();
            found.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// The README's first fenced block is the quick start: exactly the command that serves and the
/// one that tests, each a script in the repository, and CI runs the test one as printed.
#[test]
fn the_readme_starts_with_two_commands_and_ci_runs_the_test_one() {
    use std::os::unix::fs::PermissionsExt;
    let readme = read(&Path::new(ROOT).join("README.md"));
    let block = readme
        .split("```")
        .nth(1)
        .expect("README.md has a fenced block");
    let commands: Vec<&str> = block
        .lines()
        .skip(1)
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    assert_eq!(commands, ["scripts/serve", "scripts/test"]);
    for command in &commands {
        let mode = std::fs::metadata(Path::new(ROOT).join(command))
            .unwrap_or_else(|e| panic!("{command}: {e}"))
            .permissions()
            .mode();
        assert!(mode & 0o111 != 0, "{command} is not executable");
    }
    let ci = read(&Path::new(ROOT).join(".ci/run"));
    assert!(
        ci.lines().any(|line| line.trim() == commands[1]),
        ".ci/run does not run {}",
        commands[1]
    );
}

#[test]
fn every_page_of_the_book_is_in_its_summary_so_its_examples_are_replayed() {
    let summary = read(&Path::new(BOOK).join("SUMMARY.md"));
    let listed = book_pages(&summary);
    let mut files = Vec::new();
    markdown_files(Path::new(BOOK), &mut files);
    files.retain(|file| file != "SUMMARY.md");
    files.sort();
    for file in &files {
        assert!(
            listed.contains(&file.as_str()),
            "docs/src/{file} is not in SUMMARY.md"
        );
    }
    for page in &listed {
        assert!(
            files.iter().any(|file| file == page),
            "SUMMARY.md lists {page}, which is missing"
        );
    }
}

#[tokio::test]
async fn every_grpcurl_call_in_the_readme_and_the_book_succeeds_as_printed() {
    let calls = grpcurl_calls(&documentation());
    assert!(
        calls.len() >= CALLS_IN_DOCS,
        "found {} grpcurl calls in README.md and docs/src, expected at least {CALLS_IN_DOCS}: {calls:#?}",
        calls.len()
    );

    let app = spawn_app().await;
    wait_until_serving(app.channel("psc").await).await;
    let pool = descriptors();
    let mut answers: Vec<(String, DynamicMessage)> = Vec::new();
    let mut listed = None;
    for call in &calls {
        let channel = app.channel(&call.role).await;
        if call.method == "list" {
            listed = Some(list_services(channel).await);
            continue;
        }
        let method = find_method(&pool, &call.method);
        // A stream is watched by the real grpcurl in its page's own test
        // (portal_notifications_doc.rs); this replay sends unary calls.
        if method.is_server_streaming() {
            continue;
        }
        let body = fill_placeholders(&call.body, &answers);
        let headers = filled_headers(&call.headers, &answers);
        let request = from_json(&method, &body);
        match unary(channel, &call.method, &method, &request, &headers).await {
            Ok(answer) => answers.push((call.method.clone(), answer)),
            Err(status) => panic!(
                "{} as {} answered {:?}: {}\n{:#?}\nbody: {body}",
                call.method,
                call.role,
                status.code(),
                status.message(),
                error_details(&status)
            ),
        }
    }

    let listed = listed.expect("the examples list the services");
    for service in pool.services() {
        assert!(
            listed.iter().any(|s| s == service.full_name()),
            "{} missing from {listed:?}",
            service.full_name()
        );
    }

    check_answers(&app, &answers).await;
}

#[tokio::test]
async fn every_curl_call_in_the_readme_and_the_book_succeeds_as_printed() {
    let calls = commands(&documentation(), "curl", parse_curl);
    assert!(
        calls.len() >= CURL_CALLS_IN_DOCS,
        "found {} curl calls in README.md and docs/src, expected at least {CURL_CALLS_IN_DOCS}: {calls:#?}",
        calls.len()
    );

    let app = spawn_app().await;
    wait_until_serving(app.channel("psc").await).await;
    let dir = tempfile::tempdir().unwrap();
    let mut roles: Vec<&str> = calls.iter().map(|call| call.role.as_str()).collect();
    roles.sort();
    roles.dedup();
    write_certificates(&app, dir.path(), &roles);
    let pool = descriptors();
    let mut answers: Vec<(String, DynamicMessage)> = Vec::new();
    for call in &calls {
        let method = find_method(&pool, &call.method);
        let body = fill_placeholders(&call.body, &answers);
        let path = format!("/{}", call.method);
        let headers: Vec<String> = filled_headers(&call.headers, &answers)
            .iter()
            .flat_map(|(name, value)| ["--header".to_string(), format!("{name}: {value}")])
            .collect();
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        let (status, answer) = curl(&app, dir.path(), &call.role, &path, &body, &headers).await;
        assert_eq!(
            status, 200,
            "{} as {}: {answer}\nbody: {body}",
            call.method, call.role
        );
        let answer = DynamicMessage::deserialize(method.output(), answer).unwrap_or_else(|e| {
            panic!(
                "{} answered no {}: {e}",
                call.method,
                method.output().full_name()
            )
        });
        answers.push((call.method.clone(), answer));
    }
    check_answers(&app, &answers).await;
}

/// What the examples' calls, in either form, must have done.
async fn check_answers(app: &TestApp, answers: &[(String, DynamicMessage)]) {
    let health: tonic_health::pb::HealthCheckResponse =
        answer_of(answers, "grpc.health.v1.Health/Check");
    assert_eq!(health.status, ServingStatus::Serving as i32);

    let validated: pb::ValidateIinResponse =
        answer_of(answers, "kandas.v1.PersonService/ValidateIin");
    assert!(validated.valid, "{validated:?}");
    // 871008 then 4: born 1987-10-08, a woman born in the 1900s.
    assert_eq!(validated.birth_date, Some(date(1987, 10, 8)));
    assert_eq!(validated.sex, pb::Sex::Female as i32);
    assert_eq!(validated.century, 1900);

    let registered: pb::Person = answer_of(answers, "kandas.v1.PersonService/RegisterPerson");
    assert!(registered.name.starts_with("persons/"));
    assert!(registered.iin.is_empty(), "registered without an IIN");

    let submissions: Vec<pb::Application> =
        answers_of(answers, "kandas.v1.ApplicationService/SubmitApplication");
    let submitted = &submissions[0];
    assert_eq!(submitted.applicant, registered.name);
    assert_eq!(submitted.procedure, pb::Procedure::IinAssignment as i32);
    assert_eq!(submitted.state, pb::application::State::Submitted as i32);

    let decisions: Vec<pb::Application> =
        answers_of(answers, "kandas.v1.ApplicationService/DecideApplication");
    let decided = decisions[0].clone();
    assert_eq!(decided.name, submitted.name);
    assert_eq!(decided.state, pb::application::State::Approved as i32);
    let Some(pb::decision::Result::IinAssignment(result)) = decided.decision.and_then(|d| d.result)
    else {
        panic!("the approval carries the IIN");
    };
    // Born 1987-10-08, a man born in the 1900s: 871008 then 3.
    assert!(result.iin.starts_with("8710083"), "{}", result.iin);

    let person = app
        .persons("psc")
        .await
        .get_person(pb::GetPersonRequest {
            name: registered.name.clone(),
            iin: String::new(),
        })
        .await
        .expect("read the person back")
        .into_inner();
    assert_eq!(person.iin, result.iin, "the person now holds the IIN");

    // Then a kandas status, its certificate re-issued, and the police checking its code.
    let status = &submissions[1];
    assert_eq!(
        status.procedure,
        pb::Procedure::KandasStatusAssignment as i32
    );
    assert_eq!(decisions[1].state, pb::application::State::Approved as i32);
    let certificate: pb::KandasCertificate =
        answer_of(answers, "kandas.v1.PersonService/DownloadKandasCertificate");
    assert!(certificate.pdf.starts_with(b"%PDF-"), "a PDF");
    let verified: pb::KandasCertificateVerification =
        answer_of(answers, "kandas.v1.PersonService/VerifyKandasCertificate");
    assert_eq!(
        verified.state,
        pb::kandas_certificate_verification::State::Valid as i32
    );
    assert_eq!(verified.number, certificate.number);

    // The portal reads the applicant's side of the same path, told in the language asked.
    let pages: Vec<pb::ListNotificationsResponse> =
        answers_of(answers, "kandas.v1.NotificationService/ListNotifications");
    assert!(
        !pages.is_empty(),
        "the examples list the applicant's notifications"
    );
    for page in pages {
        use pb::notification::Kind;
        let kinds: Vec<Kind> = page.notifications.iter().map(|n| n.kind()).collect();
        assert_eq!(
            kinds,
            [
                Kind::Accepted,
                Kind::Approved,
                Kind::Accepted,
                Kind::Approved,
                Kind::CertificateReady
            ]
        );
        assert!(
            page.notifications
                .iter()
                .all(|n| n.person == registered.name)
        );
        assert!(
            ["ru", "kk"].contains(&page.notifications[0].language_code.as_str()),
            "{:?}",
            page.notifications[0]
        );
    }
}

//! Tracing set up once, with personal data kept out of the output.
//!
//! Code never logs names, document numbers or IINs (`Iin` does not even print its digits).
//! As a second line of defence every line written is scrubbed: any run of exactly 12 digits —
//! the shape of an IIN — is replaced before it reaches the log, wherever it came from (a
//! database error detail, a dependency's debug output).

use opentelemetry_sdk::trace::Tracer;
use std::io::{self, IsTerminal, Write};
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// Default filter: our own info, dependencies' warnings.
pub const DEFAULT_FILTER: &str = "kandas=info,warn";

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// For a person reading a terminal or a file.
    #[default]
    Text,
    /// One JSON object a line (`timestamp`, `level`, `target`, `fields`, `span`), for a log
    /// collector.
    Json,
}

pub mod traces;

/// Installs the global subscriber writing to stderr. `filter` follows `RUST_LOG` syntax.
/// Colour codes are written only when stderr is a terminal: a file, a pipe or journald gets
/// plain text.
pub fn init(filter: &str, format: LogFormat) {
    init_with_traces(filter, format, None);
}

/// [`init`], and spans exported through `tracer` when there is one (see [`traces`]).
pub fn init_with_traces(filter: &str, format: LogFormat, tracer: Option<Tracer>) {
    install(
        filter,
        format,
        io::stderr().is_terminal(),
        io::stderr,
        tracer,
    );
}

/// Installs the global subscriber with any writer (tests capture the output this way).
/// A second call is a no-op: the first subscriber stays.
pub fn init_with_writer<W>(filter: &str, format: LogFormat, ansi: bool, writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    install(filter, format, ansi, writer, None);
}

fn install<W>(filter: &str, format: LogFormat, ansi: bool, writer: W, tracer: Option<Tracer>)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let logs: Box<dyn Layer<Registry> + Send + Sync> = match format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_target(true)
            .with_ansi(ansi)
            .with_writer(Scrubbing {
                writer,
                json: false,
            })
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_target(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(Scrubbing { writer, json: true })
            .boxed(),
    };
    // The export takes our own spans and nothing else: no log event (which might quote what a
    // dependency saw) and no dependency's spans.
    let spans = tracer.map(|tracer| {
        tracing_opentelemetry::layer()
            .with_tracer(tracer)
            .with_filter(filter_fn(|metadata| {
                metadata.is_span() && metadata.target().starts_with("kandas")
            }))
    });
    let _ = tracing_subscriber::registry()
        .with(logs.with_filter(filter))
        .with(spans)
        .try_init();
}

/// Wraps a `MakeWriter` so every write is scrubbed.
pub struct Scrubbing<W> {
    writer: W,
    json: bool,
}

impl<'a, W: MakeWriter<'a>> MakeWriter<'a> for Scrubbing<W> {
    type Writer = ScrubbingWriter<W::Writer>;
    fn make_writer(&'a self) -> Self::Writer {
        ScrubbingWriter {
            writer: self.writer.make_writer(),
            json: self.json,
        }
    }
}

pub struct ScrubbingWriter<W> {
    writer: W,
    json: bool,
}

impl<W: Write> Write for ScrubbingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // The formatter writes each event in one call, so a 12-digit run is never split.
        let scrubbed = if self.json {
            scrub_json_line(buf)
        } else {
            scrub(buf)
        };
        self.writer.write_all(&scrubbed)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

/// [`scrub`] for one JSON line that stays JSON: a masked run inside a string stays in it, and
/// a number with a 12-digit run becomes the string of its masked digits. A line that is not
/// JSON is scrubbed as text.
pub fn scrub_json_line(line: &[u8]) -> Vec<u8> {
    fn walk(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(text) => {
                *text = String::from_utf8_lossy(&scrub(text.as_bytes())).into_owned();
            }
            serde_json::Value::Number(number) => {
                let digits = number.to_string();
                let masked = scrub(digits.as_bytes());
                if masked != digits.as_bytes() {
                    *value = serde_json::Value::String(String::from_utf8_lossy(&masked).into());
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            serde_json::Value::Object(fields) => fields.values_mut().for_each(walk),
            serde_json::Value::Bool(_) | serde_json::Value::Null => {}
        }
    }
    match serde_json::from_slice::<serde_json::Value>(line) {
        Ok(mut value) => {
            walk(&mut value);
            let mut out = serde_json::to_vec(&value).unwrap_or_else(|_| scrub(line));
            out.push(b'\n');
            out
        }
        Err(_) => scrub(line),
    }
}

/// Replaces every run of exactly 12 ASCII digits with `************`.
pub fn scrub(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i].is_ascii_digit() {
            let start = i;
            while i < input.len() && input[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 12 {
                out.extend_from_slice(b"************");
            } else {
                out.extend_from_slice(&input[start..i]);
            }
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{scrub, scrub_json_line};

    #[test]
    fn a_json_line_stays_json_with_twelve_digit_runs_masked_in_strings_and_numbers() {
        let line = br#"{"fields":{"message":"iin 871008401427 seen","n":871008401427,"port":50051},"level":"INFO"}"#;
        let mut with_newline = line.to_vec();
        with_newline.push(b'\n');
        let out = scrub_json_line(&with_newline);
        assert_eq!(out.last(), Some(&b'\n'));
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["fields"]["message"], "iin ************ seen");
        assert_eq!(value["fields"]["n"], "************");
        assert_eq!(value["fields"]["port"], 50051);
        assert_eq!(value["level"], "INFO");
    }

    #[test]
    fn a_line_that_is_not_json_is_scrubbed_as_text() {
        assert_eq!(scrub_json_line(b"x 871008401427\n"), b"x ************\n");
    }

    #[test]
    fn twelve_digit_runs_are_masked_and_others_kept() {
        let line = b"iin=871008401427 port=50051 id=1234567890123 (x760212350620)";
        assert_eq!(
            String::from_utf8(scrub(line)).unwrap(),
            "iin=************ port=50051 id=1234567890123 (x************)"
        );
    }
}

//! Tracing set up once, with personal data kept out of the output.
//!
//! Code never logs names, document numbers or IINs (`Iin` does not even print its digits).
//! As a second line of defence every line written is scrubbed: any run of exactly 12 digits —
//! the shape of an IIN — is replaced before it reaches the log, wherever it came from (a
//! database error detail, a dependency's debug output).

use std::io::{self, Write};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Default filter: our own info, dependencies' warnings.
pub const DEFAULT_FILTER: &str = "kandas=info,warn";

/// Installs the global subscriber writing to stderr. `filter` follows `RUST_LOG` syntax.
pub fn init(filter: &str) {
    init_with_writer(filter, io::stderr);
}

/// Installs the global subscriber with any writer (tests capture the output this way).
/// A second call is a no-op: the first subscriber stays.
pub fn init_with_writer<W>(filter: &str, writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true)
        .with_writer(Scrubbing(writer))
        .try_init();
}

/// Wraps a `MakeWriter` so every write is scrubbed.
pub struct Scrubbing<W>(pub W);

impl<'a, W: MakeWriter<'a>> MakeWriter<'a> for Scrubbing<W> {
    type Writer = ScrubbingWriter<W::Writer>;
    fn make_writer(&'a self) -> Self::Writer {
        ScrubbingWriter(self.0.make_writer())
    }
}

pub struct ScrubbingWriter<W>(W);

impl<W: Write> Write for ScrubbingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // The formatter writes each event in one call, so a 12-digit run is never split.
        self.0.write_all(&scrub(buf))?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
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
    use super::scrub;

    #[test]
    fn twelve_digit_runs_are_masked_and_others_kept() {
        let line = b"iin=871008401427 port=50051 id=1234567890123 (x760212350620)";
        assert_eq!(
            String::from_utf8(scrub(line)).unwrap(),
            "iin=************ port=50051 id=1234567890123 (x************)"
        );
    }
}

//! The harness ([`kandas_testkit`]) and what only this test binary knows: where cargo built
//! the `kandas` binary.

pub use kandas_testkit::*;

/// `kandas serve` as an operator starts it, in `dir`: see [`kandas_testkit::serve_binary`].
pub async fn serve_binary(dir: &std::path::Path) -> tokio::process::Command {
    kandas_testkit::serve_binary(std::path::Path::new(env!("CARGO_BIN_EXE_kandas")), dir).await
}

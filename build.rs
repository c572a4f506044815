//! Compiles the gRPC contract with protox (pure Rust), so building needs no `protoc`.
use prost::Message;
use std::{env, fs, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_dir = PathBuf::from("proto");
    let mut files: Vec<PathBuf> = fs::read_dir(proto_dir.join("kandas/v1"))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "proto"))
        .collect();
    files.sort();
    println!("cargo:rerun-if-changed=proto");
    // sqlx::migrate! embeds migrations/ but does not tell cargo to watch it: a new migration
    // file would otherwise leave a binary that never applies it.
    println!("cargo:rerun-if-changed=migrations");

    let descriptors = protox::compile(&files, [&proto_dir])?;
    // Reflection serves the same descriptors the code was generated from.
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(
        out_dir.join("kandas_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // RPCs later issues fill answer UNIMPLEMENTED until then.
        .generate_default_stubs(true)
        // Undecodable requests are INVALID_ARGUMENT, not the stock INTERNAL.
        .codec_path("crate::server::codec::KandasCodec")
        .compile_fds(descriptors)?;
    Ok(())
}

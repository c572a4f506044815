//! Compiles the gRPC contract with protox (pure Rust), so building needs no `protoc`.
use std::{env, fs, path::PathBuf};

#[path = "build/api_reference.rs"]
mod api_reference;

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

    let mut compiler = protox::Compiler::new([&proto_dir])?;
    compiler
        .include_source_info(true)
        .include_imports(true)
        .open_files(&files)?;
    let descriptors = compiler.file_descriptor_set();
    // Reflection serves the same descriptors the code was generated from, in protox's own
    // encoding: prost's types drop extension options, and with them the google.api annotations
    // a reflection client should see.
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(
        out_dir.join("kandas_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;
    fs::write(
        out_dir.join("api_reference.md"),
        api_reference::render(&compiler.descriptor_pool(), "kandas.v1"),
    )?;

    fs::write(out_dir.join("kandas_rpcs.rs"), rpc_paths(&descriptors))?;

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

/// One constant per RPC path (`/kandas.v1.Service/Method`), in a module per service, and
/// `ALL` listing them: the grants table, the audit log and the tests name RPCs only through
/// these, so a method added to the contract cannot be missed by any of them.
fn rpc_paths(descriptors: &prost_types::FileDescriptorSet) -> String {
    let mut out = String::new();
    let mut all = Vec::new();
    for file in &descriptors.file {
        let package = file.package();
        for service in &file.service {
            out.push_str(&format!("pub mod {} {{\n", snake_case(service.name())));
            for method in &service.method {
                let path = format!("/{package}.{}/{}", service.name(), method.name());
                let constant = snake_case(method.name()).to_uppercase();
                out.push_str(&format!("    pub const {constant}: &str = {path:?};\n"));
                all.push(path);
            }
            out.push_str("}\n");
        }
    }
    out.push_str(&format!("pub const ALL: &[&str] = &{all:?};\n"));
    out
}

fn snake_case(name: &str) -> String {
    let mut snake = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            snake.push('_');
        }
        snake.push(c.to_ascii_lowercase());
    }
    snake
}

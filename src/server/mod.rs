//! The transport: the TLS listener and start-up, the tower layers every call passes (identity
//! and grants, load shedding, metrics, the Connect and gRPC-Web translations), and the gRPC
//! codec. Nothing below imports it.

pub mod auth;
pub mod codec;
pub mod connect;
pub mod connections;
pub mod crl;
pub mod handshakes;
pub mod health;
pub mod identity;
pub mod metrics;
pub mod refusals;
pub mod replica;
pub mod request_body;
pub mod shed;
pub mod standing;
pub mod startup;
pub mod tls;

/// The descriptor sets of everything the port serves: the kandas contract, gRPC health, and the
/// `google.rpc` error details. Reflection serves them, so grpcurl decodes a refusal's details;
/// the JSON mapping reads them, so Connect callers get the same messages.
pub const DESCRIPTOR_SETS: [&[u8]; 3] = [
    crate::pb::FILE_DESCRIPTOR_SET,
    tonic_health::pb::FILE_DESCRIPTOR_SET,
    tonic_types::pb::FILE_DESCRIPTOR_SET,
];

/// [`DESCRIPTOR_SETS`] as one pool, for the proto3 JSON mapping.
pub fn descriptor_pool() -> Result<prost_reflect::DescriptorPool, prost_reflect::DescriptorError> {
    let mut pool = prost_reflect::DescriptorPool::new();
    for set in DESCRIPTOR_SETS {
        pool.decode_file_descriptor_set(set)?;
    }
    Ok(pool)
}

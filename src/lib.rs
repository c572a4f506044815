//! kandas: the state's side of the path of ethnic Kazakh repatriates to citizenship of
//! Kazakhstan, as a gRPC service over mutual TLS on PostgreSQL.

pub mod api;
pub mod audit;
pub mod cli;
pub mod config;
#[cfg(test)]
mod contract;
/// The pure rules of SPEC.md, a crate of their own.
pub use kandas_domain as domain;
pub mod error;
/// The private PostgreSQL cluster and development PKI, a crate of their own.
pub use kandas_local as local;
pub mod render;
pub mod server;
pub mod service;
pub mod signature;
pub mod state;
pub mod store;
pub mod telemetry;

/// Code generated from `proto/kandas/v1`.
pub mod pb {
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("kandas.v1");

    /// The path of every kandas RPC, from the same descriptors.
    pub mod rpc {
        include!(concat!(env!("OUT_DIR"), "/kandas_rpcs.rs"));
    }

    /// The encoded descriptors, served by reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/kandas_descriptor.bin"));
}

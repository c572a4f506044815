//! The transport: the TLS listener and start-up, the tower layers every call passes (identity
//! and grants, load shedding, metrics), and the gRPC codec. Nothing below imports it.

pub mod auth;
pub mod codec;
pub mod connections;
pub mod health;
pub mod metrics;
pub mod request_body;
pub mod shed;
pub mod startup;
pub mod tls;

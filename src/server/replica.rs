//! How a replica names itself where operators read it (the runs of its jobs): its host name
//! and the address its gRPC listener bound, e.g. `kandas-2/10.0.0.7:50051`. Nothing to
//! configure: two replicas on one host differ by port, and a restarted replica keeps its name.

use std::net::SocketAddr;

/// The longest name kept (`job_runs.replica` holds at most 300 characters).
const MAX_CHARS: usize = 300;

/// This replica's name, from the host name the kernel gives and `listen`, the bound address.
pub fn name(listen: SocketAddr) -> String {
    named(host_name().as_deref(), listen)
}

fn named(host: Option<&str>, listen: SocketAddr) -> String {
    let host = host
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .unwrap_or("unknown-host");
    format!("{host}/{listen}").chars().take(MAX_CHARS).collect()
}

/// The host name, as `uname -n` says it; the environment's `HOSTNAME` where the kernel's is
/// not readable.
fn host_name() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replica_is_named_by_host_and_listen_address() {
        let listen: SocketAddr = "0.0.0.0:50051".parse().unwrap();
        assert_eq!(named(Some("kandas-2\n"), listen), "kandas-2/0.0.0.0:50051");
        assert_eq!(named(None, listen), "unknown-host/0.0.0.0:50051");
        assert_eq!(named(Some("  "), listen), "unknown-host/0.0.0.0:50051");
        let long = "h".repeat(400);
        assert_eq!(named(Some(&long), listen).chars().count(), MAX_CHARS);
        assert!(!name(listen).is_empty());
    }
}

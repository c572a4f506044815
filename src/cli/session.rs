//! What every `kandas admin` command works with, apart from the dispatch that hands it out.

use super::connection::{ConnectError, Connection};
use super::failure::Failure;
use super::output::Format;
use tonic::transport::Channel;

/// What every command works with: where to call and how to print.
pub struct Session {
    connection: Connection,
    pub format: Format,
}

impl Session {
    pub fn new(connection: Connection, format: Format) -> Self {
        Self { connection, format }
    }

    /// Opens the channel when a command is ready to call, so a command refused for its own
    /// input never waits on the network.
    pub async fn channel(&self) -> Result<Channel, Failure> {
        self.connection.open().await.map_err(|error| match error {
            ConnectError::Files(error) => Failure::Local(error),
            ConnectError::Unreachable(error) => Failure::Unreachable(error),
        })
    }
}

//! A request body as it arrives, held to two limits before tonic decodes it:
//!
//! - its first message must arrive whole within a time limit, so a client that opens streams
//!   and sends headers alone cannot hold call places (the stream is answered
//!   `DEADLINE_EXCEEDED` and its place freed);
//! - a message longer than the limit is refused from its 5-byte gRPC header, before its bytes
//!   are buffered, with `RESOURCE_EXHAUSTED` and an `ErrorInfo` naming the limit (tonic's own
//!   check answers `OUT_OF_RANGE` without one, after buffering).

use crate::error::ApiError;
use bytes::{Buf, Bytes};
use http_body::{Body, Frame};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::Sleep;

/// Reason of the refusal of a message over the size limit.
pub const TOO_LARGE_REASON: &str = "MESSAGE_TOO_LARGE";
/// Reason of the refusal of a request whose message did not arrive in time.
pub const TOO_SLOW_REASON: &str = "REQUEST_NOT_RECEIVED_IN_TIME";

/// The limits every request body is held to.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_message_bytes: usize,
    pub arrival_timeout: Duration,
}

/// Where the reader stands in the gRPC framing: a 5-byte header (compressed flag and
/// big-endian length), then that many bytes of message.
#[derive(Debug)]
enum Framing {
    Header { read: usize, length: [u8; 4] },
    Message { left: usize },
}

pub struct ArrivingBody<B> {
    inner: B,
    limits: Limits,
    /// Until the first message is complete; then the call is the handler's to time.
    deadline: Option<Pin<Box<Sleep>>>,
    framing: Framing,
    failed: bool,
}

impl<B> ArrivingBody<B> {
    pub fn new(inner: B, limits: Limits) -> Self {
        Self {
            inner,
            limits,
            deadline: Some(Box::pin(tokio::time::sleep(limits.arrival_timeout))),
            framing: Framing::Header {
                read: 0,
                length: [0; 4],
            },
            failed: false,
        }
    }

    /// Follows the framing through one chunk; an error when a message is over the limit.
    fn inspect(&mut self, mut chunk: &[u8]) -> Result<(), tonic::Status> {
        while !chunk.is_empty() {
            match &mut self.framing {
                Framing::Header { read, length } => {
                    if *read > 0 {
                        length[*read - 1] = chunk[0];
                    }
                    *read += 1;
                    chunk = &chunk[1..];
                    if *read == 5 {
                        let size = u32::from_be_bytes(*length) as usize;
                        if size > self.limits.max_message_bytes {
                            return Err(too_large(self.limits.max_message_bytes, Some(size)));
                        }
                        self.framing = Framing::Message { left: size };
                        if size == 0 {
                            self.message_complete();
                        }
                    }
                }
                Framing::Message { left } => {
                    let taken = (*left).min(chunk.len());
                    *left -= taken;
                    chunk = &chunk[taken..];
                    if *left == 0 {
                        self.message_complete();
                    }
                }
            }
        }
        Ok(())
    }

    fn message_complete(&mut self) {
        self.deadline = None;
        self.framing = Framing::Header {
            read: 0,
            length: [0; 4],
        };
    }
}

/// The refusal of a message over `limit`; `size` when its header told it before it arrived.
pub(crate) fn too_large(limit: usize, size: Option<usize>) -> tonic::Status {
    let message = match size {
        Some(size) => {
            format!("a request message of {size} bytes is over the limit of {limit} bytes")
        }
        None => format!("the request message is over the limit of {limit} bytes"),
    };
    ApiError::ResourceExhausted {
        reason: TOO_LARGE_REASON,
        message,
        violations: vec![(
            "kandas:max_message_bytes".to_string(),
            format!("request messages of at most {limit} bytes"),
        )],
    }
    .into()
}

pub(crate) fn too_slow(timeout: Duration) -> tonic::Status {
    ApiError::DeadlineExceeded {
        reason: TOO_SLOW_REASON,
        message: format!(
            "the request message did not arrive within {} s",
            timeout.as_secs_f32()
        ),
    }
    .into()
}

impl<B> Body for ArrivingBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if this.failed {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref()
                    && let Err(status) = this.inspect(data.chunk())
                {
                    this.failed = true;
                    return Poll::Ready(Some(Err(status)));
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => {
                Poll::Ready(Some(Err(tonic::Status::from_error(error.into()))))
            }
            Poll::Ready(None) => {
                this.deadline = None;
                Poll::Ready(None)
            }
            Poll::Pending => match this.deadline.as_mut().map(|d| d.as_mut().poll(cx)) {
                Some(Poll::Ready(())) => {
                    this.failed = true;
                    this.deadline = None;
                    Poll::Ready(Some(Err(too_slow(this.limits.arrival_timeout))))
                }
                _ => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.failed || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, StreamBody};
    use tonic_types::StatusExt;

    fn limits(max: usize) -> Limits {
        Limits {
            max_message_bytes: max,
            arrival_timeout: Duration::from_millis(50),
        }
    }

    fn framed(len: u32, payload: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0u8];
        bytes.extend_from_slice(&len.to_be_bytes());
        bytes.extend_from_slice(payload);
        bytes
    }

    #[tokio::test]
    async fn a_message_at_the_limit_passes_and_one_byte_over_is_refused_naming_the_limit() {
        let mut body = ArrivingBody::new((), limits(4));
        assert!(body.inspect(&framed(4, b"abcd")).is_ok());
        assert!(body.deadline.is_none(), "a whole message ends the wait");
        let mut body = ArrivingBody::new((), limits(4));
        let status = body.inspect(&framed(5, b"")).unwrap_err();
        assert_eq!(status.code(), tonic::Code::ResourceExhausted);
        let info = status.get_error_details().error_info().cloned().unwrap();
        assert_eq!(info.reason, TOO_LARGE_REASON);
        assert!(status.message().contains("limit of 4 bytes"), "{status:?}");
    }

    #[tokio::test]
    async fn a_header_split_across_chunks_is_still_read() {
        let mut body = ArrivingBody::new((), limits(1000));
        let bytes = framed(3000, b"");
        assert!(body.inspect(&bytes[..2]).is_ok());
        assert!(body.inspect(&bytes[2..]).is_err());
    }

    #[tokio::test]
    async fn a_body_that_never_arrives_is_refused_after_the_timeout() {
        let (_sender, receiver) =
            tokio::sync::mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(1);
        let stream = StreamBody::new(tokio_stream::wrappers::ReceiverStream::new(receiver));
        let mut body = ArrivingBody::new(stream, limits(100));
        let error = body.frame().await.unwrap().unwrap_err();
        assert_eq!(error.code(), tonic::Code::DeadlineExceeded);
    }
}

//! A request body as it arrives, held to two limits before tonic decodes it:
//!
//! - its first message must arrive whole within a time limit, so a client that opens streams
//!   and sends headers alone cannot hold call places (the stream is answered
//!   `DEADLINE_EXCEEDED` and its place freed);
//! - a message longer than the limit is refused from its 5-byte gRPC header, before its bytes
//!   are buffered, with `RESOURCE_EXHAUSTED` and an `ErrorInfo` naming the limit (tonic's own
//!   check answers `OUT_OF_RANGE` without one, after buffering).
//!
//! Framing the client got wrong is the client's error, reason `MALFORMED_FRAME`, counted by
//! kind in `kandas_rpc_malformed_requests_total` and never among the server's own errors:
//!
//! - a compressed flag without a `grpc-encoding` (other than `identity`), or a flag other than
//!   0 and 1: `INTERNAL`, because gRPC's compression specification says so ("MUST fail with
//!   INTERNAL status");
//! - a body that ends inside a frame, or that the gRPC-Web translation cannot decode (text that
//!   is not base64): `INVALID_ARGUMENT`, as for any request that cannot be read (gRPC's table
//!   says `INTERNAL` for an unparsable request; the service's contract says invalid input is
//!   `INVALID_ARGUMENT`, as `crate::server::codec` answers for a message that does not decode).

use crate::error::{ApiError, ERROR_DOMAIN, Reason};
use bytes::{Buf, Bytes};
use http_body::{Body, Frame};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::Sleep;
use tonic::Code;
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

/// Where the metrics layer learns that a call failed on the client's framing: the body sets
/// the kind, the metrics layer reads it when the call ends.
#[derive(Debug, Clone, Default)]
pub struct MalformedNote(Arc<OnceLock<Malformed>>);

impl MalformedNote {
    pub fn kind(&self) -> Option<Malformed> {
        self.0.get().copied()
    }
}

/// What was wrong with a request's framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    CompressedWithoutEncoding,
    InvalidCompressionFlag(u8),
    Truncated,
    Undecodable,
}

impl Malformed {
    /// The `kind` label of `kandas_rpc_malformed_requests_total`.
    pub fn label(self) -> &'static str {
        match self {
            Malformed::CompressedWithoutEncoding => "compressed_without_encoding",
            Malformed::InvalidCompressionFlag(_) => "invalid_compression_flag",
            Malformed::Truncated => "truncated_frame",
            Malformed::Undecodable => "undecodable_body",
        }
    }

    fn status(self, detail: &str) -> tonic::Status {
        let (code, message) = match self {
            Malformed::CompressedWithoutEncoding => (
                Code::Internal,
                "the request's gRPC frame is marked compressed, but the request names no \
                 grpc-encoding: send it uncompressed (flag 0) or name its encoding"
                    .to_string(),
            ),
            Malformed::InvalidCompressionFlag(flag) => (
                Code::Internal,
                format!("the request's gRPC frame has compressed flag {flag}; the flag is 0 or 1"),
            ),
            Malformed::Truncated => (
                Code::InvalidArgument,
                "the request body ended inside a gRPC frame (its 5-byte header or the \
                 message the header announced)"
                    .to_string(),
            ),
            Malformed::Undecodable => (
                Code::InvalidArgument,
                format!("the request body could not be decoded: {detail}"),
            ),
        };
        let mut details = ErrorDetails::with_error_info(
            Reason::MalformedFrame.as_str(),
            ERROR_DOMAIN,
            [("kind".to_string(), self.label().to_string())],
        );
        if code == Code::InvalidArgument {
            details.set_bad_request(vec![FieldViolation::new("(request body)", &message)]);
        }
        tonic::Status::with_error_details(code, message, details)
    }
}

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
    /// The request names a `grpc-encoding` other than `identity`.
    compression_named: bool,
    note: Option<MalformedNote>,
    failed: bool,
}

impl<B> ArrivingBody<B> {
    /// Holds `inner` to `limits`; the headers tell whether a compressed frame may come, and
    /// `note` (the metrics layer's) learns of a malformed frame.
    pub fn new(
        inner: B,
        limits: Limits,
        headers: &http::HeaderMap,
        note: Option<MalformedNote>,
    ) -> Self {
        let compression_named = headers
            .get("grpc-encoding")
            .is_some_and(|encoding| encoding != "identity");
        Self {
            inner,
            limits,
            deadline: Some(Box::pin(tokio::time::sleep(limits.arrival_timeout))),
            framing: Framing::Header {
                read: 0,
                length: [0; 4],
            },
            compression_named,
            note,
            failed: false,
        }
    }

    fn malformed(&mut self, kind: Malformed, detail: &str) -> tonic::Status {
        if let Some(note) = &self.note {
            let _ = note.0.set(kind);
        }
        tracing::debug!(kind = kind.label(), detail, "malformed request frame");
        kind.status(detail)
    }

    /// Whether the body stopped inside a frame.
    fn inside_a_frame(&self) -> bool {
        match self.framing {
            Framing::Header { read, .. } => read > 0,
            Framing::Message { left } => left > 0,
        }
    }

    /// Follows the framing through one chunk; an error when a message is over the limit or
    /// its compressed flag is wrong.
    fn inspect(&mut self, mut chunk: &[u8]) -> Result<(), tonic::Status> {
        while !chunk.is_empty() {
            match &mut self.framing {
                Framing::Header { read, length } => {
                    if *read > 0 {
                        length[*read - 1] = chunk[0];
                    } else {
                        match chunk[0] {
                            0 => {}
                            1 if self.compression_named => {}
                            1 => {
                                return Err(
                                    self.malformed(Malformed::CompressedWithoutEncoding, "")
                                );
                            }
                            flag => {
                                return Err(
                                    self.malformed(Malformed::InvalidCompressionFlag(flag), "")
                                );
                            }
                        }
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
        reason: Reason::MessageTooLarge,
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
        reason: Reason::RequestNotReceivedInTime,
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
                let status = tonic::Status::from_error(error.into());
                // The body is the client's bytes: one the transport (the gRPC-Web translation,
                // HTTP/2) could not decode is the client's fault. Other codes say what they say
                // (a reset stream is CANCELLED).
                if status.code() == Code::Internal {
                    this.failed = true;
                    let refusal = this.malformed(Malformed::Undecodable, status.message());
                    return Poll::Ready(Some(Err(refusal)));
                }
                Poll::Ready(Some(Err(status)))
            }
            Poll::Ready(None) => {
                this.deadline = None;
                if this.inside_a_frame() {
                    this.failed = true;
                    return Poll::Ready(Some(Err(this.malformed(Malformed::Truncated, ""))));
                }
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
        let mut body = ArrivingBody::new((), limits(4), &http::HeaderMap::new(), None);
        assert!(body.inspect(&framed(4, b"abcd")).is_ok());
        assert!(body.deadline.is_none(), "a whole message ends the wait");
        let mut body = ArrivingBody::new((), limits(4), &http::HeaderMap::new(), None);
        let status = body.inspect(&framed(5, b"")).unwrap_err();
        assert_eq!(status.code(), tonic::Code::ResourceExhausted);
        let info = status.get_error_details().error_info().cloned().unwrap();
        assert_eq!(info.reason, Reason::MessageTooLarge.as_str());
        assert!(status.message().contains("limit of 4 bytes"), "{status:?}");
    }

    #[tokio::test]
    async fn a_header_split_across_chunks_is_still_read() {
        let mut body = ArrivingBody::new((), limits(1000), &http::HeaderMap::new(), None);
        let bytes = framed(3000, b"");
        assert!(body.inspect(&bytes[..2]).is_ok());
        assert!(body.inspect(&bytes[2..]).is_err());
    }

    fn body_of(
        chunks: Vec<Result<Frame<Bytes>, tonic::Status>>,
    ) -> impl Body<Data = Bytes, Error = tonic::Status> + Unpin {
        StreamBody::new(tokio_stream::iter(chunks))
    }

    fn reason_and_kind(status: &tonic::Status) -> (String, String) {
        let info = status.get_error_details().error_info().cloned().unwrap();
        (info.reason, info.metadata["kind"].clone())
    }

    #[tokio::test]
    async fn a_compressed_flag_without_an_encoding_is_the_clients_malformed_frame() {
        let note = MalformedNote::default();
        let mut frame = framed(1, b"x");
        frame[0] = 1;
        let chunks = vec![Ok(Frame::data(Bytes::from(frame.clone())))];
        let mut body = ArrivingBody::new(
            body_of(chunks),
            limits(100),
            &http::HeaderMap::new(),
            Some(note.clone()),
        );
        let status = body.frame().await.unwrap().unwrap_err();
        assert_eq!(
            status.code(),
            tonic::Code::Internal,
            "as gRPC's compression spec says"
        );
        assert_eq!(
            reason_and_kind(&status),
            (
                Reason::MalformedFrame.to_string(),
                "compressed_without_encoding".into()
            )
        );
        assert_eq!(note.kind(), Some(Malformed::CompressedWithoutEncoding));
        // With an encoding named, the flag is the codec's to honour.
        let mut headers = http::HeaderMap::new();
        headers.insert("grpc-encoding", http::HeaderValue::from_static("gzip"));
        let chunks = vec![Ok(Frame::data(Bytes::from(frame)))];
        let mut body = ArrivingBody::new(body_of(chunks), limits(100), &headers, None);
        assert!(body.frame().await.unwrap().is_ok());
        let mut flag_two = ArrivingBody::new((), limits(100), &http::HeaderMap::new(), None);
        let status = flag_two.inspect(&[2, 0, 0, 0, 0]).unwrap_err();
        assert_eq!(reason_and_kind(&status).1, "invalid_compression_flag");
    }

    #[tokio::test]
    async fn a_body_that_ends_inside_a_frame_is_invalid_argument() {
        for cut in [3, 7] {
            let note = MalformedNote::default();
            let bytes = Bytes::from(framed(4, b"abcd")).slice(..cut);
            let mut body = ArrivingBody::new(
                body_of(vec![Ok(Frame::data(bytes))]),
                limits(100),
                &http::HeaderMap::new(),
                Some(note.clone()),
            );
            assert!(body.frame().await.unwrap().is_ok());
            let status = body.frame().await.unwrap().unwrap_err();
            assert_eq!(status.code(), tonic::Code::InvalidArgument, "cut at {cut}");
            assert_eq!(reason_and_kind(&status).1, "truncated_frame");
            assert_eq!(note.kind(), Some(Malformed::Truncated));
            assert!(body.frame().await.is_none(), "nothing after the refusal");
        }
        let whole = Bytes::from(framed(2, b"ab"));
        let mut body = ArrivingBody::new(
            body_of(vec![Ok(Frame::data(whole))]),
            limits(100),
            &http::HeaderMap::new(),
            None,
        );
        assert!(body.frame().await.unwrap().is_ok());
        assert!(body.frame().await.is_none(), "a whole frame ends cleanly");
    }

    #[tokio::test]
    async fn a_body_the_transport_could_not_decode_is_invalid_argument_and_a_reset_is_not() {
        let chunks = vec![Err(tonic::Status::internal(
            "tonic-web: malformed base64 request",
        ))];
        let mut body =
            ArrivingBody::new(body_of(chunks), limits(100), &http::HeaderMap::new(), None);
        let status = body.frame().await.unwrap().unwrap_err();
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(reason_and_kind(&status).1, "undecodable_body");
        assert!(status.message().contains("base64"), "{status:?}");
        let chunks = vec![Err(tonic::Status::cancelled("stream reset"))];
        let mut body =
            ArrivingBody::new(body_of(chunks), limits(100), &http::HeaderMap::new(), None);
        assert_eq!(
            body.frame().await.unwrap().unwrap_err().code(),
            tonic::Code::Cancelled
        );
    }

    #[tokio::test]
    async fn a_body_that_never_arrives_is_refused_after_the_timeout() {
        let (_sender, receiver) =
            tokio::sync::mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(1);
        let stream = StreamBody::new(tokio_stream::wrappers::ReceiverStream::new(receiver));
        let mut body = ArrivingBody::new(stream, limits(100), &http::HeaderMap::new(), None);
        let error = body.frame().await.unwrap().unwrap_err();
        assert_eq!(error.code(), tonic::Code::DeadlineExceeded);
    }
}

//! The Connect protocol's unary form on the gRPC port, for callers that speak JSON over HTTP
//! (web front offices, state buses, `curl`) rather than gRPC.
//!
//! `POST /kandas.v1.<Service>/<Method>` with `Content-Type: application/json` (or
//! `application/proto`) carries one message, without gRPC's framing. This layer, the
//! outermost, turns such a request into the gRPC request it stands for and the gRPC answer
//! back into Connect's: the message in the proto3 JSON mapping, or an error as Connect's error
//! JSON with the same `ErrorInfo`, `BadRequest` and `PreconditionFailure` details. Everything
//! inside — authorization, jurisdiction, shedding, idempotency, audit, metrics — sees an
//! ordinary gRPC call, so no rule exists twice. The mapping is driven by the descriptors
//! reflection serves (prost-reflect's dynamic messages), so a method added to the contract is
//! callable in JSON without code of its own.
//!
//! A body that is not valid JSON for its message is not refused here: the gRPC request goes on
//! with the refusal attached ([`Undecodable`]), and [`RefuseUndecodableLayer`], placed after
//! authorization, answers it. A caller may not learn anything about a method it may not call,
//! not even how its request would have been read.

use crate::error::{ApiError, FieldError};
use crate::server::request_body::{Limits, too_large, too_slow};
use base64::Engine;
use bytes::{BufMut, Bytes, BytesMut};
use futures_util::future::BoxFuture;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use prost::Message;
use prost_reflect::{
    DescriptorPool, DeserializeOptions, DynamicMessage, MessageDescriptor, MethodDescriptor,
    SerializeOptions,
};
use std::sync::Arc;
use std::task::{Context, Poll};
use tonic::Code;
use tonic::body::Body;

const PROTOCOL_VERSION: &str = "connect-protocol-version";
const TIMEOUT: &str = "connect-timeout-ms";
/// Prefix of a detail's type URL that Connect's error JSON leaves out.
const TYPE_URL_PREFIX: &str = "type.googleapis.com/";

/// The two unary codecs Connect defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Json,
    Proto,
}

impl Encoding {
    /// Connect's unary content types; `None` for anything else (gRPC, gRPC-Web), which passes
    /// through untouched.
    fn of(headers: &HeaderMap) -> Option<Encoding> {
        let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
        let (essence, parameters) = value.split_once(';').unwrap_or((value, ""));
        match essence.trim().to_ascii_lowercase().as_str() {
            // JSON is UTF-8 by definition (RFC 8259); a charset parameter may only say so.
            "application/json" if charset_is_utf8(parameters) => Some(Encoding::Json),
            "application/proto" => Some(Encoding::Proto),
            _ => None,
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Encoding::Json => "application/json",
            Encoding::Proto => "application/proto",
        }
    }
}

fn charset_is_utf8(parameters: &str) -> bool {
    parameters
        .split(';')
        .all(|parameter| match parameter.split_once('=') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
                value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
            }
            _ => true,
        })
}

/// The messages of every service on the port, read from the descriptor sets reflection serves.
pub struct Contract {
    pool: DescriptorPool,
}

impl Contract {
    /// The kandas contract, gRPC health and the `google.rpc` error details.
    pub fn served() -> anyhow::Result<Contract> {
        Ok(Contract {
            pool: crate::server::descriptor_pool()?,
        })
    }

    /// The method a path names: `/package.Service/Method`.
    fn method(&self, path: &str) -> Option<MethodDescriptor> {
        let (service, method) = path.strip_prefix('/')?.split_once('/')?;
        self.pool
            .get_service_by_name(service)?
            .methods()
            .find(|candidate| candidate.name() == method)
    }
}

/// A request body that could not be read as its message: the field and the rule, answered
/// `INVALID_ARGUMENT` once the caller is known to be allowed the method.
#[derive(Debug, Clone)]
pub struct Undecodable(pub FieldError);

#[derive(Clone)]
pub struct ConnectLayer {
    contract: Arc<Contract>,
    limits: Limits,
}

impl ConnectLayer {
    pub fn new(contract: Arc<Contract>, limits: Limits) -> Self {
        Self { contract, limits }
    }
}

impl<S> tower::Layer<S> for ConnectLayer {
    type Service = ConnectService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ConnectService {
            inner,
            contract: self.contract.clone(),
            limits: self.limits,
        }
    }
}

#[derive(Clone)]
pub struct ConnectService<S> {
    inner: S,
    contract: Arc<Contract>,
    limits: Limits,
}

impl<S> tower::Service<http::Request<Body>> for ConnectService<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        // The clone that was polled ready is the one that must be called.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let Some(encoding) = Encoding::of(request.headers()) else {
            return Box::pin(inner.call(request));
        };
        let contract = self.contract.clone();
        let limits = self.limits;
        Box::pin(async move {
            let method = match unary_method(&contract, &request) {
                Ok(method) => method,
                Err(status) => {
                    // Read what the caller is still sending (within the same limits) before
                    // answering: a stream answered mid-upload is reset, and the caller sees a
                    // broken connection instead of the refusal.
                    let _ = read_body(request.into_body(), limits).await;
                    return Ok(error_response(&contract, &status));
                }
            };
            let grpc = match to_grpc(request, &method, encoding, limits).await {
                Ok(grpc) => grpc,
                Err(status) => return Ok(error_response(&contract, &status)),
            };
            let answer = inner.call(grpc).await?;
            Ok(match from_grpc(answer, &method.output(), encoding).await {
                Ok(response) => response,
                Err(status) => error_response(&contract, &status),
            })
        })
    }
}

/// The unary method a Connect request calls, or why it cannot be called this way.
fn unary_method(
    contract: &Contract,
    request: &http::Request<Body>,
) -> Result<MethodDescriptor, tonic::Status> {
    let path = request.uri().path();
    let Some(method) = contract.method(path) else {
        return Err(tonic::Status::unimplemented(format!(
            "no method {path} is served here"
        )));
    };
    if method.is_client_streaming() || method.is_server_streaming() {
        return Err(tonic::Status::unimplemented(format!(
            "{} streams: call it over gRPC or gRPC-Web; JSON over HTTP serves unary methods",
            method.full_name()
        )));
    }
    if request.method() != Method::POST {
        return Err(tonic::Status::unimplemented(format!(
            "a Connect unary call is a POST, not a {}",
            request.method()
        )));
    }
    if let Some(version) = request.headers().get(PROTOCOL_VERSION)
        && version != "1"
    {
        return Err(ApiError::field(PROTOCOL_VERSION, "must be 1, the version served here").into());
    }
    if let Some(encoding) = request.headers().get(header::CONTENT_ENCODING)
        && encoding != "identity"
    {
        return Err(tonic::Status::unimplemented(
            "request compression is not served: send the body uncompressed",
        ));
    }
    Ok(method)
}

/// The gRPC request a Connect request stands for: the same path, metadata and connection (the
/// client certificate travels in the extensions), the message framed as gRPC frames it.
async fn to_grpc(
    request: http::Request<Body>,
    method: &MethodDescriptor,
    encoding: Encoding,
    limits: Limits,
) -> Result<http::Request<Body>, tonic::Status> {
    let (mut parts, body) = request.into_parts();
    let body = read_body(body, limits).await?;
    let message = match encoding {
        Encoding::Proto => Ok(body),
        Encoding::Json => json_to_proto(&method.input(), &body).map(Bytes::from),
    };
    let message = match message {
        Ok(message) => message,
        Err(undecodable) => {
            parts.extensions.insert(undecodable);
            Bytes::new()
        }
    };

    let timeout = parts.headers.remove(TIMEOUT);
    for name in [
        header::CONTENT_TYPE,
        header::CONTENT_LENGTH,
        header::CONTENT_ENCODING,
        header::ACCEPT_ENCODING,
        HeaderName::from_static(PROTOCOL_VERSION),
    ] {
        parts.headers.remove(name);
    }
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/grpc"),
    );
    parts
        .headers
        .insert(header::TE, HeaderValue::from_static("trailers"));
    if let Some(timeout) = timeout {
        parts
            .headers
            .insert("grpc-timeout", grpc_timeout(&timeout)?);
    }
    parts.version = http::Version::HTTP_2;
    Ok(http::Request::from_parts(
        parts,
        Body::new(Full::new(frame(&message))),
    ))
}

/// The whole request body, held to the limits a gRPC message is held to.
async fn read_body(body: Body, limits: Limits) -> Result<Bytes, tonic::Status> {
    let limited = Limited::new(body, limits.max_message_bytes).collect();
    match tokio::time::timeout(limits.arrival_timeout, limited).await {
        Err(_elapsed) => Err(too_slow(limits.arrival_timeout)),
        Ok(Err(error)) if error.is::<LengthLimitError>() => {
            Err(too_large(limits.max_message_bytes, None))
        }
        Ok(Err(error)) => Err(tonic::Status::cancelled(format!(
            "the request body did not arrive: {error}"
        ))),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

/// `Connect-Timeout-Ms` as gRPC's `grpc-timeout` (at most 8 digits of milliseconds).
fn grpc_timeout(value: &HeaderValue) -> Result<HeaderValue, tonic::Status> {
    let digits = value.to_str().unwrap_or_default();
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::field(TIMEOUT, "must be 1 to 8 digits of milliseconds").into());
    }
    HeaderValue::from_str(&format!("{digits}m"))
        .map_err(|_| ApiError::field(TIMEOUT, "must be 1 to 8 digits of milliseconds").into())
}

/// Reads a JSON body as the method's request message; the refusal names the field it stopped
/// at, as the caller spelled it.
fn json_to_proto(input: &MessageDescriptor, body: &[u8]) -> Result<Vec<u8>, Undecodable> {
    let mut json = serde_json::Deserializer::from_slice(body);
    let mut track = serde_path_to_error::Track::new();
    let tracked = serde_path_to_error::Deserializer::new(&mut json, &mut track);
    let parsed = DynamicMessage::deserialize_with_options(
        input.clone(),
        tracked,
        &DeserializeOptions::new(),
    )
    .and_then(|message| json.end().map(|()| message));
    match parsed {
        Ok(message) => Ok(message.encode_to_vec()),
        Err(error) => {
            // The path is `.` before any key was read, `?` where the body ended or was not an
            // object: the body as a whole is at fault.
            let path = track.path().to_string();
            let field = match path.as_str() {
                "" | "." | "?" => "body".to_string(),
                _ => path,
            };
            Err(Undecodable(FieldError::new(
                field,
                format!(
                    "must be {} in the proto3 JSON mapping: {error}",
                    input.name()
                ),
            )))
        }
    }
}

/// gRPC's length-prefixed framing of one uncompressed message.
fn frame(message: &[u8]) -> Bytes {
    let mut framed = BytesMut::with_capacity(5 + message.len());
    framed.put_u8(0);
    framed.put_u32(message.len() as u32);
    framed.put_slice(message);
    framed.freeze()
}

/// The Connect answer to a gRPC answer: the message, or the status it ended with.
async fn from_grpc(
    response: http::Response<Body>,
    output: &MessageDescriptor,
    encoding: Encoding,
) -> Result<http::Response<Body>, tonic::Status> {
    let (parts, body) = response.into_parts();
    // A refusal before any message is gRPC's trailers-only answer: the status is in the head.
    if let Some(status) = tonic::Status::from_header_map(&parts.headers)
        && status.code() != Code::Ok
    {
        return Err(status);
    }
    let collected = body.collect().await?;
    let trailers = collected.trailers().cloned().unwrap_or_default();
    match tonic::Status::from_header_map(&trailers) {
        Some(status) if status.code() == Code::Ok => {}
        Some(status) => return Err(status),
        None => return Err(translation_failed("the gRPC answer carries no status")),
    }
    let framed = collected.to_bytes();
    let message = unframe(&framed)
        .ok_or_else(|| translation_failed("the gRPC answer is not one uncompressed message"))?;
    let body = match encoding {
        Encoding::Proto => Bytes::copy_from_slice(message),
        Encoding::Json => {
            let message = DynamicMessage::decode(output.clone(), message)
                .map_err(|error| translation_failed(&error.to_string()))?;
            Bytes::from(to_json(&message))
        }
    };

    let mut answer = http::Response::new(Body::new(Full::new(body)));
    let headers = answer.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(encoding.content_type()),
    );
    // The answer's own metadata, and its trailers under Connect's `trailer-` prefix.
    for (name, value) in &parts.headers {
        if !is_grpc_own(name) {
            headers.append(name.clone(), value.clone());
        }
    }
    for (name, value) in &trailers {
        if !is_grpc_own(name)
            && let Ok(prefixed) = HeaderName::try_from(format!("trailer-{name}"))
        {
            headers.append(prefixed, value.clone());
        }
    }
    Ok(answer)
}

fn is_grpc_own(name: &HeaderName) -> bool {
    name == header::CONTENT_TYPE
        || name == header::CONTENT_LENGTH
        || name.as_str().starts_with("grpc-")
}

fn unframe(framed: &[u8]) -> Option<&[u8]> {
    let (&compressed, rest) = framed.split_first()?;
    let length = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
    let message = rest.get(4..)?;
    (compressed == 0 && message.len() == length).then_some(message)
}

fn to_json(message: &DynamicMessage) -> Vec<u8> {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::new(&mut out);
    // Writing a decoded message to a Vec cannot fail: every value has a JSON form.
    message
        .serialize_with_options(&mut serializer, &SerializeOptions::new())
        .expect("a dynamic message serializes to JSON");
    out
}

/// A fault of the translation itself: logged, and answered as gRPC answers an internal fault.
fn translation_failed(what: &str) -> tonic::Status {
    tracing::error!(what, "a Connect answer could not be translated");
    tonic::Status::internal("internal error")
}

/// Connect's error JSON for a status, with its details both as Connect carries them (type and
/// base64 value) and, for a reader with no descriptors, decoded under `debug`.
fn error_response(contract: &Contract, status: &tonic::Status) -> http::Response<Body> {
    let mut error = serde_json::Map::new();
    error.insert("code".into(), connect_code(status.code()).into());
    if !status.message().is_empty() {
        error.insert("message".into(), status.message().into());
    }
    let details: Vec<serde_json::Value> = tonic_types::pb::Status::decode(status.details())
        .map(|rpc_status| rpc_status.details)
        .unwrap_or_default()
        .iter()
        .map(|any| detail_json(contract, any))
        .collect();
    if !details.is_empty() {
        error.insert("details".into(), details.into());
    }
    let body = serde_json::to_vec(&error).expect("a JSON map serializes");
    let mut response = http::Response::new(Body::new(Full::new(Bytes::from(body))));
    *response.status_mut() = http_status(status.code());
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn detail_json(contract: &Contract, any: &prost_types::Any) -> serde_json::Value {
    let name = any
        .type_url
        .strip_prefix(TYPE_URL_PREFIX)
        .unwrap_or(&any.type_url);
    let mut detail = serde_json::Map::new();
    detail.insert("type".into(), name.into());
    detail.insert(
        "value".into(),
        base64::engine::general_purpose::STANDARD_NO_PAD
            .encode(&any.value)
            .into(),
    );
    if let Some(message) = contract
        .pool
        .get_message_by_name(name)
        .and_then(|descriptor| DynamicMessage::decode(descriptor, any.value.as_slice()).ok())
        && let Ok(debug) = serde_json::from_slice::<serde_json::Value>(&to_json(&message))
    {
        detail.insert("debug".into(), debug);
    }
    detail.into()
}

/// Connect's name of each gRPC code.
fn connect_code(code: Code) -> &'static str {
    match code {
        Code::Ok | Code::Unknown => "unknown",
        Code::Cancelled => "canceled",
        Code::InvalidArgument => "invalid_argument",
        Code::DeadlineExceeded => "deadline_exceeded",
        Code::NotFound => "not_found",
        Code::AlreadyExists => "already_exists",
        Code::PermissionDenied => "permission_denied",
        Code::ResourceExhausted => "resource_exhausted",
        Code::FailedPrecondition => "failed_precondition",
        Code::Aborted => "aborted",
        Code::OutOfRange => "out_of_range",
        Code::Unimplemented => "unimplemented",
        Code::Internal => "internal",
        Code::Unavailable => "unavailable",
        Code::DataLoss => "data_loss",
        Code::Unauthenticated => "unauthenticated",
    }
}

/// The HTTP status Connect gives each code, so plain HTTP tooling (proxies, REST adapters,
/// monitoring) reads the outcome without parsing the body.
fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Cancelled => StatusCode::from_u16(499).expect("499 is a valid status"),
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            StatusCode::BAD_REQUEST
        }
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::Ok | Code::Unknown | Code::Internal | Code::DataLoss => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

/// Answers a Connect request whose body could not be read, once authorization has let it in.
#[derive(Clone, Copy, Default)]
pub struct RefuseUndecodableLayer;

impl<S> tower::Layer<S> for RefuseUndecodableLayer {
    type Service = RefuseUndecodable<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RefuseUndecodable { inner }
    }
}

#[derive(Clone)]
pub struct RefuseUndecodable<S> {
    inner: S,
}

impl<S, B> tower::Service<http::Request<B>> for RefuseUndecodable<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        match request.extensions().get::<Undecodable>() {
            Some(Undecodable(field)) => {
                let status: tonic::Status = ApiError::InvalidArgument(vec![field.clone()]).into();
                Box::pin(std::future::ready(Ok(status.into_http())))
            }
            None => Box::pin(self.inner.call(request)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_connect_content_types_are_translated() {
        let of = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
            Encoding::of(&headers)
        };
        assert_eq!(of("application/json"), Some(Encoding::Json));
        assert_eq!(of("Application/JSON; charset=utf-8"), Some(Encoding::Json));
        assert_eq!(of("application/json; charset=latin1"), None);
        assert_eq!(of("application/proto"), Some(Encoding::Proto));
        assert_eq!(of("application/grpc"), None);
        assert_eq!(of("application/grpc-web+proto"), None);
        assert_eq!(of("application/connect+json"), None);
        assert_eq!(Encoding::of(&HeaderMap::new()), None);
    }

    #[test]
    fn a_frame_round_trips_and_a_torn_one_is_refused() {
        let framed = frame(b"abc");
        assert_eq!(&framed[..], &[0, 0, 0, 0, 3, b'a', b'b', b'c']);
        assert_eq!(unframe(&framed), Some(&b"abc"[..]));
        assert_eq!(unframe(&framed[..6]), None);
        assert_eq!(unframe(&[1, 0, 0, 0, 0]), None);
        assert_eq!(unframe(&[]), None);
    }

    #[test]
    fn every_code_has_connects_name_and_http_status() {
        assert_eq!(connect_code(Code::Cancelled), "canceled");
        assert_eq!(http_status(Code::Cancelled).as_u16(), 499);
        assert_eq!(http_status(Code::InvalidArgument), StatusCode::BAD_REQUEST);
        assert_eq!(
            http_status(Code::FailedPrecondition),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(http_status(Code::PermissionDenied), StatusCode::FORBIDDEN);
        assert_eq!(http_status(Code::Unauthenticated), StatusCode::UNAUTHORIZED);
        assert_eq!(
            http_status(Code::ResourceExhausted),
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(http_status(Code::Aborted), StatusCode::CONFLICT);
    }

    #[test]
    fn a_bad_body_names_the_field_it_stopped_at() {
        let contract = Contract::served().unwrap();
        let input = contract
            .method("/kandas.v1.PersonService/RegisterPerson")
            .unwrap()
            .input();
        let Undecodable(field) =
            json_to_proto(&input, br#"{"person": {"birthDate": {"year": "soon"}}}"#).unwrap_err();
        assert_eq!(field.field, "person.birthDate.year");
        let Undecodable(field) = json_to_proto(&input, br#"{"nope": 1}"#).unwrap_err();
        assert!(field.rule.contains("nope"), "{}", field.rule);
        let Undecodable(field) = json_to_proto(&input, b"{").unwrap_err();
        assert_eq!(field.field, "body");
        assert!(json_to_proto(&input, br#"{"requestId": "x"}"#).is_ok());
    }

    #[test]
    fn a_streaming_method_is_found_but_is_not_unary() {
        let contract = Contract::served().unwrap();
        let watch = contract
            .method("/kandas.v1.QuotaService/WatchQuotaDecisions")
            .unwrap();
        assert!(watch.is_server_streaming());
        assert!(contract.method("/kandas.v1.QuotaService/Nope").is_none());
        assert!(contract.method("/grpc.health.v1.Health/Check").is_some());
    }
}

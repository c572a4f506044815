//! A request whose gRPC framing is wrong is the client's error, reason `MALFORMED_FRAME`,
//! counted by kind apart from the server's own faults: a body cut inside a frame and gRPC-Web
//! text that is not base64 are `INVALID_ARGUMENT`; a compressed flag with no `grpc-encoding`
//! is `INTERNAL`, as gRPC's compression specification requires, and still not the server's.

use crate::connections::tls_connection_to;
use crate::helpers::*;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tonic::Code;

const VALIDATE_IIN: &str = "/kandas.v1.PersonService/ValidateIin";

/// Sends `body` as it is to `path` over HTTP/2 with `content_type`, as `psc`, and reads the
/// status from the head (a trailers-only answer) or the trailers.
async fn raw_call(
    app: &TestApp,
    content_type: &str,
    extra: &[(&str, &str)],
    body: &[u8],
) -> tonic::Status {
    let stream = tls_connection_to(app.addr, &app.ca.cert_pem(), &app.identity("psc"))
        .await
        .unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(connection);
    let mut request = http::Request::post(format!("https://localhost{VALIDATE_IIN}"))
        .header("content-type", content_type)
        .header("te", "trailers");
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Full::new(Bytes::copy_from_slice(body)))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let (head, body) = response.into_parts();
    if let Some(status) = tonic::Status::from_header_map(&head.headers) {
        return status;
    }
    let collected = body.collect().await.unwrap();
    let trailers = collected.trailers().cloned().unwrap_or_default();
    tonic::Status::from_header_map(&trailers).expect("a status in the trailers")
}

fn kind_of(status: &tonic::Status) -> String {
    let info = error_details(status)
        .error_info()
        .cloned()
        .expect("ErrorInfo");
    assert_eq!(info.reason, "MALFORMED_FRAME", "{status:?}");
    info.metadata["kind"].clone()
}

#[tokio::test]
async fn malformed_frames_are_the_clients_error_and_counted_apart_from_the_servers() {
    let app = spawn_app_with(|s| s.metrics_listen = Some("127.0.0.1:0".parse().unwrap())).await;
    let grpc = "application/grpc";

    // The 5-byte header cut after 4, and a message shorter than its header says.
    for body in [&[0u8, 0, 0, 0][..], &[0, 0, 0, 0, 10, 0x0a, 0x01]] {
        let status = raw_call(&app, grpc, &[], body).await;
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert_eq!(kind_of(&status), "truncated_frame");
    }
    let status = raw_call(&app, grpc, &[], &[1, 0, 0, 0, 2, 0x0a, 0x00]).await;
    assert_eq!(status.code(), Code::Internal, "{status:?}");
    assert_eq!(kind_of(&status), "compressed_without_encoding");
    assert!(status.message().contains("grpc-encoding"), "{status:?}");
    let web_text = "application/grpc-web-text";
    let status = raw_call(&app, web_text, &[], b"!!!!not*base64!!").await;
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(kind_of(&status), "undecodable_body");

    // A well-framed call on the same path still answers.
    let mut framed = vec![0u8, 0, 0, 0, 14, 0x0a, 12];
    framed.extend_from_slice(b"871008401427");
    assert_eq!(raw_call(&app, grpc, &[], &framed).await.code(), Code::Ok);

    let text = metrics_text(&app).await;
    let method = "kandas.v1.PersonService/ValidateIin";
    for (kind, count) in [
        ("truncated_frame", 2),
        ("compressed_without_encoding", 1),
        ("undecodable_body", 1),
    ] {
        let line = format!(
            "kandas_rpc_malformed_requests_total{{method=\"{method}\",kind=\"{kind}\"}} {count}"
        );
        assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
    }
    assert!(
        !text.contains("kandas_rpc_server_errors_total{"),
        "no malformed frame is counted as the server's fault:\n{text}"
    );
    app.stop().await;
}

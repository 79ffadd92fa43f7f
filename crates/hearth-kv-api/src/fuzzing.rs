//! Entry points of the fuzz targets in `fuzz/` (cargo-fuzz), shared with the
//! test that replays their committed corpus (`tests/tests/fuzz_corpus.rs`),
//! so both run the same code.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header;

/// Parses `data` as a bulk-put body (`PUT .../bulk`, `hearth kv bulk put`).
pub fn kv_bulk_put(data: &[u8]) {
    let _ = crate::bulk::parse_bulk_put(data);
}

/// Parses `data` as a bulk-delete body (`POST .../bulk/delete`, `hearth kv bulk delete`).
pub fn kv_bulk_delete(data: &[u8]) {
    let _ = crate::bulk::parse_bulk_delete(data);
}

/// Reads a multipart value upload (`PUT .../values/:key`): the first line of
/// `data` is the `Content-Type` header, the rest the body.
pub fn kv_multipart(data: &[u8]) {
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let Ok(content_type) = header::HeaderValue::from_bytes(&data[..split]) else {
        return;
    };
    let body = data.get(split + 1..).unwrap_or_default().to_vec();
    let req = Request::builder()
        .method("PUT")
        .uri("/")
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .expect("a request from a valid header value");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime");
    let _ = runtime.block_on(crate::rest::read_multipart(req));
}

//! Entry points of the fuzz targets in `fuzz/` (cargo-fuzz), shared with the
//! test that replays their committed corpus, so both run the same code.

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

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Every committed input of a target (its corpus and the crashes it
    /// found, in `fuzz/regressions/`) returns without panicking.
    fn replay(target: &str, entry: fn(&[u8])) {
        let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
        let mut count = 0;
        for dir in ["corpus", "regressions"] {
            let Ok(files) = std::fs::read_dir(fuzz.join(dir).join(target)) else {
                continue;
            };
            for file in files {
                let path = file.expect("corpus entry").path();
                entry(&std::fs::read(&path).expect("corpus file"));
                count += 1;
            }
        }
        assert!(count > 0, "no corpus for the fuzz target {target}");
    }

    #[test]
    fn fuzz_corpus_replays() {
        replay("kv_bulk_put", super::kv_bulk_put);
        replay("kv_bulk_delete", super::kv_bulk_delete);
        replay("kv_multipart", super::kv_multipart);
    }
}

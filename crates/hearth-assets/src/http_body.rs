//! The HTTP side of serving one file: ETag and `If-None-Match`, caching
//! headers, `Range`, `HEAD`, and gzip/br encodings compressed once.

use bytes::Bytes;
use http::header::{
    ACCEPT_ENCODING, ACCEPT_RANGES, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE,
    CONTENT_TYPE, ETAG, IF_NONE_MATCH, IF_RANGE, RANGE, VARY,
};
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode};
use std::io::Write;

use crate::scan::Entry;

/// What Cloudflare's asset worker sends: browsers revalidate every time,
/// and get a 304 while the ETag holds.
const CACHE_CONTROL_BROWSER: &str = "public, max-age=0, must-revalidate";

/// Files smaller than this are sent as they are: encoding them saves
/// nothing worth a header.
const MIN_COMPRESS: usize = 256;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Brotli,
    Gzip,
}

pub(crate) fn respond(
    entry: &Entry,
    status: StatusCode,
    method: &Method,
    request: &HeaderMap,
) -> Response<Bytes> {
    let strong = format!("\"{}\"", entry.etag);
    let mut headers = HeaderMap::new();
    if let Some(ct) = &entry.content_type {
        if let Ok(v) = HeaderValue::from_str(ct) {
            headers.insert(CONTENT_TYPE, v);
        }
    }
    if !request.contains_key(http::header::AUTHORIZATION) && !request.contains_key(RANGE) {
        headers.insert(
            CACHE_CONTROL,
            HeaderValue::from_static(CACHE_CONTROL_BROWSER),
        );
    }
    let if_none_match = request.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    let matches = if_none_match.is_some_and(|list| {
        list.split(',').map(str::trim).any(|tag| {
            tag == "*" || tag == strong || tag.strip_prefix("W/") == Some(strong.as_str())
        })
    });
    let compressible = entry.content_type.as_deref().is_some_and(compressible);
    if compressible {
        headers.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    if matches {
        headers.insert(ETAG, header(&strong));
        return build(StatusCode::NOT_MODIFIED, headers, Bytes::new());
    }
    let body = match entry.body() {
        Ok(b) => b,
        Err(_) => return build(StatusCode::NOT_FOUND, HeaderMap::new(), Bytes::new()),
    };
    let head = method == Method::HEAD;

    // A range of the identity bytes, when asked for (and the ETag still holds).
    let range = request
        .get(RANGE)
        .and_then(|v| v.to_str().ok())
        .filter(|_| status == StatusCode::OK)
        .filter(|_| {
            request
                .get(IF_RANGE)
                .and_then(|v| v.to_str().ok())
                .is_none_or(|tag| tag == strong)
        });
    if let Some(range) = range {
        headers.insert(ETAG, header(&strong));
        headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        let total = body.len() as u64;
        return match parse_range(range, total) {
            Some(Ok((start, end))) => {
                headers.insert(
                    CONTENT_RANGE,
                    header(&format!("bytes {start}-{end}/{total}")),
                );
                let part = body.slice(start as usize..=end as usize);
                headers.insert(CONTENT_LENGTH, part.len().into());
                build(
                    StatusCode::PARTIAL_CONTENT,
                    headers,
                    if head { Bytes::new() } else { part },
                )
            }
            Some(Err(())) => {
                headers.insert(CONTENT_RANGE, header(&format!("bytes */{total}")));
                build(StatusCode::RANGE_NOT_SATISFIABLE, headers, Bytes::new())
            }
            // Several ranges, or not bytes: the whole file, as Cloudflare does.
            None => {
                headers.insert(CONTENT_LENGTH, body.len().into());
                build(status, headers, if head { Bytes::new() } else { body })
            }
        };
    }

    let encoding = if compressible && body.len() >= MIN_COMPRESS {
        accepted(request)
    } else {
        None
    };
    let encoded = encoding.and_then(|enc| {
        let slot = match enc {
            Encoding::Brotli => &entry.br,
            Encoding::Gzip => &entry.gzip,
        };
        slot.get_or_init(|| compress(&body, enc).filter(|c| c.len() < body.len()))
            .clone()
            .map(|bytes| (enc, bytes))
    });
    let body = match encoded {
        Some((enc, bytes)) => {
            // Cloudflare weakens a strong ETag when it compresses.
            headers.insert(ETAG, header(&format!("W/{strong}")));
            headers.insert(
                CONTENT_ENCODING,
                HeaderValue::from_static(match enc {
                    Encoding::Brotli => "br",
                    Encoding::Gzip => "gzip",
                }),
            );
            bytes
        }
        None => {
            headers.insert(ETAG, header(&strong));
            if status == StatusCode::OK {
                headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
            }
            body
        }
    };
    headers.insert(CONTENT_LENGTH, body.len().into());
    build(status, headers, if head { Bytes::new() } else { body })
}

fn build(status: StatusCode, headers: HeaderMap, body: Bytes) -> Response<Bytes> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

fn header(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).expect("ASCII header value")
}

/// Text-like types are worth compressing; images, fonts (woff2), archives
/// and media are compressed already.
fn compressible(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.starts_with("text/")
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
        || matches!(
            essence,
            "application/json"
                | "application/javascript"
                | "application/xml"
                | "application/wasm"
                | "image/svg+xml"
                | "image/x-icon"
                | "image/vnd.microsoft.icon"
                | "font/ttf"
                | "font/otf"
                | "application/vnd.ms-fontobject"
        )
}

/// The best encoding the client accepts (br before gzip), honouring `q=0`.
fn accepted(request: &HeaderMap) -> Option<Encoding> {
    let mut br = false;
    let mut gzip = false;
    for value in request.get_all(ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            if refused {
                continue;
            }
            match name.as_str() {
                "br" => br = true,
                "gzip" | "x-gzip" => gzip = true,
                _ => {}
            }
        }
    }
    if br {
        Some(Encoding::Brotli)
    } else if gzip {
        Some(Encoding::Gzip)
    } else {
        None
    }
}

fn compress(body: &[u8], encoding: Encoding) -> Option<Bytes> {
    match encoding {
        Encoding::Gzip => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            encoder.write_all(body).ok()?;
            encoder.finish().ok().map(Bytes::from)
        }
        Encoding::Brotli => {
            let mut out = Vec::new();
            // Quality 11 is slow on large files; they are compressed once,
            // but on a serving thread, so large ones get a faster level.
            let quality = if body.len() <= 1024 * 1024 { 11 } else { 6 };
            let params = brotli::enc::BrotliEncoderParams {
                quality,
                lgwin: 22,
                ..Default::default()
            };
            brotli::BrotliCompress(&mut &body[..], &mut out, &params).ok()?;
            Some(Bytes::from(out))
        }
    }
}

/// One `bytes=` range of a `total`-byte body: `Some(Ok((first, last)))`,
/// `Some(Err(()))` when unsatisfiable, `None` when not a single byte range.
fn parse_range(value: &str, total: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (start, end) = spec.trim().split_once('-')?;
    let (start, end) = (start.trim(), end.trim());
    if start.is_empty() {
        let suffix: u64 = end.parse().ok()?;
        if suffix == 0 || total == 0 {
            return Some(Err(()));
        }
        return Some(Ok((total.saturating_sub(suffix), total - 1)));
    }
    let first: u64 = start.parse().ok()?;
    let last: u64 = if end.is_empty() {
        total.saturating_sub(1)
    } else {
        end.parse::<u64>().ok()?.min(total.saturating_sub(1))
    };
    if first >= total || first > last {
        return Some(Err(()));
    }
    Some(Ok((first, last)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some(Ok((0, 9))));
        assert_eq!(parse_range("bytes=90-", 100), Some(Ok((90, 99))));
        assert_eq!(parse_range("bytes=-10", 100), Some(Ok((90, 99))));
        assert_eq!(parse_range("bytes=50-500", 100), Some(Ok((50, 99))));
        assert_eq!(parse_range("bytes=100-", 100), Some(Err(())));
        assert_eq!(parse_range("bytes=0-1,4-5", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
    }

    #[test]
    fn encodings() {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT_ENCODING, "gzip, deflate, br".parse().unwrap());
        assert!(accepted(&h) == Some(Encoding::Brotli));
        h.insert(ACCEPT_ENCODING, "gzip, br;q=0".parse().unwrap());
        assert!(accepted(&h) == Some(Encoding::Gzip));
        h.insert(ACCEPT_ENCODING, "identity".parse().unwrap());
        assert!(accepted(&h).is_none());
    }
}

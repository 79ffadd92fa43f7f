//! R2's S3-compatible API on the API port, path-style
//! (`http://HOST:PORT/<bucket>/<key>`), over the same buckets as the
//! bindings (`hearth-r2`), authenticated with AWS Signature Version 4 with
//! the access keys given to `hearth dev` (`--r2-access-key-id`,
//! `--r2-secret-access-key`):
//!
//! | operation | request |
//! |---|---|
//! | ListBuckets | `GET /` |
//! | CreateBucket / HeadBucket / DeleteBucket | `PUT` / `HEAD` / `DELETE /<bucket>` |
//! | ListObjectsV2 | `GET /<bucket>?list-type=2` (`prefix`, `delimiter`, `max-keys`, `continuation-token`, `start-after`) |
//! | DeleteObjects | `POST /<bucket>?delete` |
//! | PutObject / GetObject / HeadObject / DeleteObject | `PUT` / `GET` / `HEAD` / `DELETE /<bucket>/<key>` |
//! | CreateMultipartUpload / UploadPart / CompleteMultipartUpload / AbortMultipartUpload | `POST ?uploads`, `PUT ?partNumber&uploadId`, `POST ?uploadId`, `DELETE ?uploadId` |
//!
//! Requests are signed in the `Authorization` header or presigned in the
//! query (`X-Amz-Signature`, `X-Amz-Expires`). Bodies stream in and out;
//! `aws-chunked` uploads (the SDKs' streaming signatures and checksum
//! trailers) are decoded; the chunk signatures are not checked.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use hearth_r2::{
    Bucket, Conditional, Got, HttpMetadata, ListOptions, Object, PutOptions, R2Error, Range,
    Upload, UploadedPart,
};
use hmac::{Hmac, Mac};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The S3 API's state: the state folder, the access keys, the open buckets.
#[derive(Clone)]
pub struct S3 {
    state: PathBuf,
    keys: Arc<HashMap<String, String>>,
    open: Arc<Mutex<HashMap<String, Bucket>>>,
}

impl S3 {
    /// The API over the buckets of `state`, accepting requests signed with
    /// one of `keys` (`(access key id, secret access key)`).
    pub fn new(state: PathBuf, keys: Vec<(String, String)>) -> S3 {
        S3 {
            state,
            keys: Arc::new(keys.into_iter().collect()),
            open: Arc::default(),
        }
    }

    fn bucket(&self, name: &str) -> Result<Bucket, S3Error> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = open.get(name) {
            if exists(&self.state, name) {
                return Ok(b.clone());
            }
            open.remove(name);
        }
        if !exists(&self.state, name) {
            return Err(R2Error::no_such_bucket().into());
        }
        let b = Bucket::open(&self.state, name)?;
        open.insert(name.to_string(), b.clone());
        Ok(b)
    }
}

fn exists(state: &std::path::Path, name: &str) -> bool {
    hearth_r2::buckets_dir(state)
        .join(name)
        .join("meta.sqlite3")
        .is_file()
}

/// Whether a request is meant for the S3 API (signed for it), so the
/// server can route it here instead of the bearer-token API.
pub fn is_s3_request(headers: &HeaderMap, query: Option<&str>) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("AWS4-HMAC-SHA256"))
        || query.is_some_and(|q| q.contains("X-Amz-Signature="))
}

/// The API as an axum [`Router`]: every path, dispatched by method and query.
pub fn router(s3: S3) -> Router {
    Router::new().fallback(handle).with_state(s3)
}

/// An S3 error answer: `<Error><Code>..` with its status.
pub(crate) struct S3Error {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl S3Error {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> S3Error {
        S3Error {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            code,
            message: message.into(),
        }
    }
}

impl From<R2Error> for S3Error {
    fn from(e: R2Error) -> S3Error {
        S3Error::new(e.status, e.s3_code, e.message)
    }
}

impl IntoResponse for S3Error {
    fn into_response(self) -> Response {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message></Error>",
            self.code,
            escape(&self.message)
        );
        (self.status, [("content-type", "application/xml")], body).into_response()
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn xml(body: String) -> Response {
    (
        StatusCode::OK,
        [("content-type", "application/xml")],
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}"),
    )
        .into_response()
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// `name=value` pairs of a query string, decoded (`+` is a space only in forms, not here).
fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), String::new()),
        })
        .collect()
}

/// SigV4's URI encoding: everything but `A-Za-z0-9-_.~` as `%XX`.
fn aws_encode(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn denied(message: &str) -> S3Error {
    S3Error::new(403, "AccessDenied", message)
}

/// Checks the request's SigV4 signature (header or presigned).
fn authenticate(
    s3: &S3,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
) -> Result<(), S3Error> {
    let pairs = query_pairs(query);
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (credential, signed_headers, signature, amz_date, payload) =
        if let Some(signature) = param("X-Amz-Signature") {
            if param("X-Amz-Algorithm").as_deref() != Some("AWS4-HMAC-SHA256") {
                return Err(denied("Only AWS4-HMAC-SHA256 signatures are supported."));
            }
            let date = param("X-Amz-Date").ok_or_else(|| denied("X-Amz-Date is missing."))?;
            let expires: i64 = param("X-Amz-Expires")
                .and_then(|e| e.parse().ok())
                .ok_or_else(|| denied("X-Amz-Expires is missing."))?;
            let signed_at = jiff::Timestamp::strptime("%Y%m%dT%H%M%SZ%z", format!("{date}+0000"))
                .map_err(|_| denied("X-Amz-Date is not a date."))?;
            if jiff::Timestamp::now().as_second() > signed_at.as_second() + expires {
                return Err(S3Error::new(403, "AccessDenied", "Request has expired"));
            }
            (
                param("X-Amz-Credential").unwrap_or_default(),
                param("X-Amz-SignedHeaders").unwrap_or_default(),
                signature,
                date,
                "UNSIGNED-PAYLOAD".to_string(),
            )
        } else {
            let auth = header("authorization").ok_or_else(|| denied("Missing authentication."))?;
            let rest = auth
                .strip_prefix("AWS4-HMAC-SHA256")
                .ok_or_else(|| denied("Only AWS4-HMAC-SHA256 signatures are supported."))?;
            let mut fields = HashMap::new();
            for part in rest.split(',') {
                if let Some((k, v)) = part.trim().split_once('=') {
                    fields.insert(k.trim().to_string(), v.trim().to_string());
                }
            }
            let field = |k: &str| fields.get(k).cloned().unwrap_or_default();
            (
                field("Credential"),
                field("SignedHeaders"),
                field("Signature"),
                header("x-amz-date").ok_or_else(|| denied("X-Amz-Date is missing."))?,
                header("x-amz-content-sha256").unwrap_or_else(|| "UNSIGNED-PAYLOAD".to_string()),
            )
        };
    let mut scope = credential.splitn(2, '/');
    let key_id = scope.next().unwrap_or_default();
    let scope = scope.next().unwrap_or_default();
    let secret = s3.keys.get(key_id).ok_or_else(|| {
        S3Error::new(
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        )
    })?;
    let mut parts = scope.split('/');
    let (date, region) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );

    let mut canonical_query: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k != "X-Amz-Signature")
        .map(|(k, v)| (aws_encode(k), aws_encode(v)))
        .collect();
    canonical_query.sort();
    let canonical_query = canonical_query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let mut canonical_headers = String::new();
    for name in signed_headers.split(';').filter(|n| !n.is_empty()) {
        let values: Vec<String> = headers
            .get_all(name)
            .iter()
            .map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let canonical = format!(
        "{method}\n{path}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{payload}"
    );
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let key = hmac(
        &hmac(
            &hmac(&hmac(format!("AWS4{secret}").as_bytes(), date), region),
            "s3",
        ),
        "aws4_request",
    );
    let expected = hex(&hmac(&key, &to_sign));
    use subtle::ConstantTimeEq;
    if expected.as_bytes().ct_eq(signature.as_bytes()).into() {
        Ok(())
    } else {
        Err(S3Error::new(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your secret access key and signing method.",
        ))
    }
}

async fn handle(State(s3): State<S3>, req: Request) -> Response {
    match dispatch(s3, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn dispatch(s3: S3, req: Request) -> Result<Response, S3Error> {
    let method = req.method().clone();
    let raw_path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    authenticate(&s3, &method, &raw_path, &query, req.headers())?;
    let pairs: BTreeMap<String, String> = query_pairs(&query).into_iter().collect();
    let path = percent_decode(&raw_path);
    let trimmed = path.trim_start_matches('/');
    let (bucket, key) = match trimmed.split_once('/') {
        Some((b, k)) => (b.to_string(), k.to_string()),
        None => (trimmed.to_string(), String::new()),
    };
    if bucket.is_empty() {
        return match method {
            Method::GET => list_buckets(&s3),
            _ => Err(S3Error::new(
                405,
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
            )),
        };
    }
    if key.is_empty() {
        return match method {
            Method::GET if pairs.contains_key("location") => {
                Ok(xml("<LocationConstraint>auto</LocationConstraint>".into()))
            }
            Method::GET => list_objects(&s3, &bucket, &pairs),
            Method::HEAD => s3.bucket(&bucket).map(|_| StatusCode::OK.into_response()),
            Method::PUT => {
                hearth_r2::create_bucket(&s3.state, &bucket)?;
                Ok((StatusCode::OK, [("location", format!("/{bucket}"))]).into_response())
            }
            Method::DELETE => {
                s3.open
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&bucket);
                hearth_r2::delete_bucket(&s3.state, &bucket)?;
                Ok(StatusCode::NO_CONTENT.into_response())
            }
            Method::POST if pairs.contains_key("delete") => delete_objects(&s3, &bucket, req).await,
            _ => Err(S3Error::new(
                405,
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
            )),
        };
    }
    let b = s3.bucket(&bucket)?;
    match method {
        Method::GET | Method::HEAD => get_object(b, &key, req.headers(), method == Method::HEAD),
        Method::PUT if pairs.contains_key("uploadId") => {
            let number: u32 = pairs
                .get("partNumber")
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| S3Error::new(400, "InvalidArgument", "partNumber is missing."))?;
            let upload_id = pairs["uploadId"].clone();
            let upload = receive(b.begin_part()?, req).await?;
            let part = blocking(move || b.upload_part(&key, &upload_id, number, upload)).await?;
            Ok((StatusCode::OK, [("etag", format!("\"{}\"", part.etag))]).into_response())
        }
        Method::PUT => put_object(b, key, req).await,
        Method::DELETE if pairs.contains_key("uploadId") => {
            let upload_id = pairs["uploadId"].clone();
            blocking(move || b.abort_multipart(&key, &upload_id)).await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Method::DELETE => {
            blocking(move || b.delete(&[key])).await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Method::POST if pairs.contains_key("uploads") => {
            let (http, custom) = metadata(req.headers());
            let id = b.create_multipart(&key, &http, &custom)?;
            Ok(xml(format!(
                "<InitiateMultipartUploadResult><Bucket>{}</Bucket><Key>{}</Key><UploadId>{}</UploadId></InitiateMultipartUploadResult>",
                escape(&bucket),
                escape(&key),
                escape(&id)
            )))
        }
        Method::POST if pairs.contains_key("uploadId") => {
            let upload_id = pairs["uploadId"].clone();
            let text = body_text(req).await?;
            let mut parts = Vec::new();
            for part in elements(&text, "Part") {
                let number = elements(&part, "PartNumber")
                    .first()
                    .and_then(|n| n.trim().parse().ok());
                let etag = elements(&part, "ETag")
                    .first()
                    .map(|e| unescape(e).trim_matches('"').to_string());
                match (number, etag) {
                    (Some(part_number), Some(etag)) => {
                        parts.push(UploadedPart { part_number, etag })
                    }
                    _ => {
                        return Err(S3Error::new(
                            400,
                            "MalformedXML",
                            "The XML you provided was not well-formed.",
                        ))
                    }
                }
            }
            let k = key.clone();
            let object = blocking(move || b.complete_multipart(&k, &upload_id, &parts)).await?;
            Ok(xml(format!(
                "<CompleteMultipartUploadResult><Bucket>{}</Bucket><Key>{}</Key><ETag>\"{}\"</ETag></CompleteMultipartUploadResult>",
                escape(&bucket),
                escape(&key),
                object.etag
            )))
        }
        _ => Err(S3Error::new(
            405,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        )),
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, R2Error> + Send + 'static,
) -> Result<T, S3Error> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| S3Error::from(R2Error::internal(e)))?
        .map_err(S3Error::from)
}

/// The contents of each `<name>...</name>` element of `xml`.
fn elements(xml: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(after[..end].to_string());
        rest = &after[end + close.len()..];
    }
    out
}

async fn body_text(req: Request) -> Result<String, S3Error> {
    let bytes = axum::body::to_bytes(req.into_body(), 16 * 1024 * 1024)
        .await
        .map_err(|e| S3Error::new(400, "IncompleteBody", e.to_string()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn list_buckets(s3: &S3) -> Result<Response, S3Error> {
    let mut out = String::from("<ListAllMyBucketsResult><Owner><ID>hearth</ID><DisplayName>hearth</DisplayName></Owner><Buckets>");
    for name in hearth_r2::list_buckets(&s3.state)? {
        let created = std::fs::metadata(hearth_r2::buckets_dir(&s3.state).join(&name))
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| jiff::Timestamp::try_from(t).ok())
            .unwrap_or_else(jiff::Timestamp::now);
        out.push_str(&format!(
            "<Bucket><Name>{}</Name><CreationDate>{}</CreationDate></Bucket>",
            escape(&name),
            iso(created.as_millisecond())
        ));
    }
    out.push_str("</Buckets></ListAllMyBucketsResult>");
    Ok(xml(out))
}

fn iso(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .unwrap_or_default()
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn http_date(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .unwrap_or_default()
        .strftime("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

fn list_objects(s3: &S3, bucket: &str, q: &BTreeMap<String, String>) -> Result<Response, S3Error> {
    let b = s3.bucket(bucket)?;
    let limit = match q.get("max-keys") {
        Some(n) => Some(
            n.parse::<usize>()
                .map_err(|_| S3Error::from(R2Error::invalid_max_keys()))?
                .clamp(1, 1000),
        ),
        None => None,
    };
    let listing = b.list(&ListOptions {
        limit,
        prefix: q.get("prefix").cloned(),
        cursor: q.get("continuation-token").cloned(),
        delimiter: q.get("delimiter").cloned(),
        start_after: q.get("start-after").cloned(),
    })?;
    let mut out = format!(
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>{}</Name><Prefix>{}</Prefix><KeyCount>{}</KeyCount><MaxKeys>{}</MaxKeys><IsTruncated>{}</IsTruncated>",
        escape(bucket),
        escape(q.get("prefix").map_or("", String::as_str)),
        listing.objects.len() + listing.delimited_prefixes.len(),
        limit.unwrap_or(1000),
        listing.truncated
    );
    if let Some(d) = q.get("delimiter") {
        out.push_str(&format!("<Delimiter>{}</Delimiter>", escape(d)));
    }
    if let Some(t) = q.get("continuation-token") {
        out.push_str(&format!(
            "<ContinuationToken>{}</ContinuationToken>",
            escape(t)
        ));
    }
    if let Some(c) = &listing.cursor {
        out.push_str(&format!(
            "<NextContinuationToken>{}</NextContinuationToken>",
            escape(c)
        ));
    }
    for o in &listing.objects {
        out.push_str(&format!(
            "<Contents><Key>{}</Key><LastModified>{}</LastModified><ETag>\"{}\"</ETag><Size>{}</Size><StorageClass>STANDARD</StorageClass></Contents>",
            escape(&o.key),
            iso(o.uploaded),
            o.etag,
            o.size
        ));
    }
    for p in &listing.delimited_prefixes {
        out.push_str(&format!(
            "<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>",
            escape(p)
        ));
    }
    out.push_str("</ListBucketResult>");
    Ok(xml(out))
}

async fn delete_objects(s3: &S3, bucket: &str, req: Request) -> Result<Response, S3Error> {
    let b = s3.bucket(bucket)?;
    let text = body_text(req).await?;
    let quiet = elements(&text, "Quiet")
        .first()
        .is_some_and(|q| q.trim() == "true");
    let keys: Vec<String> = elements(&text, "Object")
        .iter()
        .filter_map(|o| elements(o, "Key").first().map(|k| unescape(k)))
        .collect();
    let deleted = keys.clone();
    blocking(move || b.delete(&keys)).await?;
    let mut out = String::from("<DeleteResult>");
    if !quiet {
        for k in deleted {
            out.push_str(&format!("<Deleted><Key>{}</Key></Deleted>", escape(&k)));
        }
    }
    out.push_str("</DeleteResult>");
    Ok(xml(out))
}

/// `httpMetadata` and `customMetadata` from S3's request headers.
fn metadata(headers: &HeaderMap) -> (HttpMetadata, BTreeMap<String, String>) {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let http = HttpMetadata {
        content_type: text("content-type"),
        content_language: text("content-language"),
        content_disposition: text("content-disposition"),
        content_encoding: text("content-encoding")
            .filter(|e| e != "aws-chunked")
            .map(|e| {
                e.split(',')
                    .map(str::trim)
                    .filter(|p| *p != "aws-chunked")
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .filter(|e| !e.is_empty()),
        cache_control: text("cache-control"),
        cache_expiry: text("expires")
            .and_then(|e| jiff::fmt::rfc2822::parse(&e).ok())
            .map(|z| z.timestamp().as_millisecond() as f64),
    };
    let mut custom = BTreeMap::new();
    for (name, value) in headers {
        if let Some(k) = name.as_str().strip_prefix("x-amz-meta-") {
            custom.insert(
                k.to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            );
        }
    }
    (http, custom)
}

/// Decodes an `aws-chunked` body: `<hex size>[;ext]\r\n<data>\r\n` ...
/// then a zero-size chunk and optional trailers.
#[derive(Default)]
struct Dechunk {
    buf: Vec<u8>,
    left: usize,
    /// CRLF after a chunk's data still to skip.
    crlf: bool,
    done: bool,
}

impl Dechunk {
    fn feed(&mut self, mut data: &[u8], out: &mut Upload) -> Result<(), S3Error> {
        let bad = || S3Error::new(400, "IncompleteBody", "The aws-chunked body is malformed.");
        while !data.is_empty() && !self.done {
            if self.left > 0 {
                let n = self.left.min(data.len());
                out.write(&data[..n])?;
                self.left -= n;
                data = &data[n..];
                if self.left == 0 {
                    self.crlf = true;
                }
                continue;
            }
            self.buf.extend_from_slice(data);
            if self.crlf {
                if self.buf.len() < 2 {
                    break;
                }
                self.buf.drain(..2);
                self.crlf = false;
            }
            let Some(end) = self.buf.windows(2).position(|w| w == b"\r\n") else {
                break;
            };
            let line = String::from_utf8_lossy(&self.buf[..end]).into_owned();
            let size_text = line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_text, 16).map_err(|_| bad())?;
            let rest = self.buf.split_off(end + 2);
            self.buf.clear();
            if size == 0 {
                self.done = true;
                break;
            }
            self.left = size;
            // What followed the size line is data: feed it again.
            return self.feed(&rest, out);
        }
        Ok(())
    }
}

/// Streams a request body into an upload (decoding `aws-chunked`).
async fn receive(mut upload: Upload, req: Request) -> Result<Upload, S3Error> {
    let chunked = req
        .headers()
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("STREAMING-"))
        || req
            .headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("aws-chunked"));
    let mut body = req.into_body();
    let mut dechunk = Dechunk::default();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| S3Error::new(400, "IncompleteBody", e.to_string()))?;
        if let Ok(data) = frame.into_data() {
            if chunked {
                dechunk.feed(&data, &mut upload)?;
            } else {
                upload.write(&data)?;
            }
        }
    }
    Ok(upload)
}

async fn put_object(b: Bucket, key: String, req: Request) -> Result<Response, S3Error> {
    let (http_metadata, custom_metadata) = metadata(req.headers());
    let mut checksums = BTreeMap::new();
    if let Some(md5) = req
        .headers()
        .get("content-md5")
        .and_then(|v| v.to_str().ok())
    {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(md5)
            .map_err(|_| {
                S3Error::new(
                    400,
                    "InvalidDigest",
                    "The Content-MD5 you specified was invalid.",
                )
            })?;
        checksums.insert("md5".to_string(), hex(&bytes));
    }
    let only_if = conditions(req.headers());
    let upload = receive(b.begin_put(&[])?, req).await?;
    let object = blocking(move || {
        b.put(
            &key,
            upload,
            PutOptions {
                http_metadata,
                custom_metadata,
                only_if,
                checksums,
            },
        )
    })
    .await?
    .ok_or_else(|| S3Error::from(R2Error::precondition_failed()))?;
    Ok((StatusCode::OK, [("etag", format!("\"{}\"", object.etag))]).into_response())
}

/// `If-Match` and friends as an R2 condition.
fn conditions(headers: &HeaderMap) -> Option<Conditional> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let list = |v: String| -> Vec<String> {
        v.split(',')
            .map(|e| {
                e.trim()
                    .trim_start_matches("W/")
                    .trim_matches('"')
                    .to_string()
            })
            .collect()
    };
    let date = |v: String| {
        jiff::fmt::rfc2822::parse(&v)
            .ok()
            .map(|z| z.timestamp().as_millisecond() as f64)
    };
    let c = Conditional {
        etag_matches: text("if-match").map(list),
        etag_does_not_match: text("if-none-match").map(list),
        uploaded_before: text("if-unmodified-since").and_then(date),
        uploaded_after: text("if-modified-since").and_then(date),
        seconds_granularity: true,
    };
    (c.etag_matches.is_some()
        || c.etag_does_not_match.is_some()
        || c.uploaded_before.is_some()
        || c.uploaded_after.is_some())
    .then_some(c)
}

fn object_headers(o: &Object) -> Vec<(String, String)> {
    let mut h = vec![
        ("etag".to_string(), format!("\"{}\"", o.etag)),
        ("last-modified".to_string(), http_date(o.uploaded)),
        ("accept-ranges".to_string(), "bytes".to_string()),
    ];
    let m = &o.http_metadata;
    for (name, value) in [
        ("content-type", &m.content_type),
        ("content-language", &m.content_language),
        ("content-disposition", &m.content_disposition),
        ("content-encoding", &m.content_encoding),
        ("cache-control", &m.cache_control),
    ] {
        if let Some(v) = value {
            h.push((name.to_string(), v.clone()));
        }
    }
    if let Some(e) = m.cache_expiry {
        h.push(("expires".to_string(), http_date(e as i64)));
    }
    for (k, v) in &o.custom_metadata {
        h.push((format!("x-amz-meta-{k}"), v.clone()));
    }
    h
}

fn with_headers(mut response: Response, headers: Vec<(String, String)>) -> Response {
    for (k, v) in headers {
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::from_bytes(k.as_bytes()),
            axum::http::HeaderValue::from_str(&v),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

fn get_object(b: Bucket, key: &str, headers: &HeaderMap, head: bool) -> Result<Response, S3Error> {
    let range = match headers.get("range").and_then(|v| v.to_str().ok()) {
        None => None,
        Some(r) => {
            let spec = r
                .trim()
                .strip_prefix("bytes=")
                .ok_or_else(|| S3Error::from(R2Error::invalid_range()))?;
            let (start, end) = spec
                .split_once('-')
                .ok_or_else(|| S3Error::from(R2Error::invalid_range()))?;
            Some(match (start.parse::<u64>().ok(), end.parse::<u64>().ok()) {
                (None, Some(n)) => Range::Suffix(n),
                (Some(s), None) => Range::Span {
                    offset: Some(s),
                    length: None,
                },
                (Some(s), Some(e)) if e >= s => Range::Span {
                    offset: Some(s),
                    length: Some(e - s + 1),
                },
                _ => return Err(R2Error::invalid_range().into()),
            })
        }
    };
    let cond = conditions(headers);
    match b.get(key, cond.as_ref(), range)? {
        None => Err(R2Error::no_such_key().into()),
        Some(Got::Failed(o)) => {
            // If-None-Match / If-Modified-Since failing is "not modified".
            let status = if headers.contains_key("if-none-match")
                || headers.contains_key("if-modified-since")
            {
                StatusCode::NOT_MODIFIED
            } else {
                return Err(R2Error::precondition_failed().into());
            };
            Ok(with_headers(status.into_response(), object_headers(&o)))
        }
        Some(Got::Body {
            object,
            file,
            offset,
            length,
        }) => {
            let mut h = object_headers(&object);
            h.push(("content-length".to_string(), length.to_string()));
            let status = if range.is_some() {
                h.push((
                    "content-range".to_string(),
                    format!(
                        "bytes {offset}-{}/{}",
                        (offset + length).saturating_sub(1),
                        object.size
                    ),
                ));
                StatusCode::PARTIAL_CONTENT
            } else {
                StatusCode::OK
            };
            let body = if head {
                Body::empty()
            } else {
                file_body(file, offset, length)
            };
            let mut response = Response::new(body);
            *response.status_mut() = status;
            Ok(with_headers(response, h))
        }
    }
}

/// `length` bytes of `file` from `offset`, read in chunks on the blocking pool.
fn file_body(file: std::fs::File, offset: u64, length: u64) -> Body {
    const CHUNK: u64 = 256 * 1024;
    let file = tokio::fs::File::from_std(file);
    let chunks = futures::stream::unfold(
        (file, offset, length, false),
        |(mut file, offset, left, seeked)| async move {
            use tokio::io::{AsyncReadExt, AsyncSeekExt};
            if left == 0 {
                return None;
            }
            if !seeked {
                if let Err(e) = file.seek(std::io::SeekFrom::Start(offset)).await {
                    return Some((Err(e), (file, offset, 0, true)));
                }
            }
            let mut buf = vec![0; left.min(CHUNK) as usize];
            match file.read_exact(&mut buf).await {
                Ok(_) => {
                    let n = buf.len() as u64;
                    Some((Ok(bytes::Bytes::from(buf)), (file, offset, left - n, true)))
                }
                Err(e) => Some((Err(e), (file, offset, 0, true))),
            }
        },
    );
    Body::from_stream(chunks)
}

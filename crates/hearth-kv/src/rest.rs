//! The Cloudflare API v4 compatible KV REST endpoints, so existing scripts and
//! clients work against hearth by changing the base URL.
//!
//! Routes, under `/client/v4/accounts/:account_id/storage/kv/namespaces` (the
//! `/client/v4` prefix is optional; any account id is accepted):
//!
//! | method | path | action |
//! |---|---|---|
//! | GET | `` | list namespaces (`page`, `per_page`, `result_info`) |
//! | POST | `` | create a namespace `{"title"}` |
//! | GET | `/:id` | get a namespace |
//! | PUT | `/:id` | rename a namespace `{"title"}` |
//! | DELETE | `/:id` | delete a namespace |
//! | GET | `/:id/keys?prefix=&limit=&cursor=` | list keys (`result_info {count, cursor}`) |
//! | GET | `/:id/values/:key` | read a value (raw bytes) |
//! | PUT | `/:id/values/:key?expiration=&expiration_ttl=` | write a value (raw body, or multipart `value` + `metadata`) |
//! | DELETE | `/:id/values/:key` | delete a key |
//! | GET | `/:id/metadata/:key` | read a key's metadata |
//! | PUT | `/:id/bulk` | bulk write (≤ 10,000 pairs, < 100 MB) |
//! | DELETE | `/:id/bulk`, POST `/:id/bulk/delete` | bulk delete |
//! | POST | `/:id/bulk/get` | bulk read `{"keys", "type"?, "withMetadata"?}` |
//!
//! Every request needs `Authorization: Bearer <token>`: a missing token gets 401,
//! a wrong one 403 (code 10000, "Authentication error"), before anything is read
//! or written. JSON responses use the `{success, errors, messages, result}` envelope.

use std::convert::Infallible;
use std::sync::Arc;

use base64::Engine;
use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};

use crate::error::{KvError, KvOp};
use crate::limits::{self, MAX_BULK_REQUEST_BYTES, MAX_METADATA_BYTES, MAX_VALUE_BYTES};
use crate::{bulk, KvStore, ListOptions, Namespace, PutOptions};

type Body = Full<Bytes>;

/// Serves the REST API on `listener` until the task is dropped. Each connection
/// runs on its own tokio task; requests must carry `Authorization: Bearer <token>`.
pub async fn serve(store: KvStore, listener: tokio::net::TcpListener, token: String) {
    let token = Arc::new(token);
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(_) => {
                // Out of file descriptors or similar: back off instead of spinning.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let store = store.clone();
        let token = token.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let store = store.clone();
                let token = token.clone();
                async move { Ok::<_, Infallible>(handle(&store, &token, req).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

/// Handles one request (exposed for embedding the API in another hyper service).
pub async fn handle(store: &KvStore, token: &str, req: Request<Incoming>) -> Response<Body> {
    if let Some(resp) = check_auth(token, &req) {
        return resp;
    }
    match route(store, req).await {
        Ok(resp) => resp,
        Err(e) => error_response(&e),
    }
}

fn check_auth<B>(token: &str, req: &Request<B>) -> Option<Response<Body>> {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    match given {
        None => Some(envelope_error(
            StatusCode::UNAUTHORIZED,
            10000,
            "Authentication error",
        )),
        Some(t) if !constant_time_eq(t.as_bytes(), token.as_bytes()) => Some(envelope_error(
            StatusCode::FORBIDDEN,
            10000,
            "Authentication error",
        )),
        Some(_) => None,
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn json_response(status: StatusCode, v: Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(v.to_string())))
        .expect("valid response")
}

fn ok(result: Value) -> Response<Body> {
    json_response(
        StatusCode::OK,
        json!({"success": true, "errors": [], "messages": [], "result": result}),
    )
}

fn ok_with_info(result: Value, info: Value) -> Response<Body> {
    json_response(
        StatusCode::OK,
        json!({"success": true, "errors": [], "messages": [], "result": result, "result_info": info}),
    )
}

fn envelope_error(status: StatusCode, code: u32, message: &str) -> Response<Body> {
    json_response(
        status,
        json!({"success": false, "errors": [{"code": code, "message": message}], "messages": [], "result": null}),
    )
}

fn error_response(e: &KvError) -> Response<Body> {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = match e {
        // Cloudflare's exact wording, which scripts match on.
        KvError::KeyNotFound { .. } => "get: 'key not found'".to_string(),
        _ => e.to_string(),
    };
    envelope_error(status, e.code(), &message)
}

fn not_found() -> KvError {
    KvError::BadRequest("No route for that URI".into())
}

fn ns_json(ns: &Namespace) -> Value {
    json!({"id": ns.id, "title": ns.title, "supports_url_encoding": true})
}

async fn route(store: &KvStore, req: Request<Incoming>) -> Result<Response<Body>, KvError> {
    let path = req.uri().path().to_string();
    let query = parse_query(req.uri().query().unwrap_or(""))?;
    let p = path.strip_prefix("/client/v4").unwrap_or(&path);
    // /accounts/:account_id/storage/kv/namespaces[/...]
    let rest = p
        .strip_prefix("/accounts/")
        .and_then(|r| r.split_once('/'))
        .and_then(|(_acct, r)| r.strip_prefix("storage/kv/namespaces"));
    let rest = match rest {
        Some(r) if r.is_empty() || r.starts_with('/') => r.trim_start_matches('/'),
        _ => return Ok(error_404()),
    };
    let method = req.method().clone();
    if rest.is_empty() {
        return match method {
            Method::GET => list_namespaces(store, &query),
            Method::POST => {
                let body = read_body(req, 1 << 20, KvOp::Put).await?;
                let title = title_from(&body)?;
                Ok(ok(ns_json(&store.create_namespace(&title)?)))
            }
            _ => Ok(error_405()),
        };
    }
    let (id_raw, sub) = match rest.split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (rest, None),
    };
    let id = percent_decode(id_raw, false)?;
    match (sub, method) {
        (None, Method::GET) => match store.namespace(&id)? {
            Some(ns) => Ok(ok(ns_json(&ns))),
            None => Err(KvError::NamespaceNotFound { id }),
        },
        (None, Method::PUT) => {
            let body = read_body(req, 1 << 20, KvOp::Put).await?;
            let title = title_from(&body)?;
            Ok(ok(ns_json(&store.rename_namespace(&id, &title)?)))
        }
        (None, Method::DELETE) => {
            store.delete_namespace(&id)?;
            Ok(ok(json!({})))
        }
        (Some("keys"), Method::GET) => list_keys(store, &id, &query),
        (Some("bulk"), Method::PUT) => {
            let body = read_body(req, MAX_BULK_REQUEST_BYTES - 1, KvOp::Put).await?;
            let pairs = bulk::parse_bulk_put(&body)?;
            let n = pairs.len();
            store.bulk_put(&id, pairs).await?;
            Ok(ok(
                json!({"successful_key_count": n, "unsuccessful_keys": []}),
            ))
        }
        (Some("bulk"), Method::DELETE) | (Some("bulk/delete"), Method::POST) => {
            let body = read_body(req, MAX_BULK_REQUEST_BYTES - 1, KvOp::Delete).await?;
            let keys = bulk::parse_bulk_delete(&body)?;
            let n = keys.len();
            store.bulk_delete(&id, keys).await?;
            Ok(ok(
                json!({"successful_key_count": n, "unsuccessful_keys": []}),
            ))
        }
        (Some("bulk/get"), Method::POST) => {
            let body = read_body(req, 1 << 20, KvOp::Get).await?;
            bulk_get(store, &id, &body)
        }
        (Some(s), m) if s.starts_with("values/") => {
            let key = percent_decode(&s["values/".len()..], false)?;
            match m {
                Method::GET => match store.get(&id, &key)? {
                    Some(entry) => {
                        let mut b = Response::builder()
                            .status(StatusCode::OK)
                            .header(header::CONTENT_TYPE, "application/octet-stream");
                        if let Some(exp) = entry.expiration {
                            b = b.header("expiration", exp.to_string());
                        }
                        Ok(b.body(Full::new(Bytes::from(entry.value)))
                            .expect("valid response"))
                    }
                    None => Err(missing(store, &id, key)?),
                },
                Method::PUT => put_value(store, &id, &key, &query, req).await,
                Method::DELETE => {
                    store.delete(&id, &key).await?;
                    Ok(ok(json!({})))
                }
                _ => Ok(error_405()),
            }
        }
        (Some(s), Method::GET) if s.starts_with("metadata/") => {
            let key = percent_decode(&s["metadata/".len()..], false)?;
            match store.get_info(&id, &key)? {
                Some(info) => Ok(ok(info
                    .metadata
                    .as_deref()
                    .and_then(|m| serde_json::from_str(m).ok())
                    .unwrap_or(Value::Null))),
                None => Err(missing(store, &id, key)?),
            }
        }
        (Some("keys" | "bulk" | "bulk/delete" | "bulk/get"), _) | (None, _) => Ok(error_405()),
        _ => Ok(error_404()),
    }
}

fn error_404() -> Response<Body> {
    let e = not_found();
    envelope_error(StatusCode::NOT_FOUND, 10025, &e.to_string())
}

fn error_405() -> Response<Body> {
    envelope_error(
        StatusCode::METHOD_NOT_ALLOWED,
        10025,
        "Method not allowed for this endpoint",
    )
}

/// The error for a key that is not there: namespace-not-found if the namespace is
/// missing, else key-not-found.
fn missing(store: &KvStore, id: &str, key: String) -> Result<KvError, KvError> {
    Ok(if store.namespace(id)?.is_none() {
        KvError::NamespaceNotFound { id: id.to_string() }
    } else {
        KvError::KeyNotFound { key }
    })
}

fn title_from(body: &[u8]) -> Result<String, KvError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| KvError::BadRequest(format!("request body is not valid JSON: {e}")))?;
    match v.get("title").and_then(Value::as_str) {
        Some(t) if !t.trim().is_empty() => Ok(t.to_string()),
        _ => Err(KvError::InvalidNamespace {
            what: "title",
            value: String::new(),
            reason: "the body must be {\"title\": \"...\"} with a non-empty title",
        }),
    }
}

fn qget<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn qint(q: &[(String, String)], name: &str) -> Result<Option<i64>, KvError> {
    match qget(q, name) {
        None | Some("") => Ok(None),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .or_else(|_| v.trim().parse::<f64>().map(|f| f as i64))
            .map(Some)
            .map_err(|_| {
                KvError::BadRequest(format!("Invalid {name} of {v}: expected an integer"))
            }),
    }
}

fn list_namespaces(store: &KvStore, q: &[(String, String)]) -> Result<Response<Body>, KvError> {
    let page = qint(q, "page")?.unwrap_or(1);
    let per_page = qint(q, "per_page")?.unwrap_or(20);
    if page < 1 {
        return Err(KvError::BadRequest(format!(
            "Invalid page of {page}: pages start at 1"
        )));
    }
    if !(1..=1000).contains(&per_page) {
        return Err(KvError::BadRequest(format!(
            "Invalid per_page of {per_page}: specify 1 to 1000"
        )));
    }
    let all = store.list_namespaces()?;
    let total = all.len() as i64;
    let items: Vec<Value> = all
        .iter()
        .skip(((page - 1) * per_page) as usize)
        .take(per_page as usize)
        .map(ns_json)
        .collect();
    let info = json!({
        "page": page,
        "per_page": per_page,
        "count": items.len(),
        "total_count": total,
        "total_pages": (total + per_page - 1) / per_page,
    });
    Ok(ok_with_info(Value::Array(items), info))
}

fn list_keys(store: &KvStore, id: &str, q: &[(String, String)]) -> Result<Response<Body>, KvError> {
    let limit = match qget(q, "limit") {
        None | Some("") => None,
        Some(v) => Some(
            v.trim()
                .parse::<i64>()
                .map_err(|_| KvError::InvalidListLimit { limit: -1 })?,
        ),
    };
    let opts = ListOptions {
        prefix: qget(q, "prefix")
            .filter(|p| !p.is_empty())
            .map(str::to_string),
        limit,
        cursor: qget(q, "cursor").map(str::to_string),
    };
    let page = store.list(id, &opts)?;
    let keys: Vec<Value> = page.keys.iter().map(|k| k.to_json()).collect();
    let info = json!({"count": keys.len(), "cursor": page.cursor.unwrap_or_default()});
    Ok(ok_with_info(Value::Array(keys), info))
}

fn bulk_get(store: &KvStore, id: &str, body: &[u8]) -> Result<Response<Body>, KvError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| KvError::BadRequest(format!("request body is not valid JSON: {e}")))?;
    let keys: Vec<String> = v
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| KvError::BadRequest("the body must be {\"keys\": [...]}".into()))?
        .iter()
        .map(|k| {
            k.as_str()
                .map(str::to_string)
                .ok_or_else(|| KvError::BadRequest("keys must be strings".into()))
        })
        .collect::<Result<_, _>>()?;
    let as_json = v.get("type").and_then(Value::as_str) == Some("json");
    let with_meta = v
        .get("withMetadata")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if store.namespace(id)?.is_none() {
        return Err(KvError::NamespaceNotFound { id: id.to_string() });
    }
    let entries = store.get_many(id, &keys)?;
    let mut values = serde_json::Map::new();
    for (k, e) in keys.iter().zip(entries) {
        let val = match e {
            None => Value::Null,
            Some(e) => {
                let text = String::from_utf8_lossy(&e.value).into_owned();
                let value = if as_json {
                    serde_json::from_str(&text).map_err(|err| {
                        KvError::BadRequest(format!("value of \"{k}\" is not valid JSON: {err}"))
                    })?
                } else {
                    Value::String(text)
                };
                if with_meta {
                    let meta = e
                        .metadata
                        .as_deref()
                        .and_then(|m| serde_json::from_str(m).ok())
                        .unwrap_or(Value::Null);
                    json!({"value": value, "metadata": meta, "expiration": e.expiration})
                } else {
                    value
                }
            }
        };
        values.insert(k.clone(), val);
    }
    Ok(ok(json!({"values": values})))
}

async fn put_value(
    store: &KvStore,
    id: &str,
    key: &str,
    q: &[(String, String)],
    req: Request<Incoming>,
) -> Result<Response<Body>, KvError> {
    // Validate what we can before reading the body.
    limits::validate_key(KvOp::Put, key)?;
    let expiration = qint(q, "expiration")?;
    let expiration_ttl = qint(q, "expiration_ttl")?;
    limits::resolve_expiration(expiration, expiration_ttl, store.now())?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let multipart = content_type
        .to_ascii_lowercase()
        .starts_with("multipart/form-data");
    let max = if multipart {
        MAX_VALUE_BYTES + MAX_METADATA_BYTES + 64 * 1024
    } else {
        MAX_VALUE_BYTES
    };
    let body = read_body(req, max, KvOp::Put).await?;
    let (value, metadata) = if multipart {
        let mut value = None;
        let mut metadata = None;
        for (name, data) in parse_multipart(&content_type, &body)? {
            match name.as_str() {
                "value" => value = Some(data),
                "metadata" => {
                    let text = String::from_utf8(data).map_err(|_| KvError::InvalidMetadata {
                        reason: "metadata is not UTF-8".into(),
                    })?;
                    if !text.trim().is_empty() {
                        metadata = Some(text);
                    }
                }
                _ => {}
            }
        }
        let value = value
            .ok_or_else(|| KvError::BadRequest("multipart body has no \"value\" field".into()))?;
        (value, metadata)
    } else {
        (body.to_vec(), None)
    };
    store
        .put(
            id,
            key,
            value,
            PutOptions {
                expiration,
                expiration_ttl,
                metadata,
            },
        )
        .await?;
    Ok(ok(json!({})))
}

async fn read_body(req: Request<Incoming>, max: usize, op: KvOp) -> Result<Bytes, KvError> {
    let too_large = |len: usize| {
        if max >= MAX_BULK_REQUEST_BYTES - 1 {
            KvError::BulkTooLarge { op, len }
        } else if max >= MAX_VALUE_BYTES {
            KvError::ValueTooLarge { len }
        } else {
            KvError::BadRequest(format!(
                "413 request body of {len} bytes is larger than the {max} bytes this endpoint accepts"
            ))
        }
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(len) = declared {
        if len > max {
            return Err(too_large(len));
        }
    }
    match Limited::new(req.into_body(), max).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                Err(too_large(max + 1))
            } else {
                Err(KvError::BadRequest(format!(
                    "could not read the request body: {e}"
                )))
            }
        }
    }
}

/// Decodes `%XX` escapes (and `+` as space when `plus` is true) into UTF-8 text.
fn percent_decode(s: &str, plus: bool) -> Result<String, KvError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' if plus => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out)
        .map_err(|_| KvError::BadRequest(format!("\"{s}\" does not decode to UTF-8 text")))
}

fn parse_query(q: &str) -> Result<Vec<(String, String)>, KvError> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Ok((percent_decode(k, true)?, percent_decode(v, true)?))
        })
        .collect()
}

/// A minimal `multipart/form-data` parser: returns `(field name, bytes)` pairs.
fn parse_multipart(content_type: &str, body: &[u8]) -> Result<Vec<(String, Vec<u8>)>, KvError> {
    let bad = |m: &str| KvError::BadRequest(format!("malformed multipart body: {m}"));
    let boundary = content_type
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
        .ok_or_else(|| bad("no boundary in Content-Type"))?;
    let delim = format!("--{boundary}").into_bytes();
    let next_delim = format!("\r\n--{boundary}").into_bytes();
    let mut pos =
        find(body, &delim, 0).ok_or_else(|| bad("opening boundary not found"))? + delim.len();
    let mut out = Vec::new();
    loop {
        if body[pos..].starts_with(b"--") {
            break;
        }
        if body[pos..].starts_with(b"\r\n") {
            pos += 2;
        }
        let hdr_end =
            find(body, b"\r\n\r\n", pos).ok_or_else(|| bad("part headers not terminated"))?;
        let headers = String::from_utf8_lossy(&body[pos..hdr_end]).into_owned();
        let start = hdr_end + 4;
        let end =
            find(body, &next_delim, start).ok_or_else(|| bad("closing boundary not found"))?;
        let name = headers
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))
            .and_then(|l| {
                l.split(';').map(str::trim).find_map(|p| {
                    p.strip_prefix("name=")
                        .map(|n| n.trim_matches('"').to_string())
                })
            })
            .unwrap_or_default();
        out.push((name, body[start..end].to_vec()));
        pos = end + next_delim.len();
        if pos >= body.len() {
            break;
        }
    }
    Ok(out)
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Base64 helper for clients of this module's tests and tools.
#[doc(hidden)]
pub fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(percent_decode("a%2Fb%20c", false).unwrap(), "a/b c");
        assert_eq!(percent_decode("a+b", true).unwrap(), "a b");
        assert_eq!(percent_decode("a+b", false).unwrap(), "a+b");
        assert_eq!(percent_decode("100%", false).unwrap(), "100%");
        assert_eq!(percent_decode("%e2%82%ac", false).unwrap(), "€");
    }

    #[test]
    fn multipart() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"value\"\r\n\r\nhello\r\nworld\r\n--XyZ\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{\"a\":1}\r\n--XyZ--\r\n";
        let parts = parse_multipart("multipart/form-data; boundary=XyZ", body).unwrap();
        assert_eq!(parts[0], ("value".to_string(), b"hello\r\nworld".to_vec()));
        assert_eq!(parts[1], ("metadata".to_string(), b"{\"a\":1}".to_vec()));
    }
}

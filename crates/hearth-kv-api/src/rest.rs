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

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use bytes::Bytes;
use hearth_kv::limits::{self, MAX_BULK_REQUEST_BYTES, MAX_METADATA_BYTES, MAX_VALUE_BYTES};
use hearth_kv::{KvError, KvOp, KvStore, ListOptions, Namespace, PutOptions};
use http_body_util::{BodyExt, Limited};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::bulk;
use crate::d1::D1Databases;

/// The largest multipart `PUT .../values/:key` body: the value, its metadata
/// and room for the part headers and boundaries.
const MAX_MULTIPART_BYTES: usize = MAX_VALUE_BYTES + MAX_METADATA_BYTES + 64 * 1024;

/// The largest JSON body of the namespace and bulk-get endpoints.
const MAX_JSON_BYTES: usize = 1 << 20;

/// Serves the REST API on `listener` until the task is dropped. Requests must
/// carry `Authorization: Bearer <token>`.
pub async fn serve(store: KvStore, listener: tokio::net::TcpListener, token: String) {
    serve_with_d1(store, D1Databases::default(), listener, token).await
}

/// [`serve`], with D1's endpoints (see [`crate::d1`]) for `d1`.
pub async fn serve_with_d1(
    store: KvStore,
    d1: D1Databases,
    listener: tokio::net::TcpListener,
    token: String,
) {
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    // `serve` only returns on a listener error it cannot recover from.
    if let Err(e) = axum::serve(listener, router_with_d1(store, d1, token)).await {
        tracing::error!("the KV REST API stopped: {e}");
    }
}

/// [`serve_with_d1`], with R2's S3-compatible API (see [`crate::s3`]) when
/// `s3` is given: requests signed for S3 go there, the rest to the
/// bearer-token API.
pub async fn serve_with_s3(
    store: KvStore,
    d1: D1Databases,
    s3: Option<crate::s3::S3>,
    listener: tokio::net::TcpListener,
    token: String,
) {
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    let mut app = router_with_d1(store, d1, token);
    if let Some(s3) = s3 {
        let s3 = crate::s3::router(s3);
        app = app.layer(middleware::from_fn(move |req: Request, next: Next| {
            let mut s3 = s3.clone();
            async move {
                if crate::s3::is_s3_request(req.headers(), req.uri().query()) {
                    use tower_service::Service;
                    match s3.call(req).await {
                        Ok(response) => response,
                        Err(never) => match never {},
                    }
                } else {
                    next.run(req).await
                }
            }
        }));
    }
    if let Err(e) = axum::serve(listener, app).await {
        tracing::error!("the REST API stopped: {e}");
    }
}

/// The REST API as an axum [`Router`], to mount in another server.
pub fn router(store: KvStore, token: String) -> Router {
    router_with_d1(store, D1Databases::default(), token)
}

/// [`router`] with D1's endpoints for `d1`.
pub fn router_with_d1(store: KvStore, d1: D1Databases, token: String) -> Router {
    let api = Api {
        store,
        token: Arc::from(token),
    };
    let mut routes = Router::new();
    for base in [
        "/client/v4/accounts/{account}/storage/kv/namespaces",
        "/accounts/{account}/storage/kv/namespaces",
    ] {
        routes = routes
            .route(base, get(list_namespaces).post(create_namespace))
            .route(
                &format!("{base}/{{id}}"),
                get(get_namespace)
                    .put(rename_namespace)
                    .delete(delete_namespace),
            )
            .route(&format!("{base}/{{id}}/keys"), get(list_keys))
            .route(
                &format!("{base}/{{id}}/bulk"),
                put(bulk_put).delete(bulk_delete),
            )
            .route(&format!("{base}/{{id}}/bulk/delete"), post(bulk_delete))
            .route(&format!("{base}/{{id}}/bulk/get"), post(bulk_get))
            .route(
                &format!("{base}/{{id}}/values/{{*key}}"),
                get(get_value).put(put_value).delete(delete_value),
            )
            .route(
                &format!("{base}/{{id}}/metadata/{{*key}}"),
                get(get_metadata),
            );
    }
    routes
        .with_state(api.clone())
        .merge(crate::d1::routes(d1))
        .fallback(|| async { error_404() })
        .method_not_allowed_fallback(|| async { error_405() })
        // Only the multipart extractor reads this; raw bodies are limited per endpoint.
        .layer(DefaultBodyLimit::max(MAX_MULTIPART_BYTES))
        .layer(middleware::from_fn_with_state(api, authenticate))
}

#[derive(Clone)]
struct Api {
    store: KvStore,
    token: Arc<str>,
}

/// A handler's failure, answered with Cloudflare's error envelope.
struct ApiError(KvError);

impl From<KvError> for ApiError {
    fn from(e: KvError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let message = match e {
            // Cloudflare's exact wording, which scripts match on.
            KvError::KeyNotFound { .. } => "get: 'key not found'".to_string(),
            _ => e.to_string(),
        };
        envelope_error(status, e.code(), &message)
    }
}

type Answer = Result<Response, ApiError>;

/// Rejects requests without the right bearer token before any handler runs.
async fn authenticate(State(api): State<Api>, req: Request, next: Next) -> Response {
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
        None => envelope_error(StatusCode::UNAUTHORIZED, 10000, "Authentication error"),
        Some(t) if !constant_time_eq(t.as_bytes(), api.token.as_bytes()) => {
            envelope_error(StatusCode::FORBIDDEN, 10000, "Authentication error")
        }
        Some(_) => next.run(req).await,
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn json_response(status: StatusCode, v: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

fn ok(result: Value) -> Answer {
    Ok(json_response(
        StatusCode::OK,
        json!({"success": true, "errors": [], "messages": [], "result": result}),
    ))
}

fn ok_with_info(result: Value, info: Value) -> Answer {
    Ok(json_response(
        StatusCode::OK,
        json!({"success": true, "errors": [], "messages": [], "result": result, "result_info": info}),
    ))
}

fn envelope_error(status: StatusCode, code: u32, message: &str) -> Response {
    json_response(
        status,
        json!({"success": false, "errors": [{"code": code, "message": message}], "messages": [], "result": null}),
    )
}

fn error_404() -> Response {
    envelope_error(StatusCode::NOT_FOUND, 10025, "No route for that URI")
}

fn error_405() -> Response {
    envelope_error(
        StatusCode::METHOD_NOT_ALLOWED,
        10025,
        "Method not allowed for this endpoint",
    )
}

fn ns_json(ns: &Namespace) -> Value {
    json!({"id": ns.id, "title": ns.title, "supports_url_encoding": true})
}

/// Path parameters (the account id is accepted and ignored).
#[derive(Deserialize)]
struct NsPath {
    id: String,
}

#[derive(Deserialize)]
struct KeyPath {
    id: String,
    key: String,
}

/// Percent-decoded path parameters, or a 400 in Cloudflare's envelope.
fn params<T>(path: Result<Path<T>, PathRejection>) -> Result<T, ApiError> {
    path.map(|Path(p)| p)
        .map_err(|e| ApiError(KvError::BadRequest(e.body_text())))
}

/// The query pairs in order (a repeated name's last value wins in [`qget`]).
type Pairs = Vec<(String, String)>;

fn pairs(query: Result<Query<Pairs>, QueryRejection>) -> Result<Pairs, ApiError> {
    query
        .map(|Query(q)| q)
        .map_err(|e| ApiError(KvError::BadRequest(e.body_text())))
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

/// Reads a raw body of at most `max` bytes; the error for a larger one is the
/// one Cloudflare gives on that endpoint.
async fn read_body(
    headers: &HeaderMap,
    body: Body,
    max: usize,
    op: KvOp,
) -> Result<Bytes, KvError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(len) = declared.filter(|len| *len > max) {
        return Err(too_large(max, op, len));
    }
    match Limited::new(body, max).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large(max, op, max + 1)),
        Err(e) => Err(KvError::BadRequest(format!(
            "could not read the request body: {e}"
        ))),
    }
}

fn too_large(max: usize, op: KvOp, len: usize) -> KvError {
    if max >= MAX_BULK_REQUEST_BYTES - 1 {
        KvError::BulkTooLarge { op, len }
    } else if max >= MAX_VALUE_BYTES {
        KvError::ValueTooLarge { len }
    } else {
        KvError::BadRequest(format!(
            "413 request body of {len} bytes is larger than the {max} bytes this endpoint accepts"
        ))
    }
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

/// The error for a key that is not there: namespace-not-found if the namespace is
/// missing, else key-not-found.
fn missing(store: &KvStore, id: &str, key: String) -> KvError {
    match store.namespace(id) {
        Ok(None) => KvError::NamespaceNotFound { id: id.to_string() },
        Ok(Some(_)) => KvError::KeyNotFound { key },
        Err(e) => e,
    }
}

async fn list_namespaces(
    State(api): State<Api>,
    query: Result<Query<Pairs>, QueryRejection>,
) -> Answer {
    let q = pairs(query)?;
    let page = qint(&q, "page")?.unwrap_or(1);
    let per_page = qint(&q, "per_page")?.unwrap_or(20);
    if page < 1 {
        return Err(
            KvError::BadRequest(format!("Invalid page of {page}: pages start at 1")).into(),
        );
    }
    if !(1..=1000).contains(&per_page) {
        return Err(KvError::BadRequest(format!(
            "Invalid per_page of {per_page}: specify 1 to 1000"
        ))
        .into());
    }
    let all = api.store.list_namespaces()?;
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
    ok_with_info(Value::Array(items), info)
}

async fn create_namespace(State(api): State<Api>, headers: HeaderMap, body: Body) -> Answer {
    let body = read_body(&headers, body, MAX_JSON_BYTES, KvOp::Put).await?;
    let title = title_from(&body)?;
    ok(ns_json(&api.store.create_namespace(&title)?))
}

async fn get_namespace(
    State(api): State<Api>,
    path: Result<Path<NsPath>, PathRejection>,
) -> Answer {
    let NsPath { id } = params(path)?;
    match api.store.namespace(&id)? {
        Some(ns) => ok(ns_json(&ns)),
        None => Err(KvError::NamespaceNotFound { id }.into()),
    }
}

async fn rename_namespace(
    State(api): State<Api>,
    path: Result<Path<NsPath>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let NsPath { id } = params(path)?;
    let body = read_body(&headers, body, MAX_JSON_BYTES, KvOp::Put).await?;
    let title = title_from(&body)?;
    ok(ns_json(&api.store.rename_namespace(&id, &title)?))
}

async fn delete_namespace(
    State(api): State<Api>,
    path: Result<Path<NsPath>, PathRejection>,
) -> Answer {
    let NsPath { id } = params(path)?;
    api.store.delete_namespace(&id)?;
    ok(json!({}))
}

async fn list_keys(
    State(api): State<Api>,
    path: Result<Path<NsPath>, PathRejection>,
    query: Result<Query<Pairs>, QueryRejection>,
) -> Answer {
    let NsPath { id } = params(path)?;
    let q = pairs(query)?;
    let limit = match qget(&q, "limit") {
        None | Some("") => None,
        Some(v) => Some(
            v.trim()
                .parse::<i64>()
                .map_err(|_| KvError::InvalidListLimit { limit: -1 })?,
        ),
    };
    let opts = ListOptions {
        prefix: qget(&q, "prefix")
            .filter(|p| !p.is_empty())
            .map(str::to_string),
        limit,
        cursor: qget(&q, "cursor").map(str::to_string),
    };
    let page = api.store.list(&id, &opts)?;
    let keys: Vec<Value> = page.keys.iter().map(|k| k.to_json()).collect();
    let info = json!({"count": keys.len(), "cursor": page.cursor.unwrap_or_default()});
    ok_with_info(Value::Array(keys), info)
}

async fn bulk_put(
    State(api): State<Api>,
    path: Result<Path<NsPath>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let NsPath { id } = params(path)?;
    let body = read_body(&headers, body, MAX_BULK_REQUEST_BYTES - 1, KvOp::Put).await?;
    let pairs = bulk::parse_bulk_put(&body)?;
    let n = pairs.len();
    api.store.bulk_put(&id, pairs).await?;
    ok(json!({"successful_key_count": n, "unsuccessful_keys": []}))
}

async fn bulk_delete(
    State(api): State<Api>,
    path: Result<Path<NsPath>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let NsPath { id } = params(path)?;
    let body = read_body(&headers, body, MAX_BULK_REQUEST_BYTES - 1, KvOp::Delete).await?;
    let keys = bulk::parse_bulk_delete(&body)?;
    let n = keys.len();
    api.store.bulk_delete(&id, keys).await?;
    ok(json!({"successful_key_count": n, "unsuccessful_keys": []}))
}

async fn bulk_get(
    State(api): State<Api>,
    path: Result<Path<NsPath>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let NsPath { id } = params(path)?;
    let body = read_body(&headers, body, MAX_JSON_BYTES, KvOp::Get).await?;
    let v: Value = serde_json::from_slice(&body)
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
    if api.store.namespace(&id)?.is_none() {
        return Err(KvError::NamespaceNotFound { id }.into());
    }
    let entries = api.store.get_many(&id, &keys)?;
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
                    json!({"value": value, "metadata": metadata_json(e.metadata.as_deref()), "expiration": e.expiration})
                } else {
                    value
                }
            }
        };
        values.insert(k.clone(), val);
    }
    ok(json!({"values": values}))
}

fn metadata_json(metadata: Option<&str>) -> Value {
    metadata
        .and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or(Value::Null)
}

async fn get_value(State(api): State<Api>, path: Result<Path<KeyPath>, PathRejection>) -> Answer {
    let KeyPath { id, key } = params(path)?;
    let Some(entry) = api.store.get(&id, &key)? else {
        return Err(missing(&api.store, &id, key).into());
    };
    let mut response = Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/octet-stream");
    if let Some(exp) = entry.expiration {
        response = response.header("expiration", exp.to_string());
    }
    Ok(response
        .body(Body::from(entry.value))
        .expect("a valid response"))
}

async fn delete_value(
    State(api): State<Api>,
    path: Result<Path<KeyPath>, PathRejection>,
) -> Answer {
    let KeyPath { id, key } = params(path)?;
    api.store.delete(&id, &key).await?;
    ok(json!({}))
}

async fn get_metadata(
    State(api): State<Api>,
    path: Result<Path<KeyPath>, PathRejection>,
) -> Answer {
    let KeyPath { id, key } = params(path)?;
    match api.store.get_info(&id, &key)? {
        Some(info) => ok(metadata_json(info.metadata.as_deref())),
        None => Err(missing(&api.store, &id, key).into()),
    }
}

/// `PUT .../values/:key`: the raw body is the value, or, as Cloudflare's API
/// takes a value with metadata, a `multipart/form-data` body with a `value`
/// and an optional `metadata` field.
async fn put_value(
    State(api): State<Api>,
    path: Result<Path<KeyPath>, PathRejection>,
    query: Result<Query<Pairs>, QueryRejection>,
    req: Request,
) -> Answer {
    let KeyPath { id, key } = params(path)?;
    let q = pairs(query)?;
    // Validate what we can before reading the body.
    limits::validate_key(KvOp::Put, &key)?;
    let expiration = qint(&q, "expiration")?;
    let expiration_ttl = qint(&q, "expiration_ttl")?;
    limits::resolve_expiration(expiration, expiration_ttl, api.store.now())?;
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("multipart/form-data"));
    let (value, metadata) = if multipart {
        read_multipart(req).await?
    } else {
        let (parts, body) = req.into_parts();
        let body = read_body(&parts.headers, body, MAX_VALUE_BYTES, KvOp::Put).await?;
        (body.to_vec(), None)
    };
    api.store
        .put(
            &id,
            &key,
            value,
            PutOptions {
                expiration,
                expiration_ttl,
                metadata,
            },
        )
        .await?;
    ok(json!({}))
}

/// The `value` and `metadata` fields of a multipart value upload.
pub(crate) async fn read_multipart(req: Request) -> Result<(Vec<u8>, Option<String>), KvError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(len) = declared.filter(|len| *len > MAX_MULTIPART_BYTES) {
        return Err(KvError::ValueTooLarge { len });
    }
    let bad = |m: String| KvError::BadRequest(format!("malformed multipart body: {m}"));
    let mut form = Multipart::from_request(req, &())
        .await
        .map_err(|e| bad(e.body_text()))?;
    let field_error = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            KvError::ValueTooLarge {
                len: MAX_MULTIPART_BYTES + 1,
            }
        } else {
            bad(e.body_text())
        }
    };
    let mut value = None;
    let mut metadata = None;
    while let Some(field) = form.next_field().await.map_err(field_error)? {
        let name = field.name().unwrap_or_default().to_string();
        let data = field.bytes().await.map_err(field_error)?;
        match name.as_str() {
            "value" => value = Some(data.to_vec()),
            "metadata" => {
                let text =
                    String::from_utf8(data.to_vec()).map_err(|_| KvError::InvalidMetadata {
                        reason: "metadata is not UTF-8".into(),
                    })?;
                if !text.trim().is_empty() {
                    metadata = Some(text);
                }
            }
            _ => {}
        }
    }
    let value =
        value.ok_or_else(|| KvError::BadRequest("multipart body has no \"value\" field".into()))?;
    Ok((value, metadata))
}

//! HTTP plumbing for JavaScript: reading request bodies, writing streamed
//! response bodies, and outbound `fetch()` over hyper's pooling client, whose
//! connections (every redirect hop's too) are opened by
//! [`crate::host::egress`]: the `[outbound]` policy and the CA bundle apply
//! as they do to `connect()`.

use crate::host::body::{BodyError, BodySink, Oversized, RequestBody};
use crate::host::bytes::{new_u8, require_bytes};
use crate::host::egress::{DialError, Egress};
use crate::host::event_loop::{current, settle, spawn_op};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, StatusCode};
use http_body_util::{BodyExt, Full};
use rquickjs::{Array, Ctx, Exception, Function, Object, Value};
use tokio::sync::mpsc::error::TrySendError;

/// Redirects followed before `fetch` gives up, as browsers do.
const MAX_REDIRECTS: usize = 20;

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("bodyPull", Function::new(ctx.clone(), body_pull)?)?;
    native.set(
        "bodyCancel",
        Function::new(ctx.clone(), |id: u32| {
            current().resources.borrow_mut().take::<RequestBody>(id);
        })?,
    )?;
    native.set("sinkWrite", Function::new(ctx.clone(), sink_write)?)?;
    native.set(
        "sinkClose",
        Function::new(ctx.clone(), |id: u32, error: Option<String>| {
            let sink = current().resources.borrow_mut().take::<BodySink>(id);
            if let (Some(BodySink(sender)), Some(message)) = (sink, error) {
                // The client sees a truncated body, as on Cloudflare.
                let _ = sender.try_send(Err(message.into()));
            }
        })?,
    )?;
    native.set("fetch", Function::new(ctx.clone(), fetch)?)?;
    native.set("dataUrl", Function::new(ctx.clone(), data_url)?)?;
    Ok(())
}

/// A `data:` URL as fetch() reads it: `[mimeType, bytes]`, or `undefined`
/// when it has no comma (fetch then fails, as on workerd). The Fetch
/// Standard's processor, except that base64 the standard calls invalid is
/// decoded leniently, as workerd does, instead of failing the fetch.
fn data_url<'js>(ctx: Ctx<'js>, url: String) -> rquickjs::Result<Value<'js>> {
    let Ok(parsed) = data_url::DataUrl::process(&url) else {
        return Ok(Value::new_undefined(ctx));
    };
    let body = match parsed.decode_to_vec() {
        Ok((body, _fragment)) => body,
        Err(_) => {
            // Only a base64 body can be invalid: decode its percent-decoded text.
            let encoded = url.split_once(',').map_or("", |(_, rest)| rest);
            let encoded = encoded.split_once('#').map_or(encoded, |(body, _)| body);
            let text: Vec<u8> = percent_encoding::percent_decode_str(encoded).collect();
            crate::web::encoding::lenient_base64(&text)
        }
    };
    let out = Array::new(ctx.clone())?;
    out.set(0, parsed.mime_type().to_string())?;
    out.set(1, new_u8(&ctx, body)?)?;
    Ok(out.into_value())
}

/// Reads the next chunk of body `id`; resolves to a `Uint8Array`, or `null`
/// at the end.
fn body_pull<'js>(ctx: Ctx<'js>, id: u32) -> rquickjs::Result<rquickjs::Promise<'js>> {
    let core = current();
    let body = core.resources.borrow_mut().take::<RequestBody>(id);
    spawn_op(&ctx, async move {
        let Some(mut body) = body else {
            return Ok(settle(|ctx| Ok(Value::new_null(ctx.clone()))));
        };
        loop {
            match body.frame().await {
                None => return Ok(settle(|ctx| Ok(Value::new_null(ctx.clone())))),
                Some(Err(e)) => {
                    if e.downcast_ref::<http_body_util::LengthLimitError>()
                        .is_some()
                    {
                        core.resources.borrow_mut().put_back(id, Oversized);
                    }
                    return Err(format!("reading the body failed: {e}"));
                }
                Some(Ok(frame)) => {
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    if data.is_empty() {
                        continue;
                    }
                    core.resources.borrow_mut().put_back(id, body);
                    return Ok(settle(move |ctx| new_u8(ctx, data.to_vec())));
                }
            }
        }
    })
}

/// Queues a chunk for the client. Returns `undefined` when the channel had
/// room, or a promise that resolves once it has (back-pressure).
fn sink_write<'js>(ctx: Ctx<'js>, id: u32, chunk: Value<'js>) -> rquickjs::Result<Value<'js>> {
    let bytes = Bytes::from(require_bytes(&ctx, &chunk, "response body chunk")?);
    let core = current();
    let Some(sender) = core
        .resources
        .borrow()
        .get::<BodySink>(id)
        .map(|sink| sink.0.clone())
    else {
        return Err(Exception::throw_type(
            &ctx,
            "the client closed the connection",
        ));
    };
    match sender.try_send(Ok(bytes)) {
        Ok(()) => Ok(Value::new_undefined(ctx)),
        Err(TrySendError::Closed(_)) => Err(Exception::throw_type(
            &ctx,
            "the client closed the connection",
        )),
        Err(TrySendError::Full(item)) => {
            let promise = spawn_op(&ctx, async move {
                sender
                    .send(item)
                    .await
                    .map_err(|_| "the client closed the connection".to_string())?;
                Ok(settle(|ctx| Ok(Value::new_undefined(ctx.clone()))))
            })?;
            Ok(promise.into_value())
        }
    }
}

/// The outbound request as JavaScript describes it.
struct Outbound {
    url: String,
    method: Method,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<Bytes>,
    redirect: String,
}

fn fetch<'js>(
    ctx: Ctx<'js>,
    url: String,
    method: String,
    headers: Vec<String>,
    body: Value<'js>,
    redirect: String,
) -> rquickjs::Result<rquickjs::Promise<'js>> {
    let method = Method::from_bytes(method.as_bytes())
        .map_err(|_| Exception::throw_type(&ctx, &format!("invalid HTTP method {method}")))?;
    let mut pairs = Vec::with_capacity(headers.len() / 2);
    for pair in headers.chunks(2) {
        let [name, value] = pair else { break };
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Exception::throw_type(&ctx, &format!("invalid header name {name}")))?;
        let value = HeaderValue::from_str(value).map_err(|_| {
            Exception::throw_type(&ctx, &format!("invalid header value for {name}"))
        })?;
        pairs.push((name, value));
    }
    let body = if body.is_null() || body.is_undefined() {
        None
    } else if let Some(s) = body.as_string() {
        Some(Bytes::from(s.to_string()?))
    } else {
        Some(Bytes::from(require_bytes(&ctx, &body, "request body")?))
    };
    let request = Outbound {
        url,
        method,
        headers: pairs,
        body,
        redirect,
    };
    let core = current();
    let egress = Egress::of(&core.worker);
    spawn_op(&ctx, async move {
        let (response, final_url, redirected) = send_following_redirects(&egress, request).await?;
        let status = response.status();
        let status_text = status.canonical_reason().unwrap_or("").to_string();
        let header_list = flat_headers(response.headers());
        let body: RequestBody = response
            .into_body()
            .map_err(|e| Box::new(e) as BodyError)
            .boxed_unsync();
        let id = core.resources.borrow_mut().add(body);
        Ok(settle(move |ctx| {
            let out = Array::new(ctx.clone())?;
            out.set(0, status.as_u16())?;
            out.set(1, status_text)?;
            out.set(2, header_list)?;
            out.set(3, id)?;
            out.set(4, final_url)?;
            out.set(5, redirected)?;
            Ok(out.into_value())
        }))
    })
}

async fn send_following_redirects(
    egress: &Egress,
    mut req: Outbound,
) -> Result<(hyper::Response<hyper::body::Incoming>, String, bool), String> {
    let client = egress.http_client();
    let mut redirected = false;
    for _ in 0..=MAX_REDIRECTS {
        let uri: http::Uri = req
            .url
            .parse()
            .map_err(|_| format!("fetch failed: invalid URL {}", req.url))?;
        if !matches!(uri.scheme_str(), Some("http") | Some("https")) {
            return Err(format!("fetch failed: unsupported protocol in {}", req.url));
        }
        let mut builder = hyper::Request::builder()
            .method(req.method.clone())
            .uri(uri);
        for (k, v) in &req.headers {
            builder = builder.header(k, v);
        }
        let body: RequestBody = Full::new(req.body.clone().unwrap_or_default())
            .map_err(|never| match never {})
            .boxed_unsync();
        let request = builder
            .body(body)
            .map_err(|e| format!("fetch failed: {e}"))?;
        let response = client
            .request(request)
            .await
            .map_err(|e| failure(&req.url, &e))?;
        let status = response.status();
        let location = response
            .headers()
            .get(http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let is_redirect = matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308);
        match (is_redirect, location, req.redirect.as_str()) {
            (true, Some(_), "error") => {
                return Err(format!(
                    "fetch failed: redirect from {} with redirect: 'error'",
                    req.url
                ))
            }
            (true, Some(location), "follow") => {
                let next = url::Url::parse(&req.url)
                    .and_then(|base| base.join(&location))
                    .map_err(|_| format!("fetch failed: bad redirect location {location}"))?;
                if status == StatusCode::SEE_OTHER
                    || (matches!(status.as_u16(), 301 | 302) && req.method == Method::POST)
                {
                    req.method = Method::GET;
                    req.body = None;
                    req.headers.retain(|(k, _)| {
                        k != http::header::CONTENT_TYPE && k != http::header::CONTENT_LENGTH
                    });
                }
                req.url = next.to_string();
                redirected = true;
            }
            _ => return Ok((response, req.url, redirected)),
        }
    }
    Err(format!("fetch failed: more than {MAX_REDIRECTS} redirects"))
}

/// Why a request failed: egress's own message when the connection could
/// not be opened (as `connect()` words it), else hyper's error chain.
fn failure(url: &str, e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(dial) = s.downcast_ref::<DialError>() {
            return dial.0.clone();
        }
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    format!("fetch failed: {url} ({out})")
}

/// A response's headers as the flat `[name, value, ...]` list the
/// JavaScript side takes (values that are not UTF-8 are decoded lossily).
pub(crate) fn flat_headers(headers: &http::HeaderMap) -> Vec<String> {
    headers
        .iter()
        .flat_map(|(k, v)| {
            [
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            ]
        })
        .collect()
}

//! Outbound WebSockets: the handshake behind `fetch()` with
//! `Upgrade: websocket` and `new WebSocket(url)`.
//!
//! The connection is opened through [`crate::host::egress`] like a
//! `connect()` socket (the `[outbound]` policy applies; `wss:`/`https:` use
//! rustls with the webpki roots plus the configured CA bundle), then the
//! upgrade request goes out over hyper's
//! HTTP/1 client. A 101 answer becomes a socket that the worker `accept()`s
//! (its frames then run through tokio-tungstenite, see `socket.rs`); any
//! other answer is an ordinary response with a
//! streamed body.

use super::socket;
use crate::host::body::{BodyError, RequestBody};
use crate::host::egress::Egress;
use crate::host::event_loop::{current, settle, spawn_op};
use crate::web::fetch::flat_headers;
use http::{HeaderName, HeaderValue, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use rquickjs::{Array, Ctx, Exception, Function, Object};
use tokio_tungstenite::tungstenite::handshake::{client::generate_key, derive_accept_key};

/// Request headers hearth sets itself: the handshake's own, and extensions
/// (the frames are handled by tungstenite, which offers no compression).
const OWN_HEADERS: [&str; 6] = [
    "connection",
    "upgrade",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-extensions",
    "host",
];

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("wsConnect", Function::new(ctx.clone(), ws_connect)?)?;
    Ok(())
}

/// Where the handshake goes, from an `http:`, `https:`, `ws:` or `wss:` URL.
struct Target {
    host: String,
    port: u16,
    tls: bool,
    /// `Host` header value (the port only when it is not the default).
    authority: String,
    /// Path and query.
    path: String,
}

fn target(raw: &str) -> Result<Target, String> {
    let url = url::Url::parse(raw)
        .map_err(|_| format!("WebSocket connection failed: invalid URL {raw}"))?;
    let tls = match url.scheme() {
        "ws" | "http" => false,
        "wss" | "https" => true,
        other => {
            return Err(format!(
                "WebSocket connection failed: unsupported protocol '{other}:' in {raw} \
                 (use ws:, wss:, http: or https:)"
            ))
        }
    };
    let host = match url.host() {
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        Some(host) => host.to_string(),
        None => return Err(format!("WebSocket connection failed: no host in {raw}")),
    };
    let port = url
        .port_or_known_default()
        .unwrap_or(if tls { 443 } else { 80 });
    let authority = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, _) => host.clone(),
    };
    let mut path = url.path().to_string();
    if let Some(query) = url.query() {
        path.push('?');
        path.push_str(query);
    }
    Ok(Target {
        host,
        port,
        tls,
        authority,
        path,
    })
}

/// `wsConnect(url, headers)`: resolves to `[101, statusText, headers,
/// socketId]` once the server accepted the upgrade, or to `[status,
/// statusText, headers, bodyId]` for any other answer.
fn ws_connect<'js>(
    ctx: Ctx<'js>,
    url: String,
    headers: Vec<String>,
) -> rquickjs::Result<rquickjs::Promise<'js>> {
    let target = target(&url).map_err(|e| Exception::throw_type(&ctx, &e))?;
    let key = generate_key();
    let mut request = hyper::Request::get(target.path.as_str())
        .header(http::header::HOST, target.authority.as_str())
        .header(http::header::CONNECTION, "Upgrade")
        .header(http::header::UPGRADE, "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", key.as_str());
    for pair in headers.chunks(2) {
        let [name, value] = pair else { break };
        if OWN_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            continue;
        }
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Exception::throw_type(&ctx, &format!("invalid header name {name}")))?;
        let value = HeaderValue::from_str(value).map_err(|_| {
            Exception::throw_type(&ctx, &format!("invalid header value for {name}"))
        })?;
        request = request.header(name, value);
    }
    let request = request
        .body(Empty::<bytes::Bytes>::new())
        .map_err(|e| Exception::throw_type(&ctx, &format!("invalid WebSocket request: {e}")))?;
    let core = current();
    let egress = Egress::of(&core.worker);
    spawn_op(&ctx, async move {
        let failed = |detail: String| format!("WebSocket connection to {url} failed: {detail}");
        let dialed = egress
            .dial(
                &target.host,
                target.port,
                target.tls,
                "WebSocket connection",
            )
            .await?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(dialed.conn))
                .await
                .map_err(|e| failed(e.to_string()))?;
        tokio::task::spawn_local(async move {
            if let Err(e) = connection.with_upgrades().await {
                tracing::debug!("outbound WebSocket connection ended: {e}");
            }
        });
        let mut response = sender
            .send_request(request)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let status = response.status();
        let status_text = status.canonical_reason().unwrap_or("").to_string();
        let header_list = flat_headers(response.headers());
        let id = if status == StatusCode::SWITCHING_PROTOCOLS {
            check_accept(&response, &key).map_err(failed)?;
            let upgraded = hyper::upgrade::on(&mut response)
                .await
                .map_err(|e| failed(e.to_string()))?;
            socket::add_connected(&core, upgraded)
        } else {
            let body: RequestBody = response
                .into_body()
                .map_err(|e| Box::new(e) as BodyError)
                .boxed_unsync();
            core.resources.borrow_mut().add(body)
        };
        Ok(settle(move |ctx| {
            let out = Array::new(ctx.clone())?;
            out.set(0, status.as_u16())?;
            out.set(1, status_text)?;
            out.set(2, header_list)?;
            out.set(3, id)?;
            Ok(out.into_value())
        }))
    })
}

/// A 101 must switch to `websocket` and prove it read our key.
fn check_accept(
    response: &hyper::Response<hyper::body::Incoming>,
    key: &str,
) -> Result<(), String> {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    if !header("upgrade").eq_ignore_ascii_case("websocket") {
        return Err("the server answered 101 without `Upgrade: websocket`".into());
    }
    if header("sec-websocket-accept") != derive_accept_key(key.as_bytes()) {
        return Err("the server answered 101 with a wrong Sec-WebSocket-Accept".into());
    }
    Ok(())
}

//! Outbound WebSockets, black-box: a real WebSocket echo server (tungstenite,
//! on 127.0.0.1) and the `tests/fixtures/websocket-client` worker connecting
//! out to it with `fetch()` + `Upgrade: websocket` and with
//! `new WebSocket(url)`, from a plain worker and from a Durable Object; `wss:`
//! against a certificate from `[outbound] ca_bundle`; a real client relayed
//! through the worker; and the failures (refused, non-101, blocked by
//! `[outbound]`, unknown certificate issuer).

mod durable_support;

use durable_support::{
    expect_close, json, next_message, next_text, send_text, ws_connect, Project,
};
use hearth_tests::{fixture, localhost_certificate, TestCertificate};
use serde_json::json as j;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::CloseFrame;
use tungstenite::Message;

/// A WebSocket echo server: text comes back as `echo: TEXT`, binary
/// reversed; `whoami` answers with the path and `X-Token` of the handshake;
/// `close-me:CODE` makes the server close with CODE. `/reject` answers 403.
/// Close codes sent by clients are recorded. With TLS it serves `wss:`.
struct EchoServer {
    port: u16,
    closes: Arc<Mutex<Vec<u16>>>,
    tls: bool,
}

impl EchoServer {
    fn start() -> EchoServer {
        Self::serving(None)
    }

    /// A `wss:` echo server presenting `cert`.
    fn start_tls(cert: &TestCertificate) -> EchoServer {
        Self::serving(Some(cert.server_config()))
    }

    fn serving(tls: Option<Arc<rustls::ServerConfig>>) -> EchoServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let closes = Arc::new(Mutex::new(Vec::new()));
        let record = closes.clone();
        let secure = tls.is_some();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let record = record.clone();
                let tls = tls.clone();
                std::thread::spawn(move || match tls {
                    Some(config) => {
                        let conn = rustls::ServerConnection::new(config).unwrap();
                        serve(rustls::StreamOwned::new(conn, stream), record)
                    }
                    None => serve(stream, record),
                });
            }
        });
        EchoServer {
            port,
            closes,
            tls: secure,
        }
    }

    fn url(&self, path: &str) -> String {
        match self.tls {
            true => format!("wss://localhost:{}{path}", self.port),
            false => format!("ws://127.0.0.1:{}{path}", self.port),
        }
    }

    fn closes(&self) -> Vec<u16> {
        self.closes.lock().unwrap().clone()
    }
}

// The handshake callback's error type is tungstenite's, large or not.
#[allow(clippy::result_large_err)]
fn serve(stream: impl Read + Write, closes: Arc<Mutex<Vec<u16>>>) {
    let mut seen = j!({});
    let callback = |req: &Request, mut resp: Response| -> Result<Response, ErrorResponse> {
        if req.uri().path() == "/reject" {
            let mut refusal = ErrorResponse::new(Some("go away".into()));
            *refusal.status_mut() = tungstenite::http::StatusCode::FORBIDDEN;
            return Err(refusal);
        }
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        seen = j!({ "path": req.uri().path(), "token": header("x-token") });
        if header("sec-websocket-protocol")
            .split(", ")
            .any(|p| p == "chat")
        {
            resp.headers_mut()
                .insert("sec-websocket-protocol", "chat".parse().unwrap());
        }
        Ok(resp)
    };
    let Ok(mut ws) = tungstenite::accept_hdr(stream, callback) else {
        return;
    };
    loop {
        let reply = match ws.read() {
            Ok(Message::Text(t)) if t.as_str() == "whoami" => Message::text(seen.to_string()),
            Ok(Message::Text(t)) => match t.as_str().strip_prefix("close-me:") {
                Some(code) => {
                    let code: u16 = code.parse().unwrap();
                    let _ = ws.close(Some(CloseFrame {
                        code: CloseCode::from(code),
                        reason: "server bye".into(),
                    }));
                    continue;
                }
                None => Message::text(format!("echo: {}", t.as_str())),
            },
            Ok(Message::Binary(b)) => Message::binary(b.iter().rev().copied().collect::<Vec<u8>>()),
            Ok(Message::Close(frame)) => {
                if let Some(frame) = frame {
                    closes.lock().unwrap().push(u16::from(frame.code));
                }
                continue;
            }
            Ok(_) => continue,
            Err(_) => return,
        };
        if ws.send(reply).is_err() {
            return;
        }
    }
}

fn project() -> Project {
    Project::of(&fixture("websocket-client"))
}

/// `GET path?target=TARGET` → JSON.
fn run(h: &hearth_tests::Hearth, path: &str, target: &str) -> serde_json::Value {
    json(h, &format!("{path}?target={target}"))
}

fn assert_fetch_exchange(got: &serde_json::Value) {
    assert_eq!(got["status"], 101, "{got}");
    assert_eq!(got["upgrade"], "websocket", "{got}");
    assert_eq!(got["messages"][0], "echo: hello", "{got}");
    assert_eq!(
        got["messages"][1],
        j!({ "binary": [3, 2, 1] }),
        "binary stays binary: {got}"
    );
    let whoami: serde_json::Value =
        serde_json::from_str(got["messages"][2].as_str().unwrap()).unwrap();
    assert_eq!(
        whoami,
        j!({ "path": "/echo", "token": "abc" }),
        "request headers reach the server"
    );
    assert_eq!(
        got["close"],
        j!({ "code": 4000, "reason": "worker done", "wasClean": true }),
        "the server answers the worker's close code"
    );
}

fn assert_constructor_exchange(got: &serde_json::Value, target: &str) {
    assert_eq!(got["url"], target, "{got}");
    assert_eq!(got["sendWhileConnecting"], "InvalidStateError", "{got}");
    assert_eq!(
        got["events"],
        j!(["readyState 0", "open 1 chat", "closed 3"]),
        "open event, negotiated subprotocol, final readyState: {got}"
    );
    assert_eq!(
        got["messages"],
        j!(["echo: hi", { "binary": [8, 9] }]),
        "{got}"
    );
    assert_eq!(
        got["close"],
        j!({ "code": 4001, "reason": "server bye", "wasClean": true }),
        "the server's close code reaches the worker"
    );
}

#[test]
fn fetch_upgrade_exchanges_text_and_binary_and_close_codes() {
    let echo = EchoServer::start();
    let p = project();
    let h = p.start();
    assert_fetch_exchange(&run(&h, "/fetch", &echo.url("/echo")));
    assert!(
        echo.closes().contains(&4000),
        "the server received the worker's close code: {:?}",
        echo.closes()
    );
}

#[test]
fn new_websocket_opens_exchanges_and_sees_the_server_close() {
    let echo = EchoServer::start();
    let p = project();
    let h = p.start();
    let target = echo.url("/echo");
    assert_constructor_exchange(&run(&h, "/constructor", &target), &target);
}

#[test]
fn both_apis_work_inside_a_durable_object() {
    let echo = EchoServer::start();
    let p = project();
    let h = p.start();
    let target = echo.url("/echo");
    assert_fetch_exchange(&run(&h, "/object/fetch", &target));
    assert_constructor_exchange(&run(&h, "/object/constructor", &target), &target);
}

/// A real client talks to the echo server through the worker at `path`:
/// text and binary both ways, then the server's close code comes back.
fn relay_round_trip(h: &hearth_tests::Hearth, path: &str, echo: &EchoServer) {
    let mut ws = ws_connect(h, &format!("{path}?target={}", echo.url("/echo")));
    send_text(&mut ws, "one");
    assert_eq!(next_text(&mut ws), "echo: one");
    ws.send(Message::binary(vec![1u8, 2, 3, 4])).unwrap();
    assert_eq!(next_message(&mut ws), Message::binary(vec![4u8, 3, 2, 1]));
    for i in 0..50 {
        send_text(&mut ws, &format!("m{i}"));
    }
    for i in 0..50 {
        assert_eq!(next_text(&mut ws), format!("echo: m{i}"), "order is kept");
    }
    send_text(&mut ws, "close-me:4003");
    assert_eq!(expect_close(&mut ws), (4003, "server bye".into()));

    // The client's close code travels to the server.
    let mut ws = ws_connect(h, &format!("{path}?target={}", echo.url("/echo")));
    send_text(&mut ws, "two");
    assert_eq!(next_text(&mut ws), "echo: two");
    ws.close(Some(CloseFrame {
        code: CloseCode::from(4002),
        reason: "client bye".into(),
    }))
    .unwrap();
    while ws.read().is_ok() {}
    let got = durable_support::eventually(std::time::Duration::from_secs(5), || {
        echo.closes().contains(&4002).then_some(())
    });
    assert!(
        got.is_some(),
        "server saw closes {:?} via {path}",
        echo.closes()
    );
}

#[test]
fn worker_relays_a_client_through_an_outbound_websocket() {
    let echo = EchoServer::start();
    let p = project();
    let h = p.start();
    relay_round_trip(&h, "/relay", &echo);
    relay_round_trip(&h, "/object/relay", &echo);
}

#[test]
fn returning_fetch_of_the_upgrade_request_proxies_the_websocket() {
    let echo = EchoServer::start();
    let p = project();
    let h = p.start();
    relay_round_trip(&h, "/passthrough", &echo);
    relay_round_trip(&h, "/object/passthrough", &echo);
}

#[test]
fn refused_connection_rejects_fetch_and_fires_error_then_close() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let p = project();
    let h = p.start();
    let got = run(&h, "/failure", &format!("ws://127.0.0.1:{port}/"));
    let error = got["fetch"]["error"].as_str().unwrap_or_default();
    assert!(error.contains("connection refused"), "{got}");
    let ctor = got["ctor"].as_array().unwrap();
    assert_eq!(ctor.len(), 2, "{got}");
    assert!(
        ctor[0].as_str().unwrap().starts_with("error: ")
            && ctor[0].as_str().unwrap().contains("connection refused"),
        "{got}"
    );
    assert_eq!(ctor[1], "close 1006 false", "{got}");
}

#[test]
fn non_101_answer_is_an_ordinary_response_and_an_error_event() {
    let echo = EchoServer::start();
    let p = project();
    let h = p.start();
    let got = run(&h, "/failure", &echo.url("/reject"));
    assert_eq!(
        got["fetch"],
        j!({ "status": 403, "webSocket": null, "body": "go away" }),
        "{got}"
    );
    let ctor = got["ctor"].as_array().unwrap();
    assert!(ctor[0].as_str().unwrap().contains("answered 403"), "{got}");
    assert_eq!(ctor[1], "close 1006 false", "{got}");
}

#[test]
fn outbound_policy_blocks_websockets() {
    let echo = EchoServer::start();
    let p = project();
    let config = p.dir.path().join("wrangler.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[outbound]\ndeny = [\"127.0.0.1:{}\"]\n",
        echo.port
    ));
    std::fs::write(&config, text).unwrap();
    let h = p.start();
    let got = run(&h, "/failure", &echo.url("/echo"));
    let error = got["fetch"]["error"].as_str().unwrap_or_default();
    assert!(error.contains("blocked by the [outbound] policy"), "{got}");
    assert!(
        got["ctor"][0]
            .as_str()
            .unwrap()
            .contains("blocked by the [outbound] policy"),
        "{got}"
    );
    assert_eq!(got["ctor"][1], "close 1006 false", "{got}");
    assert!(echo.closes().is_empty());
}

#[test]
fn wss_verifies_the_server_against_the_configured_ca_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let Some(cert) = localhost_certificate(dir.path()) else {
        return;
    };
    let echo = EchoServer::start_tls(&cert);
    let target = echo.url("/echo");

    let p = project();
    let config = p.dir.path().join("wrangler.toml");
    let plain = std::fs::read_to_string(&config).unwrap();
    let trusted = format!(
        "{plain}\n[outbound]\nca_bundle = {:?}\n",
        cert.ca.display().to_string()
    );
    std::fs::write(&config, trusted).unwrap();
    let h = p.start();
    assert_fetch_exchange(&run(&h, "/fetch", &target));
    assert_constructor_exchange(&run(&h, "/constructor", &target), &target);
    drop(h);

    // Without the CA the webpki roots do not know the issuer.
    std::fs::write(&config, plain).unwrap();
    let h = p.start();
    let got = run(&h, "/failure", &target);
    let error = got["fetch"]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("TLS handshake with 'localhost' failed") && error.contains("UnknownIssuer"),
        "{got}"
    );
    assert!(
        got["ctor"][0].as_str().unwrap().contains("UnknownIssuer"),
        "{got}"
    );
}

//! Shared helpers for the Durable Object tests: the fixture, JSON requests
//! and a real WebSocket client (tungstenite over a plain TCP stream).
#![allow(dead_code)]

use hearth_tests::{copy_project, fixture, request, Hearth};
use std::net::TcpStream;
use std::time::{Duration, Instant};
pub use tungstenite::Message;

pub type Ws = tungstenite::WebSocket<TcpStream>;

/// A copy of `tests/fixtures/durable` and a fresh `--persist-to` folder.
pub struct Project {
    pub dir: tempfile::TempDir,
    pub state: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        Project::of(&fixture("durable"))
    }

    pub fn of(src: &std::path::Path) -> Project {
        Project {
            dir: copy_project(src),
            state: tempfile::tempdir().unwrap(),
        }
    }

    pub fn state_arg(&self) -> String {
        self.state.path().display().to_string()
    }

    pub fn start(&self) -> Hearth {
        self.start_with_env(&[])
    }

    pub fn start_with_env(&self, env: &[(&str, &str)]) -> Hearth {
        let state = self.state_arg();
        Hearth::start_with_env(self.dir.path(), &["--persist-to", &state], env)
    }
}

/// `GET path` → JSON, asserting a 200.
pub fn json(h: &Hearth, path: &str) -> serde_json::Value {
    let (status, body) = request(&format!("{}{}", h.url, path), "GET", &[], None);
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
}

/// Opens a WebSocket to `ws://127.0.0.1:PORT{path}` with a 10 s read timeout.
pub fn ws_connect(h: &Hearth, path: &str) -> Ws {
    try_ws_connect(h, path).unwrap_or_else(|e| panic!("WebSocket {path}: {e}"))
}

pub fn try_ws_connect(h: &Hearth, path: &str) -> Result<Ws, String> {
    let stream = TcpStream::connect(("127.0.0.1", h.port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.set_nodelay(true).unwrap();
    let url = format!("ws://127.0.0.1:{}{}", h.port, path);
    let (ws, response) = tungstenite::client(url.as_str(), stream).map_err(|e| e.to_string())?;
    assert_eq!(response.status().as_u16(), 101);
    Ok(ws)
}

/// The next text or binary message (skipping pings/pongs); panics on close.
pub fn next_message(ws: &mut Ws) -> Message {
    loop {
        match ws.read() {
            Ok(m @ (Message::Text(_) | Message::Binary(_))) => return m,
            Ok(Message::Close(frame)) => panic!("unexpected close: {frame:?}"),
            Ok(_) => continue,
            Err(e) => panic!("WebSocket read failed: {e}"),
        }
    }
}

pub fn next_text(ws: &mut Ws) -> String {
    match next_message(ws) {
        Message::Text(t) => t.to_string(),
        other => panic!("expected a text message, got {other:?}"),
    }
}

pub fn send_text(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text)).expect("WebSocket send");
}

/// Reads until the server's close frame, then finishes the closing
/// handshake (tungstenite sends its reply on the next read); returns the
/// server's code and reason.
pub fn expect_close(ws: &mut Ws) -> (u16, String) {
    let got = loop {
        match ws.read() {
            Ok(Message::Close(Some(frame))) => {
                break (u16::from(frame.code), frame.reason.to_string());
            }
            Ok(Message::Close(None)) => break (1005, String::new()),
            Ok(_) => continue,
            Err(e) => panic!("expected a close frame, got error {e}"),
        }
    };
    while ws.read().is_ok() {}
    got
}

/// Polls `f` until it returns `Some` or `timeout` passes.
pub fn eventually<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

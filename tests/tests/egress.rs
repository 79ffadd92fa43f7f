//! One way out: `fetch()`, `connect()` and outbound WebSockets share the
//! `[outbound]` allow/deny policy (redirect hops included), the CA bundle
//! (`[outbound] ca_bundle`, `HEARTH_CA_BUNDLE`) and their error messages;
//! `fetch()` keeps reusing pooled connections.

use hearth_tests::{localhost_certificate, write_project, Hearth, TestCertificate};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// `/fetch?url=U` answers `ok STATUS BODY` or `error MESSAGE`;
/// `/connect?addr=H:P` answers `ok` once the socket opened or `error MESSAGE`;
/// `/ws?url=U` tries a WebSocket the same way; `/three?url=U` fetches U three
/// times in a row and answers the bodies.
const WORKER: &str = r#"
import { connect } from 'cloudflare:sockets';
const fail = (e) => new Response(`error ${e.message}`);
export default {
  async fetch(request) {
    const params = new URL(request.url).searchParams;
    const path = new URL(request.url).pathname;
    try {
      if (path === '/fetch') {
        const r = await fetch(params.get('url'));
        return new Response(`ok ${r.status} ${await r.text()}`);
      }
      if (path === '/connect') {
        const socket = connect(params.get('addr'));
        await socket.opened;
        await socket.close();
        return new Response('ok');
      }
      if (path === '/ws') {
        const r = await fetch(params.get('url'), { headers: { Upgrade: 'websocket' } });
        return new Response(`ok ${r.status}`);
      }
      if (path === '/three') {
        const bodies = [];
        for (let i = 0; i < 3; i++) bodies.push(await (await fetch(params.get('url'))).text());
        return new Response(bodies.join(','));
      }
    } catch (e) {
      return fail(e);
    }
    return new Response('not found', { status: 404 });
  },
};
"#;

fn project(outbound: &str) -> tempfile::TempDir {
    write_project(&[
        (
            "wrangler.toml",
            &format!("name = \"egress\"\nmain = \"index.js\"\n{outbound}"),
        ),
        ("index.js", WORKER),
    ])
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A keep-alive HTTP/1.1 server on 127.0.0.1 (over TLS when given a
/// config): `/` answers `hello from PATH`, `/redirect?to=URL` answers 302 to
/// URL. Counts the connections it accepted.
struct Server {
    port: u16,
    connections: Arc<AtomicUsize>,
}

impl Server {
    fn start(tls: Option<Arc<rustls::ServerConfig>>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let count = connections.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                count.fetch_add(1, Ordering::SeqCst);
                let tls = tls.clone();
                std::thread::spawn(move || match tls {
                    Some(config) => {
                        let conn = rustls::ServerConnection::new(config).unwrap();
                        serve(rustls::StreamOwned::new(conn, stream))
                    }
                    None => serve(stream),
                });
            }
        });
        Server { port, connections }
    }

    fn tls(cert: &TestCertificate) -> Server {
        Self::start(Some(cert.server_config()))
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// Answers requests on one connection until the client closes it.
fn serve(stream: impl Read + Write) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut target = String::new();
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).map_or(true, |n| n == 0) {
                return;
            }
            if target.is_empty() {
                target = line.split(' ').nth(1).unwrap_or("").to_string();
            }
            if line == "\r\n" {
                break;
            }
        }
        let response = match target.strip_prefix("/redirect?to=") {
            Some(to) => {
                format!("HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\n\r\n")
            }
            None => {
                let body = format!("hello from {target}");
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                )
            }
        };
        let stream = reader.get_mut();
        if stream.write_all(response.as_bytes()).is_err() || stream.flush().is_err() {
            return;
        }
    }
}

#[test]
fn fetch_obeys_the_outbound_policy_with_the_message_connect_gives() {
    let server = Server::start(None);
    let dir = project(&format!(
        "[outbound]\ndeny = [\"127.0.0.1:{}\"]\n",
        server.port
    ));
    let h = Hearth::start(dir.path(), &[]);
    let (_, via_connect) = h.get(&format!("/connect?addr=127.0.0.1:{}", server.port));
    let (_, via_fetch) = h.get(&format!(
        "/fetch?url={}",
        encode(&format!("http://127.0.0.1:{}/", server.port))
    ));
    assert!(
        via_connect.contains("is blocked by the [outbound] policy"),
        "{via_connect}"
    );
    assert_eq!(via_fetch, via_connect.replace("connect()", "fetch()"));
    assert_eq!(server.connections(), 0);
    // Other destinations still work.
    let other = Server::start(None);
    let url = format!("http://127.0.0.1:{}/fine", other.port);
    assert_eq!(
        h.get(&format!("/fetch?url={}", encode(&url))).1,
        "ok 200 hello from /fine"
    );
}

#[test]
fn a_redirect_to_a_destination_the_policy_denies_is_blocked() {
    let allowed = Server::start(None);
    let denied = Server::start(None);
    let dir = project(&format!(
        "[outbound]\nallow = [\"127.0.0.1:{}\"]\n",
        allowed.port
    ));
    let h = Hearth::start(dir.path(), &[]);
    let direct = format!("http://127.0.0.1:{}/direct", allowed.port);
    assert_eq!(
        h.get(&format!("/fetch?url={}", encode(&direct))).1,
        "ok 200 hello from /direct"
    );
    let hop = format!(
        "http://127.0.0.1:{}/redirect?to=http://127.0.0.1:{}/secret",
        allowed.port, denied.port
    );
    let (_, body) = h.get(&format!("/fetch?url={}", encode(&hop)));
    assert!(
        body.starts_with(&format!(
            "error fetch() to 127.0.0.1:{} is blocked by the [outbound] policy",
            denied.port
        )),
        "{body}"
    );
    assert_eq!(denied.connections(), 0);
}

#[test]
fn fetch_connect_and_websockets_share_one_message() {
    let server = Server::start(None);
    let dir = project("[outbound]\nallow = [\"db.internal:5432\"]\n");
    let h = Hearth::start(dir.path(), &[]);
    let addr = format!("127.0.0.1:{}", server.port);
    let (_, via_connect) = h.get(&format!("/connect?addr={addr}"));
    let (_, via_fetch) = h.get(&format!(
        "/fetch?url={}",
        encode(&format!("http://{addr}/"))
    ));
    let (_, via_ws) = h.get(&format!("/ws?url={}", encode(&format!("ws://{addr}/"))));
    assert_eq!(
        via_connect,
        format!(
            "error connect() to {addr} is blocked by the [outbound] policy in wrangler.toml \
             (allow = [\"db.internal:5432\"], deny = [])"
        )
    );
    assert_eq!(via_fetch, via_connect.replace("connect()", "fetch()"));
    assert_eq!(
        via_ws,
        via_connect.replace("connect()", "WebSocket connection")
    );
    assert_eq!(server.connections(), 0);
}

#[test]
fn fetch_over_https_trusts_the_configured_ca_bundle() {
    let certs_dir = tempfile::tempdir().unwrap();
    let Some(cert) = localhost_certificate(certs_dir.path()) else {
        return;
    };
    let server = Server::tls(&cert);
    let url = encode(&format!("https://localhost:{}/secure", server.port));
    let ca = cert.ca.to_str().unwrap();

    let dir = project(&format!("[outbound]\nca_bundle = {ca:?}\n"));
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(
        h.get(&format!("/fetch?url={url}")).1,
        "ok 200 hello from /secure",
        "{}",
        h.logs()
    );
    drop(h);

    // The same from the environment variable.
    let dir = project("");
    let h = Hearth::start_with_env(dir.path(), &[], &[("HEARTH_CA_BUNDLE", ca)]);
    assert_eq!(
        h.get(&format!("/fetch?url={url}")).1,
        "ok 200 hello from /secure"
    );
    drop(h);

    // Without it the certificate's issuer is unknown, in the words connect() uses.
    let dir = project("");
    let h = Hearth::start(dir.path(), &[]);
    let (_, body) = h.get(&format!("/fetch?url={url}"));
    assert!(
        body.starts_with("error TLS handshake with 'localhost' failed"),
        "{body}"
    );
    assert!(body.contains("UnknownIssuer"), "{body}");
}

#[test]
fn fetch_reuses_pooled_connections() {
    let server = Server::start(None);
    let dir = project(&format!(
        "[outbound]\nallow = [\"127.0.0.1:{}\"]\n",
        server.port
    ));
    let h = Hearth::start(dir.path(), &["--threads", "1"]);
    let url = encode(&format!("http://127.0.0.1:{}/again", server.port));
    assert_eq!(
        h.get(&format!("/three?url={url}")).1,
        "hello from /again,hello from /again,hello from /again"
    );
    assert_eq!(h.get(&format!("/three?url={url}")).1.len(), 53);
    assert_eq!(server.connections(), 1);
}

#[test]
fn a_loopback_deny_holds_for_every_spelling_of_this_host() {
    let server = Server::start(None);
    let port = server.port;
    let dir = project("[outbound]\ndeny = [\"127.0.0.1:*\", \"localhost:*\", \"[::1]:*\"]\n");
    let h = Hearth::start(dir.path(), &[]);
    // Each of these reaches the server listening on 127.0.0.1 unless refused.
    let spellings = [
        "0.0.0.0",
        "0",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "[::]",
        "127.1",
        "127.0.0.2",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "LOCALHOST",
        "127.000.000.001",
    ];
    for host in spellings {
        let url = format!("http://{host}:{port}/");
        let (_, via_fetch) = h.get(&format!("/fetch?url={}", encode(&url)));
        let (_, via_connect) = h.get(&format!(
            "/connect?addr={}",
            encode(&format!("{host}:{port}"))
        ));
        let ws = format!("ws://{host}:{port}/");
        let (_, via_ws) = h.get(&format!("/ws?url={}", encode(&ws)));
        for (what, answer) in [
            ("fetch", via_fetch),
            ("connect", via_connect),
            ("ws", via_ws),
        ] {
            assert!(
                answer.starts_with("error")
                    && answer.contains("is blocked by the [outbound] policy"),
                "{what} to {host}: {answer}"
            );
        }
    }
    assert_eq!(server.connections(), 0);
}

#[test]
fn a_deny_of_localhost_by_name_covers_the_loopback_addresses() {
    let server = Server::start(None);
    let dir = project("[outbound]\ndeny = [\"localhost:*\"]\n");
    let h = Hearth::start(dir.path(), &[]);
    for host in ["127.0.0.1", "[::1]", "0.0.0.0"] {
        let (_, answer) = h.get(&format!(
            "/connect?addr={}",
            encode(&format!("{host}:{}", server.port))
        ));
        assert!(
            answer.contains("is blocked by the [outbound] policy"),
            "{host}: {answer}"
        );
    }
    assert_eq!(server.connections(), 0);
    // A policy that does not name this host leaves it reachable, by any spelling.
    let open = project("[outbound]\ndeny = [\"10.0.0.1:*\"]\n");
    let h = Hearth::start(open.path(), &[]);
    let url = format!("http://0.0.0.0:{}/zero", server.port);
    assert_eq!(
        h.get(&format!("/fetch?url={}", encode(&url))).1,
        "ok 200 hello from /zero"
    );
}

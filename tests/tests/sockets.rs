//! TCP sockets: outbound `connect()` from `cloudflare:sockets` against local
//! std servers, inbound Socket Workers (`[[tcp_listeners]]`) driven with std
//! `TcpStream`, and the redis-lite example driven with the real `redis-cli`.

use hearth_tests::{copy_project, localhost_certificate, repo_root, write_project, Hearth};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------- helpers

/// The address hearth printed for its `n`th `[[tcp_listeners]]` entry.
fn tcp_addr(h: &Hearth, n: usize) -> SocketAddr {
    let logs = h.logs();
    let addrs: Vec<SocketAddr> = logs
        .lines()
        .filter_map(|l| l.strip_prefix("Socket Worker listening on tcp://"))
        .map(|a| a.trim().parse().unwrap())
        .collect();
    *addrs
        .get(n)
        .unwrap_or_else(|| panic!("no TCP listener #{n} in the logs:\n{logs}"))
}

/// Copies an example and makes its TCP listener pick a free port.
fn example_on_free_port(name: &str) -> tempfile::TempDir {
    let dir = copy_project(&repo_root().join("examples").join(name));
    let toml = dir.path().join("wrangler.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("address = ") {
            out.push_str("address = \"127.0.0.1:0\"\n");
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    std::fs::write(&toml, out).unwrap();
    dir
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s
}

/// A std echo server (thread per connection): copies input back until EOF,
/// then closes. Returns its address.
fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            std::thread::spawn(move || {
                let mut reader = stream.try_clone().unwrap();
                let mut writer = stream;
                let _ = std::io::copy(&mut reader, &mut writer);
                let _ = writer.shutdown(Shutdown::Write);
            });
        }
    });
    addr
}

/// A server that reads until EOF (the client's half-close), then answers
/// `got N bytes: TEXT` and closes.
fn half_close_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                let mut got = Vec::new();
                stream.read_to_end(&mut got).unwrap();
                let reply = format!("got {} bytes: {}", got.len(), String::from_utf8_lossy(&got));
                stream.write_all(reply.as_bytes()).unwrap();
            });
        }
    });
    addr
}

/// A port with nothing listening on it.
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

const OUTBOUND_WORKER: &str = r#"
import { connect } from 'cloudflare:sockets';
const enc = new TextEncoder();

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const addr = url.searchParams.get('addr');
    switch (url.pathname) {
      case '/echo': {
        const [hostname, port] = addr.split(':');
        const socket = url.searchParams.has('object') ? connect({ hostname, port: Number(port) }) : connect(addr);
        const info = await socket.opened;
        const writer = socket.writable.getWriter();
        await writer.write(enc.encode(url.searchParams.get('msg')));
        await writer.close();
        const text = await new Response(socket.readable).text();
        await socket.closed;
        return Response.json({ text, remote: info.remoteAddress, local: info.localAddress });
      }
      case '/fail': {
        const socket = connect(addr, { secureTransport: url.searchParams.get('tls') || 'off' });
        let opened = 'resolved', closed = 'resolved', name = '';
        try { await socket.opened; } catch (e) { opened = e.message; name = e.name; }
        try { await socket.closed; } catch (e) { closed = e.message; }
        return Response.json({ opened, closed, name });
      }
      case '/reset': {
        const socket = connect(addr);
        const writer = socket.writable.getWriter();
        await writer.write(enc.encode('unread data'));
        try {
          const reader = socket.readable.getReader();
          for (;;) {
            const { done } = await reader.read();
            if (done) return new Response('eof');
          }
        } catch (e) {
          return new Response('error: ' + e.message);
        }
      }
      case '/close': {
        const socket = connect(addr);
        await socket.opened;
        await socket.close();
        await socket.closed;
        let write = 'ok';
        try { await socket.writable.getWriter().write(enc.encode('x')); } catch (e) { write = e.message; }
        return new Response('closed; write after close: ' + write);
      }
      case '/tls': {
        const mode = url.searchParams.get('mode') || 'on';
        let socket = connect(addr, { secureTransport: mode });
        if (mode === 'starttls') {
          await socket.opened;
          socket = socket.startTls({ expectedServerHostname: 'localhost' });
        }
        try {
          await socket.opened;
          const writer = socket.writable.getWriter();
          await writer.write(enc.encode('GET / HTTP/1.0\r\n\r\n'));
          const text = await new Response(socket.readable).text();
          return new Response('ok: ' + text.split('\r\n')[0]);
        } catch (e) {
          return new Response('error: ' + e.message);
        }
      }
      case '/bad': {
        const out = [];
        for (const a of ['nonsense', 'host:99999', '']) {
          try { connect(a); out.push('no error'); } catch (e) { out.push(e.name + ': ' + e.message); }
        }
        return Response.json(out);
      }
      case '/starttls-misuse': {
        const socket = connect(addr);
        try { socket.startTls(); return new Response('no error'); } catch (e) { return new Response(e.message); } finally { socket.close(); }
      }
    }
    return new Response('not found', { status: 404 });
  },
};
"#;

fn outbound_project(extra_toml: &str) -> tempfile::TempDir {
    write_project(&[
        (
            "wrangler.toml",
            &format!("name = \"outbound\"\nmain = \"index.js\"\n{extra_toml}"),
        ),
        ("index.js", OUTBOUND_WORKER),
    ])
}

fn json(h: &Hearth, path: &str) -> serde_json::Value {
    let (status, body) = h.get(path);
    assert_eq!(status, 200, "{path}: {body}\n{}", h.logs());
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

// ---------------------------------------------------------------- outbound

#[test]
fn outbound_connect_writes_half_closes_and_reads_to_eof() {
    let server = half_close_server();
    let dir = outbound_project("");
    let h = Hearth::start(dir.path(), &[]);
    let v = json(&h, &format!("/echo?addr={server}&msg=hello%20socket"));
    assert_eq!(v["text"], "got 12 bytes: hello socket");
    assert_eq!(v["remote"], server.to_string());
    assert!(
        v["local"].as_str().unwrap().starts_with("127.0.0.1:"),
        "{v}"
    );
    // The { hostname, port } form.
    let v = json(&h, &format!("/echo?addr={server}&msg=abc&object=1"));
    assert_eq!(v["text"], "got 3 bytes: abc");
}

#[test]
fn outbound_connect_to_a_closed_port_rejects_opened_and_closed() {
    let dir = outbound_project("");
    let h = Hearth::start(dir.path(), &[]);
    let port = closed_port();
    let v = json(&h, &format!("/fail?addr=127.0.0.1:{port}"));
    let opened = v["opened"].as_str().unwrap();
    assert!(opened.contains(&format!("127.0.0.1:{port}")), "{v}");
    assert!(opened.contains("connection refused"), "{v}");
    assert_eq!(v["closed"], v["opened"], "{v}");
}

#[test]
fn outbound_dns_failure_names_the_host() {
    let dir = outbound_project("");
    let h = Hearth::start(dir.path(), &[]);
    let v = json(&h, "/fail?addr=no-such-host.invalid:80");
    let opened = v["opened"].as_str().unwrap();
    assert!(
        opened.contains("DNS lookup of 'no-such-host.invalid' failed"),
        "{v}"
    );
}

#[test]
fn outbound_reset_by_peer_errors_the_readable() {
    // Accepts, waits for data, then closes with the data unread: the kernel
    // answers with RST.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            std::thread::sleep(Duration::from_millis(200));
            drop(stream);
        }
    });
    let dir = outbound_project("");
    let h = Hearth::start(dir.path(), &[]);
    let (status, body) = h.get(&format!("/reset?addr={addr}"));
    assert_eq!(status, 200);
    assert_eq!(
        body,
        "error: reading from the socket failed: connection reset by peer",
        "{}",
        h.logs()
    );
}

#[test]
fn outbound_close_ends_the_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let dir = outbound_project("");
    let h = Hearth::start(dir.path(), &[]);
    let peer = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).map(|_| buf.len())
    });
    let (status, body) = h.get(&format!("/close?addr={addr}"));
    assert_eq!(status, 200);
    assert!(body.starts_with("closed; write after close: "), "{body}");
    assert!(!body.ends_with("ok"), "{body}");
    assert_eq!(peer.join().unwrap().unwrap(), 0, "the peer saw EOF");
}

#[test]
fn outbound_bad_addresses_throw_type_errors() {
    let dir = outbound_project("");
    let h = Hearth::start(dir.path(), &[]);
    let v = json(&h, "/bad");
    let all: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert!(
        all[0].starts_with("TypeError: connect(): \"nonsense\" is not a valid address"),
        "{all:?}"
    );
    assert!(
        all[1].contains("port must be a whole number from 1 to 65535"),
        "{all:?}"
    );
    assert!(all[2].starts_with("TypeError:"), "{all:?}");
    let (_, body) = h.get(&format!("/starttls-misuse?addr={}", echo_server()));
    assert!(body.contains("secureTransport: \"starttls\""), "{body}");
}

#[test]
fn outbound_policy_denies_with_a_clear_message() {
    let server = half_close_server();
    let dir = outbound_project(&format!(
        "[outbound]\ndeny = [\"127.0.0.1:{}\"]\n",
        server.port()
    ));
    let h = Hearth::start(dir.path(), &[]);
    let v = json(&h, &format!("/fail?addr={server}"));
    let opened = v["opened"].as_str().unwrap();
    assert!(opened.contains("blocked by the [outbound] policy"), "{v}");
    assert!(opened.contains(&server.to_string()), "{v}");
    // A denied IP is denied under another name too.
    let v = json(&h, &format!("/fail?addr=localhost:{}", server.port()));
    assert!(v["opened"].as_str().unwrap().contains("blocked"), "{v}");
    // Other destinations (other ports of this host) still work.
    let other = half_close_server();
    let v = json(&h, &format!("/echo?addr={other}&msg=hi"));
    assert_eq!(v["text"], "got 2 bytes: hi");
}

#[test]
fn outbound_allow_list_blocks_everything_else() {
    let server = half_close_server();
    let dir = outbound_project("[outbound]\nallow = [\"db.internal:5432\"]\n");
    let h = Hearth::start(dir.path(), &[]);
    let v = json(&h, &format!("/fail?addr={server}"));
    assert!(
        v["opened"]
            .as_str()
            .unwrap()
            .contains("blocked by the [outbound] policy"),
        "{v}"
    );
}

#[test]
fn outbound_tls_to_a_plain_server_fails_clearly() {
    let server = echo_server();
    let dir = outbound_project("");
    let h = Hearth::start(dir.path(), &[]);
    let v = json(&h, &format!("/fail?addr={server}&tls=on"));
    let opened = v["opened"].as_str().unwrap();
    assert!(
        opened.starts_with("TLS handshake with '127.0.0.1' failed"),
        "{v}"
    );
}

/// A TLS server (`openssl s_server -www`) with a certificate for localhost
/// signed by a fresh CA. Returns (CA path, port, child, temp dir).
fn openssl_server() -> Option<(
    std::path::PathBuf,
    u16,
    std::process::Child,
    tempfile::TempDir,
)> {
    let dir = tempfile::tempdir().unwrap();
    let certs = localhost_certificate(dir.path())?;
    let port = closed_port();
    let child = Command::new("openssl")
        .args([
            "s_server",
            "-quiet",
            "-www",
            "-accept",
            &port.to_string(),
            "-cert",
            certs.cert.to_str().unwrap(),
            "-key",
            certs.key.to_str().unwrap(),
        ])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "openssl s_server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some((certs.ca, port, child, dir))
}

#[test]
fn outbound_tls_and_starttls_verify_against_the_configured_ca_bundle() {
    let Some((ca, port, mut child, _dir)) = openssl_server() else {
        return;
    };
    let dir = outbound_project(&format!(
        "[outbound]\nca_bundle = {:?}\n",
        ca.display().to_string()
    ));
    let h = Hearth::start(dir.path(), &[]);
    let (_, body) = h.get(&format!("/tls?addr=localhost:{port}"));
    assert_eq!(body, "ok: HTTP/1.0 200 ok", "{}", h.logs());
    let (_, body) = h.get(&format!("/tls?addr=localhost:{port}&mode=starttls"));
    assert_eq!(body, "ok: HTTP/1.0 200 ok", "{}", h.logs());
    drop(h);

    // Without the CA the certificate is rejected.
    let dir = outbound_project("");
    let h = Hearth::start(dir.path(), &[]);
    let (_, body) = h.get(&format!("/tls?addr=localhost:{port}"));
    assert!(
        body.starts_with("error: TLS handshake with 'localhost' failed"),
        "{body}"
    );
    assert!(body.contains("UnknownIssuer"), "{body}");
    let _ = child.kill();
    let _ = child.wait();
}

// ---------------------------------------------------------------- inbound

#[test]
fn echo_tcp_echoes_lines_and_the_last_partial_line() {
    let dir = example_on_free_port("echo-tcp");
    let h = Hearth::start(dir.path(), &[]);
    let addr = tcp_addr(&h, 0);
    let mut s = connect(addr);
    let mut reader = BufReader::new(s.try_clone().unwrap());
    for line in ["hello", "wörld", ""] {
        s.write_all(format!("{line}\n").as_bytes()).unwrap();
        let mut got = String::new();
        reader.read_line(&mut got).unwrap();
        assert_eq!(got, format!("{line}\n"));
    }
    s.write_all(b"no newline").unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    let mut rest = String::new();
    reader.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "no newline");
    // HTTP still works on the same worker.
    assert_eq!(h.get("/").0, 200);
}

#[test]
fn echo_tcp_serves_thousands_of_concurrent_connections() {
    const N: usize = 2000;
    let dir = example_on_free_port("echo-tcp");
    let h = Hearth::start(dir.path(), &["--threads", "2"]);
    let addr = tcp_addr(&h, 0);
    // Open them all first, so all are connected at once.
    let mut conns: Vec<TcpStream> = (0..N).map(|_| connect(addr)).collect();
    for (i, s) in conns.iter_mut().enumerate() {
        s.write_all(format!("line {i}\n").as_bytes()).unwrap();
    }
    for (i, s) in conns.iter_mut().enumerate() {
        let want = format!("line {i}\n");
        let mut got = vec![0u8; want.len()];
        s.read_exact(&mut got).unwrap();
        assert_eq!(String::from_utf8(got).unwrap(), want);
    }
    for s in &conns {
        s.shutdown(Shutdown::Write).unwrap();
    }
    for s in conns.iter_mut() {
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty());
    }
}

const PROXY_WORKER: &str = r#"
import { connect } from 'cloudflare:sockets';
export default {
  async connect(socket, env) {
    if (env.MODE === 'throw') {
      const reader = socket.readable.getReader();
      const { value } = await reader.read();
      const text = new TextDecoder().decode(value);
      if (text.startsWith('boom')) throw new Error('the handler blew up on purpose');
      const writer = socket.writable.getWriter();
      await writer.write(value);
      reader.releaseLock();
      writer.releaseLock();
      await socket.readable.pipeTo(socket.writable);
      return;
    }
    const upstream = connect(env.UPSTREAM);
    await Promise.all([
      socket.readable.pipeTo(upstream.writable),
      upstream.readable.pipeTo(socket.writable),
    ]);
  },
};
"#;

fn proxy_project() -> tempfile::TempDir {
    write_project(&[
        (
            "wrangler.toml",
            "name = \"proxy\"\nmain = \"index.js\"\n[[tcp_listeners]]\naddress = \"127.0.0.1:0\"\n",
        ),
        ("index.js", PROXY_WORKER),
    ])
}

/// Peak resident memory of a process in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn hundred_megabytes_stream_through_inbound_and_outbound_sockets() {
    const TOTAL: usize = 100 * 1024 * 1024;
    let upstream = echo_server();
    let dir = proxy_project();
    let h = Hearth::start(dir.path(), &["--var", &format!("UPSTREAM:{upstream}")]);
    let addr = tcp_addr(&h, 0);
    let s = connect(addr);
    let mut writer = s.try_clone().unwrap();
    let started = Instant::now();
    let sender = std::thread::spawn(move || {
        let mut block = vec![0u8; 256 * 1024];
        let mut sent = 0usize;
        let mut x: u32 = 12345;
        while sent < TOTAL {
            for b in block.iter_mut() {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                *b = (x >> 24) as u8;
            }
            writer.write_all(&block).unwrap();
            sent += block.len();
        }
        writer.shutdown(Shutdown::Write).unwrap();
    });
    let mut reader = s;
    let mut received = 0usize;
    let mut buf = vec![0u8; 256 * 1024];
    let mut x: u32 = 12345;
    loop {
        let n = reader.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        for &b in &buf[..n] {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            assert_eq!(b, (x >> 24) as u8, "corrupted at byte {received}");
            received += 1;
        }
    }
    sender.join().unwrap();
    assert_eq!(received, TOTAL);
    let secs = started.elapsed().as_secs_f64();
    let rss = peak_rss_kib(h.pid());
    eprintln!(
        "100 MB through hearth in {secs:.2} s; peak RSS {} MiB",
        rss / 1024
    );
    assert!(
        rss < 200 * 1024,
        "hearth buffered the transfer: peak RSS {rss} KiB"
    );
}

#[test]
fn a_throwing_connect_handler_closes_only_its_connection() {
    let dir = proxy_project();
    let h = Hearth::start(dir.path(), &["--threads", "1", "--var", "MODE:throw"]);
    let addr = tcp_addr(&h, 0);
    let mut good = connect(addr);
    good.write_all(b"first\n").unwrap();
    let mut got = [0u8; 6];
    good.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"first\n");

    let mut bad = connect(addr);
    bad.write_all(b"boom\n").unwrap();
    let mut rest = Vec::new();
    let _ = bad.read_to_end(&mut rest); // EOF or reset: either way closed
    assert!(rest.is_empty());
    h.wait_for_log("the handler blew up on purpose");

    good.write_all(b"still here\n").unwrap();
    let mut got = [0u8; 11];
    good.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"still here\n");
}

#[test]
fn a_worker_without_a_connect_handler_logs_why() {
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"nohandler\"\nmain = \"index.js\"\n[[tcp_listeners]]\naddress = \"127.0.0.1:0\"\n",
        ),
        ("index.js", "export default { fetch() { return new Response('hi'); } };\n"),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    let mut s = connect(tcp_addr(&h, 0));
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    h.wait_for_log("has no connect(socket, env, ctx) handler");
    assert_eq!(h.get("/").1, "hi");
}

// ---------------------------------------------------------------- redis-lite

fn redis_cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .output()
        .expect("running redis-cli (install Debian's redis-tools; scripts/test.sh does)");
    assert!(
        out.status.success(),
        "redis-cli {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .trim_end_matches('\n')
        .to_string()
}

fn redis_lite() -> Option<(Hearth, u16, tempfile::TempDir)> {
    if Command::new("redis-cli").arg("--version").output().is_err() {
        eprintln!("skipping: redis-cli not installed (apt-get install redis-tools)");
        return None;
    }
    let dir = example_on_free_port("redis-lite");
    let h = Hearth::start(dir.path(), &[]);
    let port = tcp_addr(&h, 0).port();
    Some((h, port, dir))
}

#[test]
fn redis_lite_ping_set_get_del_with_redis_cli() {
    let Some((_h, port, _dir)) = redis_lite() else {
        return;
    };
    assert_eq!(redis_cli(port, &["PING"]), "PONG");
    assert_eq!(redis_cli(port, &["PING", "hi there"]), "hi there");
    assert_eq!(redis_cli(port, &["SET", "greeting", "hello world"]), "OK");
    assert_eq!(redis_cli(port, &["GET", "greeting"]), "hello world");
    assert_eq!(redis_cli(port, &["GET", "missing"]), "");
    assert_eq!(redis_cli(port, &["SET", "other", "x"]), "OK");
    assert_eq!(
        redis_cli(port, &["DEL", "greeting", "other", "missing"]),
        "2"
    );
    assert_eq!(redis_cli(port, &["GET", "greeting"]), "");
    assert_eq!(redis_cli(port, &["SET", "k", "v", "NX"]), "OK");
    assert_eq!(redis_cli(port, &["SET", "k", "w", "NX"]), "");
    assert_eq!(redis_cli(port, &["GET", "k"]), "v");
    let err = redis_cli(port, &["FLUSHALL"]);
    assert!(err.starts_with("ERR unknown command 'FLUSHALL'"), "{err}");
}

#[test]
fn redis_lite_expiry_with_set_ex_and_expire() {
    let Some((_h, port, _dir)) = redis_lite() else {
        return;
    };
    assert_eq!(redis_cli(port, &["SET", "short", "1", "EX", "1"]), "OK");
    assert_eq!(redis_cli(port, &["SET", "later", "2"]), "OK");
    assert_eq!(redis_cli(port, &["TTL", "later"]), "-1");
    assert_eq!(redis_cli(port, &["EXPIRE", "later", "1"]), "1");
    assert_eq!(redis_cli(port, &["EXPIRE", "missing", "1"]), "0");
    assert_eq!(redis_cli(port, &["SET", "long", "3", "EX", "100"]), "OK");
    let ttl: i64 = redis_cli(port, &["TTL", "long"]).parse().unwrap();
    assert!((99..=100).contains(&ttl), "{ttl}");
    assert_eq!(redis_cli(port, &["GET", "short"]), "1");
    std::thread::sleep(Duration::from_millis(1300));
    assert_eq!(redis_cli(port, &["GET", "short"]), "");
    assert_eq!(redis_cli(port, &["GET", "later"]), "");
    assert_eq!(redis_cli(port, &["TTL", "later"]), "-2");
    assert_eq!(redis_cli(port, &["GET", "long"]), "3");
}

#[test]
fn redis_lite_pipelined_commands_from_stdin() {
    let Some((_h, port, _dir)) = redis_lite() else {
        return;
    };
    let mut child = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut script = String::new();
    for i in 0..200 {
        script.push_str(&format!("SET key{i} value{i}\n"));
    }
    script.push_str("GET key7\nGET key199\nEXISTS key1 key2 nope\n");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 203, "{text}");
    assert!(lines[..200].iter().all(|l| *l == "OK"));
    assert_eq!(&lines[200..], ["value7", "value199", "2"]);
}

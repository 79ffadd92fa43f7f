//! Slow and hostile clients: header-read, keep-alive idle and body-read
//! timeouts, the connection cap, the accept loop out of file descriptors,
//! half-closed clients and malformed chunked bodies. Timeouts are
//! configured short so each test takes seconds.

use hearth_tests::{fixture, Hearth};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

fn connect(h: &Hearth) -> TcpStream {
    TcpStream::connect(("127.0.0.1", h.port)).unwrap()
}

/// Whether the server closes `stream` within `limit` (reading and dropping
/// whatever it sends first).
fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        stream.set_read_timeout(Some(left)).unwrap();
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false
            }
            Err(_) => return true,
        }
    }
}

/// Reads one response with a `Content-Length` body; returns the head and body.
fn read_response(stream: &mut TcpStream, limit: Duration) -> Option<(String, String)> {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_string();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                let body = String::from_utf8_lossy(&data[end + 4..end + 4 + length]).to_string();
                return Some((head, body));
            }
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
}

#[test]
fn trickled_headers_are_cut_at_the_header_timeout() {
    let h = Hearth::start(&fixture("hardening"), &["--header-timeout", "1"]);
    let start = Instant::now();
    let mut conns: Vec<Option<TcpStream>> = (0..50)
        .map(|_| {
            let mut s = connect(&h);
            s.write_all(b"GET /ok HTTP/1.1\r\nHost: x\r\n").unwrap();
            s.set_nonblocking(true).unwrap();
            Some(s)
        })
        .collect();
    let mut closed_at = Vec::new();
    // A slowloris client: one more header line every 200 ms, for up to 8 s.
    while start.elapsed() < Duration::from_secs(8) && closed_at.len() < conns.len() {
        std::thread::sleep(Duration::from_millis(200));
        for slot in conns.iter_mut() {
            let Some(s) = slot else { continue };
            let mut buf = [0u8; 512];
            let gone = match s.read(&mut buf) {
                Ok(_) => true,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    s.write_all(b"X-Trickle: 1\r\n").is_err()
                }
                Err(_) => true,
            };
            if gone {
                closed_at.push(start.elapsed());
                *slot = None;
            }
        }
    }
    assert_eq!(closed_at.len(), 50, "connections left open after 8 s");
    let last = closed_at.iter().max().unwrap();
    assert!(*last < Duration::from_secs(4), "closed after {last:?}");
    assert_eq!(h.get("/ok"), (200, "ok".into()));
}

#[test]
fn silent_connections_are_closed_at_the_header_timeout() {
    let h = Hearth::start(&fixture("hardening"), &["--header-timeout", "1"]);
    let mut conns: Vec<TcpStream> = (0..50).map(|_| connect(&h)).collect();
    let start = Instant::now();
    for c in conns.iter_mut() {
        assert!(
            closed_within(c, Duration::from_secs(4).saturating_sub(start.elapsed())),
            "a silent connection was still open after {:?}",
            start.elapsed()
        );
    }
    assert_eq!(h.get("/ok"), (200, "ok".into()));
}

#[test]
fn kept_alive_connections_close_at_the_idle_timeout_not_the_header_timeout() {
    let h = Hearth::start(
        &fixture("hardening"),
        &["--header-timeout", "1", "--idle-timeout", "3"],
    );
    let mut s = connect(&h);
    s.write_all(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let (head, body) = read_response(&mut s, Duration::from_secs(5)).unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body, "ok");
    // Idle longer than the header timeout but within the idle timeout: the
    // connection is still there for the next request.
    std::thread::sleep(Duration::from_millis(1800));
    s.write_all(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let (head, _) = read_response(&mut s, Duration::from_secs(5)).expect("kept-alive reuse");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let idle = Instant::now();
    assert!(
        closed_within(&mut s, Duration::from_secs(6)),
        "never closed"
    );
    let waited = idle.elapsed();
    assert!(
        waited > Duration::from_millis(2500) && waited < Duration::from_secs(5),
        "closed after {waited:?} idle, expected about 3 s"
    );
}

#[test]
fn a_stalled_request_body_is_cut_at_the_body_timeout() {
    let h = Hearth::start(&fixture("hardening"), &["--body-timeout", "1"]);
    // Pauses shorter than the timeout are fine.
    let mut s = connect(&h);
    s.write_all(b"POST /sink/paced HTTP/1.1\r\nHost: x\r\nContent-Length: 30\r\n\r\n")
        .unwrap();
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(500));
        s.write_all(b"0123456789").unwrap();
    }
    let (head, body) = read_response(&mut s, Duration::from_secs(5)).unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body, "read 30");
    // A body that stops: the worker's read fails and the connection closes.
    let mut s = connect(&h);
    s.write_all(b"POST /sink/stalled HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
        .unwrap();
    let start = Instant::now();
    assert!(closed_within(&mut s, Duration::from_secs(5)), "still open");
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
    h.wait_for_log("sink stalled body failed");
}

#[test]
fn connections_over_the_cap_wait_until_one_closes() {
    let h = Hearth::start(
        &fixture("hardening"),
        &["--max-connections", "4", "--header-timeout", "30"],
    );
    let held: Vec<TcpStream> = (0..4).map(|_| connect(&h)).collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut waiting = connect(&h);
    waiting
        .write_all(b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    assert!(
        read_response(&mut waiting, Duration::from_secs(1)).is_none(),
        "a fifth connection was served while four were open"
    );
    drop(held);
    let (head, body) =
        read_response(&mut waiting, Duration::from_secs(5)).expect("served once one closed");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body, "ok");
}

/// CPU time (user + system) the process `pid` used so far.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which may hold spaces), from field 3.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // The kernel's USER_HZ is 100 on every Linux architecture hearth runs on.
    Duration::from_millis(ticks * 10)
}

#[test]
fn out_of_file_descriptors_the_accept_loop_backs_off_and_recovers() {
    let h = Hearth::start(&fixture("hardening"), &["--header-timeout", "60"]);
    let status = std::process::Command::new("prlimit")
        .arg(format!("--pid={}", h.pid()))
        .arg("--nofile=256:256")
        .status()
        .expect("running prlimit (util-linux)");
    assert!(status.success());
    // More connections than descriptors: the rest wait in the backlog and
    // every accept() fails with EMFILE.
    let held: Vec<TcpStream> = (0..400).map(|_| connect(&h)).collect();
    std::thread::sleep(Duration::from_millis(500));
    let before = cpu_time(h.pid());
    let measured = Instant::now();
    std::thread::sleep(Duration::from_secs(3));
    let used = cpu_time(h.pid()) - before;
    let share = used.as_secs_f64() / measured.elapsed().as_secs_f64();
    assert!(
        share < 0.15,
        "hearth used {:.0}% CPU out of descriptors",
        share * 100.0
    );
    let logs = h.logs();
    let lines = logs.matches("accept failed").count();
    assert!((1..=3).contains(&lines), "{lines} accept-failure log lines");
    drop(held);
    // Descriptors free again: served as before.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut s = connect(&h);
        s.write_all(b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        if let Some((head, body)) = read_response(&mut s, Duration::from_secs(2)) {
            assert!(head.starts_with("HTTP/1.1 200"), "{head}");
            assert_eq!(body, "ok");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not serving after descriptors were freed"
        );
    }
}

/// Sends `request`, shuts the write side (the client is done sending) and
/// reads the whole answer until the server closes.
fn send_half_closed(h: &Hearth, request: &[u8]) -> String {
    let mut s = connect(h);
    s.write_all(request).unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn half_closed_clients_get_their_answers_on_write_routes() {
    let h = Hearth::start(&fixture("hardening"), &[]);
    for i in 0..30 {
        let request =
            format!("PUT /kv/half-{i} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nv-{i:03}");
        let answer = send_half_closed(&h, request.as_bytes());
        assert!(answer.starts_with("HTTP/1.1 200"), "put {i}: {answer:?}");
        assert!(answer.ends_with("stored"), "put {i}: {answer:?}");
    }
    for i in 0..30 {
        assert_eq!(h.get(&format!("/kv/half-{i}")), (200, format!("v-{i:03}")));
    }
    for i in 1..=30 {
        let answer = send_half_closed(
            &h,
            b"POST /counter/half HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
        );
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "increment {i}: {answer:?}"
        );
        assert!(
            answer.ends_with(&format!("\r\n\r\n{i}")),
            "increment {i}: {answer:?}"
        );
    }
    assert_eq!(h.get("/counter/half"), (200, "30".into()));
}

#[test]
fn a_malformed_chunked_body_is_a_400_before_the_worker_runs() {
    let h = Hearth::start(&fixture("hardening"), &[]);
    let chunked = |key: &str, body: &str| {
        send_half_closed(
            &h,
            format!(
                "POST /sink/{key} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{body}"
            )
            .as_bytes(),
        )
    };
    let answer = chunked("good", "5\r\nhello\r\n0\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    assert!(answer.ends_with("read 5"), "{answer:?}");
    assert_eq!(h.get("/kv/entered-good"), (200, "yes".into()));
    for (key, body) in [
        ("size", "zz\r\nhello\r\n0\r\n\r\n"),
        ("overrun", "2\r\nhello\r\n0\r\n\r\n"),
        ("ending", "5\r\nhello\r\n0\r\nbroken"),
    ] {
        let answer = chunked(key, body);
        assert!(answer.starts_with("HTTP/1.1 400"), "{key}: {answer:?}");
        assert_eq!(
            h.get(&format!("/kv/entered-{key}")),
            (404, "missing".into()),
            "{key}: the worker ran"
        );
    }
    // Past the part read before the worker runs, the framing error still
    // makes the answer a 400, whatever the worker made of its failed read.
    let big = "a".repeat(70 * 1024);
    let answer = chunked("late", &format!("{:x}\r\n{big}\r\nzz\r\n", big.len()));
    assert!(
        answer.starts_with("HTTP/1.1 400"),
        "{}",
        &answer[..answer.len().min(200)]
    );
    assert_eq!(h.get("/ok"), (200, "ok".into()));
}

#[test]
fn a_chunked_upload_still_streams_to_the_worker() {
    // The client sends one chunk and waits for the answer before sending
    // more: checking the body's framing first must not hold the worker back.
    let h = Hearth::start(&fixture("hardening"), &[]);
    let mut s = connect(&h);
    s.write_all(
        b"POST /first HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
    )
    .unwrap();
    let start = Instant::now();
    let (head, body) = read_response(&mut s, Duration::from_secs(10)).expect("an answer");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body, "hello");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}

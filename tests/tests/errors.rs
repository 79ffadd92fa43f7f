//! Errors and limits: exceptions, syntax errors, CPU and memory limits, body
//! size limits, and bad requests never taking the process down.

use hearth_tests::{fixture, request, run_to_exit, write_project, Hearth};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn raw(h: &Hearth, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", h.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(bytes).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    // Read until the status line and headers have arrived (or the server closes).
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if out.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn handler_exception_is_a_500_and_logs_the_stack_with_file_and_line() {
    let h = Hearth::start(&fixture("errors"), &[]);
    let (status, _) = h.get("/throw");
    assert_eq!(status, 500);
    h.wait_for_log("handler failure marker");
    h.wait_for_log("src/fail.js:2");
    assert_eq!(h.get("/ok"), (200, "ok".into()));
}

#[test]
fn async_rejection_is_a_500_with_its_stack() {
    let h = Hearth::start(&fixture("errors"), &[]);
    assert_eq!(h.get("/reject").0, 500);
    h.wait_for_log("async failure marker");
    h.wait_for_log("src/index.js:14");
}

#[test]
fn returning_a_non_response_is_a_500() {
    let h = Hearth::start(&fixture("errors"), &[]);
    assert_eq!(h.get("/not-response").0, 500);
    h.wait_for_log("Response");
}

#[test]
fn syntax_error_in_entry_fails_startup_with_file_line_col() {
    let dir = write_project(&[
        ("wrangler.toml", "name = \"bad\"\nmain = \"src/index.js\"\n"),
        (
            "src/index.js",
            "export default {\n  fetch() {\n    return new Response('x'));\n  },\n};\n",
        ),
    ]);
    let (status, out) = run_to_exit(
        &["dev", dir.path().to_str().unwrap(), "--port", "0"],
        Duration::from_secs(10),
    );
    assert!(!status.success(), "{out}");
    assert!(
        out.contains("src/index.js:3:"),
        "no file:line:col in:\n{out}"
    );
}

#[test]
fn syntax_error_in_an_imported_module_fails_startup_with_file_line_col() {
    let dir = write_project(&[
        ("wrangler.toml", "name = \"bad\"\nmain = \"src/index.js\"\n"),
        (
            "src/index.js",
            "import { x } from './lib.js';\nexport default { fetch() { return new Response(x); } };\n",
        ),
        ("src/lib.js", "// a comment\nexport const x = {;\n"),
    ]);
    let (status, out) = run_to_exit(
        &["dev", dir.path().to_str().unwrap(), "--port", "0"],
        Duration::from_secs(10),
    );
    assert!(!status.success(), "{out}");
    assert!(out.contains("src/lib.js:2:"), "no file:line:col in:\n{out}");
}

#[test]
fn cpu_limit_stops_an_infinite_loop_and_the_server_keeps_serving() {
    let h = Hearth::start(&fixture("errors"), &["--threads", "1"]);
    let start = Instant::now();
    let (status, body) = h.get("/loop");
    assert!(status >= 500, "{status} {body}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "the limit is 200 ms"
    );
    assert_eq!(h.get("/ok"), (200, "ok".into()));
    assert_eq!(h.get("/ok"), (200, "ok".into()));
}

#[test]
fn cpu_limit_error_says_it_was_the_cpu_limit() {
    let h = Hearth::start(&fixture("errors"), &["--threads", "1"]);
    let (status, body) = h.get("/loop");
    assert!(status >= 500, "{status} {body}");
    assert!(
        body.contains("CPU time limit"),
        "the error does not say it was the CPU limit: {body}"
    );
    // The log line may land just after the response.
    h.wait_for_log("CPU time limit");
}

#[test]
fn memory_blowup_fails_the_request_and_the_server_keeps_serving() {
    let h = Hearth::start(&fixture("memory"), &["--threads", "1"]);
    let (status, body) = h.get("/memory");
    assert!(status >= 500, "{status} {body}");
    let logs = h.logs();
    assert!(
        body.to_lowercase().contains("memory") || logs.to_lowercase().contains("memory"),
        "the error does not say it was memory: {body}\n{logs}"
    );
    assert_eq!(h.get("/ok"), (200, "ok".into()));
    assert_eq!(h.get("/ok"), (200, "ok".into()));
}

#[test]
fn request_body_over_100_mb_is_refused_with_413() {
    let h = Hearth::start(&fixture("errors"), &[]);
    let response = raw(
        &h,
        b"POST /body HTTP/1.1\r\nHost: localhost\r\nContent-Length: 104857601\r\n\r\npartial body",
    );
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert_eq!(h.get("/ok"), (200, "ok".into()));
}

#[test]
fn request_body_under_the_limit_is_delivered() {
    let h = Hearth::start(&fixture("errors"), &[]);
    let body = vec![b'a'; 3 * 1024 * 1024];
    let (status, text) = request(&format!("{}/body", h.url), "POST", &[], Some(&body));
    assert_eq!((status, text.as_str()), (200, "got 3145728 bytes"));
}

#[test]
fn malformed_http_never_kills_the_process() {
    let h = Hearth::start(&fixture("errors"), &[]);
    let response = raw(&h, b"THIS IS NOT HTTP\r\n\r\n");
    assert!(
        response.is_empty() || response.starts_with("HTTP/1.1 4"),
        "{response}"
    );
    let response = raw(
        &h,
        b"GET /ok HTTP/1.1\r\nHost: localhost\r\nContent-Length: nope\r\n\r\n",
    );
    assert!(
        response.is_empty() || response.starts_with("HTTP/1.1 4"),
        "{response}"
    );
    for _ in 0..3 {
        assert_eq!(h.get("/throw").0, 500);
    }
    assert_eq!(h.get("/ok"), (200, "ok".into()));
}

#[test]
fn chunked_request_body_over_100_mb_is_refused_with_413() {
    // No Content-Length: the limit must hold while the body streams in.
    let h = Hearth::start(&fixture("errors"), &[]);
    let mut stream = TcpStream::connect(("127.0.0.1", h.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
        .write_all(b"POST /body HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n")
        .unwrap();
    let chunk = vec![b'z'; 1024 * 1024];
    for _ in 0..101 {
        if write!(stream, "{:x}\r\n", chunk.len()).is_err()
            || stream.write_all(&chunk).is_err()
            || stream.write_all(b"\r\n").is_err()
        {
            break; // the server may refuse and close before the end
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        response.extend_from_slice(&buf[..n]);
        if response.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert_eq!(h.get("/ok"), (200, "ok".into()));
}

//! The examples in `examples/`, run as a user would run them.

use hearth_tests::{
    copy_project, read_timed, repo_root, request, request_full, slow_chunked_upstream, Hearth,
    Upstream,
};
use std::time::Duration;

fn example(name: &str) -> tempfile::TempDir {
    copy_project(&repo_root().join("examples").join(name))
}

#[test]
fn hello_says_hello_world() {
    let dir = example("hello");
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(h.get("/"), (200, "Hello World".into()));
    assert_eq!(h.get("/nope"), (404, "Not found".into()));
}

#[test]
fn hello_greeting_from_var_flag() {
    let dir = example("hello");
    let h = Hearth::start(dir.path(), &["--var", "GREETING:Howdy"]);
    assert_eq!(h.get("/"), (200, "Howdy World".into()));
}

#[test]
fn redirect_sends_mobile_devices_to_the_mobile_host() {
    let dir = example("redirect");
    let h = Hearth::start(dir.path(), &[]);
    let (status, _, headers) = request_full(
        &format!("{}/page?x=1", h.url),
        "GET",
        &[("CF-Device-Type", "mobile"), ("Host", "example.com")],
        None,
    );
    assert_eq!(status, 302);
    let location = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("location"))
        .map(|(_, v)| v.as_str());
    assert_eq!(location, Some("http://mobile.example.com/page?x=1"));
}

#[test]
fn redirect_passes_other_devices_through_to_the_origin() {
    let up = Upstream::start(|mut req| {
        let mut posted = String::new();
        let _ = std::io::Read::read_to_string(req.as_reader(), &mut posted);
        let mut body = format!("origin served {} {}", req.method(), req.url());
        if !posted.is_empty() {
            body.push_str(&format!(" with {posted:?}"));
        }
        let _ = req.respond(tiny_http::Response::from_string(body));
    });
    let dir = example("redirect");
    let h = Hearth::start(dir.path(), &[]);
    let url = format!("{}/page?x=1", h.url);
    let host = up.authority.as_str();
    assert_eq!(
        request(&url, "GET", &[("Host", host)], None),
        (200, "origin served GET /page?x=1".into())
    );
    assert_eq!(
        request(
            &url,
            "GET",
            &[("Host", host), ("CF-Device-Type", "desktop")],
            None
        ),
        (200, "origin served GET /page?x=1".into())
    );
    // fetch(request) forwards the method and body too.
    assert_eq!(
        request(&url, "POST", &[("Host", host)], Some(b"form=1")),
        (200, "origin served POST /page?x=1 with \"form=1\"".into())
    );
}

#[test]
fn streams_rewrites_the_upstream_body_as_it_streams() {
    let up = slow_chunked_upstream(
        vec!["hello ", "streaming ", "w\u{f6}rld, ", "chunk by chunk"],
        Duration::from_millis(150),
    );
    let dir = example("streams");
    let var = format!("UPSTREAM:{up}/");
    let h = Hearth::start(dir.path(), &["--var", &var]);
    let (status, reads) = read_timed(&h.url);
    assert_eq!(status, 200);
    let body: Vec<u8> = reads.iter().flat_map(|(_, b)| b.clone()).collect();
    assert_eq!(
        String::from_utf8(body).unwrap(),
        "HELLO STREAMING W\u{d6}RLD, CHUNK BY CHUNK"
    );
    assert!(reads.len() >= 2, "the body arrived in one piece: {reads:?}");
    let spread = reads.last().unwrap().0 - reads[0].0;
    assert!(
        spread >= Duration::from_millis(250),
        "the first chunk waited for the whole upstream: {reads:?}"
    );
}

#[test]
fn streams_keeps_upstream_headers_and_marks_the_rewrite() {
    let up = slow_chunked_upstream(vec!["abc"], Duration::from_millis(1));
    let dir = example("streams");
    let var = format!("UPSTREAM:{up}/");
    let h = Hearth::start(dir.path(), &["--var", &var]);
    let (status, body, headers) = request_full(&h.url, "GET", &[], None);
    assert_eq!((status, body.as_slice()), (200, &b"ABC"[..]));
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        header("x-rewritten-by").as_deref(),
        Some("hearth-streams-example")
    );
    assert_eq!(
        header("content-type").as_deref(),
        Some("text/plain; charset=utf-8")
    );
}

#[test]
fn rpc_pair_gateway_calls_the_users_worker_over_rpc() {
    let dir = example("rpc-pair");
    let config = |w: &str| dir.path().join(w).join("wrangler.toml");
    let (gateway, users) = (config("gateway"), config("users"));
    let state = tempfile::tempdir().unwrap();
    let h = Hearth::start(
        dir.path(),
        &[
            "-c",
            gateway.to_str().unwrap(),
            "-c",
            users.to_str().unwrap(),
            "--persist-to",
            state.path().to_str().unwrap(),
        ],
    );
    let (status, created) = request(&format!("{}/users/ada", h.url), "POST", &[], None);
    assert_eq!(status, 201, "{created}\n{}", h.logs());
    assert!(created.contains("\"created\":\"ada\""), "{created}");
    let (status, fetched) = h.get("/users/ada");
    assert_eq!(status, 200, "{fetched}");
    assert!(fetched.contains("\"name\":\"ada\""), "{fetched}");
    let (status, rejected) = request(&format!("{}/users/Ada!", h.url), "POST", &[], None);
    assert_eq!(
        status, 400,
        "the RangeError crossed as a RangeError: {rejected}"
    );
    assert!(rejected.contains("invalid user name"), "{rejected}");
    assert_eq!(h.get("/count"), (200, "{\"users\":1}".into()));
    assert_eq!(h.get("/users/bob").0, 404);
}

//! HTMLRewriter and the Cache API, black-box: fixtures `html-rewriter` and
//! `cache-api` run under `hearth dev` and are asserted from outside.

use hearth_tests::{fixture, get_json, request, request_full, Hearth};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn html() -> Hearth {
    Hearth::start(&fixture("html-rewriter"), &[])
}

fn api(h: &Hearth, path: &str) -> Value {
    get_json(&format!("{}/{}", h.url, path))
}

fn text(h: &Hearth, path: &str) -> String {
    let (status, body) = h.get(&format!("/{path}"));
    assert_eq!(status, 200, "GET /{path}: {body}\n{}", h.logs());
    body
}

// ---- HTMLRewriter ------------------------------------------------------------

#[test]
fn html_element_getters_and_remove() {
    let h = html();
    let r = api(&h, "element-info");
    assert_eq!(
        r["seen"][0],
        json!({
            "tagName": "div",
            "attributes": [["id", "main"], ["class", "box big"], ["data-x", "1"]],
            "namespaceURI": "http://www.w3.org/1999/xhtml",
            "hasClass": true,
            "missing": null,
            "dataX": "1",
            "removedBefore": false,
        }),
        "{r}"
    );
    assert_eq!(r["seen"][1], json!({"removedAfter": true}));
    assert_eq!(r["seen"][2], json!({"svg": "http://www.w3.org/2000/svg"}));
    assert_eq!(
        r["hasMain"],
        json!(false),
        "removed element still in output"
    );
}

#[test]
fn html_element_mutations() {
    let h = html();
    let out = text(&h, "element-mutations");
    // setInnerContent escapes text by default.
    assert!(out.contains("<title>New &lt;title&gt;</title>"), "{out}");
    // setAttribute rewrites and adds attributes.
    assert!(
        out.contains(r#"<a href="https://example.com/a" rel="noopener">A</a>"#),
        "{out}"
    );
    // removeAttribute + tagName (the end tag follows the new name).
    assert!(out.contains(r#"<span href="/b">B</span>"#), "{out}");
    // before (html), prepend (html), append (text, escaped), after (text, escaped).
    assert!(
        out.contains("<hr><p><i>pre</i>Hello <b><em>bold</em></b> &amp; post</p>&lt;after&gt;"),
        "{out}"
    );
    // replace, removeAndKeepContent, onEndTag before/after.
    assert!(
        out.contains(
            r#"<ul><li class="item">one</li><li>TWO</li>three<li>last</li></ul><p>after list</p>"#
        ),
        "{out}"
    );
    // after() with html on a void element.
    assert!(out.contains(r#"<img src="x.png"><!-- img -->"#), "{out}");
}

#[test]
fn html_selectors() {
    let h = html();
    let r = api(&h, "selectors");
    let hits = &r["hits"];
    let expect = [
        ("p", 3),
        (".a", 1),
        ("#x", 1),
        ("div > p", 2),
        ("div p", 3),
        ("[data-k]", 1),
        ("[data-k=\"abc\"]", 1),
        ("[data-k^=\"a\"]", 1),
        ("[data-k$=\"c\"]", 1),
        ("[data-k*=\"b\"]", 1),
        ("[title~=\"world\"]", 1),
        ("[lang|=\"en\"]", 1),
        ("p:first-child", 2),
        ("p:nth-child(4)", 1),
        ("p:not(#x)", 2),
        ("*", 6),
        ("p:first-of-type", 2),
        ("div.a.b > span", 1),
    ];
    for (sel, n) in expect {
        assert_eq!(hits[sel], json!(n), "selector {sel}: {r}");
    }
    let invalid = r["invalid"].as_str().unwrap_or_default();
    assert!(invalid.starts_with("TypeError"), "{r}");
    assert!(invalid.contains("p:::bad"), "{r}");
}

#[test]
fn html_text_chunks() {
    let h = html();
    let r = api(&h, "text");
    assert_eq!(r["chunks"], json!([["log me", false], ["", true]]), "{r}");
    let out = r["out"].as_str().unwrap();
    assert!(out.contains(r#"<p class="log">log me</p>"#), "{out}");
    assert!(out.contains(r#"<p class="upper">SHOUT</p>"#), "{out}");
    assert!(out.contains(r#"<p class="wrap">[wrapped]</p>"#), "{out}");
    assert!(out.contains(r#"<p class="gone"></p>"#), "{out}");
    assert!(out.contains(r#"<p class="html"><b>bold</b></p>"#), "{out}");
}

#[test]
fn html_comments() {
    let h = html();
    let r = api(&h, "comments");
    assert_eq!(r["texts"], json!(["orig"]));
    let out = r["out"].as_str().unwrap();
    assert!(
        out.contains(r#"<div class="a"><!-- changed --></div>"#),
        "{out}"
    );
    assert!(
        out.contains(r#"<div class="b"><b><!--x--></b></div>"#),
        "{out}"
    );
    assert!(out.contains(r#"<div class="c">[replaced]</div>"#), "{out}");
    assert!(out.contains(r#"<div class="d"></div>"#), "{out}");
}

#[test]
fn html_document_handlers() {
    let h = html();
    let r = api(&h, "document");
    assert_eq!(
        r["report"]["doctype"],
        json!({"name": "html", "publicId": null, "systemId": null})
    );
    assert_eq!(r["report"]["comments"], json!(["one", "two"]));
    assert_eq!(r["report"]["text"], json!("Hi"));
    let out = r["out"].as_str().unwrap();
    assert!(
        out.ends_with("</body></html><!-- appended at end -->"),
        "{out}"
    );
}

#[test]
fn html_async_handlers_are_awaited_in_order() {
    let h = html();
    let r = api(&h, "async");
    assert_eq!(r["order"], json!(["a", "b", "c"]));
    assert_eq!(
        r["out"],
        json!(
            r#"<ul><li id="a" data-n="0"></li><li id="b" data-n="1"></li><li id="c" data-n="2"></li></ul>"#
        )
    );
}

#[test]
fn html_concurrent_transforms_need_no_thread_each() {
    let h = html();
    let threads = || {
        std::fs::read_dir(format!("/proc/{}/task", h.pid()))
            .unwrap()
            .count()
    };
    let before = threads();
    let url = format!("{}/concurrent?n=200&hold=1500", h.url);
    let waiting = std::thread::spawn(move || get_json(&url));
    // All 200 transforms are suspended in their handlers by now.
    std::thread::sleep(Duration::from_millis(1000));
    let during = threads();
    assert_eq!(waiting.join().unwrap(), json!({"waited": 200, "ok": true}));
    assert!(
        during < before + 20,
        "{before} threads before, {during} while 200 transforms waited"
    );
}

#[test]
fn html_handler_objects_keep_this() {
    let h = html();
    let r = api(&h, "handler-class");
    assert_eq!(r["count"], json!(2));
    assert_eq!(
        r["out"],
        json!(r#"<p data-count="1">a</p><p data-count="2">b</p>"#)
    );
}

#[test]
fn html_handler_exception_errors_the_body() {
    let h = html();
    assert_eq!(text(&h, "throws"), "caught: handler exploded");
}

#[test]
fn html_transform_keeps_status_and_headers() {
    let h = html();
    let r = api(&h, "headers");
    assert_eq!(
        r,
        json!({"status": 201, "kept": "yes", "length": null, "body": "<p>x</p>"})
    );
}

/// An upstream that sends the first half of a large chunked page, then waits
/// until the test has seen rewritten bytes from hearth before sending the
/// rest. If hearth buffered the whole body, the client would see nothing
/// until the gate's timeout released the upstream.
#[test]
fn html_streams_a_large_chunked_upstream() {
    let events = Arc::new(Mutex::new(Vec::<&'static str>::new()));
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream = format!("http://{}", listener.local_addr().unwrap());
    let log = events.clone();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
            if line == "\r\n" {
                break;
            }
            line.clear();
        }
        let _ = stream.write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
        );
        let mut send = |s: &str| {
            let _ = write!(stream, "{:x}\r\n{s}\r\n", s.len());
            let _ = stream.flush();
        };
        let mut first = String::from("<html><body>");
        for i in 0..2000 {
            first.push_str(&format!("<p>first {i}</p>\n"));
        }
        send(&first);
        // Wait for the client to report rewritten bytes (or give up).
        let _ = gate_rx.recv_timeout(Duration::from_secs(20));
        for chunk in 0..20 {
            let mut more = String::new();
            for i in 0..500 {
                more.push_str(&format!("<p>second {chunk}-{i}</p>\n"));
            }
            send(&more);
        }
        send("</body></html>");
        log.lock().unwrap().push("upstream finished");
        let _ = stream.write_all(b"0\r\n\r\n");
    });

    let h = Hearth::start(
        &fixture("html-rewriter"),
        &["--var", &format!("UPSTREAM:{upstream}")],
    );
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .build();
    let response = agent.get(&format!("{}/stream", h.url)).call().unwrap();
    let mut reader = response.into_reader();
    let mut body = Vec::new();
    let mut buf = [0u8; 16384];
    let mut released = false;
    loop {
        let n = reader.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
        if !released && String::from_utf8_lossy(&body).contains("data-rewritten") {
            events.lock().unwrap().push("client saw rewritten bytes");
            let _ = gate_tx.send(());
            released = true;
        }
    }
    let body = String::from_utf8(body).unwrap();
    let events = events.lock().unwrap().clone();
    assert_eq!(
        events,
        vec!["client saw rewritten bytes", "upstream finished"],
        "the rewritten body did not stream"
    );
    assert_eq!(body.matches(r#"<p data-rewritten="yes">"#).count(), 12000);
    assert!(body.contains(r#"<p data-rewritten="yes">second 19-499</p>"#));
    assert!(
        body.ends_with("</body></html>"),
        "{}",
        &body[body.len() - 100..]
    );
}

// ---- Cache API ---------------------------------------------------------------

fn cache_app(state: &std::path::Path) -> Hearth {
    Hearth::start(
        &fixture("cache-api"),
        &["--persist-to", state.to_str().unwrap()],
    )
}

fn put(h: &Hearth, key: &str, query: &str, body: &str) {
    let (status, text) = request(
        &format!("{}/put/{key}?{query}", h.url),
        "PUT",
        &[],
        Some(body.as_bytes()),
    );
    assert_eq!(status, 200, "put {key}: {text}\n{}", h.logs());
}

/// `(status, body, headers)` of `GET /match/KEY?query`.
fn get_match(
    h: &Hearth,
    key: &str,
    query: &str,
    headers: &[(&str, &str)],
) -> (u16, String, Vec<(String, String)>) {
    let (status, body, headers) = request_full(
        &format!("{}/match/{key}?{query}", h.url),
        "GET",
        headers,
        None,
    );
    (status, String::from_utf8_lossy(&body).into_owned(), headers)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[test]
fn cache_put_match_delete() {
    let state = tempfile::tempdir().unwrap();
    let h = cache_app(state.path());
    assert_eq!(get_match(&h, "a", "", &[]).0, 404);
    put(&h, "a", "cc=max-age%3D600", "hello cache");
    let (status, body, headers) = get_match(&h, "a", "", &[]);
    assert_eq!((status, body.as_str()), (200, "hello cache"));
    assert_eq!(header(&headers, "cf-cache-status"), Some("HIT"));
    assert_eq!(header(&headers, "x-stored"), Some("yes"));
    assert_eq!(header(&headers, "cache-control"), Some("max-age=600"));

    // Named caches are separate from each other and from caches.default.
    assert_eq!(get_match(&h, "a", "cache=other", &[]).0, 404);
    put(&h, "a", "cc=max-age%3D600&cache=other", "other body");
    assert_eq!(get_match(&h, "a", "cache=other", &[]).1, "other body");
    assert_eq!(get_match(&h, "a", "", &[]).1, "hello cache");

    // Overwrite.
    put(&h, "a", "cc=max-age%3D600", "second");
    assert_eq!(get_match(&h, "a", "", &[]).1, "second");

    // match() ignores non-GET requests unless ignoreMethod is set.
    assert_eq!(get_match(&h, "a", "post=1", &[]).0, 404);
    assert_eq!(get_match(&h, "a", "post=1&ignore=1", &[]).1, "second");

    let deleted = get_json(&format!("{}/delete/a", h.url));
    assert_eq!(deleted, json!({"deleted": true}));
    assert_eq!(get_match(&h, "a", "", &[]).0, 404);
    let again = get_json(&format!("{}/delete/a", h.url));
    assert_eq!(again, json!({"deleted": false}));
    assert_eq!(get_match(&h, "a", "cache=other", &[]).1, "other body");
}

#[test]
fn cache_put_rules_match_cloudflare() {
    let state = tempfile::tempdir().unwrap();
    let h = cache_app(state.path());
    let r = get_json(&format!("{}/rules", h.url));
    assert_eq!(
        r["post"],
        json!("TypeError: Cannot cache response to non-GET request.")
    );
    assert_eq!(
        r["partial"],
        json!("TypeError: Cannot cache response to a range request (206 Partial Content).")
    );
    assert_eq!(
        r["varyStar"],
        json!("TypeError: Cannot cache response with 'Vary: *' header.")
    );
    assert_eq!(r["matchPost"], json!(true));
    assert_eq!(r["deletePost"], json!(false));
    assert_eq!(
        r["types"],
        json!(["object", "object", "function", "[object Cache]"])
    );

    // Not stored: no-store, private, no-cache, max-age=0, Set-Cookie.
    for (key, query) in [
        ("ns", "cc=no-store"),
        ("pv", "cc=private%2C%20max-age%3D600"),
        ("nc", "cc=no-cache"),
        ("zero", "cc=max-age%3D0"),
        ("cookie", "cc=max-age%3D600&cookie=1"),
        ("teapot", "status=418"),
    ] {
        put(&h, key, query, "body");
        assert_eq!(get_match(&h, key, "", &[]).0, 404, "{key} was cached");
    }

    // private=Set-Cookie stores the response without the cookie.
    put(
        &h,
        "cookie-ok",
        "cc=max-age%3D600%2C%20private%3D%22Set-Cookie%22&cookie=1",
        "no cookie",
    );
    let (status, body, headers) = get_match(&h, "cookie-ok", "", &[]);
    assert_eq!((status, body.as_str()), (200, "no cookie"));
    assert_eq!(header(&headers, "set-cookie"), None);

    // Without Cache-Control a 200 gets the default edge TTL.
    put(&h, "default", "", "default ttl");
    assert_eq!(get_match(&h, "default", "", &[]).1, "default ttl");
}

#[test]
fn cache_conditional_and_range_matches() {
    let state = tempfile::tempdir().unwrap();
    let h = cache_app(state.path());
    put(&h, "r", "cc=max-age%3D600&etag=%22v1%22", "0123456789");
    let (status, body, headers) = get_match(&h, "r", "", &[("range", "bytes=2-5")]);
    assert_eq!((status, body.as_str()), (206, "2345"));
    assert_eq!(header(&headers, "content-range"), Some("bytes 2-5/10"));
    let (status, _, _) = get_match(&h, "r", "", &[("if-none-match", "\"v1\"")]);
    assert_eq!(status, 304);
}

#[test]
fn cache_entries_expire() {
    let state = tempfile::tempdir().unwrap();
    let h = cache_app(state.path());
    put(&h, "short", "cc=max-age%3D1", "short-lived");
    put(
        &h,
        "smax",
        "cc=max-age%3D600%2C%20s-maxage%3D1",
        "s-maxage wins",
    );
    put(&h, "exp", "expires=1", "expires header");
    put(&h, "long", "cc=max-age%3D600", "long-lived");
    put(&h, "long-exp", "expires=600", "expires later");
    for key in ["short", "smax", "exp", "long", "long-exp"] {
        assert_eq!(get_match(&h, key, "", &[]).0, 200, "{key}");
    }
    std::thread::sleep(Duration::from_millis(2100));
    for key in ["short", "smax", "exp"] {
        assert_eq!(get_match(&h, key, "", &[]).0, 404, "{key} did not expire");
    }
    assert_eq!(get_match(&h, "long", "", &[]).1, "long-lived");
    assert_eq!(get_match(&h, "long-exp", "", &[]).1, "expires later");
}

#[test]
fn cache_persists_across_restart() {
    let state = tempfile::tempdir().unwrap();
    {
        let h = cache_app(state.path());
        put(&h, "kept", "cc=max-age%3D600", "still here");
        put(&h, "kept", "cc=max-age%3D600&cache=named", "named too");
    }
    assert!(state.path().join("cache").join("cache.sqlite").exists());
    let h = cache_app(state.path());
    let (status, body, headers) = get_match(&h, "kept", "", &[]);
    assert_eq!((status, body.as_str()), (200, "still here"));
    assert_eq!(header(&headers, "cf-cache-status"), Some("HIT"));
    assert_eq!(get_match(&h, "kept", "cache=named", &[]).1, "named too");
}

// ---- examples/html-rewriter ----------------------------------------------------

#[test]
fn example_html_rewriter_proxies_rewrites_and_caches() {
    let hits = Arc::new(Mutex::new(0usize));
    let counter = hits.clone();
    let upstream = hearth_tests::Upstream::start(move |req| {
        *counter.lock().unwrap() += 1;
        let path = req.url().to_string();
        let (body, kind) = if path == "/data.json" {
            (r#"{"ok":true}"#.to_string(), "application/json")
        } else {
            (
                format!(
                    "<!doctype html><html><head><title>Up page {path}</title></head><body>\
                     <a href=\"/next?x=1\">next</a><a href=\"https://other.example/\">other</a>\
                     <img src=\"/i.png\"></body></html>"
                ),
                "text/html; charset=utf-8",
            )
        };
        let response = tiny_http::Response::from_string(body)
            .with_header(tiny_http::Header::from_bytes("Content-Type", kind).unwrap());
        let _ = req.respond(response);
    });
    let dir = hearth_tests::copy_project(&hearth_tests::repo_root().join("examples/html-rewriter"));
    let state = tempfile::tempdir().unwrap();
    let h = Hearth::start(
        dir.path(),
        &[
            "--var",
            &format!("UPSTREAM:{}", upstream.url),
            "--persist-to",
            state.path().to_str().unwrap(),
        ],
    );
    let (status, body, headers) = request_full(&format!("{}/page", h.url), "GET", &[], None);
    let body = String::from_utf8(body).unwrap();
    assert_eq!(status, 200, "{body}\n{}", h.logs());
    assert!(
        body.contains("<title>[proxied] Up page /page</title>"),
        "{body}"
    );
    assert!(
        body.contains(r#"<body><div id="hearth-banner" style="padding:8px;background:#fe8">Served through hearth&#39;s HTMLRewriter</div>"#)
            || body.contains(r#"<body><div id="hearth-banner" style="padding:8px;background:#fe8">Served through hearth's HTMLRewriter</div>"#),
        "{body}"
    );
    assert!(body.contains(r#"<a href="/next?x=1">next</a>"#), "{body}");
    assert!(
        body.contains(
            r#"<a href="https://other.example/" rel="noopener" target="_blank">other</a>"#
        ),
        "{body}"
    );
    assert!(
        body.contains(r#"<img src="/i.png" loading="lazy">"#),
        "{body}"
    );
    assert_eq!(header(&headers, "x-rewritten-by"), Some("hearth"));
    assert_eq!(header(&headers, "cf-cache-status"), None);
    assert_eq!(*hits.lock().unwrap(), 1);

    // The second request is served from the Cache API, without the upstream.
    let mut cached = None;
    for _ in 0..50 {
        let (status, again, headers) = request_full(&format!("{}/page", h.url), "GET", &[], None);
        if header(&headers, "cf-cache-status") == Some("HIT") {
            cached = Some((status, String::from_utf8(again).unwrap()));
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, again) = cached.expect("the rewritten page was never cached");
    assert_eq!(status, 200);
    assert_eq!(again, body);

    // Non-HTML passes through untouched.
    let (status, json) = h.get("/data.json");
    assert_eq!((status, json.as_str()), (200, r#"{"ok":true}"#));
}

#[test]
fn html_client_disconnect_mid_stream_is_harmless() {
    let chunks: Vec<&'static str> = std::iter::once("<html><body>")
        .chain(std::iter::repeat_n("<p>slow</p>", 100))
        .collect();
    let upstream = hearth_tests::slow_chunked_upstream(chunks, Duration::from_millis(30));
    let h = Hearth::start(
        &fixture("html-rewriter"),
        &["--var", &format!("UPSTREAM:{upstream}")],
    );
    for _ in 0..3 {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(30))
            .build();
        let response = agent.get(&format!("{}/stream", h.url)).call().unwrap();
        let mut reader = response.into_reader();
        let mut buf = [0u8; 256];
        let n = reader.read(&mut buf).unwrap();
        assert!(n > 0);
        drop(reader);
    }
    // The worker keeps serving, rewriting included.
    let r = api(&h, "handler-class");
    assert_eq!(r["count"], json!(2));
    assert!(!h.logs().contains("panicked"), "{}", h.logs());
}

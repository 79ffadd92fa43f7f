//! `node:http` and `node:https` as Cloudflare Workers provide them: a server
//! made with `createServer` and served through `cloudflare:node`'s
//! `httpServerHandler` (raw, and a real Express 4 app from npm), and the
//! client (`http.get`/`http.request`) sent through fetch(), so the
//! `[outbound]` policy applies.

use hearth_tests::{
    copy_project, fixture, npm_fixture, read_timed, request, request_full, slow_chunked_upstream,
    write_project, Hearth, Upstream,
};
use serde_json::{json, Value};
use std::time::Duration;

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect()
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

// ---- the server: createServer + httpServerHandler ---------------------------

#[test]
fn create_server_answers_through_http_server_handler() {
    let h = Hearth::start(&fixture("node-http-server"), &[]);
    let (status, body, headers) = request_full(&format!("{}/", h.url), "GET", &[], None);
    assert_eq!(
        (status, body.as_slice()),
        (200, &b"hello from node:http"[..])
    );
    assert_eq!(header(&headers, "content-type"), ["text/plain"]);
    assert_eq!(header(&headers, "x-powered-by"), ["node:http"]);
    assert_eq!(header(&headers, "date").len(), 1, "{headers:?}");

    // Unknown routes: the handler's own 404.
    assert_eq!(
        h.get("/nope?x=1"),
        (404, "no route for GET /nope".to_string())
    );

    // statusCode/statusMessage and removeHeader.
    let (status, body, headers) = request_full(&format!("{}/status", h.url), "GET", &[], None);
    assert_eq!((status, body.as_slice()), (418, &b"teapot"[..]));
    assert!(header(&headers, "x-removed").is_empty(), "{headers:?}");

    // A second server in the isolate, reached by port.
    assert_eq!(
        h.get("/admin/x"),
        (200, "admin server on port 9090 saw /admin/x".to_string())
    );
}

#[test]
fn incoming_message_and_response_headers() {
    let h = Hearth::start(&fixture("node-http-server"), &[]);
    let (status, body, headers) = request_full(
        &format!("{}/request?q=1", h.url),
        "GET",
        &[("X-Custom", "custom value")],
        None,
    );
    assert_eq!(status, 200);
    let v = parse(std::str::from_utf8(&body).unwrap());
    assert_eq!(v["method"], "GET");
    assert_eq!(v["url"], "/request?q=1");
    assert_eq!(v["httpVersion"], "1.1");
    assert_eq!(v["custom"], "custom value");
    assert_eq!(v["rawHasCustom"], true);
    assert_eq!(v["remoteAddress"], "127.0.0.1");
    assert_eq!(v["hasHeader"], true);
    assert_eq!(v["headerNames"], json!(["content-type", "set-cookie"]));
    assert_eq!(v["headersSentBefore"], false);
    // An array header is sent as separate fields.
    assert_eq!(header(&headers, "set-cookie"), ["a=1", "b=2"]);

    // After writeHead the headers count as sent: setHeader throws Node's error.
    assert_eq!(
        h.get("/headers-sent"),
        (201, "ERR_HTTP_HEADERS_SENT".to_string())
    );
}

#[test]
fn request_body_is_a_readable() {
    let h = Hearth::start(&fixture("node-http-server"), &[]);
    let big = "x".repeat(200_000);
    let (status, text) = request(
        &format!("{}/echo", h.url),
        "POST",
        &[("content-type", "text/plain")],
        Some(big.as_bytes()),
    );
    assert_eq!(status, 200, "{text}");
    let v = parse(&text);
    assert_eq!(v["length"], 200_000);
    assert_eq!(v["text"].as_str().unwrap(), big);
    assert_eq!(v["contentType"], "text/plain");
    assert_eq!(v["complete"], true);
}

#[test]
fn writes_stream_to_the_client_as_they_happen() {
    let h = Hearth::start(&fixture("node-http-server"), &[]);
    let (status, reads) = read_timed(&format!("{}/stream", h.url));
    assert_eq!(status, 200);
    let all: Vec<u8> = reads.iter().flat_map(|(_, b)| b.clone()).collect();
    assert_eq!(
        String::from_utf8(all).unwrap(),
        "chunk1\nchunk2\nchunk3\ndone\n"
    );
    // The first chunk arrives before the last is written (800 ms later).
    let first = reads.first().unwrap().0;
    let last = reads.last().unwrap().0;
    assert!(
        last - first >= Duration::from_millis(500),
        "not streamed: {reads:?}"
    );
}

#[test]
fn finish_and_close_events_and_thrown_errors() {
    let h = Hearth::start(&fixture("node-http-server"), &[]);
    assert_eq!(h.get("/finish"), (200, "bye".to_string()));
    h.wait_for_log("finish event: writableFinished=true");
    h.wait_for_log("close event after finish");
    let (status, _) = h.get("/throws");
    assert_eq!(status, 500);
    h.wait_for_log("handler failed");
    // The worker keeps serving.
    assert_eq!(h.get("/").0, 200);
}

#[test]
fn server_modules_follow_their_compatibility_flag() {
    // Before 2025-09-01 (and without the flag) createServer is not there.
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"s\"\nmain = \"index.js\"\ncompatibility_date = \"2025-08-20\"\n\
             compatibility_flags = [\"nodejs_compat\"]\n",
        ),
        (
            "index.js",
            "import http from 'node:http';\n\
             export default { fetch() {\n\
               try { http.createServer(); return new Response('created'); }\n\
               catch (e) { return new Response(e.code); } } };\n",
        ),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(h.get("/"), (200, "ERR_METHOD_NOT_IMPLEMENTED".to_string()));
    drop(h);
    // With the flag, it is.
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"s\"\nmain = \"index.js\"\ncompatibility_date = \"2025-08-20\"\n\
             compatibility_flags = [\"nodejs_compat\", \"enable_nodejs_http_server_modules\"]\n",
        ),
        (
            "index.js",
            "import http from 'node:http';\nimport { httpServerHandler } from 'cloudflare:node';\n\
             const server = http.createServer((req, res) => res.end('served ' + req.url));\n\
             export default httpServerHandler(server);\n",
        ),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(h.get("/x?y"), (200, "served /x?y".to_string()));
    drop(h);
    // Before 2025-08-15, node:http itself is off, with a message naming the flag.
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"s\"\nmain = \"index.js\"\ncompatibility_date = \"2025-08-01\"\n\
             compatibility_flags = [\"nodejs_compat\"]\n",
        ),
        (
            "index.js",
            "import http from 'node:http';\nexport default { fetch() { return new Response(typeof http); } };\n",
        ),
    ]);
    let err = match Hearth::try_start(dir.path(), &[]) {
        Ok(h) => panic!("started without enable_nodejs_http_modules:\n{}", h.logs()),
        Err(logs) => logs,
    };
    assert!(err.contains("enable_nodejs_http_modules"), "{err}");
}

// ---- Express 4 from npm ------------------------------------------------------

#[test]
fn express_app_runs_unchanged() {
    let Some(dir) = npm_fixture("node-http-express") else {
        return;
    };
    let h = Hearth::start(&dir, &[]);
    let (status, body, headers) = request_full(&format!("{}/", h.url), "GET", &[], None);
    assert_eq!(
        (status, String::from_utf8(body).unwrap().as_str()),
        (200, "Hello from Express on hearth"),
        "{}",
        h.logs()
    );
    assert_eq!(
        header(&headers, "content-type"),
        ["text/html; charset=utf-8"]
    );
    assert_eq!(header(&headers, "x-powered-by"), ["Express"]);
    assert_eq!(header(&headers, "etag").len(), 1, "{headers:?}");

    // Route params and res.json.
    assert_eq!(
        h.json("GET", "/users/1", None),
        (200, json!({ "id": "1", "name": "Ada" }))
    );
    assert_eq!(
        h.json("GET", "/users/99", None),
        (404, json!({ "error": "no user 99" }))
    );

    // A JSON body through express.json(), res.status(201).location().json().
    let (status, body, headers) = request_full(
        &format!("{}/users", h.url),
        "POST",
        &[("content-type", "application/json")],
        Some(br#"{"name":"Grace"}"#),
    );
    assert_eq!(status, 201, "{}", h.logs());
    let created = parse(std::str::from_utf8(&body).unwrap());
    assert_eq!(created["name"], "Grace");
    let location = format!("/users/{}", created["id"].as_str().unwrap());
    assert_eq!(header(&headers, "location"), [location.as_str()]);
    assert_eq!(
        h.json("POST", "/users", Some(json!({ "nope": 1 }))),
        (400, json!({ "error": "name is required" }))
    );

    // Query parsing, req.path/hostname/protocol/ip.
    let (status, v) = h.json("GET", "/query?a=1&b=x&b=y", None);
    assert_eq!(status, 200);
    assert_eq!(v["query"], json!({ "a": "1", "b": ["x", "y"] }));
    assert_eq!(v["path"], "/query");
    assert_eq!(v["hostname"], "127.0.0.1");
    assert_eq!(v["protocol"], "http");
    assert_eq!(v["ip"], "127.0.0.1");

    // A mounted Router.
    let (status, body, headers) = request_full(&format!("{}/api/ping", h.url), "GET", &[], None);
    assert_eq!((status, body.as_slice()), (200, &b"pong"[..]));
    assert_eq!(
        header(&headers, "content-type"),
        ["text/plain; charset=utf-8"]
    );

    // Express's own 404 and error handler (finalhandler).
    let (status, text) = h.get("/missing");
    assert_eq!(status, 404);
    assert!(text.contains("Cannot GET /missing"), "{text}");
    let (status, text) = h.get("/error");
    assert_eq!(status, 500);
    assert!(text.contains("<title>Error</title>"), "{text}");
    assert!(
        text.contains("src/index.js"),
        "the stack in development: {text}"
    );

    // HEAD: headers without a body.
    let (status, body, headers) = request_full(&format!("{}/users/1", h.url), "HEAD", &[], None);
    assert_eq!(status, 200);
    assert!(body.is_empty());
    assert_eq!(
        header(&headers, "content-type"),
        ["application/json; charset=utf-8"]
    );
}

// ---- the client: http.get / http.request over fetch() ------------------------

fn echo_upstream() -> Upstream {
    Upstream::start(|mut req| {
        let mut body = String::new();
        let _ = std::io::Read::read_to_string(req.as_reader(), &mut body);
        let headers: serde_json::Map<String, Value> = req
            .headers()
            .iter()
            .map(|h| {
                (
                    h.field.as_str().as_str().to_ascii_lowercase(),
                    Value::String(h.value.as_str().to_string()),
                )
            })
            .collect();
        let answer = json!({
            "method": req.method().as_str(),
            "url": req.url(),
            "headers": headers,
            "body": body,
        });
        let response = tiny_http::Response::from_string(answer.to_string())
            .with_status_code(203)
            .with_header(tiny_http::Header::from_bytes("Content-Type", "application/json").unwrap())
            .with_header(tiny_http::Header::from_bytes("Set-Cookie", "s=1").unwrap())
            .with_header(tiny_http::Header::from_bytes("Set-Cookie", "t=2").unwrap());
        let _ = req.respond(response);
    })
}

fn client(h: &Hearth, path: &str, to: &str) -> Value {
    let (status, text) = h.get(&format!("{path}?to={}", urlencode(to)));
    assert_eq!(status, 200, "{text}\n{}", h.logs());
    parse(&text)
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn client_get_reads_status_headers_and_body() {
    let up = echo_upstream();
    let h = Hearth::start(&fixture("node-http-client"), &[]);
    let v = client(&h, "/get", &format!("{}/path?x=1", up.url));
    assert_eq!(v["status"], 203, "{v}");
    // The upstream's own reason phrase (tiny_http's wording), not Node's table.
    assert_eq!(v["statusMessage"], "Non Authoritative Information");
    assert_eq!(v["httpVersion"], "1.1");
    assert_eq!(v["headers"]["content-type"], "application/json");
    assert_eq!(v["headers"]["set-cookie"], json!(["s=1", "t=2"]));
    let raw = v["rawHeaders"].as_array().unwrap();
    assert!(raw.iter().any(|h| h == "content-type"), "{raw:?}");
    let echoed = parse(v["body"].as_str().unwrap());
    assert_eq!(echoed["method"], "GET");
    assert_eq!(echoed["url"], "/path?x=1");

    // A URL object plus options.
    let v = client(&h, "/get-url", &format!("{}/u", up.url));
    let echoed = parse(v["body"].as_str().unwrap());
    assert_eq!(echoed["url"], "/u");
    assert_eq!(echoed["headers"]["x-from"], "url");
}

#[test]
fn client_post_sends_written_body_and_headers() {
    let up = echo_upstream();
    let h = Hearth::start(&fixture("node-http-client"), &[]);
    let v = client(&h, "/post", &format!("{}/submit", up.url));
    assert_eq!(v["status"], 203, "{v}");
    let echoed = parse(v["body"].as_str().unwrap());
    assert_eq!(echoed["method"], "POST");
    assert_eq!(echoed["url"], "/submit?via=options");
    assert_eq!(echoed["body"], "hello from node:http");
    assert_eq!(echoed["headers"]["content-type"], "text/plain");
    assert_eq!(echoed["headers"]["x-custom"], "yes");
    assert_eq!(echoed["headers"]["x-set-later"], "later");
}

#[test]
fn client_response_body_streams_in_chunks() {
    let url = slow_chunked_upstream(vec!["one ", "two ", "three"], Duration::from_millis(150));
    let h = Hearth::start(&fixture("node-http-client"), &[]);
    let v = client(&h, "/get", &url);
    assert_eq!(v["status"], 200, "{v}");
    assert_eq!(v["body"], "one two three");
    assert!(v["events"].as_u64().unwrap() >= 2, "one 'data' event: {v}");
}

#[test]
fn client_errors_refused_denied_aborted_and_wrong_protocol() {
    let h = Hearth::start(&fixture("node-http-client"), &[]);
    // Nothing listens there: an 'error' event with Node's code.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let v = client(&h, "/get", &format!("http://127.0.0.1:{port}/"));
    assert_eq!(v["error"]["code"], "ECONNREFUSED", "{v}");

    // http.get with an https URL: Node's ERR_INVALID_PROTOCOL.
    let v = client(&h, "/wrong-protocol", "https://127.0.0.1/");
    assert_eq!(v["error"]["code"], "ERR_INVALID_PROTOCOL", "{v}");

    // abort(): 'abort' then 'close', no 'error'.
    let up = echo_upstream();
    let v = client(&h, "/abort", &up.url);
    assert_eq!(v["events"], json!(["abort", "close"]), "{v}");
    assert_eq!(v["aborted"], true);

    // Constants, validators, and createServer off before 2025-09-01.
    let (_, text) = h.get("/constants");
    let v = parse(&text);
    assert_eq!(v["notFound"], "Not Found");
    assert_eq!(v["hasQuery"], true);
    assert_eq!(v["maxHeaderSize"], 16384);
    assert_eq!(v["agentPort"], 80);
    assert_eq!(v["httpsAgentPort"], 443);
    assert_eq!(v["badName"], "ERR_INVALID_HTTP_TOKEN");
    assert_eq!(v["badValue"], "ERR_INVALID_CHAR");
    assert_eq!(v["createServer"], "ERR_METHOD_NOT_IMPLEMENTED");
}

#[test]
fn client_obeys_the_outbound_policy() {
    let up = echo_upstream();
    let src = fixture("node-http-client");
    let dir = copy_project(&src);
    let config = std::fs::read_to_string(dir.path().join("wrangler.toml")).unwrap();
    std::fs::write(
        dir.path().join("wrangler.toml"),
        format!("{config}\n[outbound]\ndeny = [\"{}\"]\n", up.authority),
    )
    .unwrap();
    let h = Hearth::start(dir.path(), &[]);
    let v = client(&h, "/get", &format!("{}/secret", up.url));
    let message = v["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("is blocked by the [outbound] policy"),
        "{v}"
    );
}

// ---- what Express's dependencies need besides node:http ----------------------

#[test]
fn querystring_tty_set_immediate_and_call_sites() {
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"q\"\nmain = \"index.js\"\ncompatibility_date = \"2025-09-15\"\n\
             compatibility_flags = [\"nodejs_compat\"]\n",
        ),
        (
            "index.js",
            r#"import qs from 'node:querystring';
import tty from 'tty';
function sites() {
  const prep = Error.prepareStackTrace;
  Error.prepareStackTrace = (_, s) => s;
  const o = {};
  Error.captureStackTrace(o);
  const s = o.stack;
  Error.prepareStackTrace = prep;
  return s;
}
export default { async fetch() {
  const immediate = await new Promise((resolve) => setImmediate((v) => resolve(v), 'ran'));
  const site = sites()[0];
  return Response.json({
    parsed: qs.parse('a=1&b=x+y&b=%7E&c&bad=%E0%A4%A'),
    limited: Object.keys(qs.parse('a=1&b=2&c=3', null, null, { maxKeys: 2 })),
    custom: qs.parse('a:1;b:2', ';', ':'),
    stringified: qs.stringify({ a: [1, 2], b: 'x y', c: true, d: null, e: "!'()*~" }),
    unescaped: qs.unescape('%41%zz'),
    isatty: tty.isatty(1),
    immediate,
    clearImmediate: typeof clearImmediate,
    callSite: [typeof site.getFileName(), site.isEval(), site.getTypeName(), typeof site.getThis()],
  });
} };
"#,
        ),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    let (status, text) = h.get("/");
    assert_eq!(status, 200, "{text}\n{}", h.logs());
    let v = parse(&text);
    assert_eq!(
        v["parsed"],
        json!({ "a": "1", "b": ["x y", "~"], "c": "", "bad": "\u{fffd}%A" })
    );
    assert_eq!(v["limited"], json!(["a", "b"]));
    assert_eq!(v["custom"], json!({ "a": "1", "b": "2" }));
    assert_eq!(v["stringified"], "a=1&a=2&b=x%20y&c=true&d=&e=!'()*~");
    assert_eq!(v["unescaped"], "A%zz");
    assert_eq!(v["isatty"], false);
    assert_eq!(v["immediate"], "ran");
    assert_eq!(v["clearImmediate"], "function");
    assert_eq!(v["callSite"], json!(["string", false, null, "undefined"]));
}

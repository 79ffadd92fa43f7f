//! Web APIs as a Workers user relies on them: one fixture worker
//! (`fixtures/web_apis`) with a route per area, asserted from outside.

use hearth_tests::{
    fixture, get_json, read_timed, request, request_full, slow_chunked_upstream, Hearth, Upstream,
};
use serde_json::{json, Value};
use std::time::Duration;

fn start() -> Hearth {
    Hearth::start(&fixture("web_apis"), &[])
}

fn api(h: &Hearth, path: &str) -> Value {
    get_json(&format!("{}{}", h.url, path))
}

/// An upstream that echoes requests as JSON and serves `/redirect` → `/target`.
fn echo_upstream() -> Upstream {
    Upstream::start(|mut req| {
        let path = req.url().to_string();
        if path == "/redirect" {
            let r = tiny_http::Response::from_string("moved")
                .with_status_code(302)
                .with_header(tiny_http::Header::from_bytes("Location", "/target").unwrap());
            let _ = req.respond(r);
            return;
        }
        if path == "/target" {
            let _ = req.respond(tiny_http::Response::from_string("you found the target"));
            return;
        }
        if path == "/hang" {
            std::thread::sleep(Duration::from_secs(5));
            let _ = req.respond(tiny_http::Response::from_string("too late"));
            return;
        }
        let mut body = String::new();
        let _ = req.as_reader().read_to_string(&mut body);
        let header = |name: &'static str| {
            req.headers()
                .iter()
                .find(|h| h.field.equiv(name))
                .map(|h| h.value.to_string())
        };
        let echo = json!({
            "method": req.method().to_string(),
            "url": path,
            "custom": header("X-Custom"),
            "contentType": header("Content-Type"),
            "body": body,
        });
        let r = tiny_http::Response::from_string(echo.to_string()).with_header(
            tiny_http::Header::from_bytes("Content-Type", "application/json").unwrap(),
        );
        let _ = req.respond(r);
    })
}

#[test]
fn request_construction_body_and_clone() {
    let h = start();
    let (status, body) = request(
        &format!("{}/request", h.url),
        "GET",
        &[("X-Test", "yes")],
        None,
    );
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["method"], "POST");
    assert_eq!(v["url"], "https://example.com/a?b=1");
    assert_eq!(v["header"], "1");
    assert_eq!(v["body"], json!({"hello": "world"}));
    assert_eq!(v["cloneText"], r#"{"hello":"world"}"#);
    assert_eq!(v["bodyUsed"], true);
    assert_eq!(v["incoming"]["method"], "GET");
    assert_eq!(v["incoming"]["header"], "yes");
    let url = v["incoming"]["url"].as_str().unwrap();
    assert!(
        url.starts_with("http://") && url.ends_with("/request"),
        "{url}"
    );
}

#[test]
fn response_json_redirect_clone_and_headers() {
    let h = start();
    let v = api(&h, "/response");
    assert_eq!(v["jsonStatus"], 201);
    assert!(
        v["jsonType"]
            .as_str()
            .unwrap()
            .starts_with("application/json"),
        "{v}"
    );
    assert_eq!(v["jsonBody"], json!({"a": 1}));
    assert_eq!(v["status"], 418);
    assert_eq!(v["statusText"], "Teapot");
    assert_eq!(v["ok"], false);
    assert_eq!(v["header"], "b");
    assert_eq!(v["text"], "hello");
    assert_eq!(v["cloneText"], "hello");
    assert_eq!(v["redirectStatus"], 301);
    assert_eq!(v["redirectLocation"], "https://example.com/next");
    assert_eq!(v["badStatus"], "RangeError");
    assert_eq!(v["getSetCookie"], json!(["a=1; Path=/", "b=2; Path=/"]));
    assert_eq!(v["arrayBuffer"], "4142");
    assert_eq!(v["nullBody"], Value::Null);
}

#[test]
fn multiple_set_cookie_headers_reach_the_client() {
    let h = start();
    let (status, body, headers) = request_full(&format!("{}/cookies", h.url), "GET", &[], None);
    assert_eq!(status, 200);
    assert_eq!(body, b"cookies");
    let cookies: Vec<&str> = headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(
        cookies,
        ["first=1; Path=/", "second=2; Path=/; HttpOnly"],
        "{headers:?}"
    );
}

#[test]
fn response_statuses_reach_the_client() {
    let h = start();
    for code in [200u16, 201, 204, 301, 400, 404, 418, 500, 503] {
        let (status, body) = h.get(&format!("/status?code={code}"));
        assert_eq!(status, code);
        if code == 204 {
            assert_eq!(body, "");
        } else {
            assert_eq!(body, format!("status {code}"));
        }
    }
}

#[test]
fn headers_are_case_insensitive_and_combined() {
    let h = start();
    let v = api(&h, "/headers");
    assert_eq!(v["a"], "1, 3");
    assert_eq!(v["entries"], json!([["a", "1, 3"], ["b", "2"]]));
    assert_eq!(v["had"], true);
    assert_eq!(v["has"], false);
    assert_eq!(v["missing"], Value::Null);
}

/// Each URL component for URLs of every shape, as the WHATWG URL standard
/// (and Node's implementation of it, which produced the expected rows) gives them.
#[test]
fn url_components_of_every_shape() {
    const FIELDS: [&str; 11] = [
        "href", "origin", "protocol", "username", "password", "host", "hostname", "port",
        "pathname", "search", "hash",
    ];
    let cases: [(&str, [&str; 11]); 12] = [
        (
            "http://u:p@host:8080/a/b?x=1#f",
            [
                "http://u:p@host:8080/a/b?x=1#f",
                "http://host:8080",
                "http:",
                "u",
                "p",
                "host:8080",
                "host",
                "8080",
                "/a/b",
                "?x=1",
                "#f",
            ],
        ),
        (
            "https://[::1]:443/x?",
            [
                "https://[::1]/x?",
                "https://[::1]",
                "https:",
                "",
                "",
                "[::1]",
                "[::1]",
                "",
                "/x",
                "",
                "",
            ],
        ),
        (
            "http://h/#",
            [
                "http://h/#",
                "http://h",
                "http:",
                "",
                "",
                "h",
                "h",
                "",
                "/",
                "",
                "",
            ],
        ),
        (
            "mailto:someone@example.com",
            [
                "mailto:someone@example.com",
                "null",
                "mailto:",
                "",
                "",
                "",
                "",
                "",
                "someone@example.com",
                "",
                "",
            ],
        ),
        (
            "file:///etc/passwd",
            [
                "file:///etc/passwd",
                "null",
                "file:",
                "",
                "",
                "",
                "",
                "",
                "/etc/passwd",
                "",
                "",
            ],
        ),
        (
            "http://user@h/",
            [
                "http://user@h/",
                "http://h",
                "http:",
                "user",
                "",
                "h",
                "h",
                "",
                "/",
                "",
                "",
            ],
        ),
        (
            "http://:pw@h/p",
            [
                "http://:pw@h/p",
                "http://h",
                "http:",
                "",
                "pw",
                "h",
                "h",
                "",
                "/p",
                "",
                "",
            ],
        ),
        (
            "ws://ex.com:80/",
            [
                "ws://ex.com/",
                "ws://ex.com",
                "ws:",
                "",
                "",
                "ex.com",
                "ex.com",
                "",
                "/",
                "",
                "",
            ],
        ),
        (
            "blob:https://a.com/uuid",
            [
                "blob:https://a.com/uuid",
                "https://a.com",
                "blob:",
                "",
                "",
                "",
                "",
                "",
                "https://a.com/uuid",
                "",
                "",
            ],
        ),
        (
            "http://EXAMPLE.com/%7Efoo/ä?q=ü#ö",
            [
                "http://example.com/%7Efoo/%C3%A4?q=%C3%BC#%C3%B6",
                "http://example.com",
                "http:",
                "",
                "",
                "example.com",
                "example.com",
                "",
                "/%7Efoo/%C3%A4",
                "?q=%C3%BC",
                "#%C3%B6",
            ],
        ),
        (
            "http://h:99/?#",
            [
                "http://h:99/?#",
                "http://h:99",
                "http:",
                "",
                "",
                "h:99",
                "h",
                "99",
                "/",
                "",
                "",
            ],
        ),
        (
            "sc://x/y?z#w",
            [
                "sc://x/y?z#w",
                "null",
                "sc:",
                "",
                "",
                "x",
                "x",
                "",
                "/y",
                "?z",
                "#w",
            ],
        ),
    ];
    let h = start();
    let inputs: Vec<&str> = cases.iter().map(|(input, _)| *input).collect();
    let body = serde_json::to_vec(&inputs).unwrap();
    let (status, text) = request(
        &format!("{}/url/components", h.url),
        "POST",
        &[("content-type", "application/json")],
        Some(&body),
    );
    assert_eq!(status, 200, "{text}");
    let got: Vec<Value> = serde_json::from_str(&text).unwrap();
    for ((input, expected), got) in cases.iter().zip(&got) {
        for (field, want) in FIELDS.iter().zip(expected) {
            assert_eq!(got[*field], *want, "{field} of {input}");
        }
    }
}

#[test]
fn url_and_search_params() {
    let h = start();
    let v = api(&h, "/url");
    assert_eq!(
        v["href"],
        "https://user:pw@example.com:8443/a/x/y?q=1&q=2#frag"
    );
    assert_eq!(v["host"], "example.com:8443");
    assert_eq!(v["hostname"], "example.com");
    assert_eq!(v["port"], "8443");
    assert_eq!(v["pathname"], "/a/x/y");
    assert_eq!(v["search"], "?q=1&q=2");
    assert_eq!(v["hash"], "#frag");
    assert_eq!(v["username"], "user");
    assert_eq!(v["origin"], "https://example.com:8443");
    assert_eq!(v["all"], json!(["1", "2"]));
    assert_eq!(v["params"], "a=1&a=3&b=two+words&c=x%26y");
    assert_eq!(v["getA"], json!(["1", "3"]));
    assert_eq!(v["rel"], "http://localhost/p?x=1&y=z+w");
    assert_eq!(v["invalid"], "TypeError");
    assert_eq!(v["canParse"], true);
}

#[test]
fn fetch_get_sends_headers_to_upstream() {
    let up = echo_upstream();
    let h = start();
    let v = api(&h, &format!("/fetch/get?upstream={}", up.url));
    assert_eq!(v["status"], 200);
    assert_eq!(v["contentType"], "application/json");
    assert_eq!(v["body"]["method"], "GET");
    assert_eq!(v["body"]["url"], "/echo?x=1");
    assert_eq!(v["body"]["custom"], "hello");
}

#[test]
fn fetch_post_sends_body() {
    let up = echo_upstream();
    let h = start();
    let v = api(&h, &format!("/fetch/post?upstream={}", up.url));
    assert_eq!(v["status"], 200);
    assert_eq!(v["body"]["method"], "POST");
    assert_eq!(v["body"]["body"], "posted body");
    assert_eq!(v["body"]["contentType"], "text/plain");
}

#[test]
fn fetch_follows_redirects_and_manual_mode_does_not() {
    let up = echo_upstream();
    let h = start();
    let v = api(&h, &format!("/fetch/redirect?upstream={}", up.url));
    assert_eq!(v["followedStatus"], 200);
    assert_eq!(v["followedBody"], "you found the target");
    assert_eq!(v["redirected"], true);
    assert_eq!(v["followedUrl"], format!("{}/target", up.url));
    assert_eq!(v["manualStatus"], 302);
    assert_eq!(v["manualLocation"], "/target");
}

#[test]
fn fetched_response_headers_are_immutable() {
    let up = echo_upstream();
    let h = start();
    let v = api(&h, &format!("/fetch/guard?upstream={}", up.url));
    let refused = "TypeError: Can't modify immutable headers.";
    assert_eq!(v["set"], refused, "{v}");
    assert_eq!(v["append"], refused, "{v}");
    assert_eq!(v["delete"], refused, "{v}");
    assert_eq!(v["clone"], refused, "{v}");
    assert_eq!(v["contentType"], "application/json");
    assert_eq!(v["added"], Value::Null);
    assert_eq!(v["copy"], "yes");
    assert_eq!(v["own"], "allowed");
}

#[test]
fn fetch_reads_data_urls() {
    let h = start();
    let v = api(&h, "/fetch/data");
    assert_eq!(v["status"], 200, "{v}");
    assert_eq!(v["statusText"], "OK");
    assert_eq!(v["contentType"], "text/plain;charset=US-ASCII");
    // The BOM is dropped and the last duplicate key wins, in first-key order.
    assert_eq!(v["json"], json!({"b": 3, "a": 2}));
    assert_eq!(v["keys"], json!(["b", "a"]));
    assert_eq!(v["bytes"], json!([0, 1, 2, 255]));
    assert_eq!(v["bytesType"], "application/octet-stream");
    assert_eq!(v["html"], "<b>€</b>");
    assert_eq!(v["htmlType"], "text/html;charset=utf-8");
    assert_eq!(v["lenient"], "Hello");
    assert_eq!(v["head"], Value::Null);
    assert_eq!(
        v["noComma"],
        "TypeError: Fetch API cannot load: data:text/plain"
    );
    assert_eq!(v["mutable"], "yes");
}

#[test]
fn fetch_response_body_is_read_incrementally() {
    let up = slow_chunked_upstream(
        vec!["one ", "two ", "three ", "four"],
        Duration::from_millis(150),
    );
    let h = start();
    let v = api(&h, &format!("/fetch/stream?upstream={up}"));
    assert_eq!(v["text"], "one two three four");
    assert!(
        v["reads"].as_u64().unwrap() >= 3,
        "chunks were buffered: {v}"
    );
    let first = v["firstAt"].as_u64().unwrap();
    let last = v["lastAt"].as_u64().unwrap();
    assert!(
        last - first >= 300,
        "the first chunk did not arrive before the last: {v}"
    );
}

#[test]
fn fetch_is_aborted_by_abort_signal_timeout() {
    let up = echo_upstream();
    let h = start();
    let v = api(&h, &format!("/fetch/abort?upstream={}", up.url));
    assert_eq!(v["name"], "TimeoutError", "{v}");
    assert!(v["elapsed"].as_u64().unwrap() < 2000, "{v}");
}

#[test]
fn text_encoder_and_decoder() {
    let h = start();
    let v = api(&h, "/encoding");
    assert_eq!(v["hex"], "68c3a96c6c6f20e282acf09f9880");
    assert_eq!(v["streamed"], "héllo €😀");
    assert_eq!(v["fatal"], "TypeError");
    assert_eq!(v["lossy"], "a\u{fffd}");
    assert_eq!(v["into"], json!({"read": 2, "written": 3}));
    assert_eq!(v["encoding"], "utf-8");
}

#[test]
fn text_encoder_writes_lone_surrogates_as_replacement_character() {
    let h = start();
    let v = api(&h, "/encoding/lone-surrogates");
    assert_eq!(v["lead"], "efbfbd", "{v}");
    assert_eq!(v["trail"], "78efbfbd", "{v}");
    assert_eq!(v["into"], json!({"read": 3, "written": 5}), "{v}");
    assert_eq!(v["intoHex"], "61efbfbd62", "{v}");
    // encodeInto writes into a Uint8Array only.
    assert_eq!(v["notUint8"], "TypeError", "{v}");
}

#[test]
fn url_setters_follow_the_whatwg_url_api() {
    let h = start();
    let v = api(&h, "/url/setters");
    assert_eq!(v["keepsPort"], "http://example.com:8080/path", "{v}");
    assert_eq!(v["portDigits"], "http://example.org:90/path", "{v}");
    assert_eq!(v["protocol"], "http://example.net/", "{v}");
    assert_eq!(v["emptyHost"], "sc:///", "{v}");
    assert_eq!(v["blobHttp"], "https://example.org", "{v}");
    assert_eq!(v["blobOther"], "null", "{v}");
}

#[test]
fn self_is_the_global_scope() {
    let h = start();
    let v = api(&h, "/globals/self");
    assert_eq!(
        v,
        json!({"isGlobal": true, "fetch": "function", "viaSelf": true})
    );
}

#[test]
fn readable_writable_and_transform_streams() {
    let h = start();
    let v = api(&h, "/streams");
    assert_eq!(v["out"], json!(["A", "B"]));
    assert_eq!(v["a"], "tee");
    assert_eq!(v["b"], "tee");
    assert_eq!(v["text"], "bytes");
}

#[test]
fn streamed_response_arrives_at_the_client_over_time() {
    let h = start();
    let (status, reads) = read_timed(&format!("{}/streams/response", h.url));
    assert_eq!(status, 200);
    let all: Vec<u8> = reads.iter().flat_map(|(_, b)| b.clone()).collect();
    assert_eq!(
        String::from_utf8(all).unwrap(),
        "chunk0;chunk1;chunk2;chunk3;chunk4;"
    );
    assert!(reads.len() >= 2, "the body arrived in one piece: {reads:?}");
    let spread = reads.last().unwrap().0 - reads[0].0;
    assert!(
        spread >= Duration::from_millis(40),
        "chunks were not streamed: {reads:?}"
    );
}

#[test]
fn crypto_random_values_and_uuid() {
    let h = start();
    let v = api(&h, "/random");
    let a = v["a"].as_str().unwrap();
    assert_eq!(a.len(), 32);
    assert_ne!(a, "00000000000000000000000000000000");
    assert_eq!(v["bLen"], 4);
    let uuid = v["uuid1"].as_str().unwrap();
    assert_eq!(uuid.len(), 36);
    assert_eq!(&uuid[14..15], "4", "version 4: {uuid}");
    assert!("89ab".contains(&uuid[19..20]), "variant: {uuid}");
    assert_ne!(v["uuid1"], v["uuid2"]);
    assert_eq!(v["tooBig"], "QuotaExceededError");
    assert_eq!(v["floats"], "TypeMismatchError");
}

#[test]
fn subtle_digest_known_vectors() {
    let h = start();
    let v = api(&h, "/digest");
    assert_eq!(v["SHA-1"], "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_eq!(
        v["SHA-256"],
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        v["SHA-384"],
        "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"
    );
    assert_eq!(
        v["SHA-512"],
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
    );
    assert_eq!(v["objectForm"], v["SHA-256"]);
}

#[test]
fn subtle_hmac_sign_verify_raw_and_jwk() {
    let h = start();
    let v = api(&h, "/hmac");
    // RFC 4231 test case 2.
    let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    assert_eq!(v["sig"], expected);
    assert_eq!(v["jwkSig"], expected);
    assert_eq!(v["ok"], true);
    assert_eq!(v["bad"], false);
    assert_eq!(v["algorithm"], "HMAC");
    assert_eq!(v["hash"], "SHA-256");
    assert_eq!(v["type"], "secret");
}

#[test]
fn subtle_aes_gcm_known_answer_and_round_trip() {
    let h = start();
    let v = api(&h, "/aes");
    // Generated with Node's crypto (aes-128-gcm, AAD "aad"), ciphertext || tag.
    assert_eq!(
        v["ct"],
        "e217a8c1ebd7e06fd967acfa7d8acc86ef654c41239f379155bfb2fbc302c091aa8fd5f14a3b"
    );
    assert_eq!(v["pt"], "known answer plaintext");
    assert_eq!(v["tamperError"], "OperationError");
    assert_eq!(v["round"], "round trip");
}

#[test]
fn subtle_ecdsa_p256_and_ed25519_verify() {
    let h = start();
    let v = api(&h, "/verify");
    assert_eq!(
        v,
        json!({"ecdsa": true, "ecdsaBad": false, "ed": true, "edBad": false})
    );
}

#[test]
fn atob_and_btoa() {
    let h = start();
    let v = api(&h, "/base64");
    assert_eq!(v["b"], "aGVsbG8gd29ybGQ=");
    assert_eq!(v["a"], "hello world");
    assert_eq!(v["bin"], "AP8=");
    assert_eq!(v["bad"], "InvalidCharacterError");
    assert_eq!(v["wide"], "InvalidCharacterError");
}

#[test]
fn timers_microtasks_and_intervals() {
    let h = start();
    let v = api(&h, "/timers");
    let order: Vec<&str> = v["order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(&order[..4], ["sync", "micro", "promise", "t0"], "{order:?}");
    assert!(!order.contains(&"cancelled"), "{order:?}");
    let pos = |s: &str| {
        order
            .iter()
            .position(|x| *x == s)
            .unwrap_or_else(|| panic!("{s} missing: {order:?}"))
    };
    assert!(pos("t10") < pos("t30"), "{order:?}");
    assert!(
        pos("tick1") < pos("tick2") && pos("tick2") < pos("tick3"),
        "{order:?}"
    );
    assert!(
        !order.contains(&"tick4"),
        "clearInterval did not stop it: {order:?}"
    );
    assert_eq!(v["args"], json!(["x", "y"]));
}

#[test]
fn structured_clone() {
    let h = start();
    let v = api(&h, "/clone");
    assert_eq!(
        v,
        json!({"distinct": true, "cycle": true, "date": true, "map": 1, "set": [1, 2], "arr": [1, [2]],
               "u8": [1, 2], "isU8": true, "fnError": "DataCloneError"})
    );
}

#[test]
fn console_reaches_the_log_with_the_worker_name() {
    let h = start();
    let v = api(&h, "/console?id=abc123");
    assert_eq!(v["ok"], true);
    h.wait_for_log("console-marker abc123");
    h.wait_for_log("console-error-marker abc123");
    let logs = h.logs();
    let line = logs
        .lines()
        .find(|l| l.contains("console-marker abc123"))
        .unwrap();
    assert!(
        line.contains("webapis"),
        "the worker's name is missing: {line}"
    );
    assert!(line.contains("nested"), "{line}");
}

#[test]
fn abort_controller_and_timeout_signal() {
    let h = start();
    let v = api(&h, "/abort");
    assert_eq!(v["aborted"], true);
    assert_eq!(v["reason"], "why");
    assert_eq!(v["seen"], json!(["event"]));
    assert_eq!(v["thrown"], "why");
    assert_eq!(v["timeoutReason"], "TimeoutError");
    assert_eq!(v["timeoutAborted"], true);
    assert_eq!(v["preReason"], "AbortError");
    assert_eq!(v["anySupported"], true);
}

#[test]
fn event_target_and_events() {
    let h = start();
    let v = api(&h, "/events");
    assert_eq!(v["seen"], json!(["ping:", "ping:7", "once"]));
    assert_eq!(v["defaultPrevented"], true);
    assert_eq!(v["notCancelled"], false);
}

#[test]
fn blob_and_file() {
    let h = start();
    let v = api(&h, "/blob");
    assert_eq!(v["size"], 11);
    assert_eq!(v["type"], "text/plain");
    assert_eq!(v["text"], "hello world");
    assert_eq!(v["slice"], "world");
    assert_eq!(v["ab"], "776f726c64");
    assert_eq!(v["streamed"], "hello world");
    assert_eq!(v["fileName"], "a.txt");
    assert_eq!(v["fileSize"], 3);
    assert_eq!(v["lastModified"], 42);
    assert_eq!(v["fileIsBlob"], true);
    assert_eq!(v["responseBlobType"], "text/plain");
}

#[test]
fn form_data_from_urlencoded_request() {
    let h = start();
    let (status, body) = request(
        &format!("{}/formdata", h.url),
        "POST",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(b"name=J%C3%BCrgen+X&tag=a&tag=b&empty="),
    );
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v,
        json!({"name": ["Jürgen X"], "tag": ["a", "b"], "empty": [""]})
    );
}

#[test]
fn form_data_from_multipart_request() {
    let h = start();
    let body = "--XyZ\r\n\
Content-Disposition: form-data; name=\"field\"\r\n\r\n\
value one\r\n\
--XyZ\r\n\
Content-Disposition: form-data; name=\"upload\"; filename=\"notes.txt\"\r\n\
Content-Type: text/plain\r\n\r\n\
file contents\r\nline two\r\n\
--XyZ--\r\n";
    let (status, text) = request(
        &format!("{}/formdata", h.url),
        "POST",
        &[("Content-Type", "multipart/form-data; boundary=XyZ")],
        Some(body.as_bytes()),
    );
    assert_eq!(status, 200, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v,
        json!({"field": ["value one"], "upload": [{"name": "notes.txt", "type": "text/plain", "text": "file contents\r\nline two"}]})
    );
}

#[test]
fn form_data_built_in_the_worker_round_trips() {
    let h = start();
    let v = api(&h, "/formdata/build");
    assert_eq!(
        v,
        json!({"a": ["1", "2"], "has": true, "fileName": "b.txt", "fileText": "xyz"})
    );
}

#[test]
fn navigator_and_performance() {
    let h = start();
    let v = api(&h, "/misc");
    assert_eq!(v["userAgent"], "Cloudflare-Workers");
    assert_eq!(v["t0Type"], "number");
    assert_eq!(v["monotonic"], true);
}

#[test]
fn request_body_streams_into_the_worker() {
    let h = start();
    let body = vec![b'q'; 2 * 1024 * 1024 + 5];
    let (status, text) = request(
        &format!("{}/request/body", h.url),
        "PUT",
        &[("Content-Type", "application/octet-stream")],
        Some(&body),
    );
    assert_eq!(status, 200, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v,
        json!({"bytes": 2097157, "readsPositive": true, "bodyUsed": true, "again": "TypeError", "method": "PUT",
               "derivedHeader": "yes", "contentType": null})
    );
}

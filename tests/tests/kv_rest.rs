//! Black-box tests of the Cloudflare v4 KV REST API served by
//! `hearth dev --api-port N --api-token T`, and that the worker's binding sees
//! the same data.

use hearth_tests::{request, request_full, write_project, Hearth};
use serde_json::{json, Value};

const NS: &str = "0f2ac74b498b48028cb68387c421e279";
const TOKEN: &str = "s3cret-token";

const WRANGLER: &str = r#"name = "kv-rest-test"
main = "index.js"
compatibility_date = "2024-01-01"
kv_namespaces = [ { binding = "KV", id = "0f2ac74b498b48028cb68387c421e279" } ]
"#;

/// GET /KEY answers `{value, metadata}` from the binding.
const WORKER: &str = r#"export default {
  async fetch(request, env) {
    const key = decodeURIComponent(new URL(request.url).pathname.slice(1));
    const r = await env.KV.getWithMetadata(key);
    return Response.json(r.value === null ? null : { value: r.value, metadata: r.metadata });
  },
};
"#;

struct Api {
    hearth: Hearth,
    base: String,
    _dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start() -> Api {
    let dir = write_project(&[("wrangler.toml", WRANGLER), ("index.js", WORKER)]);
    for _ in 0..5 {
        let port = free_port().to_string();
        if let Ok(hearth) = Hearth::try_start(
            dir.path(),
            &[
                "--ip",
                "127.0.0.1",
                "--api-port",
                &port,
                "--api-token",
                TOKEN,
            ],
        ) {
            hearth.wait_for_log("KV REST API on");
            let base =
                format!("http://127.0.0.1:{port}/client/v4/accounts/acc123/storage/kv/namespaces");
            return Api {
                hearth,
                base,
                _dir: dir,
            };
        }
    }
    panic!("could not start hearth with --api-port");
}

const AUTH: (&str, &str) = ("Authorization", "Bearer s3cret-token");

impl Api {
    fn call(&self, method: &str, path: &str, body: Option<&[u8]>) -> (u16, Vec<u8>) {
        self.call_with(method, path, &[AUTH], body)
    }
    fn call_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> (u16, Vec<u8>) {
        let (status, bytes, _) =
            request_full(&format!("{}{}", self.base, path), method, headers, body);
        (status, bytes)
    }
    fn json(&self, method: &str, path: &str, body: Option<&[u8]>) -> (u16, Value) {
        let (status, bytes) = self.call(method, path, body);
        let v = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!("{method} {path}: {e}: {}", String::from_utf8_lossy(&bytes))
        });
        (status, v)
    }
    /// The binding's view of a key, through the worker.
    fn worker(&self, key: &str) -> Value {
        let (status, body) = self.hearth.get(&format!("/{key}"));
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }
    fn list_all(&self, ns: &str, prefix: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor = String::new();
        for _ in 0..100 {
            let (status, v) = self.json(
                "GET",
                &format!("/{ns}/keys?prefix={prefix}&limit=1000&cursor={cursor}"),
                None,
            );
            assert_eq!(status, 200, "{v}");
            out.extend(v["result"].as_array().unwrap().iter().cloned());
            cursor = v["result_info"]["cursor"]
                .as_str()
                .unwrap_or("")
                .to_string();
            if cursor.is_empty() {
                return out;
            }
        }
        panic!("listing never ended");
    }
}

#[test]
fn kv_rest_auth_401_403_touch_nothing() {
    let api = start();
    assert_eq!(
        api.call("PUT", &format!("/{NS}/values/k"), Some(b"original"))
            .0,
        200
    );
    let attempts: Vec<(&str, String, Option<&[u8]>)> = vec![
        ("PUT", format!("/{NS}/values/k"), Some(b"hacked")),
        ("PUT", format!("/{NS}/values/new"), Some(b"x")),
        ("DELETE", format!("/{NS}/values/k"), None),
        (
            "PUT",
            format!("/{NS}/bulk"),
            Some(br#"[{"key":"k","value":"hacked"},{"key":"b","value":"x"}]"#),
        ),
        ("POST", format!("/{NS}/bulk/delete"), Some(br#"["k"]"#)),
        ("DELETE", format!("/{NS}"), None),
        ("PUT", format!("/{NS}"), Some(br#"{"title":"renamed"}"#)),
        ("POST", String::new(), Some(br#"{"title":"intruder"}"#)),
        ("GET", format!("/{NS}/values/k"), None),
        ("GET", String::new(), None),
    ];
    for (method, path, body) in &attempts {
        for (headers, want) in [
            (vec![], 401),
            (vec![("Authorization", "Bearer wrong")], 403),
            (vec![("Authorization", "Basic czNjcmV0LXRva2Vu")], 401),
        ] {
            let (status, bytes) = api.call_with(method, path, &headers, *body);
            assert_eq!(status, want, "{method} {path} {headers:?}");
            let v: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(v["success"], json!(false));
            assert_eq!(v["errors"][0]["code"], json!(10000));
        }
    }
    // Nothing changed.
    assert_eq!(
        api.call("GET", &format!("/{NS}/values/k"), None),
        (200, b"original".to_vec())
    );
    assert_eq!(api.call("GET", &format!("/{NS}/values/new"), None).0, 404);
    assert_eq!(api.call("GET", &format!("/{NS}/values/b"), None).0, 404);
    let (_, v) = api.json("GET", "", None);
    let titles: Vec<&str> = v["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert!(
        !titles.contains(&"intruder") && !titles.contains(&"renamed"),
        "{titles:?}"
    );
    assert!(v["result"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["id"] == NS));
}

#[test]
fn kv_rest_namespaces() {
    let api = start();
    let (status, v) = api.json("POST", "", Some(br#"{"title":"my-ns"}"#));
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["success"], json!(true));
    assert_eq!(v["errors"], json!([]));
    let id = v["result"]["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 32);
    assert_eq!(v["result"]["title"], "my-ns");
    // Duplicate title.
    let (status, v) = api.json("POST", "", Some(br#"{"title":"my-ns"}"#));
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["success"], json!(false));
    // List, get, rename, delete.
    let (_, v) = api.json("GET", "", None);
    assert!(
        v["result"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == id.as_str() && n["title"] == "my-ns"),
        "{v}"
    );
    assert!(v["result_info"].is_object(), "{v}");
    let (status, v) = api.json("GET", &format!("/{id}"), None);
    assert_eq!(
        (status, v["result"]["title"].clone()),
        (200, json!("my-ns"))
    );
    let (status, v) = api.json("PUT", &format!("/{id}"), Some(br#"{"title":"renamed"}"#));
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        api.json("GET", &format!("/{id}"), None).1["result"]["title"],
        "renamed"
    );
    assert_eq!(
        api.call("PUT", &format!("/{id}/values/x"), Some(b"1")).0,
        200
    );
    let (status, v) = api.json("DELETE", &format!("/{id}"), None);
    assert_eq!((status, v["success"].clone()), (200, json!(true)));
    let (status, v) = api.json("GET", &format!("/{id}"), None);
    assert_eq!(status, 404, "{v}");
    assert_eq!(v["errors"][0]["code"], json!(10013));
    let (status, _) = api.json("GET", &format!("/{id}/values/x"), None);
    assert_eq!(status, 404);
    // Missing title.
    assert_eq!(api.json("POST", "", Some(b"{}")).0, 400);
}

#[test]
fn kv_rest_values_expiration_and_multipart_metadata() {
    let api = start();
    // Raw binary value, byte-exact, visible to the binding.
    let binary: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let (status, v) = api.json("PUT", &format!("/{NS}/values/bin"), Some(&binary));
    assert_eq!((status, v["success"].clone()), (200, json!(true)), "{v}");
    assert_eq!(
        api.call("GET", &format!("/{NS}/values/bin"), None),
        (200, binary.clone())
    );
    api.call(
        "PUT",
        &format!("/{NS}/values/text"),
        Some("héllo".as_bytes()),
    );
    assert_eq!(
        api.worker("text"),
        json!({"value": "héllo", "metadata": null})
    );
    // Keys with slashes and spaces are URL-encoded.
    assert_eq!(
        api.call("PUT", &format!("/{NS}/values/a%2Fb%20c"), Some(b"slashy"))
            .0,
        200
    );
    assert_eq!(
        api.worker("a%2Fb%20c"),
        json!({"value": "slashy", "metadata": null})
    );
    // expiration_ttl and expiration.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert_eq!(
        api.call(
            "PUT",
            &format!("/{NS}/values/ttl?expiration_ttl=300"),
            Some(b"v")
        )
        .0,
        200
    );
    assert_eq!(
        api.call(
            "PUT",
            &format!("/{NS}/values/abs?expiration={}", now + 1000),
            Some(b"v")
        )
        .0,
        200
    );
    let keys = api.list_all(NS, "");
    let find = |name: &str| {
        keys.iter()
            .find(|k| k["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} not in {keys:?}"))
    };
    assert_eq!(find("abs")["expiration"].as_i64().unwrap(), now + 1000);
    let ttl = find("ttl")["expiration"].as_i64().unwrap();
    assert!((now + 299..=now + 302).contains(&ttl), "{ttl}");
    // Invalid expirations are refused with code 10033 and write nothing.
    for q in [
        "expiration_ttl=30".to_string(),
        format!("expiration={}", now - 5),
    ] {
        let (status, v) = api.json("PUT", &format!("/{NS}/values/bad?{q}"), Some(b"v"));
        assert_eq!(status, 400, "{q}: {v}");
        assert_eq!(v["errors"][0]["code"], json!(10033), "{v}");
        assert_eq!(api.call("GET", &format!("/{NS}/values/bad"), None).0, 404);
    }
    // Multipart value + metadata.
    let boundary = "----hearthboundary42";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"value\"\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(&[0, 1, 2, 255]);
    body.extend_from_slice(format!("\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{{\"someMetadataKey\":\"someMetadataValue\"}}\r\n--{boundary}--\r\n").as_bytes());
    let ct = format!("multipart/form-data; boundary={boundary}");
    let (status, bytes) = api.call_with(
        "PUT",
        &format!("/{NS}/values/mp"),
        &[AUTH, ("Content-Type", &ct)],
        Some(&body),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(
        api.call("GET", &format!("/{NS}/values/mp"), None),
        (200, vec![0, 1, 2, 255])
    );
    let (status, v) = api.json("GET", &format!("/{NS}/metadata/mp"), None);
    assert_eq!(status, 200);
    assert_eq!(v["result"], json!({"someMetadataKey": "someMetadataValue"}));
    assert_eq!(
        find_meta_in_list(&api, "mp"),
        json!({"someMetadataKey": "someMetadataValue"})
    );
    // Oversized metadata is refused and changes nothing.
    let big = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"value\"\r\n\r\nnew\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{{\"a\":\"{}\"}}\r\n--{boundary}--\r\n", "x".repeat(1100));
    let (status, _) = api.call_with(
        "PUT",
        &format!("/{NS}/values/mp"),
        &[AUTH, ("Content-Type", &ct)],
        Some(big.as_bytes()),
    );
    assert_eq!(status, 413);
    assert_eq!(
        api.call("GET", &format!("/{NS}/values/mp"), None),
        (200, vec![0, 1, 2, 255])
    );
    // Delete; missing key errors.
    let (status, v) = api.json("DELETE", &format!("/{NS}/values/text"), None);
    assert_eq!((status, v["success"].clone()), (200, json!(true)));
    let (status, v) = api.json("GET", &format!("/{NS}/values/text"), None);
    assert_eq!(status, 404);
    assert_eq!(
        v["errors"][0],
        json!({"code": 10009, "message": "get: 'key not found'"})
    );
    assert_eq!(api.worker("text"), json!(null));
    // A value the worker wrote is readable through REST, too (same store).
    let (status, _) = api.json("GET", &format!("/{NS}/metadata/nope"), None);
    assert_eq!(status, 404);
    // Key limits through REST.
    let long = "k".repeat(513);
    let (status, v) = api.json("PUT", &format!("/{NS}/values/{long}"), Some(b"v"));
    assert_eq!(status, 414, "{v}");
    // ".." sent as-is (URL libraries would resolve it as a path segment).
    let raw = raw_put(&api.base, &format!("/{NS}/values/.."), b"v");
    assert!(raw.starts_with("HTTP/1.1 400"), "{raw}");
    assert!(raw.contains("Illegal key name"), "{raw}");
}

fn find_meta_in_list(api: &Api, name: &str) -> Value {
    let keys = api.list_all(NS, name);
    keys.iter().find(|k| k["name"] == name).unwrap()["metadata"].clone()
}

#[test]
fn kv_rest_keys_listing_paging() {
    let api = start();
    let pairs: Vec<Value> = (0..30)
        .map(|i| json!({"key": format!("p:{i:02}"), "value": "v"}))
        .collect();
    api.call(
        "PUT",
        &format!("/{NS}/bulk"),
        Some(serde_json::to_string(&pairs).unwrap().as_bytes()),
    );
    api.call("PUT", &format!("/{NS}/values/other"), Some(b"v"));
    let mut seen = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let (status, v) = api.json(
            "GET",
            &format!("/{NS}/keys?prefix=p%3A&limit=12&cursor={cursor}"),
            None,
        );
        assert_eq!(status, 200, "{v}");
        pages += 1;
        let names: Vec<String> = v["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(v["result_info"]["count"], json!(names.len()));
        seen.extend(names);
        cursor = v["result_info"]["cursor"]
            .as_str()
            .unwrap_or("")
            .to_string();
        if cursor.is_empty() || pages > 5 {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen,
        (0..30).map(|i| format!("p:{i:02}")).collect::<Vec<_>>()
    );
    let (status, v) = api.json("GET", &format!("/{NS}/keys?limit=1001"), None);
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["errors"][0]["code"], json!(10028));
}

#[test]
fn kv_rest_bulk_write_10000_and_bulk_delete() {
    let api = start();
    let pairs: Vec<Value> = (0..10_000)
        .map(|i| {
            if i % 2 == 0 {
                json!({"key": format!("bulk:{i:05}"), "value": format!("value {i}")})
            } else {
                json!({"key": format!("bulk:{i:05}"), "value": b64(&[i as u8, 0, 255]), "base64": true, "metadata": {"i": i}, "expiration_ttl": 3600})
            }
        })
        .collect();
    let (status, v) = api.json(
        "PUT",
        &format!("/{NS}/bulk"),
        Some(serde_json::to_string(&pairs).unwrap().as_bytes()),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["success"], json!(true));
    let keys = api.list_all(NS, "bulk%3A");
    assert_eq!(keys.len(), 10_000);
    assert_eq!(keys[1]["metadata"], json!({"i": 1}));
    assert!(keys[1]["expiration"].as_i64().is_some());
    assert_eq!(
        api.call("GET", &format!("/{NS}/values/bulk:00042"), None),
        (200, b"value 42".to_vec())
    );
    assert_eq!(
        api.call("GET", &format!("/{NS}/values/bulk:09999"), None),
        (200, vec![(9999 % 256) as u8, 0, 255])
    );
    assert_eq!(
        api.worker("bulk:00042"),
        json!({"value": "value 42", "metadata": null})
    );

    // 10,001 pairs are refused and write nothing.
    let too_many: Vec<Value> = (0..10_001)
        .map(|i| json!({"key": format!("over:{i}"), "value": "v"}))
        .collect();
    let (status, v) = api.json(
        "PUT",
        &format!("/{NS}/bulk"),
        Some(serde_json::to_string(&too_many).unwrap().as_bytes()),
    );
    assert_eq!(status, 413, "{v}");
    assert_eq!(v["success"], json!(false));
    assert!(api.list_all(NS, "over%3A").is_empty());
    // One invalid pair fails the whole batch.
    let (status, _) = api.json(
        "PUT",
        &format!("/{NS}/bulk"),
        Some(br#"[{"key":"ok1","value":"v"},{"key":"","value":"v"}]"#),
    );
    assert_eq!(status, 400);
    assert_eq!(api.call("GET", &format!("/{NS}/values/ok1"), None).0, 404);

    // Bulk delete (both spellings).
    let del: Vec<String> = (0..5000).map(|i| format!("bulk:{i:05}")).collect();
    let (status, v) = api.json(
        "DELETE",
        &format!("/{NS}/bulk"),
        Some(serde_json::to_string(&del).unwrap().as_bytes()),
    );
    assert_eq!(status, 200, "{v}");
    let del: Vec<String> = (5000..9000).map(|i| format!("bulk:{i:05}")).collect();
    let (status, v) = api.json(
        "POST",
        &format!("/{NS}/bulk/delete"),
        Some(serde_json::to_string(&del).unwrap().as_bytes()),
    );
    assert_eq!(status, 200, "{v}");
    let keys = api.list_all(NS, "bulk%3A");
    assert_eq!(keys.len(), 1000);
    assert_eq!(keys[0]["name"], "bulk:09000");
    assert_eq!(api.worker("bulk:00042"), json!(null));
}

#[test]
fn kv_rest_sees_worker_writes_and_unknown_routes() {
    let api = start();
    let (status, _) = request(
        &format!("{}/nope", api.base.replace("/storage/kv/namespaces", "")),
        "GET",
        &[AUTH],
        None,
    );
    assert_eq!(status, 404);
    let (status, v) = api.json("PATCH", &format!("/{NS}/values/x"), Some(b""));
    assert_eq!(status, 405, "{v}");
    assert_eq!(v["success"], json!(false));
}

fn b64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (*b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// PUT with the path sent verbatim over a raw connection; returns the response text.
fn raw_put(base: &str, path: &str, body: &[u8]) -> String {
    use std::io::{Read, Write};
    let rest = base.strip_prefix("http://").unwrap();
    let (authority, prefix) = rest.split_at(rest.find('/').unwrap());
    let mut stream = std::net::TcpStream::connect(authority).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "PUT {prefix}{path} HTTP/1.1\r\nHost: {authority}\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(body).unwrap();
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

//! Black-box tests of the REST API: `serve` on 127.0.0.1:0, spoken to over a raw
//! TCP connection with hand-written HTTP/1.1.

use std::net::SocketAddr;

use base64::Engine;
use hearth_kv::KvStore;
use hearth_kv_api::rest;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TOKEN: &str = "s3cret-token";
const BASE: &str = "/client/v4/accounts/0123456789abcdef/storage/kv/namespaces";

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

async fn start() -> (SocketAddr, KvStore) {
    // Leaked: the store's folder must outlive the server task.
    let dir = Box::leak(Box::new(tempfile::tempdir().unwrap()));
    let store = KvStore::open(dir.path()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(rest::serve(store.clone(), listener, TOKEN.to_string()));
    (addr, store)
}

async fn raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    auth: Option<&str>,
    extra: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(t) = auth {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    for (k, v) in extra {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    // The server may answer (413) and close before reading a large body.
    let _ = s.write_all(body).await;
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf).await;
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("no header end");
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Resp {
        status,
        headers,
        body: buf[split + 4..].to_vec(),
    }
}

async fn call(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> Resp {
    raw(addr, method, path, Some(TOKEN), &[], body).await
}

fn err_code(r: &Resp) -> i64 {
    let j = r.json();
    assert_eq!(j["success"], false, "{j}");
    j["errors"][0]["code"].as_i64().unwrap()
}

async fn create_ns(addr: SocketAddr, title: &str) -> String {
    let r = call(
        addr,
        "POST",
        BASE,
        json!({"title": title}).to_string().as_bytes(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let j = r.json();
    assert_eq!(j["success"], true);
    assert_eq!(j["errors"], json!([]));
    assert_eq!(j["messages"], json!([]));
    j["result"]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn auth_required_and_nothing_touched() {
    let (addr, store) = start().await;
    let body = json!({"title": "x"}).to_string();
    let r = raw(addr, "POST", BASE, None, &[], body.as_bytes()).await;
    assert_eq!(r.status, 401);
    assert_eq!(err_code(&r), 10000);
    assert_eq!(r.json()["errors"][0]["message"], "Authentication error");
    let r = raw(addr, "POST", BASE, Some("wrong"), &[], body.as_bytes()).await;
    assert_eq!(r.status, 403);
    assert_eq!(err_code(&r), 10000);
    let ns = store.create_namespace("real").unwrap().id;
    let r = raw(
        addr,
        "PUT",
        &format!("{BASE}/{ns}/values/k"),
        Some("wrong"),
        &[],
        b"v",
    )
    .await;
    assert_eq!(r.status, 403);
    let r = raw(addr, "DELETE", &format!("{BASE}/{ns}"), None, &[], b"").await;
    assert_eq!(r.status, 401);
    assert_eq!(store.list_namespaces().unwrap().len(), 1);
    assert_eq!(store.get(&ns, "k").unwrap(), None);
}

#[tokio::test]
async fn namespace_crud_and_pagination() {
    let (addr, _store) = start().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(create_ns(addr, &format!("ns{i}")).await);
    }
    assert!(ids.iter().all(|id| id.len() == 32));
    // Duplicate title.
    let r = call(addr, "POST", BASE, br#"{"title":"ns0"}"#).await;
    assert_eq!((r.status, err_code(&r)), (400, 10014));
    // Missing title.
    let r = call(addr, "POST", BASE, b"{}").await;
    assert_eq!((r.status, err_code(&r)), (400, 10019));
    let r = call(addr, "GET", &format!("{BASE}?page=2&per_page=5"), b"").await;
    let j = r.json();
    assert_eq!(j["result"].as_array().unwrap().len(), 2);
    assert_eq!(
        j["result_info"],
        json!({"page": 2, "per_page": 5, "count": 2, "total_count": 7, "total_pages": 2})
    );
    // Rename, get, delete.
    let r = call(
        addr,
        "PUT",
        &format!("{BASE}/{}", ids[0]),
        br#"{"title":"renamed"}"#,
    )
    .await;
    assert_eq!(r.status, 200);
    let r = call(addr, "GET", &format!("{BASE}/{}", ids[0]), b"").await;
    assert_eq!(r.json()["result"]["title"], "renamed");
    let r = call(addr, "DELETE", &format!("{BASE}/{}", ids[0]), b"").await;
    assert_eq!(r.status, 200);
    let r = call(addr, "DELETE", &format!("{BASE}/{}", ids[0]), b"").await;
    assert_eq!((r.status, err_code(&r)), (404, 10013));
    // Without the /client/v4 prefix.
    let r = call(
        addr,
        "GET",
        "/accounts/abc/storage/kv/namespaces?per_page=100",
        b"",
    )
    .await;
    assert_eq!(r.json()["result"].as_array().unwrap().len(), 6);
    let r = call(addr, "GET", "/nope", b"").await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn values_metadata_and_errors() {
    let (addr, store) = start().await;
    let ns = create_ns(addr, "vals").await;
    let binary: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    // Key with an encoded slash and a space.
    let r = call(
        addr,
        "PUT",
        &format!("{BASE}/{ns}/values/dir%2Ffile%20one?expiration_ttl=120"),
        &binary,
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["success"], true);
    assert_eq!(
        store.get(&ns, "dir/file one").unwrap().unwrap().value,
        binary
    );
    let r = call(
        addr,
        "GET",
        &format!("{BASE}/{ns}/values/dir%2Ffile%20one"),
        b"",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, binary);
    assert!(r.header("expiration").is_some());
    // Multipart with metadata.
    let mp = b"--BOUND\r\nContent-Disposition: form-data; name=\"value\"\r\n\r\nhello\r\n--BOUND\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{\"lang\":\"en\"}\r\n--BOUND--\r\n";
    let r = raw(
        addr,
        "PUT",
        &format!("{BASE}/{ns}/values/greet"),
        Some(TOKEN),
        &[("Content-Type", "multipart/form-data; boundary=BOUND")],
        mp,
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let r = call(addr, "GET", &format!("{BASE}/{ns}/values/greet"), b"").await;
    assert_eq!(r.body, b"hello");
    let r = call(addr, "GET", &format!("{BASE}/{ns}/metadata/greet"), b"").await;
    assert_eq!(r.json()["result"], json!({"lang": "en"}));
    // Errors.
    let r = call(
        addr,
        "PUT",
        &format!("{BASE}/{ns}/values/k?expiration_ttl=30"),
        b"v",
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["errors"][0]["message"],
        "KV PUT failed: 400 Invalid expiration_ttl of 30. Expiration TTL must be at least 60."
    );
    let long = "a".repeat(600);
    let r = call(addr, "PUT", &format!("{BASE}/{ns}/values/{long}"), b"v").await;
    assert_eq!(r.status, 414);
    let r = call(addr, "PUT", &format!("{BASE}/{ns}/values/."), b"v").await;
    assert_eq!(r.status, 400);
    let big = vec![b'x'; 25 * 1024 * 1024 + 1];
    let r = call(addr, "PUT", &format!("{BASE}/{ns}/values/big"), &big).await;
    assert_eq!(r.status, 413);
    assert_eq!(
        r.json()["errors"][0]["message"],
        "KV PUT failed: 413 Value length of 26214401 exceeds limit of 26214400."
    );
    assert_eq!(store.get(&ns, "k").unwrap(), None);
    let r = call(addr, "GET", &format!("{BASE}/{ns}/values/missing"), b"").await;
    assert_eq!((r.status, err_code(&r)), (404, 10009));
    assert_eq!(r.json()["errors"][0]["message"], "get: 'key not found'");
    let r = call(addr, "GET", &format!("{BASE}/{ns}/metadata/missing"), b"").await;
    assert_eq!((r.status, err_code(&r)), (404, 10009));
    let r = call(addr, "GET", &format!("{BASE}/nonexistent/values/k"), b"").await;
    assert_eq!((r.status, err_code(&r)), (404, 10013));
    let r = call(addr, "PUT", &format!("{BASE}/nonexistent/values/k"), b"v").await;
    assert_eq!((r.status, err_code(&r)), (404, 10013));
    // Delete.
    let r = call(addr, "DELETE", &format!("{BASE}/{ns}/values/greet"), b"").await;
    assert_eq!(r.status, 200);
    let r = call(addr, "GET", &format!("{BASE}/{ns}/values/greet"), b"").await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn keys_listing_with_cursor() {
    let (addr, _store) = start().await;
    let ns = create_ns(addr, "keys").await;
    let pairs: Vec<Value> = (0..25)
        .map(|i| json!({"key": format!("user:{i:02}"), "value": "v", "metadata": {"i": i}}))
        .chain([json!({"key": "other", "value": "v"})])
        .collect();
    let r = call(
        addr,
        "PUT",
        &format!("{BASE}/{ns}/bulk"),
        Value::Array(pairs).to_string().as_bytes(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let mut names = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = call(
            addr,
            "GET",
            &format!("{BASE}/{ns}/keys?prefix=user%3A&limit=10&cursor={cursor}"),
            b"",
        )
        .await;
        let j = r.json();
        let keys = j["result"].as_array().unwrap();
        assert_eq!(
            j["result_info"]["count"].as_u64().unwrap() as usize,
            keys.len()
        );
        names.extend(keys.iter().map(|k| k["name"].as_str().unwrap().to_string()));
        assert!(keys[0]["metadata"]["i"].as_i64().is_some());
        cursor = j["result_info"]["cursor"].as_str().unwrap().to_string();
        if cursor.is_empty() {
            break;
        }
    }
    let expected: Vec<String> = (0..25).map(|i| format!("user:{i:02}")).collect();
    assert_eq!(names, expected);
    let r = call(addr, "GET", &format!("{BASE}/{ns}/keys?limit=1001"), b"").await;
    assert_eq!((r.status, err_code(&r)), (400, 10028));
    let r = call(addr, "GET", &format!("{BASE}/missing/keys"), b"").await;
    assert_eq!((r.status, err_code(&r)), (404, 10013));
}

#[tokio::test]
async fn bulk_write_and_delete() {
    let (addr, store) = start().await;
    let ns = create_ns(addr, "bulk").await;
    let body = json!([
        {"key": "a", "value": "1"},
        {"key": "b", "value": base64::engine::general_purpose::STANDARD.encode([0, 159, 146, 150]), "base64": true, "expiration_ttl": 3600},
        {"key": "c", "value": "3", "metadata": {"x": true}},
    ]);
    let r = call(
        addr,
        "PUT",
        &format!("{BASE}/{ns}/bulk"),
        body.to_string().as_bytes(),
    )
    .await;
    assert_eq!(r.json()["result"]["successful_key_count"], 3);
    assert_eq!(
        store.get(&ns, "b").unwrap().unwrap().value,
        vec![0, 159, 146, 150]
    );
    // One bad pair: nothing written.
    let body =
        json!([{"key": "d", "value": "4"}, {"key": "e", "value": "5", "expiration_ttl": 10}]);
    let r = call(
        addr,
        "PUT",
        &format!("{BASE}/{ns}/bulk"),
        body.to_string().as_bytes(),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(store.get(&ns, "d").unwrap(), None);
    // Too many pairs.
    let many: Vec<Value> = (0..10_001)
        .map(|i| json!({"key": format!("k{i}"), "value": "v"}))
        .collect();
    let r = call(
        addr,
        "PUT",
        &format!("{BASE}/{ns}/bulk"),
        Value::Array(many).to_string().as_bytes(),
    )
    .await;
    assert_eq!(r.status, 413);
    assert!(r.json()["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("10000"));
    // Bulk delete, both forms.
    let r = call(addr, "DELETE", &format!("{BASE}/{ns}/bulk"), br#"["a"]"#).await;
    assert_eq!(r.status, 200);
    let r = call(
        addr,
        "POST",
        &format!("{BASE}/{ns}/bulk/delete"),
        br#"["b","zzz"]"#,
    )
    .await;
    assert_eq!(r.json()["result"]["successful_key_count"], 2);
    let r = call(
        addr,
        "POST",
        &format!("{BASE}/{ns}/bulk/get"),
        br#"{"keys":["a","c"],"withMetadata":true}"#,
    )
    .await;
    let j = r.json();
    assert_eq!(j["result"]["values"]["a"], Value::Null);
    assert_eq!(j["result"]["values"]["c"]["value"], "3");
    assert_eq!(j["result"]["values"]["c"]["metadata"], json!({"x": true}));
    assert_eq!(store.stats().unwrap().0, 1);
}

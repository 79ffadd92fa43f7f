//! Black-box tests of `hearth kv namespace|key|bulk ...`, alone and while
//! `hearth dev` serves the same state.

use hearth_tests::{hearth_bin, write_project, Hearth};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

const WRANGLER: &str = r#"name = "kv-cli-test"
main = "index.js"
compatibility_date = "2024-01-01"
kv_namespaces = [ { binding = "KV", id = "0f2ac74b498b48028cb68387c421e279" } ]
"#;

const WORKER: &str = r#"export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const key = decodeURIComponent(url.pathname.slice(1));
    if (request.method === 'PUT') {
      await env.KV.put(key, await request.arrayBuffer());
      return new Response('ok');
    }
    const r = await env.KV.getWithMetadata(key);
    return Response.json(r.value === null ? null : { value: r.value, metadata: r.metadata });
  },
};
"#;

fn project() -> tempfile::TempDir {
    write_project(&[("wrangler.toml", WRANGLER), ("index.js", WORKER)])
}

struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn kv(dir: &Path, args: &[&str]) -> Out {
    let out = Command::new(hearth_bin())
        .arg("kv")
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    Out {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = kv(dir, args);
    assert!(
        out.ok,
        "hearth kv {args:?} failed:\n{}\n{}",
        out.stdout, out.stderr
    );
    out.stdout
}

fn list(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["key", "list"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(dir, &all)).unwrap()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn kv_cli_namespaces() {
    let dir = project();
    let out = ok(dir.path(), &["namespace", "create", "MY_NS"]);
    assert!(
        out.contains("[[kv_namespaces]]") && out.contains("binding = \"MY_NS\""),
        "{out}"
    );
    let id = out
        .lines()
        .find_map(|l| l.strip_prefix("id = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_string();
    assert_eq!(id.len(), 32);
    let listed: Value = serde_json::from_str(&ok(dir.path(), &["namespace", "list"])).unwrap();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == id.as_str() && n["title"] == "MY_NS"),
        "{listed}"
    );
    // Creating the same title again fails.
    assert!(!kv(dir.path(), &["namespace", "create", "MY_NS"]).ok);
    // Keys in it, by --namespace-id.
    ok(dir.path(), &["key", "put", "k", "v", "--namespace-id", &id]);
    assert_eq!(
        ok(
            dir.path(),
            &["key", "get", "k", "--namespace-id", &id, "--text"]
        )
        .trim_end(),
        "v"
    );
    ok(dir.path(), &["namespace", "delete", "--namespace-id", &id]);
    let listed: Value = serde_json::from_str(&ok(dir.path(), &["namespace", "list"])).unwrap();
    assert!(
        !listed
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == id.as_str()),
        "{listed}"
    );
    // An unknown binding is an error.
    let out = kv(dir.path(), &["key", "get", "k", "--binding", "NOPE"]);
    assert!(!out.ok);
    assert!(out.stderr.contains("NOPE"), "{}", out.stderr);
}

#[test]
fn kv_cli_keys_with_options() {
    let dir = project();
    let p = dir.path();
    ok(
        p,
        &["key", "put", "plain", "hello world", "--binding", "KV"],
    );
    assert_eq!(
        ok(p, &["key", "get", "plain", "--binding", "KV", "--text"]).trim_end(),
        "hello world"
    );
    // --path: binary file, byte-exact on stdout.
    let bytes: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    std::fs::write(p.join("blob.bin"), &bytes).unwrap();
    ok(
        p,
        &[
            "key",
            "put",
            "blob",
            "--path",
            "blob.bin",
            "--binding",
            "KV",
        ],
    );
    let out = Command::new(hearth_bin())
        .args(["kv", "key", "get", "blob", "--binding", "KV"])
        .current_dir(p)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        out.stdout == bytes,
        "binary value differs ({} bytes)",
        out.stdout.len()
    );
    // --ttl, --expiration, --metadata.
    let t = now();
    ok(
        p,
        &["key", "put", "ttl", "v", "--binding", "KV", "--ttl", "600"],
    );
    let exp = (t + 7200).to_string();
    ok(
        p,
        &[
            "key",
            "put",
            "exp",
            "v",
            "--binding",
            "KV",
            "--expiration",
            &exp,
            "--metadata",
            r#"{"owner":"cli"}"#,
        ],
    );
    let keys = list(p, &["--binding", "KV"]);
    let find = |n: &str| {
        keys.as_array()
            .unwrap()
            .iter()
            .find(|k| k["name"] == n)
            .cloned()
            .unwrap()
    };
    assert_eq!(find("exp")["expiration"].as_i64().unwrap(), t + 7200);
    assert_eq!(find("exp")["metadata"], json!({"owner": "cli"}));
    let ttl = find("ttl")["expiration"].as_i64().unwrap();
    assert!((t + 599..=t + 602).contains(&ttl), "{ttl}");
    assert_eq!(find("plain"), json!({"name": "plain"}));
    // --prefix.
    ok(p, &["key", "put", "user:1", "a", "--binding", "KV"]);
    ok(p, &["key", "put", "user:2", "b", "--binding", "KV"]);
    assert_eq!(
        list(p, &["--binding", "KV", "--prefix", "user:"]),
        json!([{"name": "user:1"}, {"name": "user:2"}])
    );
    // delete.
    ok(p, &["key", "delete", "user:1", "--binding", "KV"]);
    assert_eq!(
        list(p, &["--binding", "KV", "--prefix", "user:"]),
        json!([{"name": "user:2"}])
    );
    let out = kv(p, &["key", "get", "user:1", "--binding", "KV"]);
    assert!(out.stdout.contains("Value not found") || out.stderr.contains("Value not found"));

    // Limit errors exit non-zero and change nothing.
    let past = (t - 10).to_string();
    let big_meta = format!("{{\"a\":\"{}\"}}", "x".repeat(1100));
    let long_key = "k".repeat(513);
    let cases: Vec<Vec<&str>> = vec![
        vec![
            "key",
            "put",
            "plain",
            "new",
            "--binding",
            "KV",
            "--ttl",
            "30",
        ],
        vec![
            "key",
            "put",
            "plain",
            "new",
            "--binding",
            "KV",
            "--expiration",
            &past,
        ],
        vec![
            "key",
            "put",
            "plain",
            "new",
            "--binding",
            "KV",
            "--metadata",
            &big_meta,
        ],
        vec![
            "key",
            "put",
            "plain",
            "new",
            "--binding",
            "KV",
            "--metadata",
            "{not json",
        ],
        vec!["key", "put", &long_key, "new", "--binding", "KV"],
        vec!["key", "put", "..", "new", "--binding", "KV"],
        vec!["key", "put", "", "new", "--binding", "KV"],
    ];
    let before = list(p, &["--binding", "KV"]);
    for args in &cases {
        let out = kv(p, args);
        assert!(!out.ok, "{args:?} should fail: {}", out.stdout);
        assert!(
            out.stderr.contains("failed") || out.stderr.contains("error"),
            "{args:?}: {}",
            out.stderr
        );
        assert_eq!(
            ok(p, &["key", "get", "plain", "--binding", "KV", "--text"]).trim_end(),
            "hello world"
        );
        assert_eq!(list(p, &["--binding", "KV"]), before, "{args:?}");
    }
    // A 25 MiB + 1 file is refused.
    std::fs::write(p.join("huge.bin"), vec![7u8; 25 * 1024 * 1024 + 1]).unwrap();
    let out = kv(
        p,
        &[
            "key",
            "put",
            "plain",
            "--path",
            "huge.bin",
            "--binding",
            "KV",
        ],
    );
    assert!(!out.ok);
    assert!(out.stderr.contains("26214400"), "{}", out.stderr);
    assert_eq!(
        ok(p, &["key", "get", "plain", "--binding", "KV", "--text"]).trim_end(),
        "hello world"
    );
}

#[test]
fn kv_cli_bulk_put_and_delete() {
    let dir = project();
    let p = dir.path();
    let t = now();
    let pairs: Vec<Value> = (0..2500)
        .map(|i| match i % 3 {
            0 => json!({"key": format!("b:{i:04}"), "value": format!("v{i}")}),
            1 => json!({"key": format!("b:{i:04}"), "value": "AAH/", "base64": true, "metadata": {"i": i}}),
            _ => json!({"key": format!("b:{i:04}"), "value": "x", "expiration": t + 3600, "expiration_ttl": null}),
        })
        .collect();
    std::fs::write(p.join("bulk.json"), serde_json::to_string(&pairs).unwrap()).unwrap();
    let out = ok(p, &["bulk", "put", "bulk.json", "--binding", "KV"]);
    assert!(out.contains("Success"), "{out}");
    let keys = list(p, &["--binding", "KV", "--prefix", "b:"]);
    let keys = keys.as_array().unwrap();
    assert_eq!(keys.len(), 2500);
    assert_eq!(keys[1], json!({"name": "b:0001", "metadata": {"i": 1}}));
    assert_eq!(keys[2]["expiration"].as_i64().unwrap(), t + 3600);
    let out = Command::new(hearth_bin())
        .args(["kv", "key", "get", "b:0001", "--binding", "KV"])
        .current_dir(p)
        .output()
        .unwrap();
    assert_eq!(out.stdout, vec![0, 1, 255]);
    // bulk delete with a list of names.
    let names: Vec<String> = (0..2000).map(|i| format!("b:{i:04}")).collect();
    std::fs::write(p.join("del.json"), serde_json::to_string(&names).unwrap()).unwrap();
    ok(
        p,
        &["bulk", "delete", "del.json", "--binding", "KV", "--force"],
    );
    assert_eq!(
        list(p, &["--binding", "KV", "--prefix", "b:"])
            .as_array()
            .unwrap()
            .len(),
        500
    );
    // An invalid file fails the whole batch.
    std::fs::write(
        p.join("bad.json"),
        r#"[{"key":"good","value":"v"},{"key":"","value":"v"}]"#,
    )
    .unwrap();
    assert!(!kv(p, &["bulk", "put", "bad.json", "--binding", "KV"]).ok);
    assert_eq!(list(p, &["--binding", "KV", "--prefix", "good"]), json!([]));
    std::fs::write(p.join("notjson.json"), "nope").unwrap();
    assert!(!kv(p, &["bulk", "put", "notjson.json", "--binding", "KV"]).ok);
}

#[test]
fn kv_cli_while_dev_runs() {
    let dir = project();
    let p = dir.path();
    let h = Hearth::start(p, &[]);
    // CLI writes, the running worker reads.
    ok(
        p,
        &[
            "key",
            "put",
            "greeting",
            "hi from the cli",
            "--binding",
            "KV",
            "--metadata",
            r#"{"by":"cli"}"#,
        ],
    );
    assert_eq!(
        h.get("/greeting"),
        (
            200,
            r#"{"value":"hi from the cli","metadata":{"by":"cli"}}"#.into()
        )
    );
    // hearth caches what it reads; a CLI overwrite from another process is
    // still seen by the very next read.
    ok(p, &["key", "put", "greeting", "changed", "--binding", "KV"]);
    assert_eq!(
        h.get("/greeting"),
        (200, r#"{"value":"changed","metadata":null}"#.into())
    );
    // The worker writes, the CLI reads.
    let (status, _) = hearth_tests::request(
        &format!("{}/from-worker", h.url),
        "PUT",
        &[],
        Some(b"written by the worker"),
    );
    assert_eq!(status, 200);
    assert_eq!(
        ok(
            p,
            &["key", "get", "from-worker", "--binding", "KV", "--text"]
        )
        .trim_end(),
        "written by the worker"
    );
    // Bulk and delete while serving; concurrent writes from both sides.
    std::fs::write(
        p.join("bulk.json"),
        r#"[{"key":"b1","value":"one"},{"key":"b2","value":"two"}]"#,
    )
    .unwrap();
    let url = h.url.clone();
    let writer = std::thread::spawn(move || {
        for i in 0..200 {
            let (s, _) = hearth_tests::request(&format!("{url}/w{i}"), "PUT", &[], Some(b"x"));
            assert_eq!(s, 200);
        }
    });
    for _ in 0..5 {
        ok(p, &["bulk", "put", "bulk.json", "--binding", "KV"]);
    }
    writer.join().unwrap();
    assert_eq!(
        h.get("/b2"),
        (200, r#"{"value":"two","metadata":null}"#.into())
    );
    ok(p, &["key", "delete", "b2", "--binding", "KV"]);
    assert_eq!(h.get("/b2"), (200, "null".into()));
    let keys = list(p, &["--binding", "KV", "--prefix", "w"]);
    assert_eq!(keys.as_array().unwrap().len(), 200);
    // --persist-to points both at another folder.
    let other = tempfile::tempdir().unwrap();
    let other_path = other.path().to_str().unwrap();
    ok(
        p,
        &[
            "key",
            "put",
            "elsewhere",
            "yes",
            "--binding",
            "KV",
            "--persist-to",
            other_path,
        ],
    );
    assert_eq!(h.get("/elsewhere"), (200, "null".into()));
    let h2 = Hearth::start(p, &["--persist-to", other_path]);
    assert_eq!(
        h2.get("/elsewhere"),
        (200, r#"{"value":"yes","metadata":null}"#.into())
    );
}

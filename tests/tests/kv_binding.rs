//! Black-box tests of the KV binding (`env.NS.*`): the `hearth` binary serves a
//! worker that runs the JavaScript it is sent against its KV binding, so each
//! test drives the real binding over HTTP.

use hearth_tests::{hearth_bin, request, write_project, Hearth};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

const WRANGLER: &str = r#"name = "kv-binding-test"
main = "index.js"
compatibility_date = "2024-01-01"
kv_namespaces = [ { binding = "KV", id = "0f2ac74b498b48028cb68387c421e279" } ]
"#;

/// Runs the request body as the body of an async function `(env, request)` and
/// answers `{"ok": result}` or `{"error": message, "name": error name}`.
const EVAL_WORKER: &str = r#"const AsyncFunction = (async () => {}).constructor;
export default {
  async fetch(request, env) {
    const code = await request.text();
    try {
      const out = await new AsyncFunction('env', 'request', code)(env, request);
      return Response.json({ ok: out === undefined ? null : out });
    } catch (e) {
      return Response.json({ error: String((e && e.message) || e), name: e && e.name });
    }
  },
};
"#;

fn project() -> tempfile::TempDir {
    write_project(&[("wrangler.toml", WRANGLER), ("index.js", EVAL_WORKER)])
}

/// Runs `code` in the worker and returns its result (panics on a JS error).
fn run(h: &Hearth, code: &str) -> Value {
    let v = run_raw(h, code);
    match v.get("ok") {
        Some(ok) => ok.clone(),
        None => panic!("JS failed: {v}\ncode: {code}"),
    }
}

/// Runs `code` and returns the error message it throws (panics if it does not).
fn run_err(h: &Hearth, code: &str) -> String {
    let v = run_raw(h, code);
    match v.get("error") {
        Some(Value::String(e)) => e.clone(),
        _ => panic!("expected an error, got {v}\ncode: {code}"),
    }
}

fn run_raw(h: &Hearth, code: &str) -> Value {
    let (status, body) = request(&h.url, "POST", &[], Some(code.as_bytes()));
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

fn hearth_kv(dir: &Path, args: &[&str], clock_offset: Option<i64>) -> (bool, String, String) {
    let mut cmd = Command::new(hearth_bin());
    cmd.arg("kv")
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1");
    if let Some(secs) = clock_offset {
        cmd.env("HEARTH_KV_CLOCK_OFFSET_SECS", secs.to_string());
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn kv_get_types_and_options() {
    let dir = project();
    let h = Hearth::start(dir.path(), &[]);
    run(
        &h,
        r#"await env.KV.put("j", JSON.stringify({a: [1, "two"], b: null}))"#,
    );
    assert_eq!(
        run(&h, r#"return await env.KV.get("j")"#),
        json!("{\"a\":[1,\"two\"],\"b\":null}")
    );
    assert_eq!(
        run(&h, r#"return await env.KV.get("j", "text")"#),
        json!("{\"a\":[1,\"two\"],\"b\":null}")
    );
    assert_eq!(
        run(&h, r#"return await env.KV.get("j", "json")"#),
        json!({"a": [1, "two"], "b": null})
    );
    assert_eq!(
        run(&h, r#"return await env.KV.get("j", {type: "json"})"#),
        json!({"a": [1, "two"], "b": null})
    );
    assert_eq!(
        run(
            &h,
            r#"const b = await env.KV.get("j", "arrayBuffer"); return [b instanceof ArrayBuffer, b.byteLength, new TextDecoder().decode(b)]"#
        ),
        json!([true, 24, "{\"a\":[1,\"two\"],\"b\":null}"])
    );
    assert_eq!(
        run(
            &h,
            r#"const s = await env.KV.get("j", {type: "stream"}); return [s instanceof ReadableStream, await new Response(s).text()]"#
        ),
        json!([true, "{\"a\":[1,\"two\"],\"b\":null}"])
    );
    // cacheTtl is accepted (>= 30) and does not change the answer.
    assert_eq!(
        run(
            &h,
            r#"return await env.KV.get("j", {type: "json", cacheTtl: 60})"#
        ),
        json!({"a": [1, "two"], "b": null})
    );
    assert!(run_err(&h, r#"await env.KV.get("j", {cacheTtl: 10})"#).contains("cache_ttl"));
    assert!(run_err(&h, r#"await env.KV.get("j", "xml")"#).contains("Unknown response type"));
    // Missing keys are null for every type.
    assert_eq!(
        run(
            &h,
            r#"return [await env.KV.get("nope"), await env.KV.get("nope", "json"), await env.KV.get("nope", "arrayBuffer"), await env.KV.get("nope", "stream")]"#
        ),
        json!([null, null, null, null])
    );
    // Invalid JSON for type json rejects.
    run(&h, r#"await env.KV.put("notjson", "{nope")"#);
    run_err(&h, r#"await env.KV.get("notjson", "json")"#);
    // Empty value.
    run(&h, r#"await env.KV.put("empty", "")"#);
    assert_eq!(
        run(
            &h,
            r#"return [await env.KV.get("empty"), (await env.KV.get("empty", "arrayBuffer")).byteLength, await new Response(await env.KV.get("empty", "stream")).text()]"#
        ),
        json!(["", 0, ""])
    );
}

#[test]
fn kv_bulk_get_returns_a_map() {
    let dir = project();
    let h = Hearth::start(dir.path(), &[]);
    run(
        &h,
        r#"for (let i = 0; i < 100; i++) await env.KV.put("k" + i, JSON.stringify({i}), {metadata: {n: i}})"#,
    );
    assert_eq!(
        run(
            &h,
            r#"const keys = []; for (let i = 0; i < 99; i++) keys.push("k" + i); keys.push("missing");
            const m = await env.KV.get(keys);
            return [m instanceof Map, m.size, m.get("k0"), m.get("k98"), m.get("missing"), [...m.keys()][99]]"#
        ),
        json!([true, 100, "{\"i\":0}", "{\"i\":98}", null, "missing"])
    );
    assert_eq!(
        run(
            &h,
            r#"const m = await env.KV.get(["k1", "k2", "zz"], "json"); return [...m]"#
        ),
        json!([["k1", {"i": 1}], ["k2", {"i": 2}], ["zz", null]])
    );
    assert_eq!(
        run(
            &h,
            r#"const m = await env.KV.get(["k1", "zz"], {type: "json"}); return [...m]"#
        ),
        json!([["k1", {"i": 1}], ["zz", null]])
    );
    assert_eq!(
        run(
            &h,
            r#"const m = await env.KV.getWithMetadata(["k3", "zz"], "json"); return [m instanceof Map, ...m]"#
        ),
        json!([true, ["k3", {"value": {"i": 3}, "metadata": {"n": 3}}], ["zz", null]])
    );
    let err = run_err(
        &h,
        r#"const keys = []; for (let i = 0; i < 101; i++) keys.push("k" + i); await env.KV.get(keys)"#,
    );
    assert!(err.contains("101"), "{err}");
    run_err(&h, r#"await env.KV.get(["k1"], "arrayBuffer")"#);
    run_err(&h, r#"await env.KV.get(["k1"], "stream")"#);
}

#[test]
fn kv_get_with_metadata() {
    let dir = project();
    let h = Hearth::start(dir.path(), &[]);
    run(
        &h,
        r#"await env.KV.put("a", "va", {metadata: {owner: "me", tags: [1, 2], nested: {x: true}}}); await env.KV.put("b", "vb")"#,
    );
    assert_eq!(
        run(
            &h,
            r#"const r = await env.KV.getWithMetadata("a"); return [r.value, r.metadata]"#
        ),
        json!(["va", {"owner": "me", "tags": [1, 2], "nested": {"x": true}}])
    );
    assert_eq!(
        run(
            &h,
            r#"const r = await env.KV.getWithMetadata("b", {type: "arrayBuffer"}); return [r.value.byteLength, r.metadata]"#
        ),
        json!([2, null])
    );
    assert_eq!(
        run(
            &h,
            r#"const r = await env.KV.getWithMetadata("nope"); return [r.value, r.metadata]"#
        ),
        json!([null, null])
    );
    assert_eq!(
        run(
            &h,
            r#"const r = await env.KV.getWithMetadata("a", "stream"); return [await new Response(r.value).text(), r.metadata.owner]"#
        ),
        json!(["va", "me"])
    );
    // Overwriting without metadata drops the old metadata.
    run(&h, r#"await env.KV.put("a", "va2")"#);
    assert_eq!(
        run(
            &h,
            r#"const r = await env.KV.getWithMetadata("a"); return [r.value, r.metadata]"#
        ),
        json!(["va2", null])
    );
    // Scalar metadata is allowed too.
    run(
        &h,
        r#"await env.KV.put("s", "v", {metadata: "just a string"})"#,
    );
    assert_eq!(
        run(&h, r#"return (await env.KV.getWithMetadata("s")).metadata"#),
        json!("just a string")
    );
}

#[test]
fn kv_put_value_kinds_are_byte_exact() {
    let dir = project();
    let h = Hearth::start(dir.path(), &[]);
    let bytes_of =
        r#"const bytes = async (k) => [...new Uint8Array(await env.KV.get(k, "arrayBuffer"))];"#;
    assert_eq!(
        run(
            &h,
            &format!(
                r#"{bytes_of}
            await env.KV.put("str", "héllo €");
            await env.KV.put("ab", new Uint8Array([0, 255, 128, 7]).buffer);
            await env.KV.put("u8", new Uint8Array([9, 8, 7]));
            const big = new Uint8Array([1, 2, 3, 4, 5, 6]);
            await env.KV.put("view", new Uint8Array(big.buffer, 2, 3));
            await env.KV.put("dv", new DataView(big.buffer, 1, 2));
            await env.KV.put("i16", new Int16Array([-1, 258]));
            return [await bytes("str"), await bytes("ab"), await bytes("u8"), await bytes("view"), await bytes("dv"), await bytes("i16"), await env.KV.get("str")]"#
            )
        ),
        json!([
            [104, 195, 169, 108, 108, 111, 32, 226, 130, 172],
            [0, 255, 128, 7],
            [9, 8, 7],
            [3, 4, 5],
            [2, 3],
            [255, 255, 2, 1],
            "héllo €"
        ])
    );
    // ReadableStream values, in several chunks, including binary.
    assert_eq!(
        run(
            &h,
            &format!(
                r#"{bytes_of}
            const {{readable, writable}} = new TransformStream();
            const w = writable.getWriter();
            w.write(new Uint8Array([0, 1])); w.write(new Uint8Array([254, 255])); w.write(new TextEncoder().encode("ok")); w.close();
            await env.KV.put("stream", readable);
            const s2 = new ReadableStream({{ start(c) {{ c.enqueue(new TextEncoder().encode("a")); c.enqueue(new TextEncoder().encode("b")); c.close(); }} }});
            await env.KV.put("stream2", s2);
            return [await bytes("stream"), await env.KV.get("stream2")]"#
            )
        ),
        json!([[0, 1, 254, 255, 111, 107], "ab"])
    );
    // A 3 MiB binary value written from a stream and read back exactly.
    assert_eq!(
        run(
            &h,
            r#"const n = 3 * 1024 * 1024; const v = new Uint8Array(n); for (let i = 0; i < n; i++) v[i] = (i * 31 + 7) & 255;
            await env.KV.put("big", new Blob([v]).stream());
            const back = new Uint8Array(await env.KV.get("big", "arrayBuffer"));
            if (back.length !== n) return "length " + back.length;
            for (let i = 0; i < n; i++) if (back[i] !== v[i]) return "differs at " + i;
            return "same""#
        ),
        json!("same")
    );
    // Wrong value types are rejected and write nothing.
    for bad in ["123", "{a: 1}", "null", "undefined", "true"] {
        let err = run_err(&h, &format!(r#"await env.KV.put("bad", {bad})"#));
        assert!(err.contains("KV put()"), "{bad}: {err}");
    }
    assert_eq!(run(&h, r#"return await env.KV.get("bad")"#), json!(null));
}

#[test]
fn kv_put_expiration_and_metadata_show_in_list() {
    let dir = project();
    let h = Hearth::start(dir.path(), &[]);
    let out = run(
        &h,
        r#"const now = Math.floor(Date.now() / 1000);
        await env.KV.put("ttl", "v", {expirationTtl: 120});
        await env.KV.put("abs", "v", {expiration: now + 3600, metadata: {m: 1}});
        await env.KV.put("plain", "v");
        return [now, await env.KV.list()]"#,
    );
    let now = out[0].as_i64().unwrap();
    let keys = out[1]["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 3);
    assert_eq!(keys[0]["name"], "abs");
    assert_eq!(keys[0]["expiration"].as_i64().unwrap(), now + 3600);
    assert_eq!(keys[0]["metadata"], json!({"m": 1}));
    assert_eq!(keys[1], json!({"name": "plain"}));
    assert_eq!(keys[2]["name"], "ttl");
    let ttl_exp = keys[2]["expiration"].as_i64().unwrap();
    assert!(
        (now + 119..=now + 122).contains(&ttl_exp),
        "{ttl_exp} vs {now}"
    );
    assert!(keys[2].get("metadata").is_none());
    assert_eq!(out[1]["list_complete"], json!(true));
    // Values with an expiration are readable until then.
    assert_eq!(
        run(
            &h,
            r#"return [await env.KV.get("ttl"), await env.KV.get("abs")]"#
        ),
        json!(["v", "v"])
    );
    // Overwriting without an expiration removes it.
    run(&h, r#"await env.KV.put("ttl", "v2")"#);
    assert_eq!(
        run(&h, r#"return (await env.KV.list({prefix: "ttl"})).keys"#),
        json!([{"name": "ttl"}])
    );
}

#[test]
fn kv_delete() {
    let dir = project();
    let h = Hearth::start(dir.path(), &[]);
    run(
        &h,
        r#"await env.KV.put("a", "1", {metadata: {x: 1}}); await env.KV.put("b", "2")"#,
    );
    assert_eq!(run(&h, r#"return await env.KV.delete("a")"#), json!(null));
    assert_eq!(
        run(
            &h,
            r#"return [await env.KV.get("a"), (await env.KV.getWithMetadata("a")).metadata, (await env.KV.list()).keys, await env.KV.get("b")]"#
        ),
        json!([null, null, [{"name": "b"}], "2"])
    );
    // Deleting a missing key succeeds.
    assert_eq!(
        run(&h, r#"return await env.KV.delete("never-existed")"#),
        json!(null)
    );
    // Invalid key names are rejected.
    assert!(run_err(&h, r#"await env.KV.delete("")"#).contains("empty"));
}

#[test]
fn kv_list_prefix_limit_cursor_and_byte_order() {
    let dir = project();
    let h = Hearth::start(dir.path(), &[]);
    // Byte order of the UTF-8 encoding: uppercase < lowercase < '~' < 'é' < '€' < emoji.
    let names = [
        "b", "a", "aa", "B", "~", "é", "€", "😀", "a/b", "a-b", "0", " ",
    ];
    let js_names = serde_json::to_string(&names).unwrap();
    run(
        &h,
        &format!(r#"for (const k of {js_names}) await env.KV.put(k, "v")"#),
    );
    let mut expected: Vec<&str> = names.to_vec();
    expected.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(
        run(&h, r#"return (await env.KV.list()).keys.map(k => k.name)"#),
        json!(expected)
    );
    assert_eq!(
        run(
            &h,
            r#"return (await env.KV.list({prefix: "a"})).keys.map(k => k.name)"#
        ),
        json!(["a", "a-b", "a/b", "aa"])
    );
    assert_eq!(
        run(&h, r#"return (await env.KV.list({prefix: "zzz"}))"#)["keys"],
        json!([])
    );

    // Paging with limit and cursor.
    run(
        &h,
        r#"for (let i = 0; i < 25; i++) await env.KV.put("page:" + String(i).padStart(2, "0"), "v")"#,
    );
    let pages = run(
        &h,
        r#"const pages = []; let cursor;
        do {
          const r = await env.KV.list({prefix: "page:", limit: 10, cursor});
          pages.push([r.keys.map(k => k.name), r.list_complete, typeof r.cursor]);
          cursor = r.cursor;
          if (pages.length > 10) break;
        } while (!pages[pages.length - 1][1]);
        return pages"#,
    );
    let pages = pages.as_array().unwrap();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert_eq!(pages[0][0].as_array().unwrap().len(), 10);
    assert_eq!(pages[0][1], json!(false));
    assert_eq!(pages[0][2], json!("string"));
    assert_eq!(pages[1][0].as_array().unwrap().len(), 10);
    assert_eq!(pages[2][0].as_array().unwrap().len(), 5);
    assert_eq!(pages[2][1], json!(true));
    let all: Vec<String> = pages
        .iter()
        .flat_map(|p| {
            p[0].as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
        })
        .collect();
    let want: Vec<String> = (0..25).map(|i| format!("page:{i:02}")).collect();
    assert_eq!(all, want);

    // Default and maximum limit is 1000.
    run(
        &h,
        r#"const ps = []; for (let i = 0; i < 1100; i++) ps.push(env.KV.put("many:" + String(i).padStart(4, "0"), "v")); await Promise.all(ps)"#,
    );
    assert_eq!(
        run(
            &h,
            r#"const r = await env.KV.list({prefix: "many:"}); const r2 = await env.KV.list({prefix: "many:", cursor: r.cursor}); return [r.keys.length, r.list_complete, r2.keys.length, r2.list_complete, r2.keys[0].name]"#
        ),
        json!([1000, false, 100, true, "many:1000"])
    );
    assert!(run_err(&h, r#"await env.KV.list({limit: 1001})"#).contains("1001"));
    assert!(run_err(&h, r#"await env.KV.list({limit: 0})"#).contains("key_count_limit"));
}

#[test]
fn kv_list_cursor_survives_concurrent_changes() {
    let dir = project();
    let h = Hearth::start(dir.path(), &[]);
    run(
        &h,
        r#"for (let i = 0; i < 50; i += 2) await env.KV.put("c:" + String(i).padStart(3, "0"), "v")"#,
    );
    // Keys c:000, c:002, ... c:048 exist. Page through 5 at a time while
    // deleting already-seen keys, deleting a not-yet-seen key, and inserting
    // keys before and after the cursor.
    let out = run(
        &h,
        r#"const seen = []; let cursor; let round = 0; let done = false;
        while (!done && round < 50) {
          const r = await env.KV.list({prefix: "c:", limit: 5, cursor});
          seen.push(...r.keys.map(k => k.name));
          done = r.list_complete; cursor = r.cursor; round++;
          if (round === 1) {
            await env.KV.delete("c:000");                   // seen
            await env.KV.delete("c:030");                   // not yet seen
            await env.KV.put("c:001", "v");                 // before the cursor
            await env.KV.put("c:041", "v");                 // after the cursor
            await env.KV.put("c:999", "v");                 // at the end
          }
          if (round === 2) await env.KV.put("c:0445", "v"); // after the cursor
        }
        return [seen, round]"#,
    );
    let seen: Vec<String> = out[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        sorted, seen,
        "pages are in order with no duplicates: {seen:?}"
    );
    // Every key present for the whole walk is seen exactly once.
    for i in (2..50).step_by(2).filter(|i| *i != 30) {
        let k = format!("c:{i:03}");
        assert!(seen.contains(&k), "{k} missing from {seen:?}");
    }
    assert!(
        !seen.contains(&"c:030".to_string()),
        "deleted before it was reached"
    );
    assert!(
        !seen.contains(&"c:001".to_string()),
        "inserted behind the cursor"
    );
    for k in ["c:041", "c:0445", "c:999"] {
        assert!(
            seen.contains(&k.to_string()),
            "{k} inserted ahead of the cursor: {seen:?}"
        );
    }
}

#[test]
fn kv_limit_errors_change_nothing() {
    let dir = project();
    let h = Hearth::start(dir.path(), &[]);
    run(&h, r#"await env.KV.put("keep", "old", {metadata: {v: 1}})"#);
    let state = r#"return [await env.KV.get("keep"), (await env.KV.getWithMetadata("keep")).metadata, (await env.KV.list()).keys]"#;
    let before = run(&h, state);
    assert_eq!(
        before,
        json!(["old", {"v": 1}, [{"name": "keep", "metadata": {"v": 1}}]])
    );

    let cases: &[(&str, &str)] = &[
        (
            r#"await env.KV.put("", "x")"#,
            "Key names must not be empty",
        ),
        (r#"await env.KV.put(".", "x")"#, "Illegal key name"),
        (r#"await env.KV.put("..", "x")"#, "Illegal key name"),
        (
            r#"await env.KV.put("k".repeat(513), "x")"#,
            "exceeds key length limit of 512",
        ),
        (
            r#"await env.KV.put("€".repeat(171), "x")"#,
            "exceeds key length limit of 512",
        ),
        (
            r#"await env.KV.put("keep", "x".repeat(25 * 1024 * 1024 + 1))"#,
            "exceeds limit of 26214400",
        ),
        (
            r#"await env.KV.put("keep", new Uint8Array(25 * 1024 * 1024 + 1))"#,
            "exceeds limit of 26214400",
        ),
        (
            r#"await env.KV.put("keep", "new", {metadata: {a: "x".repeat(1100)}})"#,
            "Metadata length",
        ),
        (
            r#"await env.KV.put("keep", "new", {expirationTtl: 59})"#,
            "Expiration TTL must be at least 60",
        ),
        (
            r#"await env.KV.put("keep", "new", {expirationTtl: 0})"#,
            "Expiration TTL must be at least 60",
        ),
        (
            r#"await env.KV.put("keep", "new", {expiration: Math.floor(Date.now() / 1000) - 100})"#,
            "at least 60 seconds in the future",
        ),
        (
            r#"await env.KV.put("keep", "new", {expiration: Math.floor(Date.now() / 1000) + 30})"#,
            "at least 60 seconds in the future",
        ),
        (r#"await env.KV.put("keep", 42)"#, "KV put()"),
        (r#"await env.KV.get("")"#, "Key names must not be empty"),
        (
            r#"await env.KV.get("k".repeat(513))"#,
            "exceeds key length limit of 512",
        ),
        (r#"await env.KV.delete("..")"#, "Illegal key name"),
        (
            r#"await env.KV.delete("k".repeat(513))"#,
            "exceeds key length limit of 512",
        ),
    ];
    for (code, message) in cases {
        let err = run_err(&h, code);
        assert!(
            err.contains(message),
            "{code}: got {err:?}, want {message:?}"
        );
        assert_eq!(run(&h, state), before, "after {code}");
    }
    // The limits themselves are allowed: 512-byte key, 25 MiB value, 1024-byte metadata, TTL 60.
    assert_eq!(
        run(
            &h,
            r#"const k = "k".repeat(512); await env.KV.put(k, "v"); return await env.KV.get(k)"#
        ),
        json!("v")
    );
    assert_eq!(
        run(
            &h,
            r#"await env.KV.put("max", new Uint8Array(25 * 1024 * 1024)); return (await env.KV.get("max", "arrayBuffer")).byteLength"#
        ),
        json!(25 * 1024 * 1024)
    );
    assert_eq!(
        run(
            &h,
            r#"const m = {a: "x".repeat(1016)}; if (JSON.stringify(m).length !== 1024) throw new Error("len"); await env.KV.put("meta", "v", {metadata: m}); return (await env.KV.getWithMetadata("meta")).metadata.a.length"#
        ),
        json!(1016)
    );
    run(&h, r#"await env.KV.put("ttl60", "v", {expirationTtl: 60})"#);
    assert_eq!(run(&h, r#"return await env.KV.get("ttl60")"#), json!("v"));
}

#[test]
fn kv_expired_keys_are_never_returned() {
    let dir = project();
    {
        let h = Hearth::start(dir.path(), &[]);
        run(
            &h,
            r#"await env.KV.put("short", "v", {expirationTtl: 60, metadata: {m: 1}});
            await env.KV.put("abs", "v", {expiration: Math.floor(Date.now() / 1000) + 90});
            await env.KV.put("long", "v", {expirationTtl: 3600});
            await env.KV.put("forever", "v")"#,
        );
        assert_eq!(
            run(&h, r#"return (await env.KV.list()).keys.length"#),
            json!(4)
        );
    }
    // Two minutes later (the store's clock shifted by the test-only knob).
    let h = Hearth::start_with_env(dir.path(), &[], &[("HEARTH_KV_CLOCK_OFFSET_SECS", "120")]);
    assert_eq!(
        run(
            &h,
            r#"return [await env.KV.get("short"), await env.KV.get("abs"), await env.KV.get("long"), await env.KV.get("forever"),
            (await env.KV.getWithMetadata("short")).value, (await env.KV.getWithMetadata("short")).metadata,
            [...await env.KV.get(["short", "abs", "long"])],
            (await env.KV.list()).keys.map(k => k.name)]"#
        ),
        json!([
            null,
            null,
            "v",
            "v",
            null,
            null,
            [["short", null], ["abs", null], ["long", "v"]],
            ["forever", "long"]
        ])
    );
    drop(h);
    // Without the shift, "long" is still there.
    let (ok, out, err) = hearth_kv(
        dir.path(),
        &["key", "get", "long", "--binding", "KV", "--text"],
        None,
    );
    assert!(ok, "{err}");
    assert_eq!(out.trim_end(), "v");
    // `hearth kv` sees the same: the key is gone for it too once its clock says so.
    let (ok, out, err) = hearth_kv(
        dir.path(),
        &["key", "get", "long", "--binding", "KV", "--text"],
        Some(3700),
    );
    // Like wrangler: "Value not found" (exit status 0).
    assert!(
        format!("{out}{err}").contains("Value not found"),
        "{ok} {out} {err}"
    );
    let (ok, out, err) = hearth_kv(dir.path(), &["key", "list", "--binding", "KV"], Some(3700));
    assert!(ok, "{err}");
    let listed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listed, json!([{"name": "forever"}]));
    // (the background purge at that clock may also have reclaimed it for good)
}

#[test]
fn kv_service_worker_global_binding() {
    let dir = write_project(&[
        (
            "wrangler.toml",
            r#"name = "sw"
main = "worker.js"
compatibility_date = "2024-01-01"
kv_namespaces = [ { binding = "KRISTIAN_TODOS", id = "11111111111111111111111111111111" } ]
"#,
        ),
        (
            "worker.js",
            r#"addEventListener('fetch', event => { event.respondWith(handle(event.request)) });
async function handle(request) {
  const url = new URL(request.url);
  if (request.method === 'PUT') {
    await KRISTIAN_TODOS.put(url.pathname.slice(1), await request.text());
    return new Response('stored');
  }
  const value = await KRISTIAN_TODOS.get(url.pathname.slice(1));
  return new Response(value === null ? 'missing' : value, { status: value === null ? 404 : 200 });
}
"#,
        ),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(h.get("/todo"), (404, "missing".into()));
    let (status, body) = request(
        &format!("{}/todo", h.url),
        "PUT",
        &[],
        Some(b"{\"todos\":[]}"),
    );
    assert_eq!((status, body.as_str()), (200, "stored"));
    assert_eq!(h.get("/todo"), (200, "{\"todos\":[]}".into()));
    // The CLI sees the same data through the binding name.
    let (ok, out, err) = hearth_kv(
        dir.path(),
        &[
            "key",
            "get",
            "todo",
            "--binding",
            "KRISTIAN_TODOS",
            "--text",
        ],
        None,
    );
    assert!(ok, "{err}");
    assert_eq!(out.trim_end(), "{\"todos\":[]}");
}

#[test]
fn kv_data_persists_across_restarts_and_is_shared_with_the_cli() {
    let dir = project();
    {
        let h = Hearth::start(dir.path(), &[]);
        run(
            &h,
            r#"await env.KV.put("p", "persisted", {metadata: {a: 1}})"#,
        );
        // While it runs, the CLI writes and the worker reads it at once.
        let (ok, _, err) = hearth_kv(
            dir.path(),
            &[
                "key",
                "put",
                "from-cli",
                "hello",
                "--binding",
                "KV",
                "--metadata",
                "{\"b\":2}",
            ],
            None,
        );
        assert!(ok, "{err}");
        assert_eq!(
            run(
                &h,
                r#"const r = await env.KV.getWithMetadata("from-cli"); return [r.value, r.metadata]"#
            ),
            json!(["hello", {"b": 2}])
        );
        let (ok, out, err) = hearth_kv(
            dir.path(),
            &["key", "get", "p", "--binding", "KV", "--text"],
            None,
        );
        assert!(ok, "{err}");
        assert_eq!(out.trim_end(), "persisted");
        let (ok, _, err) = hearth_kv(dir.path(), &["key", "delete", "p", "--binding", "KV"], None);
        assert!(ok, "{err}");
        assert_eq!(run(&h, r#"return await env.KV.get("p")"#), json!(null));
        run(&h, r#"await env.KV.put("p2", "again")"#);
    }
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(
        run(
            &h,
            r#"return [await env.KV.get("p2"), await env.KV.get("from-cli")]"#
        ),
        json!(["again", "hello"])
    );
    // --persist-to elsewhere is a different store.
    let other = tempfile::tempdir().unwrap();
    let h2 = Hearth::start(
        dir.path(),
        &["--persist-to", other.path().to_str().unwrap()],
    );
    assert_eq!(run(&h2, r#"return await env.KV.get("p2")"#), json!(null));
}

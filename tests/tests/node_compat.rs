//! Node.js compatibility modules on Node's own semantics: node:stream,
//! node:events, node:string_decoder, node:zlib, node:os and node:fs, each
//! exercised by a route of the `node-compat` fixture worker.

use hearth_tests::{fixture, run_to_exit, write_project, Hearth};
use serde_json::{json, Value};
use std::time::Duration;

fn get(h: &Hearth, path: &str) -> Value {
    let (status, body) = h.get(path);
    assert_eq!(status, 200, "{path}: {body}\n{}", h.logs());
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

fn start() -> Hearth {
    Hearth::start(&fixture("node-compat"), &[])
}

#[test]
fn readable_paused_mode_reads_by_size_and_ends_before_close() {
    let h = start();
    let v = get(&h, "/readable");
    // push() reports whether the buffer is below highWaterMark (4).
    assert_eq!(v["pushed"], json!([true, false, false]));
    let events: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert_eq!(events[0], "readable", "{events:?}");
    let reads: Vec<&str> = events
        .iter()
        .copied()
        .filter(|e| e.starts_with("read:"))
        .collect();
    // read(3) spans chunks; unshift() puts data back in front.
    assert_eq!(reads, ["read:abc", "read:def", "read:Z"], "{events:?}");
    assert_eq!(&events[events.len() - 2..], ["end", "close"], "{events:?}");
    assert_eq!(v["readableEnded"], true);
    assert_eq!(v["destroyed"], true, "autoDestroy after 'end'");
}

#[test]
fn flowing_mode_pauses_and_resumes_in_object_mode() {
    let h = start();
    let v = get(&h, "/flowing");
    assert_eq!(v["seen"], json!([1, 2, "paused:true", 3, 4]));
    assert_eq!(v["objectMode"], true);
}

#[test]
fn writable_backpressure_returns_false_then_drains() {
    let h = start();
    let v = get(&h, "/backpressure");
    assert_eq!(v["returns"], json!([true, false, false]));
    assert_eq!(
        v["log"],
        json!([
            "write:abc",
            "needDrain:true",
            "write:def",
            "write:g",
            "drain",
            "write:end"
        ])
    );
    assert_eq!(v["length"], 0);
    assert_eq!(v["finished"], true);
}

#[test]
fn cork_batches_writes_into_writev_and_final_runs_before_finish() {
    let h = start();
    let v = get(&h, "/writev");
    assert_eq!(
        v["calls"],
        json!([
            ["writev", ["a", "b", "c"]],
            ["write", "d"],
            ["final"],
            ["finish"]
        ])
    );
}

#[test]
fn pipeline_runs_transforms_with_callback_and_promise() {
    let h = start();
    let v = get(&h, "/pipeline");
    assert_eq!(v["err"], "none");
    assert_eq!(v["out"], json!(["A", "B", "C"]));
    assert_eq!(v["viaPromise"], json!(["X!", "Y!"]));
}

#[test]
fn pipeline_error_destroys_every_stream_and_finished_sees_premature_close() {
    let h = start();
    let v = get(&h, "/pipeline-error");
    assert_eq!(v["message"], "transform failed");
    assert_eq!(v["destroyed"], json!([true, true, true]));
    assert_eq!(v["premature"], "ERR_STREAM_PREMATURE_CLOSE");
}

#[test]
fn async_iteration_and_consumers() {
    let h = start();
    let v = get(&h, "/async-iterator");
    assert_eq!(v["got"], json!(["one", "two"]));
    assert_eq!(v["destroyed"], true, "break destroys the stream");
    assert_eq!(v["text"], "consumed");
    assert_eq!(v["dup"], json!(["from duplex"]));
}

#[test]
fn destroy_and_write_errors_follow_node() {
    let h = start();
    let v = get(&h, "/errors");
    let events = v["events"].as_array().unwrap();
    assert_eq!(events[..2], [json!("error:boom"), json!("close")]);
    assert!(
        events.contains(&json!("cb:ERR_STREAM_WRITE_AFTER_END")),
        "{events:?}"
    );
    assert!(
        events.contains(&json!("w:ERR_STREAM_WRITE_AFTER_END")),
        "{events:?}"
    );
    assert_eq!(v["errored"], "boom");
    assert_eq!(v["pushInvalid"], "ERR_INVALID_ARG_TYPE");
}

#[test]
fn events_once_with_signal_on_iterator_capture_rejections_and_warnings() {
    let h = start();
    let v = get(&h, "/events");
    assert_eq!(v["aborted"], "AbortError:ABORT_ERR");
    assert_eq!(v["ticks"], json!([1, 2]));
    assert_eq!(
        v["afterBreak"], 0,
        "breaking out of on() removes its listener"
    );
    assert_eq!(v["monitored"], json!(["unhandled"]));
    assert_eq!(v["thrown"], "unhandled");
    assert_eq!(v["captured"], "rejected");
    assert_eq!(v["warnings"], json!(["MaxListenersExceededWarning"]));
}

#[test]
fn string_decoder_keeps_split_characters_for_the_next_chunk() {
    let h = start();
    let v = get(&h, "/string_decoder");
    assert_eq!(v["parts"], json!(["", "", "€uro", ""]));
    assert_eq!(v["b64"], "|YWJj|");
    assert_eq!(v["incomplete"], "|\u{fffd}");
}

#[test]
fn zlib_sync_callback_stream_brotli_and_crc32() {
    let h = start();
    let v = get(&h, "/zlib");
    assert_eq!(v["gzipMagic"], "1f8b");
    for key in [
        "gunzip",
        "inflate",
        "smaller",
        "brotli",
        "unzipDeflate",
        "streamed",
    ] {
        assert_eq!(v[key], true, "{key}: {v}");
    }
    // Produced by another zlib: gzip and raw deflate interoperate.
    assert_eq!(v["known"], "hello hearth\n".repeat(3));
    assert_eq!(v["raw"], "raw data raw data");
    assert_eq!(v["crc"], json!([907060870u32, 222957957u32]));
    assert_eq!(v["errors"]["truncated"], "Z_BUF_ERROR");
    assert_eq!(
        v["errors"]["badHeader"],
        "Z_DATA_ERROR:-3:incorrect header check"
    );
    assert_eq!(v["constant"], 9);
}

#[test]
fn os_reports_what_workerd_reports() {
    let h = start();
    let v = get(&h, "/os");
    assert_eq!(
        v,
        json!({
            "platform": "linux",
            "arch": "x64",
            "type": "Linux",
            "eol": "\n",
            "tmpdir": "/tmp/",
            "cpus": 0,
            "enoent": 2
        })
    );
}

#[test]
fn fs_reads_the_bundle_read_only_and_writes_tmp_in_memory() {
    let h = start();
    let v = get(&h, "/fs");
    let config = "greeting = hello from the bundle\n";
    assert_eq!(v["config"], config);
    assert_eq!(v["listing"], json!(["data", "index.js"]));
    assert_eq!(v["size"], config.len());
    assert_eq!(v["isFile"], true);
    assert_eq!(v["bundleDir"], true);
    assert_eq!(v["exists"], json!([true, false, false]));
    assert_eq!(
        v["codes"],
        json!({"missing": "ENOENT", "readOnly": "EPERM"})
    );
    assert_eq!(v["note"], "first second");
    assert_eq!(v["viaCallback"], config.len());
    assert_eq!(v["devNull"], 0);
}

#[test]
fn fs_needs_a_recent_compatibility_date_or_its_flag() {
    let worker = "import fs from 'node:fs';\n\
                  export default { fetch() { return new Response(String(fs.existsSync('/bundle'))); } };\n";
    let old = write_project(&[
        (
            "wrangler.toml",
            "name = \"old\"\nmain = \"index.js\"\ncompatibility_date = \"2024-09-23\"\n\
             compatibility_flags = [\"nodejs_compat\"]\n",
        ),
        ("index.js", worker),
    ]);
    let (status, out) = run_to_exit(
        &["dev", old.path().to_str().unwrap(), "--port", "0"],
        Duration::from_secs(10),
    );
    assert!(!status.success(), "{out}");
    assert!(out.contains("enable_nodejs_fs_module"), "{out}");

    let flagged = write_project(&[
        (
            "wrangler.toml",
            "name = \"flagged\"\nmain = \"index.js\"\ncompatibility_date = \"2024-09-23\"\n\
             compatibility_flags = [\"nodejs_compat\", \"enable_nodejs_fs_module\"]\n",
        ),
        ("index.js", worker),
    ]);
    let h = Hearth::start(flagged.path(), &[]);
    assert_eq!(h.get("/"), (200, "true".into()));
}

#[test]
fn crypto_scrypt_matches_rfc_7914_and_checks_parameters() {
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"scrypt\"\nmain = \"index.js\"\ncompatibility_date = \"2025-01-01\"\n\
             compatibility_flags = [\"nodejs_compat\"]\n",
        ),
        (
            "index.js",
            "import { scrypt, scryptSync } from 'node:crypto';\nimport { Buffer } from 'node:buffer';\n\
             const code = (f) => { try { f(); return null; } catch (e) { return [e.name, e.code]; } };\n\
             export default { async fetch() {\n\
               const rfc = scryptSync('password', 'NaCl', 64, { N: 1024, r: 8, p: 16 }).toString('hex');\n\
               const empty = scryptSync('', '', 64, { cost: 16, blockSize: 1, parallelization: 1 }).toString('hex');\n\
               const viaCallback = await new Promise((ok, fail) => scrypt('pw', Buffer.from('salt'), 16, (e, k) => e ? fail(e) : ok(k.toString('hex'))));\n\
               const defaults = scryptSync('pw', 'salt', 16).toString('hex');\n\
               return Response.json({ rfc, empty, viaCallback, defaults,\n\
                 badCost: code(() => scryptSync('a', 'b', 16, { N: 3 })),\n\
                 tooMuchMemory: code(() => scryptSync('a', 'b', 16, { N: 1 << 20, r: 8 })),\n\
                 noCallback: code(() => scrypt('a', 'b', 16)) });\n\
             } };\n",
        ),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    let got = get(&h, "/");
    // RFC 7914 section 12, the second and first test vectors.
    assert_eq!(
        got["rfc"],
        "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"
    );
    assert_eq!(
        got["empty"],
        "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"
    );
    // Node's defaults (N=16384, r=8, p=1), asynchronously too.
    assert_eq!(got["viaCallback"], got["defaults"]);
    assert_eq!(got["defaults"].as_str().unwrap().len(), 32);
    assert_eq!(
        got["badCost"],
        json!(["RangeError", "ERR_CRYPTO_INVALID_SCRYPT_PARAMS"])
    );
    assert_eq!(
        got["tooMuchMemory"],
        json!(["RangeError", "ERR_CRYPTO_INVALID_SCRYPT_PARAMS"])
    );
    assert_eq!(
        got["noCallback"],
        json!(["TypeError", "ERR_INVALID_ARG_TYPE"])
    );
}

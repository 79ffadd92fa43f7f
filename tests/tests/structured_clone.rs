//! Structured serialization, black-box: values of every supported type
//! through Durable Object storage, RPC and `structuredClone`; a 1 MiB
//! `Uint8Array` in storage; storage written in the old (JSON) format still
//! reads; exceptions cross the stub boundary as themselves.

mod durable_support;

use durable_support::{json, Project};
use hearth_tests::fixture;
use serde_json::{json as j, Value};
use std::path::PathBuf;

fn project() -> Project {
    Project::of(&fixture("durable-clone"))
}

/// What `check()` in the fixture reports for a faithful copy of `sample()`.
fn expected_check() -> Value {
    j!({
        "primitives": [true, true, true, true],
        "numbers": [42, -7, 1.5],
        "special": [true, true, true, true],
        "big": ["bigint", "1180591620717411303424", "-5"],
        "str": "héllo ✓ 😀",
        "lone": [3, 0xd800, 0xdc00],
        "empty": true,
        "holes": [true, 3, false, 1, 3, "x"],
        "nested": {"a": [1, {"b": [null]}]},
        "date": 86400000,
        "re": ["a+b", "gi"],
        "map": [3, "one", 2, true],
        "set": [3, true, true, true],
        "shared": true,
        "cyclic": true,
        "buffer": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
        "u8": [4, [5, 6, 7, 8]],
        "dv": [2, 6, 3],
        "u16": [8, 2],
        "oneBuffer": true,
        "sharedWrite": true,
        "typed": [
            ["Int8Array", ["-1", "2"]],
            ["Uint8ClampedArray", ["255"]],
            ["Int16Array", ["-300"]],
            ["Uint16Array", ["65535"]],
            ["Int32Array", ["-70000"]],
            ["Uint32Array", ["4000000000"]],
            ["Float32Array", ["1.5"]],
            ["Float64Array", ["-2.25"]],
            ["BigInt64Array", ["-1099511627776"]],
            ["BigUint64Array", ["9223372036854775808"]]
        ],
        "err": ["RangeError", "out of range", "root", "string"],
        "typeErr": "bad type",
        "custom": [true, "MyError", "custom"],
        "boxed": [3, "s", false, "5"],
        "nullProto": 1,
        "protoKey": [true, ["__proto__"], true],
        "intKeys": ["1", "2", "z"],
        "keys": 40
    })
}

/// The SQLite file of object `name` of class `Store`.
fn object_file(p: &Project, h: &hearth_tests::Hearth, name: &str) -> PathBuf {
    let id = json(h, &format!("/whoami?name={name}"));
    p.state
        .path()
        .join("do")
        .join("Store")
        .join(format!("{}.sqlite3", id.as_str().unwrap()))
}

fn stored_value(file: &PathBuf, key: &str) -> Vec<u8> {
    let db = rusqlite::Connection::open(file).unwrap();
    db.query_row("SELECT value FROM _cf_KV WHERE key = ?1", [key], |r| {
        r.get(0)
    })
    .unwrap()
}

#[test]
fn a_durable_object_stores_a_mebibyte_uint8array_in_about_a_mebibyte() {
    let p = project();
    let h = p.start();
    let v = json(&h, "/do/big?name=big&n=1048576");
    assert_eq!(v, j!({"put": null, "same": true}));
    // The limit still counts the serialized size (key plus value).
    let v = json(&h, "/do/big?name=big2&n=2097152");
    assert_eq!(v["put"]["name"], "RangeError", "{v}");
    assert!(
        v["put"]["message"].as_str().unwrap().contains("2097152"),
        "{v}"
    );
    let file = object_file(&p, &h, "big");
    drop(h);
    let stored = stored_value(&file, "big");
    assert!(
        stored.len() >= 1 << 20 && stored.len() < (1 << 20) + 64,
        "a 1 MiB array takes {} bytes on disk",
        stored.len()
    );
}

#[test]
fn every_supported_type_round_trips_through_storage() {
    let p = project();
    let h = p.start();
    let v = json(&h, "/do/types?name=types");
    for path in ["get", "list", "batch", "sync"] {
        assert_eq!(v[path], expected_check(), "storage {path}");
    }
    assert_eq!(v["batchKeys"], j!(["batchA", "batchB"]));
    assert_eq!(v["storedNull"], true);
    assert_eq!(v["storedUndefinedInObject"], true);
    // Class instances are stored as plain objects (own properties), as V8 does.
    assert_eq!(
        json(&h, "/do/class?name=types"),
        j!({"plain": true, "x": 1}),
        "own properties only: no prototype, no getter"
    );
    let refused = json(&h, "/do/unclonable?name=types");
    for case in ["fn", "symbol", "promise", "request", "weak"] {
        assert_eq!(refused[case]["name"], "DataCloneError", "{case}: {refused}");
    }
    assert_eq!(refused["nothingStored"], true);
    // And from disk, in a new process.
    drop(h);
    let h = p.start();
    assert_eq!(json(&h, "/do/types/again?name=types"), expected_check());
}

#[test]
fn every_supported_type_round_trips_through_rpc() {
    let p = project();
    let h = p.start();
    let v = json(&h, "/run/rpc");
    assert_eq!(v["echo"], expected_check());
    assert_eq!(v["bigArgument"], 1 << 20);
    assert_eq!(v["bigResult"], true);
    // Functions cross by reference (stubs), class instances do not.
    assert_eq!(v["functionArgument"], 42, "{v}");
    assert_eq!(v["functionResult"], 2, "{v}");
    for case in ["classArgument", "classResult"] {
        assert_eq!(v[case]["name"], "DataCloneError", "{case}: {v}");
    }
    assert_eq!(v["alive"], "still alive");
}

#[test]
fn websocket_attachments_are_structured_clones() {
    let p = project();
    let h = p.start();
    let v = json(&h, "/do/attachment?name=ws");
    assert_eq!(v["date"], 7);
    assert_eq!(v["set"], j!(["a"]));
    assert_eq!(v["bytes"], j!([1, 2]));
    assert_eq!(v["fn"]["name"], "DataCloneError");
}

/// Values as the JSON format before the binary codec wrote them (produced by
/// `/do/legacy/write` on the previous hearth release).
const LEGACY_ROWS: &[(&str, &str)] = &[
    (
        "l:binary",
        r#"{"a":[{"ab":[1,2,3,4]},{"dv":[1,2,3,4]},{"ta":["Int16Array",[254,255,3,0]]},{"ta":["BigUint64Array",[9,0,0,0,0,0,0,0]]}]}"#,
    ),
    ("l:cycle", r#"{"o":{"n":1,"me":{"ref":0}}}"#),
    (
        "l:errors",
        r#"{"a":[{"err":["RangeError","too far","    at legacySample (src/index.js:124:22)\n    at fetch (src/index.js:216:27)\n    at <anonymous> (hearth:durable.js:396:45)\n"]},{"err":["Error","generic","    at legacySample (src/index.js:124:49)\n    at fetch (src/index.js:216:27)\n    at <anonymous> (hearth:durable.js:396:45)\n"]}]}"#,
    ),
    ("l:number", r#"7"#),
    (
        "l:object",
        r#"{"o":{"a":{"a":[1,"two",null,{"u":0},{"n":"-0"},{"n":"NaN"},{"n":"-Infinity"}]},"nested":{"o":{"t":true}}}}"#,
    ),
    (
        "l:rich",
        r#"{"a":[{"date":5},{"re":["x","g"]},{"map":[["k",{"big":"10"}]]},{"set":[{"o":{"s":1}}]},{"box":true}]}"#,
    ),
    ("l:string", r#""plain""#),
];

#[test]
fn storage_written_in_the_old_json_format_still_reads() {
    let p = project();
    let h = p.start();
    let file = object_file(&p, &h, "legacy");
    // The object has not run yet: write its database as the old release left it.
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    {
        let db = rusqlite::Connection::open(&file).unwrap();
        db.execute_batch(
            "CREATE TABLE _cf_KV (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID",
        )
        .unwrap();
        for (key, value) in LEGACY_ROWS {
            db.execute(
                "INSERT INTO _cf_KV (key, value) VALUES (?1, ?2)",
                rusqlite::params![key, value.as_bytes()],
            )
            .unwrap();
        }
    }
    let expected = json(&h, "/do/legacy/expected?name=other");
    let v = json(&h, "/do/legacy?name=legacy");
    assert_eq!(v["list"], expected, "list() of old-format values");
    assert_eq!(
        v["single"], expected["l:rich"],
        "get() of an old-format value"
    );
    assert_eq!(v["cycleIntact"], true);
    assert_eq!(v["setShared"], 1, "a shared reference stays one object");
    assert_eq!(v["afterRewrite"], "rewritten");
    drop(h);
    // A rewritten value is in the new format; the others are untouched.
    assert_eq!(stored_value(&file, "l:string")[0], 0xFF);
    assert_eq!(stored_value(&file, "l:rich")[0], b'{');
}

fn thrown(name: &str, message: &str) -> Value {
    j!({"name": name, "message": message, "remote": true, "isError": true})
}

#[test]
fn exceptions_reach_the_caller_with_their_class_message_and_remote_flag() {
    let p = project();
    let h = p.start();
    let v = json(&h, "/run/errors");
    for via in ["fetch", "rpc"] {
        let e = &v[via];
        assert_eq!(e["range"], thrown("RangeError", "bad range 42"), "{via}");
        assert_eq!(e["custom"], thrown("NotFound", "no such thing"), "{via}");
        assert_eq!(e["type"], thrown("TypeError", "rejected later"), "{via}");
        assert_eq!(e["plain"], thrown("Error", "plain failure"), "{via}");
    }
    assert_eq!(v["fetchClass"], j!([true, false, true, "RangeError"]));
    assert_eq!(v["rpcClass"], j!([true, false, true, "RangeError"]));
    assert_eq!(v["unknownMethod"]["name"], "TypeError");
    // Uncaught in the worker: the log shows the object's error, not a wire format.
    let (status, _) = h.get("/do/throw?kind=range&name=escape");
    assert_eq!(status, 500);
    h.wait_for_log("bad range 42");
    let logs = h.logs();
    assert!(!logs.contains("hearth-error"), "{logs}");
    assert!(!logs.contains("\"err\":["), "{logs}");
}

#[test]
fn structured_clone_copies_every_supported_type_and_refuses_the_rest() {
    let p = project();
    let h = p.start();
    let v = json(&h, "/run/structured");
    assert_eq!(v["check"], expected_check());
    assert_eq!(v["distinct"], true);
    for case in ["fn", "symbol", "request", "weak"] {
        assert_eq!(v[case]["name"], "DataCloneError", "{case}: {v}");
    }
    assert_eq!(v["noArgs"]["name"], "TypeError");
    assert_eq!(v["thing"], j!([true, 1, false]));
    assert_eq!(v["blob"], "hi");
    assert_eq!(v["transfer"], j!([0, 4]));
    assert_eq!(v["dom"], j!([true, "NotFoundError", "nope", 8]));
}

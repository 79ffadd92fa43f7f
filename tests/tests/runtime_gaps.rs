//! Small runtime gaps that stopped real projects (issue: today's projects,
//! item 7), each as the project used it: one fixture worker
//! (`fixtures/runtime-gaps`) with a route per gap.

use hearth_tests::{copy_project, fixture, get_json, Hearth};
use serde_json::{json, Value};
use std::sync::OnceLock;

/// One server for the whole file, on a copy of the fixture (its Durable
/// Object writes state).
fn api(path: &str) -> Value {
    static SERVER: OnceLock<(tempfile::TempDir, Hearth)> = OnceLock::new();
    let (_, h) = SERVER.get_or_init(|| {
        let dir = copy_project(&fixture("runtime-gaps"));
        let h = Hearth::start(dir.path(), &[]);
        (dir, h)
    });
    get_json(&format!("{}{}", h.url, path))
}

#[test]
fn process_get_builtin_module_returns_the_imported_instance() {
    let v = api("/builtin");
    assert_eq!(
        v,
        json!({
            "join": "b/c",
            "same": true,
            "emitter": "function",
            "qsSame": true,
            "missing": null,
            "unsupported": null,
            "badArg": "TypeError",
        })
    );
}

#[test]
fn commonjs_reaches_builtins_through_module_require_and_dynamic_require() {
    let v = api("/cjs");
    assert_eq!(
        v,
        json!({ "joined": "a/b", "dynamic": "y.txt", "querystring": "a=1&a=2&b=x%20y" })
    );
}

#[test]
fn node_querystring_follows_node() {
    let v = api("/querystring");
    // Values checked against Node.js 20's querystring.
    assert_eq!(
        v,
        json!({
            "parsed": { "a": ["1", "2"], "b": "x y", "c": "€", "d": "", "e": "%ZZ" },
            "stringified": "a=1&a=2&b=x%20y&c=%E2%82%AC&d=true&e=&f=",
            "custom": "a:1;b:2",
            "customParse": { "a": "1", "b": "2" },
            "maxKeys": ["a", "b"],
            "escaped": "a%20b%26c%2F%C3%A9",
            "unescaped": "a b%zz",
            "nullProto": true,
        })
    );
}

#[test]
fn websocket_ready_state_constants_and_performance_class() {
    let v = api("/websocket");
    assert_eq!(
        v,
        json!({ "statics": [0, 1, 2, 3], "proto": [1, 1], "performance": ["function", true] })
    );
}

#[test]
fn clearing_an_error_stack_does_not_throw() {
    let v = api("/stack");
    assert_eq!(
        v,
        json!({ "cleared": null, "custom": "custom", "message": "x" })
    );
}

#[test]
fn node_fs_is_importable() {
    let v = api("/fs");
    assert_eq!(v, json!({ "readFileSync": "function", "existsTmp": true }));
}

#[test]
fn request_cf_reaches_a_durable_object() {
    let v = api("/durable-cf");
    assert!(v["outer"]["colo"].is_string(), "{v}");
    assert_eq!(v["inner"], v["outer"]);
}

//! Handler shapes: ES modules, service-worker syntax, WorkerEntrypoint
//! classes, module graphs with Text/Data modules, waitUntil and scheduled.

use hearth_tests::{fixture, get_json, Hearth};
use serde_json::json;
use std::time::{Duration, Instant};

#[test]
fn module_fetch_handler_receives_request_env_and_ctx() {
    let h = Hearth::start(&fixture("modules"), &[]);
    assert_eq!(
        h.get("/"),
        (200, "fetch ok; args=object,object,function".into())
    );
}

#[test]
fn relative_imports_across_folders_and_extensionless() {
    let h = Hearth::start(&fixture("modules"), &[]);
    let v = get_json(&format!("{}/import", h.url));
    assert_eq!(v, json!({"greeting": "hello modules!", "version": "1.2.3"}));
}

#[test]
fn text_module_from_rules() {
    let h = Hearth::start(&fixture("modules"), &[]);
    assert_eq!(
        h.get("/text"),
        (200, "<h1>Hello from a Text module</h1>\n".into())
    );
}

#[test]
fn data_module_from_rules_is_an_array_buffer() {
    let h = Hearth::start(&fixture("modules"), &[]);
    let v = get_json(&format!("{}/data", h.url));
    assert_eq!(v, json!({"isArrayBuffer": true, "bytes": [0, 1, 2, 255]}));
}

#[test]
fn wait_until_work_continues_after_the_response() {
    // One thread, so both requests reach the same isolate and its module state.
    let h = Hearth::start(&fixture("modules"), &["--threads", "1"]);
    let start = Instant::now();
    let (status, body) = h.get("/wait?id=first");
    assert_eq!(status, 200);
    assert_eq!(body, "responded first; done so far: ");
    assert!(
        start.elapsed() < Duration::from_millis(250),
        "the response waited for waitUntil"
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let v = get_json(&format!("{}/waited", h.url));
        if v == json!(["first"]) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "waitUntil work never finished: {v}"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

#[test]
fn test_scheduled_runs_the_scheduled_handler() {
    let h = Hearth::start(&fixture("modules"), &["--threads", "1", "--test-scheduled"]);
    let (status, body) = h.get("/__scheduled?cron=*/5+*+*+*+*");
    assert_eq!(status, 200, "{body}");
    let v = get_json(&format!("{}/scheduled-log", h.url));
    assert_eq!(v, json!(["*/5 * * * *|number", "waited:*/5 * * * *"]));
    h.wait_for_log("scheduled ran */5 * * * *");
}

#[test]
fn scheduled_route_is_the_workers_own_without_the_flag() {
    let h = Hearth::start(&fixture("modules"), &[]);
    assert_eq!(
        h.get("/__scheduled?cron=*+*+*+*+*"),
        (404, "not found".into())
    );
}

#[test]
fn service_worker_syntax_with_vars_as_globals() {
    let h = Hearth::start(
        &fixture("service_worker"),
        &["--threads", "1", "--test-scheduled"],
    );
    assert_eq!(
        h.get("/some/path"),
        (200, "hello from service worker GET /some/path".into())
    );
    let (status, body) = h.get("/__scheduled?cron=0+0+*+*+*");
    assert_eq!(status, 200, "{body}");
    assert_eq!(h.get("/scheduled-runs"), (200, "1".into()));
}

#[test]
fn worker_entrypoint_default_class() {
    let h = Hearth::start(&fixture("entrypoint"), &[]);
    let v = get_json(&format!("{}/route", h.url));
    assert_eq!(
        v,
        json!({"name": "class", "hasCtx": true, "path": "/route", "isEntrypoint": true})
    );
}

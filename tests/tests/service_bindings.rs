//! Service bindings, black-box: `hearth dev -c app/wrangler.toml -c
//! auth/wrangler.toml` (as with wrangler) serves `app`, whose `services`
//! reach `auth`'s default export and its named entrypoint: `fetch()`, RPC
//! methods and properties (structured values across, a result's property
//! read before it is awaited), errors with their class and message,
//! `ctx.exports` loopback bindings, `using` on a stub, functions,
//! `RpcTarget`s and stubs passed by reference both ways (also to a Durable
//! Object), and the `version_metadata` binding. A binding to a worker that is not loaded stops
//! start-up naming it.

use hearth_tests::{copy_project, fixture, Hearth};
use serde_json::json as j;

struct Pair {
    dir: tempfile::TempDir,
    state: tempfile::TempDir,
}

impl Pair {
    fn new() -> Pair {
        Pair {
            dir: copy_project(&fixture("service-bindings")),
            state: tempfile::tempdir().unwrap(),
        }
    }

    fn try_start(&self, workers: &[&str]) -> Result<Hearth, String> {
        let configs: Vec<String> = workers
            .iter()
            .map(|w| {
                self.dir
                    .path()
                    .join(w)
                    .join("wrangler.toml")
                    .display()
                    .to_string()
            })
            .collect();
        let state = self.state.path().display().to_string();
        let mut args = vec!["--persist-to", state.as_str()];
        for c in &configs {
            args.extend(["-c", c.as_str()]);
        }
        Hearth::try_start(self.dir.path(), &args)
    }

    fn start(&self) -> Hearth {
        self.try_start(&["app", "auth"])
            .unwrap_or_else(|logs| panic!("hearth did not start:\n{logs}"))
    }
}

fn get(h: &Hearth, path: &str) -> serde_json::Value {
    let (status, value) = h.json("GET", path, None);
    assert_eq!(status, 200, "{path}: {value}\n{}", h.logs());
    value
}

#[test]
fn fetch_reaches_the_other_workers_default_export() {
    let p = Pair::new();
    let h = p.start();
    assert_eq!(
        get(&h, "/fetch"),
        j!({ "status": 201, "from": "auth", "text": "auth saw POST /login secret" })
    );
    assert_eq!(
        h.get("/stream"),
        (200, "streamed from auth".into()),
        "a streamed response crosses the binding and is returned as is"
    );
}

#[test]
fn rpc_calls_methods_and_reads_properties_with_structured_values() {
    let p = Pair::new();
    let h = p.start();
    assert_eq!(
        get(&h, "/rpc"),
        j!({
            "sum": 5,
            "name": "user7",
            "roles": ["reader"],
            "since": "1970-01-01T00:00:00.000Z",
            "avatar": [1, 2, 3],
            "greeting": "hello from auth",
            "pipelined": "user8",
        })
    );
}

#[test]
fn errors_cross_with_their_class_and_message() {
    let p = Pair::new();
    let h = p.start();
    assert_eq!(
        get(&h, "/error"),
        j!({ "name": "RangeError", "message": "the token is out of range", "remote": true, "isRangeError": true })
    );
    let missing = get(&h, "/missing");
    assert_eq!(missing["name"], "TypeError", "{missing}");
    assert!(
        missing["message"].as_str().unwrap().contains("\"nope\""),
        "{missing}"
    );
}

#[test]
fn a_named_entrypoint_is_its_own_class() {
    let p = Pair::new();
    let h = p.start();
    assert_eq!(
        get(&h, "/named"),
        j!({ "who": "admin of auth", "fetched": "admin /users/1" })
    );
}

#[test]
fn ctx_exports_are_loopback_bindings_and_stubs_are_disposable() {
    let p = Pair::new();
    let h = p.start();
    assert_eq!(
        get(&h, "/loopback"),
        j!({ "own": "hello app", "other": 42 })
    );
    assert_eq!(get(&h, "/dispose"), j!({ "sum": 2 }));
}

#[test]
fn functions_cross_as_stubs_that_call_back_into_the_caller() {
    let p = Pair::new();
    let h = p.start();
    assert_eq!(
        get(&h, "/rpc-function"),
        j!({ "twice": 18, "calls": 2, "added": 5, "isFunction": "function" }),
        "the callee called the caller's closure twice; a returned function is callable"
    );
}

#[test]
fn rpc_targets_and_objects_holding_functions_cross_by_reference() {
    let p = Pair::new();
    let h = p.start();
    assert_eq!(
        get(&h, "/rpc-target"),
        j!({ "value": 15, "pipelined": 3, "greeting": "hi ann from app" })
    );
}

#[test]
fn service_and_durable_object_stubs_can_be_passed() {
    let p = Pair::new();
    let h = p.start();
    assert_eq!(
        get(&h, "/rpc-stubs"),
        j!({ "admin": "admin of auth", "sum": 7 })
    );
}

#[test]
fn disposed_and_lent_stubs_stop_working_and_dup_keeps_one() {
    let p = Pair::new();
    let h = p.start();
    let disposed = "Attempted to use RPC stub after it has been disposed.";
    assert_eq!(
        get(&h, "/rpc-dispose"),
        j!({ "local": disposed, "lent": disposed, "duped": 101, "echoed": 15 }),
        "a function argument is released when the call returns unless the callee dup()s it \
         or hands it back"
    );
}

#[test]
fn durable_object_rpc_takes_functions_and_returns_rpc_targets() {
    let p = Pair::new();
    let h = p.start();
    // Six objects: with two event-loop threads some live on the other one,
    // so the callbacks cross threads.
    assert_eq!(
        get(&h, "/rpc-durable"),
        j!([
            ["a:42", 1],
            ["b:42", 2],
            ["c:42", 3],
            ["d:42", 4],
            ["e:42", 5],
            ["f:42", 6]
        ])
    );
}

#[test]
fn a_request_chains_at_most_32_worker_invocations() {
    let p = Pair::new();
    let h = p.start();
    // This request, then auth calling itself over its own binding: 32 in all.
    assert_eq!(get(&h, "/chain?n=31"), j!({ "fetched": 31, "called": 31 }));
    // The 33rd invocation throws Cloudflare's error, in fetch() (an uncaught
    // exception there: a 500) and in RPC (the rejection crosses back).
    let over = get(&h, "/chain?n=32");
    assert_eq!(over["fetched"], "500", "{over}");
    assert_eq!(
        over["called"],
        "Error: Subrequest depth limit exceeded. This request recursed through Workers too many times. This can happen e.g. if you have a Worker or Durable Object that calls other Workers or objects recursively.",
    );
    // Each request starts a chain of its own.
    assert_eq!(get(&h, "/chain?n=2"), j!({ "fetched": 2, "called": 2 }));
}

#[test]
fn workers_binding_each_other_start_and_call_back() {
    let p = Pair::new();
    let h = p.start();
    assert_eq!(get(&h, "/cycle"), j!({ "greeting": "hello auth" }));
}

#[test]
fn a_streamed_request_body_reaches_the_callee_as_a_stream() {
    let p = Pair::new();
    let h = p.start();
    assert_eq!(
        h.get("/stream-body"),
        (200, "first=one;rest=two".into()),
        "auth answered after the first chunk, before app wrote the last\n{}",
        h.logs()
    );
}

#[test]
fn version_metadata_is_stable_for_a_loaded_version() {
    let p = Pair::new();
    let h = p.start();
    let first = get(&h, "/version");
    let id = first["id"].as_str().unwrap();
    assert_eq!(id.len(), 36, "{first}");
    assert_eq!(&id[14..15], "4", "a version-4 UUID: {first}");
    assert_eq!(first["tag"], "");
    assert!(
        first["timestamp"].as_str().unwrap().ends_with('Z'),
        "{first}"
    );
    // Every request, on every thread, sees the same version.
    for _ in 0..8 {
        assert_eq!(get(&h, "/version"), first);
    }
}

#[test]
fn a_binding_to_a_worker_not_loaded_stops_start_up() {
    let p = Pair::new();
    let logs = match p.try_start(&["app"]) {
        Ok(h) => panic!("hearth started without auth:\n{}", h.logs()),
        Err(logs) => logs,
    };
    assert!(logs.contains("services[0]"), "{logs}");
    assert!(logs.contains("\"auth\""), "{logs}");
    assert!(logs.contains("wrangler.toml"), "{logs}");
}

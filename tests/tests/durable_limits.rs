//! Per-object limits, as for workers (`[limits] cpu_ms = 300` here): an
//! object that runs past the CPU limit is reset — the caller's call rejects
//! with Cloudflare's message, the constructor runs again on the next call —
//! while other objects keep their state; one that allocates past the memory
//! limit resets its isolate, and the objects and the server keep working.
//! One thread, so every object shares one isolate.

mod durable_support;

use durable_support::Project;
use hearth_tests::{fixture, Hearth};
use serde_json::Value;
use std::time::{Duration, Instant};

fn start(p: &Project) -> Hearth {
    let state = p.state_arg();
    Hearth::start(p.dir.path(), &["--persist-to", &state, "--threads", "1"])
}

/// `GET /{call}?name={name}` → (status, JSON).
fn call(h: &Hearth, call: &str, name: &str) -> (u16, Value) {
    let (status, body) = h.get(&format!("/{call}?name={name}"));
    let value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{call}: {e}: {body}"));
    (status, value)
}

/// The instance answering `name` and how many calls it has served.
fn state(h: &Hearth, name: &str) -> (u64, u64) {
    let (status, v) = call(h, "state", name);
    assert_eq!(status, 200, "{v}");
    (v["instance"].as_u64().unwrap(), v["hits"].as_u64().unwrap())
}

fn assert_error(v: &Value, wording: &str) {
    let error = v["error"].as_str().unwrap_or_default();
    assert!(error.contains(wording), "unexpected error: {v}");
    assert_eq!(v["reset"], true, "durableObjectReset is not set: {v}");
}

#[test]
fn cpu_overrun_resets_only_the_object_that_ran_away() {
    let p = Project::of(&fixture("durable-limits"));
    let h = start(&p);
    let (other, _) = state(&h, "other");
    for runaway in ["spin", "spinAfterAwait", "fetch-spin"] {
        let (before, _) = state(&h, "a");
        let started = Instant::now();
        let (status, v) = call(&h, runaway, "a");
        assert_eq!(status, 500, "{runaway}: {v}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{runaway}: the limit is 300 ms, the call took {:?}",
            started.elapsed()
        );
        assert_error(
            &v,
            "Durable Object exceeded its CPU time limit and was reset",
        );
        assert!(
            v["error"].as_str().unwrap().contains("cpu_ms"),
            "the error does not say how to raise the limit: {v}"
        );
        let (after, hits) = state(&h, "a");
        assert!(
            after != before && hits == 1,
            "{runaway}: the object was not reset"
        );
    }
    // The object sharing the isolate kept its instance and its state.
    let (instance, hits) = state(&h, "other");
    assert_eq!((instance, hits), (other, 2), "another object was disturbed");
    h.wait_for_log("Durable Object exceeded its CPU time limit and was reset");
}

#[test]
fn a_reset_keeps_the_writes_made_before_it_but_not_an_unfinished_transaction() {
    let p = Project::of(&fixture("durable-limits"));
    let h = start(&p);
    for (runaway, kept) in [("transactionThenSpin", false), ("writeThenSpin", true)] {
        let (status, v) = call(&h, runaway, "w");
        assert_eq!(status, 500, "{v}");
        assert_error(&v, "CPU time limit");
        assert_eq!(
            call(&h, "stored", "w"),
            (200, Value::Bool(kept)),
            "after {runaway}"
        );
    }
    // A restart sees the same.
    drop(h);
    let h = start(&p);
    assert_eq!(call(&h, "stored", "w"), (200, Value::Bool(true)));
}

#[test]
fn memory_overrun_resets_the_isolate_and_everything_keeps_working() {
    let p = Project::of(&fixture("durable-limits"));
    let h = start(&p);
    state(&h, "a");
    state(&h, "other");
    state(&h, "other");
    let (status, v) = call(&h, "hog", "a");
    assert_eq!(status, 500, "{v}");
    assert_error(
        &v,
        "Durable Object's isolate exceeded its memory limit and was reset",
    );
    assert!(
        v["error"].as_str().unwrap().contains("128 MiB"),
        "the error does not name the limit: {v}"
    );
    // Both objects lived in the reset isolate: they start over, and work.
    assert_eq!(state(&h, "a").1, 1);
    assert_eq!(state(&h, "other").1, 1);
    assert_eq!(state(&h, "other").1, 2);
}

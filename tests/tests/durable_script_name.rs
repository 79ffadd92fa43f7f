//! Durable Object bindings with `script_name`, black-box: `hearth dev -c
//! app/wrangler.toml -c counters/wrangler.toml` (as with wrangler) serves
//! `app`, whose binding reaches the Counter class of the `counters` worker
//! (its own code, env and storage) next to app's own class of the same name;
//! RPC, fetch, WebSockets and alarms cross over; a `script_name` naming no
//! loaded worker, or a class that worker does not declare, stops start-up
//! with the file and key.

mod durable_support;

use durable_support::{eventually, json, next_text, send_text, ws_connect};
use hearth_tests::{copy_project, fixture, request, Hearth};
use serde_json::json as j;
use std::path::Path;
use std::time::Duration;

/// Copies of both fixture workers and a `--persist-to` folder.
struct Pair {
    dir: tempfile::TempDir,
    state: tempfile::TempDir,
}

impl Pair {
    fn new() -> Pair {
        Pair {
            dir: copy_project(&fixture("durable-script-name")),
            state: tempfile::tempdir().unwrap(),
        }
    }

    fn config(&self, worker: &str) -> String {
        self.dir
            .path()
            .join(worker)
            .join("wrangler.toml")
            .display()
            .to_string()
    }

    /// `hearth dev -c <configs>...` with this pair's state.
    fn try_start(&self, workers: &[&str]) -> Result<Hearth, String> {
        let configs: Vec<String> = workers.iter().map(|w| self.config(w)).collect();
        let state = self.state.path().display().to_string();
        let mut args = vec!["--persist-to", state.as_str()];
        for c in &configs {
            args.extend(["-c", c.as_str()]);
        }
        Hearth::try_start(self.dir.path(), &args)
    }

    fn start(&self) -> Hearth {
        self.try_start(&["app", "counters"])
            .unwrap_or_else(|logs| panic!("hearth did not start:\n{logs}"))
    }
}

#[test]
fn script_name_binding_reaches_the_class_in_the_other_worker() {
    let p = Pair::new();
    let h = p.start();
    assert_eq!(
        h.get("/"),
        (200, "app app".into()),
        "the first -c serves HTTP"
    );
    assert_eq!(
        json(&h, "/remote/inc?name=a"),
        j!({ "count": 1, "who": "counters" })
    );
    assert_eq!(
        json(&h, "/remote/inc?name=a"),
        j!({ "count": 2, "who": "counters" })
    );
    assert_eq!(
        json(&h, "/remote/inc?name=b"),
        j!({ "count": 1, "who": "counters" })
    );
    // app's own Counter is another namespace: other code, env and storage.
    assert_eq!(
        json(&h, "/local/inc?name=a"),
        j!({ "count": 1, "who": "app" })
    );
    assert_eq!(
        h.get("/remote/peek?name=a"),
        (200, "counters a GET 2".into()),
        "stub fetch() runs the other worker's fetch handler"
    );
    let (status, body) = h.get("/remote/fail?name=a");
    assert_eq!(status, 500);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        j!({ "error": "RangeError: counter a refuses" }),
        "errors cross workers with their class and message"
    );
}

#[test]
fn objects_of_the_other_worker_keep_their_storage_across_restarts() {
    let p = Pair::new();
    let h = p.start();
    for _ in 0..3 {
        json(&h, "/remote/inc?name=kept");
    }
    json(&h, "/local/inc?name=kept");
    drop(h);
    let h = p.start();
    assert_eq!(
        json(&h, "/remote/inc?name=kept"),
        j!({ "count": 4, "who": "counters" })
    );
    assert_eq!(
        json(&h, "/local/inc?name=kept"),
        j!({ "count": 2, "who": "app" })
    );
}

#[test]
fn websockets_and_alarms_work_through_a_script_name_binding() {
    let p = Pair::new();
    let h = p.start();
    let mut ws = ws_connect(&h, "/remote/ws?name=sock");
    send_text(&mut ws, "ping");
    assert_eq!(next_text(&mut ws), "counters: ping");

    assert_eq!(json(&h, "/remote/alarm?name=clock"), j!("set"));
    let fired = eventually(Duration::from_secs(10), || {
        let (_, body) = request(
            &format!("{}/remote/alarmed?name=clock", h.url),
            "GET",
            &[],
            None,
        );
        (body == "\"counters\"").then_some(())
    });
    assert!(
        fired.is_some(),
        "the other worker's alarm fired\n{}",
        h.logs()
    );
}

#[test]
fn script_name_naming_no_loaded_worker_stops_start_up() {
    let p = Pair::new();
    let logs = p
        .try_start(&["app"])
        .err()
        .expect("hearth must refuse to start");
    let file = p.config("app");
    assert!(
        logs.contains(&format!(
            "{file}: durable_objects.bindings[0].script_name = \"counters\" names no worker loaded"
        )),
        "{logs}"
    );
    assert!(logs.contains("loaded: app"), "{logs}");
}

#[test]
fn class_the_other_worker_does_not_declare_stops_start_up() {
    let p = Pair::new();
    let counters = Path::new(&p.config("counters")).to_path_buf();
    let text = std::fs::read_to_string(&counters).unwrap();
    std::fs::write(
        &counters,
        text.replace(
            "new_sqlite_classes = [\"Counter\"]",
            "new_sqlite_classes = [\"Other\"]",
        ),
    )
    .unwrap();
    let logs = p
        .try_start(&["app", "counters"])
        .err()
        .expect("hearth must refuse to start");
    assert!(
        logs.contains(&format!(
            "{}: durable_objects.bindings[0].script_name = \"counters\": worker \"counters\" ({}) does not declare Durable Object class \"Counter\"",
            p.config("app"),
            p.config("counters")
        )),
        "{logs}"
    );
}

#[test]
fn two_workers_with_one_name_stop_start_up() {
    let p = Pair::new();
    let logs = p
        .try_start(&["app", "app"])
        .err()
        .expect("hearth must refuse to start");
    assert!(logs.contains("both name their worker \"app\""), "{logs}");
}

//! D1 bindings, black-box: the API's results and errors as Cloudflare's D1
//! gives them, its limits, the database file under the state folder, and
//! durability across kill -9.

use hearth_tests::{copy_project, fixture, request, Hearth};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn api() -> (tempfile::TempDir, Hearth, Value) {
    let dir = copy_project(&fixture("d1"));
    let h = Hearth::start(dir.path(), &[]);
    let (status, out) = h.json("GET", "/api", None);
    assert_eq!(status, 200, "{out}\n{}", h.logs());
    (dir, h, out)
}

#[test]
fn results_and_meta_have_d1_shapes() {
    let (dir, _h, out) = api();
    let insert = &out["insert"];
    assert_eq!(insert["success"], true);
    assert_eq!(insert["results"], json!([]));
    assert_eq!(insert["changes"], 1);
    assert_eq!(insert["last_row_id"], 1);
    assert_eq!(insert["changed_db"], true);
    assert_eq!(insert["rows_written"], 1);
    assert_eq!(insert["served_by"], "hearth.db");
    assert!(insert["size_after"].as_u64().unwrap() > 0);
    assert_eq!(insert["duration"], "number");
    for key in [
        "duration",
        "changes",
        "last_row_id",
        "changed_db",
        "size_after",
        "rows_read",
        "rows_written",
        "served_by",
    ] {
        assert!(
            insert["metaKeys"].as_array().unwrap().contains(&json!(key)),
            "meta lacks {key}: {insert}"
        );
    }
    // Blobs come back as arrays of byte numbers, booleans were stored as 1,
    // and integers are JavaScript numbers.
    assert_eq!(
        out["first"],
        json!({"id": 1, "name": "ada", "score": 1.5, "data": [1, 2, 255], "active": 1, "big": 9007199254740994u64})
    );
    assert_eq!(out["blobFromArray"], json!([9, 8]));
    assert_eq!(out["firstCol"], "ada");
    assert_eq!(out["firstNone"], Value::Null);
    assert_eq!(
        out["colNotFound"],
        "D1_COLUMN_NOTFOUND: Column not found (nope)"
    );
    assert_eq!(out["all"], json!([{"name": "ada"}, {"name": "bob"}]));
    assert_eq!(out["allSuccess"], true);
    assert!(out["allRowsRead"].as_u64().unwrap() >= 2, "{out}");
    assert_eq!(out["raw"], json!([[1, "ada"], [2, "bob"]]));
    assert_eq!(
        out["rawCols"],
        json!([["id", "name"], [1, "ada"], [2, "bob"]])
    );
    assert_eq!(out["numbered"], json!({"b": "two", "a": "one"}));
    assert_eq!(out["duplicateColumns"], json!({"x": 2}));
    assert_eq!(out["exec"]["count"], 2);
    assert!(out["exec"]["duration"].is_number());
    // A multi-statement query runs every statement and answers the last.
    assert_eq!(out["multi"], json!([{"x": 5}]));
    // The database is one SQLite file per binding under the state folder.
    assert!(dir
        .path()
        .join(".hearth/state/d1/8c1f3a52-5f5e-4a7e-9d0e-d1d1d1d1d1d1.sqlite3")
        .is_file());
}

#[test]
fn batches_are_one_transaction() {
    let (_dir, _h, out) = api();
    let e = out["batchError"].as_str().unwrap();
    assert!(
        e.starts_with("D1_ERROR: UNIQUE constraint failed: users.name: SQLITE_CONSTRAINT"),
        "{e}"
    );
    // 'carol' from the failed batch was rolled back.
    assert_eq!(out["afterBatch"], 2);
    assert_eq!(out["batch"], json!([[], [{"n": 3}]]));
    let e = out["execError"].as_str().unwrap();
    assert!(
        e.starts_with("D1_EXEC_ERROR: Error in line 2: INSERT INTO nowhere VALUES (1): no such table: nowhere"),
        "{e}"
    );
    assert_eq!(out["afterExec"], 0, "exec is rolled back as a whole");
}

#[test]
fn errors_read_as_cloudflares() {
    let (_dir, _h, out) = api();
    let text = |k: &str| {
        out[k]
            .as_str()
            .unwrap_or_else(|| panic!("{k}: {out}"))
            .to_string()
    };
    assert!(
        text("syntax").starts_with("D1_ERROR: near \"SELEC\": syntax error"),
        "{out}"
    );
    assert!(text("syntax").ends_with(": SQLITE_ERROR"), "{out}");
    assert!(
        text("noTable").starts_with("D1_ERROR: no such table: missing"),
        "{out}"
    );
    assert_eq!(
        text("typeError"),
        "D1_TYPE_ERROR: Type 'undefined' not supported for value 'undefined'"
    );
    assert_eq!(
        text("bigintError"),
        "D1_TYPE_ERROR: Type 'bigint' not supported for value '10'"
    );
    assert_eq!(
        text("objectError"),
        "D1_TYPE_ERROR: Type 'object' not supported for value '[object Object]'"
    );
    assert!(
        text("wrongCount").starts_with("D1_ERROR: Wrong number of parameter bindings"),
        "{out}"
    );
    assert_eq!(text("empty"), "D1_ERROR: No SQL statements detected.");
    assert!(
        text("multiParams").contains("only the last statement can have parameters"),
        "{out}"
    );
    assert!(
        text("foreignKeys").starts_with("D1_ERROR: FOREIGN KEY constraint failed"),
        "{out}"
    );
}

#[test]
fn limits_are_d1s() {
    let (_dir, _h, out) = api();
    let text = |k: &str| {
        out[k]
            .as_str()
            .unwrap_or_else(|| panic!("{k}: {out}"))
            .to_string()
    };
    assert!(
        text("tooManyParams").contains("too many SQL variables"),
        "{out}"
    );
    assert_eq!(out["hundredParams"], 100);
    assert!(
        text("tooLong").contains("too long") || text("tooLong").contains("too big"),
        "{out}"
    );
    assert!(text("tooBig").contains("string or blob too big"), "{out}");
}

#[test]
fn an_invocation_makes_at_most_1000_queries() {
    let dir = copy_project(&fixture("d1"));
    let h = Hearth::start(dir.path(), &[]);
    let (status, out) = h.json("GET", "/queries?n=1000", None);
    assert_eq!(status, 200, "{out}\n{}", h.logs());
    assert_eq!(
        out,
        json!({ "done": 1000, "batched": 3, "error": null }),
        "a batch is one query"
    );
    let (_, out) = h.json("GET", "/queries?n=1001", None);
    assert_eq!(
        out,
        json!({ "done": 1000, "batched": 3, "error": "Too many API requests by single Worker invocation." })
    );
    // The count is per invocation: the next request starts again.
    let (_, out) = h.json("GET", "/queries?n=10", None);
    assert_eq!(out["done"], 10, "{out}");
}

#[test]
fn sessions_carry_bookmarks() {
    let (_dir, _h, out) = api();
    assert_eq!(out["sessionBefore"], Value::Null);
    assert_eq!(out["sessionBookmark"], "string");
    assert_eq!(out["sessionResume"], true);
    assert_eq!(out["sessionRead"], 3);
    assert_eq!(out["sessionBatch"], json!([{"one": 1}]));
}

#[test]
fn a_sql_error_does_not_end_the_request() {
    let dir = copy_project(&fixture("d1"));
    let h = Hearth::start(dir.path(), &[]);
    let (status, out) = h.json("GET", "/error-then-continue", None);
    assert_eq!(status, 200);
    assert!(out["message"]
        .as_str()
        .unwrap()
        .starts_with("D1_ERROR: no such table: nope"));
    assert_eq!(out["one"], 1);
}

#[test]
fn d1_kill_9_loses_no_acknowledged_write() {
    let dir = copy_project(&fixture("d1"));
    let h = Hearth::start(dir.path(), &[]);
    let acked: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for c in 0..4 {
        let (url, acked, stop) = (h.url.clone(), acked.clone(), stop.clone());
        clients.push(std::thread::spawn(move || {
            let agent = ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(5))
                .build();
            let mut i = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let (k, v) = (format!("c{c}-{i}"), format!("v{i}"));
                if let Ok(resp) = agent.get(&format!("{url}/put?k={k}&v={v}")).call() {
                    if resp.into_string().unwrap_or_default() == format!("ack {k}") {
                        acked.lock().unwrap().push((k, v));
                    }
                } else if stop.load(Ordering::SeqCst) {
                    break;
                }
                i += 1;
            }
        }));
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while acked.lock().unwrap().len() < 300 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    // SIGKILL mid-stream: no chance to flush anything.
    hearth_tests::kill_9(h);
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        let _ = c.join();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 50,
        "too few writes acknowledged: {}",
        acked.len()
    );
    let h = Hearth::start(dir.path(), &[]);
    for (k, v) in &acked {
        let (status, body) = request(&format!("{}/get?k={k}", h.url), "GET", &[], None);
        assert_eq!(
            (status, body.as_str()),
            (200, v.as_str()),
            "acknowledged {k} lost"
        );
    }
}

//! Queues end to end: producer bindings (`send`, `sendBatch`, content
//! types, delays, Cloudflare's limits), the consumer's `queue()` handler
//! (batches by size and timeout, ack / retry / retryAll, a handler that
//! throws, the dead-letter queue), producer and consumer in two workers, and
//! `hearth queues`.

use hearth_tests::{fixture, run_to_exit, write_project, Hearth};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Polls `/seen` until `done` holds for the rows (or panics after 20 s).
fn seen_until(h: &Hearth, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, rows) = h.json("GET", "/seen", None);
        assert_eq!(status, 200, "{rows}");
        let rows = rows.as_array().cloned().unwrap_or_default();
        if done(&rows) {
            return rows;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: never happened; seen {rows:#?}\n{}",
            h.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn rows_of<'a>(rows: &'a [Value], queue: &str) -> Vec<&'a Value> {
    rows.iter().filter(|r| r["queue"] == queue).collect()
}

fn bodies(rows: &[&Value]) -> Vec<String> {
    rows.iter()
        .map(|r| r["body"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn content_types_round_trip() {
    let h = Hearth::start(&fixture("queues"), &[]);
    let (status, answer) = h.json("POST", "/kinds", None);
    assert_eq!(status, 200, "{answer}");
    let rows = seen_until(&h, "five deliveries", |r| rows_of(r, "jobs").len() >= 5);
    let jobs = rows_of(&rows, "jobs");
    let mut got = bodies(&jobs);
    got.sort();
    let mut want = vec![
        "string:\"plain text\"".to_string(),
        "object:{\"a\":1}".to_string(),
        "ArrayBuffer:1,2,3".to_string(),
        "Map:[[\"k\",\"Date:5\"]]".to_string(),
        // queues_json_messages (on from 2024-03-18): JSON by default.
        "object:{\"d\":\"default\"}".to_string(),
    ];
    want.sort();
    assert_eq!(got, want);
    for r in &jobs {
        assert_eq!(r["attempts"], 1, "{r}");
        assert_eq!(r["id"].as_str().unwrap().len(), 32, "{r}");
        let ts = r["ts"].as_i64().unwrap();
        assert!(
            ts > 1_700_000_000_000 && ts <= r["at"].as_i64().unwrap(),
            "{r}"
        );
    }
}

#[test]
fn limits_and_errors_are_cloudflares() {
    let h = Hearth::start(&fixture("queues"), &[]);
    let cases = [
        (
            "/too-big",
            "Queue send failed: message length of 128001 bytes exceeds limit of 128000",
        ),
        (
            "/too-many",
            "Queue sendBatch failed: batch message count of 101 exceeds limit of 100",
        ),
        (
            "/too-heavy",
            "Queue sendBatch failed: batch size of 300000 bytes exceeds limit of 256000",
        ),
        (
            "/too-late",
            "Queue send failed: message delay 43201 is invalid",
        ),
        ("/undefined", "Message body cannot be undefined"),
        ("/bad-type", "Unsupported queue message content type: xml"),
    ];
    for (path, message) in cases {
        let (status, answer) = h.json("POST", path, None);
        assert_eq!(status, 400, "{path}: {answer}");
        let error = answer["error"].as_str().unwrap();
        assert!(error.starts_with(message), "{path}: {error}");
    }
    // Nothing refused was queued.
    std::thread::sleep(Duration::from_millis(500));
    let (_, rows) = h.json("GET", "/seen", None);
    assert_eq!(rows, json!([]), "{}", h.logs());
}

#[test]
fn batches_form_by_size_then_by_timeout() {
    let h = Hearth::start(&fixture("queues"), &[]);
    let messages: Vec<Value> = (0..7).map(|i| json!({ "body": { "n": i } })).collect();
    let sent = Instant::now();
    let (status, answer) = h.json(
        "POST",
        "/batch",
        Some(json!({ "queue": "SIZED", "messages": messages })),
    );
    assert_eq!(status, 200, "{answer}");
    // A full batch of 5 goes at once; the other 2 wait max_batch_timeout (2 s).
    let rows = seen_until(&h, "a full batch", |r| rows_of(r, "sized").len() >= 5);
    let sized = rows_of(&rows, "sized");
    assert_eq!(sized.len(), 5, "{sized:#?}");
    assert!(sized.iter().all(|r| r["size"] == 5));
    assert!(
        sent.elapsed() < Duration::from_millis(1500),
        "{:?}",
        sent.elapsed()
    );
    let rows = seen_until(&h, "the rest", |r| rows_of(r, "sized").len() >= 7);
    assert!(
        sent.elapsed() >= Duration::from_secs(2),
        "{:?}",
        sent.elapsed()
    );
    let sized = rows_of(&rows, "sized");
    assert!(sized[5..].iter().all(|r| r["size"] == 2), "{sized:#?}");
    // In order of sending.
    let order: Vec<String> = bodies(&sized);
    let want: Vec<String> = (0..7).map(|i| format!("object:{{\"n\":{i}}}")).collect();
    assert_eq!(order, want);
}

#[test]
fn throwing_handler_retries_unacked_then_dead_letters() {
    let h = Hearth::start(&fixture("queues"), &[]);
    let (status, answer) = h.json(
        "POST",
        "/batch",
        Some(json!({ "queue": "FLAKY", "messages": [
            { "body": { "mode": "throw" } },
            { "body": { "mode": "ack" } },
        ] })),
    );
    assert_eq!(status, 200, "{answer}");
    let rows = seen_until(&h, "dead-lettering", |r| {
        !rows_of(r, "flaky-dlq").is_empty()
    });
    let flaky = rows_of(&rows, "flaky");
    let thrown: Vec<i64> = flaky
        .iter()
        .filter(|r| r["body"].as_str().unwrap().contains("throw"))
        .map(|r| r["attempts"].as_i64().unwrap())
        .collect();
    // max_retries = 2: three deliveries, then the dead-letter queue.
    assert_eq!(thrown, vec![1, 2, 3], "{flaky:#?}");
    let acked = flaky
        .iter()
        .filter(|r| r["body"].as_str().unwrap().contains("\"ack\""))
        .count();
    assert_eq!(acked, 1, "an acked message is not retried: {flaky:#?}");
    let dead = rows_of(&rows, "flaky-dlq");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0]["body"], "object:{\"mode\":\"throw\"}");
    assert_eq!(dead[0]["attempts"], 1);
    let first = flaky
        .iter()
        .find(|r| r["body"].as_str().unwrap().contains("throw"))
        .unwrap();
    assert_eq!(dead[0]["id"], first["id"], "the message keeps its id");
    assert!(
        h.logs().contains("uncaught exception in queue handler"),
        "{}",
        h.logs()
    );
    assert!(
        h.logs().contains("to dead letter queue \"flaky-dlq\""),
        "{}",
        h.logs()
    );
}

#[test]
fn retry_and_delivery_delays_are_honoured() {
    let h = Hearth::start(&fixture("queues"), &[]);
    let sent = Instant::now();
    let (status, answer) = h.json(
        "POST",
        "/send",
        Some(json!({ "queue": "JOBS", "body": { "mode": "retry-once" } })),
    );
    assert_eq!(status, 200, "{answer}");
    let rows = seen_until(&h, "the retry", |r| rows_of(r, "jobs").len() >= 2);
    let jobs = rows_of(&rows, "jobs");
    assert_eq!(jobs[0]["attempts"], 1);
    assert_eq!(jobs[1]["attempts"], 2);
    assert_eq!(jobs[0]["id"], jobs[1]["id"]);
    let gap = jobs[1]["at"].as_i64().unwrap() - jobs[0]["at"].as_i64().unwrap();
    assert!(gap >= 1000, "retried after {gap} ms, asked for 1 s");
    assert!(sent.elapsed() >= Duration::from_secs(1));

    // delivery_delay = 1 on the LATER binding; delaySeconds on one message.
    let sent = Instant::now();
    h.json(
        "POST",
        "/send",
        Some(json!({ "queue": "LATER", "body": "late" })),
    );
    h.json(
        "POST",
        "/send",
        Some(json!({ "queue": "JOBS", "body": "later", "options": { "delaySeconds": 2 } })),
    );
    std::thread::sleep(Duration::from_millis(500));
    let (_, now) = h.json("GET", "/seen", None);
    assert_eq!(now.as_array().unwrap().len(), 2, "delivered early: {now:#}");
    let rows = seen_until(&h, "delayed deliveries", |r| rows_of(r, "jobs").len() >= 4);
    assert!(sent.elapsed() >= Duration::from_secs(2));
    assert_eq!(
        bodies(&rows_of(&rows, "jobs")[2..]),
        ["string:\"late\"", "string:\"later\""]
    );
}

#[test]
fn producer_and_consumer_in_two_workers() {
    let project = write_project(&[
        (
            "producer/wrangler.toml",
            "name = \"producer\"\nmain = \"index.js\"\ncompatibility_date = \"2024-09-23\"\n\
             kv_namespaces = [{ binding = \"KV\", id = \"shared\" }]\n\
             [[queues.producers]]\nbinding = \"OUT\"\nqueue = \"handoff\"\n",
        ),
        (
            "producer/index.js",
            "export default { async fetch(req, env) {\n\
               const url = new URL(req.url);\n\
               if (url.pathname === '/send') { await env.OUT.send({ hello: url.searchParams.get('v') }); return new Response('sent'); }\n\
               return new Response((await env.KV.get('got')) ?? 'nothing');\n\
             } };\n",
        ),
        (
            "consumer/wrangler.toml",
            "name = \"consumer\"\nmain = \"index.js\"\ncompatibility_date = \"2024-09-23\"\n\
             kv_namespaces = [{ binding = \"KV\", id = \"shared\" }]\n\
             [[queues.consumers]]\nqueue = \"handoff\"\nmax_batch_timeout = 0\n",
        ),
        (
            "consumer/index.js",
            "export default { async queue(batch, env) {\n\
               for (const m of batch.messages) await env.KV.put('got', batch.queue + ':' + m.body.hello);\n\
             } };\n",
        ),
    ]);
    let dir = project.path();
    let producer = dir.join("producer/wrangler.toml");
    let consumer = dir.join("consumer/wrangler.toml");
    let state = tempfile::tempdir().unwrap();
    let h = Hearth::start(
        dir,
        &[
            "-c",
            producer.to_str().unwrap(),
            "-c",
            consumer.to_str().unwrap(),
            "--persist-to",
            state.path().to_str().unwrap(),
        ],
    );
    assert_eq!(h.get("/send?v=world"), (200, "sent".to_string()));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, got) = h.get("/");
        if got == "handoff:world" {
            break;
        }
        assert!(Instant::now() < deadline, "got {got}\n{}", h.logs());
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(h);

    // `hearth queues`: the queue is listed; create and delete.
    let persist = state.path().to_str().unwrap();
    let (status, out) = run_to_exit(
        &["queues", "list", "--json", "--persist-to", persist],
        Duration::from_secs(10),
    );
    assert!(status.success(), "{out}");
    let list: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let handoff = list
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["queue_name"] == "handoff")
        .unwrap_or_else(|| panic!("{list:#}"));
    assert_eq!(handoff["backlog"], 0);
    assert_eq!(handoff["in_flight"], 0);
    let (status, out) = run_to_exit(
        &["queues", "create", "extra", "--persist-to", persist],
        Duration::from_secs(10),
    );
    assert!(status.success(), "{out}");
    let (status, out) = run_to_exit(
        &["queues", "create", "extra", "--persist-to", persist],
        Duration::from_secs(10),
    );
    assert!(!status.success() && out.contains("already exists"), "{out}");
    let (status, out) = run_to_exit(
        &["queues", "delete", "extra", "--persist-to", persist],
        Duration::from_secs(10),
    );
    assert!(status.success(), "{out}");
    let (_, out) = run_to_exit(
        &["queues", "list", "--persist-to", persist],
        Duration::from_secs(10),
    );
    assert!(out.contains("handoff") && !out.contains("extra"), "{out}");
}

/// Measures producer-to-consumer throughput with batches of 100:
/// `cargo test --release -p hearth-tests --test queues -- --ignored --nocapture throughput`.
#[test]
#[ignore]
fn throughput() {
    let h = Hearth::start(&fixture("queues"), &[]);
    const SENDS: usize = 200;
    let started = Instant::now();
    let senders: Vec<_> = (0..4)
        .map(|_| {
            let url = format!("{}/bulk-send?n=100", h.url);
            std::thread::spawn(move || {
                for _ in 0..SENDS / 4 {
                    let (status, body) = hearth_tests::request(&url, "POST", &[], None);
                    assert_eq!(status, 200, "{body}");
                }
            })
        })
        .collect();
    for s in senders {
        s.join().unwrap();
    }
    let sent = started.elapsed();
    let total = (SENDS * 100) as u64;
    loop {
        let (_, n) = h.json("GET", "/bulk-count", None);
        if n.as_u64() == Some(total) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{n}\n{}",
            h.logs()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let all = started.elapsed();
    eprintln!(
        "{total} messages: sent in {:.2} s ({:.0}/s), consumed by {:.2} s: {:.0} messages/s end to end",
        sent.as_secs_f64(),
        total as f64 / sent.as_secs_f64(),
        all.as_secs_f64(),
        total as f64 / all.as_secs_f64()
    );
}

//! kill -9 durability: a worker acknowledges a put only after `await put`;
//! concurrent clients hammer it; the server is SIGKILLed mid-stream; after a
//! restart every acknowledged key is present with its value.

use hearth_tests::{request, write_project, Hearth};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const WRANGLER: &str = r#"name = "kv-durability"
main = "index.js"
compatibility_date = "2024-01-01"
kv_namespaces = [ { binding = "KV", id = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0" } ]
"#;

const WORKER: &str = r#"export default {
  async fetch(request, env) {
    const key = new URL(request.url).pathname.slice(1);
    if (request.method === 'PUT') {
      await env.KV.put(key, await request.text());
      return new Response('ack ' + key);
    }
    const v = await env.KV.get(key);
    return new Response(v === null ? 'missing' : v, { status: v === null ? 404 : 200 });
  },
};
"#;

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(5))
        .build()
}

#[test]
fn kv_kill_9_loses_no_acknowledged_write() {
    let dir = write_project(&[("wrangler.toml", WRANGLER), ("index.js", WORKER)]);
    let h = Hearth::start(dir.path(), &[]);
    let acked: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for c in 0..8 {
        let url = h.url.clone();
        let acked = acked.clone();
        let stop = stop.clone();
        clients.push(std::thread::spawn(move || {
            let agent = agent();
            let mut i = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let key = format!("c{c}-{i}");
                let value = format!("value {c} {i} {}", "x".repeat((i % 7) as usize * 100));
                match agent.put(&format!("{url}/{key}")).send_string(&value) {
                    Ok(resp) => {
                        let body = resp.into_string().unwrap_or_default();
                        if body == format!("ack {key}") {
                            acked.lock().unwrap().push((key, value));
                        }
                    }
                    // Connection refused/reset once the server is gone.
                    Err(_) => {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(5));
                    }
                }
                i += 1;
            }
        }));
    }
    // Let the writes stream for a while, then SIGKILL in the middle of them.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while acked.lock().unwrap().len() < 2000 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let before_kill = acked.lock().unwrap().len();
    assert!(
        before_kill > 100,
        "too few writes acknowledged: {before_kill}"
    );
    hearth_tests::kill_9(h);
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();

    // Restart on the same state and check every acknowledged write.
    let h = Hearth::start(dir.path(), &[]);
    let agent = agent();
    let mut missing = Vec::new();
    for (key, value) in &acked {
        let got = agent
            .get(&format!("{}/{key}", h.url))
            .call()
            .ok()
            .and_then(|r| r.into_string().ok());
        if got.as_deref() != Some(value.as_str()) {
            missing.push(key.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged writes lost after kill -9: {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(10)]
    );
    // The store is usable after recovery.
    let (status, _) = request(&format!("{}/after", h.url), "PUT", &[], Some(b"ok"));
    assert_eq!(status, 200);
    assert_eq!(h.get("/after"), (200, "ok".into()));
    eprintln!("{} acknowledged writes survived kill -9", acked.len());
}

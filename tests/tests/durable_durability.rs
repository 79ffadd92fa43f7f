//! kill -9 durability for Durable Objects: clients increment counters (one
//! object per client) and record every acknowledged value; the server is
//! SIGKILLed mid-stream; after a restart each counter holds at least the
//! last value acknowledged for it.

mod durable_support;

use durable_support::Project;
use hearth_tests::kill_9;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn acknowledged_increments_survive_kill_9() {
    let p = Project::new();
    let h = p.start();
    let stop = Arc::new(AtomicBool::new(false));
    let total = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..8)
        .map(|c| {
            let url = format!("{}/counter/increment?name=durable-{c}", h.url);
            let (stop, total) = (stop.clone(), total.clone());
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new()
                    .timeout(Duration::from_secs(5))
                    .build();
                let mut last_acked = 0u64;
                while !stop.load(Ordering::SeqCst) {
                    match agent.post(&url).call() {
                        Ok(r) => {
                            if let Ok(v) = r.into_string().unwrap_or_default().parse::<u64>() {
                                assert_eq!(v, last_acked + 1, "counter {c} skipped");
                                last_acked = v;
                                total.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                        Err(_) => break, // the server is gone
                    }
                }
                last_acked
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    while total.load(Ordering::SeqCst) < 3000 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        total.load(Ordering::SeqCst) > 200,
        "too few increments acknowledged"
    );
    kill_9(h);
    stop.store(true, Ordering::SeqCst);
    let acked: Vec<u64> = clients.into_iter().map(|c| c.join().unwrap()).collect();

    let h = p.start();
    for (c, last) in acked.iter().enumerate() {
        let (status, body) = h.get(&format!("/counter?name=durable-{c}"));
        assert_eq!(status, 200);
        let value: u64 = body.parse().unwrap();
        // The in-flight increment may or may not have committed.
        assert!(
            value == *last || value == last + 1,
            "counter {c}: acknowledged {last}, found {value} after kill -9"
        );
    }
    // and the objects keep working
    let (_, body) = h.get("/counter/increment?name=durable-0");
    assert!(body.parse::<u64>().unwrap() > acked[0]);
    eprintln!(
        "{} acknowledged increments survived kill -9",
        acked.iter().sum::<u64>()
    );
}

//! Concurrency: many requests in flight on one isolate, and many in parallel
//! across threads.

use hearth_tests::{fixture, Hearth};
use std::sync::Arc;
use std::time::Duration;

fn get(url: &str) -> (u16, String) {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    match agent.get(url).call() {
        Ok(r) => (r.status(), r.into_string().unwrap()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap()),
        Err(e) => panic!("GET {url}: {e}"),
    }
}

#[test]
fn twenty_requests_interleave_on_one_isolate() {
    // Every request waits for the 20th to arrive, which is only possible if
    // all 20 are in flight on the single thread's isolate at once.
    let h = Hearth::start(&fixture("barrier"), &["--threads", "1"]);
    let url = Arc::new(format!("{}/wait?n=20", h.url));
    let clients: Vec<_> = (0..20)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || get(&url))
        })
        .collect();
    let results: Vec<(u16, String)> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    for (status, body) in &results {
        assert_eq!(*status, 200, "{body}");
    }
    let released = results
        .iter()
        .filter(|(_, b)| b.starts_with("released by 20"))
        .count();
    let waited = results
        .iter()
        .filter(|(_, b)| b.starts_with("waited ") && b.ends_with("released by 20"))
        .count();
    assert_eq!((released, waited), (1, 19), "{results:?}");
}

#[test]
fn many_parallel_requests_with_default_threads() {
    let h = Hearth::start(&fixture("barrier"), &[]);
    let url = Arc::new(format!("{}/work", h.url));
    let clients: Vec<_> = (0..16)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                for _ in 0..25 {
                    assert_eq!(get(&url), (200, "49995000".to_string()));
                }
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
}

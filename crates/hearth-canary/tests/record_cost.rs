//! What the judge costs the server: nanoseconds per recorded request, and
//! per `decide()` / `evaluate()`. Prints numbers; asserts no timings (the
//! machine is shared).
//!
//! `cargo test --release -p hearth-canary --test record_cost -- --nocapture`

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hearth_canary::{Arm, Judge, JudgeConfig, Outcome};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const RECORDS: usize = 20_000_000;

/// Pre-drawn requests, so the timing measures the judge, not the RNG.
fn requests() -> Vec<(Arm, Outcome, Duration)> {
    let mut rng = StdRng::seed_from_u64(7);
    (0..1 << 16)
        .map(|_| {
            let arm = if rng.gen::<f64>() < 0.1 {
                Arm::Canary
            } else {
                Arm::Stable
            };
            let outcome = if rng.gen::<f64>() < 0.01 {
                Outcome::ServerError
            } else {
                Outcome::Ok
            };
            (
                arm,
                outcome,
                Duration::from_micros(rng.gen_range(1_000..200_000)),
            )
        })
        .collect()
}

fn record_all(judge: &Judge, requests: &[(Arm, Outcome, Duration)], n: usize) {
    for &(arm, outcome, latency) in requests.iter().cycle().take(n) {
        judge.record(black_box(arm), black_box(outcome), black_box(latency));
    }
}

#[test]
fn record_cost() {
    let requests = requests();
    let judge = Arc::new(Judge::new(JudgeConfig::default(), 10.0).unwrap());
    record_all(&judge, &requests, 1_000_000);
    let start = Instant::now();
    record_all(&judge, &requests, RECORDS);
    let one = start.elapsed().as_nanos() as f64 / RECORDS as f64;

    // Two threads recording into one judge at once (the per-core loops).
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| record_all(&judge, &requests, RECORDS / 2));
        }
    });
    let two = start.elapsed().as_nanos() as f64 / RECORDS as f64;

    let start = Instant::now();
    for _ in 0..1000 {
        black_box(judge.decide());
    }
    let decide = start.elapsed().as_micros() as f64 / 1000.0;
    let start = Instant::now();
    for _ in 0..100 {
        black_box(judge.evaluate());
    }
    let evaluate = start.elapsed().as_micros() as f64 / 100.0;
    println!(
        "record: {one:.1} ns per request (one thread), {two:.1} ns per request of wall time (two threads sharing a judge); \
         decide(): {decide:.1} µs; evaluate(): {evaluate:.1} µs"
    );
    assert_eq!(
        judge.evaluate().stable_requests + judge.evaluate().canary_requests,
        (RECORDS * 2 + 1_000_000) as u64
    );
}

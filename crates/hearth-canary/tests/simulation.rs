//! The judge on simulated canaries (issue #14's "unit-level simulation"):
//! streams of requests split at random between a stable version (1%
//! errors, lognormal latency with a 50 ms median) and a canary that is
//! identical, has +2 points of errors, or is 20% slower at the median.
//! Seeds are fixed, so every run prints the same numbers.
//!
//! `cargo test --release -p hearth-canary --test simulation -- --nocapture`

use std::time::Duration;

use hearth_canary::{Arm, Decision, Judge, JudgeConfig, Outcome};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Simulated canaries per scenario.
const RUNS: u64 = 1000;
/// The stable version's error rate.
const ERRORS: f64 = 0.01;
/// Median latency (ms) and log-scale spread of the lognormal latency: 0.5
/// puts p99 at 3.2x the median, 1.0 (a wide spread) at 10x.
const MEDIAN_MS: f64 = 50.0;
const SIGMA: f64 = 0.5;
/// The judge is asked after every this many requests.
const EVERY: u64 = 100;

/// A version's behaviour.
#[derive(Clone, Copy)]
struct Version {
    errors: f64,
    median_ms: f64,
    sigma: f64,
    /// The share of requests that take a slow path, 3x longer.
    slow: f64,
}

const STABLE: Version = Version {
    errors: ERRORS,
    median_ms: MEDIAN_MS,
    sigma: SIGMA,
    slow: 0.0,
};

/// Where a simulated rollout ended.
struct Run {
    /// Requests (all, and the canary's) when the judge said roll back.
    rolled_back: Option<(u64, u64)>,
    /// The canary's share at the end.
    percent: f64,
}

/// A seeded random stream of requests.
struct Traffic {
    rng: StdRng,
    /// Box–Muller makes normal draws in pairs: the second one, kept.
    spare: Option<f64>,
}

impl Traffic {
    fn new(seed: u64) -> Self {
        Traffic {
            rng: StdRng::seed_from_u64(seed),
            spare: None,
        }
    }

    fn uniform(&mut self) -> f64 {
        self.rng.gen::<f64>()
    }

    /// A standard normal draw (Box–Muller).
    fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let radius = (-2.0 * (1.0 - self.uniform()).ln()).sqrt();
        let angle = std::f64::consts::TAU * self.uniform();
        self.spare = Some(radius * angle.sin());
        radius * angle.cos()
    }

    fn request(&mut self, v: Version) -> (Outcome, Duration) {
        let outcome = if self.uniform() < v.errors {
            Outcome::ServerError
        } else {
            Outcome::Ok
        };
        let slow = if v.slow > 0.0 && self.uniform() < v.slow {
            3.0
        } else {
            1.0
        };
        let ms = slow * v.median_ms * (v.sigma * self.normal()).exp();
        (outcome, Duration::from_secs_f64(ms / 1000.0))
    }
}

/// Streams up to `max` requests through a judge starting at `percent`,
/// following its decisions (stepping up; stopping at a rollback or at 100%).
fn simulate(
    seed: u64,
    (stable, canary): (Version, Version),
    config: &JudgeConfig,
    percent: f64,
    max: u64,
) -> Run {
    let mut traffic = Traffic::new(seed);
    let judge = Judge::new(config.clone(), percent).unwrap();
    let mut percent = percent;
    let mut canary_requests = 0;
    for n in 1..=max {
        let (arm, version) = if traffic.uniform() * 100.0 < percent {
            (Arm::Canary, canary)
        } else {
            (Arm::Stable, stable)
        };
        canary_requests += u64::from(arm == Arm::Canary);
        let (outcome, latency) = traffic.request(version);
        judge.record(arm, outcome, latency);
        if n % EVERY == 0 {
            match judge.decide() {
                Decision::Rollback => {
                    return Run {
                        rolled_back: Some((n, canary_requests)),
                        percent,
                    }
                }
                Decision::StepUp { percent: next } => {
                    percent = next;
                    judge.begin_step(next);
                    if next >= 100.0 {
                        break;
                    }
                }
                Decision::Continue => {}
            }
        }
    }
    Run {
        rolled_back: None,
        percent,
    }
}

/// A judge held at 10% (it never steps up), as a 10% split under load.
fn at_ten_percent() -> JudgeConfig {
    JudgeConfig {
        steps: vec![10.0, 100.0],
        min_canary_requests: u64::MAX,
        ..JudgeConfig::default()
    }
}

fn median(mut xs: Vec<u64>) -> u64 {
    xs.sort_unstable();
    xs[xs.len() / 2]
}

fn percentile95(mut xs: Vec<u64>) -> u64 {
    xs.sort_unstable();
    xs[(xs.len() * 95).div_ceil(100) - 1]
}

/// Runs a regressed canary `RUNS` times at 10% and reports how often and
/// how fast it was caught.
fn catch_rate(name: &str, (stable, canary): (Version, Version), seed: u64) -> (f64, u64) {
    let config = at_ten_percent();
    let caught: Vec<(u64, u64)> = (0..RUNS)
        .filter_map(|i| simulate(seed + i, (stable, canary), &config, 10.0, 200_000).rolled_back)
        .collect();
    let rate = caught.len() as f64 / RUNS as f64;
    let requests = median(caught.iter().map(|c| c.0).collect());
    println!(
        "{name}: caught in {:.1}% of {RUNS} canaries at 10%; requests to catch: median {} (canary {}), 95th percentile {} (canary {})",
        rate * 100.0,
        requests,
        median(caught.iter().map(|c| c.1).collect()),
        percentile95(caught.iter().map(|c| c.0).collect()),
        percentile95(caught.iter().map(|c| c.1).collect()),
    );
    (rate, requests)
}

#[test]
fn identical_versions_are_rarely_rolled_back() {
    let config = at_ten_percent();
    let max = 30_000;
    let rollbacks = (0..RUNS)
        .filter(|&i| {
            simulate(1_000_000 + i, (STABLE, STABLE), &config, 10.0, max)
                .rolled_back
                .is_some()
        })
        .count();
    let rate = rollbacks as f64 / RUNS as f64;
    println!(
        "identical version: rolled back in {rollbacks} of {RUNS} canaries ({:.1}%; declared alpha {}), each watched for {max} requests at 10%, judged every {EVERY}",
        rate * 100.0,
        config.alpha
    );
    assert!(
        rate <= config.alpha,
        "false rollback rate {rate} above alpha {}",
        config.alpha
    );
}

#[test]
fn identical_versions_survive_the_whole_step_plan() {
    // The default plan 1% -> 10% -> 50% -> 100%, with a smaller sample per
    // step to keep the simulation quick: alpha holds across the steps.
    let config = JudgeConfig {
        min_canary_requests: 300,
        ..JudgeConfig::default()
    };
    let runs: Vec<Run> = (0..RUNS)
        .map(|i| simulate(2_000_000 + i, (STABLE, STABLE), &config, 1.0, 200_000))
        .collect();
    let rollbacks = runs.iter().filter(|r| r.rolled_back.is_some()).count();
    let promoted = runs.iter().filter(|r| r.percent >= 100.0).count();
    let held = RUNS as usize - rollbacks - promoted;
    let rate = rollbacks as f64 / RUNS as f64;
    println!(
        "identical version through the plan {:?}: rolled back in {rollbacks} of {RUNS} ({:.1}%), \
         promoted to 100% in {promoted}, held by a split-check false alarm in {held}",
        config.steps,
        rate * 100.0
    );
    assert!(
        rate <= config.alpha,
        "false rollback rate {rate} above alpha {}",
        config.alpha
    );
    // The split check's false alarms are bounded by alpha/10.
    assert!(held * 100 <= RUNS as usize, "{held} rollouts held");
}

#[test]
fn two_more_points_of_errors_are_caught() {
    let (rate, _) = catch_rate(
        "errors 1% -> 3%",
        (
            STABLE,
            Version {
                errors: ERRORS + 0.02,
                ..STABLE
            },
        ),
        3_000_000,
    );
    assert!(rate >= 0.95, "caught only {rate}");
}

#[test]
fn a_twenty_percent_slower_median_is_caught() {
    let (rate, _) = catch_rate(
        "p50 latency +20%",
        (
            STABLE,
            Version {
                median_ms: MEDIAN_MS * 1.2,
                ..STABLE
            },
        ),
        4_000_000,
    );
    assert!(rate >= 0.95, "caught only {rate}");
}

#[test]
fn a_twenty_percent_slower_median_is_caught_in_widely_spread_latencies() {
    let wide = Version {
        sigma: 1.0,
        ..STABLE
    };
    let slow = Version {
        median_ms: MEDIAN_MS * 1.2,
        ..wide
    };
    let (rate, _) = catch_rate("p50 latency +20%, sigma 1.0", (wide, slow), 6_000_000);
    assert!(rate >= 0.95, "caught only {rate}");
}

#[test]
fn a_slow_path_in_the_tail_is_caught() {
    // 10% of the canary's requests take 3x longer: the median moves little
    // (+7%), the upper deciles a lot. The distribution test sees it.
    let tail = Version {
        slow: 0.1,
        ..STABLE
    };
    let (rate, _) = catch_rate("10% of requests 3x slower", (STABLE, tail), 7_000_000);
    assert!(rate >= 0.95, "caught only {rate}");
}

#[test]
fn a_faster_canary_is_not_rolled_back() {
    let config = at_ten_percent();
    let better = Version {
        errors: ERRORS / 2.0,
        median_ms: MEDIAN_MS * 0.8,
        sigma: SIGMA,
        slow: 0.0,
    };
    let rollbacks = (0..100)
        .filter(|&i| {
            simulate(5_000_000 + i, (STABLE, better), &config, 10.0, 50_000)
                .rolled_back
                .is_some()
        })
        .count();
    println!("better version: rolled back in {rollbacks} of 100");
    assert!(rollbacks <= 1, "{rollbacks} better canaries rolled back");
}

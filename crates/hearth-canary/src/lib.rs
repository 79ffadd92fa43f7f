//! The canary judge of hearth's gradual deployments.
//!
//! While a deployment splits traffic between a stable version and a canary,
//! the server records every finished request here (which arm, how it ended,
//! how long it took), and the judge decides, with a sequential test whose
//! false-positive rate is guaranteed at any stopping time, whether to roll
//! back, step the rollout up, or keep measuring. It knows nothing else of
//! hearth; `docs/canary.md` explains the method for users.
//!
//! ```
//! use std::time::Duration;
//! use hearth_canary::{Arm, Decision, Judge, JudgeConfig, Outcome};
//!
//! // The canary starts at the plan's first step, 1%.
//! let judge = Judge::new(JudgeConfig::default(), 1.0).unwrap();
//! // Per request (any thread; a relaxed atomic increment):
//! judge.record(Arm::Canary, Outcome::Ok, Duration::from_millis(12));
//! judge.record(Arm::Stable, Outcome::ServerError, Duration::from_millis(3));
//! // Now and then (a supervisor task):
//! match judge.decide() {
//!     Decision::Rollback => { /* route everything to the stable version */ }
//!     Decision::StepUp { percent } => {
//!         // route `percent`% to the canary, then:
//!         judge.begin_step(percent);
//!     }
//!     Decision::Continue => {}
//! }
//! // For `hearth deployments status` and the admin API:
//! let report = judge.evaluate();
//! println!("{report}");
//! let json = serde_json::to_string(&report).unwrap();
//! # assert!(json.contains("\"decision\":\"continue\""));
//! ```
//!
//! # The API
//!
//! - [`Judge::new`]`(config, percent)`: a judge for one rollout, the canary
//!   at `percent`. [`JudgeConfig`] (serde, every field optional) holds
//!   `alpha`, the step plan, the per-step sample, the latency metrics (the
//!   median and the whole distribution by default).
//! - [`Judge::record`]`(arm, outcome, latency)`: per request; no lock, no
//!   allocation. Latency counts for successful requests only (an erroring
//!   canary that fails fast must not look faster).
//! - [`Judge::decide`] → [`Decision`]: `Rollback` (a metric regressed;
//!   final), `StepUp { percent }` (every metric passed the step's sample;
//!   change the split, then call [`Judge::begin_step`]; 100 ends the
//!   rollout) or `Continue`.
//! - [`Judge::evaluate`] → [`Report`]: per metric the arms' values, the
//!   tested effect with its anytime-valid interval, the e-value and its
//!   threshold, and the [`Verdict`]; the [`SplitCheck`] of the declared
//!   share (a mismatch holds the rollout). Serializable; `Display` prints
//!   it.
//!
//! # The test
//!
//! Requests reach the canary at random with the known share of the current
//! step. Conditional on a request being an error (or being slower than the
//! stable version's median, or falling in a given stable decile), the
//! chance that it came from the canary is exactly that share when the
//! versions are identical, whatever the traffic does over time; a worse
//! canary raises it (in the slow deciles). The judge mixes the
//! likelihood ratios of these conditional Bernoulli counts over a prior of
//! effect sizes (Lindon & Malek's mixture sequential probability ratio test
//! for Poisson counting processes) and rejects when the mixture, an
//! e-value, reaches `k / alpha` for `k` metrics: Ville's inequality bounds
//! the probability of that ever happening under identical versions by
//! `alpha / k` per metric, so by `alpha` overall (Bonferroni), across all
//! steps (the e-value carries on from step to step), however often the
//! judge is asked. Only alternatives where the canary is worse carry prior
//! weight, so a better canary is not rolled back either. `stats.rs` has
//! the details.

mod histogram;
mod judge;
mod stats;

pub use judge::{
    Arm, ConfigError, Decision, Effect, Judge, JudgeConfig, Metric, MetricReport, Outcome, Report,
    SplitCheck, Verdict,
};

//! The judge: per-request counters, the spans of a rollout, and the report.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::histogram::{self, BUCKETS};
use crate::stats::{Cell, Evidence, Family, Mixture, CATEGORIES};

/// Which version served a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arm {
    /// The version serving before the rollout began.
    Stable = 0,
    /// The version being rolled out.
    Canary = 1,
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A response below 500 (4xx answers are the client's doing). Its
    /// latency feeds the latency metrics.
    Ok,
    /// A 5xx response from the worker.
    ServerError,
    /// An uncaught exception (or an exceeded limit) instead of a response.
    Exception,
}

/// The judge's settings. `Default` gives the documented defaults; every
/// field may be left out of a serialized config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JudgeConfig {
    /// The false-positive rate: the probability that a rollout of a version
    /// no worse than the stable one is ever rolled back, over all metrics,
    /// all steps and however often the judge is asked. Default 0.05.
    pub alpha: f64,
    /// The canary percentages of the rollout plan, increasing, ending at
    /// 100. Default `[1, 10, 50, 100]`.
    pub steps: Vec<f64>,
    /// Canary requests a step needs, with no regression found, before the
    /// judge steps up. Default 2000.
    pub min_canary_requests: u64,
    /// The latency quantiles compared (each one metric). Default `[0.5]`
    /// (the median).
    pub latency_quantiles: Vec<f64>,
    /// Whether to compare the whole latency distribution too (one metric:
    /// a test of stochastic order over the stable deciles). Default true.
    pub latency_distribution: bool,
    /// Successful stable requests measured before latency testing starts:
    /// they fix the stable quantiles the canary is compared against.
    /// Default 500.
    pub calibration_requests: u64,
    /// Prior scale for the log error-rate ratio (the effect sizes the error
    /// test is tuned to). Default 1.0 (ratios around 1.5x to 5x).
    pub error_prior_scale: f64,
    /// Prior scale for the log-odds shift of the canary's chance to exceed a
    /// stable quantile. Default 0.5 (for the median: a canary exceeding the
    /// stable median 55% to 75% of the time).
    pub latency_prior_scale: f64,
    /// Prior scale for the distribution test's tilt towards slower deciles
    /// (per unit of logit score). Default 0.25 (a shift of about a quarter
    /// of the spread of log latencies; the median 10–40% slower when log
    /// latencies spread by σ = 0.5).
    pub distribution_prior_scale: f64,
}

impl Default for JudgeConfig {
    fn default() -> Self {
        JudgeConfig {
            alpha: 0.05,
            steps: vec![1.0, 10.0, 50.0, 100.0],
            min_canary_requests: 2000,
            latency_quantiles: vec![0.5],
            latency_distribution: true,
            calibration_requests: 500,
            error_prior_scale: 1.0,
            latency_prior_scale: 0.5,
            distribution_prior_scale: 0.25,
        }
    }
}

impl JudgeConfig {
    /// Checks the settings; the error says which one is wrong.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fail = |m: String| Err(ConfigError(m));
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return fail(format!("alpha must be between 0 and 1, got {}", self.alpha));
        }
        if self.steps.last() != Some(&100.0) {
            return fail("steps must end at 100".into());
        }
        if self.steps.windows(2).any(|w| w[0] >= w[1]) || self.steps[0] <= 0.0 {
            return fail(format!(
                "steps must increase from above 0 to 100, got {:?}",
                self.steps
            ));
        }
        if let Some(q) = self
            .latency_quantiles
            .iter()
            .find(|q| !(**q > 0.0 && **q < 1.0))
        {
            return fail(format!(
                "latency quantiles must be between 0 and 1, got {q}"
            ));
        }
        if self.calibration_requests == 0 {
            return fail("calibration_requests must be at least 1".into());
        }
        if !(self.error_prior_scale > 0.0
            && self.latency_prior_scale > 0.0
            && self.distribution_prior_scale > 0.0)
        {
            return fail("prior scales must be positive".into());
        }
        Ok(())
    }

    /// The number of metrics compared (errors and the latency metrics): the
    /// Bonferroni divisor of `alpha`.
    fn metric_count(&self) -> usize {
        1 + self.latency_metrics().len()
    }

    /// The latency metrics, in report order: the quantiles, then the
    /// distribution.
    fn latency_metrics(&self) -> Vec<Metric> {
        let quantiles = self.latency_quantiles.iter();
        let mut metrics: Vec<Metric> = quantiles
            .map(|&quantile| Metric::Latency { quantile })
            .collect();
        if self.latency_distribution {
            metrics.push(Metric::LatencyDistribution);
        }
        metrics
    }
}

/// A setting the judge refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "canary judge: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

/// What a metric measures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Metric {
    /// The share of requests ending in a 5xx or an uncaught exception.
    ErrorRate,
    /// The latency of successful requests at a quantile.
    Latency {
        /// The quantile, e.g. 0.5 for the median.
        quantile: f64,
    },
    /// The whole latency distribution of successful requests (over the
    /// stable version's deciles); reported as the chance that a canary
    /// request is slower than the stable median.
    LatencyDistribution,
}

/// A metric's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The canary is significantly worse (the test rejected; final).
    Regression,
    /// Not enough data yet to pass or fail.
    NoEvidence,
    /// The step's sample is complete and shows no regression.
    Pass,
}

/// The judge's advice for the rollout.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// Keep the current split and keep measuring.
    Continue,
    /// Move the canary to `percent` (100: the canary becomes the whole
    /// deployment and judging ends), then call [`Judge::begin_step`].
    StepUp {
        /// The next step of the plan.
        percent: f64,
    },
    /// Roll back: a metric regressed.
    Rollback,
}

/// The compared quantity of a metric, with its anytime-valid interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Effect {
    /// For errors, the canary's error rate divided by the stable one's;
    /// for a latency quantile, the chance that a canary request is slower
    /// than the stable version's quantile; for the distribution, the chance
    /// that it is slower than the stable median. `None` before any evidence.
    pub estimate: Option<f64>,
    /// The interval's lower end; `None` before any evidence.
    pub low: Option<f64>,
    /// The interval's upper end; `None` before any evidence, or when
    /// unbounded (an error-rate ratio with few canary requests).
    pub high: Option<f64>,
    /// The value of identical versions (1 for the error-rate ratio; for
    /// latency, the share of the stable calibration requests above the
    /// boundary, about `1 - quantile`).
    pub null: f64,
}

/// One metric of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricReport {
    /// What is compared.
    pub metric: Metric,
    /// The stable arm's value: its error rate, or its latency at the
    /// quantile in milliseconds (`None` with no data).
    pub stable: Option<f64>,
    /// The canary's value, as `stable`.
    pub canary: Option<f64>,
    /// The tested quantity and its interval, which covers the truth at
    /// all times with probability `1 - alpha/k` (k metrics).
    pub effect: Effect,
    /// The evidence of a regression (the mixture likelihood ratio; 1 is
    /// none). The test rejects when it reaches `threshold`.
    pub e_value: f64,
    /// `k / alpha`.
    pub threshold: f64,
    /// The verdict.
    pub verdict: Verdict,
}

/// Whether requests reach the canary at the declared share. The tests
/// assume they do; a mismatch (a router bug, or canary requests that are
/// never recorded) holds the rollout: no step-up until it is explained.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SplitCheck {
    /// The canary's share of this step's requests, in percent (`None`
    /// before any).
    pub observed_percent: Option<f64>,
    /// The evidence that the share differs from the declared one (two-sided).
    pub e_value: f64,
    /// `10 / alpha`: a false alarm is 10 times rarer than a false rollback.
    pub threshold: f64,
    /// The evidence reached the threshold at some point (final).
    pub mismatch: bool,
}

/// What the judge knows and advises: `hearth deployments status` prints it
/// (`Display`), the admin API returns it (serde).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The canary's current percentage.
    pub percent: f64,
    /// The declared false-positive rate.
    pub alpha: f64,
    /// Requests recorded per arm since judging began.
    pub stable_requests: u64,
    /// See `stable_requests`.
    pub canary_requests: u64,
    /// Canary requests since the current step began.
    pub step_canary_requests: u64,
    /// Canary requests a step needs before stepping up.
    pub min_canary_requests: u64,
    /// One entry per metric: errors first, then the latency quantiles, then
    /// the latency distribution.
    pub metrics: Vec<MetricReport>,
    /// The check of the declared split.
    pub split: SplitCheck,
    /// The advice.
    pub decision: Decision,
}

/// Counters of one arm, bumped by [`Judge::record`].
struct ArmCounters {
    server_errors: AtomicU64,
    exceptions: AtomicU64,
    latency: Box<[AtomicU64]>,
}

/// A copy of one arm's counters (or the difference of two copies).
#[derive(Debug, Clone, PartialEq)]
struct ArmCounts {
    server_errors: u64,
    exceptions: u64,
    latency: Vec<u64>,
}

impl ArmCounts {
    fn zero() -> Self {
        ArmCounts {
            server_errors: 0,
            exceptions: 0,
            latency: vec![0; BUCKETS],
        }
    }

    fn errors(&self) -> u64 {
        self.server_errors + self.exceptions
    }

    fn requests(&self) -> u64 {
        self.errors() + self.latency.iter().sum::<u64>()
    }

    fn since(&self, earlier: &ArmCounts) -> ArmCounts {
        ArmCounts {
            server_errors: self.server_errors.saturating_sub(earlier.server_errors),
            exceptions: self.exceptions.saturating_sub(earlier.exceptions),
            latency: self
                .latency
                .iter()
                .zip(&earlier.latency)
                .map(|(a, b)| a.saturating_sub(*b))
                .collect(),
        }
    }
}

type Counts = [ArmCounts; 2];

fn since(now: &Counts, earlier: &Counts) -> Counts {
    [now[0].since(&earlier[0]), now[1].since(&earlier[1])]
}

/// A stretch of the rollout at one canary share, as the tests see it: its
/// cells for the split check and the error test, and per latency metric
/// its cell (none before calibration).
struct Span {
    /// Canary requests among all requests.
    requests: Cell,
    error: Cell,
    latency: Vec<Cell>,
}

/// A latency metric's test, once calibration fixed its categories.
struct LatencyTest {
    /// The histogram buckets where its categories begin (after the first).
    edges: Vec<usize>,
    family: Family,
    test: Mixture,
    interval: Mixture,
    evidence: Evidence,
}

struct State {
    percent: f64,
    /// Closed spans.
    spans: Vec<Span>,
    /// The counters when the open span began.
    span_start: Counts,
    /// The canary's and all requests when the current step (or, if later,
    /// latency calibration) began.
    step_start: [u64; 2],
    /// The error test's and the split check's evidence of the closed spans.
    errors: Evidence,
    split: Evidence,
    split_mismatch: bool,
    /// Per latency metric, once calibrated.
    latency: Option<Vec<LatencyTest>>,
    /// Per metric: the test rejected (a rollback is final).
    regressed: Vec<bool>,
}

/// Grid points per side of a prior.
const GRID: usize = 48;

/// Prior scale of the split check's log ratio of observed to declared
/// canary share.
const SPLIT_PRIOR_SCALE: f64 = 0.1;

/// The split check's false-alarm rate, as a fraction of `alpha`: a false
/// alarm holds a good rollout until someone looks, so it is kept rarer
/// than a false rollback.
const SPLIT_ALPHA: f64 = 0.1;

/// The canary judge of one rollout.
///
/// Share it (`Arc<Judge>`) between the threads serving requests, which
/// call [`record`](Judge::record) once per finished request, and a
/// supervisor that calls [`decide`](Judge::decide) now and then (every
/// second, say) and applies its decision: on `StepUp` it changes the
/// split and then calls [`begin_step`](Judge::begin_step); on `Rollback`
/// it restores the stable version. [`evaluate`](Judge::evaluate) gives
/// the full report with intervals, for status pages.
pub struct Judge {
    config: JudgeConfig,
    arms: [ArmCounters; 2],
    error_test: Mixture,
    error_interval: Mixture,
    split_test: Mixture,
    state: Mutex<State>,
}

impl Judge {
    /// A judge for a rollout whose canary now gets `percent` of requests
    /// (normally the plan's first step).
    pub fn new(config: JudgeConfig, percent: f64) -> Result<Judge, ConfigError> {
        config.validate()?;
        if !(percent > 0.0 && percent < 100.0) {
            return Err(ConfigError(format!(
                "the canary's share must be between 0 and 100%, got {percent}"
            )));
        }
        let counter = || ArmCounters {
            server_errors: AtomicU64::new(0),
            exceptions: AtomicU64::new(0),
            latency: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
        };
        let scale = config.error_prior_scale;
        let upper = 100f64.ln().max(3.0 * scale);
        let error_test = Mixture::new(Family::RateRatio, scale, upper, GRID, true);
        // A router's mismatch is a few percent of the share, either way.
        let split_test = Mixture::new(Family::RateRatio, SPLIT_PRIOR_SCALE, 2.0, GRID, false);
        Ok(Judge {
            error_interval: Mixture::new(Family::RateRatio, scale, upper, GRID, false),
            arms: [counter(), counter()],
            state: Mutex::new(State {
                percent,
                spans: Vec::new(),
                span_start: [ArmCounts::zero(), ArmCounts::zero()],
                step_start: [0, 0],
                errors: error_test.evidence(percent / 100.0),
                split: split_test.evidence(percent / 100.0),
                split_mismatch: false,
                latency: None,
                regressed: vec![false; config.metric_count()],
            }),
            error_test,
            split_test,
            config,
        })
    }

    /// The settings.
    pub fn config(&self) -> &JudgeConfig {
        &self.config
    }

    /// Records one finished request: a relaxed atomic increment, no lock,
    /// no allocation.
    #[inline]
    pub fn record(&self, arm: Arm, outcome: Outcome, latency: Duration) {
        let counters = &self.arms[arm as usize];
        match outcome {
            Outcome::Ok => {
                let nanos = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
                counters.latency[histogram::bucket(nanos)].fetch_add(1, Relaxed);
            }
            Outcome::ServerError => {
                counters.server_errors.fetch_add(1, Relaxed);
            }
            Outcome::Exception => {
                counters.exceptions.fetch_add(1, Relaxed);
            }
        }
    }

    /// The current advice, without intervals: cheap enough to call after
    /// every few requests.
    pub fn decide(&self) -> Decision {
        self.judge(false).decision
    }

    /// The full report: estimates, intervals, e-values and verdicts.
    pub fn evaluate(&self) -> Report {
        self.judge(true)
    }

    /// Tells the judge the canary now gets `percent` of requests (after a
    /// `StepUp`, or any change of the split). Call it right after the
    /// router switched: requests already recorded count for the previous
    /// share. At 100 judging ends.
    pub fn begin_step(&self, percent: f64) {
        let now = self.snapshot();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let percent = percent.clamp(0.0, 100.0);
        self.close_span(&mut state, &now, percent);
        state.step_start = step_counts(&now);
        state.percent = percent;
    }

    /// The open span's cells at `now`.
    fn open_span(&self, state: &State, now: &Counts) -> Span {
        let counts = since(now, &state.span_start);
        let share = state.percent / 100.0;
        let (stable, canary) = (counts[0].requests(), counts[1].requests());
        Span {
            requests: Cell::single(share, canary, stable + canary),
            error: error_cell(share, &counts),
            latency: (state.latency.iter().flatten())
                .map(|test| latency_cell(share, &counts, &test.edges))
                .collect(),
        }
    }

    /// Ends the open span at `now` and opens one at `percent`.
    fn close_span(&self, state: &mut State, now: &Counts, percent: f64) {
        let span = self.open_span(state, now);
        let share = percent / 100.0;
        self.error_test.close(&mut state.errors, &span.error, share);
        self.split_test
            .close(&mut state.split, &span.requests, share);
        for (test, cell) in state.latency.iter_mut().flatten().zip(&span.latency) {
            test.test.close(&mut test.evidence, cell, share);
        }
        state.spans.push(span);
        state.span_start = now.clone();
    }

    fn snapshot(&self) -> Counts {
        self.arms.each_ref().map(|arm| ArmCounts {
            server_errors: arm.server_errors.load(Relaxed),
            exceptions: arm.exceptions.load(Relaxed),
            latency: arm.latency.iter().map(|c| c.load(Relaxed)).collect(),
        })
    }

    fn judge(&self, intervals: bool) -> Report {
        let now = self.snapshot();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let config = &self.config;
        if state.latency.is_none() {
            let stable = &now[Arm::Stable as usize].latency;
            if stable.iter().sum::<u64>() >= config.calibration_requests {
                // The latency tests count from here on: the data that
                // fixed the stable quantiles is not tested again.
                let tests = self.calibrate(stable, state.percent / 100.0);
                let percent = state.percent;
                self.close_span(&mut state, &now, percent);
                state.latency = Some(tests);
                state.step_start = step_counts(&now);
            }
        }
        let open = self.open_span(&state, &now);
        let k = config.metric_count() as f64;
        let threshold = k / config.alpha;
        let [step_canary, step_all] = step_counts(&now);
        let [step_canary, step_all] = [
            step_canary - state.step_start[0],
            step_all - state.step_start[1],
        ];
        let sample_done = state.percent < 100.0 && step_canary >= config.min_canary_requests;
        // The cells of every span, for the intervals only.
        let cells = |cell: &dyn Fn(&Span) -> Option<Cell>| -> Vec<Cell> {
            let all = state.spans.iter().chain([&open]).filter_map(cell);
            all.filter(|c| intervals && c.share > 0.0 && c.share < 1.0)
                .collect()
        };

        let mut metrics = Vec::with_capacity(config.metric_count());
        let rate = |arm: &ArmCounts| {
            (arm.requests() > 0).then(|| arm.errors() as f64 / arm.requests() as f64)
        };
        metrics.push(self.metric(
            Metric::ErrorRate,
            [rate(&now[0]), rate(&now[1])],
            (Family::RateRatio, &self.error_interval),
            &cells(&|span| Some(span.error)),
            self.error_test.log_e_with(&state.errors, &open.error),
            threshold,
        ));
        for (i, metric) in config.latency_metrics().into_iter().enumerate() {
            let quantile = match metric {
                Metric::Latency { quantile } => quantile,
                _ => 0.5,
            };
            // The arms' latencies are for the report, not the decision.
            let at = |arm: &ArmCounts| {
                let ns = intervals.then(|| histogram::quantile(&arm.latency, quantile));
                ns.flatten().map(|ns| ns / 1e6)
            };
            let arms = [at(&now[0]), at(&now[1])];
            metrics.push(match &state.latency {
                Some(tests) => {
                    let test = &tests[i];
                    self.metric(
                        metric,
                        arms,
                        (test.family, &test.interval),
                        &cells(&|span| span.latency.get(i).copied()),
                        test.test.log_e_with(&test.evidence, &open.latency[i]),
                        threshold,
                    )
                }
                None => MetricReport {
                    metric,
                    stable: arms[0],
                    canary: arms[1],
                    effect: Effect {
                        estimate: None,
                        low: None,
                        high: None,
                        null: 1.0 - quantile,
                    },
                    e_value: 1.0,
                    threshold,
                    verdict: Verdict::NoEvidence,
                },
            });
        }
        for (metric, regressed) in metrics.iter_mut().zip(state.regressed.iter_mut()) {
            *regressed |= metric.e_value >= threshold;
            metric.verdict = if *regressed {
                Verdict::Regression
            } else if sample_done && metric.verdict != Verdict::NoEvidence {
                Verdict::Pass
            } else {
                Verdict::NoEvidence
            };
        }
        let split_e = self
            .split_test
            .log_e_with(&state.split, &open.requests)
            .exp();
        let split_threshold = 1.0 / (SPLIT_ALPHA * config.alpha);
        state.split_mismatch |= split_e >= split_threshold;
        let split = SplitCheck {
            observed_percent: (step_all > 0).then(|| 100.0 * step_canary as f64 / step_all as f64),
            e_value: split_e,
            threshold: split_threshold,
            mismatch: state.split_mismatch,
        };
        let decision = if metrics.iter().any(|m| m.verdict == Verdict::Regression) {
            Decision::Rollback
        } else if !split.mismatch && metrics.iter().all(|m| m.verdict == Verdict::Pass) {
            let next = config
                .steps
                .iter()
                .copied()
                .find(|&p| p > state.percent)
                .unwrap_or(100.0);
            Decision::StepUp { percent: next }
        } else {
            Decision::Continue
        };
        Report {
            percent: state.percent,
            alpha: config.alpha,
            stable_requests: now[Arm::Stable as usize].requests(),
            canary_requests: now[Arm::Canary as usize].requests(),
            step_canary_requests: step_canary,
            min_canary_requests: config.min_canary_requests,
            metrics,
            split,
            decision,
        }
    }

    /// Fixes each latency metric's categories from the stable arm's
    /// histogram.
    fn calibrate(&self, stable: &[u64], share: f64) -> Vec<LatencyTest> {
        let total = stable.iter().sum::<u64>() as f64;
        let test = |edges: Vec<usize>, family: Family, scale: f64| {
            let upper = 4.0f64.max(3.0 * scale);
            let test = Mixture::new(family, scale, upper, GRID, true);
            LatencyTest {
                edges,
                family,
                evidence: test.evidence(share),
                test,
                interval: Mixture::new(family, scale, upper, GRID, false),
            }
        };
        let mut tests = Vec::new();
        for metric in self.config.latency_metrics() {
            match metric {
                Metric::Latency { quantile } => {
                    let split = histogram::split_at(stable, quantile);
                    let above: u64 = stable[split..].iter().sum();
                    // The stable share above the split, kept off 0 and 1 so
                    // the family stays defined when calibration saw one side
                    // only.
                    let base = ((above as f64 + 0.5) / (total + 1.0)).clamp(1e-3, 1.0 - 1e-3);
                    let family = Family::Exceedance { base };
                    tests.push(test(vec![split], family, self.config.latency_prior_scale));
                }
                Metric::LatencyDistribution => {
                    let (edges, family) = deciles(stable);
                    tests.push(test(edges, family, self.config.distribution_prior_scale));
                }
                Metric::ErrorRate => {}
            }
        }
        tests
    }

    /// One metric's report from its log e-value and, for the interval, its
    /// cells (none: no interval). The caller sets the verdict.
    fn metric(
        &self,
        metric: Metric,
        arms: [Option<f64>; 2],
        (family, interval): (Family, &Mixture),
        cells: &[Cell],
        log_e: f64,
        threshold: f64,
    ) -> MetricReport {
        let events: u64 = cells.iter().map(|c| c.total[0] + c.total[1]).sum();
        let null = family.effect(0.0);
        let effect = if events > 0 {
            let (best, low, high) = interval.interval(cells, threshold.ln());
            let (floor, ceiling) = family.bounds();
            Effect {
                estimate: Some(family.effect(best)),
                low: Some(low.map_or(floor, |phi| family.effect(phi))),
                high: high.map(|phi| family.effect(phi)).or(ceiling),
                null,
            }
        } else {
            Effect {
                estimate: None,
                low: None,
                high: None,
                null,
            }
        };
        MetricReport {
            metric,
            stable: arms[0],
            canary: arms[1],
            effect,
            e_value: log_e.exp(),
            threshold,
            verdict: Verdict::Pass,
        }
    }
}

/// The canary's and all requests so far.
fn step_counts(now: &Counts) -> [u64; 2] {
    let canary = now[Arm::Canary as usize].requests();
    [canary, canary + now[Arm::Stable as usize].requests()]
}

/// A span's error counts: one category.
fn error_cell(share: f64, counts: &Counts) -> Cell {
    let [stable, canary] = counts;
    Cell::single(share, canary.errors(), canary.errors() + stable.errors())
}

/// A span's successful requests per latency category: category `j`
/// holds the buckets from `edges[j - 1]` (or 0) up to `edges[j]`.
fn latency_cell(share: f64, counts: &Counts, edges: &[usize]) -> Cell {
    let mut cell = Cell {
        share,
        ..Cell::default()
    };
    for (arm, counts) in counts.iter().enumerate() {
        let mut from = 0;
        for (j, &to) in edges.iter().chain([&BUCKETS]).enumerate() {
            let n: u64 = counts.latency[from..to].iter().sum();
            cell.total[j] += n;
            if arm == Arm::Canary as usize {
                cell.canary[j] += n;
            }
            from = to;
        }
    }
    cell
}

/// The distribution test's categories: the stable calibration's deciles
/// as bucket edges (merged where the histogram is too coarse to tell
/// them apart), each category's stable probability and its score, the
/// logit of its mid-rank.
fn deciles(stable: &[u64]) -> (Vec<usize>, Family) {
    let total = stable.iter().sum::<u64>() as f64;
    let mut edges: Vec<usize> = (1..CATEGORIES)
        .map(|j| histogram::split_at(stable, j as f64 / CATEGORIES as f64))
        .collect();
    edges.dedup();
    edges.retain(|&e| e > 0 && e < BUCKETS);
    let median = histogram::split_at(stable, 0.5);
    let mut base = [0.0; CATEGORIES];
    let mut scores = [0.0; CATEGORIES];
    let cell = latency_cell(
        0.5,
        &[
            ArmCounts {
                server_errors: 0,
                exceptions: 0,
                latency: stable.to_vec(),
            },
            ArmCounts::zero(),
        ],
        &edges,
    );
    let categories = edges.len() + 1;
    let mut below = 0.0;
    for j in 0..categories {
        let n = cell.total[j] as f64;
        // Smoothed so that a category calibration never saw keeps a
        // positive probability.
        base[j] = (n + 0.5) / (total + 0.5 * categories as f64);
        let mid = ((below + n / 2.0) / total).clamp(1e-3, 1.0 - 1e-3);
        scores[j] = (mid / (1.0 - mid)).ln();
        below += n;
    }
    let above = edges
        .iter()
        .position(|&e| e == median)
        .map_or(categories, |i| i + 1);
    (
        edges,
        Family::Tilt {
            base,
            scores,
            above,
        },
    )
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let decision = match self.decision {
            Decision::Continue => "continue".to_string(),
            Decision::StepUp { percent } => format!("step up to {percent}%"),
            Decision::Rollback => "ROLL BACK".to_string(),
        };
        writeln!(
            f,
            "canary at {}%: {} canary / {} stable requests ({} of {} this step); alpha {}; decision: {decision}",
            self.percent,
            self.canary_requests,
            self.stable_requests,
            self.step_canary_requests,
            self.min_canary_requests,
            self.alpha
        )?;
        if self.split.mismatch {
            writeln!(
                f,
                "  SPLIT MISMATCH: the canary's share of requests differed from the declared {}% \
                 (this step: {}%; e-value now {:.1}, threshold {}); no step-up until the router is checked",
                self.percent,
                self.split.observed_percent.map_or("-".into(), |p| format!("{p:.2}")),
                self.split.e_value,
                self.split.threshold
            )?;
        }
        for m in &self.metrics {
            let opt = |v: Option<f64>, scale: f64, unit: &str| match v {
                Some(v) => format!("{:.3}{unit}", v * scale),
                None => "-".to_string(),
            };
            let (name, stable, canary, effect) = match m.metric {
                Metric::ErrorRate => (
                    "error rate".to_string(),
                    opt(m.stable, 100.0, "%"),
                    opt(m.canary, 100.0, "%"),
                    "canary/stable error ratio",
                ),
                Metric::Latency { quantile } => (
                    format!("latency p{}", quantile * 100.0),
                    opt(m.stable, 1.0, "ms"),
                    opt(m.canary, 1.0, "ms"),
                    "P(canary slower than stable quantile)",
                ),
                Metric::LatencyDistribution => (
                    "latency distribution (median shown)".to_string(),
                    opt(m.stable, 1.0, "ms"),
                    opt(m.canary, 1.0, "ms"),
                    "P(canary slower than stable median)",
                ),
            };
            let end = |v: Option<f64>| v.map_or("inf".to_string(), |v| format!("{v:.3}"));
            let interval = match m.effect.estimate {
                Some(estimate) => format!(
                    "{estimate:.3} [{}, {}]",
                    end(m.effect.low),
                    end(m.effect.high)
                ),
                None => "no data".to_string(),
            };
            let verdict = match m.verdict {
                Verdict::Regression => "REGRESSION",
                Verdict::NoEvidence => "no evidence yet",
                Verdict::Pass => "pass",
            };
            writeln!(
                f,
                "  {name}: stable {stable}, canary {canary}; {effect} {interval} (identical: {:.3}); e-value {:.3} of {}: {verdict}",
                m.effect.null,
                m.e_value,
                m.threshold
            )?;
        }
        Ok(())
    }
}

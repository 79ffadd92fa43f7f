//! The judge's API: configuration, the step plan, verdicts and the report.

use std::time::Duration;

use hearth_canary::{Arm, Decision, Judge, JudgeConfig, Metric, Outcome, Report, Verdict};
use serde_json::Value;

const MS: Duration = Duration::from_millis(1);

/// Records `n` requests on `arm`, `errors` of them failing, every latency
/// from `ms` cycling through a spread (so the histogram has a median).
fn feed(judge: &Judge, arm: Arm, n: u64, errors: u64, ms: u64) {
    for i in 0..n {
        let outcome = if i < errors {
            Outcome::Exception
        } else {
            Outcome::Ok
        };
        judge.record(arm, outcome, MS * (ms + i % 20) as u32);
    }
}

#[test]
fn a_judge_is_shared_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Judge>();
    let judge = std::sync::Arc::new(Judge::new(JudgeConfig::default(), 10.0).unwrap());
    std::thread::scope(|s| {
        for arm in [Arm::Stable, Arm::Canary] {
            let judge = &judge;
            s.spawn(move || feed(judge, arm, 1000, 10, 40));
        }
    });
    let report = judge.evaluate();
    assert_eq!(
        (report.stable_requests, report.canary_requests),
        (1000, 1000)
    );
}

#[test]
fn bad_settings_are_refused_by_name() {
    let bad = |config: JudgeConfig| Judge::new(config, 10.0).err().unwrap().to_string();
    assert!(bad(JudgeConfig {
        alpha: 0.0,
        ..JudgeConfig::default()
    })
    .contains("alpha"));
    assert!(bad(JudgeConfig {
        steps: vec![10.0, 50.0],
        ..JudgeConfig::default()
    })
    .contains("steps"));
    assert!(bad(JudgeConfig {
        steps: vec![50.0, 10.0, 100.0],
        ..JudgeConfig::default()
    })
    .contains("steps"));
    assert!(bad(JudgeConfig {
        latency_quantiles: vec![1.5],
        ..JudgeConfig::default()
    })
    .contains("quantile"));
    assert!(Judge::new(JudgeConfig::default(), 0.0).is_err());
    assert!(Judge::new(JudgeConfig::default(), 100.0).is_err());
}

#[test]
fn config_fields_may_be_left_out() {
    let config: JudgeConfig =
        serde_json::from_str(r#"{"alpha": 0.01, "steps": [5, 100]}"#).unwrap();
    assert_eq!(config.alpha, 0.01);
    assert_eq!(
        config.min_canary_requests,
        JudgeConfig::default().min_canary_requests
    );
    assert!(serde_json::from_str::<JudgeConfig>(r#"{"alpah": 0.01}"#).is_err());
}

#[test]
fn a_fresh_judge_has_no_evidence() {
    let judge = Judge::new(JudgeConfig::default(), 1.0).unwrap();
    let report = judge.evaluate();
    assert_eq!(report.decision, Decision::Continue);
    assert_eq!(report.metrics.len(), 3);
    assert_eq!(report.metrics[0].metric, Metric::ErrorRate);
    assert_eq!(report.metrics[1].metric, Metric::Latency { quantile: 0.5 });
    assert_eq!(report.metrics[2].metric, Metric::LatencyDistribution);
    for m in &report.metrics {
        assert_eq!(m.verdict, Verdict::NoEvidence);
        assert_eq!(m.e_value, 1.0);
        assert_eq!(m.threshold, 60.0);
        assert_eq!(m.effect.estimate, None);
    }
}

#[test]
fn a_clean_sample_steps_up_through_the_plan() {
    let config = JudgeConfig {
        min_canary_requests: 200,
        ..JudgeConfig::default()
    };
    let judge = Judge::new(config, 1.0).unwrap();
    // Calibration: 500 stable requests fix the stable median (the step's
    // sample starts after it).
    feed(&judge, Arm::Stable, 594, 6, 40);
    feed(&judge, Arm::Canary, 6, 0, 40);
    assert_eq!(judge.decide(), Decision::Continue);
    for percent in [10.0, 50.0, 100.0] {
        // The step's sample, split as declared, identical behaviour.
        let share = judge.evaluate().percent / 100.0;
        let canary = 200;
        let stable = ((canary as f64) * (1.0 - share) / share).round() as u64;
        assert_eq!(judge.decide(), Decision::Continue);
        feed(&judge, Arm::Stable, stable, stable / 100, 40);
        feed(&judge, Arm::Canary, canary, canary / 100, 40);
        let report = judge.evaluate();
        assert_eq!(report.decision, Decision::StepUp { percent }, "{report}");
        assert!(report.metrics.iter().all(|m| m.verdict == Verdict::Pass));
        assert!(!report.split.mismatch, "{report}");
        judge.begin_step(percent);
        assert_eq!(judge.evaluate().step_canary_requests, 0);
    }
    assert_eq!(judge.decide(), Decision::Continue, "judging ends at 100%");
}

#[test]
fn a_split_unlike_the_declared_one_holds_the_rollout() {
    let config = JudgeConfig {
        min_canary_requests: 200,
        ..JudgeConfig::default()
    };
    let judge = Judge::new(config, 10.0).unwrap();
    feed(&judge, Arm::Stable, 540, 0, 40);
    feed(&judge, Arm::Canary, 60, 0, 40);
    assert!(!judge.evaluate().split.mismatch);
    // 10% declared, 20% observed: identical versions, yet no step-up.
    feed(&judge, Arm::Stable, 4000, 0, 40);
    feed(&judge, Arm::Canary, 1000, 0, 40);
    let report = judge.evaluate();
    assert!(report.split.mismatch, "{report}");
    assert!((report.split.observed_percent.unwrap() - 20.0).abs() < 0.01);
    assert_eq!(report.decision, Decision::Continue, "{report}");
    assert!(report.to_string().contains("SPLIT MISMATCH"), "{report}");
}

#[test]
fn a_failing_canary_is_rolled_back_and_stays_rolled_back() {
    let judge = Judge::new(JudgeConfig::default(), 10.0).unwrap();
    feed(&judge, Arm::Stable, 9000, 90, 40);
    feed(&judge, Arm::Canary, 1000, 100, 40);
    let report = judge.evaluate();
    assert_eq!(report.decision, Decision::Rollback, "{report}");
    let errors = &report.metrics[0];
    assert_eq!(errors.verdict, Verdict::Regression);
    assert!(errors.e_value >= errors.threshold);
    assert_eq!(errors.stable, Some(0.01));
    assert_eq!(errors.canary, Some(0.1));
    // Ten times the errors: the interval of the ratio is around 10, above 1.
    let effect = errors.effect;
    let (low, high) = (effect.low.unwrap(), effect.high.unwrap());
    assert!(low > 1.0 && low < 10.0 && high > 10.0, "{effect:?}");
    assert!((effect.estimate.unwrap() - 10.0).abs() < 0.5, "{effect:?}");
    // The latency is the same on both arms: no regression there.
    assert_ne!(report.metrics[1].verdict, Verdict::Regression);
    // Later good data does not undo a rollback.
    feed(&judge, Arm::Canary, 100_000, 0, 40);
    assert_eq!(judge.decide(), Decision::Rollback);
}

#[test]
fn a_slow_canary_is_rolled_back_on_latency() {
    let judge = Judge::new(JudgeConfig::default(), 10.0).unwrap();
    // The first 500 stable requests fix the stable median (at the next
    // look); the latency test uses what comes after.
    feed(&judge, Arm::Stable, 540, 0, 40);
    feed(&judge, Arm::Canary, 60, 0, 40);
    assert_eq!(judge.decide(), Decision::Continue);
    feed(&judge, Arm::Stable, 9000, 0, 40);
    feed(&judge, Arm::Canary, 1000, 0, 50);
    let report = judge.evaluate();
    assert_eq!(report.decision, Decision::Rollback, "{report}");
    let latency = &report.metrics[1];
    assert_eq!(latency.verdict, Verdict::Regression);
    assert!(
        latency.canary.unwrap() > latency.stable.unwrap() * 1.15,
        "{report}"
    );
    assert!(
        latency.effect.low.unwrap() > latency.effect.null,
        "{report}"
    );
    assert_eq!(report.metrics[0].verdict, Verdict::NoEvidence);
}

#[test]
fn the_report_round_trips_through_json_and_prints() {
    let judge = Judge::new(JudgeConfig::default(), 10.0).unwrap();
    feed(&judge, Arm::Stable, 540, 6, 40);
    feed(&judge, Arm::Canary, 60, 0, 40);
    judge.decide();
    feed(&judge, Arm::Stable, 9000, 90, 40);
    feed(&judge, Arm::Canary, 1000, 30, 40);
    let report = judge.evaluate();
    assert!(
        report.metrics.iter().all(|m| m.effect.estimate.is_some()),
        "{report}"
    );
    assert!(!report.split.mismatch, "{report}");
    let json = serde_json::to_string(&report).unwrap();
    // serde_json's float parsing may move a number by an ulp.
    let back: Report = serde_json::from_str(&json).unwrap();
    assert_close(
        &serde_json::to_value(&back).unwrap(),
        &serde_json::to_value(&report).unwrap(),
    );
    assert!(
        json.contains(r#""metric":{"kind":"latency","quantile":0.5}"#),
        "{json}"
    );
    let text = report.to_string();
    println!("{text}");
    assert!(
        text.contains("canary at 10%")
            && text.contains("error rate")
            && text.contains("latency p50"),
        "{text}"
    );
}

/// Equal JSON values, numbers within a relative 1e-12.
fn assert_close(a: &Value, b: &Value) {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!((x - y).abs() <= 1e-12 * x.abs().max(y.abs()), "{x} != {y}");
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len());
            x.iter().zip(y).for_each(|(x, y)| assert_close(x, y));
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(x.keys().collect::<Vec<_>>(), y.keys().collect::<Vec<_>>());
            x.iter()
                .zip(y.values())
                .for_each(|((_, x), y)| assert_close(x, y));
        }
        _ => assert_eq!(a, b),
    }
}

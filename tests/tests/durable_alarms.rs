//! Durable Object alarms, black-box: fired at (not before) the scheduled
//! time, at most one per object, retried with backoff when the handler
//! throws, and fired after a restart (and after kill -9).

mod durable_support;

use durable_support::{eventually, json, Project};
use hearth_tests::kill_9;
use serde_json::Value;
use std::time::Duration;

fn fired(h: &hearth_tests::Hearth, name: &str) -> Vec<Value> {
    json(h, &format!("/alarm/state?name={name}"))["fired"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn alarm_fires_once_not_before_its_time() {
    let p = Project::new();
    let h = p.start();
    let set = json(&h, "/alarm/set?name=once&ms=700");
    let at = set["at"].as_f64().unwrap();
    assert_eq!(set["got"].as_f64(), Some(at), "getAlarm returns the time");
    std::thread::sleep(Duration::from_millis(300));
    assert!(fired(&h, "once").is_empty(), "fired early");
    let list = eventually(Duration::from_secs(10), || {
        let f = fired(&h, "once");
        (!f.is_empty()).then_some(f)
    })
    .expect("alarm never fired");
    assert!(
        list[0]["at"].as_f64().unwrap() >= at,
        "fired before {at}: {list:?}"
    );
    assert_eq!(list[0]["retryCount"], 0);
    assert_eq!(list[0]["isRetry"], false);
    // cleared before the handler ran, and fired only once
    std::thread::sleep(Duration::from_millis(1500));
    let state = json(&h, "/alarm/state?name=once");
    assert_eq!(state["fired"].as_array().unwrap().len(), 1);
    assert_eq!(state["alarm"], Value::Null);
}

#[test]
fn at_most_one_alarm_and_delete_alarm() {
    let p = Project::new();
    let h = p.start();
    let v = json(&h, "/alarm/replace?name=replace");
    assert_eq!(
        v["got"], v["second"],
        "the second setAlarm replaced the first"
    );
    let second = v["second"].as_f64().unwrap();
    let list = eventually(Duration::from_secs(10), || {
        let f = fired(&h, "replace");
        (!f.is_empty()).then_some(f)
    })
    .expect("alarm never fired");
    assert!(list[0]["at"].as_f64().unwrap() >= second);
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(fired(&h, "replace").len(), 1);

    let v = json(&h, "/alarm/delete?name=deleted");
    assert_eq!(v["got"], Value::Null);
    std::thread::sleep(Duration::from_millis(1000));
    assert!(fired(&h, "deleted").is_empty(), "a deleted alarm fired");
}

#[test]
fn failing_alarm_is_retried_with_retry_count() {
    let p = Project::new();
    let h = p.start();
    // The handler throws on its first two runs; retries back off 2 s, 4 s.
    json(&h, "/alarm/set?name=flaky&ms=100&fail=2");
    let list = eventually(Duration::from_secs(20), || {
        let f = fired(&h, "flaky");
        (f.len() >= 3).then_some(f)
    })
    .unwrap_or_else(|| panic!("retries did not happen: {:?}", fired(&h, "flaky")));
    let counts: Vec<_> = list.iter().map(|f| f["retryCount"].clone()).collect();
    let retries: Vec<_> = list.iter().map(|f| f["isRetry"].clone()).collect();
    assert_eq!(counts, vec![0, 1, 2]);
    assert_eq!(retries, vec![false, true, true]);
    let t: Vec<f64> = list.iter().map(|f| f["at"].as_f64().unwrap()).collect();
    assert!(t[1] - t[0] >= 1000.0, "retry backed off too little: {t:?}");
    assert!(t[2] - t[1] >= t[1] - t[0], "backoff does not grow: {t:?}");
    // Succeeded on the third run: no more retries.
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(fired(&h, "flaky").len(), 3);
}

#[test]
fn alarm_fires_after_a_restart() {
    let p = Project::new();
    let h = p.start();
    let set = json(&h, "/alarm/set?name=restart&ms=2000");
    let at = set["at"].as_f64().unwrap();
    drop(h); // killed well before the alarm is due
    assert!(
        now_ms() < at,
        "the server took too long to stop; the test is meaningless"
    );
    let h = p.start();
    let list = eventually(Duration::from_secs(15), || {
        let f = fired(&h, "restart");
        (!f.is_empty()).then_some(f)
    })
    .expect("the alarm did not fire after the restart");
    assert!(list[0]["at"].as_f64().unwrap() >= at);
    assert_eq!(list.len(), 1);
}

#[test]
fn alarm_due_while_down_fires_on_start_after_kill_9() {
    let p = Project::new();
    let h = p.start();
    let set = json(&h, "/alarm/set?name=overdue&ms=500");
    let at = set["at"].as_f64().unwrap();
    kill_9(h);
    std::thread::sleep(Duration::from_millis(1000));
    // Nothing asks for the object: the alarm index alone must wake it.
    let h = p.start();
    let list = eventually(Duration::from_secs(15), || {
        let f = fired(&h, "overdue");
        (!f.is_empty()).then_some(f)
    })
    .expect("the overdue alarm did not fire after restart");
    assert!(list[0]["at"].as_f64().unwrap() >= at);
}

fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        * 1000.0
}

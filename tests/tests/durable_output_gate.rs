//! The output gate for WebSocket messages: a message a Durable Object sends
//! after a storage write reaches the client only once that write is durable.
//! Each object stores N and then sends N while its event (or listener) goes
//! on; the server is SIGKILLed right after the client reads N, and after a
//! restart storage must hold N: a message the client saw is never ahead of
//! durable storage.

mod durable_support;

use durable_support::{json, next_text, send_text, ws_connect, Project};
use hearth_tests::fixture;
use hearth_tests::kill_9;
use std::time::{Duration, Instant};

/// Writes 1..=rounds through `kind`'s object, reading each answer, then
/// kills the server the moment the last answer arrives; returns the value
/// stored after a restart.
fn stored_after_kill(kind: &str, rounds: u32) -> serde_json::Value {
    let p = Project::of(&fixture("durable-gate"));
    let h = p.start();
    let mut ws = ws_connect(&h, &format!("/{kind}/ws?name=kill"));
    for n in 1..=rounds {
        send_text(&mut ws, &format!("w:{n}"));
        assert_eq!(next_text(&mut ws), format!("w:{n}"));
    }
    kill_9(h);
    let h = p.start();
    json(&h, &format!("/{kind}/value?name=kill"))["n"].clone()
}

#[test]
fn hibernated_socket_messages_wait_for_their_writes_to_be_durable() {
    let stored = stored_after_kill("hibernated", 10);
    assert_eq!(
        stored, 10,
        "the client saw 10 but storage holds {stored} after kill -9"
    );
}

#[test]
fn accepted_socket_messages_wait_for_their_writes_to_be_durable() {
    let stored = stored_after_kill("accepted", 10);
    assert_eq!(
        stored, 10,
        "the client saw 10 but storage holds {stored} after kill -9"
    );
}

#[test]
fn held_and_ungated_messages_keep_their_order() {
    let p = Project::of(&fixture("durable-gate"));
    let h = p.start();
    for kind in ["hibernated", "accepted"] {
        let mut ws = ws_connect(&h, &format!("/{kind}/ws?name=order"));
        let sent: Vec<String> = (1..=20)
            .map(|n| format!("{}:{n}", if n % 3 == 0 { "w" } else { "e" }))
            .collect();
        for text in &sent {
            send_text(&mut ws, text);
        }
        let received: Vec<String> = sent.iter().map(|_| next_text(&mut ws)).collect();
        assert_eq!(received, sent, "{kind}: messages out of order");
    }
}

#[test]
fn a_gated_message_leaves_when_its_write_is_durable_not_when_the_event_ends() {
    let p = Project::of(&fixture("durable-gate"));
    let h = p.start();
    let mut ws = ws_connect(&h, "/hibernated/ws?name=slow");
    let start = Instant::now();
    send_text(&mut ws, "slow:1");
    assert_eq!(next_text(&mut ws), "slow:1");
    // The event itself goes on for another second.
    assert!(
        start.elapsed() < Duration::from_millis(800),
        "the message waited {:?}, as if for the end of the event",
        start.elapsed()
    );
}

#[test]
fn writes_in_an_accepted_socket_listener_are_committed_without_a_later_event() {
    let p = Project::of(&fixture("durable-gate"));
    let h = p.start();
    let mut ws = ws_connect(&h, "/accepted/ws?name=silent");
    send_text(&mut ws, "s:7");
    // No answer and no further event: the write must still reach the disk.
    std::thread::sleep(Duration::from_millis(300));
    kill_9(h);
    let h = p.start();
    assert_eq!(json(&h, "/accepted/value?name=silent")["n"], 7);
}

//! The Durable Object examples, run as a user would, with real WebSocket
//! clients: examples/counter, examples/full-tilt, examples/chat.

mod durable_support;

use durable_support::{
    eventually, expect_close, json, next_message, next_text, send_text, ws_connect, Message,
    Project, Ws,
};
use hearth_tests::{repo_root, request, Hearth};
use serde_json::{json as j, Value};
use std::time::Duration;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::CloseFrame;

fn example(name: &str) -> Project {
    Project::of(&repo_root().join("examples").join(name))
}

fn start(p: &Project, extra: &[&str]) -> Hearth {
    let state = p.state_arg();
    let mut args = vec!["--persist-to", state.as_str()];
    args.extend_from_slice(extra);
    Hearth::start(p.dir.path(), &args)
}

fn next_json(ws: &mut Ws) -> Value {
    let text = next_text(ws);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

// ---- counter -------------------------------------------------------------

#[test]
fn counter_counts_per_name_over_fetch_and_rpc_and_persists() {
    let p = example("counter");
    let h = p.start();
    let post = |path: &str| request(&format!("{}{path}", h.url), "POST", &[], None);
    assert_eq!(post("/increment?name=a"), (200, "1".into()));
    assert_eq!(post("/increment?name=a"), (200, "2".into()));
    assert_eq!(h.get("/rpc?name=a"), (200, "3".into()));
    assert_eq!(post("/increment?name=b"), (200, "1".into()));
    assert_eq!(h.get("/?name=a"), (200, "3".into()));
    drop(h);
    let h = p.start();
    assert_eq!(h.get("/?name=a"), (200, "3".into()));
    assert_eq!(h.get("/rpc?name=b"), (200, "2".into()));
}

// ---- full-tilt -----------------------------------------------------------

const ALPHABET: &str = "2345679ADEFGHJKLMNPQRSTUVWXYZ";

fn create_room(h: &Hearth) -> Value {
    let (status, body) = request(&format!("{}/api/room", h.url), "POST", &[], Some(b"{}"));
    assert_eq!(status, 201, "{body}");
    serde_json::from_str::<Value>(&body).unwrap()["room"].clone()
}

#[test]
fn full_tilt_relays_between_host_and_peers() {
    let p = example("full-tilt");
    let h = p.start();
    let (status, page) = h.get("/");
    assert_eq!(status, 200);
    assert!(page.contains("Create room"));
    let (status, page) = h.get("/controller?room=ABCD");
    assert_eq!(status, 200);
    assert!(page.contains("deviceorientation"));

    let room = create_room(&h);
    let code = room["roomCode"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 4);
    assert!(code.chars().all(|c| ALPHABET.contains(c)), "{code}");
    assert_eq!(room["durableObjectId"].as_str().unwrap().len(), 64);
    assert_eq!(json(&h, &format!("/api/room/{code}"))["room"], room);
    assert_eq!(h.get("/api/room/ZZZZZ").0, 404);

    let ws_path = |role: &str| format!("/api/room/{code}/websocket?role={role}");
    let mut host = ws_connect(&h, &ws_path("host"));
    assert_eq!(next_json(&mut host)["type"], "welcome");
    let mut peer1 = ws_connect(&h, &ws_path("peer"));
    let p1 = next_json(&mut peer1)["id"].clone();
    assert_eq!(
        next_json(&mut host),
        j!({"type": "peer-joined", "peer": p1})
    );
    let mut peer2 = ws_connect(&h, &ws_path("peer"));
    let p2 = next_json(&mut peer2)["id"].clone();
    assert_ne!(p1, p2);
    assert_eq!(
        next_json(&mut host),
        j!({"type": "peer-joined", "peer": p2})
    );

    // peer → host
    send_text(&mut peer1, r#"{"x":1,"y":-2}"#);
    assert_eq!(
        next_json(&mut host),
        j!({"type": "peer-message", "peer": p1, "data": "{\"x\":1,\"y\":-2}"})
    );
    send_text(&mut peer2, "tilt");
    assert_eq!(
        next_json(&mut host),
        j!({"type": "peer-message", "peer": p2, "data": "tilt"})
    );
    // host → all peers
    send_text(&mut host, "score 10");
    assert_eq!(next_text(&mut peer1), "score 10");
    assert_eq!(next_text(&mut peer2), "score 10");
    // binary both ways
    peer2.send(Message::binary(vec![1u8, 2, 3])).unwrap();
    assert_eq!(next_message(&mut host), Message::binary(vec![1u8, 2, 3]));
    host.send(Message::binary(vec![9u8])).unwrap();
    assert_eq!(next_message(&mut peer1), Message::binary(vec![9u8]));
    assert_eq!(next_message(&mut peer2), Message::binary(vec![9u8]));

    // a peer disconnects: the host is told, the other peer still gets messages
    peer1
        .close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "phone locked".into(),
        }))
        .unwrap();
    let _ = expect_close(&mut peer1);
    assert_eq!(next_json(&mut host), j!({"type": "peer-left", "peer": p1}));
    send_text(&mut host, "still playing");
    assert_eq!(next_text(&mut peer2), "still playing");

    // a second room is independent
    let other = create_room(&h);
    assert_ne!(other["durableObjectId"], room["durableObjectId"]);
    let mut other_host = ws_connect(
        &h,
        &format!(
            "/api/room/{}/websocket?role=host",
            other["roomCode"].as_str().unwrap()
        ),
    );
    assert_eq!(next_json(&mut other_host)["type"], "welcome");

    // the host leaves: peers are told
    host.close(None).unwrap();
    let _ = expect_close(&mut host);
    assert_eq!(next_json(&mut peer2)["type"], "host-left");
}

#[test]
fn full_tilt_codes_expire_and_are_reused() {
    let p = example("full-tilt");
    // One-character codes (29 of them) that expire after 1.5 s.
    let h = start(
        &p,
        &[
            "--var",
            "ROOM_CODE_LENGTH:1",
            "--var",
            "MAX_ROOM_AGE_MS:1500",
        ],
    );
    let mut codes = std::collections::BTreeSet::new();
    let mut first = None;
    for _ in 0..29 {
        let room = create_room(&h);
        first.get_or_insert(room.clone());
        assert!(codes.insert(room["roomCode"].as_str().unwrap().to_string()));
    }
    assert_eq!(codes.len(), 29, "every code handed out once");
    let (status, body) = request(&format!("{}/api/room", h.url), "POST", &[], Some(b"{}"));
    assert_eq!(status, 503, "all codes taken: {body}");
    assert!(body.contains("Couldn't find available room code"));

    let first = first.unwrap();
    let code = first["roomCode"].as_str().unwrap();
    let gone = eventually(Duration::from_secs(10), || {
        (h.get(&format!("/api/room/{code}")).0 == 404).then_some(())
    });
    assert!(gone.is_some(), "room {code} never expired");
    // expired codes are handed out again, pointing at new game rooms
    let again = create_room(&h);
    assert!(codes.contains(again["roomCode"].as_str().unwrap()));
    assert_ne!(again["durableObjectId"], first["durableObjectId"]);
    assert_eq!(
        json(
            &h,
            &format!("/api/room/{}", again["roomCode"].as_str().unwrap())
        )["room"],
        again
    );
}

// ---- chat ----------------------------------------------------------------

fn join(h: &Hearth, room: &str, name: &str) -> (Ws, Vec<Value>) {
    let mut ws = ws_connect(h, &format!("/api/room/{room}/websocket"));
    let mut backlog = Vec::new();
    loop {
        let m = next_json(&mut ws);
        if m["ready"] == true {
            break;
        }
        backlog.push(m);
    }
    send_text(&mut ws, &format!(r#"{{"name":"{name}"}}"#));
    (ws, backlog)
}

/// Next chat message, skipping join/quit notices.
fn next_chat(ws: &mut Ws) -> Value {
    loop {
        let m = next_json(ws);
        if m.get("joined").is_none() && m.get("quit").is_none() {
            return m;
        }
    }
}

#[test]
fn chat_broadcasts_rate_limits_and_keeps_history_across_restarts() {
    let p = example("chat");
    let h = p.start();
    let (mut alice, backlog) = join(&h, "lobby", "alice");
    assert!(backlog.is_empty());
    assert_eq!(next_json(&mut alice), j!({"joined": "alice"}));
    let (mut bob, _) = join(&h, "lobby", "bob");
    assert_eq!(next_json(&mut alice), j!({"joined": "bob"}));

    send_text(&mut alice, r#"{"message":"hi bob"}"#);
    for ws in [&mut alice, &mut bob] {
        let m = next_chat(ws);
        assert_eq!(
            (m["name"].as_str(), m["message"].as_str()),
            (Some("alice"), Some("hi bob"))
        );
    }
    send_text(&mut bob, r#"{"message":"hi alice"}"#);
    assert_eq!(next_chat(&mut alice)["message"], "hi alice");
    assert_eq!(next_chat(&mut bob)["message"], "hi alice");

    // Same IP (loopback): a burst of 5 per IP, then limited. Two are used.
    let mut accepted = 0;
    let mut limited = 0;
    for i in 0..6 {
        send_text(&mut alice, &format!(r#"{{"message":"spam {i}"}}"#));
        let m = next_chat(&mut alice);
        if m.get("error").is_some() {
            assert!(m["error"].as_str().unwrap().contains("rate-limited"), "{m}");
            limited += 1;
        } else {
            assert_eq!(m["message"], format!("spam {i}"));
            accepted += 1;
        }
    }
    assert_eq!((accepted, limited), (3, 3), "burst of 5 per IP");
    // another room has its own history but shares the IP's limiter
    let (mut carol, backlog) = join(&h, "other", "carol");
    assert!(backlog.is_empty());
    assert_eq!(next_json(&mut carol), j!({"joined": "carol"}));
    send_text(&mut carol, r#"{"message":"elsewhere"}"#);
    assert!(next_chat(&mut carol).get("error").is_some());

    let expected: Vec<&str> = vec!["hi bob", "hi alice", "spam 0", "spam 1", "spam 2"];
    let history = json(&h, "/api/room/lobby/history");
    let texts: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message"].as_str().unwrap())
        .collect();
    assert_eq!(texts, expected);

    // Restart on the same --persist-to: history is still there.
    drop((alice, bob, carol));
    drop(h);
    let h = p.start();
    let history = json(&h, "/api/room/lobby/history");
    let texts: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message"].as_str().unwrap())
        .collect();
    assert_eq!(texts, expected, "history after restart");
    let (mut dave, backlog) = join(&h, "lobby", "dave");
    let texts: Vec<&str> = backlog
        .iter()
        .map(|m| m["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts, expected,
        "backlog sent to a new client after restart"
    );
    assert_eq!(backlog[0]["name"], "alice");
    assert_eq!(next_json(&mut dave), j!({"joined": "dave"}));
    // the limiter was in memory: a fresh process allows a new burst
    send_text(&mut dave, r#"{"message":"back again"}"#);
    assert_eq!(next_chat(&mut dave)["message"], "back again");
}

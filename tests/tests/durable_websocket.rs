//! WebSockets, black-box with a real client (tungstenite): WebSocketPair in
//! a plain worker and in a Durable Object, text and binary frames, close
//! codes in both directions, and the hibernation API (tags, broadcast via
//! getWebSockets, attachments surviving eviction, auto-response).

mod durable_support;

use durable_support::{
    eventually, expect_close, json, next_message, next_text, send_text, ws_connect, Message,
    Project,
};
use serde_json::json as j;
use std::time::Duration;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::CloseFrame;

#[test]
fn worker_pair_echoes_text_and_binary_and_closes_with_code() {
    let p = Project::new();
    let h = p.start();
    let mut ws = ws_connect(&h, "/ws");
    send_text(&mut ws, "hello");
    assert_eq!(next_text(&mut ws), "worker: hello");
    ws.send(Message::binary(vec![0u8, 1, 254, 255])).unwrap();
    assert_eq!(
        next_message(&mut ws),
        Message::binary(vec![255u8, 254, 1, 0]),
        "binary frames stay binary"
    );
    // many messages keep their order
    for i in 0..100 {
        send_text(&mut ws, &format!("m{i}"));
    }
    for i in 0..100 {
        assert_eq!(next_text(&mut ws), format!("worker: m{i}"));
    }
    send_text(&mut ws, "close:4001");
    assert_eq!(expect_close(&mut ws), (4001, "bye from worker".into()));
}

#[test]
fn upgrade_without_websocket_header_is_an_ordinary_response() {
    let p = Project::new();
    let h = p.start();
    assert_eq!(h.get("/ws"), (426, "expected websocket".into()));
}

#[test]
fn durable_object_pair_is_returned_through_the_stub() {
    let p = Project::new();
    let h = p.start();
    let mut a = ws_connect(&h, "/dows?name=sock");
    let mut b = ws_connect(&h, "/dows?name=sock");
    send_text(&mut a, "one");
    send_text(&mut b, "two");
    assert_eq!(next_text(&mut a), "object sock: one");
    assert_eq!(next_text(&mut b), "object sock: two");
    a.send(Message::binary(vec![0x0fu8])).unwrap();
    assert_eq!(next_message(&mut a), Message::binary(vec![0xf0u8]));
    send_text(&mut b, "close:4002");
    assert_eq!(expect_close(&mut b), (4002, "bye from object sock".into()));
    // a is unaffected by b's close
    send_text(&mut a, "still here");
    assert_eq!(next_text(&mut a), "object sock: still here");
}

#[test]
fn hibernation_tags_broadcast_close_codes_and_auto_response() {
    let p = Project::new();
    let h = p.start();
    let mut red1 = ws_connect(&h, "/room?name=r1&tag=red&user=ann");
    let mut red2 = ws_connect(&h, "/room?name=r1&tag=red&user=bob");
    let mut blue = ws_connect(&h, "/room?name=r1&tag=blue&user=cat");

    send_text(&mut red1, "who");
    let who: serde_json::Value = serde_json::from_str(&next_text(&mut red1)).unwrap();
    assert_eq!(who["user"], "ann");
    assert_eq!(who["tag"], "red");
    assert_eq!(who["joinedIsDate"], true);
    assert_eq!(who["joined"], 1234);
    assert_eq!(who["tags"], j!(["red", "all"]));

    // getWebSockets(tag) reaches exactly the tagged sockets
    send_text(&mut blue, "to:red:hi reds");
    assert_eq!(next_text(&mut red1), "cat: hi reds");
    assert_eq!(next_text(&mut red2), "cat: hi reds");
    send_text(&mut red2, "to:all:hi all");
    for ws in [&mut red1, &mut red2, &mut blue] {
        assert_eq!(next_text(ws), "bob: hi all");
    }
    // blue got nothing else: its next message is the answer to its own request
    send_text(&mut blue, "plain");
    assert_eq!(next_text(&mut blue), "echo plain");

    // binary through the hibernation handler
    blue.send(Message::binary(vec![1u8, 2, 3])).unwrap();
    assert_eq!(next_message(&mut blue), Message::binary(vec![3u8, 2, 1]));

    // auto-response answers without waking the handler
    let before = json(&h, "/room/stats?name=r1")["handled"].clone();
    send_text(&mut red1, "ping");
    assert_eq!(next_text(&mut red1), "pong");
    assert_eq!(json(&h, "/room/stats?name=r1")["handled"], before);
    assert_eq!(json(&h, "/room/stats?name=r1")["sockets"], 3);

    // server-initiated close with a code
    send_text(&mut red2, "close:4003");
    assert_eq!(expect_close(&mut red2), (4003, "closing as asked".into()));

    // client-initiated close: webSocketClose sees the code and reason
    blue.close(Some(CloseFrame {
        code: CloseCode::from(4100),
        reason: "gone fishing".into(),
    }))
    .unwrap();
    let _ = expect_close(&mut blue);
    let closes = eventually(Duration::from_secs(5), || {
        let s = json(&h, "/room/stats?name=r1");
        let closes = s["closes"].as_array().unwrap().clone();
        closes.iter().any(|c| c["user"] == "cat").then_some(closes)
    })
    .expect("webSocketClose never ran for the client's close");
    let cat = closes.iter().find(|c| c["user"] == "cat").unwrap();
    assert_eq!(cat["code"], 4100);
    assert_eq!(cat["reason"], "gone fishing");
    let remaining = eventually(Duration::from_secs(5), || {
        let n = json(&h, "/room/stats?name=r1")["sockets"].as_u64().unwrap();
        (n == 1).then_some(n)
    });
    assert_eq!(remaining, Some(1), "closed sockets left getWebSockets()");
    send_text(&mut red1, "who");
    assert!(next_text(&mut red1).contains("\"ann\""));
}

#[test]
fn hibernated_object_is_evicted_and_woken_with_attachments_intact() {
    let p = Project::new();
    let h = p.start_with_env(&[("HEARTH_DO_IDLE_MS", "300")]);
    let mut ws = ws_connect(&h, "/room?name=sleepy&tag=green&user=dora");
    let mut other = ws_connect(&h, "/room?name=sleepy&tag=green&user=eve");
    send_text(&mut ws, "who");
    let first: serde_json::Value = serde_json::from_str(&next_text(&mut ws)).unwrap();
    assert_eq!(first["boots"], 1);
    // Only hibernated sockets: the object is evicted while they stay open.
    std::thread::sleep(Duration::from_millis(2000));
    send_text(&mut ws, "who");
    let woken: serde_json::Value = serde_json::from_str(&next_text(&mut ws)).unwrap();
    assert_eq!(
        woken["boots"], 2,
        "the constructor ran again after eviction"
    );
    assert_eq!(woken["user"], "dora");
    assert_eq!(woken["tag"], "green");
    assert_eq!(woken["joinedIsDate"], true);
    assert_eq!(woken["joined"], 1234);
    assert_eq!(woken["tags"], j!(["green", "all"]));
    // both sockets are still known to the woken object
    send_text(&mut ws, "to:green:after sleep");
    assert_eq!(next_text(&mut ws), "dora: after sleep");
    assert_eq!(next_text(&mut other), "dora: after sleep");
    // auto-response works while evicted, without a constructor run
    std::thread::sleep(Duration::from_millis(1500));
    send_text(&mut other, "ping");
    assert_eq!(next_text(&mut other), "pong");
    // A close that wakes an evicted object still sees the attachment.
    std::thread::sleep(Duration::from_millis(1500));
    other
        .close(Some(CloseFrame {
            code: CloseCode::from(4200),
            reason: "bye".into(),
        }))
        .unwrap();
    let _ = expect_close(&mut other);
    let closes = eventually(Duration::from_secs(5), || {
        let s = json(&h, "/room/stats?name=sleepy");
        let closes = s["closes"].as_array().unwrap().clone();
        (!closes.is_empty()).then_some(closes)
    })
    .unwrap_or_else(|| panic!("webSocketClose did not complete:\n{}", h.logs()));
    assert_eq!(
        closes,
        vec![j!({"user": "eve", "code": 4200, "reason": "bye"})]
    );
}

use crate::{ContentType, NewMessage, QueueError, QueueStore, Settle};

fn text(s: &str) -> NewMessage {
    NewMessage {
        content_type: ContentType::Text,
        body: s.as_bytes().to_vec(),
        delay_seconds: None,
    }
}

#[test]
fn send_lease_ack_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = QueueStore::open(dir.path()).unwrap();
    let ids = store.send("jobs", vec![text("a"), text("b")], 0).unwrap();
    assert_eq!(ids.len(), 2);
    let now = crate::now_ms();
    let batch = store.lease("jobs", 10, 60_000, now).unwrap();
    assert_eq!(
        batch.iter().map(|m| m.body.clone()).collect::<Vec<_>>(),
        vec![b"a".to_vec(), b"b".to_vec()]
    );
    assert!(batch.iter().all(|m| m.attempts == 1));
    // Leased messages are not handed out twice.
    assert!(store.lease("jobs", 10, 60_000, now).unwrap().is_empty());
    assert_eq!(store.info("jobs").unwrap().in_flight, 2);
    let report = store
        .settle("jobs", &[(ids[0].clone(), Settle::Ack)], 3, None, now)
        .unwrap();
    assert_eq!(report.acked, 1);
    // After a restart the unsettled lease is released.
    assert_eq!(store.release_leases().unwrap(), 1);
    let again = store.lease("jobs", 10, 60_000, now).unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, ids[1]);
    assert_eq!(again[0].attempts, 2);
}

#[test]
fn retries_with_delay_then_dead_letter() {
    let dir = tempfile::tempdir().unwrap();
    let store = QueueStore::open(dir.path()).unwrap();
    let id = store.send("work", vec![text("x")], 0).unwrap().remove(0);
    let mut now = crate::now_ms();
    for attempt in 1..=3 {
        let batch = store.lease("work", 10, 60_000, now).unwrap();
        assert_eq!(batch[0].attempts, attempt);
        store
            .settle(
                "work",
                &[(id.clone(), Settle::Retry { delay_seconds: 5 })],
                2,
                Some("dlq"),
                now,
            )
            .unwrap();
        // Not deliverable before its retry delay.
        assert!(store
            .lease("work", 10, 60_000, now + 4_000)
            .unwrap()
            .is_empty());
        now += 5_000;
    }
    assert!(store.lease("work", 10, 60_000, now).unwrap().is_empty());
    let dead = store.lease("dlq", 10, 60_000, now).unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].id, id);
    assert_eq!(dead[0].attempts, 1);
    assert_eq!(store.info("work").unwrap().dead_lettered, 1);
}

#[test]
fn delays_and_limits() {
    let dir = tempfile::tempdir().unwrap();
    let store = QueueStore::open(dir.path()).unwrap();
    let mut late = text("later");
    late.delay_seconds = Some(30);
    store.send("q", vec![late, text("now")], 0).unwrap();
    let now = crate::now_ms();
    let ready = store.ready("q", now).unwrap();
    assert_eq!(ready.count, 1);
    assert!(ready.next_visible_ms.unwrap() >= now + 29_000);
    let big = NewMessage {
        content_type: ContentType::Bytes,
        body: vec![0; 128_001],
        delay_seconds: None,
    };
    let e = store.send("q", vec![big], 0).unwrap_err();
    assert_eq!(
        e.to_string(),
        "message length of 128001 bytes exceeds limit of 128000"
    );
    let many: Vec<NewMessage> = (0..101).map(|_| text("m")).collect();
    let e = store.send("q", many, 0).unwrap_err();
    assert_eq!(
        e.to_string(),
        "batch message count of 101 exceeds limit of 100"
    );
    let heavy: Vec<NewMessage> = (0..3)
        .map(|_| NewMessage {
            content_type: ContentType::Bytes,
            body: vec![1; 100_000],
            delay_seconds: None,
        })
        .collect();
    let e = store.send("q", heavy, 0).unwrap_err();
    assert_eq!(
        e.to_string(),
        "batch size of 300000 bytes exceeds limit of 256000"
    );
    let mut long = text("x");
    long.delay_seconds = Some(43_201);
    assert!(matches!(
        store.send("q", vec![long], 0),
        Err(QueueError::Limit(_))
    ));
}

#[test]
fn create_list_delete() {
    let dir = tempfile::tempdir().unwrap();
    let store = QueueStore::open(dir.path()).unwrap();
    store.create_queue("one").unwrap();
    assert!(matches!(
        store.create_queue("one"),
        Err(QueueError::Exists(_))
    ));
    assert!(matches!(
        store.create_queue("Bad Name"),
        Err(QueueError::BadName(_))
    ));
    store.send("one", vec![text("a")], 0).unwrap();
    let list = store.list().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].backlog, 1);
    store.delete_queue("one").unwrap();
    assert!(store.list().unwrap().is_empty());
    assert!(matches!(
        store.delete_queue("one"),
        Err(QueueError::NotFound(_))
    ));
}

//! Black-box tests of the embedded store.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hearth_kv::{BulkPair, KvBackend, KvError, KvStore, ListOptions, PutOptions};

fn open(name: &str) -> (KvStore, String) {
    let store = KvStore::open(&common::temp_dir(name)).unwrap();
    let ns = store.create_namespace("test").unwrap();
    (store, ns.id)
}

#[tokio::test]
async fn put_get_delete_roundtrip() {
    let (s, ns) = open("roundtrip");
    assert_eq!(s.get(&ns, "k").unwrap(), None);
    s.put(
        &ns,
        "k",
        b"v1".to_vec(),
        PutOptions {
            metadata: Some(r#"{"a": 1}"#.into()),
            expiration_ttl: Some(600),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let e = s.get(&ns, "k").unwrap().unwrap();
    assert_eq!(e.value, b"v1");
    assert_eq!(e.metadata.as_deref(), Some(r#"{"a":1}"#));
    let exp = e.expiration.unwrap();
    assert!(exp >= s.now() + 590 && exp <= s.now() + 600);
    // Overwrite clears metadata and expiration.
    s.put(&ns, "k", b"v2".to_vec(), PutOptions::default())
        .await
        .unwrap();
    let e = s.get(&ns, "k").unwrap().unwrap();
    assert_eq!(
        (e.value.as_slice(), e.expiration, e.metadata),
        (&b"v2"[..], None, None)
    );
    s.delete(&ns, "k").await.unwrap();
    assert_eq!(s.get(&ns, "k").unwrap(), None);
    // Deleting a missing key succeeds.
    s.delete(&ns, "k").await.unwrap();
    // Through the trait object too.
    let b: &dyn KvBackend = &s;
    b.put(&ns, "t", b"x".to_vec(), PutOptions::default())
        .await
        .unwrap();
    assert_eq!(
        b.get_many(&ns, &["t".into(), "nope".into()]).unwrap()[0]
            .as_ref()
            .unwrap()
            .value,
        b"x"
    );
}

#[tokio::test]
async fn failed_operations_change_nothing() {
    let (s, ns) = open("failed");
    s.put(&ns, "k", b"old".to_vec(), PutOptions::default())
        .await
        .unwrap();
    let bad = [
        PutOptions {
            metadata: Some("{".into()),
            ..Default::default()
        },
        PutOptions {
            metadata: Some(format!("\"{}\"", "x".repeat(1100))),
            ..Default::default()
        },
        PutOptions {
            expiration_ttl: Some(59),
            ..Default::default()
        },
        PutOptions {
            expiration: Some(s.now() as i64 + 10),
            ..Default::default()
        },
    ];
    for o in bad {
        assert!(s.put(&ns, "k", b"new".to_vec(), o).await.is_err());
    }
    let err = s
        .put(
            &ns,
            "k",
            vec![0; 25 * 1024 * 1024 + 1],
            PutOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "KV PUT failed: 413 Value length of 26214401 exceeds limit of 26214400."
    );
    assert_eq!(s.get(&ns, "k").unwrap().unwrap().value, b"old");
    // A bulk write with one bad pair writes nothing.
    let pairs = vec![
        BulkPair {
            key: "b1".into(),
            value: b"1".to_vec(),
            ..Default::default()
        },
        BulkPair {
            key: ".".into(),
            value: b"2".to_vec(),
            ..Default::default()
        },
    ];
    assert!(matches!(
        s.bulk_put(&ns, pairs).await,
        Err(KvError::IllegalKey { .. })
    ));
    assert_eq!(s.get(&ns, "b1").unwrap(), None);
    // Writes to a missing namespace fail with 404.
    let e = s
        .put("nope", "k", b"v".to_vec(), PutOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(e, KvError::NamespaceNotFound { .. }), "{e}");
    assert_eq!(e.status(), 404);
    // Key validation on reads.
    assert_eq!(
        s.get(&ns, ".").unwrap_err().to_string(),
        "KV GET failed: 400 Illegal key name \".\". Please use a different name."
    );
    assert!(s.get(&ns, "").is_err());
    let many: Vec<String> = (0..101).map(|i| i.to_string()).collect();
    assert!(matches!(
        s.get_many(&ns, &many),
        Err(KvError::TooManyKeys { count: 101 })
    ));
}

#[tokio::test]
async fn values_up_to_25_mib() {
    let (s, ns) = open("big");
    let v: Vec<u8> = (0..25 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    s.put(&ns, "big", v.clone(), PutOptions::default())
        .await
        .unwrap();
    s.put(&ns, "small", b"x".to_vec(), PutOptions::default())
        .await
        .unwrap();
    assert_eq!(s.get(&ns, "big").unwrap().unwrap().value, v);
    let t = Instant::now();
    let page = s.list(&ns, &ListOptions::default()).unwrap();
    assert_eq!(page.keys.len(), 2);
    assert!(
        t.elapsed() < Duration::from_millis(200),
        "list read values?"
    );
}

#[tokio::test]
async fn namespaces() {
    let dir = common::temp_dir("ns");
    let s = KvStore::open(&dir).unwrap();
    let a = s.create_namespace("alpha").unwrap();
    assert_eq!(a.id.len(), 32);
    assert!(matches!(
        s.create_namespace("alpha"),
        Err(KvError::NamespaceExists { .. })
    ));
    let cfg = s
        .ensure_namespace("0f2ac74b498b48028cb68387c421e279", "TODOS")
        .unwrap();
    assert_eq!(cfg.id, "0f2ac74b498b48028cb68387c421e279");
    // Idempotent, keeps the title.
    assert_eq!(s.ensure_namespace(&cfg.id, "other").unwrap().title, "TODOS");
    s.rename_namespace(&a.id, "beta").unwrap();
    let titles: Vec<_> = s
        .list_namespaces()
        .unwrap()
        .into_iter()
        .map(|n| n.title)
        .collect();
    assert_eq!(titles, vec!["TODOS", "beta"]);
    s.put(&a.id, "k", b"v".to_vec(), PutOptions::default())
        .await
        .unwrap();
    s.delete_namespace(&a.id).unwrap();
    assert!(matches!(
        s.delete_namespace(&a.id),
        Err(KvError::NamespaceNotFound { .. })
    ));
    assert_eq!(s.stats().unwrap(), (0, 0));
    // Namespaces persist across reopen.
    drop(s);
    let s = KvStore::open(&dir).unwrap();
    assert_eq!(s.list_namespaces().unwrap().len(), 1);
}

#[tokio::test]
async fn list_order_prefix_and_cursor() {
    let (s, ns) = open("list");
    let keys = ["b", "a", "ab", "a/b", "Z", "é", "😀", "a\u{1}", "aa", "ä"];
    for k in keys {
        s.put(&ns, k, k.as_bytes().to_vec(), PutOptions::default())
            .await
            .unwrap();
    }
    let mut expected: Vec<&str> = keys.to_vec();
    expected.sort_by(|x, y| x.as_bytes().cmp(y.as_bytes()));
    let all: Vec<String> = s
        .list(&ns, &ListOptions::default())
        .unwrap()
        .keys
        .into_iter()
        .map(|k| k.name)
        .collect();
    assert_eq!(all, expected);
    // Prefix.
    let pre: Vec<String> = s
        .list(
            &ns,
            &ListOptions {
                prefix: Some("a".into()),
                ..Default::default()
            },
        )
        .unwrap()
        .keys
        .into_iter()
        .map(|k| k.name)
        .collect();
    assert_eq!(pre, vec!["a", "a\u{1}", "a/b", "aa", "ab"]);
    // Pages of 3 with cursor.
    let mut got = Vec::new();
    let mut cursor = None;
    loop {
        let p = s
            .list(
                &ns,
                &ListOptions {
                    limit: Some(3),
                    cursor: cursor.clone(),
                    prefix: None,
                },
            )
            .unwrap();
        assert!(p.keys.len() <= 3);
        got.extend(p.keys.into_iter().map(|k| k.name));
        if p.list_complete {
            assert!(p.cursor.is_none());
            break;
        }
        cursor = p.cursor;
        assert!(cursor.is_some());
    }
    assert_eq!(got, expected);
    assert!(matches!(
        s.list(
            &ns,
            &ListOptions {
                limit: Some(1001),
                ..Default::default()
            }
        ),
        Err(KvError::InvalidListLimit { limit: 1001 })
    ));
    assert!(matches!(
        s.list(
            &ns,
            &ListOptions {
                cursor: Some("!!".into()),
                ..Default::default()
            }
        ),
        Err(KvError::InvalidCursor { .. })
    ));
    assert!(matches!(
        s.list("missing", &ListOptions::default()),
        Err(KvError::NamespaceNotFound { .. })
    ));
}

#[tokio::test]
async fn cursor_survives_concurrent_changes() {
    let (s, ns) = open("listchange");
    let stable: Vec<String> = (0..2500).map(|i| format!("key{i:05}")).collect();
    for chunk in stable.chunks(1000) {
        let pairs = chunk
            .iter()
            .map(|k| BulkPair {
                key: k.clone(),
                value: b"v".to_vec(),
                ..Default::default()
            })
            .collect();
        s.bulk_put(&ns, pairs).await.unwrap();
    }
    // Volatile keys are inserted and deleted while the list pages through.
    let writer = {
        let s = s.clone();
        let ns = ns.clone();
        tokio::spawn(async move {
            for i in 0..300 {
                let k = format!("key{:05}x", (i * 7) % 2500);
                s.put(&ns, &k, b"tmp".to_vec(), PutOptions::default())
                    .await
                    .unwrap();
                if i % 2 == 0 {
                    s.delete(&ns, &k).await.unwrap();
                }
            }
        })
    };
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let p = s
            .list(
                &ns,
                &ListOptions {
                    limit: Some(100),
                    cursor: cursor.clone(),
                    prefix: Some("key".into()),
                },
            )
            .unwrap();
        seen.extend(p.keys.into_iter().map(|k| k.name));
        if p.list_complete {
            break;
        }
        cursor = p.cursor;
        tokio::task::yield_now().await;
    }
    writer.await.unwrap();
    // Strictly increasing (no duplicates, byte order) and every stable key seen once.
    assert!(seen.windows(2).all(|w| w[0].as_bytes() < w[1].as_bytes()));
    let seen_stable: Vec<&String> = seen.iter().filter(|k| !k.ends_with('x')).collect();
    assert_eq!(seen_stable.len(), stable.len());
}

#[tokio::test]
async fn expiration_hidden_then_purged() {
    let (s, ns) = open("expire");
    let big = vec![7u8; 4 * 1024 * 1024];
    for i in 0..5 {
        s.put(
            &ns,
            &format!("tmp{i}"),
            big.clone(),
            PutOptions {
                expiration_ttl: Some(60),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    let abs = s.now() as i64 + 3600;
    s.put(
        &ns,
        "later",
        b"x".to_vec(),
        PutOptions {
            expiration: Some(abs),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    s.put(&ns, "forever", b"x".to_vec(), PutOptions::default())
        .await
        .unwrap();
    assert_eq!(s.list(&ns, &ListOptions::default()).unwrap().keys.len(), 7);
    let file_size = || std::fs::metadata(s.path()).unwrap().len();
    s.purge_expired().unwrap(); // checkpoint-free baseline: nothing expired yet
    assert_eq!(s.stats().unwrap().0, 7);

    s.set_clock_offset(61);
    assert_eq!(s.get(&ns, "tmp0").unwrap(), None);
    assert_eq!(s.get_info(&ns, "tmp0").unwrap(), None);
    assert!(s.get_many(&ns, &["tmp1", "later"]).unwrap()[0].is_none());
    let names: Vec<String> = s
        .list(&ns, &ListOptions::default())
        .unwrap()
        .keys
        .into_iter()
        .map(|k| k.name)
        .collect();
    assert_eq!(names, vec!["forever", "later"]);
    // Still stored until purged.
    assert_eq!(s.stats().unwrap().0, 7);
    let before = file_size();
    assert_eq!(s.purge_expired().unwrap(), 5);
    assert_eq!(s.stats().unwrap(), (2, 2));
    // Space is reclaimed by incremental vacuum (visible once the WAL is checkpointed).
    let dir = s.path().parent().unwrap().to_path_buf();
    drop(s);
    let s = KvStore::open(&dir).unwrap();
    let after = std::fs::metadata(s.path()).unwrap().len();
    assert!(
        after < 4 * 1024 * 1024,
        "file still {after} bytes (was {before})"
    );
    s.set_clock_offset(3601);
    assert_eq!(s.get(&ns, "later").unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_purge_runs() {
    let dir = common::temp_dir("bgpurge");
    let s = KvStore::open_with_interval(&dir, Duration::from_millis(100)).unwrap();
    let ns = s.create_namespace("t").unwrap().id;
    s.put(
        &ns,
        "k",
        b"v".to_vec(),
        PutOptions {
            expiration_ttl: Some(60),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    s.set_clock_offset(120);
    let t = Instant::now();
    while s.stats().unwrap().0 != 0 {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "background purge did not run"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commit_under_concurrent_writers() {
    let (s, ns) = open("group");
    let before = s.commit_count();
    let n = 1000;
    let t = Instant::now();
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let s = s.clone();
            let ns = ns.clone();
            tokio::spawn(async move {
                s.put(
                    &ns,
                    &format!("k{i:04}"),
                    format!("v{i}").into_bytes(),
                    PutOptions::default(),
                )
                .await
                .unwrap();
                // Acknowledged means readable.
                assert!(s.get(&ns, &format!("k{i:04}")).unwrap().is_some());
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let commits = s.commit_count() - before;
    eprintln!(
        "{n} concurrent puts in {:?} with {commits} commits",
        t.elapsed()
    );
    assert!(
        commits < n / 4,
        "{commits} commits for {n} writes: no group commit?"
    );
    assert_eq!(
        s.list(&ns, &ListOptions::default()).unwrap().keys.len(),
        n as usize
    );
}

#[tokio::test]
async fn writes_apply_in_call_order() {
    let (s, ns) = open("order");
    let f1 = s.put(&ns, "k", b"1".to_vec(), PutOptions::default());
    let f2 = s.put(&ns, "k", b"2".to_vec(), PutOptions::default());
    // Await in reverse: the value is still the last one called.
    f2.await.unwrap();
    f1.await.unwrap();
    assert_eq!(s.get(&ns, "k").unwrap().unwrap().value, b"2");
}

#[test]
fn two_stores_share_a_database() {
    // Like `hearth kv` running while `hearth dev` has the database open.
    let dir = common::temp_dir("shared");
    let a = KvStore::open(&dir).unwrap();
    let b = KvStore::open(&dir).unwrap();
    let ns = a.create_namespace("x").unwrap().id;
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let fa: Vec<_> = (0..50)
            .map(|i| a.put(&ns, &format!("a{i}"), b"1".to_vec(), PutOptions::default()))
            .collect();
        let fb: Vec<_> = (0..50)
            .map(|i| b.put(&ns, &format!("b{i}"), b"1".to_vec(), PutOptions::default()))
            .collect();
        for f in fa.into_iter().chain(fb) {
            f.await.unwrap();
        }
    });
    assert_eq!(
        a.list(&ns, &ListOptions::default()).unwrap().keys.len(),
        100
    );
    assert_eq!(b.get(&ns, "a7").unwrap().unwrap().value, b"1");
}

/// Child half of `acknowledged_writes_survive_kill_9`: writes forever, printing each
/// acknowledged key. Only runs when the parent sets HEARTH_KV_CHILD_DIR.
#[test]
#[ignore]
fn durability_child() {
    let Ok(dir) = std::env::var("HEARTH_KV_CHILD_DIR") else {
        return;
    };
    let s = KvStore::open(std::path::Path::new(&dir)).unwrap();
    let ns = s.ensure_namespace("durable", "durable").unwrap().id;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async move {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        for w in 0..16 {
            let s = s.clone();
            let ns = ns.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                for i in 0.. {
                    let key = format!("w{w:02}-{i:07}");
                    s.put(&ns, &key, vec![b'x'; 1000], PutOptions::default())
                        .await
                        .unwrap();
                    tx.send(key).unwrap();
                }
            });
        }
        use std::io::Write;
        let mut out = std::io::stdout();
        while let Some(k) = rx.recv().await {
            writeln!(out, "ACK {k}").unwrap();
            out.flush().unwrap();
        }
    });
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    let dir = common::temp_dir("durable");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "durability_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("HEARTH_KV_CHILD_DIR", &dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut acked = BTreeSet::new();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let t = Instant::now();
    while acked.len() < 3000 && t.elapsed() < Duration::from_secs(20) {
        match lines.next() {
            Some(Ok(l)) => {
                if let Some(k) = l.strip_prefix("ACK ") {
                    acked.insert(k.to_string());
                }
            }
            _ => break,
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    // Anything the child printed before dying was acknowledged too.
    for l in lines.map_while(Result::ok) {
        if let Some(k) = l.strip_prefix("ACK ") {
            acked.insert(k.to_string());
        }
    }
    assert!(
        acked.len() > 100,
        "child acknowledged only {} writes",
        acked.len()
    );
    let s = KvStore::open(&dir).unwrap();
    let missing: Vec<_> = acked
        .iter()
        .filter(|k| s.get("durable", k).unwrap().is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged keys lost, e.g. {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(5)]
    );
    eprintln!(
        "{} acknowledged writes all present after kill -9",
        acked.len()
    );
}

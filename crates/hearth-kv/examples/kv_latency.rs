//! In-process latency of the embedded store: sequential put/get p50/p99 and the
//! throughput of concurrent puts sharing group commits.
//!
//! `cargo run --release -p hearth-kv --example kv_latency [DIR]`

use std::time::{Duration, Instant};

use hearth_kv::{KvStore, PutOptions};

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("hearth-kv-latency-{}", std::process::id()))
        });
    let _ = std::fs::remove_dir_all(&dir);
    let store = KvStore::open(&dir).unwrap();
    let ns = store.create_namespace("bench").unwrap().id;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let value = vec![b'v'; 100];

    rt.block_on(async {
        let n = 2000;
        let mut puts = Vec::with_capacity(n);
        for i in 0..n {
            let t = Instant::now();
            store.put(&ns, &format!("key{i:06}"), value.clone(), PutOptions::default()).await.unwrap();
            puts.push(t.elapsed());
        }
        let mut gets = Vec::with_capacity(n * 10);
        for r in 0..10 {
            for i in 0..n {
                let k = format!("key{:06}", (i * 7919 + r) % n);
                let t = Instant::now();
                assert!(store.get(&ns, &k).unwrap().is_some());
                gets.push(t.elapsed());
            }
        }
        println!("sequential put (durable, fsync each): p50 {:?}  p99 {:?}", pct(&mut puts, 0.5), pct(&mut puts, 0.99));
        println!("get (100-byte value):                 p50 {:?}  p99 {:?}", pct(&mut gets, 0.5), pct(&mut gets, 0.99));

        for writers in [16, 128] {
            let per = 200;
            let t = Instant::now();
            let c0 = store.commit_count();
            let tasks: Vec<_> = (0..writers)
                .map(|w| {
                    let store = store.clone();
                    let ns = ns.clone();
                    let value = value.clone();
                    tokio::spawn(async move {
                        let mut lat = Vec::with_capacity(per);
                        for i in 0..per {
                            let t = Instant::now();
                            store.put(&ns, &format!("c{w}-{i}"), value.clone(), PutOptions::default()).await.unwrap();
                            lat.push(t.elapsed());
                        }
                        lat
                    })
                })
                .collect();
            let mut lat = Vec::new();
            for t in tasks {
                lat.extend(t.await.unwrap());
            }
            let total = writers * per;
            let el = t.elapsed();
            println!(
                "{writers} concurrent writers: {total} puts in {el:?} = {:.0} puts/s, {} commits, put p50 {:?} p99 {:?}",
                total as f64 / el.as_secs_f64(),
                store.commit_count() - c0,
                pct(&mut lat, 0.5),
                pct(&mut lat, 0.99)
            );
        }
    });
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

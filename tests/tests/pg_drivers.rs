//! Real npm PostgreSQL drivers from a Worker, against a real server: `pg`
//! (node-postgres, which uses pg-cloudflare over cloudflare:sockets) and
//! `postgres` (postgres.js, whose `workerd` export condition uses
//! cloudflare:sockets), with `nodejs_compat`, as Cloudflare's docs show.
//! The fixtures' node_modules come from their lock files (scripts/test.sh
//! runs `npm ci`). Skipped when PostgreSQL or the node_modules are missing.

mod pg_support;

use hearth_tests::{npm_fixture, Hearth};
use pg_support::Cluster;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// Starts a cluster with a `shop` database and an `items` table, and hearth
/// serving the fixture against it.
fn setup(name: &str) -> Option<(Cluster, Hearth)> {
    let dir = npm_fixture(name)?;
    let pg = Cluster::start()?;
    pg.psql("postgres", "CREATE DATABASE shop");
    pg.psql(
        "shop",
        "CREATE TABLE items (id serial PRIMARY KEY, name text UNIQUE NOT NULL, \
         qty int NOT NULL CHECK (qty >= 0))",
    );
    let h = Hearth::start(
        &dir,
        &[
            "--no-watch",
            "--var",
            &format!("DATABASE_URL:{}", pg.url("shop")),
        ],
    );
    Some((pg, h))
}

/// Connect, parameterized queries, errors with their SQLSTATE, a transaction
/// that rolls back, one that commits.
fn queries_errors_and_transactions(name: &str) {
    let Some((pg, h)) = setup(name) else { return };
    let (status, v) = h.json("GET", "/version", None);
    assert_eq!(status, 200, "{v}\n{}", h.logs());
    assert_eq!(v["n"], 42, "{v}");
    assert_eq!(v["who"], "postgres", "{v}");
    assert!(
        v["version"].as_str().unwrap().starts_with("PostgreSQL"),
        "{v}"
    );

    let (status, apple) = h.json("POST", "/items", Some(json!({"name": "apple", "qty": 3})));
    assert_eq!(status, 201, "{apple}");
    assert_eq!(
        (apple["name"].clone(), apple["qty"].clone()),
        (json!("apple"), json!(3))
    );

    // Parameters travel apart from the SQL text: quotes and non-ASCII are data.
    let tricky = "Robert'); DROP TABLE items;-- ünïcødé 🐘";
    let (status, row) = h.json("POST", "/items", Some(json!({"name": tricky})));
    assert_eq!(status, 201, "{row}");
    assert_eq!(row["name"], tricky);
    assert_eq!(
        pg.psql("shop", "SELECT name || '=' || qty FROM items ORDER BY id"),
        format!("apple=3\n{tricky}=0\n")
    );

    // Server errors reach JavaScript as the driver's error, with their code.
    let (status, err) = h.json("POST", "/items", Some(json!({"name": "apple"})));
    assert_eq!(status, 409, "{err}");
    assert_eq!(err["code"], "23505", "{err}");
    assert!(
        err["error"].as_str().unwrap().contains("duplicate key"),
        "{err}"
    );
    let (status, err) = h.json("POST", "/items", Some(json!({"name": "x", "qty": "lots"})));
    assert_eq!(
        (status, err["code"].clone()),
        (400, json!("22P02")),
        "{err}"
    );

    // A transaction: the second insert fails, so the first is rolled back.
    let bad = json!([{"name": "pear", "qty": 1}, {"name": "plum", "qty": -1}]);
    let (status, err) = h.json("POST", "/bulk", Some(bad));
    assert_eq!(
        (status, err["code"].clone()),
        (400, json!("23514")),
        "{err}"
    );
    assert_eq!(
        pg.psql("shop", "SELECT count(*) FROM items WHERE name = 'pear'"),
        "0\n"
    );
    let good = json!([{"name": "pear", "qty": 1}, {"name": "plum", "qty": 2}]);
    let (status, rows) = h.json("POST", "/bulk", Some(good));
    assert_eq!(status, 201, "{rows}");
    assert_eq!(rows.as_array().unwrap().len(), 2);

    let (status, all) = h.json("GET", "/items", None);
    assert_eq!(status, 200);
    let names: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["apple", tricky, "pear", "plum"]);
    // Every request's connection was closed (client.end() / sql.end()).
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let open = pg.psql(
            "postgres",
            "SELECT count(*) FROM pg_stat_activity WHERE datname = 'shop' AND pid <> pg_backend_pid()",
        );
        if open == "0\n" {
            break;
        }
        assert!(Instant::now() < deadline, "connections left open: {open}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Many requests at once, each with its own connection, all overlapping on
/// the server (each holds its connection in pg_sleep).
fn many_concurrent_requests(name: &str) {
    let Some((_pg, h)) = setup(name) else { return };
    assert_eq!(h.json("GET", "/version", None).0, 200, "{}", h.logs());
    const N: usize = 40;
    let started = Instant::now();
    let results: Vec<(u16, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..N)
            .map(|i| {
                let h = &h;
                s.spawn(move || h.json("GET", &format!("/sleep?s=0.3&tag=t{i}"), None))
            })
            .collect();
        handles.into_iter().map(|j| j.join().unwrap()).collect()
    });
    let elapsed = started.elapsed();
    let mut pids = HashSet::new();
    for (i, (status, v)) in results.iter().enumerate() {
        assert_eq!(*status, 200, "request {i}: {v}");
        assert_eq!(v["tag"], format!("t{i}"), "{v}");
        pids.insert(v["pid"].as_i64().unwrap());
    }
    assert_eq!(pids.len(), N, "each request had its own server connection");
    // Serially this would take N × 0.3 s = 12 s.
    assert!(elapsed < Duration::from_secs(6), "took {elapsed:?}");
    eprintln!("{name}: {N} concurrent 0.3 s queries in {elapsed:?}");
}

#[test]
fn pg_queries_errors_and_transactions() {
    queries_errors_and_transactions("pg-driver");
}

#[test]
fn pg_many_concurrent_requests() {
    many_concurrent_requests("pg-driver");
}

#[test]
fn postgresjs_queries_errors_and_transactions() {
    queries_errors_and_transactions("postgresjs-driver");
}

#[test]
fn postgresjs_many_concurrent_requests() {
    many_concurrent_requests("postgresjs-driver");
}

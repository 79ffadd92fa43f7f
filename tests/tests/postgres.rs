//! examples/postgres against a real PostgreSQL server: a private cluster
//! started with `initdb`/`pg_ctl` in a temp dir on a free loopback port
//! (SCRAM-SHA-256 password auth over TCP), its database created with `psql`.
//! Skipped when PostgreSQL is not installed (scripts/test.sh installs it).

mod pg_support;

use hearth_tests::{repo_root, Hearth};
use pg_support::Cluster;
use serde_json::json;
use std::time::{Duration, Instant};

#[test]
fn postgres_example_rest_api_against_a_real_server() {
    let Some(pg) = Cluster::start() else { return };
    pg.psql("postgres", "CREATE DATABASE shop");
    let h = Hearth::start(
        &repo_root().join("examples/postgres"),
        &[
            "--no-watch",
            "--var",
            &format!("DATABASE_URL:{}", pg.url("shop")),
        ],
    );
    let started = Instant::now();
    assert_eq!(
        h.json("GET", "/items", None),
        (200, json!([])),
        "{}",
        h.logs()
    );

    let (status, apple) = h.json("POST", "/items", Some(json!({"name": "apple", "qty": 3})));
    assert_eq!(status, 201, "{apple}");
    assert_eq!(apple["name"], "apple");
    assert_eq!(apple["qty"], 3);
    let id = apple["id"].as_i64().unwrap();

    // Parameters are sent separately from the SQL: quotes are just data.
    let tricky = "Robert'); DROP TABLE items;--";
    let (status, row) = h.json("POST", "/items", Some(json!({"name": tricky})));
    assert_eq!(status, 201, "{row}");
    assert_eq!(row["name"], tricky);
    assert_eq!(row["qty"], 0);

    // The table psql sees is the one the worker wrote.
    assert_eq!(
        pg.psql("shop", "SELECT name || '=' || qty FROM items ORDER BY id"),
        format!("apple=3\n{tricky}=0\n")
    );

    assert_eq!(h.json("GET", &format!("/items/{id}"), None).1, apple);
    let (status, updated) = h.json("PUT", &format!("/items/{id}"), Some(json!({"qty": 9})));
    assert_eq!((status, updated["qty"].clone()), (200, json!(9)));

    // Server errors reach JavaScript with their SQLSTATE.
    let (status, err) = h.json("POST", "/items", Some(json!({"name": "apple"})));
    assert_eq!(status, 409, "{err}");
    assert_eq!(err["code"], "23505");
    assert!(
        err["error"].as_str().unwrap().contains("duplicate key"),
        "{err}"
    );
    let (status, err) = h.json("POST", "/items", Some(json!({"name": "x", "qty": "lots"})));
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["code"], "22P02");

    // A transaction is all or nothing.
    let (status, err) = h.json(
        "POST",
        "/items/bulk",
        Some(json!([{"name": "pear", "qty": 1}, {"name": "plum", "qty": -1}])),
    );
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["code"], "23514");
    assert_eq!(
        pg.psql("shop", "SELECT count(*) FROM items WHERE name = 'pear'"),
        "0\n"
    );
    let (status, rows) = h.json(
        "POST",
        "/items/bulk",
        Some(json!([{"name": "pear", "qty": 1}, {"name": "plum", "qty": 2}])),
    );
    assert_eq!(status, 201, "{rows}");
    assert_eq!(rows.as_array().unwrap().len(), 2);

    let (status, _) = h.json("DELETE", &format!("/items/{id}"), None);
    assert_eq!(status, 204);
    assert_eq!(h.json("GET", &format!("/items/{id}"), None).0, 404);
    let (_, all) = h.json("GET", "/items", None);
    let names: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, [tricky, "pear", "plum"]);
    eprintln!("postgres example checks took {:?}", started.elapsed());
}

#[test]
fn postgres_example_reports_a_wrong_password_and_a_down_server() {
    let Some(pg) = Cluster::start() else { return };
    let bad = format!("postgres://postgres:wrong@127.0.0.1:{}/postgres", pg.port);
    let h = Hearth::start(
        &repo_root().join("examples/postgres"),
        &["--no-watch", "--var", &format!("DATABASE_URL:{bad}")],
    );
    let (status, err) = h.json("GET", "/items", None);
    assert_eq!(status, 500, "{err}");
    assert_eq!(err["code"], "28P01", "{err}");
    assert!(
        err["error"]
            .as_str()
            .unwrap()
            .contains("password authentication failed"),
        "{err}"
    );
    drop(h);

    let port = pg.port;
    drop(pg);
    std::thread::sleep(Duration::from_millis(200));
    let down = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    let h = Hearth::start(
        &repo_root().join("examples/postgres"),
        &["--no-watch", "--var", &format!("DATABASE_URL:{down}")],
    );
    let (status, err) = h.json("GET", "/items", None);
    assert_eq!(status, 502, "{err}");
    assert!(
        err["error"]
            .as_str()
            .unwrap()
            .contains("connection refused"),
        "{err}"
    );
}

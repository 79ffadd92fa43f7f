//! The npm `mysql2` driver from a Worker, against a real MariaDB server, used
//! as Cloudflare's "Connect to MySQL" docs show (`mysql2/promise`,
//! `disableEval: true`, `nodejs_compat`). The fixture's node_modules come
//! from its lock file (scripts/test.sh runs `npm ci`). Skipped when MariaDB
//! or the node_modules are missing.

mod mysql_support;

use hearth_tests::{fixture, npm_fixture, Hearth};
use mysql_support::Server;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::{Duration, Instant};

const FIXTURE: &str = "mysql2-driver";

/// Starts MariaDB with a `shop` database and an `items` table, and hearth
/// serving the fixture against it.
fn setup() -> Option<(Server, Hearth)> {
    let dir = npm_fixture(FIXTURE)?;
    let db = Server::start("shop")?;
    db.sql(
        "shop",
        "CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, \
         name VARCHAR(200) NOT NULL UNIQUE, qty INT NOT NULL CHECK (qty >= 0))",
    );
    let h = Hearth::start(
        &dir,
        &[
            "--no-watch",
            "--var",
            &format!("DATABASE_URL:{}", db.url("shop")),
        ],
    );
    Some((db, h))
}

/// How many connections the driver's user has open on the server.
fn app_connections(db: &Server) -> String {
    db.sql(
        "",
        "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'app'",
    )
}

#[test]
fn auth_queries_errors_and_transactions() {
    let Some((db, h)) = setup() else { return };
    let (status, v) = h.json("GET", "/version", None);
    assert_eq!(status, 200, "{v}\n{}", h.logs());
    assert_eq!(v["n"], 42, "{v}");
    assert_eq!(v["who"], "app@127.0.0.1", "{v}");
    assert!(v["version"].as_str().unwrap().contains("MariaDB"), "{v}");

    // A wrong password is refused by the server, and the error says so.
    let (status, err) = h.json("GET", "/denied", None);
    assert_eq!(status, 502, "{err}");
    assert_eq!(
        (err["code"].clone(), err["errno"].clone()),
        (json!("ER_ACCESS_DENIED_ERROR"), json!(1045)),
        "{err}"
    );

    let (status, apple) = h.json("POST", "/items", Some(json!({"name": "apple", "qty": 3})));
    assert_eq!(status, 201, "{apple}");
    assert_eq!(
        (apple["name"].clone(), apple["qty"].clone()),
        (json!("apple"), json!(3))
    );

    // Parameters are data, not SQL: quotes and non-ASCII arrive intact.
    let tricky = "Robert'); DROP TABLE items;-- ünïcødé 🐬";
    let (status, row) = h.json("POST", "/items", Some(json!({"name": tricky})));
    assert_eq!(status, 201, "{row}");
    assert_eq!(row["name"], tricky);
    assert_eq!(
        db.sql(
            "shop",
            "SELECT CONCAT(name, '=', qty) FROM items ORDER BY id"
        ),
        format!("apple=3\n{tricky}=0\n")
    );

    // Server errors reach JavaScript as the driver's error, with their code.
    let (status, err) = h.json("POST", "/items", Some(json!({"name": "apple"})));
    assert_eq!(status, 409, "{err}");
    assert_eq!(
        (err["code"].clone(), err["errno"].clone()),
        (json!("ER_DUP_ENTRY"), json!(1062)),
        "{err}"
    );
    assert!(
        err["error"]
            .as_str()
            .unwrap()
            .contains("Duplicate entry 'apple'"),
        "{err}"
    );
    let (status, err) = h.json("POST", "/items", Some(json!({"name": "x", "qty": "lots"})));
    assert_eq!(
        (status, err["code"].clone()),
        (400, json!("ER_TRUNCATED_WRONG_VALUE_FOR_FIELD")),
        "{err}"
    );

    // A transaction: the second insert breaks the CHECK constraint (MariaDB
    // error 4025), so the first is rolled back.
    let bad = json!([{"name": "pear", "qty": 1}, {"name": "plum", "qty": -1}]);
    let (status, err) = h.json("POST", "/bulk", Some(bad));
    assert_eq!((status, err["errno"].clone()), (400, json!(4025)), "{err}");
    assert_eq!(
        db.sql("shop", "SELECT COUNT(*) FROM items WHERE name = 'pear'"),
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

    // Every request's connection was closed (connection.end()).
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let open = app_connections(&db);
        if open == "0\n" {
            break;
        }
        assert!(Instant::now() < deadline, "connections left open: {open}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `ssl` in mysql2: the driver's SSLRequest goes out in plain text, then the
/// same socket is upgraded (node:tls over `startTls()`), and the server's
/// certificate is verified against hearth's CA bundle.
#[test]
fn tls_upgrade_with_a_verified_certificate() {
    let Some((db, h)) = setup() else { return };
    // The server now refuses this user without TLS.
    db.sql("", "ALTER USER 'app'@'127.0.0.1' REQUIRE SSL");
    let (status, err) = h.json("GET", "/version", None);
    assert_eq!(
        (status, err["code"].clone()),
        (502, json!("ER_ACCESS_DENIED_ERROR")),
        "{err}"
    );
    // This hearth does not trust the test CA: the handshake fails.
    let (status, err) = h.json("GET", "/tls", None);
    assert_eq!(status, 502, "{err}");
    assert!(
        err["error"].as_str().unwrap().contains("certificate"),
        "{err}"
    );
    drop(h);

    let ca = db.ca();
    let h = Hearth::start_with_env(
        &fixture(FIXTURE),
        &[
            "--no-watch",
            "--var",
            &format!("DATABASE_URL:{}", db.url("shop")),
        ],
        &[("HEARTH_CA_BUNDLE", ca.to_str().unwrap())],
    );
    for _ in 0..3 {
        let (status, v) = h.json("GET", "/tls", None);
        assert_eq!(status, 200, "{v}\n{}", h.logs());
        assert_eq!(v["who"], "app@127.0.0.1", "{v}");
        assert!(
            v["Ssl_version"].as_str().unwrap().starts_with("TLSv1."),
            "{v}"
        );
    }
}

/// Column types decode as mysql2 decodes them on Node.js, through the text
/// protocol (`query`) and the binary one (`execute`); a 140 kB value spans
/// many socket reads.
#[test]
fn column_types_through_both_protocols() {
    let Some((_db, h)) = setup() else { return };
    let (status, v) = h.json("GET", "/types", None);
    assert_eq!(status, 200, "{v}\n{}", h.logs());
    let common = json!({
        "price": "12.50",
        "at": "2024-02-29T13:14:15.000Z",
        "bin": "00ff10",
        "big": -1234567890123i64,
        "nothing": null,
        "long": "ü × 70000",
    });
    for (protocol, half) in [("text", json!("1.5")), ("binary", json!(1.5))] {
        let mut want = common.clone();
        want["half"] = half;
        assert_eq!(v[protocol], want, "{protocol}: {v}");
    }
}

/// Many requests at once, each with its own connection, all overlapping on
/// the server (each holds its connection in SLEEP()).
#[test]
fn many_concurrent_requests() {
    let Some((db, h)) = setup() else { return };
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
    let mut ids = HashSet::new();
    for (i, (status, v)) in results.iter().enumerate() {
        assert_eq!(*status, 200, "request {i}: {v}");
        assert_eq!(v["tag"], format!("t{i}"), "{v}");
        assert_eq!(v["slept"], 0, "{v}");
        ids.insert(v["id"].as_i64().unwrap());
    }
    assert_eq!(ids.len(), N, "each request had its own server connection");
    // Serially this would take N × 0.3 s = 12 s.
    assert!(elapsed < Duration::from_secs(6), "took {elapsed:?}");
    eprintln!("mysql2: {N} concurrent 0.3 s queries in {elapsed:?}");
    let deadline = Instant::now() + Duration::from_secs(5);
    while app_connections(&db) != "0\n" {
        assert!(Instant::now() < deadline, "connections left open");
        std::thread::sleep(Duration::from_millis(50));
    }
}

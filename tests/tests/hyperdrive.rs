//! Hyperdrive bindings: `env.HYPERDRIVE` points at the PostgreSQL pool hearth
//! runs for the binding, and real drivers from npm (`pg`, `postgres`) query a
//! real database through it. Checks that many short-lived Worker
//! connections share a few server connections, that a connection comes back
//! from a client without its transaction or session state, and that origin
//! errors reach the Worker as PostgreSQL errors. Skipped when PostgreSQL or
//! the fixture's node_modules (scripts/test.sh runs `npm ci`) are missing.

mod pg_support;

use hearth_tests::{copy_project, npm_fixture, request, Hearth};
use pg_support::Cluster;
use serde_json::Value;
use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

const FIXTURE: &str = "hyperdrive-driver";
const ENV_VAR: &str = "CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE";

fn get(h: &Hearth, path: &str) -> (u16, Value) {
    let (status, text) = request(&format!("{}{path}", h.url), "GET", &[], None);
    let value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("GET {path}: {e}: {text}\n{}", h.logs()));
    (status, value)
}

/// A cluster with a `shop` database and an `items` table.
fn database() -> Option<Cluster> {
    let pg = Cluster::start()?;
    pg.psql("postgres", "CREATE DATABASE shop");
    pg.psql(
        "shop",
        "CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL)",
    );
    Some(pg)
}

/// hearth serving the fixture with the binding pointed at `origin` through
/// the environment variable, in configuration environment `env` if given.
fn start(dir: &Path, origin: &str, env: Option<&str>) -> Hearth {
    let mut args = vec!["--no-watch"];
    if let Some(env) = env {
        args.extend(["--env", env]);
    }
    Hearth::start_with_env(dir, &args, &[(ENV_VAR, origin)])
}

/// Server connections open to `shop`, not counting psql's own.
fn backends(pg: &Cluster) -> usize {
    pg.psql(
        "postgres",
        "SELECT count(*) FROM pg_stat_activity WHERE datname = 'shop' AND backend_type = 'client backend'",
    )
    .trim()
    .parse()
    .unwrap()
}

#[test]
fn binding_describes_the_pool_and_local_connection_string_is_used() {
    let Some(dir) = npm_fixture(FIXTURE) else {
        return;
    };
    let Some(pg) = database() else { return };
    // The origin from wrangler.toml itself (no environment variable), with an
    // outbound policy that blocks loopback: the binding's pool stays reachable.
    let project = copy_project(&dir);
    std::os::unix::fs::symlink(
        dir.join("node_modules"),
        project.path().join("node_modules"),
    )
    .unwrap();
    let toml = std::fs::read_to_string(dir.join("wrangler.toml"))
        .unwrap()
        .replace(
            "postgres://nobody:nothing@127.0.0.1:9/none",
            &pg.url("shop"),
        )
        .replacen(
            "[[hyperdrive]]",
            "[outbound]\ndeny = [\"127.0.0.1:*\"]\n\n[[hyperdrive]]",
            1,
        );
    std::fs::write(project.path().join("wrangler.toml"), toml).unwrap();
    let h = Hearth::start(project.path(), &["--no-watch"]);

    let (status, b) = get(&h, "/binding");
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["host"], "127.0.0.1", "{b}");
    assert_eq!(b["user"], "postgres", "{b}");
    assert_eq!(b["database"], "shop", "{b}");
    assert_eq!(b["connect"], "function", "{b}");
    let port = b["port"].as_u64().unwrap();
    assert!(port > 0 && port != u64::from(pg.port), "{b}");
    let password = b["password"].as_str().unwrap();
    assert!(password.len() >= 16, "a made-up password: {b}");
    assert!(!password.contains("s3cret"), "not the database's: {b}");
    assert_eq!(
        b["connectionString"],
        format!("postgresql://postgres:{password}@127.0.0.1:{port}/shop"),
        "{b}"
    );

    for driver in ["/pg", "/postgres"] {
        let (status, v) = get(&h, driver);
        assert_eq!(status, 200, "{driver}: {v}\n{}", h.logs());
        assert_eq!(
            (v["n"].as_i64(), v["who"].as_str()),
            (Some(42), Some("postgres"))
        );
        assert_eq!(v["db"], "shop", "{v}");
    }
    // postgres.js cancel(): the pool forwards the CancelRequest to the
    // server process running the query.
    let (status, v) = get(&h, "/postgres/cancel");
    assert_eq!((status, v["code"].as_str()), (200, Some("57014")), "{v}");
    assert!(v["ms"].as_u64().unwrap() < 3000, "{v}");

    // env.HYPERDRIVE.connect() is a socket to the pool, which declines TLS.
    let (status, v) = get(&h, "/socket");
    assert_eq!((status, v["answer"].as_str()), (200, Some("N")), "{v}");

    // The pool checks the credentials it handed out.
    let wrong = format!("postgresql://postgres:guess@127.0.0.1:{port}/shop");
    let out = std::process::Command::new("psql")
        .args([&wrong, "-c", "SELECT 1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("password authentication failed for user \"postgres\""),
        "{stderr}"
    );
}

/// 200 requests from 8 threads, each with a new driver client: the pool
/// (limit 3) serves them all with at most 3 server connections.
fn many_requests_few_connections(path: &str) {
    let Some(dir) = npm_fixture(FIXTURE) else {
        return;
    };
    let Some(pg) = database() else { return };
    let h = start(&dir, &pg.url("shop"), None);
    let pids: Vec<i64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let h = &h;
                s.spawn(move || {
                    (0..25)
                        .map(|_| {
                            let (status, v) = get(h, path);
                            assert_eq!(status, 200, "{v}\n{}", h.logs());
                            assert_eq!(v["n"], 42, "{v}");
                            v["pid"].as_i64().unwrap()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|j| j.join().unwrap())
            .collect()
    });
    assert_eq!(pids.len(), 200);
    let distinct: HashSet<i64> = pids.into_iter().collect();
    assert!(
        !distinct.is_empty() && distinct.len() <= 3,
        "200 requests used {} server processes",
        distinct.len()
    );
    assert!(backends(&pg) <= 3, "{} backends", backends(&pg));
    eprintln!(
        "{path}: 200 requests served by {} server connections",
        distinct.len()
    );
}

#[test]
fn pg_many_requests_share_few_server_connections() {
    many_requests_few_connections("/pg");
}

#[test]
fn postgresjs_many_requests_share_few_server_connections() {
    many_requests_few_connections("/postgres");
}

/// With one server connection, a client that leaves a transaction open and
/// session state behind hands the next client a clean session on the same
/// server process.
#[test]
fn open_transaction_and_session_state_do_not_leak() {
    let Some(dir) = npm_fixture(FIXTURE) else {
        return;
    };
    let Some(pg) = database() else { return };
    let h = start(&dir, &pg.url("shop"), Some("single"));

    let (status, dirty) = get(&h, "/pg/leave-open");
    assert_eq!(status, 200, "{dirty}\n{}", h.logs());
    assert_eq!(
        dirty["ghosts"], 1,
        "the open transaction sees its row: {dirty}"
    );
    assert_eq!(dirty["timeout"], "1234ms", "{dirty}");
    assert_eq!(dirty["app"], "leaky", "{dirty}");
    assert_eq!(dirty["prepared"], 1, "{dirty}");
    assert!(dirty["temp"].is_string(), "{dirty}");

    for path in ["/pg/state", "/postgres/state"] {
        let (status, clean) = get(&h, path);
        assert_eq!(status, 200, "{path}: {clean}\n{}", h.logs());
        assert_eq!(
            clean["pid"], dirty["pid"],
            "the same server process: {clean}"
        );
        assert_eq!(clean["ghosts"], 0, "rolled back: {clean}");
        assert_eq!(clean["timeout"], "0", "settings reset: {clean}");
        assert_eq!(clean["prepared"], 0, "statements deallocated: {clean}");
        assert!(clean["temp"].is_null(), "temp table dropped: {clean}");
    }
    // The client's start-up settings apply to its own session only.
    let (_, v) = get(&h, "/postgres/state");
    assert_eq!(v["app"], "postgres.js", "{v}");
    let (_, v) = get(&h, "/pg/state");
    assert_eq!(v["app"], "", "{v}");

    // A transaction left failed by an error is rolled back too.
    let (status, v) = get(&h, "/pg/error");
    assert_eq!((status, v["code"].as_str()), (200, Some("22012")), "{v}");
    let (status, v) = get(&h, "/pg/state");
    assert_eq!(
        (status, v["pid"].clone()),
        (200, dirty["pid"].clone()),
        "{v}"
    );

    // A client that leaves while its query runs: the pool reads the reply
    // to the end, then reuses the connection.
    let (status, v) = get(&h, "/pg/abandon");
    assert_eq!(
        (status, v["pid"].clone()),
        (200, dirty["pid"].clone()),
        "{v}"
    );
    let started = Instant::now();
    let (status, v) = get(&h, "/pg/state");
    assert_eq!(
        (status, v["pid"].clone()),
        (200, dirty["pid"].clone()),
        "{v}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "waited for the running query"
    );

    assert_eq!(pg.psql("shop", "SELECT count(*) FROM items"), "0\n");
    let idle_in_tx = pg.psql(
        "postgres",
        "SELECT count(*) FROM pg_stat_activity WHERE datname = 'shop' AND state LIKE 'idle in transaction%'",
    );
    assert_eq!(idle_in_tx, "0\n");
    assert_eq!(backends(&pg), 1);
}

/// A wrong database password: the Worker's driver gets the database's
/// refusal as a PostgreSQL error naming the pool and the cause.
#[test]
fn origin_errors_reach_the_worker() {
    let Some(dir) = npm_fixture(FIXTURE) else {
        return;
    };
    let Some(pg) = database() else { return };
    let bad = format!("postgres://postgres:wrong@127.0.0.1:{}/shop", pg.port);
    let h = start(&dir, &bad, None);
    for path in ["/pg", "/postgres"] {
        let (status, v) = get(&h, path);
        assert_eq!(status, 502, "{path}: {v}");
        assert_eq!(v["code"], "28P01", "{path}: {v}");
        let msg = v["error"].as_str().unwrap();
        assert!(
            msg.contains("Hyperdrive pool")
                && msg.contains("password authentication failed for user \"postgres\""),
            "{path}: {msg}"
        );
    }

    // Nothing listening: a connection failure, not a hang.
    let down = "postgres://postgres:x@127.0.0.1:9/shop";
    let h = start(&dir, down, None);
    let started = Instant::now();
    let (status, v) = get(&h, "/pg");
    assert_eq!((status, v["code"].as_str()), (502, Some("08006")), "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("127.0.0.1:9/shop"),
        "{v}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// A binding without any database is refused at start-up with a hint.
#[test]
fn binding_without_a_database_is_an_error() {
    let project = hearth_tests::write_project(&[
        (
            "wrangler.toml",
            "name = \"x\"\nmain = \"index.js\"\n[[hyperdrive]]\nbinding = \"DB\"\nid = \"x\"\n",
        ),
        (
            "index.js",
            "export default { fetch() { return new Response('x') } }",
        ),
    ]);
    let logs = match Hearth::try_start(project.path(), &["--no-watch"]) {
        Ok(_) => panic!("started without a database for the binding"),
        Err(logs) => logs,
    };
    assert!(
        logs.contains("CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_DB")
            && logs.contains("localConnectionString"),
        "{logs}"
    );
}

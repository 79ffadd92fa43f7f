//! `hearth d1 ...` with wrangler's command shapes, against the same state a
//! running `hearth dev` uses: execute, migrations (a failing one is rolled
//! back and not recorded), export, time travel, and the v4 REST endpoints.

use hearth_tests::{copy_project, fixture, request, run_to_exit, Hearth};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

fn d1(dir: &Path, args: &[&str]) -> (bool, String) {
    let config = dir.join("wrangler.toml");
    let mut all = vec!["d1"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-c", config.to_str().unwrap()]);
    let (status, out) = run_to_exit(&all, Duration::from_secs(60));
    (status.success(), out)
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let (success, out) = d1(dir, args);
    assert!(success, "hearth d1 {args:?} failed:\n{out}");
    out
}

fn json_of(out: &str) -> Value {
    let start = out
        .find(['[', '{'])
        .unwrap_or_else(|| panic!("no JSON in {out}"));
    let mut stream = serde_json::Deserializer::from_str(&out[start..]).into_iter::<Value>();
    stream.next().unwrap().unwrap()
}

#[test]
fn execute_while_dev_runs_on_the_same_state() {
    let dir = copy_project(&fixture("d1-migrations"));
    let h = Hearth::start(dir.path(), &[]);
    ok(dir.path(), &["migrations", "apply", "DB", "--local"]);
    // By binding or by database_name; --json prints D1's result objects.
    let out = ok(
        dir.path(),
        &[
            "execute",
            "notes-db",
            "--local",
            "--json",
            "--command",
            "INSERT INTO notes (body) VALUES ('from cli'); SELECT count(*) AS n FROM notes",
        ],
    );
    let results = json_of(&out);
    assert_eq!(results.as_array().unwrap().len(), 2, "{out}");
    assert_eq!(results[0]["success"], true);
    assert_eq!(results[0]["meta"]["changes"], 1);
    assert_eq!(results[1]["results"], json!([{"n": 2}]));
    let (status, body) = request(&format!("{}/notes", h.url), "GET", &[], None);
    assert_eq!(status, 200);
    let notes: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        notes,
        json!([{"id": 1, "body": "first note"}, {"id": 2, "body": "from cli"}])
    );
    // A write from the worker is seen by the CLI.
    request(
        &format!("{}/add?body=from%20worker", h.url),
        "GET",
        &[],
        None,
    );
    let out = ok(
        dir.path(),
        &[
            "execute",
            "DB",
            "--command",
            "SELECT body FROM notes ORDER BY id DESC LIMIT 1",
        ],
    );
    assert!(out.contains("│ from worker │"), "{out}");
    // --file runs a script.
    std::fs::write(
        dir.path().join("seed.sql"),
        "INSERT INTO notes (body) VALUES ('a');\nINSERT INTO notes (body) VALUES ('b');\n",
    )
    .unwrap();
    let seed = dir.path().join("seed.sql");
    let out = ok(
        dir.path(),
        &["execute", "DB", "--file", seed.to_str().unwrap()],
    );
    assert!(out.contains("2 commands executed successfully"), "{out}");
    // A SQL error is D1's message and a failing exit.
    let (success, out) = d1(
        dir.path(),
        &["execute", "DB", "--command", "SELECT * FROM nope"],
    );
    assert!(!success && out.contains("no such table: nope"), "{out}");
    let (success, out) = d1(dir.path(), &["execute", "NOPE", "--command", "SELECT 1"]);
    assert!(
        !success && out.contains("NOPE") && out.contains("notes-db"),
        "{out}"
    );
}

#[test]
fn migrations_create_list_apply_as_wrangler() {
    let dir = copy_project(&fixture("d1-migrations"));
    let out = ok(dir.path(), &["migrations", "list", "DB"]);
    assert!(
        out.contains("0001_create_notes.sql") && out.contains("0002_add_tags.sql"),
        "{out}"
    );
    let out = ok(dir.path(), &["migrations", "create", "DB", "add authors"]);
    assert!(
        out.contains("Successfully created Migration '0003_add_authors.sql'"),
        "{out}"
    );
    let created =
        std::fs::read_to_string(dir.path().join("migrations/0003_add_authors.sql")).unwrap();
    assert!(
        created.starts_with("-- Migration number: 0003 \t "),
        "{created}"
    );
    std::fs::write(
        dir.path().join("migrations/0003_add_authors.sql"),
        "CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT);\n",
    )
    .unwrap();
    let out = ok(dir.path(), &["migrations", "apply", "DB"]);
    assert!(
        out.contains("0003_add_authors.sql") && out.contains("✅"),
        "{out}"
    );
    let out = ok(dir.path(), &["migrations", "list", "DB"]);
    assert!(out.contains("No migrations to apply"), "{out}");
    // The table as wrangler keeps it.
    let out = ok(
        dir.path(),
        &[
            "execute",
            "DB",
            "--json",
            "--command",
            "SELECT id, name FROM d1_migrations ORDER BY id",
        ],
    );
    assert_eq!(
        json_of(&out)[0]["results"],
        json!([
            {"id": 1, "name": "0001_create_notes.sql"},
            {"id": 2, "name": "0002_add_tags.sql"},
            {"id": 3, "name": "0003_add_authors.sql"}
        ])
    );
}

#[test]
fn a_migration_failing_halfway_is_rolled_back_and_not_recorded() {
    let dir = copy_project(&fixture("d1-migrations"));
    std::fs::write(
        dir.path().join("migrations/0003_broken.sql"),
        "CREATE TABLE half (id INTEGER PRIMARY KEY);\nINSERT INTO notes (body) VALUES ('half');\nINSERT INTO missing_table VALUES (1);\n",
    )
    .unwrap();
    let (success, out) = d1(dir.path(), &["migrations", "apply", "DB"]);
    assert!(!success, "{out}");
    assert!(out.contains("Migration 0003_broken.sql failed"), "{out}");
    assert!(out.contains("no such table: missing_table"), "{out}");
    assert!(
        out.contains("migrations/0003_broken.sql"),
        "names the file: {out}"
    );
    // The two good migrations stay; nothing of the broken one does.
    let out = ok(
        dir.path(),
        &[
            "execute",
            "DB",
            "--json",
            "--command",
            "SELECT name FROM d1_migrations ORDER BY id",
        ],
    );
    assert_eq!(
        json_of(&out)[0]["results"],
        json!([{"name": "0001_create_notes.sql"}, {"name": "0002_add_tags.sql"}])
    );
    let out = ok(
        dir.path(),
        &[
            "execute",
            "DB",
            "--json",
            "--command",
            "SELECT count(*) AS n FROM sqlite_master WHERE name = 'half'",
        ],
    );
    assert_eq!(json_of(&out)[0]["results"], json!([{"n": 0}]));
    let out = ok(
        dir.path(),
        &[
            "execute",
            "DB",
            "--json",
            "--command",
            "SELECT count(*) AS n FROM notes",
        ],
    );
    assert_eq!(json_of(&out)[0]["results"], json!([{"n": 1}]));
    let out = ok(dir.path(), &["migrations", "list", "DB"]);
    assert!(out.contains("0003_broken.sql"), "{out}");
}

#[test]
fn export_writes_schema_and_rows() {
    let dir = copy_project(&fixture("d1-migrations"));
    ok(dir.path(), &["migrations", "apply", "DB"]);
    ok(
        dir.path(),
        &[
            "execute",
            "DB",
            "--command",
            "INSERT INTO notes (body, tags) VALUES ('it''s', NULL)",
        ],
    );
    let output = dir.path().join("dump.sql");
    ok(
        dir.path(),
        &[
            "export",
            "DB",
            "--local",
            "--output",
            output.to_str().unwrap(),
        ],
    );
    let dump = std::fs::read_to_string(dir.path().join("dump.sql")).unwrap();
    assert!(
        dump.starts_with("PRAGMA defer_foreign_keys=TRUE;"),
        "{dump}"
    );
    assert!(dump.contains("CREATE TABLE notes"), "{dump}");
    assert!(
        dump.contains("INSERT INTO \"notes\" (\"id\",\"body\",\"tags\") VALUES(2,'it''s',NULL);"),
        "{dump}"
    );
    assert!(dump.contains("CREATE INDEX notes_tags"), "{dump}");
    assert!(!dump.contains("_cf_"), "{dump}");
    // The dump loads into a fresh database.
    let other = copy_project(&fixture("d1-migrations"));
    std::fs::copy(dir.path().join("dump.sql"), other.path().join("dump.sql")).unwrap();
    let input = other.path().join("dump.sql");
    ok(
        other.path(),
        &["execute", "DB", "--file", input.to_str().unwrap()],
    );
    let out = ok(
        other.path(),
        &[
            "execute",
            "DB",
            "--json",
            "--command",
            "SELECT body FROM notes ORDER BY id",
        ],
    );
    assert_eq!(
        json_of(&out)[0]["results"],
        json!([{"body": "first note"}, {"body": "it's"}])
    );
}

#[test]
fn time_travel_restores_bookmarks_and_timestamps() {
    let dir = copy_project(&fixture("d1-migrations"));
    ok(dir.path(), &["migrations", "apply", "DB"]);
    ok(
        dir.path(),
        &[
            "execute",
            "DB",
            "--command",
            "INSERT INTO notes (body) VALUES ('kept')",
        ],
    );
    let info = json_of(&ok(dir.path(), &["time-travel", "info", "DB", "--json"]));
    let kept = info["bookmark"].as_str().unwrap().to_string();
    std::thread::sleep(Duration::from_millis(1100));
    let between = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    std::thread::sleep(Duration::from_millis(1100));
    // Rows changed, a table dropped and one created after the bookmark.
    ok(
        dir.path(),
        &[
            "execute",
            "DB",
            "--command",
            "UPDATE notes SET body = 'changed'; DELETE FROM notes WHERE id = 1",
        ],
    );
    ok(
        dir.path(),
        &[
            "execute",
            "DB",
            "--command",
            "CREATE TABLE later (x); INSERT INTO later VALUES (1)",
        ],
    );
    ok(
        dir.path(),
        &[
            "execute",
            "DB",
            "--command",
            "INSERT INTO notes (body) VALUES ('late')",
        ],
    );
    // The worker's bookmark is the same history.
    let h = Hearth::start(dir.path(), &[]);
    let (_, body) = request(&format!("{}/bookmark", h.url), "GET", &[], None);
    let now: Value = serde_json::from_str(&body).unwrap();
    let latest =
        json_of(&ok(dir.path(), &["time-travel", "info", "DB", "--json"]))["bookmark"].clone();
    assert_eq!(now["bookmark"], latest);

    let out = json_of(&ok(
        dir.path(),
        &[
            "time-travel",
            "restore",
            "DB",
            "--bookmark",
            &kept,
            "--json",
        ],
    ));
    let undo = out["previous_bookmark"].as_str().unwrap().to_string();
    let (_, body) = request(&format!("{}/notes", h.url), "GET", &[], None);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!([{"id": 1, "body": "first note"}, {"id": 2, "body": "kept"}])
    );
    let out = ok(
        dir.path(),
        &[
            "execute",
            "DB",
            "--json",
            "--command",
            "SELECT count(*) AS n FROM sqlite_master WHERE name = 'later'",
        ],
    );
    assert_eq!(json_of(&out)[0]["results"], json!([{"n": 0}]));
    // The restore is itself undoable.
    ok(
        dir.path(),
        &["time-travel", "restore", "DB", "--bookmark", &undo],
    );
    let (_, body) = request(&format!("{}/notes", h.url), "GET", &[], None);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!([{"id": 2, "body": "changed"}, {"id": 3, "body": "late"}])
    );
    // By timestamp: the state at that moment.
    let at = format!("{between:.3}");
    let out = ok(
        dir.path(),
        &["time-travel", "info", "DB", "--timestamp", &at],
    );
    assert!(
        out.contains(&format!("corresponds with bookmark '{kept}'")),
        "{out}"
    );
    ok(
        dir.path(),
        &["time-travel", "restore", "DB", "--timestamp", &at],
    );
    let (_, body) = request(&format!("{}/notes", h.url), "GET", &[], None);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!([{"id": 1, "body": "first note"}, {"id": 2, "body": "kept"}])
    );
    // Outside the window: a clear error, nothing changed.
    let (success, out) = d1(
        dir.path(),
        &["time-travel", "restore", "DB", "--timestamp", "1000"],
    );
    assert!(!success && out.contains("retention window"), "{out}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn rest_query_and_raw_as_cloudflares_v4_api() {
    let dir = copy_project(&fixture("d1-migrations"));
    ok(dir.path(), &["migrations", "apply", "DB"]);
    let (h, port) = (0..5)
        .find_map(|_| {
            let port = free_port();
            Hearth::try_start(
                dir.path(),
                &["--api-port", &port.to_string(), "--api-token", "tok"],
            )
            .ok()
            .map(|h| (h, port))
        })
        .expect("hearth with --api-port");
    let base = format!("http://127.0.0.1:{port}/client/v4/accounts/acc/d1/database/5b0c8a8e-0000-4000-8000-00000000d1d1");
    let auth = [
        ("Authorization", "Bearer tok"),
        ("content-type", "application/json"),
    ];
    let body = json!({"sql": "INSERT INTO notes (body) VALUES (?) RETURNING id, body", "params": ["via rest"]}).to_string();
    let (status, text) = request(
        &format!("{base}/query"),
        "POST",
        &auth,
        Some(body.as_bytes()),
    );
    assert_eq!(status, 200, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["success"], true);
    assert_eq!(
        v["result"][0]["results"],
        json!([{"id": 2, "body": "via rest"}])
    );
    assert_eq!(v["result"][0]["meta"]["changes"], 1);
    let body = json!({"sql": "SELECT id, body FROM notes ORDER BY id"}).to_string();
    let (status, text) = request(&format!("{base}/raw"), "POST", &auth, Some(body.as_bytes()));
    assert_eq!(status, 200, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v["result"][0]["results"],
        json!({"columns": ["id", "body"], "rows": [[1, "first note"], [2, "via rest"]]})
    );
    // The worker sees the REST write.
    let (_, notes) = request(&format!("{}/notes", h.url), "GET", &[], None);
    assert!(notes.contains("via rest"), "{notes}");
    // D1's error envelope; the token is required.
    let body = json!({"sql": "SELECT * FROM nope"}).to_string();
    let (status, text) = request(
        &format!("{base}/query"),
        "POST",
        &auth,
        Some(body.as_bytes()),
    );
    assert_eq!(status, 400);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["success"], false);
    assert_eq!(v["errors"][0]["code"], 7500);
    assert!(v["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("no such table: nope"));
    let (status, _) = request(
        &format!("{base}/query"),
        "POST",
        &[("content-type", "application/json")],
        Some(body.as_bytes()),
    );
    assert_eq!(status, 401);
}

//! Unit tests of the store: what the black-box tests cannot reach cheaply.

use crate::history::{self, Target};
use crate::{D1Database, Query, Value};

fn q(sql: &str, params: Vec<Value>) -> Query {
    Query {
        sql: sql.to_string(),
        params,
    }
}

fn count(db: &D1Database, table: &str) -> i64 {
    let r = db
        .query(&[q(&format!("SELECT count(*) FROM {table}"), vec![])])
        .unwrap();
    match r[0].rows[0][0] {
        Value::Integer(n) => n,
        ref other => panic!("{other:?}"),
    }
}

#[test]
fn restore_undoes_writes_to_tables_without_a_primary_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = D1Database::open(dir.path(), "x").unwrap();
    db.exec("CREATE TABLE log (line TEXT)").unwrap();
    db.query(&[q(
        "INSERT INTO log VALUES (?)",
        vec![Value::Text("a".into())],
    )])
    .unwrap();
    let mark = db.bookmark().unwrap();
    for _ in 0..3 {
        db.query(&[q("INSERT INTO log VALUES ('b')", vec![])])
            .unwrap();
    }
    assert_eq!(count(&db, "log"), 4);
    let restored = history::restore(&db, &Target::Bookmark(mark.clone())).unwrap();
    assert_eq!(count(&db, "log"), 1);
    history::restore(&db, &Target::Bookmark(restored.previous)).unwrap();
    assert_eq!(count(&db, "log"), 4);
}

#[test]
fn concurrent_writes_share_group_commits_and_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let db = D1Database::open(dir.path(), "g").unwrap();
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let answers: Vec<_> = (0..200)
            .map(|i| {
                db.submit(vec![q(
                    "INSERT INTO t (v) VALUES (?)",
                    vec![Value::Integer(i)],
                )])
            })
            .collect();
        // One failing write in the middle leaves the others alone.
        let bad = db.submit(vec![q("INSERT INTO nowhere VALUES (1)", vec![])]);
        for a in answers {
            assert_eq!(a.wait().await.unwrap()[0].meta.changes, 1);
        }
        assert!(bad
            .wait()
            .await
            .unwrap_err()
            .to_string()
            .contains("no such table"));
    });
    assert_eq!(count(&db, "t"), 200);
    // Another handle on the same file (as another process) sees every row.
    drop(db);
    let again = D1Database::open(dir.path(), "g").unwrap();
    assert_eq!(count(&again, "t"), 200);
}

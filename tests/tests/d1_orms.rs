//! Real ORMs over a D1 binding, unchanged: drizzle-orm's d1 driver and
//! kysely-d1 (tests/fixtures/d1-orm-driver, installed from its lock file).

use hearth_tests::{npm_fixture, Hearth};
use serde_json::json;

#[test]
fn drizzle_orm_d1_driver() {
    let Some(src) = npm_fixture("d1-orm-driver") else {
        return;
    };
    // The fixture itself (its node_modules), with a fresh state folder.
    let state = tempfile::tempdir().unwrap();
    let h = Hearth::start(&src, &["--persist-to", state.path().to_str().unwrap()]);
    let (status, out) = h.json("GET", "/drizzle", None);
    assert_eq!(status, 200, "{out}");
    assert_eq!(
        out["inserted"],
        json!([{"id": 1, "name": "Ada", "email": "ada@example.com", "active": true}])
    );
    assert_eq!(
        out["all"][1],
        json!({"id": 2, "name": "Bob", "email": "bob@example.com", "active": false})
    );
    assert_eq!(out["one"], json!({"name": "Bob"}));
    assert_eq!(out["count"], json!({"n": 2}));
    assert_eq!(out["batch"], json!([{"name": "Cy", "active": true}]));
    let duplicate = out["duplicate"].as_str().unwrap();
    assert!(
        duplicate.contains("UNIQUE constraint failed: users.email"),
        "{duplicate}"
    );
}

#[test]
fn kysely_d1_dialect() {
    let Some(src) = npm_fixture("d1-orm-driver") else {
        return;
    };
    // The fixture itself (its node_modules), with a fresh state folder.
    let state = tempfile::tempdir().unwrap();
    let h = Hearth::start(&src, &["--persist-to", state.path().to_str().unwrap()]);
    let (status, out) = h.json("GET", "/kysely", None);
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["insertId"], 1);
    assert_eq!(out["updated"], 1);
    assert_eq!(
        out["pets"],
        json!([{"id": 1, "name": "Max"}, {"id": 2, "name": "Tom"}])
    );
    assert_eq!(out["tom"], json!({"name": "Tom"}));
}

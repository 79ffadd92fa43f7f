//! examples/d1-app run as its README says: migrations applied with the CLI,
//! then the app served, its writes persisted across a restart.

use hearth_tests::{copy_project, repo_root, request, run_to_exit, Hearth};
use serde_json::{json, Value};
use std::time::Duration;

#[test]
fn d1_app_with_migrations() {
    let dir = copy_project(&repo_root().join("examples/d1-app"));
    let config = dir.path().join("wrangler.toml");
    let (status, out) = run_to_exit(
        &[
            "d1",
            "migrations",
            "apply",
            "DB",
            "-c",
            config.to_str().unwrap(),
        ],
        Duration::from_secs(60),
    );
    assert!(status.success(), "{out}");
    assert!(
        out.contains("0001_create_comments.sql") && out.contains("0002_add_created_at.sql"),
        "{out}"
    );

    let h = Hearth::start(dir.path(), &[]);
    let (status, page) = h.get("/");
    assert_eq!(status, 200);
    assert!(page.contains("<b>Kristian</b>: Congrats!"), "{page}");
    let (status, created) = h.json(
        "POST",
        "/api/comments",
        Some(json!({"author": "Ada", "content": "Hello <D1>"})),
    );
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        created,
        json!({"id": 3, "author": "Ada", "content": "Hello <D1>"})
    );
    let (status, bad) = h.json("POST", "/api/comments", Some(json!({"author": "Ada"})));
    assert_eq!(
        (status, &bad["error"]),
        (400, &json!("author and content are required"))
    );
    let (_, page) = h.get("/");
    assert!(page.contains("Hello &#60;D1&#62;"), "escaped: {page}");
    let (_, mine) = h.json("GET", "/api/comments?author=Ada", None);
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_ne!(mine[0]["created_at"], "1970-01-01 00:00:00");
    let (_, stats) = h.json("GET", "/api/stats", None);
    assert_eq!(stats["comments"], 3);
    let (status, _) = request(&format!("{}/api/comments/1", h.url), "DELETE", &[], None);
    assert_eq!(status, 204);
    let (status, _) = request(&format!("{}/api/comments/1", h.url), "DELETE", &[], None);
    assert_eq!(status, 404);
    drop(h);

    // The state outlives the process.
    let h = Hearth::start(dir.path(), &[]);
    let (_, all) = h.json("GET", "/api/comments", None);
    let authors: Vec<&Value> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["author"])
        .collect();
    assert_eq!(authors, [&json!("Serena"), &json!("Ada")]);
}

//! `examples/assets-spa`, run as a user would run it: the SPA shell and its
//! files from Static Assets, the notes API from the worker.

use hearth_tests::{copy_project, repo_root, request_full, Hearth};

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[test]
fn notes_spa_with_api() {
    let dir = copy_project(&repo_root().join("examples").join("assets-spa"));
    let h = Hearth::start(dir.path(), &[]);
    let url = |path: &str| format!("{}{path}", h.url);

    let (status, body) = h.json(
        "POST",
        "/api/notes",
        Some(serde_json::json!({ "text": "buy milk" })),
    );
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_u64().unwrap();
    let (status, list) = h.json("GET", "/api/notes", None);
    assert_eq!(status, 200);
    assert_eq!(list[0]["text"], "buy milk");
    let (status, _) = h.json(
        "POST",
        "/api/notes",
        Some(serde_json::json!({ "text": " " })),
    );
    assert_eq!(status, 400);
    let (status, body) = h.json("GET", "/api/nothing", None);
    assert_eq!((status, body["error"].as_str()), (404, Some("no such API")));

    // A deep link gets the app shell, with the security headers of _headers.
    let (status, body, headers) = request_full(&url(&format!("/notes/{id}")), "GET", &[], None);
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("<main id=\"app\">"));
    assert_eq!(header(&headers, "x-content-type-options"), Some("nosniff"));
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/html; charset=utf-8")
    );

    let (status, body, headers) = request_full(&url("/assets/app.js"), "GET", &[], None);
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("client-side router"));
    assert_eq!(
        header(&headers, "cache-control"),
        Some("public, max-age=60, must-revalidate")
    );
    let etag = header(&headers, "etag").unwrap().to_string();
    let (status, _, _) = request_full(
        &url("/assets/app.js"),
        "GET",
        &[("if-none-match", &etag)],
        None,
    );
    assert_eq!(status, 304);

    let (status, _, headers) = request_full(&url("/note/7"), "GET", &[], None);
    assert_eq!(
        (status, header(&headers, "location")),
        (301, Some("/notes/7"))
    );
    let (status, _, headers) = request_full(&url("/favicon.svg"), "GET", &[], None);
    assert_eq!(
        (status, header(&headers, "content-type")),
        (200, Some("image/svg+xml"))
    );

    let (status, _, _) = request_full(&url(&format!("/api/notes/{id}")), "DELETE", &[], None);
    assert_eq!(status, 204);
    let (_, list) = h.json("GET", "/api/notes", None);
    assert_eq!(list, serde_json::json!([]));
}

//! Workers Static Assets (`[assets]`): routing in front of the worker,
//! html_handling, not_found_handling, run_worker_first, _headers,
//! _redirects, HTTP details, env.ASSETS, assets-only projects, bad input.

use hearth_tests::{fixture, request_full, write_project, Hearth};
use std::io::Read;

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn get(h: &Hearth, path: &str, headers: &[(&str, &str)]) -> (u16, Vec<u8>, Vec<(String, String)>) {
    request_full(&format!("{}{path}", h.url), "GET", headers, None)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn worker_calls(h: &Hearth) -> u64 {
    let (status, body, _) = get(h, "/api/calls", &[]);
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    v["calls"].as_u64().unwrap()
}

#[test]
fn matching_assets_are_served_without_entering_the_worker() {
    let h = Hearth::start(&fixture("assets"), &["--threads", "1"]);
    let before = worker_calls(&h);
    let (status, body, headers) = get(&h, "/app.js", &[]);
    assert_eq!(status, 200);
    assert!(text(&body).contains("export const value199"));
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/javascript; charset=utf-8")
    );
    // _headers replaces the default Cache-Control for this file.
    assert_eq!(
        header(&headers, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(header(&headers, "x-frame-options"), Some("DENY"));
    let (status, body, headers) = get(&h, "/", &[]);
    assert_eq!((status, text(&body).contains("The app shell")), (200, true));
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(
        header(&headers, "cache-control"),
        Some("public, max-age=0, must-revalidate")
    );
    // Only the /api/calls requests themselves reached the worker.
    assert_eq!(worker_calls(&h), before + 1);
}

#[test]
fn run_worker_first_routes_and_negations() {
    let h = Hearth::start(&fixture("assets"), &[]);
    let (status, body, _) = get(&h, "/api/users", &[]);
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["worker"], true);
    // `!/api/docs/*` goes to the assets even though `/api/*` matches.
    let (status, body, _) = get(&h, "/api/docs/", &[]);
    assert_eq!((status, text(&body).contains("API docs")), (200, true));
    // Outside the routes, an unknown path gets the SPA shell (not_found_handling
    // applies because run_worker_first has routes).
    let (status, body, _) = get(&h, "/some/client/route", &[]);
    assert_eq!((status, text(&body).contains("The app shell")), (200, true));
    // The worker also gets non-GET requests on its routes.
    let (status, body, _) = request_full(&format!("{}/api/items", h.url), "POST", &[], Some(b"{}"));
    assert_eq!(status, 200, "{}", text(&body));
    // A POST to an asset is refused, as on Cloudflare.
    let (status, _, _) = request_full(&format!("{}/app.js", h.url), "POST", &[], Some(b"x"));
    assert_eq!(status, 405);
}

#[test]
fn html_handling_redirects_with_307() {
    let h = Hearth::start(&fixture("assets"), &[]);
    for (path, location) in [
        ("/file.html", "/file"),
        ("/file/", "/file"),
        ("/folder", "/folder/"),
        ("/folder/index.html", "/folder/"),
        ("/index.html", "/"),
        ("/file.html?q=1", "/file?q=1"),
    ] {
        let (status, _, headers) = get(&h, path, &[]);
        assert_eq!(status, 307, "{path}");
        assert_eq!(header(&headers, "location"), Some(location), "{path}");
    }
    let (status, body, _) = get(&h, "/file", &[]);
    assert_eq!((status, text(&body).trim()), (200, "<h1>A file page</h1>"));
    let (status, body, _) = get(&h, "/folder/", &[]);
    assert_eq!(
        (status, text(&body).trim()),
        (200, "<h1>A folder page</h1>")
    );
}

#[test]
fn redirects_file() {
    let h = Hearth::start(&fixture("assets"), &[]);
    let (status, _, headers) = get(&h, "/old-page", &[]);
    assert_eq!((status, header(&headers, "location")), (301, Some("/file")));
    let (status, _, headers) = get(&h, "/go/docs/page?x=1", &[]);
    assert_eq!(
        (status, header(&headers, "location")),
        (302, Some("https://example.com/docs/page?x=1"))
    );
    let (status, _, headers) = get(&h, "/blog/2024/hello", &[]);
    assert_eq!(
        (status, header(&headers, "location")),
        (308, Some("/posts/2024/hello"))
    );
    // A 200 rule rewrites: the address stays, the content is /file's.
    let (status, body, _) = get(&h, "/pretty", &[]);
    assert_eq!((status, text(&body).trim()), (200, "<h1>A file page</h1>"));
    // Files Cloudflare never serves.
    for path in ["/_headers", "/_redirects", "/.assetsignore", "/secret.txt"] {
        let (status, body, _) = get(&h, path, &[]);
        assert!(!text(&body).contains("not for the public"), "{path}");
        assert!(!text(&body).contains("X-Frame-Options"), "{path}");
        // These fall back to the SPA shell, like any unknown path.
        assert_eq!(status, 200, "{path}");
    }
}

#[test]
fn etags_ranges_head_and_compression() {
    let h = Hearth::start(&fixture("assets"), &[]);
    let (status, body, headers) = get(&h, "/data.bin", &[]);
    assert_eq!((status, body.len()), (200, 1024));
    let etag = header(&headers, "etag").unwrap().to_string();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "strong ETag: {etag}"
    );
    assert_eq!(
        header(&headers, "content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(header(&headers, "accept-ranges"), Some("bytes"));
    let (status, body, _) = get(&h, "/data.bin", &[("if-none-match", &etag)]);
    assert_eq!((status, body.len()), (304, 0));
    let weak = format!("W/{etag}");
    assert_eq!(get(&h, "/data.bin", &[("if-none-match", &weak)]).0, 304);
    assert_eq!(
        get(&h, "/data.bin", &[("if-none-match", "\"other\"")]).0,
        200
    );

    let (status, body, headers) = get(&h, "/data.bin", &[("range", "bytes=256-259")]);
    assert_eq!(status, 206);
    assert_eq!(body, vec![0, 1, 2, 3]);
    assert_eq!(
        header(&headers, "content-range"),
        Some("bytes 256-259/1024")
    );
    let (status, body, _) = get(&h, "/data.bin", &[("range", "bytes=-2")]);
    assert_eq!((status, body), (206, vec![254, 255]));
    let (status, _, headers) = get(&h, "/data.bin", &[("range", "bytes=5000-")]);
    assert_eq!(
        (status, header(&headers, "content-range")),
        (416, Some("bytes */1024"))
    );

    let (status, body, headers) = request_full(&format!("{}/data.bin", h.url), "HEAD", &[], None);
    assert_eq!((status, body.len()), (200, 0));
    assert_eq!(header(&headers, "content-length"), Some("1024"));
    assert_eq!(header(&headers, "etag"), Some(etag.as_str()));

    let (_, plain, _) = get(&h, "/app.js", &[]);
    let (status, gz, headers) = get(&h, "/app.js", &[("accept-encoding", "gzip")]);
    assert_eq!(
        (status, header(&headers, "content-encoding")),
        (200, Some("gzip"))
    );
    assert!(
        gz.len() < plain.len() / 4,
        "gzip {} of {}",
        gz.len(),
        plain.len()
    );
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain);
    assert_eq!(header(&headers, "vary"), Some("Accept-Encoding"));
    let (status, br, headers) = get(&h, "/app.js", &[("accept-encoding", "gzip, deflate, br")]);
    assert_eq!(
        (status, header(&headers, "content-encoding")),
        (200, Some("br"))
    );
    let mut unbrotli = Vec::new();
    brotli::Decompressor::new(&br[..], 4096)
        .read_to_end(&mut unbrotli)
        .unwrap();
    assert_eq!(unbrotli, plain);
    // The same bytes again: compressed once, then kept.
    assert_eq!(get(&h, "/app.js", &[("accept-encoding", "br")]).1, br);
    // An encoded body's ETag is weak (as Cloudflare weakens it); it still revalidates.
    let weak_js = header(&headers, "etag").unwrap().to_string();
    assert!(weak_js.starts_with("W/\""), "{weak_js}");
    assert_eq!(
        get(
            &h,
            "/app.js",
            &[("if-none-match", &weak_js), ("accept-encoding", "br")]
        )
        .0,
        304
    );
}

#[test]
fn assets_binding_applies_the_same_handling() {
    let h = Hearth::start(&fixture("assets"), &[]);
    let (_, _, headers) = get(&h, "/app.js", &[]);
    let etag = header(&headers, "etag").unwrap().to_string();
    let (status, body, _) = get(
        &h,
        &format!("/api/asset?etag={}", etag.replace('"', "%22")),
        &[],
    );
    assert_eq!(status, 200, "{}", text(&body));
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["byUrl"]["status"], 307);
    assert_eq!(v["byUrl"]["location"], "/file");
    assert_eq!(v["byRequest"]["status"], 304);
    assert_eq!(v["byRequest"]["etag"], etag.as_str());
    assert_eq!(v["missing"]["status"], 200);
    assert!(v["missing"]["body"]
        .as_str()
        .unwrap()
        .contains("The app shell"));
}

#[test]
fn navigation_requests_get_the_spa_without_routes() {
    let dir = write_project(&[
        (
            "wrangler.jsonc",
            r#"{
              // SPA with a worker API and no run_worker_first: unknown paths go
              // to the worker, except browser navigations.
              "name": "spa", "main": "worker.js", "compatibility_date": "2025-06-01",
              "assets": { "directory": "dist", "not_found_handling": "single-page-application" }
            }"#,
        ),
        (
            "worker.js",
            "export default { fetch(r) { return new Response('from the worker'); } };",
        ),
        ("dist/index.html", "<h1>shell</h1>"),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    let (_, body, _) = get(&h, "/api/list", &[]);
    assert_eq!(text(&body), "from the worker");
    let (_, body, _) = get(&h, "/settings", &[("sec-fetch-mode", "navigate")]);
    assert_eq!(text(&body), "<h1>shell</h1>");
    let (_, body, _) = get(&h, "/", &[]);
    assert_eq!(text(&body), "<h1>shell</h1>");
}

#[test]
fn run_worker_first_true_sends_everything_to_the_worker() {
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"auth\"\nmain = \"worker.js\"\n[assets]\ndirectory = \"public\"\nbinding = \"ASSETS\"\nrun_worker_first = true\n",
        ),
        (
            "worker.js",
            "export default { async fetch(r, env) {\n\
               if (!r.headers.get('authorization')) return new Response('login first', { status: 401 });\n\
               return env.ASSETS.fetch(r);\n\
             } };",
        ),
        ("public/index.html", "members only"),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(get(&h, "/", &[]).0, 401);
    let (status, body, headers) = get(&h, "/", &[("authorization", "Bearer x")]);
    assert_eq!((status, text(&body)), (200, "members only".to_string()));
    // No browser caching of a response to an authorized request.
    assert_eq!(header(&headers, "cache-control"), None);
}

#[test]
fn assets_only_project_with_404_page() {
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"site\"\ncompatibility_date = \"2025-06-01\"\n[assets]\ndirectory = \"./site\"\nnot_found_handling = \"404-page\"\n",
        ),
        ("site/index.html", "home"),
        ("site/404.html", "top-level not found"),
        ("site/docs/404.html", "docs not found"),
        ("site/docs/intro.html", "intro"),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    assert!(!h.logs().contains("WARN"), "{}", h.logs());
    assert_eq!(text(&get(&h, "/docs/intro", &[]).1), "intro");
    let (status, body, _) = get(&h, "/docs/missing/page", &[]);
    assert_eq!((status, text(&body)), (404, "docs not found".to_string()));
    let (status, body, _) = get(&h, "/elsewhere", &[]);
    assert_eq!(
        (status, text(&body)),
        (404, "top-level not found".to_string())
    );
}

#[test]
fn bad_input_is_named() {
    // A missing folder: the configuration file and the folder.
    let dir = write_project(&[(
        "wrangler.toml",
        "name = \"x\"\n[assets]\ndirectory = \"./dist\"\n",
    )]);
    let logs = Hearth::try_start(dir.path(), &[])
        .err()
        .expect("must not start");
    assert!(
        logs.contains("wrangler.toml: assets:") && logs.contains("dist"),
        "{logs}"
    );

    // A bad value names the file, line and key.
    let dir = write_project(&[(
        "wrangler.toml",
        "name = \"x\"\n[assets]\ndirectory = \"./dist\"\nhtml_handling = \"sometimes\"\n",
    )]);
    let logs = Hearth::try_start(dir.path(), &[])
        .err()
        .expect("must not start");
    assert!(
        logs.contains("wrangler.toml:4") && logs.contains("assets.html_handling"),
        "{logs}"
    );

    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"x\"\n[assets]\ndirectory = \"dist\"\nrun_worker_first = [\"api/*\"]\n",
        ),
        ("dist/index.html", "x"),
    ]);
    let logs = Hearth::try_start(dir.path(), &[])
        .err()
        .expect("must not start");
    assert!(
        logs.contains("assets.run_worker_first") && logs.contains("'api/*'"),
        "{logs}"
    );

    // A file over 25 MiB is named.
    let dir = write_project(&[(
        "wrangler.toml",
        "name = \"x\"\n[assets]\ndirectory = \"dist\"\n",
    )]);
    std::fs::create_dir_all(dir.path().join("dist")).unwrap();
    let big = std::fs::File::create(dir.path().join("dist/video.mp4")).unwrap();
    big.set_len(25 * 1024 * 1024 + 1).unwrap();
    let logs = Hearth::try_start(dir.path(), &[])
        .err()
        .expect("must not start");
    assert!(
        logs.contains("video.mp4") && logs.contains("25 MiB"),
        "{logs}"
    );

    // A broken _redirects line is a warning naming the file and line; the
    // rest of the file works.
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"x\"\n[assets]\ndirectory = \"dist\"\n",
        ),
        ("dist/index.html", "home"),
        ("dist/_redirects", "/a /b 301\n/broken\n/c /d 418\n"),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    let logs = h.logs();
    assert!(logs.contains("_redirects:2: expected 2 or 3"), "{logs}");
    assert!(logs.contains("_redirects:3: valid status codes"), "{logs}");
    assert_eq!(get(&h, "/a", &[]).0, 301);
}

#[test]
fn a_changed_asset_is_served_after_reload() {
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"x\"\n[assets]\ndirectory = \"dist\"\n",
        ),
        ("dist/index.html", "version one"),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(text(&get(&h, "/", &[]).1), "version one");
    std::fs::create_dir_all(dir.path().join("dist/new")).unwrap();
    std::fs::write(dir.path().join("dist/new/page.html"), "a new page").unwrap();
    std::fs::write(dir.path().join("dist/index.html"), "version two").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while text(&get(&h, "/", &[]).1) != "version two" {
        assert!(
            std::time::Instant::now() < deadline,
            "not reloaded:\n{}",
            h.logs()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(text(&get(&h, "/new/page", &[]).1), "a new page");
}

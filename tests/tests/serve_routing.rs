//! `hearth serve`'s routing: `routes` patterns by host and path (the most
//! specific wins), custom domains, `<worker>.<base domain>` for workers
//! without routes, conflicts refused at deploy time, unknown hosts.

use hearth_tests::{request, run_to_exit, write_project, Hearth};
use std::time::Duration;

const TOKEN: &str = "routing-token";

fn project(name: &str, routes: &str) -> tempfile::TempDir {
    let toml = format!(
        "name = \"{name}\"\nmain = \"index.js\"\ncompatibility_date = \"2025-01-01\"\n{routes}\n"
    );
    let js = format!(
        "export default {{ fetch(request) {{ return new Response('{name} ' + new URL(request.url).pathname); }} }};\n"
    );
    write_project(&[("wrangler.toml", &toml), ("index.js", &js)])
}

fn deploy(hearth: &Hearth, dir: &tempfile::TempDir) -> (bool, String) {
    let admin = hearth.admin_url();
    let (status, out) = run_to_exit(
        &[
            "deploy",
            dir.path().to_str().unwrap(),
            "--server",
            &admin,
            "--token",
            TOKEN,
        ],
        Duration::from_secs(60),
    );
    (status.success(), out)
}

fn get(hearth: &Hearth, host: &str, path: &str) -> (u16, String) {
    request(
        &format!("{}{path}", hearth.url),
        "GET",
        &[("host", host)],
        None,
    )
}

#[test]
fn routes_pick_the_most_specific_pattern() {
    let data = tempfile::tempdir().unwrap();
    let hearth = Hearth::serve(
        data.path(),
        &["--admin-token", TOKEN, "--base-domain", "apps.test"],
        &[],
    );
    let site = project("site", "routes = [\"example.com/*\"]");
    let api = project(
        "api",
        "routes = [{ pattern = \"example.com/api/*\", zone_name = \"example.com\" }]",
    );
    let shop = project(
        "shop",
        "routes = [{ pattern = \"shop.example.com\", custom_domain = true }]",
    );
    let subs = project("subs", "route = \"*.example.com/*\"");
    let plain = project("plain", "");
    for p in [&site, &api, &shop, &subs, &plain] {
        let (ok, out) = deploy(&hearth, p);
        assert!(ok, "{out}\n{}", hearth.logs());
    }
    assert_eq!(get(&hearth, "example.com", "/"), (200, "site /".into()));
    assert_eq!(
        get(&hearth, "example.com", "/api/users"),
        (200, "api /api/users".into())
    );
    assert_eq!(
        get(&hearth, "EXAMPLE.com:8080", "/api/"),
        (200, "api /api/".into())
    );
    assert_eq!(
        get(&hearth, "shop.example.com", "/cart"),
        (200, "shop /cart".into())
    );
    assert_eq!(
        get(&hearth, "blog.example.com", "/api/x"),
        (200, "subs /api/x".into())
    );
    assert_eq!(
        get(&hearth, "plain.apps.test", "/x"),
        (200, "plain /x".into())
    );
    // A worker with routes does not answer on its own hostname.
    assert_eq!(get(&hearth, "site.apps.test", "/").0, 404);
    let (status, body) = get(&hearth, "nobody.example.org", "/");
    assert_eq!(status, 404);
    assert!(body.contains("nobody.example.org"), "{body}");
}

#[test]
fn a_pattern_served_by_another_worker_is_refused_at_deploy_time() {
    let data = tempfile::tempdir().unwrap();
    let hearth = Hearth::serve(data.path(), &["--admin-token", TOKEN], &[]);
    let first = project("first", "routes = [\"claimed.example/*\"]");
    let second = project("second", "routes = [\"https://CLAIMED.example/*\"]");
    assert!(deploy(&hearth, &first).0);
    let (ok, out) = deploy(&hearth, &second);
    assert!(!ok, "{out}");
    assert!(out.contains("already served by worker `first`"), "{out}");
    assert_eq!(
        get(&hearth, "claimed.example", "/"),
        (200, "first /".into())
    );
    // Nothing of the refused deploy serves.
    assert_eq!(get(&hearth, "second.localhost", "/").0, 404);

    let bad = project("bad", "routes = [\"example.com/a*b\"]");
    let (ok, out) = deploy(&hearth, &bad);
    assert!(!ok && out.contains("only at the end of the path"), "{out}");
}

#[test]
fn http_localhost_subdomains_reach_a_worker() {
    let data = tempfile::tempdir().unwrap();
    let hearth = Hearth::serve(data.path(), &["--admin-token", TOKEN], &[]);
    let hello = project("hello", "");
    assert!(deploy(&hearth, &hello).0);
    // `curl http://hello.localhost:PORT/`: curl (as browsers) resolves
    // `*.localhost` to loopback itself, and the Host header names the worker.
    let url = format!("http://hello.localhost:{}/hi", hearth.port);
    let out = std::process::Command::new("curl")
        .args(["-sS", &url])
        .output()
        .expect("curl runs");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello /hi", "{out:?}");
}

//! `hearth serve`'s admin API is guarded: bearer tokens (deploy and
//! read-only), loopback by default, and out of reach of worker code.

use hearth_tests::{request, run_to_exit, write_project, Hearth};
use std::time::Duration;

const DEPLOY: &str = "the-deploy-token";
const READ: &str = "the-read-token";

fn server() -> (Hearth, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let hearth = Hearth::serve(
        data.path(),
        &[],
        &[("HEARTH_ADMIN_TOKEN", DEPLOY), ("HEARTH_READ_TOKEN", READ)],
    );
    (hearth, data)
}

fn hearth_cli(args: &[&str], admin: &str, token: &str) -> (bool, String) {
    let mut all = args.to_vec();
    all.extend(["--server", admin, "--token", token]);
    let (status, out) = run_to_exit(&all, Duration::from_secs(60));
    (status.success(), out)
}

/// A worker that fetches the URL in `?url=` and reports what happened.
fn prober() -> tempfile::TempDir {
    write_project(&[
        (
            "wrangler.toml",
            "name = \"prober\"\nmain = \"index.js\"\ncompatibility_date = \"2025-01-01\"\n",
        ),
        (
            "index.js",
            "export default { async fetch(request) {\n\
               const target = new URL(request.url).searchParams.get('url');\n\
               try { const r = await fetch(target, { headers: { authorization: 'Bearer the-deploy-token' } });\n\
                 return new Response('reached ' + r.status); }\n\
               catch (e) { return new Response('refused: ' + e.message); }\n\
             } };\n",
        ),
    ])
}

#[test]
fn the_admin_api_needs_a_token_and_read_tokens_cannot_deploy() {
    let (hearth, _data) = server();
    let admin = hearth.admin_url();
    assert!(
        admin.starts_with("http://127.0.0.1:"),
        "loopback by default: {admin}"
    );
    let workers = format!("{admin}/api/workers");
    assert_eq!(request(&workers, "GET", &[], None).0, 401);
    assert_eq!(
        request(&workers, "GET", &[("authorization", "Bearer nope")], None).0,
        401
    );
    assert_eq!(
        request(
            &workers,
            "GET",
            &[("authorization", "Bearer the-deploy-toke")],
            None
        )
        .0,
        401
    );
    assert_eq!(
        request(
            &workers,
            "GET",
            &[("authorization", &format!("Bearer {READ}"))],
            None
        )
        .0,
        200
    );

    let p = prober();
    let dir = p.path().to_str().unwrap();
    let (ok, out) = hearth_cli(&["deploy", dir], &admin, READ);
    assert!(!ok && out.contains("read-only"), "{out}");
    let (ok, out) = hearth_cli(&["deploy", dir], &admin, "wrong");
    assert!(!ok && out.contains("401"), "{out}");
    let (ok, out) = hearth_cli(&["deploy", dir], &admin, DEPLOY);
    assert!(ok, "{out}");
    let (ok, out) = hearth_cli(&["deployments", "list", "--name", "prober"], &admin, READ);
    assert!(ok, "{out}");
    let (ok, out) = hearth_cli(&["rollback", "--name", "prober", "--yes"], &admin, READ);
    assert!(!ok && out.contains("read-only"), "{out}");
    assert!(!hearth.logs().contains(DEPLOY), "tokens are never logged");
}

#[test]
fn worker_code_cannot_reach_the_admin_api() {
    let (hearth, _data) = server();
    let admin = hearth.admin_url();
    let p = prober();
    let (ok, out) = hearth_cli(&["deploy", p.path().to_str().unwrap()], &admin, DEPLOY);
    assert!(ok, "{out}");
    let port = admin.rsplit(':').next().unwrap().to_string();
    for target in [
        format!("{admin}/api/workers"),
        format!("http://localhost:{port}/api/workers"),
        format!("http://0.0.0.0:{port}/api/workers"),
        format!("http://[::ffff:127.0.0.1]:{port}/api/workers"),
        format!("http://2130706433:{port}/api/workers"),
    ] {
        let url = format!("{}/?url={}", hearth.url, target.replace('&', "%26"));
        let (status, body) = request(&url, "GET", &[("host", "prober.localhost")], None);
        assert_eq!(status, 200);
        assert!(
            body.starts_with("refused:") && body.contains("admin API"),
            "{target}: {body}"
        );
    }
    // The worker's own public port is reachable (the refusal is the admin's alone).
    let url = format!("{}/?url=http://127.0.0.1:{}/", hearth.url, hearth.port);
    let (_, body) = request(&url, "GET", &[("host", "prober.localhost")], None);
    assert!(body.starts_with("reached 404"), "{body}");
}

#[test]
fn serve_refuses_to_start_without_a_deploy_token() {
    let data = tempfile::tempdir().unwrap();
    let (status, out) = run_to_exit(
        &[
            "serve",
            "--data",
            data.path().to_str().unwrap(),
            "--port",
            "0",
            "--admin-port",
            "0",
        ],
        Duration::from_secs(30),
    );
    assert!(!status.success());
    assert!(out.contains("--admin-token"), "{out}");
}

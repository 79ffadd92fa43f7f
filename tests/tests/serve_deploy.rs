//! `hearth serve` and deploying to it: a real server process, real
//! deploys over HTTP from the `hearth` CLI, versions, splits, rollbacks,
//! secrets, environments, refused deploys and draining.

use hearth_tests::{request, request_full, run_with_input, write_project, Hearth};
use std::time::{Duration, Instant};

const TOKEN: &str = "deploy-token-for-tests";

/// A worker answering `<label> <version id> <tag> <secret>`; `/slow` waits
/// 1.5 s first.
fn project(name: &str, label: &str) -> tempfile::TempDir {
    let toml = format!(
        "name = \"{name}\"\nmain = \"index.js\"\ncompatibility_date = \"2025-01-01\"\n\
         version_metadata = {{ binding = \"VERSION\" }}\n\
         [env.staging]\nversion_metadata = {{ binding = \"VERSION\" }}\n"
    );
    let js = format!(
        "export default {{ async fetch(request, env) {{\n\
           if (new URL(request.url).pathname === '/slow') await new Promise(r => setTimeout(r, 1500));\n\
           return new Response(`{label} ${{env.VERSION.id}} ${{env.VERSION.tag}} ${{env.SECRET ?? '-'}}`);\n\
         }} }};\n"
    );
    write_project(&[("wrangler.toml", &toml), ("index.js", &js)])
}

struct Server {
    hearth: Hearth,
    _data: tempfile::TempDir,
}

fn serve() -> Server {
    let data = tempfile::tempdir().unwrap();
    let hearth = Hearth::serve(data.path(), &["--admin-token", TOKEN], &[]);
    Server {
        hearth,
        _data: data,
    }
}

impl Server {
    /// `hearth ARGS... --server URL --token TOKEN`, with `input` on stdin.
    fn cli(&self, args: &[&str], input: Option<&str>) -> (bool, String) {
        let admin = self.hearth.admin_url();
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--server", &admin, "--token", TOKEN]);
        let (status, out) = run_with_input(&all, input.map(str::as_bytes), Duration::from_secs(60));
        (status.success(), out)
    }

    fn ok(&self, args: &[&str]) -> String {
        let (ok, out) = self.cli(args, None);
        assert!(ok, "hearth {args:?} failed:\n{out}\n{}", self.hearth.logs());
        out
    }

    /// `GET path` on the worker host `host`.
    fn get(&self, host: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
        let mut all = vec![("host", host)];
        all.extend_from_slice(headers);
        request(&format!("{}{path}", self.hearth.url), "GET", &all, None)
    }
}

/// The id after `prefix` in a command's output.
fn id_after(out: &str, prefix: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} in:\n{out}"))
        .trim()
        .to_string()
}

fn is_uuid(id: &str) -> bool {
    id.len() == 36 && id.split('-').map(str::len).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
}

#[test]
fn deploy_upload_split_and_roll_back() {
    let s = serve();
    let (status, body) = s.get("hello.localhost", "/", &[]);
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("hello.localhost"), "{body}");

    let v1dir = project("hello", "v1");
    let dir = v1dir.path().to_str().unwrap();
    let out = s.ok(&["deploy", dir, "--tag", "first", "--message", "one"]);
    let v1 = id_after(&out, "Current Version ID: ");
    assert!(is_uuid(&v1), "{v1}");
    let (status, body) = s.get("hello.localhost:8080", "/", &[]);
    assert_eq!(
        (status, body.as_str()),
        (200, format!("v1 {v1} first -").as_str())
    );

    // An uploaded version does not serve until deployed.
    let v2dir = project("hello", "v2");
    let out = s.ok(&[
        "versions",
        "upload",
        v2dir.path().to_str().unwrap(),
        "--tag",
        "second",
    ]);
    let v2 = id_after(&out, "Worker Version ID: ");
    assert!(is_uuid(&v2) && v2 != v1, "{out}");
    assert!(s.get("hello.localhost", "/", &[]).1.starts_with("v1 "));

    let listed = s.ok(&["versions", "list", "--name", "hello", "--json"]);
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed[0]["id"], v2.as_str());
    assert_eq!(listed[1]["id"], v1.as_str());
    assert_eq!(listed[1]["message"], "one");
    let viewed = s.ok(&["versions", "view", &v1, "--name", "hello", "--json"]);
    assert!(viewed.contains("\"first\""), "{viewed}");

    // A 50/50 split: both serve, a version key is sticky, an override forces.
    s.ok(&[
        "versions",
        "deploy",
        &format!("{v1}@50%"),
        &format!("{v2}@50%"),
        "--name",
        "hello",
        "--yes",
        "--no-judge",
    ]);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..60 {
        seen.insert(s.get("hello.localhost", "/", &[]).1[..2].to_string());
    }
    assert_eq!(seen.len(), 2, "both versions serve a 50% split: {seen:?}");
    for key in ["alice", "bob", "carol"] {
        let first = s
            .get(
                "hello.localhost",
                "/",
                &[("Cloudflare-Workers-Version-Key", key)],
            )
            .1;
        for _ in 0..10 {
            let again = s
                .get(
                    "hello.localhost",
                    "/",
                    &[("Cloudflare-Workers-Version-Key", key)],
                )
                .1;
            assert_eq!(again, first, "key {key} moved");
        }
    }
    let forced = format!("hello=\"{v2}\"");
    for _ in 0..10 {
        let body = s
            .get(
                "hello.localhost",
                "/",
                &[("Cloudflare-Workers-Version-Overrides", &forced)],
            )
            .1;
        assert!(body.starts_with(&format!("v2 {v2} second")), "{body}");
    }
    let status = s.ok(&["deployments", "status", "--name", "hello", "--json"]);
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["versions"].as_array().unwrap().len(), 2);

    // Bad splits are refused.
    let (ok, out) = s.cli(
        &[
            "versions",
            "deploy",
            &format!("{v1}@50%"),
            &format!("{v2}@40%"),
            "--name",
            "hello",
            "--yes",
        ],
        None,
    );
    assert!(!ok && out.contains("sum to 90"), "{out}");

    s.ok(&[
        "versions",
        "deploy",
        &format!("{v2}@100%"),
        "--name",
        "hello",
        "--yes",
    ]);
    assert!(s.get("hello.localhost", "/", &[]).1.starts_with("v2 "));
    // Rollback without an id goes back to what served before.
    s.ok(&["rollback", "--name", "hello", "--yes"]);
    assert!(s.get("hello.localhost", "/", &[]).1.starts_with("v1 "));
    s.ok(&["rollback", &v2, "--name", "hello", "--yes"]);
    assert!(s.get("hello.localhost", "/", &[]).1.starts_with("v2 "));
    let list = s.ok(&["deployments", "list", "--name", "hello", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 5, "{list}");
    assert_eq!(list[1]["message"], "Rollback");
}

#[test]
fn a_malformed_project_is_refused_whole_and_the_old_version_keeps_serving() {
    let s = serve();
    let good = project("stable", "good");
    s.ok(&["deploy", good.path().to_str().unwrap()]);

    let syntax = project("stable", "bad");
    std::fs::write(
        syntax.path().join("index.js"),
        "export default {\n  fetch() {\n    return new Response('x';\n  }\n};\n",
    )
    .unwrap();
    let (ok, out) = s.cli(&["deploy", syntax.path().to_str().unwrap()], None);
    assert!(!ok, "{out}");
    assert!(
        out.contains("index.js:3"),
        "the error names file and line:\n{out}"
    );

    let config = project("stable", "bad");
    std::fs::write(
        config.path().join("wrangler.toml"),
        "name = \"stable\"\nmain = \"index.js\"\ncompatibility_date = [\n",
    )
    .unwrap();
    let (ok, out) = s.cli(
        &["versions", "upload", config.path().to_str().unwrap()],
        None,
    );
    assert!(!ok, "{out}");
    assert!(out.contains("wrangler.toml"), "{out}");

    assert!(s.get("stable.localhost", "/", &[]).1.starts_with("good "));
    let listed = s.ok(&["versions", "list", "--name", "stable", "--json"]);
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "refused uploads leave no version"
    );
}

#[test]
fn secrets_reach_env_and_are_never_shown() {
    let s = serve();
    let p = project("vault", "v");
    let dir = p.path().to_str().unwrap();
    std::fs::write(p.path().join(".dev.vars"), "SECRET=from-dev-vars\n").unwrap();
    s.ok(&["deploy", dir]);
    assert!(
        s.get("vault.localhost", "/", &[]).1.ends_with(" -"),
        ".dev.vars is not uploaded"
    );

    let (ok, out) = s.cli(
        &["secret", "put", "SECRET", "--name", "vault"],
        Some("hunter2-value\n"),
    );
    assert!(ok, "{out}");
    assert!(!out.contains("hunter2"), "{out}");
    let body = s.get("vault.localhost", "/", &[]).1;
    assert!(body.ends_with(" hunter2-value"), "{body}");

    let list = s.ok(&["secret", "list", "--name", "vault"]);
    assert!(
        list.contains("SECRET") && !list.contains("hunter2"),
        "{list}"
    );
    assert!(!s.hearth.logs().contains("hunter2"), "{}", s.hearth.logs());
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(s._data.path().join("control.sqlite"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    s.ok(&["secret", "delete", "SECRET", "--name", "vault"]);
    assert!(s.get("vault.localhost", "/", &[]).1.ends_with(" -"));
    let (ok, out) = s.cli(&["secret", "delete", "SECRET", "--name", "vault"], None);
    assert!(!ok && out.contains("no secret SECRET"), "{out}");
}

#[test]
fn an_environment_deploys_as_its_own_worker() {
    let s = serve();
    let p = project("site", "prod");
    let dir = p.path().to_str().unwrap();
    s.ok(&["deploy", dir]);
    let out = s.ok(&["deploy", dir, "--env", "staging"]);
    assert!(out.contains("site-staging"), "{out}");
    assert!(s.get("site.localhost", "/", &[]).1.starts_with("prod "));
    assert_eq!(s.get("site-staging.localhost", "/", &[]).0, 200);
    let prod = s.ok(&["versions", "list", "--name", "site", "--json"]);
    let prod: serde_json::Value = serde_json::from_str(&prod).unwrap();
    assert_eq!(prod.as_array().unwrap().len(), 1);
}

#[test]
fn a_deploy_lets_requests_in_flight_finish_and_sigterm_drains() {
    let s = serve();
    let v1 = project("live", "v1");
    s.ok(&["deploy", v1.path().to_str().unwrap()]);
    let url = s.hearth.url.clone();
    let slow = std::thread::spawn({
        let url = url.clone();
        move || {
            request(
                &format!("{url}/slow"),
                "GET",
                &[("host", "live.localhost")],
                None,
            )
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    let v2 = project("live", "v2");
    let started = Instant::now();
    s.ok(&["deploy", v2.path().to_str().unwrap()]);
    assert!(s.get("live.localhost", "/", &[]).1.starts_with("v2 "));
    let took = started.elapsed();
    let (status, body) = slow.join().unwrap();
    assert_eq!(status, 200);
    assert!(
        body.starts_with("v1 "),
        "the request in flight finished on v1: {body}"
    );
    eprintln!("deploy took effect after {took:?}");

    // SIGTERM while a request runs: it finishes, then hearth exits 0 —
    // without waiting the 30 s drain timeout for an idle kept-alive
    // connection (a client's pool), which is closed at once.
    let mut idle = std::net::TcpStream::connect(("127.0.0.1", s.hearth.port)).unwrap();
    {
        use std::io::{Read, Write};
        idle.write_all(b"GET / HTTP/1.1\r\nHost: live.localhost\r\n\r\n")
            .unwrap();
        let mut answer = [0u8; 512];
        let n = idle.read(&mut answer).unwrap();
        assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 200"));
    }
    let slow = std::thread::spawn({
        let url = url.clone();
        move || {
            request_full(
                &format!("{url}/slow"),
                "GET",
                &[("host", "live.localhost")],
                None,
            )
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    let mut s = s;
    let pid = s.hearth.pid();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let (status, body, _) = slow.join().unwrap();
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).starts_with("v2 "));
    let exit = s
        .hearth
        .wait(Duration::from_secs(10))
        .expect("hearth exits after draining");
    assert!(exit.success(), "{exit:?}\n{}", s.hearth.logs());
    drop(idle);
}

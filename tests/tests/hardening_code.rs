//! Hostile code, black-box: what a request leaves behind (timers,
//! microtasks) is bounded as on Cloudflare — its timers are cancelled when
//! it ends unless `waitUntil` keeps it going, and its CPU budget covers
//! them; a loop of microtasks gets the CPU limit's error and the worker
//! recovers; top-level code gets Cloudflare's start-up CPU limit, at start
//! and on reload, and signals still stop hearth.

use hearth_tests::{write_project, Hearth};
use std::process::Command;
use std::time::{Duration, Instant};

/// User plus system CPU time of process `pid`, from /proc/<pid>/stat.
fn process_cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the parenthesized command name; utime and stime are the
    // 14th and 15th fields of the line.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    let per_second = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(100);
    Duration::from_millis(ticks * 1000 / per_second)
}

fn timers_project() -> tempfile::TempDir {
    write_project(&[
        (
            "wrangler.toml",
            "name = \"timers\"\nmain = \"index.js\"\ncompatibility_date = \"2025-09-20\"\n\
             kv_namespaces = [{ binding = \"KV\", id = \"timers\" }]\n",
        ),
        (
            "index.js",
            r#"export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === '/intervals') {
      let ticks = 0;
      for (let i = 0; i < 100000; i++) setInterval(() => { ticks++; }, 0);
      return new Response('armed');
    }
    if (url.pathname === '/later') {
      setTimeout(() => env.KV.put('later', 'fired'), 200);
      return new Response('armed');
    }
    if (url.pathname === '/waited') {
      ctx.waitUntil(new Promise((resolve) => setTimeout(() => resolve(env.KV.put('waited', 'fired')), 200)));
      return new Response('armed');
    }
    if (url.pathname === '/get') return new Response(String(await env.KV.get(url.searchParams.get('k'))));
    return new Response('ok');
  },
};
"#,
        ),
    ])
}

/// The CPU time hearth's process spends over the next `window`.
fn cpu_spent_over(h: &Hearth, window: Duration) -> Duration {
    let before = process_cpu(h.pid());
    std::thread::sleep(window);
    process_cpu(h.pid()) - before
}

#[test]
fn timers_left_behind_by_a_request_stop_when_it_ends() {
    let dir = timers_project();
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(h.get("/intervals"), (200, "armed".into()));
    std::thread::sleep(Duration::from_millis(500));
    let window = Duration::from_secs(2);
    let spent = cpu_spent_over(&h, window);
    assert!(
        spent < window / 10,
        "100,000 intervals kept hearth busy after the response: {spent:?} of CPU in {window:?}"
    );
    assert_eq!(h.get("/"), (200, "ok".into()));

    // A timer of a finished request never fires; one a waitUntil promise
    // waits for does.
    assert_eq!(h.get("/later"), (200, "armed".into()));
    assert_eq!(h.get("/waited"), (200, "armed".into()));
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(
        h.get("/get?k=waited"),
        (200, "fired".into()),
        "{}",
        h.logs()
    );
    assert_eq!(h.get("/get?k=later"), (200, "null".into()), "{}", h.logs());
}

#[test]
fn a_microtask_loop_gets_the_cpu_limit_and_the_worker_recovers() {
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"spin\"\nmain = \"index.js\"\ncompatibility_date = \"2025-09-20\"\n\
             [limits]\ncpu_ms = 300\n",
        ),
        (
            "index.js",
            r#"export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === '/microtasks') { for (;;) await null; }
    if (url.pathname === '/sync') { for (;;) {} }
    if (url.pathname === '/background') {
      // After the response: each tick is short, together they pass the
      // request's budget.
      ctx.waitUntil(new Promise(() => {
        const spin = () => { for (let i = 0; i < 300000; i++); setTimeout(spin, 0); };
        spin();
      }));
      return new Response('accepted');
    }
    return new Response('ok');
  },
};
"#,
        ),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    for path in ["/microtasks", "/sync"] {
        let start = Instant::now();
        let (status, body) = h.get(path);
        assert_eq!(status, 500, "{path}: {body}");
        assert!(
            body.contains("exceeded its CPU time limit of 300 ms"),
            "{path}: {body}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{path} took {:?}",
            start.elapsed()
        );
        assert_eq!(h.get("/"), (200, "ok".into()), "after {path}: {}", h.logs());
    }
    // Work a request leaves behind stops at its budget: the process goes
    // quiet, the limit is logged, and the worker serves on.
    let limit = "exceeded its CPU time limit of 300 ms";
    let seen = h.logs().matches(limit).count();
    assert_eq!(h.get("/background"), (200, "accepted".into()));
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.logs().matches(limit).count() == seen {
        assert!(
            Instant::now() < deadline,
            "the limit was never logged\n{}",
            h.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    let window = Duration::from_secs(2);
    let spent = cpu_spent_over(&h, window);
    assert!(
        spent < window / 10,
        "background work went on: {spent:?} in {window:?}"
    );
    assert_eq!(h.get("/"), (200, "ok".into()), "{}", h.logs());
}

#[test]
fn endless_top_level_code_fails_start_up_naming_the_file() {
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"stuck\"\nmain = \"src/index.js\"\ncompatibility_date = \"2025-09-20\"\n",
        ),
        (
            "src/index.js",
            "while (true) {}\nexport default { fetch() { return new Response('never'); } };\n",
        ),
    ]);
    let start = Instant::now();
    let logs = match Hearth::try_start(dir.path(), &[]) {
        Ok(_) => panic!("hearth started"),
        Err(logs) => logs,
    };
    assert!(
        logs.contains("Script startup exceeded CPU time limit") && logs.contains("src/index.js"),
        "{logs}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn endless_top_level_code_on_reload_keeps_the_old_version_and_signals_work() {
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"reload\"\nmain = \"index.js\"\ncompatibility_date = \"2025-09-20\"\n",
        ),
        (
            "index.js",
            "export default { fetch() { return new Response('v1'); } };\n",
        ),
    ]);
    let mut h = Hearth::start(dir.path(), &[]);
    assert_eq!(h.get("/"), (200, "v1".into()));
    std::fs::write(
        dir.path().join("index.js"),
        "while (true) {}\nexport default { fetch() { return new Response('never'); } };\n",
    )
    .unwrap();
    h.wait_for_log("Script startup exceeded CPU time limit");
    assert_eq!(h.get("/"), (200, "v1".into()), "{}", h.logs());
    // A later fix is loaded.
    std::fs::write(
        dir.path().join("index.js"),
        "export default { fetch() { return new Response('v2'); } };\n",
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.get("/").1 != "v2" {
        assert!(Instant::now() < deadline, "v2 never loaded\n{}", h.logs());
        std::thread::sleep(Duration::from_millis(50));
    }
    let sent = Command::new("kill")
        .args(["-TERM", &h.pid().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = h
        .wait(Duration::from_secs(5))
        .expect("hearth ignored SIGTERM");
    assert_eq!(status.code(), Some(0), "{}", h.logs());
}

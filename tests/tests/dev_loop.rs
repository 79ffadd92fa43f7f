//! The dev loop: reload when an imported module, the configuration or
//! `.dev.vars` changes, and only then (not for the state folder, a log in the
//! project, unrelated files); keep serving through a broken edit; exit
//! promptly on Ctrl-C and SIGTERM at any moment.

use hearth_tests::{copy_project, hearth_bin, repo_root, request, write_project, Hearth};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn wait_for_body(h: &Hearth, expected: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = h.get("/");
        if status == 200 && body == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "still {status} {body:?}, wanted {expected:?}\n{}",
            h.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn editing_the_entry_reloads_without_a_restart() {
    let dir = copy_project(&repo_root().join("examples/hello"));
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(h.get("/"), (200, "Hello World".into()));
    std::fs::write(
        dir.path().join("src/index.js"),
        "export default { fetch(req, env) { return new Response(`${env.GREETING} again`); } };\n",
    )
    .unwrap();
    wait_for_body(&h, "Hello again");
    // Same process, same port.
    assert_eq!(h.get("/anything"), (200, "Hello again".into()));
}

#[test]
fn editing_the_config_reloads_with_new_vars() {
    let dir = copy_project(&repo_root().join("examples/hello"));
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(h.get("/"), (200, "Hello World".into()));
    let config = dir.path().join("wrangler.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace("GREETING = \"Hello\"", "GREETING = \"Bonjour\""),
    )
    .unwrap();
    wait_for_body(&h, "Bonjour World");
}

#[test]
fn editing_an_imported_module_reloads() {
    let dir = copy_project(&repo_root().join("examples/hello"));
    std::fs::write(
        dir.path().join("src/word.js"),
        "export const WORD = 'one';\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("src/index.js"),
        "import { WORD } from './word.js';\nexport default { fetch() { return new Response(WORD); } };\n",
    )
    .unwrap();
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(h.get("/"), (200, "one".into()));
    std::fs::write(
        dir.path().join("src/word.js"),
        "export const WORD = 'two';\n",
    )
    .unwrap();
    wait_for_body(&h, "two");
}

/// A module in a folder created after start-up is watched once imported
/// (hearth watches the folders of the modules it loaded).
#[test]
fn a_module_in_a_folder_created_later_reloads_on_edit() {
    let dir = copy_project(&repo_root().join("examples/hello"));
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(h.get("/"), (200, "Hello World".into()));
    std::fs::create_dir(dir.path().join("words")).unwrap();
    std::fs::write(
        dir.path().join("words/word.js"),
        "export const WORD = 'first';\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("src/index.js"),
        "import { WORD } from '../words/word.js';\nexport default { fetch() { return new Response(WORD); } };\n",
    )
    .unwrap();
    wait_for_body(&h, "first");
    std::fs::write(
        dir.path().join("words/word.js"),
        "export const WORD = 'second';\n",
    )
    .unwrap();
    wait_for_body(&h, "second");
}

#[test]
fn a_broken_edit_keeps_the_old_version_serving_and_logs_the_error() {
    let dir = copy_project(&repo_root().join("examples/hello"));
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(h.get("/"), (200, "Hello World".into()));
    std::fs::write(
        dir.path().join("src/index.js"),
        "export default {\n  fetch() {\n    return new Response('broken';\n  },\n};\n",
    )
    .unwrap();
    h.wait_for_log("reload failed");
    h.wait_for_log("src/index.js:3:");
    for _ in 0..5 {
        assert_eq!(h.get("/"), (200, "Hello World".into()));
    }
    // Fixing the file brings the new version in.
    std::fs::write(
        dir.path().join("src/index.js"),
        "export default { fetch() { return new Response('fixed'); } };\n",
    )
    .unwrap();
    wait_for_body(&h, "fixed");
}

#[test]
fn ctrl_c_exits_zero_promptly() {
    let dir = copy_project(&repo_root().join("examples/hello"));
    let mut h = Hearth::start(dir.path(), &[]);
    assert_eq!(h.get("/"), (200, "Hello World".into()));
    let start = Instant::now();
    let killed = std::process::Command::new("kill")
        .args(["-INT", &h.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = h
        .wait(Duration::from_secs(5))
        .expect("hearth did not exit after SIGINT");
    assert_eq!(status.code(), Some(0), "{}", h.logs());
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "took {:?}",
        start.elapsed()
    );
}

/// The line hearth logs after each reload.
const RELOADED: &str = "reloaded after a file change";

fn signal(pid: u32, name: &str) {
    let sent = Command::new("kill")
        .args([name, &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// A worker that writes to KV and logs a line on every request (so its state
/// folder and the server's output change) and imports `src/word.js`;
/// `notes.txt` and `src/notes.txt` are imported by nothing.
fn writing_project() -> tempfile::TempDir {
    write_project(&[
        (
            "wrangler.toml",
            "name = \"writer\"\nmain = \"src/index.js\"\n\
             kv_namespaces = [{ binding = \"KV\", id = \"k\" }]\n",
        ),
        (
            "src/index.js",
            "import { WORD } from './word.js';\n\
             let n = 0;\n\
             export default { async fetch(req, env) {\n\
               n += 1;\n\
               await env.KV.put(`key${n}`, 'x'.repeat(1000));\n\
               console.log('wrote', n);\n\
               return new Response(WORD);\n\
             } };\n",
        ),
        ("src/word.js", "export const WORD = 'one';\n"),
        ("notes.txt", "nothing imports this\n"),
        ("src/notes.txt", "nothing imports this either\n"),
    ])
}

/// Sends requests to `url` (each one writing state and a log line) for `how_long`.
fn keep_writing(url: &str, how_long: Duration) {
    let end = Instant::now() + how_long;
    while Instant::now() < end {
        let (status, body) = request(&format!("{url}/"), "GET", &[], None);
        assert_eq!(status, 200, "{body}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn state_persisted_inside_the_project_does_not_reload() {
    let dir = writing_project();
    let state = dir.path().join("state");
    let h = Hearth::start(dir.path(), &["--persist-to", state.to_str().unwrap()]);
    keep_writing(&h.url, Duration::from_secs(5));
    assert!(
        std::fs::read_dir(&state).unwrap().count() > 0,
        "nothing was written to {}",
        state.display()
    );
    assert!(!h.logs().contains(RELOADED), "{}", h.logs());
    // Sources are still watched.
    std::fs::write(
        dir.path().join("src/word.js"),
        "export const WORD = 'two';\n",
    )
    .unwrap();
    wait_for_body(&h, "two");
}

/// `hearth dev DIR --port 0 > DIR/dev.log 2>&1`, killed on drop.
struct LoggingToFile {
    child: Child,
    url: String,
    log: PathBuf,
}

impl LoggingToFile {
    fn start(dir: &Path) -> LoggingToFile {
        let log = dir.join("dev.log");
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(hearth_bin())
            .arg("dev")
            .arg(dir)
            .args(["--port", "0"])
            .env("HEARTH_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap();
        let mut started = LoggingToFile {
            child,
            url: String::new(),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        started.url = loop {
            let text = started.text();
            if let Some(line) = text.lines().find_map(|l| l.strip_prefix("Ready on ")) {
                break line.trim().to_string();
            }
            assert!(Instant::now() < deadline, "hearth did not start:\n{text}");
            std::thread::sleep(Duration::from_millis(20));
        };
        started
    }

    fn text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for LoggingToFile {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn output_redirected_into_the_project_does_not_reload() {
    let dir = writing_project();
    let h = LoggingToFile::start(dir.path());
    keep_writing(&h.url, Duration::from_secs(3));
    std::thread::sleep(Duration::from_millis(500));
    let text = h.text();
    assert!(text.contains("wrote"), "{text}");
    assert!(!text.contains(RELOADED), "{text}");
}

#[test]
fn only_imported_files_and_the_config_reload() {
    let dir = writing_project();
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(h.get("/"), (200, "one".into()));
    for (file, text) in [
        ("notes.txt", "edited\n"),
        ("src/notes.txt", "edited\n"),
        ("src/unused.js", "export const UNUSED = 1;\n"),
    ] {
        std::fs::write(dir.path().join(file), text).unwrap();
    }
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!h.logs().contains(RELOADED), "{}", h.logs());
    // An imported module reloads...
    std::fs::write(
        dir.path().join("src/word.js"),
        "export const WORD = 'two';\n",
    )
    .unwrap();
    wait_for_body(&h, "two");
    // ... and so does a `.dev.vars` created later.
    std::fs::write(
        dir.path().join("src/index.js"),
        "export default { fetch(req, env) { return new Response(env.SECRET ?? 'none'); } };\n",
    )
    .unwrap();
    wait_for_body(&h, "none");
    std::fs::write(dir.path().join(".dev.vars"), "SECRET=shh\n").unwrap();
    wait_for_body(&h, "shh");
}

/// A build tool that deletes its output folder and writes it anew: the new
/// folder is watched too.
#[test]
fn an_output_folder_made_anew_reloads() {
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"built\"\nmain = \"dist/index.js\"\n",
        ),
        (
            "dist/index.js",
            "export default { fetch() { return new Response('build 1'); } };\n",
        ),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(h.get("/"), (200, "build 1".into()));
    for n in 2..4 {
        let dist = dir.path().join("dist");
        std::fs::remove_dir_all(&dist).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        std::fs::create_dir(&dist).unwrap();
        std::fs::write(
            dist.join("index.js"),
            format!("export default {{ fetch() {{ return new Response('build {n}'); }} }};\n"),
        )
        .unwrap();
        wait_for_body(&h, &format!("build {n}"));
    }
}

/// Rewrites the imported `src/word.js` every few milliseconds (each write
/// a change that reloads) until the returned flag is set.
fn churn(dir: &Path) -> (Arc<AtomicBool>, std::thread::JoinHandle<()>) {
    let done = Arc::new(AtomicBool::new(false));
    let flag = done.clone();
    let word = dir.join("src/word.js");
    let thread = std::thread::spawn(move || {
        let mut i = 0u64;
        while !flag.load(Ordering::SeqCst) {
            i += 1;
            std::fs::write(&word, format!("export const WORD = 'w{i}';\n")).unwrap();
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    (done, thread)
}

#[test]
fn sigterm_during_constant_reloads_exits_promptly() {
    let dir = writing_project();
    let mut h = Hearth::start(dir.path(), &[]);
    let (done, churner) = churn(dir.path());
    h.wait_for_log(RELOADED);
    std::thread::sleep(Duration::from_millis(700));
    let start = Instant::now();
    signal(h.pid(), "-TERM");
    let status = h.wait(Duration::from_secs(5));
    let took = start.elapsed();
    done.store(true, Ordering::SeqCst);
    churner.join().unwrap();
    let status = status.unwrap_or_else(|| panic!("hearth ignored SIGTERM\n{}", h.logs()));
    assert!(took < Duration::from_secs(2), "took {took:?}\n{}", h.logs());
    assert_eq!(status.code(), Some(0), "{}", h.logs());
}

#[test]
fn sigterm_while_a_reload_hangs_exits_promptly() {
    let dir = writing_project();
    let mut h = Hearth::start(dir.path(), &[]);
    // The new version's top-level code never finishes: the reload runs
    // into the start-up CPU limit and fails, and the signal is handled
    // whenever it comes.
    std::fs::write(
        dir.path().join("src/word.js"),
        "while (true) {}\nexport const WORD = 'never';\n",
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    assert!(!h.logs().contains(RELOADED), "{}", h.logs());
    let start = Instant::now();
    signal(h.pid(), "-TERM");
    let status = h.wait(Duration::from_secs(5));
    let took = start.elapsed();
    let status = status.unwrap_or_else(|| panic!("hearth ignored SIGTERM\n{}", h.logs()));
    assert!(took < Duration::from_secs(2), "took {took:?}\n{}", h.logs());
    assert_eq!(status.code(), Some(0), "{}", h.logs());
}

#[test]
fn ctrl_c_while_start_up_hangs_exits_promptly() {
    // A configuration file that is a named pipe nobody writes to: reading
    // it, start-up waits forever.
    let dir = write_project(&[("index.js", "export default {};\n")]);
    let config = dir.path().join("wrangler.toml");
    let made = Command::new("mkfifo").arg(&config).status().unwrap();
    assert!(made.success());
    let mut child = Command::new(hearth_bin())
        .arg("dev")
        .arg("--config")
        .arg(&config)
        .args(["--port", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(child.try_wait().unwrap().is_none(), "start-up did not hang");
    let start = Instant::now();
    signal(child.id(), "-INT");
    let deadline = start + Duration::from_secs(5);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("hearth ignored SIGINT during start-up");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(status.code(), Some(0));
}

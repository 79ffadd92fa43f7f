//! The dev loop: reload on edit, keep serving through a broken edit, and exit
//! cleanly on Ctrl-C.

use hearth_tests::{copy_project, repo_root, Hearth};
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

/// A folder created after start-up is watched too (hearth watches each
/// project folder except its own state and node_modules).
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

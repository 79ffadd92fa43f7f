//! Full-stack framework builds served by hearth, checked in real Chromium:
//! React Router 7 and a Hono app (both `@cloudflare/vite-plugin`), Astro
//! (`@astrojs/cloudflare`) and SvelteKit (`@sveltejs/adapter-cloudflare`).
//!
//! Each fixture in `tests/fixtures/frameworks/` is a small app of ours (package
//! versions pinned by its lock file; scripts/test.sh runs `npm ci`): a page
//! rendered on the server with loader data, client-side navigation to a second
//! route, a form that posts and re-renders (notes kept in KV), a static file.
//! The test runs the project's own `npm run build`, starts `hearth dev` on the
//! project folder as wrangler would (following the build's
//! `.wrangler/deploy/config.json` where the Vite plugin wrote one) and drives
//! Chromium with `browser.mjs`, which saves a screenshot in the ignored
//! `tests/fixtures/frameworks/.cache/` and checks the page's rendered text.

use hearth_tests::{fixture, repo_root, request, Hearth};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One build at a time: a Vite build takes both cores of a small machine.
static BUILDS: Mutex<()> = Mutex::new(());

/// Runs `command` in `dir` with its output in `log`; an error with the log if
/// it fails or outlives `timeout`.
fn run_logged(
    mut command: Command,
    dir: &Path,
    log: &Path,
    timeout: Duration,
) -> Result<(), String> {
    let out = File::create(log).unwrap();
    let mut child = command
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap_or_else(|e| panic!("spawning {command:?}: {e}"));
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "{command:?} timed out:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        ))
    }
}

/// The fixture `frameworks/NAME`, its packages installed and its build fresh.
fn built(name: &str) -> PathBuf {
    let dir = fixture(&format!("frameworks/{name}"));
    assert!(
        dir.join("node_modules").is_dir(),
        "{name}: packages missing: run `npm ci --prefix {}` (scripts/test.sh does)",
        dir.display()
    );
    let cache = fixture("frameworks/.cache");
    std::fs::create_dir_all(&cache).unwrap();
    let _one_build = BUILDS.lock().unwrap_or_else(|e| e.into_inner());
    let mut build = Command::new("npm");
    build.args(["run", "build"]);
    let log = cache.join(format!("{name}-build.log"));
    if let Err(e) = run_logged(build, &dir, &log, Duration::from_secs(600)) {
        panic!("{name}: npm run build: {e}");
    }
    dir
}

/// Serves the built fixture `name` and runs the Chromium checks on it;
/// `heading` is the first word of its home page's `<h1>`.
fn serve_and_browse(name: &str, heading: &str, generated_config: bool) {
    let root = repo_root();
    let node_modules = root.join(".tools/browser/node_modules");
    assert!(
        node_modules.join("playwright-core").exists(),
        "playwright-core is missing: run scripts/test.sh (it installs it into .tools/browser)"
    );
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "chromium is missing: apt-get install -y chromium (scripts/test.sh does)"
    );
    let dir = built(name);
    let state = tempfile::tempdir().unwrap();
    let h = Hearth::start(&dir, &["--persist-to", state.path().to_str().unwrap()]);
    if generated_config {
        // The Vite plugin's output is served, not the source entry.
        assert!(
            h.logs()
                .contains("using the configuration a build generated"),
            "{}",
            h.logs()
        );
    }
    assert!(
        !h.logs().contains("WARN"),
        "a generated configuration starts without warnings:\n{}",
        h.logs()
    );

    // Without a browser: the server-rendered page and a static file.
    let (status, body) = request(&format!("{}/", h.url), "GET", &[], None);
    assert_eq!(status, 200, "{body}\n{}", h.logs());
    assert!(
        body.contains(&format!("{heading} notes")) && body.contains("Hello from Hearth"),
        "{body}"
    );
    let (status, body) = request(&format!("{}/robots.txt", h.url), "GET", &[], None);
    assert_eq!(
        (status, body.trim()),
        (200, "hello from a static file"),
        "{}",
        h.logs()
    );

    let screenshot = fixture("frameworks/.cache").join(format!("{name}.png"));
    let _ = std::fs::remove_file(&screenshot);
    let profile = tempfile::tempdir().unwrap();
    let log = fixture("frameworks/.cache").join(format!("{name}-browser.log"));
    let mut browser = Command::new("node");
    browser
        .arg(fixture("frameworks/browser.mjs"))
        .arg(format!("{}/", h.url))
        .arg(profile.path())
        .arg(&screenshot)
        .arg(heading)
        .env("NODE_PATH", &node_modules);
    let outcome = run_logged(browser, &root, &log, Duration::from_secs(180));
    let said = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        outcome.is_ok() && said.contains("PASS"),
        "{name} in Chromium:\n{said}\nhearth:\n{}",
        h.logs()
    );
    let png = std::fs::read(&screenshot).expect("the screenshot was saved");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 5_000,
        "{name}: screenshot"
    );
}

#[test]
fn react_router_7_with_the_vite_plugin() {
    serve_and_browse("react-router", "React Router", true);
}

#[test]
fn hono_with_vite_and_the_vite_plugin() {
    serve_and_browse("hono-vite", "Hono", true);
}

#[test]
fn astro_with_the_cloudflare_adapter() {
    serve_and_browse("astro", "Astro", false);
}

#[test]
fn sveltekit_with_the_cloudflare_adapter() {
    serve_and_browse("sveltekit", "SvelteKit", false);
}

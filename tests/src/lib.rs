//! Test support: start `hearth dev` on a project and talk to it.
//!
//! The binary is `$HEARTH_BIN`, else `target/release/hearth`, else
//! `target/debug/hearth` (build it first; `scripts/test.sh` does).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The hearth binary under test.
pub fn hearth_bin() -> PathBuf {
    if let Ok(bin) = std::env::var("HEARTH_BIN") {
        return PathBuf::from(bin);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    for profile in ["release", "debug"] {
        let candidate = root.join("target").join(profile).join("hearth");
        if candidate.exists() {
            return candidate;
        }
    }
    panic!("hearth binary not found: run `cargo build --release` or set HEARTH_BIN");
}

/// The repository root (for `examples/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Copies a folder (e.g. an example) into a fresh temporary folder.
pub fn copy_project(src: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(src, dir.path());
    dir
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == ".hearth" || name == "node_modules" {
            continue;
        }
        let target = dst.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A running `hearth dev`, killed on drop.
pub struct Hearth {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    /// The port it listens on.
    pub port: u16,
    logs: Arc<Mutex<String>>,
}

impl Hearth {
    /// Starts `hearth dev DIR --port 0 ARGS...` and waits until it is ready.
    pub fn start(dir: &Path, args: &[&str]) -> Hearth {
        Self::try_start(dir, args).unwrap_or_else(|logs| panic!("hearth did not start:\n{logs}"))
    }

    /// Like [`Hearth::start`], but returns the output if it exits instead.
    pub fn try_start(dir: &Path, args: &[&str]) -> Result<Hearth, String> {
        let mut child = Command::new(hearth_bin())
            .arg("dev")
            .arg(dir)
            .args(["--port", "0"])
            .args(args)
            .env("HEARTH_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning hearth");
        let logs = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut logs = sink.lock().unwrap();
                logs.push_str(&line);
                logs.push('\n');
            }
        });
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("Ready on ") {
                    let _ = tx.send(url.trim().to_string());
                }
                let mut logs = sink.lock().unwrap();
                logs.push_str(&line);
                logs.push('\n');
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(url) = rx.recv_timeout(Duration::from_millis(50)) {
                let port = url.rsplit(':').next().unwrap().parse().unwrap();
                return Ok(Hearth { child, url, port, logs });
            }
            if let Ok(Some(_)) = child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                return Err(logs.lock().unwrap().clone());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return Err(format!("timed out waiting for readiness\n{}", logs.lock().unwrap()));
            }
        }
    }

    /// Everything hearth printed so far (stdout and stderr).
    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().clone()
    }

    /// Waits until the logs contain `needle` (or panics after 10 s).
    pub fn wait_for_log(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.logs().contains(needle) {
            assert!(Instant::now() < deadline, "log never showed {needle:?}:\n{}", self.logs());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The process id (for signals).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to exit and returns its status.
    pub fn wait(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// `GET path`, returning status and body text.
    pub fn get(&self, path: &str) -> (u16, String) {
        request(&format!("{}{}", self.url, path), "GET", &[], None)
    }
}

impl Drop for Hearth {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends a request and returns `(status, body)`, whatever the status.
pub fn request(url: &str, method: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> (u16, String) {
    let (status, bytes, _) = request_full(url, method, headers, body);
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// Sends a request and returns status, body bytes and response headers.
pub fn request_full(
    url: &str,
    method: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> (u16, Vec<u8>, Vec<(String, String)>) {
    let agent = ureq::AgentBuilder::new()
        .redirects(0)
        .timeout(Duration::from_secs(60))
        .build();
    let mut req = agent.request(method, url);
    for (k, v) in headers {
        req = req.set(k, v);
    }
    let result = match body {
        Some(b) => req.send_bytes(b),
        None => req.call(),
    };
    let response = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {url} failed: {e}"),
    };
    let status = response.status();
    let headers = response
        .headers_names()
        .into_iter()
        .flat_map(|name| {
            response
                .all(&name)
                .into_iter()
                .map(|v| (name.clone(), v.to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut bytes = Vec::new();
    response.into_reader().read_to_end(&mut bytes).unwrap();
    (status, bytes, headers)
}

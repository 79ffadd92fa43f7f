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
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
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
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
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
    /// The state folder given to a server of a repository project.
    _state: Option<tempfile::TempDir>,
}

impl Hearth {
    /// Starts `hearth dev DIR --port 0 ARGS...` and waits until it is ready.
    pub fn start(dir: &Path, args: &[&str]) -> Hearth {
        Self::try_start(dir, args).unwrap_or_else(|logs| panic!("hearth did not start:\n{logs}"))
    }

    /// Like [`Hearth::start`], but returns the output if it exits instead.
    pub fn try_start(dir: &Path, args: &[&str]) -> Result<Hearth, String> {
        Self::try_start_with_env(dir, args, &[])
    }

    /// Like [`Hearth::start`] with extra environment variables.
    pub fn start_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Hearth {
        Self::try_start_with_env(dir, args, env)
            .unwrap_or_else(|logs| panic!("hearth did not start:\n{logs}"))
    }

    /// Like [`Hearth::try_start`] with extra environment variables.
    pub fn try_start_with_env(
        dir: &Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Result<Hearth, String> {
        // A project in the repository (a fixture, an example) is shared by
        // tests running at once, and a state folder is held by one server:
        // each server gets its own, unless the test names one.
        let state = (dir.starts_with(repo_root()) && !args.contains(&"--persist-to"))
            .then(|| tempfile::tempdir().unwrap());
        let mut command = Command::new(hearth_bin());
        command
            .arg("dev")
            .arg(dir)
            .args(["--port", "0"])
            .args(args)
            .args(
                state
                    .iter()
                    .flat_map(|s| [std::ffi::OsStr::new("--persist-to"), s.path().as_os_str()]),
            )
            .envs(env.iter().copied());
        Self::launch(command, state)
    }

    /// Starts `hearth serve --data DATA --port 0 --admin-port 0 ARGS...`
    /// and waits until it is ready; [`Hearth::admin_url`] is its admin API.
    pub fn serve(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Hearth {
        let mut command = Command::new(hearth_bin());
        command
            .arg("serve")
            .arg("--data")
            .arg(data)
            .args(["--port", "0", "--admin-port", "0"])
            .args(args)
            .envs(env.iter().copied());
        Self::launch(command, None)
            .unwrap_or_else(|logs| panic!("hearth serve did not start:\n{logs}"))
    }

    /// The admin API's URL a `hearth serve` printed.
    pub fn admin_url(&self) -> String {
        let logs = self.logs();
        logs.lines()
            .find_map(|l| l.strip_prefix("Admin API on "))
            .unwrap_or_else(|| panic!("no admin API in:\n{logs}"))
            .trim()
            .to_string()
    }

    /// Runs `command` (hearth with its arguments) until it prints "Ready on".
    fn launch(mut command: Command, state: Option<tempfile::TempDir>) -> Result<Hearth, String> {
        // The caller's environment wins over these defaults.
        for (name, value) in [("HEARTH_LOG", "info"), ("NO_COLOR", "1")] {
            if !command.get_envs().any(|(k, _)| k == name) {
                command.env(name, value);
            }
        }
        let mut child = command
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
                return Ok(Hearth {
                    child,
                    url,
                    port,
                    logs,
                    _state: state,
                });
            }
            if let Ok(Some(_)) = child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                return Err(logs.lock().unwrap().clone());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return Err(format!(
                    "timed out waiting for readiness\n{}",
                    logs.lock().unwrap()
                ));
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
            assert!(
                Instant::now() < deadline,
                "log never showed {needle:?}:\n{}",
                self.logs()
            );
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

    /// `method path` with an optional JSON body; returns the status and the
    /// answer parsed as JSON (`null` for an empty body). Panics, with the
    /// server's logs, if the answer is not JSON.
    pub fn json(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let bytes = body.map(|b| b.to_string());
        let (status, text) = request(
            &format!("{}{path}", self.url),
            method,
            &[("content-type", "application/json")],
            bytes.as_deref().map(str::as_bytes),
        );
        if text.is_empty() {
            return (status, serde_json::Value::Null);
        }
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}: {text}\n{}", self.logs()));
        (status, value)
    }
}

/// SIGKILLs a running hearth and waits for it to die.
pub fn kill_9(mut h: Hearth) {
    let status = Command::new("kill")
        .args(["-9", &h.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(
        h.wait(Duration::from_secs(10)).is_some(),
        "hearth did not die"
    );
}

impl Drop for Hearth {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The fixture folder `name` if its npm packages are installed (from its
/// lock file; scripts/test.sh runs `npm ci`), else `None` after saying so.
pub fn npm_fixture(name: &str) -> Option<PathBuf> {
    let dir = fixture(name);
    if dir.join("node_modules").is_dir() {
        return Some(dir);
    }
    eprintln!(
        "skipping: run `npm ci --prefix {}` (scripts/test.sh does)",
        dir.display()
    );
    None
}

/// Sends a request and returns `(status, body)`, whatever the status.
pub fn request(
    url: &str,
    method: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> (u16, String) {
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
    let mut names = response.headers_names();
    let mut seen = Vec::new();
    names.retain(|n| {
        let new = !seen.contains(n);
        seen.push(n.clone());
        new
    });
    let headers = names
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

/// A fixture project under `tests/fixtures/NAME`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Writes `(relative path, contents)` pairs into a fresh temporary project.
pub fn write_project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, contents) in files {
        let target = dir.path().join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, contents).unwrap();
    }
    dir
}

/// `GET url`, parsing the body as JSON (panics with the body if it is not).
pub fn get_json(url: &str) -> serde_json::Value {
    let (status, body) = request(url, "GET", &[], None);
    assert_eq!(status, 200, "GET {url}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {url}: {e}: {body}"))
}

/// A local upstream HTTP server (tiny_http) answering with `handler` on a
/// thread per request; stops when dropped.
pub struct Upstream {
    server: Arc<tiny_http::Server>,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    /// `127.0.0.1:PORT`
    pub authority: String,
}

impl Upstream {
    /// Starts a server that calls `handler` for every request.
    pub fn start(handler: impl Fn(tiny_http::Request) + Send + Sync + 'static) -> Upstream {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let authority = server.server_addr().to_ip().unwrap().to_string();
        let handler = Arc::new(handler);
        let accept = server.clone();
        std::thread::spawn(move || {
            for req in accept.incoming_requests() {
                let handler = handler.clone();
                std::thread::spawn(move || handler(req));
            }
        });
        Upstream {
            server,
            url: format!("http://{authority}"),
            authority,
        }
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

/// A raw HTTP/1.1 server that answers every request with a chunked body,
/// writing (and flushing) `chunks` one by one with `delay` between them, so a
/// client sees them arrive over time. Returns `http://127.0.0.1:PORT`.
pub fn slow_chunked_upstream(chunks: Vec<&'static str>, delay: Duration) -> String {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let chunks = chunks.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                    if line == "\r\n" {
                        break;
                    }
                    line.clear();
                }
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
                );
                for chunk in chunks {
                    let _ = write!(stream, "{:x}\r\n{chunk}\r\n", chunk.len());
                    let _ = stream.flush();
                    std::thread::sleep(delay);
                }
                let _ = stream.write_all(b"0\r\n\r\n");
            });
        }
    });
    url
}

/// Reads a response body as it arrives: each read's bytes with the time since
/// the request was sent.
pub fn read_timed(url: &str) -> (u16, Vec<(Duration, Vec<u8>)>) {
    let agent = ureq::AgentBuilder::new()
        .redirects(0)
        .timeout(Duration::from_secs(30))
        .build();
    let start = Instant::now();
    let response = match agent.get(url).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("GET {url} failed: {e}"),
    };
    let status = response.status();
    let mut reader = response.into_reader();
    let mut reads = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        let n = reader.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        reads.push((start.elapsed(), buf[..n].to_vec()));
    }
    (status, reads)
}

/// Runs `hearth ARGS...` expecting it to exit by itself within `timeout`;
/// returns its exit status and everything it printed (stdout then stderr).
pub fn run_to_exit(args: &[&str], timeout: Duration) -> (std::process::ExitStatus, String) {
    run_with_input(args, None, timeout)
}

/// Like [`run_to_exit`], writing `input` to hearth's stdin (then closing
/// it; without input stdin is empty).
pub fn run_with_input(
    args: &[&str],
    input: Option<&[u8]>,
    timeout: Duration,
) -> (std::process::ExitStatus, String) {
    use std::io::Write;
    let mut child = Command::new(hearth_bin())
        .args(args)
        .env("HEARTH_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning hearth");
    let mut stdin = child.stdin.take().unwrap();
    if let Some(input) = input {
        stdin.write_all(input).unwrap();
    }
    drop(stdin);
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).unwrap();
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).unwrap();
        text
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("hearth {args:?} did not exit within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut text = out.join().unwrap();
    text.push_str(&err.join().unwrap());
    (status, text)
}

/// PEM files of a certificate for `localhost` and `127.0.0.1`, signed by a
/// fresh CA (see [`localhost_certificate`]).
pub struct TestCertificate {
    /// The CA certificate, to trust (`[outbound] ca_bundle`).
    pub ca: PathBuf,
    /// The server certificate.
    pub cert: PathBuf,
    /// The server's private key.
    pub key: PathBuf,
}

impl TestCertificate {
    /// A rustls server configuration presenting this certificate.
    pub fn server_config(&self) -> Arc<rustls::ServerConfig> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let chain = CertificateDer::pem_file_iter(&self.cert)
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(&self.key).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
        Arc::new(config)
    }
}

/// Creates a CA and a server certificate for localhost in `dir` with the
/// `openssl` command; `None` (after saying so) when openssl is missing.
pub fn localhost_certificate(dir: &Path) -> Option<TestCertificate> {
    if Command::new("openssl").arg("version").output().is_err() {
        eprintln!("skipping: openssl not installed");
        return None;
    }
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=hearth test CA",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    Some(TestCertificate {
        ca: dir.join("ca.pem"),
        cert: dir.join("server.pem"),
        key: dir.join("server.key"),
    })
}

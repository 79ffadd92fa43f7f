//! A private MariaDB server for tests: `mariadb-install-db` into a temp
//! datadir, `mariadbd` on a free loopback port, and an `app` user with a
//! password (mysql_native_password), so drivers go through real auth over
//! TCP. Administration (`sql`) uses root over the server's Unix socket.
//! TLS is on, with a certificate for 127.0.0.1/localhost from a fresh CA
//! (see [`Server::ca`]), and optional per user (`REQUIRE SSL` makes it
//! required). Runs as the current user (`--user=root` when the tests run as
//! root).
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The account drivers log in with, and its password (a space and a
/// non-ASCII letter, so the driver must encode it right).
pub const USER: &str = "app";
pub const PASSWORD: &str = "s3cret pässword";

/// The first of `names` found on PATH or in Debian's sbin/bin folders.
fn find_bin(names: &[&str]) -> Option<PathBuf> {
    for name in names {
        if let Ok(out) = Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
        {
            let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if out.status.success() && !path.is_empty() {
                return Some(PathBuf::from(path));
            }
        }
        for dir in ["/usr/sbin", "/usr/bin"] {
            let path = Path::new(dir).join(name);
            if path.exists() {
                return Some(path);
            }
        }
    }
    None
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A running MariaDB server, killed (and its datadir removed) on drop.
pub struct Server {
    dir: tempfile::TempDir,
    child: Child,
    client: PathBuf,
    /// The loopback TCP port the server listens on.
    pub port: u16,
}

impl Server {
    /// Starts a server with database `db` that [`USER`] may use; `None`
    /// (after saying why) when MariaDB is not installed.
    pub fn start(db: &str) -> Option<Server> {
        let found = (
            find_bin(&["mariadbd", "mysqld"]),
            find_bin(&["mariadb-install-db", "mysql_install_db"]),
            find_bin(&["mariadb", "mysql"]),
        );
        let (Some(server), Some(install), Some(client)) = found else {
            eprintln!("skipping: MariaDB is not installed (apt-get install mariadb-server)");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        // Small InnoDB files: a test database holds a few rows.
        let innodb = ["--innodb-log-file-size=4M", "--innodb-buffer-pool-size=16M"];
        let user = is_root().then_some("--user=root");
        let out = Command::new(&install)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args(["--auth-root-authentication-method=normal", "--skip-test-db"])
            .args(innodb)
            .args(user)
            .output()
            .expect("running mariadb-install-db");
        assert!(
            out.status.success(),
            "mariadb-install-db failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let cert = hearth_tests::localhost_certificate(dir.path())?;
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let log = dir.path().join("server.log");
        let child = Command::new(&server)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}", dir.path().join("sock").display()))
            .arg(format!("--pid-file={}", dir.path().join("pid").display()))
            .arg(format!("--log-error={}", log.display()))
            .arg(format!("--port={port}"))
            .args(["--bind-address=127.0.0.1", "--skip-name-resolve"])
            .arg(format!("--ssl-ca={}", cert.ca.display()))
            .arg(format!("--ssl-cert={}", cert.cert.display()))
            .arg(format!("--ssl-key={}", cert.key.display()))
            .args(innodb)
            .args(user)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting mariadbd");
        let mut server = Server {
            dir,
            child,
            client,
            port,
        };
        server.wait_ready(&log);
        server.sql(
            "",
            &format!(
                "CREATE DATABASE `{db}` CHARACTER SET utf8mb4; \
                 CREATE USER '{USER}'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}'; \
                 GRANT ALL ON `{db}`.* TO '{USER}'@'127.0.0.1';"
            ),
        );
        Some(server)
    }

    fn wait_ready(&mut self, log: &Path) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "mariadbd exited ({status}):\n{}",
                    std::fs::read_to_string(log).unwrap_or_default()
                );
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && self.try_sql("", "SELECT 1").is_ok()
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "mariadbd did not start:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn try_sql(&self, db: &str, sql: &str) -> Result<String, String> {
        let out = Command::new(&self.client)
            .arg("--no-defaults")
            .arg(format!(
                "--socket={}",
                self.dir.path().join("sock").display()
            ))
            .args(["-uroot", "--default-character-set=utf8mb4", "--batch"])
            .args(["--skip-column-names", "-e", sql])
            .args((!db.is_empty()).then_some(db))
            .output()
            .expect("running the mariadb client");
        if out.status.success() {
            Ok(String::from_utf8(out.stdout).unwrap())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// Runs SQL as root in `db` (none if empty); tab-separated rows, one a line.
    pub fn sql(&self, db: &str, sql: &str) -> String {
        self.try_sql(db, sql)
            .unwrap_or_else(|e| panic!("mariadb {sql}: {e}"))
    }

    /// The CA that signed the server's certificate (PEM).
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// A `mysql://` URL for [`USER`], password percent-encoded.
    pub fn url(&self, db: &str) -> String {
        format!(
            "mysql://{USER}:s3cret%20p%C3%A4ssword@127.0.0.1:{}/{db}",
            self.port
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! Two processes, one state: a state folder is held by one `hearth dev`
//! (a lock naming the holder's pid), a port in use is an error, and no
//! other process can join hearth's port. `hearth kv`/`hearth d1` keep
//! working beside a running server (kv_cli.rs, d1_cli.rs).

use hearth_tests::{fixture, hearth_bin, run_to_exit, Hearth};
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

#[test]
fn a_second_server_on_the_same_state_folder_fails_naming_the_holder() {
    let state = tempfile::tempdir().unwrap();
    let path = state.path().to_str().unwrap();
    let first = Hearth::start(&fixture("hardening"), &["--persist-to", path]);
    let logs = match Hearth::try_start(&fixture("hardening"), &["--persist-to", path]) {
        Ok(second) => panic!("a second server started:\n{}", second.logs()),
        Err(logs) => logs,
    };
    assert!(
        logs.contains(&format!("in use by process {}", first.pid())),
        "{logs}"
    );
    assert!(logs.contains(path), "{logs}");
    // The first one is unaffected and its writes count once.
    for i in 1..=5 {
        let (status, n) = hearth_tests::request(
            &format!("{}/counter/one", first.url),
            "POST",
            &[],
            Some(b""),
        );
        assert_eq!((status, n), (200, i.to_string()));
    }
    // The CLIs work on the held folder.
    let out = Command::new(hearth_bin())
        .args(["kv", "key", "put", "from-cli", "yes", "--binding", "KV"])
        .args(["--persist-to", path])
        .current_dir(fixture("hardening"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(first.get("/kv/from-cli"), (200, "yes".into()));
    // Once the holder is gone (even killed), the folder is free again.
    drop(first);
    let again = Hearth::start(&fixture("hardening"), &["--persist-to", path]);
    assert_eq!(again.get("/counter/one"), (200, "5".into()));
}

#[test]
fn a_port_in_use_is_an_error() {
    let first = Hearth::start(&fixture("hardening"), &[]);
    let port = first.port.to_string();
    let state = tempfile::tempdir().unwrap();
    let dir = fixture("hardening");
    let (status, out) = run_to_exit(
        &[
            "dev",
            dir.to_str().unwrap(),
            "--port",
            &port,
            "--persist-to",
            state.path().to_str().unwrap(),
            "--no-watch",
        ],
        Duration::from_secs(30),
    );
    assert!(
        !status.success(),
        "a second server started on port {port}:\n{out}"
    );
    assert!(out.contains(&format!("127.0.0.1:{port}")), "{out}");
    assert!(out.contains("in use"), "{out}");
    assert_eq!(first.get("/ok"), (200, "ok".into()));
}

#[test]
fn no_other_process_can_join_the_port() {
    use socket2::{Domain, Socket, Type};
    let h = Hearth::start(&fixture("hardening"), &[]);
    let addr: SocketAddr = format!("127.0.0.1:{}", h.port).parse().unwrap();
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket.set_reuse_address(true).unwrap();
    socket.set_reuse_port(true).unwrap();
    let joined = socket.bind(&addr.into()).and_then(|()| socket.listen(128));
    assert!(
        joined.is_err(),
        "another process bound hearth's port {} with SO_REUSEPORT",
        h.port
    );
    for _ in 0..50 {
        assert_eq!(h.get("/ok"), (200, "ok".into()));
    }
}

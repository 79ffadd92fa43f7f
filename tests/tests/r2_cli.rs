//! `hearth r2 ...` with wrangler's command shapes, against the same state a
//! running `hearth dev` uses: buckets created, listed and deleted; objects
//! put from a file or stdin, read to a file or stdout, deleted, and seen by
//! the worker (and the worker's objects seen by the command).

use hearth_tests::{copy_project, fixture, hearth_bin, request, request_full, run_to_exit, Hearth};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn r2(dir: &Path, args: &[&str]) -> (bool, String) {
    let config = dir.join("wrangler.toml");
    let mut all = vec!["r2"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-c", config.to_str().unwrap()]);
    let (status, out) = run_to_exit(&all, Duration::from_secs(60));
    (status.success(), out)
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let (success, out) = r2(dir, args);
    assert!(success, "hearth r2 {args:?} failed:\n{out}");
    out
}

/// `hearth r2 ARGS` with `stdin` piped in; returns its stdout bytes.
fn piped(dir: &Path, args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let config = dir.join("wrangler.toml");
    let mut child = Command::new(hearth_bin())
        .arg("r2")
        .args(args)
        .args(["-c", config.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let bytes = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    assert!(
        out.status.success(),
        "hearth r2 {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn buckets_and_objects_beside_a_running_server() {
    let dir = copy_project(&fixture("r2"));
    let d = dir.path();
    let h = Hearth::start(d, &[]);

    // Buckets: R2's naming rules, no duplicates, only empty ones deleted.
    ok(d, &["bucket", "create", "photos"]);
    let (success, out) = r2(d, &["bucket", "create", "photos"]);
    assert!(!success && out.contains("already exists"), "{out}");
    let (success, out) = r2(d, &["bucket", "create", "Bad_Name"]);
    assert!(!success && out.contains("(10005)"), "{out}");
    let list = ok(d, &["bucket", "list"]);
    for name in ["photos", "fixture-bucket", "other-bucket"] {
        assert!(
            list.contains(&format!("name:           {name}\n")),
            "{list}"
        );
    }

    // A file put by the command is served by the worker, metadata included.
    let file = d.join("note.txt");
    std::fs::write(&file, "from the cli").unwrap();
    ok(
        d,
        &[
            "object",
            "put",
            "fixture-bucket/notes/one.txt",
            "--file",
            file.to_str().unwrap(),
            "--content-type",
            "text/plain",
            "--local",
        ],
    );
    let (status, body, headers) = request_full(
        &format!("{}/object/notes%2Fone.txt", h.url),
        "GET",
        &[],
        None,
    );
    assert_eq!((status, body.as_slice()), (200, b"from the cli".as_slice()));
    assert!(
        headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("content-type") && v == "text/plain"),
        "{headers:?}"
    );

    // What the worker put, the command reads to stdout (the bucket named by its binding).
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i * 31 % 256) as u8).collect();
    let (status, _) = request(
        &format!("{}/object/from-worker.bin", h.url),
        "PUT",
        &[],
        Some(&bytes),
    );
    assert_eq!(status, 200);
    assert!(
        piped(
            d,
            &["object", "get", "BUCKET/from-worker.bin", "--pipe"],
            b""
        ) == bytes
    );

    // stdin in, a file out.
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    piped(
        d,
        &["object", "put", "fixture-bucket/piped.bin", "--pipe"],
        &big,
    );
    let target = d.join("out.bin");
    ok(
        d,
        &[
            "object",
            "get",
            "fixture-bucket/piped.bin",
            "--file",
            target.to_str().unwrap(),
        ],
    );
    assert!(std::fs::read(&target).unwrap() == big);
    let (status, body, _) = request_full(&format!("{}/object/piped.bin", h.url), "GET", &[], None);
    assert_eq!(status, 200);
    assert!(body == big);

    // Delete: the worker no longer finds it; a missing key is an error to get.
    ok(d, &["object", "delete", "fixture-bucket/notes/one.txt"]);
    assert_eq!(
        request(
            &format!("{}/object/notes%2Fone.txt", h.url),
            "GET",
            &[],
            None
        )
        .0,
        404
    );
    let (success, out) = r2(
        d,
        &["object", "get", "fixture-bucket/notes/one.txt", "--pipe"],
    );
    assert!(!success && out.contains("(10007)"), "{out}");
    let (success, out) = r2(d, &["object", "get", "no-key-here", "--pipe"]);
    assert!(!success && out.contains("BUCKET/KEY"), "{out}");

    let (success, out) = r2(d, &["bucket", "delete", "fixture-bucket"]);
    assert!(!success && out.contains("(10008)"), "{out}");
    ok(d, &["bucket", "delete", "photos"]);
    let (success, out) = r2(d, &["bucket", "delete", "photos"]);
    assert!(!success && out.contains("(10006)"), "{out}");
    assert!(!ok(d, &["bucket", "list"]).contains("photos"));
}

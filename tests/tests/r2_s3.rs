//! R2's S3-compatible API on `--api-port`, black-box with a real client:
//! boto3 (installed by scripts/test.sh into the ignored `.tools/py`) runs
//! `tests/fixtures/r2/s3_client.py` against `hearth dev`: buckets, objects,
//! metadata, ranges, conditions, ListObjectsV2 with delimiters and pages,
//! multipart, presigned GET/PUT, DeleteObjects, SigV4 refusals; and the
//! worker's binding sees what the client put.

use hearth_tests::{copy_project, fixture, repo_root, request, Hearth};
use std::process::Command;

#[test]
fn boto3_against_the_s3_api() {
    let python = repo_root().join(".tools/py/bin/python");
    if !python.exists() {
        eprintln!("skipping: boto3 is not installed (scripts/test.sh installs it into .tools/py)");
        return;
    }
    let dir = copy_project(&fixture("r2"));
    let h = Hearth::start(
        dir.path(),
        &[
            "--api-port",
            "0",
            "--api-token",
            "kv-token",
            "--r2-access-key-id",
            "test-key",
            "--r2-secret-access-key",
            "test-secret",
        ],
    );
    h.wait_for_log("R2 S3 API on");
    let logs = h.logs();
    let endpoint = logs
        .lines()
        .find_map(|l| l.strip_prefix("R2 S3 API on "))
        .unwrap_or_else(|| panic!("no S3 endpoint in the logs:\n{logs}"))
        .trim()
        .to_string();
    let out = Command::new(&python)
        .arg(fixture("r2").join("s3_client.py"))
        .args([&endpoint, "test-key", "test-secret"])
        .output()
        .unwrap();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && printed.contains("ok"),
        "{printed}\n{}",
        h.logs()
    );
    let (status, body) = request(&format!("{}/object/from-s3.txt", h.url), "GET", &[], None);
    assert_eq!((status, body.as_str()), (200, "put over S3"));
}

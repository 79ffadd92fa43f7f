//! R2 bindings, black-box: the API's objects, bodies, conditions, ranges,
//! checksums, limits and errors as Cloudflare's R2 gives them, lists,
//! multipart uploads, streamed bodies both ways, and the files under the
//! state folder.

use hearth_tests::{copy_project, fixture, request, request_full, Hearth};
use serde_json::{json, Value};

fn run(path: &str) -> (tempfile::TempDir, Hearth, Value) {
    let dir = copy_project(&fixture("r2"));
    let h = Hearth::start(dir.path(), &[]);
    let (status, out) = h.json("GET", path, None);
    assert_eq!(status, 200, "{out}\n{}", h.logs());
    (dir, h, out)
}

#[test]
fn objects_bodies_conditions_and_errors() {
    let (dir, h, out) = run("/api");
    let md5 = "5eb63bbbe01eeed093cb22bb8f5acdc3";
    assert_eq!(
        out["put"],
        json!({
            "key": "hello.txt", "size": 11, "etag": md5, "httpEtag": format!("\"{md5}\""),
            "uploadedIsDate": true, "version": "string", "storageClass": "Standard",
            "md5": md5, "checksumsJson": {"md5": md5},
            "httpMetadata": {"contentType": "text/plain", "cacheControl": "max-age=60"},
            "customMetadata": {"owner": "ada"},
        })
    );
    assert_eq!(
        out["get"],
        json!({
            "text": "hello world", "bodyUsed": true, "range": {"offset": 0, "length": 11},
            "headers": {"content-type": "text/plain", "cache-control": "max-age=60"},
            "isStream": true,
        })
    );
    assert_eq!(
        out["head"],
        json!({"size": 11, "etag": md5, "hasBody": false, "custom": {"owner": "ada"}})
    );
    assert_eq!(out["missing"], json!({"get": null, "head": null}));
    assert_eq!(
        out["ranges"],
        json!({
            "span": "wor", "offsetOnly": "world", "suffix": "world", "header": "hello",
            "resolved": {"offset": 6, "length": 5},
            "beyond": "get: The requested range is not satisfiable (10039)",
        })
    );
    assert_eq!(
        out["conditions"],
        json!({
            "failedHasBody": false, "failedKey": "hello.txt", "matched": "hello world",
            "noneMatchHeaders": false, "uploadedBefore": false, "uploadedAfter": true,
            "putRefused": null, "putDoesNotMatch": null, "stillHello": "hello world",
        })
    );
    assert_eq!(
        out["bodies"],
        json!({
            "bytes": [1, 2, 3, 255], "buffer": 4, "view": [2, 3], "blob": "blob parts",
            "blobObject": "blob parts", "empty": 0, "stream": "streamed body", "json": {"a": 1},
        })
    );
    assert_eq!(
        out["checksums"],
        json!({
            "md5ok": md5,
            "sha256ok": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
            "md5bad": "put: The Content-MD5 you specified did not match what we received. (10037)",
            "sha256bad": "put: The SHA-256 you specified did not match what we received. (10037)",
            "afterBad": "hello",
            "two": "You cannot specify multiple hashing algorithms.",
        })
    );
    assert_eq!(
        out["limits"],
        json!({
            "longKey": "put: The specified object name is not valid. (10020)",
            "key1024": 1,
            "metadata": "put: Your metadata headers exceed the maximum allowed metadata size. (10012)",
            "listLimit": "list: MaxKeys params must be positive integer <= 1000. (10022)",
        })
    );
    assert_eq!(out["deleted"], json!([null, null, null]));
    assert!(
        out["deleteTooMany"]
            .as_str()
            .unwrap()
            .starts_with("delete: Invalid Argument"),
        "{}",
        out["deleteTooMany"]
    );
    assert_eq!(out["otherBucket"], "other bucket");
    assert_eq!(out["sameBucket"], "hello world");
    // The jurisdiction is ignored with a warning naming it.
    assert!(h.logs().contains("jurisdiction"), "{}", h.logs());
    // Each bucket is a folder of the state, its metadata in SQLite, with
    // one file per live object and no upload left in tmp/.
    drop(h);
    let bucket = dir.path().join(".hearth/state/r2/fixture-bucket");
    assert!(bucket.join("meta.sqlite3").is_file());
    let count = |sub: &str| std::fs::read_dir(bucket.join(sub)).unwrap().count();
    // hello.txt, blob, empty, stream, json, sum.
    assert_eq!(count("blobs"), 6);
    assert_eq!(count("tmp"), 0);
}

#[test]
fn lists_in_key_order_with_prefixes_delimiters_and_cursors() {
    let (_dir, _h, out) = run("/list");
    let all = [
        "photos/2024/a.jpg",
        "photos/2024/b.jpg",
        "photos/2025/c.jpg",
        "photos/d.jpg",
        "readme",
        "z/1",
    ];
    assert_eq!(out["all"], json!(all));
    assert_eq!(out["allTruncated"], false);
    assert_eq!(out["allCursor"], false);
    assert_eq!(out["plainMeta"], json!([{}, {}]));
    assert_eq!(
        out["included"],
        json!([{"contentType": "image/jpeg"}, {"k": "photos/2024/a.jpg"}])
    );
    assert_eq!(
        out["prefix"],
        json!(["photos/2024/a.jpg", "photos/2024/b.jpg"])
    );
    assert_eq!(
        out["delimited"],
        json!({"objects": ["readme"], "prefixes": ["photos/", "z/"]})
    );
    assert_eq!(
        out["prefixDelimited"],
        json!({"objects": ["photos/d.jpg"], "prefixes": ["photos/2024/", "photos/2025/"]})
    );
    assert_eq!(out["startAfter"], json!(["readme", "z/1"]));
    assert_eq!(
        out["pages"],
        json!([
            ["photos/2024/a.jpg", "photos/2024/b.jpg"],
            ["photos/2025/c.jpg", "photos/d.jpg"],
            ["readme", "z/1"]
        ])
    );
}

#[test]
fn multipart_uploads_follow_r2s_part_rules() {
    let (_dir, _h, out) = run("/multipart");
    let mib = 1024 * 1024;
    assert_eq!(out["uploadId"], "string");
    assert_eq!(out["part"], json!({"partNumber": 1, "etag": 32}));
    assert_eq!(
        out["unequalParts"]
            .as_str()
            .unwrap()
            .split(" (")
            .next()
            .unwrap(),
        "completeMultipartUpload: There was a problem with the multipart upload."
    );
    assert!(out["partNumber"].as_str().unwrap().contains("partNumber"));
    assert_eq!(
        out["unknownPart"],
        "completeMultipartUpload: One or more of the specified parts could not be found. (10025)"
    );
    assert_eq!(
        out["smallParts"],
        "completeMultipartUpload: Your proposed upload is smaller than the minimum allowed object size. (10011)"
    );
    assert_eq!(
        out["afterAbort"],
        "uploadPart: The specified multipart upload does not exist. (10024)"
    );
    assert_eq!(
        out["object"],
        json!({"size": 10 * mib + 4, "etag": true, "contentType": "application/octet-stream", "custom": {"parts": "3"}})
    );
    assert_eq!(out["tail"], json!([2, 2, 116, 97, 105, 108]));
    assert_eq!(out["middle"], json!([1, 2]));
    assert_eq!(
        out["completeAgain"],
        "completeMultipartUpload: The specified multipart upload does not exist. (10024)"
    );
}

/// A body bigger than any buffer streams in from the request and back out
/// to the client, whole and unchanged, and conditional/range requests map
/// onto R2's options.
#[test]
fn bodies_stream_in_and_out() {
    let dir = copy_project(&fixture("r2"));
    let h = Hearth::start(dir.path(), &[]);
    let body: Vec<u8> = (0..20 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let url = format!("{}/object/big%20file", h.url);
    let (status, text) = request(
        &url,
        "PUT",
        &[("content-type", "application/x-test")],
        Some(&body),
    );
    assert_eq!(status, 200, "{text}\n{}", h.logs());
    let put: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(put["size"], body.len());
    let (status, got, headers) = request_full(&url, "GET", &[], None);
    assert_eq!(status, 200);
    assert!(got == body, "the object read back differs");
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        header("content-type").as_deref(),
        Some("application/x-test")
    );
    let etag = header("etag").unwrap();
    let (status, part, _) = request_full(&url, "GET", &[("range", "bytes=1000-1999")], None);
    assert_eq!(status, 206);
    assert!(part == body[1000..2000]);
    let (status, _, _) = request_full(&url, "GET", &[("if-none-match", &etag)], None);
    assert_eq!(status, 304);
    let (status, _) = request(&url, "DELETE", &[], None);
    assert_eq!(status, 204);
    assert_eq!(request(&url, "GET", &[], None).0, 404);
}

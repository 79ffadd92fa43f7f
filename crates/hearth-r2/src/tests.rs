use crate::*;
use std::collections::BTreeMap;

fn bucket() -> (tempfile::TempDir, Bucket) {
    let dir = tempfile::tempdir().unwrap();
    let b = Bucket::open(dir.path(), "test-bucket").unwrap();
    (dir, b)
}

fn put(b: &Bucket, key: &str, body: &[u8]) -> Object {
    let mut u = b.begin_put(&[]).unwrap();
    for chunk in body.chunks(7) {
        u.write(chunk).unwrap();
    }
    b.put(key, u, PutOptions::default()).unwrap().unwrap()
}

fn read(b: &Bucket, key: &str, range: Option<Range>) -> Vec<u8> {
    use std::io::{Read, Seek, SeekFrom};
    match b.get(key, None, range).unwrap().unwrap() {
        Got::Body {
            mut file,
            offset,
            length,
            ..
        } => {
            file.seek(SeekFrom::Start(offset)).unwrap();
            let mut out = Vec::new();
            file.take(length).read_to_end(&mut out).unwrap();
            out
        }
        Got::Failed(_) => panic!("no conditions were given"),
    }
}

#[test]
fn put_get_replace_delete() {
    let (_d, b) = bucket();
    let o = put(&b, "a", b"hello world");
    assert_eq!(o.etag, "5eb63bbbe01eeed093cb22bb8f5acdc3");
    assert_eq!(o.size, 11);
    assert_eq!(read(&b, "a", None), b"hello world");
    assert_eq!(read(&b, "a", Some(Range::Suffix(5))), b"world");
    assert_eq!(
        read(
            &b,
            "a",
            Some(Range::Span {
                offset: Some(6),
                length: Some(3)
            })
        ),
        b"wor"
    );
    let o2 = put(&b, "a", b"second");
    assert_ne!(o.version, o2.version);
    assert_eq!(read(&b, "a", None), b"second");
    // The replaced version's file is gone: one blob per live object.
    assert_eq!(
        std::fs::read_dir(_d.path().join("r2/test-bucket/blobs"))
            .unwrap()
            .count(),
        1
    );
    b.delete(&["a".to_string(), "missing".to_string()]).unwrap();
    assert!(b.head("a").unwrap().is_none());
    assert!(b.is_empty().unwrap());
}

#[test]
fn conditions_and_checksums() {
    let (_d, b) = bucket();
    let o = put(&b, "k", b"x");
    let cond = Conditional {
        etag_matches: Some(vec!["nope".into()]),
        ..Default::default()
    };
    assert!(matches!(
        b.get("k", Some(&cond), None).unwrap(),
        Some(Got::Failed(_))
    ));
    let u = b.begin_put(&[]).unwrap();
    let opts = PutOptions {
        only_if: Some(cond),
        ..Default::default()
    };
    assert!(b.put("k", u, opts).unwrap().is_none());
    let ok = Conditional {
        etag_matches: Some(vec![format!("\"{}\"", o.etag)]),
        ..Default::default()
    };
    assert!(matches!(
        b.get("k", Some(&ok), None).unwrap(),
        Some(Got::Body { .. })
    ));
    let mut u = b.begin_put(&["sha256".to_string()]).unwrap();
    u.write(b"abc").unwrap();
    let mut sums = BTreeMap::new();
    sums.insert("sha256".to_string(), "00".repeat(32));
    let err = b
        .put(
            "k",
            u,
            PutOptions {
                checksums: sums,
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(err.code, 10037);
    assert_eq!(read(&b, "k", None), b"x");
    // Nothing of the refused put is left behind.
    assert_eq!(
        std::fs::read_dir(_d.path().join("r2/test-bucket/tmp"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn limits_are_r2s() {
    let (_d, b) = bucket();
    let u = b.begin_put(&[]).unwrap();
    assert_eq!(
        b.put(&"k".repeat(1025), u, PutOptions::default())
            .unwrap_err()
            .code,
        10020
    );
    let mut custom = BTreeMap::new();
    custom.insert("m".to_string(), "v".repeat(2048));
    let u = b.begin_put(&[]).unwrap();
    let err = b
        .put(
            "k",
            u,
            PutOptions {
                custom_metadata: custom,
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(err.code, 10012);
    let mut small = b.begin(&[], 4).unwrap();
    assert_eq!(small.write(b"12345").unwrap_err().code, 100100);
    assert_eq!(
        b.list(&ListOptions {
            limit: Some(1001),
            ..Default::default()
        })
        .unwrap_err()
        .code,
        10022
    );
}

#[test]
fn lists_with_prefix_delimiter_and_cursor() {
    let (_d, b) = bucket();
    for k in ["a/1", "a/2", "b", "c/x/1", "c/y", "d", "é"] {
        put(&b, k, k.as_bytes());
    }
    let all = b.list(&ListOptions::default()).unwrap();
    let keys: Vec<_> = all.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["a/1", "a/2", "b", "c/x/1", "c/y", "d", "é"]);
    assert!(!all.truncated);
    let delimited = b
        .list(&ListOptions {
            delimiter: Some("/".into()),
            ..Default::default()
        })
        .unwrap();
    let keys: Vec<_> = delimited.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["b", "d", "é"]);
    assert_eq!(delimited.delimited_prefixes, ["a/", "c/"]);
    // Paging two entries at a time, prefixes included, visits everything once.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = b
            .list(&ListOptions {
                limit: Some(2),
                delimiter: Some("/".into()),
                cursor: cursor.clone(),
                ..Default::default()
            })
            .unwrap();
        seen.extend(page.delimited_prefixes.clone());
        seen.extend(page.objects.iter().map(|o| o.key.clone()));
        if !page.truncated {
            break;
        }
        cursor = page.cursor;
    }
    seen.sort();
    assert_eq!(seen, ["a/", "b", "c/", "d", "é"]);
    let under_c = b
        .list(&ListOptions {
            prefix: Some("c/".into()),
            delimiter: Some("/".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(under_c.delimited_prefixes, ["c/x/"]);
    assert_eq!(under_c.objects[0].key, "c/y");
    let after = b
        .list(&ListOptions {
            start_after: Some("c/y".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        after
            .objects
            .iter()
            .map(|o| o.key.as_str())
            .collect::<Vec<_>>(),
        ["d", "é"]
    );
}

#[test]
fn multipart_rules() {
    let (_d, b) = bucket();
    let id = b
        .create_multipart("big", &HttpMetadata::default(), &BTreeMap::new())
        .unwrap();
    let part = |n: u32, size: usize, byte: u8| {
        let mut u = b.begin_part().unwrap();
        u.write(&vec![byte; size]).unwrap();
        b.upload_part("big", &id, n, u).unwrap()
    };
    let mib5 = 5 * 1024 * 1024;
    let p1 = part(1, mib5, 1);
    let p2 = part(2, 10, 2);
    let small = part(3, 10, 3);
    assert_eq!(
        b.complete_multipart("big", &id, &[p2.clone(), small.clone()])
            .unwrap_err()
            .code,
        10011
    );
    assert_eq!(
        b.complete_multipart("big", &id, &[p2.clone(), p1.clone()])
            .unwrap_err()
            .code,
        10048
    );
    let o = b.complete_multipart("big", &id, &[p1, p2]).unwrap();
    assert_eq!(o.size as usize, mib5 + 10);
    assert!(o.etag.ends_with("-2"));
    let body = read(&b, "big", Some(Range::Suffix(11)));
    assert_eq!(body[0], 1);
    assert_eq!(&body[1..], &[2; 10]);
    assert_eq!(
        b.complete_multipart("big", &id, &[small]).unwrap_err().code,
        10024
    );
    let id2 = b
        .create_multipart("x", &HttpMetadata::default(), &BTreeMap::new())
        .unwrap();
    b.abort_multipart("x", &id2).unwrap();
    assert!(b.head("x").unwrap().is_none());
    // Only the completed object's file remains.
    assert_eq!(
        std::fs::read_dir(_d.path().join("r2/test-bucket/blobs"))
            .unwrap()
            .count(),
        1
    );
}

#[test]
fn buckets_are_folders() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        create_bucket(dir.path(), "Bad_Name").unwrap_err().code,
        10005
    );
    let b = create_bucket(dir.path(), "photos").unwrap();
    put(&b, "x", b"1");
    drop(b);
    assert_eq!(list_buckets(dir.path()).unwrap(), ["photos"]);
    assert_eq!(delete_bucket(dir.path(), "photos").unwrap_err().code, 10008);
    Bucket::open(dir.path(), "photos")
        .unwrap()
        .delete(&["x".into()])
        .unwrap();
    delete_bucket(dir.path(), "photos").unwrap();
    assert!(list_buckets(dir.path()).unwrap().is_empty());
}

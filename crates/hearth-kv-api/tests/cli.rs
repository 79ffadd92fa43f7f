//! The `hearth kv` command logic, run in-process against a database that another
//! open store (standing in for `hearth dev`) also uses.

use clap::Parser;
use hearth_kv::{KvError, KvStore, PutOptions};
use hearth_kv_api::cli::{self, KvCommand};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    cmd: KvCommand,
}

fn run(
    dir: &std::path::Path,
    bindings: &[(String, String)],
    args: &[&str],
) -> Result<String, KvError> {
    let cmd = Cli::try_parse_from(std::iter::once("kv").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{e}"))
        .cmd;
    let mut out = Vec::new();
    cli::run_to(dir, bindings, cmd, &mut out)?;
    Ok(String::from_utf8(out).unwrap())
}

#[tokio::test]
async fn cli_commands_while_dev_has_the_database_open() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let dev = KvStore::open(&dir).unwrap();
    let id = "0f2ac74b498b48028cb68387c421e279".to_string();
    let bindings = vec![("TODOS".to_string(), id.clone())];
    dev.ensure_namespace(&id, "TODOS").unwrap();

    let out = run(&dir, &bindings, &["namespace", "create", "my-cache"]).unwrap();
    assert!(out.contains("binding = \"my_cache\""), "{out}");
    let out = run(&dir, &bindings, &["namespace", "list"]).unwrap();
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);

    let out = run(
        &dir,
        &bindings,
        &[
            "key",
            "put",
            "hello",
            "world",
            "--binding",
            "TODOS",
            "--metadata",
            "{\"a\":1}",
            "--ttl",
            "3600",
        ],
    )
    .unwrap();
    assert_eq!(
        out,
        format!("Writing the value \"world\" to key \"hello\" on namespace {id}.\n")
    );
    // `hearth dev` sees it at once.
    let e = dev.get(&id, "hello").unwrap().unwrap();
    assert_eq!(
        (e.value.as_slice(), e.metadata.as_deref()),
        (&b"world"[..], Some("{\"a\":1}"))
    );
    assert!(e.expiration.is_some());
    // And the CLI sees dev's writes.
    dev.put(&id, "from-dev", b"x".to_vec(), PutOptions::default())
        .await
        .unwrap();
    assert_eq!(
        run(
            &dir,
            &bindings,
            &["key", "get", "from-dev", "--namespace-id", &id]
        )
        .unwrap(),
        // Raw bytes, no newline added (like wrangler without --text).
        "x"
    );

    let file = dir.join("value.bin");
    std::fs::write(&file, [1u8, 2, 3]).unwrap();
    run(
        &dir,
        &bindings,
        &[
            "key",
            "put",
            "bin",
            "--path",
            file.to_str().unwrap(),
            "--binding",
            "TODOS",
        ],
    )
    .unwrap();
    assert_eq!(dev.get(&id, "bin").unwrap().unwrap().value, vec![1, 2, 3]);

    let out = run(
        &dir,
        &bindings,
        &["key", "list", "--binding", "TODOS", "--prefix", "h"],
    )
    .unwrap();
    let keys: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(keys[0]["name"], "hello");
    assert_eq!(keys[0]["metadata"]["a"], 1);
    assert_eq!(keys.as_array().unwrap().len(), 1);

    let bulk = dir.join("bulk.json");
    std::fs::write(
        &bulk,
        r#"[{"key":"b1","value":"one"},{"key":"b2","value":"dHdv","base64":true}]"#,
    )
    .unwrap();
    run(
        &dir,
        &bindings,
        &["bulk", "put", bulk.to_str().unwrap(), "--binding", "TODOS"],
    )
    .unwrap();
    assert_eq!(dev.get(&id, "b2").unwrap().unwrap().value, b"two");
    let del = dir.join("del.json");
    std::fs::write(&del, r#"["b1","b2"]"#).unwrap();
    run(
        &dir,
        &bindings,
        &[
            "bulk",
            "delete",
            del.to_str().unwrap(),
            "--binding",
            "TODOS",
            "--force",
        ],
    )
    .unwrap();
    assert_eq!(dev.get(&id, "b1").unwrap(), None);

    run(
        &dir,
        &bindings,
        &["key", "delete", "hello", "--binding", "TODOS"],
    )
    .unwrap();
    assert_eq!(dev.get(&id, "hello").unwrap(), None);
    assert_eq!(
        run(
            &dir,
            &bindings,
            &["key", "get", "hello", "--binding", "TODOS"]
        )
        .unwrap(),
        "Value not found\n"
    );

    // Errors name the problem.
    let e = run(
        &dir,
        &bindings,
        &["key", "put", "k", "v", "--binding", "NOPE"],
    )
    .unwrap_err();
    assert!(e.to_string().contains("TODOS"), "{e}");
    let e = run(
        &dir,
        &bindings,
        &["key", "put", "k", "v", "--binding", "TODOS", "--ttl", "30"],
    )
    .unwrap_err();
    assert!(matches!(e, KvError::InvalidExpirationTtl { ttl: 30 }));
    let e = run(
        &dir,
        &bindings,
        &["key", "get", "k", "--namespace-id", "unknown"],
    )
    .unwrap_err();
    assert!(matches!(e, KvError::NamespaceNotFound { .. }));
    let e = run(&dir, &bindings, &["key", "get", "k"]).unwrap_err();
    assert!(e.to_string().contains("--binding"));

    let created = dev
        .list_namespaces()
        .unwrap()
        .into_iter()
        .find(|n| n.title == "my-cache")
        .unwrap();
    run(
        &dir,
        &bindings,
        &["namespace", "delete", "--namespace-id", &created.id],
    )
    .unwrap();
    assert_eq!(dev.list_namespaces().unwrap().len(), 1);
}

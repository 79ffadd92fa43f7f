//! Compatibility dates and flags decide behaviour as on Cloudflare: the same
//! worker, run under different `compatibility_date`s and flags, reports what
//! it sees.

use hearth_tests::{get_json, run_to_exit, write_project, Hearth};
use serde_json::{json, Value};
use std::time::Duration;

/// Reports the date- and flag-dependent behaviours hearth implements.
const WORKER: &str = r#"
const BODY = '--B\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n\r\nfile text\r\n--B--\r\n';
export default {
  async fetch() {
    const form = await new Request('http://x/', {
      method: 'POST',
      body: BODY,
      headers: { 'content-type': 'multipart/form-data; boundary=B' },
    }).formData();
    const nodeProcess = await import('node:process').then((m) => m.default, () => null);
    const bare = await import('buffer').then(() => true, () => false);
    const als = await import('node:async_hooks').then(() => true, () => false);
    return Response.json({
      navigator: typeof globalThis.navigator,
      language: globalThis.navigator?.language ?? null,
      file: typeof form.get('f'),
      nodeProcess: nodeProcess !== null,
      env: nodeProcess ? nodeProcess.env.GREETING ?? null : null,
      bare,
      als,
      globalBuffer: typeof globalThis.Buffer,
    });
  },
};
"#;

fn report(date: Option<&str>, flags: &[&str]) -> (Value, String) {
    let mut toml = String::from("name = \"compat\"\nmain = \"src/index.js\"\n");
    if let Some(date) = date {
        toml.push_str(&format!("compatibility_date = \"{date}\"\n"));
    }
    toml.push_str(&format!(
        "compatibility_flags = {}\n[vars]\nGREETING = \"hi\"\n",
        serde_json::to_string(flags).unwrap()
    ));
    let dir = write_project(&[("wrangler.toml", &toml), ("src/index.js", WORKER)]);
    let h = Hearth::start(dir.path(), &[]);
    (get_json(&h.url), h.logs())
}

#[test]
fn dates_turn_changes_on() {
    let (v, _) = report(Some("2021-11-02"), &[]);
    assert_eq!(
        v,
        json!({"navigator": "undefined", "language": null, "file": "string", "nodeProcess": false,
               "env": null, "bare": false, "als": false, "globalBuffer": "undefined"})
    );
    let (v, _) = report(Some("2022-03-21"), &[]);
    assert_eq!(
        (&v["navigator"], &v["file"]),
        (&json!("object"), &json!("object"))
    );
    assert_eq!(v["language"], Value::Null);
    let (v, _) = report(Some("2025-05-19"), &[]);
    assert_eq!(v["language"], "en");
    assert_eq!(v["nodeProcess"], false);
}

#[test]
fn nodejs_compat_grows_with_the_date() {
    // Before 2024-09-23 nodejs_compat means v1: `node:` imports only, no globals.
    let (v, _) = report(Some("2024-09-22"), &["nodejs_compat"]);
    assert_eq!(
        (&v["nodeProcess"], &v["bare"], &v["globalBuffer"], &v["env"]),
        (
            &json!(true),
            &json!(false),
            &json!("undefined"),
            &Value::Null
        ),
        "{v}"
    );
    // From 2024-09-23 it implies nodejs_compat_v2; process.env is filled from
    // 2025-04-01.
    let (v, _) = report(Some("2024-09-23"), &["nodejs_compat"]);
    assert_eq!(
        (&v["bare"], &v["globalBuffer"], &v["env"]),
        (&json!(true), &json!("function"), &Value::Null),
        "{v}"
    );
    let (v, _) = report(Some("2025-04-01"), &["nodejs_compat"]);
    assert_eq!(v["env"], "hi", "{v}");
    // Each implied change has its own flags.
    let (v, _) = report(
        Some("2025-04-01"),
        &["nodejs_compat", "nodejs_compat_do_not_populate_process_env"],
    );
    assert_eq!(v["env"], Value::Null, "{v}");
    let (v, _) = report(Some("2024-01-01"), &["nodejs_compat", "nodejs_compat_v2"]);
    assert_eq!(v["globalBuffer"], "function", "{v}");
    // nodejs_als alone: AsyncLocalStorage, nothing else of Node.js.
    let (v, _) = report(Some("2025-01-01"), &["nodejs_als"]);
    assert_eq!(
        (&v["als"], &v["nodeProcess"]),
        (&json!(true), &json!(false)),
        "{v}"
    );
    // From 2026-08-04 Node.js compatibility is the default; both disable
    // flags turn it off.
    let (v, _) = report(Some("2026-08-04"), &[]);
    assert_eq!((&v["bare"], &v["env"]), (&json!(true), &json!("hi")), "{v}");
    let (v, _) = report(
        Some("2026-08-04"),
        &["no_nodejs_compat", "no_nodejs_compat_v2"],
    );
    assert_eq!(
        (&v["nodeProcess"], &v["als"]),
        (&json!(false), &json!(false)),
        "{v}"
    );
}

#[test]
fn disable_flags_keep_old_behaviour_and_unknown_flags_are_named() {
    let (v, logs) = report(
        Some("2025-05-19"),
        &[
            "formdata_parser_converts_files_to_strings",
            "no_global_navigator",
            "frobnicate_everything",
        ],
    );
    assert_eq!(
        (&v["file"], &v["navigator"]),
        (&json!("string"), &json!("undefined")),
        "{v}"
    );
    let warning = logs
        .lines()
        .find(|l| l.contains("frobnicate_everything"))
        .unwrap_or_else(|| panic!("no warning naming the unknown flag:\n{logs}"));
    assert!(warning.contains("WARN"), "{warning}");
    // Flags hearth knows and honours are not warned about.
    assert!(!logs.contains("no_global_navigator"), "{logs}");
}

#[test]
fn missing_date_warns_and_contradictory_flags_fail() {
    let (v, logs) = report(None, &[]);
    assert!(logs.contains("no compatibility_date"), "{logs}");
    // The latest date hearth supports: Node.js compatibility is on.
    assert_eq!(v["bare"], true, "{v}");
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"c\"\nmain = \"src/index.js\"\ncompatibility_date = \"2025-01-01\"\n\
             compatibility_flags = [\"nodejs_compat\", \"no_nodejs_compat\"]\n",
        ),
        ("src/index.js", WORKER),
    ]);
    let (status, out) = run_to_exit(
        &["dev", dir.path().to_str().unwrap(), "--port", "0"],
        Duration::from_secs(10),
    );
    assert!(!status.success(), "{out}");
    assert!(
        out.contains("no_nodejs_compat") && out.contains("contradict"),
        "{out}"
    );
}

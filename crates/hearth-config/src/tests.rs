use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;

use crate::*;

/// A fresh, empty folder under the system temp dir.
fn temp_dir() -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "hearth-config-test-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `files` into a fresh folder and returns it.
fn project(files: &[(&str, &str)]) -> PathBuf {
    let dir = temp_dir();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    dir
}

fn load_str(name: &str, text: &str, env: Option<&str>) -> std::result::Result<Config, ConfigError> {
    let dir = project(&[(name, text)]);
    load(&dir.join(name), env)
}

fn err_str(name: &str, text: &str, env: Option<&str>) -> String {
    match load_str(name, text, env) {
        Ok(cfg) => panic!("expected an error, got {cfg:#?}"),
        Err(e) => e.to_string(),
    }
}

const TOML: &str = r#"
name = "my-worker"
main = "./src/index.js"
compatibility_date = "2024-09-23"
compatibility_flags = ["nodejs_compat", "some_future_flag"]

[vars]
GREETING = "hello"
COUNT = 3
FEATURES = { beta = true, list = [1, 2] }

[triggers]
crons = ["*/5 * * * *"]

[limits]
cpu_ms = 50

[[kv_namespaces]]
binding = "CACHE"
id = "abc"
preview_id = "def"

[durable_objects]
bindings = [
  { name = "COUNTER", class_name = "Counter" },
  { name = "OTHER", class_name = "Other", script_name = "other-worker" },
]

[[migrations]]
tag = "v1"
new_classes = ["Counter"]

[[migrations]]
tag = "v2"
new_sqlite_classes = ["Chat"]
renamed_classes = [{ from = "Counter", to = "Counter2" }]
deleted_classes = ["Old"]

[[hyperdrive]]
binding = "DB"
id = "hd-1"
localConnectionString = "postgres://localhost/db"
origin_connection_limit = 7

[[tcp_listeners]]
address = "127.0.0.1:6380"
handler = "redis"

[env.staging]
name = "my-worker-staging"
compatibility_flags = ["staging_flag"]
vars = { GREETING = "hi from staging" }

[[env.staging.kv_namespaces]]
binding = "CACHE"
id = "staging-id"

[env.bare]
"#;

#[test]
fn parses_toml() {
    let dir = project(&[("wrangler.toml", TOML)]);
    let cfg = load(&dir.join("wrangler.toml"), None).unwrap();
    assert_eq!(cfg.name, "my-worker");
    assert_eq!(cfg.root, dir);
    assert_eq!(cfg.path, dir.join("wrangler.toml"));
    assert_eq!(cfg.main, Some(dir.join("src").join("index.js")));
    assert_eq!(cfg.compatibility_date.as_deref(), Some("2024-09-23"));
    assert_eq!(
        cfg.compatibility_flags,
        ["nodejs_compat", "some_future_flag"]
    );
    assert_eq!(cfg.crons, ["*/5 * * * *"]);
    assert_eq!(cfg.limits.cpu_ms, 50);
    assert_eq!(
        cfg.kv_namespaces,
        [KvNamespace {
            binding: "CACHE".into(),
            id: Some("abc".into()),
            preview_id: Some("def".into()),
        }]
    );
    assert_eq!(cfg.durable_objects.len(), 2);
    assert_eq!(cfg.durable_objects[0].class_name, "Counter");
    assert_eq!(cfg.durable_objects[0].script_name, None);
    assert_eq!(
        cfg.durable_objects[1].script_name.as_deref(),
        Some("other-worker")
    );
    assert_eq!(cfg.migrations.len(), 2);
    assert_eq!(cfg.migrations[0].new_classes, ["Counter"]);
    assert_eq!(cfg.migrations[1].new_sqlite_classes, ["Chat"]);
    assert_eq!(
        cfg.migrations[1].renamed_classes,
        [RenamedClass {
            from: "Counter".into(),
            to: "Counter2".into()
        }]
    );
    assert_eq!(cfg.migrations[1].deleted_classes, ["Old"]);
    assert_eq!(
        cfg.hyperdrive,
        [Hyperdrive {
            binding: "DB".into(),
            id: "hd-1".into(),
            local_connection_string: Some("postgres://localhost/db".into()),
            origin_connection_limit: Some(7),
        }]
    );
    assert_eq!(
        cfg.tcp_listeners,
        [TcpListener {
            address: "127.0.0.1:6380".into(),
            handler: Some("redis".into()),
        }]
    );
    assert!(cfg.warnings.is_empty(), "{:#?}", cfg.warnings);
}

#[test]
fn vars_keep_json_values() {
    let cfg = load_str("wrangler.toml", TOML, None).unwrap();
    assert_eq!(cfg.vars["GREETING"], json!("hello"));
    assert_eq!(cfg.vars["COUNT"], json!(3));
    assert_eq!(
        cfg.vars["FEATURES"],
        json!({ "beta": true, "list": [1, 2] })
    );

    let cfg = load_str(
        "wrangler.json",
        r#"{ "vars": { "S": "x", "N": 1.5, "O": { "a": [null, false] } } }"#,
        None,
    )
    .unwrap();
    assert_eq!(cfg.vars["S"], json!("x"));
    assert_eq!(cfg.vars["N"], json!(1.5));
    assert_eq!(cfg.vars["O"], json!({ "a": [null, false] }));
}

#[test]
fn defaults_when_keys_absent() {
    let cfg = load_str("wrangler.toml", "", None).unwrap();
    assert_eq!(cfg.name, "worker");
    assert_eq!(cfg.main, None);
    assert_eq!(cfg.limits.cpu_ms, 30_000);
    assert!(cfg.vars.is_empty() && cfg.kv_namespaces.is_empty() && cfg.crons.is_empty());
    assert!(cfg.warnings.is_empty());
}

#[test]
fn parses_json_and_jsonc() {
    let json = r#"{
        "name": "j",
        "main": "src/worker.ts",
        "compatibility_date": "2025-01-01",
        "kv_namespaces": [{ "binding": "KV" }],
        "durable_objects": { "bindings": [{ "name": "DO", "class_name": "Room" }] },
        "triggers": { "crons": ["0 * * * *"] }
    }"#;
    let cfg = load_str("wrangler.json", json, None).unwrap();
    assert_eq!(cfg.name, "j");
    assert!(cfg.main.unwrap().ends_with("src/worker.ts"));
    assert_eq!(cfg.kv_namespaces[0].binding, "KV");
    assert_eq!(cfg.kv_namespaces[0].id, None);
    assert_eq!(cfg.durable_objects[0].class_name, "Room");
    assert_eq!(cfg.crons, ["0 * * * *"]);

    let jsonc = r#"
    // a comment
    {
        "$schema": "./node_modules/wrangler/config-schema.json",
        /* block comment */
        "name": "c",
        "compatibility_flags": ["nodejs_compat",], // trailing comma
        "vars": { "A": "1", },
    }
    "#;
    let cfg = load_str("wrangler.jsonc", jsonc, None).unwrap();
    assert_eq!(cfg.name, "c");
    assert_eq!(cfg.compatibility_flags, ["nodejs_compat"]);
    assert_eq!(cfg.vars["A"], json!("1"));
    assert!(cfg.warnings.is_empty(), "{:#?}", cfg.warnings);
}

#[test]
fn env_inherits_inheritable_keys_only() {
    let cfg = load_str("wrangler.toml", TOML, Some("staging")).unwrap();
    // Overridden.
    assert_eq!(cfg.name, "my-worker-staging");
    assert_eq!(cfg.compatibility_flags, ["staging_flag"]);
    assert_eq!(cfg.vars.len(), 1);
    assert_eq!(cfg.vars["GREETING"], json!("hi from staging"));
    assert_eq!(cfg.kv_namespaces[0].id.as_deref(), Some("staging-id"));
    // Inherited.
    assert!(cfg.main.as_ref().unwrap().ends_with("src/index.js"));
    assert_eq!(cfg.compatibility_date.as_deref(), Some("2024-09-23"));
    assert_eq!(cfg.crons, ["*/5 * * * *"]);
    assert_eq!(cfg.limits.cpu_ms, 50);
    assert_eq!(cfg.migrations.len(), 2);
    assert_eq!(cfg.tcp_listeners.len(), 1);
    // Not inherited.
    assert!(cfg.durable_objects.is_empty());
    assert!(cfg.hyperdrive.is_empty());
    let joined = cfg.warnings.join("\n");
    assert!(
        joined.contains("durable_objects: defined at the top level but not in [env.staging]"),
        "{joined}"
    );
    assert!(
        joined.contains("hyperdrive: defined at the top level"),
        "{joined}"
    );
}

#[test]
fn bare_env_gets_no_bindings_and_derived_name() {
    let cfg = load_str("wrangler.toml", TOML, Some("bare")).unwrap();
    assert_eq!(cfg.name, "my-worker-bare");
    assert!(cfg.vars.is_empty());
    assert!(cfg.kv_namespaces.is_empty());
    assert!(cfg.durable_objects.is_empty());
    assert_eq!(
        cfg.compatibility_flags,
        ["nodejs_compat", "some_future_flag"]
    );
    assert!(cfg
        .warnings
        .iter()
        .any(|w| w.contains("vars: defined at the top level")));
}

#[test]
fn json_env_selection() {
    let json = r#"{
        "name": "w", "main": "a.js", "vars": { "X": "top" },
        "env": { "prod": { "vars": { "X": "prod" }, "main": "b.js" } }
    }"#;
    let cfg = load_str("wrangler.jsonc", json, Some("prod")).unwrap();
    assert_eq!(cfg.vars["X"], json!("prod"));
    assert!(cfg.main.unwrap().ends_with("b.js"));
    assert_eq!(cfg.name, "w-prod");
}

#[test]
fn unknown_env_lists_defined_ones() {
    let msg = err_str("wrangler.toml", TOML, Some("prod"));
    assert!(msg.contains("wrangler.toml"), "{msg}");
    assert!(msg.contains("`prod`"), "{msg}");
    assert!(msg.contains("staging, bare"), "{msg}");

    let msg = err_str("wrangler.toml", "name = \"x\"", Some("prod"));
    assert!(msg.contains("defines no environments"), "{msg}");
}

#[test]
fn default_rules() {
    let cfg = load_str("wrangler.toml", "", None).unwrap();
    let kind = |p: &str| cfg.module_kind(Path::new(p));
    assert_eq!(kind("index.js"), Some(ModuleKind::EsModule));
    assert_eq!(kind("src/lib/util.mjs"), Some(ModuleKind::EsModule));
    assert_eq!(kind("./src/a.ts"), Some(ModuleKind::EsModule));
    assert_eq!(kind("src/a.mts"), Some(ModuleKind::EsModule));
    assert_eq!(kind("old.cjs"), Some(ModuleKind::CommonJs));
    assert_eq!(kind("page.html"), Some(ModuleKind::Text));
    assert_eq!(kind("deep/notes.txt"), Some(ModuleKind::Text));
    assert_eq!(kind("blob.bin"), Some(ModuleKind::Data));
    assert_eq!(kind("add.wasm"), Some(ModuleKind::CompiledWasm));
    assert_eq!(kind("add.wasm?module"), Some(ModuleKind::CompiledWasm));
    assert_eq!(kind("image.png"), None);
}

#[test]
fn custom_rules_come_first_and_respect_fallthrough() {
    let toml = r#"
rules = [
  { type = "Text", globs = ["**/*.md"], fallthrough = true },
  { type = "Data", globs = ["assets/*.png"] },
  { type = "ESModule", globs = ["**/*.txt"], fallthrough = true },
]
"#;
    let cfg = load_str("wrangler.toml", toml, None).unwrap();
    let kind = |p: &str| cfg.module_kind(Path::new(p));
    assert_eq!(kind("README.md"), Some(ModuleKind::Text));
    assert_eq!(kind("docs/a.md"), Some(ModuleKind::Text));
    assert_eq!(kind("assets/a.png"), Some(ModuleKind::Data));
    // `*` does not cross folders.
    assert_eq!(kind("assets/x/a.png"), None);
    // User rule beats the default Text rule.
    assert_eq!(kind("a.txt"), Some(ModuleKind::EsModule));
    // Text had fallthrough, so the default Text rule still applies to html.
    assert_eq!(kind("a.html"), Some(ModuleKind::Text));
    // Data had no fallthrough: the default Data rule (*.bin) is dropped.
    assert_eq!(kind("a.bin"), None);
    assert_eq!(cfg.rules[0].globs, ["**/*.md"]);
    assert!(cfg.rules[0].fallthrough);
    assert!(cfg.rules[0].matches(Path::new("x/y.md")));
}

#[test]
fn shadowed_user_rule_warns() {
    let toml = r#"
[[rules]]
type = "Text"
globs = ["*.a"]

[[rules]]
type = "Text"
globs = ["*.b"]
"#;
    let cfg = load_str("wrangler.toml", toml, None).unwrap();
    assert_eq!(cfg.warnings.len(), 1, "{:#?}", cfg.warnings);
    assert!(cfg.warnings[0].contains("rules[1]"));
    assert_eq!(cfg.module_kind(Path::new("x.b")), None);
}

#[test]
fn bad_rule_type_is_an_error() {
    let msg = err_str(
        "wrangler.toml",
        "rules = [{ type = \"Wat\", globs = [\"*.x\"] }]",
        None,
    );
    assert!(msg.contains("rules[0].type"), "{msg}");
    assert!(msg.contains("CompiledWasm"), "{msg}");
}

#[test]
fn toml_syntax_error_has_file_line_column_and_key() {
    let msg = err_str(
        "wrangler.toml",
        "name = \"x\"\nmain = \"src/index.js\nflag = 1\n",
        None,
    );
    assert!(msg.contains("wrangler.toml:2:"), "{msg}");
    assert!(msg.contains("`main`"), "{msg}");
    assert!(msg.contains("invalid TOML"), "{msg}");

    let msg = err_str("wrangler.toml", "name = \"a\"\nname = \"b\"\n", None);
    assert!(msg.contains("wrangler.toml:2:"), "{msg}");
    assert!(msg.contains("name"), "{msg}");
}

#[test]
fn json_syntax_error_has_file_line_column() {
    let msg = err_str(
        "wrangler.jsonc",
        "{\n  \"name\": \"x\",\n  \"main\": oops\n}\n",
        None,
    );
    assert!(msg.contains("wrangler.jsonc:3:"), "{msg}");
    assert!(msg.contains("invalid JSON"), "{msg}");
    assert!(msg.contains("`main`"), "{msg}");
}

#[test]
fn type_errors_name_file_line_and_key_path() {
    let msg = err_str("wrangler.toml", "name = \"x\"\nmain = 5\n", None);
    assert!(
        msg.contains("wrangler.toml:2:8: main: expected a string"),
        "{msg}"
    );

    let msg = err_str("wrangler.toml", "vars = [1]\n", None);
    assert!(msg.contains("vars: expected a table"), "{msg}");

    let msg = err_str("wrangler.toml", "[[kv_namespaces]]\nid = \"x\"\n", None);
    assert!(
        msg.contains("wrangler.toml")
            && msg.contains(
                "kv_namespaces[0].binding: missing (each KV namespace needs a binding name)"
            ),
        "{msg}"
    );

    let msg = err_str(
        "wrangler.toml",
        "[env.dev]\n[[env.dev.kv_namespaces]]\nbinding = 7\n",
        Some("dev"),
    );
    assert!(
        msg.contains("wrangler.toml:3:11: env.dev.kv_namespaces[0].binding"),
        "{msg}"
    );

    let msg = err_str(
        "wrangler.json",
        r#"{ "durable_objects": { "bindings": [{ "name": "A" }] } }"#,
        None,
    );
    assert!(
        msg.contains("wrangler.json: durable_objects.bindings[0].class_name: missing"),
        "{msg}"
    );

    let msg = err_str("wrangler.toml", "compatibility_date = \"yesterday\"", None);
    assert!(
        msg.contains("compatibility_date") && msg.contains("YYYY-MM-DD"),
        "{msg}"
    );

    let msg = err_str("wrangler.toml", "[limits]\ncpu_ms = -1", None);
    assert!(msg.contains("limits.cpu_ms"), "{msg}");
    let msg = err_str(
        "wrangler.toml",
        "[[hyperdrive]]\nbinding = \"DB\"\nid = \"x\"\norigin_connection_limit = 0",
        None,
    );
    assert!(
        msg.contains("hyperdrive[0].origin_connection_limit"),
        "{msg}"
    );
}

#[test]
fn tcp_listener_address_is_validated() {
    let msg = err_str(
        "wrangler.toml",
        "[[tcp_listeners]]\naddress = \"localhost\"\n",
        None,
    );
    assert!(
        msg.contains("wrangler.toml:2:11: tcp_listeners[0].address"),
        "{msg}"
    );
    let cfg = load_str(
        "wrangler.toml",
        "[[tcp_listeners]]\naddress = \"[::1]:9000\"\n",
        None,
    )
    .unwrap();
    assert_eq!(cfg.tcp_listeners[0].address, "[::1]:9000");
    assert_eq!(cfg.tcp_listeners[0].handler, None);
}

#[test]
fn warnings_for_ignored_and_unknown_keys() {
    let toml = r#"
account_id = "silent"
workers_dev = true
route = "example.com/*"
usage_model = "bundled"
vectorize = [{ binding = "V", index_name = "i" }]
naem = "typo"
[build]
command = "npm run build"
[[kv_namespaces]]
binding = "KV"
colour = "blue"
[site]
bucket = "./public"
"#;
    let cfg = load_str("wrangler.toml", toml, None).unwrap();
    let w = &cfg.warnings;
    let has = |needle: &str| w.iter().any(|m| m.contains(needle));
    assert!(
        has("wrangler.toml:5:15: usage_model: hearth ignores this key"),
        "{w:#?}"
    );
    assert!(has("vectorize: hearth ignores this key"), "{w:#?}");
    // `[build] command` is run by `hearth dev`.
    assert!(!has("build"), "{w:#?}");
    assert_eq!(cfg.build.as_ref().unwrap().command, "npm run build");
    // `[site]` is served (Workers Sites).
    assert!(!has("site"), "{w:#?}");
    assert!(cfg.site.as_ref().unwrap().bucket.ends_with("public"));
    assert!(
        has("naem: unknown key") && has("did you mean `name`"),
        "{w:#?}"
    );
    assert!(has("kv_namespaces[0].colour: unknown key"), "{w:#?}");
    assert!(
        !has("account_id") && !has("workers_dev") && !has("route"),
        "{w:#?}"
    );
    assert_eq!(w.len(), 4, "{w:#?}");
    assert!(w.iter().all(|m| m.contains("wrangler.toml")));
}

#[test]
fn env_warnings() {
    let toml = r#"
vectorize = [{ binding = "V", index_name = "x" }]
placement = { mode = "smart" }
[env.dev]
keep_vars = true
vectorize = [{ binding = "V", index_name = "v" }]
ratelimits = []
placement = { mode = "off" }
bogus = 1
"#;
    let cfg = load_str("wrangler.toml", toml, Some("dev")).unwrap();
    let w = &cfg.warnings;
    let has = |needle: &str| w.iter().any(|m| m.contains(needle));
    assert!(
        has("env.dev.keep_vars: only allowed at the top level"),
        "{w:#?}"
    );
    assert!(has("env.dev.vectorize: hearth ignores"), "{w:#?}");
    assert!(has("env.dev.placement: hearth ignores"), "{w:#?}");
    assert!(has("env.dev.bogus: unknown key"), "{w:#?}");
    // An empty binding list asks nothing of hearth: no warning.
    assert!(!has("ratelimits"), "{w:#?}");
    // Top-level non-inheritable / overridden keys are not in effect for env.dev.
    assert!(!has(": vectorize") && !has(": placement"), "{w:#?}");
    assert_eq!(w.len(), 4, "{w:#?}");
}

#[test]
fn compatibility_flags_are_kept_verbatim() {
    let cfg = load_str(
        "wrangler.toml",
        "compatibility_flags = [\"nodejs_compat_v2\", \"no_such_flag\", \"nodejs_compat\"]",
        None,
    )
    .unwrap();
    assert_eq!(
        cfg.compatibility_flags,
        ["nodejs_compat_v2", "no_such_flag", "nodejs_compat"]
    );
}

#[test]
fn find_config_precedence() {
    let dir = project(&[("wrangler.toml", ""), ("wrangler.jsonc", "{}")]);
    assert_eq!(find_config(&dir), Some(dir.join("wrangler.jsonc")));
    std::fs::write(dir.join("wrangler.json"), "{}").unwrap();
    assert_eq!(find_config(&dir), Some(dir.join("wrangler.json")));

    let sub = dir.join("src");
    std::fs::create_dir(&sub).unwrap();
    assert_eq!(find_config(&sub), Some(dir.join("wrangler.json")));
    std::fs::write(sub.join("wrangler.toml"), "").unwrap();
    assert_eq!(find_config(&sub), Some(sub.join("wrangler.toml")));

    let empty = temp_dir();
    // No config in the folder; parents (the temp dir) normally have none either.
    if find_config(&std::env::temp_dir()).is_none() {
        assert_eq!(find_config(&empty), None);
    }
}

#[test]
fn missing_file_is_a_read_error() {
    let dir = temp_dir();
    let err = load(&dir.join("wrangler.toml"), None).unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }));
    assert!(err.to_string().contains("wrangler.toml"));
}

#[test]
fn dev_vars_parsing() {
    let text = r#"
# comment
export API_KEY=abc123
PLAIN = value with spaces   # trailing comment
EMPTY=
SINGLE='it''s # not a comment'
DOUBLE="line1\nline2 \"quoted\""
MULTI="first
second"
BACKTICK=`a 'b' "c"`
PLAIN=override
"#;
    let vars = crate::dev_vars::parse_dotenv(text).unwrap();
    assert_eq!(vars["API_KEY"], "abc123");
    assert_eq!(vars["PLAIN"], "override");
    assert_eq!(vars["EMPTY"], "");
    assert_eq!(vars["SINGLE"], "it");
    assert_eq!(vars["DOUBLE"], "line1\nline2 \"quoted\"");
    assert_eq!(vars["MULTI"], "first\nsecond");
    assert_eq!(vars["BACKTICK"], "a 'b' \"c\"");

    let vars = crate::dev_vars::parse_dotenv("A='x # y'\nB=\"p#q\" # c\n").unwrap();
    assert_eq!(vars["A"], "x # y");
    assert_eq!(vars["B"], "p#q");
}

#[test]
fn dev_vars_errors_name_file_and_line() {
    let dir = project(&[(".dev.vars", "A=1\nnot an assignment\n")]);
    let msg = load_dev_vars(&dir, None).unwrap_err().to_string();
    assert!(msg.contains(".dev.vars:2:"), "{msg}");

    let dir = project(&[(".dev.vars", "A=1\nB=\"unterminated\n")]);
    let msg = load_dev_vars(&dir, None).unwrap_err().to_string();
    assert!(
        msg.contains(".dev.vars:2:") && msg.contains("closing"),
        "{msg}"
    );
}

#[test]
fn dev_vars_env_specific_file() {
    let dir = project(&[
        (".dev.vars", "SECRET=dev\nONLY_DEFAULT=1\n"),
        (".dev.vars.staging", "SECRET=staging\n"),
    ]);
    let vars = load_dev_vars(&dir, None).unwrap();
    assert_eq!(vars["SECRET"], "dev");
    // The env file replaces .dev.vars entirely, as in wrangler.
    let vars = load_dev_vars(&dir, Some("staging")).unwrap();
    assert_eq!(vars["SECRET"], "staging");
    assert!(!vars.contains_key("ONLY_DEFAULT"));
    // Unknown env falls back to .dev.vars.
    let vars = load_dev_vars(&dir, Some("prod")).unwrap();
    assert_eq!(vars["SECRET"], "dev");
}

#[test]
fn dot_env_fallback_and_missing_files() {
    let dir = temp_dir();
    assert!(load_dev_vars(&dir, None).unwrap().is_empty());

    let dir = project(&[
        (".env", "A=env\nB=env\nC=env\n"),
        (".env.local", "B=local\n"),
        (".env.prod", "C=prod\n"),
    ]);
    let vars = load_dev_vars(&dir, Some("prod")).unwrap();
    assert_eq!(
        (vars["A"].as_str(), vars["B"].as_str(), vars["C"].as_str()),
        ("env", "local", "prod")
    );
    let vars = load_dev_vars(&dir, None).unwrap();
    assert_eq!(vars["C"], "env");
}

#[test]
fn outbound_policy_parses_and_matches() {
    let cfg = load_str(
        "wrangler.toml",
        "name = \"w\"\n[outbound]\nallow = [\"127.0.0.1:*\", \"*.internal:5432\", \"[::1]:6379\"]\n\
         deny = [\"127.0.0.1:25\"]\nca_bundle = \"certs/ca.pem\"\n",
        None,
    )
    .unwrap();
    let out = &cfg.outbound;
    assert_eq!(out.allow.len(), 3);
    assert_eq!(out.ca_bundle, Some(cfg.root.join("certs/ca.pem")));
    assert!(out.permits("127.0.0.1", 6380));
    assert!(!out.permits("127.0.0.1", 25), "deny wins over allow");
    assert!(out.permits("db.internal", 5432));
    assert!(out.permits("DB.Internal", 5432));
    assert!(!out.permits("db.internal", 5433));
    assert!(out.permits("::1", 6379));
    assert!(out.permits("[::1]", 6379));
    assert!(
        !out.permits("example.com", 443),
        "not in a non-empty allow list"
    );
    assert!(cfg.warnings.is_empty(), "{:#?}", cfg.warnings);

    // Default: everything allowed.
    let cfg = load_str("wrangler.toml", "name = \"w\"\n", None).unwrap();
    assert_eq!(cfg.outbound, Outbound::default());
    assert!(cfg.outbound.permits("example.com", 443));

    // Deny only.
    let cfg = load_str("wrangler.toml", "[outbound]\ndeny = [\"*:*\"]\n", None).unwrap();
    assert!(!cfg.outbound.permits("127.0.0.1", 1));

    let msg = err_str(
        "wrangler.toml",
        "[outbound]\nallow = [\"localhost\"]\n",
        None,
    );
    assert!(msg.contains("outbound.allow[0]"), "{msg}");
    assert!(msg.contains("host:port"), "{msg}");
}

#[test]
fn d1_databases_in_toml_and_jsonc() {
    let toml = r#"
d1_databases = [
  { binding = "DB", database_name = "prod-db", database_id = "0123", migrations_dir = "db/migrations" },
  { binding = "OTHER", database_name = "other", migrations_table = "my_migrations" },
]
"#;
    let cfg = load_str("wrangler.toml", toml, None).unwrap();
    assert!(cfg.warnings.is_empty(), "{:#?}", cfg.warnings);
    let db = &cfg.d1_databases[0];
    assert_eq!(db.binding, "DB");
    assert_eq!(db.local_id(), "0123");
    assert!(db.migrations_dir.ends_with("db/migrations"));
    assert_eq!(db.migrations_table, "d1_migrations");
    let other = &cfg.d1_databases[1];
    assert_eq!(other.local_id(), "other");
    assert!(other.migrations_dir.ends_with("migrations"));
    assert_eq!(other.migrations_table, "my_migrations");

    let jsonc = r#"{
  // comment
  "d1_databases": [{ "binding": "DB", "database_name": "n", "database_id": "i", "preview_database_id": "p" }],
}"#;
    let cfg = load_str("wrangler.jsonc", jsonc, None).unwrap();
    assert_eq!(cfg.d1_databases[0].local_id(), "p");
}

#[test]
fn d1_database_without_binding_names_the_key() {
    let e = err_str(
        "wrangler.toml",
        "d1_databases = [{ database_name = \"x\" }]",
        None,
    );
    assert!(
        e.contains("d1_databases[0]") && e.contains("binding"),
        "{e}"
    );
}

#[test]
fn parses_service_bindings_and_version_metadata() {
    let cfg = load_str(
        "wrangler.toml",
        r#"name = "app"
main = "index.js"
services = [
  { binding = "AUTH", service = "auth" },
  { binding = "ADMIN", service = "auth", entrypoint = "AdminApi" },
]
version_metadata = { binding = "VERSION" }
"#,
        None,
    )
    .unwrap();
    assert_eq!(
        cfg.services,
        [
            ServiceBinding {
                binding: "AUTH".into(),
                service: "auth".into(),
                entrypoint: None,
            },
            ServiceBinding {
                binding: "ADMIN".into(),
                service: "auth".into(),
                entrypoint: Some("AdminApi".into()),
            },
        ]
    );
    assert_eq!(cfg.version_metadata.as_deref(), Some("VERSION"));
    assert!(cfg.warnings.is_empty(), "{:?}", cfg.warnings);
}

#[test]
fn a_service_binding_without_its_worker_names_the_key() {
    let msg = err_str(
        "wrangler.toml",
        "name = \"app\"\nmain = \"index.js\"\n[[services]]\nbinding = \"AUTH\"\n",
        None,
    );
    assert!(msg.contains("services[0].service"), "{msg}");
}

#[test]
fn parses_routes_in_wranglers_forms() {
    let cfg = load_str(
        "wrangler.toml",
        r#"name = "app"
routes = [
  "example.com/api/*",
  { pattern = "*.example.com/*", zone_name = "example.com" },
  { pattern = "shop.example.com", custom_domain = true },
]
"#,
        None,
    )
    .unwrap();
    let patterns: Vec<(&str, bool)> = cfg
        .routes
        .iter()
        .map(|r| (r.pattern.as_str(), r.custom_domain))
        .collect();
    assert_eq!(
        patterns,
        [
            ("example.com/api/*", false),
            ("*.example.com/*", false),
            ("shop.example.com", true)
        ]
    );
    assert_eq!(cfg.routes[1].zone_name.as_deref(), Some("example.com"));
    assert!(cfg.warnings.is_empty(), "{:?}", cfg.warnings);
    let single = load_str("wrangler.toml", "route = \"a.com/*\"\n", None).unwrap();
    assert_eq!(single.routes[0].pattern, "a.com/*");
}

#[test]
fn bad_route_patterns_name_the_key() {
    let e = err_str("wrangler.toml", "routes = [\"a.com/x*y\"]\n", None);
    assert!(
        e.contains("routes[0]") && e.contains("end of the path"),
        "{e}"
    );
    let e = err_str(
        "wrangler.toml",
        "routes = [{ pattern = \"a.com/*\", custom_domain = true }]\n",
        None,
    );
    assert!(e.contains("custom domain"), "{e}");
    let e = err_str("wrangler.toml", "route = \"/*\"\n", None);
    assert!(e.contains("hostname"), "{e}");
}

#[test]
fn r2_buckets() {
    let toml = r#"
r2_buckets = [
  { binding = "PHOTOS", bucket_name = "photos", jurisdiction = "eu" },
  { binding = "DEV", bucket_name = "prod", preview_bucket_name = "dev" },
  { binding = "BARE" },
]
"#;
    let cfg = load_str("wrangler.toml", toml, None).unwrap();
    let names: Vec<_> = cfg.r2_buckets.iter().map(|b| b.local_name()).collect();
    assert_eq!(names, ["photos", "dev", "BARE"]);
    assert_eq!(cfg.r2_buckets[0].binding, "PHOTOS");
    let w = &cfg.warnings;
    assert!(
        w.len() == 1 && w[0].contains("r2_buckets[0].jurisdiction: hearth ignores this key"),
        "{w:#?}"
    );
    let err = load_str(
        "wrangler.toml",
        "r2_buckets = [{ bucket_name = \"x\" }]",
        None,
    )
    .unwrap_err();
    assert!(err.to_string().contains("r2_buckets[0].binding"), "{err}");
}

#[test]
fn queues_producers_and_consumers() {
    let toml = r#"
[[queues.producers]]
binding = "JOBS"
queue = "jobs"
delivery_delay = 2
[[queues.consumers]]
queue = "jobs"
max_batch_size = 100
dead_letter_queue = "jobs-dlq"
[[queues.consumers]]
queue = "pulled"
type = "http_pull"
"#;
    let cfg = load_str("wrangler.toml", toml, None).unwrap();
    assert!(cfg.warnings.is_empty(), "{:#?}", cfg.warnings);
    let q = &cfg.queues;
    assert_eq!(q.producers[0].binding, "JOBS");
    assert_eq!(q.producers[0].delivery_delay, 2);
    let c = &q.consumers[0];
    assert_eq!(
        (c.max_batch_size, c.max_retries, c.max_batch_timeout),
        (100, 3, 5.0)
    );
    assert_eq!(c.dead_letter_queue.as_deref(), Some("jobs-dlq"));
    assert_eq!(q.consumers[1].kind, crate::queues::ConsumerType::HttpPull);
    let e = load_str(
        "wrangler.toml",
        "[[queues.consumers]]\nqueue = \"q\"\nmax_batch_size = 101\n",
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("queues.consumers[0].max_batch_size"), "{e}");
}

#[test]
fn ratelimits_both_forms() {
    let toml = r#"
[[ratelimits]]
name = "RL"
namespace_id = "1001"
simple = { limit = 100, period = 60 }
[[unsafe.bindings]]
name = "OLD"
type = "ratelimit"
namespace_id = 1002
simple = { limit = 5, period = 10 }
[[unsafe.bindings]]
name = "X"
type = "something"
"#;
    let cfg = load_str("wrangler.toml", toml, None).unwrap();
    let r = &cfg.ratelimits;
    assert_eq!(
        (r[0].name.as_str(), r[0].limit, r[0].period),
        ("RL", 100, 60)
    );
    assert_eq!((r[1].namespace_id.as_str(), r[1].period), ("1002", 10));
    assert!(
        cfg.warnings
            .iter()
            .any(|w| w.contains("unsafe.bindings[1]")),
        "{:#?}",
        cfg.warnings
    );
}

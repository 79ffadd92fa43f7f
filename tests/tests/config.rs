//! Configuration as wrangler reads it: vars, --var, .dev.vars, environments,
//! JSON/JSONC files, and clear failures and warnings.

use hearth_tests::{fixture, get_json, run_to_exit, write_project, Hearth};
use serde_json::json;
use std::time::Duration;

const WORKER: &str = "export default { fetch(request, env) { return Response.json(env); } };\n";

#[test]
fn vars_strings_json_values_and_dev_vars() {
    let h = Hearth::start(&fixture("config_toml"), &[]);
    let v = get_json(&h.url);
    assert_eq!(
        v,
        json!({
            "GREETING": "hi",
            "FEATURES": {"beta": true, "limit": 3},
            "LIST": ["a", "b"],
            "SECRET": "shh",
            "API_KEY": "quoted value",
        })
    );
}

#[test]
fn var_flag_overrides_and_adds() {
    let h = Hearth::start(
        &fixture("config_toml"),
        &["--var", "GREETING:from the flag", "--var", "EXTRA:a:b"],
    );
    let v = get_json(&h.url);
    assert_eq!(v["GREETING"], "from the flag");
    assert_eq!(v["EXTRA"], "a:b");
    assert_eq!(v["LIST"], json!(["a", "b"]));
}

#[test]
fn env_flag_selects_the_environment() {
    let h = Hearth::start(&fixture("config_toml"), &["--env", "staging"]);
    let v = get_json(&h.url);
    // vars are not inherited by environments (as in wrangler).
    assert_eq!(v["GREETING"], "hi from staging");
    assert_eq!(v["STAGE"], "staging");
    assert_eq!(v.get("FEATURES"), None, "{v}");
    assert_eq!(v["SECRET"], "shh");
}

#[test]
fn wrangler_json_project() {
    let h = Hearth::start(&fixture("config_json"), &[]);
    assert_eq!(get_json(&h.url), json!({"FORMAT": "json", "NUM": 42}));
}

#[test]
fn wrangler_jsonc_project_with_comments_and_trailing_commas() {
    let h = Hearth::start(&fixture("config_jsonc"), &[]);
    assert_eq!(get_json(&h.url), json!({"FORMAT": "jsonc"}));
}

#[test]
fn config_flag_points_at_another_file() {
    let dir = write_project(&[
        (
            "conf/custom.toml",
            "name = \"custom\"\nmain = \"../src/index.js\"\n[vars]\nWHICH = \"custom\"\n",
        ),
        ("src/index.js", WORKER),
    ]);
    let config = dir.path().join("conf/custom.toml");
    let h = Hearth::start(dir.path(), &["--config", config.to_str().unwrap()]);
    assert_eq!(get_json(&h.url), json!({"WHICH": "custom"}));
}

#[test]
fn malformed_toml_fails_naming_file_and_line() {
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"broken\"\nmain = \"src/index.js\"\ncompatibility_date = 2025-01-01 oops\n",
        ),
        ("src/index.js", WORKER),
    ]);
    let (status, out) = run_to_exit(
        &["dev", dir.path().to_str().unwrap(), "--port", "0"],
        Duration::from_secs(10),
    );
    assert!(!status.success(), "{out}");
    assert!(
        out.contains("wrangler.toml"),
        "the file is not named: {out}"
    );
    assert!(
        out.contains(":3") || out.contains("line 3"),
        "the line is not named: {out}"
    );
}

#[test]
fn wrong_type_for_a_key_names_the_key() {
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"broken\"\nmain = \"src/index.js\"\n\n[limits]\ncpu_ms = \"fast\"\n",
        ),
        ("src/index.js", WORKER),
    ]);
    let (status, out) = run_to_exit(
        &["dev", dir.path().to_str().unwrap(), "--port", "0"],
        Duration::from_secs(10),
    );
    assert!(!status.success(), "{out}");
    assert!(out.contains("wrangler.toml"), "{out}");
    assert!(out.contains("cpu_ms"), "the key is not named: {out}");
}

#[test]
fn missing_config_fails_clearly() {
    let dir = write_project(&[("src/index.js", WORKER)]);
    let (status, out) = run_to_exit(
        &["dev", dir.path().to_str().unwrap(), "--port", "0"],
        Duration::from_secs(10),
    );
    assert!(!status.success(), "{out}");
    assert!(out.contains("wrangler.toml"), "{out}");
}

#[test]
fn unsupported_keys_are_warned_about_by_name() {
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"warns\"\nmain = \"src/index.js\"\nfrobnicate = true\ncompatibility_flags = [\"nodejs_compat\"]\n\n[placement]\nmode = \"smart\"\n",
        ),
        ("src/index.js", WORKER),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(get_json(&h.url), json!({}));
    let logs = h.logs();
    let placement = logs
        .lines()
        .find(|l| l.contains("placement"))
        .unwrap_or_else(|| panic!("no warning for `placement`:\n{logs}"));
    assert!(placement.contains("WARN"), "{placement}");
    assert!(
        logs.lines().any(|l| l.contains("frobnicate")),
        "no warning for `frobnicate`:\n{logs}"
    );
}

//! Every committed input of the fuzz targets in `fuzz/` (their seed corpus
//! and the crashes they found, in `fuzz/regressions/`) goes through the
//! same entry point the target calls and returns without panicking: the
//! short run of the fuzzers in CI, without a sanitizer build.

use std::path::Path;

fn replay(target: &str, entry: fn(&[u8])) {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut count = 0;
    for dir in ["corpus", "regressions"] {
        let Ok(files) = std::fs::read_dir(fuzz.join(dir).join(target)) else {
            continue;
        };
        for file in files {
            let path = file.expect("corpus entry").path();
            entry(&std::fs::read(&path).expect("corpus file"));
            count += 1;
        }
    }
    assert!(count > 0, "no corpus for the fuzz target {target}");
}

#[test]
fn wrangler_configuration() {
    replay("config_toml", hearth_config::fuzzing::config_toml);
    replay("config_json", hearth_config::fuzzing::config_json);
}

#[test]
fn kv_rest_bodies() {
    replay("kv_bulk_put", hearth_kv_api::fuzzing::kv_bulk_put);
    replay("kv_bulk_delete", hearth_kv_api::fuzzing::kv_bulk_delete);
    replay("kv_multipart", hearth_kv_api::fuzzing::kv_multipart);
}

#[test]
fn static_assets_rules() {
    replay("assets_headers", hearth_assets::fuzzing::assets_headers);
    replay("assets_redirects", hearth_assets::fuzzing::assets_redirects);
}

#[test]
fn postgres_wire_framer() {
    replay("pg_framer", hearth_hyperdrive::fuzzing::pg_framer);
}

#[test]
fn commonjs_export_scanner() {
    replay("cjs_exports", hearth_runtime::fuzzing::cjs_exports);
}

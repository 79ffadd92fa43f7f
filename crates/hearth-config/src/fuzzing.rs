//! Entry points of the fuzz targets in `fuzz/` (cargo-fuzz), shared with the
//! test that replays their committed corpus (`tests/tests/fuzz_corpus.rs`),
//! so both run the same code.

use std::path::Path;

/// Parses `data` as a `wrangler.toml`, at the top level and for an
/// environment, and renders any error (file, line and key).
pub fn config_toml(data: &[u8]) {
    config(data, "wrangler.toml");
}

/// Parses `data` as a `wrangler.jsonc`, at the top level and for an
/// environment, and renders any error (file, line and key).
pub fn config_json(data: &[u8]) {
    config(data, "wrangler.jsonc");
}

fn config(data: &[u8], file: &str) {
    let text = String::from_utf8_lossy(data);
    let path = Path::new("/project").join(file);
    for env in [None, Some("staging")] {
        if let Err(e) = crate::parse(&text, &path, env) {
            assert!(!e.to_string().is_empty());
        }
    }
}

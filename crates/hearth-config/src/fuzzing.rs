//! Entry points of the fuzz targets in `fuzz/` (cargo-fuzz), shared with the
//! test that replays their committed corpus, so both run the same code.

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

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Every committed input of a target (its corpus and the crashes it
    /// found, in `fuzz/regressions/`) returns without panicking.
    fn replay(target: &str, entry: fn(&[u8])) {
        let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
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
    fn fuzz_corpus_replays() {
        replay("config_toml", super::config_toml);
        replay("config_json", super::config_json);
    }
}

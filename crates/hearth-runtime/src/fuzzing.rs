//! Entry points of the fuzz targets in `fuzz/` (cargo-fuzz), shared with the
//! test that replays their committed corpus, so both run the same code.

use crate::loader::cjs;
use std::sync::Arc;

/// Scans `data` for a CommonJS file's exports, re-exports and requires, as
/// a `.cjs` file and as a `.ts` file.
pub fn cjs_exports(data: &[u8]) {
    let source: Arc<[u8]> = Arc::from(data);
    for name in ["fuzz.cjs", "fuzz.ts"] {
        let found = cjs::analysis(name, &source);
        for export in &found.exports {
            assert!(export != "default" && export != "__esModule");
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
        replay("cjs_exports", super::cjs_exports);
    }
}

//! Entry points of the fuzz targets in `fuzz/` (cargo-fuzz), shared with the
//! test that replays their committed corpus (`tests/tests/fuzz_corpus.rs`),
//! so both run the same code.

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

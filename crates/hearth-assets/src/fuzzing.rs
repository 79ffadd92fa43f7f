//! Entry points of the fuzz targets in `fuzz/` (cargo-fuzz), shared with the
//! test that replays their committed corpus (`tests/tests/fuzz_corpus.rs`),
//! so both run the same code.

use crate::rules::{Headers, Redirects};
use std::path::Path;

/// The first line of `data` is a request path, the rest the file's text.
fn split(data: &[u8]) -> (String, String) {
    let text = String::from_utf8_lossy(data);
    match text.split_once('\n') {
        Some((path, rest)) => (path.to_string(), rest.to_string()),
        None => (text.into_owned(), String::new()),
    }
}

/// Parses a `_headers` file and applies its rules to a request path.
pub fn assets_headers(data: &[u8]) {
    let (path, text) = split(data);
    let mut warnings = Vec::new();
    let rules = Headers::parse(&text, Path::new("public/_headers"), &mut warnings);
    let mut headers = http::HeaderMap::new();
    rules.apply("example.com", &path, &mut headers);
}

/// Parses a `_redirects` file (with and without `html_handling`) and looks a
/// request path up in it.
pub fn assets_redirects(data: &[u8]) {
    let (path, text) = split(data);
    for html_handling in [true, false] {
        let mut warnings = Vec::new();
        let rules = Redirects::parse(
            &text,
            Path::new("public/_redirects"),
            html_handling,
            &mut warnings,
        );
        let _ = rules.find("example.com", &path);
    }
}

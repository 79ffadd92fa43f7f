//! The error type of this crate.

use std::path::{Path, PathBuf};

/// Why a configuration (or `.dev.vars`) file could not be loaded.
///
/// Every message starts with the file (and `line:column` when known), names
/// the offending key, and says what to change.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{}: cannot read the file: {source} (check that it exists and is readable)", .path.display())]
    Read {
        /// The file that could not be read.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },

    /// The file is not valid TOML / JSON / JSONC.
    #[error(
        "{}: invalid {format}{}: {message} (fix the syntax there and try again)",
        location(.path, *.line, *.column),
        .key.as_deref().map(|k| format!(" near key `{k}`")).unwrap_or_default()
    )]
    Syntax {
        /// The file being parsed.
        path: PathBuf,
        /// `"TOML"` or `"JSON"`.
        format: &'static str,
        /// One-based line of the error, when known.
        line: Option<usize>,
        /// One-based column of the error, when known.
        column: Option<usize>,
        /// The key written on the offending line, when one can be recognised.
        key: Option<String>,
        /// The parser's description of the problem.
        message: String,
    },

    /// A key has the wrong type or an invalid value.
    #[error("{}: {key}: {message}", location(.path, *.line, *.column))]
    Invalid {
        /// The configuration file.
        path: PathBuf,
        /// One-based line of the value, when known (TOML only).
        line: Option<usize>,
        /// One-based column of the value, when known (TOML only).
        column: Option<usize>,
        /// Full key path, e.g. `env.staging.kv_namespaces[0].binding`.
        key: String,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// `--env NAME` asked for an environment the file does not define.
    #[error("{}: environment `{env}` is not defined; {}", .path.display(), env_hint(.env, .available))]
    UnknownEnv {
        /// The configuration file.
        path: PathBuf,
        /// The requested environment.
        env: String,
        /// The environments the file does define.
        available: Vec<String>,
    },

    /// A line of a `.dev.vars` / `.env` file could not be parsed.
    #[error("{}:{line}: {message}", .path.display())]
    DevVars {
        /// The dotenv file.
        path: PathBuf,
        /// One-based line number.
        line: usize,
        /// What is wrong and how to fix it.
        message: String,
    },
}

fn location(path: &Path, line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("{}:{l}:{c}", path.display()),
        (Some(l), None) => format!("{}:{l}", path.display()),
        _ => path.display().to_string(),
    }
}

fn env_hint(env: &str, available: &[String]) -> String {
    if available.is_empty() {
        format!(
            "the file defines no environments (add an [env.{env}] section, or run without --env)"
        )
    } else {
        format!(
            "defined environments: {} (pass one of these to --env, or add [env.{env}])",
            available.join(", ")
        )
    }
}

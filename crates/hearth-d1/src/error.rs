//! D1's errors, worded as Cloudflare's runtime words them.

use rusqlite::ffi;

/// A failed D1 call. The message is what follows `D1_ERROR: ` (or
/// `D1_EXEC_ERROR: `) in the error a worker sees; SQLite failures read as
/// workerd formats them: `<message>[ at offset N]: SQLITE_<CODE>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum D1Error {
    /// A statement failed (syntax, constraint, limit, ...).
    #[error("{0}")]
    Sql(String),
    /// `exec` failed on one of its lines (1-based).
    #[error("Error in line {line}: {text}: {message}")]
    Exec {
        /// The failing line, 1-based.
        line: usize,
        /// Its text.
        text: String,
        /// What went wrong.
        message: String,
    },
    /// The database could not be opened or written (disk, permissions).
    #[error("{0}")]
    Storage(String),
    /// A request D1 refuses before running anything.
    #[error("{0}")]
    Invalid(String),
}

impl D1Error {
    /// The message in workerd's shape for a SQLite error.
    pub(crate) fn sqlite(e: rusqlite::Error) -> D1Error {
        match e {
            rusqlite::Error::SqlInputError {
                error, msg, offset, ..
            } => {
                let at = if offset >= 0 {
                    format!(" at offset {offset}")
                } else {
                    String::new()
                };
                D1Error::Sql(format!("{msg}{at}: {}", code_names(&error)))
            }
            rusqlite::Error::SqliteFailure(error, msg) => {
                let msg = msg.unwrap_or_else(|| error.to_string());
                D1Error::Sql(format!("{msg}: {}", code_names(&error)))
            }
            rusqlite::Error::InvalidParameterCount(..) => D1Error::Sql(
                "Wrong number of parameter bindings for SQL query.: SQLITE_RANGE".into(),
            ),
            rusqlite::Error::MultipleStatement => D1Error::Sql(
                "When executing multiple SQL statements in a single call, only the last statement can have parameters.".into(),
            ),
            other => D1Error::Sql(other.to_string()),
        }
    }

    pub(crate) fn storage(what: &str, e: impl std::fmt::Display) -> D1Error {
        D1Error::Storage(format!("{what}: {e}"))
    }
}

/// `SQLITE_<CODE>` and, when more precise, ` (extended: SQLITE_<CODE>_<X>)`.
fn code_names(error: &ffi::Error) -> String {
    let primary = primary_name(error.extended_code & 0xff);
    match extended_name(error.extended_code) {
        Some(ext) => format!("{primary} (extended: {ext})"),
        None => primary.to_string(),
    }
}

fn primary_name(code: i32) -> &'static str {
    match code {
        ffi::SQLITE_ERROR => "SQLITE_ERROR",
        ffi::SQLITE_INTERNAL => "SQLITE_INTERNAL",
        ffi::SQLITE_PERM => "SQLITE_PERM",
        ffi::SQLITE_ABORT => "SQLITE_ABORT",
        ffi::SQLITE_BUSY => "SQLITE_BUSY",
        ffi::SQLITE_LOCKED => "SQLITE_LOCKED",
        ffi::SQLITE_NOMEM => "SQLITE_NOMEM",
        ffi::SQLITE_READONLY => "SQLITE_READONLY",
        ffi::SQLITE_INTERRUPT => "SQLITE_INTERRUPT",
        ffi::SQLITE_IOERR => "SQLITE_IOERR",
        ffi::SQLITE_CORRUPT => "SQLITE_CORRUPT",
        ffi::SQLITE_FULL => "SQLITE_FULL",
        ffi::SQLITE_CANTOPEN => "SQLITE_CANTOPEN",
        ffi::SQLITE_SCHEMA => "SQLITE_SCHEMA",
        ffi::SQLITE_TOOBIG => "SQLITE_TOOBIG",
        ffi::SQLITE_CONSTRAINT => "SQLITE_CONSTRAINT",
        ffi::SQLITE_MISMATCH => "SQLITE_MISMATCH",
        ffi::SQLITE_MISUSE => "SQLITE_MISUSE",
        ffi::SQLITE_AUTH => "SQLITE_AUTH",
        ffi::SQLITE_RANGE => "SQLITE_RANGE",
        _ => "SQLITE_ERROR",
    }
}

fn extended_name(code: i32) -> Option<&'static str> {
    Some(match code {
        ffi::SQLITE_CONSTRAINT_CHECK => "SQLITE_CONSTRAINT_CHECK",
        ffi::SQLITE_CONSTRAINT_FOREIGNKEY => "SQLITE_CONSTRAINT_FOREIGNKEY",
        ffi::SQLITE_CONSTRAINT_NOTNULL => "SQLITE_CONSTRAINT_NOTNULL",
        ffi::SQLITE_CONSTRAINT_PRIMARYKEY => "SQLITE_CONSTRAINT_PRIMARYKEY",
        ffi::SQLITE_CONSTRAINT_TRIGGER => "SQLITE_CONSTRAINT_TRIGGER",
        ffi::SQLITE_CONSTRAINT_UNIQUE => "SQLITE_CONSTRAINT_UNIQUE",
        ffi::SQLITE_CONSTRAINT_DATATYPE => "SQLITE_CONSTRAINT_DATATYPE",
        _ => return None,
    })
}

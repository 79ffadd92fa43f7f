//! The error type shared by every KV operation.
//!
//! Messages follow the Workers KV runtime's wording (`KV PUT failed: 413 ...`) so a
//! Worker that logs or matches on them sees what it would see on Cloudflare; the
//! HTTP status embedded in the message is also available from [`KvError::status`],
//! and the Cloudflare API v4 error code from [`KvError::code`].

use std::fmt;

use crate::limits::{
    MAX_BULK_GET_KEYS, MAX_BULK_PAIRS, MAX_BULK_REQUEST_BYTES, MAX_KEY_BYTES, MAX_LIST_LIMIT,
    MAX_METADATA_BYTES, MAX_VALUE_BYTES, MIN_EXPIRATION_TTL,
};

/// Which operation failed; shown in messages as `KV GET failed`, `KV PUT failed`, ...
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KvOp {
    /// `get`, `get_many`, `getWithMetadata`, REST `GET values` / `GET metadata`.
    Get,
    /// `put`, REST `PUT values`, bulk writes.
    Put,
    /// `delete`, REST `DELETE values`, bulk deletes.
    Delete,
    /// `list`, REST `GET keys`.
    List,
}

impl fmt::Display for KvOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KvOp::Get => "GET",
            KvOp::Put => "PUT",
            KvOp::Delete => "DELETE",
            KvOp::List => "LIST",
        })
    }
}

/// Every way a KV operation can fail.
///
/// Validation errors are raised before anything is written: a failed operation
/// changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    /// The key is the empty string.
    #[error("KV {op} failed: 400 Key names must not be empty.")]
    EmptyKey {
        /// The operation that was attempted.
        op: KvOp,
    },
    /// The key is `.` or `..`, which Cloudflare forbids.
    #[error("KV {op} failed: 400 Illegal key name \"{key}\". Please use a different name.")]
    IllegalKey {
        /// The operation that was attempted.
        op: KvOp,
        /// The rejected key.
        key: String,
    },
    /// The key's UTF-8 encoding is longer than [`MAX_KEY_BYTES`].
    #[error("KV {op} failed: 414 UTF-8 encoded length of {len} exceeds key length limit of {MAX_KEY_BYTES}.")]
    KeyTooLong {
        /// The operation that was attempted.
        op: KvOp,
        /// The key's length in bytes.
        len: usize,
    },
    /// The value is larger than [`MAX_VALUE_BYTES`] (25 MiB).
    #[error("KV PUT failed: 413 Value length of {len} exceeds limit of {MAX_VALUE_BYTES}.")]
    ValueTooLarge {
        /// The value's length in bytes.
        len: usize,
    },
    /// The metadata's JSON serialization is larger than [`MAX_METADATA_BYTES`].
    #[error("KV PUT failed: 413 Metadata length of {len} exceeds limit of {MAX_METADATA_BYTES}.")]
    MetadataTooLarge {
        /// The serialized metadata's length in bytes.
        len: usize,
    },
    /// The metadata is not valid JSON text.
    #[error("KV PUT failed: 400 Metadata must be valid JSON ({reason}).")]
    InvalidMetadata {
        /// What the JSON parser said.
        reason: String,
    },
    /// `expirationTtl` / `expiration_ttl` is below [`MIN_EXPIRATION_TTL`] seconds.
    #[error("KV PUT failed: 400 Invalid expiration_ttl of {ttl}. Expiration TTL must be at least {MIN_EXPIRATION_TTL}.")]
    InvalidExpirationTtl {
        /// The rejected TTL, as given.
        ttl: i64,
    },
    /// `expiration` is in the past or less than 60 seconds in the future.
    #[error("KV PUT failed: 400 Invalid expiration of {expiration}. Expiration times must be at least {MIN_EXPIRATION_TTL} seconds in the future.")]
    InvalidExpiration {
        /// The rejected expiration (unix seconds), as given.
        expiration: i64,
    },
    /// A `list` limit outside 1..=1000.
    #[error("KV LIST failed: 400 Invalid key_count_limit of {limit}. Please specify an integer between 1 and {MAX_LIST_LIMIT}.")]
    InvalidListLimit {
        /// The rejected limit.
        limit: i64,
    },
    /// A `list` cursor that this store did not produce.
    #[error("KV LIST failed: 400 Invalid cursor \"{cursor}\". Pass the cursor returned by the previous list() call unchanged.")]
    InvalidCursor {
        /// The rejected cursor.
        cursor: String,
    },
    /// A bulk `get([...])` with more than [`MAX_BULK_GET_KEYS`] keys.
    #[error("KV GET failed: 400 Too many keys: {count} requested, but at most {MAX_BULK_GET_KEYS} keys can be read in one get([...]) call.")]
    TooManyKeys {
        /// How many keys were requested.
        count: usize,
    },
    /// A bulk write or delete with more than [`MAX_BULK_PAIRS`] entries.
    #[error("KV bulk {op} failed: 413 {count} entries exceed the limit of {MAX_BULK_PAIRS} per request. Split the request into smaller ones.")]
    TooManyBulkPairs {
        /// [`KvOp::Put`] or [`KvOp::Delete`].
        op: KvOp,
        /// How many entries were sent.
        count: usize,
    },
    /// A bulk request body of 100 MB or more.
    #[error("KV bulk {op} failed: 413 Request size of {len} bytes must be less than {MAX_BULK_REQUEST_BYTES} bytes (100 MB). Split the request into smaller ones.")]
    BulkTooLarge {
        /// [`KvOp::Put`] or [`KvOp::Delete`].
        op: KvOp,
        /// The request's size in bytes.
        len: usize,
    },
    /// No namespace with this id exists.
    #[error("KV namespace \"{id}\" not found (404). Create it with `hearth kv namespace create` or bind it in wrangler.toml.")]
    NamespaceNotFound {
        /// The namespace id that was looked up.
        id: String,
    },
    /// A namespace with this title already exists.
    #[error(
        "A KV namespace with the title \"{title}\" already exists (400). Choose another title."
    )]
    NamespaceExists {
        /// The duplicate title.
        title: String,
    },
    /// A namespace id or title that is empty or too long.
    #[error("Invalid KV namespace {what} \"{value}\" (400): {reason}")]
    InvalidNamespace {
        /// `"id"` or `"title"`.
        what: &'static str,
        /// The rejected value.
        value: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// The key does not exist (REST `GET values`, `GET metadata`, CLI `key get`).
    #[error("KV GET failed: 404 Key \"{key}\" not found.")]
    KeyNotFound {
        /// The missing key.
        key: String,
    },
    /// Any other malformed request (bad JSON, bad query parameter, bad CLI arguments).
    #[error("{0}")]
    BadRequest(String),
    /// The storage engine failed (disk full, I/O error, database locked for too long).
    #[error("KV storage error: {0}")]
    Storage(String),
    /// The store has shut down and accepts no more writes.
    #[error("KV storage error: the store has been closed")]
    Closed,
}

impl KvError {
    /// The HTTP status code that this error maps to.
    pub fn status(&self) -> u16 {
        match self {
            KvError::EmptyKey { .. }
            | KvError::IllegalKey { .. }
            | KvError::InvalidMetadata { .. }
            | KvError::InvalidExpirationTtl { .. }
            | KvError::InvalidExpiration { .. }
            | KvError::InvalidListLimit { .. }
            | KvError::InvalidCursor { .. }
            | KvError::TooManyKeys { .. }
            | KvError::NamespaceExists { .. }
            | KvError::InvalidNamespace { .. }
            | KvError::BadRequest(_) => 400,
            KvError::KeyTooLong { .. } => 414,
            KvError::ValueTooLarge { .. }
            | KvError::MetadataTooLarge { .. }
            | KvError::TooManyBulkPairs { .. }
            | KvError::BulkTooLarge { .. } => 413,
            KvError::NamespaceNotFound { .. } | KvError::KeyNotFound { .. } => 404,
            KvError::Storage(_) | KvError::Closed => 500,
        }
    }

    /// The Cloudflare API v4 error code for this error.
    ///
    /// Known codes: 10009 key not found, 10011 malformed namespace id, 10012 malformed
    /// value, 10013 namespace not found, 10014 namespace already exists, 10019 missing
    /// title, 10024 payload too large, 10028 invalid limit. Where Cloudflare's code is
    /// not documented, hearth uses 10020 for key-name errors, 10033 for expiration
    /// errors, 10001 for storage failures and 10026 for other bad requests.
    pub fn code(&self) -> u32 {
        match self {
            KvError::KeyNotFound { .. } => 10009,
            KvError::NamespaceNotFound { .. } => 10013,
            KvError::NamespaceExists { .. } => 10014,
            KvError::InvalidNamespace { what: "title", .. } => 10019,
            KvError::InvalidNamespace { .. } => 10011,
            KvError::EmptyKey { .. } | KvError::IllegalKey { .. } | KvError::KeyTooLong { .. } => {
                10020
            }
            KvError::ValueTooLarge { .. }
            | KvError::MetadataTooLarge { .. }
            | KvError::TooManyBulkPairs { .. }
            | KvError::BulkTooLarge { .. } => 10024,
            KvError::InvalidMetadata { .. } => 10012,
            KvError::InvalidExpirationTtl { .. } | KvError::InvalidExpiration { .. } => 10033,
            KvError::InvalidListLimit { .. } | KvError::TooManyKeys { .. } => 10028,
            KvError::InvalidCursor { .. } | KvError::BadRequest(_) => 10026,
            KvError::Storage(_) | KvError::Closed => 10001,
        }
    }

    /// True when the caller caused the error (a 4xx), false for storage failures.
    pub fn is_user_error(&self) -> bool {
        self.status() < 500
    }
}

impl From<rusqlite::Error> for KvError {
    fn from(e: rusqlite::Error) -> Self {
        KvError::Storage(e.to_string())
    }
}

impl From<std::io::Error> for KvError {
    fn from(e: std::io::Error) -> Self {
        KvError::Storage(e.to_string())
    }
}

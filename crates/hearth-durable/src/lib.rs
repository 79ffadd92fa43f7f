//! Durable Object storage for hearth.
//!
//! Each object gets its own SQLite database (as on Cloudflare's SQLite-backed
//! objects). The key-value API lives in a table of that database next to the
//! user's own SQL tables. Writes run inside an implicit transaction that the
//! runtime commits once per batch of events, skipping `fsync`; a separate,
//! batched `fsync` of the write-ahead log then makes them durable — the
//! runtime holds responses until the `fsync` covering their writes is done
//! (the output gate). One commit and one `fsync` thus cover every event that
//! ended while the previous batch was being synced (group commit).

mod alarms;
mod authorizer;
mod id;
mod storage;

pub use alarms::{AlarmIndex, ScheduledAlarm};
pub use id::{ObjectId, ObjectIdError};
pub use storage::{ListOptions, ObjectStorage, SqlResult, SqlValue, StorageError, WalSync};

/// Documented Durable Object storage limits (SQLite-backed objects).
pub mod limits {
    /// Largest key, in bytes.
    pub const MAX_KEY_BYTES: usize = 2048;
    /// Largest key plus value, in bytes.
    pub const MAX_ENTRY_BYTES: usize = 2 * 1024 * 1024;
    /// Most keys in one batch `get`/`put`/`delete`.
    pub const MAX_BATCH_KEYS: usize = 128;
}

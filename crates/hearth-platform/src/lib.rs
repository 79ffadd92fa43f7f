//! The control plane of `hearth serve`, knowing nothing of JavaScript or
//! HTTP: which workers exist, their immutable versions (each a stored
//! bundle of the project's files), their deployments (one or two versions
//! with percentages), the routes they claim and their secrets.
//!
//! [`Control`] is the store's interface; [`SqliteControl`] keeps it in one
//! SQLite file of the data folder (a shared store for a cluster can
//! implement the same trait). [`api`] holds the admin API's JSON shapes,
//! shared by the server and the `hearth` client; [`routes`] matches
//! requests to workers and [`split`] picks the version of a request.

pub mod api;
pub mod bundle;
pub mod routes;
pub mod split;
mod store;

pub use store::{Control, SqliteControl};

/// Why a control-plane operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// The request is wrong (an unknown version, percentages not summing to
    /// 100, a route another worker serves, ...): the client's to fix.
    #[error("{0}")]
    Invalid(String),
    /// What was asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The store failed.
    #[error("control store: {0}")]
    Store(#[from] rusqlite::Error),
    /// A file of the data folder could not be read or written.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A new random version id: a UUID (version 4), as Cloudflare's are.
pub fn new_id() -> String {
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Now, as an RFC 3339 timestamp in UTC.
pub fn now() -> String {
    jiff::Timestamp::now().to_string()
}

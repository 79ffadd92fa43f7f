//! Workers KV for hearth.
//!
//! * [`KvStore`] — the embedded, durable store (SQLite in WAL mode under the
//!   `--persist-to` directory) with group-committed writes and pooled reads;
//! * [`KvBackend`] — the small trait a networked backend (PostgreSQL) will implement;
//! * [`limits`] — Cloudflare's documented limits and the validation functions the
//!   JavaScript binding shares with the store.
//!
//! The REST API and the `hearth kv` command live in `hearth-kv-api`, so the
//! runtime, which only needs the store, pulls in neither a web framework nor
//! a command-line parser.
//!
//! ```no_run
//! # async fn demo() -> Result<(), hearth_kv::KvError> {
//! use hearth_kv::{KvStore, PutOptions, ListOptions};
//! let store = KvStore::open(std::path::Path::new(".hearth/kv"))?;
//! let ns = store.ensure_namespace("0f2ac74b498b48028cb68387c421e279", "TODOS")?;
//! store.put(&ns.id, "greeting", b"hello".to_vec(), PutOptions::default()).await?;
//! assert_eq!(store.get(&ns.id, "greeting")?.unwrap().value, b"hello");
//! let page = store.list(&ns.id, &ListOptions::default())?;
//! assert_eq!(page.keys[0].name, "greeting");
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

use std::future::Future;
use std::pin::Pin;

mod error;
pub mod limits;
mod read_cache;
mod store;

pub use error::{KvError, KvOp};
pub use store::{KvStore, WriteFuture, CLOCK_OFFSET_ENV, DB_FILE, PURGE_INTERVAL};

/// A KV namespace: its id (32 hex digits when created by hearth, or the id from
/// `wrangler.toml` as-is) and its title.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Namespace {
    /// The namespace id.
    pub id: String,
    /// The human-readable title.
    pub title: String,
}

/// A value read from KV, with its expiration and metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvEntry {
    /// The stored bytes.
    pub value: Vec<u8>,
    /// When the key expires, in unix seconds; `None` if it never expires.
    pub expiration: Option<u64>,
    /// The key's metadata as compact JSON text, if any.
    pub metadata: Option<String>,
}

/// One key of a [`ListPage`]; values are never loaded by a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// The key.
    pub name: String,
    /// When the key expires, in unix seconds; `None` if it never expires.
    pub expiration: Option<u64>,
    /// The key's metadata as compact JSON text, if any.
    pub metadata: Option<String>,
}

impl KeyInfo {
    /// The key as a JSON object `{name, expiration?, metadata?}` (the shape of
    /// `list()` results and of the REST `keys` endpoint).
    pub fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        m.insert("name".into(), self.name.clone().into());
        if let Some(e) = self.expiration {
            m.insert("expiration".into(), e.into());
        }
        if let Some(md) = &self.metadata {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(md) {
                m.insert("metadata".into(), v);
            }
        }
        serde_json::Value::Object(m)
    }
}

/// Options of a `list` call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// Only keys starting with this prefix.
    pub prefix: Option<String>,
    /// At most this many keys (1..=1000, default 1000).
    pub limit: Option<i64>,
    /// The cursor returned by the previous page; `None` or `""` starts at the beginning.
    pub cursor: Option<String>,
}

/// One page of a `list` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPage {
    /// The keys, in lexicographic byte order.
    pub keys: Vec<KeyInfo>,
    /// True when there are no more keys after this page.
    pub list_complete: bool,
    /// Opaque cursor for the next page; present exactly when `list_complete` is false.
    /// It names the last key returned, so it keeps working while keys change.
    pub cursor: Option<String>,
}

/// Options of a `put`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutOptions {
    /// Absolute expiration in unix seconds (at least 60 s in the future).
    pub expiration: Option<i64>,
    /// Expiration in seconds from now (at least 60); wins over `expiration`.
    pub expiration_ttl: Option<i64>,
    /// Metadata as JSON text (at most 1024 bytes once serialized).
    pub metadata: Option<String>,
}

/// One pair of a bulk write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BulkPair {
    /// The key.
    pub key: String,
    /// The value's bytes (already base64-decoded when `base64: true` was given).
    pub value: Vec<u8>,
    /// Absolute expiration in unix seconds.
    pub expiration: Option<i64>,
    /// Expiration in seconds from now.
    pub expiration_ttl: Option<i64>,
    /// Metadata as JSON text.
    pub metadata: Option<String>,
}

/// A boxed, sendable future, as returned by [`KvBackend`]'s writes.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The operations of a KV storage backend. [`KvStore`] (embedded SQLite) implements
/// it; a networked backend (PostgreSQL) can implement it later.
///
/// Reads are synchronous because the JavaScript runtime calls them on its event-loop
/// threads and they must be fast; writes return a future that resolves once the
/// write is durable. Implementations validate writes *before* returning the future
/// (with the functions in [`limits`]), so an invalid write never reaches storage,
/// and queue them in call order.
pub trait KvBackend: Send + Sync {
    /// Reads one key (expired keys read as `None`).
    fn get(&self, ns: &str, key: &str) -> Result<Option<KvEntry>, KvError>;
    /// Reads up to 100 keys; results are in the order of `keys`.
    fn get_many(&self, ns: &str, keys: &[String]) -> Result<Vec<Option<KvEntry>>, KvError>;
    /// Lists keys in lexicographic byte order.
    fn list(&self, ns: &str, opts: &ListOptions) -> Result<ListPage, KvError>;
    /// Writes a value; resolves once durable.
    fn put(
        &self,
        ns: &str,
        key: &str,
        value: Vec<u8>,
        opts: PutOptions,
    ) -> BoxFuture<'static, Result<(), KvError>>;
    /// Deletes a key; resolves once durable.
    fn delete(&self, ns: &str, key: &str) -> BoxFuture<'static, Result<(), KvError>>;
    /// Writes up to 10,000 pairs atomically; resolves once durable.
    fn bulk_put(&self, ns: &str, pairs: Vec<BulkPair>) -> BoxFuture<'static, Result<(), KvError>>;
    /// Deletes up to 10,000 keys atomically; resolves once durable.
    fn bulk_delete(&self, ns: &str, keys: Vec<String>) -> BoxFuture<'static, Result<(), KvError>>;
}

impl KvBackend for KvStore {
    fn get(&self, ns: &str, key: &str) -> Result<Option<KvEntry>, KvError> {
        KvStore::get(self, ns, key)
    }
    fn get_many(&self, ns: &str, keys: &[String]) -> Result<Vec<Option<KvEntry>>, KvError> {
        KvStore::get_many(self, ns, keys)
    }
    fn list(&self, ns: &str, opts: &ListOptions) -> Result<ListPage, KvError> {
        KvStore::list(self, ns, opts)
    }
    fn put(
        &self,
        ns: &str,
        key: &str,
        value: Vec<u8>,
        opts: PutOptions,
    ) -> BoxFuture<'static, Result<(), KvError>> {
        Box::pin(KvStore::put(self, ns, key, value, opts))
    }
    fn delete(&self, ns: &str, key: &str) -> BoxFuture<'static, Result<(), KvError>> {
        Box::pin(KvStore::delete(self, ns, key))
    }
    fn bulk_put(&self, ns: &str, pairs: Vec<BulkPair>) -> BoxFuture<'static, Result<(), KvError>> {
        Box::pin(KvStore::bulk_put(self, ns, pairs))
    }
    fn bulk_delete(&self, ns: &str, keys: Vec<String>) -> BoxFuture<'static, Result<(), KvError>> {
        Box::pin(KvStore::bulk_delete(self, ns, keys))
    }
}

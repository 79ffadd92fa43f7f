//! The embedded SQLite backend: [`KvStore`].
//!
//! Layout of `kv.sqlite3` (WAL journal, `synchronous=FULL`, incremental auto-vacuum):
//!
//! * `kv_namespaces(id, title)`
//! * `kv_keys(ns, key BLOB, expiration, metadata, vid)` — a `WITHOUT ROWID` table
//!   clustered on `(ns, key)`, so a list is a range scan in byte order that never
//!   touches values;
//! * `kv_values(vid, value)` — the values, read only by `get`.
//!
//! Reads are answered from an in-memory cache of recent reads when it can (see
//! `read_cache`), else from a small pool of read connections (WAL readers never
//! wait for the writer). Writes are validated on the caller's thread, queued to one writer
//! thread that drains everything queued into one transaction, commits once (one
//! fsync for the whole group) and only then acknowledges each write.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::Duration;

use base64::Engine;
use rusqlite::{params, Connection, OptionalExtension};
use tokio::sync::oneshot;

use crate::error::{KvError, KvOp};
use crate::limits::{self, validate_key};
use crate::read_cache::{Lookup, ReadCache};
use crate::{BulkPair, KeyInfo, KvEntry, ListOptions, ListPage, Namespace, PutOptions};

/// File name of the KV database inside the directory given to [`KvStore::open`].
pub const DB_FILE: &str = "kv.sqlite3";
/// How often the background task deletes expired keys.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(60);
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_POOLED_READERS: usize = 32;
const MAX_GROUP_JOBS: usize = 4096;
const MAX_GROUP_BYTES: usize = 64 << 20;

/// The embedded, durable KV store. Cheap to clone (an `Arc` inside); `Send + Sync`.
///
/// Dropping the last clone stops the writer and purge threads after the writes
/// already queued have been committed.
#[derive(Clone)]
pub struct KvStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    readers: Mutex<Vec<Connection>>,
    tx: Option<mpsc::Sender<Job>>,
    shutdown: Option<mpsc::Sender<()>>,
    threads: Vec<JoinHandle<()>>,
    clock_offset: Arc<AtomicI64>,
    commits: Arc<AtomicU64>,
    cache: Arc<ReadCache>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.shutdown.take();
        self.tx.take();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// A queued write and where to send its result.
struct Job {
    op: Op,
    reply: Reply,
}

enum Reply {
    Async(oneshot::Sender<Result<Done, KvError>>),
    Sync(mpsc::SyncSender<Result<Done, KvError>>),
}

impl Reply {
    fn send(self, r: Result<Done, KvError>) {
        match self {
            Reply::Async(tx) => {
                let _ = tx.send(r);
            }
            Reply::Sync(tx) => {
                let _ = tx.send(r);
            }
        }
    }
}

/// A validated write.
enum Op {
    Put { ns: String, pair: Resolved },
    Delete { ns: String, key: String },
    BulkPut { ns: String, pairs: Vec<Resolved> },
    BulkDelete { ns: String, keys: Vec<String> },
    CreateNs { id: String, title: String },
    EnsureNs { id: String, title: String },
    RenameNs { id: String, title: String },
    DeleteNs { id: String },
    Purge { now: u64 },
}

impl Op {
    fn size(&self) -> usize {
        match self {
            Op::Put { pair, .. } => pair.value.len() + pair.key.len(),
            Op::BulkPut { pairs, .. } => pairs.iter().map(|p| p.value.len() + p.key.len()).sum(),
            _ => 64,
        }
    }
}

struct Resolved {
    key: String,
    value: Vec<u8>,
    expiration: Option<u64>,
    metadata: Option<String>,
}

/// What a committed write produced.
enum Done {
    Unit,
    Namespace(Namespace),
    Count(u64),
}

/// The future returned by every write: resolves once the write is durably
/// committed (or failed). The write is queued when the method is called, so
/// writes are applied in call order even if their futures are polled later.
#[must_use = "a write is only known to be durable when its future resolves"]
pub struct WriteFuture {
    state: Option<Result<oneshot::Receiver<Result<Done, KvError>>, KvError>>,
}

impl WriteFuture {
    fn failed(e: KvError) -> Self {
        WriteFuture {
            state: Some(Err(e)),
        }
    }
}

impl Future for WriteFuture {
    type Output = Result<(), KvError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.state.as_mut() {
            None => Poll::Ready(Err(KvError::Closed)),
            Some(Err(_)) => match self.state.take() {
                Some(Err(e)) => Poll::Ready(Err(e)),
                _ => unreachable!(),
            },
            Some(Ok(rx)) => match Pin::new(rx).poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(r) => {
                    self.state = None;
                    Poll::Ready(match r {
                        Ok(Ok(_)) => Ok(()),
                        Ok(Err(e)) => Err(e),
                        Err(_) => Err(KvError::Closed),
                    })
                }
            },
        }
    }
}

/// Environment variable read by `hearth dev` and `hearth kv`: shifts the KV
/// store's clock by this many seconds. For tests only (see
/// [`KvStore::apply_clock_offset_from_env`]).
pub const CLOCK_OFFSET_ENV: &str = "HEARTH_KV_CLOCK_OFFSET_SECS";

impl KvStore {
    /// Opens (creating if needed) `dir/kv.sqlite3` and starts the writer thread and
    /// the background purge of expired keys (every [`PURGE_INTERVAL`]).
    ///
    /// Several processes may open the same directory at once (e.g. `hearth dev`
    /// and `hearth kv`): SQLite's WAL mode and a busy timeout serialize their writes.
    pub fn open(dir: &Path) -> Result<KvStore, KvError> {
        Self::open_with_interval(dir, PURGE_INTERVAL)
    }

    /// Like [`KvStore::open`] with a custom purge interval.
    pub fn open_with_interval(dir: &Path, purge_interval: Duration) -> Result<KvStore, KvError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            KvError::Storage(format!(
                "cannot create the KV directory {}: {e}",
                dir.display()
            ))
        })?;
        let path = dir.join(DB_FILE);
        let writer = open_writer(&path)?;
        let (tx, rx) = mpsc::channel::<Job>();
        let (shutdown_tx, shutdown_rx) = mpsc::channel::<()>();
        let clock_offset = Arc::new(AtomicI64::new(0));
        let commits = Arc::new(AtomicU64::new(0));
        let writer_commits = commits.clone();
        let cache = Arc::new(ReadCache::open(&path).map_err(|e| {
            KvError::Storage(format!(
                "cannot open the change stamp next to {}: {e}",
                path.display()
            ))
        })?);
        let writer_cache = cache.clone();

        let writer_thread = std::thread::Builder::new()
            .name("hearth-kv-writer".into())
            .spawn(move || writer_loop(writer, rx, writer_commits, &writer_cache))?;

        let purge_tx = tx.clone();
        let purge_clock = clock_offset.clone();
        let purge_thread = std::thread::Builder::new()
            .name("hearth-kv-purge".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) =
                    shutdown_rx.recv_timeout(purge_interval)
                {
                    let now = offset_now(&purge_clock);
                    let (rtx, rrx) = mpsc::sync_channel(1);
                    let job = Job {
                        op: Op::Purge { now },
                        reply: Reply::Sync(rtx),
                    };
                    if purge_tx.send(job).is_err() {
                        break;
                    }
                    let _ = rrx.recv();
                }
            })?;

        let store = KvStore {
            inner: Arc::new(Inner {
                path,
                readers: Mutex::new(Vec::new()),
                tx: Some(tx),
                shutdown: Some(shutdown_tx),
                threads: vec![purge_thread, writer_thread],
                clock_offset,
                commits,
                cache,
            }),
        };
        // Open one reader eagerly so a broken database fails here, not later.
        store.with_reader(|_| Ok(()))?;
        Ok(store)
    }

    /// Path of the SQLite database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The store's notion of "now" in unix seconds (wall clock plus any offset set
    /// with [`KvStore::set_clock_offset`]).
    pub fn now(&self) -> u64 {
        offset_now(&self.inner.clock_offset)
    }

    /// Shifts this store's clock by `secs` seconds. Meant for tests and demos of
    /// expiration; affects validation, reads and purges of this store only.
    pub fn set_clock_offset(&self, secs: i64) {
        self.inner.clock_offset.store(secs, Ordering::SeqCst);
    }

    /// Applies [`CLOCK_OFFSET_ENV`] (`HEARTH_KV_CLOCK_OFFSET_SECS`) if it is set:
    /// a test-only knob that lets black-box tests of `hearth dev` and `hearth kv`
    /// see keys expire without waiting. Returns the offset applied.
    pub fn apply_clock_offset_from_env(&self) -> Option<i64> {
        let secs = std::env::var(CLOCK_OFFSET_ENV)
            .ok()?
            .trim()
            .parse::<i64>()
            .ok()?;
        self.set_clock_offset(secs);
        Some(secs)
    }

    // ----- namespaces -------------------------------------------------------

    /// Creates a namespace with a fresh 32-hex-digit id. Titles are unique.
    pub fn create_namespace(&self, title: &str) -> Result<Namespace, KvError> {
        validate_title(title)?;
        self.submit_sync(Op::CreateNs {
            id: new_namespace_id(),
            title: title.to_string(),
        })
        .map(expect_ns)
    }

    /// Makes sure a namespace with this id exists (creating it with `title` if not)
    /// and returns it. Used for `kv_namespaces` bindings: the configured id is used as-is.
    pub fn ensure_namespace(&self, id: &str, title: &str) -> Result<Namespace, KvError> {
        validate_id(id)?;
        if let Some(ns) = self.namespace(id)? {
            return Ok(ns);
        }
        self.submit_sync(Op::EnsureNs {
            id: id.to_string(),
            title: if title.is_empty() { id } else { title }.to_string(),
        })
        .map(expect_ns)
    }

    /// Renames a namespace.
    pub fn rename_namespace(&self, id: &str, title: &str) -> Result<Namespace, KvError> {
        validate_title(title)?;
        self.submit_sync(Op::RenameNs {
            id: id.to_string(),
            title: title.to_string(),
        })
        .map(expect_ns)
    }

    /// Deletes a namespace and every key in it.
    pub fn delete_namespace(&self, id: &str) -> Result<(), KvError> {
        self.submit_sync(Op::DeleteNs { id: id.to_string() })
            .map(|_| ())
    }

    /// All namespaces, ordered by title.
    pub fn list_namespaces(&self) -> Result<Vec<Namespace>, KvError> {
        self.with_reader(|c| {
            let mut st =
                c.prepare_cached("SELECT id, title FROM kv_namespaces ORDER BY title, id")?;
            let rows = st.query_map([], |r| {
                Ok(Namespace {
                    id: r.get(0)?,
                    title: r.get(1)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// One namespace by id, if it exists.
    pub fn namespace(&self, id: &str) -> Result<Option<Namespace>, KvError> {
        self.with_reader(|c| {
            let mut st = c.prepare_cached("SELECT id, title FROM kv_namespaces WHERE id = ?1")?;
            Ok(st
                .query_row([id], |r| {
                    Ok(Namespace {
                        id: r.get(0)?,
                        title: r.get(1)?,
                    })
                })
                .optional()?)
        })
    }

    // ----- reads ------------------------------------------------------------

    /// Reads one key. Expired keys read as `None`.
    pub fn get(&self, ns: &str, key: &str) -> Result<Option<KvEntry>, KvError> {
        validate_key(KvOp::Get, key)?;
        let now = self.now();
        let stamp = match self.inner.cache.get(ns, key, now) {
            Lookup::Hit(known) => return Ok(known),
            Lookup::Miss(stamp) => stamp,
        };
        let found = self.with_reader(|c| read_entry(c, ns, key, now))?;
        self.inner.cache.insert(stamp, ns, key, &found);
        Ok(found)
    }

    /// Reads a key's expiration and metadata without loading its value.
    pub fn get_info(&self, ns: &str, key: &str) -> Result<Option<KeyInfo>, KvError> {
        validate_key(KvOp::Get, key)?;
        let now = self.now();
        self.with_reader(|c| {
            let mut st = c.prepare_cached(
                "SELECT expiration, metadata FROM kv_keys
                 WHERE ns = ?1 AND key = ?2 AND (expiration IS NULL OR expiration > ?3)",
            )?;
            Ok(st
                .query_row(params![ns, key.as_bytes(), now as i64], |r| {
                    Ok(KeyInfo {
                        name: key.to_string(),
                        expiration: r.get::<_, Option<i64>>(0)?.map(|e| e as u64),
                        metadata: r.get(1)?,
                    })
                })
                .optional()?)
        })
    }

    /// Reads up to [`limits::MAX_BULK_GET_KEYS`] keys from one consistent snapshot;
    /// the result is in the order of `keys`.
    pub fn get_many<K: AsRef<str>>(
        &self,
        ns: &str,
        keys: &[K],
    ) -> Result<Vec<Option<KvEntry>>, KvError> {
        if keys.len() > limits::MAX_BULK_GET_KEYS {
            return Err(KvError::TooManyKeys { count: keys.len() });
        }
        for k in keys {
            validate_key(KvOp::Get, k.as_ref())?;
        }
        let now = self.now();
        self.with_reader(|c| {
            let tx = c.transaction()?;
            let out = keys
                .iter()
                .map(|k| read_entry(&tx, ns, k.as_ref(), now))
                .collect::<Result<Vec<_>, _>>()?;
            tx.commit()?;
            Ok(out)
        })
    }

    /// Lists keys in lexicographic byte order, without reading values. Fails with
    /// [`KvError::NamespaceNotFound`] for an unknown namespace.
    pub fn list(&self, ns: &str, opts: &ListOptions) -> Result<ListPage, KvError> {
        let limit = limits::resolve_list_limit(opts.limit)?;
        let prefix = opts.prefix.as_deref().unwrap_or("").as_bytes().to_vec();
        let after = match opts.cursor.as_deref() {
            None | Some("") => None,
            Some(c) => Some(decode_cursor(c)?),
        };
        let upper = prefix_upper_bound(&prefix);
        let (lower_op, lower) = match after {
            Some(a) if a >= prefix => (">", a),
            _ => (">=", prefix),
        };
        let sql = format!(
            "SELECT key, expiration, metadata FROM kv_keys
             WHERE ns = ?1 AND key {lower_op} ?2 {}
               AND (expiration IS NULL OR expiration > ?3)
             ORDER BY key LIMIT ?4",
            if upper.is_some() { "AND key < ?5" } else { "" }
        );
        let now = self.now();
        self.with_reader(|c| {
            let tx = c.transaction()?;
            if !namespace_exists(&tx, ns)? {
                return Err(KvError::NamespaceNotFound { id: ns.to_string() });
            }
            let mut keys = Vec::with_capacity(limit.min(1000) + 1);
            {
                let mut st = tx.prepare_cached(&sql)?;
                let map = |r: &rusqlite::Row<'_>| {
                    let name: Vec<u8> = r.get(0)?;
                    Ok(KeyInfo {
                        name: String::from_utf8_lossy(&name).into_owned(),
                        expiration: r.get::<_, Option<i64>>(1)?.map(|e| e as u64),
                        metadata: r.get(2)?,
                    })
                };
                let lim = (limit + 1) as i64;
                let rows = match &upper {
                    Some(u) => st.query_map(params![ns, lower, now as i64, lim, u], map)?,
                    None => st.query_map(params![ns, lower, now as i64, lim], map)?,
                };
                for row in rows {
                    keys.push(row?);
                }
            }
            tx.commit()?;
            let list_complete = keys.len() <= limit;
            keys.truncate(limit);
            let cursor = if list_complete {
                None
            } else {
                keys.last().map(|k| encode_cursor(k.name.as_bytes()))
            };
            Ok(ListPage {
                keys,
                list_complete,
                cursor,
            })
        })
    }

    // ----- writes -----------------------------------------------------------

    /// Writes a value. Validation happens now (an invalid write fails without being
    /// queued); the returned future resolves once the write is durably committed.
    pub fn put(&self, ns: &str, key: &str, value: Vec<u8>, opts: PutOptions) -> WriteFuture {
        match self.resolve_pair(KvOp::Put, key.to_string(), value, opts) {
            Ok(pair) => self.submit(Op::Put {
                ns: ns.to_string(),
                pair,
            }),
            Err(e) => WriteFuture::failed(e),
        }
    }

    /// Deletes a key (deleting a missing key succeeds). Resolves once durable.
    pub fn delete(&self, ns: &str, key: &str) -> WriteFuture {
        if let Err(e) = validate_key(KvOp::Delete, key) {
            return WriteFuture::failed(e);
        }
        self.submit(Op::Delete {
            ns: ns.to_string(),
            key: key.to_string(),
        })
    }

    /// Writes up to 10,000 pairs atomically: if any pair is invalid nothing is written.
    pub fn bulk_put(&self, ns: &str, pairs: Vec<BulkPair>) -> WriteFuture {
        if let Err(e) = limits::validate_bulk_count(KvOp::Put, pairs.len()) {
            return WriteFuture::failed(e);
        }
        let size: usize = pairs.iter().map(|p| p.key.len() + p.value.len()).sum();
        if let Err(e) = limits::validate_bulk_size(KvOp::Put, size) {
            return WriteFuture::failed(e);
        }
        let mut resolved = Vec::with_capacity(pairs.len());
        for p in pairs {
            let opts = PutOptions {
                expiration: p.expiration,
                expiration_ttl: p.expiration_ttl,
                metadata: p.metadata,
            };
            match self.resolve_pair(KvOp::Put, p.key, p.value, opts) {
                Ok(r) => resolved.push(r),
                Err(e) => return WriteFuture::failed(e),
            }
        }
        self.submit(Op::BulkPut {
            ns: ns.to_string(),
            pairs: resolved,
        })
    }

    /// Deletes up to 10,000 keys atomically.
    pub fn bulk_delete(&self, ns: &str, keys: Vec<String>) -> WriteFuture {
        if let Err(e) = limits::validate_bulk_count(KvOp::Delete, keys.len()) {
            return WriteFuture::failed(e);
        }
        for k in &keys {
            if let Err(e) = validate_key(KvOp::Delete, k) {
                return WriteFuture::failed(e);
            }
        }
        self.submit(Op::BulkDelete {
            ns: ns.to_string(),
            keys,
        })
    }

    /// Deletes every expired key now and reclaims the space; returns how many keys
    /// were removed. Blocks the calling thread until committed.
    pub fn purge_expired(&self) -> Result<u64, KvError> {
        match self.submit_sync(Op::Purge { now: self.now() })? {
            Done::Count(n) => Ok(n),
            _ => Ok(0),
        }
    }

    /// Total number of keys stored (including expired keys not yet purged) and
    /// value bytes; for diagnostics and tests.
    pub fn stats(&self) -> Result<(u64, u64), KvError> {
        self.with_reader(|c| {
            let keys: i64 = c.query_row("SELECT count(*) FROM kv_keys", [], |r| r.get(0))?;
            let bytes: i64 = c.query_row(
                "SELECT coalesce(sum(length(value)), 0) FROM kv_values",
                [],
                |r| r.get(0),
            )?;
            Ok((keys as u64, bytes as u64))
        })
    }

    /// How many write transactions this store has committed. With group commit,
    /// many concurrent writes share one transaction (and one fsync), so this grows
    /// more slowly than the number of writes.
    pub fn commit_count(&self) -> u64 {
        self.inner.commits.load(Ordering::Relaxed)
    }

    // ----- internals --------------------------------------------------------

    fn resolve_pair(
        &self,
        op: KvOp,
        key: String,
        value: Vec<u8>,
        opts: PutOptions,
    ) -> Result<Resolved, KvError> {
        validate_key(op, &key)?;
        limits::validate_value_len(value.len())?;
        let metadata = match opts.metadata.as_deref() {
            Some(m) => Some(limits::validate_metadata(m)?),
            None => None,
        };
        let expiration =
            limits::resolve_expiration(opts.expiration, opts.expiration_ttl, self.now())?;
        Ok(Resolved {
            key,
            value,
            expiration,
            metadata,
        })
    }

    fn sender(&self) -> Result<&mpsc::Sender<Job>, KvError> {
        self.inner.tx.as_ref().ok_or(KvError::Closed)
    }

    fn submit(&self, op: Op) -> WriteFuture {
        let (tx, rx) = oneshot::channel();
        let job = Job {
            op,
            reply: Reply::Async(tx),
        };
        match self
            .sender()
            .and_then(|s| s.send(job).map_err(|_| KvError::Closed))
        {
            Ok(()) => WriteFuture {
                state: Some(Ok(rx)),
            },
            Err(e) => WriteFuture::failed(e),
        }
    }

    fn submit_sync(&self, op: Op) -> Result<Done, KvError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.sender()?
            .send(Job {
                op,
                reply: Reply::Sync(tx),
            })
            .map_err(|_| KvError::Closed)?;
        rx.recv().map_err(|_| KvError::Closed)?
    }

    fn with_reader<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, KvError>,
    ) -> Result<T, KvError> {
        let pooled = self
            .inner
            .readers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop();
        let mut conn = match pooled {
            Some(c) => c,
            None => open_reader(&self.inner.path)?,
        };
        let r = f(&mut conn);
        if conn.is_autocommit() {
            let mut pool = self.inner.readers.lock().unwrap_or_else(|p| p.into_inner());
            if pool.len() < MAX_POOLED_READERS {
                pool.push(conn);
            }
        }
        r
    }
}

fn expect_ns(d: Done) -> Namespace {
    match d {
        Done::Namespace(n) => n,
        _ => unreachable!("namespace op returned no namespace"),
    }
}

fn offset_now(offset: &AtomicI64) -> u64 {
    (limits::now_secs() as i64 + offset.load(Ordering::Relaxed)).max(0) as u64
}

fn validate_title(title: &str) -> Result<(), KvError> {
    if title.trim().is_empty() {
        return Err(KvError::InvalidNamespace {
            what: "title",
            value: title.to_string(),
            reason: "a namespace needs a non-empty title",
        });
    }
    if title.len() > 512 {
        return Err(KvError::InvalidNamespace {
            what: "title",
            value: title.chars().take(40).collect::<String>() + "...",
            reason: "titles are at most 512 bytes",
        });
    }
    Ok(())
}

fn validate_id(id: &str) -> Result<(), KvError> {
    if id.is_empty() || id.len() > 128 || id.contains('/') {
        return Err(KvError::InvalidNamespace {
            what: "id",
            value: id.to_string(),
            reason: "ids are 1-128 characters without '/'",
        });
    }
    Ok(())
}

/// A fresh 128-bit random namespace id as 32 lowercase hex digits.
fn new_namespace_id() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut out = String::with_capacity(32);
    for i in 0..2u64 {
        let mut h = RandomState::new().build_hasher();
        h.write_u128(nanos);
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u32(std::process::id());
        h.write_u64(i);
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

/// Encodes a list cursor: the last returned key, base64url.
fn encode_cursor(last_key: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(last_key)
}

fn decode_cursor(cursor: &str) -> Result<Vec<u8>, KvError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| KvError::InvalidCursor {
            cursor: cursor.to_string(),
        })
}

/// The smallest byte string greater than every string starting with `prefix`.
fn prefix_upper_bound(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut up = prefix.to_vec();
    while let Some(last) = up.pop() {
        if last < 0xff {
            up.push(last + 1);
            return Some(up);
        }
    }
    None
}

fn namespace_exists(c: &Connection, ns: &str) -> Result<bool, KvError> {
    let mut st = c.prepare_cached("SELECT 1 FROM kv_namespaces WHERE id = ?1")?;
    Ok(st.exists([ns])?)
}

fn read_entry(c: &Connection, ns: &str, key: &str, now: u64) -> Result<Option<KvEntry>, KvError> {
    let mut st = c.prepare_cached(
        "SELECT k.expiration, k.metadata, v.value FROM kv_keys k
         JOIN kv_values v ON v.vid = k.vid
         WHERE k.ns = ?1 AND k.key = ?2 AND (k.expiration IS NULL OR k.expiration > ?3)",
    )?;
    Ok(st
        .query_row(params![ns, key.as_bytes(), now as i64], |r| {
            Ok(KvEntry {
                expiration: r.get::<_, Option<i64>>(0)?.map(|e| e as u64),
                metadata: r.get(1)?,
                value: r.get(2)?,
            })
        })
        .optional()?)
}

fn open_reader(path: &Path) -> Result<Connection, KvError> {
    let c = Connection::open(path)?;
    c.busy_timeout(BUSY_TIMEOUT)?;
    c.execute_batch("PRAGMA query_only = ON;")?;
    c.set_prepared_statement_cache_capacity(32);
    Ok(c)
}

fn open_writer(path: &Path) -> Result<Connection, KvError> {
    let c = Connection::open(path)
        .map_err(|e| KvError::Storage(format!("cannot open {}: {e}", path.display())))?;
    c.busy_timeout(BUSY_TIMEOUT)?;
    // auto_vacuum only takes effect before the first table is created.
    c.execute_batch("PRAGMA auto_vacuum = INCREMENTAL;")?;
    let mode: String = c.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(KvError::Storage(format!(
            "{} could not be switched to WAL mode (got {mode})",
            path.display()
        )));
    }
    // FULL: in WAL mode every commit fsyncs the WAL, so an acknowledged write
    // survives kill -9 and power loss. NORMAL would only survive process crashes.
    c.execute_batch(
        "PRAGMA synchronous = FULL;
         PRAGMA journal_size_limit = 67108864;
         BEGIN IMMEDIATE;
         CREATE TABLE IF NOT EXISTS kv_namespaces (
             id TEXT PRIMARY KEY NOT NULL,
             title TEXT NOT NULL,
             created INTEGER NOT NULL
         );
         CREATE TABLE IF NOT EXISTS kv_keys (
             ns TEXT NOT NULL,
             key BLOB NOT NULL,
             expiration INTEGER,
             metadata TEXT,
             vid INTEGER NOT NULL,
             PRIMARY KEY (ns, key)
         ) WITHOUT ROWID;
         CREATE INDEX IF NOT EXISTS kv_keys_expiration ON kv_keys(expiration)
             WHERE expiration IS NOT NULL;
         CREATE TABLE IF NOT EXISTS kv_values (
             vid INTEGER PRIMARY KEY,
             value BLOB NOT NULL
         );
         PRAGMA user_version = 1;
         COMMIT;",
    )?;
    c.set_prepared_statement_cache_capacity(32);
    Ok(c)
}

fn writer_loop(
    mut conn: Connection,
    rx: mpsc::Receiver<Job>,
    commits: Arc<AtomicU64>,
    cache: &ReadCache,
) {
    while let Ok(first) = rx.recv() {
        let mut bytes = first.op.size();
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP_JOBS && bytes < MAX_GROUP_BYTES {
            match rx.try_recv() {
                Ok(j) => {
                    bytes += j.op.size();
                    jobs.push(j);
                }
                Err(_) => break,
            }
        }
        let purge = jobs.iter().any(|j| matches!(j.op, Op::Purge { .. }));
        let (ops, replies): (Vec<Op>, Vec<Reply>) =
            jobs.into_iter().map(|j| (j.op, j.reply)).unzip();
        let results = run_group(&mut conn, ops);
        commits.fetch_add(1, Ordering::Relaxed);
        // Before any write is acknowledged, so no reader can see it missing.
        cache.committed();
        if purge {
            let _ = incremental_vacuum(&conn);
        }
        for (reply, r) in replies.into_iter().zip(results) {
            reply.send(r);
        }
    }
    let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
}

/// Returns free pages to the file system. The pragma frees one page per step, so
/// every row must be stepped through.
fn incremental_vacuum(conn: &Connection) -> Result<(), KvError> {
    let mut st = conn.prepare("PRAGMA incremental_vacuum")?;
    let mut rows = st.query([])?;
    while rows.next()?.is_some() {}
    Ok(())
}

/// Applies a group of writes in one transaction; each write in its own savepoint so
/// one failing write changes nothing and does not affect the others.
fn run_group(conn: &mut Connection, ops: Vec<Op>) -> Vec<Result<Done, KvError>> {
    let n = ops.len();
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        let e = KvError::from(e);
        return (0..n).map(|_| Err(e.clone())).collect();
    }
    let mut out = Vec::with_capacity(n);
    for op in ops {
        let r = (|| -> Result<Done, KvError> {
            conn.execute_batch("SAVEPOINT op")?;
            let r = apply(conn, op);
            if r.is_err() {
                conn.execute_batch("ROLLBACK TO op")?;
            }
            conn.execute_batch("RELEASE op")?;
            r
        })();
        out.push(r);
    }
    match conn.execute_batch("COMMIT") {
        Ok(()) => out,
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            let e = KvError::from(e);
            (0..n).map(|_| Err(e.clone())).collect()
        }
    }
}

fn require_ns(c: &Connection, ns: &str) -> Result<(), KvError> {
    if namespace_exists(c, ns)? {
        Ok(())
    } else {
        Err(KvError::NamespaceNotFound { id: ns.to_string() })
    }
}

fn put_one(c: &Connection, ns: &str, p: &Resolved) -> Result<(), KvError> {
    let key = p.key.as_bytes();
    let exp = p.expiration.map(|e| e as i64);
    let existing: Option<i64> = c
        .prepare_cached("SELECT vid FROM kv_keys WHERE ns = ?1 AND key = ?2")?
        .query_row(params![ns, key], |r| r.get(0))
        .optional()?;
    match existing {
        Some(vid) => {
            c.prepare_cached("UPDATE kv_values SET value = ?1 WHERE vid = ?2")?
                .execute(params![p.value, vid])?;
            c.prepare_cached(
                "UPDATE kv_keys SET expiration = ?1, metadata = ?2 WHERE ns = ?3 AND key = ?4",
            )?
            .execute(params![exp, p.metadata, ns, key])?;
        }
        None => {
            c.prepare_cached("INSERT INTO kv_values(value) VALUES (?1)")?
                .execute(params![p.value])?;
            let vid = c.last_insert_rowid();
            c.prepare_cached(
                "INSERT INTO kv_keys(ns, key, expiration, metadata, vid) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![ns, key, exp, p.metadata, vid])?;
        }
    }
    Ok(())
}

fn delete_one(c: &Connection, ns: &str, key: &str) -> Result<(), KvError> {
    let vid: Option<i64> = c
        .prepare_cached("DELETE FROM kv_keys WHERE ns = ?1 AND key = ?2 RETURNING vid")?
        .query_row(params![ns, key.as_bytes()], |r| r.get(0))
        .optional()?;
    if let Some(vid) = vid {
        c.prepare_cached("DELETE FROM kv_values WHERE vid = ?1")?
            .execute([vid])?;
    }
    Ok(())
}

fn title_taken(c: &Connection, title: &str, except_id: &str) -> Result<bool, KvError> {
    Ok(
        c.prepare_cached("SELECT 1 FROM kv_namespaces WHERE title = ?1 AND id != ?2")?
            .exists([title, except_id])?,
    )
}

fn apply(c: &Connection, op: Op) -> Result<Done, KvError> {
    match op {
        Op::Put { ns, pair } => {
            require_ns(c, &ns)?;
            put_one(c, &ns, &pair)?;
            Ok(Done::Unit)
        }
        Op::Delete { ns, key } => {
            require_ns(c, &ns)?;
            delete_one(c, &ns, &key)?;
            Ok(Done::Unit)
        }
        Op::BulkPut { ns, pairs } => {
            require_ns(c, &ns)?;
            for p in &pairs {
                put_one(c, &ns, p)?;
            }
            Ok(Done::Count(pairs.len() as u64))
        }
        Op::BulkDelete { ns, keys } => {
            require_ns(c, &ns)?;
            for k in &keys {
                delete_one(c, &ns, k)?;
            }
            Ok(Done::Count(keys.len() as u64))
        }
        Op::CreateNs { id, title } => {
            if title_taken(c, &title, &id)? {
                return Err(KvError::NamespaceExists { title });
            }
            c.execute(
                "INSERT INTO kv_namespaces(id, title, created) VALUES (?1, ?2, ?3)",
                params![id, title, limits::now_secs() as i64],
            )?;
            Ok(Done::Namespace(Namespace { id, title }))
        }
        Op::EnsureNs { id, title } => {
            c.execute(
                "INSERT OR IGNORE INTO kv_namespaces(id, title, created) VALUES (?1, ?2, ?3)",
                params![id, title, limits::now_secs() as i64],
            )?;
            let title: String = c.query_row(
                "SELECT title FROM kv_namespaces WHERE id = ?1",
                [&id],
                |r| r.get(0),
            )?;
            Ok(Done::Namespace(Namespace { id, title }))
        }
        Op::RenameNs { id, title } => {
            require_ns(c, &id)?;
            if title_taken(c, &title, &id)? {
                return Err(KvError::NamespaceExists { title });
            }
            c.execute(
                "UPDATE kv_namespaces SET title = ?1 WHERE id = ?2",
                params![title, id],
            )?;
            Ok(Done::Namespace(Namespace { id, title }))
        }
        Op::DeleteNs { id } => {
            require_ns(c, &id)?;
            c.execute(
                "DELETE FROM kv_values WHERE vid IN (SELECT vid FROM kv_keys WHERE ns = ?1)",
                [&id],
            )?;
            c.execute("DELETE FROM kv_keys WHERE ns = ?1", [&id])?;
            c.execute("DELETE FROM kv_namespaces WHERE id = ?1", [&id])?;
            Ok(Done::Unit)
        }
        Op::Purge { now } => {
            let vids: Vec<i64> = {
                let mut st = c.prepare_cached(
                    "DELETE FROM kv_keys WHERE expiration IS NOT NULL AND expiration <= ?1 RETURNING vid",
                )?;
                let rows = st.query_map([now as i64], |r| r.get(0))?;
                rows.collect::<Result<_, _>>()?
            };
            let mut del = c.prepare_cached("DELETE FROM kv_values WHERE vid = ?1")?;
            for v in &vids {
                del.execute([v])?;
            }
            Ok(Done::Count(vids.len() as u64))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_bound() {
        assert_eq!(prefix_upper_bound(b""), None);
        assert_eq!(prefix_upper_bound(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_upper_bound(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_upper_bound(b"\xff\xff"), None);
    }

    #[test]
    fn ids_are_32_hex() {
        let a = new_namespace_id();
        let b = new_namespace_id();
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}

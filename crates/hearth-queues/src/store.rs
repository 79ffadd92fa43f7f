//! [`QueueStore`]: the queues of one process in one SQLite database.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use tokio::sync::Notify;

use crate::limits;

/// How long another process's write (`hearth queues` beside `hearth dev`) may
/// hold the database before a write here fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How a message body is encoded, as the producer chose it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentType {
    /// A UTF-8 string.
    Text,
    /// JSON text.
    Json,
    /// Raw bytes.
    Bytes,
    /// The runtime's structured serialization.
    V8,
}

impl ContentType {
    /// The name Cloudflare gives it (`"text"`, `"json"`, `"bytes"`, `"v8"`).
    pub fn as_str(self) -> &'static str {
        match self {
            ContentType::Text => "text",
            ContentType::Json => "json",
            ContentType::Bytes => "bytes",
            ContentType::V8 => "v8",
        }
    }

    /// Parses Cloudflare's name of a content type (case-insensitive).
    pub fn parse(name: &str) -> Option<ContentType> {
        match name.to_ascii_lowercase().as_str() {
            "text" => Some(ContentType::Text),
            "json" => Some(ContentType::Json),
            "bytes" => Some(ContentType::Bytes),
            "v8" => Some(ContentType::V8),
            _ => None,
        }
    }
}

/// A message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// How `body` is encoded.
    pub content_type: ContentType,
    /// The encoded body.
    pub body: Vec<u8>,
    /// Seconds before it may be delivered; `None` takes the batch's or the
    /// producer's delay.
    pub delay_seconds: Option<u32>,
}

/// A message handed to a consumer, leased until it is settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leased {
    /// The message id (32 hex digits).
    pub id: String,
    /// When it was sent, in milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    /// How `body` is encoded.
    pub content_type: ContentType,
    /// The encoded body.
    pub body: Vec<u8>,
    /// Deliveries so far, this one included (1 on the first).
    pub attempts: u32,
}

/// What the consumer decided for one leased message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// Delivered: the message is deleted.
    Ack,
    /// Delivered again after this many seconds, unless it has used up its
    /// retries (then it goes to the dead-letter queue, or is dropped).
    Retry {
        /// Seconds before the next delivery.
        delay_seconds: u32,
    },
}

/// What [`QueueStore::settle`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettleReport {
    /// Messages deleted after an ack.
    pub acked: usize,
    /// Messages put back for another delivery.
    pub retried: usize,
    /// Ids moved to the dead-letter queue after their last retry.
    pub dead_lettered: Vec<String>,
    /// Ids dropped after their last retry (no dead-letter queue).
    pub dropped: Vec<String>,
}

/// One queue and its counts, for `hearth queues list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueInfo {
    /// The queue's name.
    pub name: String,
    /// When it was created, in milliseconds since the Unix epoch.
    pub created_ms: i64,
    /// Messages waiting for delivery (delayed ones included).
    pub backlog: u64,
    /// Of those, messages whose delay has not passed yet.
    pub delayed: u64,
    /// Messages leased to a consumer and not settled yet.
    pub in_flight: u64,
    /// Messages that used up their retries here: moved to a dead-letter
    /// queue or dropped.
    pub dead_lettered: u64,
}

/// What is ready for delivery on one queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ready {
    /// Messages deliverable now.
    pub count: u64,
    /// Since when the longest-waiting of them has been deliverable (ms).
    pub oldest_ms: Option<i64>,
    /// When the next delayed message becomes deliverable (ms).
    pub next_visible_ms: Option<i64>,
}

/// Why a queue operation failed. The text is what a user sees.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// A message or batch breaks one of Cloudflare's limits.
    #[error("{0}")]
    Limit(String),
    /// No queue of that name.
    #[error("Queue \"{0}\" does not exist.")]
    NotFound(String),
    /// `create` of a queue that exists.
    #[error("A queue named \"{0}\" already exists.")]
    Exists(String),
    /// A queue name Cloudflare would refuse.
    #[error("Invalid queue name \"{0}\": use 1 to 63 lowercase letters, digits and dashes.")]
    BadName(String),
    /// SQLite failed.
    #[error("queue storage failed: {0}")]
    Storage(String),
}

impl From<rusqlite::Error> for QueueError {
    fn from(e: rusqlite::Error) -> Self {
        QueueError::Storage(e.to_string())
    }
}

/// The queues of one process. Cheap to clone; `Send + Sync`. Every worker of
/// a process that opens the same folder shares one store (and one wake-up
/// for the consumer dispatcher).
#[derive(Clone)]
pub struct QueueStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    conn: Mutex<Connection>,
    /// Woken by each send and each dead-lettering.
    sent: Notify,
}

impl std::fmt::Debug for QueueStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueStore")
            .field("path", &self.inner.path)
            .finish()
    }
}

/// The stores this process has opened, by file.
fn opened() -> &'static Mutex<HashMap<PathBuf, QueueStore>> {
    static OPENED: OnceLock<Mutex<HashMap<PathBuf, QueueStore>>> = OnceLock::new();
    OPENED.get_or_init(Default::default)
}

/// Now in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn new_id() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether Cloudflare accepts `name` as a queue name.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

impl QueueStore {
    /// The database file under `state_dir`.
    pub fn file(state_dir: &Path) -> PathBuf {
        state_dir.join("queues").join("queues.sqlite3")
    }

    /// Opens (creating if needed) the queues under `state_dir`; a second
    /// open of the same folder in this process returns the same store.
    pub fn open(state_dir: &Path) -> Result<QueueStore, QueueError> {
        let path = Self::file(state_dir);
        let dir = path.parent().expect("the file is in a folder");
        std::fs::create_dir_all(dir)
            .map_err(|e| QueueError::Storage(format!("cannot create {}: {e}", dir.display())))?;
        let key = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        let mut opened = opened().lock().expect("store registry poisoned");
        if let Some(store) = opened.get(&key) {
            return Ok(store.clone());
        }
        let conn = Connection::open(&path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let _: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        conn.execute_batch(
            "PRAGMA synchronous = FULL;
             CREATE TABLE IF NOT EXISTS queues(
               name TEXT PRIMARY KEY,
               created_ms INTEGER NOT NULL,
               dead_lettered INTEGER NOT NULL DEFAULT 0
             );
             CREATE TABLE IF NOT EXISTS messages(
               seq INTEGER PRIMARY KEY AUTOINCREMENT,
               queue TEXT NOT NULL,
               id TEXT NOT NULL UNIQUE,
               timestamp_ms INTEGER NOT NULL,
               content_type TEXT NOT NULL,
               body BLOB NOT NULL,
               attempts INTEGER NOT NULL DEFAULT 0,
               visible_ms INTEGER NOT NULL,
               lease_until_ms INTEGER
             );
             CREATE INDEX IF NOT EXISTS messages_ready ON messages(queue, visible_ms);",
        )?;
        let store = QueueStore {
            inner: Arc::new(Inner {
                path,
                conn: Mutex::new(conn),
                sent: Notify::new(),
            }),
        };
        opened.insert(key, store.clone());
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.inner.conn.lock().expect("queue connection poisoned")
    }

    /// Creates queue `name` unless it exists (a binding names it).
    pub fn ensure_queue(&self, name: &str) -> Result<(), QueueError> {
        if !valid_name(name) {
            return Err(QueueError::BadName(name.to_string()));
        }
        self.conn().execute(
            "INSERT OR IGNORE INTO queues(name, created_ms) VALUES (?1, ?2)",
            params![name, now_ms()],
        )?;
        Ok(())
    }

    /// Creates queue `name`; fails if it exists.
    pub fn create_queue(&self, name: &str) -> Result<(), QueueError> {
        if !valid_name(name) {
            return Err(QueueError::BadName(name.to_string()));
        }
        let added = self.conn().execute(
            "INSERT OR IGNORE INTO queues(name, created_ms) VALUES (?1, ?2)",
            params![name, now_ms()],
        )?;
        if added == 0 {
            return Err(QueueError::Exists(name.to_string()));
        }
        Ok(())
    }

    /// Deletes queue `name` and its messages.
    pub fn delete_queue(&self, name: &str) -> Result<(), QueueError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let removed = tx.execute("DELETE FROM queues WHERE name = ?1", [name])?;
        if removed == 0 {
            return Err(QueueError::NotFound(name.to_string()));
        }
        tx.execute("DELETE FROM messages WHERE queue = ?1", [name])?;
        tx.commit()?;
        Ok(())
    }

    /// Every queue with its counts, by name.
    pub fn list(&self) -> Result<Vec<QueueInfo>, QueueError> {
        let now = now_ms();
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT q.name, q.created_ms, q.dead_lettered,
               (SELECT COUNT(*) FROM messages m WHERE m.queue = q.name
                  AND (m.lease_until_ms IS NULL OR m.lease_until_ms <= ?1)),
               (SELECT COUNT(*) FROM messages m WHERE m.queue = q.name
                  AND m.lease_until_ms IS NULL AND m.visible_ms > ?1),
               (SELECT COUNT(*) FROM messages m WHERE m.queue = q.name
                  AND m.lease_until_ms > ?1)
             FROM queues q ORDER BY q.name",
        )?;
        let rows = st.query_map([now], |r| {
            Ok(QueueInfo {
                name: r.get(0)?,
                created_ms: r.get(1)?,
                dead_lettered: r.get::<_, i64>(2)? as u64,
                backlog: r.get::<_, i64>(3)? as u64,
                delayed: r.get::<_, i64>(4)? as u64,
                in_flight: r.get::<_, i64>(5)? as u64,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Queue `name` with its counts.
    pub fn info(&self, name: &str) -> Result<QueueInfo, QueueError> {
        self.list()?
            .into_iter()
            .find(|q| q.name == name)
            .ok_or_else(|| QueueError::NotFound(name.to_string()))
    }

    /// Sends `messages` to `queue` (created if needed) in one transaction;
    /// returns their ids once they are on disk. A message without its own
    /// delay waits `default_delay` seconds. Checks Cloudflare's limits: one
    /// message's when `messages` has one, a batch's otherwise.
    pub fn send(
        &self,
        queue: &str,
        messages: Vec<NewMessage>,
        default_delay: u32,
    ) -> Result<Vec<String>, QueueError> {
        let lens: Vec<usize> = messages.iter().map(|m| m.body.len()).collect();
        let refused = match lens.as_slice() {
            [one] => limits::check_message(*one),
            _ => limits::check_batch(&lens),
        };
        if let Some(message) = refused {
            return Err(QueueError::Limit(message));
        }
        for m in &messages {
            let delay = m.delay_seconds.unwrap_or(default_delay);
            if let Some(message) = limits::check_delay(delay as f64) {
                return Err(QueueError::Limit(message));
            }
        }
        if !valid_name(queue) {
            return Err(QueueError::BadName(queue.to_string()));
        }
        let now = now_ms();
        let mut ids = Vec::with_capacity(messages.len());
        {
            let mut conn = self.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT OR IGNORE INTO queues(name, created_ms) VALUES (?1, ?2)",
                params![queue, now],
            )?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO messages(queue, id, timestamp_ms, content_type, body, visible_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?;
                for m in messages {
                    let id = new_id();
                    let delay = m.delay_seconds.unwrap_or(default_delay) as i64;
                    insert.execute(params![
                        queue,
                        id,
                        now,
                        m.content_type.as_str(),
                        m.body,
                        now + delay * 1000
                    ])?;
                    ids.push(id);
                }
            }
            tx.commit()?;
        }
        self.inner.sent.notify_one();
        Ok(ids)
    }

    /// Waits until a message is sent (or dead-lettered) in this process
    /// after the last wait returned.
    pub async fn sent(&self) {
        self.inner.sent.notified().await;
    }

    /// What is deliverable on `queue` at `now` (ms).
    pub fn ready(&self, queue: &str, now: i64) -> Result<Ready, QueueError> {
        let conn = self.conn();
        let (count, oldest): (i64, Option<i64>) = conn.query_row(
            "SELECT COUNT(*), MIN(visible_ms) FROM messages WHERE queue = ?1 AND visible_ms <= ?2
               AND (lease_until_ms IS NULL OR lease_until_ms <= ?2)",
            params![queue, now],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let next: Option<i64> = conn.query_row(
            "SELECT MIN(visible_ms) FROM messages WHERE queue = ?1 AND visible_ms > ?2
               AND lease_until_ms IS NULL",
            params![queue, now],
            |r| r.get(0),
        )?;
        Ok(Ready {
            count: count as u64,
            oldest_ms: oldest,
            next_visible_ms: next,
        })
    }

    /// Leases up to `max` deliverable messages of `queue`, oldest first, for
    /// `lease_ms`; each one's `attempts` counts this delivery.
    pub fn lease(
        &self,
        queue: &str,
        max: usize,
        lease_ms: i64,
        now: i64,
    ) -> Result<Vec<Leased>, QueueError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut out = Vec::new();
        {
            let mut select = tx.prepare_cached(
                "SELECT seq, id, timestamp_ms, content_type, body, attempts FROM messages
                 WHERE queue = ?1 AND visible_ms <= ?2
                   AND (lease_until_ms IS NULL OR lease_until_ms <= ?2)
                 ORDER BY visible_ms, seq LIMIT ?3",
            )?;
            let rows = select.query_map(params![queue, now, max as i64], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    Leased {
                        id: r.get(1)?,
                        timestamp_ms: r.get(2)?,
                        content_type: ContentType::parse(&r.get::<_, String>(3)?)
                            .unwrap_or(ContentType::V8),
                        body: r.get(4)?,
                        attempts: r.get::<_, i64>(5)? as u32 + 1,
                    },
                ))
            })?;
            let mut update = tx.prepare_cached(
                "UPDATE messages SET attempts = attempts + 1, lease_until_ms = ?2 WHERE seq = ?1",
            )?;
            for row in rows {
                let (seq, leased) = row?;
                update.execute(params![seq, now + lease_ms])?;
                out.push(leased);
            }
        }
        tx.commit()?;
        Ok(out)
    }

    /// Applies a consumer's decisions for leased messages of `queue` in one
    /// transaction. A retried message past `max_retries` retries goes to
    /// `dead_letter` (as a fresh message with the same id and body), or is
    /// dropped when there is none.
    pub fn settle(
        &self,
        queue: &str,
        decisions: &[(String, Settle)],
        max_retries: u32,
        dead_letter: Option<&str>,
        now: i64,
    ) -> Result<SettleReport, QueueError> {
        let mut report = SettleReport::default();
        {
            let mut conn = self.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if let Some(dlq) = dead_letter {
                tx.execute(
                    "INSERT OR IGNORE INTO queues(name, created_ms) VALUES (?1, ?2)",
                    params![dlq, now],
                )?;
            }
            for (id, decision) in decisions {
                match *decision {
                    Settle::Ack => {
                        report.acked += tx.execute(
                            "DELETE FROM messages WHERE id = ?1 AND queue = ?2",
                            params![id, queue],
                        )?;
                    }
                    Settle::Retry { delay_seconds } => {
                        let attempts: Option<i64> = tx
                            .query_row(
                                "SELECT attempts FROM messages WHERE id = ?1 AND queue = ?2",
                                params![id, queue],
                                |r| r.get(0),
                            )
                            .optional()?;
                        let Some(attempts) = attempts else { continue };
                        if attempts as u64 <= max_retries as u64 {
                            tx.execute(
                                "UPDATE messages SET lease_until_ms = NULL, visible_ms = ?2
                                 WHERE id = ?1",
                                params![id, now + delay_seconds as i64 * 1000],
                            )?;
                            report.retried += 1;
                            continue;
                        }
                        tx.execute(
                            "UPDATE queues SET dead_lettered = dead_lettered + 1 WHERE name = ?1",
                            [queue],
                        )?;
                        match dead_letter {
                            Some(dlq) => {
                                // Ids are unique: the row leaves this queue
                                // before it joins the dead-letter queue.
                                let (timestamp, content_type, body): (i64, String, Vec<u8>) = tx
                                    .query_row(
                                        "SELECT timestamp_ms, content_type, body FROM messages WHERE id = ?1",
                                        [id],
                                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                                    )?;
                                tx.execute(
                                    "DELETE FROM messages WHERE id = ?1 AND queue = ?2",
                                    params![id, queue],
                                )?;
                                tx.execute(
                                    "INSERT INTO messages(queue, id, timestamp_ms, content_type, body, visible_ms)
                                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                    params![dlq, id, timestamp, content_type, body, now],
                                )?;
                                report.dead_lettered.push(id.clone());
                            }
                            None => {
                                tx.execute(
                                    "DELETE FROM messages WHERE id = ?1 AND queue = ?2",
                                    params![id, queue],
                                )?;
                                report.dropped.push(id.clone());
                            }
                        }
                    }
                }
            }
            tx.commit()?;
        }
        if !report.dead_lettered.is_empty() {
            self.inner.sent.notify_one();
        }
        Ok(report)
    }

    /// Makes every leased message deliverable again: at start-up, the
    /// consumers that held them are gone. Returns how many there were.
    pub fn release_leases(&self) -> Result<usize, QueueError> {
        Ok(self.conn().execute(
            "UPDATE messages SET lease_until_ms = NULL WHERE lease_until_ms IS NOT NULL",
            [],
        )?)
    }
}

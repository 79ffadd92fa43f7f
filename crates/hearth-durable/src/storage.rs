//! One object's SQLite database: the key-value API, the SQL API and its alarm.

use crate::authorizer::{Refusal, SqlGuard};
use crate::limits::{MAX_BATCH_KEYS, MAX_ENTRY_BYTES, MAX_KEY_BYTES};
use rusqlite::fallible_iterator::FallibleIterator;
use rusqlite::types::{Value as SqliteValue, ValueRef};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};

/// A storage failure, with the message the runtime throws to JavaScript.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A documented limit was exceeded.
    #[error("{0}")]
    Limit(String),
    /// The SQL API was used wrongly (bad query, forbidden statement).
    #[error("{0}")]
    Sql(String),
    /// The database failed underneath.
    #[error("Durable Object storage failed: {0}")]
    Io(String),
}

impl From<rusqlite::Error> for StorageError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::SqliteFailure(_, Some(msg)) => StorageError::Sql(msg),
            other => StorageError::Io(other.to_string()),
        }
    }
}

type Result<T> = std::result::Result<T, StorageError>;

/// Key range and order of a `list()` call.
#[derive(Debug, Default, Clone)]
pub struct ListOptions {
    /// First key included.
    pub start: Option<String>,
    /// Keys strictly after this one (wins over `start`).
    pub start_after: Option<String>,
    /// First key excluded.
    pub end: Option<String>,
    /// Only keys with this prefix.
    pub prefix: Option<String>,
    /// Descending order.
    pub reverse: bool,
    /// At most this many entries.
    pub limit: Option<usize>,
}

/// A SQL value crossing to and from JavaScript.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// `null`
    Null,
    /// An integer (JavaScript number, or BigInt beyond 2^53).
    Integer(i64),
    /// A float.
    Real(f64),
    /// A string.
    Text(String),
    /// An `ArrayBuffer`.
    Blob(Vec<u8>),
}

/// The outcome of `sql.exec()`: the last statement's rows plus counters.
#[derive(Debug, Default, Clone)]
pub struct SqlResult {
    /// Column names of the result rows.
    pub columns: Vec<String>,
    /// The rows, each as many values as columns.
    pub rows: Vec<Vec<SqlValue>>,
    /// Rows read by the query (rows returned, as SQLite reports no scan count).
    pub rows_read: u64,
    /// Rows inserted, updated or deleted.
    pub rows_written: u64,
}

/// One Durable Object's database.
///
/// Writes open an implicit transaction that stays open across events:
/// [`ObjectStorage::end_event`] numbers each event that wrote, and
/// [`ObjectStorage::commit`] ends the transaction (without `fsync`) for every
/// event so far. [`WalSync::sync`] then makes those commits durable. One
/// commit per `fsync` batch instead of one per event keeps SQLite's commit
/// work (locks, write-ahead log frames) off the per-event path.
pub struct ObjectStorage {
    conn: Connection,
    /// What user SQL may do.
    guard: SqlGuard,
    path: PathBuf,
    in_transaction: bool,
    savepoints: u32,
    /// Whether the current event has written.
    event_wrote: bool,
    /// Events that wrote, so far.
    writing_events: u64,
    /// `writing_events` as of the last commit.
    committed_events: u64,
}

impl ObjectStorage {
    /// Opens (creating) the database at `path`.
    pub fn open(path: &Path) -> Result<ObjectStorage> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| StorageError::Io(format!("{}: {e}", dir.display())))?;
        }
        let conn = Connection::open(path)?;
        // Durability comes from the runtime's batched WAL fsync, not per commit.
        conn.execute_batch(
            "PRAGMA journal_mode=WAL;
             PRAGMA synchronous=OFF;
             PRAGMA foreign_keys=ON;
             CREATE TABLE IF NOT EXISTS _cf_KV (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS _hearth_alarm (slot INTEGER PRIMARY KEY CHECK (slot = 0), time REAL NOT NULL);",
        )?;
        // No writes to the schema table behind SQLite's back.
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
        let guard = SqlGuard::install(&conn);
        Ok(ObjectStorage {
            conn,
            guard,
            path: path.to_path_buf(),
            in_transaction: false,
            savepoints: 0,
            event_wrote: false,
            writing_events: 0,
            committed_events: 0,
        })
    }

    fn begin(&mut self) -> Result<()> {
        self.event_wrote = true;
        if !self.in_transaction {
            self.conn.execute_batch("BEGIN")?;
            self.in_transaction = true;
        }
        Ok(())
    }

    /// Whether writes are waiting for [`ObjectStorage::commit`].
    pub fn has_uncommitted(&self) -> bool {
        self.in_transaction
    }

    /// Ends an event: keeps any nested transaction it left open and returns
    /// the number its reply must see committed and synced (see
    /// [`ObjectStorage::committed_events`]) — its own if it wrote, else the
    /// latest earlier event's, since it may have read that one's writes.
    pub fn end_event(&mut self) -> Result<u64> {
        while self.savepoints > 0 {
            self.release_savepoint()?;
        }
        if std::mem::take(&mut self.event_wrote) {
            self.writing_events += 1;
        }
        Ok(self.writing_events)
    }

    /// Commits every write so far, unless a nested transaction is open (an
    /// event is inside `transaction()`; `None`, try again later). Returns
    /// the number of writing events now committed.
    pub fn commit(&mut self) -> Result<Option<u64>> {
        if self.savepoints > 0 {
            return Ok(None);
        }
        if self.in_transaction {
            self.conn.execute_batch("COMMIT")?;
            self.in_transaction = false;
        }
        // Writes of an event still running are committed too; its number
        // comes when it ends, so it will wait for a later commit.
        self.committed_events = self.writing_events;
        Ok(Some(self.committed_events))
    }

    /// Writing events covered by the last [`ObjectStorage::commit`].
    pub fn committed_events(&self) -> u64 {
        self.committed_events
    }

    /// Events that wrote, so far (the number [`ObjectStorage::end_event`]
    /// last returned).
    pub fn writing_events(&self) -> u64 {
        self.writing_events
    }

    /// Whether a nested transaction (`storage.transaction()`) is open.
    pub fn in_savepoint(&self) -> bool {
        self.savepoints > 0
    }

    /// A handle another thread can use to `fsync` this database.
    pub fn wal_sync(&self) -> WalSync {
        WalSync {
            db: self.path.clone(),
        }
    }

    /// Starts a nested transaction (`storage.transaction()`).
    pub fn savepoint(&mut self) -> Result<()> {
        self.begin()?;
        self.savepoints += 1;
        self.conn
            .execute_batch(&format!("SAVEPOINT sp{}", self.savepoints))?;
        Ok(())
    }

    /// Keeps the innermost nested transaction's writes.
    pub fn release_savepoint(&mut self) -> Result<()> {
        if self.savepoints > 0 {
            self.conn
                .execute_batch(&format!("RELEASE sp{}", self.savepoints))?;
            self.savepoints -= 1;
        }
        Ok(())
    }

    /// Undoes the innermost nested transaction's writes.
    pub fn rollback_savepoint(&mut self) -> Result<()> {
        if self.savepoints > 0 {
            self.conn.execute_batch(&format!(
                "ROLLBACK TO sp{n}; RELEASE sp{n}",
                n = self.savepoints
            ))?;
            self.savepoints -= 1;
        }
        Ok(())
    }

    fn check_key(key: &str) -> Result<()> {
        if key.len() > MAX_KEY_BYTES {
            return Err(StorageError::Limit(format!(
                "Keys cannot be larger than {MAX_KEY_BYTES} bytes. Key length is {} bytes.",
                key.len()
            )));
        }
        Ok(())
    }

    fn check_batch(n: usize) -> Result<()> {
        if n > MAX_BATCH_KEYS {
            return Err(StorageError::Limit(format!(
                "Maximum number of keys in a batch operation is {MAX_BATCH_KEYS}; got {n}."
            )));
        }
        Ok(())
    }

    /// Reads one key.
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Self::check_key(key)?;
        let mut st = self
            .conn
            .prepare_cached("SELECT value FROM _cf_KV WHERE key = ?1")?;
        Ok(st.query_row([key], |r| r.get(0)).optional()?)
    }

    /// Reads up to 128 keys.
    pub fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>> {
        Self::check_batch(keys.len())?;
        keys.iter().map(|k| self.get(k)).collect()
    }

    /// Writes entries (one or a batch of up to 128), all or nothing.
    pub fn put(&mut self, entries: &[(String, Vec<u8>)]) -> Result<()> {
        Self::check_batch(entries.len())?;
        for (key, value) in entries {
            Self::check_key(key)?;
            if key.len() + value.len() > MAX_ENTRY_BYTES {
                return Err(StorageError::Limit(format!(
                    "Values cannot be larger than {MAX_ENTRY_BYTES} bytes (key plus value). Entry length is {} bytes.",
                    key.len() + value.len()
                )));
            }
        }
        self.begin()?;
        let mut st = self
            .conn
            .prepare_cached("INSERT INTO _cf_KV (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value")?;
        for (key, value) in entries {
            st.execute(params![key, value])?;
        }
        Ok(())
    }

    /// Deletes keys; returns how many existed.
    pub fn delete(&mut self, keys: &[String]) -> Result<usize> {
        Self::check_batch(keys.len())?;
        for k in keys {
            Self::check_key(k)?;
        }
        self.begin()?;
        let mut st = self
            .conn
            .prepare_cached("DELETE FROM _cf_KV WHERE key = ?1")?;
        let mut n = 0;
        for key in keys {
            n += st.execute([key])?;
        }
        Ok(n)
    }

    /// Deletes every key and the alarm.
    pub fn delete_all(&mut self) -> Result<()> {
        self.begin()?;
        self.conn
            .execute_batch("DELETE FROM _cf_KV; DELETE FROM _hearth_alarm;")?;
        Ok(())
    }

    /// Lists entries in key order (UTF-8 byte order).
    pub fn list(&self, opts: &ListOptions) -> Result<Vec<(String, Vec<u8>)>> {
        let mut clauses = Vec::new();
        let mut args: Vec<String> = Vec::new();
        if let Some(after) = &opts.start_after {
            args.push(after.clone());
            clauses.push(format!("key > ?{}", args.len()));
        } else if let Some(start) = &opts.start {
            args.push(start.clone());
            clauses.push(format!("key >= ?{}", args.len()));
        }
        if let Some(end) = &opts.end {
            args.push(end.clone());
            clauses.push(format!("key < ?{}", args.len()));
        }
        if let Some(prefix) = opts.prefix.as_ref().filter(|p| !p.is_empty()) {
            args.push(prefix.clone());
            clauses.push(format!(
                "substr(key, 1, length(?{n})) = ?{n}",
                n = args.len()
            ));
        }
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let order = if opts.reverse { "DESC" } else { "ASC" };
        let limit = opts.limit.map(|l| format!("LIMIT {l}")).unwrap_or_default();
        let sql = format!("SELECT key, value FROM _cf_KV {filter} ORDER BY key {order} {limit}");
        let mut st = self.conn.prepare_cached(&sql)?;
        let rows = st.query_map(rusqlite::params_from_iter(args.iter()), |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Runs `sql.exec(query, ...bindings)`; several statements may be given,
    /// the rows returned are the last statement's.
    pub fn exec(&mut self, sql: &str, bindings: &[SqlValue]) -> Result<SqlResult> {
        self.begin()?;
        let guard = self.guard.clone();
        let (result, refusal) = guard.untrusted(|| self.run_user_sql(sql, bindings));
        match (result, refusal) {
            (Err(_), Some(Refusal::Transaction)) => Err(StorageError::Sql(
                "To execute a transaction, please use the state.storage.transaction() or state.storage.transactionSync() APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT statements. The JavaScript API is safer because it will automatically roll back on exceptions, and because it interacts correctly with Durable Objects' automatic atomic write coalescing.".into(),
            )),
            (Err(_), Some(Refusal::Other)) => {
                Err(StorageError::Sql("not authorized: SQLITE_AUTH".into()))
            }
            (result, _) => result,
        }
    }

    /// The statements of `sql`, prepared and run one after the other.
    fn run_user_sql(&self, sql: &str, bindings: &[SqlValue]) -> Result<SqlResult> {
        let mut result = SqlResult::default();
        let mut batch = rusqlite::Batch::new(&self.conn, sql);
        let mut bound = 0usize;
        while let Some(mut st) = batch.next()? {
            let wanted = st.parameter_count();
            if bound + wanted > bindings.len() {
                return Err(StorageError::Sql(format!(
                    "Wrong number of parameter bindings for SQL query: expected {}, got {}",
                    bound + wanted,
                    bindings.len()
                )));
            }
            for (i, value) in bindings[bound..bound + wanted].iter().enumerate() {
                st.raw_bind_parameter(i + 1, to_sqlite(value))?;
            }
            bound += wanted;
            let columns: Vec<String> = st.column_names().into_iter().map(str::to_string).collect();
            let count = columns.len();
            let mut rows = Vec::new();
            let mut raw = st.raw_query();
            while let Some(row) = raw.next()? {
                let mut values = Vec::with_capacity(count);
                for i in 0..count {
                    values.push(from_sqlite(row.get_ref(i)?));
                }
                rows.push(values);
            }
            drop(raw);
            result.rows_read += rows.len() as u64;
            result.rows_written += self.conn.changes();
            result.columns = columns;
            result.rows = rows;
        }
        if bound != bindings.len() {
            return Err(StorageError::Sql(format!(
                "Wrong number of parameter bindings for SQL query: expected {bound}, got {}",
                bindings.len()
            )));
        }
        Ok(result)
    }

    /// Size of the database in bytes (`sql.databaseSize`).
    pub fn database_size(&self) -> Result<u64> {
        let pages: i64 = self.conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        let size: i64 = self.conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        Ok((pages * size) as u64)
    }

    /// The scheduled alarm time (ms since the epoch), if any.
    pub fn alarm(&self) -> Result<Option<f64>> {
        Ok(self
            .conn
            .query_row("SELECT time FROM _hearth_alarm WHERE slot = 0", [], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Sets or clears the alarm.
    pub fn set_alarm(&mut self, time: Option<f64>) -> Result<()> {
        self.begin()?;
        match time {
            Some(t) => self.conn.execute(
                "INSERT INTO _hearth_alarm (slot, time) VALUES (0, ?1) ON CONFLICT(slot) DO UPDATE SET time = excluded.time",
                [t],
            )?,
            None => self.conn.execute("DELETE FROM _hearth_alarm", [])?,
        };
        Ok(())
    }
}

fn to_sqlite(v: &SqlValue) -> SqliteValue {
    match v {
        SqlValue::Null => SqliteValue::Null,
        SqlValue::Integer(i) => SqliteValue::Integer(*i),
        SqlValue::Real(f) => SqliteValue::Real(*f),
        SqlValue::Text(s) => SqliteValue::Text(s.clone()),
        SqlValue::Blob(b) => SqliteValue::Blob(b.clone()),
    }
}

fn from_sqlite(v: ValueRef<'_>) -> SqlValue {
    match v {
        ValueRef::Null => SqlValue::Null,
        ValueRef::Integer(i) => SqlValue::Integer(i),
        ValueRef::Real(f) => SqlValue::Real(f),
        ValueRef::Text(t) => SqlValue::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => SqlValue::Blob(b.to_vec()),
    }
}

/// `fsync`s an object's database files from any thread.
#[derive(Clone, Debug)]
pub struct WalSync {
    db: PathBuf,
}

impl WalSync {
    /// Makes every commit made before this call durable.
    pub fn sync(&self) -> std::io::Result<()> {
        let mut wal = self.db.clone().into_os_string();
        wal.push("-wal");
        for path in [PathBuf::from(wal), self.db.clone()] {
            match std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
            {
                Ok(file) => file.sync_data()?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open() -> (tempfile::TempDir, ObjectStorage) {
        let dir = tempfile::tempdir().unwrap();
        let s = ObjectStorage::open(&dir.path().join("o.sqlite3")).unwrap();
        (dir, s)
    }

    #[test]
    fn kv_round_trip_and_order() {
        let (_d, mut s) = open();
        s.put(&[
            ("b".into(), b"2".to_vec()),
            ("a".into(), b"1".to_vec()),
            ("é".into(), b"3".to_vec()),
        ])
        .unwrap();
        assert_eq!(s.get("a").unwrap(), Some(b"1".to_vec()));
        let keys: Vec<String> = s
            .list(&ListOptions::default())
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, ["a", "b", "é"]);
        let rev = s
            .list(&ListOptions {
                reverse: true,
                limit: Some(1),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(rev[0].0, "é");
        assert_eq!(s.delete(&["a".into(), "zz".into()]).unwrap(), 1);
        assert_eq!(s.end_event().unwrap(), 1);
        assert_eq!(s.commit().unwrap(), Some(1));
        s.wal_sync().sync().unwrap();
    }

    #[test]
    fn events_are_numbered_and_committed_together() {
        let (_d, mut s) = open();
        s.put(&[("a".into(), b"1".to_vec())]).unwrap();
        assert_eq!(s.end_event().unwrap(), 1);
        // An event that only reads waits for what it may have read.
        assert_eq!(s.get("a").unwrap(), Some(b"1".to_vec()));
        assert_eq!(s.end_event().unwrap(), 1);
        s.put(&[("b".into(), b"2".to_vec())]).unwrap();
        assert_eq!(s.end_event().unwrap(), 2);
        assert_eq!(s.committed_events(), 0);
        // Not while a nested transaction is open.
        s.savepoint().unwrap();
        assert_eq!(s.commit().unwrap(), None);
        s.release_savepoint().unwrap();
        assert_eq!(s.commit().unwrap(), Some(2));
        assert!(!s.has_uncommitted());
    }

    #[test]
    fn limits_are_enforced() {
        let (_d, mut s) = open();
        assert!(s.put(&[("k".repeat(2049), vec![])]).is_err());
        let many: Vec<String> = (0..129).map(|i| i.to_string()).collect();
        assert!(s.get_many(&many).is_err());
    }

    #[test]
    fn savepoints_roll_back() {
        let (_d, mut s) = open();
        s.put(&[("a".into(), b"1".to_vec())]).unwrap();
        s.savepoint().unwrap();
        s.put(&[("b".into(), b"2".to_vec())]).unwrap();
        s.rollback_savepoint().unwrap();
        assert_eq!(s.commit().unwrap(), Some(0));
        assert_eq!(s.get("b").unwrap(), None);
        assert_eq!(s.get("a").unwrap(), Some(b"1".to_vec()));
    }

    #[test]
    fn writing_events_and_open_savepoints_are_visible() {
        let (_d, mut s) = open();
        s.put(&[("a".into(), b"1".to_vec())]).unwrap();
        assert_eq!(s.writing_events(), 0, "the event has not ended");
        s.savepoint().unwrap();
        assert!(s.in_savepoint());
        s.release_savepoint().unwrap();
        assert!(!s.in_savepoint());
        s.end_event().unwrap();
        assert_eq!(s.writing_events(), 1);
    }

    #[test]
    fn sql_exec_with_bindings() {
        let (_d, mut s) = open();
        s.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)", &[])
            .unwrap();
        let r = s
            .exec(
                "INSERT INTO t (name) VALUES (?), (?)",
                &[SqlValue::Text("a".into()), SqlValue::Text("b".into())],
            )
            .unwrap();
        assert_eq!(r.rows_written, 2);
        let r = s.exec("SELECT id, name FROM t ORDER BY id", &[]).unwrap();
        assert_eq!(r.columns, ["id", "name"]);
        assert_eq!(r.rows.len(), 2);
        assert!(s.exec("BEGIN", &[]).is_err());
        assert!(s.exec("SELECT ?", &[]).is_err());
    }

    #[test]
    fn user_sql_stays_in_its_own_database() {
        let (dir, mut s) = open();
        let other = dir.path().join("other.sqlite3");
        rusqlite::Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE secret (v TEXT); INSERT INTO secret VALUES ('x')")
            .unwrap();
        let auth = |r: Result<SqlResult>| match r {
            Err(StorageError::Sql(m)) => m,
            other => panic!("not refused: {other:?}"),
        };
        let attach = format!("ATTACH DATABASE '{}' AS o", other.display());
        assert_eq!(auth(s.exec(&attach, &[])), "not authorized: SQLITE_AUTH");
        let outside = dir.path().join("made.sqlite3");
        let vacuum = format!("VACUUM INTO '{}'", outside.display());
        assert!(s.exec(&vacuum, &[]).is_err());
        assert!(!outside.exists(), "VACUUM INTO wrote a file");
        for sql in [
            "BEGIN",
            "/* c */ COMMIT",
            "-- c\nCOMMIT",
            "SAVEPOINT x",
            "SELECT 1; ROLLBACK",
        ] {
            assert!(
                auth(s.exec(sql, &[])).starts_with("To execute a transaction"),
                "{sql}"
            );
        }
        for sql in [
            "PRAGMA journal_mode=DELETE",
            "PRAGMA synchronous=FULL",
            "PRAGMA writable_schema=ON",
            "PRAGMA foreign_keys=maybe",
            "SELECT * FROM _cf_KV",
            "DELETE FROM _hearth_alarm",
            "CREATE TEMP TABLE t (x)",
            "DETACH DATABASE main",
        ] {
            assert_eq!(
                auth(s.exec(sql, &[])),
                "not authorized: SQLITE_AUTH",
                "{sql}"
            );
        }
        for sql in [
            "PRAGMA foreign_keys=OFF",
            "PRAGMA table_list",
            "PRAGMA data_version",
            "CREATE TABLE t (x)",
            "PRAGMA table_info(t)",
            "SELECT name FROM sqlite_master",
        ] {
            s.exec(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        // The key-value API and the storage's own commit still work.
        s.put(&[("k".into(), b"v".to_vec())]).unwrap();
        s.end_event().unwrap();
        assert_eq!(s.commit().unwrap(), Some(1));
        assert_eq!(s.get("k").unwrap(), Some(b"v".to_vec()));
    }
}

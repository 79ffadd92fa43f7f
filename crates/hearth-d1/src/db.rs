//! [`D1Database`]: statements, batches and `exec` over one SQLite file.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};

use std::time::{Duration, Instant};
use tokio::sync::oneshot;

use rusqlite::fallible_iterator::FallibleIterator;
use rusqlite::limits::Limit;
use rusqlite::{Batch, Connection, StatementStatus};

use crate::error::D1Error;
use crate::history;
use crate::value::Value;

/// Most bound parameters in one statement (D1's limit).
pub const MAX_PARAMS: i32 = 100;
/// Longest SQL statement in bytes (D1's limit: 100 KB).
pub const MAX_SQL_LENGTH: i32 = 100_000;
/// Largest string, blob or row in bytes (D1's limit: 2 MB).
pub const MAX_VALUE_BYTES: i32 = 2_000_000;
/// How long a writer waits for another process's write to finish.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// What D1 reports as `meta.served_by`.
const SERVED_BY: &str = "hearth.db";

/// The file holding database `id` under the state folder.
pub fn database_file(state_dir: &Path, id: &str) -> PathBuf {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    state_dir.join("d1").join(format!("{safe}.sqlite3"))
}

/// One D1 database. Cheap to clone; `Send + Sync`. Each thread that uses it
/// keeps its own connection (WAL readers never wait for the writer).
#[derive(Clone, Debug)]
pub struct D1Database {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    /// Writers of this process queue here rather than in SQLite's busy
    /// handler, which sleeps in steps of up to 100 ms.
    writer: Mutex<()>,
    /// The group-committing writer thread, started on the first
    /// [`D1Database::submit`] of a write.
    queue: Mutex<Option<mpsc::Sender<Job>>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("D1Database")
            .field("path", &self.path)
            .finish()
    }
}

/// A write for the writer thread: runs inside the group's transaction and
/// returns what delivers its answer once the group's commit is known.
type Job = Box<dyn FnOnce(&Connection) -> Deliver + Send>;
type Deliver = Box<dyn FnOnce(Result<(), D1Error>) + Send>;

/// Most writes committed together (one fsync).
const MAX_GROUP: usize = 256;

/// The answer of [`D1Database::submit`]: at once for reads, after the
/// group commit for writes.
pub enum Answer<T> {
    /// Already known.
    Now(Result<T, D1Error>),
    /// Known once the write's group has been committed.
    Later(oneshot::Receiver<Result<T, D1Error>>),
}

impl<T> Answer<T> {
    /// Waits for the answer.
    pub async fn wait(self) -> Result<T, D1Error> {
        match self {
            Answer::Now(r) => r,
            Answer::Later(rx) => rx
                .await
                .unwrap_or_else(|_| Err(D1Error::Storage("the D1 writer stopped".into()))),
        }
    }
}

/// One statement and its positional parameters (`?` and `?NNN`).
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The SQL; several statements are allowed, only the last may take parameters.
    pub sql: String,
    /// Values for `?1`, `?2`, ...
    pub params: Vec<Value>,
}

/// D1's `meta` of one statement.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meta {
    /// Milliseconds spent in SQLite.
    pub duration: f64,
    /// Rows changed by inserts, updates and deletes.
    pub changes: u64,
    /// The rowid of the last inserted row.
    pub last_row_id: i64,
    /// Rows scanned (rows returned plus rows a full scan stepped over).
    pub rows_read: u64,
    /// Rows written.
    pub rows_written: u64,
    /// The database's size in bytes afterwards.
    pub size_after: u64,
    /// Whether the statement changed the database.
    pub changed_db: bool,
}

impl Meta {
    /// `meta` as D1 returns it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "served_by": SERVED_BY,
            "served_by_region": "local",
            "served_by_primary": true,
            "timings": { "sql_duration_ms": self.duration },
            "duration": self.duration,
            "changes": self.changes,
            "last_row_id": self.last_row_id,
            "changed_db": self.changed_db,
            "size_after": self.size_after,
            "rows_read": self.rows_read,
            "rows_written": self.rows_written,
        })
    }
}

/// The outcome of one statement: its columns, rows and `meta`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryResult {
    /// Column names, in order (duplicates kept).
    pub columns: Vec<String>,
    /// Rows, each with one value per column.
    pub rows: Vec<Vec<Value>>,
    /// D1's `meta`.
    pub meta: Meta,
}

impl QueryResult {
    /// `{results: [{col: value}], success: true, meta}`, D1's HTTP shape.
    pub fn to_json(&self) -> serde_json::Value {
        let results: Vec<serde_json::Value> = self
            .rows
            .iter()
            .map(|row| {
                let mut object = serde_json::Map::new();
                for (name, value) in self.columns.iter().zip(row) {
                    object.insert(name.clone(), value.to_json());
                }
                serde_json::Value::Object(object)
            })
            .collect();
        serde_json::json!({ "results": results, "success": true, "meta": self.meta.to_json() })
    }
}

/// What `exec` resolves to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExecResult {
    /// Statements run.
    pub count: usize,
    /// Milliseconds spent in SQLite.
    pub duration: f64,
}

thread_local! {
    /// This thread's connection to each database it has used.
    static CONNECTIONS: RefCell<HashMap<PathBuf, Connection>> = RefCell::new(HashMap::new());
}

impl D1Database {
    /// Opens (creating if needed) database `id` under `state_dir`.
    pub fn open(state_dir: &Path, id: &str) -> Result<D1Database, D1Error> {
        Self::open_file(&database_file(state_dir, id))
    }

    /// Opens (creating if needed) the database in `path`.
    pub fn open_file(path: &Path) -> Result<D1Database, D1Error> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| D1Error::storage(&format!("cannot create {}", dir.display()), e))?;
        }
        let db = D1Database {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer: Mutex::new(()),
                queue: Mutex::new(None),
            }),
        };
        // Create the file and its tables now, so errors show at start-up.
        db.with_conn(|_| Ok(()))?;
        Ok(db)
    }

    /// The SQLite file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` on this thread's connection, as this process's only writer.
    pub(crate) fn with_writer<R>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, D1Error>,
    ) -> Result<R, D1Error> {
        let _writing = self.inner.writer.lock().unwrap_or_else(|e| e.into_inner());
        self.with_conn(f)
    }

    /// Runs `f` on this thread's connection.
    pub(crate) fn with_conn<R>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, D1Error>,
    ) -> Result<R, D1Error> {
        CONNECTIONS.with(|cache| {
            let mut cache = cache.borrow_mut();
            if !cache.contains_key(&self.inner.path) {
                let conn = open_connection(&self.inner.path)?;
                cache.insert(self.inner.path.clone(), conn);
            }
            let conn = cache.get(&self.inner.path).expect("inserted above");
            f(conn)
        })
    }

    /// Runs statements as `prepare().all()` / `batch()` do: one statement
    /// alone, or all of them in one transaction that is rolled back if any fails.
    pub fn query(&self, queries: &[Query]) -> Result<Vec<QueryResult>, D1Error> {
        if queries.is_empty() {
            return Err(D1Error::Invalid("No SQL statements detected.".into()));
        }
        for q in queries {
            if is_blank(&q.sql) {
                return Err(D1Error::Invalid("No SQL statements detected.".into()));
            }
        }
        self.with_conn(|conn| {
            if let [single] = queries {
                if let Some(result) = read_only(conn, single)? {
                    return Ok(Some(vec![result]));
                }
            }
            Ok(None)
        })?
        .map_or_else(
            || {
                self.with_writer(|conn| {
                    let texts: Vec<&str> = queries.iter().map(|q| q.sql.as_str()).collect();
                    history::write(conn, &texts, |conn| {
                        queries
                            .iter()
                            .map(|q| run_statements(conn, &q.sql, &q.params))
                            .collect()
                    })
                })
            },
            Ok,
        )
    }

    /// Like [`D1Database::query`], without blocking on writes: a single
    /// read-only statement is answered at once on this thread; writes go to
    /// the writer thread, which commits every write queued meanwhile in one
    /// transaction (each in its own savepoint, so one failing write does not
    /// affect the others) and answers each once that commit is on disk.
    pub fn submit(&self, queries: Vec<Query>) -> Answer<Vec<QueryResult>> {
        if queries.is_empty() || queries.iter().any(|q| is_blank(&q.sql)) {
            return Answer::Now(Err(D1Error::Invalid("No SQL statements detected.".into())));
        }
        if let [single] = queries.as_slice() {
            match self.with_conn(|conn| read_only(conn, single)) {
                Ok(Some(result)) => return Answer::Now(Ok(vec![result])),
                Ok(None) => {}
                Err(e) => return Answer::Now(Err(e)),
            }
        }
        self.enqueue(move |conn| {
            let texts: Vec<&str> = queries.iter().map(|q| q.sql.as_str()).collect();
            history::write_in_savepoint(conn, &texts, |conn| {
                queries
                    .iter()
                    .map(|q| run_statements(conn, &q.sql, &q.params))
                    .collect()
            })
        })
    }

    /// [`D1Database::exec`] through the writer thread (see [`D1Database::submit`]).
    pub fn submit_exec(&self, sql: String) -> Answer<ExecResult> {
        let lines: Vec<String> = sql
            .trim()
            .split('\n')
            .filter(|l| !is_blank(l))
            .map(str::to_string)
            .collect();
        if lines.is_empty() {
            return Answer::Now(Err(D1Error::Invalid("No SQL statements detected.".into())));
        }
        self.enqueue(move |conn| {
            let texts: Vec<&str> = lines.iter().map(String::as_str).collect();
            history::write_in_savepoint(conn, &texts, |conn| exec_lines(conn, &texts))
        })
    }

    fn enqueue<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, D1Error> + Send + 'static,
    ) -> Answer<T> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let outcome = work(conn);
            Box::new(move |committed: Result<(), D1Error>| {
                let _ = tx.send(committed.and(outcome));
            })
        });
        match self.writer_queue() {
            Ok(queue) => match queue.send(job) {
                Ok(()) => Answer::Later(rx),
                Err(_) => Answer::Now(Err(D1Error::Storage("the D1 writer stopped".into()))),
            },
            Err(e) => Answer::Now(Err(e)),
        }
    }

    fn writer_queue(&self) -> Result<mpsc::Sender<Job>, D1Error> {
        let mut queue = self.inner.queue.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(q) = queue.as_ref() {
            return Ok(q.clone());
        }
        let (tx, rx) = mpsc::channel::<Job>();
        let conn = open_connection(&self.inner.path)?;
        let inner = Arc::downgrade(&self.inner);
        std::thread::Builder::new()
            .name("hearth-d1-writer".into())
            .spawn(move || write_groups(conn, rx, inner))
            .map_err(|e| D1Error::storage("cannot start the D1 writer", e))?;
        *queue = Some(tx.clone());
        Ok(tx)
    }

    /// `exec()`: each line is one query, without parameters, all in one
    /// transaction. Blank lines and comment-only lines are skipped.
    pub fn exec(&self, sql: &str) -> Result<ExecResult, D1Error> {
        let lines: Vec<&str> = sql.trim().split('\n').filter(|l| !is_blank(l)).collect();
        if lines.is_empty() {
            return Err(D1Error::Invalid("No SQL statements detected.".into()));
        }
        self.with_writer(|conn| history::write(conn, &lines, |conn| exec_lines(conn, &lines)))
    }

    /// A SQL script (`d1 execute --file`, a migration): every statement in
    /// order in one transaction, one result per statement. `then` runs in the
    /// same transaction after the last statement (a migration records itself there).
    pub fn script(
        &self,
        sql: &str,
        then: impl FnOnce(&Connection) -> Result<(), D1Error>,
    ) -> Result<Vec<QueryResult>, D1Error> {
        self.with_writer(|conn| {
            history::write(conn, &[sql], |conn| {
                let mut results = Vec::new();
                let mut batch = Batch::new(conn, sql);
                while let Some(mut stmt) = batch.next().map_err(D1Error::sqlite)? {
                    results.push(step(conn, &mut stmt, &[])?);
                }
                then(conn)?;
                Ok(results)
            })
        })
    }

    /// The bookmark of the database's latest committed write.
    pub fn bookmark(&self) -> Result<String, D1Error> {
        self.with_conn(history::current_bookmark)
    }
}

/// The writer thread: takes every queued write, runs them in one
/// transaction and commits once. It stops when the database is dropped.
fn write_groups(conn: Connection, rx: mpsc::Receiver<Job>, inner: std::sync::Weak<Inner>) {
    while let Ok(first) = rx.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let Some(inner) = inner.upgrade() else { return };
        let _writing = inner.writer.lock().unwrap_or_else(|e| e.into_inner());
        // After the busy timeout (another process holding the write lock
        // for 10 s), the group is dropped: each caller gets an error.
        if conn.execute_batch("BEGIN IMMEDIATE").is_err() {
            continue;
        }
        let delivers: Vec<Deliver> = group.into_iter().map(|job| job(&conn)).collect();
        let committed = conn.execute_batch("COMMIT").map_err(|e| {
            let _ = conn.execute_batch("ROLLBACK");
            D1Error::sqlite(e)
        });
        for deliver in delivers {
            deliver(committed.clone());
        }
    }
}

/// Runs `exec()`'s lines; an error names the line.
fn exec_lines(conn: &Connection, lines: &[&str]) -> Result<ExecResult, D1Error> {
    let mut duration = 0.0;
    for (i, line) in lines.iter().enumerate() {
        let result = run_statements(conn, line, &[]).map_err(|e| D1Error::Exec {
            line: i + 1,
            text: line.to_string(),
            message: e.to_string(),
        })?;
        duration += result.meta.duration;
    }
    Ok(ExecResult {
        count: lines.len(),
        duration,
    })
}

/// Whether `sql` holds nothing to run (whitespace and `--` comments only).
fn is_blank(sql: &str) -> bool {
    sql.lines().all(|line| {
        let t = line.trim();
        t.is_empty() || t.starts_with("--")
    })
}

fn open_connection(path: &Path) -> Result<Connection, D1Error> {
    let what = format!("cannot open the D1 database {}", path.display());
    let conn = Connection::open(path).map_err(|e| D1Error::storage(&what, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| D1Error::storage(&what, e))?;
    // WAL with synchronous=FULL: a commit is on disk when COMMIT returns,
    // so a write whose promise resolved survives kill -9 and power loss.
    // D1 enforces foreign keys.
    conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
        .map_err(|e| D1Error::storage(&what, e))?;
    history::ensure_table(&conn).map_err(|e| D1Error::storage(&what, e))?;
    // D1's limits are SQLite's: exceeding them gives SQLite's own messages
    // (`too many SQL variables`, `string or blob too big`, ...), as on Cloudflare.
    for (limit, value) in [
        (Limit::SQLITE_LIMIT_VARIABLE_NUMBER, MAX_PARAMS),
        (Limit::SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_LENGTH),
        (Limit::SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES),
        (Limit::SQLITE_LIMIT_COLUMN, 100),
        (Limit::SQLITE_LIMIT_ATTACHED, 0),
        (Limit::SQLITE_LIMIT_TRIGGER_DEPTH, 10),
        (Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 50),
        (Limit::SQLITE_LIMIT_COMPOUND_SELECT, 5),
    ] {
        conn.set_limit(limit, value)
            .map_err(|e| D1Error::storage(&what, e))?;
    }
    Ok(conn)
}

/// Runs a single read-only statement outside any transaction; `None` when
/// `q` writes or holds several statements.
fn read_only(conn: &Connection, q: &Query) -> Result<Option<QueryResult>, D1Error> {
    let mut stmt = match conn.prepare_cached(&q.sql) {
        Ok(stmt) => stmt,
        Err(rusqlite::Error::MultipleStatement) => return Ok(None),
        Err(e) => return Err(D1Error::sqlite(e)),
    };
    if !stmt.readonly() {
        return Ok(None);
    }
    step(conn, &mut stmt, &q.params).map(Some)
}

/// Runs every statement of `sql`; the result (and the parameters) are the
/// last statement's, as D1 does.
fn run_statements(conn: &Connection, sql: &str, params: &[Value]) -> Result<QueryResult, D1Error> {
    match conn.prepare_cached(sql) {
        Ok(mut stmt) => return step(conn, &mut stmt, params),
        Err(rusqlite::Error::MultipleStatement) => {}
        Err(e) => return Err(D1Error::sqlite(e)),
    }
    let started = Instant::now();
    let mut batch = Batch::new(conn, sql);
    let mut last: Option<QueryResult> = None;
    let mut bound = false;
    let mut totals = Meta::default();
    while let Some(mut stmt) = batch.next().map_err(D1Error::sqlite)? {
        if bound {
            return Err(D1Error::sqlite(rusqlite::Error::MultipleStatement));
        }
        let takes = stmt.parameter_count() > 0;
        let result = step(conn, &mut stmt, if takes { params } else { &[] })?;
        bound = takes;
        totals.changes += result.meta.changes;
        totals.rows_read += result.meta.rows_read;
        totals.rows_written += result.meta.rows_written;
        totals.changed_db |= result.meta.changed_db;
        last = Some(result);
    }
    let mut result = last.unwrap_or_default();
    result.meta.changes = totals.changes;
    result.meta.rows_read = totals.rows_read;
    result.meta.rows_written = totals.rows_written;
    result.meta.changed_db = totals.changed_db;
    result.meta.duration = started.elapsed().as_secs_f64() * 1000.0;
    result.meta.last_row_id = conn.last_insert_rowid();
    Ok(result)
}

/// Binds `params` to `stmt`, runs it to the end and measures it.
fn step(
    conn: &Connection,
    stmt: &mut rusqlite::Statement<'_>,
    params: &[Value],
) -> Result<QueryResult, D1Error> {
    let started = Instant::now();
    let expected = stmt.parameter_count();
    if params.len() != expected {
        return Err(D1Error::sqlite(rusqlite::Error::InvalidParameterCount(
            params.len(),
            expected,
        )));
    }
    let before = conn.total_changes();
    let size_before = size(conn);
    let scans_before = stmt.get_status(StatementStatus::FullscanStep);
    for (i, p) in params.iter().enumerate() {
        stmt.raw_bind_parameter(i + 1, p).map_err(D1Error::sqlite)?;
    }
    let columns: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
    let width = columns.len();
    let mut rows = Vec::new();
    {
        let mut cursor = stmt.raw_query();
        while let Some(row) = cursor.next().map_err(D1Error::sqlite)? {
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(Value::from_ref(row.get_ref(i).map_err(D1Error::sqlite)?));
            }
            rows.push(values);
        }
    }
    let scans = (stmt.get_status(StatementStatus::FullscanStep) - scans_before).max(0) as u64;
    let changes = conn.total_changes() - before;
    let size_after = size(conn);
    Ok(QueryResult {
        columns,
        meta: Meta {
            duration: started.elapsed().as_secs_f64() * 1000.0,
            changes,
            last_row_id: conn.last_insert_rowid(),
            rows_read: rows.len() as u64 + scans,
            rows_written: changes,
            size_after,
            changed_db: changes > 0 || size_after != size_before,
        },
        rows,
    })
}

/// The database's size in bytes.
fn size(conn: &Connection) -> u64 {
    let read = |pragma: &str| -> i64 {
        conn.prepare_cached(pragma)
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .unwrap_or(0)
    };
    (read("PRAGMA page_count") * read("PRAGMA page_size")) as u64
}

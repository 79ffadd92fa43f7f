//! Time travel: every committed write transaction is one entry of the
//! database's write history, and a bookmark names the state right after an
//! entry. `restore` brings the database back to any bookmark (or time) in
//! the retention window, and is itself a write that can be undone.
//!
//! Why this design: the history lives in the database itself
//! (`_cf_hearth_history`), written in the same transaction as the change it
//! records, so a crash can never leave data and history disagreeing. Most
//! writes store only SQLite's session changeset (the rows they changed),
//! which is small and inverts exactly. A changeset cannot undo schema
//! changes, nor see tables without a primary key, so a write that may change
//! the schema (its SQL contains CREATE, ALTER or DROP) or that runs while a
//! table without a primary key exists stores instead a snapshot of the whole
//! database as it was before the write. Restoring walks back from the newest
//! entry: to the state before the oldest snapshot entry after the target,
//! then inverts the changesets down to the target, all in one transaction.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::limits::Limit;
use rusqlite::session::{invert_strm, ConflictAction, ConflictType, Session};
use rusqlite::{params, Connection, OptionalExtension, MAIN_DB};

use crate::error::D1Error;
use crate::D1Database;

/// The history table (D1 keeps its own tables under `_cf_`, and export skips them).
const TABLE: &str = "_cf_hearth_history";
/// Default retention window: 7 days, as on D1's paid plan... and the issue asks.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// Environment variable setting the retention window in days (fractions allowed).
pub const RETENTION_ENV: &str = "HEARTH_D1_TIME_TRAVEL_DAYS";
/// Old entries are pruned every this many writes.
const PRUNE_EVERY: i64 = 64;

/// The retention window: [`RETENTION_ENV`], else [`DEFAULT_RETENTION`].
pub fn retention() -> Duration {
    std::env::var(RETENTION_ENV)
        .ok()
        .and_then(|d| d.trim().parse::<f64>().ok())
        .filter(|d| d.is_finite() && *d >= 0.0)
        .map(|d| Duration::from_secs_f64(d * 86_400.0))
        .unwrap_or(DEFAULT_RETENTION)
}

pub(crate) fn ensure_table(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {TABLE} (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at_ms INTEGER NOT NULL,
            changeset BLOB,
            snapshot BLOB
        )"
    ))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A bookmark: the entry's sequence number and commit time, both in hex so
/// that later bookmarks sort after earlier ones (workerd compares them as strings).
fn bookmark(seq: i64, at_ms: i64) -> String {
    format!("{seq:016x}-{at_ms:016x}")
}

fn parse_bookmark(s: &str) -> Option<(i64, i64)> {
    let (seq, at) = s.trim().split_once('-')?;
    Some((
        i64::from_str_radix(seq, 16).ok()?,
        i64::from_str_radix(at, 16).ok()?,
    ))
}

pub(crate) fn current_bookmark(conn: &Connection) -> Result<String, D1Error> {
    let latest: Option<(i64, i64)> = conn
        .prepare_cached(&format!(
            "SELECT seq, at_ms FROM {TABLE} ORDER BY seq DESC LIMIT 1"
        ))
        .and_then(|mut s| s.query_row([], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(D1Error::sqlite)?;
    let (seq, at) = latest.unwrap_or((0, 0));
    Ok(bookmark(seq, at))
}

/// Whether the write must be recorded as a snapshot (see the module docs).
fn needs_snapshot(conn: &Connection, texts: &[&str]) -> Result<bool, D1Error> {
    let ddl = texts.iter().any(|t| {
        t.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .any(|w| {
                w.eq_ignore_ascii_case("create")
                    || w.eq_ignore_ascii_case("alter")
                    || w.eq_ignore_ascii_case("drop")
            })
    });
    if ddl {
        return Ok(true);
    }
    let unkeyed: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM sqlite_master m WHERE m.type = 'table'
               AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND substr(m.name, 1, 4) <> '_cf_'
               AND NOT EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE pk > 0)",
        )
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .map_err(D1Error::sqlite)?;
    Ok(unkeyed > 0)
}

fn schema_version(conn: &Connection) -> Result<i64, D1Error> {
    conn.prepare_cached("PRAGMA schema_version")
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .map_err(D1Error::sqlite)
}

/// The user's tables, indexes, views and triggers (not the history) as a
/// database image, as this connection sees them.
fn snapshot(conn: &Connection) -> Result<Vec<u8>, D1Error> {
    let image = Connection::open_in_memory().map_err(D1Error::sqlite)?;
    copy_schema_and_rows(conn, &image)?;
    let data = image.serialize(MAIN_DB).map_err(D1Error::sqlite)?;
    Ok(data.to_vec())
}

/// Creates `from`'s user objects in `to` (which has none) and copies their rows.
fn copy_schema_and_rows(from: &Connection, to: &Connection) -> Result<(), D1Error> {
    let user = "name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND substr(name, 1, 4) <> '_cf_'";
    let objects: Vec<(String, String, String)> = {
        let mut stmt = from
            .prepare(&format!(
                "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND {user} ORDER BY rowid"
            ))
            .map_err(D1Error::sqlite)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(D1Error::sqlite)?;
        rows.collect::<Result<_, _>>().map_err(D1Error::sqlite)?
    };
    for (_, name, sql) in objects.iter().filter(|(kind, _, _)| kind == "table") {
        to.execute_batch(sql).map_err(D1Error::sqlite)?;
        copy_rows(from, to, name)?;
    }
    for (_, _, sql) in objects.iter().filter(|(kind, _, _)| kind != "table") {
        to.execute_batch(sql).map_err(D1Error::sqlite)?;
    }
    let has_sequence = |c: &Connection| -> Result<bool, D1Error> {
        c.query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n > 0)
        .map_err(D1Error::sqlite)
    };
    if has_sequence(to)? && has_sequence(from)? {
        to.execute_batch("DELETE FROM sqlite_sequence WHERE substr(name, 1, 4) <> '_cf_'")
            .map_err(D1Error::sqlite)?;
        copy_rows(from, to, "sqlite_sequence")?;
    }
    Ok(())
}

/// Runs `f` in one `BEGIN IMMEDIATE` transaction, recording it in the
/// history; commits if `f` succeeds (on disk when this returns), else rolls back.
pub(crate) fn write<R>(
    conn: &Connection,
    texts: &[&str],
    f: impl FnOnce(&Connection) -> Result<R, D1Error>,
) -> Result<R, D1Error> {
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(D1Error::sqlite)?;
    match recorded(conn, texts, f) {
        Ok(out) => match conn.execute_batch("COMMIT") {
            Ok(()) => Ok(out),
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                Err(D1Error::sqlite(e))
            }
        },
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Runs `f` inside a savepoint of the caller's transaction, recording it as
/// one history entry; a failure rolls back to the savepoint only.
pub(crate) fn write_in_savepoint<R>(
    conn: &Connection,
    texts: &[&str],
    f: impl FnOnce(&Connection) -> Result<R, D1Error>,
) -> Result<R, D1Error> {
    conn.execute_batch("SAVEPOINT d1_write")
        .map_err(D1Error::sqlite)?;
    let result = recorded(conn, texts, f);
    if result.is_err() {
        let _ = conn.execute_batch("ROLLBACK TO d1_write");
    }
    conn.execute_batch("RELEASE d1_write")
        .map_err(D1Error::sqlite)?;
    result
}

/// Runs `f` inside the caller's transaction and records what it changed.
fn recorded<R>(
    conn: &Connection,
    texts: &[&str],
    f: impl FnOnce(&Connection) -> Result<R, D1Error>,
) -> Result<R, D1Error> {
    let schema_before = schema_version(conn)?;
    let before = if needs_snapshot(conn, texts)? {
        Some(snapshot(conn)?)
    } else {
        None
    };
    let changes_before = conn.total_changes();
    let mut session = Session::new(conn).map_err(D1Error::sqlite)?;
    session.table_filter(Some(|t: &str| !t.starts_with("_cf_")));
    session.attach::<&str>(None).map_err(D1Error::sqlite)?;
    let out = f(conn)?;
    let mut changeset = Vec::new();
    if before.is_none() {
        session
            .changeset_strm(&mut changeset)
            .map_err(D1Error::sqlite)?;
    }
    drop(session);
    // A snapshot is kept only if the write changed something (not for
    // a `CREATE TABLE IF NOT EXISTS` of a table that exists).
    let before = match before {
        Some(image)
            if conn.total_changes() != changes_before || schema_version(conn)? != schema_before =>
        {
            Some(image)
        }
        _ => None,
    };
    if before.is_some() || !changeset.is_empty() {
        record(conn, (!changeset.is_empty()).then_some(changeset), before)?;
    }
    Ok(out)
}

fn record(
    conn: &Connection,
    changeset: Option<Vec<u8>>,
    snapshot: Option<Vec<u8>>,
) -> Result<(), D1Error> {
    let now = now_ms();
    // The history's own blobs are not bound by D1's 2 MB value limit.
    conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, i32::MAX)
        .map_err(D1Error::sqlite)?;
    let inserted = conn
        .prepare_cached(&format!(
            "INSERT INTO {TABLE} (at_ms, changeset, snapshot) VALUES (?1, ?2, ?3)"
        ))
        .and_then(|mut s| s.execute(params![now, changeset, snapshot]));
    conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, crate::MAX_VALUE_BYTES)
        .map_err(D1Error::sqlite)?;
    inserted.map_err(D1Error::sqlite)?;
    if conn.last_insert_rowid() % PRUNE_EVERY == 0 {
        prune(conn, now)?;
    }
    Ok(())
}

/// Forgets the entries older than the retention window.
fn prune(conn: &Connection, now: i64) -> Result<(), D1Error> {
    let cutoff = now - retention().as_millis() as i64;
    conn.execute(&format!("DELETE FROM {TABLE} WHERE at_ms < ?1"), [cutoff])
        .map_err(D1Error::sqlite)?;
    Ok(())
}

/// What `time-travel info` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    /// The bookmark of the state at the requested time (or now).
    pub bookmark: String,
    /// The oldest bookmark still restorable.
    pub oldest: String,
    /// Entries in the window.
    pub entries: u64,
}

/// The bookmark of the state at `at_ms` (unix milliseconds), or of now.
pub fn info(db: &D1Database, at_ms: Option<i64>) -> Result<Info, D1Error> {
    db.with_conn(|conn| {
        prune(conn, now_ms())?;
        let (oldest, entries) = oldest(conn)?;
        let bookmark = match at_ms {
            None => current_bookmark(conn)?,
            Some(t) => bookmark_at(conn, t)?,
        };
        Ok(Info {
            bookmark,
            oldest,
            entries,
        })
    })
}

/// The oldest restorable bookmark (the state before the oldest entry kept) and the entry count.
fn oldest(conn: &Connection) -> Result<(String, u64), D1Error> {
    let (min, count): (Option<i64>, i64) = conn
        .query_row(
            &format!("SELECT min(seq), count(*) FROM {TABLE}"),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(D1Error::sqlite)?;
    let oldest = match min {
        None => current_bookmark(conn)?,
        Some(min) => {
            let at: Option<i64> = conn
                .query_row(
                    &format!("SELECT at_ms FROM {TABLE} WHERE seq = ?1"),
                    [min - 1],
                    |r| r.get(0),
                )
                .optional()
                .map_err(D1Error::sqlite)?;
            bookmark(min - 1, at.unwrap_or(0))
        }
    };
    Ok((oldest, count as u64))
}

fn bookmark_at(conn: &Connection, at_ms: i64) -> Result<String, D1Error> {
    let window_start = now_ms() - retention().as_millis() as i64;
    if at_ms < window_start {
        return Err(D1Error::Invalid(format!(
            "the timestamp is older than the time-travel retention window ({} days; set {RETENTION_ENV} to change it)",
            retention().as_secs_f64() / 86_400.0
        )));
    }
    if at_ms > now_ms() {
        return Err(D1Error::Invalid("the timestamp is in the future".into()));
    }
    let found: Option<(i64, i64)> = conn
        .query_row(
            &format!("SELECT seq, at_ms FROM {TABLE} WHERE at_ms <= ?1 ORDER BY seq DESC LIMIT 1"),
            [at_ms],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(D1Error::sqlite)?;
    match found {
        Some((seq, at)) => Ok(bookmark(seq, at)),
        // Before every kept entry: the state before the oldest one.
        None => Ok(oldest(conn)?.0),
    }
}

/// A history row: sequence number, changeset, snapshot.
type Entry = (i64, Option<Vec<u8>>, Option<Vec<u8>>);

/// What `restore` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The bookmark restored to.
    pub bookmark: String,
    /// The bookmark just before the restore: restore to it to undo.
    pub previous: String,
}

/// Where to restore to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A bookmark from `getBookmark()`, `info` or an earlier restore.
    Bookmark(String),
    /// A time, unix milliseconds.
    Timestamp(i64),
}

/// Restores the database to `target`, in one transaction recorded as a new
/// history entry (so it can be undone by restoring to [`Restored::previous`]).
pub fn restore(db: &D1Database, target: &Target) -> Result<Restored, D1Error> {
    db.with_writer(|conn| {
        conn.execute_batch("BEGIN IMMEDIATE")
            .map_err(D1Error::sqlite)?;
        let result = restore_in(conn, target);
        match result {
            Ok(r) => {
                conn.execute_batch("COMMIT").map_err(|e| {
                    let _ = conn.execute_batch("ROLLBACK");
                    D1Error::sqlite(e)
                })?;
                Ok(r)
            }
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    })
}

fn restore_in(conn: &Connection, target: &Target) -> Result<Restored, D1Error> {
    prune(conn, now_ms())?;
    let wanted = match target {
        Target::Bookmark(b) => b.clone(),
        Target::Timestamp(t) => bookmark_at(conn, *t)?,
    };
    let (seq, _) = parse_bookmark(&wanted)
        .ok_or_else(|| D1Error::Invalid(format!("'{wanted}' is not a bookmark")))?;
    let previous = current_bookmark(conn)?;
    let (current, _) = parse_bookmark(&previous).expect("our own bookmark");
    let (min, _) = conn
        .query_row(&format!("SELECT min(seq), 0 FROM {TABLE}"), [], |r| {
            Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, i64>(1)?))
        })
        .map_err(D1Error::sqlite)?;
    let oldest = min.map(|m| m - 1).unwrap_or(current);
    if seq > current || seq < oldest {
        return Err(D1Error::Invalid(format!(
            "bookmark '{wanted}' is not in the time-travel window (oldest {}, newest {previous})",
            oldest_text(conn)?
        )));
    }
    let before = snapshot(conn)?;
    // Newest first: the oldest snapshot entry after the target gives the
    // state before it; changesets after that one are skipped.
    let entries: Vec<Entry> = {
        let mut stmt = conn
            .prepare(&format!(
                "SELECT seq, changeset, snapshot FROM {TABLE} WHERE seq > ?1 ORDER BY seq DESC"
            ))
            .map_err(D1Error::sqlite)?;
        let rows = stmt
            .query_map([seq], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(D1Error::sqlite)?;
        rows.collect::<Result<_, _>>().map_err(D1Error::sqlite)?
    };
    let first_snapshot = entries.iter().rposition(|(_, _, s)| s.is_some());
    let start = match first_snapshot {
        Some(i) => {
            replace_contents(conn, entries[i].2.as_deref().expect("a snapshot entry"))?;
            i + 1
        }
        None => 0,
    };
    for (_, changeset, _) in &entries[start..] {
        if let Some(cs) = changeset {
            let mut inverted = Vec::new();
            invert_strm(&mut &cs[..], &mut inverted).map_err(D1Error::sqlite)?;
            conn.apply_strm(
                &mut &inverted[..],
                None::<fn(&str) -> bool>,
                |kind, _item| match kind {
                    ConflictType::SQLITE_CHANGESET_DATA
                    | ConflictType::SQLITE_CHANGESET_CONFLICT => {
                        ConflictAction::SQLITE_CHANGESET_REPLACE
                    }
                    _ => ConflictAction::SQLITE_CHANGESET_OMIT,
                },
            )
            .map_err(D1Error::sqlite)?;
        }
    }
    record(conn, None, Some(before))?;
    Ok(Restored {
        bookmark: wanted,
        previous,
    })
}

fn oldest_text(conn: &Connection) -> Result<String, D1Error> {
    Ok(oldest(conn)?.0)
}

/// Replaces every user table, index, view and trigger with those of the
/// database image `image`, inside the caller's transaction.
fn replace_contents(conn: &Connection, image: &[u8]) -> Result<(), D1Error> {
    let mut image = image.to_vec();
    // An image of a WAL database says so in its header; an in-memory copy
    // must read as a rollback-journal database.
    if image.len() > 19 {
        image[18] = 1;
        image[19] = 1;
    }
    let mut snap = Connection::open_in_memory().map_err(D1Error::sqlite)?;
    let len = image.len();
    snap.deserialize_read_exact(MAIN_DB, &image[..], len, true)
        .map_err(D1Error::sqlite)?;
    conn.execute_batch("PRAGMA defer_foreign_keys = ON")
        .map_err(D1Error::sqlite)?;
    let user = "name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND substr(name, 1, 4) <> '_cf_'";
    let existing: Vec<(String, String)> = {
        let mut stmt = conn
            .prepare(&format!(
                "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view') AND {user}"
            ))
            .map_err(D1Error::sqlite)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(D1Error::sqlite)?;
        rows.collect::<Result<_, _>>().map_err(D1Error::sqlite)?
    };
    for (kind, name) in existing {
        let kind = if kind == "view" { "VIEW" } else { "TABLE" };
        conn.execute_batch(&format!("DROP {kind} IF EXISTS {}", quote(&name)))
            .map_err(D1Error::sqlite)?;
    }
    copy_schema_and_rows(&snap, conn)
}

/// Copies every row of `table` from `from` into the (empty) same table of `to`.
fn copy_rows(from: &Connection, to: &Connection, table: &str) -> Result<(), D1Error> {
    let columns: Vec<String> = {
        let mut stmt = from
            .prepare("SELECT name FROM pragma_table_xinfo(?1) WHERE hidden = 0 ORDER BY cid")
            .map_err(D1Error::sqlite)?;
        let rows = stmt
            .query_map([table], |r| r.get(0))
            .map_err(D1Error::sqlite)?;
        rows.collect::<Result<_, _>>().map_err(D1Error::sqlite)?
    };
    if columns.is_empty() {
        return Ok(());
    }
    let list = columns
        .iter()
        .map(|c| quote(c))
        .collect::<Vec<_>>()
        .join(", ");
    let marks = (1..=columns.len())
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let filter = if table == "sqlite_sequence" {
        " WHERE substr(name, 1, 4) <> '_cf_'"
    } else {
        ""
    };
    let mut read = from
        .prepare(&format!("SELECT {list} FROM {}{filter}", quote(table)))
        .map_err(D1Error::sqlite)?;
    let mut write = to
        .prepare(&format!(
            "INSERT INTO {} ({list}) VALUES ({marks})",
            quote(table)
        ))
        .map_err(D1Error::sqlite)?;
    let mut rows = read.query([]).map_err(D1Error::sqlite)?;
    while let Some(row) = rows.next().map_err(D1Error::sqlite)? {
        for i in 0..columns.len() {
            let v = row.get_ref(i).map_err(D1Error::sqlite)?;
            write
                .raw_bind_parameter(i + 1, crate::Value::from_ref(v))
                .map_err(D1Error::sqlite)?;
        }
        write.raw_execute().map_err(D1Error::sqlite)?;
    }
    Ok(())
}

/// `"name"` with inner quotes doubled.
pub(crate) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

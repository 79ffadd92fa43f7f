//! The natives behind the Cache API (`caches.default`, `caches.open(name)`).
//!
//! Entries live in one SQLite database per state folder,
//! `<state_dir>/cache/cache.sqlite`, so they survive a restart with the same
//! `--persist-to`. JavaScript (`cache.js`) decides what may be stored
//! and for how long (Cache-Control, Expires, Set-Cookie); this side stores
//! bodies with their absolute expiry time and never returns an expired entry.
//! Writes are committed before the call returns, so a resolved `put()` is durable.

use crate::host::bytes::{new_u8, require_bytes};
use crate::host::event_loop::current;
use rquickjs::{Array, Ctx, Exception, Function, Object, Value};
use rusqlite::{params, Connection, OptionalExtension};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

thread_local! {
    /// One connection per database file per thread (SQLite in WAL mode lets
    /// every core's connection read while one writes).
    static CONNECTIONS: RefCell<HashMap<PathBuf, Connection>> = RefCell::new(HashMap::new());
}

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("cachePut", Function::new(ctx.clone(), cache_put)?)?;
    native.set("cacheMatch", Function::new(ctx.clone(), cache_match)?)?;
    native.set("cacheDelete", Function::new(ctx.clone(), cache_delete)?)?;
    Ok(())
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as i64
}

fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS entries (
            cache TEXT NOT NULL,
            url TEXT NOT NULL,
            status INTEGER NOT NULL,
            status_text TEXT NOT NULL,
            headers TEXT NOT NULL,
            body BLOB NOT NULL,
            expires_at INTEGER NOT NULL,
            PRIMARY KEY (cache, url)
        ) WITHOUT ROWID;",
    )?;
    Ok(conn)
}

/// Runs `f` on this thread's connection to the worker's cache database.
fn with_db<'js, R>(
    ctx: &Ctx<'js>,
    f: impl FnOnce(&Connection) -> rusqlite::Result<R>,
) -> rquickjs::Result<R> {
    let dir = current().worker.state_dir().join("cache");
    let path = dir.join("cache.sqlite");
    let fail = |e: String| Exception::throw_internal(ctx, &format!("Cache API storage: {e}"));
    CONNECTIONS.with(|c| {
        let mut conns = c.borrow_mut();
        if !conns.contains_key(&path) {
            std::fs::create_dir_all(&dir)
                .map_err(|e| fail(format!("cannot create {}: {e}", dir.display())))?;
            let conn = open(&path).map_err(|e| fail(format!("{}: {e}", path.display())))?;
            conns.insert(path.clone(), conn);
        }
        let conn = &conns[&path];
        f(conn).map_err(|e| fail(format!("{}: {e}", path.display())))
    })
}

/// `key` is `[cache name, url, statusText]`.
fn cache_put<'js>(
    ctx: Ctx<'js>,
    key: Vec<String>,
    status: u16,
    headers: Vec<String>,
    body: Value<'js>,
    expires_at: f64,
) -> rquickjs::Result<()> {
    let body = if body.is_null() || body.is_undefined() {
        Vec::new()
    } else {
        require_bytes(&ctx, &body, "cached response body")?
    };
    let [cache, url, status_text]: [String; 3] = key
        .try_into()
        .map_err(|_| Exception::throw_type(&ctx, "cachePut: bad key"))?;
    let headers = serde_json::to_string(&headers).unwrap_or_else(|_| "[]".into());
    with_db(&ctx, |db| {
        db.execute(
            "INSERT OR REPLACE INTO entries (cache, url, status, status_text, headers, body, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![cache, url, status, status_text, headers, body, expires_at as i64],
        )?;
        // Opportunistic clean-up of what has expired in this cache.
        db.execute(
            "DELETE FROM entries WHERE cache = ?1 AND expires_at <= ?2",
            params![cache, now_ms()],
        )?;
        Ok(())
    })
}

/// `[status, statusText, headers, body]` of a live entry, or `null`.
fn cache_match<'js>(ctx: Ctx<'js>, cache: String, url: String) -> rquickjs::Result<Value<'js>> {
    type Row = (u16, String, String, Vec<u8>, i64);
    let row: Option<Row> = with_db(&ctx, |db| {
        db.query_row(
            "SELECT status, status_text, headers, body, expires_at FROM entries WHERE cache = ?1 AND url = ?2",
            params![cache, url],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()
    })?;
    let Some((status, status_text, headers, body, expires_at)) = row else {
        return Ok(Value::new_null(ctx));
    };
    if expires_at <= now_ms() {
        with_db(&ctx, |db| {
            db.execute(
                "DELETE FROM entries WHERE cache = ?1 AND url = ?2 AND expires_at <= ?3",
                params![cache, url, now_ms()],
            )
        })?;
        return Ok(Value::new_null(ctx));
    }
    let headers: Vec<String> = serde_json::from_str(&headers).unwrap_or_default();
    let out = Array::new(ctx.clone())?;
    out.set(0, status)?;
    out.set(1, status_text)?;
    out.set(2, headers)?;
    out.set(3, new_u8(&ctx, body)?)?;
    out.set(4, expires_at as f64)?;
    Ok(out.into_value())
}

/// Removes an entry; `true` if a live one was there.
fn cache_delete(ctx: Ctx<'_>, cache: String, url: String) -> rquickjs::Result<bool> {
    with_db(&ctx, |db| {
        let live = db.execute(
            "DELETE FROM entries WHERE cache = ?1 AND url = ?2 AND expires_at > ?3",
            params![cache, url, now_ms()],
        )?;
        db.execute(
            "DELETE FROM entries WHERE cache = ?1 AND url = ?2",
            params![cache, url],
        )?;
        Ok(live > 0)
    })
}

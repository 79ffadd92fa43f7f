//! The process-wide index of scheduled alarms, so alarms fire after a restart
//! without opening every object's database.

use rusqlite::{params, Connection};
use std::path::Path;
use std::sync::Mutex;

/// One scheduled alarm.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledAlarm {
    /// The object's class.
    pub class: String,
    /// The object's id (hex).
    pub id: String,
    /// The name the id was derived from, if known.
    pub name: Option<String>,
    /// When to fire, in ms since the epoch.
    pub time: f64,
}

/// Alarms of every object, in `<state>/do/alarms.sqlite3`.
pub struct AlarmIndex {
    conn: Mutex<Connection>,
}

impl AlarmIndex {
    /// Opens (creating) the index in `dir`.
    pub fn open(dir: &Path) -> rusqlite::Result<AlarmIndex> {
        let _ = std::fs::create_dir_all(dir);
        let conn = Connection::open(dir.join("alarms.sqlite3"))?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL;
             PRAGMA synchronous=FULL;
             PRAGMA busy_timeout=5000;
             CREATE TABLE IF NOT EXISTS alarms (class TEXT NOT NULL, id TEXT NOT NULL, name TEXT, time REAL NOT NULL, PRIMARY KEY (class, id));",
        )?;
        Ok(AlarmIndex {
            conn: Mutex::new(conn),
        })
    }

    /// Records (or clears, with `None`) an object's alarm.
    pub fn set(
        &self,
        class: &str,
        id: &str,
        name: Option<&str>,
        time: Option<f64>,
    ) -> rusqlite::Result<()> {
        let conn = self.conn.lock().expect("alarm index poisoned");
        match time {
            Some(t) => conn.execute(
                "INSERT INTO alarms (class, id, name, time) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(class, id) DO UPDATE SET time = excluded.time, name = COALESCE(excluded.name, name)",
                params![class, id, name, t],
            )?,
            None => conn.execute("DELETE FROM alarms WHERE class = ?1 AND id = ?2", params![class, id])?,
        };
        Ok(())
    }

    /// Every scheduled alarm.
    pub fn all(&self) -> rusqlite::Result<Vec<ScheduledAlarm>> {
        let conn = self.conn.lock().expect("alarm index poisoned");
        let mut st = conn.prepare("SELECT class, id, name, time FROM alarms ORDER BY time")?;
        let rows = st.query_map([], |r| {
            Ok(ScheduledAlarm {
                class: r.get(0)?,
                id: r.get(1)?,
                name: r.get(2)?,
                time: r.get(3)?,
            })
        })?;
        rows.collect()
    }
}

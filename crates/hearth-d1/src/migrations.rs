//! `d1 migrations`: numbered `.sql` files in `migrations_dir`, applied in
//! order and recorded in the migrations table as wrangler keeps it.

use std::path::{Path, PathBuf};

use crate::error::D1Error;
use crate::history::quote;
use crate::D1Database;

/// Default folder of migration files, relative to the project.
pub const DEFAULT_DIR: &str = "migrations";
/// Default table recording applied migrations.
pub const DEFAULT_TABLE: &str = "d1_migrations";

/// The `.sql` files of `dir` by name, ordered by their number prefix
/// (then by name), as wrangler orders them.
pub fn files(dir: &Path) -> Result<Vec<String>, D1Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(D1Error::storage(
                &format!("cannot read {}", dir.display()),
                e,
            ))
        }
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    let number = |n: &str| -> u64 {
        n.split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|d| d.parse().ok())
            .unwrap_or(u64::MAX)
    };
    names.sort_by(|a, b| number(a).cmp(&number(b)).then_with(|| a.cmp(b)));
    Ok(names)
}

/// The names recorded in `table` (created if missing), in order.
pub fn applied(db: &D1Database, table: &str) -> Result<Vec<String>, D1Error> {
    db.script(&create_table(table), |_| Ok(()))?;
    let rows = db.query(&[crate::Query {
        sql: format!("SELECT name FROM {} ORDER BY id", quote(table)),
        params: Vec::new(),
    }])?;
    Ok(rows[0]
        .rows
        .iter()
        .filter_map(|r| match &r[0] {
            crate::Value::Text(s) => Some(s.clone()),
            _ => None,
        })
        .collect())
}

/// Files of `dir` not recorded in `table` yet.
pub fn unapplied(db: &D1Database, dir: &Path, table: &str) -> Result<Vec<String>, D1Error> {
    let done = applied(db, table)?;
    Ok(files(dir)?
        .into_iter()
        .filter(|f| !done.contains(f))
        .collect())
}

/// Applies migration `name` from `dir`: its statements and its record in
/// `table`, in one transaction; a failure leaves neither behind.
pub fn apply(db: &D1Database, dir: &Path, table: &str, name: &str) -> Result<(), D1Error> {
    let path = dir.join(name);
    let sql = std::fs::read_to_string(&path)
        .map_err(|e| D1Error::storage(&format!("cannot read {}", path.display()), e))?;
    let insert = format!("INSERT INTO {} (name) VALUES (?1)", quote(table));
    db.script(&sql, |conn| {
        conn.execute(&insert, [name]).map_err(D1Error::sqlite)?;
        Ok(())
    })?;
    Ok(())
}

/// Writes the next numbered migration file, as `wrangler d1 migrations create`.
pub fn create(dir: &Path, message: &str, now_iso: &str) -> Result<PathBuf, D1Error> {
    std::fs::create_dir_all(dir)
        .map_err(|e| D1Error::storage(&format!("cannot create {}", dir.display()), e))?;
    let next = files(dir)?
        .iter()
        .filter_map(|n| n.split('_').next().and_then(|d| d.parse::<u64>().ok()))
        .max()
        .unwrap_or(0)
        + 1;
    let number = format!("{next:04}");
    let path = dir.join(format!("{number}_{}.sql", message.replace(' ', "_")));
    std::fs::write(
        &path,
        format!("-- Migration number: {number} \t {now_iso}\n"),
    )
    .map_err(|e| D1Error::storage(&format!("cannot write {}", path.display()), e))?;
    Ok(path)
}

fn create_table(table: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {}(
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		name       TEXT UNIQUE,
		applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);",
        quote(table)
    )
}

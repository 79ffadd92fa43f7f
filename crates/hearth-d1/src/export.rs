//! The database as SQL text, in the shape `wrangler d1 export` writes
//! (SQLite shell's `.dump` order): schema and rows of each table, then
//! indexes, triggers and views. D1's own `_cf_` tables are left out.

use crate::error::D1Error;
use crate::history::quote;
use crate::{D1Database, Value};

/// What to include.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Leave out `CREATE` statements.
    pub no_schema: bool,
    /// Leave out rows.
    pub no_data: bool,
    /// Only these tables (all when empty).
    pub tables: Vec<String>,
}

/// The SQL text.
pub fn dump(db: &D1Database, options: &Options) -> Result<String, D1Error> {
    db.with_conn(|conn| {
        let mut out = String::from("PRAGMA defer_foreign_keys=TRUE;\n");
        let objects: Vec<(String, String, String)> = {
            let mut stmt = conn
                .prepare(
                    "SELECT type, name, sql FROM sqlite_master WHERE sql NOT NULL
                     ORDER BY type <> 'table', tbl_name = 'sqlite_sequence', rowid",
                )
                .map_err(D1Error::sqlite)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .map_err(D1Error::sqlite)?;
            rows.collect::<Result<_, _>>().map_err(D1Error::sqlite)?
        };
        let wanted =
            |name: &str| options.tables.is_empty() || options.tables.iter().any(|t| t == name);
        for (kind, name, sql) in &objects {
            if name.starts_with("_cf_") || !wanted(name) {
                continue;
            }
            if kind != "table" {
                if !options.no_schema && !name.starts_with("sqlite_") {
                    out.push_str(&format!("{sql};\n"));
                }
                continue;
            }
            if name == "sqlite_sequence" {
                if !options.no_schema {
                    out.push_str("DELETE FROM sqlite_sequence;\n");
                }
            } else if name.starts_with("sqlite_") {
                continue;
            } else if sql.starts_with("CREATE VIRTUAL TABLE") {
                return Err(D1Error::Invalid(
                    "D1 Export error: cannot export databases with Virtual Tables (fts5)".into(),
                ));
            } else if !options.no_schema {
                // As SQLite's shell (and wrangler): a quoted table name gets IF NOT EXISTS.
                match sql.strip_prefix("CREATE TABLE ") {
                    Some(rest) if rest.starts_with(['"', '\'']) => {
                        out.push_str(&format!("CREATE TABLE IF NOT EXISTS {rest};\n"))
                    }
                    _ => out.push_str(&format!("{sql};\n")),
                }
            }
            if options.no_data {
                continue;
            }
            let columns: Vec<String> = {
                let mut stmt = conn
                    .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")
                    .map_err(D1Error::sqlite)?;
                let rows = stmt
                    .query_map([name], |r| r.get(0))
                    .map_err(D1Error::sqlite)?;
                rows.collect::<Result<_, _>>().map_err(D1Error::sqlite)?
            };
            let list = columns
                .iter()
                .map(|c| quote(c))
                .collect::<Vec<_>>()
                .join(",");
            // D1's own counters (`_cf_` tables) stay out of sqlite_sequence too.
            let filter = if name == "sqlite_sequence" {
                " WHERE substr(name, 1, 4) <> '_cf_'"
            } else {
                ""
            };
            let mut stmt = conn
                .prepare(&format!("SELECT {list} FROM {}{filter}", quote(name)))
                .map_err(D1Error::sqlite)?;
            let mut rows = stmt.query([]).map_err(D1Error::sqlite)?;
            while let Some(row) = rows.next().map_err(D1Error::sqlite)? {
                let cells: Vec<String> = (0..columns.len())
                    .map(|i| row.get_ref(i).map(|v| literal(&Value::from_ref(v))))
                    .collect::<Result<_, _>>()
                    .map_err(D1Error::sqlite)?;
                out.push_str(&format!(
                    "INSERT INTO {} ({list}) VALUES({});\n",
                    quote(name),
                    cells.join(",")
                ));
            }
        }
        Ok(out)
    })
}

/// A value as an SQL literal.
fn literal(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => format!("{f:?}"),
        Value::Text(s) => format!("'{}'", s.replace('\'', "''")),
        Value::Blob(b) => format!(
            "X'{}'",
            b.iter().map(|x| format!("{x:02x}")).collect::<String>()
        ),
    }
}

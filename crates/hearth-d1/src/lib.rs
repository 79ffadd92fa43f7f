//! D1 databases for hearth, knowing nothing of JavaScript.
//!
//! * [`D1Database`] — one SQLite database per binding under the state folder
//!   (`<state>/d1/<id>.sqlite3`, WAL journal, `synchronous=FULL`: a write
//!   has reached the disk when the call returns), queried as D1 does:
//!   statements with positional parameters, a batch in one transaction
//!   rolled back on error, `exec` line by line, results with D1's `meta`;
//! * [`Value`] — D1's values (integers, reals, text, blobs, null);
//! * [`migrations`] — wrangler's `d1 migrations` over the `d1_migrations` table;
//! * [`history`] — time travel: every write transaction is a bookmark that
//!   the database can be restored to within the retention window;
//! * [`export`] — the database as SQL text, as `wrangler d1 export` writes it.
//!
//! Several processes may open the same database at once (`hearth dev` and
//! `hearth d1 execute`): SQLite's locks and a busy timeout serialize writers.

#![warn(missing_docs)]

mod db;
mod error;
pub mod export;
pub mod history;
pub mod migrations;
mod value;

pub use db::{
    database_file, Answer, D1Database, ExecResult, Meta, Query, QueryResult, BUSY_TIMEOUT,
    MAX_PARAMS, MAX_SQL_LENGTH, MAX_VALUE_BYTES,
};
pub use error::D1Error;
pub use value::Value;

#[cfg(test)]
mod tests;

//! What `ctx.storage.sql.exec()` may do, decided by SQLite's authorizer as
//! Cloudflare decides it: statements on the object's own database only (no
//! `ATTACH`, no temporary tables), no transaction statements (the storage
//! API owns transactions), the read-only and harmless `PRAGMA`s Cloudflare
//! allows, and nothing that touches the runtime's own tables (`_cf_*`,
//! `_hearth_*`). hearth's own statements run unchecked.

use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::Connection;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;

/// Why the last refused statement was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// `BEGIN`, `COMMIT`, `SAVEPOINT`, ...
    Transaction,
    /// Anything else the rules above refuse.
    Other,
}

/// The authorizer installed on an object's connection, and the switch that
/// applies it to user SQL only.
#[derive(Clone)]
pub(crate) struct SqlGuard {
    state: Arc<State>,
}

struct State {
    /// Set while user SQL is prepared.
    untrusted: AtomicBool,
    /// 0: none, 1: transaction, 2: other.
    refused: AtomicU8,
}

impl SqlGuard {
    /// Installs the authorizer on `conn`.
    pub(crate) fn install(conn: &Connection) -> SqlGuard {
        let state = Arc::new(State {
            untrusted: AtomicBool::new(false),
            refused: AtomicU8::new(0),
        });
        let seen = state.clone();
        conn.authorizer(Some(move |ctx: AuthContext<'_>| {
            if !seen.untrusted.load(Ordering::Relaxed) {
                return Authorization::Allow;
            }
            match authorize(&ctx) {
                Ok(()) => Authorization::Allow,
                Err(refusal) => {
                    let code = match refusal {
                        Refusal::Transaction => 1,
                        Refusal::Other => 2,
                    };
                    seen.refused.store(code, Ordering::Relaxed);
                    Authorization::Deny
                }
            }
        }));
        SqlGuard { state }
    }

    /// Runs `f` (which prepares user SQL) under the rules; returns what it
    /// returned and why a statement was refused, if one was.
    pub(crate) fn untrusted<T>(&self, f: impl FnOnce() -> T) -> (T, Option<Refusal>) {
        self.state.refused.store(0, Ordering::Relaxed);
        self.state.untrusted.store(true, Ordering::Relaxed);
        let out = f();
        self.state.untrusted.store(false, Ordering::Relaxed);
        let refusal = match self.state.refused.swap(0, Ordering::Relaxed) {
            1 => Some(Refusal::Transaction),
            2 => Some(Refusal::Other),
            _ => None,
        };
        (out, refusal)
    }
}

/// Names user SQL may not touch: Cloudflare's `_cf_` tables and hearth's own.
fn allowed_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !(lower.starts_with("_cf_") || lower.starts_with("_hearth_"))
}

fn allowed(ok: bool) -> Result<(), Refusal> {
    if ok {
        Ok(())
    } else {
        Err(Refusal::Other)
    }
}

fn authorize(ctx: &AuthContext<'_>) -> Result<(), Refusal> {
    match ctx.database_name {
        // The temporary database only for reading and writing rows of
        // tables that exist; creating temporary tables is refused below.
        Some("temp") => {
            return match ctx.action {
                AuthAction::Read { table_name, .. } | AuthAction::Update { table_name, .. } => {
                    allowed(allowed_name(table_name))
                }
                _ => Err(Refusal::Other),
            }
        }
        Some("main") | None => {}
        Some(_) => return Err(Refusal::Other),
    }
    match ctx.action {
        AuthAction::Select | AuthAction::Recursive | AuthAction::Function { .. } => Ok(()),
        // `PRAGMA optimize` analyzes every table; statistics are no secret.
        AuthAction::Analyze { .. } => Ok(()),
        AuthAction::CreateTable { table_name }
        | AuthAction::Delete { table_name }
        | AuthAction::DropTable { table_name }
        | AuthAction::Insert { table_name }
        | AuthAction::AlterTable { table_name, .. }
        | AuthAction::Read { table_name, .. }
        | AuthAction::Update { table_name, .. } => allowed(allowed_name(table_name)),
        AuthAction::CreateView { view_name } | AuthAction::DropView { view_name } => {
            allowed(allowed_name(view_name))
        }
        AuthAction::Reindex { index_name } => allowed(allowed_name(index_name)),
        AuthAction::CreateIndex {
            index_name: a,
            table_name: b,
        }
        | AuthAction::DropIndex {
            index_name: a,
            table_name: b,
        }
        | AuthAction::CreateTrigger {
            trigger_name: a,
            table_name: b,
        }
        | AuthAction::DropTrigger {
            trigger_name: a,
            table_name: b,
        } => allowed(allowed_name(a) && allowed_name(b)),
        AuthAction::Transaction { .. } | AuthAction::Savepoint { .. } => Err(Refusal::Transaction),
        AuthAction::Pragma {
            pragma_name,
            pragma_value,
        } => allowed(pragma_allowed(pragma_name, pragma_value)),
        // Full-text search and R*Tree indexes are the only virtual tables.
        AuthAction::CreateVtable {
            table_name,
            module_name,
        }
        | AuthAction::DropVtable {
            table_name,
            module_name,
        } => allowed(
            ["fts5", "fts5vocab", "rtree", "rtree_i32"]
                .iter()
                .any(|m| m.eq_ignore_ascii_case(module_name))
                && allowed_name(table_name),
        ),
        // ATTACH/DETACH, temporary tables, views, triggers and indexes, and
        // whatever SQLite adds later.
        _ => Err(Refusal::Other),
    }
}

/// The pragmas Cloudflare's SQL API accepts: reading schema information, a
/// few switches, and checks; no pragma that changes how or where the
/// database is stored.
fn pragma_allowed(name: &str, value: Option<&str>) -> bool {
    let name = name.to_ascii_lowercase();
    match name.as_str() {
        "table_list" => true,
        "table_info" | "table_xinfo" | "foreign_key_list" | "index_info" | "index_list"
        | "index_xinfo" => value.is_some_and(allowed_name),
        "data_version" | "page_size" => value.is_none(),
        "case_sensitive_like"
        | "foreign_keys"
        | "defer_foreign_keys"
        | "ignore_check_constraints"
        | "legacy_alter_table"
        | "recursive_triggers"
        | "reverse_unordered_selects" => value.is_none_or(boolean),
        "foreign_key_check" => value.is_none_or(allowed_name),
        "quick_check" => value.is_none_or(|v| v.parse::<u32>().is_ok() || allowed_name(v)),
        "optimize" => value.is_none_or(|v| v.parse::<i32>().is_ok()),
        _ => false,
    }
}

/// SQLite's spellings of a boolean, quoted or not.
fn boolean(value: &str) -> bool {
    let v = value
        .trim_matches(|c| c == '\'' || c == '"')
        .to_ascii_lowercase();
    matches!(
        v.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "1" | "0"
    )
}

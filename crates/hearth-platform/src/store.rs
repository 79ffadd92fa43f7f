//! The control store: its interface and the SQLite implementation.

use crate::api::{Deployment, DeploymentVersion, Route, Version};
use crate::routes::Pattern;
use crate::PlatformError;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

/// What `hearth serve` keeps about its workers. Versions are immutable
/// once added; a deployment replaces the one before it whole.
pub trait Control: Send + Sync {
    /// Records a version (its `number` is assigned here) and returns it.
    fn add_version(&self, version: Version) -> Result<Version, PlatformError>;
    /// One version of `worker`.
    fn version(&self, worker: &str, id: &str) -> Result<Option<Version>, PlatformError>;
    /// Every version of `worker`, newest first.
    fn versions(&self, worker: &str) -> Result<Vec<Version>, PlatformError>;
    /// Makes `versions` (one or two, percentages summing to 100) serve
    /// `worker`, claiming their routes; refused whole if a route is another
    /// worker's.
    fn deploy(
        &self,
        worker: &str,
        versions: Vec<DeploymentVersion>,
        message: Option<String>,
    ) -> Result<Deployment, PlatformError>;
    /// Every deployment of `worker`, newest first.
    fn deployments(&self, worker: &str) -> Result<Vec<Deployment>, PlatformError>;
    /// The current deployment of every deployed worker.
    fn current_deployments(&self) -> Result<Vec<Deployment>, PlatformError>;
    /// Every claimed route: `(pattern, worker)`.
    fn routes(&self) -> Result<Vec<(String, String)>, PlatformError>;
    /// Sets a secret of `worker`.
    fn put_secret(&self, worker: &str, name: &str, value: &str) -> Result<(), PlatformError>;
    /// Deletes a secret; whether it existed.
    fn delete_secret(&self, worker: &str, name: &str) -> Result<bool, PlatformError>;
    /// The secrets of `worker`, by name.
    fn secrets(&self, worker: &str) -> Result<BTreeMap<String, String>, PlatformError>;
}

/// [`Control`] in one SQLite file, readable by its owner only (it holds the
/// secrets).
pub struct SqliteControl {
    db: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS versions (
    id TEXT PRIMARY KEY, worker TEXT NOT NULL, number INTEGER NOT NULL,
    created_on TEXT NOT NULL, tag TEXT, message TEXT, config TEXT NOT NULL,
    env TEXT, routes TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deployments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    worker TEXT NOT NULL, created_on TEXT NOT NULL, message TEXT,
    versions TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS routes (pattern TEXT PRIMARY KEY, worker TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS secrets (
    worker TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (worker, name));
";

impl SqliteControl {
    /// Opens (or creates) `path`, made readable and writable by its owner only.
    pub fn open(path: &Path) -> Result<SqliteControl, PlatformError> {
        use std::os::unix::fs::PermissionsExt;
        if !path.exists() {
            std::fs::OpenOptions::new()
                .create_new(true)
                .write(true)
                .open(path)?;
        }
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        let db = Connection::open(path)?;
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "FULL")?;
        db.execute_batch(SCHEMA)?;
        Ok(SqliteControl { db: Mutex::new(db) })
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().expect("control store poisoned")
    }
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("plain data serializes")
}

fn parse<T: serde::de::DeserializeOwned>(text: &str) -> T {
    serde_json::from_str(text).expect("the store holds what it wrote")
}

fn version_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Version> {
    Ok(Version {
        id: row.get(0)?,
        worker: row.get(1)?,
        number: row.get(2)?,
        created_on: row.get(3)?,
        tag: row.get(4)?,
        message: row.get(5)?,
        config: row.get(6)?,
        env: row.get(7)?,
        routes: parse::<Vec<Route>>(&row.get::<_, String>(8)?),
    })
}

fn deployment_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Deployment> {
    Ok(Deployment {
        id: row.get(0)?,
        worker: row.get(1)?,
        created_on: row.get(2)?,
        message: row.get(3)?,
        versions: parse(&row.get::<_, String>(4)?),
    })
}

const VERSION_COLUMNS: &str = "id, worker, number, created_on, tag, message, config, env, routes";
const DEPLOYMENT_COLUMNS: &str = "id, worker, created_on, message, versions";

impl Control for SqliteControl {
    fn add_version(&self, mut version: Version) -> Result<Version, PlatformError> {
        let db = self.db();
        let last: Option<u64> = db.query_row(
            "SELECT MAX(number) FROM versions WHERE worker = ?1",
            [&version.worker],
            |r| r.get(0),
        )?;
        version.number = last.unwrap_or(0) + 1;
        db.execute(
            &format!("INSERT INTO versions ({VERSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
            params![
                version.id,
                version.worker,
                version.number,
                version.created_on,
                version.tag,
                version.message,
                version.config,
                version.env,
                json(&version.routes)
            ],
        )?;
        Ok(version)
    }

    fn version(&self, worker: &str, id: &str) -> Result<Option<Version>, PlatformError> {
        Ok(self
            .db()
            .query_row(
                &format!("SELECT {VERSION_COLUMNS} FROM versions WHERE worker = ?1 AND id = ?2"),
                [worker, id],
                version_row,
            )
            .optional()?)
    }

    fn versions(&self, worker: &str) -> Result<Vec<Version>, PlatformError> {
        let db = self.db();
        let mut stmt = db.prepare(&format!(
            "SELECT {VERSION_COLUMNS} FROM versions WHERE worker = ?1 ORDER BY number DESC"
        ))?;
        let rows = stmt.query_map([worker], version_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn deploy(
        &self,
        worker: &str,
        versions: Vec<DeploymentVersion>,
        message: Option<String>,
    ) -> Result<Deployment, PlatformError> {
        check_split(&versions)?;
        let mut claimed = Vec::new();
        for v in &versions {
            let version = self.version(worker, &v.version_id)?.ok_or_else(|| {
                PlatformError::NotFound(format!(
                    "worker `{worker}` has no version {}",
                    v.version_id
                ))
            })?;
            for route in version.routes {
                let canonical = Pattern::parse(&route.pattern).canonical();
                if !claimed.contains(&canonical) {
                    claimed.push(canonical);
                }
            }
        }
        let mut db = self.db();
        let tx = db.transaction()?;
        for pattern in &claimed {
            let owner: Option<String> = tx
                .query_row(
                    "SELECT worker FROM routes WHERE pattern = ?1 AND worker != ?2",
                    [pattern, worker],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(owner) = owner {
                return Err(PlatformError::Invalid(format!(
                    "route `{pattern}` is already served by worker `{owner}`; one worker per \
                     pattern: remove it from `{owner}`'s routes (and deploy it) first"
                )));
            }
        }
        tx.execute("DELETE FROM routes WHERE worker = ?1", [worker])?;
        for pattern in &claimed {
            tx.execute(
                "INSERT INTO routes (pattern, worker) VALUES (?1, ?2)",
                [pattern, worker],
            )?;
        }
        let deployment = Deployment {
            id: crate::new_id(),
            worker: worker.to_string(),
            created_on: crate::now(),
            message,
            versions,
        };
        tx.execute(
            &format!("INSERT INTO deployments ({DEPLOYMENT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"),
            params![
                deployment.id,
                deployment.worker,
                deployment.created_on,
                deployment.message,
                json(&deployment.versions)
            ],
        )?;
        tx.commit()?;
        Ok(deployment)
    }

    fn deployments(&self, worker: &str) -> Result<Vec<Deployment>, PlatformError> {
        let db = self.db();
        let mut stmt = db.prepare(&format!(
            "SELECT {DEPLOYMENT_COLUMNS} FROM deployments WHERE worker = ?1 ORDER BY seq DESC"
        ))?;
        let rows = stmt.query_map([worker], deployment_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn current_deployments(&self) -> Result<Vec<Deployment>, PlatformError> {
        let db = self.db();
        let mut stmt = db.prepare(&format!(
            "SELECT {DEPLOYMENT_COLUMNS} FROM deployments WHERE seq IN \
             (SELECT MAX(seq) FROM deployments GROUP BY worker) ORDER BY worker"
        ))?;
        let rows = stmt.query_map([], deployment_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn routes(&self) -> Result<Vec<(String, String)>, PlatformError> {
        let db = self.db();
        let mut stmt = db.prepare("SELECT pattern, worker FROM routes")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn put_secret(&self, worker: &str, name: &str, value: &str) -> Result<(), PlatformError> {
        self.db().execute(
            "INSERT INTO secrets (worker, name, value) VALUES (?1, ?2, ?3) \
             ON CONFLICT (worker, name) DO UPDATE SET value = excluded.value",
            [worker, name, value],
        )?;
        Ok(())
    }

    fn delete_secret(&self, worker: &str, name: &str) -> Result<bool, PlatformError> {
        let n = self.db().execute(
            "DELETE FROM secrets WHERE worker = ?1 AND name = ?2",
            [worker, name],
        )?;
        Ok(n > 0)
    }

    fn secrets(&self, worker: &str) -> Result<BTreeMap<String, String>, PlatformError> {
        let db = self.db();
        let mut stmt = db.prepare("SELECT name, value FROM secrets WHERE worker = ?1")?;
        let rows = stmt.query_map([worker], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// One or two distinct versions, each above 0%, summing to 100%.
fn check_split(versions: &[DeploymentVersion]) -> Result<(), PlatformError> {
    let invalid = |m: String| Err(PlatformError::Invalid(m));
    if versions.is_empty() || versions.len() > 2 {
        return invalid(format!(
            "a deployment has one or two versions, not {}",
            versions.len()
        ));
    }
    if versions.len() == 2 && versions[0].version_id == versions[1].version_id {
        return invalid("the two versions of a deployment must differ".into());
    }
    if let Some(v) = versions
        .iter()
        .find(|v| v.percentage.is_nan() || v.percentage <= 0.0 || v.percentage > 100.0)
    {
        return invalid(format!(
            "version {} has {}%; each share must be above 0 and at most 100",
            v.version_id, v.percentage
        ));
    }
    let sum: f64 = versions.iter().map(|v| v.percentage).sum();
    if (sum - 100.0).abs() > 1e-6 {
        return invalid(format!("the percentages sum to {sum}%, not 100%"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(store: &SqliteControl, worker: &str, routes: &[&str]) -> Version {
        store
            .add_version(Version {
                id: crate::new_id(),
                worker: worker.into(),
                number: 0,
                created_on: crate::now(),
                tag: None,
                message: None,
                config: "wrangler.toml".into(),
                env: None,
                routes: routes
                    .iter()
                    .map(|p| Route {
                        pattern: p.to_string(),
                        custom_domain: false,
                    })
                    .collect(),
            })
            .unwrap()
    }

    fn all(id: &str) -> Vec<DeploymentVersion> {
        vec![DeploymentVersion {
            version_id: id.into(),
            percentage: 100.0,
        }]
    }

    #[test]
    fn a_route_belongs_to_one_worker() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteControl::open(&dir.path().join("control.sqlite")).unwrap();
        let a = version(&store, "a", &["example.com/*"]);
        let b = version(&store, "b", &["https://EXAMPLE.com/*"]);
        store.deploy("a", all(&a.id), None).unwrap();
        let refused = store.deploy("b", all(&b.id), None).unwrap_err().to_string();
        assert!(
            refused.contains("already served by worker `a`"),
            "{refused}"
        );
        assert!(store.deployments("b").unwrap().is_empty());
        let a2 = version(&store, "a", &[]);
        store.deploy("a", all(&a2.id), None).unwrap();
        store.deploy("b", all(&b.id), None).unwrap();
        assert_eq!(
            store.routes().unwrap(),
            [("example.com/*".to_string(), "b".to_string())]
        );
        assert_eq!(a2.number, 2);
    }

    #[test]
    fn splits_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteControl::open(&dir.path().join("control.sqlite")).unwrap();
        let a = version(&store, "a", &[]);
        let split = |p: f64| {
            vec![
                DeploymentVersion {
                    version_id: a.id.clone(),
                    percentage: p,
                },
                DeploymentVersion {
                    version_id: "x".into(),
                    percentage: 50.0,
                },
            ]
        };
        assert!(store.deploy("a", split(40.0), None).is_err());
        assert!(store
            .deploy("a", split(50.0), None)
            .unwrap_err()
            .to_string()
            .contains("no version x"));
    }

    #[test]
    fn the_store_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("control.sqlite");
        let store = SqliteControl::open(&path).unwrap();
        store.put_secret("a", "KEY", "v").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

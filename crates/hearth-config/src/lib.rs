//! Reads a Cloudflare Workers project's unchanged `wrangler.toml`,
//! `wrangler.json` or `wrangler.jsonc` into a typed, validated [`Config`].
//!
//! * [`find_config`] locates the file the way wrangler does;
//! * [`load`] parses it, applies `[env.NAME]` inheritance, validates the keys
//!   hearth acts on and collects a warning for every key it ignores;
//! * [`load_dev_vars`] reads local secrets from `.dev.vars` (or `.env`).
//!
//! Errors ([`ConfigError`]) name the file, the `line:column` when known, the
//! full key path, and what to change.

#![warn(missing_docs)]

pub mod assets;
pub mod compat;
mod dev_vars;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod keys;
mod node;
pub mod queues;
pub mod ratelimits;
mod rules;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};

pub use dev_vars::{dev_vars_files, load_dev_vars};
pub use error::ConfigError;
pub use rules::{ModuleKind, Rule};

use keys::{Scope, Use};
use node::{Kind, Node};

/// Configuration file names, in the order wrangler prefers them.
pub const CONFIG_FILE_NAMES: [&str; 3] = ["wrangler.json", "wrangler.jsonc", "wrangler.toml"];

/// Worker name used when the file has no `name`.
pub const DEFAULT_NAME: &str = "worker";

/// Default CPU-time limit per request, in milliseconds.
pub const DEFAULT_CPU_MS: u64 = 30_000;

/// A loaded, validated worker configuration (one environment of it).
#[derive(Debug, Clone)]
pub struct Config {
    /// The configuration file that was read (absolute).
    pub path: PathBuf,
    /// The folder holding the file; relative paths resolve against it.
    pub root: PathBuf,
    /// Worker name: the environment's `name`, else `<top-level name>-<env>`
    /// as wrangler derives it, else the top-level `name`, else `"worker"`.
    pub name: String,
    /// Entry module, joined onto [`Config::root`]. `None` if `main` is absent.
    pub main: Option<PathBuf>,
    /// `compatibility_date` (`YYYY-MM-DD`), if set.
    pub compatibility_date: Option<String>,
    /// `compatibility_flags`, verbatim.
    pub compatibility_flags: Vec<String>,
    /// Which compatibility changes are on, from the date and flags: what the
    /// runtime asks (see [`compat`]).
    pub compatibility: compat::Compatibility,
    /// `vars`: plain strings become JSON strings, other values stay JSON.
    pub vars: BTreeMap<String, serde_json::Value>,
    /// Module rules: the user's `rules` followed by wrangler's defaults, with
    /// rules shadowed by an earlier non-`fallthrough` rule of the same type
    /// removed (as wrangler does).
    pub rules: Vec<Rule>,
    /// Cron expressions from `[triggers] crons`.
    pub crons: Vec<String>,
    /// Resource limits from `[limits]`.
    pub limits: Limits,
    /// `kv_namespaces` bindings.
    pub kv_namespaces: Vec<KvNamespace>,
    /// Durable Object bindings from `[durable_objects] bindings`.
    pub durable_objects: Vec<DurableObjectBinding>,
    /// Durable Object `migrations`, in file order.
    pub migrations: Vec<Migration>,
    /// `hyperdrive` bindings.
    pub hyperdrive: Vec<Hyperdrive>,
    /// `[assets]`: static files served in front of the worker.
    pub assets: Option<assets::Assets>,
    /// `[site]` (Workers Sites): the `__STATIC_CONTENT` binding's folder.
    pub site: Option<Site>,
    /// `[build]` with a `command`: run before start and on every reload.
    pub build: Option<Build>,
    /// `d1_databases` bindings.
    pub d1_databases: Vec<D1Database>,
    /// `r2_buckets` bindings.
    pub r2_buckets: Vec<R2Bucket>,
    /// `services` bindings: other workers, by name.
    pub services: Vec<ServiceBinding>,
    /// `version_metadata`: the binding's name.
    pub version_metadata: Option<String>,
    /// `route` / `routes`: where `hearth serve` sends requests to this
    /// worker (`hearth dev` ignores them, as `wrangler dev` does).
    pub routes: Vec<Route>,
    /// `queues`: producer bindings and consumers.
    pub queues: queues::Queues,
    /// Rate limiting bindings: `ratelimits` and `unsafe.bindings` of type
    /// `ratelimit`.
    pub ratelimits: Vec<ratelimits::RateLimit>,
    /// hearth extension: raw TCP listeners from `[[tcp_listeners]]`
    /// (inheritable, like other non-binding settings).
    pub tcp_listeners: Vec<TcpListener>,
    /// hearth extension: the policy for every outbound connection
    /// (`fetch()`, `connect()`, WebSockets) from `[outbound]`.
    pub outbound: Outbound,
    /// One message per ignored or unknown key, naming the file and key path.
    pub warnings: Vec<String>,
}

impl Config {
    /// The module type of `relative_path` (relative to the worker's module
    /// root): the kind of the first rule whose globs match, or `None`.
    pub fn module_kind(&self, relative_path: &Path) -> Option<ModuleKind> {
        self.rules
            .iter()
            .find(|rule| rule.matches(relative_path))
            .map(|rule| rule.kind)
    }
}

/// `[site]`: Workers Sites, the predecessor of Static Assets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// `bucket`: the folder served through `__STATIC_CONTENT`.
    pub bucket: PathBuf,
}

/// `[build]`: wrangler's custom build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Build {
    /// The shell command (run with `sh -c`).
    pub command: String,
    /// Where it runs: `cwd`, else the project root.
    pub cwd: PathBuf,
    /// Folders whose changes rerun it (`watch_dir`, default `./src`).
    pub watch_dirs: Vec<PathBuf>,
}

/// `[limits]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Maximum CPU time per invocation in milliseconds (default 30 000).
    pub cpu_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            cpu_ms: DEFAULT_CPU_MS,
        }
    }
}

/// One `kv_namespaces` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvNamespace {
    /// Name of the binding on `env`.
    pub binding: String,
    /// Namespace id (optional in recent wrangler versions).
    pub id: Option<String>,
    /// Namespace id used by `wrangler dev`, if different.
    pub preview_id: Option<String>,
}

/// One `[durable_objects] bindings` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurableObjectBinding {
    /// Name of the binding on `env`.
    pub name: String,
    /// Exported class implementing the Durable Object.
    pub class_name: String,
    /// Worker defining the class, when it is not this one.
    pub script_name: Option<String>,
}

/// One `migrations` entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Migration {
    /// Unique migration tag.
    pub tag: String,
    /// Classes created with key-value storage.
    pub new_classes: Vec<String>,
    /// Classes created with SQLite storage.
    pub new_sqlite_classes: Vec<String>,
    /// Renamed classes.
    pub renamed_classes: Vec<RenamedClass>,
    /// Deleted classes.
    pub deleted_classes: Vec<String>,
}

/// A `renamed_classes` entry of a [`Migration`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenamedClass {
    /// Old class name.
    pub from: String,
    /// New class name.
    pub to: String,
}

/// One `hyperdrive` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hyperdrive {
    /// Name of the binding on `env`.
    pub binding: String,
    /// Hyperdrive configuration id.
    pub id: String,
    /// `localConnectionString`: the database to use locally.
    pub local_connection_string: Option<String>,
    /// hearth extension, named after the Hyperdrive API's setting:
    /// `origin_connection_limit`, the most connections hearth's pool opens
    /// to the database; `None` leaves the pool's default.
    pub origin_connection_limit: Option<u32>,
}

/// One `d1_databases` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct D1Database {
    /// Name of the binding on `env`.
    pub binding: String,
    /// `database_name`: how `wrangler d1` commands name the database.
    pub database_name: Option<String>,
    /// `database_id`.
    pub database_id: Option<String>,
    /// `preview_database_id`: used instead of `database_id` when set, as wrangler dev does.
    pub preview_database_id: Option<String>,
    /// `migrations_dir`, joined onto the project root (default `migrations`).
    pub migrations_dir: PathBuf,
    /// `migrations_table` (default `d1_migrations`).
    pub migrations_table: String,
}

impl D1Database {
    /// The id the local database is stored under: `preview_database_id`,
    /// else `database_id`, else `database_name`, else the binding name.
    pub fn local_id(&self) -> &str {
        self.preview_database_id
            .as_deref()
            .or(self.database_id.as_deref())
            .or(self.database_name.as_deref())
            .unwrap_or(&self.binding)
    }
}

/// One `r2_buckets` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct R2Bucket {
    /// Name of the binding on `env`.
    pub binding: String,
    /// `bucket_name`.
    pub bucket_name: Option<String>,
    /// `preview_bucket_name`: used instead of `bucket_name` when set, as for D1's preview id.
    pub preview_bucket_name: Option<String>,
}

impl R2Bucket {
    /// The bucket stored locally: `preview_bucket_name`, else
    /// `bucket_name`, else the binding name.
    pub fn local_name(&self) -> &str {
        self.preview_bucket_name
            .as_deref()
            .or(self.bucket_name.as_deref())
            .unwrap_or(&self.binding)
    }
}

/// One `services` entry: a binding to another worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceBinding {
    /// Name of the binding on `env`.
    pub binding: String,
    /// The `name` of the worker it reaches.
    pub service: String,
    /// The named export it reaches (`None`: the default export).
    pub entrypoint: Option<String>,
}

/// One `routes` entry (or `route`): a pattern such as `example.com/api/*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The pattern: a hostname (a leading `*` allowed), then optionally a
    /// path (a trailing `*` allowed).
    pub pattern: String,
    /// `zone_name`, when given.
    pub zone_name: Option<String>,
    /// `custom_domain = true`: the pattern is a hostname, every path of it.
    pub custom_domain: bool,
}

/// hearth extension: `[[tcp_listeners]] address = "127.0.0.1:6380"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpListener {
    /// Address to listen on; validated to parse as a [`SocketAddr`].
    pub address: String,
    /// Optional name of the handler that serves connections.
    pub handler: Option<String>,
}

/// hearth extension: `[outbound] allow = ["127.0.0.1:*"] deny = ["*:25"]
/// ca_bundle = "certs/ca.pem"`, the policy for every outbound connection:
/// `fetch()` (each redirect hop), `connect()` sockets and WebSockets.
///
/// Patterns are `host:port` where either side may be `*` or contain `*`
/// wildcards (`*.internal:5432`, `[::1]:*`). Deny wins; when `allow` is
/// non-empty only matching destinations are allowed. Default: allow all.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outbound {
    /// Destinations that may be reached (empty: all).
    pub allow: Vec<String>,
    /// Destinations that may never be reached.
    pub deny: Vec<String>,
    /// Extra PEM CA certificates trusted by outbound TLS (HTTPS, `wss:`, TLS
    /// sockets) besides the webpki roots; resolved against the project root.
    pub ca_bundle: Option<PathBuf>,
}

impl Outbound {
    /// Whether `host:port` may be connected to. `host` is a name or an IP
    /// address (IPv6 without brackets).
    pub fn permits(&self, host: &str, port: u16) -> bool {
        !self.denies(host, port) && self.allows(host, port)
    }

    /// Whether a `deny` pattern matches `host:port`.
    pub fn denies(&self, host: &str, port: u16) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.deny.iter().any(|p| outbound_match(p, host, port))
    }

    /// Whether `allow` is empty or one of its patterns matches `host:port`.
    pub fn allows(&self, host: &str, port: u16) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.allow.is_empty() || self.allow.iter().any(|p| outbound_match(p, host, port))
    }
}

/// Splits `host:port` (`[v6]:port` allowed) and matches both halves.
fn outbound_match(pattern: &str, host: &str, port: u16) -> bool {
    let Some((p_host, p_port)) = split_host_port(pattern) else {
        return false;
    };
    glob_match(&p_host.to_ascii_lowercase(), &host.to_ascii_lowercase())
        && glob_match(p_port, &port.to_string())
}

fn split_host_port(pattern: &str) -> Option<(&str, &str)> {
    if let Some(rest) = pattern.strip_prefix('[') {
        let (host, port) = rest.split_once("]:")?;
        return Some((host, port));
    }
    pattern.rsplit_once(':')
}

/// `*` matches any run of characters; everything else literally (the
/// patterns of `[outbound]` and of `assets.run_worker_first`).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// Finds the configuration file for a project: looks in `dir`, then in each
/// parent folder (wrangler also searches upwards), and within a folder uses
/// wrangler's preference `wrangler.json`, then `wrangler.jsonc`, then
/// `wrangler.toml`. The nearest folder with any of them wins.
pub fn find_config(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().find_map(|d| {
        CONFIG_FILE_NAMES
            .iter()
            .map(|name| d.join(name))
            .find(|p| p.is_file())
    })
}

/// Where a build leaves the pointer to the configuration it generated.
pub const DEPLOY_CONFIG: &str = ".wrangler/deploy/config.json";

/// A configuration file found as `wrangler dev` finds one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The file to load.
    pub path: PathBuf,
    /// The `.wrangler/deploy/config.json` that pointed to it, if any.
    pub redirected_from: Option<PathBuf>,
}

/// Finds the configuration as wrangler does: the nearest user
/// configuration ([`find_config`]), redirected by the nearest
/// `.wrangler/deploy/config.json` (`{"configPath": "..."}`, relative to
/// that file), which a build such as `@cloudflare/vite-plugin` writes to
/// point at the configuration it generated. Both must belong to the same
/// project folder.
pub fn locate_config(dir: &Path) -> std::result::Result<Option<Located>, String> {
    let user = find_config(dir);
    let Some(deploy) = dir
        .ancestors()
        .map(|d| d.join(DEPLOY_CONFIG))
        .find(|p| p.is_file())
    else {
        return Ok(user.map(|path| Located {
            path,
            redirected_from: None,
        }));
    };
    let text = std::fs::read_to_string(&deploy)
        .map_err(|e| format!("{}: cannot read the file: {e}", deploy.display()))?;
    let target = json5::from_str::<serde_json::Value>(&text)
        .map_err(|e| format!("{}: invalid JSON: {e}", deploy.display()))?
        .get("configPath")
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .ok_or_else(|| {
            format!(
                "{}: the required \"configPath\" property is missing (it names the \
                 configuration a build generated)",
                deploy.display()
            )
        })?;
    let base = deploy.parent().unwrap_or(Path::new("."));
    let path = resolve(base, &target);
    if !path.is_file() {
        return Err(format!(
            "{}: configPath points to {}, which does not exist (run the build again?)",
            deploy.display(),
            path.display()
        ));
    }
    if let Some(user) = &user {
        let expected = user.parent().unwrap_or(Path::new(".")).join(DEPLOY_CONFIG);
        if absolute(&expected) != absolute(&deploy) {
            return Err(format!(
                "found both the configuration {} and the deploy configuration {}, which do not \
                 share a project folder, so it is not clear which to use",
                user.display(),
                deploy.display()
            ));
        }
    }
    Ok(Some(Located {
        path,
        redirected_from: Some(deploy),
    }))
}

/// The configuration of a project without a configuration file (`hearth dev
/// src/index.js` in a folder that has none): every setting at its default,
/// as wrangler runs a bare script.
pub fn default_config(dir: &Path) -> Config {
    let root = absolute(dir);
    let path = root.join("wrangler.toml");
    let mut loader = Loader {
        file: &path,
        warnings: Vec::new(),
    };
    let empty = Node {
        kind: Kind::Table(Vec::new()),
        pos: None,
    };
    loader
        .config(&empty, None, path.clone(), root)
        .expect("an empty configuration is valid")
}

/// Loads `path` (TOML if it ends in `.toml`, otherwise JSON/JSONC) for the
/// environment `env` (`None`: the top level).
///
/// With an environment, inheritable keys fall back to the top level and
/// non-inheritable ones (`vars`, `kv_namespaces`, `durable_objects`,
/// `hyperdrive`, ...) do not. An environment the file does not define is an
/// error. A missing `main` is not an error here.
pub fn load(path: &Path, env: Option<&str>) -> std::result::Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, path, env)
}

/// Parses `text` as the configuration file at `path` (which only names the
/// file in errors, picks the format as [`load`] does and anchors relative
/// paths; it is not read).
pub fn parse(
    text: &str,
    path: &Path,
    env: Option<&str>,
) -> std::result::Result<Config, ConfigError> {
    let abs = absolute(path);
    let root = abs.parent().map(Path::to_path_buf).unwrap_or_default();
    let is_toml = path.extension().is_some_and(|e| e == "toml");
    let parsed = if is_toml {
        node::parse_toml(text)
    } else {
        node::parse_json(text)
    };
    let doc = parsed.map_err(|e| ConfigError::Syntax {
        path: path.to_path_buf(),
        format: if is_toml { "TOML" } else { "JSON" },
        line: e.pos.map(|p| p.line),
        column: e.pos.map(|p| p.column),
        key: e.key,
        message: e.message,
    })?;
    let mut loader = Loader {
        file: path,
        warnings: Vec::new(),
    };
    loader.config(&doc, env, abs, root)
}

/// Makes `path` absolute without resolving symlinks.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Joins `rel` onto `root`, dropping `.` components.
fn resolve(root: &Path, rel: &str) -> PathBuf {
    root.join(rel)
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

fn join_key(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

type Result<T> = std::result::Result<T, ConfigError>;

/// Validation state: the file (for messages) and collected warnings.
struct Loader<'a> {
    file: &'a Path,
    warnings: Vec<String>,
}

/// Where a key's effective value lives: the node and its key-path prefix.
type Source<'n> = Option<(&'n Node, String)>;

impl Loader<'_> {
    fn config(
        &mut self,
        doc: &Node,
        env: Option<&str>,
        path: PathBuf,
        root: PathBuf,
    ) -> Result<Config> {
        if doc.table().is_none() {
            return Err(self.invalid(
                doc,
                "(top level)",
                format!("expected an object of settings, found {}", doc.type_name()),
            ));
        }
        let env_table = match env {
            Some(name) => Some(self.select_env(doc, name)?),
            None => None,
        };
        let env_prefix = env.map(|e| format!("env.{e}")).unwrap_or_default();
        self.check_keys(doc, env_table, env.unwrap_or_default(), &env_prefix);

        // Effective source of a top-level key, honouring inheritance.
        let source = |key: &str| -> Source<'_> {
            let scope = keys::lookup(key).map(|(s, _)| s);
            let from_env = || {
                env_table
                    .and_then(|t| t.get(key))
                    .map(|n| (n, join_key(&env_prefix, key)))
            };
            let from_top = || doc.get(key).map(|n| (n, key.to_string()));
            match (env_table, scope) {
                (None, _) | (_, Some(Scope::TopOnly)) => from_top(),
                (Some(_), Some(Scope::NonInheritable)) => from_env(),
                _ => from_env().or_else(from_top),
            }
        };

        let top_name = match doc.get("name") {
            Some(n) => Some(self.string(n, "name")?),
            None => None,
        };
        if let (Some(n), Some(top)) = (doc.get("name"), &top_name) {
            self.check_worker_name(n, "name", top)?;
        }
        let name = match (env_table.and_then(|t| t.get("name")), env) {
            (Some(n), _) => {
                let key = join_key(&env_prefix, "name");
                let name = self.string(n, &key)?;
                self.check_worker_name(n, &key, &name)?;
                name
            }
            (None, Some(env)) if top_name.is_some() => {
                format!("{}-{env}", top_name.unwrap_or_default())
            }
            _ => top_name.unwrap_or_else(|| DEFAULT_NAME.to_string()),
        };

        let main = match source("main") {
            Some((n, key)) => Some(resolve(&root, &self.string(n, &key)?)),
            None => None,
        };
        let compatibility_date = match source("compatibility_date") {
            Some((n, key)) => Some(self.date(n, &key)?),
            None => None,
        };
        let compatibility_flags = match source("compatibility_flags") {
            Some((n, key)) => self.strings(n, &key)?,
            None => Vec::new(),
        };
        let compatibility =
            compat::Compatibility::resolve(compatibility_date.as_deref(), &compatibility_flags)
                .map_err(|message| {
                    let (n, key) =
                        source("compatibility_flags").expect("contradicting flags are listed");
                    self.invalid(n, &key, message)
                })?;
        let vars = match source("vars") {
            Some((n, key)) => self.vars(n, &key)?,
            None => BTreeMap::new(),
        };
        let rules = match source("rules") {
            Some((n, key)) => {
                let user = self.rules(n, &key)?;
                rules::with_defaults(user, self.file, &key, &mut self.warnings)
            }
            None => rules::with_defaults(Vec::new(), self.file, "rules", &mut self.warnings),
        };
        let crons = match source("triggers") {
            Some((n, key)) => self.triggers(n, &key)?,
            None => Vec::new(),
        };
        let limits = match source("limits") {
            Some((n, key)) => self.limits(n, &key)?,
            None => Limits::default(),
        };
        let kv_namespaces = match source("kv_namespaces") {
            Some((n, key)) => self.each(n, &key, Self::kv)?,
            None => Vec::new(),
        };
        let durable_objects = match source("durable_objects") {
            Some((n, key)) => self.durable_objects(n, &key)?,
            None => Vec::new(),
        };
        let migrations = match source("migrations") {
            Some((n, key)) => self.each(n, &key, Self::migration)?,
            None => Vec::new(),
        };
        let hyperdrive = match source("hyperdrive") {
            Some((n, key)) => self.each(n, &key, Self::hyperdrive)?,
            None => Vec::new(),
        };
        let assets = match source("assets") {
            Some((n, key)) => Some(self.assets(n, &key, &root)?),
            None => None,
        };
        let site = match source("site") {
            Some((n, key)) => {
                self.fields(
                    n,
                    &key,
                    &[
                        ("bucket", None),
                        ("include", Some("every file of the bucket is served")),
                        ("exclude", Some("every file of the bucket is served")),
                        (
                            "entry-point",
                            Some("it was removed in wrangler v2; use `main`"),
                        ),
                    ],
                )?;
                let bucket = self.req_string(
                    n,
                    &key,
                    "bucket",
                    "the folder of the site's files, e.g. bucket = \"./public\"",
                )?;
                Some(Site {
                    bucket: resolve(&root, &bucket),
                })
            }
            None => None,
        };
        let build = match source("build") {
            Some((n, key)) => self.build(n, &key, &root)?,
            None => None,
        };
        let d1_databases = match source("d1_databases") {
            Some((n, key)) => self
                .each(n, &key, Self::d1)?
                .into_iter()
                .map(|mut d| {
                    d.migrations_dir = root.join(&d.migrations_dir);
                    d
                })
                .collect(),
            None => Vec::new(),
        };
        let r2_buckets = match source("r2_buckets") {
            Some((n, key)) => self.each(n, &key, Self::r2)?,
            None => Vec::new(),
        };
        let services = match source("services") {
            Some((n, key)) => self.each(n, &key, Self::service)?,
            None => Vec::new(),
        };
        let version_metadata = match source("version_metadata") {
            Some((n, key)) => {
                self.fields(n, &key, &[("binding", None)])?;
                Some(self.req_string(
                    n,
                    &key,
                    "binding",
                    "give the binding's name, e.g. { binding = \"CF_VERSION_METADATA\" }",
                )?)
            }
            None => None,
        };
        let routes = match (source("routes"), source("route")) {
            (Some((n, key)), _) => self.each(n, &key, Self::route)?,
            (None, Some((n, key))) => vec![self.route(n, &key)?],
            (None, None) => Vec::new(),
        };
        let queues = match source("queues") {
            Some((n, key)) => self.queues(n, &key)?,
            None => queues::Queues::default(),
        };
        let mut ratelimits = match source("ratelimits") {
            Some((n, key)) => self.each(n, &key, Self::ratelimit)?,
            None => Vec::new(),
        };
        if let Some((n, key)) = source("unsafe") {
            ratelimits.extend(self.unsafe_ratelimits(n, &key)?);
        }
        let tcp_listeners = match source("tcp_listeners") {
            Some((n, key)) => self.each(n, &key, Self::tcp_listener)?,
            None => Vec::new(),
        };
        let outbound = match source("outbound") {
            Some((n, key)) => self.outbound(n, &key, &root)?,
            None => Outbound::default(),
        };

        Ok(Config {
            path,
            root,
            name,
            main,
            compatibility_date,
            compatibility_flags,
            compatibility,
            vars,
            rules,
            crons,
            limits,
            kv_namespaces,
            durable_objects,
            migrations,
            hyperdrive,
            assets,
            site,
            build,
            d1_databases,
            r2_buckets,
            services,
            version_metadata,
            routes,
            queues,
            ratelimits,
            tcp_listeners,
            outbound,
            warnings: std::mem::take(&mut self.warnings),
        })
    }

    /// Finds `env.<name>`, or explains which environments exist.
    fn select_env<'n>(&self, doc: &'n Node, name: &str) -> Result<&'n Node> {
        let envs = match doc.get("env") {
            Some(envs) => self.table(envs, "env")?,
            None => &[],
        };
        match envs.iter().find(|(k, _)| k == name) {
            Some((_, node)) => {
                self.table(node, &format!("env.{name}"))?;
                Ok(node)
            }
            None => Err(ConfigError::UnknownEnv {
                path: self.file.to_path_buf(),
                env: name.to_string(),
                available: envs.iter().map(|(k, _)| k.clone()).collect(),
            }),
        }
    }

    /// Emits warnings for unknown, ignored and misplaced keys.
    fn check_keys(&mut self, doc: &Node, env: Option<&Node>, env_name: &str, env_prefix: &str) {
        for (key, node) in doc.table().unwrap_or_default() {
            if key == "env" {
                continue;
            }
            let in_env = env.and_then(|e| e.get(key)).is_some();
            match keys::lookup(key) {
                None => self.unknown(node, key),
                Some((scope, Use::Ignored(why))) => {
                    let effective = match scope {
                        Scope::TopOnly => true,
                        Scope::Inheritable => !in_env,
                        Scope::NonInheritable => env.is_none(),
                    };
                    if effective && !keys::is_default(key, node) {
                        self.warn(node, key, format!("hearth ignores this key: {why}"));
                    }
                }
                Some((Scope::NonInheritable, Use::Used)) if env.is_some() && !in_env => self.warn(
                    node,
                    key,
                    format!(
                        "defined at the top level but not in [env.{env_name}]; it is not \
                         inherited, so environment `{env_name}` has none (repeat it under \
                         [env.{env_name}] if you need it)"
                    ),
                ),
                Some(_) => {}
            }
        }
        let Some(env) = env else { return };
        for (key, node) in env.table().unwrap_or_default() {
            let path = join_key(env_prefix, key);
            match keys::lookup(key) {
                None if key == "env" => self.warn(
                    node,
                    &path,
                    "environments cannot be nested; ignored".to_string(),
                ),
                None => self.unknown(node, &path),
                Some((Scope::TopOnly, _)) => self.warn(
                    node,
                    &path,
                    "only allowed at the top level; ignored here (move it out of the environment)"
                        .to_string(),
                ),
                Some((_, Use::Ignored(why))) if !keys::is_default(key, node) => {
                    self.warn(node, &path, format!("hearth ignores this key: {why}"))
                }
                Some(_) => {}
            }
        }
    }

    // --- messages ----------------------------------------------------------

    fn prefix(&self, node: &Node) -> String {
        match node.pos {
            Some(p) => format!("{}:{}:{}", self.file.display(), p.line, p.column),
            None => self.file.display().to_string(),
        }
    }

    fn warn(&mut self, node: &Node, key: &str, message: String) {
        let text = format!("{}: {key}: {message}", self.prefix(node));
        self.warnings.push(text);
    }

    fn unknown(&mut self, node: &Node, key: &str) {
        let leaf = key.rsplit('.').next().unwrap_or(key);
        let hint = keys::KEYS
            .iter()
            .map(|(k, _, _)| *k)
            .filter(|k| edit_distance(k, leaf) <= 2)
            .min_by_key(|k| edit_distance(k, leaf))
            .map(|k| format!(" (did you mean `{k}`?)"))
            .unwrap_or_default();
        self.warn(
            node,
            key,
            format!("unknown key, not a wrangler setting; ignored{hint}"),
        );
    }

    /// A worker's name names its state folder when it runs beside another
    /// (`-c a -c b`), so it cannot be a path.
    fn check_worker_name(&self, node: &Node, key: &str, name: &str) -> Result<()> {
        if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']) {
            return Err(self.invalid(
                node,
                key,
                format!(
                    "{name:?} is not a worker name: use letters, digits and dashes, e.g. \
                     name = \"my-worker\""
                ),
            ));
        }
        Ok(())
    }

    fn invalid(&self, node: &Node, key: &str, message: String) -> ConfigError {
        ConfigError::Invalid {
            path: self.file.to_path_buf(),
            line: node.pos.map(|p| p.line),
            column: node.pos.map(|p| p.column),
            key: key.to_string(),
            message,
        }
    }

    fn missing(&self, parent: &Node, key: &str, what: &str) -> ConfigError {
        self.invalid(parent, key, format!("missing ({what})"))
    }

    // --- typed accessors ---------------------------------------------------

    fn string(&self, node: &Node, key: &str) -> Result<String> {
        match &node.kind {
            Kind::Str(s) => Ok(s.clone()),
            _ => Err(self.invalid(
                node,
                key,
                format!(
                    "expected a string, found {} (put the value in quotes)",
                    node.type_name()
                ),
            )),
        }
    }

    fn table<'n>(&self, node: &'n Node, key: &str) -> Result<&'n [(String, Node)]> {
        node.table().ok_or_else(|| {
            self.invalid(
                node,
                key,
                format!("expected a table/object, found {}", node.type_name()),
            )
        })
    }

    fn array<'n>(&self, node: &'n Node, key: &str) -> Result<&'n [Node]> {
        match &node.kind {
            Kind::Array(items) => Ok(items),
            _ => Err(self.invalid(
                node,
                key,
                format!(
                    "expected an array, found {} (write it as [ ... ])",
                    node.type_name()
                ),
            )),
        }
    }

    fn strings(&self, node: &Node, key: &str) -> Result<Vec<String>> {
        self.array(node, key)?
            .iter()
            .enumerate()
            .map(|(i, item)| self.string(item, &format!("{key}[{i}]")))
            .collect()
    }

    fn date(&self, node: &Node, key: &str) -> Result<String> {
        let date = self.string(node, key)?;
        let b = date.as_bytes();
        let ok = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if ok {
            Ok(date)
        } else {
            Err(self.invalid(
                node,
                key,
                format!("`{date}` is not a date; use the form YYYY-MM-DD, e.g. \"2024-09-23\""),
            ))
        }
    }

    /// Checks that `node` is a table and warns about sub-keys outside `known`
    /// (`(name, None)`: used; `(name, Some(why))`: ignored with a reason).
    fn fields<'n>(
        &mut self,
        node: &'n Node,
        key: &str,
        known: &[(&str, Option<&str>)],
    ) -> Result<&'n Node> {
        for (field, value) in self.table(node, key)? {
            let path = format!("{key}.{field}");
            match known.iter().find(|(k, _)| k == field) {
                None => self.warn(value, &path, "unknown key; ignored".to_string()),
                Some((_, Some(why))) => {
                    self.warn(value, &path, format!("hearth ignores this key: {why}"))
                }
                Some((_, None)) => {}
            }
        }
        Ok(node)
    }

    fn req_string(&self, table: &Node, parent: &str, field: &str, what: &str) -> Result<String> {
        let key = format!("{parent}.{field}");
        match table.get(field) {
            Some(v) => self.string(v, &key),
            None => Err(self.missing(table, &key, what)),
        }
    }

    fn opt_string(&self, table: &Node, parent: &str, field: &str) -> Result<Option<String>> {
        table
            .get(field)
            .map(|v| self.string(v, &format!("{parent}.{field}")))
            .transpose()
    }

    /// `field` of `table` as a boolean, `false` when absent.
    fn opt_bool(&self, table: &Node, parent: &str, field: &str) -> Result<bool> {
        match table.get(field) {
            None => Ok(false),
            Some(Node {
                kind: Kind::Bool(b),
                ..
            }) => Ok(*b),
            Some(other) => Err(self.invalid(
                other,
                &format!("{parent}.{field}"),
                format!("expected true or false, found {}", other.type_name()),
            )),
        }
    }

    /// A Durable Object class name: the name of an exported class, so a
    /// JavaScript identifier. It names the class's storage folder, so nothing
    /// else (`../x`) may get through.
    fn class_name(&self, table: &Node, parent: &str, field: &str) -> Result<String> {
        let name = self.req_string(
            table,
            parent,
            field,
            "name the exported Durable Object class, e.g. class_name = \"Counter\"",
        )?;
        self.check_class(
            table.get(field).unwrap_or(table),
            &format!("{parent}.{field}"),
            &name,
        )?;
        Ok(name)
    }

    /// [`Loader::class_name`] for a list of them (migrations).
    fn class_names(&self, table: &Node, parent: &str, field: &str) -> Result<Vec<String>> {
        let names = self.opt_strings(table, parent, field)?;
        for name in &names {
            let node = table.get(field).unwrap_or(table);
            self.check_class(node, &format!("{parent}.{field}"), name)?;
        }
        Ok(names)
    }

    fn check_class(&self, node: &Node, key: &str, name: &str) -> Result<()> {
        let mut chars = name.chars();
        let start = chars
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$');
        if start && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            return Ok(());
        }
        Err(self.invalid(
            node,
            key,
            format!(
                "{name:?} is not a class name: give the name of the exported Durable Object \
                 class (letters, digits, _ and $)"
            ),
        ))
    }

    fn opt_strings(&self, table: &Node, parent: &str, field: &str) -> Result<Vec<String>> {
        match table.get(field) {
            Some(v) => self.strings(v, &format!("{parent}.{field}")),
            None => Ok(Vec::new()),
        }
    }

    /// Parses every element of an array with `f(self, element, "key[i]")`.
    fn each<T>(
        &mut self,
        node: &Node,
        key: &str,
        f: fn(&mut Self, &Node, &str) -> Result<T>,
    ) -> Result<Vec<T>> {
        let items = self.array(node, key)?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| f(self, item, &format!("{key}[{i}]")))
            .collect()
    }

    // --- sections ----------------------------------------------------------

    fn vars(&mut self, node: &Node, key: &str) -> Result<BTreeMap<String, serde_json::Value>> {
        Ok(self
            .table(node, key)?
            .iter()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect())
    }

    fn rules(&mut self, node: &Node, key: &str) -> Result<Vec<Rule>> {
        let mut out = Vec::new();
        for (i, item) in self.array(node, key)?.iter().enumerate() {
            let key = format!("{key}[{i}]");
            self.fields(
                item,
                &key,
                &[("type", None), ("globs", None), ("fallthrough", None)],
            )?;
            let ty_key = format!("{key}.type");
            let ty =
                match item.get("type") {
                    Some(v) => self.string(v, &ty_key)?,
                    None => return Err(self.missing(
                        item,
                        &ty_key,
                        "each rule needs a type: ESModule, CommonJS, Text, Data or CompiledWasm",
                    )),
                };
            let kind = match ModuleKind::from_wrangler(&ty) {
                Some(kind) => kind,
                None if ty.starts_with("Python") => {
                    self.warn(item, &key, format!("hearth ignores {ty} rules: Python Workers are not supported"));
                    continue;
                }
                None => {
                    return Err(self.invalid(
                        item.get("type").unwrap_or(item),
                        &ty_key,
                        format!("unknown module type `{ty}` (use ESModule, CommonJS, Text, Data or CompiledWasm)"),
                    ))
                }
            };
            let globs_key = format!("{key}.globs");
            let globs = match item.get("globs") {
                Some(v) => self.strings(v, &globs_key)?,
                None => {
                    return Err(self.missing(
                        item,
                        &globs_key,
                        "each rule needs a list of globs, e.g. [\"**/*.txt\"]",
                    ))
                }
            };
            let fallthrough = self.opt_bool(item, &key, "fallthrough")?;
            let rule = Rule::new(kind, globs, fallthrough).map_err(|(j, err)| {
                self.invalid(
                    item,
                    &format!("{globs_key}[{j}]"),
                    format!("invalid glob: {err}"),
                )
            })?;
            out.push(rule);
        }
        Ok(out)
    }

    fn triggers(&mut self, node: &Node, key: &str) -> Result<Vec<String>> {
        self.fields(node, key, &[("crons", None)])?;
        self.opt_strings(node, key, "crons")
    }

    /// A route: a pattern string, or `{ pattern, zone_name | zone_id,
    /// custom_domain }` as wrangler takes them.
    fn route(&mut self, node: &Node, key: &str) -> Result<Route> {
        if let Kind::Str(pattern) = &node.kind {
            return self.route_pattern(node, key, pattern.clone(), false, None);
        }
        self.fields(
            node,
            key,
            &[
                ("pattern", None),
                ("zone_name", None),
                ("zone_id", None),
                ("custom_domain", None),
            ],
        )?;
        let pattern = self.req_string(
            node,
            key,
            "pattern",
            "the route's pattern, e.g. pattern = \"example.com/api/*\"",
        )?;
        let custom_domain = self.opt_bool(node, key, "custom_domain")?;
        let zone_name = self.opt_string(node, key, "zone_name")?;
        self.route_pattern(node, key, pattern, custom_domain, zone_name)
    }

    /// Checks a route's pattern with Cloudflare's rules: a hostname, a `*`
    /// only at the start of the hostname or the end of the path, and a
    /// custom domain is a bare hostname.
    fn route_pattern(
        &self,
        node: &Node,
        key: &str,
        pattern: String,
        custom_domain: bool,
        zone_name: Option<String>,
    ) -> Result<Route> {
        let bare = pattern
            .strip_prefix("https://")
            .or_else(|| pattern.strip_prefix("http://"))
            .unwrap_or(&pattern);
        let (host, path) = match bare.find('/') {
            Some(i) => (&bare[..i], &bare[i..]),
            None => (bare, ""),
        };
        let problem = if host.is_empty() || host == "*" {
            Some("the pattern needs a hostname, e.g. \"example.com/*\"")
        } else if host.chars().skip(1).any(|c| c == '*') {
            Some("a `*` is allowed only at the start of the hostname")
        } else if path.trim_end_matches('*').contains('*') {
            Some("a `*` is allowed only at the end of the path")
        } else if custom_domain && (!path.is_empty() || host.contains('*')) {
            Some("a custom domain is a hostname without a path or wildcard, e.g. \"shop.example.com\"")
        } else {
            None
        };
        match problem {
            Some(why) => Err(self.invalid(node, key, format!("route `{pattern}`: {why}"))),
            None => Ok(Route {
                pattern,
                zone_name,
                custom_domain,
            }),
        }
    }

    fn limits(&mut self, node: &Node, key: &str) -> Result<Limits> {
        self.fields(
            node,
            key,
            &[
                ("cpu_ms", None),
                ("subrequests", Some("the subrequest limit is not enforced")),
            ],
        )?;
        let mut limits = Limits::default();
        if let Some(v) = node.get("cpu_ms") {
            limits.cpu_ms = match v.kind {
                Kind::Int(ms) if ms > 0 => ms as u64,
                _ => {
                    return Err(self.invalid(
                        v,
                        &format!("{key}.cpu_ms"),
                        "expected a positive whole number of milliseconds, e.g. 30000".to_string(),
                    ))
                }
            };
        }
        Ok(limits)
    }

    fn kv(&mut self, node: &Node, key: &str) -> Result<KvNamespace> {
        self.fields(
            node,
            key,
            &[
                ("binding", None),
                ("id", None),
                ("preview_id", None),
                (
                    "remote",
                    Some("remote bindings are not supported; a local store is used"),
                ),
            ],
        )?;
        Ok(KvNamespace {
            binding: self.req_string(
                node,
                key,
                "binding",
                "each KV namespace needs a binding name",
            )?,
            id: self.opt_string(node, key, "id")?,
            preview_id: self.opt_string(node, key, "preview_id")?,
        })
    }

    fn durable_objects(&mut self, node: &Node, key: &str) -> Result<Vec<DurableObjectBinding>> {
        self.fields(node, key, &[("bindings", None)])?;
        match node.get("bindings") {
            Some(b) => self.each(b, &format!("{key}.bindings"), Self::durable_object),
            None => Ok(Vec::new()),
        }
    }

    fn durable_object(&mut self, node: &Node, key: &str) -> Result<DurableObjectBinding> {
        self.fields(
            node,
            key,
            &[
                ("name", None),
                ("class_name", None),
                ("script_name", None),
                (
                    "environment",
                    Some("the script's environment is not used locally"),
                ),
            ],
        )?;
        Ok(DurableObjectBinding {
            name: self.req_string(
                node,
                key,
                "name",
                "each Durable Object binding needs a binding name",
            )?,
            class_name: self.class_name(node, key, "class_name")?,
            script_name: self.opt_string(node, key, "script_name")?,
        })
    }

    fn migration(&mut self, node: &Node, key: &str) -> Result<Migration> {
        self.fields(
            node,
            key,
            &[
                ("tag", None),
                ("new_classes", None),
                ("new_sqlite_classes", None),
                ("renamed_classes", None),
                ("deleted_classes", None),
                (
                    "transferred_classes",
                    Some("class transfers between Workers are not supported"),
                ),
            ],
        )?;
        let renamed_classes = match node.get("renamed_classes") {
            Some(r) => self.each(r, &format!("{key}.renamed_classes"), |this, item, key| {
                this.fields(item, key, &[("from", None), ("to", None)])?;
                Ok(RenamedClass {
                    from: this.req_string(item, key, "from", "give the old class name")?,
                    to: this.class_name(item, key, "to")?,
                })
            })?,
            None => Vec::new(),
        };
        Ok(Migration {
            tag: self.req_string(
                node,
                key,
                "tag",
                "each migration needs a unique tag, e.g. tag = \"v1\"",
            )?,
            new_classes: self.class_names(node, key, "new_classes")?,
            new_sqlite_classes: self.class_names(node, key, "new_sqlite_classes")?,
            renamed_classes,
            deleted_classes: self.opt_strings(node, key, "deleted_classes")?,
        })
    }

    fn hyperdrive(&mut self, node: &Node, key: &str) -> Result<Hyperdrive> {
        self.fields(
            node,
            key,
            &[
                ("binding", None),
                ("id", None),
                ("localConnectionString", None),
                ("origin_connection_limit", None),
            ],
        )?;
        let origin_connection_limit = match node.get("origin_connection_limit") {
            None => None,
            Some(v) => match v.kind {
                Kind::Int(n) if (1..=10_000).contains(&n) => Some(n as u32),
                _ => {
                    return Err(self.invalid(
                        v,
                        &format!("{key}.origin_connection_limit"),
                        "expected a whole number of connections from 1 to 10000, e.g. 20"
                            .to_string(),
                    ))
                }
            },
        };
        Ok(Hyperdrive {
            binding: self.req_string(
                node,
                key,
                "binding",
                "each Hyperdrive config needs a binding name",
            )?,
            id: self.req_string(node, key, "id", "give the Hyperdrive configuration id")?,
            local_connection_string: self.opt_string(node, key, "localConnectionString")?,
            origin_connection_limit,
        })
    }

    fn d1(&mut self, node: &Node, key: &str) -> Result<D1Database> {
        self.fields(
            node,
            key,
            &[
                ("binding", None),
                ("database_name", None),
                ("database_id", None),
                ("preview_database_id", None),
                ("migrations_dir", None),
                ("migrations_table", None),
                (
                    "migrations_pattern",
                    Some("only top-level `.sql` files of migrations_dir are applied"),
                ),
                (
                    "remote",
                    Some("remote bindings are not supported; a local database is used"),
                ),
                (
                    "database_internal_env",
                    Some("it only selects Cloudflare's internal environments"),
                ),
            ],
        )?;
        let binding = self.req_string(
            node,
            key,
            "binding",
            "each D1 database needs a binding name, e.g. binding = \"DB\"",
        )?;
        let migrations_dir = self
            .opt_string(node, key, "migrations_dir")?
            .unwrap_or_else(|| "migrations".to_string());
        Ok(D1Database {
            binding,
            database_name: self.opt_string(node, key, "database_name")?,
            database_id: self.opt_string(node, key, "database_id")?,
            preview_database_id: self.opt_string(node, key, "preview_database_id")?,
            migrations_dir: PathBuf::from(migrations_dir),
            migrations_table: self
                .opt_string(node, key, "migrations_table")?
                .unwrap_or_else(|| "d1_migrations".to_string()),
        })
    }

    fn r2(&mut self, node: &Node, key: &str) -> Result<R2Bucket> {
        self.fields(
            node,
            key,
            &[
                ("binding", None),
                ("bucket_name", None),
                ("preview_bucket_name", None),
                (
                    "jurisdiction",
                    Some("buckets are stored locally, in no jurisdiction"),
                ),
                (
                    "remote",
                    Some("remote bindings are not supported; a local bucket is used"),
                ),
            ],
        )?;
        Ok(R2Bucket {
            binding: self.req_string(
                node,
                key,
                "binding",
                "each R2 bucket needs a binding name, e.g. binding = \"BUCKET\"",
            )?,
            bucket_name: self.opt_string(node, key, "bucket_name")?,
            preview_bucket_name: self.opt_string(node, key, "preview_bucket_name")?,
        })
    }

    fn service(&mut self, node: &Node, key: &str) -> Result<ServiceBinding> {
        self.fields(
            node,
            key,
            &[
                ("binding", None),
                ("service", None),
                ("entrypoint", None),
                ("environment", Some("workers are reached by `name` only")),
                ("props", Some("`ctx.props` from a binding is not supported")),
                (
                    "remote",
                    Some("remote bindings are not supported; the worker must run in this hearth"),
                ),
            ],
        )?;
        Ok(ServiceBinding {
            binding: self.req_string(
                node,
                key,
                "binding",
                "each service binding needs a binding name",
            )?,
            service: self.req_string(
                node,
                key,
                "service",
                "name the worker to bind to (its `name`)",
            )?,
            entrypoint: self.opt_string(node, key, "entrypoint")?,
        })
    }

    fn outbound(&mut self, node: &Node, key: &str, root: &Path) -> Result<Outbound> {
        self.fields(
            node,
            key,
            &[("allow", None), ("deny", None), ("ca_bundle", None)],
        )?;
        let allow = self.opt_strings(node, key, "allow")?;
        let deny = self.opt_strings(node, key, "deny")?;
        for (field, list) in [("allow", &allow), ("deny", &deny)] {
            for (i, pattern) in list.iter().enumerate() {
                if split_host_port(pattern).is_none_or(|(h, p)| h.is_empty() || p.is_empty()) {
                    let at = node.get(field).unwrap_or(node);
                    return Err(self.invalid(
                        at,
                        &format!("{key}.{field}[{i}]"),
                        format!(
                            "`{pattern}` is not a host:port pattern; use e.g. \"127.0.0.1:*\", \
                             \"*.internal:5432\" or \"*:*\""
                        ),
                    ));
                }
            }
        }
        let ca_bundle = self
            .opt_string(node, key, "ca_bundle")?
            .map(|p| resolve(root, &p));
        Ok(Outbound {
            allow,
            deny,
            ca_bundle,
        })
    }

    fn build(&mut self, node: &Node, key: &str, root: &Path) -> Result<Option<Build>> {
        self.fields(
            node,
            key,
            &[("command", None), ("cwd", None), ("watch_dir", None)],
        )?;
        let Some(command) = self.opt_string(node, key, "command")? else {
            return Ok(None);
        };
        let cwd = match self.opt_string(node, key, "cwd")? {
            Some(cwd) => resolve(root, &cwd),
            None => root.to_path_buf(),
        };
        let watch_dirs = match node.get("watch_dir") {
            None => vec![resolve(root, "./src")],
            Some(
                v @ Node {
                    kind: Kind::Str(_), ..
                },
            ) => vec![resolve(root, &self.string(v, &format!("{key}.watch_dir"))?)],
            Some(v) => self
                .strings(v, &format!("{key}.watch_dir"))?
                .iter()
                .map(|d| resolve(root, d))
                .collect(),
        };
        Ok(Some(Build {
            command,
            cwd,
            watch_dirs,
        }))
    }

    fn tcp_listener(&mut self, node: &Node, key: &str) -> Result<TcpListener> {
        self.fields(node, key, &[("address", None), ("handler", None)])?;
        let address = self.req_string(
            node,
            key,
            "address",
            "each TCP listener needs an address, e.g. address = \"127.0.0.1:6380\"",
        )?;
        if let Err(err) = address.parse::<SocketAddr>() {
            let at = node.get("address").unwrap_or(node);
            return Err(self.invalid(
                at,
                &format!("{key}.address"),
                format!(
                    "`{address}` is not an IP:port address ({err}); use e.g. \"127.0.0.1:6380\""
                ),
            ));
        }
        Ok(TcpListener {
            address,
            handler: self.opt_string(node, key, "handler")?,
        })
    }
}

/// Levenshtein distance, for "did you mean" hints.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

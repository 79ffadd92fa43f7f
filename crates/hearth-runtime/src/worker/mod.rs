//! A loaded Workers project: configuration, sources and bindings, shared by
//! every isolate that runs it.

pub(crate) mod env;

use crate::host::errors::StartupError;
use crate::loader::to_module_name;
use hearth_config::{Config, ModuleKind};
use hearth_d1::D1Database;
use hearth_durable::AlarmIndex;
use hearth_kv::KvStore;
use hearth_queues::QueueStore;
use hearth_r2::Bucket;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Default cap on one isolate's JavaScript heap, as on Cloudflare.
pub const DEFAULT_MEMORY_LIMIT: usize = 128 * 1024 * 1024;

/// What is needed to load a worker besides its configuration file.
pub struct WorkerOptions {
    /// The parsed project configuration (with `--env` already applied).
    pub config: Config,
    /// `--var KEY:VALUE` overrides, applied on top of `[vars]`.
    pub var_overrides: Vec<(String, String)>,
    /// Secrets from `.dev.vars`, exposed on `env` like vars.
    pub secrets: BTreeMap<String, String>,
    /// The folder for this worker's local state (`--persist-to`): Durable
    /// Objects, cache and other stores keep their files under it.
    pub state_dir: PathBuf,
    /// The store behind `kv_namespaces` bindings; required when the
    /// configuration declares any.
    pub kv: Option<KvStore>,
    /// Heap cap per isolate in bytes.
    pub memory_limit: usize,
    /// The pools behind the `hyperdrive` bindings, in configuration order.
    pub hyperdrive: Vec<HyperdriveBinding>,
    /// The process's queues; required when the configuration has `queues`
    /// producers or consumers.
    pub queues: Option<QueueStore>,
    /// The deployed version this load is (`hearth serve`), for the
    /// `version_metadata` binding; `None`: each load is a fresh version.
    pub version: Option<DeployedVersion>,
}

/// A version stored by `hearth serve`, as the `version_metadata` binding
/// shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployedVersion {
    /// The version's id (a UUID).
    pub id: String,
    /// Its tag (`--tag`), empty when none.
    pub tag: String,
    /// When it was uploaded, ISO 8601.
    pub timestamp: String,
}

/// A `hyperdrive` binding: `env.BINDING` describes how to reach the
/// connection pool hearth runs for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HyperdriveBinding {
    /// Name on `env`.
    pub binding: String,
    /// `postgresql://user:password@host:port/database` of the pool.
    pub connection_string: String,
    /// The pool's host.
    pub host: String,
    /// The pool's port.
    pub port: u16,
    /// User to log in to the pool as.
    pub user: String,
    /// Password the pool expects.
    pub password: String,
    /// Database name.
    pub database: String,
}

/// How the entry module hands its handlers to the runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// `export default { fetch() {} }`
    Modules,
    /// `addEventListener('fetch', ...)`, bindings as globals.
    ServiceWorker,
}

/// A loaded project. Cheap to clone; every isolate of the project shares one.
#[derive(Clone)]
pub struct Worker(Arc<Inner>);

struct Inner {
    config: Config,
    main: String,
    /// False for an assets-only project (no `main`).
    has_script: bool,
    /// The scanned `[assets]` folder.
    assets: Option<Arc<hearth_assets::Assets>>,
    /// `[site]`: the `__STATIC_CONTENT_MANIFEST` JSON.
    site_manifest: Option<String>,
    /// How JSX compiles (the project's tsconfig.json).
    jsx: crate::loader::transpile::Jsx,
    format: Format,
    env_values: Vec<(String, EnvValue)>,
    state_dir: PathBuf,
    kv: Option<KvStore>,
    kv_bindings: Vec<(String, String)>,
    d1_bindings: Vec<(String, D1Database)>,
    r2_bindings: Vec<(String, Bucket)>,
    hyperdrive: Vec<HyperdriveBinding>,
    queues: Option<QueueStore>,
    durable_classes: Vec<String>,
    alarm_index: Option<Arc<AlarmIndex>>,
    memory_limit: usize,
    /// This load's `version_metadata`: a fresh id, and when it was loaded.
    version: VersionMetadata,
    /// Sources read once per load, so every isolate of one generation runs
    /// the same code even while files change on disk.
    sources: Mutex<HashMap<String, Arc<[u8]>>>,
}

/// What a `version_metadata` binding shows. Each load of the worker (start,
/// or a reload after a change) is a new version, as each upload is on
/// Cloudflare; every isolate of one load shows the same values.
pub(crate) struct VersionMetadata {
    /// A random UUID (version 4), as Cloudflare's version ids are.
    pub(crate) id: String,
    /// Set by `hearth versions upload --tag` under `hearth serve`; empty otherwise.
    pub(crate) tag: String,
    /// When this version was loaded, as an ISO 8601 string.
    pub(crate) timestamp: String,
}

impl VersionMetadata {
    fn fresh() -> VersionMetadata {
        let mut bytes: [u8; 16] = rand::random();
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let id = format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        );
        VersionMetadata {
            id,
            tag: String::new(),
            timestamp: iso_now(),
        }
    }
}

/// Now as `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC).
fn iso_now() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

/// A plain value placed on `env` (or on the global scope for service workers).
#[derive(Clone, Debug)]
pub(crate) enum EnvValue {
    Text(String),
    Json(serde_json::Value),
}

impl Worker {
    /// Loads the project's entry point and decides its format.
    pub fn load(options: WorkerOptions) -> Result<Worker, StartupError> {
        let WorkerOptions {
            config,
            var_overrides,
            secrets,
            state_dir,
            kv,
            memory_limit,
            hyperdrive,
            version,
            queues,
        } = options;
        let assets = load_assets(&config)?;
        let (main, main_source, has_script) = match (&config.main, &assets) {
            (Some(main_path), _) => {
                let relative = main_path
                    .strip_prefix(&config.root)
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|_| main_path.clone());
                let source = std::fs::read(main_path).map_err(|e| {
                    StartupError::new(format!(
                        "{}: cannot read main module {}: {e}",
                        config.path.display(),
                        main_path.display()
                    ))
                })?;
                (to_module_name(&relative), source, true)
            }
            // An assets-only project: the server never enters this script.
            (None, Some(_)) => (
                ASSETS_ONLY_MAIN.to_string(),
                ASSETS_ONLY_SOURCE.as_bytes().to_vec(),
                false,
            ),
            (None, None) => {
                return Err(StartupError::new(format!(
                    "{}: no `main` entry point is set; add e.g. `main = \"src/index.js\"` (or an \
                     [assets] directory for a static site)",
                    config.path.display()
                )))
            }
        };
        let format = detect_format(&String::from_utf8_lossy(&main_source));

        let mut env_values: Vec<(String, EnvValue)> = Vec::new();
        let mut set = |key: String, value: EnvValue| {
            env_values.retain(|(k, _)| *k != key);
            env_values.push((key, value));
        };
        for (key, value) in &config.vars {
            match value {
                serde_json::Value::String(s) => set(key.clone(), EnvValue::Text(s.clone())),
                other => set(key.clone(), EnvValue::Json(other.clone())),
            }
        }
        for (key, value) in var_overrides {
            set(key, EnvValue::Text(value));
        }
        for (key, value) in secrets {
            set(key, EnvValue::Text(value));
        }

        let mut kv_bindings = Vec::new();
        if !config.kv_namespaces.is_empty() {
            let store = kv.as_ref().ok_or_else(|| {
                StartupError::new("kv_namespaces are configured but no KV store was opened")
            })?;
            for ns in &config.kv_namespaces {
                let id = kv_namespace_id(ns);
                store.ensure_namespace(&id, &ns.binding).map_err(|e| {
                    StartupError::new(format!(
                        "{}: kv_namespaces binding {} (id {id}): {e}",
                        config.path.display(),
                        ns.binding
                    ))
                })?;
                kv_bindings.push((ns.binding.clone(), id));
            }
        }

        let mut d1_bindings = Vec::new();
        for db in &config.d1_databases {
            let opened = D1Database::open(&state_dir, db.local_id()).map_err(|e| {
                StartupError::new(format!(
                    "{}: d1_databases binding {}: {e}",
                    config.path.display(),
                    db.binding
                ))
            })?;
            d1_bindings.push((db.binding.clone(), opened));
        }

        let mut r2_bindings = Vec::new();
        for b in &config.r2_buckets {
            let opened = Bucket::open(&state_dir, b.local_name()).map_err(|e| {
                StartupError::new(format!(
                    "{}: r2_buckets binding {}: {e}",
                    config.path.display(),
                    b.binding
                ))
            })?;
            r2_bindings.push((b.binding.clone(), opened));
        }
        let queues = open_queues(&config, queues)?;

        let durable_classes = hosted_classes(&config);
        let alarm_index = if durable_classes.is_empty() {
            None
        } else {
            let dir = state_dir.join("do");
            Some(Arc::new(AlarmIndex::open(&dir).map_err(|e| {
                StartupError::new(format!(
                    "cannot open the Durable Object alarm index in {}: {e}",
                    dir.display()
                ))
            })?))
        };

        let jsx = crate::loader::transpile::Jsx::from_tsconfig(&config.root);
        let mut sources = HashMap::new();
        sources.insert(main.clone(), Arc::from(main_source));
        let site_manifest = match &config.site {
            Some(site) => {
                let manifest = crate::bindings::site::manifest(&site.bucket).map_err(|e| {
                    StartupError::new(format!("{}: site.bucket: {e}", config.path.display()))
                })?;
                let module = format!(
                    "export default {};\n",
                    serde_json::to_string(&manifest).expect("strings serialize")
                );
                sources.insert(
                    crate::bindings::site::MANIFEST_MODULE.to_string(),
                    Arc::from(module.into_bytes()),
                );
                Some(manifest)
            }
            None => None,
        };
        Ok(Worker(Arc::new(Inner {
            config,
            main,
            has_script,
            assets,
            site_manifest,
            jsx,
            format,
            env_values,
            state_dir,
            kv,
            kv_bindings,
            d1_bindings,
            r2_bindings,
            hyperdrive,
            queues,
            durable_classes,
            alarm_index,
            memory_limit,
            version: version
                .map(|v| VersionMetadata {
                    id: v.id,
                    tag: v.tag,
                    timestamp: v.timestamp,
                })
                .unwrap_or_else(VersionMetadata::fresh),
            sources: Mutex::new(sources),
        })))
    }

    /// The `version_metadata` binding's values for this load of the worker.
    pub(crate) fn version(&self) -> &VersionMetadata {
        &self.0.version
    }

    /// The worker's name from its configuration.
    pub fn name(&self) -> &str {
        &self.0.config.name
    }

    /// The project folder; module names are relative to it.
    pub fn root(&self) -> &Path {
        &self.0.config.root
    }

    /// The configuration this worker was loaded from.
    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// Whether the project has a script (`main`); an assets-only project
    /// does not, and every request is answered by its assets.
    pub fn has_script(&self) -> bool {
        self.0.has_script
    }

    /// How the project's JSX compiles.
    pub(crate) fn jsx(&self) -> &crate::loader::transpile::Jsx {
        &self.0.jsx
    }

    /// `[site]`: the manifest mapping the bucket's paths to their keys.
    pub(crate) fn site_manifest(&self) -> Option<&str> {
        self.0.site_manifest.as_deref()
    }

    /// The `[assets]` folder, scanned at load.
    pub fn assets(&self) -> Option<&Arc<hearth_assets::Assets>> {
        self.0.assets.as_ref()
    }

    pub(crate) fn main(&self) -> &str {
        &self.0.main
    }

    pub(crate) fn format(&self) -> Format {
        self.0.format
    }

    pub(crate) fn env_values(&self) -> &[(String, EnvValue)] {
        &self.0.env_values
    }

    /// The folder for local state (`--persist-to`).
    pub fn state_dir(&self) -> &Path {
        &self.0.state_dir
    }

    pub(crate) fn kv(&self) -> Option<&KvStore> {
        self.0.kv.as_ref()
    }

    /// Durable Object classes this worker hosts.
    pub(crate) fn durable_classes(&self) -> &[String] {
        &self.0.durable_classes
    }

    /// Whether this worker hosts Durable Object class `class` (binds it
    /// itself or creates it in its migrations), so other workers may bind it
    /// with `script_name`.
    pub fn hosts_class(&self, class: &str) -> bool {
        self.0.durable_classes.iter().any(|c| c == class)
    }

    /// The process's index of scheduled alarms, when the worker has Durable Objects.
    pub fn alarm_index(&self) -> Option<Arc<AlarmIndex>> {
        self.0.alarm_index.clone()
    }

    /// `(binding name, namespace id)` for each KV binding.
    pub(crate) fn kv_bindings(&self) -> &[(String, String)] {
        &self.0.kv_bindings
    }

    /// `(binding name, database)` for each D1 binding.
    pub(crate) fn d1_bindings(&self) -> &[(String, D1Database)] {
        &self.0.d1_bindings
    }

    /// The database behind D1 binding `binding`.
    pub(crate) fn d1(&self, binding: &str) -> Option<&D1Database> {
        self.0
            .d1_bindings
            .iter()
            .find(|(b, _)| b == binding)
            .map(|(_, db)| db)
    }

    /// `(binding name, bucket)` for each R2 binding.
    pub(crate) fn r2_bindings(&self) -> &[(String, Bucket)] {
        &self.0.r2_bindings
    }

    /// The bucket behind R2 binding `binding`.
    pub(crate) fn r2(&self, binding: &str) -> Option<&Bucket> {
        self.0
            .r2_bindings
            .iter()
            .find(|(b, _)| b == binding)
            .map(|(_, bucket)| bucket)
    }

    /// The queues, when the worker produces to or consumes any.
    pub fn queue_store(&self) -> Option<&QueueStore> {
        self.0.queues.as_ref()
    }

    /// The `queues.producers` entry of binding `binding`.
    pub(crate) fn queue_producer(&self, binding: &str) -> Option<&hearth_config::queues::Producer> {
        self.0
            .config
            .queues
            .producers
            .iter()
            .find(|p| p.binding == binding)
    }

    /// The `hyperdrive` bindings.
    pub(crate) fn hyperdrive(&self) -> &[HyperdriveBinding] {
        &self.0.hyperdrive
    }

    pub(crate) fn memory_limit(&self) -> usize {
        self.0.memory_limit
    }

    pub(crate) fn cpu_limit(&self) -> Duration {
        Duration::from_millis(self.0.config.limits.cpu_ms)
    }

    /// The bytes of a module, read from disk once per load. Only names
    /// inside the project folder are read: whatever a worker's code asks for
    /// (an import, a Data module, node:fs), it reads only its own project.
    pub(crate) fn source(&self, name: &str) -> Result<Arc<[u8]>, String> {
        let mut cache = self.0.sources.lock().expect("source cache poisoned");
        if let Some(bytes) = cache.get(name) {
            return Ok(bytes.clone());
        }
        if !inside_project(name) {
            return Err(format!(
                "cannot read {name:?}: it is outside the project folder {} (a worker reads \
                 only its own project's modules)",
                self.root().display()
            ));
        }
        let path: PathBuf = self.root().join(name);
        if self.in_state(name, &path) {
            return Err(format!(
                "cannot read {name:?}: it is hearth's state (--persist-to), not a module"
            ));
        }
        let bytes: Arc<[u8]> = std::fs::read(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?
            .into();
        cache.insert(name.to_string(), bytes.clone());
        Ok(bytes)
    }

    /// Whether `path` lies in hearth's state: this worker's state folder,
    /// the KV database's folder (shared by every worker of the process), or
    /// any `.hearth` folder of the project. A project holding the state folder
    /// of `hearth dev` cannot import its databases as Data modules.
    fn in_state(&self, name: &str, path: &Path) -> bool {
        if Path::new(name)
            .components()
            .any(|c| c.as_os_str() == std::ffi::OsStr::new(".hearth"))
        {
            return true;
        }
        let Ok(real) = path.canonicalize() else {
            return false;
        };
        let kv_dir = self.kv().and_then(|kv| kv.path().parent());
        [Some(self.state_dir()), kv_dir]
            .into_iter()
            .flatten()
            .filter_map(|dir| dir.canonicalize().ok())
            .any(|dir| real.starts_with(dir))
    }

    /// The files this worker has read modules from so far (entry point,
    /// imports, also dynamic ones, Text and Data modules), under
    /// [`Worker::root`]: what `hearth dev` watches.
    pub fn source_files(&self) -> Vec<PathBuf> {
        let cache = self.0.sources.lock().expect("source cache poisoned");
        cache
            .keys()
            .filter(|name| {
                *name != ASSETS_ONLY_MAIN && *name != crate::bindings::site::MANIFEST_MODULE
            })
            .map(|name| self.root().join(name))
            .collect()
    }

    /// Whether `path` is one of [`Worker::source_files`].
    pub fn has_source_file(&self, path: &Path) -> bool {
        let Ok(relative) = path.strip_prefix(self.root()) else {
            return false;
        };
        let name = to_module_name(relative);
        let cache = self.0.sources.lock().expect("source cache poisoned");
        cache.contains_key(&name)
    }

    pub(crate) fn module_kind(&self, name: &str) -> Option<ModuleKind> {
        self.0.config.module_kind(Path::new(name))
    }
}

/// Whether the module name `name` is a plain relative path that stays in the
/// project folder: no absolute path, no `..`, no drive or NUL.
pub(crate) fn inside_project(name: &str) -> bool {
    !name.is_empty()
        && !name.contains(['\\', '\0', ':'])
        && Path::new(name)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// The module name and source standing in for `main` in an assets-only
/// project; kept in memory, never read from disk.
const ASSETS_ONLY_MAIN: &str = "__hearth_assets_only__.js";
const ASSETS_ONLY_SOURCE: &str =
    "export default { fetch() { return new Response(null, { status: 404 }); } };\n";

/// Scans the `[assets]` folder, printing its `_headers` / `_redirects`
/// warnings.
fn load_assets(config: &Config) -> Result<Option<Arc<hearth_assets::Assets>>, StartupError> {
    let Some(assets) = &config.assets else {
        return Ok(None);
    };
    let navigation = config
        .compatibility
        .is_on("assets_navigation_prefers_asset_serving");
    let loaded = hearth_assets::Assets::load(assets, navigation)
        .map_err(|e| StartupError::new(format!("{}: assets: {e}", config.path.display())))?;
    for warning in loaded.warnings() {
        tracing::warn!("{warning}");
    }
    Ok(Some(Arc::new(loaded)))
}

/// The queue store for a configuration with `queues`, each named queue
/// created in it (as `wrangler dev` does); `None` without `queues`.
fn open_queues(
    config: &Config,
    store: Option<QueueStore>,
) -> Result<Option<QueueStore>, StartupError> {
    let q = &config.queues;
    if q.producers.is_empty() && q.consumers.is_empty() {
        return Ok(None);
    }
    let store = store
        .ok_or_else(|| StartupError::new("queues are configured but no queue store was opened"))?;
    let names = q
        .producers
        .iter()
        .map(|p| &p.queue)
        .chain(q.consumers.iter().map(|c| &c.queue))
        .chain(
            q.consumers
                .iter()
                .filter_map(|c| c.dead_letter_queue.as_ref()),
        );
    for name in names {
        store
            .ensure_queue(name)
            .map_err(|e| StartupError::new(format!("{}: queues: {e}", config.path.display())))?;
    }
    Ok(Some(store))
}

/// The namespace id a binding uses locally: its `id`, else its `preview_id`,
/// else the binding name (wrangler dev does the same for local-only bindings).
pub fn kv_namespace_id(ns: &hearth_config::KvNamespace) -> String {
    ns.id
        .clone()
        .or_else(|| ns.preview_id.clone())
        .unwrap_or_else(|| ns.binding.clone())
}

/// The Durable Object classes a worker hosts: those its own bindings name
/// (no `script_name`, or its own name) and those its migrations create and
/// do not delete. A class only other workers bind is declared by migrations.
fn hosted_classes(config: &Config) -> Vec<String> {
    let mut classes: Vec<String> = Vec::new();
    for migration in &config.migrations {
        let created = migration
            .new_classes
            .iter()
            .chain(&migration.new_sqlite_classes)
            .chain(migration.renamed_classes.iter().map(|r| &r.to));
        classes.extend(created.cloned());
        classes.retain(|c| !migration.deleted_classes.contains(c));
    }
    let bound = config
        .durable_objects
        .iter()
        .filter(|b| b.script_name.as_ref().is_none_or(|s| *s == config.name))
        .map(|b| b.class_name.clone());
    classes.extend(bound);
    classes.sort();
    classes.dedup();
    classes
}

/// A script with an `export` statement is an ES module worker; anything else
/// is a service worker, as wrangler decides from the bundle's exports.
fn detect_format(source: &str) -> Format {
    let exports = source.lines().any(|line| {
        let t = line.trim_start();
        t.starts_with("export ") || t.starts_with("export{") || t.starts_with("export default")
    });
    if exports {
        Format::Modules
    } else {
        Format::ServiceWorker
    }
}

//! Finding and loading the project in a folder: config, `.dev.vars`, worker.

use crate::hyperdrive::LazyHyperdrive;
use anyhow::{anyhow, bail, Context, Result};
use hearth_config::Config;
use hearth_kv::KvStore;
use hearth_runtime::{Worker, WorkerOptions};
use std::path::{Path, PathBuf};

/// Where the project comes from, as given on the command line.
#[derive(Clone, Debug)]
pub(crate) struct ProjectArgs {
    pub(crate) dir: PathBuf,
    /// `hearth dev SCRIPT`: the entry point, instead of the config's `main`.
    pub(crate) script: Option<PathBuf>,
    pub(crate) config: Option<PathBuf>,
    pub(crate) env: Option<String>,
    pub(crate) vars: Vec<(String, String)>,
}

/// Reads the configuration, printing its warnings once.
pub(crate) fn load_config(args: &ProjectArgs, announce: bool) -> Result<Config> {
    let located = match &args.config {
        Some(path) => Some(hearth_config::Located {
            path: path.clone(),
            redirected_from: None,
        }),
        None => hearth_config::locate_config(&args.dir).map_err(|e| anyhow!(e))?,
    };
    let mut config = match &located {
        Some(found) => hearth_config::load(&found.path, args.env.as_deref())?,
        // A bare script runs with every setting at its default, as with wrangler.
        None if args.script.is_some() => hearth_config::default_config(&args.dir),
        None => bail!(
            "no wrangler.toml, wrangler.json or wrangler.jsonc in {}; pass --config PATH, run in a project folder, or name the entry script (`hearth dev src/index.js`)",
            args.dir.display()
        ),
    };
    if let Some(script) = &args.script {
        config.main = Some(std::path::absolute(script).unwrap_or_else(|_| script.clone()));
    }
    if announce {
        if let Some(hearth_config::Located {
            path,
            redirected_from: Some(deploy),
        }) = &located
        {
            tracing::info!(
                "using the configuration a build generated, {} (redirected by {})",
                path.display(),
                deploy.display()
            );
        }
        for warning in &config.warnings {
            tracing::warn!("{warning}");
        }
        for warning in config.compatibility.warnings() {
            tracing::warn!("{}: {warning}", config.path.display());
        }
    }
    Ok(config)
}

/// Loads the worker the configuration describes, with the project's
/// `.dev.vars` / `.env` secrets.
pub(crate) fn load_worker(
    args: &ProjectArgs,
    config: Config,
    state_dir: &Path,
    kv: &LazyKv,
    hyperdrive: &LazyHyperdrive,
) -> Result<Worker> {
    let secrets = hearth_config::load_dev_vars(&config.root, args.env.as_deref())?;
    load_worker_with(
        config,
        args.vars.clone(),
        secrets,
        state_dir,
        kv,
        hyperdrive,
        None,
    )
}

/// Loads a worker from its configuration with the given vars and secrets:
/// `hearth dev`'s project, or a version `hearth serve` stored.
pub(crate) fn load_worker_with(
    config: Config,
    var_overrides: Vec<(String, String)>,
    secrets: std::collections::BTreeMap<String, String>,
    state_dir: &Path,
    kv: &LazyKv,
    hyperdrive: &LazyHyperdrive,
    version: Option<hearth_runtime::DeployedVersion>,
) -> Result<Worker> {
    let queues = if config.queues.producers.is_empty() && config.queues.consumers.is_empty() {
        None
    } else {
        // Every worker of the process shares the primary's queues.
        let store = hearth_queues::QueueStore::open(&kv.dir)
            .with_context(|| format!("cannot open queue storage in {}", kv.dir.display()))?;
        Some(store)
    };
    let kv = if config.kv_namespaces.is_empty() {
        None
    } else {
        Some(kv.get()?)
    };
    let hyperdrive = hyperdrive.bindings(&config)?;
    let worker = Worker::load(WorkerOptions {
        config,
        var_overrides,
        secrets,
        state_dir: state_dir.to_path_buf(),
        kv,
        memory_limit: hearth_runtime::DEFAULT_MEMORY_LIMIT,
        hyperdrive,
        version,
        queues,
    })?;
    Ok(worker)
}

/// The project's KV store, opened on first need: most of a small worker's
/// start-up time would otherwise go to creating a database it never uses.
pub(crate) struct LazyKv {
    dir: std::path::PathBuf,
    store: std::sync::OnceLock<KvStore>,
}

impl LazyKv {
    /// A store in `dir`, not opened yet.
    pub(crate) fn new(dir: &Path) -> LazyKv {
        LazyKv {
            dir: dir.to_path_buf(),
            store: std::sync::OnceLock::new(),
        }
    }

    /// Opens the store if needed.
    pub(crate) fn get(&self) -> Result<KvStore> {
        if let Some(store) = self.store.get() {
            return Ok(store.clone());
        }
        let store = KvStore::open(&self.dir)
            .with_context(|| format!("cannot open KV storage in {}", self.dir.display()))?;
        if let Some(secs) = store.apply_clock_offset_from_env() {
            tracing::warn!(
                "KV clock shifted by {secs} s ({}; for tests)",
                hearth_kv::CLOCK_OFFSET_ENV
            );
        }
        Ok(self.store.get_or_init(|| store).clone())
    }
}

/// Parses `--var KEY:VALUE`.
pub(crate) fn parse_var(s: &str) -> Result<(String, String), String> {
    s.split_once(':')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("`{s}` is not KEY:VALUE"))
}

/// The persistence folder: `--persist-to`, else `.hearth/state` in the project.
pub(crate) fn persist_dir(root: &Path, persist_to: Option<&Path>) -> Result<PathBuf> {
    let dir = match persist_to {
        Some(p) => p.to_path_buf(),
        None => root.join(".hearth").join("state"),
    };
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the state folder {}", dir.display()))?;
    if !dir.is_dir() {
        bail!("{} is not a folder", dir.display());
    }
    Ok(dir)
}

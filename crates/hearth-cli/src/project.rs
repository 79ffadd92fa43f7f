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
    pub(crate) config: Option<PathBuf>,
    pub(crate) env: Option<String>,
    pub(crate) vars: Vec<(String, String)>,
}

/// Reads the configuration, printing its warnings once.
pub(crate) fn load_config(args: &ProjectArgs, announce: bool) -> Result<Config> {
    let path = match &args.config {
        Some(path) => path.clone(),
        None => hearth_config::find_config(&args.dir).ok_or_else(|| {
            anyhow!(
                "no wrangler.toml, wrangler.json or wrangler.jsonc in {}; pass --config PATH or run in a project folder",
                args.dir.display()
            )
        })?,
    };
    let config = hearth_config::load(&path, args.env.as_deref())?;
    if announce {
        for warning in &config.warnings {
            tracing::warn!("{warning}");
        }
        for warning in config.compatibility.warnings() {
            tracing::warn!("{}: {warning}", config.path.display());
        }
    }
    Ok(config)
}

/// Loads the worker the configuration describes.
pub(crate) fn load_worker(
    args: &ProjectArgs,
    config: Config,
    state_dir: &Path,
    kv: &LazyKv,
    hyperdrive: &LazyHyperdrive,
) -> Result<Worker> {
    let kv = if config.kv_namespaces.is_empty() {
        None
    } else {
        Some(kv.get()?)
    };
    let secrets = hearth_config::load_dev_vars(&config.root, args.env.as_deref())?;
    let hyperdrive = hyperdrive.bindings(&config)?;
    let worker = Worker::load(WorkerOptions {
        config,
        var_overrides: args.vars.clone(),
        secrets,
        state_dir: state_dir.to_path_buf(),
        kv,
        memory_limit: hearth_runtime::DEFAULT_MEMORY_LIMIT,
        hyperdrive,
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

//! The workers of one `hearth dev`: with several `-c` files (as with
//! `wrangler dev -c a/wrangler.toml -c b/wrangler.toml`) the first is the
//! primary, serving HTTP, and the others run beside it, reached through
//! Durable Object bindings whose `script_name` names them.

use crate::hyperdrive::LazyHyperdrive;
use crate::project::{load_config, load_worker, LazyKv, ProjectArgs};
use anyhow::{bail, Result};
use hearth_config::Config;
use hearth_runtime::Worker;
use std::path::{Path, PathBuf};

/// The loaded workers, primary first.
pub(crate) struct Workers {
    /// Serves HTTP (and TCP listeners).
    pub(crate) primary: Worker,
    /// Reached through bindings only.
    pub(crate) others: Vec<Worker>,
}

impl Workers {
    /// Every worker, primary first (cheap clones), for watching.
    pub(crate) fn all(&self) -> Vec<Worker> {
        std::iter::once(&self.primary)
            .chain(&self.others)
            .cloned()
            .collect()
    }
}

/// Where a non-primary worker keeps its state: its own folder under the
/// primary's, so classes of the same name in two workers stay apart.
fn state_of_other(state: &Path, name: &str) -> PathBuf {
    state.join("workers").join(name)
}

/// Reads every configuration, printing warnings when `announce`.
pub(crate) fn load_configs(projects: &[ProjectArgs], announce: bool) -> Result<Vec<Config>> {
    let configs = projects
        .iter()
        .map(|p| load_config(p, announce))
        .collect::<Result<Vec<_>>>()?;
    check_names(&configs)?;
    Ok(configs)
}

/// Loads the workers of `configs` (from [`load_configs`]) and checks the
/// bindings between them. `state` is the primary's state folder; KV is
/// shared, as wrangler shares its persistence folder.
pub(crate) fn load_workers(
    projects: &[ProjectArgs],
    configs: Vec<Config>,
    state: &Path,
    kv: &LazyKv,
    hyperdrive: &LazyHyperdrive,
) -> Result<Workers> {
    let mut workers = Vec::with_capacity(configs.len());
    for (index, (project, config)) in projects.iter().zip(configs).enumerate() {
        let dir = if index == 0 {
            state.to_path_buf()
        } else {
            let dir = state_of_other(state, &config.name);
            std::fs::create_dir_all(&dir)?;
            dir
        };
        workers.push(load_worker(project, config, &dir, kv, hyperdrive)?);
    }
    check_script_names(&workers)?;
    check_services(&workers)?;
    let mut workers = workers.into_iter();
    let primary = workers.next().expect("at least one configuration");
    Ok(Workers {
        primary,
        others: workers.collect(),
    })
}

/// Workers are found by name, so two loaded workers may not share one.
fn check_names(configs: &[Config]) -> Result<()> {
    for (i, a) in configs.iter().enumerate() {
        if let Some(b) = configs[..i].iter().find(|b| b.name == a.name) {
            bail!(
                "{} and {} both name their worker \"{}\"; workers run together need distinct `name`s",
                b.path.display(),
                a.path.display(),
                a.name
            );
        }
    }
    Ok(())
}

/// Every service binding must name a loaded worker (and an export of it,
/// checked when the worker's isolate starts).
fn check_services(workers: &[Worker]) -> Result<()> {
    for worker in workers {
        let config = worker.config();
        for (i, binding) in config.services.iter().enumerate() {
            if workers.iter().any(|w| w.name() == binding.service) {
                continue;
            }
            let loaded: Vec<&str> = workers.iter().map(|w| w.name()).collect();
            bail!(
                "{}: services[{i}] (binding \"{}\") names worker \"{}\", which this `hearth dev` \
                 did not load (loaded: {}); pass that worker's configuration too, e.g. \
                 `hearth dev -c {} -c path/to/{}/wrangler.toml`",
                config.path.display(),
                binding.binding,
                binding.service,
                loaded.join(", "),
                config.path.display(),
                binding.service
            );
        }
    }
    Ok(())
}

/// Every `script_name` must name a loaded worker that hosts the class.
fn check_script_names(workers: &[Worker]) -> Result<()> {
    for worker in workers {
        let config = worker.config();
        for (i, binding) in config.durable_objects.iter().enumerate() {
            let Some(script) = &binding.script_name else {
                continue;
            };
            let key = format!("durable_objects.bindings[{i}].script_name");
            let Some(target) = workers.iter().find(|w| w.name() == script) else {
                let loaded: Vec<&str> = workers.iter().map(|w| w.name()).collect();
                bail!(
                    "{}: {key} = \"{script}\" names no worker loaded by this `hearth dev` \
                     (loaded: {}); pass that worker's configuration too, e.g. \
                     `hearth dev -c {} -c path/to/{script}/wrangler.toml`",
                    config.path.display(),
                    loaded.join(", "),
                    config.path.display()
                );
            };
            if !target.hosts_class(&binding.class_name) {
                bail!(
                    "{}: {key} = \"{script}\": worker \"{script}\" ({}) does not declare Durable \
                     Object class \"{}\"; list it in that worker's [[migrations]] (e.g. \
                     new_sqlite_classes) or bind it in its [durable_objects]",
                    config.path.display(),
                    target.config().path.display(),
                    binding.class_name
                );
            }
        }
    }
    Ok(())
}

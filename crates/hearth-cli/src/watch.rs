//! What `hearth dev` watches: the inputs of the loaded workers, as wrangler
//! watches its bundle's inputs. A change reloads only when it touches
//! - a module file a worker loaded (entry point, static and dynamic imports,
//!   Text and Data modules), outside `node_modules`;
//! - a worker's configuration file, its entry point as configured, and its
//!   `.dev.vars` / `.env` files (also when they are created).
//!
//! Anything else in the project folder (the state folder of `--persist-to`,
//! a log the server's output is redirected into, notes, files nothing
//! imports) never reloads. Files are watched through their folders,
//! non-recursively, because editors replace a file by renaming a new one
//! over it.

use anyhow::{Context, Result};
use hearth_config::Config;
use hearth_runtime::Worker;
use notify::{RecursiveMode, Watcher};
use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The files whose change reloads, shared with the watcher's callback.
#[derive(Default)]
pub(crate) struct Inputs {
    /// Configuration, entry point and `.dev.vars` / `.env` files.
    fixed: HashSet<PathBuf>,
    /// The workers serving now.
    serving: Vec<Worker>,
    /// After a failed reload, the workers that failed: fixing any file they
    /// read must reload too.
    failed: Vec<Worker>,
}

impl Inputs {
    /// The inputs `configs` (read for environment `env`) name.
    pub(crate) fn new(configs: &[Config], env: Option<&str>) -> Inputs {
        let mut inputs = Inputs::default();
        inputs.set_configs(configs, env);
        inputs
    }

    /// Replaces the configuration files and what they name.
    pub(crate) fn set_configs(&mut self, configs: &[Config], env: Option<&str>) {
        self.fixed.clear();
        for config in configs {
            let root = &config.root;
            if let Some(name) = config.path.file_name() {
                self.fixed.insert(root.join(name));
            }
            if let Some(main) = &config.main {
                self.fixed.insert(main.clone());
            }
            self.fixed
                .extend(hearth_config::dev_vars_files(root, env));
        }
    }

    /// Whether a change of `path` reloads.
    fn contains(&self, path: &Path) -> bool {
        self.fixed.contains(path)
            || self
                .serving
                .iter()
                .chain(&self.failed)
                .any(|w| w.has_source_file(path))
    }

    /// The folders to watch.
    fn folders(&self) -> HashSet<PathBuf> {
        let loaded = self.serving.iter().chain(&self.failed).flat_map(|w| {
            w.source_files()
                .into_iter()
                .filter(|path| !path.strip_prefix(w.root()).is_ok_and(in_node_modules))
        });
        self.fixed
            .iter()
            .cloned()
            .chain(loaded)
            .filter_map(|path| path.parent().map(Path::to_path_buf))
            .collect()
    }
}

/// Whether a path inside a project is in its `node_modules`: packages are
/// not watched (an install can touch more folders than inotify allows).
fn in_node_modules(relative: &Path) -> bool {
    relative
        .components()
        .any(|c| c == Component::Normal("node_modules".as_ref()))
}

/// Watches the folders of the [`Inputs`] and sends `changed` whenever one
/// of the inputs changes.
pub(crate) struct InputWatcher {
    watcher: notify::RecommendedWatcher,
    inputs: Arc<Mutex<Inputs>>,
    /// Folders watched now.
    folders: HashSet<PathBuf>,
}

impl InputWatcher {
    /// Starts watching `inputs` and the files `serving` (the loaded
    /// workers) read; `changed` is called from the watcher's thread.
    pub(crate) fn start(
        mut inputs: Inputs,
        serving: Vec<Worker>,
        changed: impl Fn() + Send + 'static,
    ) -> Result<InputWatcher> {
        inputs.serving = serving;
        let inputs = Arc::new(Mutex::new(inputs));
        let shared = inputs.clone();
        let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            let Ok(event) = res else { return };
            if matches!(event.kind, notify::EventKind::Access(_)) {
                return;
            }
            let inputs = shared.lock().expect("watched inputs poisoned");
            if event.paths.iter().any(|p| inputs.contains(p)) {
                tracing::debug!("change in {:?}", event.paths);
                changed();
            }
        })
        .context("cannot watch the project for changes")?;
        let mut this = InputWatcher {
            watcher,
            inputs,
            folders: HashSet::new(),
        };
        this.rescan();
        Ok(this)
    }

    /// Records the outcome of a reload: on success `workers` serve now, on
    /// failure they are watched beside the ones still serving. Then rescans.
    pub(crate) fn reloaded(&mut self, workers: Vec<Worker>, ok: bool) {
        {
            let mut inputs = self.inputs.lock().expect("watched inputs poisoned");
            if ok {
                inputs.serving = workers;
                inputs.failed.clear();
            } else {
                inputs.failed = workers;
            }
        }
        self.rescan();
    }

    /// Replaces the configuration-derived inputs (after the configuration was
    /// read again).
    pub(crate) fn set_configs(&mut self, configs: &[Config], env: Option<&str>) {
        self.inputs
            .lock()
            .expect("watched inputs poisoned")
            .set_configs(configs, env);
    }

    /// Watches the folders of modules loaded since the last call (imports
    /// of a new version, dynamic `import()` at run time) and stops watching
    /// folders nothing is loaded from any more.
    pub(crate) fn rescan(&mut self) {
        let wanted = self.inputs.lock().expect("watched inputs poisoned").folders();
        for gone in self.folders.difference(&wanted) {
            let _ = self.watcher.unwatch(gone);
        }
        self.folders.retain(|f| wanted.contains(f));
        for folder in wanted {
            if self.folders.contains(&folder) {
                continue;
            }
            match self.watcher.watch(&folder, RecursiveMode::NonRecursive) {
                Ok(()) => {
                    self.folders.insert(folder);
                }
                // A folder that does not exist (yet) has nothing to reload.
                Err(e) => tracing::debug!("cannot watch {}: {e}", folder.display()),
            }
        }
    }
}

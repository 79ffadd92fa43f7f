//! What `hearth dev` watches: the inputs of the loaded workers, as wrangler
//! watches its bundle's inputs. A change reloads only when it touches
//! - a module file a worker loaded (entry point, static and dynamic imports,
//!   Text and Data modules), outside `node_modules`;
//! - a worker's configuration file, its entry point as configured, and its
//!   `.dev.vars` / `.env` files (also when they are created);
//! - any file in a worker's `[assets]` folder or in a `[build] watch_dir`
//!   (watched recursively: a new file is a new asset or build input).
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
    /// `[assets]` folders and `[build] watch_dir`s: everything under them
    /// counts.
    trees: HashSet<PathBuf>,
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
        self.trees.clear();
        for config in configs {
            if let Some(assets) = &config.assets {
                self.trees.insert(assets.directory.clone());
            }
            if let Some(build) = &config.build {
                self.trees.extend(build.watch_dirs.iter().cloned());
            }
            let root = &config.root;
            if let Some(name) = config.path.file_name() {
                self.fixed.insert(root.join(name));
            }
            if let Some(main) = &config.main {
                self.fixed.insert(main.clone());
            }
            self.fixed.extend(hearth_config::dev_vars_files(root, env));
        }
    }

    /// Whether a change of `path` reloads.
    fn contains(&self, path: &Path) -> bool {
        self.fixed.contains(path)
            || self.trees.iter().any(|dir| path.starts_with(dir))
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
            .chain(self.trees.iter().cloned())
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

/// What the watcher's callback and the main thread share.
struct Shared {
    inputs: Inputs,
    /// Folders watched now.
    folders: HashSet<PathBuf>,
    /// Watched folders deleted or renamed away since the last rescan.
    gone: HashSet<PathBuf>,
}

/// Watches the folders of the [`Inputs`] and calls `changed` whenever one
/// of the inputs changes.
pub(crate) struct InputWatcher {
    watcher: notify::RecommendedWatcher,
    shared: Arc<Mutex<Shared>>,
    changed: Arc<dyn Fn() + Send + Sync>,
    /// Folders that were deleted or renamed away (a build tool replacing its
    /// output folder): once one is back, it is watched again and its files
    /// are new.
    lost: HashSet<PathBuf>,
}

impl InputWatcher {
    /// Starts watching `inputs` and the files `serving` (the loaded
    /// workers) read; `changed` is called from the watcher's thread.
    pub(crate) fn start(
        mut inputs: Inputs,
        serving: Vec<Worker>,
        changed: impl Fn() + Send + Sync + 'static,
    ) -> Result<InputWatcher> {
        inputs.serving = serving;
        let shared = Arc::new(Mutex::new(Shared {
            inputs,
            folders: HashSet::new(),
            gone: HashSet::new(),
        }));
        let changed: Arc<dyn Fn() + Send + Sync> = Arc::new(changed);
        let (state, notify_changed) = (shared.clone(), changed.clone());
        let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            use notify::event::{EventKind, ModifyKind, RenameMode};
            let Ok(event) = res else { return };
            if matches!(event.kind, EventKind::Access(_)) {
                return;
            }
            let mut state = state.lock().expect("watcher state poisoned");
            if matches!(
                event.kind,
                EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(RenameMode::From))
            ) {
                for path in &event.paths {
                    if state.folders.contains(path) {
                        state.gone.insert(path.clone());
                    }
                }
            }
            if event.paths.iter().any(|p| state.inputs.contains(p)) {
                tracing::debug!("change in {:?}", event.paths);
                notify_changed();
            }
        })
        .context("cannot watch the project for changes")?;
        let mut this = InputWatcher {
            watcher,
            shared,
            changed,
            lost: HashSet::new(),
        };
        this.rescan();
        Ok(this)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().expect("watcher state poisoned")
    }

    /// Records the outcome of a reload: on success `workers` serve now, on
    /// failure they are watched beside the ones still serving. Then rescans.
    pub(crate) fn reloaded(&mut self, workers: Vec<Worker>, ok: bool) {
        {
            let inputs = &mut self.lock().inputs;
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
        self.lock().inputs.set_configs(configs, env);
    }

    /// Watches the folders of modules loaded since the last call (imports
    /// of a new version, dynamic `import()` at run time), stops watching
    /// folders nothing is loaded from any more, and watches a lost folder
    /// again once it is back (calling `changed`: its files are new).
    pub(crate) fn rescan(&mut self) {
        // The watcher is never called with the lock held: its callback,
        // which takes the lock, may be waiting for it.
        let (wanted, mut stale, gone) = {
            let mut state = self.lock();
            let wanted = state.inputs.folders();
            let gone = std::mem::take(&mut state.gone);
            let stale: Vec<PathBuf> = state
                .folders
                .iter()
                .filter(|f| !wanted.contains(*f) || gone.contains(*f))
                .cloned()
                .collect();
            for folder in &stale {
                state.folders.remove(folder);
            }
            (wanted, stale, gone)
        };
        for folder in stale.drain(..) {
            // A deleted folder's watch is gone already; the error says so.
            let _ = self.watcher.unwatch(&folder);
        }
        self.lost.extend(gone);
        self.lost.retain(|f| wanted.contains(f));
        let watched = self.lock().folders.clone();
        let mut added = Vec::new();
        for folder in wanted.difference(&watched) {
            if !folder.is_dir() {
                // Not there (yet): nothing in it to reload.
                continue;
            }
            let mode = if self.lock().inputs.trees.contains(folder) {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            match self.watcher.watch(folder, mode) {
                Ok(()) => added.push(folder.clone()),
                Err(e) => tracing::debug!("cannot watch {}: {e}", folder.display()),
            }
        }
        let back = added.iter().any(|f| self.lost.remove(f));
        self.lock().folders.extend(added);
        if back {
            (self.changed)();
        }
    }
}

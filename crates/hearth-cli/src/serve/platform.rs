//! The workers `hearth serve` serves: the live routing table and
//! deployments, read from the control store, and the versions loaded from
//! their bundles (on first use, or when deployed). It is the server's
//! [`Dispatch`]: every request asks it which loaded version serves it.

use crate::hyperdrive::LazyHyperdrive;
use crate::project::{load_worker_with, LazyKv};
use anyhow::{anyhow, Context, Result};
use hearth_platform::api::{Deployment, Version};
use hearth_platform::routes::RouteTable;
use hearth_platform::{split, Control};
use hearth_server::{Dispatch, Routed, Unrouted};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// `Cloudflare-Workers-Version-Key`: requests with one key get one version.
const VERSION_KEY: &str = "cloudflare-workers-version-key";
/// `Cloudflare-Workers-Version-Overrides`: force a deployed version.
const VERSION_OVERRIDES: &str = "cloudflare-workers-version-overrides";

/// The data folder's layout.
#[derive(Clone)]
pub(crate) struct DataDir(PathBuf);

impl DataDir {
    pub(crate) fn new(root: PathBuf) -> DataDir {
        DataDir(root)
    }

    /// The control store's file.
    pub(crate) fn control(&self) -> PathBuf {
        self.0.join("control.sqlite")
    }

    /// Where a version's bundle is unpacked.
    pub(crate) fn version(&self, id: &str) -> PathBuf {
        self.0.join("versions").join(id)
    }

    /// One worker's state (KV, Durable Objects, D1, cache), shared by its
    /// versions.
    pub(crate) fn state(&self, worker: &str) -> PathBuf {
        self.0.join("workers").join(worker)
    }

    pub(crate) fn root(&self) -> &Path {
        &self.0
    }
}

/// What serves now.
struct Live {
    table: RouteTable,
    deployments: HashMap<String, Deployment>,
}

/// `hearth serve`'s workers.
pub(crate) struct Platform {
    pub(crate) control: Arc<dyn Control>,
    pub(crate) data: DataDir,
    base_domain: String,
    live: RwLock<Live>,
    /// Loaded versions by id; a version is loaded again (a new key) when
    /// its worker's secrets change.
    loaded: Mutex<HashMap<String, Routed>>,
    serial: AtomicU64,
    generation: AtomicU64,
    kv: Mutex<HashMap<String, Arc<LazyKv>>>,
    hyperdrive: LazyHyperdrive,
    /// Serializes deployments, so two deploys cannot interleave their
    /// load-then-swap.
    pub(crate) deploying: tokio::sync::Mutex<()>,
}

impl Platform {
    pub(crate) fn new(
        control: Arc<dyn Control>,
        data: DataDir,
        base_domain: &str,
    ) -> Result<Platform> {
        let platform = Platform {
            control,
            data,
            base_domain: base_domain.to_string(),
            live: RwLock::new(Live {
                table: RouteTable::default(),
                deployments: HashMap::new(),
            }),
            loaded: Mutex::new(HashMap::new()),
            serial: AtomicU64::new(0),
            generation: AtomicU64::new(0),
            kv: Mutex::new(HashMap::new()),
            hyperdrive: LazyHyperdrive::default(),
            deploying: tokio::sync::Mutex::new(()),
        };
        platform.refresh()?;
        Ok(platform)
    }

    /// Re-reads the deployments and routes from the store and swaps them in
    /// at once; versions no longer deployed are unloaded (requests running
    /// on them finish first: they hold their isolate).
    pub(crate) fn refresh(&self) -> Result<()> {
        let deployments: HashMap<String, Deployment> = self
            .control
            .current_deployments()?
            .into_iter()
            .map(|d| (d.worker.clone(), d))
            .collect();
        let routes = self.control.routes()?;
        let unrouted: Vec<String> = deployments
            .keys()
            .filter(|w| !routes.iter().any(|(_, owner)| owner == *w))
            .cloned()
            .collect();
        let table = RouteTable::new(routes, unrouted, &self.base_domain);
        let live_ids: Vec<&str> = deployments
            .values()
            .flat_map(|d| d.versions.iter().map(|v| v.version_id.as_str()))
            .collect();
        self.loaded
            .lock()
            .expect("loaded versions poisoned")
            .retain(|id, _| live_ids.contains(&id.as_str()));
        *self.live.write().expect("live state poisoned") = Live { table, deployments };
        self.generation.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// Forgets the loaded versions of `worker` (its secrets changed): the
    /// next request loads them again.
    pub(crate) fn unload(&self, worker: &str) {
        self.loaded
            .lock()
            .expect("loaded versions poisoned")
            .retain(|_, routed| routed.worker.name() != worker);
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Loads the version `id` of `worker` unless it is loaded.
    pub(crate) fn ensure_loaded(&self, worker: &str, id: &str) -> Result<Routed> {
        if let Some(routed) = self
            .loaded
            .lock()
            .expect("loaded versions poisoned")
            .get(id)
        {
            return Ok(routed.clone());
        }
        let version = self
            .control
            .version(worker, id)?
            .ok_or_else(|| anyhow!("worker `{worker}` has no version {id}"))?;
        let worker = self.load(&version)?;
        let routed = Routed {
            key: format!("{id}#{}", self.serial.fetch_add(1, Ordering::SeqCst)),
            worker,
        };
        Ok(self
            .loaded
            .lock()
            .expect("loaded versions poisoned")
            .entry(id.to_string())
            .or_insert(routed)
            .clone())
    }

    /// Loads a stored version from its bundle, as `hearth dev` loads a
    /// project, with the worker's secrets and its own state folder.
    pub(crate) fn load(&self, version: &Version) -> Result<hearth_runtime::Worker> {
        let dir = self.data.version(&version.id);
        let config = hearth_config::load(&dir.join(&version.config), version.env.as_deref())?;
        let state = self.data.state(&version.worker);
        std::fs::create_dir_all(&state)
            .with_context(|| format!("cannot create {}", state.display()))?;
        let kv = self
            .kv
            .lock()
            .expect("KV stores poisoned")
            .entry(version.worker.clone())
            .or_insert_with(|| Arc::new(LazyKv::new(&state)))
            .clone();
        let secrets = self.control.secrets(&version.worker)?;
        load_worker_with(
            config,
            Vec::new(),
            secrets,
            &state,
            &kv,
            &self.hyperdrive,
            Some(hearth_runtime::DeployedVersion {
                id: version.id.clone(),
                tag: version.tag.clone().unwrap_or_default(),
                timestamp: version.created_on.clone(),
            }),
        )
    }

    /// The deployment serving `worker` now.
    fn deployment(&self, worker: &str) -> Option<Deployment> {
        self.live
            .read()
            .expect("live state poisoned")
            .deployments
            .get(worker)
            .cloned()
    }
}

impl Dispatch for Platform {
    fn route(&self, uri: &http::Uri, headers: &http::HeaderMap) -> Result<Routed, Unrouted> {
        let host = headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| uri.host())
            .unwrap_or("");
        let (worker, deployment) = {
            let live = self.live.read().expect("live state poisoned");
            let worker = live.table.find(host, uri.path()).ok_or_else(|| {
                Unrouted::NotFound(format!("No worker is deployed for host {host}."))
            })?;
            let deployment = live.deployments.get(worker).cloned().ok_or_else(|| {
                Unrouted::NotFound(format!("No worker is deployed for host {host}."))
            })?;
            (worker.to_string(), deployment)
        };
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let id = header(VERSION_OVERRIDES)
            .and_then(|h| split::overridden(h, &worker, &deployment.versions))
            .unwrap_or_else(|| {
                split::pick(&deployment.versions, header(VERSION_KEY), rand::random())
            });
        self.ensure_loaded(&worker, id)
            .map_err(|e| Unrouted::Failed(format!("{e:#}")))
    }

    fn by_name(&self, name: &str) -> Option<Routed> {
        let deployment = self.deployment(name)?;
        let id = split::pick(&deployment.versions, None, rand::random());
        self.ensure_loaded(name, id)
            .inspect_err(|e| tracing::error!("{e:#}"))
            .ok()
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    fn is_live(&self, key: &str) -> bool {
        let id = key.split('#').next().unwrap_or(key);
        self.loaded
            .lock()
            .expect("loaded versions poisoned")
            .get(id)
            .is_some_and(|r| r.key == key)
    }
}

//! `hearth dev`: serve a project and reload it when its files change.

use crate::hyperdrive::LazyHyperdrive;
use crate::project::{parse_var, persist_dir, LazyKv, ProjectArgs};
use crate::workers::{load_configs, load_workers};
use anyhow::{Context, Result};
use hearth_kv::KvStore;
use hearth_server::{Server, ServerOptions};
use notify::{RecursiveMode, Watcher};
use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

/// Flags follow `wrangler dev`'s names.
#[derive(clap::Args, Debug)]
pub(crate) struct DevArgs {
    /// The project folder (holding wrangler.toml, wrangler.json or wrangler.jsonc).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Port to listen on.
    #[arg(long, default_value_t = 8787)]
    port: u16,
    /// IP address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    ip: IpAddr,
    /// Path to the configuration file, instead of looking in DIR. Repeat it
    /// to run several workers together: the first serves HTTP, the others
    /// are reached through bindings (`script_name`), as with wrangler.
    #[arg(long, short = 'c')]
    config: Vec<PathBuf>,
    /// Use the `[env.NAME]` section of the configuration.
    #[arg(long, short = 'e')]
    env: Option<String>,
    /// Override a var: `--var KEY:VALUE` (repeatable).
    #[arg(long = "var", value_parser = parse_var)]
    vars: Vec<(String, String)>,
    /// Folder for local state (KV, Durable Objects, cache); default `.hearth/state` in the project.
    #[arg(long)]
    persist_to: Option<PathBuf>,
    /// Serve `/__scheduled?cron=...` to trigger the scheduled handler.
    #[arg(long)]
    test_scheduled: bool,
    /// Event-loop threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Serve Cloudflare's v4 KV REST API on this port (off unless given).
    #[arg(long)]
    api_port: Option<u16>,
    /// Bearer token the REST API requires.
    #[arg(long, env = "HEARTH_API_TOKEN", hide_env_values = true)]
    api_token: Option<String>,
    /// Do not reload when files change.
    #[arg(long)]
    no_watch: bool,
}

pub(crate) fn run(args: DevArgs) -> Result<()> {
    let project = |config: Option<PathBuf>| ProjectArgs {
        dir: args.dir.clone(),
        config,
        env: args.env.clone(),
        vars: args.vars.clone(),
    };
    let projects: Vec<ProjectArgs> = if args.config.is_empty() {
        vec![project(None)]
    } else {
        args.config.iter().cloned().map(Some).map(project).collect()
    };
    let configs = load_configs(&projects, true)?;
    let state = persist_dir(&configs[0].root, args.persist_to.as_deref())?;
    let kv = LazyKv::new(&state);
    let hyperdrive = LazyHyperdrive::default();
    let workers = load_workers(&projects, configs, &state, &kv, &hyperdrive)?;
    let roots = workers.roots();
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    // The watcher is set up on its own thread while the server builds its
    // isolates; both are done before "Ready", so an edit right after
    // start-up is seen and start-up does not wait for one after the other.
    let (events_tx, events) = mpsc::channel::<Event>();
    let watching = (!args.no_watch).then(|| {
        let (roots, events_tx) = (roots.clone(), events_tx.clone());
        std::thread::spawn(move || ProjectWatcher::start(&roots, events_tx))
    });
    let server = Server::start(
        ServerOptions {
            addr: SocketAddr::new(args.ip, args.port),
            threads,
            test_scheduled: args.test_scheduled,
        },
        workers.primary,
        workers.others,
    )?;
    let addr = server.local_addr();
    let shown = if addr.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        addr.ip().to_string()
    };
    for tcp in server.tcp_addrs() {
        println!("Socket Worker listening on tcp://{tcp}");
    }
    if let Some(port) = args.api_port {
        let token = args
            .api_token
            .clone()
            .context("--api-port needs a token: pass --api-token or set HEARTH_API_TOKEN")?;
        let addr = SocketAddr::new(args.ip, port);
        let api_addr = serve_kv_api(kv.get()?, addr, token)?;
        println!("KV REST API on http://{api_addr}/client/v4");
    }
    ctrlc_handler(move || {
        let _ = events_tx.send(Event::Stop);
    })?;
    let mut watcher = match watching {
        Some(thread) => Some(
            thread
                .join()
                .map_err(|_| anyhow::anyhow!("setting up the file watcher panicked"))??,
        ),
        None => None,
    };
    println!("Ready on http://{shown}:{}", addr.port());

    loop {
        match events.recv() {
            Ok(Event::Stop) | Err(_) => break,
            Ok(Event::Changed) => {
                // Editors write in bursts; settle before reloading.
                std::thread::sleep(Duration::from_millis(150));
                while let Ok(Event::Changed) = events.try_recv() {}
                if let Some(w) = watcher.as_mut() {
                    if let Err(e) = w.watch_new_folders() {
                        tracing::warn!("{e:#}");
                    }
                }
                match load_configs(&projects, false)
                    .and_then(|c| load_workers(&projects, c, &state, &kv, &hyperdrive))
                {
                    Ok(workers) => match server.reload(workers.primary, workers.others) {
                        Ok(()) => tracing::info!("reloaded after a file change"),
                        Err(e) => tracing::error!(
                            "reload failed, still serving the previous version:\n{e}"
                        ),
                    },
                    Err(e) => {
                        tracing::error!("reload failed, still serving the previous version:\n{e:#}")
                    }
                }
            }
        }
    }
    tracing::info!("shutting down");
    server.shutdown();
    Ok(())
}

/// Serves the KV REST API from its own thread.
fn serve_kv_api(kv: KvStore, addr: SocketAddr, token: String) -> Result<SocketAddr> {
    let listener = std::net::TcpListener::bind(addr)
        .with_context(|| format!("cannot listen on {addr} for the KV API"))?;
    listener.set_nonblocking(true)?;
    let local = listener.local_addr()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("hearth-kv-api".into())
        .spawn(move || {
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)
                    .expect("registering the KV API listener");
                hearth_kv_api::rest::serve(kv, listener, token).await;
            })
        })?;
    Ok(local)
}

enum Event {
    Changed,
    Stop,
}

/// Folders of the project that never hold the worker's sources. They are not
/// watched at all: hearth's own state (`.hearth`) changes on every storage
/// write, and `node_modules` can hold more folders than inotify allows.
const UNWATCHED: [&str; 4] = [".hearth", "node_modules", ".git", ".wrangler"];

/// Watches the project folders (one per loaded worker) for source changes:
/// each folder itself, and each of its subfolders recursively except
/// [`UNWATCHED`] ones.
struct ProjectWatcher {
    roots: Vec<PathBuf>,
    watcher: notify::RecommendedWatcher,
    watched: HashSet<PathBuf>,
}

impl ProjectWatcher {
    fn start(roots: &[PathBuf], events: mpsc::Sender<Event>) -> Result<ProjectWatcher> {
        let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            let Ok(event) = res else { return };
            if matches!(event.kind, notify::EventKind::Access(_)) {
                return;
            }
            let relevant = event.paths.iter().any(|p| {
                !p.file_name()
                    .is_some_and(|n| UNWATCHED.contains(&n.to_string_lossy().as_ref()))
            });
            if relevant {
                tracing::debug!("change in {:?}", event.paths);
                let _ = events.send(Event::Changed);
            }
        })
        .context("cannot watch the project for changes")?;
        let mut this = ProjectWatcher {
            roots: roots.to_vec(),
            watcher,
            watched: HashSet::new(),
        };
        for root in roots {
            this.watcher
                .watch(root, RecursiveMode::NonRecursive)
                .with_context(|| format!("cannot watch {}", root.display()))?;
        }
        this.watch_new_folders()?;
        Ok(this)
    }

    /// Starts watching subfolders created since the last call.
    fn watch_new_folders(&mut self) -> Result<()> {
        for root in &self.roots {
            let entries = std::fs::read_dir(root)
                .with_context(|| format!("cannot read {}", root.display()))?;
            for entry in entries.flatten() {
                let path = entry.path();
                let skip = UNWATCHED.contains(&entry.file_name().to_string_lossy().as_ref());
                if skip || !path.is_dir() || self.watched.contains(&path) {
                    continue;
                }
                self.watcher
                    .watch(&path, RecursiveMode::Recursive)
                    .with_context(|| format!("cannot watch {}", path.display()))?;
                self.watched.insert(path);
            }
        }
        Ok(())
    }
}

/// Runs `f` on Ctrl-C or SIGTERM.
fn ctrlc_handler(f: impl Fn() + Send + 'static) -> Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // Registered here, before "Ready" is printed: a signal arriving before
    // registration would kill the process with the default action instead.
    let (mut int, mut term) = {
        let _entered = rt.enter();
        (
            signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
            signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
        )
    };
    std::thread::Builder::new()
        .name("hearth-signals".into())
        .spawn(move || {
            rt.block_on(async {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            });
            f();
        })?;
    Ok(())
}

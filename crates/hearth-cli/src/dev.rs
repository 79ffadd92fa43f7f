//! `hearth dev`: serve a project and reload it when its sources change
//! (see [`crate::watch`] for which files count).

use crate::hyperdrive::LazyHyperdrive;
use crate::project::{parse_var, persist_dir, LazyKv, ProjectArgs};
use crate::signals::StopOnSignal;
use crate::watch::{InputWatcher, Inputs};
use crate::workers::{load_configs, load_workers};
use anyhow::{Context, Result};
use hearth_kv::KvStore;
use hearth_kv_api::d1::D1Databases;
use hearth_server::{Server, ServerOptions};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// Flags follow `wrangler dev`'s names.
#[derive(clap::Args, Debug)]
pub(crate) struct DevArgs {
    /// The project folder (holding wrangler.toml, wrangler.json or
    /// wrangler.jsonc), or the worker's entry script (`hearth dev
    /// src/index.ts`, as `wrangler dev src/index.ts`): the configuration is
    /// then looked for from the current folder and the script replaces its `main`.
    #[arg(default_value = ".", value_name = "SCRIPT | DIR")]
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
    /// Serve Cloudflare's v4 KV and D1 REST API on this port (off unless given).
    #[arg(long)]
    api_port: Option<u16>,
    /// Bearer token the REST API requires.
    #[arg(long, env = "HEARTH_API_TOKEN", hide_env_values = true)]
    api_token: Option<String>,
    /// Access key id of R2's S3-compatible API on --api-port (off unless given).
    #[arg(
        long,
        env = "HEARTH_R2_ACCESS_KEY_ID",
        requires = "r2_secret_access_key"
    )]
    r2_access_key_id: Option<String>,
    /// Its secret access key.
    #[arg(
        long,
        env = "HEARTH_R2_SECRET_ACCESS_KEY",
        hide_env_values = true,
        requires = "r2_access_key_id"
    )]
    r2_secret_access_key: Option<String>,
    /// Do not reload when files change.
    #[arg(long)]
    no_watch: bool,
    /// Seconds a client may take to send a request's headers (from the
    /// connection's start, or from the first byte of a later request).
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_seconds)]
    header_timeout: Duration,
    /// Seconds a kept-alive connection may wait idle for its next request
    /// (Cloudflare: 400).
    #[arg(long, value_name = "SECS", default_value = "400", value_parser = parse_seconds)]
    idle_timeout: Duration,
    /// Seconds a client may pause while sending a request body the worker
    /// is reading.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_seconds)]
    body_timeout: Duration,
    /// Connections served at once; further clients wait in the listen
    /// backlog until one closes.
    #[arg(long, value_name = "N", default_value_t = hearth_server::DEFAULT_MAX_CONNECTIONS)]
    max_connections: usize,
}

/// A positive number of seconds, fractions allowed (`0.5`).
pub(crate) fn parse_seconds(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs.is_finite() => Ok(Duration::from_secs_f64(secs)),
        _ => Err(format!("'{text}' is not a positive number of seconds")),
    }
}

/// How long a stop (Ctrl-C, SIGTERM) may take once serving: requests in
/// flight get this long to finish, then hearth exits anyway, so a reload or
/// a request that hangs cannot keep it alive. A second signal exits at once.
const STOP_GRACE: Duration = Duration::from_secs(1);

/// How often the watcher picks up modules loaded since it last looked
/// (dynamic `import()` at run time, workers started on first use).
const RESCAN: Duration = Duration::from_secs(1);

/// Editors write in bursts: a reload waits this long after a change.
const SETTLE: Duration = Duration::from_millis(150);

pub(crate) fn run(args: DevArgs) -> Result<()> {
    // First of all, so that a stop works at any moment, start-up included.
    let (events_tx, events) = mpsc::channel::<Event>();
    let stop = {
        let events_tx = events_tx.clone();
        StopOnSignal::install(STOP_GRACE, move || {
            let _ = events_tx.send(Event::Stop);
        })?
    };
    let (dir, script) = if args.dir.is_file() {
        (PathBuf::from("."), Some(args.dir.clone()))
    } else {
        (args.dir.clone(), None)
    };
    let project = |config: Option<PathBuf>| ProjectArgs {
        dir: dir.clone(),
        script: script.clone(),
        config,
        env: args.env.clone(),
        vars: args.vars.clone(),
    };
    let projects: Vec<ProjectArgs> = if args.config.is_empty() {
        vec![project(None)]
    } else {
        args.config.iter().cloned().map(Some).map(project).collect()
    };
    let env = args.env.as_deref();
    let configs = load_configs(&projects, true)?;
    run_builds(&configs)?;
    let configs_d1: Vec<hearth_config::D1Database> = configs
        .iter()
        .flat_map(|c| c.d1_databases.clone())
        .collect();
    let inputs = Inputs::new(&configs, env);
    let state = persist_dir(&configs[0].root, args.persist_to.as_deref())?;
    // Held until hearth exits: one server per state folder.
    let _state_lock = crate::state_lock::StateLock::acquire(&state)?;
    let kv = LazyKv::new(&state);
    let hyperdrive = LazyHyperdrive::default();
    let workers = load_workers(&projects, configs, &state, &kv, &hyperdrive)?;
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    // The watcher is set up on its own thread while the server builds its
    // isolates; both are done before "Ready", so an edit right after
    // start-up is seen and start-up does not wait for one after the other.
    let watching = (!args.no_watch).then(|| {
        let (serving, events_tx) = (workers.all(), events_tx.clone());
        std::thread::spawn(move || {
            InputWatcher::start(inputs, serving, move || {
                let _ = events_tx.send(Event::Changed);
            })
        })
    });
    let server = Server::start(
        ServerOptions {
            addr: SocketAddr::new(args.ip, args.port),
            threads,
            test_scheduled: args.test_scheduled,
            timeouts: hearth_server::Timeouts {
                header: args.header_timeout,
                idle: args.idle_timeout,
                body: args.body_timeout,
            },
            max_connections: args.max_connections,
            drain_timeout: hearth_server::DEFAULT_DRAIN_TIMEOUT,
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
        let s3 = args
            .r2_access_key_id
            .clone()
            .zip(args.r2_secret_access_key.clone())
            .map(|key| hearth_kv_api::s3::S3::new(state.to_path_buf(), vec![key]));
        let has_s3 = s3.is_some();
        let api_addr = serve_kv_api(
            kv.get()?,
            d1_databases(&configs_d1, &state)?,
            s3,
            addr,
            token,
        )?;
        println!("KV REST API on http://{api_addr}/client/v4");
        if has_s3 {
            println!("R2 S3 API on http://{api_addr}");
        }
    }
    stop.serving();
    let mut watcher = match watching {
        Some(thread) => {
            let mut watcher = thread
                .join()
                .map_err(|_| anyhow::anyhow!("setting up the file watcher panicked"))??;
            // The server's isolates have loaded the imports by now.
            watcher.rescan();
            Some(watcher)
        }
        None => None,
    };
    println!("Ready on http://{shown}:{}", addr.port());

    loop {
        match events.recv_timeout(RESCAN) {
            Ok(Event::Stop) | Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {
                if let Some(w) = watcher.as_mut() {
                    w.rescan();
                }
                continue;
            }
            Ok(Event::Changed) => {}
        }
        std::thread::sleep(SETTLE);
        // A stop that came with the burst must not be swallowed.
        if events.try_iter().any(|e| matches!(e, Event::Stop)) {
            break;
        }
        let configs = match load_configs(&projects, false) {
            Ok(configs) => configs,
            Err(e) => {
                tracing::error!("reload failed, still serving the previous version:\n{e:#}");
                continue;
            }
        };
        match run_builds(&configs) {
            Err(e) => {
                tracing::error!("reload failed, still serving the previous version:\n{e:#}");
                continue;
            }
            Ok(true) => {
                // What the build wrote is read below; its own change events
                // (once they have arrived) must not start another build.
                std::thread::sleep(SETTLE);
                if events.try_iter().any(|e| matches!(e, Event::Stop)) {
                    break;
                }
            }
            Ok(false) => {}
        }
        if let Some(w) = watcher.as_mut() {
            w.set_configs(&configs, env);
        }
        let workers = match load_workers(&projects, configs, &state, &kv, &hyperdrive) {
            Ok(workers) => workers,
            Err(e) => {
                tracing::error!("reload failed, still serving the previous version:\n{e:#}");
                continue;
            }
        };
        let all = workers.all();
        let reloaded = server.reload(workers.primary, workers.others);
        match &reloaded {
            Ok(()) => tracing::info!("reloaded after a file change"),
            Err(e) => {
                tracing::error!("reload failed, still serving the previous version:\n{e}")
            }
        }
        if let Some(w) = watcher.as_mut() {
            w.reloaded(all, reloaded.is_ok());
        }
    }
    tracing::info!("shutting down");
    server.shutdown();
    Ok(())
}

/// Runs each configuration's `[build] command` (with `sh -c`, in its `cwd`),
/// as wrangler does before it starts the worker and on every reload.
/// Returns whether any ran.
pub(crate) fn run_builds(configs: &[hearth_config::Config]) -> Result<bool> {
    let mut ran = false;
    for config in configs {
        let Some(build) = &config.build else { continue };
        println!("Running custom build: {}", build.command);
        ran = true;
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(&build.command)
            .current_dir(&build.cwd)
            .env("PATH", build_path(&build.cwd))
            .stdin(std::process::Stdio::null())
            .status()
            .with_context(|| format!("cannot run the build command `{}`", build.command))?;
        if !status.success() {
            anyhow::bail!(
                "{}: build.command `{}` failed ({status})",
                config.path.display(),
                build.command
            );
        }
    }
    Ok(ran)
}

/// `PATH` for a build command: the `node_modules/.bin` folders of its folder
/// and the folders above it first, as `npm run dev` (which starts wrangler)
/// puts them, so `esbuild ...` finds the project's own esbuild.
fn build_path(cwd: &std::path::Path) -> std::ffi::OsString {
    let cwd = std::path::absolute(cwd).unwrap_or_else(|_| cwd.to_path_buf());
    let bins = cwd
        .ancestors()
        .map(|dir| dir.join("node_modules/.bin"))
        .filter(|bin| bin.is_dir());
    let inherited = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(bins.chain(std::env::split_paths(&inherited))).unwrap_or(inherited)
}

/// The D1 databases the REST API serves: each answers to its
/// `database_id`, `preview_database_id`, `database_name` and binding name.
fn d1_databases(
    bindings: &[hearth_config::D1Database],
    state: &std::path::Path,
) -> Result<D1Databases> {
    let mut databases = Vec::new();
    for b in bindings {
        let db = hearth_d1::D1Database::open(state, b.local_id())
            .map_err(|e| anyhow::anyhow!("D1 database {}: {e}", b.binding))?;
        let ids = [&b.database_id, &b.preview_database_id, &b.database_name]
            .into_iter()
            .flatten()
            .cloned()
            .chain(std::iter::once(b.binding.clone()))
            .collect();
        databases.push((ids, db));
    }
    Ok(D1Databases::new(databases))
}

/// Serves the KV (and D1) REST API from its own thread.
fn serve_kv_api(
    kv: KvStore,
    d1: D1Databases,
    s3: Option<hearth_kv_api::s3::S3>,
    addr: SocketAddr,
    token: String,
) -> Result<SocketAddr> {
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
                hearth_kv_api::rest::serve_with_s3(kv, d1, s3, listener, token).await;
            })
        })?;
    Ok(local)
}

enum Event {
    Changed,
    Stop,
}

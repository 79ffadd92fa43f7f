//! `hearth serve`: a long-running server holding many workers, deployed to
//! over its admin API (`hearth deploy`, `hearth versions ...`), with a data
//! folder holding the control store, the versions' bundles and each
//! worker's state.

mod admin;
mod platform;

use crate::signals::StopOnSignal;
use anyhow::{bail, Context, Result};
use hearth_platform::SqliteControl;
use hearth_server::{Server, ServerOptions};
use platform::{DataDir, Platform};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Flags of `hearth serve`.
#[derive(clap::Args, Debug)]
pub(crate) struct ServeArgs {
    /// The data folder: control store, uploaded versions, workers' state.
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// IP address the workers are served on.
    #[arg(long, default_value = "127.0.0.1")]
    ip: IpAddr,
    /// Port the workers are served on.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// IP address of the admin API (loopback unless told otherwise).
    #[arg(long, default_value = "127.0.0.1")]
    admin_ip: IpAddr,
    /// Port of the admin API.
    #[arg(long, default_value_t = 8788)]
    admin_port: u16,
    /// Token that may deploy (`Authorization: Bearer ...`).
    #[arg(long, env = "HEARTH_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Token that may only list and view.
    #[arg(long, env = "HEARTH_READ_TOKEN", hide_env_values = true)]
    read_token: Option<String>,
    /// A worker without routes answers on `NAME.<base-domain>`.
    #[arg(long, default_value = "localhost")]
    base_domain: String,
    /// Seconds a stop (SIGTERM, Ctrl-C) lets requests in flight finish.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = crate::dev::parse_seconds)]
    drain_timeout: Duration,
    /// Event-loop threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
}

pub(crate) fn run(args: ServeArgs) -> Result<()> {
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let stop = StopOnSignal::install(args.drain_timeout + Duration::from_secs(2), move || {
        let _ = stop_tx.send(());
    })?;
    let Some(deploy_token) = args.admin_token.clone().filter(|t| !t.is_empty()) else {
        bail!("hearth serve needs a deploy token for its admin API: pass --admin-token or set HEARTH_ADMIN_TOKEN");
    };
    if args.read_token.as_deref() == Some(deploy_token.as_str()) {
        bail!("--read-token must differ from --admin-token");
    }
    std::fs::create_dir_all(&args.data)
        .with_context(|| format!("cannot create the data folder {}", args.data.display()))?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&args.data, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot restrict {}", args.data.display()))?;
    }
    // Held until hearth exits: one server per data folder.
    let _lock = crate::state_lock::StateLock::acquire(&args.data)?;
    let data = DataDir::new(std::path::absolute(&args.data)?);
    let control = Arc::new(SqliteControl::open(&data.control())?);
    let platform = Arc::new(Platform::new(control, data.clone(), &args.base_domain)?);
    let admin_addr = SocketAddr::new(args.admin_ip, args.admin_port);
    let admin = std::net::TcpListener::bind(admin_addr)
        .with_context(|| format!("cannot listen on {admin_addr} for the admin API"))?;
    admin.set_nonblocking(true)?;
    let admin_addr = admin.local_addr()?;
    // Worker code may not reach the admin API through fetch() or connect().
    hearth_runtime::reserve_address(admin_addr);
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let server = Server::start_routed(
        ServerOptions {
            addr: SocketAddr::new(args.ip, args.port),
            threads,
            test_scheduled: false,
            timeouts: hearth_server::Timeouts::default(),
            max_connections: hearth_server::DEFAULT_MAX_CONNECTIONS,
            drain_timeout: args.drain_timeout,
        },
        platform.clone(),
    )?;
    let tokens = admin::Tokens {
        deploy: deploy_token,
        read: args.read_token.clone().filter(|t| !t.is_empty()),
    };
    let router = admin::router(platform, tokens);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("hearth-admin".into())
        .spawn(move || {
            rt.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(admin).expect("registering the admin API");
                if let Err(e) = axum::serve(listener, router).await {
                    tracing::error!("the admin API stopped: {e}");
                }
            })
        })?;
    stop.serving();
    println!("Admin API on http://{admin_addr}");
    println!("Data in {}", data.root().display());
    println!("Ready on http://{}", shown(server.local_addr()));
    let _ = stop_rx.recv();
    tracing::info!(
        "draining: requests in flight get up to {:?}",
        args.drain_timeout
    );
    server.shutdown();
    tracing::info!("stopped");
    Ok(())
}

/// The address to print: an unspecified IP as loopback.
fn shown(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        format!("127.0.0.1:{}", addr.port())
    } else {
        addr.to_string()
    }
}

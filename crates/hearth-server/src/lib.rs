//! hearth's front door: HTTP listeners that hand requests to worker isolates.
//!
//! The server runs one thread per core. Each thread owns a tokio
//! current-thread runtime, a handle of the one listening socket (threads
//! accept from its shared queue) and its own isolate of the worker, so no
//! lock is ever taken around JavaScript.

mod conn;
mod durable;
mod listener;
mod queues;
mod thread;

pub use conn::Timeouts;

use hearth_runtime::{StartupError, Worker};
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::watch;

/// Request bodies larger than this are refused with 413, as on Cloudflare's
/// free and pro plans.
pub const MAX_REQUEST_BODY: u64 = 100 * 1024 * 1024;

/// How the server listens and behaves.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Address to bind; port 0 picks a free port.
    pub addr: SocketAddr,
    /// Event-loop threads; each gets its own isolate.
    pub threads: usize,
    /// Serve `/__scheduled?cron=...` to trigger the scheduled handler, like
    /// `wrangler dev --test-scheduled`.
    pub test_scheduled: bool,
    /// How long a client may take to send a request (and wait idle between
    /// requests) before its connection is closed.
    pub timeouts: Timeouts,
    /// Connections served at once, over all threads; further clients wait
    /// in the listen backlog until one closes, as with nginx's
    /// `worker_connections`.
    pub max_connections: usize,
    /// How long a shutdown waits for requests in flight to finish.
    pub drain_timeout: Duration,
}

/// Default of [`ServerOptions::max_connections`].
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// Default of [`ServerOptions::drain_timeout`] for `hearth dev`.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// For a server of many workers (`hearth serve`): which loaded worker
/// version serves each request, asked on every request, so a deployment
/// takes effect on the next request while requests in flight finish on the
/// version they started on.
pub trait Dispatch: Send + Sync + 'static {
    /// The worker version serving a request for `uri` with `headers` (its
    /// `Host`, version overrides and keys).
    fn route(&self, uri: &http::Uri, headers: &http::HeaderMap) -> Result<Routed, Unrouted>;
    /// The version of worker `name` serving now (service bindings, Durable
    /// Objects).
    fn by_name(&self, name: &str) -> Option<Routed>;
    /// Changes whenever a deployment changes which versions are live;
    /// threads then drop their isolates of versions no longer live.
    fn generation(&self) -> u64;
    /// Whether the version loaded as `key` ([`Routed::key`]) may still serve.
    fn is_live(&self, key: &str) -> bool;
}

/// A loaded worker version picked by [`Dispatch`].
#[derive(Clone)]
pub struct Routed {
    /// Names this load of the version: threads keep one isolate per key.
    pub key: String,
    /// The loaded worker.
    pub worker: Worker,
}

/// Why no worker serves a request.
#[derive(Debug)]
pub enum Unrouted {
    /// No route and no worker hostname matches: a 404 with this text.
    NotFound(String),
    /// The worker's version could not be loaded: a 500 with this text.
    Failed(String),
}

/// What the threads serve.
pub(crate) enum Served {
    /// `hearth dev`: a primary worker serving HTTP and the TCP listeners,
    /// and further workers (`hearth dev -c a -c b`) reached through
    /// bindings such as a Durable Object binding's `script_name`.
    Fixed { worker: Worker, others: Vec<Worker> },
    /// `hearth serve`: every request routed by a [`Dispatch`].
    Routed(Arc<dyn Dispatch>),
}

/// The workers currently served, replaced on reload. Threads compare the
/// generation with their isolates' and rebuild lazily.
pub(crate) struct Current {
    pub(crate) generation: u64,
    pub(crate) served: Served,
}

pub(crate) type SharedWorker = Arc<RwLock<Current>>;

/// A running server.
pub struct Server {
    local_addr: SocketAddr,
    tcp_addrs: Vec<SocketAddr>,
    current: SharedWorker,
    shutdown: watch::Sender<bool>,
    threads: Vec<JoinHandle<()>>,
}

impl Server {
    /// Binds the listeners and starts serving `worker`, with `others`
    /// running beside it for its bindings (their Durable Object classes).
    ///
    /// Every thread instantiates the workers before this returns, so a script
    /// that fails to start is reported here instead of on the first request,
    /// and the first requests find their isolates ready.
    pub fn start(
        options: ServerOptions,
        worker: Worker,
        others: Vec<Worker>,
    ) -> Result<Server, ServerError> {
        Self::start_serving(options, Served::Fixed { worker, others })
    }

    /// Binds the listener and serves every request with the worker version
    /// `dispatch` picks. Versions are loaded and instantiated on first use.
    pub fn start_routed(
        options: ServerOptions,
        dispatch: Arc<dyn Dispatch>,
    ) -> Result<Server, ServerError> {
        Self::start_serving(options, Served::Routed(dispatch))
    }

    fn start_serving(options: ServerOptions, served: Served) -> Result<Server, ServerError> {
        let current: SharedWorker = Arc::new(RwLock::new(Current {
            generation: 0,
            served,
        }));
        let (shutdown, shutdown_rx) = watch::channel(false);
        let threads = options.threads.max(1);
        let first = listener::bind(options.addr).map_err(|e| ServerError::Bind(options.addr, e))?;
        let local_addr = first
            .local_addr()
            .map_err(|e| ServerError::Bind(options.addr, e))?;
        let listeners =
            listener::share(first, threads).map_err(|e| ServerError::Bind(local_addr, e))?;
        let (tcp_addrs, mut tcp_per_thread) = bind_tcp_listeners(&current, threads)?;
        let mut shards = hearth_runtime::bindings::durable::Router::install(threads).into_iter();
        let (started_tx, started) = std::sync::mpsc::channel::<Result<(), String>>();
        let permits = Arc::new(tokio::sync::Semaphore::new(options.max_connections.max(1)));
        let handles: Vec<JoinHandle<()>> = listeners
            .into_iter()
            .enumerate()
            .map(|(index, socket)| {
                let shard = shards.next().expect("one shard per thread");
                let started = started_tx.clone();
                let current = current.clone();
                let shutdown = shutdown_rx.clone();
                let options = options.clone();
                let tcp = std::mem::take(&mut tcp_per_thread[index]);
                let permits = permits.clone();
                std::thread::Builder::new()
                    .name(format!("hearth-loop-{index}"))
                    .stack_size(16 * 1024 * 1024)
                    .spawn(move || {
                        thread::run(
                            socket, tcp, shard, current, options, permits, shutdown, started,
                        )
                    })
                    .expect("spawning an event-loop thread")
            })
            .collect();
        drop(started_tx);
        let failure = started.iter().take(threads).find_map(Result::err);
        if let Some(message) = failure {
            let _ = shutdown.send(true);
            for handle in handles {
                let _ = handle.join();
            }
            return Err(ServerError::Worker(message));
        }
        Ok(Server {
            local_addr,
            tcp_addrs,
            current,
            shutdown,
            threads: handles,
        })
    }

    /// The address the server is listening on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The addresses of the `[[tcp_listeners]]` (Socket Workers), in
    /// configuration order.
    pub fn tcp_addrs(&self) -> &[SocketAddr] {
        &self.tcp_addrs
    }

    /// Replaces the served workers. Requests already running finish on the
    /// old ones; each thread switches on its next request. If any worker
    /// fails to start, nothing is replaced and the old ones keep serving.
    pub fn reload(&self, worker: Worker, others: Vec<Worker>) -> Result<(), ServerError> {
        for w in std::iter::once(&worker).chain(&others) {
            check_worker_starts(w)?;
        }
        let mut current = self.current.write().expect("worker slot poisoned");
        current.generation += 1;
        current.served = Served::Fixed { worker, others };
        Ok(())
    }

    /// Stops accepting connections, lets in-flight requests finish (for
    /// [`ServerOptions::drain_timeout`] at most) and joins the threads.
    pub fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for handle in self.threads {
            let _ = handle.join();
        }
    }
}

/// A Socket Worker listener of one thread: the socket and the export that
/// handles its connections.
pub(crate) struct TcpListenerSlot {
    pub(crate) socket: std::net::TcpListener,
    pub(crate) handler: Option<String>,
}

/// Binds every `[[tcp_listeners]]` address once, shared by every thread.
/// Listeners are fixed at start-up; a reload keeps them.
#[allow(clippy::type_complexity)]
fn bind_tcp_listeners(
    current: &SharedWorker,
    threads: usize,
) -> Result<(Vec<SocketAddr>, Vec<Vec<TcpListenerSlot>>), ServerError> {
    let entries = match &current.read().expect("worker slot poisoned").served {
        Served::Fixed { worker, .. } => worker.config().tcp_listeners.clone(),
        Served::Routed(_) => Vec::new(),
    };
    let mut addrs = Vec::new();
    let mut per_thread: Vec<Vec<TcpListenerSlot>> = (0..threads).map(|_| Vec::new()).collect();
    for entry in entries {
        let wanted: SocketAddr = entry.address.parse().map_err(|e| {
            ServerError::Bind(
                SocketAddr::from(([0, 0, 0, 0], 0)),
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("{}: {e}", entry.address),
                ),
            )
        })?;
        let first = listener::bind(wanted).map_err(|e| ServerError::Bind(wanted, e))?;
        let addr = first
            .local_addr()
            .map_err(|e| ServerError::Bind(wanted, e))?;
        let handles = listener::share(first, threads).map_err(|e| ServerError::Bind(addr, e))?;
        for (slots, socket) in per_thread.iter_mut().zip(handles) {
            slots.push(TcpListenerSlot {
                socket,
                handler: entry.handler.clone(),
            });
        }
        addrs.push(addr);
    }
    Ok((addrs, per_thread))
}

/// Why the server could not start or reload.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The address could not be bound.
    #[error("cannot listen on {0}: {reason}", reason = bind_reason(.1))]
    Bind(SocketAddr, std::io::Error),
    /// The worker's script failed to start.
    #[error("{0}")]
    Startup(#[from] StartupError),
    /// The worker failed to start on an event-loop thread.
    #[error("{0}")]
    Worker(String),
}

fn bind_reason(e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::AddrInUse {
        "the port is already in use (by another hearth or another program); \
         stop it or choose another port with --port"
            .into()
    } else {
        e.to_string()
    }
}

/// Instantiates the worker on a scratch thread to surface startup errors
/// (a syntax error, a top-level throw, a missing export).
pub fn check_worker_starts(worker: &Worker) -> Result<(), ServerError> {
    let worker = worker.clone();
    std::thread::Builder::new()
        .stack_size(16 * 1024 * 1024)
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            let local = tokio::task::LocalSet::new();
            local.block_on(&rt, async {
                hearth_runtime::Isolate::new(&worker).map(drop)
            })
        })
        .expect("spawning a startup check thread")
        .join()
        .expect("startup check panicked")
        .map_err(ServerError::Startup)
}

//! One event-loop thread: accepts connections and runs requests on this
//! thread's isolate.

use crate::conn::{BodyFailure, Clock, Guarded, Prefixed, TimedBody, Tracked};
use crate::{
    Dispatch, Routed, Served, ServerOptions, SharedWorker, TcpListenerSlot, Unrouted,
    MAX_REQUEST_BODY,
};
use bytes::Bytes;
use hearth_runtime::{Isolate, RequestBody, ResponseBody, ScheduledOutcome, UpgradeLink, Worker};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::cell::RefCell;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::sync::watch;

/// This thread's isolates, one per served worker (by name; under
/// `hearth serve` by loaded version), each with the generation it was built
/// from.
pub(crate) struct Slot {
    shared: SharedWorker,
    built: RefCell<HashMap<String, (u64, Rc<Isolate>)>>,
    /// The [`Dispatch::generation`] the cache was last pruned at.
    pruned: std::cell::Cell<u64>,
}

impl Slot {
    /// The names of every served worker, the primary first.
    pub(crate) fn worker_names(&self) -> Vec<String> {
        match &self.shared.read().expect("worker slot poisoned").served {
            Served::Fixed { worker, others } => std::iter::once(worker)
                .chain(others)
                .map(|w| w.name().to_string())
                .collect(),
            Served::Routed(_) => Vec::new(),
        }
    }

    /// The isolates whose Durable Objects this thread looks after (alarms,
    /// eviction): every served worker's under `hearth dev`; under
    /// `hearth serve` those already running here (versions load lazily).
    pub(crate) fn durable_isolates(&self) -> Vec<Rc<Isolate>> {
        if self.dispatch().is_some() {
            return self
                .built
                .borrow()
                .values()
                .map(|(_, i)| i.clone())
                .collect();
        }
        self.worker_names()
            .iter()
            .filter_map(|name| self.isolate_of(Some(name)).ok())
            .collect()
    }

    fn dispatch(&self) -> Option<Arc<dyn Dispatch>> {
        match &self.shared.read().expect("worker slot poisoned").served {
            Served::Routed(dispatch) => Some(dispatch.clone()),
            Served::Fixed { .. } => None,
        }
    }

    /// The isolate serving a request for `uri` with `headers`.
    pub(crate) fn isolate_for(
        &self,
        uri: &http::Uri,
        headers: &http::HeaderMap,
    ) -> Result<Rc<Isolate>, Unrouted> {
        match self.dispatch() {
            None => self.isolate_of(None).map_err(Unrouted::Failed),
            Some(dispatch) => {
                let routed = dispatch.route(uri, headers)?;
                self.routed_isolate(&*dispatch, routed)
                    .map_err(Unrouted::Failed)
            }
        }
    }

    /// The isolate of a version picked by the dispatcher, built on first use;
    /// isolates of versions no longer live are dropped first.
    fn routed_isolate(
        &self,
        dispatch: &dyn Dispatch,
        routed: Routed,
    ) -> Result<Rc<Isolate>, String> {
        let generation = dispatch.generation();
        if self.pruned.replace(generation) != generation {
            self.built
                .borrow_mut()
                .retain(|key, _| dispatch.is_live(key));
        }
        self.cached(&routed.key, 0, &routed.worker)
    }

    /// The isolate of worker `name` (`None`: the primary) to use now,
    /// rebuilt after a reload or a fatal error.
    pub(crate) fn isolate_of(&self, name: Option<&str>) -> Result<Rc<Isolate>, String> {
        let (generation, worker) = {
            let current = self.shared.read().expect("worker slot poisoned");
            let (worker, others) = match &current.served {
                Served::Fixed { worker, others } => (worker, others),
                Served::Routed(dispatch) => {
                    let dispatch = dispatch.clone();
                    drop(current);
                    let name = name.ok_or("hearth serve has no primary worker")?;
                    let routed = dispatch.by_name(name).ok_or_else(|| {
                        format!("no worker named \"{name}\" is deployed on this hearth server")
                    })?;
                    return self.routed_isolate(&*dispatch, routed);
                }
            };
            let worker = match name {
                None => worker,
                Some(name) => std::iter::once(worker)
                    .chain(others)
                    .find(|w| w.name() == name)
                    .ok_or_else(|| {
                        format!("no worker named \"{name}\" is running in this hearth server")
                    })?,
            };
            (current.generation, worker.clone())
        };
        self.cached(worker.name(), generation, &worker)
    }

    /// The isolate cached under `key` if it was built from `generation` and
    /// is healthy, else a new one.
    fn cached(&self, key: &str, generation: u64, worker: &Worker) -> Result<Rc<Isolate>, String> {
        let mut built = self.built.borrow_mut();
        if let Some((g, isolate)) = built.get(key) {
            match isolate.fatal_error() {
                None if *g == generation => return Ok(isolate.clone()),
                Some(reason) => {
                    tracing::warn!("recycling the isolate of '{}': {reason}", worker.name())
                }
                None => {}
            }
        }
        let isolate = Rc::new(Isolate::new(worker).map_err(|e| e.to_string())?);
        built.insert(key.to_string(), (generation, isolate.clone()));
        Ok(isolate)
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    socket: std::net::TcpListener,
    tcp: Vec<TcpListenerSlot>,
    shard: hearth_runtime::bindings::durable::Shard,
    shared: SharedWorker,
    options: ServerOptions,
    permits: Arc<tokio::sync::Semaphore>,
    mut shutdown: watch::Receiver<bool>,
    started: std::sync::mpsc::Sender<Result<(), String>>,
) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("building a tokio runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        let listener = tokio::net::TcpListener::from_std(socket).expect("registering the listener");
        let slot = Rc::new(Slot {
            shared,
            built: RefCell::new(HashMap::new()),
            pruned: std::cell::Cell::new(0),
        });
        // RPC stubs name the thread whose isolate exported them.
        hearth_runtime::bindings::durable::set_this_shard(shard.index);
        // Service bindings call other workers' isolates on this thread.
        let resolver = Rc::downgrade(&slot);
        hearth_runtime::bindings::services::set_resolver(Box::new(move |name| {
            resolver
                .upgrade()
                .ok_or_else(|| "the server is stopping".to_string())?
                .isolate_of(Some(name))
        }));
        let in_flight = Rc::new(tokio::sync::Notify::new());
        let open = Rc::new(std::cell::Cell::new(0usize));
        let every = slot.worker_names();
        let _ = started.send(
            every
                .iter()
                .try_for_each(|name| slot.isolate_of(Some(name)).map(drop)),
        );
        // One thread dispatches queue batches, so each batch is formed once.
        if shard.index == 0 {
            tokio::task::spawn_local(crate::queues::serve(slot.clone()));
        }
        tokio::task::spawn_local(crate::durable::serve(shard, slot.clone()));
        for listener in tcp {
            tokio::task::spawn_local(accept_sockets(listener, slot.clone(), shutdown.clone()));
        }
        let mut failures = crate::listener::AcceptFailures::default();
        loop {
            // At the connection cap, stop accepting: clients wait in the
            // listen backlog until a connection closes.
            let permit = tokio::select! {
                permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
                _ = shutdown.changed() => break,
            };
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        failures.failed("the HTTP listener", &e).await;
                        continue;
                    }
                },
                _ = shutdown.changed() => break,
            };
            let _ = stream.set_nodelay(true);
            let slot = slot.clone();
            let options = options.clone();
            let open = open.clone();
            let in_flight = in_flight.clone();
            let mut stopping = shutdown.clone();
            open.set(open.get() + 1);
            tokio::task::spawn_local(async move {
                let clock = Clock::new(options.timeouts);
                let io = Guarded::new(stream, clock.clone());
                let service = service_fn(move |req| {
                    let slot = slot.clone();
                    let options = options.clone();
                    let clock = clock.clone();
                    async move {
                        clock.busy();
                        let response = handle(&slot, &options, req, peer).await;
                        // An upgraded connection stays busy: its socket's
                        // reads belong to the WebSocket from now on.
                        Ok::<_, Infallible>(if response.status() == StatusCode::SWITCHING_PROTOCOLS {
                            response
                        } else {
                            response.map(|body| Tracked::new(body, clock).boxed_unsync())
                        })
                    }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    // A client that shut its sending side after the request
                    // still gets the answer.
                    .half_close(true)
                    .serve_connection(TokioIo::new(io), service)
                    .with_upgrades();
                let mut conn = std::pin::pin!(conn);
                // On shutdown an idle kept-alive connection closes at once
                // and a busy one after its response, so draining waits for
                // requests, not for clients' connection pools.
                let ended = tokio::select! {
                    ended = conn.as_mut() => ended,
                    _ = stopping.changed() => {
                        conn.as_mut().graceful_shutdown();
                        conn.await
                    }
                };
                if let Err(e) = ended {
                    tracing::debug!("connection from {peer} ended: {e}");
                }
                drop(permit);
                open.set(open.get() - 1);
                in_flight.notify_waiters();
            });
        }
        let _ = tokio::time::timeout(options.drain_timeout, async {
            while open.get() > 0 {
                in_flight.notified().await;
            }
        })
        .await;
    });
}

/// Accepts Socket Worker connections and hands each to the isolate's
/// `connect` handler as its own local task.
async fn accept_sockets(
    listener: TcpListenerSlot,
    slot: Rc<Slot>,
    mut shutdown: watch::Receiver<bool>,
) {
    let TcpListenerSlot { socket, handler } = listener;
    let listener = match tokio::net::TcpListener::from_std(socket) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("cannot register a TCP listener: {e}");
            return;
        }
    };
    let handler: Option<Rc<str>> = handler.map(Rc::from);
    let mut failures = crate::listener::AcceptFailures::default();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    failures.failed("a TCP listener", &e).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let slot = slot.clone();
        let handler = handler.clone();
        tokio::task::spawn_local(async move {
            let isolate = match slot.isolate_of(None) {
                Ok(isolate) => isolate,
                Err(message) => {
                    tracing::error!("dropping TCP connection from {peer}: {message}");
                    return;
                }
            };
            isolate.connect(stream, handler.as_deref()).await;
        });
    }
}

async fn handle(
    slot: &Slot,
    options: &ServerOptions,
    mut req: Request<Incoming>,
    peer: SocketAddr,
) -> Response<ResponseBody> {
    let too_large = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|len| len > MAX_REQUEST_BODY);
    if too_large {
        return plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "Request body is larger than the {} MB limit.\n",
                MAX_REQUEST_BODY / 1024 / 1024
            ),
        );
    }
    let isolate = match slot.isolate_for(req.uri(), req.headers()) {
        Ok(isolate) => isolate,
        Err(Unrouted::NotFound(message)) => {
            return plain(StatusCode::NOT_FOUND, format!("{message}\n"));
        }
        Err(Unrouted::Failed(message)) => {
            tracing::error!("{message}");
            return plain(StatusCode::INTERNAL_SERVER_ERROR, format!("{message}\n"));
        }
    };
    if options.test_scheduled && req.uri().path() == "/__scheduled" {
        return run_scheduled(&isolate, req.uri()).await;
    }
    // A request an asset answers never enters the worker.
    let worker = isolate.worker();
    if let Some(assets) = worker.assets() {
        let (method, uri, headers) = (req.method(), req.uri(), req.headers());
        if !assets.worker_first(method, uri, headers, worker.has_script()) {
            return assets.serve(method, uri, headers).map(|body| {
                Full::new(body)
                    .map_err(|never| match never {})
                    .boxed_unsync()
            });
        }
    }
    let websocket_key = req.headers().get("sec-websocket-key").cloned();
    let upgrade = websocket_key.as_ref().map(|_| hyper::upgrade::on(&mut req));
    let chunked = req
        .headers()
        .get(http::header::TRANSFER_ENCODING)
        .is_some_and(|v| !v.is_empty());
    let (parts, body) = req.into_parts();
    let body = TimedBody::new(body, options.timeouts.body);
    let malformed = body.malformed_flag();
    let body: RequestBody = if chunked {
        // The body's framing is checked (its start at least) before the
        // worker runs: a malformed one never reaches JavaScript.
        match Prefixed::read(body).await {
            Ok(body) => Limited::new(body, MAX_REQUEST_BODY as usize).boxed_unsync(),
            Err(failure) => return refused_body(&failure),
        }
    } else {
        Limited::new(body, MAX_REQUEST_BODY as usize).boxed_unsync()
    };
    let req = Request::from_parts(parts, body);
    let mut response = isolate.fetch(req, Some(peer.ip())).await;
    if malformed.load(Ordering::Relaxed) {
        return plain(StatusCode::BAD_REQUEST, "Malformed request body.\n".into());
    }
    if response.status() == StatusCode::SWITCHING_PROTOCOLS {
        return accept_websocket(response, websocket_key, upgrade);
    }
    response.extensions_mut().remove::<UpgradeLink>();
    response
}

/// The answer to a request whose body could not be read before the worker ran.
fn refused_body(failure: &BodyFailure) -> Response<ResponseBody> {
    tracing::debug!("refusing a request: {failure}");
    let status = match failure {
        BodyFailure::TimedOut(_) => StatusCode::REQUEST_TIMEOUT,
        _ => StatusCode::BAD_REQUEST,
    };
    plain(status, format!("{failure}.\n"))
}

/// Completes a WebSocket handshake for a 101 response from the worker and
/// hands the upgraded connection to the isolate that owns the socket.
fn accept_websocket(
    mut response: Response<ResponseBody>,
    key: Option<http::HeaderValue>,
    upgrade: Option<hyper::upgrade::OnUpgrade>,
) -> Response<ResponseBody> {
    let link = response.extensions_mut().remove::<UpgradeLink>();
    let (Some(link), Some(key), Some(upgrade)) = (link, key, upgrade) else {
        return plain(
            StatusCode::BAD_REQUEST,
            "The worker returned a WebSocket, but the request was not a WebSocket upgrade.\n"
                .into(),
        );
    };
    let headers = response.headers_mut();
    headers.insert(
        http::header::UPGRADE,
        http::HeaderValue::from_static("websocket"),
    );
    headers.insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("Upgrade"),
    );
    if let Ok(accept) = http::HeaderValue::from_str(&hearth_runtime::accept_key(key.as_bytes())) {
        headers.insert("sec-websocket-accept", accept);
    }
    tokio::task::spawn_local(async move {
        match upgrade.await {
            Ok(upgraded) => link.connect(upgraded),
            Err(e) => tracing::debug!("WebSocket upgrade failed: {e}"),
        }
    });
    response
}

/// `GET /__scheduled?cron=*+*+*+*+*` runs the scheduled handler, as wrangler does.
async fn run_scheduled(isolate: &Isolate, uri: &http::Uri) -> Response<ResponseBody> {
    let cron = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .find(|(key, _)| key == "cron")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as f64)
        .unwrap_or(0.0);
    match isolate.scheduled(&cron, now).await {
        ScheduledOutcome::Ok => plain(StatusCode::OK, "Ran scheduled event\n".into()),
        ScheduledOutcome::Failed(message) => {
            plain(StatusCode::INTERNAL_SERVER_ERROR, format!("{message}\n"))
        }
    }
}

fn plain(status: StatusCode, text: String) -> Response<ResponseBody> {
    let mut response = Response::new(
        Full::new(Bytes::from(text))
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *response.status_mut() = status;
    response
}

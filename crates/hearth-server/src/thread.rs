//! One event-loop thread: accepts connections and runs requests on this
//! thread's isolate.

use crate::{ServerOptions, SharedWorker, MAX_REQUEST_BODY};
use bytes::Bytes;
use hearth_runtime::{Isolate, RequestBody, ResponseBody, ScheduledOutcome};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::cell::RefCell;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;
use tokio::sync::watch;

/// How long shutdown waits for in-flight requests.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// This thread's isolate and the worker generation it was built from.
struct Slot {
    shared: SharedWorker,
    built: RefCell<Option<(u64, Rc<Isolate>)>>,
}

impl Slot {
    /// The isolate to use now, rebuilt after a reload or a fatal error.
    fn isolate(&self) -> Result<Rc<Isolate>, String> {
        let (generation, worker) = {
            let current = self.shared.read().expect("worker slot poisoned");
            (current.generation, current.worker.clone())
        };
        let mut built = self.built.borrow_mut();
        if let Some((g, isolate)) = built.as_ref() {
            match isolate.fatal_error() {
                None if *g == generation => return Ok(isolate.clone()),
                Some(reason) => {
                    tracing::warn!("recycling the isolate of '{}': {reason}", worker.name())
                }
                None => {}
            }
        }
        let isolate = Rc::new(Isolate::new(&worker).map_err(|e| e.to_string())?);
        *built = Some((generation, isolate.clone()));
        Ok(isolate)
    }
}

pub(crate) fn run(
    socket: std::net::TcpListener,
    shared: SharedWorker,
    options: ServerOptions,
    mut shutdown: watch::Receiver<bool>,
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
            built: RefCell::new(None),
        });
        let in_flight = Rc::new(tokio::sync::Notify::new());
        let open = Rc::new(std::cell::Cell::new(0usize));
        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        tracing::warn!("accept failed: {e}");
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
            open.set(open.get() + 1);
            tokio::task::spawn_local(async move {
                let service = service_fn(move |req| {
                    let slot = slot.clone();
                    let options = options.clone();
                    async move { Ok::<_, Infallible>(handle(&slot, &options, req, peer).await) }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades();
                if let Err(e) = conn.await {
                    tracing::debug!("connection from {peer} ended: {e}");
                }
                open.set(open.get() - 1);
                in_flight.notify_waiters();
            });
        }
        let _ = tokio::time::timeout(DRAIN_TIMEOUT, async {
            while open.get() > 0 {
                in_flight.notified().await;
            }
        })
        .await;
    });
}

async fn handle(
    slot: &Slot,
    options: &ServerOptions,
    req: Request<Incoming>,
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
    let isolate = match slot.isolate() {
        Ok(isolate) => isolate,
        Err(message) => {
            tracing::error!("{message}");
            return plain(StatusCode::INTERNAL_SERVER_ERROR, format!("{message}\n"));
        }
    };
    if options.test_scheduled && req.uri().path() == "/__scheduled" {
        return run_scheduled(&isolate, req.uri()).await;
    }
    let req = req.map(|body| -> RequestBody {
        Limited::new(body, MAX_REQUEST_BODY as usize).boxed_unsync()
    });
    isolate.fetch(req, Some(peer.ip())).await
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

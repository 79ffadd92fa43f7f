//! One QuickJS runtime running one worker on the current thread.

use crate::host::actor::{Actor, Resident};
use crate::host::body::{full, BodySink, ChannelBody, Oversized, RequestBody, ResponseBody};
use crate::host::errors::{describe, FatalKind, StartupError};
use crate::host::event_loop::{as_invocation, enter, enter_scoped};
use crate::host::memory::{Budget, MeteredAllocator};
use crate::host::resources::Resources;
use crate::host::scope::RequestScope;
use crate::host::upgrade::UpgradeLink;
use crate::loader::{ProjectLoader, ProjectResolver};
use crate::worker::{Format, Worker};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Body;
use rquickjs::context::EvalOptions;
use rquickjs::{Array, Context, Ctx, Function, Module, Object, Persistent, Runtime, Value};
use std::cell::{Cell, RefCell};
use std::net::IpAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Chunks buffered between a streaming response and its client.
const STREAM_BUFFER_CHUNKS: usize = 8;

/// Cloudflare's "Worker startup time" limit: evaluating the worker's modules
/// (their top-level code) may take this much CPU.
const STARTUP_CPU_LIMIT: Duration = Duration::from_secs(1);

/// CPU time the current thread has used.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// The state behind an [`Isolate`], shared with the tasks it started.
///
/// Field order matters: the context must drop before the runtime.
pub(crate) struct Core {
    /// Set once the prelude has run; dropped before the runtime.
    internals: std::cell::OnceCell<Internals>,
    /// The isolate's WebAssembly store; holds JavaScript values, so it is
    /// dropped before the runtime too.
    pub(crate) wasm: crate::web::wasm::State,
    pub(crate) ctx: Context,
    pub(crate) rt: Runtime,
    pub(crate) worker: Worker,
    pub(crate) cpu_limit: Duration,
    /// When the JavaScript now running must stop; checked by QuickJS's
    /// interrupt handler.
    pub(crate) deadline: Rc<Cell<Option<Instant>>>,
    /// Set by the interrupt handler when it stopped JavaScript for running
    /// past the deadline; [`crate::host::event_loop::enter`] acts on it.
    pub(crate) cpu_tripped: Rc<Cell<bool>>,
    /// While the worker's modules are evaluated: when (in the thread's CPU
    /// time) start-up must stop.
    startup_deadline: Rc<Cell<Option<Duration>>>,
    /// The isolate's memory: its limit, and whether an allocation was refused.
    pub(crate) budget: Rc<Budget>,
    /// The actor whose code the current run belongs to, if any (so a CPU
    /// overrun resets that actor rather than the isolate).
    pub(crate) running: RefCell<Option<std::rc::Weak<dyn Actor>>>,
    /// The request the current run belongs to, if any.
    pub(crate) scope: RefCell<Option<Rc<RequestScope>>>,
    /// Native resources JavaScript refers to by number, and each API's
    /// per-isolate state.
    pub(crate) resources: RefCell<Resources>,
    /// What must go down with the isolate when it is condemned.
    residents: RefCell<Vec<Rc<dyn Resident>>>,
    /// Set when the isolate hit its memory cap or CPU limit; the server then
    /// replaces it.
    fatal: RefCell<Option<String>>,
    alive: Cell<bool>,
}

impl Core {
    /// The objects only hearth's own code may use.
    pub(crate) fn internals(&self) -> &Internals {
        self.internals
            .get()
            .expect("internals are set before any user code runs")
    }

    pub(crate) fn is_alive(&self) -> bool {
        self.alive.get()
    }

    /// Whether a broken limit condemned this isolate (it is being replaced).
    pub(crate) fn is_condemned(&self) -> bool {
        self.fatal.borrow().is_some()
    }

    /// Condemns the isolate for a broken limit: the server replaces it, and
    /// the objects living here go down with it. Decided by the engine's
    /// state (see [`crate::host::event_loop::enter`]), never by a message.
    pub(crate) fn condemn(&self, kind: FatalKind) {
        if self.fatal.borrow().is_some() {
            return;
        }
        let explained = kind.explain(self.cpu_limit, self.worker.memory_limit());
        *self.fatal.borrow_mut() = Some(explained);
        let residents = self.residents.borrow().clone();
        for resident in residents {
            resident.condemned(self, kind);
        }
    }

    /// Registers something that must hear when the isolate is condemned.
    pub(crate) fn add_resident(&self, resident: Rc<dyn Resident>) {
        self.residents.borrow_mut().push(resident);
    }

    /// Logs an exception thrown by user code. Returns the message to show:
    /// in a condemned isolate, prefixed with the limit that was hit.
    pub(crate) fn report(&self, what: &str, message: &str) -> String {
        let message = match self.fatal.borrow().as_deref() {
            Some(explained) => format!("{explained}\n{message}"),
            None => message.to_string(),
        };
        tracing::error!(target: "hearth::js", "[{}] {what}: {message}", self.worker.name());
        message
    }
}

/// One worker's JavaScript running on the current thread.
///
/// Create and use it inside a tokio `LocalSet`: its timers and I/O run as
/// local tasks.
pub struct Isolate {
    core: Rc<Core>,
}

/// The result of running a `scheduled` handler.
#[derive(Debug)]
pub enum ScheduledOutcome {
    /// The handler (and its `waitUntil` promises) completed.
    Ok,
    /// The handler threw; the message includes the stack.
    Failed(String),
}

impl Isolate {
    /// Starts an isolate: installs the Web APIs, evaluates the worker's
    /// modules and finds its handlers.
    pub fn new(worker: &Worker) -> Result<Isolate, StartupError> {
        let began = Instant::now();
        let budget = Budget::new(worker.memory_limit());
        let rt = Runtime::new_with_alloc(MeteredAllocator(budget.clone()))
            .map_err(|e| StartupError::new(format!("cannot create a JavaScript runtime: {e}")))?;
        rt.set_max_stack_size(4 * 1024 * 1024);
        rt.set_gc_threshold(16 * 1024 * 1024);
        let deadline: Rc<Cell<Option<Instant>>> = Rc::new(Cell::new(None));
        let watched = deadline.clone();
        let cpu_tripped = Rc::new(Cell::new(false));
        let tripped = cpu_tripped.clone();
        let startup_deadline: Rc<Cell<Option<Duration>>> = Rc::new(Cell::new(None));
        let starting = startup_deadline.clone();
        rt.set_host_promise_rejection_tracker(Some(Box::new(crate::web::events::track_rejection)));
        rt.set_interrupt_handler(Some(Box::new(move || {
            let stop = watched.get().is_some_and(|d| Instant::now() > d)
                || starting.get().is_some_and(|d| thread_cpu_time() > d);
            if stop {
                tripped.set(true);
            }
            stop
        })));
        rt.set_loader(
            ProjectResolver {
                worker: worker.clone(),
            },
            ProjectLoader {
                worker: worker.clone(),
            },
        );
        let ctx = Context::full(&rt)
            .map_err(|e| StartupError::new(format!("cannot create a JavaScript context: {e}")))?;
        let core = Rc::new(Core {
            internals: std::cell::OnceCell::new(),
            wasm: Default::default(),
            ctx,
            rt,
            worker: worker.clone(),
            cpu_limit: worker.cpu_limit(),
            deadline,
            cpu_tripped,
            startup_deadline,
            budget,
            running: RefCell::new(None),
            scope: RefCell::new(None),
            resources: RefCell::default(),
            residents: RefCell::default(),
            fatal: RefCell::new(None),
            alive: Cell::new(true),
        });
        let started: Result<Internals, String> = enter(&core, |ctx| {
            expose_internals(&ctx).map_err(|e| e.to_string())?;
            crate::host::prelude::install(&ctx)?;
            let internals = hide_internals(&ctx).map_err(|e| caught(&ctx, e))?;
            let internal = internals
                .internal
                .clone()
                .restore(&ctx)
                .map_err(|e| e.to_string())?;
            crate::worker::env::install(&ctx, worker, &internal)?;
            Ok(internals)
        });
        let internals = started.map_err(StartupError::new)?;
        let _ = core.internals.set(internals);
        let prelude = began.elapsed();
        load_entry(&core)?;
        tracing::debug!(
            "isolate of '{}' ready in {:?} (Web APIs {:?})",
            worker.name(),
            began.elapsed(),
            prelude
        );
        Ok(Isolate { core })
    }

    /// Why this isolate must be replaced, if it must (memory cap or CPU limit hit).
    pub fn fatal_error(&self) -> Option<String> {
        self.core.fatal.borrow().clone()
    }

    /// The worker this isolate runs.
    pub fn worker(&self) -> &Worker {
        &self.core.worker
    }

    /// The isolate's state, for bindings that add entry points of their own.
    pub(crate) fn core(&self) -> &Rc<Core> {
        &self.core
    }

    /// Runs the worker's fetch handler for one request.
    ///
    /// Never fails: handler exceptions become a 500 response and are logged
    /// with their stack.
    pub async fn fetch(
        &self,
        request: http::Request<RequestBody>,
        client: Option<IpAddr>,
    ) -> http::Response<ResponseBody> {
        let (parts, body) = request.into_parts();
        let host = parts
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let url = format!("http://{host}{path}");
        let mut headers: Vec<String> = Vec::with_capacity(parts.headers.len() * 2 + 2);
        for (name, value) in &parts.headers {
            // Like Cloudflare's edge, the client cannot choose its own address.
            if client.is_some() && name == "cf-connecting-ip" {
                continue;
            }
            headers.push(name.as_str().to_string());
            headers.push(String::from_utf8_lossy(value.as_bytes()).into_owned());
        }
        if let Some(ip) = client {
            headers.push("cf-connecting-ip".into());
            headers.push(ip.to_string());
        }
        let body = (!body.is_end_stream()).then_some(body);
        let method = parts.method.as_str().to_string();
        self.run_fetch(url, method, headers, body, None).await
    }

    /// Runs the fetch handler of `entrypoint` (`None`: the default export)
    /// for a request given by parts; never fails, as [`Isolate::fetch`].
    pub(crate) async fn run_fetch(
        &self,
        url: String,
        method: String,
        headers: Vec<String>,
        body: Option<RequestBody>,
        entrypoint: Option<&str>,
    ) -> http::Response<ResponseBody> {
        let body_id = match body {
            Some(body) => self.core.resources.borrow_mut().add(body),
            None => 0,
        };
        let (tx, rx) = oneshot::channel();
        let (scope, failed) = RequestScope::new();
        // A request from outside is an invocation of its own; one through a
        // service binding already is one (`in_chain`).
        let pending = as_invocation(|| {
            enter_scoped(&self.core, Some(scope.clone()), None, |ctx| {
                let run = || -> rquickjs::Result<Value> {
                    let run_fetch: Function = internal(&ctx)?.get("runFetch")?;
                    run_fetch.call((url, method, headers, body_id, entrypoint))
                };
                match run() {
                    // Still pending: it often settles in the microtasks that run
                    // as this call leaves the isolate (awaits of KV reads and the
                    // like), and is then read directly below.
                    Ok(result) => match result.as_promise() {
                        Some(p) if p.state() == rquickjs::promise::PromiseState::Pending => {
                            Some((rquickjs::Persistent::save(&ctx, p.clone()), tx))
                        }
                        _ => {
                            deliver(&ctx, result, tx);
                            None
                        }
                    },
                    Err(e) => {
                        let _ = tx.send(Err(caught(&ctx, e)));
                        None
                    }
                }
            })
        });
        if let Some((promise, tx)) = pending {
            enter_scoped(&self.core, Some(scope.clone()), None, |ctx| {
                match promise.restore(&ctx) {
                    Ok(p) => deliver(&ctx, p.into_value(), tx),
                    Err(e) => {
                        let _ = tx.send(Err(caught(&ctx, e)));
                    }
                }
            });
        }
        // A broken limit can stop the request's code where no exception
        // reaches the handler's promise (a loop of microtasks, a timer).
        let outcome = tokio::select! {
            biased;
            Ok(()) = failed => Err("the request was stopped".into()),
            // Nothing can settle the handler's promise any more (it was
            // collected), in Cloudflare's words.
            outcome = rx => outcome
                .unwrap_or_else(|_| Err("The script will never generate a response.".into())),
        };
        scope.responded();
        // A body that grew past the limit left this mark in its place.
        let oversized = body_id != 0
            && self
                .core
                .resources
                .borrow_mut()
                .take::<Oversized>(body_id)
                .is_some();
        match outcome {
            Ok(response) => self.bound_to_response(scope, response),
            Err(_) if oversized => {
                self.end_scope(&scope, scope.response_finished());
                too_large_response()
            }
            Err(message) => {
                self.end_scope(&scope, scope.response_finished());
                let message = self
                    .core
                    .report("uncaught exception in fetch handler", &message);
                error_response(&message)
            }
        }
    }

    /// Ties the request's scope to its response: a complete body ends the
    /// request now (unless `waitUntil` work is pending), a streamed one when
    /// it has been sent or dropped, a WebSocket upgrade never.
    fn bound_to_response(
        &self,
        scope: Rc<RequestScope>,
        response: http::Response<ResponseBody>,
    ) -> http::Response<ResponseBody> {
        if response.status() == StatusCode::SWITCHING_PROTOCOLS {
            scope.make_open_ended();
            return response;
        }
        if response.body().size_hint().exact().is_some() {
            self.end_scope(&scope, scope.response_finished());
            return response;
        }
        let (sent, done) = oneshot::channel::<()>();
        let this = self.core.clone();
        tokio::task::spawn_local(async move {
            let _ = done.await;
            end_scope(&this, &scope, scope.response_finished());
        });
        response.map(|body| ScopedBody { body, _sent: sent }.boxed_unsync())
    }

    fn end_scope(&self, scope: &Rc<RequestScope>, ended: Option<Vec<f64>>) {
        end_scope(&self.core, scope, ended);
    }

    /// Runs the worker's scheduled handler (cron trigger) once.
    pub async fn scheduled(&self, cron: &str, scheduled_time_ms: f64) -> ScheduledOutcome {
        let (tx, rx) = oneshot::channel::<Result<(), String>>();
        let tx = Rc::new(RefCell::new(Some(tx)));
        enter(&self.core, |ctx| {
            let run = || -> rquickjs::Result<rquickjs::Promise> {
                let run: Function = internal(&ctx)?.get("runScheduled")?;
                run.call((cron, scheduled_time_ms))
            };
            let promise = match run() {
                Ok(p) => p,
                Err(e) => {
                    let message = caught(&ctx, e);
                    if let Some(tx) = tx.borrow_mut().take() {
                        let _ = tx.send(Err(message));
                    }
                    return;
                }
            };
            let ok_tx = tx.clone();
            let err_tx = tx.clone();
            let attached = on_settled(
                &ctx,
                &promise,
                move |_, _| {
                    if let Some(tx) = ok_tx.borrow_mut().take() {
                        let _ = tx.send(Ok(()));
                    }
                },
                move |ctx, e| {
                    if let Some(tx) = err_tx.borrow_mut().take() {
                        let _ = tx.send(Err(describe(ctx, e)));
                    }
                },
            );
            if let Err(e) = attached {
                tracing::error!("cannot await the scheduled handler: {e}");
            }
        });
        match rx.await {
            Ok(Ok(())) => ScheduledOutcome::Ok,
            Ok(Err(message)) => {
                self.core
                    .report("uncaught exception in scheduled handler", &message);
                ScheduledOutcome::Failed(message)
            }
            Err(_) => ScheduledOutcome::Failed("the scheduled handler never finished".into()),
        }
    }
}

impl Drop for Isolate {
    fn drop(&mut self) {
        // Pending timers and I/O see this and stop touching the isolate.
        self.core.alive.set(false);
    }
}

/// After the response: forgets the timers of a request that just ended, or,
/// when `waitUntil` work keeps it going, ends it after the grace period.
pub(crate) fn end_scope(core: &Rc<Core>, scope: &Rc<RequestScope>, ended: Option<Vec<f64>>) {
    match ended {
        Some(timers) => forget_timers(core, timers),
        None if !scope.has_ended() => {
            let (core, scope) = (core.clone(), scope.clone());
            tokio::task::spawn_local(async move {
                tokio::time::sleep(RequestScope::grace()).await;
                if let Some(timers) = scope.end_now() {
                    forget_timers(&core, timers);
                }
            });
        }
        None => {}
    }
}

/// Drops the callbacks of a finished request's timers.
pub(crate) fn forget_timers(core: &Rc<Core>, timers: Vec<f64>) {
    if timers.is_empty() || !core.is_alive() {
        return;
    }
    let forget = |ctx: Ctx<'_>| {
        let drop_timers: rquickjs::Result<Function> =
            internal(&ctx).and_then(|i| i.get("dropTimers"));
        if let Ok(f) = drop_timers {
            let _ = f.call::<_, ()>((timers,));
        }
    };
    if crate::host::event_loop::try_current().is_some_and(|c| Rc::ptr_eq(&c, core)) {
        // Called from inside the isolate: later, outside it.
        let core = core.clone();
        tokio::task::spawn_local(async move {
            if core.is_alive() {
                enter(&core, forget);
            }
        });
    } else {
        enter(core, forget);
    }
}

/// A streamed response body that tells its request when it is done (sent
/// or dropped).
struct ScopedBody {
    body: ResponseBody,
    _sent: oneshot::Sender<()>,
}

impl Body for ScopedBody {
    type Data = Bytes;
    type Error = <ResponseBody as Body>::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        std::pin::Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

type Outcome = Result<http::Response<ResponseBody>, String>;

/// The prelude's internal object (handler glue, class constructors), which
/// user code cannot reach: see [`Internals`].
pub(crate) fn internal<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    crate::host::event_loop::current()
        .internals()
        .internal
        .clone()
        .restore(ctx)
}

/// [`internal`], or `None` while no isolate is entered or its prelude has not
/// finished (engine callbacks such as the rejection tracker can fire then).
pub(crate) fn try_internal<'js>(ctx: &Ctx<'js>) -> Option<Object<'js>> {
    let core = crate::host::event_loop::try_current()?;
    let internals = core.internals.get()?;
    internals.internal.clone().restore(ctx).ok()
}

/// The native object (see `extensions.rs`) and the prelude's internal object.
/// The prelude scripts read both from `globalThis` while they are evaluated;
/// the host then takes them off `globalThis` and keeps them here, so user code
/// can neither see nor call them. Built-in modules reach them through the
/// `hearth:internal` module.
pub(crate) struct Internals {
    pub(crate) native: Persistent<Object<'static>>,
    pub(crate) internal: Persistent<Object<'static>>,
}

/// Globals that exist only while the prelude is evaluated.
const NATIVE_GLOBAL: &str = "__hearth_native";
const INTERNAL_GLOBAL: &str = "__hearth_internal";

/// Puts the native object and an empty internal object on `globalThis` for
/// the prelude scripts to read.
fn expose_internals(ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    crate::extensions::install_globals(ctx)?;
    ctx.globals()
        .set(NATIVE_GLOBAL, crate::extensions::natives(ctx)?)?;
    ctx.globals()
        .set(INTERNAL_GLOBAL, Object::new(ctx.clone())?)
}

/// Takes both objects off `globalThis` once the prelude has run.
fn hide_internals(ctx: &Ctx<'_>) -> rquickjs::Result<Internals> {
    let globals = ctx.globals();
    let native: Object = globals.get(NATIVE_GLOBAL)?;
    let internal: Object = globals.get(INTERNAL_GLOBAL)?;
    globals.remove(NATIVE_GLOBAL)?;
    globals.remove(INTERNAL_GLOBAL)?;
    Ok(Internals {
        native: Persistent::save(ctx, native),
        internal: Persistent::save(ctx, internal),
    })
}

/// The message of the exception behind an `Err` from rquickjs.
pub(crate) fn caught(ctx: &Ctx<'_>, e: rquickjs::Error) -> String {
    match e {
        rquickjs::Error::Exception => describe(ctx, ctx.catch()),
        other => other.to_string(),
    }
}

/// Sends the response once `result` (a parts array or a promise of one) is ready.
fn deliver<'js>(ctx: &Ctx<'js>, result: Value<'js>, tx: oneshot::Sender<Outcome>) {
    if let Some(parts) = result.as_array() {
        let _ = tx.send(build_response(ctx, parts));
        return;
    }
    let Some(promise) = result.as_promise().cloned() else {
        let _ = tx.send(Err("fetch handler did not return a Response".into()));
        return;
    };
    match promise.state() {
        rquickjs::promise::PromiseState::Resolved => {
            let outcome = promise
                .result::<Value>()
                .map(|r| r.map_err(|e| caught(ctx, e)));
            let _ = tx.send(match outcome {
                Some(Ok(value)) => finish_fetch(ctx, value),
                Some(Err(message)) => Err(message),
                None => Err("the handler's promise settled without a value".into()),
            });
            return;
        }
        rquickjs::promise::PromiseState::Rejected => {
            let message = match promise.result::<Value>() {
                Some(Err(e)) => caught(ctx, e),
                _ => "the fetch handler's promise was rejected".into(),
            };
            let _ = tx.send(Err(message));
            return;
        }
        rquickjs::promise::PromiseState::Pending => {}
    }
    let tx = Rc::new(RefCell::new(Some(tx)));
    let ok_tx = tx.clone();
    let attached = on_settled(
        ctx,
        &promise,
        move |ctx, value| {
            if let Some(tx) = ok_tx.borrow_mut().take() {
                let _ = tx.send(finish_fetch(ctx, value));
            }
        },
        move |ctx, e| {
            if let Some(tx) = tx.borrow_mut().take() {
                let _ = tx.send(Err(describe(ctx, e)));
            }
        },
    );
    if let Err(e) = attached {
        tracing::error!("cannot await the fetch handler's promise: {e}");
    }
}

/// Turns what the handler's promise resolved to into a response (a
/// `TypeError` when it is not a Response, as on Cloudflare).
fn finish_fetch<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> Outcome {
    let parts = internal(ctx)
        .and_then(|i| i.get::<_, Function>("finishFetch"))
        .and_then(|f| f.call::<_, Value>((value,)))
        .map_err(|e| caught(ctx, e))?;
    match parts.as_array() {
        Some(parts) => build_response(ctx, parts),
        None => Err("fetch handler did not return a Response".into()),
    }
}

/// Calls `ok` or `err` once `promise` settles.
pub(crate) fn on_settled<'js>(
    ctx: &Ctx<'js>,
    promise: &rquickjs::Promise<'js>,
    ok: impl FnOnce(&Ctx<'js>, Value<'js>) + 'js,
    err: impl FnOnce(&Ctx<'js>, Value<'js>) + 'js,
) -> rquickjs::Result<()> {
    let ok = RefCell::new(Some(ok));
    let err = RefCell::new(Some(err));
    let on_ok = Function::new(ctx.clone(), move |ctx: Ctx<'js>, v: Value<'js>| {
        if let Some(f) = ok.borrow_mut().take() {
            f(&ctx, v);
        }
    })?;
    let on_err = Function::new(ctx.clone(), move |ctx: Ctx<'js>, v: Value<'js>| {
        if let Some(f) = err.borrow_mut().take() {
            f(&ctx, v);
        }
    })?;
    let then: Function = promise.get("then")?;
    then.call::<_, Value>((rquickjs::function::This(promise.clone()), on_ok, on_err))?;
    Ok(())
}

/// Turns `[status, statusText, headers, body, webSocket]` into a response,
/// starting a pump when the body is a stream.
fn build_response<'js>(ctx: &Ctx<'js>, parts: &Array<'js>) -> Outcome {
    let read = || -> rquickjs::Result<(u16, Vec<String>, Value<'js>, Value<'js>)> {
        Ok((parts.get(0)?, parts.get(2)?, parts.get(3)?, parts.get(4)?))
    };
    let (status, headers, body, socket) = read().map_err(|e| caught(ctx, e))?;
    if status == 101 {
        return upgrade_response(ctx, headers, socket);
    }
    let status = StatusCode::from_u16(status).map_err(|_| format!("invalid status {status}"))?;
    let mut builder = http::Response::builder().status(status);
    for pair in headers.chunks(2) {
        let [name, value] = pair else { break };
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(n), Ok(v)) => builder = builder.header(n, v),
            _ => tracing::warn!("dropping invalid response header {name:?}"),
        }
    }
    let body = if body.is_null() || body.is_undefined() {
        full(Bytes::new())
    } else if let Some(s) = body.as_string() {
        full(s.to_string().map_err(|e| e.to_string())?)
    } else if let Some(bytes) = crate::host::bytes::bytes_of(&body) {
        full(bytes)
    } else {
        stream_body(ctx, body)?
    };
    builder.body(body).map_err(|e| e.to_string())
}

/// A 101 response whose `webSocket` the server connects once the client's
/// connection is upgraded (the link rides in the response's extensions).
fn upgrade_response<'js>(ctx: &Ctx<'js>, headers: Vec<String>, socket: Value<'js>) -> Outcome {
    let link = || -> rquickjs::Result<Option<u32>> {
        let upgrade_link: Function = internal(ctx)?.get("upgradeLink")?;
        upgrade_link.call((socket,))
    };
    let link = link()
        .map_err(|e| caught(ctx, e))?
        .and_then(|id| {
            crate::host::event_loop::current()
                .resources
                .borrow_mut()
                .take::<UpgradeLink>(id)
        })
        .ok_or("a 101 response needs a webSocket (the client end of a WebSocketPair)")?;
    let mut builder = http::Response::builder().status(StatusCode::SWITCHING_PROTOCOLS);
    for pair in headers.chunks(2) {
        if let [name, value] = pair {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                builder = builder.header(n, v);
            }
        }
    }
    let mut response = builder
        .body(full(Bytes::new()))
        .map_err(|e| e.to_string())?;
    response.extensions_mut().insert(link);
    Ok(response)
}

/// Hands a `ReadableStream` to the JavaScript pump, which writes its chunks
/// into a bounded channel the client reads from.
pub(crate) fn stream_body<'js>(ctx: &Ctx<'js>, stream: Value<'js>) -> Result<ResponseBody, String> {
    let (sender, rx) = mpsc::channel(STREAM_BUFFER_CHUNKS);
    let core = crate::host::event_loop::current();
    let id = core.resources.borrow_mut().add(BodySink(sender));
    let pump = || -> rquickjs::Result<()> {
        let pump: Function = internal(ctx)?.get("pumpBody")?;
        pump.call((stream, id))
    };
    pump().map_err(|e| caught(ctx, e))?;
    Ok(ChannelBody { rx }.boxed_unsync())
}

fn too_large_response() -> http::Response<ResponseBody> {
    let mut response = http::Response::new(full("Request body is larger than the 100 MB limit.\n"));
    *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    response
}

fn error_response(message: &str) -> http::Response<ResponseBody> {
    let mut response =
        http::Response::new(full(format!("Worker threw an exception:\n{message}\n")));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain;charset=UTF-8"),
    );
    response
}

fn eval_script(ctx: &Ctx<'_>, name: &str, source: &str) -> Result<(), String> {
    let mut options = EvalOptions::default();
    options.global = true;
    options.strict = false;
    options.filename = Some(name.to_string());
    ctx.eval_with_options::<(), _>(source, options)
        .map_err(|e| caught(ctx, e))
}

/// Evaluates the entry module (or service-worker script) and registers its
/// handlers, within Cloudflare's start-up CPU limit.
fn load_entry(core: &Rc<Core>) -> Result<(), StartupError> {
    let deadline = thread_cpu_time() + STARTUP_CPU_LIMIT;
    core.startup_deadline.set(Some(deadline));
    let result = evaluate_entry(core);
    core.startup_deadline.set(None);
    // Stopped by the interrupt handler (the exception says only "interrupted").
    if result.is_err() && thread_cpu_time() > deadline {
        let worker = &core.worker;
        return Err(StartupError::new(format!(
            "{}: failed to start worker '{}': Script startup exceeded CPU time limit: \
             evaluating the worker's modules (their top-level code) took more than {} ms \
             of CPU. Move slow work into the handlers.",
            worker.root().join(worker.main()).display(),
            worker.name(),
            STARTUP_CPU_LIMIT.as_millis()
        )));
    }
    result
}

fn evaluate_entry(core: &Rc<Core>) -> Result<(), StartupError> {
    let worker = &core.worker;
    let main = worker.main().to_string();
    let result: Result<(), String> = match worker.format() {
        Format::Modules => {
            let evaluated = enter(core, |ctx| {
                let source = crate::loader::module_source(worker, &main)?;
                let declared = Module::declare(ctx.clone(), main.as_str(), source)
                    .map_err(|e| caught(&ctx, e))?;
                let (module, promise) = declared.eval().map_err(|e| caught(&ctx, e))?;
                let promise = rquickjs::Persistent::save(&ctx, promise);
                let module = rquickjs::Persistent::save(
                    &ctx,
                    module.namespace().map_err(|e| caught(&ctx, e))?,
                );
                Ok::<_, String>((promise, module))
            });
            evaluated.and_then(|(promise, namespace)| {
                enter(core, |ctx| {
                    let promise = promise.restore(&ctx).map_err(|e| e.to_string())?;
                    promise
                        .result::<Value>()
                        .transpose()
                        .map_err(|e| caught(&ctx, e))?;
                    let namespace = namespace.restore(&ctx).map_err(|e| e.to_string())?;
                    let register: Function = internal(&ctx)
                        .and_then(|i| i.get("registerModule"))
                        .map_err(|e| caught(&ctx, e))?;
                    register
                        .call::<_, ()>((namespace,))
                        .map_err(|e| caught(&ctx, e))
                })
            })
        }
        Format::ServiceWorker => enter(core, |ctx| {
            let source = worker.source(&main)?;
            let source = String::from_utf8(source.to_vec())
                .map_err(|_| format!("{main}: not valid UTF-8"))?;
            let globals = || -> rquickjs::Result<()> {
                let env: Object = internal(&ctx)?.get("env")?;
                for key in env.keys::<String>() {
                    let key = key?;
                    let value: Value = env.get(key.as_str())?;
                    ctx.globals().set(key, value)?;
                }
                Ok(())
            };
            globals().map_err(|e| caught(&ctx, e))?;
            eval_script(&ctx, &main, &source)
        }),
    };
    result.map_err(|message| {
        StartupError::new(format!(
            "{}: failed to start worker '{}':\n{message}",
            worker.root().join(&main).display(),
            worker.name()
        ))
    })
}

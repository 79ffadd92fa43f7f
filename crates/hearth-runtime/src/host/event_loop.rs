//! The per-thread event loop glue between tokio and QuickJS.
//!
//! Every isolate lives on one thread inside a tokio `LocalSet`. JavaScript is
//! entered only through [`enter`], which also drains QuickJS's microtask queue
//! and arms the CPU-time deadline. Native asynchronous work (timers, fetch,
//! storage writes, body reads) runs as local tokio tasks started by
//! [`spawn_op`]; when one finishes it re-enters JavaScript to settle its promise.

use crate::host::actor::Actor;
use crate::host::errors::FatalKind;
use crate::host::isolate::Core;
use crate::host::scope::RequestScope;
use rquickjs::{Ctx, Function, Persistent, Promise, Value};
use std::cell::RefCell;
use std::future::Future;
use std::rc::{Rc, Weak};
use std::time::Instant;

thread_local! {
    /// The isolates currently executing JavaScript on this thread, innermost last.
    static CURRENT: RefCell<Vec<Rc<Core>>> = const { RefCell::new(Vec::new()) };
    /// The Worker invocation the code running now belongs to (see [`Invocation`]).
    static INVOCATION: RefCell<Option<Rc<Invocation>>> = const { RefCell::new(None) };
}

/// One Worker invocation (a request from outside, or one worker's call into
/// another): its place in the request's chain and the API requests it made.
/// Native async work carries it to the code its promise resumes
/// ([`spawn_op`]), so code after an `await` still counts as its invocation.
pub(crate) struct Invocation {
    depth: u32,
    api_requests: std::cell::Cell<u32>,
}

impl Invocation {
    fn new(depth: u32) -> Rc<Invocation> {
        Rc::new(Invocation {
            depth,
            api_requests: std::cell::Cell::new(0),
        })
    }
}

/// The most Worker invocations one request may chain (a worker calling
/// another, or itself, through service bindings and RPC stubs), as on
/// Cloudflare.
pub(crate) const MAX_CHAIN: u32 = 32;

/// What Cloudflare throws for the invocation past [`MAX_CHAIN`].
pub(crate) const CHAIN_EXCEEDED: &str = "Subrequest depth limit exceeded. This request recursed through Workers too many times. This can happen e.g. if you have a Worker or Durable Object that calls other Workers or objects recursively.";

/// The most API requests (D1 queries) one invocation may make: D1's
/// "queries per Worker invocation" on Workers Paid.
pub(crate) const MAX_API_REQUESTS: u32 = 1000;

/// What Cloudflare throws for the API request past [`MAX_API_REQUESTS`].
pub(crate) const API_REQUESTS_EXCEEDED: &str = "Too many API requests by single Worker invocation.";

fn invocation() -> Option<Rc<Invocation>> {
    INVOCATION.with(|c| c.borrow().clone())
}

/// The number of the running invocation in its chain: 1 for a request from
/// outside, 2 for a worker it called, and so on.
pub(crate) fn chain() -> u32 {
    invocation().map_or(1, |i| i.depth)
}

/// The number of the invocation the running code is about to make, or the
/// error Cloudflare throws when that is past [`MAX_CHAIN`].
pub(crate) fn next_in_chain(ctx: &Ctx<'_>) -> rquickjs::Result<u32> {
    let next = chain() + 1;
    if next > MAX_CHAIN {
        return Err(rquickjs::Exception::throw_message(ctx, CHAIN_EXCEEDED));
    }
    Ok(next)
}

/// Counts one API request of the running invocation, or throws Cloudflare's
/// error past [`MAX_API_REQUESTS`]. Code that belongs to no invocation (a
/// Durable Object's events, alarms, timers) is not counted.
pub(crate) fn count_api_request(ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    if let Some(i) = invocation() {
        let n = i.api_requests.get() + 1;
        if n > MAX_API_REQUESTS {
            return Err(rquickjs::Exception::throw_message(
                ctx,
                API_REQUESTS_EXCEEDED,
            ));
        }
        i.api_requests.set(n);
    }
    Ok(())
}

/// Runs `f` as part of `invocation`.
fn with_invocation<R>(invocation: Option<Rc<Invocation>>, f: impl FnOnce() -> R) -> R {
    let outer = INVOCATION.with(|c| c.replace(invocation));
    let result = f();
    INVOCATION.with(|c| *c.borrow_mut() = outer);
    result
}

/// Runs `f` as the running invocation, or as a new request from outside
/// when there is none (the server's entry points).
pub(crate) fn as_invocation<R>(f: impl FnOnce() -> R) -> R {
    let running = invocation().unwrap_or_else(|| Invocation::new(1));
    with_invocation(Some(running), f)
}

/// A future whose every poll runs as a new invocation, number `depth` of its
/// chain: what it enters (another worker's isolate) is that invocation.
pub(crate) struct InChain<F> {
    invocation: Rc<Invocation>,
    inner: std::pin::Pin<Box<F>>,
}

/// Wraps `future` to run as invocation `depth` ([`InChain`]).
pub(crate) fn in_chain<F: Future>(depth: u32, future: F) -> InChain<F> {
    InChain {
        invocation: Invocation::new(depth),
        inner: Box::pin(future),
    }
}

impl<F: Future> Future for InChain<F> {
    type Output = F::Output;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        let invocation = self.invocation.clone();
        with_invocation(Some(invocation), || self.inner.as_mut().poll(cx))
    }
}

/// The isolate whose JavaScript is running right now on this thread.
///
/// Natives call this to reach their isolate's resources; it panics only if a
/// native is invoked outside [`enter`], which would be a bug in hearth.
pub(crate) fn current() -> Rc<Core> {
    CURRENT.with(|c| {
        c.borrow()
            .last()
            .cloned()
            .expect("native called outside of an isolate")
    })
}

/// The isolate whose JavaScript is running on this thread, if any: for
/// engine callbacks that may also fire outside [`enter`] (start-up).
pub(crate) fn try_current() -> Option<Rc<Core>> {
    CURRENT.with(|c| c.borrow().last().cloned())
}

/// Runs `f` inside the isolate, then runs every queued microtask.
///
/// The CPU deadline covers both: a promise chain that spins forever is cut off
/// just like a synchronous loop. When the deadline stopped code of an actor
/// (see [`enter_as`]), that actor is reset.
pub(crate) fn enter<R>(core: &Rc<Core>, f: impl FnOnce(Ctx<'_>) -> R) -> R {
    CURRENT.with(|c| c.borrow_mut().push(core.clone()));
    let outer = core.deadline.get();
    let began = Instant::now();
    // A request's runs share its budget; other code gets the whole limit.
    let scope = core.scope.borrow().clone();
    let budget = scope
        .as_ref()
        .and_then(|s| s.remaining(core.cpu_limit))
        .unwrap_or(core.cpu_limit);
    if outer.is_none() {
        core.deadline.set(Some(began + budget));
    }
    let result = core.ctx.with(f);
    drain_microtasks(core);
    core.deadline.set(outer);
    CURRENT.with(|c| c.borrow_mut().pop());
    if outer.is_none() {
        if let Some(scope) = &scope {
            scope.charge(began.elapsed());
        }
        judge_limits(core);
    }
    result
}

/// [`enter_as`] on behalf of a request (`None`: no request), so timers and
/// native operations started by this run belong to it (see
/// [`crate::host::scope`]).
pub(crate) fn enter_scoped<R>(
    core: &Rc<Core>,
    scope: Option<Rc<RequestScope>>,
    actor: Option<Weak<dyn Actor>>,
    f: impl FnOnce(Ctx<'_>) -> R,
) -> R {
    let outer = core.scope.replace(scope);
    let result = enter_as(core, actor, f);
    *core.scope.borrow_mut() = outer;
    result
}

/// The request the running code belongs to, to hand to [`enter_scoped`]
/// when something it started completes.
pub(crate) fn running_scope(core: &Core) -> Option<Rc<RequestScope>> {
    core.scope.borrow().clone()
}

/// [`enter`] on behalf of an actor (`None`: plain worker code), so natives
/// started by this run remember whose they are. The actor hears when the
/// run ends.
pub(crate) fn enter_as<R>(
    core: &Rc<Core>,
    actor: Option<Weak<dyn Actor>>,
    f: impl FnOnce(Ctx<'_>) -> R,
) -> R {
    let live = actor.as_ref().and_then(Weak::upgrade);
    let outer = core.running.replace(actor);
    let result = enter(core, f);
    *core.running.borrow_mut() = outer;
    if let Some(actor) = live {
        actor.run_ended(core);
    }
    result
}

/// The actor the running code belongs to, to hand to [`enter_as`] when a
/// native operation it started completes.
pub(crate) fn running_actor(core: &Core) -> Option<Weak<dyn Actor>> {
    core.running.borrow().clone()
}

/// Acts on limits the run that just ended broke, as the engine recorded
/// them: the interrupt handler's CPU trip and the allocator's refusal. CPU
/// spent by an actor resets that actor; by plain worker code, the isolate.
/// Running out of memory condemns the isolate.
fn judge_limits(core: &Rc<Core>) {
    if core.cpu_tripped.replace(false) {
        let culprit = core.running.borrow().as_ref().and_then(Weak::upgrade);
        match culprit {
            Some(actor) => actor.cpu_exceeded(core),
            None => {
                core.condemn(FatalKind::Cpu);
                // The request whose code ran too long answers with the limit;
                // work it left behind has nobody to answer, so it is logged.
                let answered = core.scope.borrow().as_ref().is_some_and(|s| s.fail());
                if !answered {
                    core.report("background work stopped", "");
                }
            }
        }
    }
    if core.budget.exceeded() {
        core.condemn(FatalKind::Memory);
    }
}

fn drain_microtasks(core: &Rc<Core>) {
    loop {
        match core.rt.execute_pending_job() {
            Ok(true) => continue,
            Ok(false) => break,
            Err(err) => {
                let message = err
                    .0
                    .with(|ctx| crate::host::errors::describe(&ctx, ctx.catch()));
                tracing::error!(target: "hearth::js", worker = %core.worker.name(), "uncaught error in a job: {message}");
            }
        }
    }
}

/// What a finished native operation hands back to JavaScript: a closure that
/// builds the resolved value (or a rejection message) once the isolate is entered.
pub(crate) type Settle = Box<dyn for<'js> FnOnce(&Ctx<'js>) -> rquickjs::Result<Value<'js>>>;

/// Wraps a value-building closure as a [`Settle`], fixing its lifetimes.
pub(crate) fn settle<F>(f: F) -> Settle
where
    F: for<'js> FnOnce(&Ctx<'js>) -> rquickjs::Result<Value<'js>> + 'static,
{
    Box::new(f)
}

/// Starts native asynchronous work and returns the promise it will settle.
///
/// `work` runs as a local task; its output is turned into a JavaScript value
/// inside the isolate. An `Err(message)` rejects the promise with a `TypeError`
/// carrying that message (the error class Workers uses for I/O failures).
pub(crate) fn spawn_op<'js, F>(ctx: &Ctx<'js>, work: F) -> rquickjs::Result<Promise<'js>>
where
    F: Future<Output = Result<Settle, String>> + 'static,
{
    let (promise, resolve, reject) = ctx.promise()?;
    let core = current();
    let pending = PendingPromise {
        resolve: Persistent::save(ctx, resolve),
        reject: Persistent::save(ctx, reject),
        actor: running_actor(&core),
        invocation: invocation(),
        scope: running_scope(&core),
        core,
    };
    tokio::task::spawn_local(async move {
        let outcome = work.await;
        pending.settle(outcome);
    });
    Ok(promise)
}

/// The two halves of a promise kept alive across an await, with the isolate
/// they belong to. Fields drop in order, so the persistents are released
/// while their runtime is still alive.
struct PendingPromise {
    resolve: Persistent<Function<'static>>,
    reject: Persistent<Function<'static>>,
    actor: Option<Weak<dyn Actor>>,
    /// The invocation the op was started by, which its continuation resumes.
    invocation: Option<Rc<Invocation>>,
    /// The request the op belongs to: once it has ended the op is dropped.
    scope: Option<Rc<RequestScope>>,
    core: Rc<Core>,
}

impl PendingPromise {
    fn settle(self, outcome: Result<Settle, String>) {
        let PendingPromise {
            resolve,
            reject,
            actor,
            invocation,
            scope,
            core,
        } = self;
        // An operation of a request that is over is dropped, as Cloudflare
        // cancels a finished request's I/O.
        if !core.is_alive() || scope.as_ref().is_some_and(|s| s.has_ended()) {
            core.ctx.with(|ctx| {
                drop(resolve.restore(&ctx));
                drop(reject.restore(&ctx));
            });
            return;
        }
        with_invocation(invocation, || {
            enter_scoped(&core, scope, actor, |ctx| {
                let resolve = resolve.restore(&ctx)?;
                let reject = reject.restore(&ctx)?;
                let value = match outcome {
                    Ok(make) => make(&ctx),
                    Err(message) => Err(rquickjs::Exception::throw_type(&ctx, &message)),
                };
                match value {
                    Ok(v) => resolve.call::<_, ()>((v,)),
                    Err(rquickjs::Error::Exception) => reject.call::<_, ()>((ctx.catch(),)),
                    Err(other) => {
                        let err =
                            rquickjs::Exception::from_message(ctx.clone(), &other.to_string())?;
                        reject.call::<_, ()>((err,))
                    }
                }
            })
        })
        .unwrap_or_else(|e| tracing::error!("settling a promise failed: {e}"));
    }
}

//! Service bindings: `env.B.fetch()` and JavaScript RPC to another worker's
//! entrypoints (`services = [{ binding, service, entrypoint }]`), and
//! `ctx.exports` loopback bindings to the worker's own.
//!
//! Every event-loop thread has an isolate of every worker the process
//! serves, so a call runs on the caller's thread, in the target worker's
//! isolate there, which the server hands over through [`set_resolver`]. RPC
//! is Durable Object RPC's machinery without an object: arguments and
//! results cross through the structured-clone serializer, an exception
//! crosses with its class and message (marked `remote`, as on Cloudflare).

pub mod stubs;

use crate::bindings::durable::natives::rethrow;
use crate::bindings::durable::{call_reply, DoFailure, DoReply};
use crate::host::body::{full, BodyError, RequestBody};
use crate::host::bytes::{bytes_of, new_u8};
use crate::host::errors::FatalKind;
use crate::host::event_loop::{current, enter_as, in_chain, next_in_chain, settle, spawn_op};
use crate::host::isolate::{caught, internal, on_settled, stream_body, Isolate};
use crate::web::fetch::flat_headers;
use crate::web::structured_clone::{self as clone, Purpose, Received};
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Body;
use rquickjs::{Array, Ctx, Exception, Function, Object, Promise, Value};
use std::cell::RefCell;
use std::rc::Rc;
use tokio::sync::oneshot;

/// Finds this thread's isolate of a worker by name.
pub type Resolver = Box<dyn Fn(&str) -> Result<Rc<Isolate>, String>>;

thread_local! {
    static RESOLVER: RefCell<Option<Resolver>> = const { RefCell::new(None) };
}

/// Installs how this thread finds the isolate of a worker by name (the
/// server's per-thread isolates).
pub fn set_resolver(resolver: Resolver) {
    RESOLVER.with(|r| *r.borrow_mut() = Some(resolver));
}

/// Refuses a call the running worker has no binding for: a binding object
/// built by hand (`new env.B.constructor("other")`) reaches nothing its
/// configuration does not. `ctx.exports` reaches the worker's own entrypoints.
fn bound(ctx: &Ctx<'_>, service: &str, entrypoint: Option<&str>) -> rquickjs::Result<()> {
    let core = current();
    let worker = core.worker.clone();
    let target = ["service", service, entrypoint.unwrap_or("")];
    let allowed = service == worker.name()
        || granted(&core, target)
        || worker
            .config()
            .services
            .iter()
            .any(|b| b.service == service && b.entrypoint.as_deref() == entrypoint);
    if allowed {
        return Ok(());
    }
    Err(Exception::throw_type(
        ctx,
        &format!("this worker has no service binding to {service:?}"),
    ))
}

/// Stubs this isolate received over RPC: a stub is a capability, so the
/// receiver may call what it names without a binding of its own.
#[derive(Default)]
struct Granted(std::collections::HashSet<[String; 3]>);

/// Whether a stub naming `target` (`[kind, a, b]`) was received over RPC.
pub(crate) fn granted(core: &crate::host::isolate::Core, target: [&str; 3]) -> bool {
    core.resources
        .borrow()
        .state_ref::<Granted>()
        .is_some_and(|g| g.0.contains(&target.map(str::to_owned)))
}

pub(crate) fn resolve(service: &str) -> Result<Rc<Isolate>, String> {
    RESOLVER.with(|r| match r.borrow().as_ref() {
        Some(resolve) => resolve(service),
        None => Err("service bindings need a running hearth server".into()),
    })
}

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("serviceFetch", Function::new(ctx.clone(), service_fetch)?)?;
    native.set(
        "rpcGrant",
        Function::new(ctx.clone(), |kind: String, a: String, b: String| {
            let core = current();
            let mut resources = core.resources.borrow_mut();
            resources.state::<Granted>().0.insert([kind, a, b]);
        })?,
    )?;
    native.set("serviceCall", Function::new(ctx.clone(), service_call)?)?;
    stubs::install(ctx, native)
}

/// `serviceFetch(service, entrypoint, url, method, headers, body)` (the body
/// a string, bytes or a `ReadableStream`): resolves to `[status, statusText,
/// headers, body]`, the body as bytes when it was complete, else the id of a
/// stream. It fails, as on Cloudflare, when the request's chain of worker
/// invocations is already [`crate::host::event_loop::MAX_CHAIN`] long.
fn service_fetch<'js>(
    ctx: Ctx<'js>,
    service: String,
    entrypoint: Option<String>,
    url: String,
    method: String,
    headers: Vec<String>,
    body: Value<'js>,
) -> rquickjs::Result<Promise<'js>> {
    bound(&ctx, &service, entrypoint.as_deref())?;
    let depth = next_in_chain(&ctx)?;
    // A stream crosses as one: the callee reads what the caller has written
    // so far while the caller goes on writing.
    let body = if let Some(s) = body.as_string() {
        Some(full(Bytes::from(s.to_string()?)))
    } else if let Some(bytes) = bytes_of(&body) {
        Some(full(Bytes::from(bytes)))
    } else if body.is_object() {
        Some(stream_body(&ctx, body).map_err(|m| Exception::throw_type(&ctx, &m))?)
    } else {
        None
    };
    let core = current();
    spawn_op(&ctx, async move {
        let target = resolve(&service)?;
        let response = in_chain(
            depth,
            target.run_fetch(url, method, headers, body, entrypoint.as_deref()),
        )
        .await;
        let status = response.status();
        let status_text = status.canonical_reason().unwrap_or("").to_string();
        let header_list = flat_headers(response.headers());
        let body = response.into_body();
        // A body the handler gave whole (a string, bytes) crosses as bytes;
        // a streamed one as a stream the caller reads as it comes.
        let body = if body.size_hint().exact().is_some() {
            let bytes = body
                .collect()
                .await
                .map_err(|e| format!("reading the response of {service} failed: {e}"))?
                .to_bytes();
            Ok(bytes)
        } else {
            let body: RequestBody = body.map_err(|e| e as BodyError).boxed_unsync();
            Err(core.resources.borrow_mut().add(body))
        };
        Ok(settle(move |ctx| {
            let out = Array::new(ctx.clone())?;
            out.set(0, status.as_u16())?;
            out.set(1, status_text)?;
            out.set(2, header_list)?;
            match body {
                Ok(bytes) => out.set(3, new_u8(ctx, bytes.to_vec())?)?,
                Err(id) => out.set(3, id)?,
            }
            Ok(out.into_value())
        }))
    })
}

/// `serviceCall(service, entrypoint, kind, name, args)`: calls method
/// `name` (`kind` "call") or reads property `name` (`kind` "get") of the
/// entrypoint; resolves to the result or rejects with the remote exception.
fn service_call<'js>(
    ctx: Ctx<'js>,
    service: String,
    entrypoint: Option<String>,
    kind: String,
    name: String,
    args: Value<'js>,
) -> rquickjs::Result<Promise<'js>> {
    bound(&ctx, &service, entrypoint.as_deref())?;
    let depth = next_in_chain(&ctx)?;
    let args = clone::serialize(&ctx, &args, Purpose::Rpc)?;
    spawn_op(&ctx, async move {
        let target = resolve(&service)?;
        let result = in_chain(
            depth,
            target.run_rpc(entrypoint.as_deref(), &kind, &name, args),
        )
        .await;
        Ok(settle(move |ctx| match result {
            Ok(DoReply::Call(bytes)) => clone::deserialize_rpc(ctx, &bytes, Received::Result),
            Ok(_) => Err(Exception::throw_internal(
                ctx,
                "unexpected reply to an RPC call",
            )),
            Err(failure) => Err(rethrow(ctx, failure)),
        }))
    })
}

/// Service bindings' entry point: RPC into one of the worker's entrypoints.
impl Isolate {
    /// Calls method `name` (`kind` "call") or reads property `name` (`kind`
    /// "get") of `entrypoint` (`None`: the default export) with the
    /// structured-serialized `args`.
    pub(crate) async fn run_rpc(
        &self,
        entrypoint: Option<&str>,
        kind: &str,
        name: &str,
        args: Vec<u8>,
    ) -> Result<DoReply, DoFailure> {
        invoke(self.core(), None, |ctx| {
            let run: Function = internal(ctx)?.get("runRpc")?;
            let args = clone::deserialize_rpc(ctx, &args, Received::Args)?;
            run.call((entrypoint, kind, name, args))
        })
        .await
    }
}

/// Enters `core` (on behalf of `actor`, if any), starts a call with `start`,
/// which resolves to `[ok, value]`, and answers with the serialized outcome.
pub(crate) async fn invoke(
    core: &Rc<crate::host::isolate::Core>,
    actor: Option<std::rc::Weak<dyn crate::host::actor::Actor>>,
    start: impl for<'js> FnOnce(&Ctx<'js>) -> rquickjs::Result<Promise<'js>>,
) -> Result<DoReply, DoFailure> {
    let (tx, rx) = oneshot::channel();
    let tx = Rc::new(RefCell::new(Some(tx)));
    enter_as(core, actor, |ctx| {
        let promise = match start(&ctx) {
            Ok(p) => p,
            Err(e) => {
                let message = caught(&ctx, e);
                if let Some(tx) = tx.borrow_mut().take() {
                    let _ = tx.send(Err(DoFailure::Failed(message)));
                }
                return;
            }
        };
        let (ok_tx, err_tx) = (tx.clone(), tx.clone());
        let callee = core.clone();
        let attached = on_settled(
            &ctx,
            &promise,
            move |ctx, value| {
                if let Some(tx) = ok_tx.borrow_mut().take() {
                    // Code may catch the memory limit's refusal; the limit
                    // still ends the call (and condemns the isolate).
                    let reply = if callee.budget.exceeded() {
                        let limit = FatalKind::Memory
                            .explain(callee.cpu_limit, callee.worker.memory_limit());
                        Err(DoFailure::Failed(limit))
                    } else {
                        call_reply(ctx, value)
                    };
                    let _ = tx.send(reply);
                }
            },
            move |ctx, error| {
                if let Some(tx) = err_tx.borrow_mut().take() {
                    let message = crate::host::errors::describe(ctx, error);
                    let _ = tx.send(Err(DoFailure::Failed(message)));
                }
            },
        );
        if let Err(e) = attached {
            tracing::error!("cannot await an RPC call: {e}");
        }
    });
    rx.await
        .unwrap_or_else(|_| Err(DoFailure::Failed("the RPC call never finished".into())))
}

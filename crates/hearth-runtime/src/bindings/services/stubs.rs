//! Functions and `RpcTarget`s passed by reference over RPC (service bindings,
//! Durable Object stubs, `ctx.exports`).
//!
//! The structured-clone serializer asks the prelude's `rpcEncode`
//! (`rpc.js`) how to write a function or an `RpcTarget`: it is kept in the
//! exporting isolate's table and written as `[shard, worker, token, id]` —
//! the event-loop thread, the worker whose isolate on that thread holds it,
//! the isolate's token (a reloaded worker's new isolate has another), and
//! the entry. A call on the stub the other side made goes back to that
//! isolate: directly when it lives on the caller's thread, else through the
//! thread's mailbox (the Durable Object router's), as a [`StubEvent`].

use crate::bindings::durable::natives::rethrow;
use crate::bindings::durable::{
    this_shard, DoEvent, DoFailure, DoReply, DoResult, Envelope, Router,
};
use crate::host::actor::Actor;
use crate::host::event_loop::{
    current, enter, in_chain, next_in_chain, running_actor, settle, spawn_op,
};
use crate::host::isolate::{internal, Core};
use crate::web::structured_clone::{self as clone, Purpose, Received};
use rquickjs::{Array, Ctx, Exception, Function, Object, Promise, Value};
use std::collections::HashMap;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::oneshot;

/// What workerd says when a disposed stub is used.
const DISPOSED: &str = "Attempted to use RPC stub after it has been disposed.";

/// One call to (or pin on) an export, sendable between threads.
#[derive(Debug)]
pub struct StubEvent {
    token: u64,
    export: u64,
    op: StubOp,
}

#[derive(Debug)]
enum StubOp {
    /// Calls the function (`name` none) or method `name` (`kind` "call"), or
    /// reads property `name` (`kind` "get"), with serialized arguments.
    Call {
        kind: String,
        name: Option<String>,
        args: Vec<u8>,
    },
    /// Adds to (`dup()`) or takes from (disposal) the export's holders.
    Pin(i32),
}

/// An isolate's exports: its token, and the actor (a Durable Object) each
/// export was made by, whose calls then run as that object's.
#[derive(Default)]
struct Exports {
    token: u64,
    next: u64,
    actors: HashMap<u64, Weak<dyn Actor>>,
}

/// Tokens tell one isolate from the next one of the same worker and thread.
static TOKENS: AtomicU64 = AtomicU64::new(1);

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("rpcExport", Function::new(ctx.clone(), rpc_export)?)?;
    native.set("stubCall", Function::new(ctx.clone(), stub_call)?)?;
    native.set("stubPin", Function::new(ctx.clone(), stub_pin)?)?;
    Ok(())
}

/// `rpcExport()`: a new export id of this isolate, as `[shard, worker,
/// token, id]` (the caller keeps the value under `id`).
fn rpc_export(ctx: Ctx<'_>) -> rquickjs::Result<Vec<Value<'_>>> {
    let core = current();
    let actor = running_actor(&core);
    let (token, id) = {
        let mut resources = core.resources.borrow_mut();
        let exports = resources.state::<Exports>();
        if exports.token == 0 {
            exports.token = TOKENS.fetch_add(1, Ordering::Relaxed);
        }
        exports.next += 1;
        let id = exports.next;
        if let Some(actor) = actor {
            exports.actors.insert(id, actor);
        }
        (exports.token, id)
    };
    let worker: String = internal(&ctx)?.get("workerName")?;
    Ok(vec![
        Value::new_int(ctx.clone(), this_shard() as i32),
        rquickjs::String::from_str(ctx.clone(), &worker)?.into_value(),
        Value::new_float(ctx.clone(), token as f64),
        Value::new_float(ctx.clone(), id as f64),
    ])
}

/// Where an export lives, as `rpcExport` gave it: `[shard, worker, token, id]`.
struct Home {
    shard: usize,
    worker: String,
    token: u64,
    id: u64,
}

impl Home {
    fn of(ctx: &Ctx<'_>, home: Array<'_>) -> rquickjs::Result<Home> {
        let read = || -> rquickjs::Result<Home> {
            Ok(Home {
                shard: home.get::<u32>(0)? as usize,
                worker: home.get(1)?,
                token: home.get::<f64>(2)? as u64,
                id: home.get::<f64>(3)? as u64,
            })
        };
        read().map_err(|_| {
            Exception::throw_internal(ctx, "a stub's home is [shard, worker, token, id]")
        })
    }
}

/// `stubCall(home, kind, name, args)`: resolves to the call's result, or
/// rejects with the exception it threw.
fn stub_call<'js>(
    ctx: Ctx<'js>,
    home: Array<'js>,
    kind: String,
    name: Option<String>,
    args: Value<'js>,
) -> rquickjs::Result<Promise<'js>> {
    let home = Home::of(&ctx, home)?;
    let depth = next_in_chain(&ctx)?;
    let args = clone::serialize(&ctx, &args, Purpose::Rpc)?;
    let event = StubEvent {
        token: home.token,
        export: home.id,
        op: StubOp::Call { kind, name, args },
    };
    spawn_op(&ctx, async move {
        let result = in_chain(depth, send(home.shard, home.worker, event)).await;
        Ok(settle(move |ctx| match result {
            Ok(DoReply::Call(bytes)) => clone::deserialize_rpc(ctx, &bytes, Received::Result),
            Ok(_) => Err(Exception::throw_internal(
                ctx,
                "unexpected reply to a stub call",
            )),
            Err(failure) => Err(rethrow(ctx, failure)),
        }))
    })
}

/// `stubPin(home, delta)`: one holder more (`dup()`) or less (disposal);
/// the export is dropped when none is left.
fn stub_pin<'js>(ctx: Ctx<'js>, home: Array<'js>, delta: i32) -> rquickjs::Result<()> {
    let home = Home::of(&ctx, home)?;
    let event = StubEvent {
        token: home.token,
        export: home.id,
        op: StubOp::Pin(delta),
    };
    tokio::task::spawn_local(async move {
        if let Err(DoFailure::Failed(message)) = send(home.shard, home.worker, event).await {
            tracing::debug!("releasing an RPC stub: {message}");
        }
    });
    Ok(())
}

/// Runs `event` on the isolate of `worker` on thread `shard`.
async fn send(shard: usize, worker: String, event: StubEvent) -> DoResult {
    if shard == this_shard() {
        let isolate = super::resolve(&worker)?;
        return run(isolate.core().clone(), event).await;
    }
    let router = Router::get().ok_or("RPC stubs need a running hearth server")?;
    let (reply, answer) = oneshot::channel();
    router.send_to(
        shard,
        Envelope {
            worker,
            class: String::new(),
            id: String::new(),
            name: None,
            event: DoEvent::Stub(event),
            reply,
        },
    );
    answer
        .await
        .unwrap_or_else(|_| Err("the stub's isolate went away before replying".into()))
}

/// A stub event from another thread's mailbox, for an export of `core`.
pub(crate) fn deliver(core: &Rc<Core>, envelope: Envelope) {
    let DoEvent::Stub(event) = envelope.event else {
        return;
    };
    let core = core.clone();
    tokio::task::spawn_local(async move {
        let _ = envelope.reply.send(run(core, event).await);
    });
}

/// Runs a stub event on the exporting isolate `core`.
async fn run(core: Rc<Core>, event: StubEvent) -> DoResult {
    let StubEvent { token, export, op } = event;
    let actor = {
        let resources = core.resources.borrow();
        match resources.state_ref::<Exports>() {
            Some(exports) if exports.token == token => exports.actors.get(&export).cloned(),
            _ => return Err(DoFailure::Failed(DISPOSED.into())),
        }
    };
    match op {
        StubOp::Pin(delta) => {
            let gone = enter(&core, |ctx| -> rquickjs::Result<bool> {
                let pin: Function = internal(&ctx)?.get("rpcPin")?;
                pin.call((export as f64, delta))
            });
            if gone.unwrap_or(true) {
                core.resources
                    .borrow_mut()
                    .state::<Exports>()
                    .actors
                    .remove(&export);
            }
            Ok(DoReply::Done)
        }
        StubOp::Call { kind, name, args } => {
            super::invoke(&core, actor, |ctx| {
                let invoke: Function = internal(ctx)?.get("rpcInvoke")?;
                let args = clone::deserialize_rpc(ctx, &args, Received::Args)?;
                invoke.call((export as f64, kind.as_str(), name.as_deref(), args))
            })
            .await
        }
    }
}

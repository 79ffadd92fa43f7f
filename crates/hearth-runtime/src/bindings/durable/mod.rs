//! Durable Objects on hearth's event loops.
//!
//! Every object lives on exactly one event-loop thread, chosen from its id
//! ([`hearth_durable::ObjectId::shard`]); stubs anywhere in the process send
//! [`Envelope`]s to that thread's mailbox through the [`Router`]. On the owner
//! thread each object has a queue: events start in arrival order through the
//! input gate, which stays closed while an event runs and while it awaits
//! storage (answered within the run) or is inside `transaction()`; an event
//! waiting on anything else (a fetch, a timer, another object) opens it, so
//! events interleave there, as on Cloudflare. The writes made between two
//! such awaits commit together. A reply leaves only once the `fsync`
//! covering the writes before it is done (the output gate); one `fsync`
//! covers every commit made while the previous one ran, so throughput does
//! not pay one `fsync` per event.

pub(crate) mod gate;
pub(crate) mod hibernation;
mod limits;
pub(crate) mod natives;

use limits::retire_all;

use crate::host::actor::{Actor, Resident};
use crate::host::errors::{describe, FatalKind};
use crate::host::event_loop::{enter, enter_as};
use crate::host::isolate::{on_settled, Core, Isolate};
use crate::host::output_gate::OutputGate;
use crate::host::upgrade::UpgradeLink;
use crate::web::structured_clone::{self as clone, Purpose};
use crate::web::websocket::{socket, Payload};
use bytes::Bytes;
use hearth_durable::{AlarmIndex, ObjectStorage};
use rquickjs::{Ctx, Function, IntoJs, Value};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, Notify};

/// Objects idle this long are evicted from memory (storage stays on disk).
/// `HEARTH_DO_IDLE_MS` overrides it (tests use a short value).
pub fn idle_eviction() -> Duration {
    static IDLE: OnceLock<Duration> = OnceLock::new();
    *IDLE.get_or_init(|| {
        std::env::var("HEARTH_DO_IDLE_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(Duration::from_millis)
            .unwrap_or(Duration::from_secs(30))
    })
}

/// Alarm retries after a failing `alarm()` handler, with doubling delays from 2 s.
const ALARM_MAX_RETRIES: u32 = 6;

/// What an event asks of an object.
#[derive(Debug)]
pub enum DoEvent {
    /// `stub.fetch(request)`, with the body already buffered.
    Fetch {
        /// Request method.
        method: String,
        /// Absolute URL.
        url: String,
        /// Flat `[name, value, ...]` list.
        headers: Vec<String>,
        /// Body bytes, if any.
        body: Option<Bytes>,
        /// The request's `cf` object as JSON, passed through as on Cloudflare.
        cf: Option<String>,
    },
    /// `stub.method(...args)` (JavaScript RPC).
    Call {
        /// Method name.
        method: String,
        /// The argument array, structured-serialized.
        args: Vec<u8>,
    },
    /// A call to, or a pin on, a function or `RpcTarget` an isolate of this
    /// thread exported (`bindings/services/stubs.rs`); not an object's event.
    Stub(crate::bindings::services::stubs::StubEvent),
    /// The object's alarm is due.
    Alarm,
    /// A message on a hibernatable WebSocket.
    WsMessage {
        /// The socket's resource id on the owner thread.
        socket: u32,
        /// Text or binary payload.
        data: Payload,
    },
    /// A hibernatable WebSocket closed.
    WsClose {
        /// The socket's resource id on the owner thread.
        socket: u32,
        /// Close code.
        code: u16,
        /// Close reason.
        reason: String,
    },
}

/// The reply to a fetch event.
#[derive(Debug)]
pub struct FetchReply {
    /// HTTP status.
    pub status: u16,
    /// Status text.
    pub status_text: String,
    /// Flat `[name, value, ...]` list.
    pub headers: Vec<String>,
    /// The buffered body.
    pub body: Bytes,
    /// For a 101 with a WebSocket: where to send the client's upgraded connection.
    pub websocket: Option<UpgradeLink>,
}

/// An object's answer to an event.
#[derive(Debug)]
pub enum DoReply {
    /// Answer to [`DoEvent::Fetch`].
    Fetch(FetchReply),
    /// Answer to [`DoEvent::Call`]: the result, structured-serialized.
    Call(Vec<u8>),
    /// Events without a value.
    Done,
}

/// Why an event has no [`DoReply`].
#[derive(Debug, Clone)]
pub enum DoFailure {
    /// The object's code threw: the exception, structured-serialized. The
    /// caller rethrows a copy marked `remote = true`, as Cloudflare does.
    Threw(Vec<u8>),
    /// A broken limit reset the object; the caller's error has
    /// `durableObjectReset = true`.
    Reset(String),
    /// The runtime could not deliver or finish the event.
    Failed(String),
}

impl From<String> for DoFailure {
    fn from(message: String) -> Self {
        DoFailure::Failed(message)
    }
}

impl From<&str> for DoFailure {
    fn from(message: &str) -> Self {
        DoFailure::Failed(message.to_string())
    }
}

/// What an event's sender receives.
pub type DoResult = Result<DoReply, DoFailure>;

/// One event addressed to one object, sendable between threads.
#[derive(Debug)]
pub struct Envelope {
    /// The name of the worker hosting the class (a binding's `script_name`,
    /// else the sender's own worker).
    pub worker: String,
    /// The object's class (its binding's `class_name`).
    pub class: String,
    /// The object's id, 64 hex digits.
    pub id: String,
    /// The name the id came from, when known (`id.name`).
    pub name: Option<String>,
    /// The event.
    pub event: DoEvent,
    /// Where the reply goes.
    pub reply: oneshot::Sender<DoResult>,
}

/// The mailboxes of every event-loop thread in the process.
pub struct Router {
    shards: Vec<mpsc::UnboundedSender<Envelope>>,
    alarm_wakers: Vec<Arc<Notify>>,
}

static ROUTER: OnceLock<RwLock<Option<Arc<Router>>>> = OnceLock::new();

/// A thread's end of the router: its mailbox and its alarm wake-up.
pub struct Shard {
    /// This thread's index.
    pub index: usize,
    /// Events for objects this thread owns.
    pub mailbox: mpsc::UnboundedReceiver<Envelope>,
    /// Notified when an alarm of one of this thread's objects changes.
    pub alarms_changed: Arc<Notify>,
}

impl Router {
    /// Creates the process's router with `threads` mailboxes, replacing any
    /// previous one, and returns each thread's end.
    pub fn install(threads: usize) -> Vec<Shard> {
        let mut shards = Vec::new();
        let mut ends = Vec::new();
        let mut wakers = Vec::new();
        for index in 0..threads.max(1) {
            let (tx, rx) = mpsc::unbounded_channel();
            let notify = Arc::new(Notify::new());
            shards.push(tx);
            wakers.push(notify.clone());
            ends.push(Shard {
                index,
                mailbox: rx,
                alarms_changed: notify,
            });
        }
        let router = Arc::new(Router {
            shards,
            alarm_wakers: wakers,
        });
        *ROUTER
            .get_or_init(|| RwLock::new(None))
            .write()
            .expect("router poisoned") = Some(router);
        ends
    }

    /// The installed router, if a server is running.
    pub fn get() -> Option<Arc<Router>> {
        ROUTER
            .get()
            .and_then(|r| r.read().expect("router poisoned").clone())
    }

    /// Number of event-loop threads.
    pub fn shards(&self) -> usize {
        self.shards.len()
    }

    /// Sends an envelope to the thread owning its object.
    pub fn send(&self, envelope: Envelope) {
        let shard = shard_of(&envelope.id, self.shards.len());
        if let Err(mpsc::error::SendError(envelope)) = self.shards[shard].send(envelope) {
            let _ = envelope
                .reply
                .send(Err("the Durable Object's event loop has stopped".into()));
        }
    }

    /// Sends an envelope to thread `shard` (a stub call to an export there).
    pub fn send_to(&self, shard: usize, envelope: Envelope) {
        let Some(mailbox) = self.shards.get(shard) else {
            let _ = envelope.reply.send(Err("no such event-loop thread".into()));
            return;
        };
        if let Err(mpsc::error::SendError(envelope)) = mailbox.send(envelope) {
            let _ = envelope
                .reply
                .send(Err("the exporting event loop has stopped".into()));
        }
    }

    fn alarms_changed(&self, id: &str) {
        self.alarm_wakers[shard_of(id, self.alarm_wakers.len())].notify_one();
    }
}

thread_local! {
    static THIS_SHARD: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Records which event-loop thread this is (its [`Shard::index`]).
pub fn set_this_shard(index: usize) {
    THIS_SHARD.with(|s| s.set(index));
}

/// This event-loop thread's index.
pub(crate) fn this_shard() -> usize {
    THIS_SHARD.with(|s| s.get())
}

/// The thread index owning object `id` among `shards` threads.
pub fn shard_of(id: &str, shards: usize) -> usize {
    hearth_durable::ObjectId::parse(id)
        .map(|i| i.shard(shards))
        .unwrap_or(0)
}

/// One live object on this thread: its storage, queue and gates.
pub(crate) struct ObjectSlot {
    pub(crate) class: String,
    pub(crate) id: String,
    pub(crate) name: RefCell<Option<String>>,
    pub(crate) storage: RefCell<ObjectStorage>,
    queue: RefCell<VecDeque<Envelope>>,
    /// The event holding the input gate closed; `None` when it is open.
    gate_holder: RefCell<Option<limits::ReplySlot>>,
    last_used: Cell<Instant>,
    flushing: Cell<bool>,
    /// Replies and WebSocket messages waiting for the writes they follow.
    gate: OutputGate,
    alarm_retries: Cell<u32>,
    /// The events started and not finished, for a reset to answer (see
    /// `limits`).
    running: RefCell<Vec<limits::Running>>,
    /// A reset is replacing the instance; events wait until it is done.
    resetting: Cell<bool>,
    /// Its isolate was condemned: queued events go to the replacement.
    retired: Cell<bool>,
}

/// The objects living in one isolate (its resources' state).
#[derive(Default)]
pub(crate) struct Objects {
    slots: HashMap<(String, String), Rc<ObjectSlot>>,
    /// `setWebSocketAutoResponse()` pairs, per object.
    pub(crate) auto_responses: HashMap<(String, String), (String, String)>,
    /// Whether the isolate knows to retire them when it is condemned.
    resident: bool,
}

/// The objects of an isolate, as something that goes down with it.
struct ObjectsResident;

impl Resident for ObjectsResident {
    fn condemned(&self, core: &Core, kind: FatalKind) {
        retire_all(core, kind);
    }
}

/// Takes every object out of the isolate's registry.
pub(crate) fn take_all(core: &Core) -> Vec<Rc<ObjectSlot>> {
    let mut resources = core.resources.borrow_mut();
    resources
        .state::<Objects>()
        .slots
        .drain()
        .map(|(_, slot)| slot)
        .collect()
}

/// The object `class`/`id`, opening its storage on first use.
pub(crate) fn object(
    core: &Core,
    class: &str,
    id: &str,
    name: Option<&str>,
) -> Result<Rc<ObjectSlot>, String> {
    if let Some(slot) = live_object(core, class, id) {
        if slot.name.borrow().is_none() && name.is_some() {
            *slot.name.borrow_mut() = name.map(str::to_string);
        }
        return Ok(slot);
    }
    if !core.worker.durable_classes().iter().any(|c| c == class) {
        return Err(format!("no Durable Object binding uses class \"{class}\""));
    }
    hearth_durable::ObjectId::parse(id).map_err(|e| e.to_string())?;
    let path = core
        .worker
        .state_dir()
        .join("do")
        .join(class)
        .join(format!("{id}.sqlite3"));
    let storage = ObjectStorage::open(&path).map_err(|e| e.to_string())?;
    let slot = Rc::new(ObjectSlot {
        class: class.to_string(),
        id: id.to_string(),
        name: RefCell::new(name.map(str::to_string)),
        storage: RefCell::new(storage),
        queue: RefCell::default(),
        gate_holder: RefCell::default(),
        last_used: Cell::new(Instant::now()),
        flushing: Cell::new(false),
        gate: OutputGate::default(),
        alarm_retries: Cell::new(0),
        running: RefCell::default(),
        resetting: Cell::new(false),
        retired: Cell::new(false),
    });
    let first = {
        let mut resources = core.resources.borrow_mut();
        let objects = resources.state::<Objects>();
        objects
            .slots
            .insert((class.to_string(), id.to_string()), slot.clone());
        !std::mem::replace(&mut objects.resident, true)
    };
    if first {
        core.add_resident(Rc::new(ObjectsResident));
    }
    Ok(slot)
}

/// An object that is already live, for natives called from its code.
pub(crate) fn live_object(core: &Core, class: &str, id: &str) -> Option<Rc<ObjectSlot>> {
    core.resources
        .borrow()
        .state_ref::<Objects>()?
        .slots
        .get(&(class.to_string(), id.to_string()))
        .cloned()
}

impl ObjectSlot {
    /// The object as the actor the event loop runs code for.
    fn as_actor(self: &Rc<Self>) -> std::rc::Weak<dyn Actor> {
        let actor: Rc<dyn Actor> = self.clone();
        Rc::downgrade(&actor)
    }

    /// Whether an event holds the input gate closed.
    fn gate_closed(&self) -> bool {
        self.gate_holder.borrow().is_some()
    }

    /// Forgets a finished event, opening the input gate if it held it.
    fn forget(&self, event: &limits::ReplySlot) {
        self.running
            .borrow_mut()
            .retain(|r| !Rc::ptr_eq(&r.reply, event));
        let mut holder = self.gate_holder.borrow_mut();
        if holder.as_ref().is_some_and(|h| Rc::ptr_eq(h, event)) {
            *holder = None;
        }
    }
}

/// How an object plugs into the event loop: its runs end by committing what
/// it wrote outside events, a CPU overrun resets it, and its WebSocket
/// messages pass its output gate.
impl Actor for ObjectSlot {
    fn run_ended(self: Rc<Self>, core: &Rc<Core>) {
        // An event still pending after its run awaits something other than
        // storage: the next one may start, unless a transaction is open.
        let waiting = self.gate_closed() && !self.storage.borrow().in_savepoint();
        if waiting {
            *self.gate_holder.borrow_mut() = None;
            let (core, slot) = (core.clone(), self.clone());
            tokio::task::spawn_local(async move { pump(&core, &slot) });
        }
        gate::commit_stray_writes(&self);
    }

    fn cpu_exceeded(self: Rc<Self>, core: &Rc<Core>) {
        limits::cpu_exceeded(core, &self);
    }

    fn stopped_by_limit(self: Rc<Self>, core: &Rc<Core>, message: &str) -> bool {
        limits::stopped_by_limit(core, &self, || message.to_string())
    }

    fn output_barrier(&self) -> Option<u64> {
        gate::must_wait(self)
    }

    fn hold_output(self: Rc<Self>, seq: u64, send: Box<dyn FnOnce()>) {
        gate::hold(&self, seq, send);
    }
}

/// Durable Objects' entry points, called by the server on the owner thread.
impl Isolate {
    /// Runs a Durable Object event on this isolate (this thread owns the object).
    pub fn deliver_durable(&self, envelope: Envelope) {
        if let DoEvent::Stub(_) = envelope.event {
            crate::bindings::services::stubs::deliver(self.core(), envelope);
            return;
        }
        deliver(self.core(), envelope);
    }

    /// Evicts Durable Objects that have been idle for a while.
    pub fn evict_idle_objects(&self) {
        evict_idle(self.core());
    }
}

/// Queues an event for its object and runs it when the object is free.
pub(crate) fn deliver(core: &Rc<Core>, envelope: Envelope) {
    if core.is_condemned() {
        // Only events raised inside this isolate (its WebSockets) get here.
        let _ = envelope
            .reply
            .send(Err("the Durable Object's isolate was reset".into()));
        return;
    }
    let slot = match object(
        core,
        &envelope.class,
        &envelope.id,
        envelope.name.as_deref(),
    ) {
        Ok(slot) => slot,
        Err(message) => {
            let _ = envelope.reply.send(Err(message.into()));
            return;
        }
    };
    slot.queue.borrow_mut().push_back(envelope);
    pump(core, &slot);
}

fn pump(core: &Rc<Core>, slot: &Rc<ObjectSlot>) {
    if slot.retired.get() {
        limits::forward_queue(slot);
        return;
    }
    if slot.gate_closed() || slot.resetting.get() {
        return;
    }
    let Some(envelope) = slot.queue.borrow_mut().pop_front() else {
        return;
    };
    slot.last_used.set(Instant::now());
    let Envelope { event, reply, .. } = envelope;
    let is_alarm = matches!(event, DoEvent::Alarm);
    let reply: limits::ReplySlot = Rc::new(RefCell::new(Some(reply)));
    *slot.gate_holder.borrow_mut() = Some(reply.clone());
    slot.running.borrow_mut().push(limits::Running {
        reply: reply.clone(),
        is_alarm,
    });
    if is_alarm && !alarm_is_due(core, slot) {
        finish(core, slot, &reply, Ok(DoReply::Done));
        return;
    }
    let started = enter_as(core, Some(slot.as_actor()), |ctx| {
        let dispatch = || -> rquickjs::Result<rquickjs::Promise> {
            let f: Function = crate::host::isolate::internal(&ctx)?.get("doDispatch")?;
            let name = slot.name.borrow().clone();
            let (class, id) = (slot.class.as_str(), slot.id.as_str());
            let (kind, args): (&str, Vec<Value>) = match &event {
                DoEvent::Fetch {
                    method,
                    url,
                    headers,
                    body,
                    cf,
                } => {
                    let body = match body {
                        Some(b) => crate::host::bytes::new_u8(&ctx, b.to_vec())?,
                        None => Value::new_null(ctx.clone()),
                    };
                    let args = vec![
                        url.as_str().into_js(&ctx)?,
                        method.as_str().into_js(&ctx)?,
                        headers.clone().into_js(&ctx)?,
                        body,
                        cf.as_deref().into_js(&ctx)?,
                    ];
                    ("fetch", args)
                }
                DoEvent::Call { method, args } => (
                    "call",
                    vec![
                        method.as_str().into_js(&ctx)?,
                        clone::deserialize_rpc(&ctx, args, clone::Received::Args)?,
                    ],
                ),
                DoEvent::Stub(_) => {
                    return Err(rquickjs::Exception::throw_internal(
                        &ctx,
                        "a stub event was queued for an object",
                    ))
                }
                DoEvent::Alarm => ("alarm", vec![slot.alarm_retries.get().into_js(&ctx)?]),
                DoEvent::WsMessage { socket, data } => {
                    ("wsmessage", vec![socket.into_js(&ctx)?, data.to_js(&ctx)?])
                }
                DoEvent::WsClose {
                    socket,
                    code,
                    reason,
                } => (
                    "wsclose",
                    vec![
                        socket.into_js(&ctx)?,
                        code.into_js(&ctx)?,
                        reason.as_str().into_js(&ctx)?,
                    ],
                ),
            };
            f.call((class, id, name, kind, args))
        };
        let promise = match dispatch() {
            Ok(p) => p,
            Err(e) => return Err(crate::host::isolate::caught(&ctx, e)),
        };
        let (ok_core, ok_slot, ok_reply) = (core.clone(), slot.clone(), reply.clone());
        let (err_core, err_slot, err_reply) = (core.clone(), slot.clone(), reply.clone());
        let hung = Rc::new(Unsettled {
            core: Rc::downgrade(core),
            slot: Rc::downgrade(slot),
            event: reply.clone(),
            is_alarm,
        });
        let hung_too = hung.clone();
        let kind_is_fetch = matches!(event, DoEvent::Fetch { .. });
        let kind_is_call = matches!(event, DoEvent::Call { .. });
        on_settled(
            &ctx,
            &promise,
            move |ctx, value| {
                let _settled = hung;
                // A call resolves with what its code caught, even the
                // allocation the memory limit refused.
                if limits::stopped_by_limit(&ok_core, &ok_slot, || describe(ctx, value.clone())) {
                    return;
                }
                if ok_reply.borrow().is_some() {
                    if is_alarm {
                        // Succeeded: the next alarm starts again at retryCount 0.
                        ok_slot.alarm_retries.set(0);
                    }
                    let result = if kind_is_fetch {
                        fetch_reply(ctx, &ok_core, &ok_slot, value).map_err(DoFailure::from)
                    } else if kind_is_call {
                        call_reply(ctx, value)
                    } else {
                        Ok(DoReply::Done)
                    };
                    finish(&ok_core, &ok_slot, &ok_reply, result);
                }
            },
            move |ctx, error| {
                let _settled = hung_too;
                let message = describe(ctx, error.clone());
                if limits::stopped_by_limit(&err_core, &err_slot, || message.clone()) {
                    return;
                }
                if err_reply.borrow().is_some() {
                    let failure = thrown(ctx, error);
                    failed(
                        &err_core, &err_slot, &err_reply, failure, is_alarm, &message,
                    );
                }
            },
        )
        .map_err(|e| e.to_string())
    });
    if let Err(message) = started {
        if limits::stopped_by_limit(core, slot, || message.clone()) {
            return;
        }
        if reply.borrow().is_some() {
            if is_alarm {
                schedule_retry(core, slot);
            }
            finish(core, slot, &reply, Err(message.into()));
        }
    }
}

/// Ends an event its code failed: an alarm is retried, the exception logged.
fn failed(
    core: &Rc<Core>,
    slot: &Rc<ObjectSlot>,
    event: &limits::ReplySlot,
    failure: DoFailure,
    is_alarm: bool,
    message: &str,
) {
    if is_alarm {
        schedule_retry(core, slot);
    }
    core.report(
        &format!("uncaught exception in Durable Object {}", slot.class),
        message,
    );
    finish(core, slot, event, Err(failure));
}

/// What the caller of an event whose promise can never settle gets, in
/// Cloudflare's words.
const NEVER_SETTLES: &str = "The script will never generate a response.";

/// Kept by an event's promise callbacks: when the engine collects them
/// unsettled, nothing can finish the event any more, so it fails instead
/// of leaving its caller waiting.
struct Unsettled {
    core: std::rc::Weak<Core>,
    slot: std::rc::Weak<ObjectSlot>,
    event: limits::ReplySlot,
    is_alarm: bool,
}

impl Drop for Unsettled {
    fn drop(&mut self) {
        if self.event.borrow().is_none() {
            return;
        }
        match (self.core.upgrade(), self.slot.upgrade()) {
            (Some(core), Some(slot)) => {
                let (event, is_alarm) = (self.event.clone(), self.is_alarm);
                // Collected in the middle of a run: the event ends after it.
                tokio::task::spawn_local(async move {
                    if event.borrow().is_some() {
                        let failure = DoFailure::Failed(NEVER_SETTLES.into());
                        failed(&core, &slot, &event, failure, is_alarm, NEVER_SETTLES);
                    }
                });
            }
            // The isolate is going away.
            _ => {
                if let Some(reply) = self.event.borrow_mut().take() {
                    let _ = reply.send(Err(DoFailure::Failed(NEVER_SETTLES.into())));
                }
            }
        }
    }
}

/// An exception thrown by an object's code, serialized for its caller (an
/// exception that cannot be serialized becomes its description).
pub(crate) fn thrown<'js>(ctx: &Ctx<'js>, error: Value<'js>) -> DoFailure {
    match clone::serialize(ctx, &error, Purpose::Store) {
        Ok(bytes) => DoFailure::Threw(bytes),
        Err(_) => {
            let _ = ctx.catch();
            DoFailure::Failed(describe(ctx, error))
        }
    }
}

/// An RPC call's outcome from `[ok, value, lent]` (see `rpcCall` in
/// bindings/services/rpc.js): the serialized result, or the serialized
/// exception, which is also what a result that cannot be serialized (a
/// function, a class instance) gives. The stubs lent to the call are
/// returned once the outcome holds its own references.
pub(crate) fn call_reply<'js>(ctx: &Ctx<'js>, outcome: Value<'js>) -> DoResult {
    let parts = outcome.as_array().and_then(|a| {
        Some((
            a.get::<bool>(0).ok()?,
            a.get::<Value>(1).ok()?,
            a.get::<Value>(2).ok()?,
        ))
    });
    let Some((ok, value, lent)) = parts else {
        return Err("an RPC call ended without an outcome".into());
    };
    let reply = if ok {
        match clone::serialize(ctx, &value, Purpose::Rpc) {
            Ok(bytes) => Ok(DoReply::Call(bytes)),
            Err(_) => Err(thrown(ctx, ctx.catch())),
        }
    } else {
        Err(thrown(ctx, value))
    };
    let returned = crate::host::isolate::internal(ctx)
        .and_then(|i| i.get::<_, Function>("rpcReturnLent"))
        .and_then(|f| f.call::<_, ()>((lent,)));
    if returned.is_err() {
        tracing::error!("returning the stubs lent to an RPC call failed");
        let _ = ctx.catch();
    }
    reply
}

fn fetch_reply<'js>(
    ctx: &Ctx<'js>,
    core: &Rc<Core>,
    slot: &ObjectSlot,
    value: Value<'js>,
) -> Result<DoReply, String> {
    let parts = value
        .as_array()
        .ok_or("Durable Object fetch() did not return a Response")?;
    let read = || -> rquickjs::Result<(u16, String, Vec<String>, Value<'js>, u32)> {
        Ok((
            parts.get(0)?,
            parts.get(1)?,
            parts.get(2)?,
            parts.get(3)?,
            parts.get(4)?,
        ))
    };
    let (status, status_text, headers, body, socket) =
        read().map_err(|e| crate::host::isolate::caught(ctx, e))?;
    let body = if let Some(s) = body.as_string() {
        Bytes::from(s.to_string().map_err(|e| e.to_string())?)
    } else {
        crate::host::bytes::bytes_of(&body)
            .map(Bytes::from)
            .unwrap_or_default()
    };
    let websocket = if socket != 0 {
        // Its messages leave through this object's output gate.
        hibernation::set_returned_by(core, socket, &slot.class, &slot.id);
        Some(socket::link_local(core, socket)?)
    } else {
        None
    };
    Ok(DoReply::Fetch(FetchReply {
        status,
        status_text,
        headers,
        body,
        websocket,
    }))
}

/// Ends an event (unless it was answered already): commits its writes,
/// forgets it, and releases the reply once the commit is durable.
fn finish(core: &Rc<Core>, slot: &Rc<ObjectSlot>, event: &limits::ReplySlot, result: DoResult) {
    let Some(reply) = event.borrow_mut().take() else {
        return;
    };
    slot.forget(event);
    // As on Cloudflare, an exception does not undo the writes made before it.
    let ended = slot
        .storage
        .borrow_mut()
        .end_event()
        .map_err(|e| e.to_string());
    let needed = *ended.as_ref().unwrap_or(&0);
    let result = match ended {
        Ok(_) => result,
        Err(e) => Err(e.into()),
    };
    slot.last_used.set(Instant::now());
    if slot.gate.must_wait(needed) {
        slot.gate.hold(
            needed,
            Box::new(move |stored: Result<(), String>| {
                drop(reply.send(stored.map_err(DoFailure::from).and(result)))
            }),
        );
        flush(slot);
    } else {
        let _ = reply.send(result);
    }
    let (core, slot) = (core.clone(), slot.clone());
    tokio::task::spawn_local(async move { pump(&core, &slot) });
}

/// Commits every event so far and makes it durable with one `fsync`, then
/// releases the replies that were waiting for it; repeats while more events
/// ended meanwhile. Ending an event (or a send that needs its writes
/// durable) starts it again.
fn flush(slot: &Rc<ObjectSlot>) {
    if slot.flushing.get() {
        return;
    }
    slot.flushing.set(true);
    let slot = slot.clone();
    tokio::task::spawn_local(async move {
        loop {
            let committed = slot.storage.borrow_mut().commit();
            let (target, stored) = match committed {
                Ok(Some(target)) => {
                    let sync = slot.storage.borrow().wal_sync();
                    let synced = match tokio::task::spawn_blocking(move || sync.sync()).await {
                        Ok(r) => r.map_err(|e| e.to_string()),
                        Err(e) => Err(e.to_string()),
                    };
                    (target, synced)
                }
                // An event is inside `transaction()`: its end starts the
                // next flush, which commits.
                Ok(None) => break,
                // The writes are lost: every waiting reply reports it.
                Err(e) => (u64::MAX, Err(e.to_string())),
            };
            let stored = stored.map_err(|e| {
                tracing::error!(
                    "storing the writes of Durable Object {} failed: {e}",
                    slot.id
                );
                format!("Durable Object storage failed: {e}")
            });
            slot.gate.reached(target, stored);
            // Another pass only if events ended during this one; what still
            // waits for a running event is flushed when that event ends.
            let more = slot.storage.borrow().writing_events() > target;
            if slot.gate.is_empty() || !more {
                break;
            }
        }
        slot.flushing.set(false);
    });
}

fn alarm_index(core: &Core) -> Option<Arc<AlarmIndex>> {
    core.worker.alarm_index()
}

/// Whether the stored alarm has come; if so it is cleared before the handler
/// runs (a handler may set the next one).
fn alarm_is_due(core: &Rc<Core>, slot: &Rc<ObjectSlot>) -> bool {
    let now = now_ms();
    let stored = slot.storage.borrow().alarm().ok().flatten();
    match stored {
        Some(time) if time <= now + 1.0 => {
            let _ = slot.storage.borrow_mut().set_alarm(None);
            if let Some(index) = alarm_index(core) {
                let _ = index.set(&slot.class, &slot.id, None, None);
            }
            true
        }
        _ => false,
    }
}

/// After a failing alarm handler: try again later, up to the retry limit.
fn schedule_retry(core: &Rc<Core>, slot: &Rc<ObjectSlot>) {
    let retries = slot.alarm_retries.get() + 1;
    if retries > ALARM_MAX_RETRIES {
        slot.alarm_retries.set(0);
        tracing::error!(
            "alarm of Durable Object {} failed {ALARM_MAX_RETRIES} retries; giving up",
            slot.id
        );
        return;
    }
    slot.alarm_retries.set(retries);
    let when = now_ms() + 1000.0 * 2f64.powi(retries as i32);
    set_alarm(core, slot, Some(when));
}

/// Sets or clears an object's alarm in its storage and in the process index.
pub(crate) fn set_alarm(core: &Core, slot: &ObjectSlot, time: Option<f64>) {
    let _ = slot.storage.borrow_mut().set_alarm(time);
    if let Some(index) = alarm_index(core) {
        let name = slot.name.borrow().clone();
        if let Err(e) = index.set(&slot.class, &slot.id, name.as_deref(), time) {
            tracing::error!("cannot record the alarm of {}: {e}", slot.id);
        }
    }
    if let Some(router) = Router::get() {
        router.alarms_changed(&slot.id);
    }
}

/// Milliseconds since the epoch.
pub fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

/// Drops objects idle for [`idle_eviction`] with nothing queued, running or
/// waiting; their constructor runs again on the next event.
pub(crate) fn evict_idle(core: &Rc<Core>) {
    if socket::has_listened_sockets(core) {
        return;
    }
    let idle: Vec<Rc<ObjectSlot>> = core
        .resources
        .borrow()
        .state_ref::<Objects>()
        .into_iter()
        .flat_map(|o| o.slots.values())
        .filter(|s| {
            s.running.borrow().is_empty()
                && s.queue.borrow().is_empty()
                && s.gate.is_empty()
                && !s.flushing.get()
                && s.last_used.get().elapsed() >= idle_eviction()
        })
        .cloned()
        .collect();
    for slot in idle {
        // Writes made after the last event (from waitUntil) are kept too.
        if let Err(e) = slot.storage.borrow_mut().commit() {
            tracing::error!("commit of evicted Durable Object {} failed: {e}", slot.id);
        }
        core.resources
            .borrow_mut()
            .state::<Objects>()
            .slots
            .remove(&(slot.class.clone(), slot.id.clone()));
        drop_instance(core, &slot);
        tracing::debug!("evicted idle Durable Object {} {}", slot.class, slot.id);
    }
}

/// Forgets the JavaScript instance of an object (its constructor runs again
/// on next use); storage is untouched.
pub(crate) fn drop_instance(core: &Rc<Core>, slot: &ObjectSlot) {
    enter(core, |ctx| {
        let evict: rquickjs::Result<Function> =
            crate::host::isolate::internal(&ctx).and_then(|i| i.get("doEvict"));
        if let Ok(evict) = evict {
            let _ = evict.call::<_, ()>((slot.class.as_str(), slot.id.as_str()));
        }
    });
}

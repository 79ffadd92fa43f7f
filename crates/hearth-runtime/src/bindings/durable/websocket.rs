//! WebSockets: the native side of `WebSocketPair`, the bridge between a pair
//! and a client's upgraded connection, outbound (client) sockets, and
//! hibernation for Durable Objects.

use crate::bindings::durable::{deliver, gate, DoEvent, Envelope, ObjectSlot};
use crate::host::event_loop::enter_as;
use crate::host::isolate::Core;
use futures::{SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use rquickjs::{Ctx, Function, Value};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::protocol::{frame::coding::CloseCode, CloseFrame, Role};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// Where the server sends a client's upgraded connection once the 101
/// response carrying the client end of a pair has gone out. Cloneable so it
/// can ride in `http::Extensions`; taken exactly once.
#[derive(Clone, Debug)]
pub struct UpgradeLink(pub Arc<Mutex<Option<oneshot::Sender<Upgraded>>>>);

impl UpgradeLink {
    fn new(tx: oneshot::Sender<Upgraded>) -> Self {
        UpgradeLink(Arc::new(Mutex::new(Some(tx))))
    }

    /// Hands over the upgraded connection.
    pub fn connect(&self, upgraded: Upgraded) {
        if let Some(tx) = self.0.lock().expect("upgrade link poisoned").take() {
            let _ = tx.send(upgraded);
        }
    }
}

/// A message payload.
#[derive(Debug, Clone)]
pub enum Payload {
    /// A text frame.
    Text(String),
    /// A binary frame.
    Binary(Vec<u8>),
}

impl Payload {
    pub(crate) fn to_js<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        match self {
            Payload::Text(s) => rquickjs::String::from_str(ctx.clone(), s).map(|s| s.into_value()),
            Payload::Binary(b) => crate::host::bytes::new_array_buffer(ctx, b.clone()),
        }
    }
}

/// Hibernation bookkeeping of a socket accepted with `ctx.acceptWebSocket`.
#[derive(Debug, Clone)]
pub(crate) struct Hibernation {
    pub(crate) class: String,
    pub(crate) id: String,
    pub(crate) name: Option<String>,
    pub(crate) tags: Vec<String>,
}

/// Where a socket's outgoing messages go.
enum Wire {
    /// The client has not connected yet; messages wait here.
    Waiting(Vec<Message>),
    /// Connected: the writer task sends what arrives here.
    Open(mpsc::UnboundedSender<Message>),
    /// Closed; sends fail.
    Closed,
    /// The client end of a pair whose server lives in another isolate.
    Remote(UpgradeLink),
    /// An outbound connection whose handshake succeeded; frames start
    /// flowing once the worker calls `accept()`.
    Connected(Upgraded),
}

/// One socket (a pair shares one).
pub(crate) struct Socket {
    wire: Wire,
    pub(crate) hibernation: Option<Hibernation>,
    /// `serializeAttachment()`'s value, structured-serialized.
    attachment: Option<Vec<u8>>,
    /// The Durable Object (class, id) whose output gate its messages pass:
    /// the one that returned it in a 101 response.
    owner: Option<(String, String)>,
}

impl Socket {
    /// The object the socket belongs to: the one it hibernates with, else
    /// the one that returned it.
    fn object(&self) -> Option<(&str, &str)> {
        match (&self.hibernation, &self.owner) {
            (Some(h), _) => Some((h.class.as_str(), h.id.as_str())),
            (None, Some((class, id))) => Some((class.as_str(), id.as_str())),
            (None, None) => None,
        }
    }
}

/// The sockets of one isolate, plus auto-responses per object.
#[derive(Default)]
pub(crate) struct Sockets {
    next: u32,
    sockets: HashMap<u32, Socket>,
    auto_responses: HashMap<(String, String), (String, String)>,
}

impl Sockets {
    fn add(&mut self, wire: Wire) -> u32 {
        self.next = self.next.wrapping_add(1).max(1);
        self.sockets.insert(
            self.next,
            Socket {
                wire,
                hibernation: None,
                attachment: None,
                owner: None,
            },
        );
        self.next
    }
}

/// `new WebSocketPair()`: a fresh socket waiting for its client.
pub(crate) fn new_pair(core: &Core) -> u32 {
    core.sockets.borrow_mut().add(Wire::Waiting(Vec::new()))
}

/// Registers the client end of a pair living elsewhere (a Durable Object's
/// reply); returns its local id.
pub(crate) fn add_remote(core: &Core, link: UpgradeLink) -> u32 {
    core.sockets.borrow_mut().add(Wire::Remote(link))
}

/// Registers an outbound connection that completed its handshake; returns
/// its id.
pub(crate) fn add_connected(core: &Core, upgraded: Upgraded) -> u32 {
    core.sockets.borrow_mut().add(Wire::Connected(upgraded))
}

/// `accept()`: starts the frames of an outbound connection. Other sockets
/// need nothing (their bridge starts when the client connects).
pub(crate) fn accept(core: &Rc<Core>, id: u32) {
    let upgraded = {
        let mut sockets = core.sockets.borrow_mut();
        let Some(socket) = sockets.sockets.get_mut(&id) else {
            return;
        };
        if !matches!(socket.wire, Wire::Connected(_)) {
            return;
        }
        match std::mem::replace(&mut socket.wire, Wire::Waiting(Vec::new())) {
            Wire::Connected(upgraded) => upgraded,
            _ => unreachable!("checked above"),
        }
    };
    tokio::task::spawn_local(bridge(core.clone(), id, upgraded, Role::Client));
}

/// Records that socket `id` belongs to object `class`/`id`.
pub(crate) fn set_owner(core: &Core, id: u32, class: &str, object: &str) {
    if let Some(s) = core.sockets.borrow_mut().sockets.get_mut(&id) {
        s.owner = Some((class.to_string(), object.to_string()));
    }
}

/// Queues or sends a message from JavaScript. A socket that belongs to a
/// Durable Object sends through the object's output gate.
pub(crate) fn send(core: &Rc<Core>, id: u32, message: Message) -> Result<(), String> {
    let wait = gated_by(core, id)?.and_then(|slot| Some((gate::must_wait(&slot)?, slot)));
    match wait {
        Some((seq, slot)) => {
            let core = Rc::downgrade(core);
            gate::hold(
                &slot,
                seq,
                Box::new(move || {
                    if let Some(core) = core.upgrade() {
                        let _ = transmit(&core, id, message);
                    }
                }),
            );
            Ok(())
        }
        _ => transmit(core, id, message),
    }
}

/// The live object whose gate socket `id`'s messages pass, after checking
/// that the socket can send at all.
fn gated_by(core: &Core, id: u32) -> Result<Option<Rc<ObjectSlot>>, String> {
    let sockets = core.sockets.borrow();
    let socket = sockets.sockets.get(&id).ok_or("WebSocket is closed")?;
    match &socket.wire {
        Wire::Open(tx) if tx.is_closed() => return Err("WebSocket is closed".into()),
        Wire::Closed => return Err("Can't call WebSocket send() after close().".into()),
        _ => {}
    }
    Ok(socket
        .object()
        .and_then(|(class, object)| core.live_object(class, object)))
}

/// Puts a message on the wire (or in the queue of a socket whose client has
/// not connected yet).
fn transmit(core: &Core, id: u32, message: Message) -> Result<(), String> {
    let mut sockets = core.sockets.borrow_mut();
    let socket = sockets.sockets.get_mut(&id).ok_or("WebSocket is closed")?;
    match &mut socket.wire {
        Wire::Waiting(queue) => queue.push(message),
        Wire::Open(tx) => tx
            .send(message)
            .map_err(|_| "WebSocket is closed".to_string())?,
        Wire::Closed => return Err("Can't call WebSocket send() after close().".into()),
        Wire::Remote(_) => {
            return Err(
                "This end of the WebSocketPair belongs to the client; send() on the server end"
                    .into(),
            )
        }
        Wire::Connected(_) => {
            return Err("You must call accept() on this WebSocket before sending messages.".into())
        }
    }
    Ok(())
}

/// Closes the socket from JavaScript (after the messages sent before).
pub(crate) fn close(core: &Rc<Core>, id: u32, code: u16, reason: String) -> Result<(), String> {
    let frame = Message::Close(Some(CloseFrame {
        code: CloseCode::from(code),
        reason: reason.into(),
    }));
    send(core, id, frame)
}

/// Closes the sockets of a Durable Object that is being reset, at once
/// (messages still held for its output gate are dropped with its writes).
pub(crate) fn close_owned(core: &Core, class: &str, object: &str, code: u16, reason: &str) {
    let owned: Vec<u32> = core
        .sockets
        .borrow()
        .sockets
        .iter()
        .filter(|(_, s)| s.object() == Some((class, object)))
        .map(|(id, _)| *id)
        .collect();
    for id in owned {
        let frame = Message::Close(Some(CloseFrame {
            code: CloseCode::from(code),
            reason: reason.to_string().into(),
        }));
        let _ = transmit(core, id, frame);
    }
}

pub(crate) fn set_attachment(core: &Core, id: u32, value: Option<Vec<u8>>) {
    if let Some(s) = core.sockets.borrow_mut().sockets.get_mut(&id) {
        s.attachment = value;
    }
}

pub(crate) fn attachment(core: &Core, id: u32) -> Option<Vec<u8>> {
    core.sockets
        .borrow()
        .sockets
        .get(&id)
        .and_then(|s| s.attachment.clone())
}

pub(crate) fn hibernate(core: &Core, id: u32, hibernation: Hibernation) -> Result<(), String> {
    let mut sockets = core.sockets.borrow_mut();
    let socket = sockets
        .sockets
        .get_mut(&id)
        .ok_or("acceptWebSocket(): unknown WebSocket")?;
    socket.hibernation = Some(hibernation);
    Ok(())
}

/// Hibernatable sockets of an object, optionally with a tag.
pub(crate) fn list(core: &Core, class: &str, object: &str, tag: Option<&str>) -> Vec<u32> {
    let sockets = core.sockets.borrow();
    let mut ids: Vec<u32> = sockets
        .sockets
        .iter()
        .filter(|(_, s)| !matches!(s.wire, Wire::Closed))
        .filter(|(_, s)| {
            s.hibernation.as_ref().is_some_and(|h| {
                h.class == class
                    && h.id == object
                    && tag.is_none_or(|t| h.tags.iter().any(|x| x == t))
            })
        })
        .map(|(id, _)| *id)
        .collect();
    ids.sort_unstable();
    ids
}

pub(crate) fn tags(core: &Core, id: u32) -> Vec<String> {
    core.sockets
        .borrow()
        .sockets
        .get(&id)
        .and_then(|s| s.hibernation.as_ref().map(|h| h.tags.clone()))
        .unwrap_or_default()
}

pub(crate) fn set_auto_response(
    core: &Core,
    class: &str,
    object: &str,
    pair: Option<(String, String)>,
) {
    let key = (class.to_string(), object.to_string());
    let mut sockets = core.sockets.borrow_mut();
    match pair {
        Some(p) => sockets.auto_responses.insert(key, p),
        None => sockets.auto_responses.remove(&key),
    };
}

/// Whether the isolate has open sockets that are not hibernatable. Their
/// event listeners live on object instances, so no object is evicted then.
pub(crate) fn has_open_sockets(core: &Core) -> bool {
    let sockets = core.sockets.borrow();
    sockets
        .sockets
        .values()
        .any(|s| s.hibernation.is_none() && matches!(s.wire, Wire::Open(_)))
}

/// For a response carrying the client end `id`: the link the server uses to
/// hand over the upgraded connection. A local pair gets its bridge started;
/// an outbound socket that was never accepted is spliced to the client
/// (`return fetch(request)` proxies a WebSocket, as on Cloudflare).
pub(crate) fn link_local(core: &Rc<Core>, id: u32) -> Result<UpgradeLink, String> {
    let (remote, outbound) = {
        let sockets = core.sockets.borrow();
        match sockets.sockets.get(&id).map(|s| &s.wire) {
            Some(Wire::Remote(link)) => (Some(link.clone()), false),
            Some(Wire::Waiting(_)) => (None, false),
            Some(Wire::Connected(_)) => (None, true),
            _ => {
                return Err("the WebSocket in this response is already connected or closed".into())
            }
        }
    };
    if outbound {
        return Ok(splice_outbound(core, id));
    }
    if let Some(link) = remote {
        core.sockets.borrow_mut().sockets.remove(&id);
        return Ok(link);
    }
    let (tx, rx) = oneshot::channel::<Upgraded>();
    let core = core.clone();
    tokio::task::spawn_local(async move {
        if let Ok(upgraded) = rx.await {
            bridge(core, id, upgraded, Role::Server).await;
        } else {
            drop_socket(&core, id, 1006, "the client never connected".into());
        }
    });
    Ok(UpgradeLink::new(tx))
}

/// Takes outbound socket `id` out of the isolate and, once the client's
/// connection is upgraded, relays frames between the two until both close.
fn splice_outbound(core: &Rc<Core>, id: u32) -> UpgradeLink {
    let outbound = match core
        .sockets
        .borrow_mut()
        .sockets
        .remove(&id)
        .map(|s| s.wire)
    {
        Some(Wire::Connected(upgraded)) => upgraded,
        _ => unreachable!("link_local checked the socket is Connected"),
    };
    let (tx, rx) = oneshot::channel::<Upgraded>();
    tokio::task::spawn_local(async move {
        let Ok(inbound) = rx.await else { return };
        let client =
            WebSocketStream::from_raw_socket(TokioIo::new(inbound), Role::Server, None).await;
        let server =
            WebSocketStream::from_raw_socket(TokioIo::new(outbound), Role::Client, None).await;
        let (to_client, from_client) = client.split();
        let (to_server, from_server) = server.split();
        let (up, down) = futures::join!(
            from_client.forward(to_server),
            from_server.forward(to_client)
        );
        if let Err(e) = up.and(down) {
            tracing::debug!("proxied WebSocket ended: {e}");
        }
    });
    UpgradeLink::new(tx)
}

/// Runs a connected socket: peer frames become JavaScript events (or
/// Durable Object events when hibernatable), JavaScript sends become frames.
/// `role` is ours: server for a client's connection, client for an outbound one.
async fn bridge(core: Rc<Core>, id: u32, upgraded: Upgraded, role: Role) {
    let stream = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), role, None).await;
    let (mut sink, mut source) = stream.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    let queued = {
        let mut sockets = core.sockets.borrow_mut();
        let Some(socket) = sockets.sockets.get_mut(&id) else {
            return;
        };
        match std::mem::replace(&mut socket.wire, Wire::Open(tx.clone())) {
            Wire::Waiting(queue) => queue,
            _ => Vec::new(),
        }
    };
    for m in queued {
        let _ = tx.send(m);
    }
    tokio::task::spawn_local(async move {
        while let Some(message) = rx.recv().await {
            let closing = matches!(message, Message::Close(_));
            if sink.send(message).await.is_err() || closing {
                break;
            }
        }
        let _ = sink.close().await;
    });
    while let Some(frame) = source.next().await {
        let payload = match frame {
            Ok(Message::Text(t)) => Payload::Text(t.to_string()),
            Ok(Message::Binary(b)) => Payload::Binary(b.to_vec()),
            Ok(Message::Close(frame)) => {
                let (code, reason) = frame
                    .map(|f| (u16::from(f.code), f.reason.to_string()))
                    .unwrap_or((1005, String::new()));
                drop_socket(&core, id, code, reason);
                return;
            }
            Ok(_) => continue,
            Err(e) => {
                tracing::debug!("WebSocket {id} failed: {e}");
                drop_socket(&core, id, 1006, String::new());
                return;
            }
        };
        if !core.is_alive() {
            return;
        }
        on_message(&core, id, payload, &tx);
    }
    drop_socket(&core, id, 1006, String::new());
}

fn on_message(core: &Rc<Core>, id: u32, payload: Payload, tx: &mpsc::UnboundedSender<Message>) {
    let hibernation = core
        .sockets
        .borrow()
        .sockets
        .get(&id)
        .and_then(|s| s.hibernation.clone());
    match hibernation {
        Some(h) => {
            if let Payload::Text(text) = &payload {
                let auto = core
                    .sockets
                    .borrow()
                    .auto_responses
                    .get(&(h.class.clone(), h.id.clone()))
                    .cloned();
                if let Some((request, response)) = auto {
                    if *text == request {
                        let _ = tx.send(Message::Text(response.into()));
                        return;
                    }
                }
            }
            wake_object(
                core,
                h,
                DoEvent::WsMessage {
                    socket: id,
                    data: payload,
                },
            );
        }
        None => js_event(core, id, |ctx, f| {
            let data = payload.to_js(ctx)?;
            f.call::<_, ()>((id, "message", data))
        }),
    }
}

/// Delivers a hibernatable socket's event to its object, waking it if it
/// was evicted. Nobody waits for the reply.
fn wake_object(core: &Rc<Core>, h: Hibernation, event: DoEvent) {
    let (reply, _) = oneshot::channel();
    deliver(
        core,
        Envelope {
            worker: core.worker.name().to_string(),
            class: h.class,
            id: h.id,
            name: h.name,
            event,
            reply,
        },
    );
}

/// The client went away: tell JavaScript (or the object) and forget the socket.
fn drop_socket(core: &Rc<Core>, id: u32, code: u16, reason: String) {
    let socket = {
        let mut sockets = core.sockets.borrow_mut();
        sockets.sockets.get_mut(&id).map(|s| {
            s.wire = Wire::Closed;
            s.hibernation.clone()
        })
    };
    let Some(hibernation) = socket else { return };
    match hibernation {
        Some(h) => wake_object(
            core,
            h,
            DoEvent::WsClose {
                socket: id,
                code,
                reason,
            },
        ),
        None => js_event(core, id, |_, f| {
            f.call::<_, ()>((id, "close", code, reason.as_str()))
        }),
    }
    core.sockets.borrow_mut().sockets.remove(&id);
}

fn js_event(
    core: &Rc<Core>,
    id: u32,
    call: impl for<'js> FnOnce(&Ctx<'js>, Function<'js>) -> rquickjs::Result<()>,
) {
    // Listeners of an object's socket run as that object's code.
    let owner = core.sockets.borrow().sockets.get(&id).and_then(|s| {
        s.object()
            .and_then(|(class, object)| core.live_object(class, object))
    });
    enter_as(core, owner.as_ref().map(Rc::downgrade), |ctx| {
        let f: rquickjs::Result<Function> =
            crate::host::isolate::internal(&ctx).and_then(|i| i.get("wsEvent"));
        if let Ok(f) = f {
            if call(&ctx, f).is_err() {
                let message = crate::host::errors::describe(&ctx, ctx.catch());
                let limit = owner.as_ref().is_some_and(|slot| {
                    crate::bindings::durable::stopped_by_limit(core, slot, &message)
                });
                if !limit {
                    core.report(
                        &format!("uncaught exception in a WebSocket {id} event handler"),
                        &message,
                    );
                }
            }
        }
    });
}

/// The `Sec-WebSocket-Accept` value answering a client's `Sec-WebSocket-Key`.
pub fn accept_key(key: &[u8]) -> String {
    tokio_tungstenite::tungstenite::handshake::derive_accept_key(key)
}

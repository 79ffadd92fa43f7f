//! The native side of WebSockets: the socket table (entries of the
//! isolate's resource table), `WebSocketPair`, the bridge between a pair and
//! a client's upgraded connection, and outbound (client) sockets once their
//! handshake is done.
//!
//! A socket may belong to an owner (a Durable Object, see [`SocketOwner`]):
//! its listeners then run as the owner's code, its messages pass the owner's
//! output gate, and a hibernatable owner takes its events itself.

use crate::host::actor::Actor;
use crate::host::event_loop::enter_as;
use crate::host::isolate::Core;
use crate::host::upgrade::UpgradeLink;
use futures::{SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use rquickjs::{Ctx, Function, Value};
use std::any::Any;
use std::rc::Rc;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::protocol::{frame::coding::CloseCode, CloseFrame, Role};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

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

/// Something that happened on a socket's connection.
pub(crate) enum SocketEvent {
    /// The peer sent a message.
    Message(Payload),
    /// The peer closed the connection (or it broke: 1006).
    Close { code: u16, reason: String },
}

/// Who a socket belongs to, when not plain worker code (as workerd's
/// hibernation manager): implemented by Durable Objects.
pub(crate) trait SocketOwner {
    /// The owner as `Any`, for the binding that made it.
    fn as_any(&self) -> &dyn Any;

    /// The actor live now for this owner: its code handles the socket's
    /// events, its output gate holds the socket's messages.
    fn actor(&self, core: &Core) -> Option<Rc<dyn Actor>>;

    /// Whether the owner takes the socket's events itself (hibernation)
    /// rather than the socket's JavaScript listeners.
    fn hibernates(&self) -> bool;

    /// Takes an event of a hibernating socket; `reply` sends a frame back at
    /// once (auto-responses).
    fn event(&self, core: &Rc<Core>, socket: u32, event: SocketEvent, reply: &dyn Fn(Message));
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

/// One socket (a pair shares one), an entry of the isolate's resources.
pub(crate) struct WebSocket {
    wire: Wire,
    /// `serializeAttachment()`'s value, structured-serialized.
    attachment: Option<Vec<u8>>,
    owner: Option<Rc<dyn SocketOwner>>,
}

impl WebSocket {
    fn new(wire: Wire) -> WebSocket {
        WebSocket {
            wire,
            attachment: None,
            owner: None,
        }
    }

    /// Who the socket belongs to.
    pub(crate) fn owner(&self) -> Option<&Rc<dyn SocketOwner>> {
        self.owner.as_ref()
    }

    /// Whether the socket is closed (sends fail).
    pub(crate) fn is_closed(&self) -> bool {
        matches!(self.wire, Wire::Closed)
    }
}

fn add(core: &Core, wire: Wire) -> u32 {
    core.resources.borrow_mut().add(WebSocket::new(wire))
}

/// `new WebSocketPair()`: a fresh socket waiting for its client.
pub(crate) fn new_pair(core: &Core) -> u32 {
    add(core, Wire::Waiting(Vec::new()))
}

/// Registers the client end of a pair living elsewhere (a Durable Object's
/// reply); returns its local id.
pub(crate) fn add_remote(core: &Core, link: UpgradeLink) -> u32 {
    add(core, Wire::Remote(link))
}

/// Registers an outbound connection that completed its handshake; returns
/// its id.
pub(crate) fn add_connected(core: &Core, upgraded: Upgraded) -> u32 {
    add(core, Wire::Connected(upgraded))
}

/// `accept()`: starts the frames of an outbound connection. Other sockets
/// need nothing (their bridge starts when the client connects).
pub(crate) fn accept(core: &Rc<Core>, id: u32) {
    let upgraded = {
        let mut resources = core.resources.borrow_mut();
        let Some(socket) = resources.get_mut::<WebSocket>(id) else {
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

/// Gives socket `id` to `owner`, replacing any owner it had
/// (`acceptWebSocket()`).
pub(crate) fn set_owner(core: &Core, id: u32, owner: Rc<dyn SocketOwner>) -> Result<(), String> {
    let mut resources = core.resources.borrow_mut();
    let socket = resources
        .get_mut::<WebSocket>(id)
        .ok_or("acceptWebSocket(): unknown WebSocket")?;
    socket.owner = Some(owner);
    Ok(())
}

/// Gives socket `id` to `owner` unless it has one (the object that returned
/// it in a 101 response).
pub(crate) fn adopt(core: &Core, id: u32, owner: Rc<dyn SocketOwner>) {
    if let Some(s) = core.resources.borrow_mut().get_mut::<WebSocket>(id) {
        s.owner.get_or_insert(owner);
    }
}

/// Queues or sends a message from JavaScript. A socket whose owner has an
/// output gate sends through it.
pub(crate) fn send(core: &Rc<Core>, id: u32, message: Message) -> Result<(), String> {
    let gated = gated_by(core, id)?;
    let wait = gated.and_then(|actor| Some((actor.output_barrier()?, actor)));
    match wait {
        Some((seq, actor)) => {
            let core = Rc::downgrade(core);
            actor.hold_output(
                seq,
                Box::new(move || {
                    if let Some(core) = core.upgrade() {
                        let _ = transmit(&core, id, message);
                    }
                }),
            );
            Ok(())
        }
        None => transmit(core, id, message),
    }
}

/// The live actor whose gate socket `id`'s messages pass, after checking
/// that the socket can send at all.
fn gated_by(core: &Core, id: u32) -> Result<Option<Rc<dyn Actor>>, String> {
    let owner = {
        let resources = core.resources.borrow();
        let socket = resources
            .get::<WebSocket>(id)
            .ok_or("WebSocket is closed")?;
        match &socket.wire {
            Wire::Open(tx) if tx.is_closed() => return Err("WebSocket is closed".into()),
            Wire::Closed => return Err("Can't call WebSocket send() after close().".into()),
            _ => {}
        }
        socket.owner.clone()
    };
    Ok(owner.and_then(|owner| owner.actor(core)))
}

/// Puts a message on the wire (or in the queue of a socket whose client has
/// not connected yet).
fn transmit(core: &Core, id: u32, message: Message) -> Result<(), String> {
    let mut resources = core.resources.borrow_mut();
    let socket = resources
        .get_mut::<WebSocket>(id)
        .ok_or("WebSocket is closed")?;
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

fn close_frame(code: u16, reason: String) -> Message {
    Message::Close(Some(CloseFrame {
        code: CloseCode::from(code),
        reason: reason.into(),
    }))
}

/// Closes the socket from JavaScript (after the messages sent before).
pub(crate) fn close(core: &Rc<Core>, id: u32, code: u16, reason: String) -> Result<(), String> {
    send(core, id, close_frame(code, reason))
}

/// Closes at once, past any output gate, the sockets whose owner `owned`
/// picks (an object being reset: messages still held for its gate are
/// dropped with its writes).
pub(crate) fn close_owned(
    core: &Core,
    owned: impl Fn(&dyn SocketOwner) -> bool,
    code: u16,
    reason: &str,
) {
    let ids: Vec<u32> = core
        .resources
        .borrow()
        .iter::<WebSocket>()
        .filter(|(_, s)| s.owner.as_deref().is_some_and(&owned))
        .map(|(id, _)| id)
        .collect();
    for id in ids {
        let _ = transmit(core, id, close_frame(code, reason.to_string()));
    }
}

pub(crate) fn set_attachment(core: &Core, id: u32, value: Option<Vec<u8>>) {
    if let Some(s) = core.resources.borrow_mut().get_mut::<WebSocket>(id) {
        s.attachment = value;
    }
}

pub(crate) fn attachment(core: &Core, id: u32) -> Option<Vec<u8>> {
    core.resources
        .borrow()
        .get::<WebSocket>(id)
        .and_then(|s| s.attachment.clone())
}

/// Whether the isolate has open sockets whose events go to JavaScript
/// listeners (not hibernating). Their listeners live on object instances,
/// so no object is evicted then.
pub(crate) fn has_listened_sockets(core: &Core) -> bool {
    core.resources.borrow().iter::<WebSocket>().any(|(_, s)| {
        !s.owner.as_ref().is_some_and(|o| o.hibernates()) && matches!(s.wire, Wire::Open(_))
    })
}

/// For a response carrying the client end `id`: the link the server uses to
/// hand over the upgraded connection. A local pair gets its bridge started;
/// an outbound socket that was never accepted is spliced to the client
/// (`return fetch(request)` proxies a WebSocket, as on Cloudflare).
pub(crate) fn link_local(core: &Rc<Core>, id: u32) -> Result<UpgradeLink, String> {
    let (remote, outbound) = {
        let resources = core.resources.borrow();
        match resources.get::<WebSocket>(id).map(|s| &s.wire) {
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
        core.resources.borrow_mut().take::<WebSocket>(id);
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
        .resources
        .borrow_mut()
        .take::<WebSocket>(id)
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

/// Runs a connected socket: peer frames become JavaScript events (or the
/// owner's, when it hibernates), JavaScript sends become frames. `role` is
/// ours: server for a client's connection, client for an outbound one.
async fn bridge(core: Rc<Core>, id: u32, upgraded: Upgraded, role: Role) {
    let stream = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), role, None).await;
    let (mut sink, mut source) = stream.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    let queued = {
        let mut resources = core.resources.borrow_mut();
        let Some(socket) = resources.get_mut::<WebSocket>(id) else {
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

/// The owner of socket `id`, if it hibernates.
fn hibernating_owner(core: &Core, id: u32) -> Option<Rc<dyn SocketOwner>> {
    core.resources
        .borrow()
        .get::<WebSocket>(id)
        .and_then(|s| s.owner.clone())
        .filter(|o| o.hibernates())
}

fn on_message(core: &Rc<Core>, id: u32, payload: Payload, tx: &mpsc::UnboundedSender<Message>) {
    match hibernating_owner(core, id) {
        Some(owner) => owner.event(core, id, SocketEvent::Message(payload), &|m| {
            let _ = tx.send(m);
        }),
        None => js_event(core, id, |ctx, f| {
            let data = payload.to_js(ctx)?;
            f.call::<_, ()>((id, "message", data))
        }),
    }
}

/// The client went away: tell JavaScript (or the owner) and forget the socket.
fn drop_socket(core: &Rc<Core>, id: u32, code: u16, reason: String) {
    let known = {
        let mut resources = core.resources.borrow_mut();
        resources.get_mut::<WebSocket>(id).map(|s| {
            s.wire = Wire::Closed;
        })
    };
    if known.is_none() {
        return;
    }
    match hibernating_owner(core, id) {
        Some(owner) => owner.event(core, id, SocketEvent::Close { code, reason }, &|_| {}),
        None => js_event(core, id, |_, f| {
            f.call::<_, ()>((id, "close", code, reason.as_str()))
        }),
    }
    core.resources.borrow_mut().take::<WebSocket>(id);
}

fn js_event(
    core: &Rc<Core>,
    id: u32,
    call: impl for<'js> FnOnce(&Ctx<'js>, Function<'js>) -> rquickjs::Result<()>,
) {
    // Listeners of an owned socket run as the owner's code.
    let owner = core
        .resources
        .borrow()
        .get::<WebSocket>(id)
        .and_then(|s| s.owner.clone());
    let actor = owner.and_then(|o| o.actor(core));
    enter_as(core, actor.as_ref().map(Rc::downgrade), |ctx| {
        let f: rquickjs::Result<Function> =
            crate::host::isolate::internal(&ctx).and_then(|i| i.get("wsEvent"));
        if let Ok(f) = f {
            if call(&ctx, f).is_err() {
                let message = crate::host::errors::describe(&ctx, ctx.catch());
                let limit = actor
                    .clone()
                    .is_some_and(|actor| actor.stopped_by_limit(core, &message));
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

//! Durable Objects' side of WebSockets (the sockets themselves live in
//! `web/websocket`): a socket an object returned in a 101 response, or
//! accepted with `ctx.acceptWebSocket()`, belongs to that object. Its
//! listeners run as the object's code and its messages pass the object's
//! output gate; an accepted (hibernatable) socket's events go to the
//! object's `webSocketMessage`/`webSocketClose` handlers, waking it if it
//! was evicted, and auto-responses answer without waking it at all.

use super::{deliver, live_object, DoEvent, Envelope, Objects};
use crate::host::actor::Actor;
use crate::host::isolate::Core;
use crate::web::websocket::{socket, SocketEvent, SocketOwner, WebSocket};
use std::any::Any;
use std::rc::Rc;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;

/// The object a socket belongs to; `tags` is set once the object accepted
/// it for hibernation.
pub(crate) struct ObjectSocket {
    pub(crate) class: String,
    pub(crate) id: String,
    pub(crate) name: Option<String>,
    pub(crate) tags: Option<Vec<String>>,
}

impl ObjectSocket {
    /// Whether this socket belongs to object `class`/`id`.
    pub(crate) fn is_of(&self, class: &str, id: &str) -> bool {
        self.class == class && self.id == id
    }
}

impl SocketOwner for ObjectSocket {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn actor(&self, core: &Core) -> Option<Rc<dyn Actor>> {
        live_object(core, &self.class, &self.id).map(|slot| slot as Rc<dyn Actor>)
    }

    fn hibernates(&self) -> bool {
        self.tags.is_some()
    }

    fn event(&self, core: &Rc<Core>, socket: u32, event: SocketEvent, reply: &dyn Fn(Message)) {
        let event = match event {
            SocketEvent::Message(data) => {
                if let crate::web::websocket::Payload::Text(text) = &data {
                    let auto = core
                        .resources
                        .borrow()
                        .state_ref::<Objects>()
                        .and_then(|o| {
                            o.auto_responses
                                .get(&(self.class.clone(), self.id.clone()))
                                .cloned()
                        });
                    if let Some((request, response)) = auto {
                        if *text == request {
                            reply(Message::Text(response.into()));
                            return;
                        }
                    }
                }
                DoEvent::WsMessage { socket, data }
            }
            SocketEvent::Close { code, reason } => DoEvent::WsClose {
                socket,
                code,
                reason,
            },
        };
        // Nobody waits for the reply.
        let (reply, _) = oneshot::channel();
        deliver(
            core,
            Envelope {
                worker: core.worker.name().to_string(),
                class: self.class.clone(),
                id: self.id.clone(),
                name: self.name.clone(),
                event,
                reply,
            },
        );
    }
}

/// The object socket `id` belongs to, if any.
fn owner_of(socket: &WebSocket) -> Option<&ObjectSocket> {
    socket.owner()?.as_any().downcast_ref()
}

/// Records that socket `id` belongs to object `class`/`object` (it returned
/// the socket in a 101 response), unless it was accepted already.
pub(crate) fn set_returned_by(core: &Core, id: u32, class: &str, object: &str) {
    socket::adopt(
        core,
        id,
        Rc::new(ObjectSocket {
            class: class.to_string(),
            id: object.to_string(),
            name: None,
            tags: None,
        }),
    );
}

/// `ctx.acceptWebSocket(ws, tags)`: the object takes the socket's events.
pub(crate) fn hibernate(
    core: &Core,
    id: u32,
    class: String,
    object: String,
    name: Option<String>,
    tags: Vec<String>,
) -> Result<(), String> {
    socket::set_owner(
        core,
        id,
        Rc::new(ObjectSocket {
            class,
            id: object,
            name,
            tags: Some(tags),
        }),
    )
}

/// Hibernatable sockets of an object, optionally with a tag.
pub(crate) fn list(core: &Core, class: &str, object: &str, tag: Option<&str>) -> Vec<u32> {
    let resources = core.resources.borrow();
    let mut ids: Vec<u32> = resources
        .iter::<WebSocket>()
        .filter(|(_, s)| !s.is_closed())
        .filter(|(_, s)| {
            owner_of(s).is_some_and(|o| {
                o.is_of(class, object)
                    && o.tags
                        .as_ref()
                        .is_some_and(|tags| tag.is_none_or(|t| tags.iter().any(|x| x == t)))
            })
        })
        .map(|(id, _)| id)
        .collect();
    ids.sort_unstable();
    ids
}

/// The tags socket `id` was accepted with.
pub(crate) fn tags(core: &Core, id: u32) -> Vec<String> {
    core.resources
        .borrow()
        .get::<WebSocket>(id)
        .and_then(owner_of)
        .and_then(|o| o.tags.clone())
        .unwrap_or_default()
}

/// `setWebSocketAutoResponse()`: a request message answered without waking
/// the object (`None` removes it).
pub(crate) fn set_auto_response(
    core: &Core,
    class: &str,
    object: &str,
    pair: Option<(String, String)>,
) {
    let key = (class.to_string(), object.to_string());
    let mut resources = core.resources.borrow_mut();
    let responses = &mut resources.state::<Objects>().auto_responses;
    match pair {
        Some(p) => responses.insert(key, p),
        None => responses.remove(&key),
    };
}

/// Closes the sockets of object `class`/`object`, which is being reset.
pub(crate) fn close_all(core: &Core, class: &str, object: &str, code: u16, reason: &str) {
    socket::close_owned(
        core,
        |owner| {
            owner
                .as_any()
                .downcast_ref::<ObjectSocket>()
                .is_some_and(|o| o.is_of(class, object))
        },
        code,
        reason,
    );
}

//! WebSockets: `WebSocketPair` and the socket table (`socket.rs`), the
//! outbound client (`client.rs`) and the JavaScript `WebSocket` class
//! (`websocket.js`). Durable Objects add hibernation on top (see
//! `bindings/durable/hibernation.rs`) through [`socket::SocketOwner`].

mod client;
pub(crate) mod socket;

pub use socket::accept_key;
pub(crate) use socket::{Payload, SocketEvent, SocketOwner, WebSocket};

use crate::host::bytes::bytes_of;
use crate::host::event_loop::current;
use crate::web::structured_clone::{self as clone, Purpose};
use rquickjs::{Ctx, Exception, Function, Object, Value};
use tokio_tungstenite::tungstenite::Message;

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    client::install(ctx, native)?;
    native.set(
        "wsPair",
        Function::new(ctx.clone(), || socket::new_pair(&current()))?,
    )?;
    native.set(
        "wsAccept",
        Function::new(ctx.clone(), |id: u32| socket::accept(&current(), id))?,
    )?;
    native.set("wsSend", Function::new(ctx.clone(), ws_send)?)?;
    native.set("wsClose", Function::new(ctx.clone(), ws_close)?)?;
    native.set("wsLink", Function::new(ctx.clone(), ws_link)?)?;
    native.set(
        "wsSetAttachment",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, id: u32, value: Value<'js>| {
            let bytes = clone::serialize(&ctx, &value, Purpose::Store)?;
            socket::set_attachment(&current(), id, Some(bytes));
            rquickjs::Result::Ok(())
        })?,
    )?;
    native.set(
        "wsGetAttachment",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, id: u32| match socket::attachment(&current(), id) {
                Some(bytes) => clone::deserialize(&ctx, &bytes),
                None => Ok(Value::new_null(ctx.clone())),
            },
        )?,
    )?;
    Ok(())
}

fn ws_send<'js>(ctx: Ctx<'js>, id: u32, data: Value<'js>) -> rquickjs::Result<()> {
    let message = match data.as_string() {
        Some(s) => Message::Text(s.to_string()?.into()),
        None => Message::Binary(
            bytes_of(&data)
                .ok_or_else(|| Exception::throw_type(&ctx, "send() takes a string or bytes"))?
                .into(),
        ),
    };
    socket::send(&current(), id, message).map_err(|e| Exception::throw_type(&ctx, &e))
}

fn ws_close(ctx: Ctx<'_>, id: u32, code: u16, reason: String) -> rquickjs::Result<()> {
    if !(code == 1000 || (3000..=4999).contains(&code)) {
        return Err(Exception::throw_range(
            &ctx,
            &format!("Invalid WebSocket close code {code}: use 1000 or 3000-4999"),
        ));
    }
    if reason.len() > 123 {
        return Err(Exception::throw_type(
            &ctx,
            "WebSocket close reason must be at most 123 bytes",
        ));
    }
    socket::close(&current(), id, code, reason).map_err(|e| Exception::throw_type(&ctx, &e))
}

/// `wsLink(id)`: for a 101 response carrying socket `id`, the resource id of
/// the [`crate::host::upgrade::UpgradeLink`] the host puts in the response.
fn ws_link(ctx: Ctx<'_>, id: u32) -> rquickjs::Result<u32> {
    let core = current();
    let link = socket::link_local(&core, id).map_err(|e| Exception::throw_type(&ctx, &e))?;
    let link_id = core.resources.borrow_mut().add(link);
    Ok(link_id)
}

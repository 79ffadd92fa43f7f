//! WebSockets: `WebSocketPair`, the outbound client (`client.rs`) and the
//! JavaScript `WebSocket` class (`websocket.js`).

mod client;

pub(crate) use client::install;

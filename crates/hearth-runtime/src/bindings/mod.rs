//! Workers bindings: what a worker reaches through `env` (KV namespaces,
//! Durable Object namespaces, Hyperdrive, static assets, other workers) and `cloudflare:sockets`. Each
//! binding keeps its natives, its JavaScript and its dispatch in one folder;
//! its storage lives in its own crate (`hearth-kv`, `hearth-durable`, ...).

pub(crate) mod assets;
pub(crate) mod d1;
pub mod durable;
pub(crate) mod kv;
pub mod queues;
pub(crate) mod r2;
pub(crate) mod ratelimit;
pub mod services;
pub(crate) mod site;
pub(crate) mod sockets;

//! The JavaScript host of hearth.
//!
//! A [`Worker`] is a loaded Workers project: its configuration, its sources
//! and its bindings. An [`Isolate`] is one QuickJS runtime running that
//! worker on the current thread; the server keeps one isolate per core and
//! hands it requests. The crate is laid out by API (see ARCHITECTURE.md at
//! the repository root): [`host`] is the engine core, `web/` the Web APIs,
//! [`bindings`] the Workers bindings, `node/` Node.js compatibility and
//! `loader/` module resolution and loading, each API's natives beside its
//! JavaScript.

pub mod bindings;
mod extensions;
#[doc(hidden)]
pub mod fuzzing;
mod host;
mod loader;
mod node;
mod web;
mod worker;

pub use host::body::{RequestBody, ResponseBody};
pub use host::egress::reserve as reserve_address;
pub use host::errors::StartupError;
pub use host::isolate::{Isolate, ScheduledOutcome};
pub use host::upgrade::UpgradeLink;
pub use web::websocket::accept_key;
pub use worker::{
    kv_namespace_id, DeployedVersion, HyperdriveBinding, Worker, WorkerOptions,
    DEFAULT_MEMORY_LIMIT,
};

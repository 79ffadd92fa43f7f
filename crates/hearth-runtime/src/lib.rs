//! The JavaScript host of hearth.
//!
//! A [`Worker`] is a loaded Workers project: its configuration, its sources
//! and its bindings. An [`Isolate`] is one QuickJS runtime running that
//! worker on the current thread; the server keeps one isolate per core and
//! hands it requests. Everything JavaScript touches lives in [`api`] (Web APIs
//! and bindings implemented natively) and in the bundled JavaScript that
//! builds the rest of the Web platform on top of those natives.

pub mod api;
mod body;
pub mod durable;
mod errors;
mod event_loop;
mod isolate;
mod modules;
mod prelude;
mod transpile;
mod worker;

pub use body::{RequestBody, ResponseBody};
pub use durable::websocket::{accept_key, UpgradeLink};
pub use errors::StartupError;
pub use isolate::{Isolate, ScheduledOutcome};
pub use worker::{kv_namespace_id, HyperdriveBinding, Worker, WorkerOptions, DEFAULT_MEMORY_LIMIT};

//! The host core: one QuickJS runtime per worker per thread, the glue between
//! its event loop and tokio, typed errors, the isolate's resource table, the
//! embedded prelude, and [`egress`], the one way out to the network. It knows
//! no binding by name: Durable Objects plug in through the hooks in
//! [`isolate`].

pub(crate) mod actor;
pub(crate) mod body;
pub(crate) mod bytes;
pub(crate) mod egress;
pub(crate) mod errors;
pub(crate) mod event_loop;
pub(crate) mod isolate;
pub(crate) mod memory;
pub(crate) mod output_gate;
pub(crate) mod prelude;
pub(crate) mod resources;
pub(crate) mod scope;
pub(crate) mod upgrade;

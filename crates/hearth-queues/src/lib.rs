//! Cloudflare Queues for hearth, knowing nothing of JavaScript.
//!
//! * [`QueueStore`] — every queue of one hearth process in one SQLite
//!   database under the state folder (`<state>/queues/queues.sqlite3`, WAL
//!   journal, `synchronous=FULL`): a send returns once its messages are on
//!   disk; a consumer leases a batch, then settles each message (ack,
//!   retry with a delay, or dead-letter after `max_retries`);
//! * [`limits`] — Cloudflare's limits on messages and batches, with the
//!   messages Cloudflare's queue broker gives.
//!
//! Delivery is at-least-once: a leased message whose consumer never settled
//! it (the process was killed) is delivered again once the leases are
//! released ([`QueueStore::release_leases`], at start-up) or expire.

#![warn(missing_docs)]

pub mod limits;
mod store;

pub use store::{
    now_ms, ContentType, Leased, NewMessage, QueueError, QueueInfo, QueueStore, Ready, Settle,
    SettleReport,
};

#[cfg(test)]
mod tests;

//! Web APIs: one folder each, holding the API's natives (`mod.rs`, which adds
//! functions to the isolate's native object) beside the JavaScript that wraps
//! them in the standard classes. Natives take and return plain values
//! (strings, numbers, `Uint8Array`s, flat arrays) so the boundary stays cheap
//! and easy to audit.

pub(crate) mod cache;
pub(crate) mod compression;
pub(crate) mod console;
pub(crate) mod crypto;
pub(crate) mod encoding;
pub(crate) mod events;
pub(crate) mod fetch;
pub(crate) mod html_rewriter;
pub(crate) mod structured_clone;
pub(crate) mod timers;
pub(crate) mod url;
pub(crate) mod url_pattern;
pub(crate) mod websocket;

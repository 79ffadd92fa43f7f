//! The front ends of hearth's KV store that the JavaScript runtime does not
//! need, kept out of `hearth-kv` so the runtime pulls in neither a web
//! framework nor a command-line parser:
//!
//! * [`rest`] — the Cloudflare API v4 compatible REST endpoints (on axum);
//! * [`cli`] — the logic behind `hearth kv ...`, printing like wrangler 4;
//! * [`bulk`] — the bulk formats both of them read;
//! * [`d1`] — D1's query endpoints, served on the same port;
//! * [`s3`] — R2's S3-compatible API, served on the same port.

#![warn(missing_docs)]

pub mod bulk;
pub mod cli;
pub mod d1;
#[doc(hidden)]
pub mod fuzzing;
pub mod rest;
pub mod s3;

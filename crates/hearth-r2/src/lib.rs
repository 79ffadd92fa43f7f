//! R2 object storage for hearth, knowing nothing of JavaScript.
//!
//! * [`Bucket`] — one bucket per folder under `<state>/r2/`: object bytes in
//!   files, metadata in SQLite; puts are streamed ([`Upload`]), atomic and
//!   durable when they return; lists in key order with prefixes, cursors and
//!   delimiters; multipart uploads with R2's part rules;
//! * [`Object`], [`HttpMetadata`], [`Conditional`], [`Range`] — what R2
//!   keeps and the options of its operations;
//! * [`R2Error`] — R2's error codes and messages;
//! * [`limits`] — R2's limits.
//!
//! Several processes may open one bucket at once (`hearth dev` and
//! `hearth r2 object`): SQLite's locks serialize the commits.

#![warn(missing_docs)]

mod bucket;
mod error;
mod object;
mod upload;

pub use bucket::{
    buckets_dir, check_bucket_name, create_bucket, delete_bucket, list_buckets, Bucket, Got,
    ListOptions, Listing, PutOptions, UploadedPart,
};
pub use error::R2Error;
pub use object::{
    check_custom_metadata, check_key, limits, Conditional, HttpMetadata, Object, Range, ALGORITHMS,
};
pub use upload::Upload;

#[cfg(test)]
mod tests;

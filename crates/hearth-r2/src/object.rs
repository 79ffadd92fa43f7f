//! What R2 keeps about an object, and the options of its operations.

use crate::R2Error;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The HTTP headers stored with an object (`httpMetadata`), in R2's names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpMetadata {
    /// `Content-Type`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// `Content-Language`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_language: Option<String>,
    /// `Content-Disposition`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    /// `Content-Encoding`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    /// `Cache-Control`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    /// `Expires`, in milliseconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_expiry: Option<f64>,
}

/// An object's metadata: everything but its bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Object {
    /// The key.
    pub key: String,
    /// A random id of this upload of the key (a UUID).
    pub version: String,
    /// Size in bytes.
    pub size: u64,
    /// The MD5 of the bytes in hex; for a multipart upload, the MD5 of the
    /// parts' MD5s followed by `-<parts>`, as S3 and R2 make it.
    pub etag: String,
    /// When the upload finished, in milliseconds since the epoch.
    pub uploaded: i64,
    /// Stored HTTP headers.
    pub http_metadata: HttpMetadata,
    /// User metadata.
    pub custom_metadata: BTreeMap<String, String>,
    /// Hex digests by algorithm (`md5`, `sha1`, `sha256`, `sha384`, `sha512`):
    /// the MD5 of a single upload, and any checksum given with the put.
    pub checksums: BTreeMap<String, String>,
}

/// `onlyIf`: conditions an operation needs to hold (R2Conditional).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conditional {
    /// Proceed only if the etag is one of these (`*` matches any).
    #[serde(default)]
    pub etag_matches: Option<Vec<String>>,
    /// Proceed only if the etag is none of these (`*` matches any).
    #[serde(default)]
    pub etag_does_not_match: Option<Vec<String>>,
    /// Proceed only if uploaded before this time (ms since the epoch).
    #[serde(default)]
    pub uploaded_before: Option<f64>,
    /// Proceed only if uploaded after this time (ms since the epoch).
    #[serde(default)]
    pub uploaded_after: Option<f64>,
    /// Compare times to the second, as HTTP dates do.
    #[serde(default)]
    pub seconds_granularity: bool,
}

fn etag_in(list: &[String], etag: &str) -> bool {
    list.iter()
        .any(|e| e == "*" || e.trim_start_matches("W/").trim_matches('"') == etag)
}

impl Conditional {
    /// Whether the conditions hold for `object` (None: the key is missing),
    /// with S3's precedence: a matching `etagMatches` overrides
    /// `uploadedBefore`, a holding `etagDoesNotMatch` overrides `uploadedAfter`.
    pub fn holds(&self, object: Option<&Object>) -> bool {
        let Some(object) = object else {
            return self.etag_matches.is_none();
        };
        let uploaded = if self.seconds_granularity {
            (object.uploaded / 1000 * 1000) as f64
        } else {
            object.uploaded as f64
        };
        let truncate = |t: f64| {
            if self.seconds_granularity {
                (t / 1000.0).floor() * 1000.0
            } else {
                t
            }
        };
        let mut matched = false;
        if let Some(list) = &self.etag_matches {
            if !etag_in(list, &object.etag) {
                return false;
            }
            matched = true;
        }
        let mut differs = false;
        if let Some(list) = &self.etag_does_not_match {
            if etag_in(list, &object.etag) {
                return false;
            }
            differs = true;
        }
        if let (Some(before), false) = (self.uploaded_before, matched) {
            if uploaded > truncate(before) {
                return false;
            }
        }
        if let (Some(after), false) = (self.uploaded_after, differs) {
            if uploaded <= truncate(after) {
                return false;
            }
        }
        true
    }
}

/// A byte range of a get, as the binding gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// From `offset` (default 0), `length` bytes (default: to the end).
    Span {
        /// First byte.
        offset: Option<u64>,
        /// How many bytes.
        length: Option<u64>,
    },
    /// The last `n` bytes.
    Suffix(u64),
}

impl Range {
    /// `(offset, length)` within an object of `size` bytes, or R2's
    /// InvalidRange when the range starts beyond the end.
    pub fn resolve(self, size: u64) -> Result<(u64, u64), R2Error> {
        match self {
            Range::Suffix(n) => {
                let n = n.min(size);
                Ok((size - n, n))
            }
            Range::Span { offset, length } => {
                let offset = offset.unwrap_or(0);
                if offset > size || (offset == size && size > 0 && length != Some(0)) {
                    return Err(R2Error::invalid_range());
                }
                let length = length.unwrap_or(size - offset).min(size - offset);
                Ok((offset, length))
            }
        }
    }
}

/// The checksum algorithms a put may be checked against.
pub const ALGORITHMS: [&str; 5] = ["md5", "sha1", "sha256", "sha384", "sha512"];

/// R2's limits.
pub mod limits {
    /// The longest key, in bytes.
    pub const MAX_KEY_BYTES: usize = 1024;
    /// The most custom metadata (keys and values together), in bytes.
    pub const MAX_CUSTOM_METADATA_BYTES: usize = 2048;
    /// The largest single upload: 5 GiB less 5 MiB (R2's "4.995 GiB").
    pub const MAX_PUT_BYTES: u64 = 5 * 1024 * 1024 * 1024 - 5 * 1024 * 1024;
    /// The largest part of a multipart upload (as a single upload).
    pub const MAX_PART_BYTES: u64 = MAX_PUT_BYTES;
    /// The smallest part of a multipart upload other than the last.
    pub const MIN_PART_BYTES: u64 = 5 * 1024 * 1024;
    /// The most parts of a multipart upload.
    pub const MAX_PARTS: u32 = 10_000;
    /// The most keys one list returns, and one delete removes.
    pub const MAX_LIST_KEYS: usize = 1000;
}

/// Checks a key against R2's rules.
pub fn check_key(key: &str) -> Result<(), R2Error> {
    if key.len() > limits::MAX_KEY_BYTES {
        return Err(R2Error::invalid_object_name());
    }
    Ok(())
}

/// Checks custom metadata against R2's size limit.
pub fn check_custom_metadata(custom: &BTreeMap<String, String>) -> Result<(), R2Error> {
    let size: usize = custom.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > limits::MAX_CUSTOM_METADATA_BYTES {
        return Err(R2Error::metadata_too_large());
    }
    Ok(())
}

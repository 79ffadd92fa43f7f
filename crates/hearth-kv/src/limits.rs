//! Cloudflare's documented Workers KV limits and the validation functions that
//! enforce them. The JavaScript binding calls these too, so the embedded store, the
//! binding, the REST API and the CLI reject exactly the same inputs with the same
//! messages.

use crate::error::{KvError, KvOp};

/// Maximum key length in UTF-8 bytes.
pub const MAX_KEY_BYTES: usize = 512;
/// Maximum value length in bytes (25 MiB).
pub const MAX_VALUE_BYTES: usize = 25 * 1024 * 1024;
/// Maximum length of a key's metadata, serialized as JSON, in bytes.
pub const MAX_METADATA_BYTES: usize = 1024;
/// Minimum `expirationTtl`, and the minimum distance of `expiration` into the future, in seconds.
pub const MIN_EXPIRATION_TTL: i64 = 60;
/// Maximum (and default) `limit` of one `list` call.
pub const MAX_LIST_LIMIT: usize = 1000;
/// Maximum number of keys in one bulk `get([...])` from a Worker.
pub const MAX_BULK_GET_KEYS: usize = 100;
/// Maximum number of pairs (or keys) in one bulk write (or delete) request.
pub const MAX_BULK_PAIRS: usize = 10_000;
/// A bulk request must be strictly smaller than this many bytes (100 MB).
pub const MAX_BULK_REQUEST_BYTES: usize = 100 * 1000 * 1000;

/// Checks a key: not empty, not `.` or `..`, at most [`MAX_KEY_BYTES`] UTF-8 bytes.
pub fn validate_key(op: KvOp, key: &str) -> Result<(), KvError> {
    if key.is_empty() {
        return Err(KvError::EmptyKey { op });
    }
    if key == "." || key == ".." {
        return Err(KvError::IllegalKey {
            op,
            key: key.to_string(),
        });
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(KvError::KeyTooLong { op, len: key.len() });
    }
    Ok(())
}

/// Checks a value's length against [`MAX_VALUE_BYTES`].
pub fn validate_value_len(len: usize) -> Result<(), KvError> {
    if len > MAX_VALUE_BYTES {
        return Err(KvError::ValueTooLarge { len });
    }
    Ok(())
}

/// Checks metadata given as JSON text: it must parse as JSON and be at most
/// [`MAX_METADATA_BYTES`] long. Returns the compact serialization to store.
pub fn validate_metadata(json: &str) -> Result<String, KvError> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| KvError::InvalidMetadata {
            reason: e.to_string(),
        })?;
    validate_metadata_value(&value)
}

/// Checks metadata given as a JSON value; returns its compact serialization.
pub fn validate_metadata_value(value: &serde_json::Value) -> Result<String, KvError> {
    let text = value.to_string();
    if text.len() > MAX_METADATA_BYTES {
        return Err(KvError::MetadataTooLarge { len: text.len() });
    }
    Ok(text)
}

/// Turns `expiration` (absolute unix seconds) and `expiration_ttl` (seconds from
/// `now`) into the absolute expiration to store, or `None` for a key that never
/// expires. When both are given, `expiration_ttl` wins, as in Cloudflare's REST API.
///
/// Errors: a TTL below 60, or an absolute expiration less than 60 seconds after `now`.
pub fn resolve_expiration(
    expiration: Option<i64>,
    expiration_ttl: Option<i64>,
    now: u64,
) -> Result<Option<u64>, KvError> {
    let now = now as i64;
    if let Some(ttl) = expiration_ttl {
        if ttl < MIN_EXPIRATION_TTL {
            return Err(KvError::InvalidExpirationTtl { ttl });
        }
        return Ok(Some(now.saturating_add(ttl) as u64));
    }
    if let Some(exp) = expiration {
        if exp < now.saturating_add(MIN_EXPIRATION_TTL) {
            return Err(KvError::InvalidExpiration { expiration: exp });
        }
        return Ok(Some(exp as u64));
    }
    Ok(None)
}

/// Resolves a `list` limit: `None` means [`MAX_LIST_LIMIT`]; otherwise 1..=1000.
pub fn resolve_list_limit(limit: Option<i64>) -> Result<usize, KvError> {
    match limit {
        None => Ok(MAX_LIST_LIMIT),
        Some(l) if l >= 1 && l as usize <= MAX_LIST_LIMIT => Ok(l as usize),
        Some(l) => Err(KvError::InvalidListLimit { limit: l }),
    }
}

/// Checks the number of entries in a bulk write or delete.
pub fn validate_bulk_count(op: KvOp, count: usize) -> Result<(), KvError> {
    if count > MAX_BULK_PAIRS {
        return Err(KvError::TooManyBulkPairs { op, count });
    }
    Ok(())
}

/// Checks the size of a bulk request body (must be < 100 MB).
pub fn validate_bulk_size(op: KvOp, len: usize) -> Result<(), KvError> {
    if len >= MAX_BULK_REQUEST_BYTES {
        return Err(KvError::BulkTooLarge { op, len });
    }
    Ok(())
}

/// The current time in unix seconds.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_messages() {
        assert_eq!(
            validate_key(KvOp::Put, &"a".repeat(600))
                .unwrap_err()
                .to_string(),
            "KV PUT failed: 414 UTF-8 encoded length of 600 exceeds key length limit of 512."
        );
        assert!(validate_key(KvOp::Put, &"a".repeat(512)).is_ok());
        // 171 three-byte characters = 513 bytes.
        assert!(matches!(
            validate_key(KvOp::Put, &"€".repeat(171)),
            Err(KvError::KeyTooLong { len: 513, .. })
        ));
        assert_eq!(
            validate_key(KvOp::Get, ".").unwrap_err().to_string(),
            "KV GET failed: 400 Illegal key name \".\". Please use a different name."
        );
        assert!(validate_key(KvOp::Get, "..").is_err());
        assert!(validate_key(KvOp::Get, "...").is_ok());
        assert_eq!(
            validate_key(KvOp::Delete, "").unwrap_err().to_string(),
            "KV DELETE failed: 400 Key names must not be empty."
        );
    }

    #[test]
    fn value_and_metadata_messages() {
        assert!(validate_value_len(MAX_VALUE_BYTES).is_ok());
        assert_eq!(
            validate_value_len(26214401).unwrap_err().to_string(),
            "KV PUT failed: 413 Value length of 26214401 exceeds limit of 26214400."
        );
        let big = format!("{{\"a\":\"{}\"}}", "x".repeat(1092));
        assert_eq!(
            validate_metadata(&big).unwrap_err().to_string(),
            "KV PUT failed: 413 Metadata length of 1100 exceeds limit of 1024."
        );
        assert_eq!(validate_metadata("{ \"a\" : 1 }").unwrap(), "{\"a\":1}");
        assert!(matches!(
            validate_metadata("{nope"),
            Err(KvError::InvalidMetadata { .. })
        ));
    }

    #[test]
    fn expiration_rules() {
        let now = 1_000_000;
        assert_eq!(
            resolve_expiration(None, Some(30), now)
                .unwrap_err()
                .to_string(),
            "KV PUT failed: 400 Invalid expiration_ttl of 30. Expiration TTL must be at least 60."
        );
        assert_eq!(
            resolve_expiration(Some(1_000_059), None, now)
                .unwrap_err()
                .to_string(),
            "KV PUT failed: 400 Invalid expiration of 1000059. Expiration times must be at least 60 seconds in the future."
        );
        assert_eq!(
            resolve_expiration(Some(1_000_060), None, now).unwrap(),
            Some(1_000_060)
        );
        assert_eq!(
            resolve_expiration(None, Some(60), now).unwrap(),
            Some(1_000_060)
        );
        assert_eq!(
            resolve_expiration(Some(5), Some(120), now).unwrap(),
            Some(1_000_120)
        );
        assert_eq!(resolve_expiration(None, None, now).unwrap(), None);
        assert!(resolve_expiration(Some(-1), None, now).is_err());
    }

    #[test]
    fn list_and_bulk_limits() {
        assert_eq!(resolve_list_limit(None).unwrap(), 1000);
        assert_eq!(resolve_list_limit(Some(1000)).unwrap(), 1000);
        assert!(resolve_list_limit(Some(0)).is_err());
        assert_eq!(
            resolve_list_limit(Some(1001)).unwrap_err().to_string(),
            "KV LIST failed: 400 Invalid key_count_limit of 1001. Please specify an integer between 1 and 1000."
        );
        assert!(validate_bulk_count(KvOp::Put, 10_000).is_ok());
        assert!(validate_bulk_count(KvOp::Put, 10_001).is_err());
        assert!(validate_bulk_size(KvOp::Put, 99_999_999).is_ok());
        assert!(validate_bulk_size(KvOp::Put, 100_000_000).is_err());
    }
}

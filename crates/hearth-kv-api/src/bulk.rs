//! Parsing of the bulk formats shared by the REST API and `hearth kv bulk`:
//! wrangler's bulk-put file / Cloudflare's `PUT /bulk` body (a JSON array of
//! `{key, value, base64?, expiration?, expiration_ttl?, metadata?}`) and the
//! bulk-delete body (a JSON array of key strings; wrangler also accepts objects
//! with a `key` field).

use base64::Engine;
use serde_json::Value;

use hearth_kv::limits;
use hearth_kv::{BulkPair, KvError, KvOp};

/// Parses a bulk-put JSON document into pairs, checking the 10,000-pair and
/// 100 MB limits and each entry's shape. Key/value/metadata limits are checked by
/// [`hearth_kv::KvStore::bulk_put`].
pub fn parse_bulk_put(body: &[u8]) -> Result<Vec<BulkPair>, KvError> {
    limits::validate_bulk_size(KvOp::Put, body.len())?;
    let doc: Value = serde_json::from_slice(body)
        .map_err(|e| KvError::BadRequest(format!("bulk put body is not valid JSON: {e}")))?;
    let items = doc.as_array().ok_or_else(|| {
        KvError::BadRequest(
            "bulk put body must be a JSON array of {\"key\", \"value\"} objects".into(),
        )
    })?;
    limits::validate_bulk_count(KvOp::Put, items.len())?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| parse_pair(i, item))
        .collect()
}

fn parse_pair(i: usize, item: &Value) -> Result<BulkPair, KvError> {
    let bad = |msg: &str| KvError::BadRequest(format!("bulk entry #{i}: {msg}"));
    let obj = item
        .as_object()
        .ok_or_else(|| bad("must be an object with \"key\" and \"value\""))?;
    let key = obj
        .get("key")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("missing string field \"key\""))?
        .to_string();
    let value = obj
        .get("value")
        .and_then(Value::as_str)
        .ok_or_else(|| bad(&format!("key \"{key}\": missing string field \"value\"")))?;
    let is_b64 = obj.get("base64").and_then(Value::as_bool).unwrap_or(false);
    let value = if is_b64 {
        base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .map_err(|e| {
                bad(&format!(
                    "key \"{key}\": \"value\" is not valid base64 ({e})"
                ))
            })?
    } else {
        value.as_bytes().to_vec()
    };
    let int = |name: &str| -> Result<Option<i64>, KvError> {
        match obj.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .or_else(|| v.as_f64().map(|f| f as i64))
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .map(Some)
                .ok_or_else(|| bad(&format!("key \"{key}\": \"{name}\" must be a number"))),
        }
    };
    let expiration = int("expiration")?;
    let expiration_ttl = int("expiration_ttl")?;
    let metadata = match obj.get("metadata") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.to_string()),
    };
    Ok(BulkPair {
        key,
        value,
        expiration,
        expiration_ttl,
        metadata,
    })
}

/// Parses a bulk-delete JSON document: an array of key strings (or of objects
/// with a `key` field, as wrangler accepts).
pub fn parse_bulk_delete(body: &[u8]) -> Result<Vec<String>, KvError> {
    limits::validate_bulk_size(KvOp::Delete, body.len())?;
    let doc: Value = serde_json::from_slice(body)
        .map_err(|e| KvError::BadRequest(format!("bulk delete body is not valid JSON: {e}")))?;
    let items = doc.as_array().ok_or_else(|| {
        KvError::BadRequest("bulk delete body must be a JSON array of key names".into())
    })?;
    limits::validate_bulk_count(KvOp::Delete, items.len())?;
    items
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::String(s) => Ok(s.clone()),
            Value::Object(o) => o
                .get("key")
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| {
                    KvError::BadRequest(format!("bulk entry #{i}: missing string field \"key\""))
                }),
            _ => Err(KvError::BadRequest(format!(
                "bulk entry #{i}: must be a key name string"
            ))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_wrangler_format() {
        let pairs = parse_bulk_put(
            br#"[{"key":"a","value":"1"},{"key":"b","value":"aGk=","base64":true,"expiration_ttl":120,"metadata":{"x":1}}]"#,
        )
        .unwrap();
        assert_eq!(pairs[0].value, b"1");
        assert_eq!(pairs[1].value, b"hi");
        assert_eq!(pairs[1].expiration_ttl, Some(120));
        assert_eq!(pairs[1].metadata.as_deref(), Some("{\"x\":1}"));
        assert!(parse_bulk_put(br#"{"key":"a"}"#).is_err());
        assert!(parse_bulk_put(br#"[{"key":"a"}]"#).is_err());
        let many = format!("[{}]", vec![r#"{"key":"k","value":"v"}"#; 10_001].join(","));
        assert!(matches!(
            parse_bulk_put(many.as_bytes()),
            Err(KvError::TooManyBulkPairs { count: 10_001, .. })
        ));
        assert_eq!(
            parse_bulk_delete(br#"["a",{"key":"b"}]"#).unwrap(),
            vec!["a".to_string(), "b".to_string()]
        );
    }
}

//! D1's values, as they cross between SQLite and callers.

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::ToSql;

/// One SQL value. D1 hands blobs to JavaScript as arrays of byte numbers and
/// integers as JavaScript numbers (so integers beyond 2^53 lose precision,
/// as on Cloudflare); the conversion to JavaScript is the runtime's.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// A 64-bit integer.
    Integer(i64),
    /// A double.
    Real(f64),
    /// UTF-8 text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

impl Value {
    pub(crate) fn from_ref(v: ValueRef<'_>) -> Value {
        match v {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Real(f) => Value::Real(f),
            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        }
    }

    /// The value as JSON the way D1's HTTP API returns it: blobs as arrays
    /// of byte numbers.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Integer(i) => (*i).into(),
            Value::Real(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Text(s) => s.clone().into(),
            Value::Blob(b) => b.iter().map(|&x| serde_json::Value::from(x)).collect(),
        }
    }

    /// A parameter from JSON as D1's HTTP API takes it: numbers, strings,
    /// null, booleans (as 0/1) and arrays of byte numbers (blobs).
    pub fn from_json(v: &serde_json::Value) -> Result<Value, String> {
        Ok(match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Integer(*b as i64),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Integer(i),
                None => Value::Real(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::Text(s.clone()),
            serde_json::Value::Array(items) => Value::Blob(
                items
                    .iter()
                    .map(|b| {
                        b.as_u64()
                            .filter(|b| *b < 256)
                            .map(|b| b as u8)
                            .ok_or_else(|| format!("blob parameters are arrays of bytes, got {b}"))
                    })
                    .collect::<Result<_, _>>()?,
            ),
            serde_json::Value::Object(_) => {
                return Err(format!("Type 'object' not supported for value '{v}'"))
            }
        })
    }
}

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

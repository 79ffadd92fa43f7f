//! Durable Object ids: 64 hex digits, derived from a name or random.

use sha2::{Digest, Sha256};
use std::fmt;

/// A Durable Object id. Ids from `idFromName` are a hash of the class and the
/// name, so every call (and every hearth process sharing the state) agrees.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId([u8; 32]);

/// Why a string is not a Durable Object id.
#[derive(Debug, thiserror::Error)]
#[error("Invalid Durable Object ID: must be 64 hex digits, got {0:?}")]
pub struct ObjectIdError(pub String);

/// Marks ids made by `newUniqueId`, so `idFromName` ids never collide with them.
const UNIQUE_MARK: u8 = 0x80;

impl ObjectId {
    /// The id `idFromName(name)` returns in namespace `namespace`.
    pub fn from_name(namespace: &str, name: &str) -> ObjectId {
        let mut hasher = Sha256::new();
        hasher.update(namespace.as_bytes());
        hasher.update([0u8]);
        hasher.update(name.as_bytes());
        let mut bytes: [u8; 32] = hasher.finalize().into();
        bytes[0] &= !UNIQUE_MARK;
        ObjectId(bytes)
    }

    /// A fresh random id (`newUniqueId`).
    pub fn unique() -> ObjectId {
        let mut bytes: [u8; 32] = rand::random();
        bytes[0] |= UNIQUE_MARK;
        ObjectId(bytes)
    }

    /// Parses the 64-hex-digit form (`idFromString`).
    pub fn parse(s: &str) -> Result<ObjectId, ObjectIdError> {
        if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ObjectIdError(s.to_string()));
        }
        let mut bytes = [0u8; 32];
        for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
            let hex = std::str::from_utf8(chunk).map_err(|_| ObjectIdError(s.to_string()))?;
            bytes[i] = u8::from_str_radix(hex, 16).map_err(|_| ObjectIdError(s.to_string()))?;
        }
        Ok(ObjectId(bytes))
    }

    /// A stable number for placing the object on one event loop.
    pub fn shard(&self, shards: usize) -> usize {
        let n = u64::from_le_bytes(self.0[24..32].try_into().expect("8 bytes"));
        (n % shards.max(1) as u64) as usize
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_deterministic_and_distinct_per_namespace() {
        assert_eq!(ObjectId::from_name("A", "x"), ObjectId::from_name("A", "x"));
        assert_ne!(ObjectId::from_name("A", "x"), ObjectId::from_name("B", "x"));
        assert_ne!(ObjectId::from_name("A", "x"), ObjectId::from_name("A", "y"));
    }

    #[test]
    fn round_trips_through_strings() {
        let id = ObjectId::unique();
        assert_eq!(ObjectId::parse(&id.to_string()).unwrap(), id);
        assert!(ObjectId::parse("nope").is_err());
        assert!(ObjectId::parse(&"g".repeat(64)).is_err());
    }
}

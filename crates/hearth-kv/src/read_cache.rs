//! Recently read entries, kept in memory in front of SQLite.
//!
//! A SQLite read transaction in WAL mode takes process-wide mutexes and
//! `fcntl` locks on the shared-memory index, so threads reading at once queue
//! behind each other; a read-heavy worker spent most of its time there. Hot
//! keys are answered from this cache instead, without touching SQLite.
//!
//! Coherence: every hearth process writing the database (`hearth dev`, the
//! REST API inside it, `hearth kv`) stamps the file `kv.sqlite3-changes` with
//! a fresh value after each commit and before acknowledging the writes. A
//! reader compares the stamp with the one its cache was filled under and
//! drops everything when it differs, so a read never returns a value older
//! than a write that has been acknowledged. Tools other than hearth that
//! write the SQLite file directly do not stamp it and are not seen until the
//! next hearth write.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::KvEntry;

/// Suffix of the change-stamp file next to the database.
const STAMP_SUFFIX: &str = "-changes";
/// Larger values are not cached: copying them dominates their read anyway.
const MAX_CACHED_VALUE: usize = 64 << 10;
/// Memory budget of one store's cache; when exceeded the cache starts over.
const MAX_CACHED_BYTES: usize = 32 << 20;

/// The shared file whose contents change whenever any process commits a write.
struct ChangeStamp {
    file: File,
    /// Makes the stamps of one process distinct even within one clock tick.
    sequence: AtomicU64,
}

impl ChangeStamp {
    fn open(db: &Path) -> std::io::Result<ChangeStamp> {
        let mut name = db.as_os_str().to_owned();
        name.push(STAMP_SUFFIX);
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(name)?;
        Ok(ChangeStamp {
            file,
            sequence: AtomicU64::new(0),
        })
    }

    fn read(&self) -> u64 {
        let mut buf = [0u8; 8];
        match self.file.read_exact_at(&mut buf, 0) {
            Ok(()) => u64::from_le_bytes(buf),
            // Never stamped yet (or unreadable): a value no writer produces.
            Err(_) => 0,
        }
    }

    /// Writes a value no earlier stamp (from this or another process) had:
    /// process id, wall-clock nanoseconds and a per-process sequence mixed.
    fn bump(&self) {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let seq = self.sequence.fetch_add(1, Ordering::Relaxed);
        let stamp = nanos ^ ((std::process::id() as u64) << 44) ^ seq.rotate_left(32) | 1;
        let _ = self.file.write_all_at(&stamp.to_le_bytes(), 0);
    }
}

/// What the cache knows about one key: its entry, or that it does not exist.
type Known = Option<KvEntry>;

struct State {
    /// The stamp the cached entries were read under.
    stamp: u64,
    /// namespace id → key → entry; nested so lookups need no allocation.
    namespaces: HashMap<String, HashMap<String, Known>>,
    bytes: usize,
}

/// The cache of one [`crate::KvStore`].
pub(crate) struct ReadCache {
    changes: ChangeStamp,
    state: Mutex<State>,
}

/// A lookup's outcome: the answer, or the stamp to hand back to
/// [`ReadCache::insert`] after reading SQLite.
pub(crate) enum Lookup {
    Hit(Known),
    Miss(u64),
}

impl ReadCache {
    /// Opens the change stamp of the database at `db`.
    pub(crate) fn open(db: &Path) -> std::io::Result<ReadCache> {
        Ok(ReadCache {
            changes: ChangeStamp::open(db)?,
            state: Mutex::new(State {
                stamp: 0,
                namespaces: HashMap::new(),
                bytes: 0,
            }),
        })
    }

    /// Looks `key` up. An entry that has expired by `now` reads as missing.
    pub(crate) fn get(&self, ns: &str, key: &str, now: u64) -> Lookup {
        let stamp = self.changes.read();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.stamp != stamp {
            state.namespaces.clear();
            state.bytes = 0;
            state.stamp = stamp;
            return Lookup::Miss(stamp);
        }
        match state.namespaces.get(ns).and_then(|keys| keys.get(key)) {
            Some(Some(e)) if e.expiration.is_some_and(|exp| exp <= now) => Lookup::Hit(None),
            Some(known) => Lookup::Hit(known.clone()),
            None => Lookup::Miss(stamp),
        }
    }

    /// Remembers what SQLite returned for `key`, unless a write was committed
    /// since the lookup that missed (its stamp is `stamp`).
    pub(crate) fn insert(&self, stamp: u64, ns: &str, key: &str, known: &Known) {
        let size = key.len() + known.as_ref().map_or(0, entry_size);
        if size > MAX_CACHED_VALUE {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.stamp != stamp {
            return;
        }
        if state.bytes + size > MAX_CACHED_BYTES {
            state.namespaces.clear();
            state.bytes = 0;
        }
        state.bytes += size;
        state
            .namespaces
            .entry(ns.to_string())
            .or_default()
            .insert(key.to_string(), known.clone());
    }

    /// Called by the writer after each commit, before the writes are acknowledged.
    pub(crate) fn committed(&self) {
        self.changes.bump();
    }
}

fn entry_size(e: &KvEntry) -> usize {
    e.value.len() + e.metadata.as_ref().map_or(0, String::len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(v: &str) -> Known {
        Some(KvEntry {
            value: v.as_bytes().to_vec(),
            expiration: None,
            metadata: None,
        })
    }

    #[test]
    fn a_commit_in_another_handle_invalidates() {
        let dir = std::env::temp_dir().join(format!("hearth-kv-cache-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("kv.sqlite3");
        let reader = ReadCache::open(&db).unwrap();
        // Another process's store is another handle on the same stamp file.
        let writer = ReadCache::open(&db).unwrap();

        let Lookup::Miss(stamp) = reader.get("ns", "k", 0) else {
            panic!("an empty cache hit");
        };
        reader.insert(stamp, "ns", "k", &entry("v1"));
        assert!(matches!(reader.get("ns", "k", 0), Lookup::Hit(Some(e)) if e.value == b"v1"));

        writer.committed();
        assert!(matches!(reader.get("ns", "k", 0), Lookup::Miss(_)));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn expired_entries_read_as_missing_and_stale_inserts_are_dropped() {
        let dir = std::env::temp_dir().join(format!("hearth-kv-cache2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cache = ReadCache::open(&dir.join("kv.sqlite3")).unwrap();
        let Lookup::Miss(stamp) = cache.get("ns", "k", 0) else {
            panic!("an empty cache hit");
        };
        let expiring = Some(KvEntry {
            value: b"v".to_vec(),
            expiration: Some(100),
            metadata: None,
        });
        cache.insert(stamp, "ns", "k", &expiring);
        assert!(matches!(cache.get("ns", "k", 99), Lookup::Hit(Some(_))));
        assert!(matches!(cache.get("ns", "k", 100), Lookup::Hit(None)));

        // A read that raced with a commit must not be cached.
        let Lookup::Miss(before) = cache.get("ns", "other", 0) else {
            panic!("unexpected hit");
        };
        cache.committed();
        let _ = cache.get("ns", "other", 0);
        cache.insert(before, "ns", "other", &entry("old"));
        assert!(matches!(cache.get("ns", "other", 0), Lookup::Miss(_)));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! One bucket: a folder under `<state>/r2/<name>/` holding `meta.sqlite3`
//! (objects, multipart uploads and their parts), `blobs/` (one file per
//! object version or uploaded part, named by a random id) and `tmp/`
//! (uploads in progress).
//!
//! A put writes `tmp/<id>`, fsyncs it, renames it to `blobs/<id>`, fsyncs the
//! folder, and only then commits the row naming it (`synchronous=FULL`), so
//! a reader sees the old object or the whole new one, and a crash at any
//! point leaves the old object. The replaced version's file is removed after
//! the commit; files a crash left unnamed are removed when the bucket is
//! next opened.

use crate::object::{
    check_custom_metadata, check_key, limits, Conditional, HttpMetadata, Object, Range,
};
use crate::upload::{to_hex, TempFile, Upload, Written};
use crate::R2Error;
use base64::Engine;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long a writer waits for another process's transaction.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Files older than this that no row names are a crash's leftovers (younger
/// ones may be another process's upload in progress).
const ORPHAN_AGE: Duration = Duration::from_secs(3600);

/// Lists return at most this many entries by default.
const DEFAULT_LIST_LIMIT: usize = 1000;

/// The folder of the buckets under a state folder.
pub fn buckets_dir(state: &Path) -> PathBuf {
    state.join("r2")
}

/// Checks a name against R2's bucket naming rules: 3 to 63 characters,
/// lowercase letters, digits and hyphens, starting and ending with a letter
/// or digit.
pub fn check_bucket_name(name: &str) -> Result<(), R2Error> {
    let ok = (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(R2Error::invalid_bucket_name())
    }
}

/// A name that is safe as a folder name (bindings may name buckets wrangler
/// would not create remotely, so only path safety is checked).
fn check_folder_name(name: &str) -> Result<(), R2Error> {
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']) {
        return Err(R2Error::invalid_bucket_name());
    }
    Ok(())
}

/// The buckets of a state folder, by name.
pub fn list_buckets(state: &Path) -> Result<Vec<String>, R2Error> {
    let dir = buckets_dir(state);
    let mut names = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(names),
        Err(e) => return Err(e.into()),
    };
    for entry in entries {
        let entry = entry?;
        if entry.path().join("meta.sqlite3").is_file() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// Creates bucket `name` (R2's naming rules apply); an error if it exists.
pub fn create_bucket(state: &Path, name: &str) -> Result<Bucket, R2Error> {
    check_bucket_name(name)?;
    if buckets_dir(state).join(name).join("meta.sqlite3").exists() {
        return Err(R2Error {
            code: 10073,
            s3_code: "BucketAlreadyExists",
            status: 409,
            message: "The bucket you tried to create already exists, and you own it.".into(),
        });
    }
    Bucket::open(state, name)
}

/// Deletes bucket `name`, which must be empty (no objects, no uploads).
pub fn delete_bucket(state: &Path, name: &str) -> Result<(), R2Error> {
    check_folder_name(name)?;
    let dir = buckets_dir(state).join(name);
    if !dir.join("meta.sqlite3").is_file() {
        return Err(R2Error::no_such_bucket());
    }
    let bucket = Bucket::open(state, name)?;
    if !bucket.is_empty()? {
        return Err(R2Error::bucket_not_empty());
    }
    drop(bucket);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A random UUID (version 4), as R2's object versions are.
fn uuid() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = to_hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn sync_dir(dir: &Path) -> Result<(), R2Error> {
    File::open(dir)?.sync_all()?;
    Ok(())
}

/// A put's options beyond its key and body.
#[derive(Debug, Clone, Default)]
pub struct PutOptions {
    /// HTTP headers to store.
    pub http_metadata: HttpMetadata,
    /// User metadata to store.
    pub custom_metadata: BTreeMap<String, String>,
    /// Conditions on the object being replaced; the put does nothing when they fail.
    pub only_if: Option<Conditional>,
    /// Expected hex digests by algorithm; a mismatch fails with BadDigest.
    pub checksums: BTreeMap<String, String>,
}

/// What a get found.
#[derive(Debug)]
pub enum Got {
    /// The object, and its bytes `offset..offset+length` to read from `file`.
    Body {
        /// The object's metadata.
        object: Object,
        /// Its bytes, opened (a later put does not change what this reads).
        file: File,
        /// The first byte to read.
        offset: u64,
        /// How many bytes to read.
        length: u64,
    },
    /// The object, whose `onlyIf` conditions failed: no body.
    Failed(Object),
}

/// A list's options (R2ListOptions).
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    /// At most this many objects and delimited prefixes (1..=1000; default 1000).
    pub limit: Option<usize>,
    /// Only keys starting with this.
    pub prefix: Option<String>,
    /// Continue where a truncated list stopped.
    pub cursor: Option<String>,
    /// Groups keys sharing a prefix up to this string into `delimited_prefixes`.
    pub delimiter: Option<String>,
    /// Only keys after this one.
    pub start_after: Option<String>,
}

/// A list's answer.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// The objects, in key order.
    pub objects: Vec<Object>,
    /// Whether more entries follow.
    pub truncated: bool,
    /// Where the next list continues, when truncated.
    pub cursor: Option<String>,
    /// Prefixes up to the delimiter, in order.
    pub delimited_prefixes: Vec<String>,
}

/// A multipart upload's part as uploaded (R2UploadedPart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedPart {
    /// 1..=10000.
    pub part_number: u32,
    /// The part's MD5, hex.
    pub etag: String,
}

/// One bucket. Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct Bucket(Arc<Inner>);

struct Inner {
    name: String,
    dir: PathBuf,
    db: Mutex<Connection>,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Bucket").field(&self.0.name).finish()
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS objects (
    key TEXT PRIMARY KEY NOT NULL,
    version TEXT NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    uploaded INTEGER NOT NULL,
    http_metadata TEXT NOT NULL,
    custom_metadata TEXT NOT NULL,
    checksums TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS uploads (
    upload_id TEXT PRIMARY KEY NOT NULL,
    key TEXT NOT NULL,
    http_metadata TEXT NOT NULL,
    custom_metadata TEXT NOT NULL,
    created INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS parts (
    upload_id TEXT NOT NULL,
    part_number INTEGER NOT NULL,
    etag TEXT NOT NULL,
    size INTEGER NOT NULL,
    blob TEXT NOT NULL,
    PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;
";

const COLUMNS: &str =
    "key, version, size, etag, uploaded, http_metadata, custom_metadata, checksums";

fn object_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<Object> {
    let json = |i: usize| -> rusqlite::Result<String> { row.get(i) };
    Ok(Object {
        key: row.get(0)?,
        version: row.get(1)?,
        size: row.get::<_, i64>(2)? as u64,
        etag: row.get(3)?,
        uploaded: row.get(4)?,
        http_metadata: serde_json::from_str(&json(5)?).unwrap_or_default(),
        custom_metadata: serde_json::from_str(&json(6)?).unwrap_or_default(),
        checksums: serde_json::from_str(&json(7)?).unwrap_or_default(),
    })
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("metadata serializes")
}

fn find(db: &Connection, key: &str) -> rusqlite::Result<Option<Object>> {
    db.prepare_cached(&format!("SELECT {COLUMNS} FROM objects WHERE key = ?1"))?
        .query_row([key], object_of)
        .optional()
}

fn insert(db: &Connection, o: &Object) -> rusqlite::Result<()> {
    db.prepare_cached(&format!(
        "INSERT OR REPLACE INTO objects ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    ))?
    .execute(params![
        o.key,
        o.version,
        o.size as i64,
        o.etag,
        o.uploaded,
        to_json(&o.http_metadata),
        to_json(&o.custom_metadata),
        to_json(&o.checksums),
    ])?;
    Ok(())
}

impl Bucket {
    /// Opens bucket `name` under the state folder, creating it if needed,
    /// and removes what a crash left behind.
    pub fn open(state: &Path, name: &str) -> Result<Bucket, R2Error> {
        check_folder_name(name)?;
        let dir = buckets_dir(state).join(name);
        std::fs::create_dir_all(dir.join("blobs"))?;
        std::fs::create_dir_all(dir.join("tmp"))?;
        let db = Connection::open(dir.join("meta.sqlite3"))?;
        db.busy_timeout(BUSY_TIMEOUT)?;
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "FULL")?;
        db.execute_batch(SCHEMA)?;
        let bucket = Bucket(Arc::new(Inner {
            name: name.to_string(),
            dir,
            db: Mutex::new(db),
        }));
        bucket.sweep()?;
        Ok(bucket)
    }

    /// The bucket's name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.0.db.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn blob(&self, id: &str) -> PathBuf {
        self.0.dir.join("blobs").join(id)
    }

    /// Removes old files no row names: uploads a crash interrupted, and
    /// blobs renamed into place whose commit never happened.
    fn sweep(&self) -> Result<(), R2Error> {
        let old = |path: &Path| {
            std::fs::metadata(path)
                .and_then(|m| m.modified())
                .map(|t| t.elapsed().unwrap_or_default() > ORPHAN_AGE)
                .unwrap_or(false)
        };
        for entry in std::fs::read_dir(self.0.dir.join("tmp"))? {
            let path = entry?.path();
            if old(&path) {
                let _ = std::fs::remove_file(&path);
            }
        }
        let db = self.db();
        let mut named = db.prepare("SELECT 1 FROM objects WHERE version = ?1 UNION ALL SELECT 1 FROM parts WHERE blob = ?1")?;
        for entry in std::fs::read_dir(self.0.dir.join("blobs"))? {
            let entry = entry?;
            let id = entry.file_name().to_string_lossy().into_owned();
            if old(&entry.path()) && !named.exists([&id])? {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(())
    }

    /// Whether the bucket has no objects and no multipart uploads.
    pub fn is_empty(&self) -> Result<bool, R2Error> {
        let db = self.db();
        let any: bool = db.query_row(
            "SELECT EXISTS(SELECT 1 FROM objects) OR EXISTS(SELECT 1 FROM uploads)",
            [],
            |r| r.get(0),
        )?;
        Ok(!any)
    }

    /// The object's metadata, or None.
    pub fn head(&self, key: &str) -> Result<Option<Object>, R2Error> {
        check_key(key)?;
        Ok(find(&self.db(), key)?)
    }

    /// The object with its bytes (within `range`), its metadata alone when
    /// `only_if` fails, or None when it does not exist.
    pub fn get(
        &self,
        key: &str,
        only_if: Option<&Conditional>,
        range: Option<Range>,
    ) -> Result<Option<Got>, R2Error> {
        check_key(key)?;
        // A put replacing the object removes the old file after its commit:
        // a reader that lost that race reads the row again.
        for _ in 0..8 {
            let Some(object) = find(&self.db(), key)? else {
                return Ok(None);
            };
            if let Some(cond) = only_if {
                if !cond.holds(Some(&object)) {
                    return Ok(Some(Got::Failed(object)));
                }
            }
            let (offset, length) = match range {
                Some(r) => r.resolve(object.size)?,
                None => (0, object.size),
            };
            match File::open(self.blob(&object.version)) {
                Ok(file) => {
                    return Ok(Some(Got::Body {
                        object,
                        file,
                        offset,
                        length,
                    }))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(R2Error::internal(
            "the object kept changing while being read",
        ))
    }

    /// Starts writing a body into the bucket's `tmp/`, computing MD5 and
    /// `algorithms`' digests; at most `limit` bytes.
    pub fn begin(&self, algorithms: &[String], limit: u64) -> Result<Upload, R2Error> {
        Upload::create(self.0.dir.join("tmp").join(uuid()), algorithms, limit)
    }

    /// Starts writing the body of a single put (at most R2's 4.995 GiB).
    pub fn begin_put(&self, algorithms: &[String]) -> Result<Upload, R2Error> {
        self.begin(algorithms, limits::MAX_PUT_BYTES)
    }

    /// Moves finished bytes into `blobs/` under a new id, durably.
    fn place(&self, file: TempFile) -> Result<String, R2Error> {
        let id = uuid();
        let target = self.blob(&id);
        std::fs::rename(file.path(), &target)?;
        file.keep();
        sync_dir(&self.0.dir.join("blobs"))?;
        Ok(id)
    }

    /// Stores `body` as `key`: durable when this returns. `Ok(None)` when
    /// `only_if` failed (the object is unchanged). Blocks on fsync: call it
    /// off the event loop.
    pub fn put(
        &self,
        key: &str,
        body: Upload,
        options: PutOptions,
    ) -> Result<Option<Object>, R2Error> {
        check_key(key)?;
        check_custom_metadata(&options.custom_metadata)?;
        let written = body.finish()?;
        let mut checksums = BTreeMap::new();
        for (algorithm, expected) in &options.checksums {
            let actual = written.digests.get(algorithm);
            if actual.map(|a| a.eq_ignore_ascii_case(expected)) != Some(true) {
                return Err(R2Error::bad_digest(algorithm));
            }
            checksums.insert(algorithm.clone(), expected.to_ascii_lowercase());
        }
        let Written {
            file,
            size,
            digests,
        } = written;
        let etag = digests["md5"].clone();
        checksums.insert("md5".to_string(), etag.clone());
        let version = self.place(file)?;
        let object = Object {
            key: key.to_string(),
            version: version.clone(),
            size,
            etag,
            uploaded: now_ms(),
            http_metadata: options.http_metadata,
            custom_metadata: options.custom_metadata,
            checksums,
        };
        match self.commit(&object, options.only_if.as_ref(), |_| Ok(())) {
            Ok(Some(old)) => {
                if let Some(old) = old {
                    let _ = std::fs::remove_file(self.blob(&old));
                }
                Ok(Some(object))
            }
            Ok(None) => {
                let _ = std::fs::remove_file(self.blob(&version));
                Ok(None)
            }
            Err(e) => {
                let _ = std::fs::remove_file(self.blob(&version));
                Err(e)
            }
        }
    }

    /// Writes `object`'s row in one transaction with `also`, if `only_if`
    /// holds: `Some(replaced version)`, or None when it failed.
    fn commit(
        &self,
        object: &Object,
        only_if: Option<&Conditional>,
        also: impl FnOnce(&Connection) -> Result<(), R2Error>,
    ) -> Result<Option<Option<String>>, R2Error> {
        let mut db = self.db();
        let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = find(&tx, &object.key)?;
        if let Some(cond) = only_if {
            if !cond.holds(current.as_ref()) {
                return Ok(None);
            }
        }
        also(&tx)?;
        insert(&tx, object)?;
        tx.commit()?;
        Ok(Some(current.map(|c| c.version)))
    }

    /// Deletes keys (missing ones are ignored); durable when this returns.
    pub fn delete(&self, keys: &[String]) -> Result<(), R2Error> {
        if keys.len() > limits::MAX_LIST_KEYS {
            return Err(R2Error::invalid_argument(
                "at most 1000 keys can be deleted at once",
            ));
        }
        for key in keys {
            check_key(key)?;
        }
        let mut removed = Vec::new();
        {
            let mut db = self.db();
            let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut del =
                    tx.prepare_cached("DELETE FROM objects WHERE key = ?1 RETURNING version")?;
                for key in keys {
                    if let Some(v) = del.query_row([key], |r| r.get::<_, String>(0)).optional()? {
                        removed.push(v);
                    }
                }
            }
            tx.commit()?;
        }
        for version in removed {
            let _ = std::fs::remove_file(self.blob(&version));
        }
        Ok(())
    }

    /// Lists objects in key order (UTF-8 byte order, as R2).
    pub fn list(&self, options: &ListOptions) -> Result<Listing, R2Error> {
        let limit = options.limit.unwrap_or(DEFAULT_LIST_LIMIT);
        if limit == 0 || limit > limits::MAX_LIST_KEYS {
            return Err(R2Error::invalid_max_keys());
        }
        let prefix = options.prefix.clone().unwrap_or_default();
        let delimiter = options.delimiter.clone().filter(|d| !d.is_empty());
        let mut after: Option<String> = options.start_after.clone();
        if let Some(cursor) = &options.cursor {
            let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(cursor)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| R2Error::invalid_argument("cursor"))?;
            if after.as_ref().is_none_or(|a| decoded > *a) {
                after = Some(decoded);
            }
        }
        let db = self.db();
        let mut query = db.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM objects WHERE key > ?1 AND key >= ?2 ORDER BY key LIMIT ?3"
        ))?;
        let mut out = Listing::default();
        let mut count = 0;
        let mut last_bound: Option<String> = None;
        let batch = (limit + 1) as i64;
        'scan: loop {
            let lower = after.clone().unwrap_or_default();
            let rows: Vec<Object> = if after.is_none() {
                db.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM objects WHERE key >= ?1 ORDER BY key LIMIT ?2"
                ))?
                .query_map(params![prefix, batch], object_of)?
                .collect::<rusqlite::Result<_>>()?
            } else {
                query
                    .query_map(params![lower, prefix, batch], object_of)?
                    .collect::<rusqlite::Result<_>>()?
            };
            if rows.is_empty() {
                break;
            }
            for object in rows {
                if !object.key.starts_with(&prefix) {
                    break 'scan;
                }
                let group = delimiter.as_ref().and_then(|d| {
                    object.key[prefix.len()..]
                        .find(d.as_str())
                        .map(|i| object.key[..prefix.len() + i + d.len()].to_string())
                });
                if count == limit {
                    out.truncated = true;
                    break 'scan;
                }
                count += 1;
                match group {
                    Some(p) => {
                        // Everything under this prefix sorts before it
                        // followed by the highest code point.
                        let bound = format!("{p}\u{10FFFF}");
                        out.delimited_prefixes.push(p);
                        last_bound = Some(bound.clone());
                        after = Some(bound);
                        continue 'scan;
                    }
                    None => {
                        last_bound = Some(object.key.clone());
                        after = Some(object.key.clone());
                        out.objects.push(object);
                    }
                }
            }
        }
        if out.truncated {
            out.cursor = last_bound
                .map(|b| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b.as_bytes()));
        }
        Ok(out)
    }

    /// Starts a multipart upload of `key`; returns its id.
    pub fn create_multipart(
        &self,
        key: &str,
        http_metadata: &HttpMetadata,
        custom_metadata: &BTreeMap<String, String>,
    ) -> Result<String, R2Error> {
        check_key(key)?;
        check_custom_metadata(custom_metadata)?;
        let bytes: [u8; 24] = rand::random();
        let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        self.db().execute(
            "INSERT INTO uploads (upload_id, key, http_metadata, custom_metadata, created) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, key, to_json(http_metadata), to_json(custom_metadata), now_ms()],
        )?;
        Ok(id)
    }

    /// Starts writing a part's body (at most 5 GiB less 5 MiB).
    pub fn begin_part(&self) -> Result<Upload, R2Error> {
        self.begin(&[], limits::MAX_PART_BYTES)
    }

    fn upload_key(db: &Connection, upload_id: &str) -> Result<String, R2Error> {
        db.query_row(
            "SELECT key FROM uploads WHERE upload_id = ?1",
            [upload_id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(R2Error::no_such_upload)
    }

    /// Stores part `part_number` of upload `upload_id` of `key` (replacing
    /// an earlier upload of that part); durable when this returns.
    pub fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        body: Upload,
    ) -> Result<UploadedPart, R2Error> {
        if !(1..=limits::MAX_PARTS).contains(&part_number) {
            return Err(R2Error::invalid_argument(
                "part number must be between 1 and 10000",
            ));
        }
        if Self::upload_key(&self.db(), upload_id)? != key {
            return Err(R2Error::no_such_upload());
        }
        let written = body.finish()?;
        let etag = written.digests["md5"].clone();
        let size = written.size;
        let blob = self.place(written.file)?;
        let old = {
            let mut db = self.db();
            let tx = db.transaction_with_behavior(TransactionBehavior::Immediate);
            let result = tx.map_err(R2Error::from).and_then(|tx| {
                Self::upload_key(&tx, upload_id)?;
                let old: Option<String> = tx
                    .query_row(
                        "SELECT blob FROM parts WHERE upload_id = ?1 AND part_number = ?2",
                        params![upload_id, part_number],
                        |r| r.get(0),
                    )
                    .optional()?;
                tx.execute(
                    "INSERT OR REPLACE INTO parts (upload_id, part_number, etag, size, blob) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![upload_id, part_number, etag, size as i64, blob],
                )?;
                tx.commit()?;
                Ok(old)
            });
            match result {
                Ok(old) => old,
                Err(e) => {
                    let _ = std::fs::remove_file(self.blob(&blob));
                    return Err(e);
                }
            }
        };
        if let Some(old) = old {
            let _ = std::fs::remove_file(self.blob(&old));
        }
        Ok(UploadedPart { part_number, etag })
    }

    /// Joins the listed parts into `key` (R2's rules: ascending part
    /// numbers, every part but the last at least 5 MiB and all of them the
    /// same size); durable when this returns. Blocks on I/O.
    pub fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[UploadedPart],
    ) -> Result<Object, R2Error> {
        let (http, custom, stored) = {
            let db = self.db();
            let row: Option<(String, String, String)> = db
                .query_row(
                    "SELECT key, http_metadata, custom_metadata FROM uploads WHERE upload_id = ?1",
                    [upload_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((_, http, custom)) = row.filter(|(k, _, _)| k == key) else {
                return Err(R2Error::no_such_upload());
            };
            let mut stmt =
                db.prepare("SELECT part_number, etag, size, blob FROM parts WHERE upload_id = ?1")?;
            let stored: BTreeMap<u32, (String, u64, String)> = stmt
                .query_map([upload_id], |r| {
                    Ok((
                        r.get::<_, u32>(0)?,
                        (r.get(1)?, r.get::<_, i64>(2)? as u64, r.get(3)?),
                    ))
                })?
                .collect::<rusqlite::Result<_>>()?;
            (http, custom, stored)
        };
        if parts.is_empty() {
            return Err(R2Error::bad_upload("no parts were given"));
        }
        let mut chosen = Vec::with_capacity(parts.len());
        let mut previous = 0;
        for part in parts {
            if part.part_number <= previous {
                return Err(R2Error::bad_upload(
                    "parts must be in ascending order of part number",
                ));
            }
            previous = part.part_number;
            let Some((etag, size, blob)) = stored.get(&part.part_number) else {
                return Err(R2Error::invalid_part());
            };
            if part.etag.trim_matches('"') != etag {
                return Err(R2Error::invalid_part());
            }
            chosen.push((etag.clone(), *size, blob.clone()));
        }
        let first = chosen[0].1;
        for (i, (_, size, _)) in chosen.iter().enumerate() {
            let last = i + 1 == chosen.len();
            if !last && *size < limits::MIN_PART_BYTES {
                return Err(R2Error::entity_too_small());
            }
            if (!last && *size != first) || (last && *size > first) {
                return Err(R2Error::bad_upload(
                    "all non-trailing parts must have the same length",
                ));
            }
        }
        let tmp = TempFile::new(self.0.dir.join("tmp").join(uuid()));
        let mut out = File::create(tmp.path())?;
        let mut md5s = Vec::with_capacity(chosen.len() * 16);
        let mut total = 0u64;
        for (etag, size, blob) in &chosen {
            let mut part = File::open(self.blob(blob))?;
            std::io::copy(&mut part, &mut out)?;
            total += size;
            for i in (0..etag.len()).step_by(2) {
                md5s.push(u8::from_str_radix(&etag[i..i + 2], 16).unwrap_or(0));
            }
        }
        out.sync_all()?;
        drop(out);
        let etag = {
            use md5::Digest;
            format!("{}-{}", to_hex(&md5::Md5::digest(&md5s)), chosen.len())
        };
        let version = self.place(tmp)?;
        let object = Object {
            key: key.to_string(),
            version: version.clone(),
            size: total,
            etag,
            uploaded: now_ms(),
            http_metadata: serde_json::from_str(&http).unwrap_or_default(),
            custom_metadata: serde_json::from_str(&custom).unwrap_or_default(),
            checksums: BTreeMap::new(),
        };
        let upload = upload_id.to_string();
        let committed = self.commit(&object, None, move |db| {
            Self::upload_key(db, &upload)?;
            db.execute("DELETE FROM uploads WHERE upload_id = ?1", [&upload])?;
            db.execute("DELETE FROM parts WHERE upload_id = ?1", [&upload])?;
            Ok(())
        });
        match committed {
            Ok(old) => {
                for (_, _, blob) in stored.values() {
                    let _ = std::fs::remove_file(self.blob(blob));
                }
                if let Some(Some(old)) = old {
                    let _ = std::fs::remove_file(self.blob(&old));
                }
                Ok(object)
            }
            Err(e) => {
                let _ = std::fs::remove_file(self.blob(&version));
                Err(e)
            }
        }
    }

    /// Abandons a multipart upload and its parts.
    pub fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), R2Error> {
        let blobs: Vec<String> = {
            let mut db = self.db();
            let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if Self::upload_key(&tx, upload_id)? != key {
                return Err(R2Error::no_such_upload());
            }
            let blobs = tx
                .prepare("DELETE FROM parts WHERE upload_id = ?1 RETURNING blob")?
                .query_map([upload_id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            tx.execute("DELETE FROM uploads WHERE upload_id = ?1", [upload_id])?;
            tx.commit()?;
            blobs
        };
        for blob in blobs {
            let _ = std::fs::remove_file(self.blob(&blob));
        }
        Ok(())
    }
}

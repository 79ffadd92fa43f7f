//! One state folder, one server: `hearth dev` holds an exclusive lock on
//! `<state>/hearth-dev.lock` for as long as it runs, so a second server on the
//! same folder fails to start instead of splitting its Durable Objects' and
//! KV's writes with the first (each would cache and number them alone).
//! `hearth kv` and `hearth d1` do not take it: they work beside a running
//! server through SQLite's own locking, as with wrangler.

use anyhow::{bail, Context, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The lock file's name inside the state folder.
const LOCK_FILE: &str = "hearth-dev.lock";

/// The held lock; released when dropped or when the process ends (a
/// `kill -9` included: the kernel drops an `flock` with its last descriptor).
pub(crate) struct StateLock {
    _file: File,
}

impl StateLock {
    /// Takes the lock of the state folder `state` and records this process's
    /// id in it, or fails naming the process that holds it.
    pub(crate) fn acquire(state: &Path) -> Result<StateLock> {
        let path: PathBuf = state.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = match holder.trim() {
                    "" => "another process".to_string(),
                    pid => format!("process {pid}"),
                };
                bail!(
                    "the state folder {} is in use by {holder} (another `hearth dev`); \
                     stop it, or give this one its own folder with --persist-to",
                    state.display()
                );
            }
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        writeln!(file, "{}", std::process::id())?;
        file.flush()?;
        Ok(StateLock { _file: file })
    }
}

//! An object's bytes on their way in: written to a temporary file chunk by
//! chunk (never held whole in memory) while their digests are computed.

use crate::object::ALGORITHMS;
use crate::R2Error;
use sha2::digest::DynDigest;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file removed when dropped, unless [`TempFile::keep`] took it.
#[derive(Debug)]
pub(crate) struct TempFile(Option<PathBuf>);

impl TempFile {
    pub(crate) fn path(&self) -> &Path {
        self.0
            .as_deref()
            .expect("a temporary file is kept only once")
    }

    /// Stops the file from being removed (it was renamed into place).
    pub(crate) fn keep(mut self) {
        self.0 = None;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The body of a put or of a multipart part being written. Dropping it
/// (a failed or cancelled upload) removes its file.
pub struct Upload {
    out: BufWriter<File>,
    file: TempFile,
    size: u64,
    limit: u64,
    digests: Vec<(&'static str, Box<dyn DynDigest + Send>)>,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("file", &self.file)
            .field("size", &self.size)
            .finish()
    }
}

fn hasher(algorithm: &str) -> Option<Box<dyn DynDigest + Send>> {
    let d: Box<dyn DynDigest + Send> = match algorithm {
        "md5" => Box::new(md5::Md5::default()),
        "sha1" => Box::new(sha1::Sha1::default()),
        "sha256" => Box::new(sha2::Sha256::default()),
        "sha384" => Box::new(sha2::Sha384::default()),
        "sha512" => Box::new(sha2::Sha512::default()),
        _ => return None,
    };
    Some(d)
}

/// Bytes as lowercase hex.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of a finished upload: durable in their temporary file, with
/// their size and hex digests (always `md5`).
#[derive(Debug)]
pub(crate) struct Written {
    pub(crate) file: TempFile,
    pub(crate) size: u64,
    pub(crate) digests: BTreeMap<String, String>,
}

impl Upload {
    /// A new upload into `path` (in the bucket's `tmp/`), computing MD5 and
    /// the digests of `algorithms`, refusing more than `limit` bytes.
    pub(crate) fn create(
        path: PathBuf,
        algorithms: &[String],
        limit: u64,
    ) -> Result<Upload, R2Error> {
        let handle = File::create(&path)?;
        let mut digests = vec![("md5", hasher("md5").expect("md5 is known"))];
        for name in ALGORITHMS {
            if name != "md5" && algorithms.iter().any(|a| a == name) {
                digests.push((name, hasher(name).expect("listed algorithms are known")));
            }
        }
        Ok(Upload {
            out: BufWriter::with_capacity(256 * 1024, handle),
            file: TempFile(Some(path)),
            size: 0,
            limit,
            digests,
        })
    }

    /// Appends a chunk; R2's EntityTooLarge once the limit is passed.
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), R2Error> {
        if self.size + chunk.len() as u64 > self.limit {
            return Err(R2Error::entity_too_large());
        }
        self.out.write_all(chunk)?;
        for (_, d) in &mut self.digests {
            d.update(chunk);
        }
        self.size += chunk.len() as u64;
        Ok(())
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Flushes and fsyncs the file: its bytes are on disk when this returns.
    pub(crate) fn finish(self) -> Result<Written, R2Error> {
        let Upload {
            out,
            file,
            size,
            digests,
            ..
        } = self;
        let handle = out.into_inner().map_err(|e| e.into_error())?;
        handle.sync_all()?;
        let digests = digests
            .into_iter()
            .map(|(name, d)| (name.to_string(), to_hex(&d.finalize())))
            .collect();
        Ok(Written {
            file,
            size,
            digests,
        })
    }
}

impl TempFile {
    /// A file at `path` to be removed unless kept.
    pub(crate) fn new(path: PathBuf) -> TempFile {
        TempFile(Some(path))
    }
}

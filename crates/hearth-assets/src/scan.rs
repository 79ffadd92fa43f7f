//! Reading the assets folder at start-up: which files are assets
//! (`.assetsignore`), Cloudflare's limits, and the manifest from URL path to
//! file with its content hash.

use bytes::Bytes;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use crate::AssetsError;

/// Largest file Cloudflare accepts as an asset.
pub const MAX_ASSET_SIZE: u64 = 25 * 1024 * 1024;
/// Most files one version may have (wrangler's ceiling).
pub const MAX_ASSET_COUNT: usize = 100_000;
/// File bodies kept in memory, in total; past it, files are read per request.
const BODY_CACHE_BUDGET: usize = 256 * 1024 * 1024;

/// The names Cloudflare never serves from the folder's top level.
pub(crate) const IGNORE_FILE: &str = ".assetsignore";
pub(crate) const HEADERS_FILE: &str = "_headers";
pub(crate) const REDIRECTS_FILE: &str = "_redirects";

/// One served file.
#[derive(Debug)]
pub(crate) struct Entry {
    /// Where it is on disk.
    pub(crate) file: PathBuf,
    /// Hex content hash: the strong ETag's value.
    pub(crate) etag: String,
    /// From the extension, `; charset=utf-8` added to `text/*`.
    pub(crate) content_type: Option<String>,
    /// The bytes, once read (within the cache budget).
    body: OnceLock<Bytes>,
    /// Encoded bodies, compressed once on first request: `None` when the
    /// encoding does not make the file smaller.
    pub(crate) gzip: OnceLock<Option<Bytes>>,
    pub(crate) br: OnceLock<Option<Bytes>>,
}

impl Entry {
    /// The file's bytes: from memory, or read again from disk.
    pub(crate) fn body(&self) -> std::io::Result<Bytes> {
        match self.body.get() {
            Some(b) => Ok(b.clone()),
            None => std::fs::read(&self.file).map(Bytes::from),
        }
    }
}

/// URL path (decoded, `/`-rooted) → file.
#[derive(Debug, Default)]
pub(crate) struct Manifest {
    pub(crate) entries: HashMap<String, Entry>,
}

impl Manifest {
    /// The entry served at exactly `path`.
    pub(crate) fn get(&self, path: &str) -> Option<&Entry> {
        self.entries.get(path)
    }
}

/// Walks `dir`, applying `.assetsignore` and the limits.
pub(crate) fn scan(dir: &Path) -> Result<Manifest, AssetsError> {
    let meta = std::fs::metadata(dir).map_err(|source| AssetsError::Directory {
        dir: dir.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(AssetsError::Directory {
            dir: dir.to_path_buf(),
            source: std::io::Error::other("it is not a folder"),
        });
    }
    let ignore = ignore_rules(dir)?;
    let mut files = Vec::new();
    walk(dir, dir, &ignore, &mut files)?;
    if files.len() > MAX_ASSET_COUNT {
        return Err(AssetsError::TooMany {
            dir: dir.to_path_buf(),
            count: files.len(),
        });
    }
    let cached = AtomicUsize::new(0);
    let mut entries = HashMap::with_capacity(files.len());
    for (path, file) in files {
        let bytes = std::fs::read(&file).map_err(|source| AssetsError::Io {
            path: file.clone(),
            source,
        })?;
        let etag = hex(&Sha256::digest(&bytes)[..16]);
        let body = OnceLock::new();
        if cached.fetch_add(bytes.len(), Ordering::Relaxed) + bytes.len() <= BODY_CACHE_BUDGET {
            let _ = body.set(Bytes::from(bytes));
        }
        entries.insert(
            path,
            Entry {
                content_type: content_type(&file),
                file,
                etag,
                body,
                gzip: OnceLock::new(),
                br: OnceLock::new(),
            },
        );
    }
    Ok(Manifest { entries })
}

/// `.assetsignore` (gitignore syntax) plus the files Cloudflare always
/// leaves out: `.assetsignore`, `_headers` and `_redirects` at the top.
fn ignore_rules(dir: &Path) -> Result<Gitignore, AssetsError> {
    let mut builder = GitignoreBuilder::new(dir);
    for name in [IGNORE_FILE, HEADERS_FILE, REDIRECTS_FILE] {
        let _ = builder.add_line(None, &format!("/{name}"));
    }
    let file = dir.join(IGNORE_FILE);
    if file.is_file() {
        if let Some(err) = builder.add(&file) {
            return Err(AssetsError::Ignore {
                path: file,
                message: err.to_string(),
            });
        }
    }
    builder.build().map_err(|e| AssetsError::Ignore {
        path: file,
        message: e.to_string(),
    })
}

fn walk(
    root: &Path,
    dir: &Path,
    ignore: &Gitignore,
    out: &mut Vec<(String, PathBuf)>,
) -> Result<(), AssetsError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| AssetsError::Io { path, source }
    };
    let mut children: Vec<_> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .collect::<Result<_, _>>()
        .map_err(io(dir))?;
    children.sort_by_key(|e| e.file_name());
    for child in children {
        let path = child.path();
        // Follows symlinks, as wrangler's walk does.
        let meta = std::fs::metadata(&path).map_err(io(&path))?;
        if ignore.matched(&path, meta.is_dir()).is_ignore() {
            continue;
        }
        if meta.is_dir() {
            walk(root, &path, ignore, out)?;
        } else if meta.is_file() {
            if meta.len() > MAX_ASSET_SIZE {
                return Err(AssetsError::TooLarge {
                    path,
                    size: meta.len(),
                });
            }
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let url: String = relative
                .components()
                .map(|c| format!("/{}", c.as_os_str().to_string_lossy()))
                .collect();
            out.push((url, path));
        }
    }
    Ok(())
}

/// The Content-Type wrangler gives a file: the extension's MIME type, with
/// `; charset=utf-8` on `text/*`.
fn content_type(file: &Path) -> Option<String> {
    let mime = mime_guess::from_path(file).first()?;
    let essence = match mime.essence_str() {
        // The current standard name (RFC 9239), as wrangler's `mime` gives it.
        "application/javascript" | "application/x-javascript" => "text/javascript",
        other => other,
    };
    Some(if essence.starts_with("text/") {
        format!("{essence}; charset=utf-8")
    } else {
        essence.to_string()
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

//! Workers Static Assets, as Cloudflare serves them, knowing nothing of
//! JavaScript.
//!
//! [`Assets::load`] scans the folder of `[assets] directory` once (the
//! `.assetsignore` file, 25 MiB per file and the file-count limit, the
//! `_headers` and `_redirects` files) and builds the manifest. Then, per
//! request:
//!
//! * [`Assets::worker_first`] decides, as Cloudflare's router does, whether
//!   the worker runs (`run_worker_first`, or no asset for the path) or the
//!   assets answer without entering it;
//! * [`Assets::serve`] answers as Cloudflare's asset worker does (also for
//!   `env.ASSETS.fetch()`): `_redirects`, `html_handling`'s 307s,
//!   `not_found_handling`, `_headers`, strong ETags and `If-None-Match`,
//!   `Range`, `HEAD`, and gzip/br encodings compressed once and kept.
//!
//! The routing follows the rules of Cloudflare's documentation and of its
//! open-source asset and router workers (workers-shared in workers-sdk).

#![warn(missing_docs)]

#[doc(hidden)]
pub mod fuzzing;
mod http_body;
mod rules;
mod scan;

use bytes::Bytes;
use hearth_config::assets::{HtmlHandling, NotFoundHandling, RunWorkerFirst};
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode};
use std::path::{Path, PathBuf};

pub use hearth_config::assets::Assets as AssetsConfig;
pub use scan::{MAX_ASSET_COUNT, MAX_ASSET_SIZE};

/// Why the assets folder cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum AssetsError {
    /// The folder is missing or not a folder.
    #[error("the assets folder {} cannot be read: {source}", .dir.display())]
    Directory {
        /// The configured folder.
        dir: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// A file is over Cloudflare's per-file limit.
    #[error(
        "{} is {size} bytes; Cloudflare serves assets of at most 25 MiB ({MAX_ASSET_SIZE} bytes): \
         split it, or leave it out with .assetsignore",
        .path.display()
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
    },
    /// The folder has more files than Cloudflare accepts.
    #[error(
        "the assets folder {} has {count} files; Cloudflare serves at most {MAX_ASSET_COUNT} \
         per version (check that `directory` is the build output, or use .assetsignore)",
        .dir.display()
    )]
    TooMany {
        /// The folder.
        dir: PathBuf,
        /// How many files it has.
        count: usize,
    },
    /// `.assetsignore` cannot be used.
    #[error("{}: {message}", .path.display())]
    Ignore {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A file or folder could not be read.
    #[error("cannot read {}: {source}", .path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
}

/// The scanned assets of one worker version.
#[derive(Debug)]
pub struct Assets {
    config: AssetsConfig,
    manifest: scan::Manifest,
    redirects: rules::Redirects,
    headers: rules::Headers,
    /// `assets_navigation_prefers_asset_serving`: a browser navigation
    /// (`Sec-Fetch-Mode: navigate`) gets `not_found_handling` ahead of the worker.
    navigation_prefers_assets: bool,
    warnings: Vec<String>,
}

/// What an asset request resolved to (before HTTP details).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Intent<'a> {
    /// Serve this file with this status (200, or 404 for a 404 page).
    Asset(&'a str, StatusCode),
    /// Redirect (307) to this canonical path.
    Redirect(String),
}

impl Assets {
    /// Scans `config.directory`. `navigation_prefers_assets` is the
    /// worker's `assets_navigation_prefers_asset_serving` compatibility
    /// switch. Problems in `_headers` and `_redirects` do not fail: the line
    /// is skipped and [`Assets::warnings`] says which, as wrangler does.
    pub fn load(
        config: &AssetsConfig,
        navigation_prefers_assets: bool,
    ) -> Result<Assets, AssetsError> {
        let manifest = scan::scan(&config.directory)?;
        let mut warnings = Vec::new();
        let read = |name: &str| -> Result<Option<(PathBuf, String)>, AssetsError> {
            let path = config.directory.join(name);
            match std::fs::read(&path) {
                Ok(bytes) => Ok(Some((path, String::from_utf8_lossy(&bytes).into_owned()))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(source) => Err(AssetsError::Io { path, source }),
            }
        };
        let redirects = match read(scan::REDIRECTS_FILE)? {
            Some((path, text)) => rules::Redirects::parse(
                &text,
                &path,
                config.html_handling != HtmlHandling::None,
                &mut warnings,
            ),
            None => rules::Redirects::default(),
        };
        let headers = match read(scan::HEADERS_FILE)? {
            Some((path, text)) => rules::Headers::parse(&text, &path, &mut warnings),
            None => rules::Headers::default(),
        };
        Ok(Assets {
            config: config.clone(),
            manifest,
            redirects,
            headers,
            navigation_prefers_assets,
            warnings,
        })
    }

    /// The configuration these assets were loaded with.
    pub fn config(&self) -> &AssetsConfig {
        &self.config
    }

    /// The folder served.
    pub fn directory(&self) -> &Path {
        &self.config.directory
    }

    /// How many files are served.
    pub fn len(&self) -> usize {
        self.manifest.entries.len()
    }

    /// Whether no file is served.
    pub fn is_empty(&self) -> bool {
        self.manifest.entries.is_empty()
    }

    /// One message per skipped `_headers` / `_redirects` line, naming the
    /// file and line.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Whether a request goes to the worker (`true`) or is answered by
    /// [`Assets::serve`] without entering it, as Cloudflare's router
    /// decides: `run_worker_first` patterns (negations first), then `true`,
    /// then whether any asset (or `_redirects` rule) answers the path.
    /// `has_worker` is false for an assets-only project.
    pub fn worker_first(
        &self,
        method: &Method,
        uri: &http::Uri,
        headers: &HeaderMap,
        has_worker: bool,
    ) -> bool {
        if !has_worker {
            return false;
        }
        let path = uri.path();
        let routes = match &self.config.run_worker_first {
            RunWorkerFirst::Always => return true,
            RunWorkerFirst::Routes { worker, assets } => {
                if assets.iter().any(|p| hearth_config::glob_match(p, path)) {
                    return false;
                }
                if worker.iter().any(|p| hearth_config::glob_match(p, path)) {
                    return true;
                }
                true
            }
            RunWorkerFirst::Never => false,
        };
        let navigate = self.navigation_prefers_assets
            && headers
                .get("sec-fetch-mode")
                .is_some_and(|v| v.as_bytes() == b"navigate");
        let not_found = if routes || navigate {
            self.config.not_found_handling
        } else {
            NotFoundHandling::None
        };
        let host = host_of(uri, headers);
        matches!(
            self.resolve(method, uri, &host, not_found),
            Resolved::NoIntent
        )
    }

    /// Answers a request as Cloudflare's asset worker does: what a request
    /// routed to the assets gets, and what `env.ASSETS.fetch()` returns.
    pub fn serve(&self, method: &Method, uri: &http::Uri, headers: &HeaderMap) -> Response<Bytes> {
        let host = host_of(uri, headers);
        let mut response = match self.resolve(method, uri, &host, self.config.not_found_handling) {
            Resolved::NoIntent | Resolved::NotFound => empty(StatusCode::NOT_FOUND),
            Resolved::MethodNotAllowed => empty(StatusCode::METHOD_NOT_ALLOWED),
            Resolved::Redirect(status, location) => {
                let mut r = empty(status);
                if let Ok(v) = HeaderValue::from_str(&location) {
                    r.headers_mut().insert(http::header::LOCATION, v);
                }
                r
            }
            Resolved::Asset(path, status) => {
                let entry = self
                    .manifest
                    .get(path)
                    .expect("resolved to a manifest entry");
                http_body::respond(entry, status, method, headers)
            }
        };
        self.headers
            .apply(&host, uri.path(), response.headers_mut());
        response
    }

    fn resolve(
        &self,
        method: &Method,
        uri: &http::Uri,
        host: &str,
        not_found: NotFoundHandling,
    ) -> Resolved<'_> {
        let search = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
        let mut pathname = uri.path().to_string();
        let mut proxied = false;
        if let Some(rule) = self.redirects.find(host, &pathname) {
            if rule.status == 200 {
                pathname = rule.to.split(['?', '#']).next().unwrap_or("/").to_string();
                proxied = true;
            } else {
                let status = StatusCode::from_u16(rule.status).unwrap_or(StatusCode::FOUND);
                return Resolved::Redirect(status, redirect_location(&rule.to, &search));
            }
        }
        let decoded = decode_path(&pathname);
        let Some(intent) = self.intent(&decoded, not_found, false) else {
            return if proxied {
                Resolved::NotFound
            } else {
                Resolved::NoIntent
            };
        };
        if method != Method::GET && method != Method::HEAD {
            return Resolved::MethodNotAllowed;
        }
        match intent {
            Intent::Redirect(to) => Resolved::Redirect(
                StatusCode::TEMPORARY_REDIRECT,
                format!("{}{search}", encode_path(&to)),
            ),
            Intent::Asset(path, status) => {
                let encoded = encode_path(&decoded);
                if encoded != pathname {
                    Resolved::Redirect(StatusCode::TEMPORARY_REDIRECT, format!("{encoded}{search}"))
                } else {
                    Resolved::Asset(path, status)
                }
            }
        }
    }

    /// The manifest key and ETag of the file at exactly `path`.
    fn exists(&self, path: &str) -> Option<(&str, &str)> {
        self.manifest
            .entries
            .get_key_value(path)
            .map(|(k, e)| (k.as_str(), e.etag.as_str()))
    }

    fn asset(&self, path: &str) -> Option<Intent<'_>> {
        self.exists(path)
            .map(|(k, _)| Intent::Asset(k, StatusCode::OK))
    }

    /// Redirects to `destination` when it serves the same file as `file`
    /// (and is not itself a file), so a redirect never lands on a 404.
    fn safe_redirect(
        &self,
        file: &str,
        destination: &str,
        not_found: NotFoundHandling,
        skip: bool,
    ) -> Option<Intent<'_>> {
        if skip || self.exists(destination).is_some() {
            return None;
        }
        let Some(Intent::Asset(target, _)) = self.intent(destination, not_found, true) else {
            return None;
        };
        let target_etag = self.manifest.get(target).map(|e| e.etag.as_str());
        let file_etag = self.exists(file).map(|(_, etag)| etag);
        (file_etag.is_some() && target_etag == file_etag)
            .then(|| Intent::Redirect(destination.to_string()))
    }

    fn intent(&self, p: &str, nf: NotFoundHandling, skip: bool) -> Option<Intent<'_>> {
        let redirect = |file: &str, dest: &str| self.safe_redirect(file, dest, nf, skip);
        let exact = self.asset(p);
        let found = match self.config.html_handling {
            HtmlHandling::None => exact,
            HtmlHandling::AutoTrailingSlash => {
                let early = if let Some(stem) = p.strip_suffix("/index") {
                    if exact.is_some() {
                        return exact;
                    }
                    redirect(&format!("{p}.html"), &format!("{stem}/"))
                        .or_else(|| redirect(&format!("{stem}.html"), stem))
                } else if let Some(stem) = p.strip_suffix("/index.html") {
                    redirect(p, &format!("{stem}/"))
                        .or_else(|| redirect(&format!("{stem}.html"), stem))
                } else if let Some(stem) = p.strip_suffix('/') {
                    self.asset(&format!("{p}index.html"))
                        .or_else(|| redirect(&format!("{stem}.html"), stem))
                } else if let Some(stem) = p.strip_suffix(".html") {
                    redirect(p, stem)
                        .or_else(|| redirect(&format!("{stem}/index.html"), &format!("{stem}/")))
                } else {
                    None
                };
                early
                    .or(exact)
                    .or_else(|| self.asset(&format!("{p}.html")))
                    .or_else(|| redirect(&format!("{p}/index.html"), &format!("{p}/")))
            }
            HtmlHandling::ForceTrailingSlash => {
                let early = if let Some(stem) = p.strip_suffix("/index") {
                    if exact.is_some() {
                        return exact;
                    }
                    redirect(&format!("{p}.html"), &format!("{stem}/"))
                        .or_else(|| redirect(&format!("{stem}.html"), &format!("{stem}/")))
                } else if let Some(stem) = p.strip_suffix("/index.html") {
                    redirect(p, &format!("{stem}/"))
                        .or_else(|| redirect(&format!("{stem}.html"), &format!("{stem}/")))
                } else if let Some(stem) = p.strip_suffix('/') {
                    self.asset(&format!("{p}index.html"))
                        .or_else(|| self.asset(&format!("{stem}.html")))
                } else if let Some(stem) = p.strip_suffix(".html") {
                    redirect(p, &format!("{stem}/"))
                        .or_else(|| exact.clone())
                        .or_else(|| redirect(&format!("{stem}/index.html"), &format!("{stem}/")))
                } else {
                    None
                };
                early
                    .or(exact)
                    .or_else(|| redirect(&format!("{p}.html"), &format!("{p}/")))
                    .or_else(|| redirect(&format!("{p}/index.html"), &format!("{p}/")))
            }
            HtmlHandling::DropTrailingSlash => {
                let early = if let Some(stem) = p.strip_suffix("/index") {
                    if exact.is_some() {
                        return exact;
                    }
                    if p == "/index" {
                        redirect("/index.html", "/")
                    } else {
                        redirect(&format!("{stem}.html"), stem)
                            .or_else(|| redirect(&format!("{p}.html"), stem))
                    }
                } else if let Some(stem) = p.strip_suffix("/index.html") {
                    if p == "/index.html" {
                        redirect("/index.html", "/")
                    } else {
                        redirect(p, stem)
                            .or_else(|| exact.clone())
                            .or_else(|| redirect(&format!("{stem}.html"), stem))
                    }
                } else if let Some(stem) = p.strip_suffix('/') {
                    if p == "/" {
                        self.asset("/index.html")
                    } else {
                        redirect(&format!("{stem}.html"), stem)
                            .or_else(|| redirect(&format!("{stem}/index.html"), stem))
                    }
                } else if let Some(stem) = p.strip_suffix(".html") {
                    redirect(p, stem).or_else(|| redirect(&format!("{stem}/index.html"), stem))
                } else {
                    None
                };
                early
                    .or(exact)
                    .or_else(|| self.asset(&format!("{p}.html")))
                    .or_else(|| self.asset(&format!("{p}/index.html")))
            }
        };
        found.or_else(|| self.not_found(p, nf))
    }

    fn not_found(&self, p: &str, nf: NotFoundHandling) -> Option<Intent<'_>> {
        match nf {
            NotFoundHandling::None => None,
            NotFoundHandling::SinglePageApplication => self.asset("/index.html"),
            NotFoundHandling::NotFoundPage => {
                let mut cwd = p;
                while !cwd.is_empty() {
                    cwd = &cwd[..cwd.rfind('/').unwrap_or(0)];
                    if let Some((key, _)) = self.exists(&format!("{cwd}/404.html")) {
                        return Some(Intent::Asset(key, StatusCode::NOT_FOUND));
                    }
                }
                None
            }
        }
    }
}

/// The outcome of routing one request through the assets.
enum Resolved<'a> {
    /// Nothing here: the worker's turn (or a plain 404).
    NoIntent,
    /// A `_redirects` 200 rewrite to a path with no file.
    NotFound,
    MethodNotAllowed,
    Redirect(StatusCode, String),
    Asset(&'a str, StatusCode),
}

fn empty(status: StatusCode) -> Response<Bytes> {
    let mut r = Response::new(Bytes::new());
    *r.status_mut() = status;
    r
}

/// The request's host (with its port), from the URI or the Host header.
fn host_of(uri: &http::Uri, headers: &HeaderMap) -> String {
    uri.authority()
        .map(|a| a.as_str().to_string())
        .or_else(|| {
            headers
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        })
        .unwrap_or_default()
}

/// A `_redirects` target keeps its own query, else gets the request's.
fn redirect_location(to: &str, search: &str) -> String {
    let (before_hash, hash) = match to.find('#') {
        Some(i) => (&to[..i], &to[i..]),
        None => (to, ""),
    };
    if before_hash.contains('?') {
        to.to_string()
    } else {
        format!("{before_hash}{search}{hash}")
    }
}

/// Percent-decodes each segment (a segment that does not decode stays as
/// it is) and collapses repeated slashes.
fn decode_path(path: &str) -> String {
    let decoded: Vec<String> = path
        .split('/')
        .map(|segment| {
            percent_encoding::percent_decode_str(segment)
                .decode_utf8()
                .map(|s| s.into_owned())
                .unwrap_or_else(|_| segment.to_string())
        })
        .collect();
    let mut out = String::with_capacity(path.len());
    for c in decoded.join("/").chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    out
}

/// What `encodeURIComponent` leaves alone: the canonical spelling of a path.
const COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

fn encode_path(path: &str) -> String {
    path.split('/')
        .map(|s| percent_encoding::utf8_percent_encode(s, COMPONENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests;

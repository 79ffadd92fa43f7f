//! The logic behind `hearth kv ...`, with wrangler 4's command shapes and output.
//!
//! The `hearth` binary parses `hearth kv <KvCommand>` with clap and calls [`run`]
//! with the `--persist-to` KV directory and the `kv_namespaces` bindings from the
//! project's config. The commands act on the same database as a running
//! `hearth dev` (SQLite WAL mode and a busy timeout make that safe).

use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use clap::{Args, Subcommand};
use serde_json::json;

use crate::bulk;
use hearth_kv::{KvError, KvStore, ListOptions, Namespace, PutOptions};

/// `hearth kv ...` subcommands (wrangler 4's `wrangler kv ...`).
#[derive(Debug, Clone, Subcommand)]
pub enum KvCommand {
    /// Manage KV namespaces.
    #[command(subcommand)]
    Namespace(NamespaceCommand),
    /// Read and write individual keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Write or delete many keys from a JSON file.
    #[command(subcommand)]
    Bulk(BulkCommand),
}

/// `hearth kv namespace ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum NamespaceCommand {
    /// Create a namespace and print the config snippet that binds it.
    Create {
        /// The namespace's title (also used as the suggested binding name).
        namespace: String,
        /// Accepted for wrangler compatibility; hearth has no separate preview namespaces.
        #[arg(long)]
        preview: bool,
    },
    /// List all namespaces as JSON.
    List,
    /// Delete a namespace and all its keys.
    Delete {
        /// Which namespace.
        #[command(flatten)]
        target: Target,
    },
    /// Rename a namespace.
    Rename {
        /// The current title (alternative to --namespace-id).
        old_name: Option<String>,
        /// The namespace id.
        #[arg(long = "namespace-id")]
        namespace_id: Option<String>,
        /// The new title.
        #[arg(long = "new-name")]
        new_name: String,
    },
}

/// `hearth kv key ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum KeyCommand {
    /// Write a value (given inline or read from --path).
    Put {
        /// The key.
        key: String,
        /// The value (omit when using --path).
        value: Option<String>,
        /// Read the value from this file.
        #[arg(long)]
        path: Option<PathBuf>,
        /// Expire the key this many seconds from now (at least 60).
        #[arg(long)]
        ttl: Option<i64>,
        /// Expire the key at this unix time (at least 60 s ahead).
        #[arg(long)]
        expiration: Option<i64>,
        /// Metadata as a JSON string (at most 1024 bytes).
        #[arg(long)]
        metadata: Option<String>,
        /// Which namespace.
        #[command(flatten)]
        target: Target,
    },
    /// Print a value.
    Get {
        /// The key.
        key: String,
        /// Decode the value as UTF-8 text.
        #[arg(long)]
        text: bool,
        /// Which namespace.
        #[command(flatten)]
        target: Target,
    },
    /// Delete a key.
    Delete {
        /// The key.
        key: String,
        /// Which namespace.
        #[command(flatten)]
        target: Target,
    },
    /// List keys as JSON.
    List {
        /// Only keys starting with this prefix.
        #[arg(long)]
        prefix: Option<String>,
        /// Which namespace.
        #[command(flatten)]
        target: Target,
    },
}

/// `hearth kv bulk ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum BulkCommand {
    /// Write pairs from a JSON file: `[{"key", "value", "base64"?, "expiration"?, "expiration_ttl"?, "metadata"?}]`.
    Put {
        /// The JSON file.
        filename: PathBuf,
        /// Which namespace.
        #[command(flatten)]
        target: Target,
    },
    /// Delete the keys listed in a JSON file (an array of key names).
    Delete {
        /// The JSON file.
        filename: PathBuf,
        /// Do not ask for confirmation (hearth never asks; accepted for compatibility).
        #[arg(long, short = 'f')]
        force: bool,
        /// Which namespace.
        #[command(flatten)]
        target: Target,
    },
    /// Print the values of the keys listed in a JSON file.
    Get {
        /// The JSON file (an array of key names).
        filename: PathBuf,
        /// Which namespace.
        #[command(flatten)]
        target: Target,
    },
}

/// Selects a namespace: `--binding NAME` (from the config) or `--namespace-id ID`.
#[derive(Debug, Clone, Default, Args)]
pub struct Target {
    /// The binding name from wrangler.toml's `kv_namespaces`.
    #[arg(long)]
    pub binding: Option<String>,
    /// The namespace id.
    #[arg(long = "namespace-id")]
    pub namespace_id: Option<String>,
    /// Accepted for wrangler compatibility (hearth has no preview namespaces).
    #[arg(long)]
    pub preview: bool,
    /// Act on local state (the default, and the only option in hearth).
    #[arg(long)]
    pub local: bool,
    /// Not supported: hearth manages its own storage, not Cloudflare's.
    #[arg(long)]
    pub remote: bool,
}

/// Runs a `hearth kv` command against the KV store in `store_dir`, printing to stdout.
/// `bindings` are the `(binding, id)` pairs of the project's `kv_namespaces`.
pub fn run(store_dir: &Path, bindings: &[(String, String)], cmd: KvCommand) -> Result<(), KvError> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    run_to(store_dir, bindings, cmd, &mut out)
}

/// Like [`run`], writing the output to `out`.
pub fn run_to(
    store_dir: &Path,
    bindings: &[(String, String)],
    cmd: KvCommand,
    out: &mut dyn Write,
) -> Result<(), KvError> {
    let store = KvStore::open(store_dir)?;
    store.apply_clock_offset_from_env();
    execute(&store, bindings, cmd, out)
}

/// Runs a command against an already open store.
pub fn execute(
    store: &KvStore,
    bindings: &[(String, String)],
    cmd: KvCommand,
    out: &mut dyn Write,
) -> Result<(), KvError> {
    match cmd {
        KvCommand::Namespace(c) => namespace_cmd(store, bindings, c, out),
        KvCommand::Key(c) => key_cmd(store, bindings, c, out),
        KvCommand::Bulk(c) => bulk_cmd(store, bindings, c, out),
    }
}

fn w(out: &mut dyn Write, text: impl AsRef<str>) -> Result<(), KvError> {
    writeln!(out, "{}", text.as_ref())?;
    Ok(())
}

fn namespace_cmd(
    store: &KvStore,
    bindings: &[(String, String)],
    cmd: NamespaceCommand,
    out: &mut dyn Write,
) -> Result<(), KvError> {
    match cmd {
        NamespaceCommand::Create { namespace, .. } => {
            w(
                out,
                format!("🌀 Creating namespace with title \"{namespace}\""),
            )?;
            let ns = store.create_namespace(&namespace)?;
            w(out, "✨ Success!")?;
            w(
                out,
                "To access your new KV Namespace in your Worker, add the following snippet to your configuration file:",
            )?;
            w(
                out,
                format!(
                    "[[kv_namespaces]]\nbinding = \"{}\"\nid = \"{}\"",
                    binding_name(&namespace),
                    ns.id
                ),
            )
        }
        NamespaceCommand::List => {
            let list: Vec<_> = store
                .list_namespaces()?
                .iter()
                .map(|n| json!({"id": n.id, "title": n.title, "supports_url_encoding": true}))
                .collect();
            w(out, pretty(&serde_json::Value::Array(list)))
        }
        NamespaceCommand::Delete { target } => {
            let ns = resolve(store, bindings, &target)?;
            w(out, format!("Deleting KV namespace {}.", ns.id))?;
            store.delete_namespace(&ns.id)?;
            w(out, format!("Deleted KV namespace {}.", ns.id))
        }
        NamespaceCommand::Rename {
            old_name,
            namespace_id,
            new_name,
        } => {
            let id =
                match (namespace_id, old_name) {
                    (Some(id), _) => id,
                    (None, Some(title)) => store
                        .list_namespaces()?
                        .into_iter()
                        .find(|n| n.title == title)
                        .map(|n| n.id)
                        .ok_or(KvError::NamespaceNotFound { id: title })?,
                    (None, None) => return Err(KvError::BadRequest(
                        "Specify the namespace to rename: its current title or --namespace-id ID"
                            .into(),
                    )),
                };
            w(
                out,
                format!("Resource location: local\nRenaming KV namespace {id} to \"{new_name}\"."),
            )?;
            let ns = store.rename_namespace(&id, &new_name)?;
            w(
                out,
                format!("✨ Successfully renamed namespace to \"{}\"", ns.title),
            )
        }
    }
}

fn key_cmd(
    store: &KvStore,
    bindings: &[(String, String)],
    cmd: KeyCommand,
    out: &mut dyn Write,
) -> Result<(), KvError> {
    match cmd {
        KeyCommand::Put {
            key,
            value,
            path,
            ttl,
            expiration,
            metadata,
            target,
        } => {
            let ns = resolve(store, bindings, &target)?;
            let bytes = match (value, &path) {
                (Some(v), None) => {
                    w(
                        out,
                        format!(
                            "Writing the value \"{v}\" to key \"{key}\" on namespace {}.",
                            ns.id
                        ),
                    )?;
                    v.into_bytes()
                }
                (None, Some(p)) => {
                    let data = std::fs::read(p).map_err(|e| {
                        KvError::BadRequest(format!("cannot read {}: {e}", p.display()))
                    })?;
                    w(
                        out,
                        format!(
                            "Writing the contents of {} to the key \"{key}\" on namespace {}.",
                            p.display(),
                            ns.id
                        ),
                    )?;
                    data
                }
                _ => {
                    return Err(KvError::BadRequest(
                        "Exactly one of a value argument or --path FILE must be given.".into(),
                    ))
                }
            };
            block_on(store.put(
                &ns.id,
                &key,
                bytes,
                PutOptions {
                    expiration,
                    expiration_ttl: ttl,
                    metadata,
                },
            ))
        }
        KeyCommand::Get { key, text, target } => {
            let ns = resolve(store, bindings, &target)?;
            match store.get(&ns.id, &key)? {
                None => w(out, "Value not found"),
                Some(e) => {
                    // Like wrangler: `--text` prints a line; otherwise the raw
                    // bytes, exactly, so `> file` round-trips binary values.
                    if text {
                        out.write_all(String::from_utf8_lossy(&e.value).as_bytes())?;
                        out.write_all(b"\n")?;
                    } else {
                        out.write_all(&e.value)?;
                    }
                    Ok(())
                }
            }
        }
        KeyCommand::Delete { key, target } => {
            let ns = resolve(store, bindings, &target)?;
            w(
                out,
                format!("Deleting the key \"{key}\" on namespace {}.", ns.id),
            )?;
            block_on(store.delete(&ns.id, &key))
        }
        KeyCommand::List { prefix, target } => {
            let ns = resolve(store, bindings, &target)?;
            let mut keys = Vec::new();
            let mut cursor = None;
            loop {
                let page = store.list(
                    &ns.id,
                    &ListOptions {
                        prefix: prefix.clone(),
                        limit: None,
                        cursor,
                    },
                )?;
                keys.extend(page.keys.iter().map(|k| k.to_json()));
                if page.list_complete {
                    break;
                }
                cursor = page.cursor;
            }
            w(out, pretty(&serde_json::Value::Array(keys)))
        }
    }
}

fn bulk_cmd(
    store: &KvStore,
    bindings: &[(String, String)],
    cmd: BulkCommand,
    out: &mut dyn Write,
) -> Result<(), KvError> {
    let read = |p: &Path| {
        std::fs::read(p)
            .map_err(|e| KvError::BadRequest(format!("cannot read {}: {e}", p.display())))
    };
    let in_file = |p: &Path, e: KvError| match e {
        KvError::BadRequest(m) => KvError::BadRequest(format!("{}: {m}", p.display())),
        other => other,
    };
    match cmd {
        BulkCommand::Put { filename, target } => {
            let ns = resolve(store, bindings, &target)?;
            let pairs =
                bulk::parse_bulk_put(&read(&filename)?).map_err(|e| in_file(&filename, e))?;
            let n = pairs.len();
            block_on(store.bulk_put(&ns.id, pairs))?;
            w(out, format!("Uploaded {n} of {n}."))?;
            w(out, "✨ Success!")
        }
        BulkCommand::Delete {
            filename, target, ..
        } => {
            let ns = resolve(store, bindings, &target)?;
            let keys =
                bulk::parse_bulk_delete(&read(&filename)?).map_err(|e| in_file(&filename, e))?;
            let n = keys.len();
            block_on(store.bulk_delete(&ns.id, keys))?;
            w(out, format!("Deleted {n} of {n}."))?;
            w(out, "✨ Success!")
        }
        BulkCommand::Get { filename, target } => {
            let ns = resolve(store, bindings, &target)?;
            let keys =
                bulk::parse_bulk_delete(&read(&filename)?).map_err(|e| in_file(&filename, e))?;
            let mut map = serde_json::Map::new();
            for chunk in keys.chunks(hearth_kv::limits::MAX_BULK_GET_KEYS) {
                for (k, e) in chunk.iter().zip(store.get_many(&ns.id, chunk)?) {
                    map.insert(
                        k.clone(),
                        e.map(|e| String::from_utf8_lossy(&e.value).into_owned().into())
                            .unwrap_or(serde_json::Value::Null),
                    );
                }
            }
            w(out, pretty(&serde_json::Value::Object(map)))
        }
    }
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// Turns a title into a suggested binding name (`my-todos` → `my_todos`).
fn binding_name(title: &str) -> String {
    title
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Resolves `--binding` / `--namespace-id` to a namespace.
fn resolve(
    store: &KvStore,
    bindings: &[(String, String)],
    t: &Target,
) -> Result<Namespace, KvError> {
    if t.remote {
        return Err(KvError::BadRequest(
            "--remote is not supported: hearth manages its own local KV storage. Drop --remote."
                .into(),
        ));
    }
    match (&t.binding, &t.namespace_id) {
        (Some(_), Some(_)) => Err(KvError::BadRequest(
            "Specify either --binding or --namespace-id, not both.".into(),
        )),
        (Some(b), None) => match bindings.iter().find(|(name, _)| name == b) {
            Some((name, id)) => store.ensure_namespace(id, name),
            None => {
                let known: Vec<&str> = bindings.iter().map(|(n, _)| n.as_str()).collect();
                Err(KvError::BadRequest(format!(
                    "No KV binding named \"{b}\" in the config's kv_namespaces{}. Add it there or use --namespace-id ID.",
                    if known.is_empty() {
                        " (it has none)".to_string()
                    } else {
                        format!(" (known: {})", known.join(", "))
                    }
                )))
            }
        },
        (None, Some(id)) => {
            if let Some(ns) = store.namespace(id)? {
                return Ok(ns);
            }
            match bindings.iter().find(|(_, bid)| bid == id) {
                Some((name, _)) => store.ensure_namespace(id, name),
                None => Err(KvError::NamespaceNotFound { id: id.clone() }),
            }
        }
        (None, None) => Err(KvError::BadRequest(
            "Specify which namespace: --binding NAME (from kv_namespaces) or --namespace-id ID."
                .into(),
        )),
    }
}

/// Drives a future to completion on the current thread (no tokio runtime needed,
/// so the CLI works whether or not the caller is inside one).
fn block_on<F: Future>(f: F) -> F::Output {
    struct ThreadWaker(std::thread::Thread);
    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

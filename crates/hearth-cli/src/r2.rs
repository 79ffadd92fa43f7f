//! `hearth r2 ...`: the R2 buckets and objects of a project's local state,
//! with wrangler 4's command shapes. Works while `hearth dev` runs on the
//! same state (SQLite serializes the commits; bodies stream through files).

use crate::project::{load_config, persist_dir, ProjectArgs};
use anyhow::{anyhow, bail, Context, Result};
use hearth_config::Config;
use hearth_r2::{Bucket, Got, HttpMetadata, PutOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Arguments shared by every `hearth r2` command.
#[derive(clap::Args, Debug)]
pub(crate) struct R2Args {
    /// Path to the configuration file (default: found in the current folder).
    #[arg(long, short = 'c', global = true)]
    config: Option<PathBuf>,
    /// Use the `[env.NAME]` section of the configuration.
    #[arg(long, short = 'e', global = true)]
    env: Option<String>,
    /// Folder for local state; default `.hearth/state` in the project.
    #[arg(long, global = true)]
    persist_to: Option<PathBuf>,
    /// Accepted for wrangler compatibility: hearth's buckets are always local.
    #[arg(long, global = true)]
    local: bool,
    #[command(subcommand)]
    command: R2Command,
}

#[derive(clap::Subcommand, Debug)]
enum R2Command {
    /// Create, list and delete buckets.
    #[command(subcommand)]
    Bucket(BucketCommand),
    /// Read, write and delete objects.
    #[command(subcommand)]
    Object(ObjectCommand),
}

#[derive(clap::Subcommand, Debug)]
enum BucketCommand {
    /// Create a bucket (R2's naming rules: 3-63 lowercase letters, digits, hyphens).
    Create {
        /// The bucket's name.
        name: String,
    },
    /// List the buckets.
    List,
    /// Delete an empty bucket.
    Delete {
        /// The bucket's name.
        name: String,
    },
}

#[derive(clap::Subcommand, Debug)]
enum ObjectCommand {
    /// Write an object's bytes to a file (default: named after the key) or stdout.
    Get {
        /// BUCKET/KEY
        path: String,
        /// The file to write.
        #[arg(long, short = 'f', conflicts_with = "pipe")]
        file: Option<PathBuf>,
        /// Write the bytes to stdout.
        #[arg(long, short = 'p')]
        pipe: bool,
    },
    /// Store an object from a file or stdin (streamed, never held whole).
    Put {
        /// BUCKET/KEY
        path: String,
        /// The file to upload.
        #[arg(
            long,
            short = 'f',
            conflicts_with = "pipe",
            required_unless_present = "pipe"
        )]
        file: Option<PathBuf>,
        /// Read the bytes from stdin.
        #[arg(long, short = 'p')]
        pipe: bool,
        /// `Content-Type` to store.
        #[arg(long, visible_alias = "ct")]
        content_type: Option<String>,
        /// `Content-Disposition` to store.
        #[arg(long, visible_alias = "cd")]
        content_disposition: Option<String>,
        /// `Content-Encoding` to store.
        #[arg(long, visible_alias = "ce")]
        content_encoding: Option<String>,
        /// `Content-Language` to store.
        #[arg(long, visible_alias = "cl")]
        content_language: Option<String>,
        /// `Cache-Control` to store.
        #[arg(long, visible_alias = "cc")]
        cache_control: Option<String>,
    },
    /// Delete an object.
    Delete {
        /// BUCKET/KEY
        path: String,
    },
}

pub(crate) fn run(args: R2Args) -> Result<()> {
    let _ = args.local;
    // Without --persist-to, the state belongs to the project found here.
    let config = if args.persist_to.is_none() || args.config.is_some() {
        Some(load_config(
            &ProjectArgs {
                dir: PathBuf::from("."),
                script: None,
                config: args.config,
                env: args.env,
                vars: Vec::new(),
            },
            false,
        )?)
    } else {
        None
    };
    let root = config
        .as_ref()
        .map_or_else(|| PathBuf::from("."), |c| c.root.clone());
    let state = persist_dir(&root, args.persist_to.as_deref())?;
    match args.command {
        R2Command::Bucket(cmd) => bucket_command(&state, cmd),
        R2Command::Object(cmd) => object_command(config.as_ref(), &state, cmd),
    }
}

fn bucket_command(state: &Path, cmd: BucketCommand) -> Result<()> {
    match cmd {
        BucketCommand::Create { name } => {
            println!("Creating bucket '{name}'...");
            hearth_r2::create_bucket(state, &name).map_err(|e| anyhow!("{e}"))?;
            println!("✅ Created bucket '{name}' with default storage class of Standard.");
        }
        BucketCommand::List => {
            for name in hearth_r2::list_buckets(state).map_err(|e| anyhow!("{e}"))? {
                println!("name:           {name}");
            }
        }
        BucketCommand::Delete { name } => {
            println!("Deleting bucket {name}.");
            hearth_r2::delete_bucket(state, &name).map_err(|e| anyhow!("{e}"))?;
            println!("Deleted bucket {name}.");
        }
    }
    Ok(())
}

/// `BUCKET/KEY` split; a bucket named by its binding in the configuration
/// means the bucket that binding uses locally.
fn split<'a>(config: Option<&'a Config>, path: &'a str) -> Result<(&'a str, &'a str)> {
    let Some((bucket, key)) = path
        .split_once('/')
        .filter(|(b, k)| !b.is_empty() && !k.is_empty())
    else {
        bail!("`{path}` is not BUCKET/KEY");
    };
    let bucket = config
        .and_then(|c| c.r2_buckets.iter().find(|b| b.binding == bucket))
        .map_or(bucket, |b| b.local_name());
    Ok((bucket, key))
}

fn open(state: &Path, name: &str) -> Result<Bucket> {
    Bucket::open(state, name).map_err(|e| anyhow!("bucket {name}: {e}"))
}

fn object_command(config: Option<&Config>, state: &Path, cmd: ObjectCommand) -> Result<()> {
    match cmd {
        ObjectCommand::Get { path, file, pipe } => {
            let (name, key) = split(config, &path)?;
            let bucket = open(state, name)?;
            let Some(Got::Body {
                file: mut handle,
                offset,
                length,
                ..
            }) = bucket.get(key, None, None).map_err(|e| anyhow!("{e}"))?
            else {
                bail!("The specified key does not exist. (10007): {name}/{key}");
            };
            handle.seek(SeekFrom::Start(offset))?;
            let mut file_handle = handle.take(length);
            if pipe {
                let stdout = std::io::stdout();
                let mut out = stdout.lock();
                std::io::copy(&mut file_handle, &mut out)?;
                out.flush()?;
            } else {
                let target =
                    file.unwrap_or_else(|| PathBuf::from(key.rsplit('/').next().unwrap_or(key)));
                let mut out = std::fs::File::create(&target)
                    .with_context(|| format!("cannot create {}", target.display()))?;
                std::io::copy(&mut file_handle, &mut out)?;
                eprintln!("Downloading \"{key}\" from \"{name}\".\nDownload complete.");
            }
            Ok(())
        }
        ObjectCommand::Put {
            path,
            file,
            pipe,
            content_type,
            content_disposition,
            content_encoding,
            content_language,
            cache_control,
        } => {
            let (name, key) = split(config, &path)?;
            let bucket = open(state, name)?;
            let mut upload = bucket.begin_put(&[]).map_err(|e| anyhow!("{e}"))?;
            let mut input: Box<dyn Read> = match (&file, pipe) {
                (Some(f), _) => Box::new(
                    std::fs::File::open(f)
                        .with_context(|| format!("cannot open {}", f.display()))?,
                ),
                (None, _) => Box::new(std::io::stdin().lock()),
            };
            let mut chunk = vec![0; 256 * 1024];
            loop {
                let n = input.read(&mut chunk)?;
                if n == 0 {
                    break;
                }
                upload.write(&chunk[..n]).map_err(|e| anyhow!("{e}"))?;
            }
            let options = PutOptions {
                http_metadata: HttpMetadata {
                    content_type,
                    content_language,
                    content_disposition,
                    content_encoding,
                    cache_control,
                    cache_expiry: None,
                },
                ..PutOptions::default()
            };
            let object = bucket
                .put(key, upload, options)
                .map_err(|e| anyhow!("{e}"))?
                .ok_or_else(|| anyhow!("the put's conditions failed"))?;
            eprintln!(
                "Creating object \"{key}\" in bucket \"{name}\".\nUpload complete ({} bytes, etag {}).",
                object.size, object.etag
            );
            Ok(())
        }
        ObjectCommand::Delete { path } => {
            let (name, key) = split(config, &path)?;
            let bucket = open(state, name)?;
            bucket
                .delete(&[key.to_string()])
                .map_err(|e| anyhow!("{e}"))?;
            println!("Deleting object \"{key}\" from bucket \"{name}\".\nDelete complete.");
            Ok(())
        }
    }
}

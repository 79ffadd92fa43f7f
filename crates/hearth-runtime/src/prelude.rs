//! The Web API scripts every isolate starts with, compiled to QuickJS
//! bytecode once per process and cached on disk between runs. Parsing them
//! is most of an isolate's start-up time; loading bytecode is several times
//! faster, which is what makes cold starts and isolate recycling cheap.

use rquickjs::module::WriteOptions;
use rquickjs::{Ctx, Module, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Bytecode of each prelude script, in order, once the first isolate built it.
static BYTECODE: OnceLock<Vec<Vec<u8>>> = OnceLock::new();

/// Evaluates `scripts` (each an IIFE, run as a module) into the context.
/// `cache_dir` holds bytecode from earlier runs of this same binary.
pub(crate) fn install(
    ctx: &Ctx<'_>,
    scripts: &[(&str, &str)],
    cache_dir: &Path,
) -> Result<(), String> {
    let cache = cache_file(cache_dir, scripts);
    if BYTECODE.get().is_none() {
        if let Some(cached) = cache
            .as_deref()
            .and_then(read_cache)
            .filter(|c| c.len() == scripts.len())
        {
            let _ = BYTECODE.set(cached);
        }
    }
    if let Some(compiled) = BYTECODE.get().filter(|c| c.len() == scripts.len()) {
        for ((name, _), bytes) in scripts.iter().zip(compiled) {
            // Safety: the bytes were produced by `Module::write` of this very
            // QuickJS build, in this process.
            let module =
                unsafe { Module::load(ctx.clone(), bytes) }.map_err(|e| failed(ctx, name, e))?;
            evaluate(ctx, name, module)?;
        }
        return Ok(());
    }
    let mut compiled = Vec::with_capacity(scripts.len());
    for (name, source) in scripts {
        let module =
            Module::declare(ctx.clone(), *name, *source).map_err(|e| failed(ctx, name, e))?;
        compiled.push(
            module
                .write(WriteOptions::default())
                .map_err(|e| failed(ctx, name, e))?,
        );
        evaluate(ctx, name, module)?;
    }
    if let Some(path) = cache {
        write_cache(&path, &compiled);
    }
    let _ = BYTECODE.set(compiled);
    Ok(())
}

/// The cache file for these scripts and this binary: bytecode is only valid
/// for the QuickJS build that wrote it, so the executable's identity is part
/// of the key.
fn cache_file(dir: &Path, scripts: &[(&str, &str)]) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let meta = std::fs::metadata(&exe).ok()?;
    let mut hash = Sha256::new();
    hash.update(exe.to_string_lossy().as_bytes());
    hash.update(meta.len().to_le_bytes());
    if let Ok(modified) = meta.modified().and_then(|m| {
        m.duration_since(std::time::UNIX_EPOCH)
            .map_err(std::io::Error::other)
    }) {
        hash.update(modified.as_nanos().to_le_bytes());
    }
    for (name, source) in scripts {
        hash.update(name.as_bytes());
        hash.update(source.as_bytes());
    }
    let key: String = hash
        .finalize()
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect();
    Some(dir.join(format!("prelude-{key}.qjsbc")))
}

/// Reads `[count][len, bytes]...` written by [`write_cache`].
fn read_cache(path: &Path) -> Option<Vec<Vec<u8>>> {
    let data = std::fs::read(path).ok()?;
    let mut at = 0usize;
    let mut take = |n: usize| -> Option<&[u8]> {
        let slice = data.get(at..at + n)?;
        at += n;
        Some(slice)
    };
    let count = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let len = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
        out.push(take(len)?.to_vec());
    }
    Some(out)
}

fn write_cache(path: &Path, compiled: &[Vec<u8>]) {
    let mut data = Vec::new();
    data.extend((compiled.len() as u32).to_le_bytes());
    for bytes in compiled {
        data.extend((bytes.len() as u32).to_le_bytes());
        data.extend(bytes);
    }
    // Written aside and renamed, so a concurrent reader never sees half a file.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let written = path
        .parent()
        .map(std::fs::create_dir_all)
        .transpose()
        .is_ok()
        && std::fs::write(&tmp, &data).is_ok()
        && std::fs::rename(&tmp, path).is_ok();
    if !written {
        let _ = std::fs::remove_file(&tmp);
        tracing::debug!("could not cache compiled Web APIs at {}", path.display());
    }
}

fn evaluate<'js>(
    ctx: &Ctx<'js>,
    name: &str,
    module: Module<'js, rquickjs::module::Declared>,
) -> Result<(), String> {
    let (_, promise) = module.eval().map_err(|e| failed(ctx, name, e))?;
    match promise.result::<Value>() {
        Some(Err(e)) => Err(failed(ctx, name, e)),
        _ => Ok(()),
    }
}

fn failed(ctx: &Ctx<'_>, name: &str, e: rquickjs::Error) -> String {
    format!("hearth's {name} failed: {}", crate::isolate::caught(ctx, e))
}

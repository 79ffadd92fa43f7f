//! node:fs's read-only `/bundle`: the worker's files as workerd shows the
//! modules of a bundle. Paths are relative to the directory of the main
//! module (wrangler's default module root); `..`, absolute paths and
//! symlinks leading outside it are refused, and node_modules is left out
//! (a deployed bundle inlines packages into the main module). Only files a
//! bundle could hold are shown — modules by extension or by the project's
//! `[[rules]]` — and nothing hidden (`.hearth/` state, `.git`, `.dev.vars`).

use crate::host::bytes::new_u8;
use crate::host::event_loop::current;
use rquickjs::{Ctx, Function, Object, Value};
use std::path::{Component, Path, PathBuf};
use std::time::UNIX_EPOCH;

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("fsBundleStat", Function::new(ctx.clone(), stat)?)?;
    native.set("fsBundleRead", Function::new(ctx.clone(), read)?)?;
    native.set("fsBundleList", Function::new(ctx.clone(), list)?)?;
    Ok(())
}

/// The bundle's root folder: where the main module lives.
fn base() -> PathBuf {
    let worker = current().worker.clone();
    let main = Path::new(worker.main());
    worker.root().join(main.parent().unwrap_or(Path::new("")))
}

/// The file for `rel` (a `/`-separated path below /bundle), if it is
/// inside the bundle.
fn locate(rel: &str) -> Option<PathBuf> {
    let mut path = base();
    let root = path.canonicalize().ok()?;
    for part in rel.split('/').filter(|p| !p.is_empty()) {
        match Path::new(part).components().next() {
            Some(Component::Normal(_)) if visible_name(part) => path.push(part),
            _ => return None,
        }
    }
    let real = path.canonicalize().ok()?;
    if !real.starts_with(&root) || (real.is_file() && !bundled_file(&path)) {
        return None;
    }
    Some(real)
}

/// Whether a folder entry may appear in /bundle at all.
fn visible_name(name: &str) -> bool {
    name != "node_modules" && !name.starts_with('.')
}

/// Whether the file at `path` (below the worker's root) is something a
/// bundle holds: a module by extension, or by a `[[rules]]` glob (wrangler's
/// defaults included). The state folder's databases, say, are not.
fn bundled_file(path: &Path) -> bool {
    const MODULES: &[&str] = &[
        "js", "mjs", "cjs", "ts", "mts", "cts", "tsx", "jsx", "json", "wasm",
    ];
    let worker = current().worker.clone();
    let by_extension = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| MODULES.contains(&e));
    by_extension
        || path
            .strip_prefix(worker.root())
            .is_ok_and(|relative| worker.module_kind(&relative.to_string_lossy()).is_some())
}

/// `[isDirectory (1 or 0), size, mtimeMs]`, or null when nothing is there.
fn stat(rel: String) -> Option<Vec<f64>> {
    let meta = std::fs::metadata(locate(&rel)?).ok()?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    Some(vec![
        f64::from(u8::from(meta.is_dir())),
        meta.len() as f64,
        mtime,
    ])
}

fn read<'js>(ctx: Ctx<'js>, rel: String) -> rquickjs::Result<Option<Value<'js>>> {
    let Some(path) = locate(&rel).filter(|p| p.is_file()) else {
        return Ok(None);
    };
    let worker = current().worker.clone();
    // Module files come from the worker's per-load cache, like imports.
    let name = path
        .strip_prefix(worker.root().canonicalize().unwrap_or_default())
        .ok()
        .and_then(|p| p.to_str())
        .map(|p| p.replace('\\', "/"));
    // Through the module reader only, which refuses hearth's state folder.
    let bytes = match name.map(|n| worker.source(&n)) {
        Some(Ok(bytes)) => bytes.to_vec(),
        _ => return Ok(None),
    };
    new_u8(&ctx, bytes).map(Some)
}

/// The entries of a bundle directory, sorted, or null.
fn list(rel: String) -> Option<Vec<String>> {
    let path = locate(&rel)?;
    let logical = base().join(&rel);
    let mut names: Vec<String> = std::fs::read_dir(path)
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| visible_name(n))
        .filter(|n| {
            let entry = logical.join(n);
            entry.is_dir() || bundled_file(&entry)
        })
        .collect();
    names.sort();
    Some(names)
}

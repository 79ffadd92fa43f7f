//! Workers Sites (`[site] bucket`): the `__STATIC_CONTENT` binding, a
//! read-only KV namespace over the bucket's files, and the
//! `__STATIC_CONTENT_MANIFEST` module mapping each file's path to its key,
//! as `@cloudflare/kv-asset-handler` expects them. Keys are the paths
//! themselves (wrangler hashes them on upload; nothing is uploaded here).

use crate::host::bytes::new_u8;
use crate::host::event_loop::current;
use rquickjs::{Ctx, Function, Object, Value};
use std::path::{Component, Path};

/// The specifier and module name of the manifest.
pub(crate) const MANIFEST_MODULE: &str = "__STATIC_CONTENT_MANIFEST";

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("siteGet", Function::new(ctx.clone(), site_get)?)?;
    Ok(())
}

/// The bytes of the bucket's file `key`, or `null`.
fn site_get<'js>(ctx: Ctx<'js>, key: String) -> rquickjs::Result<Value<'js>> {
    let worker = current().worker.clone();
    let Some(site) = &worker.config().site else {
        return Ok(Value::new_null(ctx));
    };
    let relative = Path::new(key.trim_start_matches('/'));
    if !relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return Ok(Value::new_null(ctx));
    }
    match std::fs::read(site.bucket.join(relative)) {
        Ok(bytes) => new_u8(&ctx, bytes),
        Err(_) => Ok(Value::new_null(ctx)),
    }
}

/// `{"path/in/bucket": "key", ...}` for every file of `bucket`.
pub(crate) fn manifest(bucket: &Path) -> Result<String, String> {
    fn walk(
        root: &Path,
        dir: &Path,
        out: &mut serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), String> {
        let entries =
            std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                walk(root, &path, out)?;
            } else if path.is_file() {
                let key: Vec<String> = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                let key = key.join("/");
                out.insert(key.clone(), serde_json::Value::String(key));
            }
        }
        Ok(())
    }
    let mut map = serde_json::Map::new();
    walk(bucket, bucket, &mut map)?;
    Ok(serde_json::Value::Object(map).to_string())
}

//! The natives behind KV namespace bindings (`env.MY_KV`), over the embedded
//! store of `hearth-kv`. Reads are synchronous (the store answers from a
//! per-thread SQLite connection in microseconds); writes resolve only once
//! durable.

use crate::host::bytes::{bytes_of, new_u8};
use crate::host::event_loop::{current, settle, spawn_op};
use hearth_kv::{KvEntry, KvStore, ListOptions, PutOptions};
use rquickjs::{Array, Ctx, Exception, Function, Object, Promise, Value};

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("kvGet", Function::new(ctx.clone(), kv_get)?)?;
    native.set("kvGetMany", Function::new(ctx.clone(), kv_get_many)?)?;
    native.set("kvPut", Function::new(ctx.clone(), kv_put)?)?;
    native.set("kvDelete", Function::new(ctx.clone(), kv_delete)?)?;
    native.set("kvList", Function::new(ctx.clone(), kv_list)?)?;
    Ok(())
}

/// The store, for namespace `ns`, which must be one the running worker is
/// bound to: a namespace object built by hand (`new env.KV.constructor(id)`)
/// reaches no other worker's data.
fn store(ctx: &Ctx<'_>, ns: &str) -> rquickjs::Result<KvStore> {
    let worker = current().worker.clone();
    if !worker.kv_bindings().iter().any(|(_, id)| id == ns) {
        return Err(Exception::throw_type(
            ctx,
            &format!("KV namespace {ns:?} is not bound to this worker"),
        ));
    }
    worker
        .kv()
        .cloned()
        .ok_or_else(|| Exception::throw_internal(ctx, "KV storage is not available in this worker"))
}

fn fail(ctx: &Ctx<'_>, e: hearth_kv::KvError) -> rquickjs::Error {
    Exception::throw_message(ctx, &e.to_string())
}

/// `[value, metadata: string | null, expiration: number | null]`, or `null`.
/// The value is a string (invalid UTF-8 replaced, as `TextDecoder` does) when
/// `text` is set, so text and JSON reads skip a byte copy and a decoder call;
/// otherwise a `Uint8Array`.
fn entry<'js>(ctx: &Ctx<'js>, entry: Option<KvEntry>, text: bool) -> rquickjs::Result<Value<'js>> {
    let Some(entry) = entry else {
        return Ok(Value::new_null(ctx.clone()));
    };
    let out = Array::new(ctx.clone())?;
    if text {
        let value = match String::from_utf8(entry.value) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        out.set(0, value)?;
    } else {
        out.set(0, new_u8(ctx, entry.value)?)?;
    }
    out.set(1, entry.metadata)?;
    out.set(2, entry.expiration.map(|e| e as f64))?;
    Ok(out.into_value())
}

fn kv_get<'js>(ctx: Ctx<'js>, ns: String, key: String, text: bool) -> rquickjs::Result<Value<'js>> {
    let found = store(&ctx, &ns)?
        .get(&ns, &key)
        .map_err(|e| fail(&ctx, e))?;
    entry(&ctx, found, text)
}

fn kv_get_many<'js>(
    ctx: Ctx<'js>,
    ns: String,
    keys: Vec<String>,
    text: bool,
) -> rquickjs::Result<Value<'js>> {
    let found = store(&ctx, &ns)?
        .get_many(&ns, &keys)
        .map_err(|e| fail(&ctx, e))?;
    let out = Array::new(ctx.clone())?;
    for (i, e) in found.into_iter().enumerate() {
        out.set(i, entry(&ctx, e, text)?)?;
    }
    Ok(out.into_value())
}

fn integer(ctx: &Ctx<'_>, value: &Value<'_>, name: &str) -> rquickjs::Result<Option<i64>> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    let n = value
        .as_number()
        .filter(|n| n.is_finite())
        .ok_or_else(|| Exception::throw_type(ctx, &format!("KV put() {name} must be a number")))?;
    Ok(Some(n.floor() as i64))
}

fn kv_put<'js>(
    ctx: Ctx<'js>,
    ns: String,
    key: String,
    value: Value<'js>,
    expiration: Value<'js>,
    expiration_ttl: Value<'js>,
    metadata: Option<String>,
) -> rquickjs::Result<Promise<'js>> {
    let bytes = match value.as_string() {
        Some(s) => s.to_string()?.into_bytes(),
        None => bytes_of(&value).ok_or_else(|| {
            Exception::throw_type(
                &ctx,
                "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.",
            )
        })?,
    };
    let options = PutOptions {
        expiration: integer(&ctx, &expiration, "expiration")?,
        expiration_ttl: integer(&ctx, &expiration_ttl, "expirationTtl")?,
        metadata,
    };
    // Validation happens here, synchronously: an invalid put rejects and writes nothing.
    let write = store(&ctx, &ns)?.put(&ns, &key, bytes, options);
    spawn_op(&ctx, async move {
        write.await.map_err(|e| e.to_string())?;
        Ok(settle(|ctx| Ok(Value::new_undefined(ctx.clone()))))
    })
}

fn kv_delete<'js>(ctx: Ctx<'js>, ns: String, key: String) -> rquickjs::Result<Promise<'js>> {
    let write = store(&ctx, &ns)?.delete(&ns, &key);
    spawn_op(&ctx, async move {
        write.await.map_err(|e| e.to_string())?;
        Ok(settle(|ctx| Ok(Value::new_undefined(ctx.clone()))))
    })
}

/// Returns the page as JSON text in the shape `list()` resolves to.
fn kv_list(
    ctx: Ctx<'_>,
    ns: String,
    prefix: Option<String>,
    limit: Option<f64>,
    cursor: Option<String>,
) -> rquickjs::Result<String> {
    let page = store(&ctx, &ns)?
        .list(
            &ns,
            &ListOptions {
                prefix,
                limit: limit.map(|l| l as i64),
                cursor,
            },
        )
        .map_err(|e| fail(&ctx, e))?;
    let mut out = serde_json::json!({
        "keys": page.keys.iter().map(|k| k.to_json()).collect::<Vec<_>>(),
        "list_complete": page.list_complete,
        "cacheStatus": null,
    });
    if let Some(cursor) = page.cursor {
        out["cursor"] = cursor.into();
    }
    Ok(out.to_string())
}

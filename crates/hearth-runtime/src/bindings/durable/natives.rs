//! The natives behind Durable Object namespaces, stubs, storage and
//! WebSocket hibernation. Stubs send events through the process's router; storage calls
//! act on the live object of the calling code.

use crate::bindings::durable::hibernation;
use crate::bindings::durable::{self, DoEvent, DoFailure, DoReply, Envelope, ObjectSlot, Router};
use crate::host::bytes::{bytes_of, new_array_buffer, new_u8};
use crate::host::event_loop::{current, running_actor, settle, spawn_op};
use crate::web::structured_clone::{self as clone, Purpose};
use crate::web::websocket::socket;
use bytes::Bytes;
use hearth_durable::{ListOptions, ObjectId, SqlValue};
use rquickjs::{Array, Ctx, Exception, Function, Object, Promise, Value};
use std::rc::Rc;
use tokio::sync::oneshot;

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set(
        "doIdFromName",
        Function::new(ctx.clone(), |class: String, name: String| {
            ObjectId::from_name(&class, &name).to_string()
        })?,
    )?;
    native.set(
        "doUniqueId",
        Function::new(ctx.clone(), || ObjectId::unique().to_string())?,
    )?;
    native.set(
        "doIdFromString",
        Function::new(ctx.clone(), id_from_string)?,
    )?;
    native.set("doFetch", Function::new(ctx.clone(), do_fetch)?)?;
    native.set("doCall", Function::new(ctx.clone(), do_call)?)?;
    native.set("doStorageGet", Function::new(ctx.clone(), storage_get)?)?;
    native.set("doStoragePut", Function::new(ctx.clone(), storage_put)?)?;
    native.set(
        "doStorageDelete",
        Function::new(ctx.clone(), storage_delete)?,
    )?;
    native.set("doStorageList", Function::new(ctx.clone(), storage_list)?)?;
    native.set("doDeleteAll", Function::new(ctx.clone(), delete_all)?)?;
    native.set("doSavepoint", Function::new(ctx.clone(), savepoint)?)?;
    native.set("doSqlExec", Function::new(ctx.clone(), sql_exec)?)?;
    native.set("doDatabaseSize", Function::new(ctx.clone(), database_size)?)?;
    native.set("doGetAlarm", Function::new(ctx.clone(), get_alarm)?)?;
    native.set("doSetAlarm", Function::new(ctx.clone(), set_alarm)?)?;
    native.set("wsHibernate", Function::new(ctx.clone(), ws_hibernate)?)?;
    native.set(
        "wsList",
        Function::new(
            ctx.clone(),
            |class: String, object: String, tag: Option<String>| {
                hibernation::list(&current(), &class, &object, tag.as_deref())
            },
        )?,
    )?;
    native.set(
        "wsTags",
        Function::new(ctx.clone(), |id: u32| hibernation::tags(&current(), id))?,
    )?;
    native.set(
        "wsAutoResponse",
        Function::new(
            ctx.clone(),
            |class: String, object: String, request: Option<String>, response: Option<String>| {
                hibernation::set_auto_response(&current(), &class, &object, request.zip(response));
            },
        )?,
    )?;
    Ok(())
}

fn id_from_string(ctx: Ctx<'_>, id: String) -> rquickjs::Result<String> {
    ObjectId::parse(&id)
        .map(|i| i.to_string())
        .map_err(|e| Exception::throw_type(&ctx, &e.to_string()))
}

/// A stub's `[class, id, worker]` from JavaScript, which must be a namespace
/// the running worker is bound to: a namespace built by hand (`new
/// DurableObjectNamespace("Other", "other-worker")`) reaches no other
/// worker's objects.
fn object_target(ctx: &Ctx<'_>, target: Vec<String>) -> rquickjs::Result<[String; 3]> {
    let target: [String; 3] = target
        .try_into()
        .map_err(|_| Exception::throw_internal(ctx, "a stub's target is [class, id, worker]"))?;
    let core = current();
    let worker = core.worker.clone();
    let [class, _, script] = &target;
    let bound = crate::bindings::services::granted(&core, ["durable", class, script])
        || worker.config().durable_objects.iter().any(|b| {
            b.class_name == *class && b.script_name.as_deref().unwrap_or(worker.name()) == script
        });
    if !bound {
        return Err(Exception::throw_type(
            ctx,
            &format!(
                "this worker has no Durable Object binding to class {class:?} of worker {script:?}"
            ),
        ));
    }
    Ok(target)
}

/// Sends an event to its object and resolves with the reply.
fn send_event<'js>(
    ctx: &Ctx<'js>,
    [class, id, worker]: [String; 3],
    name: Option<String>,
    event: DoEvent,
    to_js: impl for<'a> FnOnce(&Ctx<'a>, DoReply) -> rquickjs::Result<Value<'a>> + 'static,
) -> rquickjs::Result<Promise<'js>> {
    let router = Router::get().ok_or_else(|| {
        Exception::throw_internal(ctx, "Durable Objects need a running hearth server")
    })?;
    let (reply, answer) = oneshot::channel();
    router.send(Envelope {
        worker,
        class,
        id,
        name,
        event,
        reply,
    });
    spawn_op(ctx, async move {
        let result = answer
            .await
            .map_err(|_| "the Durable Object went away before replying".to_string())?;
        Ok(settle(move |ctx| match result {
            Ok(reply) => to_js(ctx, reply),
            Err(failure) => Err(rethrow(ctx, failure)),
        }))
    })
}

/// Throws, in the caller, what made an event fail: a copy of the object's
/// exception marked `remote` (as Cloudflare marks errors thrown by the
/// object's code), an `Error` with `durableObjectReset` after a reset, or a
/// `TypeError` when the runtime could not run the event.
pub(crate) fn rethrow(ctx: &Ctx<'_>, failure: DoFailure) -> rquickjs::Error {
    match failure {
        DoFailure::Threw(bytes) => match clone::deserialize(ctx, &bytes) {
            Ok(error) => {
                if let Some(o) = error.as_object() {
                    // A frozen error just stays unmarked.
                    if o.set("remote", true).is_err() {
                        let _ = ctx.catch();
                    }
                }
                ctx.throw(error)
            }
            Err(e) => e,
        },
        DoFailure::Reset(message) => match Exception::from_message(ctx.clone(), &message) {
            Ok(e) => match e.set("durableObjectReset", true) {
                Ok(()) => ctx.throw(e.into_value()),
                Err(err) => err,
            },
            Err(err) => err,
        },
        DoFailure::Failed(message) => Exception::throw_type(ctx, &message),
    }
}

fn do_fetch<'js>(
    ctx: Ctx<'js>,
    target: Vec<String>,
    name: Option<String>,
    request: Array<'js>,
) -> rquickjs::Result<Promise<'js>> {
    // `[url, method, headers, body, cf]`, as durable.js packs them.
    let url: String = request.get(0)?;
    let method: String = request.get(1)?;
    let headers: Vec<String> = request.get(2)?;
    let body: Value = request.get(3)?;
    let cf: Option<String> = request.get(4)?;
    let body = if let Some(s) = body.as_string() {
        Some(Bytes::from(s.to_string()?))
    } else {
        bytes_of(&body).map(Bytes::from)
    };
    let target = object_target(&ctx, target)?;
    let core = current();
    send_event(
        &ctx,
        target,
        name,
        DoEvent::Fetch {
            method,
            url,
            headers,
            body,
            cf,
        },
        move |ctx, reply| {
            let DoReply::Fetch(r) = reply else {
                return Err(Exception::throw_internal(
                    ctx,
                    "unexpected reply to a Durable Object fetch",
                ));
            };
            let socket = r
                .websocket
                .map(|link| socket::add_remote(&core, link))
                .unwrap_or(0);
            let out = Array::new(ctx.clone())?;
            out.set(0, r.status)?;
            out.set(1, r.status_text)?;
            out.set(2, r.headers)?;
            out.set(3, new_u8(ctx, r.body.to_vec())?)?;
            out.set(4, socket)?;
            Ok(out.into_value())
        },
    )
}

fn do_call<'js>(
    ctx: Ctx<'js>,
    target: Vec<String>,
    name: Option<String>,
    method: String,
    args: Value<'js>,
) -> rquickjs::Result<Promise<'js>> {
    let target = object_target(&ctx, target)?;
    let args = clone::serialize(&ctx, &args, Purpose::Rpc)?;
    send_event(
        &ctx,
        target,
        name,
        DoEvent::Call { method, args },
        |ctx, reply| match reply {
            DoReply::Call(bytes) => clone::deserialize_rpc(ctx, &bytes, clone::Received::Result),
            _ => Err(Exception::throw_internal(
                ctx,
                "unexpected reply to a Durable Object call",
            )),
        },
    )
}

/// The live object the calling code belongs to.
/// What workerd says when one object's code touches another's I/O objects.
const CROSS_OBJECT_IO: &str = "Cannot perform I/O on behalf of a different Durable Object. I/O objects (such as streams, request/response bodies, and others) created in the context of one Durable Object cannot be accessed from a different Durable Object in the same isolate.";

/// The live object whose storage a native acts on, which must be the object
/// whose code is running: a storage object that leaked (through a global, say)
/// cannot be used by another object or by plain worker code.
fn object(ctx: &Ctx<'_>, class: &str, id: &str) -> rquickjs::Result<Rc<ObjectSlot>> {
    let core = current();
    let slot = durable::live_object(&core, class, id).ok_or_else(|| {
        Exception::throw_internal(
            ctx,
            "this Durable Object's storage is not available here (the object was evicted)",
        )
    })?;
    let caller = running_actor(&core).and_then(|running| running.upgrade());
    if !caller.is_some_and(|caller| std::ptr::addr_eq(Rc::as_ptr(&caller), Rc::as_ptr(&slot))) {
        return Err(Exception::throw_message(ctx, CROSS_OBJECT_IO));
    }
    Ok(slot)
}

fn fail(ctx: &Ctx<'_>, e: hearth_durable::StorageError) -> rquickjs::Error {
    match e {
        hearth_durable::StorageError::Limit(m) => Exception::throw_range(ctx, &m),
        other => Exception::throw_message(ctx, &other.to_string()),
    }
}

/// `[key, value, ...]` for the keys found, values deserialized.
fn storage_get<'js>(
    ctx: Ctx<'js>,
    class: String,
    id: String,
    keys: Vec<String>,
) -> rquickjs::Result<Array<'js>> {
    let slot = object(&ctx, &class, &id)?;
    let found = slot
        .storage
        .borrow()
        .get_many(&keys)
        .map_err(|e| fail(&ctx, e))?;
    let entries = keys
        .into_iter()
        .zip(found)
        .filter_map(|(k, v)| v.map(|v| (k, v)));
    flat_entries(&ctx, entries)
}

/// A flat `[key, value, ...]` array of stored entries, values deserialized.
fn flat_entries<'js>(
    ctx: &Ctx<'js>,
    entries: impl IntoIterator<Item = (String, Vec<u8>)>,
) -> rquickjs::Result<Array<'js>> {
    let out = Array::new(ctx.clone())?;
    for (i, (key, value)) in entries.into_iter().enumerate() {
        out.set(2 * i, key)?;
        out.set(2 * i + 1, clone::deserialize(ctx, &value)?)?;
    }
    Ok(out)
}

fn storage_put<'js>(
    ctx: Ctx<'js>,
    class: String,
    id: String,
    keys: Vec<String>,
    values: Vec<Value<'js>>,
) -> rquickjs::Result<()> {
    let slot = object(&ctx, &class, &id)?;
    let values = values
        .iter()
        .map(|v| clone::serialize(&ctx, v, Purpose::Store))
        .collect::<rquickjs::Result<Vec<_>>>()?;
    let entries: Vec<(String, Vec<u8>)> = keys.into_iter().zip(values).collect();
    let result = slot.storage.borrow_mut().put(&entries);
    result.map_err(|e| fail(&ctx, e))
}

fn storage_delete(
    ctx: Ctx<'_>,
    class: String,
    id: String,
    keys: Vec<String>,
) -> rquickjs::Result<usize> {
    let slot = object(&ctx, &class, &id)?;
    let n = slot
        .storage
        .borrow_mut()
        .delete(&keys)
        .map_err(|e| fail(&ctx, e))?;
    Ok(n)
}

fn storage_list<'js>(
    ctx: Ctx<'js>,
    class: String,
    id: String,
    options: Object<'js>,
) -> rquickjs::Result<Array<'js>> {
    let slot = object(&ctx, &class, &id)?;
    let options = ListOptions {
        start: options.get("start")?,
        start_after: options.get("startAfter")?,
        end: options.get("end")?,
        prefix: options.get("prefix")?,
        reverse: options.get::<_, Option<bool>>("reverse")?.unwrap_or(false),
        limit: options.get::<_, Option<f64>>("limit")?.map(|l| l as usize),
    };
    let entries = slot
        .storage
        .borrow()
        .list(&options)
        .map_err(|e| fail(&ctx, e))?;
    flat_entries(&ctx, entries)
}

fn delete_all(ctx: Ctx<'_>, class: String, id: String) -> rquickjs::Result<()> {
    let slot = object(&ctx, &class, &id)?;
    slot.storage
        .borrow_mut()
        .delete_all()
        .map_err(|e| fail(&ctx, e))?;
    durable::set_alarm(&current(), &slot, None);
    Ok(())
}

fn savepoint(ctx: Ctx<'_>, class: String, id: String, action: String) -> rquickjs::Result<()> {
    let slot = object(&ctx, &class, &id)?;
    let mut storage = slot.storage.borrow_mut();
    let result = match action.as_str() {
        "begin" => storage.savepoint(),
        "release" => storage.release_savepoint(),
        _ => storage.rollback_savepoint(),
    };
    result.map_err(|e| fail(&ctx, e))
}

fn sql_value(ctx: &Ctx<'_>, v: &Value<'_>) -> rquickjs::Result<SqlValue> {
    if v.is_null() || v.is_undefined() {
        return Ok(SqlValue::Null);
    }
    if let Some(i) = v.as_int() {
        return Ok(SqlValue::Integer(i as i64));
    }
    if let Some(f) = v.as_float() {
        return Ok(if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
            SqlValue::Integer(f as i64)
        } else {
            SqlValue::Real(f)
        });
    }
    if let Some(s) = v.as_string() {
        return Ok(SqlValue::Text(s.to_string()?));
    }
    if let Some(b) = v.as_big_int() {
        return Ok(SqlValue::Integer(b.clone().to_i64()?));
    }
    if let Some(bytes) = bytes_of(v) {
        return Ok(SqlValue::Blob(bytes));
    }
    Err(Exception::throw_type(
        ctx,
        "Unsupported type of SQL binding",
    ))
}

fn sql_exec<'js>(
    ctx: Ctx<'js>,
    class: String,
    id: String,
    query: String,
    bindings: Vec<Value<'js>>,
) -> rquickjs::Result<Array<'js>> {
    let slot = object(&ctx, &class, &id)?;
    let values = bindings
        .iter()
        .map(|v| sql_value(&ctx, v))
        .collect::<rquickjs::Result<Vec<_>>>()?;
    let result = slot
        .storage
        .borrow_mut()
        .exec(&query, &values)
        .map_err(|e| fail(&ctx, e))?;
    let rows = Array::new(ctx.clone())?;
    for (i, row) in result.rows.into_iter().enumerate() {
        let out = Array::new(ctx.clone())?;
        for (j, value) in row.into_iter().enumerate() {
            let v: Value = match value {
                SqlValue::Null => Value::new_null(ctx.clone()),
                SqlValue::Integer(n) => Value::new_number(ctx.clone(), n as f64),
                SqlValue::Real(f) => Value::new_number(ctx.clone(), f),
                SqlValue::Text(s) => rquickjs::String::from_str(ctx.clone(), &s)?.into_value(),
                SqlValue::Blob(b) => new_array_buffer(&ctx, b)?,
            };
            out.set(j, v)?;
        }
        rows.set(i, out)?;
    }
    let out = Array::new(ctx.clone())?;
    out.set(0, result.columns)?;
    out.set(1, rows)?;
    out.set(2, result.rows_read as f64)?;
    out.set(3, result.rows_written as f64)?;
    Ok(out)
}

fn database_size(ctx: Ctx<'_>, class: String, id: String) -> rquickjs::Result<f64> {
    let slot = object(&ctx, &class, &id)?;
    let size = slot
        .storage
        .borrow()
        .database_size()
        .map_err(|e| fail(&ctx, e))?;
    Ok(size as f64)
}

fn get_alarm(ctx: Ctx<'_>, class: String, id: String) -> rquickjs::Result<Option<f64>> {
    let slot = object(&ctx, &class, &id)?;
    let alarm = slot.storage.borrow().alarm().map_err(|e| fail(&ctx, e))?;
    Ok(alarm)
}

fn set_alarm(
    ctx: Ctx<'_>,
    class: String,
    id: String,
    name: Option<String>,
    time: Option<f64>,
) -> rquickjs::Result<()> {
    let slot = object(&ctx, &class, &id)?;
    if name.is_some() && slot.name.borrow().is_none() {
        *slot.name.borrow_mut() = name;
    }
    durable::set_alarm(&current(), &slot, time);
    Ok(())
}

fn ws_hibernate(
    ctx: Ctx<'_>,
    id: u32,
    class: String,
    object: String,
    name: Option<String>,
    tags: Vec<String>,
) -> rquickjs::Result<()> {
    hibernation::hibernate(&current(), id, class, object, name, tags)
        .map_err(|e| Exception::throw_type(&ctx, &e))
}

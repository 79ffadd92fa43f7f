//! The natives behind D1 bindings (`env.DB`), over `hearth-d1`. A single
//! read-only statement runs synchronously on the isolate's thread (SQLite
//! answers a point query in microseconds); writes go to the database's
//! writer thread, which commits every write queued meanwhile with one fsync
//! (`synchronous=FULL`), and their promises resolve only once on disk.

use crate::host::bytes::bytes_of;
use crate::host::event_loop::{count_api_request, current, settle, spawn_op};
use hearth_d1::{Answer, D1Database, D1Error, Meta, Query, QueryResult, Value as SqlValue};
use rquickjs::{Array, Ctx, Exception, Function, Object, Promise, Value};

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("d1Query", Function::new(ctx.clone(), d1_query)?)?;
    native.set("d1Exec", Function::new(ctx.clone(), d1_exec)?)?;
    native.set("d1Bookmark", Function::new(ctx.clone(), d1_bookmark)?)?;
    Ok(())
}

fn database(ctx: &Ctx<'_>, binding: &str) -> rquickjs::Result<D1Database> {
    current()
        .worker
        .d1(binding)
        .cloned()
        .ok_or_else(|| Exception::throw_internal(ctx, &format!("no D1 binding {binding}")))
}

/// A bound parameter; `bind()` has already turned booleans into 0/1 and
/// buffers and byte arrays into `Uint8Array`s.
fn param(ctx: &Ctx<'_>, v: &Value<'_>) -> rquickjs::Result<SqlValue> {
    if v.is_null() || v.is_undefined() {
        return Ok(SqlValue::Null);
    }
    if let Some(s) = v.as_string() {
        return Ok(SqlValue::Text(s.to_string()?));
    }
    if let Some(i) = v.as_int() {
        return Ok(SqlValue::Integer(i as i64));
    }
    if let Some(f) = v.as_float() {
        // Whole numbers bind as integers, as D1's JSON transport makes them.
        if f.fract() == 0.0 && f.abs() < 9.223_372_036_854_775e18 {
            return Ok(SqlValue::Integer(f as i64));
        }
        return Ok(SqlValue::Real(f));
    }
    if let Some(bytes) = bytes_of(v) {
        return Ok(SqlValue::Blob(bytes));
    }
    Err(Exception::throw_type(
        ctx,
        "D1_TYPE_ERROR: unsupported parameter",
    ))
}

/// A column value as D1 gives it to JavaScript: integers as numbers
/// (beyond 2^53 they lose precision, as on Cloudflare), blobs as arrays of
/// byte numbers.
fn cell<'js>(ctx: &Ctx<'js>, v: SqlValue) -> rquickjs::Result<Value<'js>> {
    Ok(match v {
        SqlValue::Null => Value::new_null(ctx.clone()),
        SqlValue::Integer(i) => match i32::try_from(i) {
            Ok(small) => Value::new_int(ctx.clone(), small),
            Err(_) => Value::new_float(ctx.clone(), i as f64),
        },
        SqlValue::Real(f) => Value::new_float(ctx.clone(), f),
        SqlValue::Text(s) => rquickjs::String::from_str(ctx.clone(), &s)?.into_value(),
        SqlValue::Blob(b) => {
            let out = Array::new(ctx.clone())?;
            for (i, byte) in b.into_iter().enumerate() {
                out.set(i, byte as i32)?;
            }
            out.into_value()
        }
    })
}

fn meta<'js>(ctx: &Ctx<'js>, m: &Meta) -> rquickjs::Result<Object<'js>> {
    let o = Object::new(ctx.clone())?;
    o.set("served_by", "hearth.db")?;
    o.set("served_by_region", "local")?;
    o.set("served_by_primary", true)?;
    let timings = Object::new(ctx.clone())?;
    timings.set("sql_duration_ms", m.duration)?;
    o.set("timings", timings)?;
    o.set("duration", m.duration)?;
    o.set("changes", m.changes as f64)?;
    o.set("last_row_id", m.last_row_id as f64)?;
    o.set("changed_db", m.changed_db)?;
    o.set("size_after", m.size_after as f64)?;
    o.set("rows_read", m.rows_read as f64)?;
    o.set("rows_written", m.rows_written as f64)?;
    Ok(o)
}

/// `[columns, rows, meta]` for one statement.
fn result<'js>(ctx: &Ctx<'js>, r: QueryResult) -> rquickjs::Result<Array<'js>> {
    let out = Array::new(ctx.clone())?;
    let columns = Array::new(ctx.clone())?;
    for (i, c) in r.columns.iter().enumerate() {
        columns.set(i, c.as_str())?;
    }
    let rows = Array::new(ctx.clone())?;
    for (i, row) in r.rows.into_iter().enumerate() {
        let values = Array::new(ctx.clone())?;
        for (j, v) in row.into_iter().enumerate() {
            values.set(j, cell(ctx, v)?)?;
        }
        rows.set(i, values)?;
    }
    out.set(0, columns)?;
    out.set(1, rows)?;
    out.set(2, meta(ctx, &r.meta)?)?;
    Ok(out)
}

/// Runs `sqls[i]` with `params[i]` (one transaction when several); returns
/// `[[columns, rows, meta], ...]`, or the error message as a string.
fn d1_query<'js>(
    ctx: Ctx<'js>,
    binding: String,
    sqls: Vec<String>,
    params: Vec<Array<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let db = database(&ctx, &binding)?;
    // A batch is one request to D1, as on Cloudflare.
    count_api_request(&ctx)?;
    let mut queries = Vec::with_capacity(sqls.len());
    for (sql, values) in sqls.into_iter().zip(params) {
        let mut bound = Vec::with_capacity(values.len());
        for v in values.iter::<Value>() {
            bound.push(param(&ctx, &v?)?);
        }
        queries.push(Query { sql, params: bound });
    }
    match db.submit(queries) {
        Answer::Now(outcome) => results(&ctx, outcome),
        // A write: its promise resolves once its group commit is on disk.
        later => {
            let promise = spawn_op(&ctx, async move {
                let outcome = later.wait().await;
                Ok(settle(move |ctx| results(ctx, outcome)))
            })?;
            Ok(promise.into_value())
        }
    }
}

/// The results as `[[columns, rows, meta], ...]`, or the error message.
fn results<'js>(
    ctx: &Ctx<'js>,
    outcome: Result<Vec<QueryResult>, D1Error>,
) -> rquickjs::Result<Value<'js>> {
    match outcome {
        Ok(list) => {
            let out = Array::new(ctx.clone())?;
            for (i, r) in list.into_iter().enumerate() {
                out.set(i, result(ctx, r)?)?;
            }
            Ok(out.into_value())
        }
        Err(e) => Ok(error(ctx, e)?.into_value()),
    }
}

fn error<'js>(ctx: &Ctx<'js>, e: D1Error) -> rquickjs::Result<rquickjs::String<'js>> {
    rquickjs::String::from_str(ctx.clone(), &e.to_string())
}

/// A promise of `[count, duration]`, or of the error message as a string.
fn d1_exec<'js>(ctx: Ctx<'js>, binding: String, sql: String) -> rquickjs::Result<Promise<'js>> {
    let db = database(&ctx, &binding)?;
    count_api_request(&ctx)?;
    let answer = db.submit_exec(sql);
    spawn_op(&ctx, async move {
        let outcome = answer.wait().await;
        Ok(settle(move |ctx| match outcome {
            Ok(r) => {
                let out = Array::new(ctx.clone())?;
                out.set(0, r.count as f64)?;
                out.set(1, r.duration)?;
                Ok(out.into_value())
            }
            Err(e) => Ok(error(ctx, e)?.into_value()),
        }))
    })
}

fn d1_bookmark(ctx: Ctx<'_>, binding: String) -> rquickjs::Result<String> {
    database(&ctx, &binding)?
        .bookmark()
        .map_err(|e| Exception::throw_message(&ctx, &format!("D1_ERROR: {e}")))
}

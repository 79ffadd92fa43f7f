//! The natives behind R2 bucket bindings (`env.BUCKET`), over `hearth-r2`.
//! Metadata reads (head, list, the row of a get) are synchronous: SQLite
//! answers them in microseconds. A put's body is written to its temporary
//! file chunk by chunk as JavaScript hands the chunks over (never held
//! whole); its fsync, rename and commit run on the blocking pool and its
//! promise resolves once it is durable. A get's body is a native stream read
//! from the object's file, as fetch bodies are (`internal.nativeStream`).
//!
//! Metadata crosses as JSON text; bodies as `Uint8Array` chunks.

use crate::host::body::{full, BodyError, RequestBody};
use crate::host::bytes::require_bytes;
use crate::host::event_loop::{count_api_request, current, settle, spawn_op};
use bytes::Bytes;
use hearth_r2::{
    Bucket, Conditional, Got, HttpMetadata, ListOptions, Object as R2Object, PutOptions, R2Error,
    Range, Upload, UploadedPart,
};
use http_body_util::BodyExt;
use rquickjs::{Array, Ctx, Exception, Function, Object, Promise, Value};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Bodies up to this size are read at once; larger ones stream in chunks
/// of this size.
const CHUNK: u64 = 256 * 1024;

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("r2Head", Function::new(ctx.clone(), r2_head)?)?;
    native.set("r2Get", Function::new(ctx.clone(), r2_get)?)?;
    native.set("r2PutBegin", Function::new(ctx.clone(), r2_put_begin)?)?;
    native.set("r2PutWrite", Function::new(ctx.clone(), r2_put_write)?)?;
    native.set(
        "r2PutAbort",
        Function::new(ctx.clone(), |id: u32| {
            current().resources.borrow_mut().take::<Pending>(id);
        })?,
    )?;
    native.set("r2PutFinish", Function::new(ctx.clone(), r2_put_finish)?)?;
    native.set("r2PartFinish", Function::new(ctx.clone(), r2_part_finish)?)?;
    native.set("r2Delete", Function::new(ctx.clone(), r2_delete)?)?;
    native.set("r2List", Function::new(ctx.clone(), r2_list)?)?;
    native.set("r2MpCreate", Function::new(ctx.clone(), r2_mp_create)?)?;
    native.set("r2MpComplete", Function::new(ctx.clone(), r2_mp_complete)?)?;
    native.set("r2MpAbort", Function::new(ctx.clone(), r2_mp_abort)?)?;
    Ok(())
}

/// A body being uploaded: the resource JavaScript writes chunks to.
struct Pending {
    bucket: Bucket,
    upload: Upload,
}

fn bucket(ctx: &Ctx<'_>, binding: &str) -> rquickjs::Result<Bucket> {
    current()
        .worker
        .r2(binding)
        .cloned()
        .ok_or_else(|| Exception::throw_internal(ctx, &format!("no R2 binding {binding}")))
}

fn fail(ctx: &Ctx<'_>, e: R2Error) -> rquickjs::Error {
    Exception::throw_message(ctx, &e.to_string())
}

fn parse<'a, T: Deserialize<'a>>(ctx: &Ctx<'_>, json: &'a str) -> rquickjs::Result<T> {
    serde_json::from_str(json)
        .map_err(|e| Exception::throw_type(ctx, &format!("bad R2 options: {e}")))
}

fn to_json(o: &R2Object) -> String {
    serde_json::to_string(o).expect("objects serialize")
}

/// Runs blocking store work off the event loop; its error becomes the
/// promise's rejection message.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, R2Error> + Send + 'static,
) -> Result<T, String> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(e) => Err(R2Error::internal(e).to_string()),
    }
}

/// The object's metadata as JSON, or null.
fn r2_head(ctx: Ctx<'_>, binding: String, key: String) -> rquickjs::Result<Option<String>> {
    let b = bucket(&ctx, &binding)?;
    count_api_request(&ctx)?;
    Ok(b.head(&key)
        .map_err(|e| fail(&ctx, e))?
        .as_ref()
        .map(to_json))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RangeSpec {
    offset: Option<f64>,
    length: Option<f64>,
    suffix: Option<f64>,
}

/// A body reading `length` bytes of `file` from `offset`.
fn file_body(file: std::fs::File, offset: u64, length: u64) -> std::io::Result<RequestBody> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = file;
    file.seek(SeekFrom::Start(offset))?;
    if length <= CHUNK {
        let mut bytes = Vec::with_capacity(length as usize);
        (&mut file).take(length).read_to_end(&mut bytes)?;
        return Ok(full(bytes));
    }
    let file = tokio::fs::File::from_std(file);
    let chunks = futures::stream::unfold((file, length), |(mut file, left)| async move {
        use tokio::io::AsyncReadExt;
        if left == 0 {
            return None;
        }
        let mut buf = vec![0; left.min(CHUNK) as usize];
        match file.read_exact(&mut buf).await {
            Ok(_) => {
                let n = buf.len() as u64;
                Some((
                    Ok(hyper::body::Frame::data(Bytes::from(buf))),
                    (file, left - n),
                ))
            }
            Err(e) => Some((Err(BodyError::from(e)), (file, 0))),
        }
    });
    Ok(http_body_util::StreamBody::new(chunks).boxed_unsync())
}

/// `null`, `[metadata JSON]` when `onlyIf` failed, or `[metadata JSON, body
/// id, offset, length]`.
fn r2_get<'js>(
    ctx: Ctx<'js>,
    binding: String,
    key: String,
    only_if: Option<String>,
    range: Option<String>,
) -> rquickjs::Result<Value<'js>> {
    let b = bucket(&ctx, &binding)?;
    count_api_request(&ctx)?;
    let cond: Option<Conditional> = only_if.as_deref().map(|j| parse(&ctx, j)).transpose()?;
    let range = match range
        .as_deref()
        .map(|j| parse::<RangeSpec>(&ctx, j))
        .transpose()?
    {
        None => None,
        Some(RangeSpec {
            suffix: Some(s), ..
        }) => Some(Range::Suffix(s as u64)),
        Some(r) => Some(Range::Span {
            offset: r.offset.map(|o| o as u64),
            length: r.length.map(|l| l as u64),
        }),
    };
    let out = Array::new(ctx.clone())?;
    match b
        .get(&key, cond.as_ref(), range)
        .map_err(|e| fail(&ctx, e))?
    {
        None => return Ok(Value::new_null(ctx)),
        Some(Got::Failed(object)) => out.set(0, to_json(&object))?,
        Some(Got::Body {
            object,
            file,
            offset,
            length,
        }) => {
            let body = file_body(file, offset, length).map_err(|e| fail(&ctx, e.into()))?;
            let id = current().resources.borrow_mut().add(body);
            out.set(0, to_json(&object))?;
            out.set(1, id)?;
            out.set(2, offset as f64)?;
            out.set(3, length as f64)?;
        }
    }
    Ok(out.into_value())
}

/// Starts a body upload (a put's, or a multipart part's when `part`);
/// returns the id chunks are written to.
fn r2_put_begin(
    ctx: Ctx<'_>,
    binding: String,
    algorithms: Vec<String>,
    part: bool,
) -> rquickjs::Result<u32> {
    let b = bucket(&ctx, &binding)?;
    let upload = if part {
        b.begin_part()
    } else {
        b.begin_put(&algorithms)
    };
    let upload = upload.map_err(|e| fail(&ctx, e))?;
    Ok(current()
        .resources
        .borrow_mut()
        .add(Pending { bucket: b, upload }))
}

/// Writes a chunk of a body being uploaded (to the page cache: durable
/// once the upload finishes).
fn r2_put_write<'js>(ctx: Ctx<'js>, id: u32, chunk: Value<'js>) -> rquickjs::Result<()> {
    let bytes = require_bytes(&ctx, &chunk, "R2 body chunk")?;
    let core = current();
    let mut resources = core.resources.borrow_mut();
    let Some(pending) = resources.get_mut::<Pending>(id) else {
        return Err(Exception::throw_type(&ctx, "the upload has finished"));
    };
    if let Err(e) = pending.upload.write(&bytes) {
        resources.take::<Pending>(id);
        return Err(fail(&ctx, e));
    }
    Ok(())
}

fn take_pending(ctx: &Ctx<'_>, id: u32) -> rquickjs::Result<Pending> {
    current()
        .resources
        .borrow_mut()
        .take::<Pending>(id)
        .ok_or_else(|| Exception::throw_type(ctx, "the upload has finished"))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct PutSpec {
    http_metadata: HttpMetadata,
    custom_metadata: BTreeMap<String, String>,
    only_if: Option<Conditional>,
    checksums: BTreeMap<String, String>,
}

/// Commits a put: a promise of the object's JSON, or null when `onlyIf`
/// failed.
fn r2_put_finish<'js>(
    ctx: Ctx<'js>,
    id: u32,
    key: String,
    options: String,
) -> rquickjs::Result<Promise<'js>> {
    let Pending { bucket, upload } = take_pending(&ctx, id)?;
    count_api_request(&ctx)?;
    let spec: PutSpec = parse(&ctx, &options)?;
    let options = PutOptions {
        http_metadata: spec.http_metadata,
        custom_metadata: spec.custom_metadata,
        only_if: spec.only_if,
        checksums: spec.checksums,
    };
    spawn_op(&ctx, async move {
        let object = blocking(move || bucket.put(&key, upload, options)).await?;
        Ok(settle(move |ctx| {
            Ok(match object {
                Some(o) => rquickjs::String::from_str(ctx.clone(), &to_json(&o))?.into_value(),
                None => Value::new_null(ctx.clone()),
            })
        }))
    })
}

/// Commits a multipart part: a promise of `[partNumber, etag]`.
fn r2_part_finish<'js>(
    ctx: Ctx<'js>,
    id: u32,
    key: String,
    upload_id: String,
    part_number: u32,
) -> rquickjs::Result<Promise<'js>> {
    let Pending { bucket, upload } = take_pending(&ctx, id)?;
    count_api_request(&ctx)?;
    spawn_op(&ctx, async move {
        let part =
            blocking(move || bucket.upload_part(&key, &upload_id, part_number, upload)).await?;
        Ok(settle(move |ctx| {
            let out = Array::new(ctx.clone())?;
            out.set(0, part.part_number)?;
            out.set(1, part.etag)?;
            Ok(out.into_value())
        }))
    })
}

fn r2_delete<'js>(
    ctx: Ctx<'js>,
    binding: String,
    keys: Vec<String>,
) -> rquickjs::Result<Promise<'js>> {
    let b = bucket(&ctx, &binding)?;
    count_api_request(&ctx)?;
    spawn_op(&ctx, async move {
        blocking(move || b.delete(&keys)).await?;
        Ok(settle(|ctx| Ok(Value::new_undefined(ctx.clone()))))
    })
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ListSpec {
    limit: Option<f64>,
    prefix: Option<String>,
    cursor: Option<String>,
    delimiter: Option<String>,
    start_after: Option<String>,
}

/// `{objects, truncated, cursor, delimitedPrefixes}` as JSON.
fn r2_list(ctx: Ctx<'_>, binding: String, options: String) -> rquickjs::Result<String> {
    let b = bucket(&ctx, &binding)?;
    count_api_request(&ctx)?;
    let spec: ListSpec = parse(&ctx, &options)?;
    let limit = match spec.limit {
        None => None,
        Some(l) if l >= 1.0 && l.fract() == 0.0 => Some(l as usize),
        Some(_) => return Err(fail(&ctx, R2Error::invalid_max_keys())),
    };
    let listing = b
        .list(&ListOptions {
            limit,
            prefix: spec.prefix,
            cursor: spec.cursor,
            delimiter: spec.delimiter,
            start_after: spec.start_after,
        })
        .map_err(|e| fail(&ctx, e))?;
    Ok(serde_json::json!({
        "objects": listing.objects,
        "truncated": listing.truncated,
        "cursor": listing.cursor,
        "delimitedPrefixes": listing.delimited_prefixes,
    })
    .to_string())
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct CreateSpec {
    http_metadata: HttpMetadata,
    custom_metadata: BTreeMap<String, String>,
}

/// A promise of the new upload's id.
fn r2_mp_create<'js>(
    ctx: Ctx<'js>,
    binding: String,
    key: String,
    options: String,
) -> rquickjs::Result<Promise<'js>> {
    let b = bucket(&ctx, &binding)?;
    count_api_request(&ctx)?;
    let spec: CreateSpec = parse(&ctx, &options)?;
    spawn_op(&ctx, async move {
        let id =
            blocking(move || b.create_multipart(&key, &spec.http_metadata, &spec.custom_metadata))
                .await?;
        Ok(settle(move |ctx| {
            Ok(rquickjs::String::from_str(ctx.clone(), &id)?.into_value())
        }))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PartSpec {
    part_number: u32,
    etag: String,
}

/// A promise of the completed object's JSON.
fn r2_mp_complete<'js>(
    ctx: Ctx<'js>,
    binding: String,
    key: String,
    upload_id: String,
    parts: String,
) -> rquickjs::Result<Promise<'js>> {
    let b = bucket(&ctx, &binding)?;
    count_api_request(&ctx)?;
    let parts: Vec<PartSpec> = parse(&ctx, &parts)?;
    let parts: Vec<UploadedPart> = parts
        .into_iter()
        .map(|p| UploadedPart {
            part_number: p.part_number,
            etag: p.etag,
        })
        .collect();
    spawn_op(&ctx, async move {
        let object = blocking(move || b.complete_multipart(&key, &upload_id, &parts)).await?;
        Ok(settle(move |ctx| {
            Ok(rquickjs::String::from_str(ctx.clone(), &to_json(&object))?.into_value())
        }))
    })
}

fn r2_mp_abort<'js>(
    ctx: Ctx<'js>,
    binding: String,
    key: String,
    upload_id: String,
) -> rquickjs::Result<Promise<'js>> {
    let b = bucket(&ctx, &binding)?;
    count_api_request(&ctx)?;
    spawn_op(&ctx, async move {
        blocking(move || b.abort_multipart(&key, &upload_id)).await?;
        Ok(settle(|ctx| Ok(Value::new_undefined(ctx.clone()))))
    })
}

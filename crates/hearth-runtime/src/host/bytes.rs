//! Moving bytes across the JavaScript boundary: reading typed arrays and
//! ArrayBuffers out of the engine and making fresh ones.

use rquickjs::{Ctx, Object, TypedArray, Value};

/// Copies the bytes of a `Uint8Array`, another typed array view or an
/// `ArrayBuffer` out of the engine.
pub(crate) fn bytes_of(value: &Value<'_>) -> Option<Vec<u8>> {
    if let Some(obj) = value.as_object() {
        // rquickjs's `as_array_buffer` probes with JS_GetArrayBuffer, which
        // leaves a pending TypeError ("ArrayBuffer object expected") on any
        // other object; that stale exception then fails the next dynamic
        // import. Check the class first.
        if is_array_buffer(value) {
            let ab = obj.as_array_buffer()?;
            // Copied immediately, before any JavaScript can run.
            return unsafe { ab.as_bytes() }.map(<[u8]>::to_vec);
        }
        if let Ok(arr) = TypedArray::<u8>::from_value(value.clone()) {
            // Copied immediately, before any JavaScript can run.
            return arr.as_raw().map(|p| unsafe { p.as_ref() }.to_vec());
        }
        let buffer: Option<Object> = obj.get("buffer").ok();
        let offset: Option<usize> = obj.get("byteOffset").ok();
        let length: Option<usize> = obj.get("byteLength").ok();
        if let (Some(buffer), Some(offset), Some(length)) = (buffer, offset, length) {
            if !is_array_buffer(buffer.as_value()) {
                return None;
            }
            let ab = buffer.as_array_buffer()?;
            return unsafe { ab.as_bytes() }?
                .get(offset..offset + length)
                .map(<[u8]>::to_vec);
        }
    }
    None
}

/// Whether `value` is an `ArrayBuffer`, without touching the exception state.
fn is_array_buffer(value: &Value<'_>) -> bool {
    // SAFETY: only reads the class id of a live value.
    unsafe { rquickjs::qjs::JS_IsArrayBuffer(value.as_raw()) }
}

/// Like [`bytes_of`], but throws a `TypeError` naming what was expected.
pub(crate) fn require_bytes(
    ctx: &Ctx<'_>,
    value: &Value<'_>,
    what: &str,
) -> rquickjs::Result<Vec<u8>> {
    bytes_of(value).ok_or_else(|| {
        rquickjs::Exception::throw_type(
            ctx,
            &format!("{what} must be an ArrayBuffer or ArrayBufferView"),
        )
    })
}

/// A fresh `Uint8Array` holding `bytes`.
pub(crate) fn new_u8<'js>(
    ctx: &Ctx<'js>,
    bytes: impl Into<Vec<u8>>,
) -> rquickjs::Result<Value<'js>> {
    Ok(TypedArray::<u8>::new(ctx.clone(), bytes.into())?.into_value())
}

/// A fresh `ArrayBuffer` holding `bytes`.
pub(crate) fn new_array_buffer<'js>(
    ctx: &Ctx<'js>,
    bytes: impl Into<Vec<u8>>,
) -> rquickjs::Result<Value<'js>> {
    Ok(rquickjs::ArrayBuffer::new(ctx.clone(), bytes.into())?.into_value())
}

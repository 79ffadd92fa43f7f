//! UTF-8 text encoding for TextEncoder and TextDecoder.

use crate::host::bytes::{new_u8, require_bytes};
use rquickjs::{Ctx, Exception, Function, Object, Value};

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("utf8Encode", Function::new(ctx.clone(), utf8_encode)?)?;
    native.set("utf8Decode", Function::new(ctx.clone(), utf8_decode)?)?;
    Ok(())
}

fn utf8_encode<'js>(ctx: Ctx<'js>, text: rquickjs::String<'js>) -> rquickjs::Result<Value<'js>> {
    // Callers pass well-formed strings: TextEncoder replaces lone surrogates
    // with U+FFFD first (converting them here would fail).
    let s = text.to_string()?;
    new_u8(&ctx, s.into_bytes())
}

fn utf8_decode<'js>(ctx: Ctx<'js>, bytes: Value<'js>, fatal: bool) -> rquickjs::Result<String> {
    let bytes = require_bytes(&ctx, &bytes, "TextDecoder input")?;
    if fatal {
        String::from_utf8(bytes).map_err(|_| {
            Exception::throw_type(&ctx, "The encoded data was not valid for encoding utf-8")
        })
    } else {
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

//! Text and binary codecs: TextEncoder/TextDecoder for every WHATWG
//! Encoding (by `encoding_rs`), and the base64/hex codecs behind
//! `atob`/`btoa` and `node:buffer`.

use crate::host::bytes::{new_u8, require_bytes};
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use encoding_rs::{CoderResult, Decoder, DecoderResult, Encoding, REPLACEMENT};
use rquickjs::class::Trace;
use rquickjs::{Class, Ctx, Exception, Function, JsLifetime, Object, TypedArray, Value};

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("utf8Encode", Function::new(ctx.clone(), utf8_encode)?)?;
    native.set(
        "utf8EncodeInto",
        Function::new(ctx.clone(), utf8_encode_into)?,
    )?;
    native.set("utf8Decode", Function::new(ctx.clone(), utf8_decode)?)?;
    native.set("encodingName", Function::new(ctx.clone(), encoding_name)?)?;
    native.set("decoderNew", Function::new(ctx.clone(), decoder_new)?)?;
    native.set("decoderDecode", Function::new(ctx.clone(), decoder_decode)?)?;
    native.set("atob", Function::new(ctx.clone(), atob)?)?;
    native.set("btoa", Function::new(ctx.clone(), btoa)?)?;
    native.set("base64Encode", Function::new(ctx.clone(), base64_encode)?)?;
    native.set("base64Decode", Function::new(ctx.clone(), base64_decode)?)?;
    native.set("hexEncode", Function::new(ctx.clone(), hex_encode)?)?;
    native.set("hexDecode", Function::new(ctx.clone(), hex_decode)?)?;
    Ok(())
}

/// The UTF-8 bytes of a JavaScript string, each lone surrogate replaced by
/// U+FFFD (what TextEncoder and USVString conversion require).
pub(crate) fn well_formed_utf8(text: &rquickjs::String<'_>) -> rquickjs::Result<Vec<u8>> {
    let c = text.clone().to_cstring()?;
    // SAFETY: QuickJS keeps these bytes alive until `c` drops; they are
    // copied at once.
    let mut bytes =
        unsafe { std::slice::from_raw_parts(c.as_ptr().cast::<u8>(), c.len()) }.to_vec();
    // QuickJS writes a lone surrogate as the three bytes ED A0..BF xx (the
    // generalized UTF-8 of U+D800..U+DFFF). U+FFFD is three bytes too, so the
    // replacement happens in place. 0xED is never a continuation byte.
    let mut i = 0;
    while i + 2 < bytes.len() {
        if bytes[i] == 0xED && bytes[i + 1] >= 0xA0 {
            bytes[i..i + 3].copy_from_slice("\u{FFFD}".as_bytes());
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(bytes)
}

/// [`well_formed_utf8`] as a Rust string.
pub(crate) fn well_formed_string(text: &rquickjs::String<'_>) -> rquickjs::Result<String> {
    String::from_utf8(well_formed_utf8(text)?).map_err(|_| rquickjs::Error::Unknown)
}

fn utf8_encode<'js>(ctx: Ctx<'js>, text: rquickjs::String<'js>) -> rquickjs::Result<Value<'js>> {
    new_u8(&ctx, well_formed_utf8(&text)?)
}

/// TextEncoder.encodeInto: writes whole characters only, and reports UTF-16
/// code units read and bytes written.
fn utf8_encode_into<'js>(
    ctx: Ctx<'js>,
    text: rquickjs::String<'js>,
    dest: TypedArray<'js, u8>,
) -> rquickjs::Result<Object<'js>> {
    let text = well_formed_string(&text)?;
    let result = Object::new(ctx)?;
    // A detached destination has no room: nothing is read or written.
    let Some(raw) = dest.as_raw() else {
        result.set("read", 0)?;
        result.set("written", 0)?;
        return Ok(result);
    };
    let capacity = raw.len();
    let (mut read, mut written) = (0usize, 0usize);
    for c in text.chars() {
        if written + c.len_utf8() > capacity {
            break;
        }
        written += c.len_utf8();
        read += c.len_utf16();
    }
    // SAFETY: the view's bytes are live and no JavaScript runs while they
    // are written.
    unsafe { (&mut *raw.as_ptr())[..written].copy_from_slice(&text.as_bytes()[..written]) };
    result.set("read", read)?;
    result.set("written", written)?;
    Ok(result)
}

fn invalid_data(ctx: &Ctx<'_>, encoding: &str) -> rquickjs::Error {
    Exception::throw_type(
        ctx,
        &format!("The encoded data was not valid for encoding {encoding}"),
    )
}

/// One-shot UTF-8 decoding, the common case of TextDecoder and of
/// `Response.text()`: no decoder state to keep.
fn utf8_decode(
    ctx: Ctx<'_>,
    bytes: Value<'_>,
    fatal: bool,
    ignore_bom: bool,
) -> rquickjs::Result<String> {
    let mut bytes = require_bytes(&ctx, &bytes, "TextDecoder input")?;
    if !ignore_bom && bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(_) if fatal => Err(invalid_data(&ctx, "utf-8")),
        // Rust replaces maximal invalid subparts, as the Encoding Standard does.
        Err(e) => Ok(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

/// The encoding a label names, as TextDecoder's lowercase `encoding`, or
/// `undefined` when TextDecoder must reject it (unknown or "replacement").
fn encoding_name(label: rquickjs::String<'_>) -> rquickjs::Result<Option<String>> {
    let label = well_formed_utf8(&label)?;
    Ok(Encoding::for_label(&label)
        .filter(|e| *e != REPLACEMENT)
        .map(|e| e.name().to_ascii_lowercase()))
}

/// A streaming TextDecoder's state between `decode(…, { stream: true })`
/// calls.
#[derive(Trace, JsLifetime)]
#[rquickjs::class]
pub(crate) struct TextDecoderState {
    #[qjs(skip_trace)]
    decoder: Decoder,
    #[qjs(skip_trace)]
    encoding: &'static Encoding,
    #[qjs(skip_trace)]
    fatal: bool,
    #[qjs(skip_trace)]
    ignore_bom: bool,
}

impl TextDecoderState {
    /// A decoder at the start of a stream. Only UTF-8 and UTF-16 have a BOM
    /// to strip; `encoding_rs` never switches encodings on one here.
    fn fresh(encoding: &'static Encoding, ignore_bom: bool) -> Decoder {
        if ignore_bom {
            encoding.new_decoder_without_bom_handling()
        } else {
            encoding.new_decoder_with_bom_removal()
        }
    }
}

fn decoder_new<'js>(
    ctx: Ctx<'js>,
    name: String,
    fatal: bool,
    ignore_bom: bool,
) -> rquickjs::Result<Class<'js, TextDecoderState>> {
    let encoding = Encoding::for_label(name.as_bytes())
        .ok_or_else(|| Exception::throw_range(&ctx, &format!("Unknown encoding: {name}")))?;
    Class::instance(
        ctx,
        TextDecoderState {
            decoder: TextDecoderState::fresh(encoding, ignore_bom),
            encoding,
            fatal,
            ignore_bom,
        },
    )
}

fn decoder_decode<'js>(
    ctx: Ctx<'js>,
    state: Class<'js, TextDecoderState>,
    bytes: Value<'js>,
    stream: bool,
) -> rquickjs::Result<String> {
    let bytes = require_bytes(&ctx, &bytes, "TextDecoder input")?;
    let mut state = state.borrow_mut();
    let fatal = state.fatal;
    let decoded = decode(&mut state.decoder, &bytes, !stream, fatal);
    if !stream || decoded.is_none() {
        // The next call starts a new stream (and may see a BOM again).
        state.decoder = TextDecoderState::fresh(state.encoding, state.ignore_bom);
    }
    decoded.ok_or_else(|| invalid_data(&ctx, &state.encoding.name().to_ascii_lowercase()))
}

/// Decodes `src` into a string; `None` when `fatal` and the input is
/// malformed.
fn decode(decoder: &mut Decoder, mut src: &[u8], last: bool, fatal: bool) -> Option<String> {
    let room = |decoder: &Decoder, len: usize| {
        decoder
            .max_utf8_buffer_length(len)
            .unwrap_or(len.saturating_mul(3))
            .max(4)
    };
    let mut out = String::with_capacity(room(decoder, src.len()));
    loop {
        let (full, read) = if fatal {
            let (result, read) = decoder.decode_to_string_without_replacement(src, &mut out, last);
            match result {
                DecoderResult::Malformed(..) => return None,
                DecoderResult::InputEmpty => (false, read),
                DecoderResult::OutputFull => (true, read),
            }
        } else {
            let (result, read, _) = decoder.decode_to_string(src, &mut out, last);
            (result == CoderResult::OutputFull, read)
        };
        src = &src[read..];
        if !full {
            return Some(out);
        }
        out.reserve(room(decoder, src.len()));
    }
}

/// The forgiving-base64 alphabet: padding optional, stray bits allowed.
const FORGIVING: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// `atob`: HTML's forgiving-base64 decode to a Latin-1 string, or
/// `undefined` on invalid input (the JavaScript throws the DOMException).
fn atob(data: rquickjs::String<'_>) -> rquickjs::Result<Option<String>> {
    let data = well_formed_utf8(&data)?;
    let mut text: Vec<u8> = data
        .into_iter()
        .filter(|b| !matches!(b, b'\t' | b'\n' | b'\x0C' | b'\r' | b' '))
        .collect();
    if text.len().is_multiple_of(4) {
        let pad = text
            .iter()
            .rev()
            .take(2)
            .take_while(|&&b| b == b'=')
            .count();
        text.truncate(text.len() - pad);
    }
    if text.len() % 4 == 1 {
        return Ok(None);
    }
    Ok(FORGIVING
        .decode(&text)
        .ok()
        .map(|bytes| bytes.into_iter().map(char::from).collect()))
}

/// `btoa`: base64 of a string's code units, or `undefined` when one is
/// above U+00FF.
fn btoa(data: rquickjs::String<'_>) -> rquickjs::Result<Option<String>> {
    let data = well_formed_string(&data)?;
    let bytes: Option<Vec<u8>> = data.chars().map(|c| u8::try_from(c).ok()).collect();
    Ok(bytes.map(|b| base64::engine::general_purpose::STANDARD.encode(b)))
}

/// Base64 of bytes: padded standard alphabet, or unpadded base64url (as
/// Node's `buffer.toString('base64url')`).
fn base64_encode(ctx: Ctx<'_>, bytes: Value<'_>, url: bool) -> rquickjs::Result<String> {
    let bytes = require_bytes(&ctx, &bytes, "base64 input")?;
    Ok(if url {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    } else {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    })
}

/// Node's lenient base64 decoding: either alphabet, anything else skipped,
/// stops at the first `=`, a dangling sixth of a byte dropped.
fn base64_decode<'js>(ctx: Ctx<'js>, text: rquickjs::String<'js>) -> rquickjs::Result<Value<'js>> {
    new_u8(&ctx, lenient_base64(&well_formed_utf8(&text)?))
}

/// Base64 decoded as leniently as Node (and workerd's `kj::decodeBase64`):
/// either alphabet, other bytes skipped, stops at the first `=`.
pub(crate) fn lenient_base64(text: &[u8]) -> Vec<u8> {
    let mut clean: Vec<u8> = text
        .iter()
        .copied()
        .take_while(|&b| b != b'=')
        .filter_map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' => Some(b),
            b'-' => Some(b'+'),
            b'_' => Some(b'/'),
            _ => None,
        })
        .collect();
    if clean.len() % 4 == 1 {
        clean.pop();
    }
    FORGIVING.decode(&clean).unwrap_or_default()
}

fn hex_encode(ctx: Ctx<'_>, bytes: Value<'_>) -> rquickjs::Result<String> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let bytes = require_bytes(&ctx, &bytes, "hex input")?;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    Ok(out)
}

/// Node's hex decoding: pairs of hex digits up to the first pair that is
/// not one.
fn hex_decode<'js>(ctx: Ctx<'js>, text: rquickjs::String<'js>) -> rquickjs::Result<Value<'js>> {
    let text = well_formed_utf8(&text)?;
    let digit = |b: u8| char::from(b).to_digit(16);
    let bytes: Vec<u8> = text
        .chunks_exact(2)
        .map_while(|pair| Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8))
        .collect();
    new_u8(&ctx, bytes)
}

#[cfg(test)]
mod tests {
    use super::decode;
    use encoding_rs::{SHIFT_JIS, UTF_16LE, UTF_8};

    #[test]
    fn streaming_keeps_partial_characters() {
        let mut d = SHIFT_JIS.new_decoder_with_bom_removal();
        // 日本 in Shift_JIS, split inside the first character.
        let bytes = [0x93, 0xfa, 0x96, 0x7b];
        let mut text = decode(&mut d, &bytes[..1], false, true).unwrap();
        text += &decode(&mut d, &bytes[1..], true, true).unwrap();
        assert_eq!(text, "日本");
    }

    #[test]
    fn fatal_rejects_what_replacement_would_hide() {
        let mut d = UTF_8.new_decoder_with_bom_removal();
        assert_eq!(decode(&mut d, b"a\xffb", true, true), None);
        let mut d = UTF_8.new_decoder_with_bom_removal();
        assert_eq!(
            decode(&mut d, b"a\xffb", true, false).as_deref(),
            Some("a\u{FFFD}b")
        );
    }

    #[test]
    fn utf16_bom_is_removed_and_a_lone_surrogate_replaced() {
        let mut d = UTF_16LE.new_decoder_with_bom_removal();
        let bytes = [0xff, 0xfe, 0x41, 0x00, 0x00, 0xd8];
        assert_eq!(
            decode(&mut d, &bytes, true, false).as_deref(),
            Some("A\u{FFFD}")
        );
    }
}

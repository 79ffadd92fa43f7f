//! CompressionStream and DecompressionStream codecs (gzip, deflate,
//! deflate-raw) on `flate2`. The streams themselves are JavaScript
//! (`compression.js`); a codec object keeps the zlib state between chunks.

use crate::host::bytes::{new_u8, require_bytes};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use rquickjs::class::Trace;
use rquickjs::{Class, Ctx, Exception, Function, JsLifetime, Object, Value};

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("codecNew", Function::new(ctx.clone(), codec_new)?)?;
    native.set("codecPush", Function::new(ctx.clone(), codec_push)?)?;
    native.set("codecFinish", Function::new(ctx.clone(), codec_finish)?)?;
    Ok(())
}

/// zlib's largest window, which every format here uses.
const WINDOW_BITS: u8 = 15;

enum Engine {
    Compress(Compress),
    Decompress {
        inner: Decompress,
        /// The compressed stream's end was seen; any further input is an
        /// error.
        ended: bool,
    },
}

/// One (de)compression stream's zlib state.
#[derive(Trace, JsLifetime)]
#[rquickjs::class]
pub(crate) struct Codec {
    #[qjs(skip_trace)]
    engine: Engine,
}

/// A new codec for `format` ("gzip", "deflate" or "deflate-raw"); `None` for
/// any other format (the JavaScript throws the TypeError).
fn codec_new<'js>(
    ctx: Ctx<'js>,
    format: String,
    compress: bool,
) -> rquickjs::Result<Option<Class<'js, Codec>>> {
    let level = Compression::default();
    let engine = match (format.as_str(), compress) {
        ("gzip", true) => Engine::Compress(Compress::new_gzip(level, WINDOW_BITS)),
        ("deflate", true) => Engine::Compress(Compress::new(level, true)),
        ("deflate-raw", true) => Engine::Compress(Compress::new(level, false)),
        ("gzip", false) => decompressor(Decompress::new_gzip(WINDOW_BITS)),
        ("deflate", false) => decompressor(Decompress::new(true)),
        ("deflate-raw", false) => decompressor(Decompress::new(false)),
        _ => return Ok(None),
    };
    Class::instance(ctx, Codec { engine }).map(Some)
}

fn decompressor(inner: Decompress) -> Engine {
    Engine::Decompress {
        inner,
        ended: false,
    }
}

/// (De)compresses one chunk; the output may be empty.
fn codec_push<'js>(
    ctx: Ctx<'js>,
    codec: Class<'js, Codec>,
    chunk: Value<'js>,
) -> rquickjs::Result<Value<'js>> {
    let input = require_bytes(&ctx, &chunk, "The chunk")?;
    let out = run(&mut codec.borrow_mut().engine, &input, false);
    new_u8(&ctx, out.map_err(|e| Exception::throw_type(&ctx, &e))?)
}

/// Ends the stream: the compressor's last bytes, or a TypeError when the
/// compressed input stopped before its end.
fn codec_finish<'js>(ctx: Ctx<'js>, codec: Class<'js, Codec>) -> rquickjs::Result<Value<'js>> {
    let out = run(&mut codec.borrow_mut().engine, &[], true);
    new_u8(&ctx, out.map_err(|e| Exception::throw_type(&ctx, &e))?)
}

fn run(engine: &mut Engine, input: &[u8], last: bool) -> Result<Vec<u8>, String> {
    match engine {
        Engine::Compress(c) => Ok(compress(c, input, last)),
        Engine::Decompress { inner, ended } => {
            let out = decompress(inner, ended, input)?;
            if last && !*ended {
                return Err("The compressed data ended before the end of the stream".into());
            }
            Ok(out)
        }
    }
}

fn compress(c: &mut Compress, mut input: &[u8], last: bool) -> Vec<u8> {
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::None
    };
    let mut out = Vec::with_capacity(input.len() / 2 + 64);
    loop {
        let before = c.total_in();
        // Compressing into a buffer in memory cannot fail.
        let status = c
            .compress_vec(input, &mut out, flush)
            .unwrap_or(Status::StreamEnd);
        input = &input[(c.total_in() - before) as usize..];
        let room = out.len() < out.capacity();
        if status == Status::StreamEnd || (!last && input.is_empty() && room) {
            return out;
        }
        out.reserve(out.capacity().max(64));
    }
}

fn decompress(d: &mut Decompress, ended: &mut bool, mut input: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(input.len().saturating_mul(3).max(64));
    loop {
        if *ended {
            if !input.is_empty() {
                return Err("Trailing bytes after the end of the compressed data".into());
            }
            return Ok(out);
        }
        let (in_before, out_before) = (d.total_in(), d.total_out());
        let status = d
            .decompress_vec(input, &mut out, FlushDecompress::None)
            .map_err(|e| format!("The compressed data is invalid: {e}"))?;
        input = &input[(d.total_in() - in_before) as usize..];
        if status == Status::StreamEnd {
            *ended = true;
            continue;
        }
        let room = out.len() < out.capacity();
        let progressed = d.total_in() != in_before || d.total_out() != out_before;
        if room && (input.is_empty() || !progressed) {
            return Ok(out);
        }
        out.reserve(out.capacity().max(64));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(format: (Compress, Decompress)) {
        let (mut c, d) = format;
        let text = "hearth ".repeat(10_000);
        let mut packed = compress(&mut c, text.as_bytes(), false);
        packed.extend(compress(&mut c, &[], true));
        assert!(packed.len() < text.len() / 10);
        let mut engine = decompressor(d);
        // Fed in small pieces, as a network body arrives.
        let mut unpacked = Vec::new();
        for piece in packed.chunks(7) {
            unpacked.extend(run(&mut engine, piece, false).unwrap());
        }
        unpacked.extend(run(&mut engine, &[], true).unwrap());
        assert_eq!(unpacked, text.as_bytes());
    }

    #[test]
    fn every_format_round_trips() {
        let level = Compression::default();
        roundtrip((
            Compress::new_gzip(level, WINDOW_BITS),
            Decompress::new_gzip(WINDOW_BITS),
        ));
        roundtrip((Compress::new(level, true), Decompress::new(true)));
        roundtrip((Compress::new(level, false), Decompress::new(false)));
    }

    #[test]
    fn truncated_corrupt_and_trailing_input_fail() {
        let mut c = Compress::new_gzip(Compression::default(), WINDOW_BITS);
        let packed = compress(&mut c, b"hello hello hello", true);
        let mut engine = decompressor(Decompress::new_gzip(WINDOW_BITS));
        assert!(run(&mut engine, &packed[..packed.len() - 4], true).is_err());
        let mut engine = decompressor(Decompress::new_gzip(WINDOW_BITS));
        assert!(run(&mut engine, b"not gzip at all", false).is_err());
        let mut engine = decompressor(Decompress::new_gzip(WINDOW_BITS));
        let mut extra = packed.clone();
        extra.push(0);
        assert!(run(&mut engine, &extra, false).is_err());
    }
}

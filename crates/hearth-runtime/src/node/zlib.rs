//! node:zlib's engines: deflate/inflate (zlib, gzip and raw framing) through
//! flate2 on zlib-rs, Brotli through the brotli crate, and CRC-32. Each
//! stream is a handle (a number) to a codec kept per isolate thread; the
//! JavaScript side feeds it chunks with a flush mode and gets the output
//! produced so far, which is what Node's zlib streams and one-shot functions
//! are built on.

use crate::host::bytes::{new_u8, require_bytes};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use rquickjs::{Ctx, Exception, Function, Object, Value};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io::Write;
use std::rc::Rc;

// Node's mode numbers (zlib.constants.DEFLATE ...).
const DEFLATE: u32 = 1;
const INFLATE: u32 = 2;
const GZIP: u32 = 3;
const GUNZIP: u32 = 4;
const DEFLATERAW: u32 = 5;
const INFLATERAW: u32 = 6;
const UNZIP: u32 = 7;
const BROTLI_DECODE: u32 = 8;
const BROTLI_ENCODE: u32 = 9;

// Node's flush values: Z_SYNC_FLUSH/Z_FULL_FLUSH flush, Z_FINISH ends; for
// Brotli, BROTLI_OPERATION_FLUSH (1) and _FINISH (2).
const Z_PARTIAL_FLUSH: i32 = 1;
const Z_SYNC_FLUSH: i32 = 2;
const Z_FULL_FLUSH: i32 = 3;
const Z_FINISH: i32 = 4;
const Z_BLOCK: i32 = 5;

/// A `Write` target the Brotli writers append to; the handle drains it.
#[derive(Clone, Default)]
struct Sink(Rc<RefCell<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

enum Codec {
    Deflate(Compress),
    Inflate {
        inner: Decompress,
        /// gzip members may follow one another (Node's gunzip reads them all).
        gzip: bool,
        ended: bool,
        dictionary: Option<Vec<u8>>,
        /// The first byte of a next gzip member, when a chunk ended there.
        carry: Vec<u8>,
    },
    /// Inflate that picks zlib or gzip framing from the first two bytes.
    Unzip {
        window_bits: u8,
        head: Vec<u8>,
    },
    BrotliEncode(Option<Box<brotli::CompressorWriter<Sink>>>, Sink),
    BrotliDecode {
        writer: Option<Box<brotli::DecompressorWriter<Sink>>>,
        sink: Sink,
    },
}

/// A failure as Node reports it: message, `code` and `errno`.
struct ZError {
    message: String,
    code: &'static str,
    errno: i32,
}

impl ZError {
    fn data(message: impl Into<String>) -> Self {
        ZError {
            message: message.into(),
            code: "Z_DATA_ERROR",
            errno: -3,
        }
    }
    fn unexpected_end() -> Self {
        ZError {
            message: "unexpected end of file".into(),
            code: "Z_BUF_ERROR",
            errno: -5,
        }
    }
}

thread_local! {
    static CODECS: RefCell<HashMap<u32, Codec>> = RefCell::new(HashMap::new());
    static NEXT_ID: Cell<u32> = const { Cell::new(1) };
}

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("zlibCreate", Function::new(ctx.clone(), create)?)?;
    native.set("zlibWrite", Function::new(ctx.clone(), write)?)?;
    native.set(
        "zlibClose",
        Function::new(ctx.clone(), |id: u32| {
            CODECS.with(|c| c.borrow_mut().remove(&id));
        })?,
    )?;
    native.set("zlibCrc32", Function::new(ctx.clone(), crc32)?)?;
    native.set(
        "zlibParams",
        Function::new(ctx.clone(), |id: u32, level: i32| {
            CODECS.with(|c| {
                if let Some(Codec::Deflate(d)) = c.borrow_mut().get_mut(&id) {
                    let level = if (0..=9).contains(&level) {
                        Compression::new(level as u32)
                    } else {
                        Compression::default()
                    };
                    // Only fails on a stream already finished; nothing to change then.
                    let _ = d.set_level(level);
                }
            })
        })?,
    )?;
    Ok(())
}

/// Creates a codec; `params` is `[level, windowBits, memLevel, strategy]`
/// for zlib modes and `[quality, lgwin, mode, sizeHint]` for Brotli.
fn create<'js>(
    ctx: Ctx<'js>,
    mode: u32,
    params: Vec<i32>,
    dictionary: Option<Value<'js>>,
) -> rquickjs::Result<u32> {
    let param = |i: usize, default: i32| {
        params
            .get(i)
            .copied()
            .filter(|v| *v >= 0)
            .unwrap_or(default)
    };
    let dictionary = match dictionary {
        Some(v) if !v.is_undefined() && !v.is_null() => {
            Some(require_bytes(&ctx, &v, "options.dictionary")?)
        }
        _ => None,
    };
    let level = params.first().copied().unwrap_or(-1);
    let level = if (0..=9).contains(&level) {
        Compression::new(level as u32)
    } else {
        Compression::default()
    };
    // windowBits 8 is not supported by zlib's deflate; Node raises it to 9.
    let window = |min: i32| param(1, 15).clamp(min, 15) as u8;
    let codec = match mode {
        DEFLATE | DEFLATERAW | GZIP => {
            let mut c = if mode == GZIP {
                Compress::new_gzip(level, window(9))
            } else {
                Compress::new_with_window_bits(level, mode == DEFLATE, window(9))
            };
            if let Some(dict) = &dictionary {
                if mode != GZIP {
                    c.set_dictionary(dict).map_err(|e| {
                        Exception::throw_range(&ctx, &format!("Bad dictionary: {e}"))
                    })?;
                }
            }
            Codec::Deflate(c)
        }
        INFLATE | INFLATERAW | GUNZIP => {
            let bits = if param(1, 15) == 0 { 15 } else { window(8) };
            let mut inner = match mode {
                GUNZIP => Decompress::new_gzip(bits),
                _ => Decompress::new_with_window_bits(mode == INFLATE, bits),
            };
            if mode == INFLATERAW {
                if let Some(dict) = &dictionary {
                    inner.set_dictionary(dict).map_err(|e| {
                        Exception::throw_range(&ctx, &format!("Bad dictionary: {e}"))
                    })?;
                }
            }
            Codec::Inflate {
                inner,
                gzip: mode == GUNZIP,
                ended: false,
                dictionary,
                carry: Vec::new(),
            }
        }
        UNZIP => Codec::Unzip {
            window_bits: if param(1, 15) == 0 { 15 } else { window(8) },
            head: Vec::new(),
        },
        BROTLI_ENCODE => {
            let sink = Sink::default();
            let quality = param(0, 11).clamp(0, 11) as u32;
            let lgwin = param(1, 22).clamp(10, 24) as u32;
            let writer = brotli::CompressorWriter::new(sink.clone(), 4096, quality, lgwin);
            Codec::BrotliEncode(Some(Box::new(writer)), sink)
        }
        BROTLI_DECODE => {
            let sink = Sink::default();
            let writer = brotli::DecompressorWriter::new(sink.clone(), 4096);
            Codec::BrotliDecode {
                writer: Some(Box::new(writer)),
                sink,
            }
        }
        other => {
            return Err(Exception::throw_range(
                &ctx,
                &format!("unknown zlib mode {other}"),
            ))
        }
    };
    let id = NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1).max(1));
        id
    });
    CODECS.with(|c| c.borrow_mut().insert(id, codec));
    Ok(id)
}

/// Feeds `chunk` with `flush` and returns the output produced. Errors throw
/// an Error carrying Node's `code` and `errno`.
fn write<'js>(
    ctx: Ctx<'js>,
    id: u32,
    chunk: Value<'js>,
    flush: i32,
) -> rquickjs::Result<Value<'js>> {
    let input = if chunk.is_undefined() || chunk.is_null() {
        Vec::new()
    } else {
        require_bytes(&ctx, &chunk, "chunk")?
    };
    let result = CODECS.with(|c| {
        let mut codecs = c.borrow_mut();
        let codec = codecs
            .get_mut(&id)
            .ok_or_else(|| ZError::data("zlib binding closed"))?;
        run(codec, &input, flush)
    });
    match result {
        Ok(out) => new_u8(&ctx, out),
        Err(e) => {
            let err = Exception::from_message(ctx.clone(), &e.message)?;
            err.set("code", e.code)?;
            err.set("errno", e.errno)?;
            Err(ctx.throw(err.into_value()))
        }
    }
}

fn run(codec: &mut Codec, input: &[u8], flush: i32) -> Result<Vec<u8>, ZError> {
    match codec {
        Codec::Deflate(c) => deflate(c, input, flush),
        Codec::Inflate {
            inner,
            gzip,
            ended,
            dictionary,
            carry,
        } => {
            let joined;
            let input = if carry.is_empty() {
                input
            } else {
                joined = [std::mem::take(carry).as_slice(), input].concat();
                &joined
            };
            let (out, rest) = inflate(inner, *gzip, ended, dictionary.as_deref(), input, flush)?;
            *carry = rest;
            Ok(out)
        }
        Codec::Unzip { window_bits, head } => {
            head.extend_from_slice(input);
            if head.len() < 2 && flush != Z_FINISH {
                return Ok(Vec::new());
            }
            let gzip = head.starts_with(&[0x1f, 0x8b]);
            let bits = *window_bits;
            let pending = std::mem::take(head);
            *codec = Codec::Inflate {
                inner: if gzip {
                    Decompress::new_gzip(bits)
                } else {
                    Decompress::new_with_window_bits(true, bits)
                },
                gzip,
                ended: false,
                dictionary: None,
                carry: Vec::new(),
            };
            run(codec, &pending, flush)
        }
        Codec::BrotliEncode(writer, sink) => {
            let w = writer
                .as_mut()
                .ok_or_else(|| ZError::data("write after end"))?;
            w.write_all(input)
                .map_err(|e| ZError::data(e.to_string()))?;
            if flush == 2 {
                if let Some(w) = writer.take() {
                    drop(w.into_inner());
                }
            } else if flush == 1 {
                w.flush().map_err(|e| ZError::data(e.to_string()))?;
            }
            Ok(std::mem::take(&mut *sink.0.borrow_mut()))
        }
        Codec::BrotliDecode { writer, sink } => {
            let failed = || ZError {
                message: "Decompression failed".into(),
                code: "ERR_BROTLI_DECOMPRESSION_FAILED",
                errno: -1,
            };
            if let Some(w) = writer.as_mut() {
                if !input.is_empty() {
                    w.write_all(input).map_err(|_| failed())?;
                }
                if flush == 2 {
                    let mut w = writer.take().expect("checked above");
                    w.close().map_err(|_| ZError::unexpected_end())?;
                }
            }
            Ok(std::mem::take(&mut *sink.0.borrow_mut()))
        }
    }
}

fn deflate(c: &mut Compress, input: &[u8], flush: i32) -> Result<Vec<u8>, ZError> {
    let mode = match flush {
        Z_FINISH => FlushCompress::Finish,
        Z_SYNC_FLUSH => FlushCompress::Sync,
        Z_FULL_FLUSH => FlushCompress::Full,
        Z_PARTIAL_FLUSH => FlushCompress::Partial,
        _ => FlushCompress::None,
    };
    let mut out = Vec::with_capacity(input.len() / 2 + 64);
    let mut pos = 0;
    loop {
        reserve(&mut out);
        let (in0, out0) = (c.total_in(), out.len());
        let status = c
            .compress_vec(&input[pos..], &mut out, mode)
            .map_err(|e| ZError::data(e.to_string()))?;
        pos += (c.total_in() - in0) as usize;
        if status == Status::StreamEnd {
            break;
        }
        // zlib stops early only when the output is full.
        let progressed = c.total_in() != in0 || out.len() != out0;
        if out.len() < out.capacity() && (pos >= input.len() || !progressed) {
            break;
        }
    }
    Ok(out)
}

fn reserve(out: &mut Vec<u8>) {
    if out.capacity() - out.len() < 64 {
        out.reserve(out.capacity().max(16 * 1024));
    }
}

fn inflate(
    d: &mut Decompress,
    gzip: bool,
    ended: &mut bool,
    dictionary: Option<&[u8]>,
    input: &[u8],
    flush: i32,
) -> Result<(Vec<u8>, Vec<u8>), ZError> {
    let mode = match flush {
        Z_FINISH => FlushDecompress::Finish,
        Z_SYNC_FLUSH | Z_FULL_FLUSH | Z_BLOCK => FlushDecompress::Sync,
        _ => FlushDecompress::None,
    };
    let mut out = Vec::with_capacity(input.len() * 3 + 64);
    let mut pos = 0;
    loop {
        if *ended {
            // Another gzip member may follow, in this chunk or a later one;
            // anything else after the end is ignored.
            if gzip && input[pos..].starts_with(&[0x1f, 0x8b]) {
                *d = Decompress::new_gzip(15);
                *ended = false;
            } else if gzip && input[pos..] == [0x1f] && flush != Z_FINISH {
                return Ok((out, vec![0x1f]));
            } else {
                break;
            }
        }
        reserve(&mut out);
        let (in0, out0) = (d.total_in(), out.len());
        let result = d.decompress_vec(&input[pos..], &mut out, mode);
        pos += (d.total_in() - in0) as usize;
        match result {
            Ok(Status::StreamEnd) => {
                *ended = true;
                continue;
            }
            Ok(_) => {}
            Err(e) if e.needs_dictionary().is_some() => match dictionary {
                Some(dict) => {
                    d.set_dictionary(dict)
                        .map_err(|_| ZError::data("Bad dictionary"))?;
                    continue;
                }
                None => {
                    return Err(ZError {
                        message: "Missing dictionary".into(),
                        code: "Z_NEED_DICT",
                        errno: 2,
                    })
                }
            },
            Err(e) => {
                return Err(ZError::data(
                    e.message().unwrap_or("invalid compressed data").to_string(),
                ))
            }
        }
        let progressed = d.total_in() != in0 || out.len() != out0;
        if out.len() < out.capacity() && (pos >= input.len() || !progressed) {
            break;
        }
    }
    if flush == Z_FINISH && !*ended {
        return Err(ZError::unexpected_end());
    }
    Ok((out, Vec::new()))
}

/// The CRC as a number (an unsigned 32-bit value does not fit an i32).
fn crc32<'js>(ctx: Ctx<'js>, data: Value<'js>, initial: Option<f64>) -> rquickjs::Result<f64> {
    let bytes = if let Some(s) = data.as_string() {
        s.to_string()?.into_bytes()
    } else {
        require_bytes(&ctx, &data, "data")?
    };
    // A JavaScript number in 0..=0xffffffff (checked by zlib.js).
    let mut hasher = crc32fast::Hasher::new_with_initial(initial.unwrap_or(0.0) as u32);
    hasher.update(&bytes);
    Ok(f64::from(hasher.finalize()))
}

// node:zlib — gzip, deflate, raw deflate and Brotli in their stream,
// callback, promise-friendly and sync forms, plus `crc32`. The compression
// runs in Rust (flate2 on zlib-rs, brotli); streams are Transforms that feed
// the native codec chunk by chunk with Node's flush modes.
import { Buffer } from 'node:buffer';
import { Transform, finished } from 'node:stream';
import { nodeError, invalidArgType, outOfRange, validateFunction } from 'hearth:node-errors';

import { native } from 'hearth:internal';

const zlibConstants = {
  Z_NO_FLUSH: 0,
  Z_PARTIAL_FLUSH: 1,
  Z_SYNC_FLUSH: 2,
  Z_FULL_FLUSH: 3,
  Z_FINISH: 4,
  Z_BLOCK: 5,
  Z_OK: 0,
  Z_STREAM_END: 1,
  Z_NEED_DICT: 2,
  Z_ERRNO: -1,
  Z_STREAM_ERROR: -2,
  Z_DATA_ERROR: -3,
  Z_MEM_ERROR: -4,
  Z_BUF_ERROR: -5,
  Z_VERSION_ERROR: -6,
  Z_NO_COMPRESSION: 0,
  Z_BEST_SPEED: 1,
  Z_BEST_COMPRESSION: 9,
  Z_DEFAULT_COMPRESSION: -1,
  Z_FILTERED: 1,
  Z_HUFFMAN_ONLY: 2,
  Z_RLE: 3,
  Z_FIXED: 4,
  Z_DEFAULT_STRATEGY: 0,
  ZLIB_VERNUM: 4865,
  DEFLATE: 1,
  INFLATE: 2,
  GZIP: 3,
  GUNZIP: 4,
  DEFLATERAW: 5,
  INFLATERAW: 6,
  UNZIP: 7,
  BROTLI_DECODE: 8,
  BROTLI_ENCODE: 9,
  Z_MIN_WINDOWBITS: 8,
  Z_MAX_WINDOWBITS: 15,
  Z_DEFAULT_WINDOWBITS: 15,
  Z_MIN_CHUNK: 64,
  Z_MAX_CHUNK: Infinity,
  Z_DEFAULT_CHUNK: 16384,
  Z_MIN_MEMLEVEL: 1,
  Z_MAX_MEMLEVEL: 9,
  Z_DEFAULT_MEMLEVEL: 8,
  Z_MIN_LEVEL: -1,
  Z_MAX_LEVEL: 9,
  Z_DEFAULT_LEVEL: -1,
  BROTLI_OPERATION_PROCESS: 0,
  BROTLI_OPERATION_FLUSH: 1,
  BROTLI_OPERATION_FINISH: 2,
  BROTLI_OPERATION_EMIT_METADATA: 3,
  BROTLI_PARAM_MODE: 0,
  BROTLI_MODE_GENERIC: 0,
  BROTLI_MODE_TEXT: 1,
  BROTLI_MODE_FONT: 2,
  BROTLI_DEFAULT_MODE: 0,
  BROTLI_PARAM_QUALITY: 1,
  BROTLI_MIN_QUALITY: 0,
  BROTLI_MAX_QUALITY: 11,
  BROTLI_DEFAULT_QUALITY: 11,
  BROTLI_PARAM_LGWIN: 2,
  BROTLI_MIN_WINDOW_BITS: 10,
  BROTLI_MAX_WINDOW_BITS: 24,
  BROTLI_LARGE_MAX_WINDOW_BITS: 30,
  BROTLI_DEFAULT_WINDOW: 22,
  BROTLI_PARAM_LGBLOCK: 3,
  BROTLI_MIN_INPUT_BLOCK_BITS: 16,
  BROTLI_MAX_INPUT_BLOCK_BITS: 24,
  BROTLI_PARAM_DISABLE_LITERAL_CONTEXT_MODELING: 4,
  BROTLI_PARAM_SIZE_HINT: 5,
  BROTLI_PARAM_LARGE_WINDOW: 6,
  BROTLI_PARAM_NPOSTFIX: 7,
  BROTLI_PARAM_NDIRECT: 8,
  BROTLI_DECODER_RESULT_ERROR: 0,
  BROTLI_DECODER_RESULT_SUCCESS: 1,
  BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT: 2,
  BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT: 3,
  BROTLI_DECODER_PARAM_DISABLE_RING_BUFFER_REALLOCATION: 0,
  BROTLI_DECODER_PARAM_LARGE_WINDOW: 1,
  BROTLI_DECODER_NO_ERROR: 0,
  BROTLI_DECODER_SUCCESS: 1,
  BROTLI_DECODER_NEEDS_MORE_INPUT: 2,
  BROTLI_DECODER_NEEDS_MORE_OUTPUT: 3,
};
export const constants = Object.freeze({ ...zlibConstants });
const C = zlibConstants;

const kFlushFlag = Symbol('kFlushFlag');
const kError = Symbol('kError');
const flushBuffers = [];
for (const flag of [0, 1, 2, 3, 4, 5]) {
  flushBuffers[flag] = Buffer.alloc(0);
  flushBuffers[flag][kFlushFlag] = flag;
}

function checkRange(value, name, lower, upper, def) {
  if (value === undefined || (typeof value === 'number' && Number.isNaN(value))) return def;
  if (typeof value !== 'number') throw invalidArgType(name, 'number', value);
  if (!Number.isFinite(value) && !(upper === Infinity && value === Infinity)) throw outOfRange(name, 'a finite number', value);
  if (value < lower || value > upper) throw outOfRange(name, upper === Infinity ? `>= ${lower}` : `>= ${lower} and <= ${upper}`, value);
  return value;
}

function validFlush(value, name, lower, upper, def) {
  return checkRange(value, name, lower, upper, def);
}

function toInput(buffer, name = 'buffer') {
  if (typeof buffer === 'string') return Buffer.from(buffer);
  if (buffer instanceof ArrayBuffer) return Buffer.from(buffer);
  if (ArrayBuffer.isView(buffer)) return Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  throw invalidArgType(name, ['string', 'Buffer', 'TypedArray', 'DataView', 'ArrayBuffer'], buffer);
}

function zlibError(e) {
  if (e && e.code && !('errno' in e)) e.errno = C[e.code];
  return e;
}

// The native codec's creation arguments for `mode` and `opts`.
function codecArgs(mode, opts) {
  if (mode === C.BROTLI_ENCODE || mode === C.BROTLI_DECODE) {
    const params = (opts && opts.params) || {};
    for (const key of Object.keys(params)) {
      const k = Number(key);
      if (!Number.isInteger(k) || String(k) !== key || k < 0 || k > 8) {
        throw nodeError(RangeError, 'ERR_BROTLI_INVALID_PARAM', `${key} is not a valid Brotli parameter`);
      }
      if (typeof params[key] !== 'number' && typeof params[key] !== 'boolean') {
        throw invalidArgType(`options.params[key]`, 'number', params[key]);
      }
    }
    const bad = (key, lo, hi) => key in params && !(params[key] >= lo && params[key] <= hi);
    if (
      bad(C.BROTLI_PARAM_QUALITY, 0, 11) ||
      bad(C.BROTLI_PARAM_LGWIN, 10, 24) ||
      bad(C.BROTLI_PARAM_MODE, 0, 2) ||
      bad(C.BROTLI_PARAM_DISABLE_LITERAL_CONTEXT_MODELING, 0, 1) ||
      bad(C.BROTLI_PARAM_LARGE_WINDOW, 0, 1)
    ) {
      throw nodeError(Error, 'ERR_ZLIB_INITIALIZATION_FAILED', 'Initialization failed');
    }
    return [
      [
        params[C.BROTLI_PARAM_QUALITY] ?? C.BROTLI_DEFAULT_QUALITY,
        params[C.BROTLI_PARAM_LGWIN] ?? C.BROTLI_DEFAULT_WINDOW,
        params[C.BROTLI_PARAM_MODE] ?? C.BROTLI_DEFAULT_MODE,
        params[C.BROTLI_PARAM_SIZE_HINT] ?? 0,
      ],
      undefined,
    ];
  }
  const o = opts || {};
  let windowBits = o.windowBits;
  if (windowBits === 0 && (mode === C.INFLATE || mode === C.GUNZIP || mode === C.UNZIP)) {
    windowBits = 0;
  } else {
    windowBits = checkRange(windowBits, 'options.windowBits', C.Z_MIN_WINDOWBITS, C.Z_MAX_WINDOWBITS, C.Z_DEFAULT_WINDOWBITS);
  }
  const level = checkRange(o.level, 'options.level', C.Z_MIN_LEVEL, C.Z_MAX_LEVEL, C.Z_DEFAULT_COMPRESSION);
  const memLevel = checkRange(o.memLevel, 'options.memLevel', C.Z_MIN_MEMLEVEL, C.Z_MAX_MEMLEVEL, C.Z_DEFAULT_MEMLEVEL);
  const strategy = checkRange(o.strategy, 'options.strategy', C.Z_DEFAULT_STRATEGY, C.Z_FIXED, C.Z_DEFAULT_STRATEGY);
  let dictionary = o.dictionary;
  if (dictionary !== undefined && !ArrayBuffer.isView(dictionary)) {
    if (dictionary instanceof ArrayBuffer) dictionary = Buffer.from(dictionary);
    else throw invalidArgType('options.dictionary', ['Buffer', 'TypedArray', 'DataView', 'ArrayBuffer'], dictionary);
  }
  return [[level, windowBits, memLevel, strategy], dictionary];
}

function ZlibBase(opts, mode) {
  const brotli = mode === C.BROTLI_ENCODE || mode === C.BROTLI_DECODE;
  const maxFlush = brotli ? C.BROTLI_OPERATION_EMIT_METADATA : C.Z_BLOCK;
  const defaultFinish = brotli ? C.BROTLI_OPERATION_FINISH : C.Z_FINISH;
  let chunkSize = C.Z_DEFAULT_CHUNK;
  let flush = brotli ? C.BROTLI_OPERATION_PROCESS : C.Z_NO_FLUSH;
  let finishFlush = defaultFinish;
  let maxOutputLength = Number.MAX_SAFE_INTEGER;
  if (opts) {
    chunkSize = checkRange(opts.chunkSize, 'options.chunkSize', C.Z_MIN_CHUNK, Infinity, C.Z_DEFAULT_CHUNK);
    flush = validFlush(opts.flush, 'options.flush', 0, maxFlush, flush);
    finishFlush = validFlush(opts.finishFlush, 'options.finishFlush', 0, maxFlush, defaultFinish);
    maxOutputLength = checkRange(opts.maxOutputLength, 'options.maxOutputLength', 1, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    if (opts.encoding || opts.objectMode || opts.writableObjectMode) {
      opts = { ...opts, encoding: null, objectMode: false, writableObjectMode: false };
    }
  }
  Transform.call(this, { autoDestroy: true, ...opts });
  const [params, dictionary] = codecArgs(mode, opts);
  this._mode = mode;
  this._codecParams = params;
  this._dictionary = dictionary;
  this._handle = native.zlibCreate(mode, params, dictionary);
  this._brotli = brotli;
  this._defaultFlushFlag = flush;
  this._finishFlushFlag = finishFlush;
  this._defaultFullFlushFlag = brotli ? C.BROTLI_OPERATION_FLUSH : C.Z_FULL_FLUSH;
  this._chunkSize = chunkSize;
  this._maxOutputLength = maxOutputLength;
  this._outputLength = 0;
  this.bytesWritten = 0;
  this[kError] = null;
}
Object.setPrototypeOf(ZlibBase.prototype, Transform.prototype);
Object.setPrototypeOf(ZlibBase, Transform);

Object.defineProperty(ZlibBase.prototype, '_closed', {
  get() {
    return this._handle === null;
  },
});
Object.defineProperty(ZlibBase.prototype, 'bytesRead', {
  get() {
    return this.bytesWritten;
  },
  set(v) {
    this.bytesWritten = v;
  },
  configurable: true,
});

ZlibBase.prototype.reset = function () {
  if (this._handle === null) throw nodeError(Error, 'ERR_ZLIB_BINDING_CLOSED', 'zlib binding closed');
  native.zlibClose(this._handle);
  this._handle = native.zlibCreate(this._mode, this._codecParams, this._dictionary);
};

ZlibBase.prototype._flush = function (callback) {
  this._transform(Buffer.alloc(0), '', callback);
};

ZlibBase.prototype._final = function (callback) {
  callback();
};

ZlibBase.prototype.flush = function (kind, callback) {
  if (typeof kind === 'function' || (kind === undefined && !callback)) {
    callback = kind;
    kind = this._defaultFullFlushFlag;
  }
  if (this.writableFinished) {
    if (callback) queueMicrotask(callback);
  } else if (this.writableEnded) {
    if (callback) this.once('end', callback);
  } else {
    this.write(flushBuffers[kind], '', callback);
  }
};

ZlibBase.prototype.params = function (level, strategy, callback) {
  checkRange(level, 'level', C.Z_MIN_LEVEL, C.Z_MAX_LEVEL);
  checkRange(strategy, 'strategy', C.Z_DEFAULT_STRATEGY, C.Z_FIXED);
  // New parameters apply from the next deflate block: flush, then switch.
  this.flush(C.Z_SYNC_FLUSH, () => {
    if (this._handle !== null) native.zlibParams(this._handle, level);
    this._codecParams = [level, this._codecParams[1], this._codecParams[2], strategy];
    if (callback) callback();
  });
};

ZlibBase.prototype.close = function (callback) {
  if (callback) finished(this, callback);
  this.destroy();
};

ZlibBase.prototype._destroy = function (err, callback) {
  if (this._handle !== null) {
    native.zlibClose(this._handle);
    this._handle = null;
  }
  callback(err);
};

ZlibBase.prototype._transform = function (chunk, encoding, cb) {
  let flushFlag = this._defaultFlushFlag;
  if (typeof chunk[kFlushFlag] === 'number') flushFlag = chunk[kFlushFlag];
  // The last chunk before end() carries the finish flush.
  const ws = this._writableState;
  if ((ws.ending || ws.ended) && ws.length === chunk.byteLength) flushFlag = this._finishFlushFlag;
  let out;
  try {
    out = this._processChunk(chunk, flushFlag);
  } catch (e) {
    this[kError] = zlibError(e);
    cb(e);
    return;
  }
  for (let i = 0; i < out.length; i += this._chunkSize) this.push(out.subarray(i, i + this._chunkSize));
  cb();
};

ZlibBase.prototype._processChunk = function (chunk, flushFlag, cb) {
  if (this._handle === null) throw nodeError(Error, 'ERR_ZLIB_BINDING_CLOSED', 'zlib binding closed');
  const produced = native.zlibWrite(this._handle, chunk, flushFlag);
  this.bytesWritten += chunk.byteLength;
  this._outputLength += produced.length;
  if (this._outputLength > this._maxOutputLength) {
    throw nodeError(RangeError, 'ERR_BUFFER_TOO_LARGE', `Cannot create a Buffer larger than ${this._maxOutputLength} bytes`);
  }
  const out = Buffer.from(produced.buffer, produced.byteOffset, produced.length);
  if (typeof cb === 'function') {
    queueMicrotask(() => cb(null, out));
    return undefined;
  }
  return out;
};

function define(name, mode) {
  const ctor = function (opts) {
    if (!(this instanceof ctor)) return new ctor(opts);
    ZlibBase.call(this, opts, mode);
  };
  Object.defineProperty(ctor, 'name', { value: name });
  Object.setPrototypeOf(ctor.prototype, ZlibBase.prototype);
  Object.setPrototypeOf(ctor, ZlibBase);
  return ctor;
}

export const Deflate = define('Deflate', C.DEFLATE);
export const Inflate = define('Inflate', C.INFLATE);
export const Gzip = define('Gzip', C.GZIP);
export const Gunzip = define('Gunzip', C.GUNZIP);
export const DeflateRaw = define('DeflateRaw', C.DEFLATERAW);
export const InflateRaw = define('InflateRaw', C.INFLATERAW);
export const Unzip = define('Unzip', C.UNZIP);
export const BrotliCompress = define('BrotliCompress', C.BROTLI_ENCODE);
export const BrotliDecompress = define('BrotliDecompress', C.BROTLI_DECODE);

function syncRun(Ctor, buffer, opts) {
  const input = toInput(buffer);
  const engine = new Ctor(opts);
  let out;
  try {
    out = engine._processChunk(input, engine._finishFlushFlag);
  } finally {
    engine.close();
  }
  if (opts && opts.info) return { buffer: out, engine };
  return out;
}

function asyncRun(Ctor, buffer, opts, callback) {
  if (typeof opts === 'function') {
    callback = opts;
    opts = {};
  }
  validateFunction(callback, 'callback');
  const input = toInput(buffer);
  queueMicrotask(() => {
    let result;
    try {
      result = syncRun(Ctor, input, opts);
    } catch (e) {
      callback(zlibError(e));
      return;
    }
    callback(null, result);
  });
}

function pair(Ctor) {
  return [(buffer, opts, callback) => asyncRun(Ctor, buffer, opts, callback), (buffer, opts) => syncRun(Ctor, buffer, opts)];
}

export const [deflate, deflateSync] = pair(Deflate);
export const [inflate, inflateSync] = pair(Inflate);
export const [gzip, gzipSync] = pair(Gzip);
export const [gunzip, gunzipSync] = pair(Gunzip);
export const [deflateRaw, deflateRawSync] = pair(DeflateRaw);
export const [inflateRaw, inflateRawSync] = pair(InflateRaw);
export const [unzip, unzipSync] = pair(Unzip);
export const [brotliCompress, brotliCompressSync] = pair(BrotliCompress);
export const [brotliDecompress, brotliDecompressSync] = pair(BrotliDecompress);

export const createDeflate = (o) => new Deflate(o);
export const createInflate = (o) => new Inflate(o);
export const createGzip = (o) => new Gzip(o);
export const createGunzip = (o) => new Gunzip(o);
export const createDeflateRaw = (o) => new DeflateRaw(o);
export const createInflateRaw = (o) => new InflateRaw(o);
export const createUnzip = (o) => new Unzip(o);
export const createBrotliCompress = (o) => new BrotliCompress(o);
export const createBrotliDecompress = (o) => new BrotliDecompress(o);

export function crc32(data, value = 0) {
  if (typeof data !== 'string' && !ArrayBuffer.isView(data)) throw invalidArgType('data', ['Buffer', 'TypedArray', 'DataView', 'string'], data);
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidArgType('value', 'number', value);
  if (value < 0 || value > 0xffffffff) throw outOfRange('value', '>= 0 and <= 4294967295', value);
  return native.zlibCrc32(data, value);
}

export const codes = Object.freeze({
  Z_OK: 0,
  Z_STREAM_END: 1,
  Z_NEED_DICT: 2,
  Z_ERRNO: -1,
  Z_STREAM_ERROR: -2,
  Z_DATA_ERROR: -3,
  Z_MEM_ERROR: -4,
  Z_BUF_ERROR: -5,
  Z_VERSION_ERROR: -6,
  0: 'Z_OK',
  1: 'Z_STREAM_END',
  2: 'Z_NEED_DICT',
  '-1': 'Z_ERRNO',
  '-2': 'Z_STREAM_ERROR',
  '-3': 'Z_DATA_ERROR',
  '-4': 'Z_MEM_ERROR',
  '-5': 'Z_BUF_ERROR',
  '-6': 'Z_VERSION_ERROR',
});

const zlib = {
  constants,
  crc32,
  Deflate,
  Inflate,
  Gzip,
  Gunzip,
  DeflateRaw,
  InflateRaw,
  Unzip,
  BrotliCompress,
  BrotliDecompress,
  deflate,
  deflateSync,
  inflate,
  inflateSync,
  gzip,
  gzipSync,
  gunzip,
  gunzipSync,
  deflateRaw,
  deflateRawSync,
  inflateRaw,
  inflateRawSync,
  unzip,
  unzipSync,
  brotliCompress,
  brotliCompressSync,
  brotliDecompress,
  brotliDecompressSync,
  createDeflate,
  createInflate,
  createGzip,
  createGunzip,
  createDeflateRaw,
  createInflateRaw,
  createUnzip,
  createBrotliCompress,
  createBrotliDecompress,
};
// The legacy top-level Z_* constants.
for (const key of Object.keys(zlibConstants)) {
  if (key.startsWith('Z_') || key.startsWith('ZLIB_')) zlib[key] = zlibConstants[key];
}

// Like Node's, `zlib.codes` cannot be replaced.
Object.defineProperty(zlib, 'codes', { value: codes, enumerable: true, writable: false, configurable: false });

export default zlib;

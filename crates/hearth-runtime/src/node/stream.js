// node:stream — Readable, Writable, Duplex, Transform, PassThrough, pipeline,
// finished and friends with Node.js's semantics: the paused/flowing state
// machine, `read(n)` against highWaterMark, 'readable'/'data'/'end'/'close'
// ordering, write buffering with backpressure ('drain'), cork/uncork and
// `_writev`, `_final`, `_construct`, and error/destroy propagation. Written
// from Node's documentation and observed behaviour.
import { EventEmitter } from 'node:events';
import { Buffer } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import {
  nodeError,
  invalidArgType,
  invalidArgValue,
  outOfRange,
  unknownEncoding,
  missingArgs,
  AbortError,
  validateFunction,
  validateAbortSignal,
  validateObject,
  validateInteger,
  aggregateTwoErrors,
} from 'hearth:node-errors';

const nextTick = (fn, ...args) => queueMicrotask(() => fn(...args));
const nop = () => {};

const err = {
  methodNotImplemented: (m) => nodeError(Error, 'ERR_METHOD_NOT_IMPLEMENTED', `The ${m} method is not implemented`),
  pushAfterEof: () => nodeError(Error, 'ERR_STREAM_PUSH_AFTER_EOF', 'stream.push() after EOF'),
  unshiftAfterEnd: () => nodeError(Error, 'ERR_STREAM_UNSHIFT_AFTER_END_EVENT', 'stream.unshift() after end event'),
  writeAfterEnd: () => nodeError(Error, 'ERR_STREAM_WRITE_AFTER_END', 'write after end'),
  destroyed: (m) => nodeError(Error, 'ERR_STREAM_DESTROYED', `Cannot call ${m} after a stream was destroyed`),
  nullValues: () => nodeError(TypeError, 'ERR_STREAM_NULL_VALUES', 'May not write null values to stream'),
  multipleCallback: () => nodeError(Error, 'ERR_MULTIPLE_CALLBACK', 'Callback called multiple times'),
  prematureClose: () => nodeError(Error, 'ERR_STREAM_PREMATURE_CLOSE', 'Premature close'),
  alreadyFinished: (m) => nodeError(Error, 'ERR_STREAM_ALREADY_FINISHED', `Cannot call ${m} after a stream was finished`),
  invalidReturn: (expected, name, value) =>
    nodeError(TypeError, 'ERR_INVALID_RETURN_VALUE', `Expected ${expected} to be returned from the "${name}" function but got ${value === null ? 'null' : typeof value}.`),
};

const isUint8Array = (v) => v instanceof Uint8Array;
const toBuffer = (u8) => (u8 instanceof Buffer ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength));

// ---- defaults -------------------------------------------------------------
let defaultHwmBytes = 64 * 1024;
let defaultHwmObjects = 16;

export function getDefaultHighWaterMark(objectMode) {
  return objectMode ? defaultHwmObjects : defaultHwmBytes;
}

export function setDefaultHighWaterMark(objectMode, value) {
  if (!Number.isInteger(value) || value < 0) throw outOfRange('value', '>= 0', value);
  if (objectMode) defaultHwmObjects = value;
  else defaultHwmBytes = value;
}

function highWaterMarkFrom(options, isDuplex, key, objectMode) {
  let hwm = options.highWaterMark != null ? options.highWaterMark : isDuplex ? options[key] : null;
  if (hwm != null) {
    if (!Number.isInteger(hwm) || hwm < 0) {
      const name = options.highWaterMark != null ? 'options.highWaterMark' : `options.${key}`;
      throw invalidArgValue(name, hwm);
    }
    return Math.floor(hwm);
  }
  return getDefaultHighWaterMark(objectMode);
}

// ---- the legacy Stream base -----------------------------------------------
export function Stream(opts) {
  EventEmitter.call(this, opts);
}
Object.setPrototypeOf(Stream.prototype, EventEmitter.prototype);
Object.setPrototypeOf(Stream, EventEmitter);

// Pipe for old-style streams that are not Readables: data events, pause on
// a full destination and resume on its 'drain'.
Stream.prototype.pipe = function (dest, options) {
  const source = this;
  const ondata = (chunk) => {
    if (dest.writable && dest.write(chunk) === false && source.pause) source.pause();
  };
  const ondrain = () => {
    if (source.readable && source.resume) source.resume();
  };
  source.on('data', ondata);
  dest.on('drain', ondrain);
  let didOnEnd = false;
  const onend = () => {
    if (didOnEnd) return;
    didOnEnd = true;
    dest.end();
  };
  const onclose = () => {
    if (didOnEnd) return;
    didOnEnd = true;
    if (typeof dest.destroy === 'function') dest.destroy();
  };
  if (!dest._isStdio && (!options || options.end !== false)) {
    source.on('end', onend);
    source.on('close', onclose);
  }
  const onerror = (er) => {
    cleanup();
    if (EventEmitter.listenerCount(this, 'error') === 0) this.emit('error', er);
  };
  prependListener(source, 'error', onerror);
  prependListener(dest, 'error', onerror);
  const cleanup = () => {
    source.removeListener('data', ondata);
    dest.removeListener('drain', ondrain);
    source.removeListener('end', onend);
    source.removeListener('close', onclose);
    source.removeListener('error', onerror);
    dest.removeListener('error', onerror);
    source.removeListener('end', cleanup);
    source.removeListener('close', cleanup);
    dest.removeListener('close', cleanup);
  };
  source.on('end', cleanup);
  source.on('close', cleanup);
  dest.on('close', cleanup);
  dest.emit('pipe', source);
  return dest;
};

// ---- destroy, shared by every stream ----------------------------------------
const kDestroy = Symbol('kDestroy');
const kConstruct = Symbol('kConstruct');
const kOnFinished = Symbol('kOnFinished');
const kPaused = Symbol('kPaused');
const kCallback = Symbol('kCallback');

function recordError(e, w, r) {
  if (e) {
    if (w && !w.errored) w.errored = e;
    if (r && !r.errored) r.errored = e;
  }
}

function destroy(e, cb) {
  const r = this._readableState;
  const w = this._writableState;
  const s = w || r;
  if ((w && w.destroyed) || (r && r.destroyed)) {
    if (typeof cb === 'function') cb();
    return this;
  }
  recordError(e, w, r);
  if (w) w.destroyed = true;
  if (r) r.destroyed = true;
  if (!s.constructed) {
    this.once(kDestroy, function (er) {
      runDestroy(this, aggregateTwoErrors(er, e), cb);
    });
  } else {
    runDestroy(this, e, cb);
  }
  return this;
}

function runDestroy(self, e, cb) {
  let called = false;
  const onDestroy = (e2) => {
    if (called) return;
    called = true;
    const r = self._readableState;
    const w = self._writableState;
    recordError(e2, w, r);
    if (w) w.closed = true;
    if (r) r.closed = true;
    if (typeof cb === 'function') cb(e2);
    if (e2) nextTick(emitErrorCloseNT, self, e2);
    else nextTick(emitCloseNT, self);
  };
  try {
    self._destroy(e || null, onDestroy);
  } catch (e3) {
    onDestroy(e3);
  }
}

function emitErrorCloseNT(self, e) {
  emitErrorNT(self, e);
  emitCloseNT(self);
}

function emitCloseNT(self) {
  const r = self._readableState;
  const w = self._writableState;
  if (w) w.closeEmitted = true;
  if (r) r.closeEmitted = true;
  if ((w && w.emitClose) || (r && r.emitClose)) self.emit('close');
}

function emitErrorNT(self, e) {
  const r = self._readableState;
  const w = self._writableState;
  if ((w && w.errorEmitted) || (r && r.errorEmitted)) return;
  if (w) w.errorEmitted = true;
  if (r) r.errorEmitted = true;
  self.emit('error', e);
}

function undestroy() {
  const r = this._readableState;
  const w = this._writableState;
  if (r) {
    r.constructed = true;
    r.closed = false;
    r.closeEmitted = false;
    r.destroyed = false;
    r.errored = null;
    r.errorEmitted = false;
    r.reading = false;
    r.ended = r.readable === false;
    r.endEmitted = r.readable === false;
  }
  if (w) {
    w.constructed = true;
    w.destroyed = false;
    w.closed = false;
    w.closeEmitted = false;
    w.errored = null;
    w.errorEmitted = false;
    w.finalCalled = false;
    w.prefinished = false;
    w.ended = w.writable === false;
    w.ending = w.writable === false;
    w.finished = w.writable === false;
  }
}

/** Reports `e` on `stream`: destroys it when it auto-destroys, else emits. */
function errorOrDestroy(stream, e, sync) {
  const r = stream._readableState;
  const w = stream._writableState;
  if ((w && w.destroyed) || (r && r.destroyed)) return;
  if ((r && r.autoDestroy) || (w && w.autoDestroy)) stream.destroy(e);
  else if (e) {
    recordError(e, w, r);
    if (sync) nextTick(emitErrorNT, stream, e);
    else emitErrorNT(stream, e);
  }
}

function constructStream(stream, cb) {
  if (typeof stream._construct !== 'function') return;
  const r = stream._readableState;
  const w = stream._writableState;
  if (r) r.constructed = false;
  if (w) w.constructed = false;
  stream.once(kConstruct, cb);
  // A Duplex registers twice (as Readable and Writable); construct once.
  if (stream.listenerCount(kConstruct) > 1) return;
  nextTick(constructNT, stream);
}

function constructNT(stream) {
  let called = false;
  const onConstruct = (e) => {
    if (called) {
      errorOrDestroy(stream, e != null ? e : err.multipleCallback());
      return;
    }
    called = true;
    const r = stream._readableState;
    const w = stream._writableState;
    const s = w || r;
    if (r) r.constructed = true;
    if (w) w.constructed = true;
    if (s.destroyed) stream.emit(kDestroy, e);
    else if (e) errorOrDestroy(stream, e, true);
    else nextTick(() => stream.emit(kConstruct));
  };
  try {
    stream._construct((e) => nextTick(onConstruct, e));
  } catch (e) {
    nextTick(onConstruct, e);
  }
}

function isRequest(stream) {
  return stream && stream.setHeader && typeof stream.abort === 'function';
}

/** Destroys any stream-like thing, as pipeline and iterators do. */
function destroyer(stream, e) {
  if (!stream || isDestroyed(stream)) return;
  if (!e && !isFinished(stream)) e = new AbortError();
  if (isRequest(stream)) stream.abort();
  else if (isRequest(stream.req)) stream.req.abort();
  else if (typeof stream.destroy === 'function') stream.destroy(e);
  else if (typeof stream.close === 'function') stream.close();
  else if (e) nextTick((s, er) => s.emit('error', er), stream, e);
  else nextTick((s) => s.emit('close'), stream);
  if (!stream.destroyed) stream[kIsDestroyed] = true;
}

// ---- state inspection (Node's stream utils) -------------------------------
const kIsDestroyed = Symbol.for('nodejs.stream.destroyed');
const kIsErrored = Symbol('kIsErrored');
const kIsReadable = Symbol('kIsReadable');
const kIsDisturbed = Symbol('kIsDisturbed');

function isReadableNodeStream(obj, strict = false) {
  return Boolean(
    obj &&
      typeof obj.pipe === 'function' &&
      typeof obj.on === 'function' &&
      (!strict || (typeof obj.pause === 'function' && typeof obj.resume === 'function')) &&
      (!obj._writableState || (obj._readableState && obj._readableState.readable !== false)) &&
      (!obj._writableState || obj._readableState),
  );
}

function isWritableNodeStream(obj) {
  return Boolean(
    obj &&
      typeof obj.write === 'function' &&
      typeof obj.on === 'function' &&
      (!obj._readableState || (obj._writableState && obj._writableState.writable !== false)),
  );
}

function isDuplexNodeStream(obj) {
  return Boolean(obj && typeof obj.pipe === 'function' && obj._readableState && typeof obj.on === 'function' && typeof obj.write === 'function');
}

function isNodeStream(obj) {
  return Boolean(
    obj &&
      (obj._readableState ||
        obj._writableState ||
        (typeof obj.write === 'function' && typeof obj.on === 'function') ||
        (typeof obj.pipe === 'function' && typeof obj.on === 'function')),
  );
}

function isWebStream(obj) {
  return Boolean(
    obj &&
      !isNodeStream(obj) &&
      (typeof obj.pipeThrough === 'function' || typeof obj.getWriter === 'function' || (typeof obj.readable === 'object' && typeof obj.writable === 'object')),
  );
}

function isIterable(obj, isAsync) {
  if (obj == null) return false;
  if (isAsync === true) return typeof obj[Symbol.asyncIterator] === 'function';
  if (isAsync === false) return typeof obj[Symbol.iterator] === 'function';
  return typeof obj[Symbol.asyncIterator] === 'function' || typeof obj[Symbol.iterator] === 'function';
}

export function isDestroyed(stream) {
  if (!isNodeStream(stream)) return null;
  const s = stream._writableState || stream._readableState;
  return Boolean(stream.destroyed || stream[kIsDestroyed] || (s && s.destroyed));
}

function isWritableEnded(stream) {
  if (!isWritableNodeStream(stream)) return null;
  if (stream.writableEnded === true) return true;
  const w = stream._writableState;
  if (w && w.errored) return false;
  if (!w || typeof w.ended !== 'boolean') return null;
  return w.ended;
}

function isWritableFinished(stream, strict) {
  if (!isWritableNodeStream(stream)) return null;
  if (stream.writableFinished === true) return true;
  const w = stream._writableState;
  if (w && w.errored) return false;
  if (!w || typeof w.finished !== 'boolean') return null;
  return Boolean(w.finished || (strict === false && w.ended === true && w.length === 0));
}

function isReadableFinished(stream, strict) {
  if (!isReadableNodeStream(stream)) return null;
  const r = stream._readableState;
  if (!r || r.errored) return false;
  if (typeof r.endEmitted !== 'boolean') return null;
  return Boolean(r.endEmitted || (strict === false && r.ended === true && r.length === 0));
}

export function isReadable(stream) {
  if (stream && stream[kIsReadable] != null) return stream[kIsReadable];
  if (!stream || typeof stream.readable !== 'boolean') return null;
  if (isDestroyed(stream)) return false;
  return isReadableNodeStream(stream) && stream.readable && !isReadableFinished(stream);
}

export function isWritable(stream) {
  if (!stream || typeof stream.writable !== 'boolean') return null;
  if (isDestroyed(stream)) return false;
  return isWritableNodeStream(stream) && stream.writable && !isWritableEnded(stream);
}

function isFinished(stream, opts) {
  if (!isNodeStream(stream)) return null;
  if (isDestroyed(stream)) return true;
  if ((!opts || opts.readable !== false) && isReadable(stream)) return false;
  if ((!opts || opts.writable !== false) && isWritable(stream)) return false;
  return true;
}

function isWritableErrored(stream) {
  if (!isNodeStream(stream)) return null;
  if (stream.writableErrored) return stream.writableErrored;
  const w = stream._writableState;
  return w && w.errored != null ? w.errored : null;
}

function isReadableErrored(stream) {
  if (!isNodeStream(stream)) return null;
  if (stream.readableErrored) return stream.readableErrored;
  const r = stream._readableState;
  return r && r.errored != null ? r.errored : null;
}

function isClosed(stream) {
  if (!isNodeStream(stream)) return null;
  const w = stream._writableState;
  const r = stream._readableState;
  if ((w && typeof w.closed === 'boolean') || (r && typeof r.closed === 'boolean')) return Boolean((w && w.closed) || (r && r.closed));
  return null;
}

function willEmitClose(stream) {
  if (!isNodeStream(stream)) return null;
  const s = stream._writableState || stream._readableState;
  return Boolean(s && s.autoDestroy && s.emitClose && s.closed === false);
}

export function isDisturbed(stream) {
  return Boolean(stream && (stream[kIsDisturbed] != null ? stream[kIsDisturbed] : stream.readableDidRead || stream.readableAborted));
}

export function isErrored(stream) {
  return Boolean(
    stream &&
      (stream[kIsErrored] != null
        ? stream[kIsErrored]
        : stream.readableErrored || stream.writableErrored || (stream._readableState && stream._readableState.errorEmitted) || (stream._writableState && stream._writableState.errorEmitted)),
  );
}

// ---- Readable ---------------------------------------------------------------
function ReadableState(options, stream, isDuplex) {
  options = options || {};
  if (typeof isDuplex !== 'boolean') isDuplex = stream instanceof Duplex;
  this.objectMode = Boolean(options.objectMode || (isDuplex && options.readableObjectMode));
  this.highWaterMark = highWaterMarkFrom(options, isDuplex, 'readableHighWaterMark', this.objectMode);
  this.buffer = [];
  this.length = 0;
  this.pipes = [];
  this.flowing = null;
  this.ended = false;
  this.endEmitted = false;
  this.reading = false;
  this.constructed = true;
  // Whether 'data'/'readable' would be emitted synchronously from push().
  this.sync = true;
  this.needReadable = false;
  this.emittedReadable = false;
  this.readableListening = false;
  this.resumeScheduled = false;
  this[kPaused] = null;
  this.errorEmitted = false;
  this.emitClose = options.emitClose !== false;
  this.autoDestroy = options.autoDestroy !== false;
  this.destroyed = false;
  this.errored = null;
  this.closed = false;
  this.closeEmitted = false;
  this.defaultEncoding = options.defaultEncoding || 'utf8';
  if (!Buffer.isEncoding(this.defaultEncoding)) throw unknownEncoding(this.defaultEncoding);
  this.awaitDrainWriters = null;
  this.multiAwaitDrain = false;
  this.readingMore = false;
  this.dataEmitted = false;
  this.decoder = null;
  this.encoding = null;
  if (options.encoding) {
    this.decoder = new StringDecoder(options.encoding);
    this.encoding = options.encoding;
  }
}
Object.defineProperties(ReadableState.prototype, {
  pipesCount: {
    get() {
      return this.pipes.length;
    },
  },
  paused: {
    get() {
      return this[kPaused] !== false;
    },
    set(v) {
      this[kPaused] = Boolean(v);
    },
  },
});

export function Readable(options) {
  if (!(this instanceof Readable)) return new Readable(options);
  const isDuplex = this instanceof Duplex;
  this._readableState = new ReadableState(options, this, isDuplex);
  if (options) {
    if (typeof options.read === 'function') this._read = options.read;
    if (typeof options.destroy === 'function') this._destroy = options.destroy;
    if (typeof options.construct === 'function') this._construct = options.construct;
    if (options.signal && !isDuplex) addAbortSignal(options.signal, this);
  }
  if (this._events === undefined) {
    // The usual events first, in Node's order (eventNames() shows it).
    this._events = { close: undefined, error: undefined, data: undefined, end: undefined, readable: undefined };
    Object.setPrototypeOf(this._events, null);
  }
  Stream.call(this, options);
  constructStream(this, () => {
    if (this._readableState.needReadable) maybeReadMore(this, this._readableState);
  });
}
Object.setPrototypeOf(Readable.prototype, Stream.prototype);
Object.setPrototypeOf(Readable, Stream);
Readable.ReadableState = ReadableState;

Readable.prototype.destroy = destroy;
Readable.prototype._undestroy = undestroy;
Readable.prototype._destroy = function (e, cb) {
  cb(e);
};
Readable.prototype[EventEmitter.captureRejectionSymbol] = function (e) {
  this.destroy(e);
};

Readable.prototype.push = function (chunk, encoding) {
  return addChunkFrom(this, chunk, encoding, false);
};

Readable.prototype.unshift = function (chunk, encoding) {
  return addChunkFrom(this, chunk, encoding, true);
};

function addChunkFrom(stream, chunk, encoding, addToFront) {
  const state = stream._readableState;
  let e;
  if (!state.objectMode) {
    if (typeof chunk === 'string') {
      encoding = encoding || state.defaultEncoding;
      if (state.encoding !== encoding) {
        if (addToFront && state.encoding) {
          chunk = Buffer.from(chunk, encoding).toString(state.encoding);
        } else {
          chunk = Buffer.from(chunk, encoding);
          encoding = '';
        }
      }
    } else if (chunk instanceof Buffer) {
      encoding = '';
    } else if (isUint8Array(chunk)) {
      chunk = toBuffer(chunk);
      encoding = '';
    } else if (chunk != null) {
      e = invalidArgType('chunk', ['string', 'Buffer', 'Uint8Array'], chunk);
    }
  }
  if (e) {
    errorOrDestroy(stream, e);
  } else if (chunk === null) {
    state.reading = false;
    onEofChunk(stream, state);
  } else if (state.objectMode || (chunk && chunk.length > 0)) {
    if (addToFront) {
      if (state.endEmitted) errorOrDestroy(stream, err.unshiftAfterEnd());
      else if (state.destroyed || state.errored) return false;
      else addChunk(stream, state, chunk, true);
    } else if (state.ended) {
      errorOrDestroy(stream, err.pushAfterEof());
    } else if (state.destroyed || state.errored) {
      return false;
    } else {
      state.reading = false;
      if (state.decoder && !encoding) {
        chunk = state.decoder.write(chunk);
        if (state.objectMode || chunk.length !== 0) addChunk(stream, state, chunk, false);
        else maybeReadMore(stream, state);
      } else {
        addChunk(stream, state, chunk, false);
      }
    }
  } else if (!addToFront) {
    state.reading = false;
    maybeReadMore(stream, state);
  }
  return !state.ended && (state.length < state.highWaterMark || state.length === 0);
}

function addChunk(stream, state, chunk, addToFront) {
  if (state.flowing && state.length === 0 && !state.sync && stream.listenerCount('data') > 0) {
    // Straight through: nothing buffered and someone is listening.
    if (state.multiAwaitDrain) state.awaitDrainWriters.clear();
    else state.awaitDrainWriters = null;
    state.dataEmitted = true;
    stream.emit('data', chunk);
  } else {
    state.length += state.objectMode ? 1 : chunk.length;
    if (addToFront) state.buffer.unshift(chunk);
    else state.buffer.push(chunk);
    if (state.needReadable) emitReadable(stream);
  }
  maybeReadMore(stream, state);
}

Readable.prototype.isPaused = function () {
  const state = this._readableState;
  return state[kPaused] === true || state.flowing === false;
};

Readable.prototype.setEncoding = function (enc) {
  const decoder = new StringDecoder(enc);
  const state = this._readableState;
  state.decoder = decoder;
  state.encoding = decoder.encoding;
  let content = '';
  for (const data of state.buffer) content += decoder.write(data);
  state.buffer = content === '' ? [] : [content];
  state.length = content.length;
  return this;
};

const MAX_HWM = 0x40000000;
function computeNewHighWaterMark(n) {
  if (n > MAX_HWM) throw outOfRange('size', '<= 1GiB', n);
  // The next power of two, so repeated reads don't grow it step by step.
  n--;
  n |= n >>> 1;
  n |= n >>> 2;
  n |= n >>> 4;
  n |= n >>> 8;
  n |= n >>> 16;
  n++;
  return n;
}

function howMuchToRead(n, state) {
  if (n <= 0 || (state.length === 0 && state.ended)) return 0;
  if (state.objectMode) return 1;
  if (Number.isNaN(n)) {
    // Everything buffered, or one chunk at a time while flowing.
    if (state.flowing && state.length) return state.buffer[0].length;
    return state.length;
  }
  if (n <= state.length) return n;
  return state.ended ? state.length : 0;
}

Readable.prototype.read = function (n) {
  if (n === undefined) n = NaN;
  else if (!Number.isInteger(n)) n = Number.parseInt(n, 10);
  const state = this._readableState;
  const nOrig = n;
  if (n > state.highWaterMark) state.highWaterMark = computeNewHighWaterMark(n);
  if (n !== 0) state.emittedReadable = false;

  // read(0) with enough buffered only triggers 'readable' (or 'end').
  if (
    n === 0 &&
    state.needReadable &&
    ((state.highWaterMark !== 0 ? state.length >= state.highWaterMark : state.length > 0) || state.ended)
  ) {
    if (state.length === 0 && state.ended) endReadable(this);
    else emitReadable(this);
    return null;
  }

  n = howMuchToRead(n, state);
  if (n === 0 && state.ended) {
    if (state.length === 0) endReadable(this);
    return null;
  }

  // Ask _read for more when below the high water mark.
  let doRead = state.needReadable;
  if (state.length === 0 || state.length - n < state.highWaterMark) doRead = true;
  if (state.ended || state.reading || state.destroyed || state.errored || !state.constructed) {
    doRead = false;
  } else if (doRead) {
    state.reading = true;
    state.sync = true;
    if (state.length === 0) state.needReadable = true;
    try {
      this._read(state.highWaterMark);
    } catch (e) {
      errorOrDestroy(this, e);
    }
    state.sync = false;
    // A synchronous push may have made more available.
    if (!state.reading) n = howMuchToRead(nOrig, state);
  }

  let ret = n > 0 ? fromList(n, state) : null;
  if (ret === null) {
    state.needReadable = state.length <= state.highWaterMark;
    n = 0;
  } else {
    state.length -= n;
    if (state.multiAwaitDrain) state.awaitDrainWriters.clear();
    else state.awaitDrainWriters = null;
  }

  if (state.length === 0) {
    if (!state.ended) state.needReadable = true;
    if (nOrig !== n && state.ended) endReadable(this);
  }

  if (ret !== null && !state.errorEmitted && !state.closeEmitted) {
    state.dataEmitted = true;
    this.emit('data', ret);
  }
  return ret;
};

// Takes n units (bytes, characters or one object) off the buffer.
function fromList(n, state) {
  if (state.length === 0) return null;
  const buf = state.buffer;
  if (state.objectMode) return buf.shift();
  if (!n || n >= state.length) {
    let ret;
    if (state.decoder) ret = buf.join('');
    else if (buf.length === 1) ret = buf[0];
    else ret = Buffer.concat(buf, state.length);
    state.buffer = [];
    return ret;
  }
  const first = buf[0];
  if (n < first.length) {
    buf[0] = first.slice(n);
    return first.slice(0, n);
  }
  if (n === first.length) return buf.shift();
  if (state.decoder) {
    let ret = '';
    while (ret.length < n) {
      const str = buf[0];
      const need = n - ret.length;
      if (str.length <= need) {
        ret += str;
        buf.shift();
      } else {
        ret += str.slice(0, need);
        buf[0] = str.slice(need);
      }
    }
    return ret;
  }
  const ret = Buffer.allocUnsafe(n);
  let filled = 0;
  while (filled < n) {
    const data = buf[0];
    const need = n - filled;
    if (data.length <= need) {
      ret.set(data, filled);
      filled += data.length;
      buf.shift();
    } else {
      ret.set(data.subarray(0, need), filled);
      buf[0] = data.slice(need);
      filled += need;
    }
  }
  return ret;
}

function onEofChunk(stream, state) {
  if (state.ended) return;
  if (state.decoder) {
    const chunk = state.decoder.end();
    if (chunk && chunk.length) {
      state.buffer.push(chunk);
      state.length += state.objectMode ? 1 : chunk.length;
    }
  }
  state.ended = true;
  if (state.sync) {
    emitReadable(stream);
  } else {
    state.needReadable = false;
    state.emittedReadable = true;
    emitReadableNT(stream);
  }
}

function emitReadable(stream) {
  const state = stream._readableState;
  state.needReadable = false;
  if (!state.emittedReadable) {
    state.emittedReadable = true;
    nextTick(emitReadableNT, stream);
  }
}

function emitReadableNT(stream) {
  const state = stream._readableState;
  if (!state.destroyed && !state.errored && (state.length || state.ended)) {
    stream.emit('readable');
    state.emittedReadable = false;
  }
  state.needReadable = !state.flowing && !state.ended && state.length <= state.highWaterMark;
  flow(stream);
}

function maybeReadMore(stream, state) {
  if (!state.readingMore && state.constructed) {
    state.readingMore = true;
    nextTick(maybeReadMoreNT, stream, state);
  }
}

function maybeReadMoreNT(stream, state) {
  // Fill the buffer up to the high water mark while _read pushes
  // asynchronously; stop as soon as a read(0) adds nothing.
  while (!state.reading && !state.ended && (state.length < state.highWaterMark || (state.flowing && state.length === 0))) {
    const len = state.length;
    stream.read(0);
    if (len === state.length) break;
  }
  state.readingMore = false;
}

Readable.prototype._read = function () {
  throw err.methodNotImplemented('_read()');
};

Readable.prototype.pipe = function (dest, pipeOpts) {
  const src = this;
  const state = this._readableState;
  if (state.pipes.length === 1 && !state.multiAwaitDrain) {
    state.multiAwaitDrain = true;
    state.awaitDrainWriters = new Set(state.awaitDrainWriters ? [state.awaitDrainWriters] : []);
  }
  state.pipes.push(dest);

  const doEnd = !pipeOpts || pipeOpts.end !== false;
  const endFn = doEnd ? onend : unpipe;
  if (state.endEmitted) nextTick(endFn);
  else src.once('end', endFn);

  dest.on('unpipe', onunpipe);
  function onunpipe(readable, unpipeInfo) {
    if (readable === src && unpipeInfo && unpipeInfo.hasUnpiped === false) {
      unpipeInfo.hasUnpiped = true;
      cleanup();
    }
  }

  function onend() {
    dest.end();
  }

  let ondrain;
  let cleanedUp = false;
  function cleanup() {
    dest.removeListener('close', onclose);
    dest.removeListener('finish', onfinish);
    if (ondrain) dest.removeListener('drain', ondrain);
    dest.removeListener('error', onerror);
    dest.removeListener('unpipe', onunpipe);
    src.removeListener('end', onend);
    src.removeListener('end', unpipe);
    src.removeListener('data', ondata);
    cleanedUp = true;
    // Unblock the source if it was waiting on this destination only.
    if (ondrain && state.awaitDrainWriters && (!dest._writableState || dest._writableState.needDrain)) ondrain();
  }

  function pause() {
    if (!cleanedUp) {
      if (state.pipes.length === 1 && state.pipes[0] === dest) {
        state.awaitDrainWriters = dest;
        state.multiAwaitDrain = false;
      } else if (state.pipes.length > 1 && state.pipes.includes(dest)) {
        state.awaitDrainWriters.add(dest);
      }
      src.pause();
    }
    if (!ondrain) {
      ondrain = pipeOnDrain(src, dest);
      dest.on('drain', ondrain);
    }
  }

  src.on('data', ondata);
  function ondata(chunk) {
    if (dest.write(chunk) === false) pause();
  }

  function onerror(er) {
    unpipe();
    dest.removeListener('error', onerror);
    if (dest.listenerCount('error') === 0) {
      const s = dest._writableState || dest._readableState;
      if (s && !s.errorEmitted) errorOrDestroy(dest, er);
      else dest.emit('error', er);
    }
  }
  prependListener(dest, 'error', onerror);

  function onclose() {
    dest.removeListener('finish', onfinish);
    unpipe();
  }
  dest.once('close', onclose);
  function onfinish() {
    dest.removeListener('close', onclose);
    unpipe();
  }
  dest.once('finish', onfinish);

  function unpipe() {
    src.unpipe(dest);
  }

  dest.emit('pipe', src);

  if (dest.writableNeedDrain === true) pause();
  else if (!state.flowing) src.resume();
  return dest;
};

// Old emitters may lack prependListener: put the listener first by hand.
function prependListener(emitter, event, fn) {
  if (typeof emitter.prependListener === 'function') return emitter.prependListener(event, fn);
  const events = emitter._events;
  if (!events || !events[event]) emitter.on(event, fn);
  else if (Array.isArray(events[event])) events[event].unshift(fn);
  else events[event] = [fn, events[event]];
}

function pipeOnDrain(src, dest) {
  return function () {
    const state = src._readableState;
    if (state.awaitDrainWriters === dest) state.awaitDrainWriters = null;
    else if (state.multiAwaitDrain) state.awaitDrainWriters.delete(dest);
    if ((!state.awaitDrainWriters || state.awaitDrainWriters.size === 0) && src.listenerCount('data')) src.resume();
  };
}

Readable.prototype.unpipe = function (dest) {
  const state = this._readableState;
  if (state.pipes.length === 0) return this;
  if (!dest) {
    const dests = state.pipes;
    state.pipes = [];
    this.pause();
    for (const d of dests) d.emit('unpipe', this, { hasUnpiped: false });
    return this;
  }
  const index = state.pipes.indexOf(dest);
  if (index === -1) return this;
  state.pipes.splice(index, 1);
  if (state.pipes.length === 0) this.pause();
  dest.emit('unpipe', this, { hasUnpiped: false });
  return this;
};

Readable.prototype.on = function (ev, fn) {
  const res = Stream.prototype.on.call(this, ev, fn);
  const state = this._readableState;
  if (ev === 'data') {
    state.readableListening = this.listenerCount('readable') > 0;
    // A 'data' listener starts the flow unless paused explicitly.
    if (state.flowing !== false) this.resume();
  } else if (ev === 'readable') {
    if (!state.endEmitted && !state.readableListening) {
      state.readableListening = state.needReadable = true;
      state.flowing = false;
      state.emittedReadable = false;
      if (state.length) emitReadable(this);
      else if (!state.reading) nextTick((self) => self.read(0), this);
    }
  }
  return res;
};
Readable.prototype.addListener = Readable.prototype.on;

Readable.prototype.removeListener = function (ev, fn) {
  const res = Stream.prototype.removeListener.call(this, ev, fn);
  if (ev === 'readable') nextTick(updateReadableListening, this);
  return res;
};
Readable.prototype.off = Readable.prototype.removeListener;

Readable.prototype.removeAllListeners = function (ev) {
  const res = Stream.prototype.removeAllListeners.apply(this, arguments);
  if (ev === 'readable' || ev === undefined) nextTick(updateReadableListening, this);
  return res;
};

function updateReadableListening(self) {
  const state = self._readableState;
  state.readableListening = self.listenerCount('readable') > 0;
  if (state.resumeScheduled && state[kPaused] === false) state.flowing = true;
  else if (self.listenerCount('data') > 0) self.resume();
  else if (!state.readableListening) state.flowing = null;
}

Readable.prototype.resume = function () {
  const state = this._readableState;
  if (!state.flowing) {
    // With 'readable' listeners the stream stays paused: they read.
    state.flowing = !state.readableListening;
    if (!state.resumeScheduled) {
      state.resumeScheduled = true;
      nextTick(resumeNT, this, state);
    }
  }
  state[kPaused] = false;
  return this;
};

function resumeNT(stream, state) {
  if (!state.reading) stream.read(0);
  state.resumeScheduled = false;
  stream.emit('resume');
  flow(stream);
  if (state.flowing && !state.reading) stream.read(0);
}

Readable.prototype.pause = function () {
  const state = this._readableState;
  if (state.flowing !== false) {
    state.flowing = false;
    this.emit('pause');
  }
  state[kPaused] = true;
  return this;
};

function flow(stream) {
  const state = stream._readableState;
  while (state.flowing && stream.read() !== null);
}

// Wraps an old-style stream (data/end events, pause/resume) as a Readable.
Readable.prototype.wrap = function (stream) {
  let paused = false;
  stream.on('data', (chunk) => {
    if (!this.push(chunk) && stream.pause) {
      paused = true;
      stream.pause();
    }
  });
  stream.on('end', () => this.push(null));
  stream.on('error', (e) => errorOrDestroy(this, e));
  stream.on('close', () => this.destroy());
  stream.on('destroy', () => this.destroy());
  this._read = () => {
    if (paused && stream.resume) {
      paused = false;
      stream.resume();
    }
  };
  for (const key of Object.keys(stream)) {
    if (this[key] === undefined && typeof stream[key] === 'function') this[key] = stream[key].bind(stream);
  }
  return this;
};

function endReadable(stream) {
  const state = stream._readableState;
  if (!state.endEmitted) {
    state.ended = true;
    nextTick(endReadableNT, state, stream);
  }
}

function endReadableNT(state, stream) {
  if (!state.errored && !state.closeEmitted && !state.endEmitted && state.length === 0) {
    state.endEmitted = true;
    stream.emit('end');
    if (stream.writable && stream.allowHalfOpen === false) {
      nextTick(endWritableNT, stream);
    } else if (state.autoDestroy) {
      // A Duplex is destroyed once both sides are done.
      const w = stream._writableState;
      if (!w || (w.autoDestroy && (w.finished || w.writable === false))) stream.destroy();
    }
  }
}

function endWritableNT(stream) {
  if (stream.writable && !stream.writableEnded && !stream.destroyed) stream.end();
}

Object.defineProperties(Readable.prototype, {
  readable: {
    get() {
      const r = this._readableState;
      return Boolean(r) && r.readable !== false && !r.destroyed && !r.errorEmitted && !r.endEmitted;
    },
    set(v) {
      if (this._readableState) this._readableState.readable = Boolean(v);
    },
    configurable: true,
  },
  readableDidRead: {
    get() {
      return this._readableState.dataEmitted;
    },
  },
  readableAborted: {
    get() {
      const r = this._readableState;
      return Boolean(r.readable !== false && (r.destroyed || r.errored) && !r.endEmitted);
    },
  },
  readableHighWaterMark: {
    get() {
      return this._readableState.highWaterMark;
    },
  },
  readableBuffer: {
    get() {
      return this._readableState && this._readableState.buffer;
    },
  },
  readableFlowing: {
    get() {
      return this._readableState.flowing;
    },
    set(v) {
      if (this._readableState) this._readableState.flowing = v;
    },
  },
  readableLength: {
    get() {
      return this._readableState.length;
    },
  },
  readableObjectMode: {
    get() {
      return this._readableState ? this._readableState.objectMode : false;
    },
  },
  readableEncoding: {
    get() {
      return this._readableState ? this._readableState.encoding : null;
    },
  },
  errored: {
    get() {
      return this._readableState ? this._readableState.errored : null;
    },
    configurable: true,
  },
  closed: {
    get() {
      return this._readableState ? this._readableState.closed : false;
    },
    configurable: true,
  },
  destroyed: {
    get() {
      return this._readableState ? this._readableState.destroyed : false;
    },
    set(v) {
      if (this._readableState) this._readableState.destroyed = v;
    },
    configurable: true,
  },
  readableEnded: {
    get() {
      return this._readableState ? this._readableState.endEmitted : false;
    },
  },
});

// `await using` support: destroys the stream (an AbortError unless it
// ended) and resolves once it is closed.
const asyncDispose = Symbol.asyncDispose || Symbol.for('nodejs.asyncDispose');
function disposeStream() {
  let error;
  if (!this.destroyed) {
    error = this.readableEnded ? null : new AbortError();
    this.destroy(error);
  }
  return new Promise((resolve, reject) => finished(this, (e) => (e && e !== error ? reject(e) : resolve(null))));
}

// ---- async iteration ------------------------------------------------------------
Readable.prototype[asyncDispose] = disposeStream;

Readable.prototype[Symbol.asyncIterator] = function () {
  return streamToAsyncIterator(this);
};

Readable.prototype.iterator = function (options) {
  return streamToAsyncIterator(this, options);
};

function streamToAsyncIterator(stream, options) {
  if (typeof stream.read !== 'function') stream = Readable.wrap(stream, { objectMode: true });
  const iter = createAsyncIterator(stream, options);
  iter.stream = stream;
  return iter;
}

async function* createAsyncIterator(stream, options) {
  let callback = nop;
  function next(resolve) {
    if (this === stream) {
      callback();
      callback = nop;
    } else {
      callback = resolve;
    }
  }
  stream.on('readable', next);
  let error;
  const cleanup = finished(stream, { writable: false }, (e) => {
    error = e ? aggregateTwoErrors(error, e) : null;
    callback();
    callback = nop;
  });
  try {
    while (true) {
      const chunk = stream.destroyed ? null : stream.read();
      if (chunk !== null) yield chunk;
      else if (error) throw error;
      else if (error === null) return;
      else await new Promise(next);
    }
  } catch (e) {
    error = aggregateTwoErrors(error, e);
    throw error;
  } finally {
    if ((error || !options || options.destroyOnReturn !== false) && (error === undefined || stream._readableState.autoDestroy)) {
      destroyer(stream, null);
    } else {
      stream.off('readable', next);
      cleanup();
    }
  }
}

Readable.wrap = function (src, options) {
  return new Readable({ objectMode: src.readableObjectMode != null ? src.readableObjectMode : src.objectMode != null ? src.objectMode : true, ...options, destroy(e, cb) {
    destroyer(src, e);
    cb(e);
  } }).wrap(src);
};

Readable.from = function (iterable, opts) {
  return readableFrom(iterable, opts);
};

function readableFrom(iterable, opts) {
  if (typeof iterable === 'string' || iterable instanceof Buffer) {
    return new Readable({
      objectMode: true,
      ...opts,
      read() {
        this.push(iterable);
        this.push(null);
      },
    });
  }
  let isAsync;
  let iterator;
  if (iterable && typeof iterable[Symbol.asyncIterator] === 'function') {
    isAsync = true;
    iterator = iterable[Symbol.asyncIterator]();
  } else if (iterable && typeof iterable[Symbol.iterator] === 'function') {
    isAsync = false;
    iterator = iterable[Symbol.iterator]();
  } else {
    throw invalidArgType('iterable', ['Iterable'], iterable);
  }
  const readable = new Readable({ objectMode: true, highWaterMark: 1, ...opts });
  let reading = false;
  readable._read = function () {
    if (!reading) {
      reading = true;
      next();
    }
  };
  readable._destroy = function (error, cb) {
    close(error).then(
      () => nextTick(cb, error),
      (e) => nextTick(cb, e || error),
    );
  };
  async function close(error) {
    const hadError = error !== undefined && error !== null;
    if (hadError && typeof iterator.throw === 'function') {
      const { value, done } = await iterator.throw(error);
      await value;
      if (done) return;
    }
    if (typeof iterator.return === 'function') {
      const { value } = await iterator.return();
      await value;
    }
  }
  async function next() {
    for (;;) {
      try {
        const { value, done } = isAsync ? await iterator.next() : iterator.next();
        if (done) {
          readable.push(null);
        } else {
          const res = value && typeof value.then === 'function' ? await value : value;
          if (res === null) {
            reading = false;
            throw err.nullValues();
          } else if (readable.push(res)) {
            continue;
          } else {
            reading = false;
          }
        }
      } catch (e) {
        readable.destroy(e);
      }
      break;
    }
  }
  return readable;
}

Readable.fromWeb = function (webStream, options = {}) {
  const reader = webStream.getReader();
  let closed = false;
  const readable = new Readable({
    objectMode: options.objectMode,
    highWaterMark: options.highWaterMark,
    encoding: options.encoding,
    signal: options.signal,
    read() {
      reader.read().then(
        ({ value, done }) => {
          if (done) {
            closed = true;
            this.push(null);
          } else {
            this.push(value);
          }
        },
        (e) => this.destroy(e),
      );
    },
    destroy(e, cb) {
      if (closed) return cb(e);
      reader.cancel(e).then(() => cb(e), (e2) => cb(e2 || e));
    },
  });
  return readable;
};

Readable.toWeb = function (readable, options = {}) {
  const objectMode = readable.readableObjectMode;
  let pull = null;
  const bytes = (c) => (typeof c === 'string' ? new TextEncoder().encode(c) : c instanceof Uint8Array ? new Uint8Array(c.buffer, c.byteOffset, c.byteLength) : c);
  return new ReadableStream(
    {
      start(controller) {
        readable.pause();
        readable.on('data', (c) => {
          controller.enqueue(objectMode ? c : bytes(c));
          if (controller.desiredSize <= 0) readable.pause();
        });
        finished(readable, (e) => {
          if (e) controller.error(e);
          else {
            try {
              controller.close();
            } catch {
              // already closed or errored
            }
          }
        });
        pull = () => readable.resume();
      },
      pull() {
        if (pull) pull();
      },
      cancel(reason) {
        destroyer(readable, reason);
      },
    },
    options.strategy || { highWaterMark: objectMode ? 16 : 65536, size: objectMode ? undefined : (c) => c.byteLength },
  );
};

// ---- Readable operators --------------------------------------------------------
// map/filter/flatMap/... as Node has them; they run one item at a time (the
// `concurrency` option is validated but not used for parallelism).
function operatorOptions(options) {
  if (options != null) validateObject(options, 'options');
  if (options && options.concurrency != null) validateInteger(Math.floor(options.concurrency), 'options.concurrency', 1);
  if (options && options.highWaterMark != null) validateInteger(options.highWaterMark, 'options.highWaterMark', 0);
  if (options && options.signal !== undefined) validateAbortSignal(options.signal, 'options.signal');
  return options || {};
}

function checkAborted(signal) {
  if (signal && signal.aborted) throw new AbortError(undefined, { cause: signal.reason });
}

function operatorFrom(stream, gen, options) {
  const source = stream;
  return Readable.from(gen(source), { objectMode: true, ...(options.signal ? { signal: options.signal } : {}) });
}

Readable.prototype.map = function (fn, options) {
  validateFunction(fn, 'fn');
  const opts = operatorOptions(options);
  const signal = opts.signal;
  return operatorFrom(this, async function* (src) {
    for await (const v of src) {
      checkAborted(signal);
      yield await fn(v, { signal });
    }
  }, opts);
};

Readable.prototype.filter = function (fn, options) {
  validateFunction(fn, 'fn');
  const opts = operatorOptions(options);
  const signal = opts.signal;
  return operatorFrom(this, async function* (src) {
    for await (const v of src) {
      checkAborted(signal);
      if (await fn(v, { signal })) yield v;
    }
  }, opts);
};

Readable.prototype.flatMap = function (fn, options) {
  validateFunction(fn, 'fn');
  const opts = operatorOptions(options);
  const signal = opts.signal;
  return operatorFrom(this, async function* (src) {
    for await (const v of src) {
      checkAborted(signal);
      yield* await fn(v, { signal });
    }
  }, opts);
};

function toIntegerOrInfinity(n) {
  n = Number(n);
  if (Number.isNaN(n)) return 0;
  if (n < 0) throw outOfRange('number', '>= 0', n);
  return n;
}

Readable.prototype.take = function (n, options) {
  const opts = operatorOptions(options);
  n = toIntegerOrInfinity(n);
  return operatorFrom(this, async function* (src) {
    checkAborted(opts.signal);
    if (n <= 0) return;
    for await (const v of src) {
      checkAborted(opts.signal);
      yield v;
      if (--n <= 0) return;
    }
  }, opts);
};

Readable.prototype.drop = function (n, options) {
  const opts = operatorOptions(options);
  n = toIntegerOrInfinity(n);
  return operatorFrom(this, async function* (src) {
    checkAborted(opts.signal);
    for await (const v of src) {
      checkAborted(opts.signal);
      if (n > 0) n--;
      else yield v;
    }
  }, opts);
};

Readable.prototype.asIndexedPairs = function (options) {
  const opts = operatorOptions(options);
  return operatorFrom(this, async function* (src) {
    let i = 0;
    for await (const v of src) yield [i++, v];
  }, opts);
};

Readable.prototype.forEach = async function (fn, options) {
  validateFunction(fn, 'fn');
  const { signal } = operatorOptions(options);
  for await (const v of this) {
    checkAborted(signal);
    await fn(v, { signal });
  }
};

Readable.prototype.toArray = async function (options) {
  const { signal } = operatorOptions(options);
  const out = [];
  for await (const v of this) {
    checkAborted(signal);
    out.push(v);
  }
  return out;
};

Readable.prototype.some = async function (fn, options) {
  validateFunction(fn, 'fn');
  const { signal } = operatorOptions(options);
  for await (const v of this) {
    checkAborted(signal);
    if (await fn(v, { signal })) {
      destroyer(this, null);
      return true;
    }
  }
  return false;
};

Readable.prototype.every = async function (fn, options) {
  validateFunction(fn, 'fn');
  const { signal } = operatorOptions(options);
  for await (const v of this) {
    checkAborted(signal);
    if (!(await fn(v, { signal }))) {
      destroyer(this, null);
      return false;
    }
  }
  return true;
};

Readable.prototype.find = async function (fn, options) {
  validateFunction(fn, 'fn');
  const { signal } = operatorOptions(options);
  for await (const v of this) {
    checkAborted(signal);
    if (await fn(v, { signal })) {
      destroyer(this, null);
      return v;
    }
  }
  return undefined;
};

Readable.prototype.reduce = async function (fn, initial, options) {
  validateFunction(fn, 'reducer');
  const { signal } = operatorOptions(options);
  let hasInitial = arguments.length > 1;
  let acc = initial;
  checkAborted(signal);
  for await (const v of this) {
    checkAborted(signal);
    if (!hasInitial) {
      acc = v;
      hasInitial = true;
    } else {
      acc = await fn(acc, v, { signal });
    }
  }
  if (!hasInitial) throw nodeError(TypeError, 'ERR_INVALID_ARGS', 'Reduce of an empty stream requires an initial value');
  return acc;
};

Readable.prototype.compose = function (stream, options) {
  operatorOptions(options);
  return compose(this, stream);
};

// ---- Writable ---------------------------------------------------------------
function WritableState(options, stream, isDuplex) {
  options = options || {};
  if (typeof isDuplex !== 'boolean') isDuplex = stream instanceof Duplex;
  this.objectMode = Boolean(options.objectMode || (isDuplex && options.writableObjectMode));
  this.highWaterMark = highWaterMarkFrom(options, isDuplex, 'writableHighWaterMark', this.objectMode);
  this.finalCalled = false;
  this.needDrain = false;
  this.ending = false;
  this.ended = false;
  this.finished = false;
  this.destroyed = false;
  this.decodeStrings = options.decodeStrings !== false;
  this.defaultEncoding = options.defaultEncoding || 'utf8';
  if (!Buffer.isEncoding(this.defaultEncoding)) throw unknownEncoding(this.defaultEncoding);
  this.length = 0;
  this.writing = false;
  this.corked = 0;
  // Whether the current _write called back synchronously.
  this.sync = true;
  this.bufferProcessing = false;
  this.onwrite = onwrite.bind(undefined, stream);
  this.writecb = null;
  this.writelen = 0;
  this.afterWriteTickInfo = null;
  resetBuffer(this);
  this.pendingcb = 0;
  this.constructed = true;
  this.prefinished = false;
  this.errorEmitted = false;
  this.emitClose = options.emitClose !== false;
  this.autoDestroy = options.autoDestroy !== false;
  this.errored = null;
  this.closed = false;
  this.closeEmitted = false;
  this[kOnFinished] = [];
}

function resetBuffer(state) {
  state.buffered = [];
  state.bufferedIndex = 0;
  state.allBuffers = true;
  state.allNoop = true;
}

WritableState.prototype.getBuffer = function () {
  return this.buffered.slice(this.bufferedIndex);
};
Object.defineProperty(WritableState.prototype, 'bufferedRequestCount', {
  get() {
    return this.buffered.length - this.bufferedIndex;
  },
});

export function Writable(options) {
  const isDuplex = this instanceof Duplex;
  if (!isDuplex && !Function.prototype[Symbol.hasInstance].call(Writable, this)) return new Writable(options);
  this._writableState = new WritableState(options, this, isDuplex);
  if (options) {
    if (typeof options.write === 'function') this._write = options.write;
    if (typeof options.writev === 'function') this._writev = options.writev;
    if (typeof options.destroy === 'function') this._destroy = options.destroy;
    if (typeof options.final === 'function') this._final = options.final;
    if (typeof options.construct === 'function') this._construct = options.construct;
    if (options.signal && !isDuplex) addAbortSignal(options.signal, this);
  }
  if (this._events === undefined) {
    this._events = { close: undefined, error: undefined, prefinish: undefined, finish: undefined, drain: undefined };
    Object.setPrototypeOf(this._events, null);
  }
  Stream.call(this, options);
  constructStream(this, () => {
    const state = this._writableState;
    if (!state.writing) clearBuffer(this, state);
    finishMaybe(this, state);
  });
}
Object.setPrototypeOf(Writable.prototype, Stream.prototype);
Object.setPrototypeOf(Writable, Stream);
Writable.WritableState = WritableState;

// A Duplex is a Writable too, though it inherits from Readable.
Object.defineProperty(Writable, Symbol.hasInstance, {
  value(object) {
    if (Function.prototype[Symbol.hasInstance].call(this, object)) return true;
    if (this !== Writable) return false;
    return Boolean(object && object._writableState instanceof WritableState);
  },
});

Writable.prototype.pipe = function () {
  errorOrDestroy(this, nodeError(Error, 'ERR_STREAM_CANNOT_PIPE', 'Cannot pipe, not readable'));
};

function writeImpl(stream, chunk, encoding, cb) {
  const state = stream._writableState;
  if (typeof encoding === 'function') {
    cb = encoding;
    encoding = null;
  }
  if (typeof cb !== 'function') cb = nop;
  if (chunk === null) throw err.nullValues();
  if (!state.objectMode) {
    if (!encoding) encoding = state.defaultEncoding;
    else if (encoding !== 'buffer' && !Buffer.isEncoding(encoding)) throw unknownEncoding(encoding);
    if (typeof chunk === 'string') {
      if (state.decodeStrings !== false) {
        chunk = Buffer.from(chunk, encoding);
        encoding = 'buffer';
      }
    } else if (chunk instanceof Buffer) {
      encoding = 'buffer';
    } else if (isUint8Array(chunk)) {
      chunk = toBuffer(chunk);
      encoding = 'buffer';
    } else {
      throw invalidArgType('chunk', ['string', 'Buffer', 'Uint8Array'], chunk);
    }
  }
  let e;
  if (state.ending) e = err.writeAfterEnd();
  else if (state.destroyed) e = err.destroyed('write');
  if (e) {
    nextTick(cb, e);
    errorOrDestroy(stream, e, true);
    return e;
  }
  state.pendingcb++;
  return writeOrBuffer(stream, state, chunk, encoding, cb);
}

Writable.prototype.write = function (chunk, encoding, cb) {
  if (typeof encoding === 'function') {
    cb = encoding;
    encoding = null;
  }
  return writeImpl(this, chunk, encoding, cb) === true;
};

Writable.prototype.cork = function () {
  this._writableState.corked++;
};

Writable.prototype.uncork = function () {
  const state = this._writableState;
  if (state.corked) {
    state.corked--;
    if (!state.writing) clearBuffer(this, state);
  }
};

Writable.prototype.setDefaultEncoding = function (encoding) {
  if (typeof encoding === 'string') encoding = encoding.toLowerCase();
  if (!Buffer.isEncoding(encoding)) throw unknownEncoding(encoding);
  this._writableState.defaultEncoding = encoding;
  return this;
};

function writeOrBuffer(stream, state, chunk, encoding, callback) {
  const len = state.objectMode ? 1 : chunk.length;
  state.length += len;
  const ret = state.length < state.highWaterMark;
  if (!ret) state.needDrain = true;
  if (state.writing || state.corked || state.errored || !state.constructed) {
    state.buffered.push({ chunk, encoding, callback });
    if (state.allBuffers && encoding !== 'buffer') state.allBuffers = false;
    if (state.allNoop && callback !== nop) state.allNoop = false;
  } else {
    state.writelen = len;
    state.writecb = callback;
    state.writing = true;
    state.sync = true;
    stream._write(chunk, encoding, state.onwrite);
    state.sync = false;
  }
  return ret && !state.errored && !state.destroyed;
}

function doWrite(stream, state, writev, len, chunk, encoding, cb) {
  state.writelen = len;
  state.writecb = cb;
  state.writing = true;
  state.sync = true;
  if (state.destroyed) state.onwrite(err.destroyed('write'));
  else if (writev) stream._writev(chunk, state.onwrite);
  else stream._write(chunk, encoding, state.onwrite);
  state.sync = false;
}

function onwriteError(stream, state, er, cb) {
  --state.pendingcb;
  cb(er);
  errorBuffer(state);
  errorOrDestroy(stream, er);
}

function onwrite(stream, er) {
  const state = stream._writableState;
  const sync = state.sync;
  const cb = state.writecb;
  if (typeof cb !== 'function') {
    errorOrDestroy(stream, err.multipleCallback());
    return;
  }
  state.writing = false;
  state.writecb = null;
  state.length -= state.writelen;
  state.writelen = 0;
  if (er) {
    if (!state.errored) state.errored = er;
    if (stream._readableState && !stream._readableState.errored) stream._readableState.errored = er;
    if (sync) nextTick(onwriteError, stream, state, er, cb);
    else onwriteError(stream, state, er, cb);
  } else {
    if (state.buffered.length > state.bufferedIndex) clearBuffer(stream, state);
    if (sync) {
      // Batch the callbacks of synchronous writes into one tick.
      if (state.afterWriteTickInfo !== null && state.afterWriteTickInfo.cb === cb) {
        state.afterWriteTickInfo.count++;
      } else {
        state.afterWriteTickInfo = { count: 1, cb, stream, state };
        nextTick(afterWriteTick, state.afterWriteTickInfo);
      }
    } else {
      afterWrite(stream, state, 1, cb);
    }
  }
}

function afterWriteTick({ stream, state, count, cb }) {
  state.afterWriteTickInfo = null;
  afterWrite(stream, state, count, cb);
}

function afterWrite(stream, state, count, cb) {
  const needDrain = !state.ending && !stream.destroyed && state.length === 0 && state.needDrain;
  if (needDrain) {
    state.needDrain = false;
    stream.emit('drain');
  }
  while (count-- > 0) {
    state.pendingcb--;
    cb(null);
  }
  if (state.destroyed) errorBuffer(state);
  finishMaybe(stream, state);
}

// Fails every buffered write once the stream is destroyed or errored.
function errorBuffer(state) {
  if (state.writing) return;
  for (let n = state.bufferedIndex; n < state.buffered.length; ++n) {
    const { chunk, callback } = state.buffered[n];
    state.length -= state.objectMode ? 1 : chunk.length;
    callback(state.errored != null ? state.errored : err.destroyed('write'));
  }
  for (const callback of state[kOnFinished].splice(0)) callback(state.errored != null ? state.errored : err.destroyed('end'));
  resetBuffer(state);
}

function clearBuffer(stream, state) {
  if (state.corked || state.bufferProcessing || state.destroyed || !state.constructed) return;
  const { buffered, bufferedIndex, objectMode } = state;
  const count = buffered.length - bufferedIndex;
  if (!count) return;
  let i = bufferedIndex;
  state.bufferProcessing = true;
  if (count > 1 && stream._writev) {
    state.pendingcb -= count - 1;
    const start = i;
    const callback = state.allNoop
      ? nop
      : (e) => {
          for (let n = start; n < buffered.length; ++n) buffered[n].callback(e);
        };
    const chunks = state.allNoop && i === 0 ? buffered : buffered.slice(i);
    chunks.allBuffers = state.allBuffers;
    doWrite(stream, state, true, state.length, chunks, '', callback);
    resetBuffer(state);
  } else {
    do {
      const { chunk, encoding, callback } = buffered[i];
      buffered[i++] = null;
      doWrite(stream, state, false, objectMode ? 1 : chunk.length, chunk, encoding, callback);
    } while (i < buffered.length && !state.writing);
    if (i === buffered.length) resetBuffer(state);
    else if (i > 256) {
      buffered.splice(0, i);
      state.bufferedIndex = 0;
    } else state.bufferedIndex = i;
  }
  state.bufferProcessing = false;
}

Writable.prototype._write = function (chunk, encoding, cb) {
  if (this._writev) this._writev([{ chunk, encoding }], cb);
  else throw err.methodNotImplemented('_write()');
};
Writable.prototype._writev = null;

Writable.prototype.end = function (chunk, encoding, cb) {
  const state = this._writableState;
  if (typeof chunk === 'function') {
    cb = chunk;
    chunk = null;
    encoding = null;
  } else if (typeof encoding === 'function') {
    cb = encoding;
    encoding = null;
  }
  let e;
  if (chunk !== null && chunk !== undefined) {
    const ret = writeImpl(this, chunk, encoding);
    if (ret instanceof Error) e = ret;
  }
  if (state.corked) {
    state.corked = 1;
    this.uncork();
  }
  if (e) {
    // reported by write
  } else if (!state.errored && !state.ending) {
    state.ending = true;
    finishMaybe(this, state, true);
    state.ended = true;
  } else if (state.finished) {
    e = err.alreadyFinished('end');
  } else if (state.destroyed) {
    e = err.destroyed('end');
  }
  if (typeof cb === 'function') {
    if (e) nextTick(cb, e);
    else if (state.finished) nextTick(cb, null);
    else state[kOnFinished].push(cb);
  }
  return this;
};

function needFinish(state) {
  return (
    state.ending &&
    !state.destroyed &&
    state.constructed &&
    state.length === 0 &&
    !state.errored &&
    state.buffered.length === 0 &&
    !state.finished &&
    !state.writing &&
    !state.errorEmitted &&
    !state.closeEmitted
  );
}

function callFinal(stream, state) {
  let called = false;
  function onFinish(e) {
    if (called) {
      errorOrDestroy(stream, e != null ? e : err.multipleCallback());
      return;
    }
    called = true;
    state.pendingcb--;
    if (e) {
      for (const cb of state[kOnFinished].splice(0)) cb(e);
      errorOrDestroy(stream, e, state.sync);
    } else if (needFinish(state)) {
      state.prefinished = true;
      stream.emit('prefinish');
      state.pendingcb++;
      nextTick(finish, stream, state);
    }
  }
  state.sync = true;
  state.pendingcb++;
  try {
    stream._final(onFinish);
  } catch (e) {
    onFinish(e);
  }
  state.sync = false;
}

function prefinish(stream, state) {
  if (!state.prefinished && !state.finalCalled) {
    if (typeof stream._final === 'function' && !state.destroyed) {
      state.finalCalled = true;
      callFinal(stream, state);
    } else {
      state.prefinished = true;
      stream.emit('prefinish');
    }
  }
}

function finishMaybe(stream, state, sync) {
  if (needFinish(state)) {
    prefinish(stream, state);
    if (state.pendingcb === 0) {
      if (sync) {
        state.pendingcb++;
        nextTick(() => {
          if (needFinish(state)) finish(stream, state);
          else state.pendingcb--;
        });
      } else if (needFinish(state)) {
        state.pendingcb++;
        finish(stream, state);
      }
    }
  }
}

function finish(stream, state) {
  state.pendingcb--;
  state.finished = true;
  for (const cb of state[kOnFinished].splice(0)) cb(null);
  stream.emit('finish');
  if (state.autoDestroy) {
    // A Duplex is destroyed once both sides are done.
    const r = stream._readableState;
    if (!r || (r.autoDestroy && (r.endEmitted || r.readable === false))) stream.destroy();
  }
}

const writableProps = {
  closed: {
    get() {
      return this._writableState ? this._writableState.closed : false;
    },
    configurable: true,
  },
  destroyed: {
    get() {
      return this._writableState ? this._writableState.destroyed : false;
    },
    set(v) {
      if (this._writableState) this._writableState.destroyed = v;
    },
    configurable: true,
  },
  writable: {
    get() {
      const w = this._writableState;
      return Boolean(w) && w.writable !== false && !w.destroyed && !w.errored && !w.ending && !w.ended;
    },
    set(v) {
      if (this._writableState) this._writableState.writable = Boolean(v);
    },
    configurable: true,
  },
  writableFinished: {
    get() {
      return this._writableState ? this._writableState.finished : false;
    },
  },
  writableObjectMode: {
    get() {
      return this._writableState ? this._writableState.objectMode : false;
    },
  },
  writableBuffer: {
    get() {
      return this._writableState && this._writableState.getBuffer();
    },
  },
  writableEnded: {
    get() {
      return this._writableState ? this._writableState.ending : false;
    },
  },
  writableNeedDrain: {
    get() {
      const w = this._writableState;
      if (!w) return false;
      return !w.destroyed && !w.ending && w.needDrain;
    },
  },
  writableHighWaterMark: {
    get() {
      return this._writableState && this._writableState.highWaterMark;
    },
  },
  writableCorked: {
    get() {
      return this._writableState ? this._writableState.corked : 0;
    },
  },
  writableLength: {
    get() {
      return this._writableState && this._writableState.length;
    },
  },
  errored: {
    get() {
      return this._writableState ? this._writableState.errored : null;
    },
    configurable: true,
  },
  writableAborted: {
    get() {
      const w = this._writableState;
      return Boolean(w.writable !== false && (w.destroyed || w.errored) && !w.finished);
    },
  },
};
Object.defineProperties(Writable.prototype, writableProps);

Writable.prototype.destroy = function (e, cb) {
  const state = this._writableState;
  // Buffered writes fail once the stream is destroyed.
  if (!state.destroyed && (state.bufferedIndex < state.buffered.length || state[kOnFinished].length)) nextTick(errorBuffer, state);
  destroy.call(this, e, cb);
  return this;
};
Writable.prototype._undestroy = undestroy;
Writable.prototype[asyncDispose] = disposeStream;
Writable.prototype._destroy = function (e, cb) {
  cb(e);
};
Writable.prototype[EventEmitter.captureRejectionSymbol] = function (e) {
  this.destroy(e);
};

Writable.fromWeb = function (webStream, options = {}) {
  const writer = webStream.getWriter();
  return new Writable({
    objectMode: options.objectMode,
    highWaterMark: options.highWaterMark,
    decodeStrings: options.decodeStrings,
    signal: options.signal,
    write(chunk, _enc, cb) {
      writer.write(chunk).then(() => cb(), cb);
    },
    final(cb) {
      writer.close().then(() => cb(), cb);
    },
    destroy(e, cb) {
      writer.abort(e).then(() => cb(e), () => cb(e));
    },
  });
};

Writable.toWeb = function (writable) {
  return new WritableStream({
    write(chunk) {
      return new Promise((resolve, reject) => {
        if (writable.write(chunk, (e) => (e ? reject(e) : null))) resolve();
        else writable.once('drain', resolve);
      });
    },
    close() {
      return new Promise((resolve, reject) => {
        finished(writable, (e) => (e ? reject(e) : resolve()));
        writable.end();
      });
    },
    abort(reason) {
      destroyer(writable, reason);
    },
  });
};

// ---- Duplex, Transform, PassThrough ---------------------------------------------
export function Duplex(options) {
  if (!(this instanceof Duplex)) return new Duplex(options);
  if (this._events === undefined) {
    this._events = {
      close: undefined, error: undefined, prefinish: undefined, finish: undefined, drain: undefined,
      data: undefined, end: undefined, readable: undefined,
    };
    Object.setPrototypeOf(this._events, null);
  }
  Readable.call(this, options);
  Writable.call(this, options);
  if (options) {
    this.allowHalfOpen = options.allowHalfOpen !== false;
    if (options.readable === false) {
      const r = this._readableState;
      r.readable = false;
      r.ended = true;
      r.endEmitted = true;
    }
    if (options.writable === false) {
      const w = this._writableState;
      w.writable = false;
      w.ending = true;
      w.ended = true;
      w.finished = true;
    }
    if (options.signal) addAbortSignal(options.signal, this);
  } else {
    this.allowHalfOpen = true;
  }
}
Object.setPrototypeOf(Duplex.prototype, Readable.prototype);
Object.setPrototypeOf(Duplex, Readable);
for (const method of Object.keys(Writable.prototype)) {
  if (!Duplex.prototype[method]) Duplex.prototype[method] = Writable.prototype[method];
}
for (const key of ['write', 'cork', 'uncork', 'setDefaultEncoding', 'end', '_write']) Duplex.prototype[key] = Writable.prototype[key];
Duplex.prototype._writev = null;
Duplex.prototype.destroy = Writable.prototype.destroy;
for (const key of Object.keys(writableProps)) {
  if (key === 'destroyed' || key === 'errored' || key === 'closed') continue;
  Object.defineProperty(Duplex.prototype, key, writableProps[key]);
}
Object.defineProperties(Duplex.prototype, {
  destroyed: {
    get() {
      if (this._readableState === undefined || this._writableState === undefined) return false;
      return this._readableState.destroyed && this._writableState.destroyed;
    },
    set(v) {
      if (this._readableState && this._writableState) {
        this._readableState.destroyed = v;
        this._writableState.destroyed = v;
      }
    },
    configurable: true,
  },
});

Duplex.from = function (body) {
  if (isDuplexNodeStream(body)) return body;
  if (isReadableNodeStream(body)) return duplexFromPair({ readable: body });
  if (isWritableNodeStream(body)) return duplexFromPair({ writable: body });
  if (body && (body.readable || body.writable) && !isNodeStream(body)) {
    const readable = body.readable && !isNodeStream(body.readable) && typeof body.readable.getReader === 'function' ? Readable.fromWeb(body.readable) : body.readable;
    const writable = body.writable && !isNodeStream(body.writable) && typeof body.writable.getWriter === 'function' ? Writable.fromWeb(body.writable) : body.writable;
    return duplexFromPair({ readable, writable });
  }
  if (body && typeof body.getReader === 'function') return duplexFromPair({ readable: Readable.fromWeb(body) });
  if (typeof body === 'string' || body instanceof Uint8Array || isIterable(body)) return duplexFromPair({ readable: Readable.from(body) });
  if (body && typeof body.then === 'function') {
    const out = new PassThrough({ objectMode: true });
    body.then((v) => {
      if (v != null) out.write(v);
      out.end();
    }, (e) => out.destroy(e));
    return duplexFromPair({ readable: out });
  }
  if (typeof body === 'function') {
    // An async generator function consuming what is written.
    const input = new PassThrough({ objectMode: true });
    const result = body(input);
    const readable = isIterable(result) ? Readable.from(result) : null;
    const d = duplexFromPair({ readable, writable: input });
    if (!readable && result && typeof result.then === 'function') {
      result.then(() => d.push(null), (e) => d.destroy(e));
    }
    return d;
  }
  throw invalidArgType('body', ['Blob', 'ReadableStream', 'WritableStream', 'Stream', 'Iterable', 'AsyncIterable', 'Function', '{ readable, writable } pair', 'Promise'], body);
};

// A Duplex forwarding writes to `writable` and reads from `readable`.
function duplexFromPair({ readable, writable }) {
  let onreadable = null;
  let onfinal = null;
  const d = new Duplex({
    objectMode: true,
    readable: Boolean(readable),
    writable: Boolean(writable),
    write(chunk, encoding, cb) {
      if (writable.write(chunk, encoding)) cb();
      else writable.once('drain', cb);
    },
    final(cb) {
      writable.end();
      onfinal = cb;
    },
    read() {
      for (;;) {
        const chunk = readable.read();
        if (chunk === null) {
          onreadable = () => d._read();
          return;
        }
        if (!d.push(chunk)) return;
      }
    },
    destroy(e, cb) {
      if (!e && onfinal !== null) e = new AbortError();
      if (readable) destroyer(readable, e);
      if (writable) destroyer(writable, e);
      cb(e);
    },
  });
  if (writable) {
    finished(writable, (e) => {
      if (e) d.destroy(e);
      else if (onfinal) {
        const cb = onfinal;
        onfinal = null;
        cb();
      }
    });
  }
  if (readable) {
    readable.on('readable', () => {
      if (onreadable) {
        const cb = onreadable;
        onreadable = null;
        cb();
      }
    });
    readable.on('end', () => d.push(null));
    finished(readable, { writable: false }, (e) => {
      if (e) d.destroy(e);
    });
  }
  return d;
}

export function Transform(options) {
  if (!(this instanceof Transform)) return new Transform(options);
  // A readable high water mark of 0 would stall the transform; Node keeps
  // the writable side's instead.
  const rhwm = options ? highWaterMarkFrom(options, true, 'readableHighWaterMark', Boolean(options.objectMode || options.readableObjectMode)) : null;
  if (rhwm === 0) {
    options = { ...options, highWaterMark: null, readableHighWaterMark: rhwm, writableHighWaterMark: options.writableHighWaterMark || 0 };
  }
  Duplex.call(this, options);
  // Pushes from _transform may emit 'data' right away.
  this._readableState.sync = false;
  this[kCallback] = null;
  if (options) {
    if (typeof options.transform === 'function') this._transform = options.transform;
    if (typeof options.flush === 'function') this._flush = options.flush;
  }
  this.on('prefinish', transformPrefinish);
}
Object.setPrototypeOf(Transform.prototype, Duplex.prototype);
Object.setPrototypeOf(Transform, Duplex);

function transformFinal(cb) {
  if (typeof this._flush === 'function' && !this.destroyed) {
    this._flush((er, data) => {
      if (er) {
        if (cb) cb(er);
        else this.destroy(er);
        return;
      }
      if (data != null) this.push(data);
      this.push(null);
      if (cb) cb();
    });
  } else {
    this.push(null);
    if (cb) cb();
  }
}

function transformPrefinish() {
  if (this._final !== transformFinal) transformFinal.call(this);
}

Transform.prototype._final = transformFinal;

Transform.prototype._transform = function () {
  throw err.methodNotImplemented('_transform()');
};

Transform.prototype._write = function (chunk, encoding, callback) {
  const r = this._readableState;
  const w = this._writableState;
  const length = r.length;
  this._transform(chunk, encoding, (e, val) => {
    if (e) {
      callback(e);
      return;
    }
    if (val != null) this.push(val);
    if (r.ended) {
      nextTick(callback);
    } else if (w.ended || length === r.length || r.length < r.highWaterMark) {
      callback();
    } else {
      // The readable side is full: continue once it is read from.
      this[kCallback] = callback;
    }
  });
};

Transform.prototype._read = function () {
  if (this[kCallback]) {
    const callback = this[kCallback];
    this[kCallback] = null;
    callback();
  }
};

export function PassThrough(options) {
  if (!(this instanceof PassThrough)) return new PassThrough(options);
  Transform.call(this, options);
}
Object.setPrototypeOf(PassThrough.prototype, Transform.prototype);
Object.setPrototypeOf(PassThrough, Transform);
PassThrough.prototype._transform = function (chunk, encoding, cb) {
  cb(null, chunk);
};

export function duplexPair(options) {
  const side = () => new Duplex({ ...options, objectMode: true });
  const a = side();
  const b = side();
  const connect = (from, to) => {
    from._write = (chunk, enc, cb) => {
      to.push(chunk);
      cb();
    };
    from._final = (cb) => {
      to.push(null);
      cb();
    };
    from._read = nop;
  };
  connect(a, b);
  connect(b, a);
  return [a, b];
}

// ---- finished ----------------------------------------------------------------
function once(fn) {
  let called = false;
  return function (...args) {
    if (called) return;
    called = true;
    return fn.apply(this, args);
  };
}

export function finished(stream, options, callback) {
  if (arguments.length === 2) {
    callback = options;
    options = {};
  } else if (options == null) {
    options = {};
  } else {
    validateObject(options, 'options');
  }
  validateFunction(callback, 'callback');
  validateAbortSignal(options.signal, 'options.signal');
  callback = once(callback);

  if (!isNodeStream(stream)) throw invalidArgType('stream', ['ReadableStream', 'WritableStream', 'Stream'], stream);

  const readable = options.readable != null ? options.readable : isReadableNodeStream(stream);
  const writable = options.writable != null ? options.writable : isWritableNodeStream(stream);
  const wState = stream._writableState;
  const rState = stream._readableState;

  const onlegacyfinish = () => {
    if (!stream.writable) onfinish();
  };

  let emitsClose = willEmitClose(stream) && isReadableNodeStream(stream) === readable && isWritableNodeStream(stream) === writable;
  let writableFinished = isWritableFinished(stream, false);
  const onfinish = () => {
    writableFinished = true;
    if (stream.destroyed) emitsClose = false;
    if (emitsClose && (!stream.readable || readable)) return;
    if (!readable || readableFinished) callback.call(stream);
  };

  let readableFinished = isReadableFinished(stream, false);
  const onend = () => {
    readableFinished = true;
    if (stream.destroyed) emitsClose = false;
    if (emitsClose && (!stream.writable || writable)) return;
    if (!writable || writableFinished) callback.call(stream);
  };

  const onerror = (e) => {
    callback.call(stream, e);
  };

  let closed = isClosed(stream);
  const onclose = () => {
    closed = true;
    const errored = isWritableErrored(stream) || isReadableErrored(stream);
    if (errored && typeof errored !== 'boolean') return callback.call(stream, errored);
    if (readable && !readableFinished && isReadableNodeStream(stream, true)) {
      if (!isReadableFinished(stream, false)) return callback.call(stream, err.prematureClose());
    }
    if (writable && !writableFinished) {
      if (!isWritableFinished(stream, false)) return callback.call(stream, err.prematureClose());
    }
    callback.call(stream);
  };

  const onclosed = () => {
    closed = true;
    const errored = isWritableErrored(stream) || isReadableErrored(stream);
    if (errored && typeof errored !== 'boolean') return callback.call(stream, errored);
    callback.call(stream);
  };

  const onrequest = () => {
    stream.req.on('finish', onfinish);
  };

  if (isRequest(stream)) {
    stream.on('complete', onfinish);
    if (!emitsClose) stream.on('abort', onclose);
    if (stream.req) onrequest();
    else stream.on('request', onrequest);
  } else if (writable && !wState) {
    stream.on('end', onlegacyfinish);
    stream.on('close', onlegacyfinish);
  }

  if (!emitsClose && typeof stream.aborted === 'boolean') stream.on('aborted', onclose);

  stream.on('end', onend);
  stream.on('finish', onfinish);
  if (options.error !== false) stream.on('error', onerror);
  stream.on('close', onclose);

  if (closed) {
    nextTick(onclose);
  } else if ((wState && wState.errorEmitted) || (rState && rState.errorEmitted)) {
    if (!emitsClose) nextTick(onclosed);
  } else if (!readable && (!emitsClose || isReadable(stream)) && (writableFinished || isWritable(stream) === false)) {
    nextTick(onclosed);
  } else if (!writable && (!emitsClose || isWritable(stream)) && (readableFinished || isReadable(stream) === false)) {
    nextTick(onclosed);
  } else if (rState && stream.req && stream.aborted) {
    nextTick(onclosed);
  }

  const cleanup = () => {
    callback = nop;
    stream.removeListener('aborted', onclose);
    stream.removeListener('complete', onfinish);
    stream.removeListener('abort', onclose);
    stream.removeListener('request', onrequest);
    if (stream.req) stream.req.removeListener('finish', onfinish);
    stream.removeListener('end', onlegacyfinish);
    stream.removeListener('close', onlegacyfinish);
    stream.removeListener('finish', onfinish);
    stream.removeListener('end', onend);
    stream.removeListener('error', onerror);
    stream.removeListener('close', onclose);
  };

  if (options.signal && !closed) {
    const abort = () => {
      const endCallback = callback;
      cleanup();
      endCallback.call(stream, new AbortError(undefined, { cause: options.signal.reason }));
    };
    if (options.signal.aborted) {
      nextTick(abort);
    } else {
      options.signal.addEventListener('abort', abort, { once: true });
      const original = callback;
      callback = once((...args) => {
        options.signal.removeEventListener('abort', abort);
        original.apply(stream, args);
      });
    }
  }
  return cleanup;
}

// ---- pipeline --------------------------------------------------------------------
function popCallback(streams) {
  const last = streams[streams.length - 1];
  validateFunction(last, 'streams[stream.length - 1]');
  return streams.pop();
}

function makeAsyncIterable(val) {
  if (isIterable(val)) return val;
  if (isReadableNodeStream(val)) return fromReadable(val);
  throw invalidArgType('val', ['Readable', 'Iterable', 'AsyncIterable'], val);
}

async function* fromReadable(val) {
  yield* Readable.prototype[Symbol.asyncIterator].call(val);
}

async function pumpToNode(iterable, writable, finish, { end }) {
  let error;
  let onresolve = null;
  const resume = (e) => {
    if (e) error = e;
    if (onresolve) {
      const cb = onresolve;
      onresolve = null;
      cb();
    }
  };
  const wait = () =>
    new Promise((resolve, reject) => {
      if (error) reject(error);
      else
        onresolve = () => {
          if (error) reject(error);
          else resolve();
        };
    });
  writable.on('drain', resume);
  const cleanup = finished(writable, { readable: false }, resume);
  try {
    if (writable.writableNeedDrain) await wait();
    for await (const chunk of iterable) {
      if (!writable.write(chunk)) await wait();
    }
    if (end) {
      writable.end();
      await wait();
    }
    finish();
  } catch (e) {
    finish(error !== e ? aggregateTwoErrors(error, e) : e);
  } finally {
    cleanup();
    writable.off('drain', resume);
  }
}

function streamDestroyer(stream, reading, writing) {
  let done = false;
  stream.on('close', () => {
    done = true;
  });
  const cleanup = finished(stream, { readable: reading, writable: writing }, (e) => {
    done = !e;
  });
  return {
    destroy: (e) => {
      if (done) return;
      done = true;
      destroyer(stream, e || err.destroyed('pipe'));
    },
    cleanup,
  };
}

function pipe(src, dst, finish, { end }) {
  let ended = false;
  dst.on('close', () => {
    if (!ended) finish(err.prematureClose());
  });
  src.pipe(dst, { end: false });
  if (end) {
    const endFn = () => {
      ended = true;
      dst.end();
    };
    if (isReadableFinished(src)) nextTick(endFn);
    else src.once('end', endFn);
    finished(dst, { readable: false, writable: true }, finish);
  } else {
    finish();
  }
  finished(src, { readable: true, writable: false }, (e) => {
    const r = src._readableState;
    if (e && e.code === 'ERR_STREAM_PREMATURE_CLOSE' && r && r.ended && !r.errored && !r.errorEmitted) {
      // A source that ended cleanly but closed before the data drained.
      src.once('end', finish).once('error', finish);
    } else {
      finish(e);
    }
  });
}

export function pipeline(...streams) {
  return pipelineImpl(streams, once(popCallback(streams)));
}

function pipelineImpl(streams, callback, opts) {
  if (streams.length === 1 && Array.isArray(streams[0])) streams = streams[0];
  if (streams.length < 2) throw missingArgs('streams');
  const outerSignal = opts && opts.signal;
  const ac = new AbortController();
  const signal = ac.signal;
  const lastStreamCleanup = [];
  validateAbortSignal(outerSignal, 'options.signal');
  const abort = () => finishImpl(new AbortError(undefined, { cause: outerSignal && outerSignal.reason }));
  if (outerSignal) {
    if (outerSignal.aborted) nextTick(abort);
    else outerSignal.addEventListener('abort', abort, { once: true });
  }

  let error;
  let value;
  const destroys = [];
  let finishCount = 0;

  function finish(e) {
    finishImpl(e, --finishCount === 0);
  }

  function finishImpl(e, final) {
    if (e && (!error || error.code === 'ERR_STREAM_PREMATURE_CLOSE')) error = e;
    if (!error && !final) return;
    while (destroys.length) destroys.shift()(error);
    if (outerSignal) outerSignal.removeEventListener('abort', abort);
    ac.abort();
    if (final) {
      if (!error) for (const fn of lastStreamCleanup) fn();
      nextTick(callback, error, value);
    }
  }

  let ret;
  for (let i = 0; i < streams.length; i++) {
    const stream = streams[i];
    const reading = i < streams.length - 1;
    const writing = i > 0;
    const end = reading || !opts || opts.end !== false;
    const isLastStream = i === streams.length - 1;

    if (isNodeStream(stream)) {
      if (end) {
        const { destroy: destroyFn, cleanup } = streamDestroyer(stream, reading, writing);
        destroys.push(destroyFn);
        if (isReadable(stream) && isLastStream) lastStreamCleanup.push(cleanup);
      }
      // Errors are reported through the callback, not as unhandled events.
      const onError = (e) => {
        if (e && e.name !== 'AbortError' && e.code !== 'ERR_STREAM_PREMATURE_CLOSE') finish(e);
      };
      stream.on('error', onError);
      if (isReadable(stream) && isLastStream) lastStreamCleanup.push(() => stream.removeListener('error', onError));
    }

    if (i === 0) {
      if (typeof stream === 'function') {
        ret = stream({ signal });
        if (!isIterable(ret)) throw err.invalidReturn('Iterable, AsyncIterable or Stream', 'source', ret);
      } else if (isIterable(stream) || isReadableNodeStream(stream)) {
        ret = stream;
      } else if (stream && typeof stream.getReader === 'function') {
        ret = Readable.fromWeb(stream);
      } else {
        ret = Duplex.from(stream);
      }
    } else if (typeof stream === 'function') {
      ret = makeAsyncIterable(ret);
      ret = stream(ret, { signal });
      if (reading) {
        if (!isIterable(ret, true)) throw err.invalidReturn('AsyncIterable', `transform[${i - 1}]`, ret);
      } else {
        const pt = new PassThrough({ objectMode: true });
        const then = ret && ret.then;
        if (typeof then === 'function') {
          finishCount++;
          then.call(
            ret,
            (val) => {
              value = val;
              if (val != null) pt.write(val);
              if (end) pt.end();
              nextTick(finish);
            },
            (e) => {
              pt.destroy(e);
              nextTick(finish, e);
            },
          );
        } else if (isIterable(ret, true)) {
          finishCount++;
          pumpToNode(ret, pt, finish, { end });
        } else {
          throw err.invalidReturn('AsyncIterable or Promise', 'destination', ret);
        }
        ret = pt;
        const { destroy: destroyFn, cleanup } = streamDestroyer(ret, false, true);
        destroys.push(destroyFn);
        if (isLastStream) lastStreamCleanup.push(cleanup);
      }
    } else if (isNodeStream(stream)) {
      if (isReadableNodeStream(ret)) {
        finishCount += 2;
        pipe(ret, stream, finish, { end });
      } else if (isIterable(ret)) {
        finishCount++;
        pumpToNode(ret, stream, finish, { end });
      } else {
        throw invalidArgType('val', ['Readable', 'Iterable', 'AsyncIterable'], ret);
      }
      ret = stream;
    } else if (stream && typeof stream.getWriter === 'function') {
      const w = Writable.fromWeb(stream);
      finishCount++;
      pumpToNode(makeAsyncIterable(ret), w, finish, { end });
      ret = w;
    } else {
      ret = Duplex.from(stream);
    }
  }
  if ((signal && signal.aborted) || (outerSignal && outerSignal.aborted)) nextTick(abort);
  return ret;
}

export { destroyer as destroy };

export function compose(...streams) {
  if (streams.length === 0) throw missingArgs('streams');
  if (streams.length === 1) return Duplex.from(streams[0]);
  const head = isNodeStream(streams[0]) ? streams[0] : Duplex.from(streams[0]);
  const input = isWritableNodeStream(head) ? head : null;
  let output = null;
  const rest = streams.slice(1);
  const result = pipeline([head, ...rest], (e) => {
    if (e) d.destroy(e);
  });
  output = result;
  const d = duplexFromPair({ readable: isReadableNodeStream(output) ? output : null, writable: input });
  return d;
}

export function addAbortSignal(signal, stream) {
  validateAbortSignal(signal, 'signal');
  if (!isNodeStream(stream) && !isWebStream(stream)) throw invalidArgType('stream', ['ReadableStream', 'WritableStream', 'Stream'], stream);
  const onAbort = () => stream.destroy(new AbortError(undefined, { cause: signal.reason }));
  if (signal.aborted) onAbort();
  else {
    signal.addEventListener('abort', onAbort, { once: true });
    finished(stream, () => signal.removeEventListener('abort', onAbort));
  }
  return stream;
}

export const promises = {
  pipeline(...streams) {
    return new Promise((resolve, reject) => {
      let opts;
      const last = streams[streams.length - 1];
      if (last && typeof last === 'object' && !isNodeStream(last) && !isIterable(last) && !isWebStream(last)) opts = streams.pop();
      pipelineImpl(streams, (e, value) => (e ? reject(e) : resolve(value)), opts);
    });
  },
  finished(stream, opts) {
    return new Promise((resolve, reject) => {
      finished(stream, opts, (e) => (e ? reject(e) : resolve()));
    });
  },
};

// util.promisify(pipeline) and util.promisify(finished) give these.
Object.defineProperty(pipeline, Symbol.for('nodejs.util.promisify.custom'), { value: promises.pipeline, enumerable: false });
Object.defineProperty(finished, Symbol.for('nodejs.util.promisify.custom'), { value: promises.finished, enumerable: false });

function _uint8ArrayToBuffer(chunk) {
  return toBuffer(chunk);
}

function _isUint8Array(v) {
  return isUint8Array(v);
}

Object.assign(Stream, {
  Stream,
  Readable,
  Writable,
  Duplex,
  Transform,
  PassThrough,
  duplexPair,
  pipeline,
  finished,
  compose,
  promises,
  addAbortSignal,
  isReadable,
  isWritable,
  isErrored,
  isDisturbed,
  isDestroyed,
  destroy: destroyer,
  getDefaultHighWaterMark,
  setDefaultHighWaterMark,
  _uint8ArrayToBuffer,
  _isUint8Array,
});

export default Stream;

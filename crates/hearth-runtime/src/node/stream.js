// node:stream — Readable, Writable, Duplex, Transform, PassThrough,
// pipeline and finished: the basics npm packages build on. Simplified from
// Node.js: buffering is by chunk count or bytes against highWaterMark, and
// `read(n)` returns whole chunks.
import { EventEmitter } from 'node:events';
import { Buffer } from 'node:buffer';

const nextTick = (fn, ...args) => queueMicrotask(() => fn(...args));

function chunkLength(chunk, objectMode) {
  return objectMode ? 1 : chunk && chunk.length !== undefined ? chunk.length : 1;
}

export function Stream(opts) {
  EventEmitter.call(this, opts);
}
Object.setPrototypeOf(Stream.prototype, EventEmitter.prototype);
Object.setPrototypeOf(Stream, EventEmitter);
Stream.prototype.pipe = function (dest, options) {
  return Readable.prototype.pipe.call(this, dest, options);
};

// ---- Readable ----------------------------------------------------------------
export function Readable(options = {}) {
  if (!(this instanceof Readable)) return new Readable(options);
  Stream.call(this, options);
  const objectMode = Boolean(options.objectMode || options.readableObjectMode);
  this._readableState = {
    objectMode,
    highWaterMark: options.highWaterMark !== undefined ? options.highWaterMark : objectMode ? 16 : 16384,
    buffer: [],
    length: 0,
    flowing: null,
    ended: false,
    endEmitted: false,
    reading: false,
    destroyed: false,
    encoding: options.encoding || null,
    pipes: [],
  };
  if (typeof options.read === 'function') this._read = options.read;
  if (typeof options.destroy === 'function') this._destroy = options.destroy;
  if (options.signal) options.signal.addEventListener('abort', () => this.destroy(options.signal.reason), { once: true });
}
Object.setPrototypeOf(Readable.prototype, Stream.prototype);
Object.setPrototypeOf(Readable, Stream);

Object.defineProperties(Readable.prototype, {
  readable: { get() { const s = this._readableState; return Boolean(s) && !s.destroyed && !s.endEmitted; }, configurable: true },
  readableEnded: { get() { return this._readableState.endEmitted; } },
  readableFlowing: { get() { return this._readableState.flowing; } },
  readableLength: { get() { return this._readableState.length; } },
  readableObjectMode: { get() { return this._readableState.objectMode; } },
  readableHighWaterMark: { get() { return this._readableState.highWaterMark; } },
  destroyed: {
    get() { return (this._readableState || this._writableState || {}).destroyed || false; },
    set(v) { for (const s of [this._readableState, this._writableState]) if (s) s.destroyed = v; },
    configurable: true,
  },
});

Readable.prototype._read = function () {
  throw new Error('The _read() method is not implemented');
};

Readable.prototype.push = function (chunk, encoding) {
  const state = this._readableState;
  if (chunk === null) {
    state.ended = true;
    state.reading = false;
    nextTick(() => flow(this));
    return false;
  }
  if (state.ended) {
    this.emit('error', new Error('stream.push() after EOF'));
    return false;
  }
  if (typeof chunk === 'string' && !state.objectMode) chunk = Buffer.from(chunk, encoding || 'utf8');
  else if (chunk instanceof Uint8Array && !(chunk instanceof Buffer) && !state.objectMode) chunk = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  state.buffer.push(chunk);
  state.length += chunkLength(chunk, state.objectMode);
  state.reading = false;
  if (state.flowing) nextTick(() => flow(this));
  else this.emit('readable');
  return state.length < state.highWaterMark;
};

Readable.prototype.unshift = function (chunk) {
  const state = this._readableState;
  state.buffer.unshift(chunk);
  state.length += chunkLength(chunk, state.objectMode);
};

function decode(state, chunk) {
  return state.encoding && !state.objectMode && typeof chunk !== 'string' ? Buffer.from(chunk).toString(state.encoding) : chunk;
}

function maybeRead(stream) {
  const state = stream._readableState;
  if (!state.ended && !state.reading && !state.destroyed && state.length < state.highWaterMark) {
    state.reading = true;
    try {
      stream._read(state.highWaterMark);
    } catch (e) {
      stream.destroy(e);
    }
  }
}

function flow(stream) {
  const state = stream._readableState;
  if (state.destroyed) return;
  while (state.flowing && state.buffer.length) {
    const chunk = state.buffer.shift();
    state.length -= chunkLength(chunk, state.objectMode);
    stream.emit('data', decode(state, chunk));
  }
  if (state.ended && !state.buffer.length) {
    if (!state.endEmitted && (state.flowing || state.pipes.length || stream.listenerCount('end'))) {
      state.endEmitted = true;
      stream.emit('end');
      if (stream._autoClose !== false) nextTick(() => stream.emit('close'));
    }
    return;
  }
  if (state.flowing) maybeRead(stream);
}

Readable.prototype.read = function () {
  const state = this._readableState;
  if (!state.buffer.length) {
    maybeRead(this);
    if (state.ended && !state.endEmitted) nextTick(() => flow(this));
    return null;
  }
  const chunk = state.buffer.shift();
  state.length -= chunkLength(chunk, state.objectMode);
  maybeRead(this);
  return decode(state, chunk);
};

Readable.prototype.on = function (event, fn) {
  const res = Stream.prototype.on.call(this, event, fn);
  const state = this._readableState;
  if (event === 'data' && state.flowing !== false) this.resume();
  if (event === 'readable') nextTick(() => { maybeRead(this); if (state.buffer.length || state.ended) this.emit('readable'); });
  return res;
};
Readable.prototype.addListener = Readable.prototype.on;

Readable.prototype.resume = function () {
  const state = this._readableState;
  state.flowing = true;
  nextTick(() => { this.emit('resume'); flow(this); maybeRead(this); });
  return this;
};

Readable.prototype.pause = function () {
  this._readableState.flowing = false;
  this.emit('pause');
  return this;
};

Readable.prototype.isPaused = function () {
  return this._readableState.flowing === false;
};

Readable.prototype.setEncoding = function (enc) {
  this._readableState.encoding = enc;
  return this;
};

Readable.prototype.pipe = function (dest, options = {}) {
  const src = this;
  const state = src._readableState;
  if (state) state.pipes.push(dest);
  src.on('data', (chunk) => {
    if (dest.write(chunk) === false && src.pause) {
      src.pause();
      dest.once('drain', () => src.resume());
    }
  });
  if (options.end !== false) src.on('end', () => dest.end());
  dest.emit('pipe', src);
  return dest;
};

Readable.prototype.unpipe = function (dest) {
  const state = this._readableState;
  state.pipes = dest ? state.pipes.filter((d) => d !== dest) : [];
  return this;
};

Readable.prototype.destroy = function (err, cb) {
  return destroy(this, err, cb);
};
Readable.prototype._destroy = function (err, cb) {
  cb(err);
};

Readable.prototype[Symbol.asyncIterator] = function () {
  const stream = this;
  const queue = [];
  const waiting = [];
  let done = false;
  let error = null;
  const settle = () => {
    while (waiting.length && (queue.length || done || error)) {
      const w = waiting.shift();
      if (queue.length) w.resolve({ value: queue.shift(), done: false });
      else if (error) w.reject(error);
      else w.resolve({ value: undefined, done: true });
    }
  };
  stream.on('data', (c) => { queue.push(c); settle(); });
  stream.on('end', () => { done = true; settle(); });
  stream.on('error', (e) => { error = e; settle(); });
  stream.on('close', () => { done = true; settle(); });
  return {
    next() {
      if (queue.length) return Promise.resolve({ value: queue.shift(), done: false });
      if (error) return Promise.reject(error);
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    return() {
      stream.destroy();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
};

Readable.from = function (iterable, options = {}) {
  if (typeof iterable === 'string' || iterable instanceof Uint8Array) {
    return new Readable({ objectMode: true, ...options, read() { this.push(iterable); this.push(null); } });
  }
  const it = iterable[Symbol.asyncIterator] ? iterable[Symbol.asyncIterator]() : iterable[Symbol.iterator]();
  let pulling = false;
  return new Readable({
    objectMode: true,
    ...options,
    read() {
      if (pulling) return;
      pulling = true;
      Promise.resolve(it.next()).then(
        ({ value, done }) => {
          pulling = false;
          if (done) this.push(null);
          else Promise.resolve(value).then((v) => this.push(v));
        },
        (err) => this.destroy(err),
      );
    },
  });
};

Readable.fromWeb = function (webStream, options = {}) {
  const reader = webStream.getReader();
  return new Readable({
    objectMode: options.objectMode,
    read() {
      reader.read().then(({ value, done }) => this.push(done ? null : value), (e) => this.destroy(e));
    },
  });
};

Readable.toWeb = function (readable) {
  return new ReadableStream({
    start(controller) {
      readable.on('data', (c) => controller.enqueue(typeof c === 'string' ? new TextEncoder().encode(c) : c));
      readable.on('end', () => controller.close());
      readable.on('error', (e) => controller.error(e));
    },
    cancel() {
      readable.destroy();
    },
  });
};

// ---- Writable ----------------------------------------------------------------
export function Writable(options = {}) {
  if (!(this instanceof Writable)) return new Writable(options);
  Stream.call(this, options);
  initWritable(this, options);
}
Object.setPrototypeOf(Writable.prototype, Stream.prototype);
Object.setPrototypeOf(Writable, Stream);

function initWritable(stream, options) {
  const objectMode = Boolean(options.objectMode || options.writableObjectMode);
  stream._writableState = {
    objectMode,
    highWaterMark: options.highWaterMark !== undefined ? options.highWaterMark : objectMode ? 16 : 16384,
    length: 0,
    writing: false,
    queue: [],
    ending: false,
    ended: false,
    finished: false,
    destroyed: false,
    needDrain: false,
    decodeStrings: options.decodeStrings !== false,
  };
  if (typeof options.write === 'function') stream._write = options.write;
  if (typeof options.writev === 'function') stream._writev = options.writev;
  if (typeof options.final === 'function') stream._final = options.final;
  if (typeof options.destroy === 'function') stream._destroy = options.destroy;
}

Object.defineProperties(Writable.prototype, {
  writable: { get() { const s = this._writableState; return Boolean(s) && !s.destroyed && !s.ending; }, configurable: true },
  writableEnded: { get() { return this._writableState.ending; } },
  writableFinished: { get() { return this._writableState.finished; } },
  writableLength: { get() { return this._writableState.length; } },
  writableObjectMode: { get() { return this._writableState.objectMode; } },
  writableHighWaterMark: { get() { return this._writableState.highWaterMark; } },
  writableNeedDrain: { get() { return this._writableState.needDrain; } },
});

Writable.prototype._write = function (chunk, encoding, cb) {
  if (this._writev) this._writev([{ chunk, encoding }], cb);
  else cb(new Error('The _write() method is not implemented'));
};

Writable.prototype.write = function (chunk, encoding, cb) {
  if (typeof encoding === 'function') [cb, encoding] = [encoding, undefined];
  const state = this._writableState;
  if (state.ending) {
    const err = new Error('write after end');
    err.code = 'ERR_STREAM_WRITE_AFTER_END';
    nextTick(() => { if (cb) cb(err); this.emit('error', err); });
    return false;
  }
  if (!state.objectMode && typeof chunk === 'string' && state.decodeStrings) {
    chunk = Buffer.from(chunk, encoding || 'utf8');
    encoding = 'buffer';
  }
  state.length += chunkLength(chunk, state.objectMode);
  state.queue.push({ chunk, encoding: encoding || (typeof chunk === 'string' ? 'utf8' : 'buffer'), cb });
  const ok = state.length < state.highWaterMark;
  if (!ok) state.needDrain = true;
  drainQueue(this);
  return ok;
};

function drainQueue(stream) {
  const state = stream._writableState;
  if (state.writing || state.destroyed) return;
  const item = state.queue.shift();
  if (!item) {
    if (state.needDrain) {
      state.needDrain = false;
      stream.emit('drain');
    }
    if (state.ending && !state.finished) finish(stream);
    return;
  }
  state.writing = true;
  let sync = true;
  const done = (err) => {
    const after = () => {
      state.writing = false;
      state.length -= chunkLength(item.chunk, state.objectMode);
      if (item.cb) item.cb(err || null);
      if (err) {
        stream.destroy(err);
        return;
      }
      drainQueue(stream);
    };
    if (sync) nextTick(after);
    else after();
  };
  try {
    stream._write(item.chunk, item.encoding, done);
  } catch (e) {
    done(e);
  }
  sync = false;
}

function finish(stream) {
  const state = stream._writableState;
  if (state.ended) return;
  state.ended = true;
  const complete = (err) => {
    if (err) {
      stream.destroy(err);
      return;
    }
    state.finished = true;
    stream.emit('finish');
    nextTick(() => stream.emit('close'));
  };
  if (typeof stream._final === 'function') {
    try {
      stream._final(complete);
    } catch (e) {
      complete(e);
    }
  } else nextTick(complete);
}

Writable.prototype.end = function (chunk, encoding, cb) {
  if (typeof chunk === 'function') [cb, chunk] = [chunk, undefined];
  else if (typeof encoding === 'function') [cb, encoding] = [encoding, undefined];
  const state = this._writableState;
  if (chunk !== undefined && chunk !== null) this.write(chunk, encoding);
  if (cb) this.once('finish', cb);
  if (!state.ending) {
    state.ending = true;
    drainQueue(this);
  }
  return this;
};

Writable.prototype.cork = function () {};
Writable.prototype.uncork = function () {};
Writable.prototype.setDefaultEncoding = function () {
  return this;
};
Writable.prototype.destroy = function (err, cb) {
  return destroy(this, err, cb);
};
Writable.prototype._destroy = function (err, cb) {
  cb(err);
};

function destroy(stream, err, cb) {
  const rs = stream._readableState;
  const ws = stream._writableState;
  if ((rs && rs.destroyed) || (ws && ws.destroyed)) {
    if (cb) cb(err);
    return stream;
  }
  if (rs) rs.destroyed = true;
  if (ws) ws.destroyed = true;
  stream._destroy(err || null, (e) => {
    if (cb) cb(e);
    nextTick(() => {
      if (e) stream.emit('error', e);
      stream.emit('close');
    });
  });
  return stream;
}

// ---- Duplex, Transform, PassThrough -------------------------------------------
export function Duplex(options = {}) {
  if (!(this instanceof Duplex)) return new Duplex(options);
  Readable.call(this, options);
  initWritable(this, options);
  this.allowHalfOpen = options.allowHalfOpen !== false;
}
Object.setPrototypeOf(Duplex.prototype, Readable.prototype);
Object.setPrototypeOf(Duplex, Readable);
for (const key of Object.getOwnPropertyNames(Writable.prototype)) {
  if (key === 'constructor' || key === 'destroy' || key === '_destroy' || key === 'destroyed') continue;
  if (!Object.prototype.hasOwnProperty.call(Duplex.prototype, key)) {
    Object.defineProperty(Duplex.prototype, key, Object.getOwnPropertyDescriptor(Writable.prototype, key));
  }
}

export function Transform(options = {}) {
  if (!(this instanceof Transform)) return new Transform(options);
  Duplex.call(this, options);
  if (typeof options.transform === 'function') this._transform = options.transform;
  if (typeof options.flush === 'function') this._flush = options.flush;
  this._final = (cb) => {
    const end = (err, data) => {
      if (err) return cb(err);
      if (data !== undefined && data !== null) this.push(data);
      this.push(null);
      cb();
    };
    if (typeof this._flush === 'function') this._flush(end);
    else end();
  };
}
Object.setPrototypeOf(Transform.prototype, Duplex.prototype);
Object.setPrototypeOf(Transform, Duplex);
Transform.prototype._read = function () {};
Transform.prototype._write = function (chunk, encoding, cb) {
  this._transform(chunk, encoding, (err, data) => {
    if (err) return cb(err);
    if (data !== undefined && data !== null) this.push(data);
    cb();
  });
};
Transform.prototype._transform = function () {
  throw new Error('The _transform() method is not implemented');
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

// ---- helpers ----------------------------------------------------------------
export function finished(stream, options, callback) {
  if (typeof options === 'function') [callback, options] = [options, {}];
  let called = false;
  const done = (err) => {
    if (called) return;
    called = true;
    callback(err);
  };
  const onEnd = () => done();
  const onError = (err) => done(err);
  stream.on('end', onEnd);
  stream.on('finish', onEnd);
  stream.on('error', onError);
  stream.on('close', () => {
    const rs = stream._readableState;
    const ws = stream._writableState;
    if ((rs && !rs.endEmitted && !(ws && ws.finished)) || (ws && !ws.finished && !(rs && rs.endEmitted))) {
      const err = new Error('Premature close');
      err.code = 'ERR_STREAM_PREMATURE_CLOSE';
      done(err);
    } else done();
  });
  return () => {
    stream.removeListener('end', onEnd);
    stream.removeListener('finish', onEnd);
    stream.removeListener('error', onError);
  };
}

export function pipeline(...streams) {
  const callback = typeof streams[streams.length - 1] === 'function' ? streams.pop() : () => {};
  if (Array.isArray(streams[0])) streams = streams[0];
  let error = null;
  let remaining = streams.length;
  const fail = (err) => {
    if (error) return;
    error = err;
    for (const s of streams) if (typeof s.destroy === 'function') s.destroy();
    callback(err);
  };
  for (let i = 0; i < streams.length - 1; i++) streams[i].pipe(streams[i + 1]);
  for (const s of streams) {
    finished(s, (err) => {
      if (err) return fail(err);
      if (--remaining === 0 && !error) callback(null);
    });
  }
  return streams[streams.length - 1];
}

export const promises = {
  pipeline: (...streams) => new Promise((resolve, reject) => pipeline(...streams, (err) => (err ? reject(err) : resolve()))),
  finished: (stream, options) => new Promise((resolve, reject) => finished(stream, options || {}, (err) => (err ? reject(err) : resolve()))),
};

export function isReadable(s) {
  return Boolean(s && s._readableState && !s._readableState.destroyed && !s._readableState.endEmitted);
}
export function isErrored() {
  return false;
}
export function addAbortSignal(signal, stream) {
  signal.addEventListener('abort', () => stream.destroy(signal.reason), { once: true });
  return stream;
}
export function getDefaultHighWaterMark(objectMode) {
  return objectMode ? 16 : 16384;
}

Stream.Stream = Stream;
Stream.Readable = Readable;
Stream.Writable = Writable;
Stream.Duplex = Duplex;
Stream.Transform = Transform;
Stream.PassThrough = PassThrough;
Stream.pipeline = pipeline;
Stream.finished = finished;
Stream.promises = promises;
Stream.isReadable = isReadable;
Stream.addAbortSignal = addAbortSignal;
Stream.getDefaultHighWaterMark = getDefaultHighWaterMark;

export default Stream;

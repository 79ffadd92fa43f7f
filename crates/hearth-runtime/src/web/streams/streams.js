// WHATWG Streams: readable (default and byte streams), writable and transform
// streams, queuing strategies, text encoding streams, and Cloudflare's
// IdentityTransformStream/FixedLengthStream.
//
// Each public object holds one private field pointing at an internal record; all
// algorithms work on records, following the spec's abstract operations closely so
// ordering, backpressure and error propagation match other implementations.
(() => {
  'use strict';

  const internal = (globalThis.__hearth_internal ||= {});

  const define = (name, value) => {
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
  };
  const tag = (cls) => {
    Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: cls.name, configurable: true });
  };

  const noop = () => {};
  const ILLEGAL = Symbol('illegal constructor');
  const resolved = (v) => Promise.resolve(v);
  const rejected = (e) => Promise.reject(e);
  const markHandled = (p) => { p.catch(noop); return p; };

  const deferred = () => {
    let resolve, reject;
    const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
    return { promise, resolve, reject };
  };
  // For a writer's ready/closed promises, which must be rejected in place
  // while pending (code may wait on them) and replaced once settled.
  const trackedDeferred = () => {
    const d = { promise: null, resolve: null, reject: null, settled: false };
    d.promise = new Promise((res, rej) => {
      d.resolve = (v) => { d.settled = true; res(v); };
      d.reject = (e) => { d.settled = true; rej(e); };
    });
    return d;
  };

  // Calls an optional underlying source/sink method, always yielding a promise.
  const promiseCall = (fn, thisArg, ...args) => {
    if (fn === undefined) return resolved(undefined);
    try {
      // Reflect.apply: user methods may shadow `apply`/`call` on their functions.
      return resolved(Reflect.apply(fn, thisArg, args));
    } catch (e) {
      return rejected(e);
    }
  };

  const getMethod = (obj, name) => {
    const fn = obj[name];
    if (fn === undefined || fn === null) return undefined;
    if (typeof fn !== 'function') throw new TypeError(`${name} must be a function`);
    return fn;
  };

  // Array-backed FIFO with O(1) amortized shift, so long pipes do not go quadratic.
  class Queue {
    constructor() { this.items = []; this.head = 0; }
    get length() { return this.items.length - this.head; }
    push(x) { this.items.push(x); }
    peek() { return this.items[this.head]; }
    shift() {
      const x = this.items[this.head];
      this.items[this.head++] = undefined;
      if (this.head === this.items.length) {
        this.items = [];
        this.head = 0;
      } else if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      return x;
    }
    clear() { this.items = []; this.head = 0; }
  }

  // ---- queuing strategies -------------------------------------------------

  const extractHWM = (strategy, fallback) => {
    if (strategy == null || strategy.highWaterMark === undefined) return fallback;
    const hwm = Number(strategy.highWaterMark);
    if (Number.isNaN(hwm) || hwm < 0) throw new RangeError('Invalid highWaterMark');
    return hwm;
  };
  // Converts a QueuingStrategy dictionary (highWaterMark, then size) up front,
  // as Web IDL converts it before the constructor reads the underlying
  // source or sink; extractHWM/extractSize then read the plain result.
  const readStrategy = (strategy) => {
    if (strategy == null) return {};
    const highWaterMark = strategy.highWaterMark;
    const size = strategy.size;
    if (size !== undefined && typeof size !== 'function') throw new TypeError('strategy.size must be a function');
    return { highWaterMark: highWaterMark === undefined ? undefined : Number(highWaterMark), size };
  };
  const extractSize = (strategy) => {
    const size = strategy == null ? undefined : strategy.size;
    if (size === undefined) return () => 1;
    if (typeof size !== 'function') throw new TypeError('strategy.size must be a function');
    return (chunk) => size(chunk);
  };

  // Method definitions: named `size`, not constructors, no `prototype` (Web IDL).
  const { size: countSize } = { size() { return 1; } };
  const { size: byteLengthSize } = { size(chunk) { return chunk.byteLength; } };

  class CountQueuingStrategy {
    #hwm;
    constructor(init) {
      if (init == null || init.highWaterMark === undefined) {
        throw new TypeError("Failed to construct 'CountQueuingStrategy': required member highWaterMark is undefined.");
      }
      this.#hwm = Number(init.highWaterMark);
    }
    get highWaterMark() { return this.#hwm; }
    get size() { return countSize; }
  }
  tag(CountQueuingStrategy);

  class ByteLengthQueuingStrategy {
    #hwm;
    constructor(init) {
      if (init == null || init.highWaterMark === undefined) {
        throw new TypeError("Failed to construct 'ByteLengthQueuingStrategy': required member highWaterMark is undefined.");
      }
      this.#hwm = Number(init.highWaterMark);
    }
    get highWaterMark() { return this.#hwm; }
    get size() { return byteLengthSize; }
  }
  tag(ByteLengthQueuingStrategy);

  // ---- ReadableStream internals -------------------------------------------

  // Stream record: { state, storedError, disturbed, reader, controller, pub, isBytes }
  // Controller record: { stream, queue, queueTotalSize, started, closeRequested, pulling,
  //   pullAgain, hwm, size, pullAlgorithm, cancelAlgorithm, pub, byobRequest,
  //   autoAllocateChunkSize } (the last two only matter for byte streams)
  // Reader record: { stream, byob, requests: Queue, closed: deferred, pub }

  let wrapReadableStream; // record -> new public ReadableStream (set in class static block)

  function createReadableRecord(isBytes) {
    return { state: 'readable', storedError: undefined, disturbed: false, reader: null, controller: null, pub: null, isBytes };
  }

  function setUpController(stream, startAlgorithm, pullAlgorithm, cancelAlgorithm, hwm, size, autoAllocateChunkSize = undefined) {
    const c = {
      stream, queue: new Queue(), queueTotalSize: 0, started: false, closeRequested: false,
      pulling: false, pullAgain: false, hwm, size, pullAlgorithm, cancelAlgorithm, pub: null,
      byobRequest: null, autoAllocateChunkSize,
    };
    stream.controller = c;
    c.pub = stream.isBytes ? new ReadableByteStreamController(ILLEGAL, c) : new ReadableStreamDefaultController(ILLEGAL, c);
    const startResult = startAlgorithm(c.pub);
    resolved(startResult).then(() => {
      c.started = true;
      callPullIfNeeded(c);
    }, (r) => controllerError(c, r));
    return c;
  }

  // Builds a stream from internal algorithms (used by tee, transform streams, from()).
  function createReadableStream(startAlgorithm, pullAlgorithm, cancelAlgorithm, hwm = 1, size = () => 1, isBytes = false) {
    const stream = createReadableRecord(isBytes);
    setUpController(stream, startAlgorithm, pullAlgorithm, cancelAlgorithm, hwm, size);
    wrapReadableStream(stream);
    return stream;
  }

  const desiredSize = (c) => {
    const state = c.stream.state;
    if (state === 'errored') return null;
    if (state === 'closed') return 0;
    return c.hwm - c.queueTotalSize;
  };

  const canCloseOrEnqueue = (c) => !c.closeRequested && c.stream.state === 'readable';

  function shouldCallPull(c) {
    const stream = c.stream;
    if (!canCloseOrEnqueue(c) || !c.started) return false;
    const reader = stream.reader;
    if (reader !== null && reader.requests.length > 0) return true;
    return desiredSize(c) > 0;
  }

  function callPullIfNeeded(c) {
    if (!shouldCallPull(c)) return;
    if (c.pulling) {
      c.pullAgain = true;
      return;
    }
    c.pulling = true;
    c.pullAlgorithm(c.pub).then(() => {
      c.pulling = false;
      if (c.pullAgain) {
        c.pullAgain = false;
        callPullIfNeeded(c);
      }
    }, (e) => controllerError(c, e));
  }

  function clearAlgorithms(c) {
    c.pullAlgorithm = undefined;
    c.cancelAlgorithm = undefined;
    c.size = undefined;
  }

  function resetQueue(c) {
    c.queue.clear();
    c.queueTotalSize = 0;
  }

  function controllerClose(c) {
    if (!canCloseOrEnqueue(c)) return;
    c.closeRequested = true;
    if (c.queue.length === 0) {
      clearAlgorithms(c);
      readableStreamClose(c.stream);
    }
  }

  const toByteChunk = (chunk) => {
    if (!ArrayBuffer.isView(chunk)) throw new TypeError('chunk must be an ArrayBufferView');
    if (chunk.byteLength === 0) throw new TypeError('chunk must not be empty');
    return chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  };

  function controllerEnqueue(c, chunk) {
    if (!canCloseOrEnqueue(c)) return;
    const stream = c.stream;
    if (stream.isBytes) {
      chunk = toByteChunk(chunk);
      // The enqueued bytes answer the pending read instead.
      c.byobRequest = null;
    }
    const reader = stream.reader;
    if (reader !== null && !reader.byob && reader.requests.length > 0) {
      // A pending read takes the chunk directly without touching the queue.
      reader.requests.shift().chunk(chunk);
    } else {
      let chunkSize;
      if (stream.isBytes) {
        chunkSize = chunk.byteLength;
      } else {
        try {
          chunkSize = c.size(chunk);
        } catch (e) {
          controllerError(c, e);
          throw e;
        }
        chunkSize = Number(chunkSize);
        if (Number.isNaN(chunkSize) || chunkSize < 0 || chunkSize === Infinity) {
          const e = new RangeError('The return value of a queuing strategy size function must be a finite, non-NaN, non-negative number');
          controllerError(c, e);
          throw e;
        }
      }
      c.queue.push({ value: chunk, size: chunkSize });
      c.queueTotalSize += chunkSize;
      if (reader !== null && reader.byob) fillReadIntoRequests(c);
    }
    callPullIfNeeded(c);
  }

  function controllerError(c, e) {
    const stream = c.stream;
    if (stream.state !== 'readable') return;
    c.byobRequest = null;
    resetQueue(c);
    clearAlgorithms(c);
    readableStreamError(stream, e);
  }

  function readableStreamClose(stream) {
    stream.state = 'closed';
    const reader = stream.reader;
    if (reader === null) return;
    reader.closed.resolve(undefined);
    const requests = reader.requests;
    reader.requests = new Queue();
    while (requests.length > 0) requests.shift().close();
  }

  function readableStreamError(stream, e) {
    stream.state = 'errored';
    stream.storedError = e;
    const reader = stream.reader;
    if (reader === null) return;
    reader.closed.reject(e);
    markHandled(reader.closed.promise);
    const requests = reader.requests;
    reader.requests = new Queue();
    while (requests.length > 0) requests.shift().error(e);
  }

  function readableStreamCancel(stream, reason) {
    stream.disturbed = true;
    if (stream.state === 'closed') return resolved(undefined);
    if (stream.state === 'errored') return rejected(stream.storedError);
    readableStreamClose(stream);
    const c = stream.controller;
    c.byobRequest = null;
    resetQueue(c);
    const result = c.cancelAlgorithm(reason);
    clearAlgorithms(c);
    return result.then(noop);
  }

  // Pulls one chunk for a reader; `req` is { chunk(v), close(), error(e) }.
  function readerRead(reader, req) {
    const stream = reader.stream;
    stream.disturbed = true;
    if (stream.state === 'closed') {
      req.close();
    } else if (stream.state === 'errored') {
      req.error(stream.storedError);
    } else {
      const c = stream.controller;
      if (c.queue.length > 0) {
        const { value, size } = c.queue.shift();
        c.queueTotalSize -= size;
        if (c.queueTotalSize < 0) c.queueTotalSize = 0;
        if (c.closeRequested && c.queue.length === 0) {
          clearAlgorithms(c);
          readableStreamClose(stream);
        } else {
          callPullIfNeeded(c);
        }
        req.chunk(value);
      } else {
        reader.requests.push(req);
        callPullIfNeeded(c);
      }
    }
  }

  // Promise-returning read used by public readers and async iteration.
  function readerReadPromise(reader) {
    return new Promise((resolve, reject) => {
      readerRead(reader, {
        chunk: (value) => resolve({ value, done: false }),
        close: () => resolve({ value: undefined, done: true }),
        error: reject,
      });
    });
  }

  function acquireReader(stream, byob = false) {
    if (stream.reader !== null) throw new TypeError('ReadableStream is locked');
    const reader = { stream, byob, requests: new Queue(), closed: deferred(), pub: null };
    stream.reader = reader;
    if (stream.state === 'closed') {
      reader.closed.resolve(undefined);
    } else if (stream.state === 'errored') {
      reader.closed.reject(stream.storedError);
      markHandled(reader.closed.promise);
    }
    return reader;
  }

  function readerRelease(reader) {
    const stream = reader.stream;
    const e = new TypeError('Reader was released');
    if (stream.state === 'readable') {
      reader.closed.reject(e);
    } else {
      reader.closed = deferred();
      reader.closed.reject(e);
    }
    markHandled(reader.closed.promise);
    stream.reader = null;
    reader.stream = null;
    const requests = reader.requests;
    reader.requests = new Queue();
    while (requests.length > 0) requests.shift().error(e);
  }

  // ---- BYOB reads ----------------------------------------------------------
  // A read(view) takes queued bytes first; otherwise it waits, and the source
  // can write into the reader's own buffer through controller.byobRequest.
  // Buffers are shared rather than transferred (detached), unlike the spec.

  function fillReadIntoRequests(c) {
    const reader = c.stream.reader;
    while (reader.requests.length > 0 && c.queue.length > 0) {
      const req = reader.requests.shift();
      req.chunk(fillView(c, req.view));
    }
    if (c.closeRequested && c.queue.length === 0) {
      clearAlgorithms(c);
      readableStreamClose(c.stream);
    }
  }

  // Copies as many queued bytes as fit into `view`; returns the filled view.
  function fillView(c, view) {
    const target = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    const elementSize = view.BYTES_PER_ELEMENT || 1;
    let filled = 0;
    while (c.queue.length > 0 && filled < target.length) {
      const head = c.queue.peek();
      const chunk = head.value;
      let n = Math.min(chunk.length, target.length - filled);
      // Typed views must end on an element boundary unless that would leave them empty.
      if (elementSize > 1 && n < chunk.length) n -= (filled + n) % elementSize;
      if (n <= 0) break;
      target.set(chunk.subarray(0, n), filled);
      filled += n;
      if (n === chunk.length) {
        c.queue.shift();
      } else {
        head.value = chunk.subarray(n);
        head.size -= n;
      }
      c.queueTotalSize -= n;
    }
    const Ctor = view.constructor;
    return view instanceof DataView
      ? new DataView(view.buffer, view.byteOffset, filled)
      : new Ctor(view.buffer, view.byteOffset, filled / elementSize);
  }

  function byobRead(reader, view) {
    const stream = reader.stream;
    stream.disturbed = true;
    const emptyView = () => (view instanceof DataView
      ? new DataView(view.buffer, view.byteOffset, 0)
      : new view.constructor(view.buffer, view.byteOffset, 0));
    if (stream.state === 'errored') return rejected(stream.storedError);
    const c = stream.controller;
    if (c.queue.length > 0) {
      const value = fillView(c, view);
      if (c.closeRequested && c.queue.length === 0) {
        clearAlgorithms(c);
        readableStreamClose(stream);
      } else {
        callPullIfNeeded(c);
      }
      return resolved({ value, done: false });
    }
    if (stream.state === 'closed') return resolved({ value: emptyView(), done: true });
    return new Promise((resolve, reject) => {
      reader.requests.push({
        view,
        chunk: (value) => resolve({ value, done: false }),
        close: () => resolve({ value: emptyView(), done: true }),
        error: reject,
      });
      callPullIfNeeded(c);
    });
  }

  // The byobRequest of the first pending read: a view onto the unfilled rest
  // of the reader's buffer, or (for a default reader, when the source set
  // autoAllocateChunkSize) onto a fresh buffer. null when nothing waits.
  function currentByobRequest(c) {
    if (c.byobRequest !== null) return c.byobRequest.pub;
    const stream = c.stream;
    const reader = stream.reader;
    if (stream.state !== 'readable' || reader === null || reader.requests.length === 0 || c.queue.length > 0) return null;
    const req = reader.requests.peek();
    if (req.view === undefined) {
      if (c.autoAllocateChunkSize === undefined) return null;
      req.view = new Uint8Array(c.autoAllocateChunkSize);
      req.allocated = true;
    }
    const filled = req.filled || 0;
    const view = new Uint8Array(req.view.buffer, req.view.byteOffset + filled, req.view.byteLength - filled);
    const entry = { req, pub: null };
    entry.pub = new ReadableStreamBYOBRequest(ILLEGAL, c, entry, view);
    c.byobRequest = entry;
    return entry.pub;
  }

  // The source wrote `bytesWritten` bytes into the request's view.
  function byobRespond(c, entry, bytesWritten) {
    if (c.byobRequest !== entry) throw new TypeError('This BYOB request has been invalidated');
    const n = Number(bytesWritten);
    if (!Number.isInteger(n) || n < 0) throw new TypeError('bytesWritten must be a non-negative integer');
    const stream = c.stream;
    const req = entry.req;
    if (stream.state === 'closed') {
      // The read already finished (done) when the stream closed.
      if (n !== 0) throw new TypeError('bytesWritten must be 0 when calling respond() on a closed stream');
      c.byobRequest = null;
      return;
    }
    if (n === 0) throw new TypeError('bytesWritten must be greater than 0 when calling respond() on a readable stream');
    const filled = (req.filled || 0) + n;
    if (filled > req.view.byteLength) throw new RangeError('bytesWritten out of range');
    c.byobRequest = null;
    req.filled = filled;
    const elementSize = req.view.BYTES_PER_ELEMENT || 1;
    // A typed view waits until at least one whole element is filled.
    if (filled >= elementSize) {
      stream.reader.requests.shift();
      const usable = filled - (filled % elementSize);
      if (usable < filled) {
        const rest = new Uint8Array(req.view.buffer, req.view.byteOffset + usable, filled - usable).slice();
        c.queue.push({ value: rest, size: rest.byteLength });
        c.queueTotalSize += rest.byteLength;
      }
      if (req.allocated) req.chunk(new Uint8Array(req.view.buffer, req.view.byteOffset, usable));
      else req.chunk(viewOf(req.view, usable / elementSize));
    }
    callPullIfNeeded(c);
  }

  const viewOf = (view, length) => (view instanceof DataView
    ? new DataView(view.buffer, view.byteOffset, length)
    : new view.constructor(view.buffer, view.byteOffset, length));

  // ---- tee ----------------------------------------------------------------

  function readableStreamTee(stream) {
    const reader = acquireReader(stream);
    let reading = false, readAgain = false, canceled1 = false, canceled2 = false;
    let reason1, reason2, branch1, branch2;
    const cancelPromise = deferred();
    const cloneChunk = stream.isBytes ? (c) => c.slice() : (c) => c;

    const pullAlgorithm = () => {
      if (reading) {
        readAgain = true;
        return resolved(undefined);
      }
      reading = true;
      readerRead(reader, {
        chunk: (chunk) => {
          // A microtask delay lets errors from the source reach the branches first.
          queueMicrotask(() => {
            readAgain = false;
            if (!canceled1) controllerEnqueue(branch1.controller, chunk);
            if (!canceled2) controllerEnqueue(branch2.controller, cloneChunk(chunk));
            reading = false;
            if (readAgain) pullAlgorithm();
          });
        },
        close: () => {
          reading = false;
          if (!canceled1) controllerClose(branch1.controller);
          if (!canceled2) controllerClose(branch2.controller);
          if (!canceled1 || !canceled2) cancelPromise.resolve(undefined);
        },
        error: () => { reading = false; },
      });
      return resolved(undefined);
    };
    const cancel1 = (reason) => {
      canceled1 = true;
      reason1 = reason;
      if (canceled2) cancelPromise.resolve(readableStreamCancel(stream, [reason1, reason2]));
      return cancelPromise.promise;
    };
    const cancel2 = (reason) => {
      canceled2 = true;
      reason2 = reason;
      if (canceled1) cancelPromise.resolve(readableStreamCancel(stream, [reason1, reason2]));
      return cancelPromise.promise;
    };
    const hwm = stream.isBytes ? 0 : 1;
    branch1 = createReadableStream(noop, pullAlgorithm, cancel1, hwm, () => 1, stream.isBytes);
    branch2 = createReadableStream(noop, pullAlgorithm, cancel2, hwm, () => 1, stream.isBytes);
    reader.closed.promise.catch((r) => {
      controllerError(branch1.controller, r);
      controllerError(branch2.controller, r);
      if (!canceled1 || !canceled2) cancelPromise.resolve(undefined);
    });
    return [branch1, branch2];
  }

  // ---- pipeTo -------------------------------------------------------------

  function readableStreamPipeTo(source, dest, preventClose, preventAbort, preventCancel, signal) {
    const reader = acquireReader(source);
    const writer = acquireWriter(dest);
    source.disturbed = true;
    let shuttingDown = false;
    let currentWrite = resolved(undefined);
    const done = deferred();
    let abortListener;

    const waitForWrites = () => {
      const old = currentWrite;
      return old.then(() => (old !== currentWrite ? waitForWrites() : undefined));
    };

    const finalize = (isError, error) => {
      writerRelease(writer);
      readerRelease(reader);
      if (signal !== undefined && abortListener) signal.removeEventListener('abort', abortListener);
      if (isError) done.reject(error);
      else done.resolve(undefined);
    };

    const shutdownWithAction = (action, originalIsError, originalError) => {
      if (shuttingDown) return;
      shuttingDown = true;
      const doTheRest = () => {
        action().then(
          () => finalize(originalIsError, originalError),
          (newError) => finalize(true, newError),
        );
      };
      if (dest.state === 'writable' && !closeQueuedOrInFlight(dest)) waitForWrites().then(doTheRest);
      else doTheRest();
    };

    const shutdown = (isError, error) => {
      if (shuttingDown) return;
      shuttingDown = true;
      if (dest.state === 'writable' && !closeQueuedOrInFlight(dest)) waitForWrites().then(() => finalize(isError, error));
      else finalize(isError, error);
    };

    if (signal !== undefined) {
      abortListener = () => {
        const error = signal.reason;
        const actions = [];
        if (!preventAbort) actions.push(() => (dest.state === 'writable' ? writableStreamAbort(dest, error) : resolved(undefined)));
        if (!preventCancel) actions.push(() => (source.state === 'readable' ? readableStreamCancel(source, error) : resolved(undefined)));
        shutdownWithAction(() => Promise.all(actions.map((a) => a())), true, error);
      };
      if (signal.aborted) {
        abortListener();
        return done.promise;
      }
      signal.addEventListener('abort', abortListener);
    }

    // Each step waits for the promise chain, so arbitrarily long pipes use constant stack.
    const pipeStep = () => {
      if (shuttingDown) return resolved(true);
      return writer.ready.promise.then(() => new Promise((resolve, reject) => {
        if (shuttingDown) {
          resolve(true);
          return;
        }
        readerRead(reader, {
          chunk: (chunk) => {
            currentWrite = writerWrite(writer, chunk).then(undefined, noop);
            resolve(false);
          },
          close: () => resolve(true),
          error: reject,
        });
      }));
    };
    const pipeLoop = () => new Promise((resolveLoop, rejectLoop) => {
      const next = (stop) => {
        if (stop) resolveLoop();
        else pipeStep().then(next, rejectLoop);
      };
      next(false);
    });

    const onSourceErrored = (storedError) => {
      if (!preventAbort) shutdownWithAction(() => writableStreamAbort(dest, storedError), true, storedError);
      else shutdown(true, storedError);
    };
    const onDestErrored = (storedError) => {
      if (!preventCancel) shutdownWithAction(() => readableStreamCancel(source, storedError), true, storedError);
      else shutdown(true, storedError);
    };
    const onSourceClosed = () => {
      if (!preventClose) shutdownWithAction(() => writerCloseWithErrorPropagation(writer));
      else shutdown();
    };

    if (source.state === 'errored') onSourceErrored(source.storedError);
    else reader.closed.promise.then(() => { if (!shuttingDown) onSourceClosed(); }, (e) => { if (!shuttingDown) onSourceErrored(e); });

    if (dest.state === 'errored' || dest.state === 'erroring') onDestErrored(dest.storedError);
    else writer.closed.promise.then(noop, (e) => { if (!shuttingDown) onDestErrored(e); });

    if (closeQueuedOrInFlight(dest) || dest.state === 'closed') {
      const destClosed = new TypeError('the destination writable stream closed before all data could be piped to it');
      if (!preventCancel) shutdownWithAction(() => readableStreamCancel(source, destClosed), true, destClosed);
      else shutdown(true, destClosed);
    }

    if (source.state === 'closed') onSourceClosed();

    markHandled(pipeLoop());
    return done.promise;
  }

  // ---- ReadableStream public classes --------------------------------------

  class ReadableStreamDefaultController {
    #c;
    constructor(key, record) {
      if (key !== ILLEGAL) throw new TypeError('Illegal constructor');
      this.#c = record;
    }
    get desiredSize() { return desiredSize(this.#c); }
    close() {
      const c = this.#c;
      if (!canCloseOrEnqueue(c)) throw new TypeError('The stream is not in a state that permits close');
      controllerClose(c);
    }
    enqueue(chunk = undefined) {
      const c = this.#c;
      if (!canCloseOrEnqueue(c)) throw new TypeError('The stream is not in a state that permits enqueue');
      controllerEnqueue(c, chunk);
    }
    error(e = undefined) { controllerError(this.#c, e); }
  }
  tag(ReadableStreamDefaultController);

  class ReadableByteStreamController extends ReadableStreamDefaultController {
    #c;
    // No declared parameters: the interface's constructor has length 0.
    constructor() {
      const [key, record] = arguments;
      super(key, record);
      this.#c = record;
    }
    get byobRequest() { return currentByobRequest(this.#c); }
  }
  tag(ReadableByteStreamController);

  class ReadableStreamBYOBRequest {
    #c; #entry; #view;
    constructor(key, controller, entry, view) {
      if (key !== ILLEGAL) throw new TypeError('Illegal constructor');
      this.#c = controller;
      this.#entry = entry;
      this.#view = view;
    }
    get view() { return this.#c.byobRequest === this.#entry ? this.#view : null; }
    respond(bytesWritten) {
      if (arguments.length === 0) throw new TypeError("Failed to execute 'respond' on 'ReadableStreamBYOBRequest': 1 argument required, but only 0 present.");
      byobRespond(this.#c, this.#entry, bytesWritten);
    }
    // Buffers are not transferred here, so the new view must be on the
    // request's buffer, starting where the request's view starts.
    respondWithNewView(view) {
      if (!ArrayBuffer.isView(view)) throw new TypeError("Failed to execute 'respondWithNewView': parameter 1 is not an ArrayBufferView");
      if (this.#c.byobRequest !== this.#entry) throw new TypeError('This BYOB request has been invalidated');
      if (view.buffer.detached) throw new TypeError('The view\'s buffer has been detached');
      // The streams standard checks the stream's state before the view's position.
      if (this.#c.stream.state === 'closed') {
        if (view.byteLength !== 0) throw new TypeError('The view\'s length must be 0 when calling respondWithNewView() on a closed stream');
      } else if (view.byteLength === 0) {
        throw new TypeError('The view\'s length must be greater than 0 when calling respondWithNewView() on a readable stream');
      }
      const own = this.#view;
      if (view.buffer !== own.buffer || view.byteOffset !== own.byteOffset) throw new RangeError('The view must start where the BYOB request view starts, in the same buffer');
      if (view.byteLength > own.byteLength) throw new RangeError('The view is larger than the BYOB request view');
      byobRespond(this.#c, this.#entry, view.byteLength);
    }
  }
  tag(ReadableStreamBYOBRequest);

  class ReadableStreamDefaultReader {
    #r;
    constructor(stream) {
      this.#r = acquireReader(readableRecord(stream));
      this.#r.pub = this;
    }
    get closed() { return this.#r.closed.promise; }
    read() {
      const r = this.#r;
      if (r.stream === null) return rejected(new TypeError('This reader has been released'));
      return readerReadPromise(r);
    }
    cancel(reason = undefined) {
      const r = this.#r;
      if (r.stream === null) return rejected(new TypeError('This reader has been released'));
      return readableStreamCancel(r.stream, reason);
    }
    releaseLock() {
      if (this.#r.stream !== null) readerRelease(this.#r);
    }
  }
  tag(ReadableStreamDefaultReader);

  class ReadableStreamBYOBReader {
    #r;
    constructor(stream) {
      const s = readableRecord(stream);
      if (!s.isBytes) throw new TypeError('Cannot use a BYOB reader with a non-byte stream');
      this.#r = acquireReader(s, true);
      this.#r.pub = this;
    }
    get closed() { return this.#r.closed.promise; }
    read(view) {
      const r = this.#r;
      if (!ArrayBuffer.isView(view)) return rejected(new TypeError('view must be an ArrayBufferView'));
      if (view.byteLength === 0) return rejected(new TypeError('view must have non-zero byteLength'));
      if (r.stream === null) return rejected(new TypeError('This reader has been released'));
      return byobRead(r, view);
    }
    cancel(reason = undefined) {
      const r = this.#r;
      if (r.stream === null) return rejected(new TypeError('This reader has been released'));
      return readableStreamCancel(r.stream, reason);
    }
    releaseLock() {
      if (this.#r.stream !== null) readerRelease(this.#r);
    }
  }
  tag(ReadableStreamBYOBReader);

  const AsyncIteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf(async function* () {}).prototype);

  // Web IDL async iterators run steps immediately when idle and queue them otherwise;
  // the ongoing promise is cleared once it settles.
  function chainOngoing(it, run) {
    const p = it.ongoing ? it.ongoing.then(run, run) : run();
    const settle = () => { if (it.ongoing === p) it.ongoing = null; };
    it.ongoing = p;
    p.then(settle, settle);
    return p;
  }

  const ReadableStreamAsyncIteratorPrototype = Object.setPrototypeOf({
    next() {
      const it = this;
      // Calls are serialized, as the spec's async iterator machinery requires.
      const run = () => {
        if (it.finished) return resolved({ value: undefined, done: true });
        const reader = it.reader;
        if (reader.stream === null) return rejected(new TypeError('Cannot iterate a stream using a released reader'));
        return readerReadPromise(reader).then((result) => {
          if (result.done) {
            it.finished = true;
            readerRelease(reader);
          }
          return result;
        }, (e) => {
          it.finished = true;
          readerRelease(reader);
          throw e;
        });
      };
      return chainOngoing(it, run);
    },
    return(value) {
      const it = this;
      const run = () => {
        if (it.finished) return resolved({ value, done: true });
        it.finished = true;
        const reader = it.reader;
        if (reader.stream === null) return resolved({ value, done: true });
        if (!it.preventCancel) {
          const result = readableStreamCancel(reader.stream, value);
          readerRelease(reader);
          return result.then(() => ({ value, done: true }));
        }
        readerRelease(reader);
        return resolved({ value, done: true });
      };
      return chainOngoing(it, run);
    },
  }, AsyncIteratorPrototype);
  Object.defineProperty(ReadableStreamAsyncIteratorPrototype, Symbol.toStringTag, { value: 'ReadableStream AsyncIterator', configurable: true });

  let readableRecord;

  class ReadableStream {
    #s;

    constructor(underlyingSource = undefined, strategy = undefined) {
      if (underlyingSource === ILLEGAL) {
        this.#s = strategy;
        strategy.pub = this;
        return;
      }
      const source = underlyingSource == null ? {} : underlyingSource;
      if (typeof source !== 'object' && typeof source !== 'function') {
        throw new TypeError("Failed to construct 'ReadableStream': underlyingSource must be an object");
      }
      strategy = readStrategy(strategy);
      const start = getMethod(source, 'start');
      const pull = getMethod(source, 'pull');
      const cancel = getMethod(source, 'cancel');
      let isBytes = false;
      if (source.type !== undefined) {
        if (String(source.type) !== 'bytes') throw new TypeError(`Failed to construct 'ReadableStream': '${source.type}' is not a valid ReadableStreamType`);
        isBytes = true;
      }
      let hwm, size, autoAllocateChunkSize;
      if (isBytes) {
        if (strategy.size !== undefined) throw new RangeError('The strategy for a byte stream cannot have a size function');
        if (source.autoAllocateChunkSize !== undefined) {
          autoAllocateChunkSize = Number(source.autoAllocateChunkSize);
          if (!Number.isInteger(autoAllocateChunkSize) || autoAllocateChunkSize <= 0) throw new TypeError('autoAllocateChunkSize must be a positive integer');
        }
        hwm = extractHWM(strategy, 0);
        size = () => 1;
      } else {
        size = extractSize(strategy);
        hwm = extractHWM(strategy, 1);
      }
      const s = createReadableRecord(isBytes);
      this.#s = s;
      s.pub = this;
      setUpController(
        s,
        (controller) => (start ? Reflect.apply(start, source, [controller]) : undefined),
        (controller) => promiseCall(pull, source, controller),
        (reason) => promiseCall(cancel, source, reason),
        hwm,
        size,
        autoAllocateChunkSize,
      );
    }

    static from(asyncIterable) {
      let iterator, nextMethod;
      const asyncMethod = asyncIterable == null ? undefined : asyncIterable[Symbol.asyncIterator];
      if (asyncMethod != null) {
        iterator = asyncMethod.call(asyncIterable);
      } else {
        const syncMethod = asyncIterable == null ? undefined : asyncIterable[Symbol.iterator];
        if (typeof syncMethod !== 'function') throw new TypeError('ReadableStream.from: argument is not iterable');
        const sync = syncMethod.call(asyncIterable);
        const syncNext = sync.next;
        iterator = {
          next: () => resolved(syncNext.call(sync)).then((r) => resolved(r.value).then((value) => ({ value, done: r.done }))),
          return: (v) => (typeof sync.return === 'function' ? resolved(sync.return(v)) : resolved({ value: v, done: true })),
        };
      }
      if (iterator === null || typeof iterator !== 'object') throw new TypeError('ReadableStream.from: iterator is not an object');
      nextMethod = iterator.next;
      const stream = createReadableStream(
        noop,
        (controller) => promiseCall(nextMethod, iterator).then((result) => {
          if (result === null || typeof result !== 'object') throw new TypeError('iterator result is not an object');
          if (result.done) controllerClose(stream.controller);
          else controllerEnqueue(stream.controller, result.value);
        }),
        (reason) => {
          let ret;
          try {
            ret = iterator.return;
          } catch (e) {
            return rejected(e);
          }
          if (ret == null) return resolved(undefined);
          return promiseCall(ret, iterator, reason).then((r) => {
            if (r === null || typeof r !== 'object') throw new TypeError('iterator.return() result is not an object');
          });
        },
        0,
      );
      return stream.pub;
    }

    get locked() { return this.#s.reader !== null; }

    cancel(reason = undefined) {
      if (this.#s.reader !== null) return rejected(new TypeError('Cannot cancel a locked ReadableStream'));
      return readableStreamCancel(this.#s, reason);
    }

    getReader(options = undefined) {
      if (options != null && typeof options !== 'object' && typeof options !== 'function') {
        throw new TypeError("Failed to execute 'getReader' on 'ReadableStream': The provided value is not of type 'ReadableStreamGetReaderOptions'.");
      }
      const mode = options == null ? undefined : options.mode;
      if (mode === undefined) return new ReadableStreamDefaultReader(this);
      if (String(mode) !== 'byob') throw new TypeError(`Failed to execute 'getReader' on 'ReadableStream': '${mode}' is not a valid ReadableStreamReaderMode`);
      return new ReadableStreamBYOBReader(this);
    }

    // Web IDL order: the receiver's brand, then the arguments (dictionary
    // members in lexicographic order), then the method's own checks.
    pipeThrough(transform, options = undefined) {
      const s = readableRecord(this);
      if (transform == null || (typeof transform !== 'object' && typeof transform !== 'function')) {
        throw new TypeError("Failed to execute 'pipeThrough': transform is not a ReadableWritablePair");
      }
      const readable = transform.readable;
      if (!isReadableStream(readable)) throw new TypeError("Failed to execute 'pipeThrough': transform.readable is not a ReadableStream");
      const writable = transform.writable;
      if (!isWritableStream(writable)) throw new TypeError("Failed to execute 'pipeThrough': transform.writable is not a WritableStream");
      const o = parsePipeOptions(options);
      if (s.reader !== null) throw new TypeError('Cannot pipe a locked ReadableStream');
      const w = writableRecord(writable);
      if (w.writer !== null) throw new TypeError('Cannot pipe to a locked WritableStream');
      markHandled(readableStreamPipeTo(s, w, o.preventClose, o.preventAbort, o.preventCancel, o.signal));
      return readable;
    }

    pipeTo(destination, options = undefined) {
      let s, w, o;
      try {
        s = readableRecord(this);
        if (!isWritableStream(destination)) throw new TypeError("Failed to execute 'pipeTo': destination is not a WritableStream");
        w = writableRecord(destination);
        o = parsePipeOptions(options);
      } catch (e) {
        return rejected(e);
      }
      if (s.reader !== null) return rejected(new TypeError('Cannot pipe a locked ReadableStream'));
      if (w.writer !== null) return rejected(new TypeError('Cannot pipe to a locked WritableStream'));
      return readableStreamPipeTo(s, w, o.preventClose, o.preventAbort, o.preventCancel, o.signal);
    }

    tee() {
      return readableStreamTee(this.#s).map((r) => r.pub);
    }

    values(options = undefined) {
      const reader = acquireReader(this.#s);
      const it = Object.create(ReadableStreamAsyncIteratorPrototype);
      it.reader = reader;
      it.preventCancel = !!(options != null && options.preventCancel);
      it.finished = false;
      it.ongoing = null;
      return it;
    }

    static {
      readableRecord = (pub) => {
        if (!(pub !== null && typeof pub === 'object' && #s in pub)) throw new TypeError('Argument is not a ReadableStream');
        return pub.#s;
      };
      wrapReadableStream = (record) => new ReadableStream(ILLEGAL, record);
    }
  }
  Object.defineProperty(ReadableStream.prototype, Symbol.asyncIterator, {
    value: ReadableStream.prototype.values, writable: true, configurable: true,
  });
  tag(ReadableStream);

  // StreamPipeOptions, read in the dictionary's (lexicographic) member order.
  function parsePipeOptions(options) {
    if (options != null && typeof options !== 'object' && typeof options !== 'function') {
      throw new TypeError('The pipe options are not an object');
    }
    const o = options == null ? {} : options;
    const preventAbort = !!o.preventAbort;
    const preventCancel = !!o.preventCancel;
    const preventClose = !!o.preventClose;
    const signal = o.signal;
    if (signal !== undefined && !internal.isAbortSignal(signal)) throw new TypeError('options.signal is not an AbortSignal');
    return { preventClose, preventAbort, preventCancel, signal };
  }

  const isReadableStream = (v) => {
    try {
      readableRecord(v);
      return true;
    } catch {
      return false;
    }
  };
  const isWritableStream = (v) => {
    try {
      writableRecord(v);
      return true;
    } catch {
      return false;
    }
  };

  // ---- WritableStream internals -------------------------------------------

  const CLOSE_SENTINEL = Symbol('close');

  // Stream record: { state, storedError, writer, controller, inFlightWriteRequest, closeRequest,
  //   inFlightCloseRequest, pendingAbortRequest, writeRequests: Queue, backpressure, pub }
  // Writer record: { stream, ready: deferred, closed: deferred, pub }

  function createWritableRecord() {
    return {
      state: 'writable', storedError: undefined, writer: null, controller: null,
      inFlightWriteRequest: undefined, closeRequest: undefined, inFlightCloseRequest: undefined,
      pendingAbortRequest: undefined, writeRequests: new Queue(), backpressure: false, pub: null,
    };
  }

  function setUpWritableController(stream, startAlgorithm, writeAlgorithm, closeAlgorithm, abortAlgorithm, hwm, size) {
    const c = {
      stream, queue: new Queue(), queueTotalSize: 0, started: false, hwm, size,
      writeAlgorithm, closeAlgorithm, abortAlgorithm, abortController: new AbortController(), pub: null,
    };
    stream.controller = c;
    c.pub = new WritableStreamDefaultController(ILLEGAL, c);
    updateBackpressure(stream, writableGetBackpressure(c));
    const startResult = startAlgorithm(c.pub);
    resolved(startResult).then(() => {
      c.started = true;
      advanceQueueIfNeeded(c);
    }, (r) => {
      c.started = true;
      dealWithRejection(stream, r);
    });
  }

  let wrapWritableStream;

  function createWritableStream(startAlgorithm, writeAlgorithm, closeAlgorithm, abortAlgorithm, hwm = 1, size = () => 1) {
    const stream = createWritableRecord();
    setUpWritableController(stream, startAlgorithm, writeAlgorithm, closeAlgorithm, abortAlgorithm, hwm, size);
    wrapWritableStream(stream);
    return stream;
  }

  const closeQueuedOrInFlight = (s) => s.closeRequest !== undefined || s.inFlightCloseRequest !== undefined;
  const hasOperationMarkedInFlight = (s) => s.inFlightWriteRequest !== undefined || s.inFlightCloseRequest !== undefined;

  function writableStreamAbort(stream, reason) {
    if (stream.state === 'closed' || stream.state === 'errored') return resolved(undefined);
    stream.controller.abortController.abort(reason);
    const state = stream.state;
    if (state === 'closed' || state === 'errored') return resolved(undefined);
    if (stream.pendingAbortRequest !== undefined) return stream.pendingAbortRequest.deferred.promise;
    const wasAlreadyErroring = state === 'erroring';
    if (wasAlreadyErroring) reason = undefined;
    const d = deferred();
    stream.pendingAbortRequest = { deferred: d, reason, wasAlreadyErroring };
    if (!wasAlreadyErroring) startErroring(stream, reason);
    return d.promise;
  }

  function writableStreamClose(stream) {
    const state = stream.state;
    if (state === 'closed' || state === 'errored') {
      return rejected(new TypeError('The stream is not in the writable state and cannot be closed'));
    }
    const d = deferred();
    stream.closeRequest = d;
    const writer = stream.writer;
    if (writer !== null && stream.backpressure && state === 'writable') writer.ready.resolve(undefined);
    const c = stream.controller;
    c.queue.push({ value: CLOSE_SENTINEL, size: 0 });
    advanceQueueIfNeeded(c);
    return d.promise;
  }

  function dealWithRejection(stream, error) {
    if (stream.state === 'writable') startErroring(stream, error);
    else finishErroring(stream);
  }

  function startErroring(stream, reason) {
    const c = stream.controller;
    stream.state = 'erroring';
    stream.storedError = reason;
    if (stream.writer !== null) ensureReadyPromiseRejected(stream.writer, reason);
    if (!hasOperationMarkedInFlight(stream) && c.started) finishErroring(stream);
  }

  function finishErroring(stream) {
    stream.state = 'errored';
    const c = stream.controller;
    c.queue.clear();
    c.queueTotalSize = 0;
    const storedError = stream.storedError;
    const requests = stream.writeRequests;
    stream.writeRequests = new Queue();
    while (requests.length > 0) requests.shift().reject(storedError);
    const abortRequest = stream.pendingAbortRequest;
    if (abortRequest === undefined) {
      rejectCloseAndClosedPromiseIfNeeded(stream);
      return;
    }
    stream.pendingAbortRequest = undefined;
    if (abortRequest.wasAlreadyErroring) {
      abortRequest.deferred.reject(storedError);
      rejectCloseAndClosedPromiseIfNeeded(stream);
      return;
    }
    const promise = c.abortAlgorithm(abortRequest.reason);
    writableClearAlgorithms(c);
    promise.then(() => {
      abortRequest.deferred.resolve(undefined);
      rejectCloseAndClosedPromiseIfNeeded(stream);
    }, (reason) => {
      abortRequest.deferred.reject(reason);
      rejectCloseAndClosedPromiseIfNeeded(stream);
    });
  }

  function rejectCloseAndClosedPromiseIfNeeded(stream) {
    if (stream.closeRequest !== undefined) {
      stream.closeRequest.reject(stream.storedError);
      stream.closeRequest = undefined;
    }
    const writer = stream.writer;
    if (writer !== null) {
      writer.closed.reject(stream.storedError);
      markHandled(writer.closed.promise);
    }
  }

  function finishInFlightWrite(stream) {
    stream.inFlightWriteRequest.resolve(undefined);
    stream.inFlightWriteRequest = undefined;
  }

  function finishInFlightWriteWithError(stream, error) {
    stream.inFlightWriteRequest.reject(error);
    stream.inFlightWriteRequest = undefined;
    dealWithRejection(stream, error);
  }

  function finishInFlightClose(stream) {
    stream.inFlightCloseRequest.resolve(undefined);
    stream.inFlightCloseRequest = undefined;
    if (stream.state === 'erroring') {
      stream.storedError = undefined;
      if (stream.pendingAbortRequest !== undefined) {
        stream.pendingAbortRequest.deferred.resolve(undefined);
        stream.pendingAbortRequest = undefined;
      }
    }
    stream.state = 'closed';
    if (stream.writer !== null) stream.writer.closed.resolve(undefined);
  }

  function finishInFlightCloseWithError(stream, error) {
    stream.inFlightCloseRequest.reject(error);
    stream.inFlightCloseRequest = undefined;
    if (stream.pendingAbortRequest !== undefined) {
      stream.pendingAbortRequest.deferred.reject(error);
      stream.pendingAbortRequest = undefined;
    }
    dealWithRejection(stream, error);
  }

  function updateBackpressure(stream, backpressure) {
    const writer = stream.writer;
    if (writer !== null && backpressure !== stream.backpressure) {
      if (backpressure) writer.ready = trackedDeferred();
      else writer.ready.resolve(undefined);
    }
    stream.backpressure = backpressure;
  }

  const writableDesiredSize = (c) => c.hwm - c.queueTotalSize;
  const writableGetBackpressure = (c) => writableDesiredSize(c) <= 0;

  function writableClearAlgorithms(c) {
    c.writeAlgorithm = undefined;
    c.closeAlgorithm = undefined;
    c.abortAlgorithm = undefined;
    c.size = undefined;
  }

  function writableControllerError(c, error) {
    writableClearAlgorithms(c);
    startErroring(c.stream, error);
  }

  function writableControllerErrorIfNeeded(c, error) {
    if (c.stream.state === 'writable') writableControllerError(c, error);
  }

  function writableGetChunkSize(c, chunk) {
    if (c.size === undefined) return 1;
    try {
      return c.size(chunk);
    } catch (e) {
      writableControllerErrorIfNeeded(c, e);
      return 1;
    }
  }

  function writableControllerWrite(c, chunk, chunkSize) {
    chunkSize = Number(chunkSize);
    if (Number.isNaN(chunkSize) || chunkSize < 0 || chunkSize === Infinity) {
      writableControllerErrorIfNeeded(c, new RangeError('The return value of a queuing strategy size function must be a finite, non-NaN, non-negative number'));
      return;
    }
    c.queue.push({ value: chunk, size: chunkSize });
    c.queueTotalSize += chunkSize;
    const stream = c.stream;
    if (!closeQueuedOrInFlight(stream) && stream.state === 'writable') {
      updateBackpressure(stream, writableGetBackpressure(c));
    }
    advanceQueueIfNeeded(c);
  }

  function advanceQueueIfNeeded(c) {
    const stream = c.stream;
    if (!c.started || stream.inFlightWriteRequest !== undefined) return;
    if (stream.state === 'erroring') {
      finishErroring(stream);
      return;
    }
    if (c.queue.length === 0) return;
    const { value } = c.queue.peek();
    if (value === CLOSE_SENTINEL) processClose(c);
    else processWrite(c, value);
  }

  function processClose(c) {
    const stream = c.stream;
    stream.inFlightCloseRequest = stream.closeRequest;
    stream.closeRequest = undefined;
    c.queue.shift();
    c.queueTotalSize = 0;
    const sinkClosePromise = c.closeAlgorithm();
    writableClearAlgorithms(c);
    sinkClosePromise.then(() => finishInFlightClose(stream), (reason) => finishInFlightCloseWithError(stream, reason));
  }

  function processWrite(c, chunk) {
    const stream = c.stream;
    stream.inFlightWriteRequest = stream.writeRequests.shift();
    c.writeAlgorithm(chunk).then(() => {
      finishInFlightWrite(stream);
      const { size } = c.queue.shift();
      c.queueTotalSize -= size;
      if (c.queueTotalSize < 0) c.queueTotalSize = 0;
      if (!closeQueuedOrInFlight(stream) && stream.state === 'writable') {
        updateBackpressure(stream, writableGetBackpressure(c));
      }
      advanceQueueIfNeeded(c);
    }, (reason) => {
      if (stream.state === 'writable') writableClearAlgorithms(c);
      finishInFlightWriteWithError(stream, reason);
    });
  }

  function acquireWriter(stream) {
    if (stream.writer !== null) throw new TypeError('WritableStream is locked');
    const writer = { stream, ready: trackedDeferred(), closed: trackedDeferred(), pub: null };
    stream.writer = writer;
    const state = stream.state;
    if (state === 'writable') {
      if (closeQueuedOrInFlight(stream) || !stream.backpressure) writer.ready.resolve(undefined);
    } else if (state === 'erroring') {
      writer.ready.reject(stream.storedError);
      markHandled(writer.ready.promise);
    } else if (state === 'closed') {
      writer.ready.resolve(undefined);
      writer.closed.resolve(undefined);
    } else {
      writer.ready.reject(stream.storedError);
      markHandled(writer.ready.promise);
      writer.closed.reject(stream.storedError);
      markHandled(writer.closed.promise);
    }
    return writer;
  }

  // A pending promise is rejected in place (code may already wait on it); a
  // settled one cannot be rejected again, so it is replaced.
  function ensureReadyPromiseRejected(writer, error) {
    if (writer.ready.settled) writer.ready = trackedDeferred();
    writer.ready.reject(error);
    markHandled(writer.ready.promise);
  }

  function ensureClosedPromiseRejected(writer, error) {
    if (writer.closed.settled) writer.closed = trackedDeferred();
    writer.closed.reject(error);
    markHandled(writer.closed.promise);
  }

  function writerRelease(writer) {
    const stream = writer.stream;
    const releasedError = new TypeError('Writer was released and can no longer be used to monitor the stream\'s closedness');
    ensureReadyPromiseRejected(writer, releasedError);
    ensureClosedPromiseRejected(writer, releasedError);
    stream.writer = null;
    writer.stream = null;
  }

  function writerWrite(writer, chunk) {
    const stream = writer.stream;
    const c = stream.controller;
    const chunkSize = writableGetChunkSize(c, chunk);
    if (stream !== writer.stream) return rejected(new TypeError('Writer was released'));
    const state = stream.state;
    if (state === 'errored') return rejected(stream.storedError);
    if (closeQueuedOrInFlight(stream) || state === 'closed') return rejected(new TypeError('The stream is closing or closed and cannot be written to'));
    if (state === 'erroring') return rejected(stream.storedError);
    const d = deferred();
    stream.writeRequests.push(d);
    writableControllerWrite(c, chunk, chunkSize);
    return d.promise;
  }

  function writerGetDesiredSize(writer) {
    const stream = writer.stream;
    const state = stream.state;
    if (state === 'errored' || state === 'erroring') return null;
    if (state === 'closed') return 0;
    return writableDesiredSize(stream.controller);
  }

  function writerCloseWithErrorPropagation(writer) {
    const stream = writer.stream;
    const state = stream.state;
    if (closeQueuedOrInFlight(stream) || state === 'closed') return resolved(undefined);
    if (state === 'errored') return rejected(stream.storedError);
    return writableStreamClose(stream);
  }

  // ---- WritableStream public classes --------------------------------------

  class WritableStreamDefaultController {
    #c;
    constructor(key, record) {
      if (key !== ILLEGAL) throw new TypeError('Illegal constructor');
      this.#c = record;
    }
    get signal() { return this.#c.abortController.signal; }
    error(e = undefined) {
      if (this.#c.stream.state !== 'writable') return;
      writableControllerError(this.#c, e);
    }
  }
  tag(WritableStreamDefaultController);

  class WritableStreamDefaultWriter {
    #w;
    constructor(stream) {
      this.#w = acquireWriter(writableRecord(stream));
      this.#w.pub = this;
    }
    get closed() { return this.#w.closed.promise; }
    get ready() { return this.#w.ready.promise; }
    get desiredSize() {
      if (this.#w.stream === null) throw new TypeError('This writer has been released');
      return writerGetDesiredSize(this.#w);
    }
    abort(reason = undefined) {
      if (this.#w.stream === null) return rejected(new TypeError('This writer has been released'));
      return writableStreamAbort(this.#w.stream, reason);
    }
    close() {
      const stream = this.#w.stream;
      if (stream === null) return rejected(new TypeError('This writer has been released'));
      if (closeQueuedOrInFlight(stream)) return rejected(new TypeError('The stream is already closing'));
      return writableStreamClose(stream);
    }
    releaseLock() {
      if (this.#w.stream !== null) writerRelease(this.#w);
    }
    write(chunk = undefined) {
      if (this.#w.stream === null) return rejected(new TypeError('This writer has been released'));
      return writerWrite(this.#w, chunk);
    }
  }
  tag(WritableStreamDefaultWriter);

  let writableRecord;

  class WritableStream {
    #s;
    constructor(underlyingSink = undefined, strategy = undefined) {
      if (underlyingSink === ILLEGAL) {
        this.#s = strategy;
        strategy.pub = this;
        return;
      }
      const sink = underlyingSink == null ? {} : underlyingSink;
      if (typeof sink !== 'object' && typeof sink !== 'function') {
        throw new TypeError("Failed to construct 'WritableStream': underlyingSink must be an object");
      }
      strategy = readStrategy(strategy);
      if (sink.type !== undefined) throw new RangeError("Failed to construct 'WritableStream': Invalid type is specified");
      const start = getMethod(sink, 'start');
      const write = getMethod(sink, 'write');
      const close = getMethod(sink, 'close');
      const abort = getMethod(sink, 'abort');
      const size = extractSize(strategy);
      const hwm = extractHWM(strategy, 1);
      const s = createWritableRecord();
      this.#s = s;
      s.pub = this;
      setUpWritableController(
        s,
        (controller) => (start ? Reflect.apply(start, sink, [controller]) : undefined),
        (chunk) => promiseCall(write, sink, chunk, s.controller.pub),
        () => promiseCall(close, sink),
        (reason) => promiseCall(abort, sink, reason),
        hwm,
        size,
      );
    }
    get locked() { return this.#s.writer !== null; }
    abort(reason = undefined) {
      if (this.#s.writer !== null) return rejected(new TypeError('Cannot abort a locked WritableStream'));
      return writableStreamAbort(this.#s, reason);
    }
    close() {
      const s = this.#s;
      if (s.writer !== null) return rejected(new TypeError('Cannot close a locked WritableStream'));
      if (closeQueuedOrInFlight(s)) return rejected(new TypeError('The stream is already closing'));
      return writableStreamClose(s);
    }
    getWriter() { return new WritableStreamDefaultWriter(this); }

    static {
      writableRecord = (pub) => {
        if (!(pub !== null && typeof pub === 'object' && #s in pub)) throw new TypeError('Argument is not a WritableStream');
        return pub.#s;
      };
      wrapWritableStream = (record) => new WritableStream(ILLEGAL, record);
    }
  }
  tag(WritableStream);

  // ---- TransformStream ----------------------------------------------------

  // Record: { readable, writable, backpressure, backpressureChange: deferred, controller }
  // Controller record: { stream, transformAlgorithm, flushAlgorithm, pub }

  function initializeTransform(t, startPromise, writableHWM, writableSize, readableHWM, readableSize, isBytes) {
    t.writable = createWritableStream(
      () => startPromise,
      (chunk) => transformSinkWrite(t, chunk),
      () => transformSinkClose(t),
      (reason) => transformSinkAbort(t, reason),
      writableHWM,
      writableSize,
    );
    t.readable = createReadableStream(
      () => startPromise,
      () => {
        setTransformBackpressure(t, false);
        return t.backpressureChange.promise;
      },
      (reason) => transformSourceCancel(t, reason),
      readableHWM,
      readableSize,
      isBytes,
    );
    t.backpressure = undefined;
    t.backpressureChange = undefined;
    setTransformBackpressure(t, true);
  }

  function setTransformBackpressure(t, backpressure) {
    if (t.backpressureChange !== undefined) t.backpressureChange.resolve(undefined);
    t.backpressureChange = deferred();
    t.backpressure = backpressure;
  }

  function transformError(t, e) {
    controllerError(t.readable.controller, e);
    errorWritableAndUnblockWrite(t, e);
  }

  function clearTransformAlgorithms(c) {
    c.transformAlgorithm = undefined;
    c.flushAlgorithm = undefined;
    c.cancelAlgorithm = undefined;
  }

  function errorWritableAndUnblockWrite(t, e) {
    clearTransformAlgorithms(t.controller);
    writableControllerErrorIfNeeded(t.writable.controller, e);
    if (t.backpressure) setTransformBackpressure(t, false);
  }

  function transformSinkWrite(t, chunk) {
    if (t.backpressure) {
      return t.backpressureChange.promise.then(() => {
        const writable = t.writable;
        if (writable.state === 'erroring') throw writable.storedError;
        return performTransform(t, chunk);
      });
    }
    return performTransform(t, chunk);
  }

  function performTransform(t, chunk) {
    return t.controller.transformAlgorithm(chunk).then(undefined, (r) => {
      transformError(t, r);
      throw r;
    });
  }

  // Closing the writable side, aborting it and cancelling the readable side
  // each end the transform once: the first one's promise (finishPromise) is
  // what the others get, and transformer.cancel() runs at most once.
  function transformSinkClose(t) {
    const c = t.controller;
    if (c.finishPromise !== undefined) return c.finishPromise;
    const readable = t.readable;
    const flushPromise = c.flushAlgorithm();
    clearTransformAlgorithms(c);
    c.finishPromise = flushPromise.then(() => {
      if (readable.state === 'errored') throw readable.storedError;
      controllerClose(readable.controller);
    }, (r) => {
      controllerError(readable.controller, r);
      throw r;
    });
    return c.finishPromise;
  }

  function transformSinkAbort(t, reason) {
    const c = t.controller;
    if (c.finishPromise !== undefined) return c.finishPromise;
    const readable = t.readable;
    const cancelPromise = c.cancelAlgorithm(reason);
    clearTransformAlgorithms(c);
    c.finishPromise = cancelPromise.then(() => {
      if (readable.state === 'errored') throw readable.storedError;
      controllerError(readable.controller, reason);
    }, (r) => {
      controllerError(readable.controller, r);
      throw r;
    });
    return c.finishPromise;
  }

  function transformSourceCancel(t, reason) {
    const c = t.controller;
    if (c.finishPromise !== undefined) return c.finishPromise;
    const writable = t.writable;
    const cancelPromise = c.cancelAlgorithm(reason);
    clearTransformAlgorithms(c);
    c.finishPromise = cancelPromise.then(() => {
      if (writable.state === 'errored') throw writable.storedError;
      writableControllerErrorIfNeeded(writable.controller, reason);
      if (t.backpressure) setTransformBackpressure(t, false);
    }, (r) => {
      writableControllerErrorIfNeeded(writable.controller, r);
      if (t.backpressure) setTransformBackpressure(t, false);
      throw r;
    });
    return c.finishPromise;
  }

  function transformEnqueue(c, chunk) {
    const t = c.stream;
    const rc = t.readable.controller;
    if (!canCloseOrEnqueue(rc)) throw new TypeError('Readable side is not in a state that permits enqueue');
    try {
      controllerEnqueue(rc, chunk);
    } catch (e) {
      errorWritableAndUnblockWrite(t, e);
      throw t.readable.storedError;
    }
    const backpressure = !shouldCallPull(rc);
    if (backpressure !== t.backpressure) setTransformBackpressure(t, true);
  }

  class TransformStreamDefaultController {
    #c;
    constructor(key, record) {
      if (key !== ILLEGAL) throw new TypeError('Illegal constructor');
      this.#c = record;
    }
    get desiredSize() { return desiredSize(this.#c.stream.readable.controller); }
    enqueue(chunk = undefined) { transformEnqueue(this.#c, chunk); }
    error(reason = undefined) { transformError(this.#c.stream, reason); }
    terminate() {
      const t = this.#c.stream;
      controllerClose(t.readable.controller);
      errorWritableAndUnblockWrite(t, new TypeError('The transform stream has been terminated'));
    }
  }
  tag(TransformStreamDefaultController);

  // Shared constructor body; `isBytes` makes the readable side a byte stream.
  function setUpTransformStream(transformer, writableStrategy, readableStrategy, isBytes) {
    const tr = transformer == null ? {} : transformer;
    if (tr.readableType !== undefined) throw new RangeError('Invalid readableType specified');
    if (tr.writableType !== undefined) throw new RangeError('Invalid writableType specified');
    const start = getMethod(tr, 'start');
    const transform = getMethod(tr, 'transform');
    const flush = getMethod(tr, 'flush');
    const cancel = getMethod(tr, 'cancel');
    const readableHWM = extractHWM(readableStrategy, 0);
    const readableSize = extractSize(readableStrategy);
    const writableHWM = extractHWM(writableStrategy, 1);
    const writableSize = extractSize(writableStrategy);
    const t = { readable: null, writable: null, backpressure: undefined, backpressureChange: undefined, controller: null };
    const startPromise = deferred();
    initializeTransform(t, startPromise.promise, writableHWM, writableSize, readableHWM, readableSize, isBytes);
    const c = {
      stream: t, transformAlgorithm: undefined, flushAlgorithm: undefined, cancelAlgorithm: undefined,
      finishPromise: undefined, pub: null,
    };
    c.pub = new TransformStreamDefaultController(ILLEGAL, c);
    t.controller = c;
    c.transformAlgorithm = transform
      ? (chunk) => promiseCall(transform, tr, chunk, c.pub)
      : (chunk) => {
        try {
          transformEnqueue(c, chunk);
          return resolved(undefined);
        } catch (e) {
          return rejected(e);
        }
      };
    c.flushAlgorithm = () => promiseCall(flush, tr, c.pub);
    c.cancelAlgorithm = (reason) => promiseCall(cancel, tr, reason);
    startPromise.resolve(start ? Reflect.apply(start, tr, [c.pub]) : undefined);
    return t;
  }

  // Byte-oriented subclasses stash their transformer here before calling super().
  let pendingByteTransformer;

  class TransformStream {
    #t;
    constructor(transformer = undefined, writableStrategy = undefined, readableStrategy = undefined) {
      if (pendingByteTransformer !== undefined) {
        const tr = pendingByteTransformer;
        pendingByteTransformer = undefined;
        this.#t = setUpTransformStream(tr, undefined, undefined, true);
      } else {
        this.#t = setUpTransformStream(transformer, writableStrategy, readableStrategy, false);
      }
    }
    get readable() { return this.#t.readable.pub; }
    get writable() { return this.#t.writable.pub; }
  }
  tag(TransformStream);

  // ---- Cloudflare byte transform streams ----------------------------------

  const toBytes = (chunk) => {
    if (chunk instanceof Uint8Array) return chunk;
    if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
    throw new TypeError('This TransformStream is being used as a byte stream, but received an object of non-ArrayBuffer/ArrayBufferView type on its writable side.');
  };

  // Readable sides of FixedLengthStreams, so a body can advertise its Content-Length.
  const knownLengths = new WeakMap();

  class IdentityTransformStream extends TransformStream {
    constructor() {
      pendingByteTransformer = {
        transform(chunk, controller) {
          const bytes = toBytes(chunk);
          if (bytes.byteLength > 0) controller.enqueue(bytes);
        },
      };
      super();
    }
  }
  tag(IdentityTransformStream);

  class FixedLengthStream extends TransformStream {
    constructor(expectedLength) {
      const length = Number(expectedLength);
      if (!Number.isInteger(length) || length < 0) throw new TypeError('FixedLengthStream requires a non-negative integer length');
      let written = 0;
      pendingByteTransformer = {
        transform(chunk, controller) {
          const bytes = toBytes(chunk);
          written += bytes.byteLength;
          if (written > length) throw new TypeError('Attempt to write too many bytes through a FixedLengthStream.');
          if (bytes.byteLength > 0) controller.enqueue(bytes);
        },
        flush() {
          if (written < length) throw new TypeError('FixedLengthStream did not see all expected bytes before close().');
        },
      };
      super();
      knownLengths.set(this.readable, length);
    }
  }
  tag(FixedLengthStream);

  // ---- TextEncoderStream / TextDecoderStream ------------------------------

  class TextEncoderStream {
    #transform;
    constructor() {
      const encoder = new TextEncoder();
      let pendingHigh = '';
      this.#transform = new TransformStream({
        transform(chunk, controller) {
          let s = pendingHigh + String(chunk);
          pendingHigh = '';
          // A trailing high surrogate may pair with the first unit of the next chunk.
          const last = s.charCodeAt(s.length - 1);
          if (last >= 0xd800 && last <= 0xdbff) {
            pendingHigh = s[s.length - 1];
            s = s.slice(0, -1);
          }
          if (s.length > 0) controller.enqueue(encoder.encode(s));
        },
        flush(controller) {
          if (pendingHigh) controller.enqueue(new Uint8Array([0xef, 0xbf, 0xbd]));
        },
      });
    }
    get encoding() { return 'utf-8'; }
    get readable() { return this.#transform.readable; }
    get writable() { return this.#transform.writable; }
  }
  tag(TextEncoderStream);

  class TextDecoderStream {
    #transform;
    #decoder;
    constructor(label = 'utf-8', options = undefined) {
      const decoder = new TextDecoder(label, options);
      this.#decoder = decoder;
      this.#transform = new TransformStream({
        transform(chunk, controller) {
          if (!(chunk instanceof ArrayBuffer) && !ArrayBuffer.isView(chunk)) {
            throw new TypeError('TextDecoderStream only accepts ArrayBuffer or ArrayBufferView chunks');
          }
          const s = decoder.decode(chunk, { stream: true });
          if (s) controller.enqueue(s);
        },
        flush(controller) {
          const s = decoder.decode();
          if (s) controller.enqueue(s);
        },
      });
    }
    get encoding() { return this.#decoder.encoding; }
    get fatal() { return this.#decoder.fatal; }
    get ignoreBOM() { return this.#decoder.ignoreBOM; }
    get readable() { return this.#transform.readable; }
    get writable() { return this.#transform.writable; }
  }
  tag(TextDecoderStream);

  for (const cls of [
    ReadableStream, ReadableStreamDefaultReader, ReadableStreamBYOBReader, ReadableStreamDefaultController,
    ReadableByteStreamController, WritableStream, WritableStreamDefaultWriter, WritableStreamDefaultController,
    TransformStream, TransformStreamDefaultController, CountQueuingStrategy, ByteLengthQueuingStrategy,
    TextEncoderStream, TextDecoderStream, IdentityTransformStream, FixedLengthStream, ReadableStreamBYOBRequest,
  ]) {
    define(cls.name, cls);
  }

  // ---- helpers for the fetch layer and the host ---------------------------

  function concatBytes(chunks, total) {
    if (chunks.length === 1) return chunks[0];
    const out = new Uint8Array(total);
    let offset = 0;
    for (const c of chunks) {
      out.set(c, offset);
      offset += c.byteLength;
    }
    return out;
  }

  internal.streams = {
    isReadableStream: (v) => v instanceof ReadableStream,
    isDisturbed: (pub) => readableRecord(pub).disturbed,
    isLocked: (pub) => readableRecord(pub).reader !== null,
    isErrored: (pub) => readableRecord(pub).state === 'errored',
    knownLength: (pub) => knownLengths.get(pub),
    // A byte stream that yields `bytes` once and closes; no source object is kept around.
    fromBytes(bytes) {
      const stream = createReadableStream(noop, () => resolved(undefined), () => resolved(undefined), 0, () => 1, true);
      if (bytes.byteLength > 0) controllerEnqueue(stream.controller, bytes);
      controllerClose(stream.controller);
      return stream.pub;
    },
    // Reads a whole stream into one Uint8Array (strings are UTF-8 encoded, for leniency).
    readAllBytes(pub) {
      const reader = acquireReader(readableRecord(pub));
      const chunks = [];
      let total = 0;
      return new Promise((resolve, reject) => {
        const step = () => {
          readerRead(reader, {
            chunk: (chunk) => {
              let bytes;
              if (chunk instanceof Uint8Array) bytes = chunk;
              else if (ArrayBuffer.isView(chunk)) bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
              else if (chunk instanceof ArrayBuffer) bytes = new Uint8Array(chunk);
              else {
                const e = new TypeError('Received non-Uint8Array chunk');
                readableStreamCancel(reader.stream, e);
                readerRelease(reader);
                reject(e);
                return;
              }
              chunks.push(bytes);
              total += bytes.byteLength;
              // Chunks may be delivered synchronously; defer to keep the stack flat.
              resolved().then(step);
            },
            close: () => {
              readerRelease(reader);
              resolve(concatBytes(chunks, total));
            },
            error: (e) => {
              readerRelease(reader);
              reject(e);
            },
          });
        };
        step();
      });
    },
    tee: (pub) => pub.tee(),
    // Makes the next TransformStream constructed a byte transform over
    // `transformer` (for subclasses such as CompressionStream).
    nextByteTransformer(transformer) { pendingByteTransformer = transformer; },
  };
})();

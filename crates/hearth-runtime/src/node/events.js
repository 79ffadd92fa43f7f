// node:events — EventEmitter with Node.js's semantics ('newListener' and
// 'removeListener' events, errorMonitor, captureRejections, the
// max-listeners warning) and the `once`/`on` helpers with AbortSignal.
import { inspect } from 'node:util';
import { nodeError, invalidArgType, outOfRange, AbortError, validateAbortSignal, validateFunction } from 'hearth:node-errors';

const kCapture = Symbol('kCapture');
const kRejection = Symbol.for('nodejs.rejection');
export const errorMonitor = Symbol('events.errorMonitor');
export const captureRejectionSymbol = kRejection;
export const kMaxEventTargetListeners = Symbol('events.maxEventTargetListeners');
const kMaxEventTargetListenersWarned = Symbol('events.maxEventTargetListenersWarned');
let defaultMaxListeners = 10;
let captureRejectionsDefault = false;

function checkListener(listener) {
  validateFunction(listener, 'listener');
}

function validateMax(n, name) {
  if (typeof n !== 'number') throw invalidArgType(name, 'number', n);
  if (typeof n !== 'number' || n < 0 || Number.isNaN(n)) throw outOfRange(name, 'a non-negative number', n);
}

export function EventEmitter(opts) {
  EventEmitter.init.call(this, opts);
}

EventEmitter.init = function (opts) {
  if (this._events === undefined || this._events === Object.getPrototypeOf(this)._events) {
    this._events = Object.create(null);
    this._eventsCount = 0;
  }
  this._maxListeners = this._maxListeners || undefined;
  if (opts && opts.captureRejections !== undefined) {
    if (typeof opts.captureRejections !== 'boolean') throw invalidArgType('options.captureRejections', 'boolean', opts.captureRejections);
    this[kCapture] = opts.captureRejections;
  } else {
    this[kCapture] = EventEmitter.prototype[kCapture];
  }
};

Object.defineProperty(EventEmitter, 'defaultMaxListeners', {
  enumerable: true,
  get: () => defaultMaxListeners,
  set: (n) => {
    validateMax(n, 'defaultMaxListeners');
    defaultMaxListeners = n;
  },
});

Object.defineProperty(EventEmitter, 'captureRejections', {
  enumerable: true,
  get: () => captureRejectionsDefault,
  set: (v) => {
    if (typeof v !== 'boolean') throw invalidArgType('EventEmitter.captureRejections', 'boolean', v);
    captureRejectionsDefault = v;
    EventEmitter.prototype[kCapture] = v;
  },
});

const proto = EventEmitter.prototype;
proto._events = undefined;
proto._eventsCount = 0;
proto._maxListeners = undefined;
proto[kCapture] = false;

proto.setMaxListeners = function (n) {
  validateMax(n, 'n');
  this._maxListeners = n;
  return this;
};

function maxListenersOf(that) {
  return that._maxListeners === undefined ? defaultMaxListeners : that._maxListeners;
}

proto.getMaxListeners = function () {
  return maxListenersOf(this);
};

function safeInspect(v) {
  try {
    return inspect(v);
  } catch {
    return String(v);
  }
}

proto.emit = function (type, ...args) {
  let doError = type === 'error';
  const events = this._events;
  if (events !== undefined) {
    if (doError && events[errorMonitor] !== undefined) this.emit(errorMonitor, ...args);
    doError = doError && events.error === undefined;
  } else if (!doError) {
    return false;
  }
  if (doError) {
    const er = args.length > 0 ? args[0] : undefined;
    if (er instanceof Error) throw er;
    const err = nodeError(Error, 'ERR_UNHANDLED_ERROR', er === undefined ? 'Unhandled error.' : `Unhandled error. (${safeInspect(er)})`);
    err.context = er;
    throw err;
  }
  const handler = events[type];
  if (handler === undefined) return false;
  if (typeof handler === 'function') {
    const result = handler.apply(this, args);
    if (result !== undefined && result !== null) addCatch(this, result, type, args);
  } else {
    const listeners = handler.slice();
    for (let i = 0; i < listeners.length; ++i) {
      const result = listeners[i].apply(this, args);
      if (result !== undefined && result !== null) addCatch(this, result, type, args);
    }
  }
  return true;
};

// captureRejections: a rejected promise returned by a listener becomes an
// 'error' event (or a call to [Symbol.for('nodejs.rejection')]).
function addCatch(that, promise, type, args) {
  if (!that[kCapture]) return;
  try {
    const then = promise.then;
    if (typeof then === 'function') {
      then.call(promise, undefined, (err) => {
        queueMicrotask(() => emitUnhandledRejectionOrErr(that, err, type, args));
      });
    }
  } catch (err) {
    that.emit('error', err);
  }
}

function emitUnhandledRejectionOrErr(ee, err, type, args) {
  if (typeof ee[kRejection] === 'function') {
    ee[kRejection](err, type, ...args);
  } else {
    const prev = ee[kCapture];
    try {
      // No recursion if the 'error' listener itself rejects.
      ee[kCapture] = false;
      ee.emit('error', err);
    } finally {
      ee[kCapture] = prev;
    }
  }
}

function addListener(target, type, listener, prepend) {
  checkListener(listener);
  let events = target._events;
  if (events === undefined) {
    events = target._events = Object.create(null);
    target._eventsCount = 0;
  } else {
    if (events.newListener !== undefined) {
      target.emit('newListener', type, listener.listener ? listener.listener : listener);
      events = target._events;
    }
  }
  let existing = events[type];
  if (existing === undefined) {
    events[type] = listener;
    ++target._eventsCount;
  } else {
    if (typeof existing === 'function') {
      existing = events[type] = prepend ? [listener, existing] : [existing, listener];
    } else if (prepend) {
      existing.unshift(listener);
    } else {
      existing.push(listener);
    }
    const m = maxListenersOf(target);
    if (m > 0 && existing.length > m && !existing.warned) {
      existing.warned = true;
      const name = target.constructor && target.constructor.name ? target.constructor.name : 'EventEmitter';
      const w = new Error(
        `Possible EventEmitter memory leak detected. ${existing.length} ${String(type)} listeners added to [${name}]. ` +
          `MaxListeners is ${m}. Use emitter.setMaxListeners() to increase limit`,
      );
      w.name = 'MaxListenersExceededWarning';
      w.emitter = target;
      w.type = type;
      w.count = existing.length;
      emitWarning(w);
    }
  }
  return target;
}

function emitWarning(w) {
  const p = globalThis.process;
  if (p && typeof p.emitWarning === 'function') p.emitWarning(w);
  else console.warn(`(node) ${w.name}: ${w.message}`);
}

proto.addListener = function (type, listener) {
  return addListener(this, type, listener, false);
};
proto.on = proto.addListener;
proto.prependListener = function (type, listener) {
  return addListener(this, type, listener, true);
};

function onceWrapper(...args) {
  if (!this.fired) {
    this.target.removeListener(this.type, this.wrapFn);
    this.fired = true;
    return this.listener.apply(this.target, args);
  }
}

function onceWrap(target, type, listener) {
  const state = { fired: false, wrapFn: undefined, target, type, listener };
  const wrapped = onceWrapper.bind(state);
  wrapped.listener = listener;
  state.wrapFn = wrapped;
  return wrapped;
}

proto.once = function (type, listener) {
  checkListener(listener);
  this.on(type, onceWrap(this, type, listener));
  return this;
};
proto.prependOnceListener = function (type, listener) {
  checkListener(listener);
  this.prependListener(type, onceWrap(this, type, listener));
  return this;
};

proto.removeListener = function (type, listener) {
  checkListener(listener);
  const events = this._events;
  if (events === undefined) return this;
  const list = events[type];
  if (list === undefined) return this;
  if (list === listener || list.listener === listener) {
    this._eventsCount -= 1;
    if (this._eventsCount === 0) this._events = Object.create(null);
    else {
      delete events[type];
      if (events.removeListener) this.emit('removeListener', type, list.listener || listener);
    }
  } else if (typeof list !== 'function') {
    let position = -1;
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i] === listener || list[i].listener === listener) {
        position = i;
        break;
      }
    }
    if (position < 0) return this;
    if (position === 0) list.shift();
    else list.splice(position, 1);
    if (list.length === 1) events[type] = list[0];
    if (events.removeListener !== undefined) this.emit('removeListener', type, listener);
  }
  return this;
};
proto.off = proto.removeListener;

proto.removeAllListeners = function (type) {
  const events = this._events;
  if (events === undefined) return this;
  if (events.removeListener === undefined) {
    if (arguments.length === 0) {
      this._events = Object.create(null);
      this._eventsCount = 0;
    } else if (events[type] !== undefined) {
      if (--this._eventsCount === 0) this._events = Object.create(null);
      else delete events[type];
    }
    return this;
  }
  // 'removeListener' listeners see every removal, that event's last.
  if (arguments.length === 0) {
    for (const key of Reflect.ownKeys(events)) {
      if (key === 'removeListener') continue;
      this.removeAllListeners(key);
    }
    this.removeAllListeners('removeListener');
    this._events = Object.create(null);
    this._eventsCount = 0;
    return this;
  }
  const listeners = events[type];
  if (typeof listeners === 'function') {
    this.removeListener(type, listeners);
  } else if (listeners !== undefined) {
    for (let i = listeners.length - 1; i >= 0; i--) this.removeListener(type, listeners[i]);
  }
  return this;
};

function listenersOf(target, type, unwrap) {
  const events = target._events;
  if (events === undefined) return [];
  const l = events[type];
  if (l === undefined) return [];
  if (typeof l === 'function') return unwrap ? [l.listener || l] : [l];
  return unwrap ? l.map((x) => x.listener || x) : l.slice();
}

proto.listeners = function (type) {
  return listenersOf(this, type, true);
};
proto.rawListeners = function (type) {
  return listenersOf(this, type, false);
};

function countListeners(type, listener) {
  const events = this._events;
  if (events !== undefined) {
    const l = events[type];
    if (typeof l === 'function') {
      if (listener != null) return listener === l || listener === l.listener ? 1 : 0;
      return 1;
    }
    if (l !== undefined) {
      if (listener != null) return l.filter((x) => x === listener || x.listener === listener).length;
      return l.length;
    }
  }
  return 0;
}
proto.listenerCount = countListeners;

proto.eventNames = function () {
  if (!(this._eventsCount > 0)) return [];
  // Streams pre-shape `_events` with undefined slots; those are not events.
  return Reflect.ownKeys(this._events).filter((k) => this._events[k] !== undefined);
};

export function listenerCount(emitter, type) {
  if (typeof emitter.listenerCount === 'function') return emitter.listenerCount(type);
  return countListeners.call(emitter, type);
}

function isEventTarget(emitter) {
  return typeof emitter.addEventListener === 'function' && typeof emitter.removeEventListener === 'function';
}

export function once(emitter, name, options = {}) {
  const signal = options ? options.signal : undefined;
  validateAbortSignal(signal, 'options.signal');
  if (signal && signal.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
  return new Promise((resolve, reject) => {
    const errorListener = (err) => {
      emitter.removeListener(name, resolver);
      if (signal) signal.removeEventListener('abort', abortListener);
      reject(err);
    };
    const resolver = (...args) => {
      if (typeof emitter.removeListener === 'function') emitter.removeListener('error', errorListener);
      if (signal) signal.removeEventListener('abort', abortListener);
      resolve(args);
    };
    const abortListener = () => {
      if (isEventTarget(emitter) && typeof emitter.on !== 'function') emitter.removeEventListener(name, resolver);
      else {
        emitter.removeListener(name, resolver);
        emitter.removeListener('error', errorListener);
      }
      reject(new AbortError(undefined, { cause: signal.reason }));
    };
    if (typeof emitter.on === 'function') {
      emitter.once(name, resolver);
      if (name !== 'error') emitter.once('error', errorListener);
    } else if (isEventTarget(emitter)) {
      emitter.addEventListener(name, resolver, { once: true });
    } else {
      throw invalidArgType('emitter', 'EventEmitter', emitter);
    }
    if (signal) signal.addEventListener('abort', abortListener, { once: true });
  });
}

export function on(emitter, event, options = {}) {
  const signal = options ? options.signal : undefined;
  validateAbortSignal(signal, 'options.signal');
  if (signal && signal.aborted) throw new AbortError(undefined, { cause: signal.reason });
  const closeEvents = (options && options.close) || [];
  const queue = [];
  const waiting = [];
  let error = null;
  let finished = false;

  const eventHandler = (...args) => {
    if (waiting.length) waiting.shift().resolve({ value: args, done: false });
    else queue.push(args);
  };
  const errorHandler = (err) => {
    if (waiting.length) waiting.shift().reject(err);
    else error = err;
    iterator.return();
  };
  const closeHandler = () => {
    removeAll();
    finished = true;
    while (waiting.length) waiting.shift().resolve({ value: undefined, done: true });
  };
  const abortListener = () => errorHandler(new AbortError(undefined, { cause: signal.reason }));

  const add = (name, fn) => {
    if (typeof emitter.on === 'function') emitter.on(name, fn);
    else emitter.addEventListener(name, fn);
  };
  const remove = (name, fn) => {
    if (typeof emitter.removeListener === 'function') emitter.removeListener(name, fn);
    else emitter.removeEventListener(name, fn);
  };
  const removeAll = () => {
    remove(event, eventHandler);
    remove('error', errorHandler);
    for (const c of closeEvents) remove(c, closeHandler);
    if (signal) signal.removeEventListener('abort', abortListener);
  };

  add(event, eventHandler);
  if (event !== 'error' && typeof emitter.on === 'function') add('error', errorHandler);
  for (const c of closeEvents) add(c, closeHandler);
  if (signal) signal.addEventListener('abort', abortListener, { once: true });

  const iterator = Object.setPrototypeOf(
    {
      next() {
        if (queue.length) return Promise.resolve({ value: queue.shift(), done: false });
        if (error) {
          const p = Promise.reject(error);
          error = null;
          return p;
        }
        if (finished) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
      },
      return() {
        removeAll();
        finished = true;
        while (waiting.length) waiting.shift().resolve({ value: undefined, done: true });
        return Promise.resolve({ value: undefined, done: true });
      },
      throw(err) {
        if (!err || !(err instanceof Error)) throw invalidArgType('EventEmitter.AsyncIterator', 'Error', err);
        errorHandler(err);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    },
    Object.getPrototypeOf(Object.getPrototypeOf(async function* () {}).prototype),
  );
  return iterator;
}

export function getEventListeners(emitter, name) {
  if (typeof emitter.listeners === 'function') return emitter.listeners(name);
  return [];
}

export function getMaxListeners(emitter) {
  if (typeof emitter.getMaxListeners === 'function') return maxListenersOf(emitter);
  if (emitter && emitter[kMaxEventTargetListeners] !== undefined) return emitter[kMaxEventTargetListeners];
  // An AbortSignal has many listeners by design: no limit, as in Node.
  if (typeof AbortSignal === 'function' && emitter instanceof AbortSignal) return 0;
  return defaultMaxListeners;
}

export function setMaxListeners(n = defaultMaxListeners, ...eventTargets) {
  validateMax(n, 'n');
  if (eventTargets.length === 0) {
    defaultMaxListeners = n;
  } else {
    for (const target of eventTargets) {
      if (typeof target.setMaxListeners === 'function') target.setMaxListeners(n);
      else if (isEventTarget(target)) {
        target[kMaxEventTargetListeners] = n;
        target[kMaxEventTargetListenersWarned] = false;
      } else throw invalidArgType('eventTargets', ['EventEmitter', 'EventTarget'], target);
    }
  }
}

/** Runs `listener` once when `signal` aborts; disposing removes it. */
export function addAbortListener(signal, listener) {
  if (signal === undefined) throw invalidArgType('signal', 'AbortSignal', signal);
  validateAbortSignal(signal, 'signal');
  validateFunction(listener, 'listener');
  let removed = false;
  const remove = () => {
    removed = true;
    signal.removeEventListener('abort', listener);
  };
  if (signal.aborted) queueMicrotask(() => listener());
  else signal.addEventListener('abort', listener, { once: true });
  const disposable = { [Symbol.dispose || Symbol.for('nodejs.dispose')]: remove };
  Object.defineProperty(disposable, 'removed', { get: () => removed });
  return disposable;
}

/** An EventEmitter whose listeners run in the async context it was made in. */
export class EventEmitterAsyncResource extends EventEmitter {
  constructor(options = undefined) {
    super(options);
    this.asyncResource = { type: (options && options.name) || new.target.name, emitDestroy() {} };
  }
}

export const EventTarget = globalThis.EventTarget;
export const Event = globalThis.Event;
export const usingDomains = false;

Object.assign(EventEmitter, {
  EventEmitter,
  EventEmitterAsyncResource,
  once,
  on,
  listenerCount,
  getEventListeners,
  getMaxListeners,
  setMaxListeners,
  addAbortListener,
  errorMonitor,
  captureRejectionSymbol,
  EventTarget,
  Event,
  usingDomains,
});

export default EventEmitter;

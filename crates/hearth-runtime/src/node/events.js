// node:events — EventEmitter, once/on helpers and Node's EventTarget exports.

const kCapture = Symbol('kCapture');
export const errorMonitor = Symbol('events.errorMonitor');
export const captureRejectionSymbol = Symbol.for('nodejs.rejection');
let defaultMaxListeners = 10;

export function EventEmitter(opts) {
  EventEmitter.init.call(this, opts);
}

EventEmitter.init = function (opts) {
  if (this._events === undefined || this._events === Object.getPrototypeOf(this)._events) {
    this._events = Object.create(null);
    this._eventsCount = 0;
  }
  this._maxListeners = this._maxListeners || undefined;
  this[kCapture] = Boolean(opts && opts.captureRejections);
};

Object.defineProperty(EventEmitter, 'defaultMaxListeners', {
  enumerable: true,
  get: () => defaultMaxListeners,
  set: (n) => {
    defaultMaxListeners = n;
  },
});

const proto = EventEmitter.prototype;
proto._events = undefined;
proto._eventsCount = 0;
proto._maxListeners = undefined;

proto.setMaxListeners = function (n) {
  this._maxListeners = n;
  return this;
};

proto.getMaxListeners = function () {
  return this._maxListeners === undefined ? defaultMaxListeners : this._maxListeners;
};

proto.emit = function (type, ...args) {
  const events = this._events;
  if (type === 'error' && events !== undefined && events[errorMonitor] !== undefined) {
    this.emit(errorMonitor, ...args);
  }
  const handler = events === undefined ? undefined : events[type];
  if (handler === undefined) {
    if (type === 'error') {
      const er = args[0];
      if (er instanceof Error) throw er;
      const err = new Error('Unhandled error.' + (er === undefined ? '' : ` (${er})`));
      err.context = er;
      throw err;
    }
    return false;
  }
  const listeners = typeof handler === 'function' ? [handler] : handler.slice();
  for (const listener of listeners) {
    const result = listener.apply(this, args);
    if (this[kCapture] && result && typeof result.then === 'function') {
      result.then(undefined, (err) => {
        if (typeof this[captureRejectionSymbol] === 'function') this[captureRejectionSymbol](err, type, ...args);
        else this.emit('error', err);
      });
    }
  }
  return true;
};

function addListener(target, type, listener, prepend) {
  if (typeof listener !== 'function') {
    throw new TypeError(`The "listener" argument must be of type Function. Received type ${typeof listener}`);
  }
  let events = target._events;
  if (events === undefined) {
    events = target._events = Object.create(null);
    target._eventsCount = 0;
  } else if (events.newListener !== undefined) {
    target.emit('newListener', type, listener.listener ? listener.listener : listener);
    events = target._events;
  }
  const existing = events[type];
  if (existing === undefined) {
    events[type] = listener;
    target._eventsCount++;
  } else if (typeof existing === 'function') {
    events[type] = prepend ? [listener, existing] : [existing, listener];
  } else if (prepend) {
    existing.unshift(listener);
  } else {
    existing.push(listener);
  }
  return target;
}

proto.addListener = function (type, listener) {
  return addListener(this, type, listener, false);
};
proto.on = proto.addListener;
proto.prependListener = function (type, listener) {
  return addListener(this, type, listener, true);
};

function onceWrapper(target, type, listener) {
  const state = { fired: false, target, type, listener };
  const wrapped = function (...args) {
    if (!state.fired) {
      state.target.removeListener(state.type, wrapped);
      state.fired = true;
      return state.listener.apply(state.target, args);
    }
  };
  wrapped.listener = listener;
  return wrapped;
}

proto.once = function (type, listener) {
  if (typeof listener !== 'function') throw new TypeError('The "listener" argument must be of type Function');
  return this.on(type, onceWrapper(this, type, listener));
};
proto.prependOnceListener = function (type, listener) {
  return this.prependListener(type, onceWrapper(this, type, listener));
};

proto.removeListener = function (type, listener) {
  const events = this._events;
  if (events === undefined) return this;
  const list = events[type];
  if (list === undefined) return this;
  if (list === listener || list.listener === listener) {
    if (--this._eventsCount === 0) this._events = Object.create(null);
    else delete events[type];
    if (events.removeListener) this.emit('removeListener', type, list.listener || listener);
  } else if (typeof list !== 'function') {
    const i = list.findIndex((l) => l === listener || l.listener === listener);
    if (i < 0) return this;
    list.splice(i, 1);
    if (list.length === 1) events[type] = list[0];
    if (events.removeListener !== undefined) this.emit('removeListener', type, listener);
  }
  return this;
};
proto.off = proto.removeListener;

proto.removeAllListeners = function (type) {
  if (this._events === undefined) return this;
  if (type === undefined) {
    this._events = Object.create(null);
    this._eventsCount = 0;
  } else if (this._events[type] !== undefined) {
    if (--this._eventsCount === 0) this._events = Object.create(null);
    else delete this._events[type];
  }
  return this;
};

proto.listeners = function (type) {
  const l = this._events === undefined ? undefined : this._events[type];
  if (l === undefined) return [];
  return typeof l === 'function' ? [l.listener || l] : l.map((x) => x.listener || x);
};
proto.rawListeners = function (type) {
  const l = this._events === undefined ? undefined : this._events[type];
  if (l === undefined) return [];
  return typeof l === 'function' ? [l] : l.slice();
};
proto.listenerCount = function (type) {
  const l = this._events === undefined ? undefined : this._events[type];
  if (l === undefined) return 0;
  return typeof l === 'function' ? 1 : l.length;
};
proto.eventNames = function () {
  return this._eventsCount > 0 ? Reflect.ownKeys(this._events) : [];
};

export function listenerCount(emitter, type) {
  return emitter.listenerCount(type);
}

export function once(emitter, name, options = {}) {
  return new Promise((resolve, reject) => {
    const signal = options.signal;
    if (signal && signal.aborted) return reject(signal.reason);
    if (typeof emitter.addEventListener === 'function' && typeof emitter.on !== 'function') {
      emitter.addEventListener(name, (e) => resolve([e]), { once: true });
      return;
    }
    const onError = (err) => {
      emitter.removeListener(name, onEvent);
      reject(err);
    };
    const onEvent = (...args) => {
      if (name !== 'error') emitter.removeListener('error', onError);
      resolve(args);
    };
    emitter.once(name, onEvent);
    if (name !== 'error') emitter.once('error', onError);
  });
}

export function on(emitter, event) {
  const queue = [];
  const waiting = [];
  let error = null;
  const push = (...args) => {
    if (waiting.length) waiting.shift().resolve({ value: args, done: false });
    else queue.push(args);
  };
  const fail = (err) => {
    error = err;
    while (waiting.length) waiting.shift().reject(err);
  };
  emitter.on(event, push);
  if (event !== 'error') emitter.on('error', fail);
  return {
    next() {
      if (queue.length) return Promise.resolve({ value: queue.shift(), done: false });
      if (error) return Promise.reject(error);
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    return() {
      emitter.removeListener(event, push);
      emitter.removeListener('error', fail);
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

export function getEventListeners(emitter, name) {
  return typeof emitter.listeners === 'function' ? emitter.listeners(name) : [];
}

export function setMaxListeners(n) {
  defaultMaxListeners = n;
}

export const EventTarget = globalThis.EventTarget;
export const Event = globalThis.Event;

EventEmitter.EventEmitter = EventEmitter;
EventEmitter.once = once;
EventEmitter.on = on;
EventEmitter.listenerCount = listenerCount;
EventEmitter.getEventListeners = getEventListeners;
EventEmitter.setMaxListeners = setMaxListeners;
EventEmitter.errorMonitor = errorMonitor;
EventEmitter.captureRejectionSymbol = captureRejectionSymbol;
EventEmitter.EventTarget = EventTarget;
EventEmitter.Event = Event;
EventEmitter.usingDomains = false;

export default EventEmitter;

// node:async_hooks — AsyncLocalStorage and AsyncResource.
//
// QuickJS has no async hooks, so the context travels with callbacks: while
// any AsyncLocalStorage exists, Promise.prototype.then/catch/finally,
// queueMicrotask, setTimeout and setInterval capture the current context
// when a callback is scheduled and restore it when the callback runs.
// `await` inside code hearth transpiles (TypeScript, and project files when
// nodejs_compat is on) is lowered to generators driven through `then`, so it
// carries the context too; an `await` inside precompiled npm code does not.
// QuickJS-ng's promise hook cannot close that gap: it reports no before/after
// around promise reaction jobs (only around thenable jobs), so nothing marks
// when an `await` continuation starts running.

let current = new Map(); // AsyncLocalStorage -> store
let patched = false;

function bind(fn) {
  if (typeof fn !== 'function') return fn;
  const captured = current;
  return function (...args) {
    const saved = current;
    current = captured;
    try {
      return fn.apply(this, args);
    } finally {
      current = saved;
    }
  };
}

function patch() {
  if (patched) return;
  patched = true;
  const then = Promise.prototype.then;
  Object.defineProperty(Promise.prototype, 'then', {
    value: function (onFulfilled, onRejected) {
      return then.call(this, bind(onFulfilled), bind(onRejected));
    },
    writable: true,
    configurable: true,
  });
  const wrapTimer = (name) => {
    const original = globalThis[name];
    if (typeof original !== 'function') return;
    Object.defineProperty(globalThis, name, {
      value: function (fn, ...rest) {
        return original.call(this, bind(fn), ...rest);
      },
      writable: true,
      configurable: true,
    });
  };
  wrapTimer('setTimeout');
  wrapTimer('setInterval');
  wrapTimer('queueMicrotask');
}

export class AsyncLocalStorage {
  constructor() {
    patch();
    this._enabled = true;
  }

  static bind(fn) {
    return bind(fn);
  }

  static snapshot() {
    const captured = current;
    return (fn, ...args) => {
      const saved = current;
      current = captured;
      try {
        return fn(...args);
      } finally {
        current = saved;
      }
    };
  }

  getStore() {
    return current.get(this);
  }

  run(store, fn, ...args) {
    const saved = current;
    const next = new Map(saved);
    next.set(this, store);
    current = next;
    try {
      return fn(...args);
    } finally {
      current = saved;
    }
  }

  exit(fn, ...args) {
    const saved = current;
    const next = new Map(saved);
    next.delete(this);
    current = next;
    try {
      return fn(...args);
    } finally {
      current = saved;
    }
  }

  enterWith(store) {
    const next = new Map(current);
    next.set(this, store);
    current = next;
  }

  disable() {
    const next = new Map(current);
    next.delete(this);
    current = next;
  }
}

export class AsyncResource {
  constructor(type) {
    this.type = type;
    this._context = current;
  }

  static bind(fn, type, thisArg) {
    return new AsyncResource(type || 'bound-anonymous-fn').bind(fn, thisArg);
  }

  bind(fn, thisArg) {
    const self = this;
    return function (...args) {
      return self.runInAsyncScope(fn, thisArg === undefined ? this : thisArg, ...args);
    };
  }

  runInAsyncScope(fn, thisArg, ...args) {
    const saved = current;
    current = this._context;
    try {
      return fn.apply(thisArg, args);
    } finally {
      current = saved;
    }
  }

  emitDestroy() {
    return this;
  }

  asyncId() {
    return 0;
  }

  triggerAsyncId() {
    return 0;
  }
}

export function executionAsyncId() {
  return 0;
}
export function triggerAsyncId() {
  return 0;
}
export function executionAsyncResource() {
  return {};
}
export function createHook() {
  return { enable() { return this; }, disable() { return this; } };
}
export const asyncWrapProviders = {};

export default { AsyncLocalStorage, AsyncResource, executionAsyncId, triggerAsyncId, executionAsyncResource, createHook, asyncWrapProviders };

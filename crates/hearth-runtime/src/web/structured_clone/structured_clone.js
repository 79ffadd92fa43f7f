// structuredClone: the HTML structured clone algorithm within one isolate
// (the same graph, copied). Platform classes register cloners for their own
// instances in __hearth_internal.structuredCloners, keyed by prototype.
(() => {
  'use strict';

  const internal = (globalThis.__hearth_internal ||= {});

  const define = (name, value) => {
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
  };

  const TypedArray = Object.getPrototypeOf(Uint8Array);
  const ERROR_TYPES = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };
  const dataCloneError = (what) => new DOMException(`${what} could not be cloned.`, 'DataCloneError');
  const toStr = (v) => Object.prototype.toString.call(v);

  const cloners = (internal.structuredCloners ||= new Map());

  function structuredClone(value, options = undefined) {
    if (arguments.length === 0) throw new TypeError("Failed to execute 'structuredClone': 1 argument required, but only 0 present.");
    const memory = new Map();
    const transfer = options != null && options.transfer !== undefined ? Array.from(options.transfer) : [];
    const transferSet = new Set();
    for (const t of transfer) {
      if (!(t instanceof ArrayBuffer)) throw dataCloneError('Value in the transfer list');
      if (transferSet.has(t)) throw new DOMException('ArrayBuffer at index is a duplicate of an earlier ArrayBuffer.', 'DataCloneError');
      transferSet.add(t);
    }
    const result = cloneValue(value, memory, transferSet);
    // Transferred buffers are detached only after the whole graph cloned successfully.
    // The clone already holds a copy of the bytes, so transferring to length 0 just detaches.
    for (const t of transfer) {
      if (typeof t.transfer === 'function') t.transfer(0);
    }
    return result;
  }

  function cloneValue(value, memory, transferSet) {
    const type = typeof value;
    if (type === 'symbol') throw dataCloneError(String(value));
    if (type === 'function') throw dataCloneError(`${value.name ? 'function ' + value.name : 'function'}`);
    if (value === null || type !== 'object') return value;
    if (memory.has(value)) return memory.get(value);

    let out;
    const set = (o) => { memory.set(value, o); return o; };

    if (value instanceof ArrayBuffer) {
      return set(value.slice(0));
    }
    if (ArrayBuffer.isView(value)) {
      const buffer = cloneValue(value.buffer, memory, transferSet);
      if (value instanceof DataView) return set(new DataView(buffer, value.byteOffset, value.byteLength));
      return set(new value.constructor(buffer, value.byteOffset, value.length));
    }
    const brand = toStr(value);
    switch (brand) {
      case '[object Date]': return set(new Date(value.getTime()));
      case '[object RegExp]': return set(new RegExp(value.source, value.flags));
      case '[object Boolean]': return set(Object(Boolean.prototype.valueOf.call(value)));
      case '[object Number]': return set(Object(Number.prototype.valueOf.call(value)));
      case '[object String]': return set(Object(String.prototype.valueOf.call(value)));
      case '[object BigInt]': return set(Object(BigInt.prototype.valueOf.call(value)));
      case '[object Map]': {
        out = set(new Map());
        for (const [k, v] of Array.from(value)) out.set(cloneValue(k, memory, transferSet), cloneValue(v, memory, transferSet));
        return out;
      }
      case '[object Set]': {
        out = set(new Set());
        for (const v of Array.from(value)) out.add(cloneValue(v, memory, transferSet));
        return out;
      }
      case '[object Promise]': case '[object WeakMap]': case '[object WeakSet]': case '[object WeakRef]':
        throw dataCloneError(brand.slice(8, -1));
    }
    if (typeof DOMException === 'function' && value instanceof DOMException) {
      return set(new DOMException(value.message, value.name));
    }
    if (value instanceof Error || brand === '[object Error]') {
      const name = ERROR_TYPES[value.name] ? value.name : 'Error';
      out = set(new ERROR_TYPES[name]());
      const msg = Object.getOwnPropertyDescriptor(value, 'message');
      if (msg && 'value' in msg) Object.defineProperty(out, 'message', { value: String(msg.value), writable: true, configurable: true });
      else delete out.message;
      if (typeof value.stack === 'string') Object.defineProperty(out, 'stack', { value: value.stack, writable: true, configurable: true });
      if ('cause' in value) Object.defineProperty(out, 'cause', { value: cloneValue(value.cause, memory, transferSet), writable: true, configurable: true });
      return out;
    }
    const proto = Object.getPrototypeOf(value);
    const cloner = proto && cloners.get(proto);
    if (cloner) return set(cloner(value));
    if (Array.isArray(value)) {
      out = set(new Array(value.length));
    } else if (proto === null || proto === Object.prototype || !isPlatformObject(value)) {
      out = set({});
    } else {
      throw dataCloneError(brand.slice(8, -1));
    }
    for (const key of Object.keys(value)) {
      out[key] = cloneValue(value[key], memory, transferSet);
    }
    return out;
  }

  // Web platform objects without a serializer (EventTarget, streams, Request...) must throw.
  function isPlatformObject(v) {
    const tagName = v[Symbol.toStringTag];
    return typeof tagName === 'string' && typeof globalThis[tagName] === 'function' && v instanceof globalThis[tagName] &&
      !(v instanceof TypedArray);
  }

  define('structuredClone', structuredClone);
})();

// Globals that sit directly on hearth's natives: console, timers, text
// encoding, crypto randomness, performance and navigator. Evaluated before
// the shared Web API layer so that layer finds native TextEncoder/TextDecoder.
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const internal = (globalThis.__hearth_internal = globalThis.__hearth_internal || {});
  const hide = (obj, name, value) =>
    Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });

  // ---- console -------------------------------------------------------------
  function inspect(value, depth, seen) {
    if (typeof value === 'string') return depth === 0 ? value : JSON.stringify(value);
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'symbol') return value.toString();
    if (typeof value === 'function') return `[Function: ${value.name || 'anonymous'}]`;
    if (value === null || typeof value !== 'object') return String(value);
    if (value instanceof Error) return value.stack ? `${value.name}: ${value.message}\n${value.stack}` : String(value);
    if (seen.includes(value)) return '[Circular]';
    if (depth > 3) return Array.isArray(value) ? '[Array]' : '[Object]';
    const next = seen.concat([value]);
    if (Array.isArray(value)) return `[ ${value.map((v) => inspect(v, depth + 1, next)).join(', ')} ]`;
    if (value instanceof Map)
      return `Map(${value.size}) { ${[...value].map(([k, v]) => `${inspect(k, depth + 1, next)} => ${inspect(v, depth + 1, next)}`).join(', ')} }`;
    if (value instanceof Set) return `Set(${value.size}) { ${[...value].map((v) => inspect(v, depth + 1, next)).join(', ')} }`;
    if (value instanceof Date) return value.toISOString();
    if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${value.length}) [ ${Array.prototype.slice.call(value, 0, 50).join(', ')}${value.length > 50 ? ', ...' : ''} ]`;
    const name = value.constructor && value.constructor !== Object ? `${value.constructor.name} ` : '';
    const entries = Object.keys(value).map((k) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${inspect(value[k], depth + 1, next)}`);
    return `${name}{ ${entries.join(', ')} }`.replace('{  }', '{}');
  }
  function format(args) {
    let out = '';
    let i = 0;
    if (typeof args[0] === 'string' && /%[sdifoOj%]/.test(args[0]) && args.length > 1) {
      i = 1;
      out = args[0].replace(/%[sdifoOj%]/g, (m) => {
        if (m === '%%') return '%';
        if (i >= args.length) return m;
        const a = args[i++];
        if (m === '%d' || m === '%i') return String(parseInt(a, 10));
        if (m === '%f') return String(Number(a));
        if (m === '%s') return typeof a === 'string' ? a : inspect(a, 1, []);
        return inspect(a, 1, []);
      });
    }
    const rest = args.slice(i).map((a) => inspect(a, 0, []));
    return out ? [out].concat(rest).join(' ') : rest.join(' ');
  }
  const counts = new Map();
  const timers = new Map();
  const console = {
    log: (...a) => native.log('info', format(a)),
    info: (...a) => native.log('info', format(a)),
    debug: (...a) => native.log('debug', format(a)),
    trace: (...a) => native.log('debug', format(a) + '\n' + new Error().stack),
    warn: (...a) => native.log('warn', format(a)),
    error: (...a) => native.log('error', format(a)),
    assert: (ok, ...a) => { if (!ok) native.log('error', 'Assertion failed' + (a.length ? ': ' + format(a) : '')); },
    dir: (v) => native.log('info', inspect(v, 1, [])),
    table: (v) => native.log('info', inspect(v, 1, [])),
    count: (label = 'default') => { counts.set(label, (counts.get(label) || 0) + 1); native.log('info', `${label}: ${counts.get(label)}`); },
    countReset: (label = 'default') => counts.delete(label),
    time: (label = 'default') => timers.set(label, Date.now()),
    timeEnd: (label = 'default') => { const t = timers.get(label); timers.delete(label); native.log('info', `${label}: ${Date.now() - t}ms`); },
    timeLog: (label = 'default', ...a) => native.log('info', `${label}: ${Date.now() - timers.get(label)}ms ${format(a)}`),
    group: (...a) => a.length && native.log('info', format(a)),
    groupEnd: () => {},
  };
  hide(globalThis, 'console', console);
  internal.inspect = inspect;

  // ---- timers ----------------------------------------------------------------
  // Callbacks live here; the native side only sleeps and calls fireTimer(id).
  const active = new Map();
  let nextTimer = 1;
  function schedule(callback, delay, args, repeat) {
    if (typeof callback !== 'function') throw new TypeError('The callback must be a function');
    const id = nextTimer++;
    const ms = Math.max(0, Number(delay) || 0);
    active.set(id, { callback, args, repeat, ms });
    native.timerStart(id, ms);
    return id;
  }
  internal.fireTimer = function (id) {
    const timer = active.get(id);
    if (!timer) return;
    if (timer.repeat) native.timerStart(id, timer.ms);
    else active.delete(id);
    timer.callback.apply(globalThis, timer.args);
  };
  const clear = (id) => { active.delete(typeof id === 'object' && id ? Number(id) : id); };
  hide(globalThis, 'setTimeout', (cb, ms, ...args) => schedule(cb, ms, args, false));
  hide(globalThis, 'setInterval', (cb, ms, ...args) => schedule(cb, ms, args, true));
  hide(globalThis, 'clearTimeout', clear);
  hide(globalThis, 'clearInterval', clear);

  // ---- text encoding -------------------------------------------------------
  const toU8 = (input) => {
    if (input === undefined) return new Uint8Array(0);
    if (input instanceof Uint8Array) return input;
    if (input instanceof ArrayBuffer) return new Uint8Array(input);
    if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    throw new TypeError('The "input" argument must be an ArrayBuffer or ArrayBufferView');
  };
  internal.toU8 = toU8;
  class TextEncoder {
    get encoding() { return 'utf-8'; }
    // The input is a USVString: lone surrogates become U+FFFD (one code unit
    // for one, so encodeInto's `read` still counts the caller's string).
    encode(input = '') { return native.utf8Encode(String(input).toWellFormed()); }
    encodeInto(source, destination) {
      const bytes = native.utf8Encode(String(source).toWellFormed());
      let written = bytes.length <= destination.length ? bytes.length : destination.length;
      // Never split a multi-byte character.
      while (written > 0 && written < bytes.length && (bytes[written] & 0xc0) === 0x80) written--;
      destination.set(bytes.subarray(0, written));
      const read = native.utf8Decode(bytes.subarray(0, written), false).length;
      return { read, written };
    }
  }
  const LABELS = ['utf-8', 'utf8', 'unicode-1-1-utf-8'];
  class TextDecoder {
    #fatal; #ignoreBOM; #pending = null; #bomSeen = false;
    constructor(label = 'utf-8', options = {}) {
      if (!LABELS.includes(String(label).trim().toLowerCase()))
        throw new RangeError(`The "${label}" encoding is not supported`);
      this.#fatal = !!options.fatal;
      this.#ignoreBOM = !!options.ignoreBOM;
    }
    get encoding() { return 'utf-8'; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }
    decode(input, options = {}) {
      let bytes = toU8(input);
      if (this.#pending) {
        const joined = new Uint8Array(this.#pending.length + bytes.length);
        joined.set(this.#pending);
        joined.set(bytes, this.#pending.length);
        bytes = joined;
        this.#pending = null;
      }
      if (options.stream) {
        // Hold back an incomplete trailing sequence for the next call.
        let cut = bytes.length;
        for (let back = 1; back <= 3 && back <= bytes.length; back++) {
          const b = bytes[bytes.length - back];
          if ((b & 0xc0) === 0x80) continue;
          const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
          if (need > back) cut = bytes.length - back;
          break;
        }
        if (cut < bytes.length) {
          this.#pending = bytes.slice(cut);
          bytes = bytes.subarray(0, cut);
        }
      }
      let text = native.utf8Decode(bytes, this.#fatal);
      if (!this.#bomSeen && text.length) {
        if (!this.#ignoreBOM && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        this.#bomSeen = true;
      }
      if (!options.stream) this.#bomSeen = false;
      return text;
    }
  }
  hide(globalThis, 'TextEncoder', TextEncoder);
  hide(globalThis, 'TextDecoder', TextDecoder);

  // ---- crypto randomness, performance, navigator ---------------------------------
  const INTEGER_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array];
  const crypto = {
    getRandomValues(array) {
      if (!INTEGER_ARRAYS.some((T) => array instanceof T))
        throw new DOMException('The data argument must be an integer-type TypedArray', 'TypeMismatchError');
      if (array.byteLength > 65536)
        throw new DOMException(`The data argument's byte length (${array.byteLength}) exceeds the limit of 65536 bytes`, 'QuotaExceededError');
      native.fillRandom(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
      return array;
    },
    randomUUID: () => native.randomUUID(),
  };
  hide(globalThis, 'crypto', crypto);
  const origin = native.now();
  hide(globalThis, 'performance', { timeOrigin: origin, now: () => native.now() - origin });
  // Workers' global scope names itself `self`, as a browser worker's does.
  hide(globalThis, 'self', globalThis);
  hide(globalThis, 'navigator', { userAgent: 'Cloudflare-Workers', hardwareConcurrency: 1, language: 'en' });
})();

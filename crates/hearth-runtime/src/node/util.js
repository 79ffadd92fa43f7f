// node:util — inspect, format, promisify, inherits, deprecate, types and friends.
import types from 'node:util/types';

export { types };
export const TextEncoder = globalThis.TextEncoder;
export const TextDecoder = globalThis.TextDecoder;

const customInspect = Symbol.for('nodejs.util.inspect.custom');

function formatKey(k) {
  return typeof k === 'symbol' ? `[${k.toString()}]` : /^[A-Za-z_$][\w$]*$/.test(k) ? k : `'${k}'`;
}

function formatValue(value, opts, depth, seen) {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'string': return depth === 0 && opts.top ? value : `'${value.replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
    case 'number': return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint': return `${value}n`;
    case 'boolean': return String(value);
    case 'symbol': return value.toString();
    case 'function': {
      const cls = /^class\s/.test(Function.prototype.toString.call(value));
      const name = value.name ? `: ${value.name}` : ' (anonymous)';
      return cls ? `[class ${value.name || '(anonymous)'}]` : `[Function${name}]`;
    }
  }
  if (opts.customInspect !== false && typeof value[customInspect] === 'function') {
    const out = value[customInspect](opts.depth - depth, opts, inspect);
    return typeof out === 'string' ? out : formatValue(out, opts, depth, seen);
  }
  if (seen.includes(value)) return '[Circular *1]';
  if (value instanceof Error) {
    return value.stack && value.stack.includes(value.message) ? value.stack.trimEnd() : `${value.name}: ${value.message}${value.stack ? '\n' + value.stack.trimEnd() : ''}`;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof RegExp) return String(value);
  if (value instanceof Promise) return 'Promise { <unknown> }';
  if (value instanceof WeakMap) return 'WeakMap { <items unknown> }';
  if (value instanceof WeakSet) return 'WeakSet { <items unknown> }';
  const next = seen.concat([value]);
  const tooDeep = opts.depth !== null && opts.depth !== Infinity && depth > opts.depth;
  const wrap = (prefix, items, open = '{', close = '}') => {
    if (items.length === 0) return `${prefix}${open}${close}`;
    const oneLine = `${prefix}${open} ${items.join(', ')} ${close}`;
    if (oneLine.length <= opts.breakLength && !items.some((i) => i.includes('\n'))) return oneLine;
    const pad = '  '.repeat(depth + 1);
    return `${prefix}${open}\n${pad}${items.join(`,\n${pad}`)}\n${'  '.repeat(depth)}${close}`;
  };
  if (Array.isArray(value)) {
    if (tooDeep) return '[Array]';
    const items = value.slice(0, 100).map((v) => formatValue(v, opts, depth + 1, next));
    if (value.length > 100) items.push(`... ${value.length - 100} more items`);
    return wrap('', items, '[', ']');
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const name = value.constructor.name;
    if (name === 'Buffer') {
      const hex = Array.from(value.subarray(0, 50), (b) => b.toString(16).padStart(2, '0')).join(' ');
      return `<Buffer${hex ? ' ' + hex : ''}${value.length > 50 ? ` ... ${value.length - 50} more bytes` : ''}>`;
    }
    const items = Array.from(value.slice(0, 100), (v) => formatValue(v, opts, depth + 1, next));
    return wrap(`${name}(${value.length}) `, items, '[', ']');
  }
  if (value instanceof ArrayBuffer) return `ArrayBuffer { byteLength: ${value.byteLength} }`;
  if (value instanceof Map) {
    if (tooDeep) return '[Map]';
    const items = [...value].map(([k, v]) => `${formatValue(k, opts, depth + 1, next)} => ${formatValue(v, opts, depth + 1, next)}`);
    return wrap(`Map(${value.size}) `, items);
  }
  if (value instanceof Set) {
    if (tooDeep) return '[Set]';
    return wrap(`Set(${value.size}) `, [...value].map((v) => formatValue(v, opts, depth + 1, next)));
  }
  const ctor = value.constructor;
  const proto = Object.getPrototypeOf(value);
  const name = proto === null ? '[Object: null prototype] ' : ctor && ctor !== Object && ctor.name ? `${ctor.name} ` : '';
  if (tooDeep) return `[${ctor && ctor.name ? ctor.name : 'Object'}]`;
  const keys = opts.showHidden ? Reflect.ownKeys(value) : Object.keys(value).concat(Object.getOwnPropertySymbols(value).filter((s) => Object.prototype.propertyIsEnumerable.call(value, s)));
  const items = keys.map((k) => {
    const desc = Object.getOwnPropertyDescriptor(value, k);
    const shown = desc && (desc.get || desc.set) && !('value' in desc) ? `[${desc.get ? 'Getter' : ''}${desc.get && desc.set ? '/' : ''}${desc.set ? 'Setter' : ''}]` : formatValue(value[k], opts, depth + 1, next);
    return `${formatKey(k)}: ${shown}`;
  });
  return wrap(name, items);
}

export function inspect(value, opts) {
  const options = { depth: 2, breakLength: 80, showHidden: false, customInspect: true, colors: false, ...(typeof opts === 'object' && opts ? opts : {}) };
  if (typeof opts === 'boolean') options.showHidden = opts;
  return formatValue(value, options, 0, []);
}
inspect.custom = customInspect;
inspect.defaultOptions = { depth: 2 };
inspect.colors = {};
inspect.styles = {};

export function format(fmt, ...args) {
  if (typeof fmt !== 'string') return [fmt, ...args].map((a) => (typeof a === 'string' ? a : inspect(a))).join(' ');
  let i = 0;
  let out = fmt.replace(/%([sdifjoOc%])/g, (m, c) => {
    if (c === '%') return '%';
    if (i >= args.length) return m;
    const a = args[i++];
    switch (c) {
      case 's': return typeof a === 'string' ? a : typeof a === 'bigint' ? `${a}n` : typeof a === 'object' && a !== null ? inspect(a, { depth: 0 }) : String(a);
      case 'd': return typeof a === 'bigint' ? `${a}n` : typeof a === 'object' ? 'NaN' : String(Number(a));
      case 'i': return typeof a === 'bigint' ? `${a}n` : String(parseInt(a, 10));
      case 'f': return String(parseFloat(a));
      case 'j': try { return JSON.stringify(a); } catch { return '[Circular]'; }
      case 'c': return '';
      default: return inspect(a);
    }
  });
  for (; i < args.length; i++) out += ' ' + (typeof args[i] === 'string' ? args[i] : inspect(args[i]));
  return out;
}

export function formatWithOptions(opts, ...args) {
  return format(...args);
}

const kCustomPromisify = Symbol.for('nodejs.util.promisify.custom');
export function promisify(fn) {
  if (typeof fn !== 'function') throw new TypeError('The "original" argument must be of type Function');
  if (fn[kCustomPromisify]) return fn[kCustomPromisify];
  function promisified(...args) {
    return new Promise((resolve, reject) => {
      fn.call(this, ...args, (err, ...values) => (err ? reject(err) : resolve(values.length > 1 ? values : values[0])));
    });
  }
  Object.setPrototypeOf(promisified, Object.getPrototypeOf(fn));
  return Object.defineProperties(promisified, Object.getOwnPropertyDescriptors(fn));
}
promisify.custom = kCustomPromisify;

export function callbackify(fn) {
  return function (...args) {
    const cb = args.pop();
    fn.apply(this, args).then((v) => cb(null, v), (e) => cb(e || new Error('Promise was rejected with a falsy value')));
  };
}

export function inherits(ctor, superCtor) {
  Object.defineProperty(ctor, 'super_', { value: superCtor, writable: true, configurable: true });
  Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
}

export function deprecate(fn, msg) {
  let warned = false;
  return function (...args) {
    if (!warned) {
      warned = true;
      console.warn(`DeprecationWarning: ${msg}`);
    }
    return new.target ? Reflect.construct(fn, args, new.target) : fn.apply(this, args);
  };
}

export function isDeepStrictEqual(a, b) {
  return deepEqual(a, b, true);
}

export function deepEqual(a, b, strict, seen = new Map()) {
  if (strict ? Object.is(a, b) : a == b || (a !== a && b !== b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (strict && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (seen.get(a) === b) return true;
  seen.set(a, b);
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (a instanceof RegExp && b instanceof RegExp) return String(a) === String(b);
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    if (a.byteLength !== b.byteLength) return false;
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    return x.every((v, i) => v === y[i]);
  }
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !deepEqual(v, b.get(k), strict, seen)) return false;
    return true;
  }
  if (a instanceof Set && b instanceof Set) {
    if (a.size !== b.size) return false;
    for (const v of a) if (!b.has(v)) return false;
    return true;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k) || !deepEqual(a[k], b[k], strict, seen)) return false;
  }
  return true;
}

export function debuglog() {
  const log = () => {};
  log.enabled = false;
  return log;
}
export const debug = debuglog;

export function stripVTControlCharacters(s) {
  return String(s).replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
}

export function toUSVString(s) {
  return String(s).toWellFormed ? String(s).toWellFormed() : String(s);
}

export function styleText(_format, text) {
  return text;
}

export function getSystemErrorName(code) {
  return `Unknown system error ${code}`;
}

export function aborted(signal) {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

export function parseArgs() {
  throw new Error('util.parseArgs is not supported by hearth');
}

export const isArray = Array.isArray;
export const isBoolean = (v) => typeof v === 'boolean';
export const isBuffer = (v) => globalThis.Buffer !== undefined && v instanceof globalThis.Buffer;
export const isDate = (v) => v instanceof Date;
export const isError = (v) => v instanceof Error;
export const isFunction = (v) => typeof v === 'function';
export const isNull = (v) => v === null;
export const isNullOrUndefined = (v) => v === null || v === undefined;
export const isNumber = (v) => typeof v === 'number';
export const isObject = (v) => v !== null && typeof v === 'object';
export const isPrimitive = (v) => v === null || (typeof v !== 'object' && typeof v !== 'function');
export const isRegExp = (v) => v instanceof RegExp;
export const isString = (v) => typeof v === 'string';
export const isSymbol = (v) => typeof v === 'symbol';
export const isUndefined = (v) => v === undefined;

export default {
  inspect, format, formatWithOptions, promisify, callbackify, inherits, deprecate, isDeepStrictEqual, debuglog, debug,
  stripVTControlCharacters, toUSVString, styleText, getSystemErrorName, aborted, parseArgs, types, TextEncoder, TextDecoder,
  isArray, isBoolean, isBuffer, isDate, isError, isFunction, isNull, isNullOrUndefined, isNumber, isObject,
  isPrimitive, isRegExp, isString, isSymbol, isUndefined,
};

// Structured serialization for Durable Object storage values and RPC:
// everything structuredClone accepts, as tagged JSON text. Every object is
// wrapped in a one-key tag, so plain data can never be mistaken for a tag.
(function () {
  'use strict';
  const internal = globalThis.__hearth_internal;
  const TYPED = { Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array };
  const ERRORS = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };
  const bytesOf = (buffer, offset = 0, length = buffer.byteLength) => Array.from(new Uint8Array(buffer, offset, length));

  function encode(value, seen) {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value;
      case 'number':
        return Number.isFinite(value) && !Object.is(value, -0) ? value : { n: Object.is(value, -0) ? '-0' : String(value) };
      case 'bigint':
        return { big: value.toString() };
      case 'undefined':
        return { u: 0 };
      case 'function':
      case 'symbol':
        throw new DOMException(`${String(value)} could not be cloned.`, 'DataCloneError');
    }
    if (value === null) return null;
    if (seen.has(value)) return { ref: seen.get(value) };
    seen.set(value, seen.size);
    if (Array.isArray(value)) return { a: value.map((v) => encode(v, seen)) };
    if (value instanceof Date) return { date: value.getTime() };
    if (value instanceof RegExp) return { re: [value.source, value.flags] };
    if (value instanceof Map) return { map: [...value].map(([k, v]) => [encode(k, seen), encode(v, seen)]) };
    if (value instanceof Set) return { set: [...value].map((v) => encode(v, seen)) };
    if (value instanceof ArrayBuffer) return { ab: bytesOf(value) };
    if (value instanceof DataView) return { dv: bytesOf(value.buffer, value.byteOffset, value.byteLength) };
    if (ArrayBuffer.isView(value)) return { ta: [value.constructor.name, bytesOf(value.buffer, value.byteOffset, value.byteLength)] };
    if (value instanceof Error) return { err: [value.name, value.message, value.stack || ''] };
    if (value instanceof Boolean || value instanceof Number || value instanceof String) return { box: encode(value.valueOf(), seen) };
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null && !(internal.isPlainData && internal.isPlainData(value)))
      throw new DOMException(`${proto && proto.constructor ? proto.constructor.name : 'Object'} object could not be cloned.`, 'DataCloneError');
    const o = {};
    for (const key of Object.keys(value)) o[key] = encode(value[key], seen);
    return { o };
  }

  function decode(node, refs) {
    if (node === null || typeof node !== 'object') return node;
    const [tag] = Object.keys(node);
    const body = node[tag];
    let out;
    switch (tag) {
      case 'n': return Number(body);
      case 'big': return BigInt(body);
      case 'u': return undefined;
      case 'ref': return refs[body];
      case 'a':
        out = [];
        refs.push(out);
        for (const v of body) out.push(decode(v, refs));
        return out;
      case 'o':
        out = {};
        refs.push(out);
        for (const key of Object.keys(body)) out[key] = decode(body[key], refs);
        return out;
      case 'map':
        out = new Map();
        refs.push(out);
        for (const [k, v] of body) out.set(decode(k, refs), decode(v, refs));
        return out;
      case 'set':
        out = new Set();
        refs.push(out);
        for (const v of body) out.add(decode(v, refs));
        return out;
      case 'date': out = new Date(body); break;
      case 're': out = new RegExp(body[0], body[1]); break;
      case 'ab': out = new Uint8Array(body).buffer; break;
      case 'dv': out = new DataView(new Uint8Array(body).buffer); break;
      case 'ta': {
        const T = TYPED[body[0]] || Uint8Array;
        const bytes = new Uint8Array(body[1]);
        out = new T(bytes.buffer, 0, bytes.byteLength / (T.BYTES_PER_ELEMENT || 1));
        break;
      }
      case 'err': {
        const E = ERRORS[body[0]] || Error;
        out = new E(body[1]);
        if (!ERRORS[body[0]]) out.name = body[0];
        out.stack = body[2];
        break;
      }
      case 'box': out = Object(decode(body, refs)); break;
      default: throw new TypeError(`cannot deserialize tag ${tag}`);
    }
    refs.push(out);
    return out;
  }

  internal.serialize = (value) => JSON.stringify(encode(value, new Map()));
  internal.deserialize = (text) => decode(JSON.parse(text), []);
})();

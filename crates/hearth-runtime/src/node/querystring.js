// node:querystring — Node.js's legacy query-string parser and serializer:
// `+` is a space, repeated keys become arrays, a malformed escape is kept
// as it is (decoded byte-wise), 1000 keys at most by default.
import { Buffer } from 'node:buffer';

/** Percent-encodes all but Node's unreserved set (that of encodeURIComponent). */
export function escape(str) {
  return encodeURIComponent(typeof str === 'string' ? str : String(str));
}

function hexValue(c) {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Decodes `%XX` escapes (and `+` when `decodeSpaces`) into bytes; a bad escape stays. */
export function unescapeBuffer(s, decodeSpaces) {
  const src = Buffer.from(String(s));
  const out = Buffer.allocUnsafe(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === 43 && decodeSpaces) {
      out[n++] = 32;
    } else if (c === 37 && i + 2 < src.length && hexValue(src[i + 1]) >= 0 && hexValue(src[i + 2]) >= 0) {
      out[n++] = hexValue(src[i + 1]) * 16 + hexValue(src[i + 2]);
      i += 2;
    } else {
      out[n++] = c;
    }
  }
  return out.subarray(0, n);
}

export function unescape(s, decodeSpaces) {
  try {
    return decodeURIComponent(s);
  } catch {
    return unescapeBuffer(s, decodeSpaces).toString();
  }
}

function stringifyPrimitive(v) {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return `${v}`;
  if (typeof v === 'bigint') return `${v}`;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return '';
}

export function stringify(obj, sep = '&', eq = '=', options) {
  sep ||= '&';
  eq ||= '=';
  const encode = typeof options?.encodeURIComponent === 'function' ? options.encodeURIComponent : qsEscape;
  if (obj === null || typeof obj !== 'object') return '';
  const parts = [];
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    const k = encode(stringifyPrimitive(key)) + eq;
    if (Array.isArray(value)) {
      for (const v of value) parts.push(k + encode(stringifyPrimitive(v)));
    } else {
      parts.push(k + encode(stringifyPrimitive(value)));
    }
  }
  return parts.join(sep);
}

// The module's own `escape`, or a replacement assigned to it, as Node.js reads it.
function qsEscape(s) {
  return api.escape(s);
}

function decodeWith(decode, s) {
  try {
    return decode(s);
  } catch {
    return api.unescape(s, true);
  }
}

export function parse(qs, sep = '&', eq = '=', options) {
  const obj = Object.create(null);
  if (typeof qs !== 'string' || qs.length === 0) return obj;
  sep ||= '&';
  eq ||= '=';
  let maxKeys = 1000;
  if (options && typeof options.maxKeys === 'number') maxKeys = options.maxKeys;
  const custom = typeof options?.decodeURIComponent === 'function' ? options.decodeURIComponent : null;
  const decode = (s) => {
    const spaced = s.includes('+') ? s.replace(/\+/g, ' ') : s;
    if (custom) return decodeWith(custom, spaced);
    if (!spaced.includes('%')) return spaced;
    return api.unescape(spaced, true);
  };
  let pieces = qs.split(sep);
  if (maxKeys > 0 && pieces.length > maxKeys) pieces = pieces.slice(0, maxKeys);
  for (const piece of pieces) {
    if (piece.length === 0) continue;
    const at = piece.indexOf(eq);
    const key = decode(at >= 0 ? piece.slice(0, at) : piece);
    const value = at >= 0 ? decode(piece.slice(at + eq.length)) : '';
    const existing = obj[key];
    if (existing === undefined) obj[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else obj[key] = [existing, value];
  }
  return obj;
}

export const decode = parse;
export const encode = stringify;

const api = { unescapeBuffer, unescape, escape, stringify, encode, parse, decode };
export default api;

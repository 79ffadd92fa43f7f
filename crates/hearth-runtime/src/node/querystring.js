// node:querystring — Node.js's query-string parser and serializer
// (`parse`/`decode`, `stringify`/`encode`, `escape`, `unescape`), with its
// rules: `+` is a space, repeated keys collect into arrays, malformed
// percent-escapes are kept as written, at most `maxKeys` pairs (1000).

import { Buffer } from 'node:buffer';

// Bytes of a UTF-8 string with %XX escapes decoded; a `%` not followed by two
// hex digits is kept literally (Node's unescapeBuffer).
function unescapeBuffer(s, decodeSpaces) {
  const out = [];
  const encoder = new TextEncoder();
  let literal = '';
  const flush = () => {
    if (literal) for (const b of encoder.encode(literal)) out.push(b);
    literal = '';
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '+' && decodeSpaces) {
      literal += ' ';
    } else if (c === '%' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      flush();
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      literal += c;
    }
  }
  flush();
  return Buffer.from(out);
}

export function unescape(s, decodeSpaces) {
  try {
    return decodeURIComponent(s);
  } catch {
    return new TextDecoder().decode(unescapeBuffer(s, decodeSpaces));
  }
}

export function escape(str) {
  if (typeof str !== 'string') {
    if (typeof str === 'object') str = String(str);
    else str += '';
  }
  // Node throws URIError on a lone surrogate, as encodeURIComponent does.
  return encodeURIComponent(str);
}

function primitive(v) {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return '' + v;
  if (typeof v === 'bigint' || typeof v === 'boolean') return '' + v;
  return '';
}

export function stringify(obj, sep = '&', eq = '=', options = undefined) {
  sep ||= '&';
  eq ||= '=';
  const encode = options && typeof options.encodeURIComponent === 'function' ? options.encodeURIComponent : escape;
  if (obj === null || typeof obj !== 'object') return '';
  const parts = [];
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    const k = encode(primitive(key)) + eq;
    if (Array.isArray(value)) {
      for (const item of value) parts.push(k + encode(primitive(item)));
    } else {
      parts.push(k + encode(primitive(value)));
    }
  }
  return parts.join(sep);
}

export function parse(qs, sep = '&', eq = '=', options = undefined) {
  const result = Object.create(null);
  if (typeof qs !== 'string' || qs.length === 0) return result;
  sep = sep ? String(sep) : '&';
  eq = eq ? String(eq) : '=';
  let maxKeys = 1000;
  if (options && typeof options.maxKeys === 'number') maxKeys = options.maxKeys;
  const decode = options && typeof options.decodeURIComponent === 'function' ? options.decodeURIComponent : unescape;
  const decodePart = (s) => {
    const spaced = s.replace(/\+/g, ' ');
    try {
      return decode(spaced, true);
    } catch {
      return unescape(spaced, true);
    }
  };
  let pairs = qs.split(sep);
  if (maxKeys > 0 && pairs.length > maxKeys) pairs = pairs.slice(0, maxKeys);
  for (const pair of pairs) {
    if (pair.length === 0 && pairs.length > 1) continue;
    const at = pair.indexOf(eq);
    const key = decodePart(at >= 0 ? pair.slice(0, at) : pair);
    const value = at >= 0 ? decodePart(pair.slice(at + eq.length)) : '';
    const existing = result[key];
    if (existing === undefined) result[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else result[key] = [existing, value];
  }
  return result;
}

export const decode = parse;
export const encode = stringify;
export { unescapeBuffer };

export default { decode, encode, escape, parse, stringify, unescape, unescapeBuffer };

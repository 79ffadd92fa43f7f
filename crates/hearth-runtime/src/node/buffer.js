// node:buffer — Buffer as a Uint8Array subclass, as in Node.js.
//
// Encodings: utf8/utf-8, hex, base64, base64url, latin1/binary, ascii,
// utf16le/ucs2. UTF-8, hex and base64 are hearth's native codecs.

import { native } from 'hearth:internal';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const kMaxLength = 2 ** 31 - 1;
export const constants = { MAX_LENGTH: kMaxLength, MAX_STRING_LENGTH: 2 ** 29 - 24 };
export const INSPECT_MAX_BYTES = 50;

function normalizeEncoding(enc) {
  if (enc === undefined || enc === null) return 'utf8';
  switch (String(enc).toLowerCase()) {
    case 'utf8': case 'utf-8': return 'utf8';
    case 'hex': return 'hex';
    case 'base64': return 'base64';
    case 'base64url': return 'base64url';
    case 'latin1': case 'binary': return 'latin1';
    case 'ascii': return 'ascii';
    case 'ucs2': case 'ucs-2': case 'utf16le': case 'utf-16le': return 'utf16le';
    default: throw new TypeError(`Unknown encoding: ${enc}`);
  }
}

function bytesFromString(str, encoding) {
  switch (normalizeEncoding(encoding)) {
    case 'utf8': return encoder.encode(str);
    case 'hex': return native.hexDecode(str);
    // Either alphabet decodes, as in Node.js.
    case 'base64': case 'base64url': return native.base64Decode(str);
    case 'latin1': case 'ascii': {
      const out = new Uint8Array(str.length);
      for (let i = 0; i < str.length; i++) out[i] = str.charCodeAt(i) & 255;
      return out;
    }
    case 'utf16le': {
      const out = new Uint8Array(str.length * 2);
      for (let i = 0; i < str.length; i++) {
        const c = str.charCodeAt(i);
        out[i * 2] = c & 255;
        out[i * 2 + 1] = c >> 8;
      }
      return out;
    }
  }
}

function stringFromBytes(bytes, encoding) {
  switch (normalizeEncoding(encoding)) {
    case 'utf8': return decoder.decode(bytes);
    case 'hex': return native.hexEncode(bytes);
    case 'base64': return native.base64Encode(bytes, false);
    case 'base64url': return native.base64Encode(bytes, true);
    case 'latin1': {
      let s = '';
      for (let i = 0; i < bytes.length; i += 4096)
        s += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096));
      return s;
    }
    case 'ascii': {
      let s = '';
      for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i] & 127);
      return s;
    }
    case 'utf16le': {
      let s = '';
      for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode(bytes[i] | (bytes[i + 1] << 8));
      return s;
    }
  }
}

function checkOffset(buf, offset, size) {
  if (offset === undefined) offset = 0;
  if (typeof offset !== 'number' || !Number.isInteger(offset)) {
    throw new TypeError('The "offset" argument must be an integer');
  }
  if (offset < 0 || offset + size > buf.length) {
    const err = new RangeError(`The value of "offset" is out of range. It must be >= 0 and <= ${buf.length - size}. Received ${offset}`);
    err.code = 'ERR_OUT_OF_RANGE';
    throw err;
  }
  return offset;
}

function view(buf) {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

// Every Buffer is a FastBuffer, a plain Uint8Array subclass; `Buffer` itself
// is a function, as in Node.js, so that old packages may still call it without
// `new` (safer-buffer, used by iconv-lite, does).
class FastBuffer extends Uint8Array {
  get parent() {
    return this.buffer;
  }

  get offset() {
    return this.byteOffset;
  }

  toString(encoding, start, end) {
    start = start === undefined ? 0 : Math.max(0, start | 0);
    end = end === undefined ? this.length : Math.min(this.length, end | 0);
    if (end <= start) return '';
    const bytes = start === 0 && end === this.length ? this : this.subarray(start, end);
    return stringFromBytes(bytes, encoding);
  }

  toJSON() {
    return { type: 'Buffer', data: Array.from(this) };
  }

  toLocaleString(encoding, start, end) {
    return this.toString(encoding, start, end);
  }

  equals(other) {
    if (!(other instanceof Uint8Array)) throw new TypeError('The "otherBuffer" argument must be an instance of Buffer or Uint8Array.');
    return compareBytes(this, other) === 0;
  }

  compare(target, targetStart = 0, targetEnd = target.length, sourceStart = 0, sourceEnd = this.length) {
    return compareBytes(this.subarray(sourceStart, sourceEnd), target.subarray(targetStart, targetEnd));
  }

  // Node.js's slice shares memory, like subarray.
  slice(start, end) {
    return this.subarray(start, end);
  }

  subarray(start, end) {
    const u8 = Uint8Array.prototype.subarray.call(this, start, end);
    return new FastBuffer(u8.buffer, u8.byteOffset, u8.length);
  }

  write(string, offset, length, encoding) {
    if (typeof offset === 'string') {
      encoding = offset;
      offset = 0;
      length = undefined;
    } else if (typeof length === 'string') {
      encoding = length;
      length = undefined;
    }
    offset = offset === undefined ? 0 : offset >>> 0;
    const bytes = bytesFromString(string, encoding);
    const n = Math.min(bytes.length, this.length - offset, length === undefined ? Infinity : length);
    this.set(bytes.subarray(0, n), offset);
    return n;
  }

  fill(value, offset = 0, end = this.length, encoding) {
    if (typeof offset === 'string') {
      encoding = offset;
      offset = 0;
      end = this.length;
    }
    if (typeof value === 'number') return Uint8Array.prototype.fill.call(this, value & 255, offset, end), this;
    const bytes = typeof value === 'string' ? bytesFromString(value, encoding) : value;
    if (!bytes.length) return Uint8Array.prototype.fill.call(this, 0, offset, end), this;
    for (let i = offset, j = 0; i < end; i++, j = (j + 1) % bytes.length) this[i] = bytes[j];
    return this;
  }

  indexOf(value, byteOffset = 0, encoding) {
    return indexOf(this, value, byteOffset, encoding, true);
  }

  lastIndexOf(value, byteOffset = this.length, encoding) {
    return indexOf(this, value, byteOffset, encoding, false);
  }

  includes(value, byteOffset, encoding) {
    return this.indexOf(value, byteOffset, encoding) !== -1;
  }

  copy(target, targetStart = 0, sourceStart = 0, sourceEnd = this.length) {
    sourceEnd = Math.min(sourceEnd, this.length);
    const n = Math.min(sourceEnd - sourceStart, target.length - targetStart);
    // As in Node.js: nothing to copy (even past either end) copies nothing.
    if (!(n > 0)) return 0;
    target.set(Uint8Array.prototype.subarray.call(this, sourceStart, sourceStart + n), targetStart);
    return n;
  }

  swap16() { return swap(this, 2); }
  swap32() { return swap(this, 4); }
  swap64() { return swap(this, 8); }

  readUInt8(o) { return this[checkOffset(this, o, 1)]; }
  readInt8(o) { return view(this).getInt8(checkOffset(this, o, 1)); }
  readUInt16LE(o) { return view(this).getUint16(checkOffset(this, o, 2), true); }
  readUInt16BE(o) { return view(this).getUint16(checkOffset(this, o, 2), false); }
  readInt16LE(o) { return view(this).getInt16(checkOffset(this, o, 2), true); }
  readInt16BE(o) { return view(this).getInt16(checkOffset(this, o, 2), false); }
  readUInt32LE(o) { return view(this).getUint32(checkOffset(this, o, 4), true); }
  readUInt32BE(o) { return view(this).getUint32(checkOffset(this, o, 4), false); }
  readInt32LE(o) { return view(this).getInt32(checkOffset(this, o, 4), true); }
  readInt32BE(o) { return view(this).getInt32(checkOffset(this, o, 4), false); }
  readFloatLE(o) { return view(this).getFloat32(checkOffset(this, o, 4), true); }
  readFloatBE(o) { return view(this).getFloat32(checkOffset(this, o, 4), false); }
  readDoubleLE(o) { return view(this).getFloat64(checkOffset(this, o, 8), true); }
  readDoubleBE(o) { return view(this).getFloat64(checkOffset(this, o, 8), false); }
  readBigUInt64LE(o) { return view(this).getBigUint64(checkOffset(this, o, 8), true); }
  readBigUInt64BE(o) { return view(this).getBigUint64(checkOffset(this, o, 8), false); }
  readBigInt64LE(o) { return view(this).getBigInt64(checkOffset(this, o, 8), true); }
  readBigInt64BE(o) { return view(this).getBigInt64(checkOffset(this, o, 8), false); }
  readUIntBE(o, n) { let v = 0; o = checkOffset(this, o, n); for (let i = 0; i < n; i++) v = v * 256 + this[o + i]; return v; }
  readUIntLE(o, n) { let v = 0; o = checkOffset(this, o, n); for (let i = n - 1; i >= 0; i--) v = v * 256 + this[o + i]; return v; }
  readIntBE(o, n) { const v = this.readUIntBE(o, n); return v >= 2 ** (8 * n - 1) ? v - 2 ** (8 * n) : v; }
  readIntLE(o, n) { const v = this.readUIntLE(o, n); return v >= 2 ** (8 * n - 1) ? v - 2 ** (8 * n) : v; }

  writeUInt8(v, o) { o = checkOffset(this, o, 1); checkInt(v, 0, 255); this[o] = v; return o + 1; }
  writeInt8(v, o) { o = checkOffset(this, o, 1); checkInt(v, -128, 127); view(this).setInt8(o, v); return o + 1; }
  writeUInt16LE(v, o) { o = checkOffset(this, o, 2); checkInt(v, 0, 0xffff); view(this).setUint16(o, v, true); return o + 2; }
  writeUInt16BE(v, o) { o = checkOffset(this, o, 2); checkInt(v, 0, 0xffff); view(this).setUint16(o, v, false); return o + 2; }
  writeInt16LE(v, o) { o = checkOffset(this, o, 2); checkInt(v, -0x8000, 0x7fff); view(this).setInt16(o, v, true); return o + 2; }
  writeInt16BE(v, o) { o = checkOffset(this, o, 2); checkInt(v, -0x8000, 0x7fff); view(this).setInt16(o, v, false); return o + 2; }
  writeUInt32LE(v, o) { o = checkOffset(this, o, 4); checkInt(v, 0, 0xffffffff); view(this).setUint32(o, v, true); return o + 4; }
  writeUInt32BE(v, o) { o = checkOffset(this, o, 4); checkInt(v, 0, 0xffffffff); view(this).setUint32(o, v, false); return o + 4; }
  writeInt32LE(v, o) { o = checkOffset(this, o, 4); checkInt(v, -0x80000000, 0x7fffffff); view(this).setInt32(o, v, true); return o + 4; }
  writeInt32BE(v, o) { o = checkOffset(this, o, 4); checkInt(v, -0x80000000, 0x7fffffff); view(this).setInt32(o, v, false); return o + 4; }
  writeFloatLE(v, o) { o = checkOffset(this, o, 4); view(this).setFloat32(o, v, true); return o + 4; }
  writeFloatBE(v, o) { o = checkOffset(this, o, 4); view(this).setFloat32(o, v, false); return o + 4; }
  writeDoubleLE(v, o) { o = checkOffset(this, o, 8); view(this).setFloat64(o, v, true); return o + 8; }
  writeDoubleBE(v, o) { o = checkOffset(this, o, 8); view(this).setFloat64(o, v, false); return o + 8; }
  writeBigUInt64LE(v, o) { o = checkOffset(this, o, 8); view(this).setBigUint64(o, v, true); return o + 8; }
  writeBigUInt64BE(v, o) { o = checkOffset(this, o, 8); view(this).setBigUint64(o, v, false); return o + 8; }
  writeBigInt64LE(v, o) { o = checkOffset(this, o, 8); view(this).setBigInt64(o, v, true); return o + 8; }
  writeBigInt64BE(v, o) { o = checkOffset(this, o, 8); view(this).setBigInt64(o, v, false); return o + 8; }
  writeUIntBE(v, o, n) { o = checkOffset(this, o, n); for (let i = n - 1; i >= 0; i--) { this[o + i] = v & 255; v = Math.floor(v / 256); } return o + n; }
  writeUIntLE(v, o, n) { o = checkOffset(this, o, n); for (let i = 0; i < n; i++) { this[o + i] = v & 255; v = Math.floor(v / 256); } return o + n; }
  writeIntBE(v, o, n) { return this.writeUIntBE(v < 0 ? v + 2 ** (8 * n) : v, o, n); }
  writeIntLE(v, o, n) { return this.writeUIntLE(v < 0 ? v + 2 ** (8 * n) : v, o, n); }
}

/** `Buffer(size)` / `Buffer(value, encodingOrOffset, length)`, with or without `new`. */
export function Buffer(value, encodingOrOffset, length) {
  if (typeof value === 'number') {
    if (typeof encodingOrOffset === 'string') throw new TypeError('The "string" argument must be of type string. Received type number');
    return Buffer.allocUnsafe(value);
  }
  return Buffer.from(value, encodingOrOffset, length);
}
Buffer.prototype = FastBuffer.prototype;
FastBuffer.prototype.constructor = Buffer;
Object.setPrototypeOf(Buffer, Uint8Array);
Buffer.poolSize = 8192;

// Enumerable, as Node.js's are: packages copy them with for-in.
Object.assign(Buffer, {
  from(value, encodingOrOffset, length) {
    if (typeof value === 'string') return fromBytes(bytesFromString(value, encodingOrOffset));
    if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer)) {
      const offset = encodingOrOffset === undefined ? 0 : Number(encodingOrOffset);
      const len = length === undefined ? value.byteLength - offset : Number(length);
      return new FastBuffer(value, offset, len);
    }
    if (ArrayBuffer.isView(value)) {
      const copy = new FastBuffer(value.byteLength);
      copy.set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      return copy;
    }
    if (value && typeof value === 'object') {
      if (typeof value.valueOf === 'function' && value.valueOf() !== value) return Buffer.from(value.valueOf(), encodingOrOffset, length);
      if (value.type === 'Buffer' && Array.isArray(value.data)) return fromArrayLike(value.data);
      if (typeof value.length === 'number' || Array.isArray(value)) return fromArrayLike(value);
      if (typeof value[Symbol.toPrimitive] === 'function') return Buffer.from(value[Symbol.toPrimitive]('string'), encodingOrOffset);
    }
    throw new TypeError('The first argument must be of type string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object.');
  },

  alloc(size, fill, encoding) {
    const buf = new FastBuffer(checkSize(size));
    if (fill !== undefined && fill !== 0) buf.fill(fill, 0, buf.length, encoding);
    return buf;
  },

  allocUnsafe(size) {
    return new FastBuffer(checkSize(size));
  },

  allocUnsafeSlow(size) {
    return new FastBuffer(checkSize(size));
  },

  isBuffer(obj) {
    return obj instanceof Buffer;
  },

  isEncoding(enc) {
    try {
      normalizeEncoding(enc);
      return typeof enc === 'string';
    } catch {
      return false;
    }
  },

  byteLength(value, encoding) {
    if (typeof value !== 'string') {
      if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value.byteLength;
      throw new TypeError('The "string" argument must be of type string or an instance of Buffer or ArrayBuffer.');
    }
    switch (normalizeEncoding(encoding)) {
      case 'utf8': return utf8Length(value);
      case 'hex': return value.length >>> 1;
      case 'base64': case 'base64url': return bytesFromString(value, 'base64').length;
      case 'utf16le': return value.length * 2;
      default: return value.length;
    }
  },

  concat(list, totalLength) {
    if (!Array.isArray(list)) throw new TypeError('The "list" argument must be an instance of Array.');
    if (totalLength === undefined) totalLength = list.reduce((n, b) => n + b.length, 0);
    const out = Buffer.alloc(totalLength);
    let pos = 0;
    for (const item of list) {
      if (!(item instanceof Uint8Array)) throw new TypeError('The "list" argument must contain only Buffer or Uint8Array instances.');
      const take = Math.min(item.length, totalLength - pos);
      if (take <= 0) break;
      out.set(take === item.length ? item : item.subarray(0, take), pos);
      pos += take;
    }
    return out;
  },

  compare(a, b) {
    return compareBytes(a, b);
  },
});

// Lower-case aliases Node.js also has (readUint8 ...).
for (const name of Object.getOwnPropertyNames(Buffer.prototype)) {
  if (/^(read|write)(Big)?UInt/.test(name)) {
    Buffer.prototype[name.replace('UInt', 'Uint')] = Buffer.prototype[name];
  }
}

// Per-encoding `utf8Slice(start, end)` / `utf8Write(string, offset, length)`
// and friends, which drivers probe for as fast paths.
for (const [prefix, encoding] of [['ascii', 'ascii'], ['base64', 'base64'], ['base64url', 'base64url'], ['latin1', 'latin1'], ['hex', 'hex'], ['ucs2', 'utf16le'], ['utf8', 'utf8']]) {
  Buffer.prototype[`${prefix}Slice`] = function (start, end) {
    return this.toString(encoding, start, end);
  };
  Buffer.prototype[`${prefix}Write`] = function (string, offset, length) {
    return this.write(string, offset, length, encoding);
  };
}

// Node.js's Buffer methods are enumerable: packages walk them with for-in
// (mysql2 builds its packet-size probe that way).
for (const name of Object.getOwnPropertyNames(Buffer.prototype)) {
  if (name !== 'constructor') Object.defineProperty(Buffer.prototype, name, { enumerable: true });
}

function checkSize(size) {
  if (typeof size !== 'number' || size < 0 || size > kMaxLength || Number.isNaN(size)) {
    const err = new RangeError(`The argument 'size' is invalid. Received ${size}`);
    err.code = 'ERR_INVALID_ARG_VALUE';
    throw err;
  }
  return size >>> 0;
}

function checkInt(v, min, max) {
  if (typeof v !== 'number' || v < min || v > max) {
    const err = new RangeError(`The value of "value" is out of range. It must be >= ${min} and <= ${max}. Received ${v}`);
    err.code = 'ERR_OUT_OF_RANGE';
    throw err;
  }
}

function fromBytes(u8) {
  return new FastBuffer(u8.buffer, u8.byteOffset, u8.byteLength);
}

function fromArrayLike(arr) {
  const buf = new FastBuffer(arr.length);
  for (let i = 0; i < arr.length; i++) buf[i] = arr[i] & 255;
  return buf;
}

function utf8Length(str) {
  let n = 0;
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < str.length && (str.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function swap(buf, size) {
  if (buf.length % size !== 0) throw new RangeError(`Buffer size must be a multiple of ${size * 8}-bits`);
  for (let i = 0; i < buf.length; i += size) {
    for (let j = 0; j < size / 2; j++) {
      const t = buf[i + j];
      buf[i + j] = buf[i + size - 1 - j];
      buf[i + size - 1 - j] = t;
    }
  }
  return buf;
}

function indexOf(buf, value, byteOffset, encoding, forward) {
  if (typeof byteOffset === 'string') {
    encoding = byteOffset;
    byteOffset = forward ? 0 : buf.length;
  }
  if (byteOffset < 0) byteOffset = buf.length + byteOffset;
  if (typeof value === 'number') {
    return forward
      ? Uint8Array.prototype.indexOf.call(buf, value & 255, byteOffset)
      : Uint8Array.prototype.lastIndexOf.call(buf, value & 255, byteOffset);
  }
  const needle = typeof value === 'string' ? bytesFromString(value, encoding) : value;
  if (needle.length === 0) return forward ? Math.min(byteOffset, buf.length) : Math.min(byteOffset, buf.length);
  const last = buf.length - needle.length;
  const matches = (i) => {
    for (let j = 0; j < needle.length; j++) if (buf[i + j] !== needle[j]) return false;
    return true;
  };
  if (forward) {
    for (let i = Math.max(0, byteOffset); i <= last; i++) if (matches(i)) return i;
  } else {
    for (let i = Math.min(byteOffset, last); i >= 0; i--) if (matches(i)) return i;
  }
  return -1;
}

export const SlowBuffer = Buffer;
export const Blob = globalThis.Blob;
export const File = globalThis.File;
export const atob = globalThis.atob;
export const btoa = globalThis.btoa;

export function isUtf8(input) {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(input);
    return true;
  } catch {
    return false;
  }
}

export function isAscii(input) {
  const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : input;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] > 127) return false;
  return true;
}

export function transcode(source, fromEnc, toEnc) {
  return Buffer.from(stringFromBytes(source, fromEnc), toEnc);
}

export default { Buffer, SlowBuffer, Blob, File, atob, btoa, constants, kMaxLength, INSPECT_MAX_BYTES, isUtf8, isAscii, transcode };

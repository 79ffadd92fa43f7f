// node:crypto — hashes, HMAC, random values and timingSafeEqual on hearth's
// native digests; `webcrypto`/`subtle` are the global Web Crypto.
import { Buffer } from 'node:buffer';

import { native } from 'hearth:internal';
const HASHES = { sha1: 'SHA-1', 'sha-1': 'SHA-1', sha256: 'SHA-256', 'sha-256': 'SHA-256', sha384: 'SHA-384', 'sha-384': 'SHA-384', sha512: 'SHA-512', 'sha-512': 'SHA-512', md5: 'MD5' };

function hashName(algorithm) {
  const name = HASHES[String(algorithm).toLowerCase()];
  if (!name) {
    const err = new Error(`Digest method not supported: ${algorithm}`);
    err.code = 'ERR_CRYPTO_INVALID_DIGEST';
    throw err;
  }
  return name;
}

function toBytes(data, encoding) {
  if (typeof data === 'string') return Buffer.from(data, encoding);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView.');
}

function output(bytes, encoding) {
  const buf = Buffer.from(bytes);
  return encoding === undefined || encoding === 'buffer' ? buf : buf.toString(encoding);
}

class Accumulator {
  constructor() {
    this._chunks = [];
    this._done = false;
  }
  update(data, encoding) {
    if (this._done) throw new Error('Digest already called');
    this._chunks.push(toBytes(data, encoding));
    return this;
  }
  _take() {
    if (this._done) throw new Error('Digest already called');
    this._done = true;
    return Buffer.concat(this._chunks);
  }
}

export class Hash extends Accumulator {
  constructor(algorithm) {
    super();
    this._alg = hashName(algorithm);
  }
  digest(encoding) {
    const data = this._take();
    const bytes = this._alg === 'MD5' ? md5(data) : native.digest(this._alg, data);
    return output(bytes, encoding);
  }
  copy() {
    const h = new Hash(this._alg);
    h._chunks = this._chunks.slice();
    return h;
  }
}

export class Hmac extends Accumulator {
  constructor(algorithm, key) {
    super();
    this._alg = hashName(algorithm);
    if (this._alg === 'MD5') throw new Error('HMAC-MD5 is not supported by hearth');
    this._key = key && key.export ? key.export() : toBytes(key);
  }
  digest(encoding) {
    return output(native.hmac(this._alg, this._key, this._take()), encoding);
  }
}

export function createHash(algorithm) {
  return new Hash(algorithm);
}

export function createHmac(algorithm, key) {
  return new Hmac(algorithm, key);
}

export function hash(algorithm, data, encoding = 'hex') {
  return createHash(algorithm).update(data).digest(encoding);
}

export function getHashes() {
  return ['md5', 'sha1', 'sha256', 'sha384', 'sha512'];
}

export function randomBytes(size, callback) {
  const buf = Buffer.from(native.randomBytes(size));
  if (typeof callback === 'function') {
    queueMicrotask(() => callback(null, buf));
    return undefined;
  }
  return buf;
}
export const pseudoRandomBytes = randomBytes;

export function randomFillSync(buf, offset = 0, size) {
  const view = new Uint8Array(buf.buffer || buf, (buf.byteOffset || 0) + offset, size === undefined ? (buf.byteLength - offset) : size);
  globalThis.crypto.getRandomValues(view);
  return buf;
}

export function randomFill(buf, offset, size, callback) {
  if (typeof offset === 'function') [callback, offset] = [offset, 0];
  if (typeof size === 'function') [callback, size] = [size, undefined];
  randomFillSync(buf, offset, size);
  queueMicrotask(() => callback(null, buf));
}

export function randomInt(min, max, callback) {
  if (max === undefined || typeof max === 'function') {
    callback = max;
    max = min;
    min = 0;
  }
  const range = max - min;
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || range <= 0) {
    throw new RangeError('The "max" argument must be greater than "min" and both safe integers');
  }
  const words = new Uint32Array(2);
  globalThis.crypto.getRandomValues(words);
  const r = min + Math.floor(((words[0] * 2 ** 21 + (words[1] >>> 11)) / 2 ** 53) * range);
  if (typeof callback === 'function') {
    queueMicrotask(() => callback(null, r));
    return undefined;
  }
  return r;
}

export function randomUUID() {
  return globalThis.crypto.randomUUID();
}

export function getRandomValues(view) {
  return globalThis.crypto.getRandomValues(view);
}

export function timingSafeEqual(a, b) {
  const x = toBytes(a);
  const y = toBytes(b);
  if (x.byteLength !== y.byteLength) {
    const err = new RangeError('Input buffers must have the same byte length');
    err.code = 'ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH';
    throw err;
  }
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

export function pbkdf2Sync(password, salt, iterations, keylen, digest) {
  const alg = hashName(digest);
  const pw = toBytes(password);
  const s = toBytes(salt);
  const hlen = native.hmac(alg, pw, new Uint8Array(0)).byteLength;
  const blocks = Math.ceil(keylen / hlen);
  const out = Buffer.alloc(blocks * hlen);
  for (let i = 1; i <= blocks; i++) {
    const block = Buffer.alloc(s.length + 4);
    block.set(s);
    block.writeUInt32BE(i, s.length);
    let u = new Uint8Array(native.hmac(alg, pw, block));
    const t = u.slice();
    for (let j = 1; j < iterations; j++) {
      u = new Uint8Array(native.hmac(alg, pw, u));
      for (let k = 0; k < t.length; k++) t[k] ^= u[k];
    }
    out.set(t, (i - 1) * hlen);
  }
  return out.subarray(0, keylen);
}

export function pbkdf2(password, salt, iterations, keylen, digest, callback) {
  try {
    const key = pbkdf2Sync(password, salt, iterations, keylen, digest);
    queueMicrotask(() => callback(null, key));
  } catch (e) {
    queueMicrotask(() => callback(e));
  }
}

function unsupported(name) {
  return () => {
    throw new Error(`crypto.${name} is not supported by hearth; use crypto.subtle`);
  };
}
export const createCipheriv = unsupported('createCipheriv');
export const createDecipheriv = unsupported('createDecipheriv');
export const createSign = unsupported('createSign');
export const createVerify = unsupported('createVerify');
export const generateKeyPairSync = unsupported('generateKeyPairSync');
export const createPrivateKey = unsupported('createPrivateKey');
export const createPublicKey = unsupported('createPublicKey');

export function createSecretKey(key, encoding) {
  const bytes = Buffer.from(toBytes(key, encoding));
  return { type: 'secret', symmetricKeySize: bytes.length, export: () => bytes };
}

export const webcrypto = globalThis.crypto;
export const subtle = globalThis.crypto && globalThis.crypto.subtle;
export const constants = {};

// MD5 (RFC 1321) for createHash('md5'), which many packages use for ETags.
function md5(bytes) {
  const K = new Int32Array(64);
  for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0;
  const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
  const len = bytes.length;
  const total = ((len + 8) >>> 6) * 64 + 64;
  const msg = new Uint8Array(total);
  msg.set(bytes);
  msg[len] = 0x80;
  const dv = new DataView(msg.buffer);
  dv.setUint32(total - 8, (len * 8) >>> 0, true);
  dv.setUint32(total - 4, Math.floor(len / 0x20000000), true);
  let a0 = 0x67452301, b0 = 0xefcdab89 | 0, c0 = 0x98badcfe | 0, d0 = 0x10325476;
  const M = new Int32Array(16);
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) M[i] = dv.getInt32(off + i * 4, true);
    let a = a0, b = b0, c = c0, d = d0;
    for (let i = 0; i < 64; i++) {
      let f, g;
      const round = i >> 4;
      if (round === 0) { f = (b & c) | (~b & d); g = i; }
      else if (round === 1) { f = (d & b) | (~d & c); g = (5 * i + 1) & 15; }
      else if (round === 2) { f = b ^ c ^ d; g = (3 * i + 5) & 15; }
      else { f = c ^ (b | ~d); g = (7 * i) & 15; }
      const s = S[(round << 2) | (i & 3)];
      const tmp = d;
      d = c;
      c = b;
      const x = (a + f + K[i] + M[g]) | 0;
      b = (b + ((x << s) | (x >>> (32 - s)))) | 0;
      a = tmp;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  const out = new Uint8Array(16);
  const ov = new DataView(out.buffer);
  ov.setInt32(0, a0, true);
  ov.setInt32(4, b0, true);
  ov.setInt32(8, c0, true);
  ov.setInt32(12, d0, true);
  return out;
}

export default {
  Hash, Hmac, createHash, createHmac, hash, getHashes, randomBytes, pseudoRandomBytes, randomFillSync, randomFill,
  randomInt, randomUUID, getRandomValues, timingSafeEqual, pbkdf2, pbkdf2Sync, createCipheriv, createDecipheriv,
  createSign, createVerify, generateKeyPairSync, createPrivateKey, createPublicKey, createSecretKey, webcrypto,
  subtle, constants,
};

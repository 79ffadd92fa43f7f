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
    const bytes = native.digest(this._alg, data);
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

function scryptError(message) {
  const err = new RangeError(`Invalid scrypt params: ${message}`);
  err.code = 'ERR_CRYPTO_INVALID_SCRYPT_PARAMS';
  return err;
}

// Node's defaults and checks: N (cost) a power of two above 1, r and p at
// least 1, and 128 * N * r within maxmem (32 MiB unless raised).
export function scryptSync(password, salt, keylen, options = {}) {
  const pick = (a, b, fallback) => options[a] ?? options[b] ?? fallback;
  const N = pick('N', 'cost', 16384);
  const r = pick('r', 'blockSize', 8);
  const p = pick('p', 'parallelization', 1);
  const maxmem = options.maxmem ?? 32 << 20;
  if (!Number.isInteger(keylen) || keylen < 0) {
    const err = new RangeError(`The value of "keylen" is out of range. It must be >= 0 && <= 2147483647. Received ${keylen}`);
    err.code = 'ERR_OUT_OF_RANGE';
    throw err;
  }
  if (!Number.isInteger(N) || N < 2 || (N & (N - 1)) !== 0) throw scryptError('N must be a power of 2 greater than 1');
  if (!Number.isInteger(r) || r < 1 || !Number.isInteger(p) || p < 1) throw scryptError('r and p must be positive integers');
  if (128 * N * r > maxmem) throw scryptError('memory limit exceeded');
  return Buffer.from(native.scrypt(toBytes(password), toBytes(salt), Math.log2(N), r, p, keylen));
}

export function scrypt(password, salt, keylen, options, callback) {
  if (typeof options === 'function') {
    callback = options;
    options = {};
  }
  if (typeof callback !== 'function') {
    const err = new TypeError('The "callback" argument must be of type function');
    err.code = 'ERR_INVALID_ARG_TYPE';
    throw err;
  }
  const key = scryptSync(password, salt, keylen, options);
  queueMicrotask(() => callback(null, key));
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

export default {
  Hash, Hmac, createHash, createHmac, hash, getHashes, randomBytes, pseudoRandomBytes, randomFillSync, randomFill,
  randomInt, randomUUID, getRandomValues, timingSafeEqual, pbkdf2, pbkdf2Sync, scrypt, scryptSync, createCipheriv, createDecipheriv,
  createSign, createVerify, generateKeyPairSync, createPrivateKey, createPublicKey, createSecretKey, webcrypto,
  subtle, constants,
};

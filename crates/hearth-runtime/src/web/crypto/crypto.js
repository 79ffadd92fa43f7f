// crypto.subtle: key objects and algorithm handling over hearth's natives.
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const internal = globalThis.__hearth_internal;
  const toU8 = (data) => {
    try {
      return internal.toU8(data);
    } catch {
      throw new TypeError('Data must be an ArrayBuffer or ArrayBufferView');
    }
  };
  const domError = (name, message) => new DOMException(message, name);
  // Natives throw `Error("OperationError: ...")`; Web Crypto callers expect a
  // DOMException with that name.
  const native_ = (fn) => (...args) => {
    try {
      return fn(...args);
    } catch (e) {
      const m = e instanceof Error && !(e instanceof DOMException) && /^(OperationError|NotSupportedError|DataError|InvalidAccessError): ([\s\S]*)$/.exec(e.message);
      throw m ? domError(m[1], m[2]) : e;
    }
  };
  const aesGcm = native_((...args) => native.aesGcm(...args));
  const normalize = (alg) => (typeof alg === 'string' ? { name: alg } : Object.assign({}, alg));
  const hashName = (hash) => {
    const name = (typeof hash === 'string' ? hash : hash && hash.name || '').toUpperCase();
    if (!['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'].includes(name)) throw domError('NotSupportedError', `Unrecognized hash algorithm: ${name || hash}`);
    return name;
  };
  const b64urlDecode = (s) => {
    const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4);
    const bin = atob(b64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  };
  const b64urlEncode = (bytes) => {
    let bin = '';
    for (const b of bytes) bin += String.fromCharCode(b);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };
  const canonicalName = (name) => {
    const upper = String(name).toUpperCase();
    const known = { 'HMAC': 'HMAC', 'AES-GCM': 'AES-GCM', 'ECDSA': 'ECDSA', 'ED25519': 'Ed25519', 'NODE-ED25519': 'Ed25519', 'PBKDF2': 'PBKDF2' };
    if (!known[upper]) throw domError('NotSupportedError', `Unrecognized or unimplemented key algorithm requested: ${name}`);
    return known[upper];
  };

  const KEY = Symbol('keyBytes');
  class CryptoKey {
    constructor() {
      throw new TypeError('Illegal constructor');
    }
  }
  function makeKey(type, extractable, algorithm, usages, bytes) {
    const key = Object.create(CryptoKey.prototype);
    Object.defineProperties(key, {
      type: { value: type, enumerable: true },
      extractable: { value: !!extractable, enumerable: true },
      algorithm: { value: Object.freeze(algorithm), enumerable: true },
      usages: { value: Object.freeze([...usages]), enumerable: true },
      [KEY]: { value: bytes },
    });
    return key;
  }
  const requireKey = (key, alg, usage) => {
    if (!(key instanceof CryptoKey)) throw new TypeError('key must be a CryptoKey');
    if (key.algorithm.name !== alg) throw domError('InvalidAccessError', `Requested algorithm "${alg}" does not match this CryptoKey's algorithm "${key.algorithm.name}".`);
    if (!key.usages.includes(usage)) throw domError('InvalidAccessError', `Requested key usage "${usage}" does not match any usage listed in this CryptoKey.`);
    return key[KEY];
  };

  function importKeySync(format, keyData, algorithm, extractable, usages) {
    const alg = normalize(algorithm);
    const name = canonicalName(alg.name);
    let bytes;
    if (format === 'raw' || format === 'spki') bytes = toU8(keyData).slice();
    else if (format === 'jwk') {
      const jwk = keyData;
      if (name === 'HMAC' || name === 'AES-GCM') {
        if (jwk.kty !== 'oct' || typeof jwk.k !== 'string') throw domError('DataError', 'JWK must have kty "oct" and a "k" member');
        bytes = b64urlDecode(jwk.k);
      } else if (name === 'ECDSA') {
        if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') throw domError('NotSupportedError', 'Only P-256 EC public keys are supported');
        if (jwk.d) throw domError('NotSupportedError', 'ECDSA private keys (signing) are not supported by hearth yet');
        const x = b64urlDecode(jwk.x), y = b64urlDecode(jwk.y);
        bytes = new Uint8Array(65);
        bytes[0] = 4;
        bytes.set(x, 1);
        bytes.set(y, 33);
      } else {
        if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') throw domError('DataError', 'JWK must have kty "OKP" and crv "Ed25519"');
        if (jwk.d) throw domError('NotSupportedError', 'Ed25519 private keys (signing) are not supported by hearth yet');
        bytes = b64urlDecode(jwk.x);
      }
    } else throw domError('NotSupportedError', `Unsupported key format: ${format}`);

    if (name === 'HMAC') {
      const hash = hashName(alg.hash);
      return makeKey('secret', extractable, { name, hash: { name: hash }, length: bytes.length * 8 }, usages, bytes);
    }
    if (name === 'PBKDF2') {
      if (format !== 'raw') throw domError('NotSupportedError', 'PBKDF2 keys can only be imported in raw format');
      if (extractable) throw domError('SyntaxError', 'PBKDF2 keys cannot be extractable');
      return makeKey('secret', false, { name }, usages, bytes);
    }
    if (name === 'AES-GCM') {
      if (![16, 24, 32].includes(bytes.length)) throw domError('DataError', `Invalid key length ${bytes.length * 8}; AES keys must be 128, 192 or 256 bits`);
      return makeKey('secret', extractable, { name, length: bytes.length * 8 }, usages, bytes);
    }
    if (name === 'ECDSA') {
      if (alg.namedCurve !== 'P-256') throw domError('NotSupportedError', `Unsupported curve ${alg.namedCurve}; hearth supports P-256`);
      return makeKey('public', extractable, { name, namedCurve: 'P-256' }, usages, bytes);
    }
    return makeKey('public', extractable, { name: 'Ed25519' }, usages, bytes);
  }

  const subtle = {
    async digest(algorithm, data) {
      return native.digest(hashName(normalize(algorithm).name), toU8(data));
    },
    async importKey(format, keyData, algorithm, extractable, usages) {
      return importKeySync(format, keyData, algorithm, extractable, usages);
    },
    async exportKey(format, key) {
      if (!key.extractable) throw domError('InvalidAccessError', 'Key is not extractable');
      const bytes = key[KEY];
      if (format === 'raw') return bytes.slice().buffer;
      if (format === 'jwk') {
        if (key.type === 'secret') return { kty: 'oct', k: b64urlEncode(bytes), ext: true, key_ops: [...key.usages] };
        throw domError('NotSupportedError', 'Only secret keys can be exported as JWK');
      }
      throw domError('NotSupportedError', `Unsupported export format: ${format}`);
    },
    async generateKey(algorithm, extractable, usages) {
      const alg = normalize(algorithm);
      const name = canonicalName(alg.name);
      if (name === 'HMAC') {
        const hash = hashName(alg.hash);
        const length = alg.length || (hash === 'SHA-384' || hash === 'SHA-512' ? 1024 : 512);
        return importKeySync('raw', native.randomBytes(length / 8), { name, hash }, extractable, usages);
      }
      if (name === 'AES-GCM') return importKeySync('raw', native.randomBytes((alg.length || 256) / 8), { name }, extractable, usages);
      throw domError('NotSupportedError', `generateKey for ${name} is not supported by hearth yet`);
    },
    async deriveBits(algorithm, baseKey, length) {
      const alg = normalize(algorithm);
      const name = canonicalName(alg.name);
      if (name !== 'PBKDF2') throw domError('NotSupportedError', `deriveBits with ${name} is not supported by hearth yet`);
      const bits = Number(length);
      if (!Number.isInteger(bits) || bits <= 0 || bits % 8) throw domError('OperationError', 'PBKDF2 length must be a positive multiple of 8');
      const password = requireKey(baseKey, 'PBKDF2', 'deriveBits');
      return native_((...a) => native.pbkdf2(...a))(hashName(alg.hash), password, toU8(alg.salt), Number(alg.iterations), bits / 8);
    },
    async deriveKey(algorithm, baseKey, derivedKeyAlgorithm, extractable, usages) {
      const alg = normalize(algorithm);
      if (canonicalName(alg.name) !== 'PBKDF2') throw domError('NotSupportedError', `deriveKey with ${alg.name} is not supported by hearth yet`);
      const target = normalize(derivedKeyAlgorithm);
      const targetName = canonicalName(target.name);
      let length = target.length;
      if (targetName === 'HMAC' && !length) length = ['SHA-384', 'SHA-512'].includes(hashName(target.hash)) ? 1024 : 512;
      if (!length) throw domError('OperationError', `deriveKey needs a length for ${targetName}`);
      const password = requireKey(baseKey, 'PBKDF2', 'deriveKey');
      const bits = native_((...a) => native.pbkdf2(...a))(hashName(alg.hash), password, toU8(alg.salt), Number(alg.iterations), length / 8);
      return importKeySync('raw', bits, target, extractable, usages);
    },
    async sign(algorithm, key, data) {
      const name = canonicalName(normalize(algorithm).name);
      if (name !== 'HMAC') throw domError('NotSupportedError', `sign with ${name} is not supported by hearth yet (verify is)`);
      return native.hmac(key.algorithm.hash.name, requireKey(key, 'HMAC', 'sign'), toU8(data));
    },
    async verify(algorithm, key, signature, data) {
      const alg = normalize(algorithm);
      const name = canonicalName(alg.name);
      if (name === 'HMAC') {
        const expected = new Uint8Array(native.hmac(key.algorithm.hash.name, requireKey(key, 'HMAC', 'verify'), toU8(data)));
        return timingSafeEqual(expected, toU8(signature));
      }
      if (name === 'ECDSA') return native.verify('ECDSA', hashName(alg.hash), requireKey(key, 'ECDSA', 'verify'), toU8(signature), toU8(data));
      return native.verify('Ed25519', '', requireKey(key, 'Ed25519', 'verify'), toU8(signature), toU8(data));
    },
    async encrypt(algorithm, key, data) {
      const alg = normalize(algorithm);
      return aesGcm(true, requireKey(key, 'AES-GCM', 'encrypt'), toU8(alg.iv), toU8(data), alg.additionalData === undefined ? undefined : toU8(alg.additionalData), alg.tagLength || 128);
    },
    async decrypt(algorithm, key, data) {
      const alg = normalize(algorithm);
      return aesGcm(false, requireKey(key, 'AES-GCM', 'decrypt'), toU8(alg.iv), toU8(data), alg.additionalData === undefined ? undefined : toU8(alg.additionalData), alg.tagLength || 128);
    },
    timingSafeEqual(a, b) {
      const x = toU8(a), y = toU8(b);
      if (x.length !== y.length) throw new TypeError('Input buffers must have the same byte length');
      return timingSafeEqual(x, y);
    },
  };
  function timingSafeEqual(a, b) {
    if (a.length !== b.length) return false;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
    return diff === 0;
  }
  Object.defineProperty(globalThis.crypto, 'subtle', { value: subtle, enumerable: true });
  Object.defineProperty(globalThis, 'CryptoKey', { value: CryptoKey, writable: true, configurable: true });
})();

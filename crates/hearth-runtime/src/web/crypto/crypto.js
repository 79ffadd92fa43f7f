// Web Crypto: the `Crypto`, `SubtleCrypto` and `CryptoKey` classes and
// `globalThis.crypto`, plus Cloudflare's `crypto.DigestStream` and
// `crypto.subtle.timingSafeEqual`. Algorithm normalisation, key usages and
// JWK handling follow the W3C Web Cryptography spec; the arithmetic is in the
// natives beside this file (mod.rs), which see asymmetric keys as DER.
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const internal = globalThis.__hearth_internal;
  const hide = (obj, name, value) =>
    Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });
  const domError = (name, message) => new DOMException(message, name);

  // Natives throw `Error("OperationError: ...")`; Web Crypto callers expect a
  // DOMException with that name.
  const NATIVE_ERROR = /^(OperationError|NotSupportedError|DataError|InvalidAccessError|QuotaExceededError): ([\s\S]*)$/;
  const call = (fn, ...args) => {
    try {
      return fn(...args);
    } catch (e) {
      const m = e instanceof Error && !(e instanceof DOMException) && NATIVE_ERROR.exec(e.message);
      throw m ? domError(m[1], m[2]) : e;
    }
  };

  const isBufferSource = (v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v);
  /** A copy of a BufferSource's bytes, as the spec takes them. */
  const bytesOf = (data, what = 'data') => {
    if (!isBufferSource(data)) throw new TypeError(`${what} must be an ArrayBuffer or ArrayBufferView`);
    return internal.toU8(data).slice();
  };

  const b64urlEncode = (bytes) => {
    let bin = '';
    for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };
  const b64urlDecode = (s, member) => {
    if (typeof s !== 'string' || /[^A-Za-z0-9_-]/.test(s)) throw domError('DataError', `JWK member "${member}" is not base64url`);
    let bin;
    try {
      bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
    } catch {
      throw domError('DataError', `JWK member "${member}" is not base64url`);
    }
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  };

  // ---- Algorithms --------------------------------------------------------

  const HASHES = ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'];
  const RSA = ['RSASSA-PKCS1-v1_5', 'RSA-PSS', 'RSA-OAEP'];
  const AES = ['AES-CTR', 'AES-CBC', 'AES-GCM', 'AES-KW'];
  const SIGNERS = ['RSASSA-PKCS1-v1_5', 'RSA-PSS', 'ECDSA', 'Ed25519', 'NODE-ED25519', 'HMAC'];
  const KEY_ALGORITHMS = [...RSA, 'ECDSA', 'ECDH', 'Ed25519', 'NODE-ED25519', 'X25519', ...AES, 'HMAC'];
  // The algorithms each operation recognises (Cloudflare's set, MD5 digests included).
  const OPERATIONS = {
    digest: [...HASHES, 'MD5'],
    hash: HASHES,
    generateKey: KEY_ALGORITHMS,
    importKey: [...KEY_ALGORITHMS, 'HKDF', 'PBKDF2'],
    sign: SIGNERS,
    verify: SIGNERS,
    encrypt: ['RSA-OAEP', 'AES-CTR', 'AES-CBC', 'AES-GCM'],
    decrypt: ['RSA-OAEP', 'AES-CTR', 'AES-CBC', 'AES-GCM'],
    wrapKey: ['AES-KW'],
    unwrapKey: ['AES-KW'],
    deriveBits: ['ECDH', 'X25519', 'HKDF', 'PBKDF2'],
    getKeyLength: [...AES, 'HMAC', 'HKDF', 'PBKDF2'],
  };

  const required = (alg, member, op) => {
    const v = alg[member];
    if (v === undefined) throw new TypeError(`${op}: algorithm ${alg.name} needs the "${member}" member`);
    return v;
  };
  const unsigned = (v, bits) => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new TypeError(`${v} is not a valid integer`);
    const t = Math.trunc(n);
    return bits === 32 ? t >>> 0 : ((t % 2 ** bits) + 2 ** bits) % 2 ** bits;
  };

  /** The spec's "normalize an algorithm": the recognised name and the members `op` reads. */
  function normalize(op, algorithm) {
    const alg = algorithm !== null && typeof algorithm === 'object' ? algorithm : { name: String(algorithm) };
    if (alg.name === undefined) throw new TypeError('Algorithm: the "name" member is required');
    const wanted = String(alg.name).toUpperCase();
    const name = OPERATIONS[op].find((n) => n.toUpperCase() === wanted);
    if (!name) throw domError('NotSupportedError', `Unrecognized or unsupported algorithm "${alg.name}" for ${op === 'hash' ? 'hash' : op}`);
    const out = { name };
    const hash = () => (out.hash = normalize('hash', required(alg, 'hash', op)));
    const buffer = (member, optional) => {
      const v = optional ? alg[member] : required(alg, member, op);
      if (v !== undefined) out[member] = bytesOf(v, member);
    };
    if (op === 'generateKey' && RSA.includes(name)) {
      out.modulusLength = unsigned(required(alg, 'modulusLength', op), 32);
      const e = required(alg, 'publicExponent', op);
      if (!(e instanceof Uint8Array)) throw new TypeError('publicExponent must be a Uint8Array');
      out.publicExponent = e.slice();
      hash();
    } else if (op === 'importKey' && RSA.includes(name)) hash();
    else if ((op === 'generateKey' || op === 'importKey') && (name === 'ECDSA' || name === 'ECDH' || name === 'NODE-ED25519'))
      out.namedCurve = String(required(alg, 'namedCurve', op));
    else if ((op === 'generateKey' || op === 'importKey' || op === 'getKeyLength') && name === 'HMAC') {
      hash();
      if (alg.length !== undefined) out.length = unsigned(alg.length, 32);
    } else if ((op === 'generateKey' || op === 'getKeyLength') && AES.includes(name)) out.length = unsigned(required(alg, 'length', op), 16);
    else if ((op === 'sign' || op === 'verify') && name === 'RSA-PSS') out.saltLength = unsigned(required(alg, 'saltLength', op), 32);
    else if ((op === 'sign' || op === 'verify') && name === 'ECDSA') hash();
    else if ((op === 'encrypt' || op === 'decrypt') && name === 'RSA-OAEP') buffer('label', true);
    else if ((op === 'encrypt' || op === 'decrypt') && name === 'AES-CBC') buffer('iv');
    else if ((op === 'encrypt' || op === 'decrypt') && name === 'AES-CTR') {
      buffer('counter');
      out.length = unsigned(required(alg, 'length', op), 8);
    } else if ((op === 'encrypt' || op === 'decrypt') && name === 'AES-GCM') {
      buffer('iv');
      buffer('additionalData', true);
      if (alg.tagLength !== undefined) out.tagLength = unsigned(alg.tagLength, 8);
    } else if (op === 'deriveBits' && (name === 'ECDH' || name === 'X25519')) {
      const key = required(alg, 'public', op);
      if (!SLOTS.has(key)) throw new TypeError('The "public" member must be a CryptoKey');
      out.public = key;
    } else if (op === 'deriveBits' && name === 'HKDF') {
      hash();
      buffer('salt');
      buffer('info');
    } else if (op === 'deriveBits' && name === 'PBKDF2') {
      hash();
      buffer('salt');
      out.iterations = unsigned(required(alg, 'iterations', op), 32);
    }
    return out;
  }

  // ---- CryptoKey ----------------------------------------------------------

  const SLOTS = new WeakMap();
  const slots = (key) => {
    const s = SLOTS.get(key);
    if (!s) throw new TypeError('Illegal invocation: not a CryptoKey');
    return s;
  };
  class CryptoKey {
    constructor() {
      throw new TypeError('Illegal constructor');
    }
    get type() {
      return slots(this).type;
    }
    get extractable() {
      return slots(this).extractable;
    }
    get algorithm() {
      return slots(this).algorithmView;
    }
    get usages() {
      return slots(this).usagesView;
    }
  }
  Object.defineProperty(CryptoKey.prototype, Symbol.toStringTag, { value: 'CryptoKey', configurable: true });

  const cloneAlgorithm = (a) => {
    const out = {};
    for (const [k, v] of Object.entries(a)) out[k] = v instanceof Uint8Array ? v.slice() : v && typeof v === 'object' ? { ...v } : v;
    return out;
  };
  /** `material` is the raw secret, or `{ der }` (SPKI or PKCS #8) for an asymmetric key. */
  function makeKey(type, extractable, algorithm, usages, material) {
    const key = Object.create(CryptoKey.prototype);
    const ordered = KEY_USAGES.filter((u) => usages.includes(u));
    SLOTS.set(key, {
      type,
      extractable: !!extractable,
      algorithm,
      usages: ordered,
      algorithmView: cloneAlgorithm(algorithm),
      usagesView: ordered.slice(),
      material,
    });
    return key;
  }

  const KEY_USAGES = ['encrypt', 'decrypt', 'sign', 'verify', 'deriveKey', 'deriveBits', 'wrapKey', 'unwrapKey'];
  const readUsages = (usages) => {
    if (usages === null || typeof usages !== 'object' || typeof usages[Symbol.iterator] !== 'function') throw new TypeError('keyUsages must be a sequence');
    const list = [...usages].map(String);
    for (const u of list) if (!KEY_USAGES.includes(u)) throw new TypeError(`"${u}" is not a valid key usage`);
    return list;
  };
  // The usages each kind of key may carry.
  const SIGN = { public: ['verify'], private: ['sign'] };
  const AGREE = { public: [], private: ['deriveKey', 'deriveBits'] };
  const CIPHER = { secret: ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'] };
  const USAGES = {
    'RSASSA-PKCS1-v1_5': SIGN,
    'RSA-PSS': SIGN,
    ECDSA: SIGN,
    Ed25519: SIGN,
    'NODE-ED25519': SIGN,
    'RSA-OAEP': { public: ['encrypt', 'wrapKey'], private: ['decrypt', 'unwrapKey'] },
    ECDH: AGREE,
    X25519: AGREE,
    'AES-CTR': CIPHER,
    'AES-CBC': CIPHER,
    'AES-GCM': CIPHER,
    'AES-KW': { secret: ['wrapKey', 'unwrapKey'] },
    HMAC: { secret: ['sign', 'verify'] },
    HKDF: { secret: ['deriveKey', 'deriveBits'] },
    PBKDF2: { secret: ['deriveKey', 'deriveBits'] },
  };
  const checkUsages = (name, type, usages) => {
    const allowed = USAGES[name][type] || [];
    const bad = usages.find((u) => !allowed.includes(u));
    if (bad) throw domError('SyntaxError', `Usage "${bad}" is not valid for a ${name} ${type} key`);
    if (type !== 'public' && usages.length === 0) throw domError('SyntaxError', `A ${name} ${type} key needs at least one usage`);
  };

  /** The key's internal slots after checking it suits `alg` and `usage`. */
  const useKey = (key, alg, usage) => {
    const s = SLOTS.get(key);
    if (!s) throw new TypeError('key must be a CryptoKey');
    if (s.algorithm.name !== alg.name) throw domError('InvalidAccessError', `Requested algorithm "${alg.name}" does not match this CryptoKey's algorithm "${s.algorithm.name}".`);
    if (!s.usages.includes(usage)) throw domError('InvalidAccessError', `Requested key usage "${usage}" does not match any usage listed in this CryptoKey.`);
    return s;
  };

  // The natives' family of each asymmetric algorithm.
  const KIND = {
    'RSASSA-PKCS1-v1_5': 'RSA',
    'RSA-PSS': 'RSA',
    'RSA-OAEP': 'RSA',
    ECDSA: 'EC',
    ECDH: 'EC',
    Ed25519: 'Ed25519',
    'NODE-ED25519': 'Ed25519',
    X25519: 'X25519',
  };
  const CURVES = ['P-256', 'P-384', 'P-521'];
  const checkCurve = (alg) => {
    if (alg.name === 'NODE-ED25519') {
      if (alg.namedCurve !== 'NODE-ED25519') throw domError('NotSupportedError', `Unrecognized namedCurve ${alg.namedCurve} for NODE-ED25519`);
    } else if (!CURVES.includes(alg.namedCurve)) throw domError('NotSupportedError', `Unrecognized or unsupported namedCurve "${alg.namedCurve}"`);
  };
  /** The `algorithm` a key of `alg` reports. */
  const keyAlgorithm = (alg, extra) => {
    const out = { name: alg.name, ...extra };
    if (alg.hash) out.hash = { name: alg.hash.name };
    if (alg.namedCurve) out.namedCurve = alg.namedCurve;
    return out;
  };
  const hmacBlockBits = (hash) => (hash === 'SHA-384' || hash === 'SHA-512' ? 1024 : 512);

  // ---- Import and export ---------------------------------------------------

  const JWK_ALG = {
    HMAC: (alg) => `HS${alg.hash.name.slice(4)}`,
    'RSASSA-PKCS1-v1_5': (alg) => `RS${alg.hash.name.slice(4)}`,
    'RSA-PSS': (alg) => `PS${alg.hash.name.slice(4)}`,
    'RSA-OAEP': (alg) => (alg.hash.name === 'SHA-1' ? 'RSA-OAEP' : `RSA-OAEP-${alg.hash.name.slice(4)}`),
    ECDSA: (alg) => ({ 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' })[alg.namedCurve],
  };
  const aesJwkAlg = (name, bits) => `A${bits}${name === 'AES-KW' ? 'KW' : name.slice(4)}`;

  /** The checks every JWK import makes: kty, use, key_ops, ext and alg. */
  function checkJwk(jwk, kty, alg, usages, extractable, expectedAlg) {
    if (jwk.kty !== kty) throw domError('DataError', `The JWK "kty" member must be "${kty}"`);
    const use = SIGNERS.includes(alg.name) ? 'sig' : 'enc';
    if (jwk.use !== undefined && jwk.use !== use) throw domError('DataError', `The JWK "use" member must be "${use}"`);
    if (jwk.key_ops !== undefined) {
      if (!Array.isArray(jwk.key_ops)) throw domError('DataError', 'The JWK "key_ops" member must be an array');
      const missing = usages.find((u) => !jwk.key_ops.includes(u));
      if (missing) throw domError('DataError', `The JWK "key_ops" member does not include "${missing}"`);
    }
    if (jwk.ext === false && extractable) throw domError('DataError', 'The JWK is not extractable ("ext": false)');
    if (jwk.alg !== undefined && expectedAlg !== undefined && jwk.alg !== expectedAlg)
      throw domError('DataError', `The JWK "alg" member must be "${expectedAlg}"`);
  }

  function importSecret(format, keyData, alg, extractable, usages) {
    const name = alg.name;
    let bytes;
    if (format === 'raw') bytes = bytesOf(keyData, 'keyData');
    else if (format === 'jwk' && (AES.includes(name) || name === 'HMAC')) {
      if (typeof keyData.k !== 'string') throw domError('DataError', 'The JWK needs a "k" member');
      bytes = b64urlDecode(keyData.k, 'k');
      const expected = name === 'HMAC' ? JWK_ALG.HMAC(alg) : aesJwkAlg(name, bytes.length * 8);
      checkJwk(keyData, 'oct', alg, usages, extractable, expected);
    } else throw domError('NotSupportedError', `${name} keys cannot be imported in ${format} format`);
    checkUsages(name, 'secret', usages);
    if (AES.includes(name)) {
      if (![16, 24, 32].includes(bytes.length)) throw domError('DataError', `Invalid key length ${bytes.length * 8}; AES keys must be 128, 192 or 256 bits`);
      return makeKey('secret', extractable, { name, length: bytes.length * 8 }, usages, bytes);
    }
    if (name === 'HMAC') {
      if (bytes.length === 0) throw domError('DataError', 'HMAC keys must not be empty');
      let length = bytes.length * 8;
      if (alg.length !== undefined) {
        if (alg.length > length || alg.length <= length - 8) throw domError('DataError', `HMAC length ${alg.length} does not match the key data (${length} bits)`);
        length = alg.length;
      }
      return makeKey('secret', extractable, keyAlgorithm(alg, { length }), usages, bytes);
    }
    // HKDF and PBKDF2 base keys.
    if (extractable) throw domError('SyntaxError', `${name} keys cannot be extractable`);
    return makeKey('secret', false, { name }, usages, bytes);
  }

  function importAsymmetric(format, keyData, alg, extractable, usages) {
    const name = alg.name;
    const kind = KIND[name];
    if (kind === 'EC' || name === 'NODE-ED25519') checkCurve(alg);
    let input = keyData;
    let type;
    if (format === 'jwk') {
      const d = keyData.d !== undefined;
      type = d ? 'private' : 'public';
      if (kind === 'RSA') {
        checkJwk(keyData, 'RSA', alg, usages, extractable, JWK_ALG[name](alg));
        if (d && keyData.oth !== undefined) throw domError('NotSupportedError', 'Multi-prime RSA keys are not supported');
      } else if (kind === 'EC') {
        checkJwk(keyData, 'EC', alg, usages, extractable, name === 'ECDSA' ? JWK_ALG.ECDSA(alg) : undefined);
        if (keyData.crv !== alg.namedCurve) throw domError('DataError', `The JWK "crv" member must be "${alg.namedCurve}"`);
      } else {
        const crv = kind === 'Ed25519' ? 'Ed25519' : 'X25519';
        checkJwk(keyData, 'OKP', alg, usages, extractable, undefined);
        if (keyData.crv !== crv) throw domError('DataError', `The JWK "crv" member must be "${crv}"`);
        if (kind === 'Ed25519' && keyData.alg !== undefined && keyData.alg !== 'EdDSA' && keyData.alg !== 'Ed25519') throw domError('DataError', 'The JWK "alg" member must be "EdDSA" or "Ed25519"');
      }
      input = {};
      for (const m of ['n', 'e', 'd', 'p', 'q', 'x', 'y']) if (keyData[m] !== undefined) input[m] = b64urlDecode(keyData[m], m);
    } else if (format === 'spki' || format === 'raw') {
      if (format === 'raw' && kind === 'RSA') throw domError('NotSupportedError', 'RSA keys cannot be imported in raw format');
      type = 'public';
      input = bytesOf(keyData, 'keyData');
    } else if (format === 'pkcs8') {
      type = 'private';
      input = bytesOf(keyData, 'keyData');
    }
    checkUsages(name, type, usages);
    const r = call(native.keyImport, kind, format, input, alg.namedCurve);
    if (r.private !== (type === 'private')) throw domError('DataError', 'The key data does not match the key type');
    const extra = kind === 'RSA' ? { modulusLength: r.modulusLength, publicExponent: r.publicExponent } : {};
    return makeKey(type, extractable, keyAlgorithm(alg, extra), usages, { der: r.der });
  }

  const FORMATS = ['raw', 'spki', 'pkcs8', 'jwk'];
  function importKeySync(format, keyData, algorithm, extractable, keyUsages) {
    format = String(format);
    if (!FORMATS.includes(format)) throw new TypeError(`"${format}" is not a valid key format`);
    const usages = readUsages(keyUsages);
    const alg = normalize('importKey', algorithm);
    if (format === 'jwk') {
      if (keyData === null || typeof keyData !== 'object' || isBufferSource(keyData)) throw new TypeError('JWK key data must be an object');
    } else if (!isBufferSource(keyData)) throw new TypeError('keyData must be an ArrayBuffer or ArrayBufferView');
    return KIND[alg.name] ? importAsymmetric(format, keyData, alg, extractable, usages) : importSecret(format, keyData, alg, extractable, usages);
  }

  function exportKeySync(format, key) {
    format = String(format);
    if (!FORMATS.includes(format)) throw new TypeError(`"${format}" is not a valid key format`);
    const s = SLOTS.get(key);
    if (!s) throw new TypeError('key must be a CryptoKey');
    if (!s.extractable) throw domError('InvalidAccessError', 'Key is not extractable');
    const name = s.algorithm.name;
    const kind = KIND[name];
    if (!kind) {
      if (format === 'raw') return s.material.slice().buffer;
      if (format !== 'jwk') throw domError('NotSupportedError', `${name} keys cannot be exported in ${format} format`);
      const alg = name === 'HMAC' ? JWK_ALG.HMAC(s.algorithm) : aesJwkAlg(name, s.algorithm.length);
      return { kty: 'oct', k: b64urlEncode(s.material), alg, key_ops: s.usages.slice(), ext: true };
    }
    if (format === 'spki' && s.type !== 'public') throw domError('InvalidAccessError', 'Only public keys can be exported in spki format');
    if (format === 'pkcs8' && s.type !== 'private') throw domError('InvalidAccessError', 'Only private keys can be exported in pkcs8 format');
    if (format === 'raw' && (kind === 'RSA' || s.type !== 'public')) {
      throw kind === 'RSA' ? domError('NotSupportedError', 'RSA keys cannot be exported in raw format') : domError('InvalidAccessError', 'Only public keys can be exported in raw format');
    }
    const out = call(native.keyExport, kind, format, s.material.der, s.type === 'private', s.algorithm.namedCurve);
    if (format !== 'jwk') return out.slice().buffer;
    const jwk = {};
    if (kind === 'RSA') Object.assign(jwk, { kty: 'RSA', alg: JWK_ALG[name](s.algorithm) });
    else if (kind === 'EC') Object.assign(jwk, { kty: 'EC', crv: s.algorithm.namedCurve });
    else Object.assign(jwk, { kty: 'OKP', crv: kind });
    for (const [m, bytes] of Object.entries(out)) jwk[m] = b64urlEncode(bytes);
    jwk.key_ops = s.usages.slice();
    jwk.ext = true;
    return jwk;
  }

  // ---- Operations ----------------------------------------------------------

  function generateKeySync(algorithm, extractable, keyUsages) {
    const usages = readUsages(keyUsages);
    const alg = normalize('generateKey', algorithm);
    const name = alg.name;
    const kind = KIND[name];
    if (!kind) {
      checkUsages(name, 'secret', usages);
      let bits;
      if (name === 'HMAC') {
        bits = alg.length === undefined ? hmacBlockBits(alg.hash.name) : alg.length;
        if (bits === 0) throw domError('OperationError', 'HMAC key length must not be zero');
      } else {
        bits = alg.length;
        if (![128, 192, 256].includes(bits)) throw domError('OperationError', 'AES key length must be 128, 192 or 256 bits');
      }
      const bytes = native.randomBytes(Math.ceil(bits / 8));
      if (bits % 8) bytes[bytes.length - 1] &= 0xff << (8 - (bits % 8));
      return makeKey('secret', extractable, keyAlgorithm(alg, { length: bits }), usages, bytes);
    }
    if (kind === 'EC' || name === 'NODE-ED25519') checkCurve(alg);
    const allowed = USAGES[name];
    const bad = usages.find((u) => !allowed.public.includes(u) && !allowed.private.includes(u));
    if (bad) throw domError('SyntaxError', `Usage "${bad}" is not valid for ${name} keys`);
    const privateUsages = usages.filter((u) => allowed.private.includes(u));
    if (privateUsages.length === 0) throw domError('SyntaxError', `A ${name} private key needs at least one usage`);
    const param = kind === 'RSA' ? alg.modulusLength : alg.namedCurve;
    const r = call(native.keyGenerate, kind, param, alg.publicExponent);
    const extra = kind === 'RSA' ? { modulusLength: r.modulusLength, publicExponent: r.publicExponent } : {};
    const algo = keyAlgorithm(alg, extra);
    return {
      publicKey: makeKey('public', true, algo, usages.filter((u) => allowed.public.includes(u)), { der: r.publicKey }),
      privateKey: makeKey('private', extractable, algo, privateUsages, { der: r.privateKey }),
    };
  }

  function encryptSync(encrypt, alg, s, data) {
    switch (alg.name) {
      case 'RSA-OAEP':
        return call(native.rsaOaep, encrypt, s.algorithm.hash.name, s.material.der, data, alg.label);
      case 'AES-CBC':
        return call(native.aesCbc, encrypt, s.material, alg.iv, data);
      case 'AES-CTR':
        return call(native.aesCtr, s.material, alg.counter, alg.length, data);
      case 'AES-GCM':
        return call(native.aesGcm, encrypt, s.material, alg.iv, data, alg.additionalData, alg.tagLength === undefined ? 128 : alg.tagLength);
    }
  }

  /** The first `bits` bits of `secret` (all of it when `bits` is null). */
  const truncateBits = (secret, bits) => {
    const bytes = new Uint8Array(secret);
    if (bits === null || bits === undefined) return bytes.buffer;
    if (bits > bytes.length * 8) throw domError('OperationError', `Requested ${bits} bits but the shared secret has ${bytes.length * 8}`);
    const out = bytes.slice(0, Math.ceil(bits / 8));
    if (bits % 8) out[out.length - 1] &= 0xff << (8 - (bits % 8));
    return out.buffer;
  };

  function deriveBitsSync(alg, baseKey, length, usage) {
    const s = useKey(baseKey, alg, usage);
    if (alg.name === 'ECDH' || alg.name === 'X25519') {
      const pub = slots(alg.public);
      if (pub.type !== 'public') throw domError('InvalidAccessError', 'The "public" key must be a public key');
      if (pub.algorithm.name !== alg.name) throw domError('InvalidAccessError', `The "public" key must be an ${alg.name} key`);
      if (pub.algorithm.namedCurve !== s.algorithm.namedCurve) throw domError('InvalidAccessError', 'The "public" key is on a different curve');
      const secret = call(native.deriveShared, alg.name, s.algorithm.namedCurve, s.material.der, pub.material.der);
      return truncateBits(secret, length);
    }
    if (length === null || length === undefined || length % 8 !== 0) throw domError('OperationError', `${alg.name} length must be a multiple of 8`);
    if (alg.name === 'HKDF') return call(native.hkdf, alg.hash.name, s.material, alg.salt, alg.info, length / 8);
    if (alg.iterations === 0) throw domError('OperationError', 'PBKDF2 iterations must be at least 1');
    return call(native.pbkdf2, alg.hash.name, s.material, alg.salt, alg.iterations, length / 8);
  }

  function timingSafeEqual(a, b) {
    if (a.length !== b.length) return false;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
    return diff === 0;
  }

  const optionalLength = (length) => (length === undefined || length === null ? null : unsigned(length, 32));

  class SubtleCrypto {
    constructor() {
      throw new TypeError('Illegal constructor');
    }
    async digest(algorithm, data) {
      const alg = normalize('digest', algorithm);
      return call(native.digest, alg.name, bytesOf(data));
    }
    async generateKey(algorithm, extractable, keyUsages) {
      return generateKeySync(algorithm, extractable, keyUsages);
    }
    async importKey(format, keyData, algorithm, extractable, keyUsages) {
      return importKeySync(format, keyData, algorithm, extractable, keyUsages);
    }
    async exportKey(format, key) {
      return exportKeySync(format, key);
    }
    async encrypt(algorithm, key, data) {
      const alg = normalize('encrypt', algorithm);
      const bytes = bytesOf(data);
      return encryptSync(true, alg, useKey(key, alg, 'encrypt'), bytes);
    }
    async decrypt(algorithm, key, data) {
      const alg = normalize('decrypt', algorithm);
      const bytes = bytesOf(data);
      return encryptSync(false, alg, useKey(key, alg, 'decrypt'), bytes);
    }
    async sign(algorithm, key, data) {
      const alg = normalize('sign', algorithm);
      const bytes = bytesOf(data);
      const s = useKey(key, alg, 'sign');
      if (alg.name === 'HMAC') return call(native.hmac, s.algorithm.hash.name, s.material, bytes);
      return signWith(alg, s, bytes);
    }
    async verify(algorithm, key, signature, data) {
      const alg = normalize('verify', algorithm);
      const sig = bytesOf(signature, 'signature');
      const bytes = bytesOf(data);
      const s = useKey(key, alg, 'verify');
      if (alg.name === 'HMAC') return timingSafeEqual(new Uint8Array(call(native.hmac, s.algorithm.hash.name, s.material, bytes)), sig);
      const { name, hash, param } = signParams(alg, s);
      return call(native.verify, name, hash, s.material.der, sig, bytes, param);
    }
    async deriveBits(algorithm, baseKey, length = null) {
      const alg = normalize('deriveBits', algorithm);
      return deriveBitsSync(alg, baseKey, optionalLength(length), 'deriveBits');
    }
    async deriveKey(algorithm, baseKey, derivedKeyType, extractable, keyUsages) {
      const alg = normalize('deriveBits', algorithm);
      const target = normalize('importKey', derivedKeyType);
      const sized = normalize('getKeyLength', derivedKeyType);
      let length = null;
      if (AES.includes(sized.name)) {
        if (![128, 192, 256].includes(sized.length)) throw domError('OperationError', 'AES key length must be 128, 192 or 256 bits');
        length = sized.length;
      } else if (sized.name === 'HMAC') {
        length = sized.length === undefined ? hmacBlockBits(sized.hash.name) : sized.length;
        if (length === 0) throw domError('OperationError', 'HMAC key length must not be zero');
      }
      const usages = readUsages(keyUsages);
      const bits = deriveBitsSync(alg, baseKey, length, 'deriveKey');
      return importKeySync('raw', bits, target, extractable, usages);
    }
    async wrapKey(format, key, wrappingKey, wrapAlgorithm) {
      const alg = normalizeWrap('wrapKey', 'encrypt', wrapAlgorithm);
      const s = useKey(wrappingKey, alg, 'wrapKey');
      const exported = exportKeySync(format, key);
      const bytes = String(format) === 'jwk' ? new TextEncoder().encode(JSON.stringify(exported)) : new Uint8Array(exported);
      if (alg.name === 'AES-KW') return call(native.aesKw, true, s.material, bytes);
      return encryptSync(true, alg, s, bytes);
    }
    async unwrapKey(format, wrappedKey, unwrappingKey, unwrapAlgorithm, unwrappedKeyAlgorithm, extractable, keyUsages) {
      const alg = normalizeWrap('unwrapKey', 'decrypt', unwrapAlgorithm);
      const wrapped = bytesOf(wrappedKey, 'wrappedKey');
      normalize('importKey', unwrappedKeyAlgorithm);
      const s = useKey(unwrappingKey, alg, 'unwrapKey');
      const bytes = alg.name === 'AES-KW' ? call(native.aesKw, false, s.material, wrapped) : encryptSync(false, alg, s, wrapped);
      let keyData = bytes;
      if (String(format) === 'jwk') {
        try {
          keyData = JSON.parse(new TextDecoder().decode(bytes));
        } catch {
          throw domError('DataError', 'The unwrapped key is not a JSON Web Key');
        }
      }
      return importKeySync(format, keyData, unwrappedKeyAlgorithm, extractable, keyUsages);
    }
    /** Cloudflare's extension: compares two equal-length buffers in constant time. */
    timingSafeEqual(a, b) {
      const x = bytesOf(a, 'a');
      const y = bytesOf(b, 'b');
      if (x.length !== y.length) throw new TypeError('Input buffers must have the same byte length');
      return timingSafeEqual(x, y);
    }
  }
  Object.defineProperty(SubtleCrypto.prototype, Symbol.toStringTag, { value: 'SubtleCrypto', configurable: true });

  function normalizeWrap(op, fallback, algorithm) {
    try {
      return normalize(op, algorithm);
    } catch (e) {
      if (e instanceof DOMException && e.name === 'NotSupportedError') return normalize(fallback, algorithm);
      throw e;
    }
  }

  /** The natives' (name, hash, parameter) for an asymmetric signature. */
  function signParams(alg, s) {
    const name = alg.name === 'NODE-ED25519' ? 'Ed25519' : alg.name;
    if (name === 'ECDSA') return { name, hash: alg.hash.name, param: s.algorithm.namedCurve };
    if (name === 'RSA-PSS') return { name, hash: s.algorithm.hash.name, param: alg.saltLength };
    if (name === 'RSASSA-PKCS1-v1_5') return { name, hash: s.algorithm.hash.name, param: undefined };
    return { name, hash: '', param: undefined };
  }
  function signWith(alg, s, bytes) {
    const { name, hash, param } = signParams(alg, s);
    return call(native.sign, name, hash, s.material.der, bytes, param);
  }

  // ---- crypto, DigestStream ---------------------------------------------

  /** Cloudflare's WritableStream that hashes what is written to it; `digest` settles on close. */
  class DigestStream extends WritableStream {
    #digest;
    #written = 0;
    constructor(algorithm) {
      const alg = normalize('digest', algorithm);
      const hasher = call(native.hasher, alg.name);
      let settle;
      const digest = new Promise((resolve, reject) => (settle = { resolve, reject }));
      digest.catch(() => {});
      let self;
      super({
        write(chunk) {
          if (!isBufferSource(chunk)) {
            const e = new TypeError('DigestStream accepts only ArrayBuffer or ArrayBufferView chunks');
            settle.reject(e);
            throw e;
          }
          const bytes = internal.toU8(chunk);
          hasher.update(bytes);
          self.#written += bytes.length;
        },
        close() {
          settle.resolve(hasher.finish());
        },
        abort(reason) {
          settle.reject(reason);
        },
      });
      self = this;
      this.#digest = digest;
    }
    get digest() {
      return this.#digest;
    }
    get bytesWritten() {
      return this.#written;
    }
  }

  const INTEGER_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array];
  const subtle = Object.create(SubtleCrypto.prototype);
  class Crypto {
    constructor() {
      throw new TypeError('Illegal constructor');
    }
    getRandomValues(array) {
      if (!INTEGER_ARRAYS.some((T) => array instanceof T))
        throw new DOMException('The data argument must be an integer-type TypedArray', 'TypeMismatchError');
      if (array.byteLength > 65536)
        throw new DOMException(`The data argument's byte length (${array.byteLength}) exceeds the limit of 65536 bytes`, 'QuotaExceededError');
      native.fillRandom(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
      return array;
    }
    randomUUID() {
      return native.randomUUID();
    }
    get subtle() {
      return subtle;
    }
  }
  hide(Crypto.prototype, 'DigestStream', DigestStream);
  Object.defineProperty(Crypto.prototype, Symbol.toStringTag, { value: 'Crypto', configurable: true });

  hide(globalThis, 'crypto', Object.create(Crypto.prototype));
  hide(globalThis, 'Crypto', Crypto);
  hide(globalThis, 'SubtleCrypto', SubtleCrypto);
  hide(globalThis, 'CryptoKey', CryptoKey);
})();

// R2 bucket bindings (env.BUCKET): Cloudflare's R2Bucket, R2Object,
// R2ObjectBody and R2MultipartUpload over hearth's buckets
// (bindings/r2/mod.rs). Metadata crosses as JSON; bodies are written to the
// host chunk by chunk and read back as native streams.
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const internal = globalThis.__hearth_internal;

  const ALGORITHMS = ['md5', 'sha1', 'sha256', 'sha384', 'sha512'];
  const DIGEST_BYTES = { md5: 16, sha1: 20, sha256: 32, sha384: 48, sha512: 64 };
  const encoder = new TextEncoder();

  // R2's errors carry the method: "put: <message> (<code>)".
  function failure(method, err) {
    const message = (err && err.message) || String(err);
    const out = new Error(`${method}: ${message}`);
    const code = /\((\d+)\)$/.exec(message);
    if (code) out.code = Number(code[1]);
    return out;
  }

  async function call(method, work) {
    try {
      return await work();
    } catch (err) {
      throw failure(method, err);
    }
  }

  const hexOf = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  function bytesOfHex(hex) {
    const out = new Uint8Array(hex.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
    return out.buffer;
  }

  // A checksum given to put(): a hex string or bytes, of the algorithm's length.
  function checksumHex(algorithm, value) {
    let hex;
    if (typeof value === 'string') hex = value.toLowerCase();
    else if (value instanceof ArrayBuffer) hex = hexOf(new Uint8Array(value));
    else if (ArrayBuffer.isView(value)) hex = hexOf(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    else throw new TypeError(`${algorithm} must be a hex string or an ArrayBuffer / ArrayBufferView`);
    if (!/^[0-9a-f]*$/.test(hex) || hex.length !== DIGEST_BYTES[algorithm] * 2)
      throw new TypeError(`${algorithm} is ${DIGEST_BYTES[algorithm]} bytes (${DIGEST_BYTES[algorithm] * 2} hex digits)`);
    return hex;
  }

  const time = (d) => (d instanceof Date ? d.getTime() : typeof d === 'number' ? d : new Date(d).getTime());

  // An etag condition: a string (possibly a list, as in If-Match) or an array.
  function etags(value) {
    if (value === undefined || value === null) return undefined;
    const list = Array.isArray(value) ? value : String(value).split(',');
    return list.map((e) => String(e).trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1')).filter((e) => e !== '');
  }

  // onlyIf: an R2Conditional or a Headers object.
  function conditional(onlyIf) {
    if (onlyIf === undefined || onlyIf === null) return null;
    if (onlyIf instanceof Headers) {
      const out = {};
      const ifMatch = onlyIf.get('if-match');
      const ifNoneMatch = onlyIf.get('if-none-match');
      const since = onlyIf.get('if-modified-since');
      const unmodified = onlyIf.get('if-unmodified-since');
      if (ifMatch !== null) out.etagMatches = etags(ifMatch);
      if (ifNoneMatch !== null) out.etagDoesNotMatch = etags(ifNoneMatch);
      if (since !== null) out.uploadedAfter = new Date(since).getTime();
      if (unmodified !== null) out.uploadedBefore = new Date(unmodified).getTime();
      out.secondsGranularity = true;
      return out;
    }
    if (typeof onlyIf !== 'object') throw new TypeError('onlyIf must be an R2Conditional object or a Headers object');
    const out = {};
    if (onlyIf.etagMatches !== undefined) out.etagMatches = etags(onlyIf.etagMatches);
    if (onlyIf.etagDoesNotMatch !== undefined) out.etagDoesNotMatch = etags(onlyIf.etagDoesNotMatch);
    if (onlyIf.uploadedBefore !== undefined) out.uploadedBefore = time(onlyIf.uploadedBefore);
    if (onlyIf.uploadedAfter !== undefined) out.uploadedAfter = time(onlyIf.uploadedAfter);
    if (onlyIf.secondsGranularity) out.secondsGranularity = true;
    return out;
  }

  // range: {offset, length}, {suffix}, or a Headers object's Range header.
  function rangeSpec(range) {
    if (range === undefined || range === null) return null;
    if (range instanceof Headers) {
      const header = range.get('range');
      if (header === null) return null;
      const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
      if (!m || (m[1] === '' && m[2] === '')) throw failure('get', new Error('The requested range is not satisfiable (10039)'));
      if (m[1] === '') return { suffix: Number(m[2]) };
      const offset = Number(m[1]);
      return m[2] === '' ? { offset } : { offset, length: Number(m[2]) - offset + 1 };
    }
    const out = {};
    for (const field of ['offset', 'length', 'suffix']) {
      if (range[field] === undefined) continue;
      const n = Number(range[field]);
      if (!Number.isInteger(n) || n < 0) throw new TypeError(`range.${field} must be a non-negative integer`);
      out[field] = n;
    }
    if (out.suffix !== undefined && (out.offset !== undefined || out.length !== undefined))
      throw new TypeError('range takes either suffix, or offset and length');
    return out;
  }

  const HEADER_FIELDS = [
    ['contentType', 'content-type'],
    ['contentLanguage', 'content-language'],
    ['contentDisposition', 'content-disposition'],
    ['contentEncoding', 'content-encoding'],
    ['cacheControl', 'cache-control'],
  ];

  // httpMetadata as an object or a Headers object, as the host stores it.
  function httpMetadataSpec(value) {
    const out = {};
    if (value === undefined || value === null) return out;
    if (value instanceof Headers) {
      for (const [field, header] of HEADER_FIELDS) {
        const v = value.get(header);
        if (v !== null) out[field] = v;
      }
      const expires = value.get('expires');
      if (expires !== null) out.cacheExpiry = new Date(expires).getTime();
      return out;
    }
    for (const [field] of HEADER_FIELDS) if (value[field] !== undefined) out[field] = String(value[field]);
    if (value.cacheExpiry !== undefined) out.cacheExpiry = time(value.cacheExpiry);
    return out;
  }

  function customMetadataSpec(value) {
    const out = {};
    if (value === undefined || value === null) return out;
    for (const [k, v] of Object.entries(value)) out[k] = String(v);
    return out;
  }

  class R2Checksums {
    constructor(hex) {
      for (const algorithm of ALGORITHMS) {
        if (hex[algorithm] !== undefined) this[algorithm] = bytesOfHex(hex[algorithm]);
      }
    }

    toJSON() {
      const out = {};
      for (const algorithm of ALGORITHMS) if (this[algorithm] !== undefined) out[algorithm] = hexOf(new Uint8Array(this[algorithm]));
      return out;
    }
  }

  function httpMetadataOf(stored) {
    const out = {};
    for (const [field] of HEADER_FIELDS) if (stored[field] !== undefined) out[field] = stored[field];
    if (stored.cacheExpiry !== undefined) out.cacheExpiry = new Date(stored.cacheExpiry);
    return out;
  }

  class R2Object {
    constructor(info, range) {
      this.key = info.key;
      this.version = info.version;
      this.size = info.size;
      this.etag = info.etag;
      this.httpEtag = `"${info.etag}"`;
      this.uploaded = new Date(info.uploaded);
      this.httpMetadata = httpMetadataOf(info.httpMetadata || {});
      this.customMetadata = { ...(info.customMetadata || {}) };
      this.range = range;
      this.checksums = new R2Checksums(info.checksums || {});
      this.storageClass = 'Standard';
      this.ssecKeyMd5 = undefined;
    }

    writeHttpMetadata(headers) {
      const m = this.httpMetadata;
      for (const [field, header] of HEADER_FIELDS) if (m[field] !== undefined) headers.set(header, m[field]);
      if (m.cacheExpiry !== undefined) headers.set('expires', m.cacheExpiry.toUTCString());
    }
  }

  class R2ObjectBody extends R2Object {
    #response;
    constructor(info, range, stream) {
      super(info, range);
      this.#response = new Response(stream);
    }

    get body() {
      return this.#response.body;
    }

    get bodyUsed() {
      return this.#response.bodyUsed;
    }

    arrayBuffer() {
      return this.#response.arrayBuffer();
    }

    bytes() {
      return this.#response.arrayBuffer().then((b) => new Uint8Array(b));
    }

    text() {
      return this.#response.text();
    }

    json() {
      return this.#response.json();
    }

    blob() {
      return this.#response.blob();
    }
  }

  // Hands a put's (or part's) value to the host, chunk by chunk.
  async function feed(id, value) {
    if (value === undefined || value === null) return;
    if (typeof value === 'string') return native.r2PutWrite(id, encoder.encode(value));
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return native.r2PutWrite(id, value);
    if (typeof Blob !== 'undefined' && value instanceof Blob) value = value.stream();
    if (value instanceof ReadableStream) {
      const reader = value.getReader();
      for (;;) {
        const { done, value: chunk } = await reader.read();
        if (done) return;
        if (typeof chunk === 'string') native.r2PutWrite(id, encoder.encode(chunk));
        else if (chunk instanceof ArrayBuffer || ArrayBuffer.isView(chunk)) native.r2PutWrite(id, chunk);
        else {
          reader.cancel().catch(() => {});
          throw new TypeError('This ReadableStream did not return bytes.');
        }
      }
    }
    throw new TypeError('The value of put() must be a ReadableStream, ArrayBuffer, ArrayBufferView, string, Blob or null.');
  }

  async function upload(binding, value, algorithms, part, finish) {
    const id = native.r2PutBegin(binding, algorithms, part);
    try {
      await feed(id, value);
    } catch (err) {
      native.r2PutAbort(id);
      throw err;
    }
    return finish(id);
  }

  class R2MultipartUpload {
    #binding;
    constructor(binding, key, uploadId) {
      this.#binding = binding;
      this.key = key;
      this.uploadId = uploadId;
    }

    async uploadPart(partNumber, value) {
      const n = Number(partNumber);
      if (!Number.isInteger(n) || n < 1 || n > 10000) throw new TypeError('partNumber must be an integer from 1 to 10000');
      return call('uploadPart', async () => {
        const [number, etag] = await upload(this.#binding, value, [], true, (id) => native.r2PartFinish(id, this.key, this.uploadId, n));
        return { partNumber: number, etag };
      });
    }

    async abort() {
      return call('abortMultipartUpload', () => native.r2MpAbort(this.#binding, this.key, this.uploadId));
    }

    async complete(uploadedParts) {
      if (!Array.isArray(uploadedParts)) throw new TypeError('complete() takes an array of uploaded parts');
      const parts = uploadedParts.map((p) => ({ partNumber: Number(p.partNumber), etag: String(p.etag) }));
      return call('completeMultipartUpload', async () => {
        const info = JSON.parse(await native.r2MpComplete(this.#binding, this.key, this.uploadId, JSON.stringify(parts)));
        return new R2Object(info);
      });
    }
  }

  class R2Bucket {
    #binding;
    constructor(binding) {
      this.#binding = binding;
    }

    async head(key) {
      return call('head', () => {
        const info = native.r2Head(this.#binding, String(key));
        return info == null ? null : new R2Object(JSON.parse(info));
      });
    }

    async get(key, options) {
      const onlyIf = conditional(options && options.onlyIf);
      const range = rangeSpec(options && options.range);
      return call('get', () => {
        const out = native.r2Get(this.#binding, String(key), onlyIf && JSON.stringify(onlyIf), range && JSON.stringify(range));
        if (out === null) return null;
        const info = JSON.parse(out[0]);
        if (out.length === 1) return new R2Object(info);
        return new R2ObjectBody(info, { offset: out[2], length: out[3] }, internal.nativeStream(out[1]));
      });
    }

    async put(key, value, options) {
      options = options || {};
      const checksums = {};
      for (const algorithm of ALGORITHMS) {
        if (options[algorithm] !== undefined) checksums[algorithm] = checksumHex(algorithm, options[algorithm]);
      }
      if (Object.keys(checksums).length > 1) throw new TypeError('You cannot specify multiple hashing algorithms.');
      const spec = JSON.stringify({
        httpMetadata: httpMetadataSpec(options.httpMetadata),
        customMetadata: customMetadataSpec(options.customMetadata),
        onlyIf: conditional(options.onlyIf),
        checksums,
      });
      return call('put', async () => {
        const out = await upload(this.#binding, value, Object.keys(checksums), false, (id) => native.r2PutFinish(id, String(key), spec));
        return out === null ? null : new R2Object(JSON.parse(out));
      });
    }

    async delete(keys) {
      const list = Array.isArray(keys) ? keys.map(String) : [String(keys)];
      return call('delete', () => native.r2Delete(this.#binding, list));
    }

    async list(options) {
      options = options || {};
      const include = Array.isArray(options.include) ? options.include : [];
      const spec = {};
      for (const field of ['limit', 'prefix', 'cursor', 'delimiter', 'startAfter']) {
        if (options[field] !== undefined && options[field] !== null) spec[field] = field === 'limit' ? Number(options[field]) : String(options[field]);
      }
      return call('list', () => {
        const out = JSON.parse(native.r2List(this.#binding, JSON.stringify(spec)));
        const objects = out.objects.map((info) => {
          if (!include.includes('httpMetadata')) info.httpMetadata = {};
          if (!include.includes('customMetadata')) info.customMetadata = {};
          return new R2Object(info);
        });
        const result = { objects, truncated: out.truncated, delimitedPrefixes: out.delimitedPrefixes };
        if (out.truncated) result.cursor = out.cursor;
        return result;
      });
    }

    async createMultipartUpload(key, options) {
      options = options || {};
      const spec = JSON.stringify({
        httpMetadata: httpMetadataSpec(options.httpMetadata),
        customMetadata: customMetadataSpec(options.customMetadata),
      });
      return call('createMultipartUpload', async () => {
        const uploadId = await native.r2MpCreate(this.#binding, String(key), spec);
        return new R2MultipartUpload(this.#binding, String(key), uploadId);
      });
    }

    resumeMultipartUpload(key, uploadId) {
      return new R2MultipartUpload(this.#binding, String(key), String(uploadId));
    }
  }

  internal.R2Bucket = R2Bucket;
  internal.R2Object = R2Object;
  internal.R2ObjectBody = R2ObjectBody;
  internal.R2MultipartUpload = R2MultipartUpload;
})();

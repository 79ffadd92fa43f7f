// KV namespace bindings (env.MY_KV), over hearth's embedded store.
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const internal = globalThis.__hearth_internal;
  const TYPES = ['text', 'json', 'arrayBuffer', 'stream'];

  function readOptions(options) {
    if (options === undefined) return 'text';
    const opts = typeof options === 'string' ? { type: options } : options || {};
    const type = opts.type === undefined ? 'text' : opts.type;
    if (!TYPES.includes(type)) throw new TypeError(`KV GET failed: 400 Unknown response type "${type}". Possible types are "text", "arrayBuffer", "json", and "stream".`);
    if (opts.cacheTtl !== undefined && !(Number(opts.cacheTtl) >= 30))
      throw new TypeError(`KV GET failed: 400 Invalid cache_ttl of ${opts.cacheTtl}. Cache TTL must be at least 30.`);
    return type;
  }

  // Text and JSON values arrive from the host as strings; the others as bytes.
  const asText = (type) => type === 'text' || type === 'json';

  function convert(value, type) {
    switch (type) {
      case 'text':
        return value;
      case 'json':
        return JSON.parse(value);
      case 'arrayBuffer':
        return value.buffer.byteLength === value.byteLength ? value.buffer : value.slice().buffer;
      default:
        return new ReadableStream({
          type: 'bytes',
          start(controller) {
            if (value.byteLength) controller.enqueue(value);
            controller.close();
          },
        });
    }
  }

  const keyName = (key) => {
    if (key === undefined || key === null) throw new TypeError('KV key must be a string');
    return String(key);
  };

  async function valueBytes(value) {
    if (typeof value === 'string' || value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return value;
    if (value instanceof ReadableStream) return internal.collectBytes(value);
    throw new TypeError('KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.');
  }

  class KVNamespace {
    #id;
    constructor(id) {
      this.#id = id;
    }

    // Not `async`: the read itself is synchronous, so an already-settled
    // promise is all a caller needs (errors still arrive as rejections).
    get(key, options) {
      try {
        const type = readOptions(options);
        if (typeof key !== 'string' && Array.isArray(key)) return Promise.resolve(this.#getMany(key, type, false));
        const found = native.kvGet(this.#id, keyName(key), asText(type));
        return Promise.resolve(found === null ? null : convert(found[0], type));
      } catch (e) {
        return Promise.reject(e);
      }
    }

    async getWithMetadata(key, options) {
      const type = readOptions(options);
      if (Array.isArray(key)) return this.#getMany(key, type, true);
      const found = native.kvGet(this.#id, keyName(key), asText(type));
      if (found === null) return { value: null, metadata: null, cacheStatus: null };
      return { value: convert(found[0], type), metadata: found[1] == null ? null : JSON.parse(found[1]), cacheStatus: null };
    }

    #getMany(keys, type, withMetadata) {
      if (type !== 'text' && type !== 'json')
        throw new TypeError(`KV GET_BULK failed: 400 "${type}" is not a valid type. Use "json" or "text".`);
      const found = native.kvGetMany(this.#id, keys.map(keyName), true);
      const out = new Map();
      keys.forEach((key, i) => {
        const entry = found[i];
        const value = entry === null ? null : convert(entry[0], type);
        if (!withMetadata) out.set(key, value);
        else out.set(key, entry === null ? null : { value, metadata: entry[1] == null ? null : JSON.parse(entry[1]) });
      });
      return out;
    }

    async put(key, value, options = {}) {
      const name = keyName(key);
      const bytes = await valueBytes(value);
      const opts = options || {};
      let metadata = null;
      if (opts.metadata !== undefined && opts.metadata !== null) {
        metadata = JSON.stringify(opts.metadata);
        if (metadata === undefined) throw new TypeError('KV put() metadata must be serializable to JSON');
      }
      return native.kvPut(this.#id, name, bytes, opts.expiration, opts.expirationTtl, metadata);
    }

    async delete(key) {
      return native.kvDelete(this.#id, keyName(key));
    }

    async list(options = {}) {
      const opts = options || {};
      const prefix = opts.prefix === undefined || opts.prefix === null ? undefined : String(opts.prefix);
      const limit = opts.limit === undefined || opts.limit === null ? undefined : Number(opts.limit);
      const cursor = opts.cursor === undefined || opts.cursor === null ? undefined : String(opts.cursor);
      return JSON.parse(native.kvList(this.#id, prefix, limit, cursor));
    }
  }
  internal.KVNamespace = KVNamespace;
  globalThis.KVNamespace = KVNamespace;
})();

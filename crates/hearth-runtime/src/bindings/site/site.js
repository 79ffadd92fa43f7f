// Workers Sites: __STATIC_CONTENT, a read-only KV namespace over the
// [site] bucket (what @cloudflare/kv-asset-handler reads).
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const internal = globalThis.__hearth_internal;

  function convert(bytes, type) {
    switch (type) {
      case 'arrayBuffer':
        return bytes.buffer.byteLength === bytes.byteLength ? bytes.buffer : bytes.slice().buffer;
      case 'stream':
        return new ReadableStream({
          type: 'bytes',
          start(controller) {
            if (bytes.byteLength) controller.enqueue(bytes);
            controller.close();
          },
        });
      case 'json':
        return JSON.parse(new TextDecoder().decode(bytes));
      default:
        return new TextDecoder().decode(bytes);
    }
  }

  class StaticContent {
    async get(key, options) {
      const type = typeof options === 'string' ? options : (options && options.type) || 'text';
      const bytes = native.siteGet(String(key));
      return bytes === null ? null : convert(bytes, type);
    }

    async getWithMetadata(key, options) {
      return { value: await this.get(key, options), metadata: null, cacheStatus: null };
    }

    async put() {
      throw new Error('__STATIC_CONTENT is read-only: it serves the [site] bucket');
    }

    async delete() {
      throw new Error('__STATIC_CONTENT is read-only: it serves the [site] bucket');
    }
  }
  internal.StaticContent = StaticContent;
})();

// The [assets] binding (env.ASSETS): fetch() answers from the worker's
// static assets with the handling the server applies in front of it.
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const internal = globalThis.__hearth_internal;

  class Fetcher {
    async fetch(input, init) {
      const request = new Request(input, init);
      const flat = [];
      for (const [name, value] of request.headers) flat.push(name, value);
      const [status, headers, body] = native.assetsFetch(request.method, request.url, flat);
      return internal.makeResponse(status, '', headers, body, null);
    }

    // Cloudflare's Fetcher also has connect(); assets cannot be a socket.
    connect() {
      throw new Error('connect() is not supported on an assets binding');
    }
  }
  internal.AssetsBinding = Fetcher;
})();

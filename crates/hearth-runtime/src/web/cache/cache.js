// The Cache API: caches.default and caches.open(name), stored by mod.rs beside this file
// under the worker's state folder. Follows Cloudflare's rules: only GET is
// cached, put() rejects 206 responses and `Vary: *`, responses carrying
// Set-Cookie are not stored (unless Cache-Control: private=Set-Cookie, which
// stores them without that header), and the lifetime comes from
// Cache-Control (s-maxage, then max-age), then Expires, then Cloudflare's
// default edge TTL for the status.
(function () {
  'use strict';
  const native = globalThis.__hearth_native;

  // Cloudflare's edge TTLs when a response says nothing (seconds).
  const DEFAULT_TTL = { 200: 7200, 206: 7200, 301: 7200, 302: 1200, 303: 1200, 404: 180, 410: 180 };

  function parseCacheControl(value) {
    const out = new Map();
    if (!value) return out;
    for (const part of value.split(',')) {
      const eq = part.indexOf('=');
      const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase();
      if (!name) continue;
      let arg = eq === -1 ? true : part.slice(eq + 1).trim();
      if (typeof arg === 'string' && arg.startsWith('"') && arg.endsWith('"')) arg = arg.slice(1, -1);
      if (!out.has(name)) out.set(name, arg);
    }
    return out;
  }

  const listHas = (arg, header) => typeof arg === 'string' && arg.toLowerCase().split(',').some((h) => h.trim() === header);

  // Milliseconds the response may be served from cache (0: do not store).
  function lifetime(response, cc) {
    if (cc.has('no-store') || cc.get('private') === true || cc.get('no-cache') === true) return 0;
    for (const name of ['s-maxage', 'max-age']) {
      if (cc.has(name)) {
        const seconds = Number.parseInt(cc.get(name), 10);
        return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
      }
    }
    const expires = response.headers.get('expires');
    if (expires !== null) {
      const at = Date.parse(expires);
      if (Number.isNaN(at)) return 0;
      const dateHeader = Date.parse(response.headers.get('date') || '');
      const now = Number.isNaN(dateHeader) ? Date.now() : dateHeader;
      return Math.max(0, at - now);
    }
    return (DEFAULT_TTL[response.status] || 0) * 1000;
  }

  function keyOf(request, options, what) {
    const req = request instanceof Request ? request : new Request(request);
    const ignoreMethod = !!(options && options.ignoreMethod);
    const url = new URL(req.url);
    url.hash = '';
    return { req, url: url.href, methodOk: ignoreMethod || req.method === 'GET', what };
  }

  function parseRange(header, size) {
    const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
    if (!m || (m[1] === '' && m[2] === '')) return null;
    let start, end;
    if (m[1] === '') {
      const suffix = Number(m[2]);
      start = Math.max(0, size - suffix);
      end = size - 1;
    } else {
      start = Number(m[1]);
      end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    }
    if (start > end || start >= size) return null;
    return [start, end];
  }

  class Cache {
    #name;
    constructor(name) {
      this.#name = name;
    }

    async put(request, response) {
      const key = keyOf(request, undefined, 'put');
      if (key.req.method !== 'GET') throw new TypeError('Cannot cache response to non-GET request.');
      if (!(response instanceof Response)) throw new TypeError("Failed to execute 'put' on 'Cache': parameter 2 is not of type 'Response'.");
      if (response.status === 206) throw new TypeError('Cannot cache response to a range request (206 Partial Content).');
      const vary = response.headers.get('vary');
      if (vary !== null && vary.split(',').some((v) => v.trim() === '*')) throw new TypeError("Cannot cache response with 'Vary: *' header.");
      if (response.bodyUsed) throw new TypeError('Body has already been used. It can only be used once. Use tee() first if you need to read it twice.');
      const headers = new Headers(response.headers);
      const cc = parseCacheControl(headers.get('cache-control'));
      const body = new Uint8Array(await response.arrayBuffer());
      if (headers.has('set-cookie')) {
        if (listHas(cc.get('private'), 'set-cookie') || listHas(cc.get('no-cache'), 'set-cookie')) headers.delete('set-cookie');
        else return undefined; // never cached, as on Cloudflare
      }
      const ttl = lifetime(response, cc);
      if (ttl <= 0) return undefined;
      const list = [];
      for (const [k, v] of headers) {
        if (k === 'set-cookie') continue;
        list.push(k, v);
      }
      native.cachePut([this.#name, key.url, response.statusText], response.status, list, body, Date.now() + ttl);
      return undefined;
    }

    async match(request, options) {
      const key = keyOf(request, options, 'match');
      if (!key.methodOk) return undefined;
      const found = native.cacheMatch(this.#name, key.url);
      if (found === null) return undefined;
      const [status, statusText, list, body] = found;
      const pairs = [];
      for (let i = 0; i < list.length; i += 2) pairs.push([list[i], list[i + 1]]);
      const headers = new Headers(pairs);
      headers.set('cf-cache-status', 'HIT');
      const etag = headers.get('etag');
      const inm = key.req.headers.get('if-none-match');
      if (etag !== null && inm !== null && inm.split(',').some((t) => t.trim() === etag || t.trim() === '*')) {
        return new Response(null, { status: 304, headers });
      }
      const lastModified = headers.get('last-modified');
      const ims = key.req.headers.get('if-modified-since');
      if (lastModified !== null && ims !== null && inm === null && Date.parse(lastModified) <= Date.parse(ims)) {
        return new Response(null, { status: 304, headers });
      }
      const range = key.req.headers.get('range');
      if (range !== null && status === 200) {
        const r = parseRange(range, body.length);
        if (r === null) {
          headers.set('content-range', `bytes */${body.length}`);
          return new Response(null, { status: 416, headers });
        }
        headers.set('content-range', `bytes ${r[0]}-${r[1]}/${body.length}`);
        headers.set('content-length', String(r[1] - r[0] + 1));
        return new Response(body.subarray(r[0], r[1] + 1), { status: 206, headers });
      }
      const nullBody = [101, 204, 205, 304].includes(status);
      return new Response(nullBody ? null : body, { status, statusText, headers });
    }

    async delete(request, options) {
      const key = keyOf(request, options, 'delete');
      if (!key.methodOk) return false;
      return native.cacheDelete(this.#name, key.url);
    }
  }
  Object.defineProperty(Cache.prototype, Symbol.toStringTag, { value: 'Cache', configurable: true });

  // The default cache has its own namespace that no open() name can reach.
  const DEFAULT_NAME = '\u0000default';

  class CacheStorage {
    #default = new Cache(DEFAULT_NAME);
    get default() {
      return this.#default;
    }
    async open(name) {
      if (arguments.length < 1) throw new TypeError("Failed to execute 'open' on 'CacheStorage': 1 argument required, but only 0 present.");
      const n = String(name);
      if (n.length > 1024) throw new TypeError('Cache name is too long.');
      return new Cache(n);
    }
  }
  Object.defineProperty(CacheStorage.prototype, Symbol.toStringTag, { value: 'CacheStorage', configurable: true });

  Object.defineProperty(globalThis, 'Cache', { value: Cache, writable: true, configurable: true });
  Object.defineProperty(globalThis, 'CacheStorage', { value: CacheStorage, writable: true, configurable: true });
  Object.defineProperty(globalThis, 'caches', { value: new CacheStorage(), writable: true, configurable: true, enumerable: true });
})();

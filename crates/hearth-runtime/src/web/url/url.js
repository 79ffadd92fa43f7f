// URL (parsing delegated to the host's natives) and URLSearchParams.
(() => {
  'use strict';

  const internal = (globalThis.__hearth_internal ||= {});
  const natives = globalThis.__hearth_native;
  const native = () => natives;

  const define = (name, value) => {
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
  };
  const tag = (cls) => {
    Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: cls.name, configurable: true });
  };

  // USVString conversion: lone surrogates become U+FFFD.
  const toUSV = typeof String.prototype.toWellFormed === 'function'
    ? (v) => String(v).toWellFormed()
    : (v) => String(v).replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

  // ---- application/x-www-form-urlencoded ----------------------------------

  const FORM_EXTRA = { '!': '%21', "'": '%27', '(': '%28', ')': '%29', '~': '%7E', '%20': '+' };
  // encodeURIComponent leaves !'()~ alone, which the urlencoded serializer escapes.
  const formEncode = (s) => encodeURIComponent(s).replace(/[!'()~]|%20/g, (m) => FORM_EXTRA[m]);

  const hexVal = (c) => (c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1);

  // Lenient percent-decoding: malformed escapes stay literal, invalid UTF-8 becomes U+FFFD.
  function percentDecode(s) {
    if (s.indexOf('%') === -1) return s;
    try {
      return decodeURIComponent(s);
    } catch {
      const bytes = internal.encodeUtf8(s);
      const out = new Uint8Array(bytes.length);
      let j = 0;
      for (let i = 0; i < bytes.length; i++) {
        const b = bytes[i];
        if (b === 0x25 && i + 2 < bytes.length) {
          const h = hexVal(bytes[i + 1]), l = hexVal(bytes[i + 2]);
          if (h !== -1 && l !== -1) {
            out[j++] = (h << 4) | l;
            i += 2;
            continue;
          }
        }
        out[j++] = b;
      }
      return internal.decodeUtf8(out.subarray(0, j));
    }
  }

  function parseUrlencoded(input) {
    const list = [];
    for (const seq of input.split('&')) {
      if (seq === '') continue;
      const eq = seq.indexOf('=');
      let name = eq === -1 ? seq : seq.slice(0, eq);
      let value = eq === -1 ? '' : seq.slice(eq + 1);
      if (name.indexOf('+') !== -1) name = name.replace(/\+/g, ' ');
      if (value.indexOf('+') !== -1) value = value.replace(/\+/g, ' ');
      list.push([percentDecode(name), percentDecode(value)]);
    }
    return list;
  }

  const serializeUrlencoded = (list) => list.map(([n, v]) => `${formEncode(n)}=${formEncode(v)}`).join('&');

  internal.parseUrlencoded = parseUrlencoded;
  internal.serializeUrlencoded = serializeUrlencoded;

  // ---- URLSearchParams ----------------------------------------------------

  const argCheck = (n, required, method) => {
    if (n < required) {
      throw new TypeError(`Failed to execute '${method}' on 'URLSearchParams': ${required} argument${required > 1 ? 's' : ''} required, but only ${n} present.`);
    }
  };

  let updateUrlQuery;

  class URLSearchParams {
    #list = [];
    #url = null;

    constructor(init = '') {
      if (init !== null && typeof init === 'object' || typeof init === 'function') {
        if (init instanceof URLSearchParams) {
          this.#list = init.#list.map(([n, v]) => [n, v]);
        } else if (typeof init[Symbol.iterator] === 'function') {
          for (const pair of init) {
            if (pair === null || typeof pair !== 'object' || typeof pair[Symbol.iterator] !== 'function') {
              throw new TypeError("Failed to construct 'URLSearchParams': The provided value cannot be converted to a sequence.");
            }
            const items = Array.from(pair);
            if (items.length !== 2) {
              throw new TypeError("Failed to construct 'URLSearchParams': Sequence initializer must only contain pair elements");
            }
            this.#list.push([toUSV(items[0]), toUSV(items[1])]);
          }
        } else {
          for (const key of Reflect.ownKeys(init)) {
            if (typeof key !== 'string') continue;
            const desc = Reflect.getOwnPropertyDescriptor(init, key);
            if (desc && desc.enumerable) this.#list.push([toUSV(key), toUSV(init[key])]);
          }
        }
      } else {
        let s = toUSV(init);
        if (s.charCodeAt(0) === 0x3f) s = s.slice(1);
        this.#list = parseUrlencoded(s);
      }
    }

    get size() { return this.#list.length; }

    append(name, value) {
      argCheck(arguments.length, 2, 'append');
      this.#list.push([toUSV(name), toUSV(value)]);
      this.#update();
    }

    delete(name, value = undefined) {
      argCheck(arguments.length, 1, 'delete');
      name = toUSV(name);
      if (value === undefined) {
        this.#list = this.#list.filter((p) => p[0] !== name);
      } else {
        value = toUSV(value);
        this.#list = this.#list.filter((p) => p[0] !== name || p[1] !== value);
      }
      this.#update();
    }

    get(name) {
      argCheck(arguments.length, 1, 'get');
      name = toUSV(name);
      const p = this.#list.find((p) => p[0] === name);
      return p ? p[1] : null;
    }

    getAll(name) {
      argCheck(arguments.length, 1, 'getAll');
      name = toUSV(name);
      return this.#list.filter((p) => p[0] === name).map((p) => p[1]);
    }

    has(name, value = undefined) {
      argCheck(arguments.length, 1, 'has');
      name = toUSV(name);
      if (value === undefined) return this.#list.some((p) => p[0] === name);
      value = toUSV(value);
      return this.#list.some((p) => p[0] === name && p[1] === value);
    }

    set(name, value) {
      argCheck(arguments.length, 2, 'set');
      name = toUSV(name);
      value = toUSV(value);
      const i = this.#list.findIndex((p) => p[0] === name);
      if (i === -1) {
        this.#list.push([name, value]);
      } else {
        this.#list[i][1] = value;
        this.#list = this.#list.filter((p, j) => j <= i || p[0] !== name);
      }
      this.#update();
    }

    sort() {
      // Stable sort by UTF-16 code units, which is exactly what the default comparison does.
      this.#list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      this.#update();
    }

    forEach(callback, thisArg = undefined) {
      argCheck(arguments.length, 1, 'forEach');
      if (typeof callback !== 'function') {
        throw new TypeError("Failed to execute 'forEach' on 'URLSearchParams': The callback provided as parameter 1 is not a function.");
      }
      for (let i = 0; i < this.#list.length; i++) {
        const [n, v] = this.#list[i];
        callback.call(thisArg, v, n, this);
      }
    }

    *entries() { for (let i = 0; i < this.#list.length; i++) yield [this.#list[i][0], this.#list[i][1]]; }
    *keys() { for (let i = 0; i < this.#list.length; i++) yield this.#list[i][0]; }
    *values() { for (let i = 0; i < this.#list.length; i++) yield this.#list[i][1]; }

    toString() { return serializeUrlencoded(this.#list); }

    #update() {
      if (this.#url) updateUrlQuery(this.#url, serializeUrlencoded(this.#list));
    }

    static {
      internal.linkSearchParams = (params, url) => { params.#url = url; };
      internal.resetSearchParams = (params, search) => {
        params.#list = parseUrlencoded(search.charCodeAt(0) === 0x3f ? search.slice(1) : search);
      };
      internal.searchParamsList = (params) => params.#list;
    }
  }
  Object.defineProperty(URLSearchParams.prototype, Symbol.iterator, {
    value: URLSearchParams.prototype.entries, writable: true, configurable: true,
  });
  tag(URLSearchParams);
  define('URLSearchParams', URLSearchParams);

  // ---- URL ----------------------------------------------------------------

  const parse = (url, base) => native().urlParse(toUSV(url), base === undefined ? undefined : toUSV(base));

  // A parsed URL is `[href, ...offsets into href]` from the host (mod.rs beside this file):
  // the getters slice href on demand instead of the host building every component.
  const SCHEME_END = 1, USER = 2, USER_END = 3, PASS = 4, PASS_END = 5, HOST = 6, HOST_END = 7,
    PORT = 8, PORT_END = 9, PATH = 10, PATH_END = 11, QUERY_END = 12;
  const part = (c, from, to) => c[0].slice(c[from], c[to]);
  // A lone "?" or "#" (an empty query or fragment) reads as "".
  const marked = (s) => (s.length > 1 ? s : '');

  class URL {
    #c;
    #params = null;

    constructor(url, base = undefined) {
      if (arguments.length === 0) throw new TypeError("Failed to construct 'URL': 1 argument required, but only 0 present.");
      const c = parse(url, base);
      if (c === null) throw new TypeError(`Invalid URL: ${String(url)}`);
      this.#c = c;
    }

    static canParse(url, base = undefined) {
      if (arguments.length === 0) throw new TypeError("Failed to execute 'canParse' on 'URL': 1 argument required, but only 0 present.");
      return parse(url, base) !== null;
    }

    static parse(url, base = undefined) {
      if (arguments.length === 0) throw new TypeError("Failed to execute 'parse' on 'URL': 1 argument required, but only 0 present.");
      try {
        return new URL(url, base);
      } catch {
        return null;
      }
    }

    get href() { return this.#c[0]; }
    set href(value) {
      const c = parse(value, undefined);
      if (c === null) throw new TypeError(`Invalid URL: ${String(value)}`);
      this.#c = c;
      this.#syncParams();
    }
    get origin() { return native().urlOrigin(this.#c[0]); }
    get protocol() { return this.#c[0].slice(0, this.#c[SCHEME_END] + 1); }
    set protocol(v) { this.#set('protocol', v); }
    get username() { return part(this.#c, USER, USER_END); }
    set username(v) { this.#set('username', v); }
    get password() { return part(this.#c, PASS, PASS_END); }
    set password(v) { this.#set('password', v); }
    get host() {
      const c = this.#c;
      return c[PORT] === c[PORT_END] ? part(c, HOST, HOST_END) : part(c, HOST, PORT_END);
    }
    set host(v) { this.#set('host', v); }
    get hostname() { return part(this.#c, HOST, HOST_END); }
    set hostname(v) { this.#set('hostname', v); }
    get port() { return part(this.#c, PORT, PORT_END); }
    set port(v) { this.#set('port', v); }
    get pathname() { return part(this.#c, PATH, PATH_END); }
    set pathname(v) { this.#set('pathname', v); }
    get search() { return marked(part(this.#c, PATH_END, QUERY_END)); }
    set search(v) {
      this.#set('search', v);
      this.#syncParams();
    }
    get hash() { return marked(this.#c[0].slice(this.#c[QUERY_END])); }
    set hash(v) { this.#set('hash', v); }

    get searchParams() {
      if (this.#params === null) {
        this.#params = new URLSearchParams(this.search);
        internal.linkSearchParams(this.#params, this);
      }
      return this.#params;
    }

    toString() { return this.#c[0]; }
    toJSON() { return this.#c[0]; }

    #set(field, value) {
      const c = native().urlSet(this.#c[0], field, toUSV(value));
      if (c) this.#c = c;
    }

    #syncParams() {
      if (this.#params !== null) internal.resetSearchParams(this.#params, this.search);
    }

    static {
      updateUrlQuery = (url, serialized) => {
        // An empty list removes the query entirely (no trailing "?").
        url.#set('search', serialized);
      };
      internal.urlHref = (v) => (v !== null && typeof v === 'object' && #c in v ? v.#c[0] : undefined);
    }
  }
  tag(URL);
  define('URL', URL);
})();

// Headers, Blob, File, FormData, Request and Response, plus the host-facing helpers in
// __hearth_internal (bodySource, makeRequest, headersList, responseParts).
//
// Hot path: the host builds requests with makeRequest() and reads responses with
// responseParts(); both avoid creating Headers objects or streams unless user code
// asks for them, and string bodies stay strings all the way to the host.
(() => {
  'use strict';

  const internal = (globalThis.__hearth_internal ||= {});
  const streams = internal.streams;
  const encodeUtf8 = internal.encodeUtf8;
  const decodeUtf8 = internal.decodeUtf8;

  const define = (name, value) => {
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
  };
  const tag = (cls) => {
    Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: cls.name, configurable: true });
  };

  const INTERNAL = Symbol('internal constructor');

  // ---- Headers ------------------------------------------------------------

  const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  const HTTP_WS_EDGES = /^[\t\n\r ]+|[\t\n\r ]+$/g;
  const INVALID_VALUE = /[\0\r\n]/;

  const normalizeName = (name) => {
    const n = String(name);
    if (!TOKEN.test(n)) throw new TypeError(`Invalid header name: "${n}"`);
    return n.toLowerCase();
  };
  const normalizeValue = (value) => {
    const v = String(value).replace(HTTP_WS_EDGES, '');
    if (INVALID_VALUE.test(v)) throw new TypeError(`Invalid header value: "${v}"`);
    return v;
  };

  class Headers {
    // Flat [name, value, ...] with lower-cased names, in insertion order.
    #list = [];
    #guard = 'none';

    constructor(init = undefined) {
      if (init === INTERNAL) return;
      if (init === undefined || init === null) {
        if (init === null) throw new TypeError("Failed to construct 'Headers': The provided value is not of type '(record<ByteString, ByteString> or sequence<sequence<ByteString>>)'.");
        return;
      }
      if (typeof init !== 'object' && typeof init !== 'function') {
        throw new TypeError("Failed to construct 'Headers': The provided value is not of type '(record<ByteString, ByteString> or sequence<sequence<ByteString>>)'.");
      }
      // Another Headers with its own iterator is copied directly (a private
      // brand check: `instanceof` would be visible to a Proxy init).
      const iterator = init[Symbol.iterator];
      if (#list in init && iterator === Headers.prototype.entries) {
        this.#list = init.#list.slice();
      } else if (typeof iterator === 'function') {
        for (const pair of init) {
          if (pair === null || typeof pair !== 'object' || typeof pair[Symbol.iterator] !== 'function') {
            throw new TypeError("Failed to construct 'Headers': The provided value cannot be converted to a sequence.");
          }
          const items = Array.from(pair);
          if (items.length !== 2) throw new TypeError("Failed to construct 'Headers': Invalid value");
          this.#list.push(normalizeName(items[0]), normalizeValue(items[1]));
        }
      } else {
        // record<ByteString, ByteString>: every own key's descriptor is read;
        // an enumerable symbol key cannot become a ByteString (TypeError).
        for (const key of Reflect.ownKeys(init)) {
          const desc = Reflect.getOwnPropertyDescriptor(init, key);
          if (desc === undefined || !desc.enumerable) continue;
          if (typeof key === 'symbol') throw new TypeError("Failed to construct 'Headers': a header name cannot be a Symbol.");
          this.#list.push(normalizeName(key), normalizeValue(init[key]));
        }
      }
    }

    #checkMutable() {
      if (this.#guard === 'immutable') throw new TypeError("Can't modify immutable headers.");
    }

    append(name, value) {
      if (arguments.length < 2) throw new TypeError(`Failed to execute 'append' on 'Headers': 2 arguments required, but only ${arguments.length} present.`);
      const n = normalizeName(name), v = normalizeValue(value);
      this.#checkMutable();
      this.#list.push(n, v);
    }

    delete(name) {
      if (arguments.length < 1) throw new TypeError("Failed to execute 'delete' on 'Headers': 1 argument required, but only 0 present.");
      const n = normalizeName(name);
      this.#checkMutable();
      const l = this.#list;
      const out = [];
      for (let i = 0; i < l.length; i += 2) if (l[i] !== n) out.push(l[i], l[i + 1]);
      this.#list = out;
    }

    get(name) {
      if (arguments.length < 1) throw new TypeError("Failed to execute 'get' on 'Headers': 1 argument required, but only 0 present.");
      return getHeader(this.#list, normalizeName(name));
    }

    getSetCookie() {
      const l = this.#list, out = [];
      for (let i = 0; i < l.length; i += 2) if (l[i] === 'set-cookie') out.push(l[i + 1]);
      return out;
    }

    has(name) {
      if (arguments.length < 1) throw new TypeError("Failed to execute 'has' on 'Headers': 1 argument required, but only 0 present.");
      const n = normalizeName(name), l = this.#list;
      for (let i = 0; i < l.length; i += 2) if (l[i] === n) return true;
      return false;
    }

    set(name, value) {
      if (arguments.length < 2) throw new TypeError(`Failed to execute 'set' on 'Headers': 2 arguments required, but only ${arguments.length} present.`);
      const n = normalizeName(name), v = normalizeValue(value);
      this.#checkMutable();
      setHeader(this, n, v);
    }

    forEach(callback, thisArg = undefined) {
      if (typeof callback !== 'function') throw new TypeError("Failed to execute 'forEach' on 'Headers': parameter 1 is not of type 'Function'.");
      const sorted = sortAndCombine(this.#list);
      for (let i = 0; i < sorted.length; i += 2) callback.call(thisArg, sorted[i + 1], sorted[i], this);
    }

    entries() { return headersIterator(this, 'entries'); }
    keys() { return headersIterator(this, 'keys'); }
    values() { return headersIterator(this, 'values'); }

    static {
      // Fast constructor for trusted, already-normalized flat lists (host input).
      headersFromList = (list, guard) => {
        const h = new Headers(INTERNAL);
        h.#list = list;
        h.#guard = guard;
        return h;
      };
      headersListOf = (h) => h.#list;
      // Replaces the first entry named n in place and drops the others.
      setHeader = (h, n, v) => {
        const l = h.#list;
        const out = [];
        let placed = false;
        for (let j = 0; j < l.length; j += 2) {
          if (l[j] !== n) out.push(l[j], l[j + 1]);
          else if (!placed) {
            out.push(n, v);
            placed = true;
          }
        }
        if (!placed) out.push(n, v);
        h.#list = out;
      };
      setGuard = (h, guard) => { h.#guard = guard; };
    }
  }
  var headersFromList, headersListOf, setHeader, setGuard;

  // Web IDL pair iterators: `next` is an own method of a prototype that
  // inherits from %IteratorPrototype%, and every step reads the headers'
  // current sorted list, so changes made while iterating are seen.
  const iteratorState = new WeakMap();
  const HeadersIteratorPrototype = Object.create(Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())), {
    next: {
      value: function next() {
        const it = iteratorState.get(this);
        if (it === undefined) throw new TypeError("Failed to execute 'next' on 'Headers Iterator': Illegal invocation");
        // Re-sorted only when the list changed (append pushes, the rest replace it).
        const list = headersListOf(it.headers);
        if (it.list !== list || it.length !== list.length) {
          it.list = list;
          it.length = list.length;
          it.sorted = sortAndCombine(list);
        }
        const sorted = it.sorted;
        const i = it.index * 2;
        if (i >= sorted.length) return { value: undefined, done: true };
        it.index++;
        const value = it.kind === 'keys' ? sorted[i] : it.kind === 'values' ? sorted[i + 1] : [sorted[i], sorted[i + 1]];
        return { value, done: false };
      },
      writable: true, enumerable: true, configurable: true,
    },
    [Symbol.toStringTag]: { value: 'Headers Iterator', configurable: true },
  });
  const headersIterator = (headers, kind) => {
    headersListOf(headers); // brand check
    const it = Object.create(HeadersIteratorPrototype);
    iteratorState.set(it, { headers, kind, index: 0, list: null, length: 0, sorted: null });
    return it;
  };
  Object.defineProperty(Headers.prototype, Symbol.iterator, { value: Headers.prototype.entries, writable: true, configurable: true });
  tag(Headers);
  define('Headers', Headers);

  function getHeader(list, n) {
    let out = null;
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] === n) out = out === null ? list[i + 1] : `${out}, ${list[i + 1]}`;
    }
    return out;
  }

  // Sorted by name, duplicate names joined with ", " except set-cookie which stays separate.
  function sortAndCombine(list) {
    const names = [];
    for (let i = 0; i < list.length; i += 2) if (!names.includes(list[i])) names.push(list[i]);
    names.sort();
    const out = [];
    for (const n of names) {
      if (n === 'set-cookie') {
        for (let i = 0; i < list.length; i += 2) if (list[i] === n) out.push(n, list[i + 1]);
      } else {
        out.push(n, getHeader(list, n));
      }
    }
    return out;
  }

  const hasDuplicates = (list) => {
    for (let i = 2; i < list.length; i += 2) {
      for (let j = 0; j < i; j += 2) if (list[i] === list[j]) return true;
    }
    return false;
  };

  // ---- Blob / File --------------------------------------------------------

  const TypedArray = Object.getPrototypeOf(Uint8Array);

  const normalizeType = (t) => {
    const s = String(t);
    return /^[\x20-\x7e]*$/.test(s) ? s.toLowerCase() : '';
  };

  const concat = (chunks, total) => {
    if (chunks.length === 1) return chunks[0];
    const out = new Uint8Array(total);
    let o = 0;
    for (const c of chunks) {
      out.set(c, o);
      o += c.byteLength;
    }
    return out;
  };

  class Blob {
    // Immutable contents; slices share memory with their parent.
    #bytes;
    #type;

    constructor(blobParts = undefined, options = undefined) {
      if (blobParts === INTERNAL) {
        this.#bytes = options.bytes;
        this.#type = options.type;
        return;
      }
      // Web IDL order: the parts are converted first, then the options
      // dictionary (endings, then type); strings are encoded last, once the
      // line-ending mode is known.
      const parts = [];
      if (blobParts !== undefined) {
        if (blobParts === null || (typeof blobParts !== 'object' && typeof blobParts !== 'function') ||
            typeof blobParts[Symbol.iterator] !== 'function') {
          throw new TypeError("Failed to construct 'Blob': The provided value cannot be converted to a sequence.");
        }
        for (const part of blobParts) {
          if (part !== null && typeof part === 'object' && #bytes in part) parts.push(part.#bytes);
          else if (part instanceof ArrayBuffer) parts.push(new Uint8Array(part.slice(0)));
          else if (ArrayBuffer.isView(part)) parts.push(new Uint8Array(part.buffer, part.byteOffset, part.byteLength).slice());
          else parts.push(String(part));
        }
      }
      if (options != null && typeof options !== 'object' && typeof options !== 'function') {
        throw new TypeError("Failed to construct 'Blob': The provided value is not of type 'BlobPropertyBag'.");
      }
      const rawEndings = options == null ? undefined : options.endings;
      const endings = rawEndings === undefined ? 'transparent' : String(rawEndings);
      if (endings !== 'transparent' && endings !== 'native') {
        throw new TypeError(`Failed to construct 'Blob': The provided value '${endings}' is not a valid enum value of type EndingType.`);
      }
      const rawType = options == null ? undefined : options.type;
      const type = rawType === undefined ? '' : normalizeType(rawType);
      let total = 0;
      for (let i = 0; i < parts.length; i++) {
        if (typeof parts[i] === 'string') {
          // "native" line endings are LF here (the platform hearth runs on).
          parts[i] = encodeUtf8(endings === 'native' ? parts[i].replace(/\r\n?/g, '\n') : parts[i]);
        }
        total += parts[i].byteLength;
      }
      this.#bytes = total === 0 ? new Uint8Array(0) : concat(parts, total);
      this.#type = type;
    }

    get size() { return this.#bytes.byteLength; }
    get type() { return this.#type; }

    slice(start = undefined, end = undefined, contentType = undefined) {
      const size = this.#bytes.byteLength;
      const rel = (v, dflt) => {
        if (v === undefined) return dflt;
        const n = Math.trunc(Number(v)) || 0;
        return n < 0 ? Math.max(size + n, 0) : Math.min(n, size);
      };
      const from = rel(start, 0), to = rel(end, size);
      const bytes = this.#bytes.subarray(from, Math.max(from, to));
      return new Blob(INTERNAL, { bytes, type: contentType === undefined ? '' : normalizeType(contentType) });
    }

    text() { return Promise.resolve(decodeUtf8(this.#bytes)); }
    arrayBuffer() { return Promise.resolve(this.#bytes.slice().buffer); }
    bytes() { return Promise.resolve(this.#bytes.slice()); }
    stream() { return streams.fromBytes(this.#bytes.slice()); }

    static {
      blobBytes = (b) => b.#bytes;
      newBlob = (bytes, type) => new Blob(INTERNAL, { bytes, type });
    }
  }
  var blobBytes, newBlob;
  tag(Blob);
  define('Blob', Blob);

  class File extends Blob {
    #name;
    #lastModified;
    constructor(fileBits, fileName, options = undefined) {
      if (arguments.length < 2) throw new TypeError(`Failed to construct 'File': 2 arguments required, but only ${arguments.length} present.`);
      super(fileBits, options);
      this.#name = String(fileName);
      this.#lastModified = options != null && options.lastModified !== undefined ? Number(options.lastModified) : Date.now();
    }
    get name() { return this.#name; }
    get lastModified() { return this.#lastModified; }
  }
  tag(File);
  define('File', File);

  const cloners = internal.structuredCloners;
  if (cloners) {
    cloners.set(Blob.prototype, (b) => newBlob(blobBytes(b), b.type));
    cloners.set(File.prototype, (f) => new File([f], f.name, { type: f.type, lastModified: f.lastModified }));
  }

  // ---- FormData -----------------------------------------------------------

  const toEntryValue = (value, filename, argCount) => {
    if (value instanceof Blob) {
      const name = filename !== undefined ? String(filename) : value instanceof File ? value.name : 'blob';
      if (value instanceof File && filename === undefined) return value;
      return new File([value], name, { type: value.type, lastModified: value instanceof File ? value.lastModified : undefined });
    }
    if (argCount > 2) throw new TypeError("Failed to execute on 'FormData': parameter 2 is not of type 'Blob'.");
    return String(value);
  };

  class FormData {
    #list = [];
    constructor(form = undefined) {
      if (form !== undefined) throw new TypeError("Failed to construct 'FormData': parameter 1 is not of type 'HTMLFormElement'.");
    }
    append(name, value, filename = undefined) {
      if (arguments.length < 2) throw new TypeError(`Failed to execute 'append' on 'FormData': 2 arguments required, but only ${arguments.length} present.`);
      this.#list.push([String(name), toEntryValue(value, filename, arguments.length)]);
    }
    delete(name) {
      name = String(name);
      this.#list = this.#list.filter((e) => e[0] !== name);
    }
    get(name) {
      name = String(name);
      const e = this.#list.find((e) => e[0] === name);
      return e ? e[1] : null;
    }
    getAll(name) {
      name = String(name);
      return this.#list.filter((e) => e[0] === name).map((e) => e[1]);
    }
    has(name) {
      name = String(name);
      return this.#list.some((e) => e[0] === name);
    }
    set(name, value, filename = undefined) {
      if (arguments.length < 2) throw new TypeError(`Failed to execute 'set' on 'FormData': 2 arguments required, but only ${arguments.length} present.`);
      name = String(name);
      const entry = [name, toEntryValue(value, filename, arguments.length)];
      const out = [];
      let placed = false;
      for (const e of this.#list) {
        if (e[0] !== name) out.push(e);
        else if (!placed) {
          out.push(entry);
          placed = true;
        }
      }
      if (!placed) out.push(entry);
      this.#list = out;
    }
    forEach(callback, thisArg = undefined) {
      if (typeof callback !== 'function') throw new TypeError("Failed to execute 'forEach' on 'FormData': parameter 1 is not of type 'Function'.");
      for (let i = 0; i < this.#list.length; i++) callback.call(thisArg, this.#list[i][1], this.#list[i][0], this);
    }
    *entries() { for (let i = 0; i < this.#list.length; i++) yield [this.#list[i][0], this.#list[i][1]]; }
    *keys() { for (let i = 0; i < this.#list.length; i++) yield this.#list[i][0]; }
    *values() { for (let i = 0; i < this.#list.length; i++) yield this.#list[i][1]; }
    static {
      formDataList = (fd) => fd.#list;
    }
  }
  var formDataList;
  Object.defineProperty(FormData.prototype, Symbol.iterator, { value: FormData.prototype.entries, writable: true, configurable: true });
  tag(FormData);
  define('FormData', FormData);

  const escapeMultipartName = (s) => s.replace(/\r\n|\r|\n/g, '\r\n').replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22');

  function serializeMultipart(fd) {
    let boundary = '----hearthFormBoundary';
    for (let i = 0; i < 16; i++) boundary += 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(Math.random() * 36)];
    const chunks = [];
    let total = 0;
    const push = (bytes) => {
      chunks.push(bytes);
      total += bytes.byteLength;
    };
    for (const [name, value] of formDataList(fd)) {
      let head = `--${boundary}\r\nContent-Disposition: form-data; name="${escapeMultipartName(name.replace(/\r(?!\n)|(?<!\r)\n/g, '\r\n'))}"`;
      if (typeof value === 'string') {
        push(encodeUtf8(`${head}\r\n\r\n${value.replace(/\r(?!\n)|(?<!\r)\n/g, '\r\n')}\r\n`));
      } else {
        head += `; filename="${escapeMultipartName(value.name)}"\r\nContent-Type: ${value.type || 'application/octet-stream'}\r\n\r\n`;
        push(encodeUtf8(head));
        push(blobBytes(value));
        push(encodeUtf8('\r\n'));
      }
    }
    push(encodeUtf8(`--${boundary}--\r\n`));
    return { bytes: concat(chunks, total), contentType: `multipart/form-data; boundary=${boundary}` };
  }

  // Reads a parameter (e.g. boundary) from a Content-Type value, unquoting if needed.
  function mimeParam(contentType, key) {
    const re = new RegExp(`;\\s*${key}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, 'i');
    const m = re.exec(contentType);
    if (!m) return null;
    return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
  }

  const latin1 = (bytes) => {
    let s = '';
    for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
    return s;
  };

  function parseMultipart(bytes, boundary) {
    const fail = () => new TypeError('Failed to parse body as FormData.');
    // Latin-1 keeps one char per byte, so string offsets are byte offsets.
    const text = latin1(bytes);
    const delim = `--${boundary}`;
    const fd = new FormData();
    const list = formDataList(fd);
    let pos = text.indexOf(delim);
    if (pos === -1) throw fail();
    for (;;) {
      pos += delim.length;
      if (text.startsWith('--', pos)) break;
      if (!text.startsWith('\r\n', pos)) throw fail();
      pos += 2;
      const headerEnd = text.indexOf('\r\n\r\n', pos);
      if (headerEnd === -1) throw fail();
      let name = null, filename = null, type = '';
      for (const line of text.slice(pos, headerEnd).split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon === -1) continue;
        const key = line.slice(0, colon).trim().toLowerCase();
        const value = decodeUtf8(Uint8Array.from(line.slice(colon + 1).trim(), (c) => c.charCodeAt(0)));
        if (key === 'content-disposition') {
          name = mimeParam(value, 'name');
          filename = mimeParam(value, 'filename');
        } else if (key === 'content-type') {
          type = value;
        }
      }
      if (name === null) throw fail();
      const bodyStart = headerEnd + 4;
      const next = text.indexOf(`\r\n${delim}`, bodyStart);
      if (next === -1) throw fail();
      const body = bytes.subarray(bodyStart, next);
      const decodeName = (s) => s.replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%22/g, '"');
      // Before formdata_parser_supports_files (2021-11-03) files were read as text.
      if (filename !== null && internal.compat.formdata_parser_supports_files) {
        list.push([decodeName(name), new File([body], decodeName(filename), { type })]);
      } else {
        list.push([decodeName(name), decodeUtf8(body)]);
      }
      pos = next + 2;
    }
    return fd;
  }

  // ---- Body ---------------------------------------------------------------

  // Converts a BodyInit into { source, contentType }; source is null, a string, a
  // Uint8Array (owned, never shared with user code) or a ReadableStream.
  function extractBody(init) {
    if (init === null || init === undefined) return { source: null, contentType: null };
    if (typeof init === 'string') return { source: init, contentType: 'text/plain;charset=UTF-8' };
    if (typeof init === 'object') {
      if (init instanceof ArrayBuffer) return { source: new Uint8Array(init.slice(0)), contentType: null };
      if (ArrayBuffer.isView(init)) {
        return { source: new Uint8Array(init.buffer, init.byteOffset, init.byteLength).slice(), contentType: null };
      }
      if (init instanceof Blob) return { source: blobBytes(init), contentType: init.type || null };
      if (init instanceof URLSearchParams) {
        return { source: encodeUtf8(init.toString()), contentType: 'application/x-www-form-urlencoded;charset=UTF-8' };
      }
      if (init instanceof FormData) {
        const { bytes, contentType } = serializeMultipart(init);
        return { source: bytes, contentType };
      }
      if (init instanceof ReadableStream) {
        if (streams.isDisturbed(init) || init.locked) throw new TypeError('ReadableStream body is already used or locked');
        return { source: init, contentType: null };
      }
    }
    return { source: String(init), contentType: 'text/plain;charset=UTF-8' };
  }

  const usedError = () => new TypeError('Body has already been used. It can only be used once. Use tee() first if you need to read it twice.');

  // Request and Response keep ALL per-instance state (body included) in one private
  // field `#s` holding a fixed-layout array (array literals are several times cheaper
  // than object literals in QuickJS). QuickJS is slow at constructing derived classes
  // (super() chain) and at running many private-field initializers, so both classes
  // are base classes with a single field; Body only supplies the shared mixin members
  // and is spliced into the prototype chain below so `instanceof`/getPrototypeOf look
  // the same as `class Request extends Body`. Body is never exposed as a global.
  //
  // Slots shared by both classes, so the body helpers need not know which it is:
  const S_SOURCE = 0; // null | string | Uint8Array | ReadableStream
  const S_USED = 1; // boolean
  const S_HEADERS = 2; // Headers | null
  const S_LIST = 3; // flat header list used until .headers is first read (then null)
  const S_GUARD = 4; // Headers guard applied when .headers is materialized

  // Set by the static blocks of Request/Response; undefined for anything else.
  var requestState, responseState;
  const stateOf = (v) => {
    const s = requestState(v);
    return s !== undefined ? s : responseState(v);
  };
  const listOf = (s) => (s[S_HEADERS] !== null ? headersListOf(s[S_HEADERS]) : s[S_LIST]);
  const contentTypeOf = (s) => getHeader(listOf(s), 'content-type');

  const bodyUsedOf = (s) => {
    if (s[S_USED]) return true;
    const src = s[S_SOURCE];
    return src instanceof ReadableStream && streams.isDisturbed(src);
  };
  // Resolves with a string (if the source was one) or a Uint8Array.
  const consume = (obj, s) => {
    if (obj.bodyUsed) return Promise.reject(usedError());
    const src = s[S_SOURCE];
    if (src instanceof ReadableStream && src.locked) return Promise.reject(new TypeError('Body is locked by a reader'));
    // A null body reads as empty and stays unused (bodyUsed is about a stream).
    if (src === null) return Promise.resolve(new Uint8Array(0));
    s[S_USED] = true;
    if (src instanceof ReadableStream) return streams.readAllBytes(src);
    return Promise.resolve(src);
  };
  // Hands the source to the host or a new Request; the original reads as used.
  const takeSource = (s) => {
    if (s[S_SOURCE] !== null) s[S_USED] = true;
    return s[S_SOURCE];
  };
  // Tees a stream source so the clone and the original read independently.
  const cloneSource = (obj, s) => {
    if (obj.bodyUsed) throw new TypeError('Cannot clone a body that has already been used');
    const src = s[S_SOURCE];
    if (!(src instanceof ReadableStream)) return src;
    const [a, b] = src.tee();
    s[S_SOURCE] = a;
    return b;
  };
  const illegalInvocation = () => Promise.reject(new TypeError('Illegal invocation'));
  const checkedState = (v) => {
    const s = stateOf(v);
    if (s === undefined) throw new TypeError('Illegal invocation');
    return s;
  };

  // Promise-returning methods reject (rather than throw) on a wrong receiver, as Web IDL requires.
  class Body {
    get body() {
      const s = checkedState(this);
      const src = s[S_SOURCE];
      if (src === null || src instanceof ReadableStream) return src;
      if (s[S_USED]) {
        // Read through text()/arrayBuffer()/...: the stream that body would
        // have been is locked to that read and disturbed.
        const stream = streams.fromBytes(new Uint8Array(0));
        stream.getReader().read();
        s[S_SOURCE] = stream;
        return stream;
      }
      // Materialize lazily; from now on the stream is the source of truth.
      const stream = streams.fromBytes(typeof src === 'string' ? encodeUtf8(src) : src);
      s[S_SOURCE] = stream;
      return stream;
    }

    get bodyUsed() { return bodyUsedOf(checkedState(this)); }

    text() {
      const s = stateOf(this);
      if (s === undefined) return illegalInvocation();
      return consume(this, s).then((v) => (typeof v === 'string' ? v : decodeUtf8(v)));
    }
    json() {
      const s = stateOf(this);
      if (s === undefined) return illegalInvocation();
      return this.text().then((t) => JSON.parse(t));
    }
    arrayBuffer() {
      const s = stateOf(this);
      if (s === undefined) return illegalInvocation();
      return consume(this, s).then((v) => (typeof v === 'string' ? encodeUtf8(v) : v.slice()).buffer);
    }
    bytes() {
      const s = stateOf(this);
      if (s === undefined) return illegalInvocation();
      return consume(this, s).then((v) => (typeof v === 'string' ? encodeUtf8(v) : v.slice()));
    }
    blob() {
      const s = stateOf(this);
      if (s === undefined) return illegalInvocation();
      const type = contentTypeOf(s);
      return consume(this, s).then((v) => newBlob(typeof v === 'string' ? encodeUtf8(v) : v, type === null ? '' : normalizeType(type)));
    }
    formData() {
      const s = stateOf(this);
      if (s === undefined) return illegalInvocation();
      const type = contentTypeOf(s) || '';
      return consume(this, s).then((v) => {
        const essence = type.split(';')[0].trim().toLowerCase();
        if (essence === 'multipart/form-data') {
          const boundary = mimeParam(type, 'boundary');
          if (!boundary) throw new TypeError('Missing boundary in multipart/form-data Content-Type');
          return parseMultipart(typeof v === 'string' ? encodeUtf8(v) : v, boundary);
        }
        if (essence === 'application/x-www-form-urlencoded') {
          const fd = new FormData();
          const list = formDataList(fd);
          for (const pair of internal.parseUrlencoded(typeof v === 'string' ? v : decodeUtf8(v))) list.push(pair);
          return fd;
        }
        throw new TypeError(`Could not parse content as FormData (Content-Type: "${type}")`);
      });
    }
  }
  const bodyProto = Body.prototype;

  const bodyMembers = ['body', 'bodyUsed', 'text', 'json', 'arrayBuffer', 'bytes', 'blob', 'formData'];

  // ---- Request ------------------------------------------------------------

  const NORMALIZED_METHODS = { DELETE: 'DELETE', GET: 'GET', HEAD: 'HEAD', OPTIONS: 'OPTIONS', POST: 'POST', PUT: 'PUT', PATCH: 'PATCH' };
  const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);
  const REDIRECTS = new Set(['follow', 'error', 'manual']);

  function normalizeMethod(m) {
    const s = String(m);
    if (!TOKEN.test(s)) throw new TypeError(`'${s}' is not a valid HTTP method.`);
    const upper = s.toUpperCase();
    if (FORBIDDEN_METHODS.has(upper)) throw new TypeError(`'${s}' HTTP method is unsupported.`);
    return NORMALIZED_METHODS[upper] || s;
  }

  // Request-only slots.
  const RQ_URL = 5, RQ_METHOD = 6, RQ_REDIRECT = 7, RQ_SIGNAL = 8, RQ_CF = 9;
  const requestStateOf = (url, method, headerList, guard, redirect, signal, cf, source) =>
    [source, false, null, headerList, guard, url, method, redirect, signal, cf];

  class Request {
    #s;

    constructor(input, init = undefined) {
      // Trusted internal construction: `init` is a ready-made state object.
      if (input === INTERNAL) {
        this.#s = init;
        return;
      }
      if (arguments.length === 0) throw new TypeError("Failed to construct 'Request': 1 argument required, but only 0 present.");
      const opts = init == null ? {} : init;
      if (typeof opts !== 'object') throw new TypeError("Failed to construct 'Request': The provided value is not of type 'RequestInit'.");
      let s, inputState = null, inputBody = null;
      if (input instanceof Request) {
        const is = input.#s;
        s = requestStateOf(is[RQ_URL], is[RQ_METHOD], listOf(is).slice(), 'none', is[RQ_REDIRECT], is[RQ_SIGNAL], is[RQ_CF], null);
        inputState = is;
        inputBody = is[S_SOURCE];
      } else {
        const parsed = URL.parse(String(input));
        if (parsed === null) throw new TypeError(`Failed to construct 'Request': Invalid URL: ${String(input)}`);
        s = requestStateOf(parsed.href, 'GET', [], 'none', 'follow', null, undefined, null);
      }
      this.#s = s;
      if (opts.method !== undefined) s[RQ_METHOD] = normalizeMethod(opts.method);
      if (opts.redirect !== undefined) {
        const r = String(opts.redirect);
        if (!REDIRECTS.has(r)) throw new TypeError(`Failed to construct 'Request': '${r}' is not a valid RequestRedirect.`);
        s[RQ_REDIRECT] = r;
      }
      if (opts.signal !== undefined) {
        if (opts.signal !== null && !(opts.signal instanceof AbortSignal)) throw new TypeError("Failed to construct 'Request': member signal is not of type AbortSignal.");
        s[RQ_SIGNAL] = opts.signal;
      }
      if (opts.cf !== undefined) s[RQ_CF] = opts.cf;
      if (opts.headers !== undefined) s[S_LIST] = headersListOf(new Headers(opts.headers)).slice();

      const hasInitBody = opts.body !== undefined && opts.body !== null;
      if ((hasInitBody || inputBody !== null) && (s[RQ_METHOD] === 'GET' || s[RQ_METHOD] === 'HEAD')) {
        throw new TypeError("Failed to construct 'Request': Request with GET/HEAD method cannot have body.");
      }
      if (hasInitBody) {
        const { source, contentType } = extractBody(opts.body);
        if (contentType !== null && getHeader(s[S_LIST], 'content-type') === null) s[S_LIST].push('content-type', contentType);
        s[S_SOURCE] = source;
      } else if (inputBody !== null) {
        if (input.bodyUsed) throw new TypeError("Failed to construct 'Request': Cannot construct a Request with a Request object that has already been used.");
        s[S_SOURCE] = takeSource(inputState);
      }
    }

    get url() { return this.#s[RQ_URL]; }
    get method() { return this.#s[RQ_METHOD]; }
    get headers() {
      const s = this.#s;
      if (s[S_HEADERS] === null) {
        s[S_HEADERS] = headersFromList(s[S_LIST], s[S_GUARD]);
        s[S_LIST] = null;
      }
      return s[S_HEADERS];
    }
    get redirect() { return this.#s[RQ_REDIRECT]; }
    get signal() {
      const s = this.#s;
      if (s[RQ_SIGNAL] === null) s[RQ_SIGNAL] = internal.newAbortSignal();
      return s[RQ_SIGNAL];
    }
    get cf() { return this.#s[RQ_CF]; }
    get keepalive() { return false; }
    get integrity() { return ''; }
    get cache() { return undefined; }

    clone() {
      const s = this.#s;
      const source = cloneSource(this, s);
      return new Request(INTERNAL, requestStateOf(s[RQ_URL], s[RQ_METHOD], listOf(s).slice(), s[S_GUARD], s[RQ_REDIRECT], s[RQ_SIGNAL], s[RQ_CF], source));
    }

    static {
      makeRequest = (url, method, headerList, body, cf) =>
        new Request(INTERNAL, requestStateOf(url, method, headerList, 'immutable', 'follow', null, cf, body === undefined ? null : body));
      requestState = (v) => (v !== null && typeof v === 'object' && #s in v ? v.#s : undefined);
    }
  }
  var makeRequest;
  tag(Request);
  define('Request', Request);

  // ---- Response -----------------------------------------------------------

  const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);
  const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
  const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

  // Response-only slots.
  const RS_STATUS = 5, RS_STATUS_TEXT = 6, RS_TYPE = 7, RS_URL = 8, RS_WEBSOCKET = 9, RS_REDIRECTED = 10;
  const responseStateOf = (status, headerList, guard, source) =>
    [source, false, null, headerList, guard, status, '', 'default', '', null, false];

  class Response {
    #s;

    constructor(body = null, init = undefined) {
      // Trusted internal construction: `init` is a ready-made state object.
      if (body === INTERNAL) {
        this.#s = init;
        return;
      }
      // Fast path for the common `new Response(string)`.
      if (typeof body === 'string' && init === undefined) {
        this.#s = responseStateOf(200, ['content-type', 'text/plain;charset=UTF-8'], 'none', body);
        return;
      }
      const s = responseStateOf(200, null, 'none', null);
      this.#s = s;
      const opts = init == null ? {} : init;
      if (typeof opts !== 'object') throw new TypeError("Failed to construct 'Response': The provided value is not of type 'ResponseInit'.");
      if (opts.webSocket !== undefined && opts.webSocket !== null) s[RS_WEBSOCKET] = opts.webSocket;
      if (opts.status !== undefined) {
        const status = Number(opts.status);
        const allowed = Number.isInteger(status) && ((status >= 200 && status <= 599) || (status === 101 && s[RS_WEBSOCKET] !== null));
        if (!allowed) throw new RangeError(`Failed to construct 'Response': The status provided (${opts.status}) is outside the range [200, 599].`);
        s[RS_STATUS] = status;
      }
      if (opts.statusText !== undefined) {
        const text = String(opts.statusText);
        if (!REASON_PHRASE.test(text)) throw new TypeError("Failed to construct 'Response': Invalid statusText");
        s[RS_STATUS_TEXT] = text;
      }
      if (opts.headers !== undefined) {
        s[S_HEADERS] = new Headers(opts.headers);
      }
      if (body !== null && body !== undefined) {
        if (NULL_BODY_STATUS.has(s[RS_STATUS])) {
          throw new TypeError(`Failed to construct 'Response': Response with null body status (${s[RS_STATUS]}) cannot have a body.`);
        }
        const { source, contentType } = extractBody(body);
        if (contentType !== null) {
          if (s[S_HEADERS] === null) s[S_LIST] = ['content-type', contentType];
          else if (!s[S_HEADERS].has('content-type')) headersListOf(s[S_HEADERS]).push('content-type', contentType);
        }
        s[S_SOURCE] = source;
      }
      if (s[S_HEADERS] === null && s[S_LIST] === null) s[S_LIST] = [];
    }

    static json(data, init = undefined) {
      const text = JSON.stringify(data);
      if (text === undefined) throw new TypeError("Failed to execute 'json' on 'Response': The data is not JSON serializable");
      const r = new Response(null, init);
      const s = r.#s;
      if (NULL_BODY_STATUS.has(s[RS_STATUS])) throw new TypeError(`Failed to execute 'json' on 'Response': Response with null body status (${s[RS_STATUS]}) cannot have a body.`);
      s[S_SOURCE] = text;
      if (s[S_HEADERS] === null) s[S_LIST] = ['content-type', 'application/json'];
      else if (!s[S_HEADERS].has('content-type')) headersListOf(s[S_HEADERS]).push('content-type', 'application/json');
      return r;
    }

    static redirect(url, status = 302) {
      // A URL object is already parsed and serialized: no second parse.
      let href = internal.urlHref(url);
      if (href === undefined) {
        const parsed = URL.parse(String(url));
        if (parsed === null) throw new TypeError(`Failed to execute 'redirect' on 'Response': Invalid URL: ${String(url)}`);
        href = parsed.href;
      }
      status = Number(status);
      if (!REDIRECT_STATUS.has(status)) throw new RangeError(`Failed to execute 'redirect' on 'Response': Invalid status code ${status}`);
      return new Response(INTERNAL, responseStateOf(status, ['location', href], 'immutable', null));
    }

    static error() {
      const s = responseStateOf(0, [], 'immutable', null);
      s[RS_TYPE] = 'error';
      return new Response(INTERNAL, s);
    }

    get status() { return this.#s[RS_STATUS]; }
    get statusText() { return this.#s[RS_STATUS_TEXT]; }
    get ok() {
      const status = this.#s[RS_STATUS];
      return status >= 200 && status <= 299;
    }
    get redirected() { return this.#s[RS_REDIRECTED]; }
    get url() { return this.#s[RS_URL]; }
    get type() { return this.#s[RS_TYPE]; }
    get webSocket() { return this.#s[RS_WEBSOCKET]; }
    get headers() {
      const s = this.#s;
      if (s[S_HEADERS] === null) {
        s[S_HEADERS] = headersFromList(s[S_LIST], s[S_GUARD]);
        s[S_LIST] = null;
      }
      return s[S_HEADERS];
    }

    clone() {
      const s = this.#s;
      const source = cloneSource(this, s);
      const c = responseStateOf(s[RS_STATUS], listOf(s).slice(), s[S_GUARD], source);
      c[RS_STATUS_TEXT] = s[RS_STATUS_TEXT];
      c[RS_TYPE] = s[RS_TYPE];
      c[RS_URL] = s[RS_URL];
      c[RS_WEBSOCKET] = s[RS_WEBSOCKET];
      c[RS_REDIRECTED] = s[RS_REDIRECTED];
      return new Response(INTERNAL, c);
    }

    static {
      responseState = (v) => (v !== null && typeof v === 'object' && #s in v ? v.#s : undefined);
      // What fetch() and the bindings' fetch() give: headers immutable, as
      // workerd's ("Can't modify immutable headers.").
      makeResponse = (status, statusText, headerList, source, webSocket, url, redirected) => {
        const s = responseStateOf(status, headerList, 'immutable', source);
        s[RS_STATUS_TEXT] = statusText;
        s[RS_WEBSOCKET] = webSocket;
        if (url !== undefined) s[RS_URL] = url;
        if (redirected) s[RS_REDIRECTED] = true;
        return new Response(INTERNAL, s);
      };
      responseParts = (r) => {
        const s = r.#s;
        const list = listOf(s);
        return [s[RS_STATUS], s[RS_STATUS_TEXT], hasDuplicates(list) ? sortAndCombine(list) : list, takeSource(s), s[RS_WEBSOCKET]];
      };
    }
  }
  var responseParts, makeResponse;
  tag(Response);
  define('Response', Response);

  // Same prototype chain as `class X extends Body`, without the super() cost.
  for (const cls of [Request, Response]) {
    Object.setPrototypeOf(cls, Body);
    Object.setPrototypeOf(cls.prototype, bodyProto);
    // Body members should appear on Request/Response themselves, as with a Web IDL mixin.
    for (const name of bodyMembers) {
      Object.defineProperty(cls.prototype, name, Object.getOwnPropertyDescriptor(bodyProto, name));
    }
  }

  // ---- host contract ------------------------------------------------------

  internal.bodySource = (reqOrResp) => takeSource(checkedState(reqOrResp));
  internal.makeRequest = makeRequest;
  // Like responseParts, this may return the live list: the host must treat it as read-only.
  internal.headersList = (headers) => {
    const list = headersListOf(headers);
    return hasDuplicates(list) ? sortAndCombine(list) : list;
  };
  internal.responseParts = responseParts;
  // A fetched response (immutable headers) from parts the host already
  // validated (a flat, normalized header list), skipping the checks
  // `new Response(body, init)` makes.
  internal.makeResponse = makeResponse;
  // `[url, method, headerList, body]` of a request, taking its body; the
  // list may be the live one and must be treated as read-only.
  internal.requestParts = (request) => {
    const s = checkedState(request);
    const list = listOf(s);
    return [s[RQ_URL], s[RQ_METHOD], hasDuplicates(list) ? sortAndCombine(list) : list, takeSource(s)];
  };
  internal.setHeadersGuard = setGuard;
  internal.headersFromList = headersFromList;
})();

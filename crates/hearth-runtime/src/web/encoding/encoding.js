// atob/btoa, structuredClone, and UTF-8 TextEncoder/TextDecoder fallbacks (the host
// normally installs native encoders first; these are only defined when missing).
(() => {
  'use strict';

  const internal = (globalThis.__hearth_internal ||= {});
  const native = globalThis.__hearth_native;

  const define = (name, value) => {
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
  };
  const tag = (cls) => {
    Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: cls.name, configurable: true });
  };

  // ---- base64 -------------------------------------------------------------

  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const B64_LOOKUP = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i++) B64_LOOKUP[B64.charCodeAt(i)] = i;

  function btoa(data) {
    if (arguments.length === 0) throw new TypeError("Failed to execute 'btoa': 1 argument required, but only 0 present.");
    const s = String(data);
    let out = '';
    const n = s.length;
    for (let i = 0; i < n; i += 3) {
      const a = s.charCodeAt(i), b = i + 1 < n ? s.charCodeAt(i + 1) : 0, c = i + 2 < n ? s.charCodeAt(i + 2) : 0;
      if (a > 255 || b > 255 || c > 255) {
        throw new DOMException("Failed to execute 'btoa': The string to be encoded contains characters outside of the Latin1 range.", 'InvalidCharacterError');
      }
      const triple = (a << 16) | (b << 8) | c;
      out += B64[triple >> 18] + B64[(triple >> 12) & 63] +
        (i + 1 < n ? B64[(triple >> 6) & 63] : '=') + (i + 2 < n ? B64[triple & 63] : '=');
    }
    return out;
  }

  function atob(data) {
    if (arguments.length === 0) throw new TypeError("Failed to execute 'atob': 1 argument required, but only 0 present.");
    const invalid = () => new DOMException("Failed to execute 'atob': The string to be decoded is not correctly encoded.", 'InvalidCharacterError');
    // Forgiving-base64 decode (HTML spec): drop ASCII whitespace, then optional padding.
    let s = String(data).replace(/[\t\n\f\r ]+/g, '');
    if (s.length % 4 === 0) s = s.replace(/==?$/, '');
    if (s.length % 4 === 1) throw invalid();
    let out = '';
    let buffer = 0, bits = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      const v = c < 128 ? B64_LOOKUP[c] : -1;
      if (v === -1) throw invalid();
      buffer = (buffer << 6) | v;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out += String.fromCharCode((buffer >> bits) & 0xff);
      }
    }
    return out;
  }

  define('btoa', btoa);
  define('atob', atob);

  // ---- structuredClone ----------------------------------------------------

  const dataCloneError = (what) => new DOMException(`${what} could not be cloned.`, 'DataCloneError');

  // Platform classes from later files may register a cloner (e.g. Blob) keyed by prototype.
  const cloners = (internal.structuredCloners ||= new Map());

  function structuredClone(value, options = undefined) {
    if (arguments.length === 0) throw new TypeError("Failed to execute 'structuredClone': 1 argument required, but only 0 present.");
    const transfer = options != null && options.transfer !== undefined ? Array.from(options.transfer) : [];
    const transferSet = new Set();
    for (const t of transfer) {
      if (!(t instanceof ArrayBuffer)) throw dataCloneError('Value in the transfer list');
      if (transferSet.has(t)) throw new DOMException('ArrayBuffer at index is a duplicate of an earlier ArrayBuffer.', 'DataCloneError');
      transferSet.add(t);
    }
    // Serialized and deserialized natively (web/structured_clone), the codec
    // Durable Object storage and RPC use.
    const result = native.structuredClone(value, cloners);
    // Transferred buffers are detached only after the whole graph cloned successfully.
    // The clone already holds a copy of the bytes, so transferring to length 0 just detaches.
    for (const t of transfer) {
      if (typeof t.transfer === 'function') t.transfer(0);
    }
    return result;
  }

  define('structuredClone', structuredClone);

  // ---- TextEncoder / TextDecoder fallbacks (UTF-8 only) -------------------

  function encodeUtf8(str) {
    const n = str.length;
    // Worst case is 3 bytes per UTF-16 code unit; shrink afterwards.
    const out = new Uint8Array(n * 3);
    let j = 0;
    for (let i = 0; i < n; i++) {
      let c = str.charCodeAt(i);
      if (c < 0x80) { out[j++] = c; continue; }
      if (c < 0x800) { out[j++] = 0xc0 | (c >> 6); out[j++] = 0x80 | (c & 63); continue; }
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = i + 1 < n ? str.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
          out[j++] = 0xf0 | (c >> 18); out[j++] = 0x80 | ((c >> 12) & 63);
          out[j++] = 0x80 | ((c >> 6) & 63); out[j++] = 0x80 | (c & 63);
          continue;
        }
        c = 0xfffd;
      }
      out[j++] = 0xe0 | (c >> 12); out[j++] = 0x80 | ((c >> 6) & 63); out[j++] = 0x80 | (c & 63);
    }
    return j === out.length ? out : out.slice(0, j);
  }

  const toBytes = (input, fn) => {
    if (input === undefined) return new Uint8Array(0);
    if (input instanceof ArrayBuffer) return new Uint8Array(input);
    if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    if (typeof SharedArrayBuffer === 'function' && input instanceof SharedArrayBuffer) return new Uint8Array(input);
    throw new TypeError(`Failed to execute '${fn}': The provided value is not of type '(ArrayBuffer or ArrayBufferView)'.`);
  };

  class FallbackTextEncoder {
    get encoding() { return 'utf-8'; }
    encode(input = '') { return encodeUtf8(String(input)); }
    encodeInto(source, destination) {
      if (!(destination instanceof Uint8Array)) throw new TypeError("Failed to execute 'encodeInto' on 'TextEncoder': parameter 2 is not of type 'Uint8Array'.");
      const str = String(source);
      const cap = destination.length;
      let read = 0, written = 0;
      for (let i = 0; i < str.length; i++) {
        let c = str.charCodeAt(i);
        let units = 1;
        if (c >= 0xd800 && c <= 0xdfff) {
          const d = i + 1 < str.length ? str.charCodeAt(i + 1) : 0;
          if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
            c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
            units = 2;
          } else {
            c = 0xfffd;
          }
        }
        const len = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
        if (written + len > cap) break;
        if (len === 1) destination[written++] = c;
        else if (len === 2) { destination[written++] = 0xc0 | (c >> 6); destination[written++] = 0x80 | (c & 63); }
        else if (len === 3) {
          destination[written++] = 0xe0 | (c >> 12); destination[written++] = 0x80 | ((c >> 6) & 63);
          destination[written++] = 0x80 | (c & 63);
        } else {
          destination[written++] = 0xf0 | (c >> 18); destination[written++] = 0x80 | ((c >> 12) & 63);
          destination[written++] = 0x80 | ((c >> 6) & 63); destination[written++] = 0x80 | (c & 63);
        }
        read += units;
        i += units - 1;
      }
      return { read, written };
    }
  }
  Object.defineProperty(FallbackTextEncoder, 'name', { value: 'TextEncoder' });

  const UTF8_LABELS = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'x-unicode20utf8']);

  class FallbackTextDecoder {
    #fatal;
    #ignoreBOM;
    // WHATWG UTF-8 decoder state, carried across `stream: true` calls.
    #codePoint = 0;
    #needed = 0;
    #seen = 0;
    #lower = 0x80;
    #upper = 0xbf;
    #bomChecked = false;

    constructor(label = 'utf-8', options = undefined) {
      const normalized = String(label).trim().toLowerCase();
      if (!UTF8_LABELS.has(normalized)) {
        throw new RangeError(`Failed to construct 'TextDecoder': The encoding label provided ('${label}') is invalid.`);
      }
      this.#fatal = !!(options && options.fatal);
      this.#ignoreBOM = !!(options && options.ignoreBOM);
    }
    get encoding() { return 'utf-8'; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }

    decode(input = undefined, options = undefined) {
      const bytes = toBytes(input, 'decode');
      const stream = !!(options && options.stream);
      const units = [];
      let out = '';
      const flush = () => {
        out += String.fromCharCode.apply(null, units);
        units.length = 0;
      };
      const fail = () => {
        this.#reset();
        throw new TypeError("Failed to execute 'decode' on 'TextDecoder': The encoded data was not valid for encoding utf-8");
      };
      const emit = (cp) => {
        if (!this.#bomChecked) {
          this.#bomChecked = true;
          if (cp === 0xfeff && !this.#ignoreBOM) return;
        }
        if (cp > 0xffff) {
          cp -= 0x10000;
          units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
        } else {
          units.push(cp);
        }
        if (units.length >= 8192) flush();
      };
      const n = bytes.length;
      for (let i = 0; i < n; i++) {
        const b = bytes[i];
        if (this.#needed === 0) {
          if (b < 0x80) { emit(b); continue; }
          if (b >= 0xc2 && b <= 0xdf) { this.#needed = 1; this.#codePoint = b & 0x1f; }
          else if (b >= 0xe0 && b <= 0xef) {
            if (b === 0xe0) this.#lower = 0xa0;
            if (b === 0xed) this.#upper = 0x9f;
            this.#needed = 2; this.#codePoint = b & 0xf;
          } else if (b >= 0xf0 && b <= 0xf4) {
            if (b === 0xf0) this.#lower = 0x90;
            if (b === 0xf4) this.#upper = 0x8f;
            this.#needed = 3; this.#codePoint = b & 0x7;
          } else {
            if (this.#fatal) fail();
            emit(0xfffd);
          }
          continue;
        }
        if (b < this.#lower || b > this.#upper) {
          // Invalid continuation: emit U+FFFD and reprocess this byte as a lead byte.
          this.#reset();
          if (this.#fatal) fail();
          emit(0xfffd);
          i--;
          continue;
        }
        this.#lower = 0x80;
        this.#upper = 0xbf;
        this.#codePoint = (this.#codePoint << 6) | (b & 0x3f);
        if (++this.#seen === this.#needed) {
          const cp = this.#codePoint;
          this.#reset();
          emit(cp);
        }
      }
      if (!stream) {
        if (this.#needed !== 0) {
          this.#reset();
          if (this.#fatal) fail();
          emit(0xfffd);
        }
        this.#bomChecked = false;
      }
      flush();
      return out;
    }

    #reset() {
      this.#codePoint = 0;
      this.#needed = 0;
      this.#seen = 0;
      this.#lower = 0x80;
      this.#upper = 0xbf;
    }
  }
  Object.defineProperty(FallbackTextDecoder, 'name', { value: 'TextDecoder' });

  if (typeof globalThis.TextEncoder !== 'function') {
    tag(FallbackTextEncoder);
    define('TextEncoder', FallbackTextEncoder);
  }
  if (typeof globalThis.TextDecoder !== 'function') {
    tag(FallbackTextDecoder);
    define('TextDecoder', FallbackTextDecoder);
  }

  // Shared by the fetch types: fast UTF-8 helpers that bypass TextEncoder allocation.
  internal.encodeUtf8 = typeof globalThis.TextEncoder === 'function' && globalThis.TextEncoder !== FallbackTextEncoder
    ? ((enc) => (s) => enc.encode(s))(new globalThis.TextEncoder())
    : encodeUtf8;
  internal.decodeUtf8 = ((dec) => (bytes) => dec.decode(bytes))(new globalThis.TextDecoder());
})();

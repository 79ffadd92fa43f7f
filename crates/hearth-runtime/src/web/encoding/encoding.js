// TextEncoder, TextDecoder (every WHATWG Encoding), atob and btoa, over the
// codecs in mod.rs. Evaluated before the rest of the Web API layer, which
// uses the UTF-8 helpers left on __hearth_internal.
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const internal = (globalThis.__hearth_internal = globalThis.__hearth_internal || {});
  const hide = (obj, name, value) =>
    Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });
  const tag = (cls) =>
    Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: cls.name, configurable: true });

  const toU8 = (input) => {
    if (input === undefined) return new Uint8Array(0);
    if (input instanceof Uint8Array) return input;
    if (input instanceof ArrayBuffer) return new Uint8Array(input);
    if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    throw new TypeError('The "input" argument must be an ArrayBuffer or ArrayBufferView');
  };
  internal.toU8 = toU8;
  const EMPTY = new Uint8Array(0);
  const isBufferSource = (v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v) ||
    (typeof SharedArrayBuffer === 'function' && v instanceof SharedArrayBuffer);

  const detachedOrEmpty = (source) => {
    try {
      return source.byteLength === 0;
    } catch {
      return true;
    }
  };

  class TextEncoder {
    get encoding() { return 'utf-8'; }
    encode(input = '') { return native.utf8Encode(`${input}`); }
    encodeInto(source, destination) {
      if (!(destination instanceof Uint8Array))
        throw new TypeError("Failed to execute 'encodeInto' on 'TextEncoder': parameter 2 is not of type 'Uint8Array'.");
      return native.utf8EncodeInto(`${source}`, destination);
    }
  }
  tag(TextEncoder);

  class TextDecoder {
    #encoding; #fatal; #ignoreBOM;
    // The native decoder of a stream in progress; null between streams.
    #state = null;
    constructor(label = 'utf-8', options = undefined) {
      const encoding = native.encodingName(`${label}`);
      if (encoding === undefined)
        throw new RangeError(`Failed to construct 'TextDecoder': The encoding label provided ('${label}') is invalid.`);
      this.#encoding = encoding;
      this.#fatal = !!(options && options.fatal);
      this.#ignoreBOM = !!(options && options.ignoreBOM);
    }
    get encoding() { return this.#encoding; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }
    decode(input = undefined, options = undefined) {
      if (input === undefined) input = EMPTY;
      else if (!isBufferSource(input))
        throw new TypeError("Failed to execute 'decode' on 'TextDecoder': The provided value is not of type '(ArrayBuffer or ArrayBufferView)'.");
      // A detached buffer holds no bytes (a DataView's byteLength throws then).
      else if (detachedOrEmpty(input)) input = EMPTY;
      // The natives read Uint8Arrays and ArrayBuffers; other views, and
      // SharedArrayBuffers (which the Encoding standard accepts), as bytes.
      else if (!(input instanceof Uint8Array) && !(input instanceof ArrayBuffer))
        input = ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : new Uint8Array(input);
      const stream = !!(options && options.stream);
      let state = this.#state;
      if (state === null) {
        // A whole UTF-8 input needs no decoder state.
        if (!stream && this.#encoding === 'utf-8') return native.utf8Decode(input, this.#fatal, this.#ignoreBOM);
        state = native.decoderNew(this.#encoding, this.#fatal, this.#ignoreBOM);
      }
      // The native side starts over after a final call or an error.
      this.#state = stream ? state : null;
      try {
        return native.decoderDecode(state, input, stream);
      } catch (e) {
        this.#state = null;
        throw e;
      }
    }
  }
  tag(TextDecoder);

  const argumentRequired = (fn) =>
    new TypeError(`Failed to execute '${fn}' on 'WorkerGlobalScope': 1 argument required, but only 0 present.`);
  function btoa(data) {
    if (arguments.length === 0) throw argumentRequired('btoa');
    const out = native.btoa(`${data}`);
    if (out === undefined)
      throw new DOMException('The string to be encoded contains characters outside of the Latin1 range.', 'InvalidCharacterError');
    return out;
  }
  function atob(data) {
    if (arguments.length === 0) throw argumentRequired('atob');
    const out = native.atob(`${data}`);
    if (out === undefined) throw new DOMException('The string to be decoded is not correctly encoded.', 'InvalidCharacterError');
    return out;
  }

  hide(globalThis, 'TextEncoder', TextEncoder);
  hide(globalThis, 'TextDecoder', TextDecoder);
  hide(globalThis, 'btoa', btoa);
  hide(globalThis, 'atob', atob);
  // For the fetch types, URL and node:buffer: UTF-8 and base64 without
  // allocating encoder objects.
  internal.encodeUtf8 = (s) => native.utf8Encode(s);
  internal.decodeUtf8 = (bytes) => native.utf8Decode(bytes, false, false);
})();

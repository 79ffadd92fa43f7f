// TextEncoder and TextDecoder over hearth's native UTF-8 codec. Evaluated
// before the rest of the Web API layer, which uses them.
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const internal = (globalThis.__hearth_internal = globalThis.__hearth_internal || {});
  const hide = (obj, name, value) =>
    Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });

  const toU8 = (input) => {
    if (input === undefined) return new Uint8Array(0);
    if (input instanceof Uint8Array) return input;
    if (input instanceof ArrayBuffer) return new Uint8Array(input);
    if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    throw new TypeError('The "input" argument must be an ArrayBuffer or ArrayBufferView');
  };
  internal.toU8 = toU8;
  class TextEncoder {
    get encoding() { return 'utf-8'; }
    // The input is a USVString: lone surrogates become U+FFFD (one code unit
    // for one, so encodeInto's `read` still counts the caller's string).
    encode(input = '') { return native.utf8Encode(String(input).toWellFormed()); }
    encodeInto(source, destination) {
      const text = String(source).toWellFormed();
      if (!(destination instanceof Uint8Array)) {
        throw new TypeError("Failed to execute 'encodeInto' on 'TextEncoder': parameter 2 is not of type 'Uint8Array'.");
      }
      const bytes = native.utf8Encode(text);
      let written = bytes.length <= destination.length ? bytes.length : destination.length;
      // Never split a multi-byte character.
      while (written > 0 && written < bytes.length && (bytes[written] & 0xc0) === 0x80) written--;
      destination.set(bytes.subarray(0, written));
      const read = native.utf8Decode(bytes.subarray(0, written), false).length;
      return { read, written };
    }
  }
  const LABELS = ['utf-8', 'utf8', 'unicode-1-1-utf-8'];
  class TextDecoder {
    #fatal; #ignoreBOM; #pending = null; #bomSeen = false;
    constructor(label = 'utf-8', options = {}) {
      if (!LABELS.includes(String(label).trim().toLowerCase()))
        throw new RangeError(`The "${label}" encoding is not supported`);
      this.#fatal = !!options.fatal;
      this.#ignoreBOM = !!options.ignoreBOM;
    }
    get encoding() { return 'utf-8'; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }
    decode(input, options = {}) {
      let bytes = toU8(input);
      if (this.#pending) {
        const joined = new Uint8Array(this.#pending.length + bytes.length);
        joined.set(this.#pending);
        joined.set(bytes, this.#pending.length);
        bytes = joined;
        this.#pending = null;
      }
      if (options.stream) {
        // Hold back an incomplete trailing sequence for the next call.
        let cut = bytes.length;
        for (let back = 1; back <= 3 && back <= bytes.length; back++) {
          const b = bytes[bytes.length - back];
          if ((b & 0xc0) === 0x80) continue;
          const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
          if (need > back) cut = bytes.length - back;
          break;
        }
        if (cut < bytes.length) {
          this.#pending = bytes.slice(cut);
          bytes = bytes.subarray(0, cut);
        }
      }
      let text = native.utf8Decode(bytes, this.#fatal);
      if (!this.#bomSeen && text.length) {
        if (!this.#ignoreBOM && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        this.#bomSeen = true;
      }
      if (!options.stream) this.#bomSeen = false;
      return text;
    }
  }
  hide(globalThis, 'TextEncoder', TextEncoder);
  hide(globalThis, 'TextDecoder', TextDecoder);

})();

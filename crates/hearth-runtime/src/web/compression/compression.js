// CompressionStream and DecompressionStream (gzip, deflate, deflate-raw):
// TransformStreams, as in workerd, over the zlib codecs in mod.rs.
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const internal = globalThis.__hearth_internal;
  const hide = (obj, name, value) =>
    Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });
  const tag = (cls) =>
    Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: cls.name, configurable: true });

  // The transformer of one stream; errors (corrupt or truncated input)
  // are TypeErrors that error both sides of the stream.
  function codecTransformer(className, format, compress) {
    const codec = native.codecNew(`${format}`, compress);
    if (codec === undefined)
      throw new TypeError(`Failed to construct '${className}': Unsupported compression format: '${format}'`);
    return {
      transform(chunk, controller) {
        if (!(chunk instanceof ArrayBuffer || ArrayBuffer.isView(chunk)))
          throw new TypeError(`${className} chunks must be an ArrayBuffer or ArrayBufferView`);
        const out = native.codecPush(codec, chunk);
        if (out.byteLength > 0) controller.enqueue(out);
      },
      flush(controller) {
        const out = native.codecFinish(codec);
        if (out.byteLength > 0) controller.enqueue(out);
      },
    };
  }

  class CompressionStream extends TransformStream {
    constructor(format) {
      if (arguments.length === 0) throw new TypeError("Failed to construct 'CompressionStream': 1 argument required, but only 0 present.");
      internal.streams.nextByteTransformer(codecTransformer('CompressionStream', format, true));
      super();
    }
  }
  tag(CompressionStream);

  class DecompressionStream extends TransformStream {
    constructor(format) {
      if (arguments.length === 0) throw new TypeError("Failed to construct 'DecompressionStream': 1 argument required, but only 0 present.");
      internal.streams.nextByteTransformer(codecTransformer('DecompressionStream', format, false));
      super();
    }
  }
  tag(DecompressionStream);

  hide(globalThis, 'CompressionStream', CompressionStream);
  hide(globalThis, 'DecompressionStream', DecompressionStream);
})();

// Small globals on hearth's natives: crypto randomness, performance, navigator,
// and `self`.
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const internal = (globalThis.__hearth_internal = globalThis.__hearth_internal || {});
  const hide = (obj, name, value) =>
    Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });

  const INTEGER_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array];
  const crypto = {
    getRandomValues(array) {
      if (!INTEGER_ARRAYS.some((T) => array instanceof T))
        throw new DOMException('The data argument must be an integer-type TypedArray', 'TypeMismatchError');
      if (array.byteLength > 65536)
        throw new DOMException(`The data argument's byte length (${array.byteLength}) exceeds the limit of 65536 bytes`, 'QuotaExceededError');
      native.fillRandom(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
      return array;
    },
    randomUUID: () => native.randomUUID(),
  };
  hide(globalThis, 'crypto', crypto);
  const origin = native.now();
  hide(globalThis, 'performance', { timeOrigin: origin, now: () => native.now() - origin });
  // Workers' global scope names itself `self`, as a browser worker's does.
  hide(globalThis, 'self', globalThis);
  hide(globalThis, 'navigator', { userAgent: 'Cloudflare-Workers', hardwareConcurrency: 1, language: 'en' });
})();

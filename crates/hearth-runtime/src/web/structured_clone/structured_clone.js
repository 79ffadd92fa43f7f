// structuredClone: the HTML structured clone algorithm within one isolate,
// serialized and deserialized natively (mod.rs), the codec Durable Object
// storage and RPC use too. Platform classes register cloners for their own
// instances in __hearth_internal.structuredCloners, keyed by prototype.
(() => {
  'use strict';

  const internal = (globalThis.__hearth_internal ||= {});
  const native = globalThis.__hearth_native;

  const dataCloneError = (what) => new DOMException(`${what} could not be cloned.`, 'DataCloneError');
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
    const result = native.structuredClone(value, cloners);
    // Transferred buffers are detached only after the whole graph cloned successfully.
    // The clone already holds a copy of the bytes, so transferring to length 0 just detaches.
    for (const t of transfer) {
      if (typeof t.transfer === 'function') t.transfer(0);
    }
    return result;
  }

  Object.defineProperty(globalThis, 'structuredClone', { value: structuredClone, writable: true, configurable: true, enumerable: false });
})();

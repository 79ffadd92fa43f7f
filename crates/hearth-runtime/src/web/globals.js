// Small globals: `self`, navigator, and an engine quirk made V8-like.
(function () {
  'use strict';
  const hide = (obj, name, value) =>
    Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });

  // Workers' global scope names itself `self`, as a browser worker's does.
  hide(globalThis, 'self', globalThis);
  // QuickJS's Error.prototype.stack setter accepts only strings; V8 lets code
  // store anything (libraries clear it with `err.stack = undefined`).
  const stack = Object.getOwnPropertyDescriptor(Error.prototype, 'stack');
  if (stack && stack.set) {
    const setString = stack.set;
    Object.defineProperty(Error.prototype, 'stack', {
      get: stack.get,
      set(value) {
        if (typeof value === 'string') setString.call(this, value);
        else Object.defineProperty(this, 'stack', { value, writable: true, configurable: true, enumerable: false });
      },
      configurable: true,
      enumerable: false,
    });
  }
  hide(globalThis, 'navigator', { userAgent: 'Cloudflare-Workers', hardwareConcurrency: 1, language: 'en' });
})();

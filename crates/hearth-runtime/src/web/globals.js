// Small globals: `self` and navigator.
(function () {
  'use strict';
  const hide = (obj, name, value) =>
    Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });

  // Workers' global scope names itself `self`, as a browser worker's does.
  hide(globalThis, 'self', globalThis);
  hide(globalThis, 'navigator', { userAgent: 'Cloudflare-Workers', hardwareConcurrency: 1, language: 'en' });
})();

// Small globals on hearth's natives: performance, navigator, and `self`.
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const hide = (obj, name, value) =>
    Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });

  const origin = native.now();
  hide(globalThis, 'performance', { timeOrigin: origin, now: () => native.now() - origin });
  // Workers' global scope names itself `self`, as a browser worker's does.
  hide(globalThis, 'self', globalThis);
  hide(globalThis, 'navigator', { userAgent: 'Cloudflare-Workers', hardwareConcurrency: 1, language: 'en' });
})();

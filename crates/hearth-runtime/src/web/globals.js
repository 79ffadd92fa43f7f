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

  // V8's CallSite methods QuickJS's call sites lack (handed to
  // Error.prepareStackTrace): depd, under Express, body-parser, http-errors
  // and send, calls isEval/getThis/getTypeName while it is imported.
  const previous = Error.prepareStackTrace;
  const holder = {};
  Error.prepareStackTrace = (_, sites) => sites;
  Error.captureStackTrace(holder);
  const sites = holder.stack;
  Error.prepareStackTrace = previous;
  const site = Array.isArray(sites) && sites.length ? Object.getPrototypeOf(sites[0]) : null;
  if (site) {
    const missing = {
      getThis: () => undefined,
      getTypeName: () => null,
      getMethodName: () => null,
      getEvalOrigin: () => undefined,
      getScriptNameOrSourceURL() {
        return this.getFileName();
      },
      getScriptHash: () => '',
      getPromiseIndex: () => null,
      isEval: () => false,
      isToplevel: () => false,
      isAsync: () => false,
      isPromiseAll: () => false,
      toString() {
        const where = `${this.getFileName() ?? '<anonymous>'}:${this.getLineNumber()}:${this.getColumnNumber()}`;
        const name = this.getFunctionName();
        return name ? `${name} (${where})` : where;
      },
    };
    for (const name of Object.keys(missing)) {
      if (!(name in site)) hide(site, name, missing[name]);
    }
  }
})();

// Small globals: `self`, navigator, and an engine quirk made V8-like.
(function () {
  'use strict';
  const hide = (obj, name, value) =>
    Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });

  // Workers' global scope names itself `self`, as a browser worker's does.
  hide(globalThis, 'self', globalThis);
  // `err.stack` shaped as V8's (npm code parses it: depd, source-map-support,
  // error reporters): a first line `${name}: ${message}`, then the frames, an
  // anonymous one as `    at file:line:col`. QuickJS stores only the frames,
  // when the error is made; the first line is added when `stack` is first
  // read (V8 too formats then, so a name set after super() shows), and the
  // result kept as an own property. Stacks an `Error.prepareStackTrace` of
  // the program made are left as it returned them.
  const stack = Object.getOwnPropertyDescriptor(Error.prototype, 'stack');
  const prepared = new WeakSet();
  const headerOf = (err) => {
    let name, message;
    try {
      name = err.name;
      message = err.message;
    } catch {
      // A throwing getter leaves the V8 defaults.
    }
    name = name === undefined ? 'Error' : String(name);
    message = message === undefined ? '' : String(message);
    if (name === '') return message;
    if (message === '') return name;
    return `${name}: ${message}`;
  };
  const v8Stack = (err, frames) => {
    const head = headerOf(err);
    const body = frames.replace(/^ {4}at <anonymous> \((.*)\)$/gm, '    at $1').trimEnd();
    return body === '' ? head : `${head}\n${body}`;
  };
  const keep = (obj, value) => Object.defineProperty(obj, 'stack', { value, writable: true, configurable: true, enumerable: false });
  if (stack && stack.get && stack.set) {
    const getFrames = stack.get;
    const setString = stack.set;
    Object.defineProperty(Error.prototype, 'stack', {
      get() {
        const frames = getFrames.call(this);
        if (typeof frames !== 'string' || prepared.has(this)) return frames;
        const full = v8Stack(this, frames);
        keep(this, full);
        return full;
      },
      // QuickJS's setter accepts only strings; V8 lets code store anything
      // (libraries clear it with `err.stack = undefined`).
      set(value) {
        if (typeof value === 'string') setString.call(this, value);
        else keep(this, value);
      },
      configurable: true,
      enumerable: false,
    });
    // A program's prepareStackTrace sees the call sites as before; hearth
    // only notes which errors it formatted.
    const prepare = Object.getOwnPropertyDescriptor(Error, 'prepareStackTrace');
    let user = prepare.get.call(Error);
    Object.defineProperty(Error, 'prepareStackTrace', {
      get: () => user,
      set(fn) {
        user = fn;
        prepare.set.call(Error, typeof fn === 'function' ? function (err, sites) {
          if (err !== null && typeof err === 'object') prepared.add(err);
          return fn.call(this, err, sites);
        } : fn);
      },
      configurable: true,
      enumerable: false,
    });
    // captureStackTrace(target) gives the target its own `stack`, formatted
    // on first read too.
    const capture = Error.captureStackTrace;
    hide(Error, 'captureStackTrace', function captureStackTrace(target, fn) {
      // Without a function to cut at, cut at this wrapper (QuickJS cuts at the top frame).
      capture(target, typeof fn === 'function' ? fn : captureStackTrace);
      if (target === null || typeof target !== 'object' || prepared.has(target)) return;
      const own = Object.getOwnPropertyDescriptor(target, 'stack');
      if (!own || typeof own.value !== 'string') return;
      const frames = own.value;
      Object.defineProperty(target, 'stack', {
        get() {
          const full = v8Stack(this, frames);
          keep(this, full);
          return full;
        },
        set(value) { keep(this, value); },
        configurable: true,
        enumerable: false,
      });
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

// URLPattern: the `urlpattern` crate (mod.rs) compiles a pattern into one
// regular expression per URL component; matching runs them here.
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const COMPONENTS = ['protocol', 'username', 'password', 'hostname', 'port', 'pathname', 'search', 'hash'];
  const INIT_KEYS = [...COMPONENTS, 'baseURL'];

  // A pattern or URL input as the JSON the native side reads: a string, or
  // a URLPatternInit with string members.
  const toJSON = (input, what) => {
    if (typeof input === 'string') return JSON.stringify(input);
    if (input === null || typeof input !== 'object')
      throw new TypeError(`Failed to execute '${what}' on 'URLPattern': the input must be a string or a URLPatternInit`);
    const init = {};
    for (const key of INIT_KEYS) if (input[key] !== undefined) init[key] = `${input[key]}`;
    return JSON.stringify(init);
  };

  class URLPattern {
    #parts;
    #regexps = [];
    #hasRegExpGroups;
    constructor(input = {}, baseURL = undefined, options = undefined) {
      if (baseURL !== null && typeof baseURL === 'object') {
        options = baseURL;
        baseURL = undefined;
      }
      if (typeof input !== 'object' || input === null) input = `${input}`;
      const ignoreCase = !!(options && options.ignoreCase);
      const parsed = JSON.parse(native.urlPatternParse(toJSON(input, 'constructor'), baseURL === undefined ? undefined : `${baseURL}`, ignoreCase));
      this.#parts = COMPONENTS.map((name) => parsed[name]);
      this.#hasRegExpGroups = parsed.hasRegexpGroups;
      const flags = ignoreCase ? 'ui' : 'u';
      for (let i = 0; i < COMPONENTS.length; i++) {
        try {
          this.#regexps.push(new RegExp(this.#parts[i].regexpString, flags));
        } catch {
          throw new TypeError(`Failed to construct 'URLPattern': invalid ${COMPONENTS[i]} pattern '${this.#parts[i].patternString}'.`);
        }
      }
    }
    get protocol() { return this.#parts[0].patternString; }
    get username() { return this.#parts[1].patternString; }
    get password() { return this.#parts[2].patternString; }
    get hostname() { return this.#parts[3].patternString; }
    get port() { return this.#parts[4].patternString; }
    get pathname() { return this.#parts[5].patternString; }
    get search() { return this.#parts[6].patternString; }
    get hash() { return this.#parts[7].patternString; }
    get hasRegExpGroups() { return this.#hasRegExpGroups; }

    test(input = {}, baseURL = undefined) { return this.#match(input, baseURL, 'test') !== null; }
    exec(input = {}, baseURL = undefined) { return this.#match(input, baseURL, 'exec'); }

    #match(input, baseURL, what) {
      if (typeof input !== 'object' || input === null) input = `${input}`;
      const base = baseURL === undefined ? undefined : `${baseURL}`;
      const values = native.urlPatternInput(toJSON(input, what), base);
      if (values === undefined) return null;
      const parts = JSON.parse(values);
      const result = { inputs: base === undefined ? [input] : [input, base] };
      for (let i = 0; i < COMPONENTS.length; i++) {
        const name = COMPONENTS[i];
        const m = this.#regexps[i].exec(parts[name]);
        if (m === null) return null;
        const groups = {};
        const names = this.#parts[i].groupNameList;
        for (let g = 0; g < names.length; g++) groups[names[g]] = m[g + 1];
        result[name] = { input: parts[name], groups };
      }
      return result;
    }
  }
  Object.defineProperty(URLPattern.prototype, Symbol.toStringTag, { value: 'URLPattern', configurable: true });
  Object.defineProperty(globalThis, 'URLPattern', { value: URLPattern, writable: true, configurable: true, enumerable: false });
})();

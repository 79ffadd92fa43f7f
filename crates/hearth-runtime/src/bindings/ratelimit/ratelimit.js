// Rate limiting bindings (env.MY_RATE_LIMITER.limit({ key })).
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const internal = globalThis.__hearth_internal;

  class RateLimit {
    #name;
    constructor(name) {
      this.#name = name;
    }
    async limit(options) {
      if (typeof options !== 'object' || options === null) throw new Error('invalid rate limit options');
      const unknown = Object.keys(options).filter((k) => k !== 'key');
      if (unknown.length > 0) throw new Error(`bad rate limit options: [${unknown.join(',')}]`);
      const key = options.key === undefined ? '' : options.key;
      if (typeof key !== 'string') throw new Error(`invalid key: ${key}`);
      return { success: native.rateLimit(this.#name, key) };
    }
  }

  internal.RateLimit = RateLimit;
})();

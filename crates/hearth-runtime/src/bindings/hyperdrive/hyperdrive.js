// Hyperdrive bindings (env.MY_DB): where the connection pool hearth runs for
// the binding listens, in the shape of Cloudflare's Hyperdrive binding.
(function () {
  'use strict';
  const internal = globalThis.__hearth_internal;

  class Hyperdrive {
    #info;

    constructor(info) {
      this.#info = Object.freeze({ ...info });
    }

    /** postgresql://user:password@host:port/database of the pool. */
    get connectionString() {
      return this.#info.connectionString;
    }

    get host() {
      return this.#info.host;
    }

    get port() {
      return this.#info.port;
    }

    get user() {
      return this.#info.user;
    }

    get password() {
      return this.#info.password;
    }

    get database() {
      return this.#info.database;
    }

    /** A cloudflare:sockets Socket to the pool, for drivers that take one. */
    connect() {
      return internal.connect({ hostname: this.#info.host, port: this.#info.port });
    }
  }
  internal.Hyperdrive = Hyperdrive;
})();

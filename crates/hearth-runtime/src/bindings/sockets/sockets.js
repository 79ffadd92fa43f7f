// TCP sockets: `connect()` from `cloudflare:sockets` and the Socket handed to
// a Socket Worker's `connect(socket, env, ctx)` handler. The natives in
// mod.rs do the I/O; this file gives it the Workers Socket shape.
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const internal = globalThis.__hearth_internal;
  const TOKEN = Symbol('hearth socket');
  const encoder = new TextEncoder();
  const ignore = () => {};

  function parseAddress(address) {
    if (typeof address === 'string') {
      const m = /^\[([^\]]+)\]:(\d+)$/.exec(address) || /^([^:[\]]+):(\d+)$/.exec(address);
      if (!m) throw new TypeError(`connect(): "${address}" is not a valid address; use "host:port" or { hostname, port }`);
      return checkPort(m[1], Number(m[2]));
    }
    if (address !== null && typeof address === 'object') {
      if (typeof address.hostname !== 'string' || address.hostname === '')
        throw new TypeError('connect(): the address needs a hostname, e.g. { hostname: "127.0.0.1", port: 6379 }');
      const host = address.hostname.replace(/^\[(.*)\]$/, '$1');
      return checkPort(host, Number(address.port));
    }
    throw new TypeError('connect() needs an address: "host:port" or { hostname, port }');
  }

  function checkPort(hostname, port) {
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new TypeError(`connect(): port must be a whole number from 1 to 65535 (got ${port})`);
    return { hostname, port };
  }

  function errorOf(err) {
    return err instanceof Error ? err : new Error(String(err));
  }

  class Socket {
    #ready; // Promise<id>
    #opened;
    #closed;
    #settleClosed;
    #readable;
    #writable;
    #readController = null;
    #writeController = null;
    #hostname;
    #secureTransport;
    #allowHalfOpen;
    #readDone = false;
    #writeDone = false;
    #isClosed = false;
    #transferred = false;
    #upgraded = false;

    constructor(token, ready, hostname, options) {
      if (token !== TOKEN) throw new TypeError('Illegal constructor: use connect() from "cloudflare:sockets"');
      this.#hostname = hostname;
      this.#secureTransport = options.secureTransport;
      this.#allowHalfOpen = options.allowHalfOpen;
      this.#ready = ready.then((info) => info[0]);
      this.#ready.catch(ignore);
      this.#opened = ready.then((info) => ({ remoteAddress: info[1], localAddress: info[2] }));
      this.#opened.catch(ignore);
      this.#closed = new Promise((resolve, reject) => {
        this.#settleClosed = (err) => {
          if (err) reject(err);
          else resolve(undefined);
        };
      });
      this.#closed.catch(ignore);
      ready.catch((err) => this.#fail(err));

      this.#readable = new ReadableStream({
        type: 'bytes',
        start: (controller) => {
          this.#readController = controller;
        },
        pull: async (controller) => {
          const id = await this.#ready;
          const chunk = await native.socketRead(id);
          if (this.#readDone) return;
          if (chunk === null) {
            this.#readDone = true;
            try { controller.close(); } catch (_) {}
            this.#onReadEnd();
          } else {
            controller.enqueue(chunk);
          }
        },
        cancel: () => {
          this.#readDone = true;
          this.#maybeClosed();
        },
      });
      this.#writable = new WritableStream({
        start: (controller) => {
          this.#writeController = controller;
        },
        write: async (chunk) => {
          const id = await this.#ready;
          if (typeof chunk === 'string') chunk = encoder.encode(chunk);
          else if (!(chunk instanceof ArrayBuffer) && !ArrayBuffer.isView(chunk))
            throw new TypeError('socket.writable accepts ArrayBuffer, ArrayBufferView or string chunks');
          await native.socketWrite(id, chunk);
        },
        close: async () => {
          const id = await this.#ready;
          await native.socketShutdown(id);
          this.#writeDone = true;
          this.#maybeClosed();
        },
        abort: async () => {
          this.#writeDone = true;
          this.#maybeClosed();
        },
      });
    }

    get readable() { return this.#readable; }
    get writable() { return this.#writable; }
    get opened() { return this.#opened; }
    get closed() { return this.#closed; }
    get upgraded() { return this.#upgraded; }
    get secureTransport() { return this.#secureTransport; }

    // Closes both directions at once; pending reads end, pending writes fail.
    close() {
      this.#shutdownAll(null);
      return this.#closed;
    }

    startTls(options) {
      if (this.#secureTransport !== 'starttls')
        throw new TypeError('startTls() can only be called on a socket opened with { secureTransport: "starttls" }');
      if (this.#upgraded) throw new TypeError('startTls() was already called on this socket');
      this.#upgraded = true;
      const expected = (options && options.expectedServerHostname) || this.#hostname;
      const ready = this.#ready.then((id) =>
        native.socketStartTls(id, expected).then(() => this.#opened.then((o) => [id, o.remoteAddress, o.localAddress]))
      );
      // The plain-text socket hands its connection over and stops.
      this.#transferred = true;
      this.#finishStreams(null);
      this.#isClosed = true;
      this.#settleClosed(null);
      return new Socket(TOKEN, ready, this.#hostname, { secureTransport: 'on', allowHalfOpen: this.#allowHalfOpen });
    }

    #onReadEnd() {
      if (!this.#allowHalfOpen && !this.#writeDone) {
        // The peer finished: close our side too (allowHalfOpen: false).
        this.#writeDone = true;
        const writer = this.#writeController;
        this.#ready.then((id) => native.socketShutdown(id)).catch(ignore).then(() => {
          try { writer.error(new TypeError('the socket was closed: the peer ended the connection')); } catch (_) {}
          this.#maybeClosed();
        });
        return;
      }
      this.#maybeClosed();
    }

    #maybeClosed() {
      if (this.#readDone && this.#writeDone) this.#shutdownAll(null);
    }

    #fail(err) {
      this.#shutdownAll(errorOf(err));
    }

    #finishStreams(err) {
      if (!this.#readDone) {
        this.#readDone = true;
        try {
          if (err) this.#readController.error(err);
          else this.#readController.close();
        } catch (_) {}
      }
      if (!this.#writeDone) {
        this.#writeDone = true;
        try { this.#writeController.error(err || new TypeError('the socket is closed')); } catch (_) {}
      }
    }

    #shutdownAll(err) {
      if (this.#isClosed) return;
      this.#isClosed = true;
      this.#finishStreams(err);
      if (!this.#transferred) this.#ready.then((id) => native.socketClose(id), ignore);
      this.#settleClosed(err);
    }
  }

  function connect(address, options) {
    const { hostname, port } = parseAddress(address);
    const opts = options || {};
    const secureTransport = opts.secureTransport === undefined ? 'off' : String(opts.secureTransport);
    if (!['off', 'on', 'starttls'].includes(secureTransport))
      throw new TypeError(`connect(): secureTransport must be "off", "on" or "starttls" (got "${secureTransport}")`);
    const allowHalfOpen = Boolean(opts.allowHalfOpen);
    const ready = native.socketConnect(hostname, port, secureTransport === 'on');
    return new Socket(TOKEN, ready, hostname, { secureTransport, allowHalfOpen });
  }

  // A Socket Worker connection: calls the worker's connect(socket, env, ctx).
  // Accepted sockets are half-open capable: when the client finishes sending,
  // the handler may still answer and then close the writable itself.
  internal.runConnect = function (id, remote, local, handlerName) {
    const socket = new Socket(TOKEN, Promise.resolve([id, remote, local]), '', { secureTransport: 'off', allowHalfOpen: true });
    const ns = internal.exports;
    if (!ns) throw new Error('Socket Workers need an ES module worker that exports a connect(socket, env, ctx) handler');
    const name = handlerName || 'default';
    const target = ns[name];
    const ctx = new ExecutionContext();
    let result;
    if (typeof target === 'function' && target.prototype && typeof target.prototype.connect === 'function') {
      result = new target(ctx, internal.env).connect(socket);
    } else if (target && typeof target.connect === 'function') {
      result = target.connect(socket, internal.env, ctx);
    } else {
      throw new Error(`The worker's ${name === 'default' ? 'default export' : `export "${name}"`} has no connect(socket, env, ctx) handler, so it cannot serve [[tcp_listeners]] connections.`);
    }
    return Promise.resolve(result);
  };

  internal.connect = connect;
  internal.Socket = Socket;
})();

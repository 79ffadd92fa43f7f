// Service bindings (`env.B` for `services = [{ binding, service,
// entrypoint }]`, and `ctx.exports`): fetch() to the other worker, and any
// other property is JavaScript RPC to its entrypoint (rpc.js). A call's
// result is pipelined: `env.B.getThing().method()` works without awaiting in
// between.
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const internal = globalThis.__hearth_internal;
  const dispose = Symbol.dispose || Symbol.for('nodejs.dispose');

  const NULL_BODY_STATUS = [101, 204, 205, 304];

  class ServiceBinding {
    #service; #entrypoint;
    constructor(service, entrypoint) {
      this.#service = service;
      this.#entrypoint = entrypoint === undefined ? null : entrypoint;
      const self = this;
      const rpc = (kind, name, args) => native.serviceCall(self.#service, self.#entrypoint, kind, name, args);
      const stub = new Proxy(this, {
        get(target, prop) {
          if (prop === 'fetch') return (input, init) => target.fetch(input, init);
          if (prop === 'connect') return undefined;
          if (prop === dispose) return () => {};
          if (typeof prop === 'symbol' || prop === 'then') return undefined;
          return internal.rpcMember(rpc, prop);
        },
      });
      // Passed over RPC, the binding crosses as itself.
      return internal.registerStub(stub, ['service', this.#service, this.#entrypoint]);
    }

    async fetch(input, init) {
      const request = new Request(input, init);
      // A ReadableStream body is handed over as a stream.
      const body = internal.bodySource(request);
      const [status, statusText, headerList, answer] = await native.serviceFetch(
        this.#service, this.#entrypoint, request.url, request.method, internal.headersList(request.headers), body,
      );
      const streamed = typeof answer === 'number';
      const empty = request.method === 'HEAD' || NULL_BODY_STATUS.includes(status);
      if (empty && streamed) native.bodyCancel(answer);
      const responseBody = empty ? null : streamed ? internal.nativeStream(answer) : answer;
      return internal.makeResponse(status, statusText, headerList, responseBody, null);
    }
  }

  internal.ServiceBinding = ServiceBinding;
})();

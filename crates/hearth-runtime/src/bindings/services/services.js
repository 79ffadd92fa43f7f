// Service bindings (`env.B` for `services = [{ binding, service,
// entrypoint }]`, and `ctx.exports`): fetch() to the other worker, and any
// other property is JavaScript RPC to its entrypoint. A call's result is
// pipelined: `env.B.getThing().method()` works without awaiting in between.
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const internal = globalThis.__hearth_internal;
  const dispose = Symbol.dispose || Symbol.for('nodejs.dispose');

  const NULL_BODY_STATUS = [101, 204, 205, 304];

  // A promise of an RPC result that can also be called on and read from
  // before it settles: `p.method(...)` and `p.prop` wait for `p` first.
  function pipelined(promise) {
    const target = function () {};
    return new Proxy(target, {
      get(_, prop) {
        if (prop === 'then') return promise.then.bind(promise);
        if (prop === 'catch') return promise.catch.bind(promise);
        if (prop === 'finally') return promise.finally.bind(promise);
        if (prop === dispose) return () => {};
        if (typeof prop === 'symbol') return undefined;
        return member(promise.then((value) => value[prop]), promise, prop);
      },
      apply() {
        throw new TypeError('An RPC result is not a function; call one of its methods.');
      },
    });
  }

  // `p.prop` of a pipelined result: await it for the value, or call it.
  function member(valuePromise, parent, prop) {
    const target = function () {};
    return new Proxy(target, {
      get(_, next) {
        if (next === 'then') return valuePromise.then.bind(valuePromise);
        if (next === 'catch') return valuePromise.catch.bind(valuePromise);
        if (next === 'finally') return valuePromise.finally.bind(valuePromise);
        if (typeof next === 'symbol') return undefined;
        return member(valuePromise.then((value) => value[next]), valuePromise, next);
      },
      apply(_, __, args) {
        return pipelined(parent.then((value) => {
          if (value === null || value === undefined || typeof value[prop] !== 'function')
            throw new TypeError(`The RPC result has no method "${String(prop)}".`);
          return value[prop](...args);
        }));
      },
    });
  }

  class ServiceBinding {
    #service; #entrypoint;
    constructor(service, entrypoint) {
      this.#service = service;
      this.#entrypoint = entrypoint === undefined ? null : entrypoint;
      const self = this;
      const rpc = (kind, name, args) => native.serviceCall(self.#service, self.#entrypoint, kind, name, args);
      return new Proxy(this, {
        get(target, prop) {
          if (prop === 'fetch') return (input, init) => target.fetch(input, init);
          if (prop === 'connect') return undefined;
          if (prop === dispose) return () => {};
          if (typeof prop === 'symbol' || prop === 'then') return undefined;
          // A method call, or (awaited) a property read.
          const call = (...args) => pipelined(rpc('call', prop, args));
          let read = null;
          const value = () => read || (read = rpc('get', prop, []));
          return new Proxy(call, {
            get(_, next) {
              if (next === 'then') return (ok, err) => value().then(ok, err);
              if (next === 'catch') return (err) => value().catch(err);
              if (typeof next === 'symbol') return undefined;
              return member(value().then((v) => v[next]), value(), next);
            },
          });
        },
      });
    }

    async fetch(input, init) {
      const request = new Request(input, init);
      let body = internal.bodySource(request);
      if (body instanceof ReadableStream) body = await internal.collectBytes(body);
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

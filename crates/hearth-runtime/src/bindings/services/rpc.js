// JavaScript RPC's shared half (service bindings, Durable Object stubs,
// ctx.exports): promise pipelining, `RpcTarget`, and what crosses by
// reference. The structured-clone serializer asks `rpcEncode` about each
// function, class instance and proxy it meets in RPC arguments and results:
// a stub made here is written as what it stands for, a function or an
// `RpcTarget` is exported (kept in `exported` under an id) and written as
// `['export', kind, shard, worker, token, id]`. The other side's
// `rpcDecode` turns that into a stub whose calls come back here
// (`bindings/services/stubs.rs`), to `rpcInvoke`.
//
// Lifetimes, as on Cloudflare: what a call's arguments export is lent for
// the call and released when the callee's method returns, unless the callee
// `dup()`s the stub; what a result exports belongs to the receiver, released when the
// stub (or the result holding it) is disposed, or garbage-collected.
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const internal = globalThis.__hearth_internal;
  const dispose = Symbol.dispose || Symbol.for('nodejs.dispose');
  const DISPOSED = 'Attempted to use RPC stub after it has been disposed.';

  class RpcTarget {}
  internal.RpcTarget = RpcTarget;

  // Stubs made in this isolate → the descriptor they are written as.
  const descriptors = new WeakMap();
  internal.registerStub = (stub, descriptor) => {
    descriptors.set(stub, descriptor);
    return stub;
  };

  // A promise of an RPC result that can also be called on and read from
  // before it settles: `p.method(...)` and `p.prop` wait for `p` first.
  function pipelined(promise) {
    const target = function () {};
    return new Proxy(target, {
      get(_, prop) {
        if (prop === 'then') return promise.then.bind(promise);
        if (prop === 'catch') return promise.catch.bind(promise);
        if (prop === 'finally') return promise.finally.bind(promise);
        if (prop === dispose) return () => { promise.then((v) => disposeOf(v), () => {}); };
        if (typeof prop === 'symbol') return undefined;
        return member(promise.then((value) => value[prop]), promise, prop);
      },
      apply() {
        throw new TypeError('An RPC result is not a function; call one of its methods.');
      },
    });
  }
  internal.rpcPipelined = pipelined;

  function disposeOf(value) {
    if (value !== null && (typeof value === 'object' || typeof value === 'function') && typeof value[dispose] === 'function') value[dispose]();
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

  // `stub.name` where `rpc(kind, name, args)` reaches the remote object:
  // call it for a method, await it for a property.
  internal.rpcMember = function (rpc, prop) {
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
  };

  // ---- exports: what this isolate passed by reference ----------------------
  const exported = new Map(); // id → { value, pins }

  internal.rpcEncode = function (value) {
    const known = descriptors.get(value);
    if (known !== undefined) {
      // Passed on, a stub of an export has one holder more, who releases
      // it as any receiver does.
      if (known[0] === 'export') native.stubPin(known.slice(2), 1);
      return known;
    }
    const isTarget = value instanceof RpcTarget;
    if (typeof value !== 'function' && !isTarget) return null;
    const [shard, worker, token, id] = native.rpcExport();
    exported.set(id, { value, pins: 1 });
    return ['export', isTarget ? 'target' : 'function', shard, worker, token, id];
  };

  // Adds `delta` holders to an export; true once it is gone.
  internal.rpcPin = function (id, delta) {
    const entry = exported.get(id);
    if (entry === undefined) return true;
    entry.pins += delta;
    if (entry.pins > 0) return false;
    exported.delete(id);
    return true;
  };

  // Runs the body of an RPC call that just arrived (runRpc, doDispatch,
  // rpcInvoke) with the stubs lent to it, taken before anything awaits.
  // Resolves to [true, result, lent] or [false, exception, lent]: the host
  // serializes the outcome, then returns the lent stubs, so one the call
  // hands back has its new holder before the call lets go of it.
  internal.rpcCall = async function (body) {
    const lent = internal.rpcTakeLent();
    try {
      return [true, await body(), lent];
    } catch (err) {
      return [false, err, lent];
    }
  };

  // A call that came back to an export.
  internal.rpcInvoke = (id, kind, name, args) => internal.rpcCall(() => {
    const entry = exported.get(id);
    if (entry === undefined) throw new Error(DISPOSED);
    const { value } = entry;
    if (name == null) return value(...args);
    const forbidden = name === 'constructor' || Object.prototype.hasOwnProperty.call(Object.prototype, name);
    if (kind === 'get') return forbidden || !(name in value) ? undefined : value[name];
    if (forbidden || typeof value[name] !== 'function')
      throw new TypeError(`The RPC receiver does not implement the method "${name}".`);
    return value[name](...args);
  });

  // ---- stubs: what another isolate passed by reference ---------------------
  const collector = typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry((d) => native.stubPin(d.slice(2), -1))
    : null;

  // Stubs decoded from the arguments of the call about to start. The call
  // takes them as it starts, right after its arguments were read, and
  // returns them when it ends (`rpcCall`): they were lent for the call. The release travels the same way as a `dup()`
  // made during the call, so it never overtakes it.
  let arriving = [];
  internal.rpcTakeLent = () => {
    const lent = arriving;
    arriving = [];
    return lent;
  };
  internal.rpcReturnLent = (lent) => {
    for (const end of lent) end();
  };

  // `owned`: the stub came in a result (this side releases it) rather than
  // in arguments (lent for the call).
  function exportStub(d, owned) {
    let disposed = false;
    const key = {};
    const rpc = (kind, name, args) => {
      if (disposed) return Promise.reject(new Error(DISPOSED));
      return native.stubCall(d.slice(2), kind, name, args);
    };
    if (!owned) {
      arriving.push(() => {
        disposed = true;
        native.stubPin(d.slice(2), -1);
      });
    }
    const own = {
      [dispose]() {
        if (disposed) return;
        disposed = true;
        if (!owned) return;
        if (collector !== null) collector.unregister(key);
        native.stubPin(d.slice(2), -1);
      },
      dup() {
        if (disposed) throw new Error(DISPOSED);
        native.stubPin(d.slice(2), 1);
        return exportStub(d, true);
      },
    };
    const isFunction = d[1] === 'function';
    const stub = new Proxy(function () {}, {
      get(_, prop) {
        if (prop === dispose || prop === 'dup') return own[prop];
        if (typeof prop === 'symbol' || prop === 'then') return undefined;
        return internal.rpcMember(rpc, prop);
      },
      apply(_, __, args) {
        if (!isFunction) throw new TypeError('This RPC stub stands for an object, not a function.');
        return pipelined(rpc('call', null, args));
      },
    });
    descriptors.set(stub, d);
    if (owned && collector !== null) collector.register(stub, d, key);
    return stub;
  }

  internal.rpcDecode = function (d, owned) {
    switch (d[0]) {
      case 'export': return exportStub(d, owned);
      case 'service':
        native.rpcGrant('service', d[1], d[2] ?? '');
        return new internal.ServiceBinding(d[1], d[2]);
      case 'durable':
        native.rpcGrant('durable', d[1], d[3]);
        return internal.durableStub(d[1], d[2], d[3], d[4]);
    }
    throw new TypeError(`unknown kind of RPC stub: ${d[0]}`);
  };

  // A result holding stubs: disposing it disposes them.
  internal.rpcAdopt = function (value, stubs) {
    if (value === null || typeof value !== 'object' || descriptors.has(value) || !Object.isExtensible(value)) return;
    Object.defineProperty(value, dispose, {
      value() { for (const stub of stubs) stub[dispose](); },
      configurable: true, writable: true, enumerable: false,
    });
  };
})();

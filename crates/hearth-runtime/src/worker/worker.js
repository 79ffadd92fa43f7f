// Event dispatch: finds the worker's handlers (ES module exports or
// service-worker listeners) and runs fetch and scheduled events for the host.
(function () {
  'use strict';
  const internal = globalThis.__hearth_internal;
  const native = globalThis.__hearth_native;
  const listeners = { fetch: [], scheduled: [] };
  let entry = null;

  const logRejection = (what) => (err) => console.error(`Uncaught (in ${what})`, err);

  // One per event, as on Cloudflare; it holds no state, so it stays cheap
  // on the per-request path.
  class ExecutionContext {
    // The request (its timers and I/O) lives until the promise settles.
    waitUntil(promise) {
      native.waitUntil(Promise.resolve(promise).catch(logRejection('waitUntil')));
    }
    // There is no origin behind `hearth dev`, so an exception still becomes a 500.
    passThroughOnException() {}
    get props() {
      return {};
    }
    // Loopback service bindings to this worker's own entrypoints.
    get exports() {
      return exportsProxy();
    }
  }

  let loopback = null;
  function exportsProxy() {
    if (loopback === null) {
      loopback = new Proxy({}, {
        get(_, name) {
          if (typeof name !== 'string' || !internal.exports || !(name in internal.exports)) return undefined;
          return new internal.ServiceBinding(internal.workerName, name === 'default' ? null : name);
        },
      });
    }
    return loopback;
  }

  class FetchEvent extends Event {
    #request; #response = null; #responded = false;
    constructor(type, init) {
      super(type);
      this.#request = init.request;
    }
    get request() { return this.#request; }
    get responded() { return this.#responded; }
    get response() { return this.#response; }
    respondWith(response) {
      if (this.#responded) throw new DOMException('respondWith() was already called', 'InvalidStateError');
      this.#responded = true;
      this.#response = response;
    }
    waitUntil(promise) { native.waitUntil(Promise.resolve(promise).catch(logRejection('waitUntil'))); }
    passThroughOnException() {}
  }

  class ScheduledEvent extends Event {
    constructor(type, init) {
      super(type);
      this.scheduledTime = init.scheduledTime;
      this.cron = init.cron;
      this.waits = [];
    }
    waitUntil(promise) { this.waits.push(Promise.resolve(promise)); }
    noRetry() {}
  }

  // fetch and scheduled listeners are the worker's handlers; any other type
  // (unhandledrejection, rejectionhandled, error, ...) is an ordinary event
  // on the global scope.
  const globalEvents = internal.globalEvents;
  const globalListener = function addEventListener(type, handler, options = undefined) {
    if (!(type in listeners)) return globalEvents.addEventListener(type, handler, options);
    listeners[type].push(typeof handler === 'function' ? handler : (e) => handler.handleEvent(e));
  };
  Object.defineProperty(globalThis, 'addEventListener', { value: globalListener, writable: true, configurable: true });
  Object.defineProperty(globalThis, 'removeEventListener', {
    value: function removeEventListener(type, handler, options = undefined) {
      if (type in listeners) listeners[type] = listeners[type].filter((h) => h !== handler);
      else globalEvents.removeEventListener(type, handler, options);
    },
    writable: true,
    configurable: true,
  });
  Object.defineProperty(globalThis, 'dispatchEvent', {
    value: function dispatchEvent(event) { return globalEvents.dispatchEvent(event); },
    writable: true,
    configurable: true,
  });
  // Promises the host consumes itself (a fetch handler's result) are not
  // unhandled rejections; only tracked while someone listens for those.
  internal.hostPromises = new WeakSet();
  const watchRejections = () => internal.hasListeners(globalEvents, 'unhandledrejection');
  globalThis.FetchEvent = FetchEvent;
  globalThis.ScheduledEvent = ScheduledEvent;
  globalThis.ExecutionContext = ExecutionContext;

  class WorkerEntrypoint {
    constructor(ctx, env) {
      this.ctx = ctx;
      this.env = env;
    }
  }
  class DurableObject {
    constructor(ctx, env) {
      this.ctx = ctx;
      this.env = env;
    }
  }
  class WorkflowEntrypoint {
    constructor(ctx, env) {
      this.ctx = ctx;
      this.env = env;
    }
  }
  internal.WorkerEntrypoint = WorkerEntrypoint;
  internal.DurableObject = DurableObject;
  internal.WorkflowEntrypoint = WorkflowEntrypoint;

  internal.registerModule = function (namespace) {
    internal.exports = namespace;
    entry = namespace.default === undefined ? null : namespace.default;
  };

  // Calls `method` on the default export: an object of handlers, or a
  // WorkerEntrypoint class instantiated per event.
  function callEntry(method, args, ctx) {
    if (entry === null) throw new Error(`The worker's main module has no default export, so it has no ${method}() handler.`);
    if (typeof entry === 'function' && entry.prototype && typeof entry.prototype[method] === 'function') {
      const instance = new entry(ctx, internal.env);
      return instance[method](...args.slice(0, -2));
    }
    if (typeof entry[method] !== 'function') throw new Error(`Handler does not export a ${method}() function.`);
    return entry[method](...args);
  }

  const toParts = (response) => {
    if (!(response instanceof Response)) throw new TypeError("Incorrect type for Promise: the Promise did not resolve to 'Response'.");
    return internal.responseParts(response);
  };

  // There is no Cloudflare edge locally; like wrangler dev's offline
  // fallback, requests carry a fixed, plausible `cf` object.
  const LOCAL_CF = Object.freeze({
    asn: 395747, asOrganization: 'hearth', colo: 'DFW', country: 'US', city: 'Austin', continent: 'NA',
    region: 'Texas', regionCode: 'TX', postalCode: '78701', metroCode: '635', latitude: '30.27130', longitude: '-97.74260',
    timezone: 'America/Chicago', httpProtocol: 'HTTP/1.1', tlsVersion: '', tlsCipher: '', clientTcpRtt: 0,
    edgeRequestKeepAliveStatus: 1, requestPriority: '', clientAcceptEncoding: '',
  });

  // The named export a service binding's `entrypoint` reaches.
  function namedEntrypoint(name) {
    const target = internal.exports ? internal.exports[name] : undefined;
    if (target === undefined || target === null) throw new Error(`Worker "${internal.workerName}" has no export named "${name}" to use as an entrypoint.`);
    return target;
  }

  // A named entrypoint's fetch(): a WorkerEntrypoint class instantiated per
  // call, or an object of handlers.
  function fetchEntrypoint(name, request) {
    const target = namedEntrypoint(name);
    const ctx = new ExecutionContext();
    if (typeof target === 'function') {
      const instance = new target(ctx, internal.env);
      if (typeof instance.fetch !== 'function') throw new Error(`Entrypoint "${name}" has no fetch() method.`);
      return instance.fetch(request);
    }
    if (typeof target.fetch !== 'function') throw new Error(`Entrypoint "${name}" has no fetch() handler.`);
    return target.fetch(request, internal.env, ctx);
  }

  internal.runFetch = function (url, method, headers, bodyId, entrypoint) {
    const request = internal.makeRequest(url, method, headers, bodyId ? internal.nativeStream(bodyId) : null, LOCAL_CF);
    let result;
    if (entrypoint !== undefined && entrypoint !== null) {
      result = fetchEntrypoint(entrypoint, request);
    } else if (internal.exports) {
      const ctx = new ExecutionContext();
      // Plain handler objects (the common case) are called directly, without
      // building an argument array.
      result = entry !== null && typeof entry.fetch === 'function' && typeof entry !== 'function'
        ? entry.fetch(request, internal.env, ctx)
        : callEntry('fetch', [request, internal.env, ctx], ctx);
    } else {
      if (listeners.fetch.length === 0) throw new Error('No fetch handler: the script neither exports a default handler nor calls addEventListener("fetch", ...).');
      const event = new FetchEvent('fetch', { request });
      for (const listener of listeners.fetch) {
        listener.call(globalThis, event);
        if (event.responded) break;
      }
      if (!event.responded) throw new Error('The fetch event handler did not call respondWith().');
      result = event.response;
    }
    // A Response (or anything else) is finished here; a promise goes back to
    // the host, which reads it directly when already settled (the common
    // `async fetch` without awaits) and only subscribes when it is pending.
    if (result instanceof Promise) {
      if (watchRejections()) internal.hostPromises.add(result);
      return result;
    }
    return toParts(result);
  };

  internal.finishFetch = toParts;

  // JavaScript RPC through a service binding: calls method `name` (`kind`
  // 'call') or reads property `name` (`kind` 'get') on a fresh instance of
  // the entrypoint's WorkerEntrypoint class (the outcome as `rpcCall`
  // gives it; the host serializes it, as for Durable Objects).
  internal.runRpc = (entrypoint, kind, name, args) => internal.rpcCall(() => {
    const label = entrypoint === undefined || entrypoint === null ? 'default' : entrypoint;
    const target = label === 'default' ? entry : namedEntrypoint(label);
    if (typeof target !== 'function' || !(target.prototype instanceof WorkerEntrypoint))
      throw new TypeError(`The RPC receiver does not implement the method "${name}": entrypoint "${label}" of worker "${internal.workerName}" is not a class extending WorkerEntrypoint.`);
    const receiver = new target(new ExecutionContext(), internal.env);
    const forbidden = name === 'constructor' || name === 'fetch' && kind === 'get' || Object.prototype.hasOwnProperty.call(Object.prototype, name);
    if (kind === 'get') return forbidden || !(name in receiver) ? undefined : receiver[name];
    if (forbidden || typeof receiver[name] !== 'function')
      throw new TypeError(`The RPC receiver does not implement the method "${name}".`);
    return receiver[name](...args);
  });

  internal.runScheduled = async function (cron, scheduledTime) {
    if (internal.exports) {
      const waits = [];
      const ctx = new ExecutionContext();
      ctx.waitUntil = (p) => waits.push(Promise.resolve(p));
      const controller = { cron, scheduledTime, type: 'scheduled', noRetry() {} };
      await callEntry('scheduled', [controller, internal.env, ctx], ctx);
      await Promise.all(waits);
      return;
    }
    if (listeners.scheduled.length === 0) throw new Error('No scheduled handler is registered.');
    const event = new ScheduledEvent('scheduled', { cron, scheduledTime });
    for (const listener of listeners.scheduled) await listener.call(globalThis, event);
    await Promise.all(event.waits);
  };

  // A batch for the queue() handler (bindings/queues). Resolves to
  // [decisions, failed, thrown]: what the handler decided for its messages
  // also counts when it throws (messages it acked stay acked).
  internal.runQueue = async function (queue, rows) {
    const [batch, decisions] = internal.queueBatch(queue, rows);
    try {
      const waits = [];
      const ctx = new ExecutionContext();
      ctx.waitUntil = (p) => waits.push(Promise.resolve(p));
      if (!internal.exports) throw new Error('No queue handler: the script does not export a default handler with a queue() method.');
      await callEntry('queue', [batch, internal.env, ctx], ctx);
      await Promise.all(waits);
      return [decisions(), false, undefined];
    } catch (err) {
      // Running out of memory resets the isolate; it is not a result.
      if (err instanceof InternalError && err.message === 'out of memory') throw err;
      return [decisions(), true, err];
    }
  };

  // Standard globals are not enumerable (as in V8): the prelude, evaluated
  // before this point, defined some by assignment.
  for (const name of Object.keys(globalThis)) {
    Object.defineProperty(globalThis, name, { enumerable: false });
  }
})();

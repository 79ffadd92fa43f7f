// Durable Objects: namespaces, ids, stubs (fetch and RPC), the state and
// storage objects given to instances, and event dispatch for the host.
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const internal = globalThis.__hearth_internal;

  const bytesStream = (bytes) =>
    new ReadableStream({
      type: 'bytes',
      start(controller) {
        if (bytes.byteLength) controller.enqueue(bytes);
        controller.close();
      },
    });

  class DurableObjectId {
    #hex; #name;
    constructor(hex, name) {
      this.#hex = hex;
      this.#name = name;
    }
    toString() { return this.#hex; }
    toJSON() { return this.#hex; }
    equals(other) { return other instanceof DurableObjectId && other.#hex === this.#hex; }
    get name() { return this.#name; }
  }

  // The object's reply was built by responseParts() on the other side, so its
  // parts are already valid.
  function responseFromParts(parts) {
    const [status, statusText, headerList, body, wsId] = parts;
    const nullBody = status === 101 || status === 204 || status === 304;
    return internal.makeResponse(status, statusText, headerList, nullBody ? null : body, wsId ? internal.wsWrap(wsId) : null);
  }

  // `script` names the worker hosting the class (a binding's script_name).
  function makeStub(cls, script, id) {
    const hex = id.toString();
    const name = id.name === undefined ? null : id.name;
    const base = {
      id,
      name: id.name,
      async fetch(input, init) {
        // A Request passed on as-is (the common `stub.fetch(request)`) needs no copy.
        const request = init === undefined && input instanceof Request && !input.bodyUsed ? input : new Request(input, init);
        const [url, method, headerList, source] = internal.requestParts(request);
        const body = source instanceof ReadableStream ? await internal.collectBytes(source) : source;
        // An exception thrown by the object rejects with that exception.
        const cf = request.cf === undefined ? null : JSON.stringify(request.cf);
        return responseFromParts(await native.doFetch([cls, hex, script], name, [url, method, headerList, body, cf]));
      },
    };
    const stub = new Proxy(base, {
      get(target, prop) {
        if (prop in target) return target[prop];
        if (prop === Symbol.dispose) return () => {};
        if (typeof prop !== 'string' || prop === 'then') return undefined;
        // Arguments and result are structured clones (functions and
        // RpcTargets by reference, rpc.js); a throw rejects with its copy.
        return (...args) => internal.rpcPipelined(native.doCall([cls, hex, script], name, prop, args));
      },
    });
    // Passed over RPC, the stub crosses as itself.
    return internal.registerStub(stub, ['durable', cls, hex, script, name]);
  }
  internal.durableStub = (cls, hex, script, name) =>
    makeStub(cls, script, new DurableObjectId(hex, name === null ? undefined : name));

  class DurableObjectNamespace {
    #cls; #script;
    constructor(cls, script) {
      this.#cls = cls;
      this.#script = script;
    }
    idFromName(name) {
      return new DurableObjectId(native.doIdFromName(this.#cls, String(name)), String(name));
    }
    newUniqueId() {
      return new DurableObjectId(native.doUniqueId());
    }
    idFromString(hex) {
      return new DurableObjectId(native.doIdFromString(String(hex)));
    }
    get(id) {
      if (!(id instanceof DurableObjectId)) throw new TypeError('get() expects a DurableObjectId (from idFromName, newUniqueId or idFromString)');
      return makeStub(this.#cls, this.#script, id);
    }
    getByName(name) {
      return this.get(this.idFromName(name));
    }
    jurisdiction() {
      return this;
    }
  }
  internal.DurableObjectNamespace = DurableObjectNamespace;
  globalThis.DurableObjectNamespace = DurableObjectNamespace;
  globalThis.DurableObjectId = DurableObjectId;

  // ---- SQL ------------------------------------------------------------------
  const sqlArg = (v) => {
    if (v === undefined || v === null) return null;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return internal.toU8(v);
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'bigint') return v;
    throw new TypeError(`Unsupported type of SQL binding: ${typeof v}`);
  };
  class SqlStorageCursor {
    #columns; #rows; #at = 0;
    constructor(result) {
      this.#columns = result[0];
      this.#rows = result[1];
      this.rowsRead = result[2];
      this.rowsWritten = result[3];
    }
    get columnNames() { return this.#columns; }
    #object(row) {
      const o = {};
      this.#columns.forEach((c, i) => { o[c] = row[i]; });
      return o;
    }
    next() {
      if (this.#at >= this.#rows.length) return { done: true, value: undefined };
      return { done: false, value: this.#object(this.#rows[this.#at++]) };
    }
    [Symbol.iterator]() { return this; }
    toArray() {
      const out = [];
      for (const row of this) out.push(row);
      return out;
    }
    one() {
      const rest = this.#rows.length - this.#at;
      if (rest !== 1) throw new Error(rest === 0 ? 'Expected exactly one result from SQL query, but got no results.' : 'Expected exactly one result from SQL query, but got multiple results.');
      return this.next().value;
    }
    *raw() {
      while (this.#at < this.#rows.length) yield this.#rows[this.#at++];
    }
  }
  class SqlStorage {
    #key;
    constructor(key) { this.#key = key; }
    exec(query, ...bindings) {
      return new SqlStorageCursor(native.doSqlExec(this.#key[0], this.#key[1], String(query), bindings.map(sqlArg)));
    }
    get databaseSize() { return native.doDatabaseSize(this.#key[0], this.#key[1]); }
  }

  // ---- key-value storage ------------------------------------------------------
  const checkKey = (key) => {
    if (typeof key !== 'string') throw new TypeError('Durable Object storage keys must be strings');
    return key;
  };
  class SyncKv {
    #key;
    constructor(key) { this.#key = key; }
    get(key) {
      return native.doStorageGet(this.#key[0], this.#key[1], [checkKey(key)])[1];
    }
    put(key, value) {
      native.doStoragePut(this.#key[0], this.#key[1], [checkKey(key)], [value]);
    }
    delete(key) {
      return native.doStorageDelete(this.#key[0], this.#key[1], [checkKey(key)]) > 0;
    }
    *list(options = {}) {
      const flat = native.doStorageList(this.#key[0], this.#key[1], options || {});
      for (let i = 0; i < flat.length; i += 2) yield [flat[i], flat[i + 1]];
    }
  }
  class DurableObjectStorage {
    #key; #name; #sql; #kv;
    constructor(cls, hex, name) {
      this.#key = [cls, hex];
      this.#name = name;
    }
    async get(keys) {
      // Natives return [key, value, ...] for the keys found, values deserialized.
      if (Array.isArray(keys)) {
        const found = native.doStorageGet(this.#key[0], this.#key[1], keys.map(checkKey));
        const out = new Map();
        for (let i = 0; i < found.length; i += 2) out.set(found[i], found[i + 1]);
        return out;
      }
      return native.doStorageGet(this.#key[0], this.#key[1], [checkKey(keys)])[1];
    }
    async put(keyOrEntries, value) {
      if (typeof keyOrEntries === 'object' && keyOrEntries !== null) {
        const keys = Object.keys(keyOrEntries);
        native.doStoragePut(this.#key[0], this.#key[1], keys, keys.map((k) => keyOrEntries[k]));
        return;
      }
      if (value === undefined) throw new TypeError('put() called with undefined value');
      native.doStoragePut(this.#key[0], this.#key[1], [checkKey(keyOrEntries)], [value]);
    }
    async delete(keys) {
      if (Array.isArray(keys)) return native.doStorageDelete(this.#key[0], this.#key[1], keys.map(checkKey));
      return native.doStorageDelete(this.#key[0], this.#key[1], [checkKey(keys)]) > 0;
    }
    async list(options = {}) {
      const o = options || {};
      if (o.limit !== undefined && !(o.limit > 0)) throw new RangeError('list() limit must be a positive integer');
      const flat = native.doStorageList(this.#key[0], this.#key[1], o);
      const out = new Map();
      for (let i = 0; i < flat.length; i += 2) out.set(flat[i], flat[i + 1]);
      return out;
    }
    async deleteAll() {
      native.doDeleteAll(this.#key[0], this.#key[1]);
    }
    async transaction(closure) {
      native.doSavepoint(this.#key[0], this.#key[1], 'begin');
      // The transaction object forwards to this storage (private fields are
      // not inherited through a prototype, so methods are bound here).
      const txn = {};
      for (const m of ['get', 'put', 'delete', 'list', 'deleteAll', 'getAlarm', 'setAlarm', 'deleteAlarm']) txn[m] = this[m].bind(this);
      let rolledBack = false;
      txn.rollback = () => {
        if (!rolledBack) native.doSavepoint(this.#key[0], this.#key[1], 'rollback');
        rolledBack = true;
      };
      try {
        const result = await closure(txn);
        if (!rolledBack) native.doSavepoint(this.#key[0], this.#key[1], 'release');
        return result;
      } catch (err) {
        if (!rolledBack) native.doSavepoint(this.#key[0], this.#key[1], 'rollback');
        throw err;
      }
    }
    transactionSync(closure) {
      native.doSavepoint(this.#key[0], this.#key[1], 'begin');
      try {
        const result = closure();
        native.doSavepoint(this.#key[0], this.#key[1], 'release');
        return result;
      } catch (err) {
        native.doSavepoint(this.#key[0], this.#key[1], 'rollback');
        throw err;
      }
    }
    // Responses already wait for durability (output gate); nothing to do.
    async sync() {}
    async getAlarm() {
      return native.doGetAlarm(this.#key[0], this.#key[1]);
    }
    async setAlarm(time) {
      const ms = time instanceof Date ? time.getTime() : Number(time);
      if (!Number.isFinite(ms)) throw new TypeError('setAlarm() expects a Date or a number of milliseconds since the epoch');
      native.doSetAlarm(this.#key[0], this.#key[1], this.#name, ms);
    }
    async deleteAlarm() {
      native.doSetAlarm(this.#key[0], this.#key[1], this.#name, null);
    }
    get sql() {
      return this.#sql || (this.#sql = new SqlStorage(this.#key));
    }
    get kv() {
      return this.#kv || (this.#kv = new SyncKv(this.#key));
    }
  }

  // ---- instances ------------------------------------------------------------
  const hibernated = new Map();
  internal.wsHibernated = (id) => hibernated.get(id);
  function hibernatedSocket(id) {
    let ws = hibernated.get(id) || internal.wsServer(id);
    if (!ws) {
      ws = internal.wsWrap(id);
      ws._markAccepted();
    }
    hibernated.set(id, ws);
    return ws;
  }

  class DurableObjectState {
    #cls; #hex; #blockers = [];
    constructor(cls, hex, name) {
      this.#cls = cls;
      this.#hex = hex;
      this.id = new DurableObjectId(hex, name === null ? undefined : name);
      this.storage = new DurableObjectStorage(cls, hex, name);
    }
    waitUntil(promise) {
      Promise.resolve(promise).catch((e) => console.error('Uncaught (in waitUntil)', e));
    }
    blockConcurrencyWhile(callback) {
      const p = Promise.resolve().then(callback);
      this.#blockers.push(p.catch(() => {}));
      return p;
    }
    // null when nothing blocks, so events skip an await on the common path.
    _ready() {
      return this.#blockers.length ? this.#drain() : null;
    }
    async #drain() {
      while (this.#blockers.length) {
        const pending = this.#blockers;
        this.#blockers = [];
        await Promise.all(pending);
      }
    }
    acceptWebSocket(ws, tags = []) {
      const id = internal.wsId(ws);
      if (id === undefined) throw new TypeError('acceptWebSocket() expects the server end of a WebSocketPair');
      if (tags.length > 10) throw new RangeError('A WebSocket can have at most 10 tags');
      native.wsHibernate(id, this.#cls, this.#hex, this.id.name === undefined ? null : this.id.name, tags.map(String));
      internal.wsForget(id);
      ws._markAccepted();
      hibernated.set(id, ws);
    }
    getWebSockets(tag) {
      return native.wsList(this.#cls, this.#hex, tag === undefined ? null : String(tag)).map(hibernatedSocket);
    }
    getTags(ws) {
      return native.wsTags(internal.wsId(ws));
    }
    setWebSocketAutoResponse(pair) {
      native.wsAutoResponse(this.#cls, this.#hex, pair ? pair.request : null, pair ? pair.response : null);
    }
    abort(reason) {
      throw new Error(`Durable Object aborted: ${reason}`);
    }
  }
  globalThis.WebSocketRequestResponsePair = class WebSocketRequestResponsePair {
    constructor(request, response) {
      this.request = request;
      this.response = response;
    }
  };

  const instances = new Map();
  function instance(cls, hex, name) {
    const key = `${cls}\u0000${hex}`;
    let entry = instances.get(key);
    if (!entry) {
      const Class = internal.exports && internal.exports[cls];
      if (typeof Class !== 'function') throw new Error(`Durable Object class "${cls}" is not exported from the worker's main module.`);
      const state = new DurableObjectState(cls, hex, name);
      entry = { state, object: new Class(state, internal.env) };
      instances.set(key, entry);
    }
    return entry;
  }
  internal.doEvict = (cls, hex) => instances.delete(`${cls}\u0000${hex}`);

  // The object, once what blocks its concurrency is done.
  function ready(cls, hex, name) {
    const { state, object } = instance(cls, hex, name);
    const blocked = state._ready();
    return blocked === null ? object : blocked.then(() => object);
  }

  // Host → JavaScript: run one event on an object; resolves to the reply.
  // An RPC call (`a` the method, `b` its arguments, already deserialized)
  // resolves to its outcome as `rpcCall` gives it.
  internal.doDispatch = function (cls, hex, name, kind, args) {
    if (kind !== 'call') return dispatchEvent(cls, hex, name, kind, args);
    const [method, list] = args;
    return internal.rpcCall(async () => {
      const object = await ready(cls, hex, name);
      if (method === 'constructor' || typeof object[method] !== 'function' || Object.prototype.hasOwnProperty.call(Object.prototype, method))
        throw new TypeError(`The RPC receiver does not implement the method "${method}".`);
      return object[method](...list);
    });
  };

  async function dispatchEvent(cls, hex, name, kind, [a, b, c, d, e]) {
    const object = await ready(cls, hex, name);
    switch (kind) {
      case 'fetch': {
        if (typeof object.fetch !== 'function') throw new Error(`Durable Object class "${cls}" has no fetch() handler.`);
        const request = internal.makeRequest(a, b, c, d === null ? null : bytesStream(d), e == null ? undefined : JSON.parse(e));
        const response = await object.fetch(request);
        if (!(response instanceof Response)) throw new TypeError("Incorrect type for Promise: the Promise did not resolve to 'Response'.");
        const parts = internal.responseParts(response);
        let body = parts[3];
        if (body instanceof ReadableStream) body = await internal.collectBytes(body);
        return [parts[0], parts[1], parts[2], body, parts[4] ? internal.wsId(parts[4]) : 0];
      }
      case 'alarm':
        if (typeof object.alarm !== 'function') throw new Error(`Durable Object class "${cls}" has no alarm() handler.`);
        await object.alarm({ retryCount: a, isRetry: a > 0 });
        return null;
      case 'wsmessage':
        if (typeof object.webSocketMessage === 'function') await object.webSocketMessage(hibernatedSocket(a), b);
        return null;
      case 'wsclose': {
        const ws = hibernatedSocket(a);
        hibernated.delete(a);
        ws.readyState = WebSocket.CLOSED;
        if (typeof object.webSocketClose === 'function') await object.webSocketClose(ws, b, c, true);
        return null;
      }
      case 'wserror': {
        const ws = hibernatedSocket(a);
        hibernated.delete(a);
        if (typeof object.webSocketError === 'function') await object.webSocketError(ws, new Error(b));
        return null;
      }
      default:
        throw new Error(`unknown Durable Object event ${kind}`);
    }
  }
})();

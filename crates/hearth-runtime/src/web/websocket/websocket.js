// WebSocketPair and WebSocket, over native socket resources. A pair shares
// one native id: the server end lives in JavaScript, the client end is the
// real connection once the 101 response carrying it reaches the client.
// Outbound sockets (`new WebSocket(url)`, fetch() with `Upgrade: websocket`)
// have their own id and receive events like a pair's server end.
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const internal = globalThis.__hearth_internal;
  const CONNECTING = 0, OPEN = 1, CLOSING = 2, CLOSED = 3;
  const ID = Symbol('wsId');
  // Server ends by id, for delivering events from the host.
  const servers = new Map();

  class CloseEvent extends Event {
    constructor(type, init = {}) {
      super(type);
      this.code = init.code === undefined ? 1005 : init.code;
      this.reason = init.reason || '';
      this.wasClean = !!init.wasClean;
    }
  }

  // `new WebSocket(url, protocols)`: the URL as the handshake uses it, and
  // the offered subprotocols, validated as the WHATWG spec asks.
  function clientTarget(url, protocols) {
    let parsed;
    try {
      parsed = new URL(String(url));
    } catch {
      throw new DOMException(`Failed to construct 'WebSocket': The URL '${url}' is invalid.`, 'SyntaxError');
    }
    if (parsed.protocol === 'http:') parsed.protocol = 'ws:';
    else if (parsed.protocol === 'https:') parsed.protocol = 'wss:';
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:')
      throw new DOMException(`Failed to construct 'WebSocket': The URL's scheme must be 'ws' or 'wss'. '${parsed.protocol}' is not allowed.`, 'SyntaxError');
    if (parsed.hash) throw new DOMException(`Failed to construct 'WebSocket': The URL contains a fragment identifier ('${parsed.hash}').`, 'SyntaxError');
    const list = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : Array.from(protocols, String);
    for (const p of list) {
      if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(p)) throw new DOMException(`Failed to construct 'WebSocket': The subprotocol '${p}' is invalid.`, 'SyntaxError');
    }
    if (new Set(list).size !== list.length) throw new DOMException('Failed to construct \'WebSocket\': The subprotocols contain duplicates.', 'SyntaxError');
    return [parsed.href, list];
  }

  class WebSocket extends EventTarget {
    static CONNECTING = CONNECTING;
    static OPEN = OPEN;
    static CLOSING = CLOSING;
    static CLOSED = CLOSED;
    // workerd's longer names for the same states, which some libraries use.
    static READY_STATE_CONNECTING = CONNECTING;
    static READY_STATE_OPEN = OPEN;
    static READY_STATE_CLOSING = CLOSING;
    static READY_STATE_CLOSED = CLOSED;
    #accepted = false;
    #pending = [];
    #closeRequest = null;
    constructor(url, protocols) {
      super();
      this.protocol = '';
      this.extensions = '';
      this.binaryType = 'arraybuffer';
      if (url === internal.wsToken) {
        this.readyState = OPEN;
        this.url = null;
        return;
      }
      const [href, list] = clientTarget(url, protocols);
      this.readyState = CONNECTING;
      this.url = href;
      const headers = list.length ? ['sec-websocket-protocol', list.join(', ')] : [];
      let pending;
      try {
        pending = native.wsConnect(href, headers);
      } catch (err) {
        pending = Promise.reject(err);
      }
      pending.then(
        (parts) => this.#opened(parts),
        (err) => this.#failed(String((err && err.message) || err)),
      );
    }
    // The handshake of `new WebSocket(url)` finished.
    #opened([status, , headerList, id]) {
      if (status !== 101) {
        native.bodyCancel(id);
        this.#failed(`WebSocket connection to ${this.url} failed: the server answered ${status} instead of 101 Switching Protocols`);
        return;
      }
      Object.defineProperty(this, ID, { value: id });
      for (let i = 0; i < headerList.length; i += 2) {
        if (headerList[i] === 'sec-websocket-protocol') this.protocol = headerList[i + 1];
        if (headerList[i] === 'sec-websocket-extensions') this.extensions = headerList[i + 1];
      }
      servers.set(id, this);
      this.#accepted = true;
      native.wsAccept(id);
      if (this.#closeRequest) {
        native.wsClose(id, ...this.#closeRequest);
        return;
      }
      this.readyState = OPEN;
      this.dispatchEvent(new Event('open'));
    }
    #failed(message) {
      this.readyState = CLOSED;
      this.dispatchEvent(new ErrorEvent('error', { message, error: new Error(message) }));
      this.dispatchEvent(new CloseEvent('close', { code: 1006, reason: '', wasClean: false }));
    }
    accept() {
      if (this.#accepted) throw new TypeError('Can\'t accept() WebSocket twice.');
      this.#accepted = true;
      // An outbound socket from fetch() starts receiving only now.
      if (!servers.has(this[ID])) servers.set(this[ID], this);
      native.wsAccept(this[ID]);
      const pending = this.#pending;
      this.#pending = [];
      for (const event of pending) this.dispatchEvent(event);
    }
    send(message) {
      if (this.readyState === CONNECTING) throw new DOMException('Failed to execute \'send\' on \'WebSocket\': Still in CONNECTING state.', 'InvalidStateError');
      if (this.readyState !== OPEN) throw new TypeError('Can\'t call WebSocket send() after close().');
      if (typeof message === 'string') native.wsSend(this[ID], message);
      else native.wsSend(this[ID], internal.toU8(message));
    }
    close(code, reason) {
      if (this.readyState >= CLOSING) return;
      const args = [code === undefined ? 1000 : code, reason === undefined ? '' : String(reason)];
      const connecting = this.readyState === CONNECTING;
      this.readyState = CLOSING;
      if (connecting) this.#closeRequest = args;
      else native.wsClose(this[ID], ...args);
    }
    serializeAttachment(value) {
      native.wsSetAttachment(this[ID], value);
    }
    deserializeAttachment() {
      return native.wsGetAttachment(this[ID]);
    }
    // Events from the host; held until accept(), as Workers does.
    _deliver(event) {
      if (event.type === 'close') this.readyState = CLOSED;
      if (event.type === 'message' && this.binaryType === 'blob' && event.data instanceof ArrayBuffer)
        event.data = new Blob([event.data]);
      if (this.#accepted) this.dispatchEvent(event);
      else this.#pending.push(event);
    }
    _markAccepted() {
      this.#accepted = true;
    }
  }
  // Interface constants live on the prototype too (WebIDL).
  for (const name of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) {
    for (const key of [name, `READY_STATE_${name}`]) {
      Object.defineProperty(WebSocket.prototype, key, { value: WebSocket[key], enumerable: true });
    }
  }
  for (const type of ['message', 'close', 'error', 'open']) {
    Object.defineProperty(WebSocket.prototype, `on${type}`, {
      get() { return this[`_on${type}`] || null; },
      set(fn) {
        if (this[`_on${type}`]) this.removeEventListener(type, this[`_on${type}`]);
        this[`_on${type}`] = fn;
        if (typeof fn === 'function') this.addEventListener(type, fn);
      },
    });
  }

  internal.wsToken = Symbol('internal');
  function wrap(id) {
    const ws = new WebSocket(internal.wsToken);
    Object.defineProperty(ws, ID, { value: id });
    return ws;
  }
  internal.wsWrap = wrap;
  internal.wsId = (ws) => (ws instanceof WebSocket ? ws[ID] : undefined);

  class WebSocketPair {
    constructor() {
      const id = native.wsPair();
      const client = wrap(id);
      const server = wrap(id);
      servers.set(id, server);
      this[0] = client;
      this[1] = server;
    }
  }

  // Host → JavaScript: something happened on socket `id`.
  internal.wsEvent = function (id, kind, a, b) {
    const ws = servers.get(id) || internal.wsHibernated(id);
    if (!ws) return;
    if (kind === 'message') ws._deliver(new MessageEvent('message', { data: a }));
    else if (kind === 'close') {
      servers.delete(id);
      ws._deliver(new CloseEvent('close', { code: a, reason: b, wasClean: true }));
    } else ws._deliver(new ErrorEvent('error', { message: a }));
  };
  internal.wsForget = (id) => servers.delete(id);
  internal.wsServer = (id) => servers.get(id);
  internal.wsHibernated = () => undefined;

  globalThis.WebSocket = WebSocket;
  globalThis.WebSocketPair = WebSocketPair;
  globalThis.CloseEvent = CloseEvent;
})();

// WebSocketPair and WebSocket, over native socket resources. A pair shares
// one native id: the server end lives in JavaScript, the client end is the
// real connection once the 101 response carrying it reaches the client.
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const internal = globalThis.__hearth_internal;
  const OPEN = 1, CLOSING = 2, CLOSED = 3;
  const ID = Symbol('wsId');
  // Server ends by id, for delivering events from the host.
  const servers = new Map();

  class MessageEvent extends Event {
    constructor(type, init = {}) {
      super(type);
      this.data = init.data;
    }
  }
  class CloseEvent extends Event {
    constructor(type, init = {}) {
      super(type);
      this.code = init.code === undefined ? 1005 : init.code;
      this.reason = init.reason || '';
      this.wasClean = !!init.wasClean;
    }
  }
  class ErrorEvent extends Event {
    constructor(type, init = {}) {
      super(type);
      this.message = init.message || '';
      this.error = init.error;
    }
  }

  class WebSocket extends EventTarget {
    static CONNECTING = 0;
    static OPEN = OPEN;
    static CLOSING = CLOSING;
    static CLOSED = CLOSED;
    #accepted = false;
    #pending = [];
    constructor(url) {
      super();
      if (url !== internal.wsToken) throw new TypeError('Outbound WebSocket connections with new WebSocket(url) are not supported by hearth yet; use a WebSocketPair in a Worker.');
      this.readyState = OPEN;
      this.url = null;
      this.protocol = '';
      this.extensions = '';
      this.binaryType = 'arraybuffer';
    }
    accept() {
      if (this.#accepted) throw new TypeError('Can\'t accept() WebSocket twice.');
      this.#accepted = true;
      native.wsAccept(this[ID]);
      const pending = this.#pending;
      this.#pending = [];
      for (const event of pending) this.dispatchEvent(event);
    }
    send(message) {
      if (this.readyState !== OPEN) throw new TypeError('Can\'t call WebSocket send() after close().');
      if (typeof message === 'string') native.wsSend(this[ID], message);
      else native.wsSend(this[ID], internal.toU8(message));
    }
    close(code, reason) {
      if (this.readyState >= CLOSING) return;
      this.readyState = CLOSING;
      native.wsClose(this[ID], code === undefined ? 1000 : code, reason === undefined ? '' : String(reason));
    }
    serializeAttachment(value) {
      native.wsSetAttachment(this[ID], internal.serialize(value));
    }
    deserializeAttachment() {
      const text = native.wsGetAttachment(this[ID]);
      return text == null ? null : internal.deserialize(text);
    }
    // Events from the host; held until accept(), as Workers does.
    _deliver(event) {
      if (event.type === 'close') this.readyState = CLOSED;
      if (this.#accepted) this.dispatchEvent(event);
      else this.#pending.push(event);
    }
    _markAccepted() {
      this.#accepted = true;
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
  globalThis.MessageEvent = MessageEvent;
  globalThis.CloseEvent = CloseEvent;
  globalThis.ErrorEvent = globalThis.ErrorEvent || ErrorEvent;
})();

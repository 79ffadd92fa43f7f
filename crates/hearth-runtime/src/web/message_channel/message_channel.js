// MessageChannel and MessagePort within one isolate: messages are
// structured-cloned when posted and delivered to the other port as tasks,
// once that port is started (start() or setting onmessage).
(function () {
  'use strict';
  const internal = globalThis.__hearth_internal;
  const hide = (obj, name, value) =>
    Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });
  const tag = (cls) =>
    Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: cls.name, configurable: true });
  const ILLEGAL = Symbol('illegal constructor');

  class MessagePort extends EventTarget {
    #other = null;
    #queue = [];
    #started = false;
    #scheduled = false;
    constructor(key) {
      if (key !== ILLEGAL) throw new TypeError('Illegal constructor');
      super();
    }

    postMessage(message, transferOrOptions = undefined) {
      if (arguments.length === 0) throw new TypeError("Failed to execute 'postMessage' on 'MessagePort': 1 argument required, but only 0 present.");
      let transfer = [];
      if (Array.isArray(transferOrOptions)) transfer = transferOrOptions;
      else if (transferOrOptions != null && transferOrOptions.transfer !== undefined) transfer = Array.from(transferOrOptions.transfer);
      if (transfer.includes(this)) throw new DOMException('A port cannot transfer itself.', 'DataCloneError');
      // Cloning errors throw here, in the sender.
      const data = structuredClone(message, { transfer });
      const target = this.#other;
      if (target !== null) target.#enqueue(data);
    }

    start() {
      if (this.#started) return;
      this.#started = true;
      this.#schedule();
    }

    close() {
      const other = this.#other;
      this.#other = null;
      this.#queue = [];
      if (other !== null) other.#other = null;
    }

    #enqueue(data) {
      this.#queue.push(data);
      this.#schedule();
    }

    // One message per task, so microtasks run between two messages.
    #schedule() {
      if (!this.#started || this.#scheduled || this.#queue.length === 0) return;
      this.#scheduled = true;
      setTimeout(() => {
        this.#scheduled = false;
        if (this.#queue.length === 0) return;
        const data = this.#queue.shift();
        this.#schedule();
        this.dispatchEvent(new MessageEvent('message', { data }));
      }, 0);
    }

    static {
      entangle = (a, b) => {
        a.#other = b;
        b.#other = a;
      };
    }
  }
  var entangle;
  internal.defineEventHandler(MessagePort.prototype, 'message');
  internal.defineEventHandler(MessagePort.prototype, 'messageerror');
  // Setting onmessage starts the port, as in HTML.
  const onmessage = Object.getOwnPropertyDescriptor(MessagePort.prototype, 'onmessage');
  Object.defineProperty(MessagePort.prototype, 'onmessage', {
    ...onmessage,
    set(fn) {
      onmessage.set.call(this, fn);
      this.start();
    },
  });
  tag(MessagePort);

  class MessageChannel {
    #port1 = new MessagePort(ILLEGAL);
    #port2 = new MessagePort(ILLEGAL);
    constructor() { entangle(this.#port1, this.#port2); }
    get port1() { return this.#port1; }
    get port2() { return this.#port2; }
  }
  tag(MessageChannel);

  hide(globalThis, 'MessagePort', MessagePort);
  hide(globalThis, 'MessageChannel', MessageChannel);
})();

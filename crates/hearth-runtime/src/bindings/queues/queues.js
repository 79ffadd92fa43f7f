// Queues: producer bindings (env.MY_QUEUE.send / sendBatch) and the
// MessageBatch a consumer's queue() handler receives.
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const internal = globalThis.__hearth_internal;
  const TYPES = ['text', 'json', 'bytes', 'v8'];
  const MAX_DELAY = 43200;

  function contentType(type) {
    if (type === undefined) return internal.compat.queues_json_messages ? 'json' : 'v8';
    const lower = String(type).toLowerCase();
    if (!TYPES.includes(lower)) throw new TypeError(`Unsupported queue message content type: ${type}`);
    return lower;
  }

  // What the host stores: a string (text, json), a byte view (bytes) or the
  // value itself (v8, serialized by the host).
  function encode(body, type) {
    if (body === undefined) throw new TypeError('Message body cannot be undefined');
    switch (type) {
      case 'text':
        if (typeof body !== 'string') throw new TypeError(`Content Type "text" requires a value of type string, but received: ${typeof body}`);
        return body;
      case 'bytes':
        if (!ArrayBuffer.isView(body)) throw new TypeError(`Content Type "bytes" requires a value of type ArrayBufferView, but received: ${typeof body}`);
        return body;
      case 'json': {
        const text = JSON.stringify(body);
        if (text === undefined) throw new TypeError(`Content Type "json" requires a value that can be serialized as JSON, but received: ${typeof body}`);
        return text;
      }
      default:
        return body;
    }
  }

  function delay(value) {
    if (value === undefined) return undefined;
    if (typeof value !== 'number') throw new TypeError(`delaySeconds must be a number, but received: ${typeof value}`);
    return value;
  }

  class WorkerQueue {
    #binding;
    constructor(binding) {
      this.#binding = binding;
    }
    async send(body, options = undefined) {
      const opts = options || {};
      const type = contentType(opts.contentType);
      return native.queueSend(this.#binding, [[type, encode(body, type), delay(opts.delaySeconds)]], undefined, false);
    }
    async sendBatch(messages, options = undefined) {
      if (messages === null || messages === undefined || typeof messages[Symbol.iterator] !== 'function')
        throw new TypeError('sendBatch() requires an iterable of messages');
      const items = [];
      for (const message of messages) {
        const type = contentType(message.contentType);
        items.push([type, encode(message.body, type), delay(message.delaySeconds)]);
      }
      if (items.length === 0) throw new TypeError('sendBatch() requires at least one message');
      const opts = options || {};
      return native.queueSend(this.#binding, items, delay(opts.delaySeconds), true);
    }
  }

  function retryDelay(options) {
    const value = options === undefined || options === null ? undefined : options.delaySeconds;
    if (value === undefined) return null;
    if (typeof value !== 'number' || !(value >= 0 && value <= MAX_DELAY))
      throw new RangeError(`delaySeconds must be a number of seconds from 0 to ${MAX_DELAY}`);
    return Math.floor(value);
  }

  // What the handler decided, shared by a batch and its messages.
  class Outcome {
    acks = new Set();
    retries = new Map();
    ackAll = false;
    retryAll = false;
    retryAllDelay = null;
  }

  class Message {
    #outcome;
    constructor(outcome, id, timestamp, body, attempts) {
      this.#outcome = outcome;
      this.id = id;
      this.timestamp = new Date(timestamp);
      this.body = body;
      this.attempts = attempts;
      Object.freeze(this);
    }
    ack() {
      const o = this.#outcome;
      if (o.ackAll) return;
      if (o.retryAll) return console.warn(`Received a call to ack() on message ${this.id} after retryAll() was already called. Calling ack() on a message after calling retryAll() has no effect.`);
      if (o.retries.has(this.id)) return console.warn(`Received a call to ack() on message ${this.id} after retry() was already called. Calling ack() on a message after calling retry() has no effect.`);
      o.acks.add(this.id);
    }
    retry(options = undefined) {
      const o = this.#outcome;
      const seconds = retryDelay(options);
      if (o.retryAll) return;
      if (o.ackAll) return console.warn(`Received a call to retry() on message ${this.id} after ackAll() was already called. Calling retry() on a message after calling ackAll() has no effect.`);
      if (o.acks.has(this.id)) return console.warn(`Received a call to retry() on message ${this.id} after ack() was already called. Calling retry() on a message after calling ack() has no effect.`);
      o.retries.set(this.id, seconds);
    }
  }

  class MessageBatch {
    #outcome;
    constructor(queue, messages, outcome) {
      this.#outcome = outcome;
      this.queue = queue;
      this.messages = messages;
      Object.freeze(this);
    }
    ackAll() {
      const o = this.#outcome;
      if (o.retryAll) return console.warn('Received a call to ackAll() after retryAll() was already called. Calling ackAll() after calling retryAll() has no effect.');
      o.ackAll = true;
    }
    retryAll(options = undefined) {
      const o = this.#outcome;
      const seconds = retryDelay(options);
      if (o.ackAll) return console.warn('Received a call to retryAll() after ackAll() was already called. Calling retryAll() after calling ackAll() has no effect.');
      o.retryAll = true;
      o.retryAllDelay = seconds;
    }
  }

  // A batch from the host's `[id, timestamp, contentType, body, attempts]`
  // rows, and a function reading the handler's decisions back as
  // `[acks, [[id, delay]], ackAll, retryAll, retryAllDelay]`.
  internal.queueBatch = function (queue, rows) {
    const outcome = new Outcome();
    const messages = rows.map(([id, timestamp, type, body, attempts]) =>
      new Message(outcome, id, timestamp, type === 'json' ? JSON.parse(body) : body, attempts));
    const batch = new MessageBatch(queue, Object.freeze(messages), outcome);
    const decisions = () => [[...outcome.acks], [...outcome.retries], outcome.ackAll, outcome.retryAll, outcome.retryAllDelay];
    return [batch, decisions];
  };

  internal.WorkerQueue = WorkerQueue;
})();

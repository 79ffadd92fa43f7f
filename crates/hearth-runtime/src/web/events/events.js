// DOMException, Event (and CustomEvent, ErrorEvent, PromiseRejectionEvent,
// MessageEvent), EventTarget, AbortController/AbortSignal, queueMicrotask,
// reportError and the global scope's error and rejection events. Later files
// rely on DOMException and AbortSignal.
(() => {
  'use strict';

  const internal = (globalThis.__hearth_internal ||= {});

  const define = (name, value) => {
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
  };

  // Sets Symbol.toStringTag so Object.prototype.toString reports the Web IDL class name.
  const tag = (cls, name = cls.name) => {
    Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: name, configurable: true });
  };

  const LEGACY_CODES = {
    IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5,
    NoModificationAllowedError: 7, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11,
    SyntaxError: 12, InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15,
    TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20, URLMismatchError: 21,
    QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24, DataCloneError: 25,
  };

  class DOMException extends Error {
    #name;
    #message;
    constructor(message = '', options = 'Error') {
      super();
      this.#message = String(message);
      if (options !== null && typeof options === 'object') {
        this.#name = 'name' in options ? String(options.name) : 'Error';
        if ('cause' in options) {
          Object.defineProperty(this, 'cause', { value: options.cause, writable: true, configurable: true });
        }
      } else {
        this.#name = String(options);
      }
      // `stack` gets its first line (this name and message) when first read.
    }
    get name() { return this.#name; }
    get message() { return this.#message; }
    get code() { return LEGACY_CODES[this.#name] || 0; }
  }
  tag(DOMException);
  for (const [name, code] of Object.entries(LEGACY_CODES)) {
    const constName = name.replace(/[A-Z]/g, (c, i) => (i ? '_' : '') + c).toUpperCase().replace(/_ERROR$/, '_ERR');
    const desc = { value: code, enumerable: true };
    Object.defineProperty(DOMException, constName, desc);
    Object.defineProperty(DOMException.prototype, constName, desc);
  }
  define('DOMException', DOMException);

  if (typeof globalThis.queueMicrotask !== 'function') {
    define('queueMicrotask', function queueMicrotask(callback) {
      if (typeof callback !== 'function') {
        throw new TypeError("Failed to execute 'queueMicrotask': parameter 1 is not of type 'Function'.");
      }
      // Rethrow asynchronously so an exception surfaces as unhandled instead of vanishing.
      Promise.resolve().then(callback).catch((e) => Promise.reject(e));
    });
  }

  const NONE = 0, CAPTURING_PHASE = 1, AT_TARGET = 2, BUBBLING_PHASE = 3;

  class Event {
    #type;
    #bubbles;
    #cancelable;
    #composed;
    #target = null;
    #currentTarget = null;
    #phase = NONE;
    #canceled = false;
    #stop = false;
    #stopImmediate = false;
    #inPassive = false;
    #dispatching = false;
    #timeStamp = Date.now();
    #isTrusted = false;

    constructor(type, eventInitDict = undefined) {
      if (arguments.length === 0) {
        throw new TypeError("Failed to construct 'Event': 1 argument required, but only 0 present.");
      }
      const init = eventInitDict == null ? {} : eventInitDict;
      this.#type = String(type);
      this.#bubbles = !!init.bubbles;
      this.#cancelable = !!init.cancelable;
      this.#composed = !!init.composed;
    }
    get type() { return this.#type; }
    get target() { return this.#target; }
    get srcElement() { return this.#target; }
    get currentTarget() { return this.#currentTarget; }
    get eventPhase() { return this.#phase; }
    get bubbles() { return this.#bubbles; }
    get cancelable() { return this.#cancelable; }
    get composed() { return this.#composed; }
    get defaultPrevented() { return this.#canceled; }
    get returnValue() { return !this.#canceled; }
    set returnValue(v) { if (!v) this.preventDefault(); }
    get cancelBubble() { return this.#stop; }
    set cancelBubble(v) { if (v) this.#stop = true; }
    get timeStamp() { return this.#timeStamp; }
    get isTrusted() { return this.#isTrusted; }
    composedPath() { return this.#dispatching && this.#currentTarget ? [this.#currentTarget] : []; }
    stopPropagation() { this.#stop = true; }
    stopImmediatePropagation() { this.#stop = true; this.#stopImmediate = true; }
    preventDefault() { if (this.#cancelable && !this.#inPassive) this.#canceled = true; }

    static {
      // Dispatch needs to drive the private state; expose it only inside this file.
      eventInternals = {
        isDispatching: (e) => e.#dispatching,
        begin(e, target) {
          e.#dispatching = true;
          e.#target = target;
          e.#currentTarget = target;
          e.#phase = AT_TARGET;
          e.#stop = false;
          e.#stopImmediate = false;
        },
        end(e) {
          e.#dispatching = false;
          e.#currentTarget = null;
          e.#phase = NONE;
          e.#stop = false;
          e.#stopImmediate = false;
        },
        stoppedImmediate: (e) => e.#stopImmediate,
        setPassive(e, v) { e.#inPassive = v; },
        setTrusted(e) { e.#isTrusted = true; },
      };
    }
  }
  var eventInternals;
  for (const [k, v] of Object.entries({ NONE, CAPTURING_PHASE, AT_TARGET, BUBBLING_PHASE })) {
    Object.defineProperty(Event, k, { value: v, enumerable: true });
    Object.defineProperty(Event.prototype, k, { value: v, enumerable: true });
  }
  tag(Event);
  define('Event', Event);

  class CustomEvent extends Event {
    #detail;
    constructor(type, eventInitDict = undefined) {
      if (arguments.length === 0) {
        throw new TypeError("Failed to construct 'CustomEvent': 1 argument required, but only 0 present.");
      }
      super(type, eventInitDict);
      this.#detail = eventInitDict != null && eventInitDict.detail !== undefined ? eventInitDict.detail : null;
    }
    get detail() { return this.#detail; }
  }
  tag(CustomEvent);
  define('CustomEvent', CustomEvent);

  class ErrorEvent extends Event {
    #message; #filename; #lineno; #colno; #error;
    constructor(type, eventInitDict = undefined) {
      if (arguments.length === 0) {
        throw new TypeError("Failed to construct 'ErrorEvent': 1 argument required, but only 0 present.");
      }
      super(type, eventInitDict);
      const init = eventInitDict == null ? {} : eventInitDict;
      this.#message = init.message === undefined ? '' : String(init.message);
      this.#filename = init.filename === undefined ? '' : String(init.filename);
      this.#lineno = init.lineno === undefined ? 0 : init.lineno >>> 0;
      this.#colno = init.colno === undefined ? 0 : init.colno >>> 0;
      this.#error = init.error === undefined ? null : init.error;
    }
    get message() { return this.#message; }
    get filename() { return this.#filename; }
    get lineno() { return this.#lineno; }
    get colno() { return this.#colno; }
    get error() { return this.#error; }
  }
  tag(ErrorEvent);
  define('ErrorEvent', ErrorEvent);

  class PromiseRejectionEvent extends Event {
    #promise; #reason;
    constructor(type, eventInitDict) {
      if (arguments.length < 2) {
        throw new TypeError(`Failed to construct 'PromiseRejectionEvent': 2 arguments required, but only ${arguments.length} present.`);
      }
      if (eventInitDict == null || typeof eventInitDict !== 'object' || !('promise' in eventInitDict)) {
        throw new TypeError("Failed to construct 'PromiseRejectionEvent': required member promise is undefined.");
      }
      super(type, eventInitDict);
      this.#promise = eventInitDict.promise;
      this.#reason = eventInitDict.reason;
    }
    get promise() { return this.#promise; }
    get reason() { return this.#reason; }
  }
  tag(PromiseRejectionEvent);
  define('PromiseRejectionEvent', PromiseRejectionEvent);

  class MessageEvent extends Event {
    #data; #origin; #lastEventId; #source; #ports;
    constructor(type, eventInitDict = undefined) {
      if (arguments.length === 0) {
        throw new TypeError("Failed to construct 'MessageEvent': 1 argument required, but only 0 present.");
      }
      super(type, eventInitDict);
      const init = eventInitDict == null ? {} : eventInitDict;
      this.#data = init.data === undefined ? null : init.data;
      this.#origin = init.origin === undefined ? '' : String(init.origin);
      this.#lastEventId = init.lastEventId === undefined ? '' : String(init.lastEventId);
      this.#source = init.source === undefined ? null : init.source;
      this.#ports = Object.freeze(init.ports === undefined ? [] : Array.from(init.ports));
    }
    get data() { return this.#data; }
    get origin() { return this.#origin; }
    get lastEventId() { return this.#lastEventId; }
    get source() { return this.#source; }
    get ports() { return this.#ports; }
  }
  tag(MessageEvent);
  define('MessageEvent', MessageEvent);

  const flattenOptions = (options) => (typeof options === 'boolean' ? options : !!(options && options.capture));

  class EventTarget {
    // type -> array of {callback, capture, once, passive, removed}
    #listeners = new Map();

    constructor() {}

    addEventListener(type, callback, options = undefined) {
      if (arguments.length < 2) {
        throw new TypeError(`Failed to execute 'addEventListener' on 'EventTarget': 2 arguments required, but only ${arguments.length} present.`);
      }
      if (callback != null && typeof callback !== 'function' && typeof callback !== 'object') {
        throw new TypeError("Failed to execute 'addEventListener' on 'EventTarget': The callback provided as parameter 2 is not an object.");
      }
      type = String(type);
      // The options dictionary is read (capture, once, passive, signal) even
      // when there is no callback, as Web IDL converts arguments first.
      const capture = flattenOptions(options);
      const opts = typeof options === 'object' && options !== null ? options : {};
      const once = !!opts.once;
      const passive = !!opts.passive;
      const signal = opts.signal;
      if (signal !== undefined && !isAbortSignal(signal)) {
        throw new TypeError("Failed to execute 'addEventListener' on 'EventTarget': member signal is not of type AbortSignal.");
      }
      if (callback == null) return;
      if (signal && signal.aborted) return;
      let list = this.#listeners.get(type);
      if (!list) this.#listeners.set(type, (list = []));
      if (list.some((l) => l.callback === callback && l.capture === capture)) return;
      const listener = { callback, capture, once, passive, removed: false };
      list.push(listener);
      if (signal) {
        signal.addEventListener('abort', () => this.removeEventListener(type, callback, { capture }));
      }
    }

    removeEventListener(type, callback, options = undefined) {
      if (arguments.length < 2) {
        throw new TypeError(`Failed to execute 'removeEventListener' on 'EventTarget': 2 arguments required, but only ${arguments.length} present.`);
      }
      const list = this.#listeners.get(String(type));
      if (!list) return;
      const capture = flattenOptions(options);
      const i = list.findIndex((l) => l.callback === callback && l.capture === capture);
      if (i !== -1) {
        list[i].removed = true;
        list.splice(i, 1);
      }
    }

    static {
      eventTargetListeners = (target) => target.#listeners;
    }

    dispatchEvent(event) {
      if (!(event instanceof Event)) {
        throw new TypeError("Failed to execute 'dispatchEvent' on 'EventTarget': parameter 1 is not of type 'Event'.");
      }
      if (eventInternals.isDispatching(event)) {
        throw new DOMException("Failed to execute 'dispatchEvent' on 'EventTarget': The event is already being dispatched.", 'InvalidStateError');
      }
      eventInternals.begin(event, this);
      try {
        const list = this.#listeners.get(event.type);
        if (list) {
          // Listeners added during dispatch are not invoked; removed ones are skipped.
          for (const l of list.slice()) {
            if (l.removed) continue;
            if (l.once) this.removeEventListener(event.type, l.callback, { capture: l.capture });
            eventInternals.setPassive(event, l.passive);
            try {
              if (typeof l.callback === 'function') {
                l.callback.call(this, event);
              } else {
                const handle = l.callback.handleEvent;
                if (typeof handle !== 'function') throw new TypeError("'handleEvent' property of event listener is not a function");
                handle.call(l.callback, event);
              }
            } catch (err) {
              reportError(err);
            }
            eventInternals.setPassive(event, false);
            if (eventInternals.stoppedImmediate(event)) break;
          }
        }
      } finally {
        eventInternals.end(event);
      }
      return !event.defaultPrevented;
    }
  }
  var eventTargetListeners;
  tag(EventTarget);
  define('EventTarget', EventTarget);
  internal.hasListeners = (target, type) => {
    const list = eventTargetListeners(target).get(type);
    return list !== undefined && list.length > 0;
  };

  // Listener exceptions must not interrupt dispatch; surface them the way a host would.
  function reportError(err) {
    if (typeof globalThis.reportError === 'function') {
      globalThis.reportError(err);
    } else if (typeof console !== 'undefined' && console && typeof console.error === 'function') {
      console.error(err);
    }
  }

  // Installs an `on<type>` attribute handler backed by a single listener.
  const defineHandler = (proto, type) => {
    const key = Symbol(`on${type}`);
    Object.defineProperty(proto, `on${type}`, {
      get() { return this[key] ? this[key].handler : null; },
      set(fn) {
        if (!this[key]) {
          const slot = { handler: null };
          this[key] = slot;
          this.addEventListener(type, (e) => {
            if (typeof slot.handler === 'function') slot.handler.call(this, e);
          });
        }
        this[key].handler = typeof fn === 'function' || (fn && typeof fn === 'object') ? fn : null;
      },
      configurable: true,
      enumerable: true,
    });
  };

  const ILLEGAL = Symbol('illegal constructor');

  class AbortSignal extends EventTarget {
    #aborted = false;
    #reason = undefined;
    // Signals made by AbortSignal.any() that follow this one.
    #dependents = [];
    // For a signal made by AbortSignal.any(): the non-dependent signals it
    // follows (a dependent input contributes its own sources, so chains of
    // any() stay one level deep and abort together).
    #dependent = false;
    #sources = [];

    constructor(key) {
      if (key !== ILLEGAL) throw new TypeError('Illegal constructor');
      super();
    }
    get aborted() { return this.#aborted; }
    get reason() { return this.#reason; }
    throwIfAborted() { if (this.#aborted) throw this.#reason; }

    static abort(reason = undefined) {
      const s = new AbortSignal(ILLEGAL);
      s.#aborted = true;
      s.#reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
      return s;
    }

    static timeout(ms) {
      if (arguments.length === 0) throw new TypeError("Failed to execute 'timeout' on 'AbortSignal': 1 argument required, but only 0 present.");
      ms = Number(ms);
      if (!Number.isFinite(ms) || ms < 0) throw new TypeError("Failed to execute 'timeout' on 'AbortSignal': Value is outside the 'unsigned long long' value range.");
      const s = new AbortSignal(ILLEGAL);
      setTimeout(() => {
        s.#signalAbort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
      }, ms);
      return s;
    }

    static any(signals) {
      const list = Array.from(signals);
      for (const sig of list) {
        if (!isAbortSignal(sig)) throw new TypeError("Failed to execute 'any' on 'AbortSignal': Failed to convert value to 'AbortSignal'.");
      }
      const result = new AbortSignal(ILLEGAL);
      for (const sig of list) {
        if (sig.#aborted) {
          result.#aborted = true;
          result.#reason = sig.#reason;
          return result;
        }
      }
      result.#dependent = true;
      const follow = (source) => {
        if (result.#sources.includes(source)) return;
        result.#sources.push(source);
        source.#dependents.push(result);
      };
      for (const sig of list) {
        if (sig.#dependent) sig.#sources.forEach(follow);
        else follow(sig);
      }
      return result;
    }

    // DOM "signal abort": every dependent is marked aborted (with this
    // signal's reason) before any abort event fires, then the events fire:
    // this signal's first, then the dependents' in order.
    #signalAbort(reason) {
      if (this.#aborted) return;
      this.#aborted = true;
      this.#reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
      const toAbort = [];
      for (const dep of this.#dependents) {
        if (dep.#aborted) continue;
        dep.#aborted = true;
        dep.#reason = this.#reason;
        toAbort.push(dep);
      }
      this.#dependents = [];
      this.#fireAbort();
      for (const dep of toAbort) dep.#fireAbort();
    }

    #fireAbort() {
      const event = new Event('abort');
      eventInternals.setTrusted(event);
      this.dispatchEvent(event);
    }

    static {
      abortSignal = (s, reason) => s.#signalAbort(reason);
      isAbortSignal = (v) => v !== null && typeof v === 'object' && #aborted in v;
    }
  }
  var abortSignal, isAbortSignal;
  defineHandler(AbortSignal.prototype, 'abort');
  tag(AbortSignal);
  define('AbortSignal', AbortSignal);

  class AbortController {
    #signal = new AbortSignal(ILLEGAL);
    get signal() { return this.#signal; }
    abort(reason = undefined) { abortSignal(this.#signal, reason); }
  }
  tag(AbortController);
  define('AbortController', AbortController);

  // The global scope's own events (error, unhandledrejection,
  // rejectionhandled): the worker glue routes the global addEventListener
  // here for every type other than its handler events.
  const globalEvents = new EventTarget();
  internal.globalEvents = globalEvents;
  const logError = (...args) => {
    if (typeof console !== 'undefined' && console && typeof console.error === 'function') console.error(...args);
  };

  let reporting = false;
  define('reportError', function reportError(error) {
    if (arguments.length === 0) throw new TypeError("Failed to execute 'reportError': 1 argument required, but only 0 present.");
    let notCanceled = true;
    // An error listener that throws is logged, not reported again.
    if (!reporting) {
      reporting = true;
      try {
        const message = error instanceof Error ? `Uncaught ${error.name}: ${error.message}` : `Uncaught ${String(error)}`;
        notCanceled = globalEvents.dispatchEvent(new ErrorEvent('error', { error, message, cancelable: true }));
      } finally {
        reporting = false;
      }
    }
    if (notCanceled) logError('Uncaught', error);
  });

  // HTML's "notify about rejected promises": the host reports each promise
  // rejected without a handler, and each handler added later; after the
  // current task, the ones still unhandled become `unhandledrejection`
  // events (dispatched only when someone listens), and a later handler on a
  // reported one a `rejectionhandled` event.
  const pendingRejections = new Map();
  const reportedRejections = new WeakSet();
  let notifyScheduled = false;
  const hasListeners = (type) => internal.hasListeners(globalEvents, type);
  function notifyRejections() {
    notifyScheduled = false;
    const list = Array.from(pendingRejections);
    pendingRejections.clear();
    for (const [promise, reason] of list) {
      if (internal.hostPromises !== undefined && internal.hostPromises.has(promise)) continue;
      reportedRejections.add(promise);
      globalEvents.dispatchEvent(new PromiseRejectionEvent('unhandledrejection', { promise, reason, cancelable: true }));
    }
  }
  internal.trackRejection = (promise, reason, handled) => {
    if (!handled) {
      if (!hasListeners('unhandledrejection') && !hasListeners('rejectionhandled')) return;
      pendingRejections.set(promise, reason);
      if (!notifyScheduled) {
        notifyScheduled = true;
        setTimeout(notifyRejections, 0);
      }
    } else if (!pendingRejections.delete(promise) && reportedRejections.has(promise)) {
      reportedRejections.delete(promise);
      setTimeout(() => globalEvents.dispatchEvent(new PromiseRejectionEvent('rejectionhandled', { promise, reason })), 0);
    }
  };

  internal.abortSignal = abortSignal;
  internal.isAbortSignal = isAbortSignal;
  internal.newAbortSignal = () => new AbortSignal(ILLEGAL);
  internal.defineEventHandler = defineHandler;
})();

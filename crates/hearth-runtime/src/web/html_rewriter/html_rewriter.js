// HTMLRewriter over lol_html (mod.rs beside this file).
//
// The native side runs lol_html in a coroutine and, whenever a handler must
// run, suspends it and hands a snapshot of the token here. The wrappers below
// show that snapshot to the user's handler and record every change it makes;
// once the handler (and the promise it returned, if any) has finished, the
// recorded changes go back and are applied to the real token.
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const internal = globalThis.__hearth_internal;

  const contentOp = (op, content, options) => [op, String(content), !!(options && options.html)];

  class Unit {
    #ops;
    #valid = true;
    constructor(ops) {
      this.#ops = ops;
    }
    _push(op) {
      if (!this.#valid) throw new TypeError('This content token is no longer valid: HTMLRewriter handlers may only use it until they return (or their promise settles).');
      this.#ops.push(op);
      return this;
    }
    _invalidate() {
      this.#valid = false;
    }
  }

  // Elements, end tags, text chunks and comments share these mutations.
  class Content extends Unit {
    #removed = false;
    get removed() { return this.#removed; }
    _markRemoved() {
      this.#removed = true;
    }
    before(content, options) { return this._push(contentOp('before', content, options)); }
    after(content, options) { return this._push(contentOp('after', content, options)); }
    replace(content, options) {
      this._push(contentOp('replace', content, options));
      this.#removed = true;
      return this;
    }
    remove() {
      this._push(['remove']);
      this.#removed = true;
      return this;
    }
  }

  class Element extends Content {
    #tag;
    #ns;
    #attrs;
    #canHaveContent;
    #endTag;
    constructor(ops, tag, ns, flat, canHaveContent, onEndTag) {
      super(ops);
      this.#tag = tag;
      this.#ns = ns;
      this.#attrs = new Map();
      for (let i = 0; i < flat.length; i += 2) this.#attrs.set(flat[i], flat[i + 1]);
      this.#canHaveContent = canHaveContent;
      this.#endTag = onEndTag;
    }
    get tagName() { return this.#tag; }
    set tagName(name) {
      this._push(['tagName', String(name)]);
      this.#tag = String(name).toLowerCase();
    }
    get namespaceURI() { return this.#ns; }
    get canHaveContent() { return this.#canHaveContent; }
    get attributes() { return Array.from(this.#attrs.entries())[Symbol.iterator](); }
    getAttribute(name) {
      const v = this.#attrs.get(String(name).toLowerCase());
      return v === undefined ? null : v;
    }
    hasAttribute(name) { return this.#attrs.has(String(name).toLowerCase()); }
    setAttribute(name, value) {
      const n = String(name);
      if (!/^[^\s"'>\/=\0]+$/.test(n)) throw new TypeError(`Attribute name "${n}" is invalid.`);
      this._push(['setAttribute', n, String(value)]);
      this.#attrs.set(n.toLowerCase(), String(value));
      return this;
    }
    removeAttribute(name) {
      this._push(['removeAttribute', String(name)]);
      this.#attrs.delete(String(name).toLowerCase());
      return this;
    }
    prepend(content, options) { return this._push(contentOp('prepend', content, options)); }
    append(content, options) { return this._push(contentOp('append', content, options)); }
    setInnerContent(content, options) { return this._push(contentOp('setInnerContent', content, options)); }
    removeAndKeepContent() {
      this._push(['removeAndKeepContent']);
      this._markRemoved();
      return this;
    }
    onEndTag(handler) {
      if (typeof handler !== 'function') throw new TypeError("Failed to execute 'onEndTag' on 'Element': parameter 1 is not of type 'Function'.");
      if (!this.#canHaveContent) throw new TypeError(`${this.#tag} can't have content`);
      this._push(['onEndTag', this.#endTag(handler)]);
    }
  }

  class EndTag extends Content {
    #name;
    constructor(ops, name) {
      super(ops);
      this.#name = name;
    }
    get name() { return this.#name; }
    set name(n) {
      this._push(['name', String(n)]);
      this.#name = String(n);
    }
  }

  class Text extends Content {
    #text;
    #last;
    constructor(ops, text, last) {
      super(ops);
      this.#text = text;
      this.#last = last;
    }
    get text() { return this.#text; }
    get lastInTextNode() { return this.#last; }
  }

  class Comment extends Content {
    #text;
    constructor(ops, text) {
      super(ops);
      this.#text = text;
    }
    get text() { return this.#text; }
    set text(t) {
      const s = String(t);
      if (s.includes('-->')) throw new TypeError('Comment text cannot contain "-->".');
      this._push(['text', s]);
      this.#text = s;
    }
  }

  class Doctype extends Unit {
    #name;
    #publicId;
    #systemId;
    #removed = false;
    constructor(ops, name, publicId, systemId) {
      super(ops);
      this.#name = name;
      this.#publicId = publicId;
      this.#systemId = systemId;
    }
    get name() { return this.#name; }
    get publicId() { return this.#publicId; }
    get systemId() { return this.#systemId; }
    get removed() { return this.#removed; }
    remove() {
      this._push(['remove']);
      this.#removed = true;
      return this;
    }
  }

  class DocumentEnd extends Unit {
    append(content, options) { return this._push(contentOp('append', content, options)); }
  }

  const ELEMENT_KINDS = ['element', 'comments', 'text'];
  const DOCUMENT_KINDS = ['doctype', 'comments', 'text', 'end'];

  function kindsOf(handlers, allowed, what) {
    if (handlers === null || (typeof handlers !== 'object' && typeof handlers !== 'function'))
      throw new TypeError(`Failed to execute '${what}' on 'HTMLRewriter': parameter is not an object.`);
    const kinds = [];
    for (const k of allowed) {
      const h = handlers[k];
      if (h === undefined || h === null) continue;
      if (typeof h !== 'function') throw new TypeError(`Failed to execute '${what}' on 'HTMLRewriter': handler '${k}' is not a function.`);
      kinds.push(k);
    }
    return kinds;
  }

  // Runs one transform: feeds the source body to the native rewriter and
  // answers its handler calls, producing output chunks on demand. Handlers
  // run synchronously; only one that returns a promise is awaited.
  function transformBody(source, elementHandlers, documentHandlers) {
    let transform = null;
    let reader = null;
    let sourceSent = false;
    let finished = false;
    let failure;
    const endTagHandlers = new Map();
    let nextEndTag = 1;
    const registerEndTag = (fn) => {
      const n = nextEndTag++;
      endTagHandlers.set(n, fn);
      return n;
    };

    const finish = () => {
      if (finished) return;
      finished = true;
      if (transform) native.htmlRewriterClose(transform);
    };

    // Sends the rewriter its next input; returns the event it stops at.
    async function feed() {
      if (typeof source === 'string' || source instanceof Uint8Array) {
        if (sourceSent) return native.htmlRewriterEnd(transform);
        sourceSent = true;
        return native.htmlRewriterWrite(transform, typeof source === 'string' ? internal.encodeUtf8(source) : source);
      }
      if (!reader) reader = source.getReader();
      const { done, value } = await reader.read();
      return done ? native.htmlRewriterEnd(transform) : native.htmlRewriterWrite(transform, internal.toU8(value));
    }

    const reply = (unit, ops) => {
      unit._invalidate();
      return native.htmlRewriterReply(transform, JSON.stringify(ops), undefined);
    };
    const fail = (unit, err) => {
      unit._invalidate();
      failure = err;
      return native.htmlRewriterReply(transform, '', String((err && err.message) || err));
    };

    // Runs the handler a `call` event asks for and answers it; returns the
    // next event, or a promise of it when the handler returned a promise.
    function dispatch(event, controller) {
      const [, kind, scope, index] = event;
      const ops = [];
      let unit;
      let handler;
      let self;
      if (scope === 'endTag') {
        handler = endTagHandlers.get(index);
        endTagHandlers.delete(index);
        unit = new EndTag(ops, event[4]);
      } else {
        self = (scope === 'element' ? elementHandlers : documentHandlers)[index];
        handler = self[kind];
        switch (kind) {
          case 'element':
            unit = new Element(ops, event[4], event[5], event[6], event[7], registerEndTag);
            break;
          case 'text':
            unit = new Text(ops, event[4], event[5]);
            break;
          case 'comments':
            unit = new Comment(ops, event[4]);
            break;
          case 'doctype':
            unit = new Doctype(ops, event[4] ?? null, event[5] ?? null, event[6] ?? null);
            break;
          default:
            unit = new DocumentEnd(ops);
        }
      }
      let result;
      try {
        result = handler.call(self, unit);
      } catch (err) {
        return fail(unit, err);
      }
      if (!result || typeof result.then !== 'function') return reply(unit, ops);
      // While the handler waits, what is already rewritten goes out.
      const out = native.htmlRewriterOutput(transform);
      if (out) controller.enqueue(out);
      return Promise.resolve(result).then(
        () => reply(unit, ops),
        (err) => fail(unit, err),
      );
    }

    return new ReadableStream(
      {
        async pull(controller) {
          try {
            if (finished) return;
            if (!transform) {
              transform = native.htmlRewriterNew(
                elementHandlers.map((h) => h.selector),
                elementHandlers.map((h) => h.kinds),
                documentHandlers.map((h) => h.kinds),
              );
            }
            for (;;) {
              let event = await feed();
              while (event[0] === 'call') {
                event = dispatch(event, controller);
                if (!Array.isArray(event)) event = await event;
              }
              const out = native.htmlRewriterOutput(transform);
              switch (event[0]) {
                case 'written':
                  if (out) {
                    controller.enqueue(out);
                    return;
                  }
                  break;
                case 'done':
                  if (out) controller.enqueue(out);
                  finish();
                  controller.close();
                  return;
                default:
                  finish();
                  throw failure !== undefined ? failure : new TypeError(event[1]);
              }
            }
          } catch (err) {
            finish();
            if (reader) reader.cancel(err).catch(() => {});
            throw err;
          }
        },
        cancel(reason) {
          finish();
          if (reader) return reader.cancel(reason);
          if (source instanceof ReadableStream) return source.cancel(reason);
        },
      },
      { highWaterMark: 0 },
    );
  }

  class HTMLRewriter {
    #element = [];
    #document = [];

    constructor() {}

    on(selector, handlers) {
      const sel = String(selector);
      native.htmlRewriterCheckSelector(sel);
      const kinds = kindsOf(handlers, ELEMENT_KINDS, 'on');
      const entry = { selector: sel, kinds };
      for (const k of kinds) entry[k] = handlers[k];
      entry.self = handlers;
      this.#element.push(bindSelf(entry, handlers));
      return this;
    }

    onDocument(handlers) {
      const kinds = kindsOf(handlers, DOCUMENT_KINDS, 'onDocument');
      const entry = { kinds };
      for (const k of kinds) entry[k] = handlers[k];
      this.#document.push(bindSelf(entry, handlers));
      return this;
    }

    transform(response) {
      if (!(response instanceof Response)) throw new TypeError("Failed to execute 'transform' on 'HTMLRewriter': parameter 1 is not of type 'Response'.");
      if (response.bodyUsed) throw new TypeError('Body has already been used. It can only be used once. Use tee() first if you need to read it twice.');
      const headers = new Headers(response.headers);
      headers.delete('content-length');
      const init = { status: response.status, statusText: response.statusText, headers };
      if (response.webSocket) init.webSocket = response.webSocket;
      const source = internal.bodySource(response);
      if (source === null || source === undefined) return new Response(null, init);
      const body = transformBody(source, this.#element.slice(), this.#document.slice());
      return new Response(body, init);
    }
  }

  // Handler methods are called with the handler object as `this`.
  function bindSelf(entry, handlers) {
    const out = { selector: entry.selector, kinds: entry.kinds };
    for (const k of entry.kinds) {
      const fn = handlers[k];
      out[k] = (unit) => fn.call(handlers, unit);
    }
    return out;
  }

  Object.defineProperty(HTMLRewriter.prototype, Symbol.toStringTag, { value: 'HTMLRewriter', configurable: true });
  Object.defineProperty(globalThis, 'HTMLRewriter', { value: HTMLRewriter, writable: true, configurable: true });
})();

export const tests = [
  ['DOMException name/message/code', `
    const e = new DOMException('boom', 'AbortError');
    assert.equal(e.name, 'AbortError'); assert.equal(e.message, 'boom'); assert.equal(e.code, 20);
    assert.ok(e instanceof Error); assert.ok(e instanceof DOMException);
    assert.equal(new DOMException('x').name, 'Error'); assert.equal(new DOMException('x').code, 0);
    assert.equal(DOMException.ABORT_ERR, 20); assert.equal(DOMException.INVALID_CHARACTER_ERR, 5);
    assert.equal(new DOMException('m', { name: 'DataCloneError', cause: 1 }).code, 25);
    assert.equal(Object.prototype.toString.call(e), '[object DOMException]');
    assert.equal(String(e), 'AbortError: boom');
  `],
  ['Event basics', `
    const e = new Event('foo', { cancelable: true, bubbles: true });
    assert.equal(e.type, 'foo'); assert.ok(e.bubbles); assert.equal(e.defaultPrevented, false);
    e.preventDefault(); assert.ok(e.defaultPrevented);
    const e2 = new Event('bar'); e2.preventDefault(); assert.equal(e2.defaultPrevented, false);
    assert.throws(() => new Event(), TypeError);
    assert.equal(Event.AT_TARGET, 2);
  `],
  ['EventTarget add/remove/dispatch', `
    const t = new EventTarget(); const calls = [];
    const f = (e) => calls.push(['f', e.type, e.target === t, e.currentTarget === t, e.eventPhase]);
    t.addEventListener('x', f); t.addEventListener('x', f);
    t.addEventListener('x', { handleEvent(e) { calls.push(['h', this !== t]); } });
    assert.equal(t.dispatchEvent(new Event('x')), true);
    assert.deepEqual(calls, [['f', 'x', true, true, 2], ['h', true]]);
    t.removeEventListener('x', f); calls.length = 0;
    t.dispatchEvent(new Event('x')); assert.equal(calls.length, 1);
    const ev = new Event('y', { cancelable: true });
    t.addEventListener('y', (e) => e.preventDefault());
    assert.equal(t.dispatchEvent(ev), false);
    assert.equal(ev.currentTarget, null); assert.equal(ev.target, t);
  `],
  ['once, signal, stopImmediatePropagation, passive', `
    const t = new EventTarget(); let n = 0;
    t.addEventListener('a', () => n++, { once: true });
    t.dispatchEvent(new Event('a')); t.dispatchEvent(new Event('a')); assert.equal(n, 1);
    const ac = new AbortController(); let m = 0;
    t.addEventListener('b', () => m++, { signal: ac.signal });
    t.dispatchEvent(new Event('b')); ac.abort(); t.dispatchEvent(new Event('b')); assert.equal(m, 1);
    t.addEventListener('b', () => m++, { signal: ac.signal }); t.dispatchEvent(new Event('b')); assert.equal(m, 1);
    const order = [];
    t.addEventListener('c', (e) => { order.push(1); e.stopImmediatePropagation(); });
    t.addEventListener('c', () => order.push(2));
    t.dispatchEvent(new Event('c')); assert.deepEqual(order, [1]);
    const pe = new Event('d', { cancelable: true });
    t.addEventListener('d', (e) => e.preventDefault(), { passive: true });
    assert.equal(t.dispatchEvent(pe), true);
    assert.throws(() => t.dispatchEvent({}), TypeError);
  `],
  ['listener added during dispatch not invoked; errors do not stop dispatch', `
    const t = new EventTarget(); const seen = [];
    globalThis.reportError = (e) => seen.push('err:' + e.message);
    t.addEventListener('x', () => { seen.push(1); t.addEventListener('x', () => seen.push('late')); throw new Error('boom'); });
    t.addEventListener('x', () => seen.push(2));
    t.dispatchEvent(new Event('x'));
    assert.deepEqual(seen, [1, 'err:boom', 2]);
  `],
  ['CustomEvent detail and subclassing EventTarget', `
    class Foo extends EventTarget {}
    const f = new Foo(); let d;
    f.addEventListener('z', (e) => { d = e.detail; });
    f.dispatchEvent(new CustomEvent('z', { detail: { a: 1 } }));
    assert.deepEqual(d, { a: 1 });
    assert.equal(new CustomEvent('q').detail, null);
    assert.ok(new CustomEvent('q') instanceof Event);
  `],
  ['AbortController / AbortSignal', `
    const ac = new AbortController(); const s = ac.signal; let evs = 0, on = 0;
    assert.equal(s.aborted, false); assert.equal(s.reason, undefined);
    s.addEventListener('abort', (e) => { evs++; assert.ok(e.isTrusted); });
    s.onabort = () => on++;
    s.throwIfAborted();
    ac.abort(); ac.abort();
    assert.equal(evs, 1); assert.equal(on, 1);
    assert.ok(s.aborted); assert.equal(s.reason.name, 'AbortError');
    assert.throws(() => s.throwIfAborted(), 'AbortError');
    const ac2 = new AbortController(); ac2.abort('why'); assert.equal(ac2.signal.reason, 'why');
    assert.throws(() => new AbortSignal(), TypeError);
    assert.ok(s instanceof EventTarget);
  `],
  ['AbortSignal.abort / timeout / any', `
    const a = AbortSignal.abort(); assert.ok(a.aborted); assert.equal(a.reason.name, 'AbortError');
    assert.equal(AbortSignal.abort(42).reason, 42);
    const t = AbortSignal.timeout(10);
    assert.equal(t.aborted, false);
    await new Promise((r) => t.addEventListener('abort', r));
    assert.equal(t.reason.name, 'TimeoutError'); assert.equal(t.reason.code, 23);
    const c1 = new AbortController(), c2 = new AbortController();
    const any = AbortSignal.any([c1.signal, c2.signal]); let fired = 0;
    any.onabort = () => fired++;
    c2.abort('second'); c1.abort('first');
    assert.ok(any.aborted); assert.equal(any.reason, 'second'); assert.equal(fired, 1);
    assert.equal(AbortSignal.any([a]).reason, a.reason);
  `],
  ['queueMicrotask ordering', `
    const order = [];
    queueMicrotask(() => order.push('micro'));
    Promise.resolve().then(() => order.push('promise'));
    order.push('sync');
    await new Promise((r) => setTimeout(r, 0));
    assert.deepEqual(order, ['sync', 'micro', 'promise']);
    assert.throws(() => queueMicrotask(1), TypeError);
  `],
  ['ErrorEvent, PromiseRejectionEvent, MessageEvent', `
    const e = new ErrorEvent('error', { message: 'boom', filename: 'a.js', lineno: 3, colno: 4, error: 7, cancelable: true });
    assert.ok(e instanceof Event);
    assert.deepEqual([e.type, e.message, e.filename, e.lineno, e.colno, e.error, e.cancelable], ['error', 'boom', 'a.js', 3, 4, 7, true]);
    const bare = new ErrorEvent('error');
    assert.deepEqual([bare.message, bare.filename, bare.lineno, bare.error], ['', '', 0, null]);
    const p = Promise.resolve();
    const r = new PromiseRejectionEvent('unhandledrejection', { promise: p, reason: 'why' });
    assert.equal(r.promise, p); assert.equal(r.reason, 'why');
    assert.throws(() => new PromiseRejectionEvent('x'), TypeError);
    assert.throws(() => new PromiseRejectionEvent('x', {}), TypeError);
    const m = new MessageEvent('message', { data: { a: 1 }, origin: 'o', ports: [] });
    assert.equal(m.data.a, 1); assert.equal(m.origin, 'o'); assert.ok(Object.isFrozen(m.ports));
    assert.equal(new MessageEvent('message').data, null);
    assert.equal(Object.prototype.toString.call(e), '[object ErrorEvent]');
  `],
  ['reportError dispatches a cancelable ErrorEvent on the global scope', `
    const seen = [];
    const listener = (e) => { seen.push([e.error.message, e.message, e.cancelable]); e.preventDefault(); };
    __hearth_internal.globalEvents.addEventListener('error', listener);
    reportError(new RangeError('bad'));
    assert.deepEqual(seen, [['bad', 'Uncaught RangeError: bad', true]]);
    // A throwing error listener does not recurse.
    __hearth_internal.globalEvents.addEventListener('error', () => { throw new Error('listener'); });
    globalThis.console = { error: (...args) => seen.push(['logged', String(args[args.length - 1])]) };
    reportError('again');
    assert.equal(seen.length, 3);
    assert.throws(() => reportError(), TypeError);
  `],
  ['AbortSignal.any: dependents are aborted before any abort event, events in order', `
    const c = new AbortController();
    const a1 = AbortSignal.any([c.signal]);
    const a2 = AbortSignal.any([a1]);
    let order = '';
    c.signal.onabort = () => {
      order += '0';
      // Every dependent already reads as aborted while the source's event runs.
      assert.ok(a1.aborted); assert.ok(a2.aborted);
      assert.ok(AbortSignal.any([a2]).aborted);
    };
    a1.onabort = () => { order += '1'; };
    a2.onabort = () => { order += '2'; };
    c.abort('why');
    assert.equal(order, '012');
    assert.equal(a2.reason, 'why');
    // A reentrant abort of a second source does not abort the dependent twice.
    const x = new AbortController(), y = new AbortController();
    const both = AbortSignal.any([x.signal, y.signal]);
    let fired = 0;
    x.signal.onabort = () => y.abort('reason 2');
    both.onabort = () => fired++;
    x.abort('reason 1');
    assert.equal(fired, 1); assert.equal(both.reason, 'reason 1');
    assert.throws(() => AbortSignal.any([Object.create(AbortSignal.prototype)]), TypeError);
  `],
  ['addEventListener reads its options even without a listener; signal must be an AbortSignal', `
    const et = new EventTarget();
    const read = [];
    const opts = { get capture() { read.push('capture'); return false; }, get once() { read.push('once'); return false; },
      get passive() { read.push('passive'); return false; }, get signal() { read.push('signal'); return undefined; } };
    et.addEventListener('x', null, opts);
    assert.deepEqual(read, ['capture', 'once', 'passive', 'signal']);
    assert.throws(() => et.addEventListener('x', null, { signal: null }), TypeError);
    assert.throws(() => et.addEventListener('x', () => {}, { signal: {} }), TypeError);
  `],
];

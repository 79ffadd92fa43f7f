const collect = `
  async function collect(rs) { const out = []; const r = rs.getReader(); for (;;) { const { value, done } = await r.read(); if (done) return out; out.push(value); } }
  const tick = () => new Promise((r) => setTimeout(r, 0));
`;
const t = (name, body) => [name, collect + body];

export const tests = [
  t('ReadableStream start/enqueue/close ordering', `
    const rs = new ReadableStream({ start(c) { c.enqueue('a'); c.enqueue('b'); c.close(); } });
    assert.ok(!rs.locked);
    const r = rs.getReader(); assert.ok(rs.locked);
    assert.throws(() => rs.getReader(), TypeError);
    assert.deepEqual(await r.read(), { value: 'a', done: false });
    assert.deepEqual(await r.read(), { value: 'b', done: false });
    assert.deepEqual(await r.read(), { value: undefined, done: true });
    await r.closed;
    r.releaseLock(); assert.ok(!rs.locked);
  `),
  t('pull is driven by desiredSize and pending reads', `
    let pulls = 0;
    const rs = new ReadableStream({ pull(c) { pulls++; c.enqueue(pulls); if (pulls === 5) c.close(); } }, { highWaterMark: 2 });
    await tick();
    assert.equal(pulls, 2, 'fills to highWaterMark');
    assert.deepEqual(await collect(rs), [1, 2, 3, 4, 5]);
    const order = [];
    const rs2 = new ReadableStream({ start(c) { this.c = c; }, pull() { order.push('pull'); } }, { highWaterMark: 0 });
    await tick(); assert.deepEqual(order, []);
    const p = rs2.getReader().read(); await tick(); assert.deepEqual(order, ['pull']);
  `),
  t('desiredSize and size strategies', `
    let ctrl;
    const rs = new ReadableStream({ start(c) { ctrl = c; } }, new CountQueuingStrategy({ highWaterMark: 3 }));
    assert.equal(ctrl.desiredSize, 3); ctrl.enqueue(1); ctrl.enqueue(2); assert.equal(ctrl.desiredSize, 1);
    const bl = new ReadableStream({ start(c) { ctrl = c; } }, new ByteLengthQueuingStrategy({ highWaterMark: 10 }));
    ctrl.enqueue(new Uint8Array(4)); assert.equal(ctrl.desiredSize, 6);
    assert.equal(new ByteLengthQueuingStrategy({ highWaterMark: 5 }).size(new Uint8Array(3)), 3);
    assert.throws(() => new ReadableStream({}, { highWaterMark: -1 }), RangeError);
    const bad = new ReadableStream({ start(c) { ctrl = c; } }, { size() { throw new Error('sz'); } });
    assert.throws(() => ctrl.enqueue(1), Error);
    await assert.rejects(bad.getReader().read(), Error);
    ctrl.close === undefined;
  `),
  t('errors propagate to reads and closed', `
    let ctrl;
    const rs = new ReadableStream({ start(c) { ctrl = c; } });
    const r = rs.getReader();
    const p = r.read();
    ctrl.error(new TypeError('bad'));
    await assert.rejects(p, TypeError); await assert.rejects(r.closed, TypeError); await assert.rejects(r.read(), TypeError);
    assert.throws(() => ctrl.enqueue(1), TypeError);
    assert.throws(() => new ReadableStream({ start() { throw new RangeError('start'); } }), RangeError);
    const rs2 = new ReadableStream({ start() { return Promise.reject(new RangeError('start')); } });
    await assert.rejects(rs2.getReader().read(), RangeError);
    const rs3 = new ReadableStream({ pull() { return Promise.reject(new SyntaxError('p')); } });
    await assert.rejects(rs3.getReader().closed, SyntaxError);
  `),
  t('cancel calls source cancel and resolves pending reads', `
    let reason;
    const rs = new ReadableStream({ cancel(r) { reason = r; } });
    const r = rs.getReader();
    const p = r.read();
    await r.cancel('stop');
    assert.equal(reason, 'stop'); assert.deepEqual(await p, { value: undefined, done: true });
    await assert.rejects(new ReadableStream().getReader() && (() => { const s = new ReadableStream(); s.getReader(); return s.cancel(); })(), TypeError);
  `),
  t('releaseLock rejects pending reads and closed', `
    const rs = new ReadableStream();
    const r = rs.getReader(); const p = r.read();
    r.releaseLock();
    await assert.rejects(p, TypeError); await assert.rejects(r.closed, TypeError); await assert.rejects(r.read(), TypeError);
    const r2 = rs.getReader(); assert.ok(rs.locked); r2.releaseLock();
  `),
  t('async iteration and preventCancel', `
    const rs = new ReadableStream({ start(c) { [1, 2, 3].forEach((x) => c.enqueue(x)); c.close(); } });
    const seen = []; for await (const x of rs) seen.push(x);
    assert.deepEqual(seen, [1, 2, 3]); assert.ok(!rs.locked);
    let canceled = false;
    const rs2 = new ReadableStream({ start(c) { c.enqueue(1); c.enqueue(2); }, cancel() { canceled = true; } });
    for await (const x of rs2) break;
    assert.ok(canceled); assert.ok(!rs2.locked);
    canceled = false;
    const rs3 = new ReadableStream({ start(c) { c.enqueue(1); c.enqueue(2); }, cancel() { canceled = true; } });
    for await (const x of rs3.values({ preventCancel: true })) break;
    assert.ok(!canceled); assert.deepEqual(await rs3.getReader().read(), { value: 2, done: false });
    const it = new ReadableStream({ start(c) { c.enqueue('x'); c.close(); } })[Symbol.asyncIterator]();
    const [a, b] = await Promise.all([it.next(), it.next()]);
    assert.deepEqual([a, b], [{ value: 'x', done: false }, { value: undefined, done: true }]);
  `),
  t('ReadableStream.from', `
    async function* gen() { yield 1; yield 2; }
    assert.deepEqual(await collect(ReadableStream.from(gen())), [1, 2]);
    assert.deepEqual(await collect(ReadableStream.from([Promise.resolve('a'), 'b'])), ['a', 'b']);
    let returned = false;
    const iter = { [Symbol.asyncIterator]() { return { next: async () => ({ value: 1, done: false }), return: async () => { returned = true; return {}; } }; } };
    await ReadableStream.from(iter).cancel('x'); assert.ok(returned);
    assert.throws(() => ReadableStream.from(5), TypeError);
  `),
  t('tee delivers to both branches and cancels source when both cancel', `
    let cancelReason;
    const rs = new ReadableStream({ start(c) { c.enqueue('a'); c.enqueue('b'); c.close(); }, cancel(r) { cancelReason = r; } });
    const [b1, b2] = rs.tee();
    assert.ok(rs.locked);
    const [x, y] = await Promise.all([collect(b1), collect(b2)]);
    assert.deepEqual(x, ['a', 'b']); assert.deepEqual(y, ['a', 'b']);
    const src = new ReadableStream({ cancel(r) { cancelReason = r; } });
    const [c1, c2] = src.tee();
    c1.cancel('r1'); await c2.cancel('r2');
    assert.deepEqual(cancelReason, ['r1', 'r2']);
    let ctrl; const e = new ReadableStream({ start(c) { ctrl = c; } }); const [e1, e2] = e.tee();
    ctrl.error(new Error('E'));
    await assert.rejects(e1.getReader().read(), Error); await assert.rejects(e2.getReader().closed, Error);
  `),
  t('WritableStream write/close ordering and backpressure', `
    const log = [];
    let resolveWrite;
    const ws = new WritableStream({
      start() { log.push('start'); },
      write(chunk) { log.push('write ' + chunk); return new Promise((r) => { resolveWrite = r; }); },
      close() { log.push('close'); },
    }, { highWaterMark: 2 });
    const w = ws.getWriter();
    assert.equal(w.desiredSize, 2);
    const p1 = w.write('a'); const p2 = w.write('b');
    assert.equal(w.desiredSize, 0);
    let readyResolved = false; w.ready.then(() => { readyResolved = true; });
    await tick();
    assert.deepEqual(log, ['start', 'write a']); assert.equal(readyResolved, false);
    resolveWrite(); await p1; await tick();
    assert.ok(readyResolved); assert.deepEqual(log, ['start', 'write a', 'write b']);
    const pc = w.close();
    resolveWrite(); await p2; await pc; await w.closed;
    assert.deepEqual(log, ['start', 'write a', 'write b', 'close']);
    await assert.rejects(w.write('c'), TypeError);
  `),
  t('WritableStream errors and abort', `
    const ws = new WritableStream({ write() { throw new RangeError('w'); } });
    const w = ws.getWriter();
    await assert.rejects(w.write(1), RangeError);
    await assert.rejects(w.closed, RangeError);
    await assert.rejects(w.write(2), RangeError);
    assert.equal(w.desiredSize, null);
    let abortReason, signalAborted;
    const ws2 = new WritableStream({ start(c) { this.c = c; }, abort(r) { abortReason = r; signalAborted = this.c.signal.aborted; } });
    const w2 = ws2.getWriter();
    await w2.abort('nope');
    assert.equal(abortReason, 'nope'); assert.ok(signalAborted);
    assert.equal(await w2.closed.catch((e) => e), 'nope');
    let ctrl; const ws3 = new WritableStream({ start(c) { ctrl = c; } });
    ctrl.error(new TypeError('x'));
    await assert.rejects(ws3.getWriter().write(1), TypeError);
    await assert.rejects(new WritableStream({ close() { throw new Error('c'); } }).close(), Error);
    const locked = new WritableStream(); locked.getWriter();
    await assert.rejects(locked.close(), TypeError); await assert.rejects(locked.abort(), TypeError);
  `),
  t('TransformStream transform/flush and identity', `
    const ts = new TransformStream({
      transform(chunk, c) { c.enqueue(chunk.toUpperCase()); c.enqueue('|'); },
      flush(c) { c.enqueue('END'); },
    });
    const w = ts.writable.getWriter();
    w.write('a'); w.write('b'); w.close();
    assert.deepEqual(await collect(ts.readable), ['A', '|', 'B', '|', 'END']);
    const id = new TransformStream();
    const iw = id.writable.getWriter(); iw.write(1); iw.close();
    assert.deepEqual(await collect(id.readable), [1]);
  `),
  t('TransformStream backpressure and errors', `
    const ts = new TransformStream();
    const w = ts.writable.getWriter();
    await w.ready;
    assert.equal(w.desiredSize, 1);
    const p = w.write('x');
    assert.equal(w.desiredSize, 0);
    let written = false; p.then(() => { written = true; });
    await tick(); assert.equal(written, false, 'write waits for a reader');
    const r = ts.readable.getReader();
    assert.deepEqual(await r.read(), { value: 'x', done: false });
    await p;
    const bad = new TransformStream({ transform() { throw new TypeError('t'); } });
    const bw = bad.writable.getWriter();
    const badRead = bad.readable.getReader().read();
    await assert.rejects(bw.write(1), TypeError); await assert.rejects(badRead, TypeError);
    const term = new TransformStream({ start(c) { c.terminate(); } });
    assert.deepEqual(await term.readable.getReader().read(), { value: undefined, done: true });
    await assert.rejects(term.writable.getWriter().write(1), TypeError);
    let cancelled = new TransformStream(); await cancelled.readable.cancel('why');
    assert.equal(await cancelled.writable.getWriter().write(1).catch((e) => e), 'why');
  `),
  t('pipeTo moves all chunks and closes; pipeThrough', `
    const rs = new ReadableStream({ start(c) { for (let i = 0; i < 5; i++) c.enqueue(i); c.close(); } });
    const got = []; let closed = false;
    await rs.pipeTo(new WritableStream({ write(c) { got.push(c); }, close() { closed = true; } }));
    assert.deepEqual(got, [0, 1, 2, 3, 4]); assert.ok(closed); assert.ok(!rs.locked);
    const out = new ReadableStream({ start(c) { c.enqueue('a'); c.enqueue('b'); c.close(); } })
      .pipeThrough(new TransformStream({ transform(x, c) { c.enqueue(x + x); } }));
    assert.deepEqual(await collect(out), ['aa', 'bb']);
    await assert.rejects(rs.pipeTo({}), TypeError);
  `),
  t('pipeTo of 10,000 chunks does not blow the stack', `
    let i = 0;
    const rs = new ReadableStream({ pull(c) { if (i < 10000) c.enqueue(i++); else c.close(); } });
    let sum = 0, n = 0;
    await rs.pipeThrough(new TransformStream()).pipeTo(new WritableStream({ write(c) { sum += c; n++; } }));
    assert.equal(n, 10000); assert.equal(sum, 49995000);
    const big = new ReadableStream({ start(c) { for (let k = 0; k < 10000; k++) c.enqueue(k); c.close(); } });
    let m = 0; await big.pipeTo(new WritableStream({ write() { m++; } }));
    assert.equal(m, 10000);
    const chunks = await collect(ReadableStream.from((function* () { for (let k = 0; k < 10000; k++) yield k; })()));
    assert.equal(chunks.length, 10000);
  `),
  t('pipeTo error propagation and prevent* options', `
    let abortReason;
    let ctrl;
    const src = new ReadableStream({ start(c) { ctrl = c; } });
    const p = src.pipeTo(new WritableStream({ abort(r) { abortReason = r; } }));
    ctrl.error('boom');
    assert.equal(await p.catch((e) => e), 'boom'); assert.equal(abortReason, 'boom');
    let cancelReason;
    const src2 = new ReadableStream({ start(c) { c.enqueue(1); }, cancel(r) { cancelReason = r; } });
    const p2 = src2.pipeTo(new WritableStream({ write() { throw new Error('dest'); } }));
    assert.equal((await p2.catch((e) => e)).message, 'dest'); assert.equal(cancelReason.message, 'dest');
    let closed = false;
    const ws = new WritableStream({ close() { closed = true; } });
    await new ReadableStream({ start(c) { c.close(); } }).pipeTo(ws, { preventClose: true });
    assert.equal(closed, false); assert.ok(!ws.locked);
    let aborted = false; let c3;
    const p3 = new ReadableStream({ start(c) { c3 = c; } }).pipeTo(new WritableStream({ abort() { aborted = true; } }), { preventAbort: true });
    c3.error('e3'); await p3.catch(() => {}); assert.equal(aborted, false);
    let canceled = false;
    const p4 = new ReadableStream({ start(c) { c.enqueue(1); }, cancel() { canceled = true; } })
      .pipeTo(new WritableStream({ write() { throw 1; } }), { preventCancel: true });
    await p4.catch(() => {}); assert.equal(canceled, false);
  `),
  t('pipeTo with AbortSignal', `
    const ac = new AbortController();
    let cancelReason, abortReason;
    const rs = new ReadableStream({ cancel(r) { cancelReason = r; } });
    const p = rs.pipeTo(new WritableStream({ abort(r) { abortReason = r; } }), { signal: ac.signal });
    ac.abort();
    const e = await p.catch((e) => e);
    assert.equal(e.name, 'AbortError'); assert.equal(cancelReason, e); assert.equal(abortReason, e);
    const p2 = new ReadableStream().pipeTo(new WritableStream(), { signal: AbortSignal.abort('pre') });
    assert.equal(await p2.catch((e) => e), 'pre');
  `),
  t('byte streams and BYOB reader', `
    const rs = new ReadableStream({ type: 'bytes', start(c) { c.enqueue(new Uint8Array([1, 2, 3, 4, 5])); c.close(); } });
    const r = rs.getReader({ mode: 'byob' });
    let res = await r.read(new Uint8Array(2));
    assert.deepEqual(res.value, new Uint8Array([1, 2])); assert.equal(res.done, false);
    res = await r.read(new Uint8Array(10));
    assert.deepEqual(res.value, new Uint8Array([3, 4, 5]));
    res = await r.read(new Uint8Array(4));
    assert.equal(res.done, true); assert.equal(res.value.byteLength, 0);
    let ctrl;
    const rs2 = new ReadableStream({ type: 'bytes', start(c) { ctrl = c; } });
    assert.ok(ctrl instanceof ReadableByteStreamController); assert.equal(ctrl.byobRequest, null);
    const r2 = rs2.getReader({ mode: 'byob' });
    const pending = r2.read(new Uint8Array(8));
    ctrl.enqueue(new Uint8Array([9, 8]));
    assert.deepEqual((await pending).value, new Uint8Array([9, 8]));
    assert.throws(() => ctrl.enqueue('str'), TypeError);
    assert.throws(() => new ReadableStream().getReader({ mode: 'byob' }), TypeError);
    const d = new ReadableStream({ type: 'bytes', start(c) { c.enqueue(new Uint16Array([1])); c.close(); } });
    const v = (await d.getReader().read()).value; assert.ok(v instanceof Uint8Array); assert.equal(v.length, 2);
  `),
  t('TextEncoderStream and TextDecoderStream', `
    const enc = new TextEncoderStream();
    const w = enc.writable.getWriter();
    w.write('h€'); w.write('\\ud83d'); w.write('\\ude00'); w.close();
    const bytes = await collect(enc.readable);
    const flat = []; bytes.forEach((b) => flat.push(...b));
    assert.deepEqual(flat, [0x68, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]);
    const dec = new TextDecoderStream();
    const dw = dec.writable.getWriter();
    dw.write(new Uint8Array([0x68, 0xe2])); dw.write(new Uint8Array([0x82, 0xac])); dw.close();
    assert.equal((await collect(dec.readable)).join(''), 'h€');
    assert.equal(dec.encoding, 'utf-8');
    const fatal = new TextDecoderStream('utf-8', { fatal: true });
    const fw = fatal.writable.getWriter(); fw.write(new Uint8Array([0xff])).catch(() => {}); fw.close().catch(() => {});
    await assert.rejects(collect(fatal.readable), TypeError);
  `),
  t('IdentityTransformStream and FixedLengthStream', `
    const id = new IdentityTransformStream();
    assert.ok(id instanceof TransformStream);
    const w = id.writable.getWriter();
    w.write(new Uint8Array([1, 2])); w.write(new Uint8Array([3]).buffer); w.close();
    const r = id.readable.getReader({ mode: 'byob' });
    assert.deepEqual((await r.read(new Uint8Array(10))).value, new Uint8Array([1, 2]));
    r.releaseLock();
    assert.deepEqual(await collect(id.readable), [new Uint8Array([3])]);
    const bad = new IdentityTransformStream();
    bad.readable.getReader().read().catch(() => {});
    await assert.rejects(bad.writable.getWriter().write('str'), TypeError);
    const fl = new FixedLengthStream(3);
    const fw = fl.writable.getWriter();
    fw.write(new Uint8Array([1, 2, 3])); fw.close();
    assert.equal((await collect(fl.readable)).length, 1);
    assert.equal(__hearth_internal.streams.knownLength(fl.readable), 3);
    const short = new FixedLengthStream(5); const sw = short.writable.getWriter();
    collect(short.readable).catch(() => {});
    sw.write(new Uint8Array([1])); await assert.rejects(sw.close(), TypeError);
    const long = new FixedLengthStream(1); const lw = long.writable.getWriter();
    long.readable.getReader().read().catch(() => {});
    await assert.rejects(lw.write(new Uint8Array([1, 2])), TypeError);
    assert.throws(() => new FixedLengthStream(-1), TypeError);
  `),
  t('internal helpers', `
    const s = __hearth_internal.streams;
    const rs = s.fromBytes(new Uint8Array([1, 2, 3]));
    assert.ok(!s.isDisturbed(rs));
    assert.deepEqual(await s.readAllBytes(rs), new Uint8Array([1, 2, 3]));
    assert.ok(s.isDisturbed(rs));
    const many = new ReadableStream({ start(c) { for (let i = 0; i < 20000; i++) c.enqueue(new Uint8Array([i & 255])); c.close(); } });
    assert.equal((await s.readAllBytes(many)).length, 20000);
    await assert.rejects(s.readAllBytes(new ReadableStream({ start(c) { c.enqueue('str'); } })), TypeError);
  `),
  ['byte source fills BYOB reads through byobRequest', `
    let pulls = 0;
    const stream = new ReadableStream({
      type: 'bytes',
      pull(c) {
        pulls++;
        const req = c.byobRequest;
        assert.ok(req instanceof ReadableStreamBYOBRequest);
        if (pulls === 3) { c.close(); req.respond(0); assert.equal(req.view, null); return; }
        req.view.set([pulls, pulls + 1, pulls + 2].slice(0, req.view.byteLength));
        req.respond(Math.min(3, req.view.byteLength));
      },
    });
    const reader = stream.getReader({ mode: 'byob' });
    const a = await reader.read(new Uint8Array(8));
    assert.deepEqual(Array.from(a.value), [1, 2, 3]);
    // A Uint16Array gets whole elements; the odd byte stays queued.
    const b = await reader.read(new Uint16Array(2));
    assert.equal(b.value.length, 1);
    const c = await reader.read(new Uint8Array(4));
    assert.deepEqual(Array.from(c.value), [4]);
    const d = await reader.read(new Uint8Array(4));
    assert.equal(d.done, true);
    assert.equal(pulls, 3);
  `],
  ['byobRequest validation, respondWithNewView, invalidation by enqueue', `
    let checks;
    const s = new ReadableStream({
      type: 'bytes',
      start(c) { assert.equal(c.byobRequest, null); },
      pull(c) {
        const req = c.byobRequest;
        assert.equal(c.byobRequest, req, 'the same request until answered');
        const v = req.view;
        checks = [
          (() => { try { req.respond(0); } catch (e) { return e.name; } })(),
          (() => { try { req.respond(v.byteLength + 1); } catch (e) { return e.name; } })(),
          (() => { try { req.respondWithNewView(new Uint8Array(2)); } catch (e) { return e.name; } })(),
          // A zero-length or detached view is a TypeError before any position check.
          (() => { try { req.respondWithNewView(new Uint8Array(0)); } catch (e) { return e.name; } })(),
          (() => { try { const b = new ArrayBuffer(4); b.transfer(); req.respondWithNewView(new Uint8Array(b)); } catch (e) { return e.name; } })(),
        ];
        v[0] = 9;
        req.respondWithNewView(new Uint8Array(v.buffer, v.byteOffset, 1));
        assert.throws(() => req.respond(1), TypeError);
      },
    });
    const r = await s.getReader({ mode: 'byob' }).read(new Uint8Array(4));
    assert.deepEqual(Array.from(r.value), [9]);
    assert.deepEqual(checks, ['TypeError', 'RangeError', 'RangeError', 'TypeError', 'TypeError']);
    assert.equal(ReadableByteStreamController.length, 0);
    let stale;
    const e = new ReadableStream({
      type: 'bytes',
      pull(c) { stale = c.byobRequest; c.enqueue(new Uint8Array([5])); },
    });
    const r2 = await e.getReader({ mode: 'byob' }).read(new Uint8Array(4));
    assert.deepEqual(Array.from(r2.value), [5]);
    assert.equal(stale.view, null);
    assert.throws(() => stale.respond(1), TypeError);
  `],
  ['autoAllocateChunkSize gives default readers a byobRequest', `
    const s = new ReadableStream({
      type: 'bytes',
      autoAllocateChunkSize: 32,
      pull(c) { assert.equal(c.byobRequest.view.byteLength, 32); c.byobRequest.view[0] = 1; c.byobRequest.respond(1); },
    });
    const r = await s.getReader().read();
    assert.ok(r.value instanceof Uint8Array); assert.deepEqual(Array.from(r.value), [1]);
    assert.throws(() => new ReadableStream({ type: 'bytes', autoAllocateChunkSize: 0 }), TypeError);
    const plain = new ReadableStream({ type: 'bytes', pull(c) { assert.equal(c.byobRequest, null); c.enqueue(new Uint8Array([2])); } });
    assert.deepEqual(Array.from((await plain.getReader().read()).value), [2]);
  `],
  t('releasing a writer rejects its pending closed and ready promises in place', `
    let resolveWrite;
    const ws = new WritableStream({ write() { return new Promise((r) => { resolveWrite = r; }); } });
    const writer = ws.getWriter();
    await writer.ready;
    writer.write('a');
    const closed = writer.closed;
    const abort = writer.abort('stop');
    writer.releaseLock();
    resolveWrite();
    await abort;
    await assert.rejects(closed, TypeError);
    // A writer whose ready promise is pending (backpressure) sees it rejected, not replaced.
    const ws2 = new WritableStream({ start() { return new Promise(() => {}); } }, { highWaterMark: 0 });
    const w2 = ws2.getWriter();
    const ready = w2.ready;
    w2.releaseLock();
    assert.equal(w2.ready, ready);
    await assert.rejects(ready, TypeError);
  `),
  t('pipeTo/pipeThrough check brands first and read options in dictionary order', `
    const touched = [];
    const options = {};
    for (const name of ['signal', 'preventClose', 'preventCancel', 'preventAbort']) {
      Object.defineProperty(options, name, { get() { touched.push(name); return undefined; } });
    }
    await new ReadableStream({ start(c) { c.close(); } }).pipeTo(new WritableStream(), options);
    assert.deepEqual(touched, ['preventAbort', 'preventCancel', 'preventClose', 'signal']);
    let writableRead = false;
    const pair = { readable: new ReadableStream(), get writable() { writableRead = true; return new WritableStream(); } };
    assert.throws(() => ReadableStream.prototype.pipeThrough.call({}, pair), TypeError);
    assert.equal(writableRead, false);
    await assert.rejects(ReadableStream.prototype.pipeTo.call({}, new WritableStream()), TypeError);
    await assert.rejects(new ReadableStream().pipeTo(Object.create(WritableStream.prototype)), TypeError);
    await assert.rejects(new ReadableStream().pipeTo(new WritableStream(), { signal: Object.create(AbortSignal.prototype) }), TypeError);
    assert.throws(() => new ReadableStream().getReader(5), TypeError);
  `),
  t('transformer.cancel runs once for readable.cancel() or writable.abort()', `
    const calls = [];
    const ts = new TransformStream({ cancel(reason) { calls.push(reason); } });
    await ts.readable.cancel('stop');
    assert.deepEqual(calls, ['stop']);
    assert.equal(await assert.rejects(ts.writable.getWriter().closed), 'stop');
    const ts2 = new TransformStream({ cancel(reason) { calls.push(reason); throw new Error('cancel failed'); } });
    await assert.rejects(ts2.writable.abort('abort'), Error);
    assert.deepEqual(calls, ['stop', 'abort']);
    await assert.rejects(ts2.readable.getReader().closed, Error);
    // Without a cancel hook, aborting the writable side errors the readable side with the reason.
    const ts3 = new TransformStream();
    await ts3.writable.abort('gone');
    assert.equal(await assert.rejects(ts3.readable.getReader().read()), 'gone');
  `),
  t('queuing strategies and constructors follow Web IDL', `
    const size = new CountQueuingStrategy({ highWaterMark: 1 }).size;
    assert.equal(size.name, 'size'); assert.ok(!('prototype' in size));
    assert.throws(() => new size(), TypeError);
    const e1 = new Error('source'), e2 = new Error('strategy');
    assert.equal(assert.throws(() => new ReadableStream({ get start() { throw e1; } }, { get size() { throw e2; } })), e2);
    assert.equal(assert.throws(() => new WritableStream({ get start() { throw e1; } }, { get size() { throw e2; } })), e2);
    let applied = false;
    const start = () => {};
    start.call = start.apply = () => { applied = true; };
    new ReadableStream({ start }); new WritableStream({ start });
    assert.equal(applied, false);
  `),
];

export const tests = [
  ['Headers basics and validation', `
    const h = new Headers({ 'Content-Type': 'text/html', 'X-A': ' padded\\t' });
    assert.equal(h.get('content-type'), 'text/html'); assert.equal(h.get('x-a'), 'padded');
    h.append('x-b', '1'); h.append('X-B', '2');
    assert.equal(h.get('x-b'), '1, 2'); assert.ok(h.has('X-B')); assert.equal(h.get('nope'), null);
    h.set('x-b', '3'); assert.equal(h.get('x-b'), '3');
    h.delete('x-a'); assert.equal(h.has('x-a'), false);
    assert.throws(() => h.append('bad name', 'v'), TypeError);
    assert.throws(() => h.set('x', 'a\\nb'), TypeError);
    assert.throws(() => new Headers([['a']]), TypeError);
    assert.throws(() => new Headers(null), TypeError);
    assert.equal(new Headers([['A', '1']]).get('a'), '1');
    assert.equal(new Headers(h).get('x-b'), '3');
  `],
  ['Headers iteration sorts, combines, keeps set-cookie separate', `
    const h = new Headers();
    h.append('b', '1'); h.append('Set-Cookie', 'x=1'); h.append('a', '2'); h.append('b', '3'); h.append('set-cookie', 'y=2');
    assert.deepEqual([...h], [['a', '2'], ['b', '1, 3'], ['set-cookie', 'x=1'], ['set-cookie', 'y=2']]);
    assert.deepEqual([...h.keys()], ['a', 'b', 'set-cookie', 'set-cookie']);
    assert.deepEqual(h.getSetCookie(), ['x=1', 'y=2']);
    assert.equal(h.get('set-cookie'), 'x=1, y=2');
    const seen = []; h.forEach((v, k, o) => seen.push(k + '=' + v + (o === h)));
    assert.equal(seen[0], 'a=2true');
    assert.deepEqual(__hearth_internal.headersList(h), ['a', '2', 'b', '1, 3', 'set-cookie', 'x=1', 'set-cookie', 'y=2']);
  `],
  ['Blob and File', `
    const b = new Blob(['ab', new Uint8Array([99]), new Uint8Array([100, 101]).buffer, new Blob(['f'])], { type: 'Text/Plain' });
    assert.equal(b.size, 6); assert.equal(b.type, 'text/plain');
    assert.equal(await b.text(), 'abcdef');
    assert.equal(await b.slice(1, 3).text(), 'bc'); assert.equal(await b.slice(-2).text(), 'ef');
    assert.equal(b.slice(0, 1, 'x/y').type, 'x/y');
    assert.deepEqual(await b.bytes(), new Uint8Array([97, 98, 99, 100, 101, 102]));
    assert.equal((await b.arrayBuffer()).byteLength, 6);
    const r = b.stream().getReader(); const { value } = await r.read(); assert.equal(value.length, 6);
    const f = new File(['x'], 'a.txt', { type: 'text/plain', lastModified: 5 });
    assert.ok(f instanceof Blob); assert.equal(f.name, 'a.txt'); assert.equal(f.lastModified, 5);
    assert.throws(() => new File(['x']), TypeError);
    assert.equal(new Blob().size, 0);
  `],
  ['FormData', `
    const fd = new FormData();
    fd.append('a', '1'); fd.append('a', '2'); fd.append('f', new Blob(['hi'], { type: 'text/plain' }), 'h.txt');
    assert.equal(fd.get('a'), '1'); assert.deepEqual(fd.getAll('a'), ['1', '2']);
    const file = fd.get('f'); assert.ok(file instanceof File); assert.equal(file.name, 'h.txt');
    fd.append('g', new Blob(['x'])); assert.equal(fd.get('g').name, 'blob');
    fd.set('a', '3'); assert.deepEqual(fd.getAll('a'), ['3']);
    assert.deepEqual([...fd.keys()], ['a', 'f', 'g']);
    fd.delete('g'); assert.ok(!fd.has('g'));
    let n = 0; fd.forEach(() => n++); assert.equal(n, 2);
  `],
  ['Response basics and hot path', `
    const r = new Response('hi');
    assert.equal(r.status, 200); assert.equal(r.ok, true); assert.equal(r.statusText, ''); assert.equal(r.type, 'default');
    const parts = __hearth_internal.responseParts(r);
    assert.deepEqual(parts, [200, '', ['content-type', 'text/plain;charset=UTF-8'], 'hi', null]);
    assert.ok(r.bodyUsed);
    await assert.rejects(r.text(), TypeError);
    const r2 = new Response('x', { status: 404, statusText: 'Nope', headers: { 'X-Y': 'z' } });
    assert.deepEqual(__hearth_internal.responseParts(r2).slice(0, 3), [404, 'Nope', ['x-y', 'z', 'content-type', 'text/plain;charset=UTF-8']]);
    assert.equal(new Response(null).body, null);
    assert.deepEqual(__hearth_internal.responseParts(new Response()), [200, '', [], null, null]);
    assert.throws(() => new Response('x', { status: 99 }), RangeError);
    assert.throws(() => new Response('x', { status: 600 }), RangeError);
    assert.throws(() => new Response('x', { status: 101 }), RangeError);
    const ws = {}; const up = new Response(null, { status: 101, webSocket: ws });
    assert.equal(up.status, 101); assert.equal(up.webSocket, ws);
    assert.throws(() => new Response('x', { status: 204 }), TypeError);
    assert.throws(() => new Response('x', { statusText: 'a\\nb' }), TypeError);
  `],
  ['Response body readers', `
    assert.equal(await new Response('héllo').text(), 'héllo');
    assert.deepEqual(await new Response('{"a":1}').json(), { a: 1 });
    await assert.rejects(new Response('{bad').json(), SyntaxError);
    assert.deepEqual(await new Response(new Uint8Array([1, 2])).bytes(), new Uint8Array([1, 2]));
    assert.equal((await new Response('abc').arrayBuffer()).byteLength, 3);
    const blob = await new Response('z', { headers: { 'content-type': 'text/x' } }).blob();
    assert.equal(blob.type, 'text/x'); assert.equal(await blob.text(), 'z');
    const rs = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('str')); c.enqueue(new TextEncoder().encode('eam')); c.close(); } });
    const sr = new Response(rs);
    assert.equal(sr.body, rs); assert.equal(sr.bodyUsed, false);
    assert.equal(await sr.text(), 'stream'); assert.ok(sr.bodyUsed);
    const lazy = new Response('lazy'); const body = lazy.body;
    assert.ok(body instanceof ReadableStream); assert.equal(lazy.bodyUsed, false);
    const rd = body.getReader(); assert.deepEqual(await rd.read(), { value: new TextEncoder().encode('lazy'), done: false });
    assert.ok(lazy.bodyUsed);
    const locked = new Response('x'); locked.body.getReader();
    await assert.rejects(locked.text(), TypeError);
    const buf = new Uint8Array([7]); const copy = new Response(buf); buf[0] = 8;
    assert.deepEqual(await copy.bytes(), new Uint8Array([7]));
  `],
  ['Response body content types', `
    const p = new URLSearchParams({ a: 'b c' });
    const r = new Response(p);
    assert.equal(r.headers.get('content-type'), 'application/x-www-form-urlencoded;charset=UTF-8');
    assert.equal(await r.text(), 'a=b+c');
    assert.equal(new Response(new Blob(['x'], { type: 'image/png' })).headers.get('content-type'), 'image/png');
    assert.equal(new Response(new Uint8Array(1)).headers.get('content-type'), null);
    const src = __hearth_internal.bodySource(new Response(new Uint8Array([1])));
    assert.ok(src instanceof Uint8Array);
    assert.ok(__hearth_internal.bodySource(new Response(p)) instanceof Uint8Array);
    assert.equal(__hearth_internal.bodySource(new Response('s')), 's');
    const rs = new ReadableStream(); assert.equal(__hearth_internal.bodySource(new Response(rs)), rs);
    assert.equal(__hearth_internal.bodySource(new Response(null)), null);
    const used = new ReadableStream(); used.getReader();
    assert.throws(() => new Response(used), TypeError);
  `],
  ['FormData round trip through multipart and urlencoded', `
    const fd = new FormData();
    fd.append('name', 'va"l\\nue'); fd.append('up', new File(['file-bytes\\r\\n--x'], 'f "1".bin', { type: 'application/x-test' }));
    fd.append('uni', 'é€');
    const req = new Request('https://x/', { method: 'POST', body: fd });
    const ct = req.headers.get('content-type');
    assert.ok(ct.startsWith('multipart/form-data; boundary='));
    const parsed = await req.formData();
    assert.equal(parsed.get('name'), 'va"l\\r\\nue'); assert.equal(parsed.get('uni'), 'é€');
    const f = parsed.get('up'); assert.ok(f instanceof File); assert.equal(f.name, 'f "1".bin');
    assert.equal(f.type, 'application/x-test'); assert.equal(await f.text(), 'file-bytes\\r\\n--x');
    const enc = await new Response('a=1&b=x+y', { headers: { 'content-type': 'application/x-www-form-urlencoded' } }).formData();
    assert.equal(enc.get('b'), 'x y');
    const manual = '--B\\r\\nContent-Disposition: form-data; name="k"\\r\\n\\r\\nv\\r\\n--B--\\r\\n';
    const m = await new Response(manual, { headers: { 'content-type': 'multipart/form-data; boundary="B"' } }).formData();
    assert.equal(m.get('k'), 'v');
    await assert.rejects(new Response('x').formData(), TypeError);
  `],
  ['Response.json / redirect / error / clone', `
    const j = Response.json({ a: 1 }, { status: 201, headers: { 'x-h': '1' } });
    assert.equal(j.status, 201); assert.equal(j.headers.get('content-type'), 'application/json'); assert.equal(j.headers.get('x-h'), '1');
    assert.deepEqual(await j.json(), { a: 1 });
    assert.equal(Response.json('s', { headers: { 'content-type': 'text/custom' } }).headers.get('content-type'), 'text/custom');
    assert.throws(() => Response.json(undefined), TypeError);
    const r = Response.redirect('https://e.com/x', 301);
    assert.equal(r.status, 301); assert.equal(r.headers.get('location'), 'https://e.com/x');
    assert.throws(() => r.headers.set('a', 'b'), TypeError);
    assert.equal(Response.redirect('https://e.com').status, 302);
    assert.throws(() => Response.redirect('https://e.com', 200), RangeError);
    const e = Response.error(); assert.equal(e.status, 0); assert.equal(e.type, 'error'); assert.equal(e.ok, false);
    const rs = new ReadableStream({ start(c) { c.enqueue(new Uint8Array([1])); c.close(); } });
    const orig = new Response(rs, { status: 202 }); const cl = orig.clone();
    assert.equal(cl.status, 202);
    assert.deepEqual(await cl.bytes(), new Uint8Array([1])); assert.deepEqual(await orig.bytes(), new Uint8Array([1]));
    const s = new Response('t'); const s2 = s.clone(); assert.equal(await s.text(), 't'); assert.equal(await s2.text(), 't');
    assert.throws(() => s.clone(), TypeError);
  `],
  ['Request construction', `
    const r = new Request('https://example.com/a?b#c');
    assert.equal(r.url, 'https://example.com/a?b#c'); assert.equal(r.method, 'GET'); assert.equal(r.redirect, 'follow');
    assert.equal(r.body, null); assert.equal(r.cf, undefined); assert.ok(r.signal instanceof AbortSignal);
    assert.equal(new Request('https://x', { method: 'post' }).method, 'POST');
    assert.equal(new Request('https://x', { method: 'patch' }).method, 'PATCH');
    assert.equal(new Request('https://x', { method: 'Custom' }).method, 'Custom');
    assert.throws(() => new Request('https://x', { method: 'bad method' }), TypeError);
    assert.throws(() => new Request('https://x', { method: 'CONNECT' }), TypeError);
    assert.throws(() => new Request('/relative'), TypeError);
    assert.throws(() => new Request('https://x', { body: 'b' }), TypeError);
    assert.throws(() => new Request('https://x', { redirect: 'nope' }), TypeError);
    const ac = new AbortController();
    const p = new Request(new URL('https://x/p'), { method: 'PUT', body: 'data', headers: [['X-A', '1']], redirect: 'manual', signal: ac.signal, cf: { cacheTtl: 5 } });
    assert.equal(p.headers.get('content-type'), 'text/plain;charset=UTF-8'); assert.equal(p.headers.get('x-a'), '1');
    assert.equal(p.signal, ac.signal); assert.deepEqual(p.cf, { cacheTtl: 5 }); assert.equal(p.redirect, 'manual');
    const copy = new Request(p, { headers: { 'x-b': '2' } });
    assert.equal(copy.method, 'PUT'); assert.equal(copy.headers.get('x-b'), '2'); assert.equal(copy.headers.get('x-a'), null);
    assert.equal(await copy.text(), 'data'); assert.ok(p.bodyUsed);
    assert.throws(() => new Request(p), TypeError);
    const c2 = new Request('https://x', { method: 'POST', body: 'q' }).clone(); assert.equal(await c2.text(), 'q');
  `],
  ['makeRequest host path', `
    const body = new ReadableStream({ start(c) { c.enqueue(new Uint8Array([104, 105])); c.close(); } });
    const r = __hearth_internal.makeRequest('https://h/x', 'POST', ['host', 'h', 'content-type', 'application/json'], body);
    assert.equal(r.url, 'https://h/x'); assert.equal(r.method, 'POST');
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.throws(() => r.headers.set('a', 'b'), TypeError);
    assert.equal(await r.text(), 'hi');
    const g = __hearth_internal.makeRequest('https://h/', 'GET', [], null);
    assert.equal(g.body, null); assert.deepEqual([...g.headers], []);
    const mutable = new Request(g); mutable.headers.set('a', 'b'); assert.equal(mutable.headers.get('a'), 'b');
    const cloned = __hearth_internal.makeRequest('https://h/', 'POST', [], new ReadableStream({ start(c) { c.enqueue(new Uint8Array([1])); c.close(); } }));
    const twin = cloned.clone();
    assert.deepEqual(await twin.bytes(), new Uint8Array([1])); assert.deepEqual(await cloned.bytes(), new Uint8Array([1]));
    const h = new Headers(); h.append('set-cookie', 'a'); h.append('set-cookie', 'b'); h.append('x', '1'); h.append('x', '2');
    const resp = new Response('ok', { headers: h });
    assert.deepEqual(__hearth_internal.responseParts(resp)[2], ['content-type', 'text/plain;charset=UTF-8', 'set-cookie', 'a', 'set-cookie', 'b', 'x', '1, 2']);
  `],
  ['prototype shape and brand checks', `
    assert.ok('text' in Request.prototype); assert.ok(Object.getOwnPropertyDescriptor(Response.prototype, 'body').get);
    assert.equal(Object.prototype.toString.call(new Response()), '[object Response]');
    await assert.rejects(Response.prototype.text.call({}), TypeError);
    assert.throws(() => Response.prototype.headers, TypeError);
  `],
  ['Headers iterators are Web IDL iterators and see changes made while iterating', `
    const h = new Headers({ foo: '2', baz: '1', BAR: '0' });
    const it = h.keys();
    const IteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
    assert.equal(Object.getPrototypeOf(Object.getPrototypeOf(it)), IteratorPrototype);
    assert.equal(Object.prototype.toString.call(it), '[object Headers Iterator]');
    const next = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(it), 'next');
    assert.ok(next.enumerable && next.writable && next.configurable);
    const keys = [];
    for (const [k] of h) { keys.push(k); h.delete('foo'); }
    assert.deepEqual(keys, ['bar', 'baz']);
    assert.deepEqual([...h.values()], ['0', '1']);
    assert.throws(() => it.next.call({}), TypeError);
    // A Headers whose iterator was replaced is read through that iterator.
    const custom = new Headers();
    custom[Symbol.iterator] = function* () { yield ['test', 'yes']; };
    assert.equal(new Headers(custom).get('test'), 'yes');
  `],
  ['Blob constructor converts its arguments in Web IDL order and checks them', `
    const order = [];
    const part = { toString() { order.push('part'); return 'p'; } };
    const opts = { get endings() { order.push('endings'); return 'transparent'; }, get type() { order.push('type'); return 'text/plain'; } };
    const b = new Blob([part], opts);
    assert.deepEqual(order, ['part', 'endings', 'type']);
    assert.equal(b.type, 'text/plain');
    for (const bad of [123, 123.4, true, 'abc']) assert.throws(() => new Blob([], bad), TypeError);
    assert.throws(() => new Blob([], { endings: 'invalid' }), TypeError);
    assert.equal(await new Blob(['a\\r\\nb\\rc\\n'], { endings: 'native' }).text(), 'a\\nb\\nc\\n');
    assert.equal(await new Blob(['a\\r\\nb'], { endings: 'transparent' }).text(), 'a\\r\\nb');
    assert.equal(await new Blob(['\\ud800']).text(), '\\ufffd');
  `],
  ['Body: a null body stays unused; a consumed body reads as a locked stream', `
    const empty = new Response();
    assert.equal(await empty.text(), '');
    assert.equal(empty.bodyUsed, false);
    assert.equal(await new Request('http://x/').arrayBuffer().then((b) => b.byteLength), 0);
    const r = new Response('hello');
    const text = r.text();
    assert.ok(r.bodyUsed);
    assert.ok(r.body.locked);
    assert.throws(() => r.body.getReader(), TypeError);
    assert.equal(await text, 'hello');
    const input = new Request('http://x/');
    new Request(input);
    assert.equal(input.bodyUsed, false);
  `],
];

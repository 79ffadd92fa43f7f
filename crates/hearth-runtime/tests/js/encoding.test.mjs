export const tests = [
  ['btoa/atob round trip and errors', `
    assert.equal(btoa('hello'), 'aGVsbG8='); assert.equal(btoa(''), ''); assert.equal(btoa('ab'), 'YWI=');
    assert.equal(atob('aGVsbG8='), 'hello'); assert.equal(atob('aGVsbG8'), 'hello'); assert.equal(atob(' aG Vs\\nbG8= '), 'hello');
    let all = ''; for (let i = 0; i < 256; i++) all += String.fromCharCode(i);
    assert.equal(atob(btoa(all)), all);
    const e = assert.throws(() => btoa('€'), 'InvalidCharacterError'); assert.ok(e instanceof DOMException); assert.equal(e.code, 5);
    assert.throws(() => atob('a'), 'InvalidCharacterError');
    assert.throws(() => atob('ab=c'), 'InvalidCharacterError');
    assert.throws(() => atob('aGVsbG8==='), 'InvalidCharacterError');
    assert.throws(() => atob('*'), 'InvalidCharacterError');
    assert.equal(atob('YQ=='), 'a');
    assert.throws(() => atob(), TypeError);
  `],
  ['structuredClone primitives, objects, cycles', `
    assert.equal(structuredClone(1), 1); assert.equal(structuredClone('s'), 's'); assert.equal(structuredClone(null), null);
    assert.equal(structuredClone(10n), 10n);
    const o = { a: 1, b: [1, 2, { c: 3 }], d: new Date(5), r: /x/gi, m: new Map([[1, { z: 1 }]]), s: new Set([1, 'a']) };
    o.self = o; o.b.push(o.b);
    const c = structuredClone(o);
    assert.ok(c !== o); assert.equal(c.self, c); assert.equal(c.b[3], c.b); assert.equal(c.b[2].c, 3);
    assert.ok(c.d instanceof Date); assert.equal(c.d.getTime(), 5);
    assert.equal(c.r.source, 'x'); assert.equal(c.r.flags, 'gi');
    assert.equal(c.m.get(1).z, 1); assert.ok(c.s.has('a'));
    const w = structuredClone(new String('w')); assert.equal(typeof w, 'object'); assert.equal(String(w), 'w');
  `],
  ['structuredClone buffers, views, shared buffers', `
    const buf = new ArrayBuffer(8); const u = new Uint8Array(buf); u[0] = 7;
    const dv = new DataView(buf, 2, 4);
    const [u2, dv2] = structuredClone([u, dv]);
    assert.equal(u2[0], 7); assert.ok(u2.buffer === dv2.buffer); assert.equal(dv2.byteOffset, 2); assert.equal(dv2.byteLength, 4);
    u[0] = 9; assert.equal(u2[0], 7);
    const f = structuredClone(new Float64Array([1.5, 2.5])); assert.ok(f instanceof Float64Array); assert.equal(f[1], 2.5);
  `],
  ['structuredClone errors', `
    const e = structuredClone(new RangeError('bad', { cause: 1 }));
    assert.ok(e instanceof RangeError); assert.equal(e.message, 'bad'); assert.equal(e.cause, 1);
    const t = structuredClone(new TypeError('t')); assert.equal(t.name, 'TypeError');
    const d = structuredClone(new DOMException('m', 'AbortError')); assert.equal(d.name, 'AbortError'); assert.ok(d instanceof DOMException);
    assert.throws(() => structuredClone(() => 1), 'DataCloneError');
    assert.throws(() => structuredClone({ a: Symbol('x') }), 'DataCloneError');
    assert.throws(() => structuredClone(new EventTarget()), 'DataCloneError');
    assert.throws(() => structuredClone(), TypeError);
  `],
  ['structuredClone transfer', `
    const buf = new Uint8Array([1, 2, 3]).buffer;
    const c = structuredClone({ buf }, { transfer: [buf] });
    assert.deepEqual(Array.from(new Uint8Array(c.buf)), [1, 2, 3]);
    assert.equal(buf.byteLength, 0);
    assert.throws(() => structuredClone(1, { transfer: [{}] }), 'DataCloneError');
    const b2 = new ArrayBuffer(1);
    assert.throws(() => structuredClone(1, { transfer: [b2, b2] }), 'DataCloneError');
  `],
  ['TextEncoder', `
    const enc = new TextEncoder();
    assert.equal(enc.encoding, 'utf-8');
    assert.deepEqual(enc.encode('aé€😀'), new Uint8Array([0x61, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]));
    assert.deepEqual(enc.encode('\\ud800x'), new Uint8Array([0xef, 0xbf, 0xbd, 0x78]));
    assert.equal(enc.encode().length, 0);
    const dest = new Uint8Array(5);
    assert.deepEqual(enc.encodeInto('a€😀', dest), { read: 2, written: 4 });
    assert.deepEqual(enc.encodeInto('😀', new Uint8Array(4)), { read: 2, written: 4 });
  `],
  ['TextDecoder basic, BOM, fatal', `
    const d = new TextDecoder();
    assert.equal(d.encoding, 'utf-8');
    assert.equal(d.decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0x69])), 'hi');
    assert.equal(new TextDecoder('utf-8', { ignoreBOM: true }).decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x68])), '\\ufeffh');
    assert.equal(d.decode(new Uint8Array([0x61, 0xff, 0x62])), 'a\\ufffdb');
    assert.equal(d.decode(new Uint8Array([0xe2, 0x82])), '\\ufffd');
    assert.equal(d.decode(new Uint8Array([0xed, 0xa0, 0x80])), '\\ufffd\\ufffd\\ufffd');
    assert.equal(d.decode(new Uint8Array([0xf0, 0x9f, 0x98, 0x80]).buffer), '😀');
    assert.equal(d.decode(new DataView(new Uint8Array([0x41, 0x42]).buffer, 1)), 'B');
    assert.equal(d.decode(), '');
    const f = new TextDecoder('UTF8', { fatal: true }); assert.ok(f.fatal);
    assert.throws(() => f.decode(new Uint8Array([0xc3])), TypeError);
    assert.equal(f.decode(new Uint8Array([0xc3, 0xa9])), 'é');
    assert.equal(new TextDecoder('latin1').encoding, 'windows-1252');
    assert.throws(() => new TextDecoder('bogus'), RangeError);
    assert.throws(() => d.decode('str'), TypeError);
  `],
  ['TextDecoder streaming', `
    const d = new TextDecoder();
    const bytes = new TextEncoder().encode('\\ufeffhé€😀!');
    let out = '';
    for (const b of bytes) out += d.decode(new Uint8Array([b]), { stream: true });
    out += d.decode();
    assert.equal(out, 'hé€😀!');
    assert.equal(d.decode(new Uint8Array([0xf0, 0x9f]), { stream: true }), '');
    assert.equal(d.decode(new Uint8Array([0x98, 0x80])), '😀');
    const big = 'x'.repeat(100000) + '€';
    assert.equal(d.decode(new TextEncoder().encode(big)), big);
  `],
];

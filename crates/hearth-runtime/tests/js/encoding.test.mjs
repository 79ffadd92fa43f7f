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

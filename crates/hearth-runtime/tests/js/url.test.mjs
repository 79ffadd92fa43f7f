export const tests = [
  ['URL parse and components', `
    const u = new URL('https://user:pw@example.com:8080/a/b?x=1&y=2#frag');
    assert.equal(u.href, 'https://user:pw@example.com:8080/a/b?x=1&y=2#frag');
    assert.equal(u.protocol, 'https:'); assert.equal(u.username, 'user'); assert.equal(u.password, 'pw');
    assert.equal(u.host, 'example.com:8080'); assert.equal(u.hostname, 'example.com'); assert.equal(u.port, '8080');
    assert.equal(u.pathname, '/a/b'); assert.equal(u.search, '?x=1&y=2'); assert.equal(u.hash, '#frag');
    assert.equal(u.origin, 'https://example.com:8080');
    assert.equal(String(u), u.href); assert.equal(JSON.stringify({ u }), '{"u":"' + u.href + '"}');
    assert.equal(new URL('../c?q', 'https://a.com/x/y/z').href, 'https://a.com/x/c?q');
    assert.equal(new URL('/p', new URL('https://b.com/q')).href, 'https://b.com/p');
    assert.equal(Object.prototype.toString.call(u), '[object URL]');
  `],
  ['URL invalid', `
    const e = assert.throws(() => new URL('not a url'), TypeError);
    assert.equal(e.message, 'Invalid URL: not a url');
    assert.throws(() => new URL('/relative'), TypeError);
    assert.equal(URL.canParse('https://x'), true); assert.equal(URL.canParse('nope'), false);
    assert.equal(URL.canParse('/a', 'https://x'), true);
    assert.equal(URL.parse('nope'), null); assert.equal(URL.parse('https://x/').href, 'https://x/');
    assert.throws(() => new URL(), TypeError);
  `],
  ['URL setters', `
    const u = new URL('https://example.com/path?a=1#h');
    u.pathname = '/other path'; assert.equal(u.pathname, '/other%20path');
    u.hash = 'x'; assert.equal(u.hash, '#x');
    u.port = '444'; assert.equal(u.host, 'example.com:444');
    u.hostname = 'foo.org'; assert.equal(u.href, 'https://foo.org:444/other%20path?a=1#x');
    u.protocol = 'http'; assert.equal(u.protocol, 'http:');
    u.username = 'me'; u.password = 'p'; assert.equal(u.href, 'http://me:p@foo.org:444/other%20path?a=1#x');
    u.port = ''; assert.equal(u.port, '');
    u.href = 'https://new.example/'; assert.equal(u.hostname, 'new.example');
    assert.throws(() => { u.href = 'bad'; }, TypeError);
    u.search = '?k=v'; assert.equal(u.search, '?k=v');
  `],
  ['searchParams live and two-way', `
    const u = new URL('https://example.com/?a=1&b=2&a=3');
    const p = u.searchParams;
    assert.equal(p, u.searchParams);
    assert.deepEqual(p.getAll('a'), ['1', '3']);
    p.append('c', 'x y');
    assert.equal(u.search, '?a=1&b=2&a=3&c=x+y');
    assert.equal(u.href, 'https://example.com/?a=1&b=2&a=3&c=x+y');
    u.search = '?z=9';
    assert.equal(p.get('z'), '9'); assert.equal(p.has('a'), false);
    p.delete('z');
    assert.equal(u.search, ''); assert.equal(u.href, 'https://example.com/');
    u.href = 'https://e.com/?q=1'; assert.equal(p.get('q'), '1');
  `],
  ['URLSearchParams constructors', `
    assert.equal(new URLSearchParams('?a=1&b=2').toString(), 'a=1&b=2');
    assert.equal(new URLSearchParams({ a: '1', b: 2 }).toString(), 'a=1&b=2');
    assert.equal(new URLSearchParams([['a', '1'], ['a', '2']]).toString(), 'a=1&a=2');
    assert.equal(new URLSearchParams(new Map([['m', 'n']])).toString(), 'm=n');
    const src = new URLSearchParams('x=1'); const copy = new URLSearchParams(src); copy.append('y', '2');
    assert.equal(src.toString(), 'x=1'); assert.equal(copy.toString(), 'x=1&y=2');
    assert.throws(() => new URLSearchParams([['a']]), TypeError);
    assert.throws(() => new URLSearchParams([1]), TypeError);
    assert.equal(new URLSearchParams().toString(), '');
    assert.equal(new URLSearchParams(undefined).size, 0);
  `],
  ['URLSearchParams parsing and serialization', `
    const p = new URLSearchParams('a=b+c&%E2%82%AC=%zz&=empty&novalue&&x=%F0%9F%98%80&bad=%FF');
    assert.equal(p.get('a'), 'b c'); assert.equal(p.get('€'), '%zz'); assert.equal(p.get(''), 'empty');
    assert.equal(p.get('novalue'), ''); assert.equal(p.get('x'), '😀'); assert.equal(p.get('bad'), '\\ufffd');
    assert.equal(p.size, 6);
    const q = new URLSearchParams();
    q.append("sp ace!'()~*-._", 'é&=+/?#\\ud800');
    assert.equal(q.toString(), "sp+ace%21%27%28%29%7E*-._=%C3%A9%26%3D%2B%2F%3F%23%EF%BF%BD");
    assert.equal(new URLSearchParams(q.toString()).get("sp ace!'()~*-._"), 'é&=+/?#\\ufffd');
  `],
  ['URLSearchParams methods', `
    const p = new URLSearchParams('a=1&b=2&a=3&c=4');
    assert.equal(p.get('a'), '1'); assert.equal(p.get('zz'), null);
    assert.ok(p.has('a')); assert.ok(p.has('a', '3')); assert.equal(p.has('a', '9'), false);
    p.set('a', 'x'); assert.equal(p.toString(), 'a=x&b=2&c=4');
    p.set('d', '5'); assert.equal(p.toString(), 'a=x&b=2&c=4&d=5');
    p.append('b', '7'); p.delete('b', '2'); assert.equal(p.toString(), 'a=x&c=4&d=5&b=7');
    p.delete('d'); assert.equal(p.toString(), 'a=x&c=4&b=7');
    const s = new URLSearchParams('z=1&a=2&z=0&b=3&a=1'); s.sort();
    assert.equal(s.toString(), 'a=2&a=1&b=3&z=1&z=0');
    const seen = []; s.forEach(function (v, k, obj) { seen.push(k + v, obj === s, this.t); }, { t: 1 });
    assert.deepEqual(seen.slice(0, 3), ['a2', true, 1]);
    assert.deepEqual([...s.keys()], ['a', 'a', 'b', 'z', 'z']);
    assert.deepEqual([...s.values()], ['2', '1', '3', '1', '0']);
    assert.deepEqual([...s], [...s.entries()]);
    assert.deepEqual([...s][0], ['a', '2']);
    assert.equal(s.size, 5);
    assert.throws(() => s.append('x'), TypeError);
    assert.throws(() => s.get(), TypeError);
  `],
];

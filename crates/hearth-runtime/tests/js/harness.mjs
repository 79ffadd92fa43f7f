// Test harness: runs the hearth JS layer inside quickjs-ng (compiled to wasm by
// quickjs-emscripten) so the code is exercised by the same engine the runtime embeds.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const srcDir = path.resolve(here, '../../src');
export const FILES = [
  'web/encoding/encoding.js', 'web/events/events.js', 'web/url/url.js',
  'web/streams/streams.js', 'web/fetch/types.js',
];

function loadQuickJS() {
  const bases = [process.env.QJS_NODE_MODULES, here + '/', '/tmp/jstest/'].filter(Boolean);
  for (const base of bases) {
    try {
      const req = createRequire(path.join(base, 'package.json'));
      const core = req('quickjs-emscripten');
      const variant = req('@jitl/quickjs-ng-wasmfile-release-sync').default;
      return { core, variant };
    } catch {}
  }
  throw new Error('quickjs-emscripten not found; see tests/js/README.md');
}

let modulePromise;
function getModule() {
  if (!modulePromise) {
    const { core, variant } = loadQuickJS();
    modulePromise = core.newQuickJSWASMModuleFromVariant(variant).then((mod) => ({ mod, core }));
  }
  return modulePromise;
}

const sources = new Map();
function source(name) {
  if (!sources.has(name)) sources.set(name, readFileSync(path.join(srcDir, name), 'utf8'));
  return sources.get(name);
}

// The host's parsed-URL record (api/encoding.rs): [href, then offsets into
// href: scheme end, username, password, host and port spans, path span, query end].
function components(u) {
  const href = u.href;
  const schemeEnd = u.protocol.length - 1;
  let at = u.protocol.length;
  const spans = [];
  if (href.startsWith('//', at)) {
    at += 2;
    const user = [at, at + u.username.length];
    at = user[1];
    let pass = [at, at];
    if (u.password) {
      pass = [at + 1, at + 1 + u.password.length];
      at = pass[1];
    }
    if (u.username || u.password) at += 1;
    const host = [at, at + u.hostname.length];
    at = host[1];
    const port = u.port ? [at + 1, at + 1 + u.port.length] : [at, at];
    at = port[1];
    spans.push(...user, ...pass, ...host, ...port);
  } else {
    spans.push(at, at, at, at, at, at, at, at);
  }
  const pathEnd = at + u.pathname.length;
  const queryEnd = u.search ? pathEnd + u.search.length : href[pathEnd] === '?' ? pathEnd + 1 : pathEnd;
  return [href, schemeEnd, ...spans, at, pathEnd, queryEnd];
}

// Prelude evaluated before the hearth files: assert helper and the natives the
// files call, stubbed with Node's URL and text codecs.
const PRELUDE = `
globalThis.assert = {
  ok(v, m) { if (!v) throw new Error('assert.ok failed' + (m ? ': ' + m : '')); },
  equal(a, b, m) { if (!Object.is(a, b)) throw new Error('expected ' + fmt(b) + ', got ' + fmt(a) + (m ? ' (' + m + ')' : '')); },
  deepEqual(a, b, m) { const x = fmt(a), y = fmt(b); if (x !== y) throw new Error('expected ' + y + ', got ' + x + (m ? ' (' + m + ')' : '')); },
  throws(fn, check, m) {
    try { fn(); } catch (e) { checkErr(e, check, m); return e; }
    throw new Error('expected throw' + (m ? ' (' + m + ')' : ''));
  },
  async rejects(p, check, m) {
    try { await (typeof p === 'function' ? p() : p); } catch (e) { checkErr(e, check, m); return e; }
    throw new Error('expected rejection' + (m ? ' (' + m + ')' : ''));
  },
};
function checkErr(e, check, m) {
  if (!check) return;
  if (typeof check === 'function' && !(e instanceof check)) throw new Error('wrong error type: ' + e + (m ? ' (' + m + ')' : ''));
  if (typeof check === 'string' && (e && e.name) !== check) throw new Error('wrong error name: ' + (e && e.name) + ' ' + e + (m ? ' (' + m + ')' : ''));
}
function fmt(v) {
  const seen = new Set();
  return JSON.stringify(v, (k, x) => {
    if (x instanceof Uint8Array) return 'u8[' + Array.from(x).join(',') + ']';
    if (typeof x === 'bigint') return x + 'n';
    if (x === undefined) return '<undefined>';
    if (typeof x === 'number' && !Number.isFinite(x)) return String(x);
    if (x && typeof x === 'object') { if (seen.has(x)) return '<cycle>'; seen.add(x); }
    return x;
  });
}
const __ab = (b) => (b instanceof ArrayBuffer ? b : b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
// Strings cross to the host as JSON, which keeps NULs and lone surrogates.
const __codec = (op, ...args) => {
  const out = __host_codec(op, ...args.map((a) => (typeof a === 'string' ? JSON.stringify(a) : a)));
  return typeof out === 'string' ? JSON.parse(out) : out;
};
const __decoded = (text, encoding) => {
  if (text === undefined) throw new TypeError('The encoded data was not valid for encoding ' + encoding);
  return text;
};
globalThis.__hearth_native = {
  utf8Encode: (s) => new Uint8Array(__codec('encode', s)),
  utf8EncodeInto(s, dest) {
    const [read, written] = __codec('encodeInto', s, dest.length);
    dest.set(new Uint8Array(__codec('encode', s), 0, written));
    return { read, written };
  },
  utf8Decode: (b, fatal, ignoreBOM) => __decoded(__codec('utf8', __ab(b), fatal, ignoreBOM), 'utf-8'),
  encodingName: (label) => __codec('name', label),
  decoderNew: (name, fatal, ignoreBOM) => ({ id: __codec('new', name, fatal, ignoreBOM), name }),
  decoderDecode: (d, b, stream) => __decoded(__codec('decode', d.id, __ab(b), stream), d.name),
  atob: (s) => __codec('atob', s),
  btoa: (s) => __codec('btoa', s),
  urlParse(input, base) { const r = __host_url('parse', String(input), base === undefined ? undefined : String(base)); return r === undefined ? null : JSON.parse(r); },
  urlSet(href, field, value) { return JSON.parse(__host_url('set', href, field, String(value))); },
  urlOrigin(href) { return __host_url('origin', href); },
};
// What the host sets from the worker's compatibility date (host/isolate.rs).
globalThis.__hearth_internal = { compat: { formdata_parser_supports_files: true } };
`;

export async function createContext() {
  const { mod, core } = await getModule();
  const rt = mod.newRuntime();
  rt.setMemoryLimit(256 * 1024 * 1024);
  rt.setMaxStackSize(1024 * 1024);
  const vm = rt.newContext();
  let now = 0;
  let nextId = 1;
  const timers = new Map();
  const logs = [];

  const fn = (name, impl) => { const h = vm.newFunction(name, impl); vm.setProp(vm.global, name, h); h.dispose(); };
  fn('print', (...args) => { logs.push(args.map((a) => vm.dump(a)).join(' ')); });
  fn('setTimeout', (cb, ms) => {
    const id = nextId++;
    const delay = ms ? Math.max(0, vm.getNumber(ms)) : 0;
    timers.set(id, { due: now + delay, seq: id, cb: cb.dup() });
    return vm.newNumber(id);
  });
  fn('clearTimeout', (id) => {
    const t = timers.get(vm.getNumber(id));
    if (t) { t.cb.dispose(); timers.delete(vm.getNumber(id)); }
  });
  fn('__host_url', (op, a, b, c) => {
    const opS = vm.getString(op);
    try {
      if (opS === 'origin') return vm.newString(new URL(vm.getString(a)).origin);
      if (opS === 'parse') {
        const base = vm.typeof(b) === 'undefined' ? undefined : vm.getString(b);
        return vm.newString(JSON.stringify(components(new URL(vm.getString(a), base))));
      }
      const u = new URL(vm.getString(a));
      u[vm.getString(b)] = vm.getString(c);
      return vm.newString(JSON.stringify(components(u)));
    } catch {
      return vm.undefined;
    }
  });

  // The text codec natives (mod.rs in web/encoding) over Node's codecs.
  const decoders = new Map();
  fn('__host_codec', (op, ...args) => {
    const str = (i) => JSON.parse(vm.getString(args[i]));
    const bool = (i) => vm.dump(args[i]) === true;
    const bytes = (i) => { const view = vm.getArrayBuffer(args[i]); const copy = view.value.slice(); view.dispose(); return copy; };
    const text = (make) => { try { return vm.newString(JSON.stringify(make())); } catch { return vm.undefined; } };
    switch (vm.getString(op)) {
      case 'encode': return vm.newArrayBuffer(new TextEncoder().encode(str(0)).buffer);
      case 'encodeInto': {
        const r = new TextEncoder().encodeInto(str(0), new Uint8Array(vm.getNumber(args[1])));
        return vm.newString(JSON.stringify([r.read, r.written]));
      }
      case 'utf8': return text(() => new TextDecoder('utf-8', { fatal: bool(1), ignoreBOM: bool(2) }).decode(bytes(0)));
      case 'name': return text(() => new TextDecoder(str(0)).encoding);
      case 'new': {
        const id = decoders.size + 1;
        decoders.set(id, new TextDecoder(str(0), { fatal: bool(1), ignoreBOM: bool(2) }));
        return vm.newNumber(id);
      }
      case 'decode': return text(() => decoders.get(vm.getNumber(args[0])).decode(bytes(1), { stream: bool(2) }));
      case 'atob': return text(() => atob(str(0)));
      case 'btoa': return text(() => btoa(str(0)));
    }
    throw new Error('unknown codec operation');
  });

  const evalOrThrow = (code, filename) => {
    const r = vm.evalCode(code, filename);
    if (r.error) {
      const err = vm.dump(r.error); r.error.dispose();
      throw new Error(`${filename}: ${err && err.message ? err.message + '\n' + err.stack : JSON.stringify(err)}`);
    }
    const v = vm.dump(r.value); if (r.value.alive) r.value.dispose();
    return v;
  };
  evalOrThrow(PRELUDE, 'prelude.js');
  for (const f of FILES) {
    let src;
    try { src = source(f); } catch { continue; }
    evalOrThrow(src, f);
  }

  function drain() {
    for (;;) {
      const r = rt.executePendingJobs();
      if (r.error) { const e = vm.dump(r.error); r.error.dispose(); throw new Error('job error: ' + JSON.stringify(e)); }
      if (r.value === 0) return;
    }
  }

  // Runs an async test body; timers are virtual and fire in due order whenever the
  // microtask queue is empty, so timeouts cost no wall-clock time.
  async function run(body, name) {
    rt.setInterruptHandler(core.shouldInterruptAfterDeadline(Date.now() + 20000));
    evalOrThrow(`globalThis.__done = undefined; (async () => {\n${body}\n})().then(() => { __done = { ok: true }; }, (e) => { __done = { ok: false, err: String(e && e.stack ? e + '\\n' + e.stack : (e && e.message) || e) }; });`, name);
    for (;;) {
      drain();
      const done = evalOrThrow('__done', 'poll');
      if (done) { if (!done.ok) throw new Error(done.err); return; }
      if (timers.size === 0) throw new Error('test never settled (pending promise with no timers)');
      let next;
      for (const [id, t] of timers) if (!next || t.due < next[1].due || (t.due === next[1].due && t.seq < next[1].seq)) next = [id, t];
      timers.delete(next[0]);
      now = next[1].due;
      const r = vm.callFunction(next[1].cb, vm.undefined);
      next[1].cb.dispose();
      if (r.error) { const e = vm.dump(r.error); r.error.dispose(); throw new Error('timer error: ' + JSON.stringify(e)); } else if (r.value.alive) r.value.dispose();
    }
  }

  function dispose() {
    for (const t of timers.values()) t.cb.dispose();
    timers.clear();
    vm.dispose();
    rt.dispose();
  }
  return { run, eval: (c) => evalOrThrow(c, 'eval'), logs, dispose };
}

// A suite is a list of [name, asyncBody]; each test gets a fresh isolate.
export async function runSuite(name, tests, filter) {
  let passed = 0, failed = 0;
  for (const [tname, body] of tests) {
    if (filter && !`${name} ${tname}`.includes(filter)) continue;
    let ctx;
    try {
      ctx = await createContext();
      await ctx.run(body, `${name}: ${tname}`);
      passed++;
    } catch (e) {
      failed++;
      console.log(`FAIL ${name}: ${tname}\n  ${String(e.message || e).split('\n').join('\n  ')}`);
      if (ctx && ctx.logs.length) console.log('  logs: ' + ctx.logs.join('\n  '));
    } finally {
      try { ctx && ctx.dispose(); } catch {}
    }
  }
  console.log(`${name}: ${passed} passed, ${failed} failed`);
  return { passed, failed };
}

// hearth:cjs — the CommonJS registry behind `require` in npm packages.
//
// hearth's loader wraps each CommonJS file in a register module that calls
// `define(name, deps, factory)`; `deps` maps every statically required
// specifier to its resolved module name. ES modules, JSON files and Node.js
// builtins that CommonJS code requires are handed over with `esm`, `value`
// and `builtin`. A factory runs on its first `require`, as in Node.js.

import { native } from 'hearth:internal';

const factories = new Map();
const cache = new Map();

export function define(name, deps, factory) {
  factories.set(name, { deps, factory });
}

export function esm(name, ns) {
  if (cache.has(name)) return;
  // What bundlers hand CommonJS for an ES module: its namespace, marked.
  const exports = Object.create(null);
  Object.defineProperty(exports, '__esModule', { value: true });
  for (const key of Object.keys(ns)) {
    Object.defineProperty(exports, key, { enumerable: true, get: () => ns[key] });
  }
  cache.set(name, { exports, loaded: true });
}

export function builtin(name, ns) {
  if (cache.has(name)) return;
  cache.set(name, { exports: 'default' in ns ? ns.default : ns, loaded: true });
}

// A Node.js builtin by `name` or `node:name`, loaded on first use, as
// `require` and `process.getBuiltinModule` see it; undefined if the worker has
// no such module.
export function loadBuiltin(spec) {
  const bare = spec.startsWith('node:') ? spec.slice(5) : spec;
  const key = 'node:' + bare;
  if (!cache.has(key)) {
    const ns = native.builtinModule(bare);
    if (ns === undefined) return undefined;
    builtin(key, ns);
  }
  return cache.get(key).exports;
}

export function value(name, v) {
  if (!cache.has(name)) cache.set(name, { exports: v, loaded: true });
}

function notFound(spec, from) {
  const err = new Error(`Cannot find module '${spec}' required from ${from}`);
  err.code = 'MODULE_NOT_FOUND';
  return err;
}

function dirname(name) {
  const i = name.lastIndexOf('/');
  return i < 0 ? '/' : '/' + name.slice(0, i);
}

export function require(name) {
  const cached = cache.get(name);
  if (cached) return cached.exports;
  const entry = factories.get(name);
  if (!entry) throw notFound(name, 'hearth');
  const module = {
    id: name,
    filename: '/' + name,
    path: dirname(name),
    exports: {},
    loaded: false,
    children: [],
    paths: [],
  };
  cache.set(name, module);
  const req = (spec) => {
    const target = entry.deps[spec];
    if (target === undefined) {
      // Required dynamically, or not installed: builtins still work.
      const exports = loadBuiltin(spec);
      if (exports !== undefined) return exports;
      throw notFound(spec, name);
    }
    return require(target);
  };
  req.resolve = (spec) => {
    if (entry.deps[spec] === undefined) throw notFound(spec, name);
    return '/' + entry.deps[spec];
  };
  req.cache = Object.create(null);
  module.require = req;
  try {
    entry.factory.call(module.exports, module.exports, req, module, module.filename, module.path);
  } catch (e) {
    cache.delete(name);
    throw e;
  }
  module.loaded = true;
  return module.exports;
}

// `import x from 'cjs'`: module.exports, or its `default` when it was
// compiled from an ES module (the `__esModule` marker).
export function interopDefault(m) {
  return m && m.__esModule && 'default' in m ? m.default : m;
}

// The WebAssembly namespace over the natives of web/wasm/mod.rs (wasmtime).
// Wasm objects live in the isolate's store and are referred to by number; the
// classes here hold those numbers in WeakMaps, so user code cannot forge them.
// As on Cloudflare, no code is compiled from bytes at run time: modules come
// from the bundle (`import mod from "./x.wasm"`), and compile/instantiate of
// bytes fail with workerd's CompileError.
(() => {
  'use strict';

  const internal = (globalThis.__hearth_internal ||= {});
  const native = globalThis.__hearth_native;
  const {
    wasmValidate, wasmBundleModule, wasmModuleImports, wasmModuleExports, wasmModuleCustomSections,
    wasmInstantiate, wasmCall, wasmMemoryNew, wasmMemoryBuffer, wasmMemoryGrow, wasmTableNew,
    wasmTableGet, wasmTableSet, wasmTableGrow, wasmTableLength, wasmGlobalNew, wasmGlobalGet,
    wasmGlobalSet, wasmGlobalType, wasmTagNew, wasmTagType, wasmTagPayload,
  } = native;

  const errorClass = (name) => {
    const cls = class extends Error {};
    Object.defineProperty(cls, 'name', { value: name });
    Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true });
    return cls;
  };
  const CompileError = errorClass('CompileError');
  const LinkError = errorClass('LinkError');
  const RuntimeError = errorClass('RuntimeError');

  const disallowed = (api) => new CompileError(`${api}: Wasm code generation disallowed by embedder`);

  const isBufferSource = (v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v) ||
    (typeof SharedArrayBuffer === 'function' && v instanceof SharedArrayBuffer);

  // The spec's [EnforceRange] unsigned long.
  const toU32 = (v, what) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || n > 0xffffffff) {
      throw new TypeError(`${what} must be convertible to a valid number`);
    }
    return Math.trunc(n);
  };

  const moduleIds = new WeakMap();
  const memoryIds = new WeakMap();
  const tableIds = new WeakMap();
  const globalIds = new WeakMap();
  const funcIds = new WeakMap();
  const tagIds = new WeakMap();
  const instanceExports = new WeakMap();
  // One JavaScript object per wasm object, as the spec requires.
  const memories = [];
  const functions = [];
  const tags = [];

  const idOf = (map, value, what) => {
    const id = map.get(value);
    if (id === undefined) throw new TypeError(`Receiver is not a ${what}`);
    return id;
  };

  const adopt = (cls, map, id) => {
    const object = Object.create(cls.prototype);
    map.set(object, id);
    return object;
  };

  function wrapFunction(id, arity) {
    const known = functions[id];
    if (known) return known;
    let f;
    switch (arity) {
      case 0: f = () => wasmCall(id); break;
      case 1: f = (a) => wasmCall(id, a); break;
      case 2: f = (a, b) => wasmCall(id, a, b); break;
      case 3: f = (a, b, c) => wasmCall(id, a, b, c); break;
      case 4: f = (a, b, c, d) => wasmCall(id, a, b, c, d); break;
      default: f = (...args) => wasmCall(id, ...args);
    }
    Object.defineProperty(f, 'name', { value: String(id) });
    Object.defineProperty(f, 'length', { value: arity });
    funcIds.set(f, id);
    functions[id] = f;
    return f;
  }

  class Module {
    constructor(bytes) {
      if (!isBufferSource(bytes)) {
        throw new TypeError('WebAssembly.Module(): Argument 0 must be a buffer source');
      }
      throw disallowed('WebAssembly.Module()');
    }

    static exports(module) {
      const id = idOf(moduleIds, module, 'WebAssembly.Module');
      const flat = wasmModuleExports(id);
      const out = [];
      for (let i = 0; i < flat.length; i += 2) out.push({ name: flat[i], kind: flat[i + 1] });
      return out;
    }

    static imports(module) {
      const id = idOf(moduleIds, module, 'WebAssembly.Module');
      const flat = wasmModuleImports(id);
      const out = [];
      for (let i = 0; i < flat.length; i += 3) {
        out.push({ module: flat[i], name: flat[i + 1], kind: flat[i + 2] });
      }
      return out;
    }

    static customSections(module, sectionName) {
      const id = idOf(moduleIds, module, 'WebAssembly.Module');
      if (sectionName === undefined) {
        throw new TypeError('WebAssembly.Module.customSections(): Argument 1 is required');
      }
      return wasmModuleCustomSections(id, String(sectionName));
    }
  }

  const badGlobal = 'global import must be a number, valid Wasm reference, or WebAssembly.Global object';

  // One import as wasmInstantiate takes it: a JavaScript function, the number
  // of a wasm object, or [value] for a global given as a plain value.
  function prepareImport(kind, value, where) {
    const link = (message) => new LinkError(`WebAssembly.Instance(): ${where}: ${message}`);
    switch (kind) {
      case 'function':
        if (typeof value !== 'function') throw link('function import requires a callable');
        return funcIds.has(value) ? funcIds.get(value) : value;
      case 'memory':
        if (!memoryIds.has(value)) throw link('memory import must be a WebAssembly.Memory object');
        return memoryIds.get(value);
      case 'table':
        if (!tableIds.has(value)) throw link('table import requires a WebAssembly.Table');
        return tableIds.get(value);
      case 'global':
        if (globalIds.has(value)) return globalIds.get(value);
        if (typeof value === 'number' || typeof value === 'bigint') return [value];
        throw link(badGlobal);
      case 'tag':
        if (!tagIds.has(value)) throw link('tag import requires a WebAssembly.Tag');
        return tagIds.get(value);
      default:
        throw link(`${kind} imports are not supported by hearth`);
    }
  }

  class Instance {
    constructor(module, importObject) {
      const id = moduleIds.get(module);
      if (id === undefined) {
        throw new TypeError('WebAssembly.Instance(): Argument 0 must be a WebAssembly.Module');
      }
      if (importObject !== undefined && (typeof importObject !== 'object' || importObject === null)) {
        throw new TypeError('WebAssembly.Instance(): Argument 1 must be an object');
      }
      const imports = wasmModuleImports(id);
      const prepared = [];
      for (let i = 0, n = 0; i < imports.length; i += 3, n++) {
        const moduleName = imports[i], name = imports[i + 1], kind = imports[i + 2];
        if (importObject === undefined) {
          throw new TypeError('WebAssembly.Instance(): Imports argument must be present and must be an object');
        }
        const namespace = importObject[moduleName];
        if ((typeof namespace !== 'object' && typeof namespace !== 'function') || namespace === null) {
          throw new TypeError(`WebAssembly.Instance(): Import #${n} "${moduleName}": module is not an object or function`);
        }
        prepared.push(prepareImport(kind, namespace[name], `Import #${n} "${moduleName}" "${name}"`));
      }
      const flat = wasmInstantiate(id, prepared);
      const exports = Object.create(null);
      for (let i = 0; i < flat.length; i += 4) {
        const name = flat[i], kind = flat[i + 1], objectId = flat[i + 2];
        switch (kind) {
          case 'function': exports[name] = wrapFunction(objectId, flat[i + 3]); break;
          case 'memory':
            exports[name] = memories[objectId] ||= adopt(Memory, memoryIds, objectId);
            break;
          case 'table': exports[name] = adopt(Table, tableIds, objectId); break;
          case 'global': exports[name] = adopt(Global, globalIds, objectId); break;
          case 'tag': exports[name] = adoptTag(objectId); break;
          default: exports[name] = undefined;
        }
      }
      instanceExports.set(this, Object.freeze(exports));
    }

    get exports() {
      return idOf(instanceExports, this, 'WebAssembly.Instance');
    }
  }

  class Memory {
    constructor(descriptor) {
      if (typeof descriptor !== 'object' || descriptor === null) {
        throw new TypeError('WebAssembly.Memory(): Argument 0 must be a memory descriptor');
      }
      const initial = toU32(descriptor.initial ?? descriptor.minimum, "WebAssembly.Memory(): Property 'initial'");
      const maximum = descriptor.maximum === undefined ? undefined :
        toU32(descriptor.maximum, "WebAssembly.Memory(): Property 'maximum'");
      if (maximum !== undefined && maximum < initial) {
        throw new RangeError("WebAssembly.Memory(): Property 'maximum': value " + maximum +
          " is below the lower bound " + initial);
      }
      const shared = !!descriptor.shared;
      if (shared && maximum === undefined) {
        throw new TypeError('WebAssembly.Memory(): If shared is true, maximum property should be defined.');
      }
      const id = wasmMemoryNew(initial, maximum, shared);
      memoryIds.set(this, id);
      memories[id] = this;
    }

    get buffer() {
      return wasmMemoryBuffer(idOf(memoryIds, this, 'WebAssembly.Memory'));
    }

    grow(delta) {
      const id = idOf(memoryIds, this, 'WebAssembly.Memory');
      return wasmMemoryGrow(id, toU32(delta, 'WebAssembly.Memory.grow(): Argument 0'));
    }
  }

  class Table {
    constructor(descriptor, value) {
      if (typeof descriptor !== 'object' || descriptor === null) {
        throw new TypeError('WebAssembly.Table(): Argument 0 must be a table descriptor');
      }
      const initial = toU32(descriptor.initial ?? descriptor.minimum, "WebAssembly.Table(): Property 'initial'");
      const maximum = descriptor.maximum === undefined ? undefined :
        toU32(descriptor.maximum, "WebAssembly.Table(): Property 'maximum'");
      if (maximum !== undefined && maximum < initial) {
        throw new RangeError("WebAssembly.Table(): Property 'maximum': value " + maximum +
          ' is below the lower bound ' + initial);
      }
      tableIds.set(this, wasmTableNew(String(descriptor.element), initial, maximum, value));
    }

    get length() {
      return wasmTableLength(idOf(tableIds, this, 'WebAssembly.Table'));
    }

    get(index) {
      const id = idOf(tableIds, this, 'WebAssembly.Table');
      return wasmTableGet(id, toU32(index, 'WebAssembly.Table.get(): Argument 0'));
    }

    set(index, value) {
      const id = idOf(tableIds, this, 'WebAssembly.Table');
      wasmTableSet(id, toU32(index, 'WebAssembly.Table.set(): Argument 0'), value);
    }

    grow(delta, value) {
      const id = idOf(tableIds, this, 'WebAssembly.Table');
      return wasmTableGrow(id, toU32(delta, 'WebAssembly.Table.grow(): Argument 0'), value);
    }
  }

  class Global {
    constructor(descriptor, value) {
      if (typeof descriptor !== 'object' || descriptor === null) {
        throw new TypeError('WebAssembly.Global(): Argument 0 must be a global descriptor');
      }
      globalIds.set(this, wasmGlobalNew(String(descriptor.value), !!descriptor.mutable, value));
    }

    get value() {
      return wasmGlobalGet(idOf(globalIds, this, 'WebAssembly.Global'));
    }

    set value(v) {
      wasmGlobalSet(idOf(globalIds, this, 'WebAssembly.Global'), v);
    }

    valueOf() {
      return this.value;
    }

    type() {
      const [value, mutable] = wasmGlobalType(idOf(globalIds, this, 'WebAssembly.Global'));
      return { value, mutable };
    }
  }

  // Exception handling: a Tag is a wasmtime tag of the store; an Exception
  // thrown by JavaScript inside an import is thrown into wasm (a try_table
  // may catch it), and one wasm does not catch reaches JavaScript as an
  // Exception with the tag's one JavaScript object.
  class Tag {
    constructor(type) {
      if (typeof type !== 'object' || type === null) {
        throw new TypeError('WebAssembly.Tag(): Argument 0 must be a tag type');
      }
      if (type.parameters === undefined || type.parameters === null ||
          typeof type.parameters[Symbol.iterator] !== 'function') {
        throw new TypeError("WebAssembly.Tag(): Argument 0 must be a tag type with 'parameters'");
      }
      const id = wasmTagNew([...type.parameters].map(String));
      tagIds.set(this, id);
      tags[id] = this;
    }

    type() {
      return { parameters: wasmTagType(idOf(tagIds, this, 'WebAssembly.Tag')) };
    }
  }

  const adoptTag = (id) => (tags[id] ||= adopt(Tag, tagIds, id));

  const exceptionData = new WeakMap();

  const exceptionOf = (receiver) => {
    const data = exceptionData.get(receiver);
    if (!data) throw new TypeError('Receiver is not a WebAssembly.Exception');
    return data;
  };

  class Exception {
    constructor(tag, payload, options) {
      const id = tagIds.get(tag);
      if (id === undefined) throw new TypeError('WebAssembly.Exception(): Argument 0 must be a WebAssembly tag');
      if (payload === undefined || payload === null || typeof payload[Symbol.iterator] !== 'function') {
        throw new TypeError('WebAssembly.Exception(): Argument 1 must be an iterable object');
      }
      exceptionData.set(this, { tag, values: wasmTagPayload(id, [...payload]) });
      if (options !== undefined && options !== null && options.traceStack) {
        Object.defineProperty(this, 'stack', { value: new Error().stack, configurable: true, writable: true });
      }
    }

    is(tag) {
      const data = exceptionOf(this);
      if (!tagIds.has(tag)) throw new TypeError('WebAssembly.Exception.is(): Argument 0 must be a WebAssembly tag');
      return data.tag === tag;
    }

    getArg(tag, index) {
      const data = exceptionOf(this);
      if (!tagIds.has(tag)) throw new TypeError('WebAssembly.Exception.getArg(): Argument 0 must be a WebAssembly tag');
      if (data.tag !== tag) throw new TypeError('WebAssembly.Exception.getArg(): First argument does not match the exception tag');
      const i = toU32(index, 'WebAssembly.Exception.getArg(): Argument 1');
      if (i >= data.values.length) throw new RangeError('WebAssembly.Exception.getArg(): Index out of range');
      return data.values[i];
    }
  }

  function validate(bytes) {
    if (!isBufferSource(bytes)) throw new TypeError('WebAssembly.validate(): Argument 0 must be a buffer source');
    return wasmValidate(bytes);
  }

  function compile(bytes) {
    if (!isBufferSource(bytes)) {
      return Promise.reject(new TypeError('WebAssembly.compile(): Argument 0 must be a buffer source'));
    }
    return Promise.reject(disallowed('WebAssembly.compile()'));
  }

  function instantiate(source, importObject) {
    if (moduleIds.has(source)) {
      try {
        return Promise.resolve(new Instance(source, importObject));
      } catch (e) {
        return Promise.reject(e);
      }
    }
    if (!isBufferSource(source)) {
      return Promise.reject(new TypeError('WebAssembly.instantiate(): Argument 0 must be a buffer source or a WebAssembly.Module object'));
    }
    return Promise.reject(disallowed('WebAssembly.instantiate()'));
  }

  const compileStreaming = async (source) => {
    await source;
    throw disallowed('WebAssembly.compileStreaming()');
  };
  const instantiateStreaming = async (source) => {
    await source;
    throw disallowed('WebAssembly.instantiateStreaming()');
  };

  const classes = { Module, Instance, Memory, Table, Global, Tag, Exception, CompileError, LinkError, RuntimeError };
  for (const [name, cls] of Object.entries(classes)) {
    Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: `WebAssembly.${name}`, configurable: true });
  }
  const WebAssembly = {};
  for (const [name, value] of Object.entries({
    ...classes, validate, compile, instantiate, compileStreaming, instantiateStreaming,
  })) {
    Object.defineProperty(WebAssembly, name, { value, writable: true, configurable: true, enumerable: false });
  }
  Object.defineProperty(WebAssembly, Symbol.toStringTag, { value: 'WebAssembly', configurable: true });
  Object.defineProperty(globalThis, 'WebAssembly', { value: WebAssembly, writable: true, configurable: true, enumerable: false });

  // For the host: the error classes natives throw, functions by number, and
  // the modules of the bundle (the loader's `.wasm` modules call bundleModule).
  internal.wasm = {
    CompileError, LinkError, RuntimeError, wrapFunction,
    // An exception wasm threw, for JavaScript; what a JavaScript one carries, for wasm.
    makeException(tagId, values) {
      const exception = Object.create(Exception.prototype);
      exceptionData.set(exception, { tag: adoptTag(tagId), values });
      return exception;
    },
    exceptionPayload(value) {
      const data = exceptionData.get(value);
      return data ? [tagIds.get(data.tag), data.values] : null;
    },
    functionId: (f) => funcIds.get(f) ?? null,
    bundleModule: (name) => adopt(Module, moduleIds, wasmBundleModule(name)),
  };
})();

'use strict';
// hearth's stand-in for Node's test/common: just what the stream, events,
// string_decoder and zlib tests use. Call counts are checked by the runner
// (worker.mjs) once the test has gone quiet.
const assert = require('assert');
const { inspect } = require('util');

const checks = (globalThis.__nodeCompatChecks = globalThis.__nodeCompatChecks || []);

function noop() {}

function track(fn, exact, atLeast, name) {
  if (typeof fn === 'number') {
    exact = fn;
    fn = noop;
  } else if (fn === undefined) {
    fn = noop;
  }
  const context = { name: name || fn.name || '<anonymous>', exact, atLeast, actual: 0, stack: new Error().stack };
  checks.push(context);
  const wrapped = function (...args) {
    context.actual++;
    return fn.apply(this, args);
  };
  Object.defineProperty(wrapped, 'length', { value: fn.length });
  Object.defineProperty(wrapped, 'name', { value: fn.name });
  return wrapped;
}

function mustCall(fn, exact) {
  return track(fn, exact === undefined ? 1 : exact, false, 'mustCall');
}

function mustCallAtLeast(fn, minimum) {
  return track(fn, minimum === undefined ? 1 : minimum, true, 'mustCallAtLeast');
}

function mustNotCall(msg) {
  return function mustNotCall(...args) {
    const shown = args.map((a) => inspect(a)).join(', ');
    const err = new Error(`${msg || 'function should not have been called'}${args.length ? ` called with arguments: ${shown}` : ''}`);
    globalThis.__nodeCompatErrors.push(err);
    throw err;
  };
}

function mustSucceed(fn, exact) {
  return mustCall(function (err, ...args) {
    assert.ifError(err);
    if (typeof fn === 'function') return fn.apply(this, args);
  }, exact);
}

function expectsError(validator, exact) {
  return mustCall((...args) => {
    if (args.length !== 1) assert.fail(`Expected one argument, got ${inspect(args)}`);
    const error = args.pop();
    assert.throws(() => {
      throw error;
    }, validator);
    return true;
  }, exact);
}

function invalidArgTypeHelper(input) {
  if (input == null) return ` Received ${input}`;
  if (typeof input === 'function') return ` Received function ${input.name}`;
  if (typeof input === 'object') {
    if (input.constructor && input.constructor.name) return ` Received an instance of ${input.constructor.name}`;
    return ` Received ${inspect(input, { depth: -1 })}`;
  }
  let inspected = inspect(input, { colors: false });
  if (inspected.length > 28) inspected = `${inspected.slice(0, 25)}...`;
  return ` Received type ${typeof input} (${inspected})`;
}

const arrayBufferViews = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView];

function getArrayBufferViews(buf) {
  const { buffer, byteOffset, byteLength } = buf;
  const out = [];
  for (const type of arrayBufferViews) {
    const { BYTES_PER_ELEMENT = 1 } = type;
    if (byteLength % BYTES_PER_ELEMENT === 0) out.push(new type(buffer, byteOffset, byteLength / BYTES_PER_ELEMENT));
  }
  return out;
}

function getBufferSources(buf) {
  return [...getArrayBufferViews(buf), new Uint8Array(buf).buffer];
}

class SkipError extends Error {}

function skip(msg) {
  globalThis.__nodeCompatSkipped = String(msg);
  throw new SkipError(`skipped: ${msg}`);
}

const expectedWarnings = [];
function expectWarning(nameOrMap, expected) {
  expectedWarnings.push([nameOrMap, expected]);
}

module.exports = {
  mustCall,
  mustCallAtLeast,
  mustNotCall,
  mustSucceed,
  expectsError,
  expectWarning,
  invalidArgTypeHelper,
  getArrayBufferViews,
  getBufferSources,
  skip,
  printSkipMessage: noop,
  platformTimeout: (ms) => ms,
  allowGlobals: noop,
  hasCrypto: true,
  hasIntl: true,
  hasOpenSSL3: false,
  // A hearth isolate has 128 MiB; the tests that need more are skipped.
  enoughTestMem: false,
  isWindows: false,
  isMacOS: false,
  isLinux: true,
  isAIX: false,
  isSunOS: false,
  isFreeBSD: false,
  isOpenBSD: false,
  isIBMi: false,
  isMainThread: true,
  localhostIPv4: '127.0.0.1',
  escapePOSIXShell: (parts, ...values) => parts.reduce((acc, p, i) => acc + p + (i < values.length ? String(values[i]) : ''), ''),
  mustNotMutateObjectDeep: (o) => o,
  get PORT() {
    return 12346;
  },
};

// node:assert — the classic assertions and AssertionError.
import { deepEqual as deepEq, inspect } from 'node:util';

export class AssertionError extends Error {
  constructor(options = {}) {
    const { message, actual, expected, operator } = options;
    super(message !== undefined ? String(message) : `${inspect(actual)} ${operator} ${inspect(expected)}`);
    this.name = 'AssertionError';
    this.code = 'ERR_ASSERTION';
    this.actual = actual;
    this.expected = expected;
    this.operator = operator;
    this.generatedMessage = message === undefined;
  }
}

function failWith(actual, expected, message, operator, defaultMessage) {
  if (message instanceof Error) throw message;
  throw new AssertionError({ message: message === undefined ? defaultMessage : message, actual, expected, operator });
}

function ok(value, message) {
  if (!value) failWith(value, true, message, '==', arguments.length === 0 ? 'No value argument passed to `assert.ok()`' : `The expression evaluated to a falsy value:\n\n  assert.ok(${inspect(value)})\n`);
}

const assert = function assert(value, message) {
  if (!value) failWith(value, true, message, '==', `The expression evaluated to a falsy value:\n\n  assert(${inspect(value)})\n`);
};

assert.ok = ok;
assert.AssertionError = AssertionError;
assert.fail = (message = 'Failed') => {
  if (message instanceof Error) throw message;
  throw new AssertionError({ message, operator: 'fail' });
};
assert.equal = (a, b, m) => { if (!(a == b || (a !== a && b !== b))) failWith(a, b, m, '==', `${inspect(a)} == ${inspect(b)}`); };
assert.notEqual = (a, b, m) => { if (a == b || (a !== a && b !== b)) failWith(a, b, m, '!=', `${inspect(a)} != ${inspect(b)}`); };
assert.strictEqual = (a, b, m) => { if (!Object.is(a, b)) failWith(a, b, m, 'strictEqual', `Expected values to be strictly equal:\n\n${inspect(a)} !== ${inspect(b)}\n`); };
assert.notStrictEqual = (a, b, m) => { if (Object.is(a, b)) failWith(a, b, m, 'notStrictEqual', `Expected "actual" to be strictly unequal to: ${inspect(b)}`); };
assert.deepEqual = (a, b, m) => { if (!deepEq(a, b, false)) failWith(a, b, m, 'deepEqual', `Expected values to be loosely deep-equal:\n\n${inspect(a)}\n\nshould loosely deep-equal\n\n${inspect(b)}`); };
assert.notDeepEqual = (a, b, m) => { if (deepEq(a, b, false)) failWith(a, b, m, 'notDeepEqual', `"actual" deepEqual "expected"`); };
assert.deepStrictEqual = (a, b, m) => { if (!deepEq(a, b, true)) failWith(a, b, m, 'deepStrictEqual', `Expected values to be strictly deep-equal:\n${inspect(a)}\n\nshould equal\n\n${inspect(b)}`); };
assert.notDeepStrictEqual = (a, b, m) => { if (deepEq(a, b, true)) failWith(a, b, m, 'notDeepStrictEqual', `Expected "actual" not to be strictly deep-equal to: ${inspect(b)}`); };

function matchesError(err, expected) {
  if (expected === undefined) return true;
  if (typeof expected === 'function') {
    if (expected.prototype !== undefined && err instanceof expected) return true;
    if (Error.isPrototypeOf(expected) || expected === Error) return false;
    return expected.call({}, err) === true;
  }
  if (expected instanceof RegExp) return expected.test(String(err && err.message !== undefined ? err.message : err)) || expected.test(String(err));
  if (typeof expected === 'object') {
    return Object.keys(expected).every((k) => (expected[k] instanceof RegExp && typeof err[k] === 'string' ? expected[k].test(err[k]) : deepEq(err[k], expected[k], true)));
  }
  return false;
}

assert.throws = (fn, expected, message) => {
  if (typeof expected === 'string') [message, expected] = [expected, undefined];
  try {
    fn();
  } catch (err) {
    if (!matchesError(err, expected)) failWith(err, expected, message, 'throws', `The error did not match the expected: ${inspect(err)}`);
    return;
  }
  failWith(undefined, expected, message, 'throws', 'Missing expected exception.');
};
assert.doesNotThrow = (fn, expected, message) => {
  try {
    fn();
  } catch (err) {
    failWith(err, expected, typeof expected === 'string' ? expected : message, 'doesNotThrow', `Got unwanted exception.\nActual message: "${err && err.message}"`);
  }
};
assert.rejects = async (promiseOrFn, expected, message) => {
  if (typeof expected === 'string') [message, expected] = [expected, undefined];
  try {
    await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn);
  } catch (err) {
    if (!matchesError(err, expected)) failWith(err, expected, message, 'rejects', `The error did not match the expected: ${inspect(err)}`);
    return;
  }
  failWith(undefined, expected, message, 'rejects', 'Missing expected rejection.');
};
assert.doesNotReject = async (promiseOrFn, expected, message) => {
  try {
    await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn);
  } catch (err) {
    failWith(err, expected, message, 'doesNotReject', `Got unwanted rejection.\nActual message: "${err && err.message}"`);
  }
};
assert.ifError = (value) => {
  if (value !== null && value !== undefined) {
    if (value instanceof Error) throw value;
    failWith(value, null, undefined, 'ifError', `ifError got unwanted exception: ${inspect(value)}`);
  }
};
assert.match = (s, re, m) => { if (!re.test(s)) failWith(s, re, m, 'match', `The input did not match the regular expression ${re}. Input:\n\n${inspect(s)}\n`); };
assert.doesNotMatch = (s, re, m) => { if (re.test(s)) failWith(s, re, m, 'doesNotMatch', `The input was expected to not match the regular expression ${re}. Input:\n\n${inspect(s)}\n`); };

const strict = function strict(value, message) {
  return assert(value, message);
};
Object.assign(strict, assert, {
  equal: assert.strictEqual,
  notEqual: assert.notStrictEqual,
  deepEqual: assert.deepStrictEqual,
  notDeepEqual: assert.notDeepStrictEqual,
});
strict.strict = strict;
assert.strict = strict;

export default assert;
export { ok, strict };
export const { equal, notEqual, strictEqual, notStrictEqual, deepEqual, notDeepEqual, deepStrictEqual, notDeepStrictEqual, throws, doesNotThrow, rejects, doesNotReject, ifError, match, doesNotMatch } = assert;
const assertFail = assert.fail;
export { assertFail as fail };

// hearth:node-errors — Node.js-style errors (`code`, class and message as
// Node.js words them) shared by hearth's node:* modules, so code that tests
// `err.code` behaves as on Node.js and workerd.
import { inspect } from 'node:util';

function describe(value) {
  if (value == null) return ` Received ${value}`;
  if (typeof value === 'function') return ` Received function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    if (value.constructor && value.constructor.name) return ` Received an instance of ${value.constructor.name}`;
    return ` Received ${inspect(value, { depth: -1 })}`;
  }
  let shown = inspect(value, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return ` Received type ${typeof value} (${shown})`;
}

function joinList(items, word) {
  if (items.length <= 1) return items.join('');
  if (items.length === 2) return `${items[0]} ${word} ${items[1]}`;
  return `${items.slice(0, -1).join(', ')}, ${word} ${items[items.length - 1]}`;
}

/** An error of class `Base` with Node's `code` and message. */
export function nodeError(Base, code, message, extra) {
  const err = new Base(message);
  Object.defineProperty(err, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  if (extra) Object.assign(err, extra);
  Object.defineProperty(err, 'toString', {
    value() {
      return `${this.name} [${code}]: ${this.message}`;
    },
    writable: true,
    configurable: true,
  });
  return err;
}

const TYPES = new Set(['string', 'function', 'number', 'object', 'boolean', 'bigint', 'symbol']);

export function invalidArgType(name, expected, actual) {
  if (!Array.isArray(expected)) expected = [expected];
  const types = [];
  const instances = [];
  const other = [];
  for (const e of expected) {
    if (TYPES.has(e)) types.push(e);
    else if (/^[A-Z]/.test(e)) instances.push(e);
    else other.push(e);
  }
  const kind = name.endsWith(' argument') ? '' : name.includes('.') ? 'property' : 'argument';
  let msg = `The ${name.endsWith(' argument') ? name : `"${name}" ${kind}`} must be `;
  const parts = [];
  if (types.length) parts.push(`${types.length > 1 ? 'one of type' : 'of type'} ${joinList(types, 'or')}`);
  if (instances.length) parts.push(`an instance of ${joinList(instances, 'or')}`);
  if (other.length) parts.push(joinList(other, 'or'));
  msg += joinList(parts, 'or') + '.' + describe(actual);
  return nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', msg);
}

export function invalidArgValue(name, value, reason = 'is invalid') {
  const shown = inspect(value);
  const kind = name.includes('.') ? 'property' : 'argument';
  return nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The ${kind} '${name}' ${reason}. Received ${shown}`);
}

export function outOfRange(name, range, value) {
  let shown = String(value);
  if (typeof value === 'bigint') shown += 'n';
  return nodeError(RangeError, 'ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be ${range}. Received ${shown}`);
}

export function unknownEncoding(encoding) {
  return nodeError(TypeError, 'ERR_UNKNOWN_ENCODING', `Unknown encoding: ${typeof encoding === 'string' ? encoding : inspect(encoding)}`);
}

export function missingArgs(...names) {
  const list = joinList(names.map((n) => `"${n}"`), 'and');
  return nodeError(TypeError, 'ERR_MISSING_ARGS', `The ${list} argument${names.length > 1 ? 's' : ''} must be specified`);
}

/** Node's AbortError: `name` 'AbortError', `code` 'ABORT_ERR'. */
export class AbortError extends Error {
  constructor(message = 'The operation was aborted', options = undefined) {
    super(message, options);
    this.code = 'ABORT_ERR';
    this.name = 'AbortError';
  }
}

export function validateFunction(value, name) {
  if (typeof value !== 'function') throw invalidArgType(name, 'function', value);
}

export function validateObject(value, name) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidArgType(name, 'object', value);
}

export function validateNumber(value, name) {
  if (typeof value !== 'number') throw invalidArgType(name, 'number', value);
}

export function validateInteger(value, name, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
  if (typeof value !== 'number') throw invalidArgType(name, 'number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
}

export function validateAbortSignal(signal, name) {
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || !('aborted' in signal))) {
    throw invalidArgType(name, 'AbortSignal', signal);
  }
}

/** The one error to report when two happened (Node's aggregateTwoErrors). */
export function aggregateTwoErrors(inner, outer) {
  if (inner && outer && inner !== outer) {
    if (Array.isArray(outer.errors)) {
      outer.errors.push(inner);
      return outer;
    }
    const err = new AggregateError([outer, inner], outer.message);
    err.code = outer.code;
    return err;
  }
  return inner || outer;
}

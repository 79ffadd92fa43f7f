// hearth:node-globals — what `nodejs_compat_v2` adds to the global scope:
// `Buffer`, `process`, `global`, `setImmediate` and `clearImmediate`, as
// workerd does, and the helpers of code
// whose `async` hearth lowered. The entry module imports this first, so npm
// packages see them while they load.
import { Buffer } from 'node:buffer';
import process from 'node:process';
import { setImmediate, clearImmediate } from 'node:timers';
import { internal } from 'hearth:internal';

const hide = (name, value) =>
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
if (internal.compat.nodejs_compat_v2) {
  if (typeof globalThis.Buffer === 'undefined') hide('Buffer', Buffer);
  if (typeof globalThis.process === 'undefined') hide('process', process);
  if (typeof globalThis.global === 'undefined') hide('global', globalThis);
  if (typeof globalThis.setImmediate === 'undefined') hide('setImmediate', setImmediate);
  if (typeof globalThis.clearImmediate === 'undefined') hide('clearImmediate', clearImmediate);
}

// Helpers for code hearth transpiles with `async` lowered to generators (so
// AsyncLocalStorage context follows `await`): each step resumes through
// Promise.prototype.then, which node:async_hooks binds to the caller's context.
function asyncGeneratorStep(gen, resolve, reject, next, throwInto, key, arg) {
  let info;
  try {
    info = gen[key](arg);
  } catch (error) {
    reject(error);
    return;
  }
  if (info.done) resolve(info.value);
  else Promise.resolve(info.value).then(next, throwInto);
}

function asyncToGenerator(fn) {
  return function (...args) {
    const self = this;
    return new Promise((resolve, reject) => {
      const gen = fn.apply(self, args);
      const next = (value) => asyncGeneratorStep(gen, resolve, reject, next, throwInto, 'next', value);
      const throwInto = (err) => asyncGeneratorStep(gen, resolve, reject, next, throwInto, 'throw', err);
      next(undefined);
    });
  };
}

if (typeof globalThis.babelHelpers === 'undefined') hide('babelHelpers', { asyncToGenerator });

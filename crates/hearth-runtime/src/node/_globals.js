// hearth:node-globals — what `nodejs_compat` adds to the global scope:
// `Buffer`, `process` and `global`, as workerd does. The entry module
// imports this first, so npm packages see them while they load.
import { Buffer } from 'node:buffer';
import process from 'node:process';

const hide = (name, value) =>
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
if (typeof globalThis.Buffer === 'undefined') hide('Buffer', Buffer);
if (typeof globalThis.process === 'undefined') hide('process', process);
if (typeof globalThis.global === 'undefined') hide('global', globalThis);

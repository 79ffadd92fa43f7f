// node:timers — the global timers, plus `timers/promises`-style helpers.
export const setTimeout = globalThis.setTimeout;
export const clearTimeout = globalThis.clearTimeout;
export const setInterval = globalThis.setInterval;
export const clearInterval = globalThis.clearInterval;
export function setImmediate(fn, ...args) {
  return globalThis.setTimeout(fn, 0, ...args);
}
export function clearImmediate(id) {
  globalThis.clearTimeout(id);
}
export const promises = {
  setTimeout: (ms, value) => new Promise((resolve) => globalThis.setTimeout(() => resolve(value), ms)),
  setImmediate: (value) => new Promise((resolve) => globalThis.setTimeout(() => resolve(value), 0)),
};
export default { setTimeout, clearTimeout, setInterval, clearInterval, setImmediate, clearImmediate, promises };

// setTimeout/setInterval: callbacks stay in JavaScript; the native side only
// sleeps and calls fireTimer(id).
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const internal = (globalThis.__hearth_internal = globalThis.__hearth_internal || {});
  const hide = (obj, name, value) =>
    Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });

  // Callbacks live here; the native side only sleeps and calls fireTimer(id).
  const active = new Map();
  let nextTimer = 1;
  function schedule(callback, delay, args, repeat) {
    if (typeof callback !== 'function') throw new TypeError('The callback must be a function');
    const id = nextTimer++;
    const ms = Math.max(0, Number(delay) || 0);
    // A request that is over starts no timers (see host/scope.rs).
    if (native.timerStart(id, ms)) active.set(id, { callback, args, repeat, ms });
    return id;
  }
  internal.fireTimer = function (id) {
    const timer = active.get(id);
    if (!timer) return;
    if (!timer.repeat || !native.timerStart(id, timer.ms)) active.delete(id);
    timer.callback.apply(globalThis, timer.args);
  };
  // The timers of a request that ended: their sleeps were cancelled.
  internal.dropTimers = function (ids) {
    for (const id of ids) active.delete(id);
  };
  const clear = (id) => { active.delete(typeof id === 'object' && id ? Number(id) : id); };
  hide(globalThis, 'setTimeout', (cb, ms, ...args) => schedule(cb, ms, args, false));
  hide(globalThis, 'setInterval', (cb, ms, ...args) => schedule(cb, ms, args, true));
  hide(globalThis, 'clearTimeout', clear);
  hide(globalThis, 'clearInterval', clear);

})();

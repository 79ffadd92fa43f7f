// console: formats its arguments like Node's util.format and writes them
// to hearth's log through a native.
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const internal = (globalThis.__hearth_internal = globalThis.__hearth_internal || {});
  const hide = (obj, name, value) =>
    Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });

  function inspect(value, depth, seen) {
    if (typeof value === 'string') return depth === 0 ? value : JSON.stringify(value);
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'symbol') return value.toString();
    if (typeof value === 'function') return `[Function: ${value.name || 'anonymous'}]`;
    if (value === null || typeof value !== 'object') return String(value);
    if (value instanceof Error) {
      const stack = value.stack, head = String(value);
      if (typeof stack !== 'string' || stack === '') return head;
      return stack.startsWith(head) ? stack : `${head}\n${stack}`;
    }
    if (seen.includes(value)) return '[Circular]';
    if (depth > 3) return Array.isArray(value) ? '[Array]' : '[Object]';
    const next = seen.concat([value]);
    if (Array.isArray(value)) return `[ ${value.map((v) => inspect(v, depth + 1, next)).join(', ')} ]`;
    if (value instanceof Map)
      return `Map(${value.size}) { ${[...value].map(([k, v]) => `${inspect(k, depth + 1, next)} => ${inspect(v, depth + 1, next)}`).join(', ')} }`;
    if (value instanceof Set) return `Set(${value.size}) { ${[...value].map((v) => inspect(v, depth + 1, next)).join(', ')} }`;
    if (value instanceof Date) return value.toISOString();
    if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${value.length}) [ ${Array.prototype.slice.call(value, 0, 50).join(', ')}${value.length > 50 ? ', ...' : ''} ]`;
    const name = value.constructor && value.constructor !== Object ? `${value.constructor.name} ` : '';
    const entries = Object.keys(value).map((k) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${inspect(value[k], depth + 1, next)}`);
    return `${name}{ ${entries.join(', ')} }`.replace('{  }', '{}');
  }
  function format(args) {
    let out = '';
    let i = 0;
    if (typeof args[0] === 'string' && /%[sdifoOj%]/.test(args[0]) && args.length > 1) {
      i = 1;
      out = args[0].replace(/%[sdifoOj%]/g, (m) => {
        if (m === '%%') return '%';
        if (i >= args.length) return m;
        const a = args[i++];
        if (m === '%d' || m === '%i') return String(parseInt(a, 10));
        if (m === '%f') return String(Number(a));
        if (m === '%s') return typeof a === 'string' ? a : inspect(a, 1, []);
        return inspect(a, 1, []);
      });
    }
    const rest = args.slice(i).map((a) => inspect(a, 0, []));
    return out ? [out].concat(rest).join(' ') : rest.join(' ');
  }
  const counts = new Map();
  const timers = new Map();
  const console = {
    log: (...a) => native.log('info', format(a)),
    info: (...a) => native.log('info', format(a)),
    debug: (...a) => native.log('debug', format(a)),
    trace: (...a) => {
      const stack = new Error().stack;
      const nl = stack.indexOf('\n');
      native.log('debug', format(a) + (nl === -1 ? '' : stack.slice(nl)));
    },
    warn: (...a) => native.log('warn', format(a)),
    error: (...a) => native.log('error', format(a)),
    assert: (ok, ...a) => { if (!ok) native.log('error', 'Assertion failed' + (a.length ? ': ' + format(a) : '')); },
    dir: (v) => native.log('info', inspect(v, 1, [])),
    table: (v) => native.log('info', inspect(v, 1, [])),
    count: (label = 'default') => { counts.set(label, (counts.get(label) || 0) + 1); native.log('info', `${label}: ${counts.get(label)}`); },
    countReset: (label = 'default') => counts.delete(label),
    time: (label = 'default') => timers.set(label, Date.now()),
    timeEnd: (label = 'default') => { const t = timers.get(label); timers.delete(label); native.log('info', `${label}: ${Date.now() - t}ms`); },
    timeLog: (label = 'default', ...a) => native.log('info', `${label}: ${Date.now() - timers.get(label)}ms ${format(a)}`),
    group: (...a) => a.length && native.log('info', format(a)),
    groupEnd: () => {},
  };
  hide(globalThis, 'console', console);
  internal.inspect = inspect;

})();

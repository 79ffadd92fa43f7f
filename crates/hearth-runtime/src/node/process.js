// node:process — the parts of `process` that make sense in a Worker:
// `env` (text vars and secrets), `nextTick`, `hrtime`, `version(s)`, an
// EventEmitter surface, and harmless stubs for the rest.
import { EventEmitter } from 'node:events';

import { internal } from 'hearth:internal';
import { loadBuiltin } from 'hearth:cjs';

// Text vars and secrets, from compatibility_date 2025-04-01 (or with the
// nodejs_compat_populate_process_env flag); an empty object before.
function buildEnv() {
  const env = {};
  if (!internal.compat || !internal.compat.nodejs_compat_populate_process_env) return env;
  const source = internal.env || {};
  for (const key of Object.keys(source)) {
    const v = source[key];
    if (typeof v === 'string') env[key] = v;
    else if (v !== null && (typeof v === 'number' || typeof v === 'boolean' || Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype)) {
      env[key] = JSON.stringify(v);
    }
  }
  return env;
}

const startNs = BigInt(Math.round(performance.now() * 1e6));

function hrtime(previous) {
  const now = performance.now();
  const sec = Math.floor(now / 1000);
  const nsec = Math.floor((now % 1000) * 1e6);
  if (!previous) return [sec, nsec];
  let ds = sec - previous[0];
  let dn = nsec - previous[1];
  if (dn < 0) {
    ds -= 1;
    dn += 1e9;
  }
  return [ds, dn];
}
hrtime.bigint = () => BigInt(Math.round(performance.now() * 1e6)) - startNs;

const process = new EventEmitter();
Object.assign(process, {
  title: 'workerd',
  version: 'v22.14.0',
  versions: { node: '22.14.0' },
  platform: 'linux',
  arch: 'x64',
  release: { name: 'node' },
  argv: [],
  argv0: 'workerd',
  execArgv: [],
  pid: 1,
  ppid: 0,
  exitCode: undefined,
  env: buildEnv(),
  features: {},
  config: {},
  browser: false,
  nextTick(fn, ...args) {
    if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
    queueMicrotask(() => fn(...args));
  },
  hrtime,
  getBuiltinModule(id) {
    if (typeof id !== 'string') throw new TypeError('The "id" argument must be of type string');
    return loadBuiltin(id);
  },
  uptime: () => performance.now() / 1000,
  cwd: () => '/bundle',
  chdir: () => {
    throw new Error('process.chdir() is not supported in Workers');
  },
  umask: () => 0o22,
  memoryUsage: () => ({ rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }),
  cpuUsage: () => ({ user: 0, system: 0 }),
  resourceUsage: () => ({}),
  // As Node: a 'warning' event on process, and the warning printed.
  emitWarning(warning, type, code) {
    if (typeof warning === 'string') {
      const w = new Error(warning);
      w.name = (typeof type === 'string' ? type : type && type.type) || 'Warning';
      if (code !== undefined || (type && type.code)) w.code = code !== undefined ? code : type.code;
      warning = w;
    }
    queueMicrotask(() => process.emit('warning', warning));
    console.warn(`(node:${process.pid}) ${warning.name}: ${warning.message}`);
  },
  exit: (code) => {
    throw new Error(`process.exit(${code === undefined ? '' : code}) is not supported in Workers`);
  },
  abort: () => {
    throw new Error('process.abort() is not supported in Workers');
  },
  kill: () => {
    throw new Error('process.kill() is not supported in Workers');
  },
  getuid: () => 0,
  getgid: () => 0,
  geteuid: () => 0,
  getegid: () => 0,
  binding: (name) => {
    throw new Error(`process.binding('${name}') is not supported in Workers`);
  },
  stdout: { write: (s) => (console.log(String(s).replace(/\n$/, '')), true), isTTY: false },
  stderr: { write: (s) => (console.error(String(s).replace(/\n$/, '')), true), isTTY: false },
  stdin: { isTTY: false },
});
process.mainModule = undefined;

export default process;
export const env = process.env;
export const nextTick = process.nextTick;
export const version = process.version;
export const versions = process.versions;
export const platform = process.platform;
export const arch = process.arch;
export const argv = process.argv;
export const cwd = process.cwd;
export const exit = process.exit;
export const emitWarning = process.emitWarning;
export { hrtime };
export const uptime = process.uptime;
export const memoryUsage = process.memoryUsage;
export const stdout = process.stdout;
export const stderr = process.stderr;

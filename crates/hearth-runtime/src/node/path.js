// node:path — POSIX paths (workerd provides only the posix flavour).

function assertPath(p) {
  if (typeof p !== 'string') throw new TypeError(`The "path" argument must be of type string. Received ${typeof p}`);
}

function normalizeString(path, allowAboveRoot) {
  const out = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (allowAboveRoot) out.push('..');
    } else out.push(part);
  }
  return out.join('/');
}

export const sep = '/';
export const delimiter = ':';

export function resolve(...paths) {
  let resolved = '';
  let absolute = false;
  for (let i = paths.length - 1; i >= -1 && !absolute; i--) {
    const p = i >= 0 ? paths[i] : '/';
    assertPath(p);
    if (p === '') continue;
    resolved = `${p}/${resolved}`;
    absolute = p.charCodeAt(0) === 47;
  }
  resolved = normalizeString(resolved, !absolute);
  return absolute ? `/${resolved}` : resolved || '.';
}

export function normalize(p) {
  assertPath(p);
  if (p === '') return '.';
  const absolute = p.startsWith('/');
  const trailing = p.endsWith('/');
  let out = normalizeString(p, !absolute);
  if (out === '' && !absolute) out = '.';
  if (out !== '' && trailing) out += '/';
  return absolute ? `/${out}` : out;
}

export function isAbsolute(p) {
  assertPath(p);
  return p.startsWith('/');
}

export function join(...parts) {
  for (const p of parts) assertPath(p);
  const joined = parts.filter((p) => p !== '').join('/');
  return joined === '' ? '.' : normalize(joined);
}

export function relative(from, to) {
  from = resolve(from);
  to = resolve(to);
  if (from === to) return '';
  const a = from.split('/').filter(Boolean);
  const b = to.split('/').filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...Array(a.length - i).fill('..'), ...b.slice(i)].join('/');
}

export function dirname(p) {
  assertPath(p);
  if (p === '') return '.';
  const trimmed = p.length > 1 ? p.replace(/\/+$/, '') : p;
  const i = trimmed.lastIndexOf('/');
  if (i < 0) return '.';
  if (i === 0) return '/';
  return trimmed.slice(0, i);
}

export function basename(p, ext) {
  assertPath(p);
  const trimmed = p.length > 1 ? p.replace(/\/+$/, '') : p;
  let base = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  if (ext !== undefined && base.endsWith(ext) && base !== ext) base = base.slice(0, -ext.length);
  return base;
}

export function extname(p) {
  const base = basename(p);
  const i = base.lastIndexOf('.');
  return i <= 0 ? '' : base.slice(i);
}

export function parse(p) {
  assertPath(p);
  const root = p.startsWith('/') ? '/' : '';
  const base = basename(p);
  const ext = extname(p);
  let dir = dirname(p);
  if (dir === '.' && !p.includes('/')) dir = '';
  return { root, dir, base, ext, name: ext ? base.slice(0, -ext.length) : base };
}

export function format(obj) {
  const dir = obj.dir || obj.root || '';
  const base = obj.base || `${obj.name || ''}${obj.ext || ''}`;
  if (!dir) return base;
  return dir === obj.root ? `${dir}${base}` : `${dir}/${base}`;
}

export function toNamespacedPath(p) {
  return p;
}

export function matchesGlob() {
  throw new Error('path.matchesGlob is not supported by hearth');
}

const path = { sep, delimiter, resolve, normalize, isAbsolute, join, relative, dirname, basename, extname, parse, format, toNamespacedPath };
path.posix = path;
path.win32 = path;
export const posix = path;
export const win32 = path;
export default path;

// node:fs — the virtual file system of Workers: /bundle holds the worker's
// files, read-only; /tmp is writable and kept in memory (per isolate in
// hearth); /dev has null, zero, full and random. Sync, callback and promise
// forms share one implementation; errors carry Node's code, errno, syscall
// and path.
import { Buffer } from 'node:buffer';
import { Readable, Writable } from 'node:stream';
import { nodeError, invalidArgType, validateFunction } from 'hearth:node-errors';

import { native } from 'hearth:internal';

export const constants = Object.freeze({
  UV_FS_SYMLINK_DIR: 1, UV_FS_SYMLINK_JUNCTION: 2, O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, UV_DIRENT_UNKNOWN: 0,
  UV_DIRENT_FILE: 1, UV_DIRENT_DIR: 2, UV_DIRENT_LINK: 3, UV_DIRENT_FIFO: 4, UV_DIRENT_SOCKET: 5, UV_DIRENT_CHAR: 6,
  UV_DIRENT_BLOCK: 7, S_IFMT: 61440, S_IFREG: 32768, S_IFDIR: 16384, S_IFCHR: 8192, S_IFBLK: 24576, S_IFIFO: 4096,
  S_IFLNK: 40960, S_IFSOCK: 49152, O_CREAT: 64, O_EXCL: 128, UV_FS_O_FILEMAP: 0, O_NOCTTY: 256, O_TRUNC: 512,
  O_APPEND: 1024, O_DIRECTORY: 65536, O_NOATIME: 262144, O_NOFOLLOW: 131072, O_SYNC: 1052672, O_DSYNC: 4096,
  O_DIRECT: 16384, O_NONBLOCK: 2048, S_IRWXU: 448, S_IRUSR: 256, S_IWUSR: 128, S_IXUSR: 64, S_IRWXG: 56,
  S_IRGRP: 32, S_IWGRP: 16, S_IXGRP: 8, S_IRWXO: 7, S_IROTH: 4, S_IWOTH: 2, S_IXOTH: 1, F_OK: 0, R_OK: 4,
  W_OK: 2, X_OK: 1, UV_FS_COPYFILE_EXCL: 1, COPYFILE_EXCL: 1, UV_FS_COPYFILE_FICLONE: 2, COPYFILE_FICLONE: 2,
  UV_FS_COPYFILE_FICLONE_FORCE: 4, COPYFILE_FICLONE_FORCE: 4,
});
export const { F_OK, R_OK, W_OK, X_OK } = constants;

const ERRNO = { ENOENT: -2, EEXIST: -17, ENOTDIR: -20, EISDIR: -21, EPERM: -1, ENOTEMPTY: -39, EINVAL: -22, ENOSPC: -28, EBADF: -9 };
const DESCRIPTION = {
  ENOENT: 'no such file or directory',
  EEXIST: 'file already exists',
  ENOTDIR: 'not a directory',
  EISDIR: 'illegal operation on a directory',
  EPERM: 'operation not permitted',
  ENOTEMPTY: 'directory not empty',
  EINVAL: 'invalid argument',
  ENOSPC: 'no space left on device',
  EBADF: 'bad file descriptor',
};

function fsError(code, syscall, path, dest) {
  const e = new Error(`${code}: ${DESCRIPTION[code]}, ${syscall} '${path}'${dest ? ` -> '${dest}'` : ''}`);
  e.errno = ERRNO[code];
  e.code = code;
  e.syscall = syscall;
  e.path = path;
  if (dest) e.dest = dest;
  return e;
}

// ---- paths ---------------------------------------------------------------------
function toPath(p, name = 'path') {
  if (typeof p === 'string') return p;
  if (p instanceof URL) {
    if (p.protocol !== 'file:') throw nodeError(TypeError, 'ERR_INVALID_URL_SCHEME', 'The URL must be of scheme file');
    return decodeURIComponent(p.pathname);
  }
  if (p instanceof Uint8Array) return Buffer.from(p).toString();
  throw invalidArgType(name, ['string', 'Buffer', 'URL'], p);
}

// An absolute, normalized path; relative ones are taken from process.cwd()
// ('/bundle', as on workerd).
function resolvePath(p) {
  let s = toPath(p);
  if (s.includes('\u0000')) throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument 'path' must be a string, Uint8Array, or URL without null bytes. Received ${JSON.stringify(s)}`);
  if (!s.startsWith('/')) s = '/bundle/' + s;
  const out = [];
  for (const part of s.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}

function area(abs) {
  if (abs === '/') return { kind: 'root' };
  if (abs === '/bundle' || abs.startsWith('/bundle/')) return { kind: 'bundle', rel: abs.slice('/bundle'.length).replace(/^\//, '') };
  if (abs === '/tmp' || abs.startsWith('/tmp/')) return { kind: 'tmp' };
  if (abs === '/dev' || abs.startsWith('/dev/')) return { kind: 'dev', name: abs.slice(5) };
  return { kind: 'none' };
}

// ---- the in-memory /tmp ------------------------------------------------------------
// Path -> { dir: true } or { data: Buffer, mtime: Date }.
const tmp = new Map([['/tmp', { dir: true, mtime: new Date(), birth: new Date() }]]);
const DEVICES = ['null', 'zero', 'full', 'random'];

function parentOf(abs) {
  return abs.slice(0, abs.lastIndexOf('/')) || '/';
}

// { type: 'file'|'dir'|'char', size, mtime, writable } or null.
function lookup(abs) {
  const a = area(abs);
  switch (a.kind) {
    case 'root':
      return { type: 'dir', size: 0, mtime: new Date(0), writable: false };
    case 'bundle': {
      const s = native.fsBundleStat(a.rel);
      if (!s) return null;
      return { type: s[0] ? 'dir' : 'file', size: s[1], mtime: new Date(s[2]), writable: false };
    }
    case 'tmp': {
      const e = tmp.get(abs);
      if (!e) return null;
      return { type: e.dir ? 'dir' : 'file', size: e.dir ? 0 : e.data.length, mtime: e.mtime, birth: e.birth, writable: true };
    }
    case 'dev':
      if (a.name === '') return { type: 'dir', size: 0, mtime: new Date(0), writable: false };
      return DEVICES.includes(a.name) ? { type: 'char', size: 0, mtime: new Date(0), writable: true } : null;
    default:
      return null;
  }
}

function readBytes(abs, syscall = 'open') {
  const a = area(abs);
  const info = lookup(abs);
  if (!info) throw fsError('ENOENT', syscall, abs);
  if (info.type === 'dir') throw fsError('EISDIR', 'read', abs);
  if (a.kind === 'bundle') return Buffer.from(native.fsBundleRead(a.rel));
  if (a.kind === 'tmp') return Buffer.from(tmp.get(abs).data);
  // /dev/zero and /dev/random are endless; a whole-file read sees nothing.
  return Buffer.alloc(0);
}

function writeBytes(abs, bytes, append, syscall = 'open', exclusive = false) {
  const a = area(abs);
  if (a.kind === 'dev') {
    if (a.name === 'full') throw fsError('ENOSPC', 'write', abs);
    if (DEVICES.includes(a.name)) return;
  }
  if (a.kind !== 'tmp') {
    if (!lookup(parentOf(abs)) && a.kind !== 'bundle') throw fsError('ENOENT', syscall, abs);
    throw fsError('EPERM', syscall, abs);
  }
  const existing = tmp.get(abs);
  if (existing && existing.dir) throw fsError('EISDIR', syscall, abs);
  if (existing && exclusive) throw fsError('EEXIST', syscall, abs);
  const parent = tmp.get(parentOf(abs));
  if (!parent) throw fsError('ENOENT', syscall, abs);
  if (!parent.dir) throw fsError('ENOTDIR', syscall, abs);
  const now = new Date();
  const data = append && existing ? Buffer.concat([existing.data, bytes]) : Buffer.from(bytes);
  tmp.set(abs, { data, mtime: now, birth: existing ? existing.birth : now });
}

function encodingOf(options, fallback) {
  if (typeof options === 'string') return options;
  if (options && options.encoding !== undefined) return options.encoding;
  return fallback;
}

function dataBytes(data, encoding) {
  if (typeof data === 'string') return Buffer.from(data, encoding || 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw invalidArgType('data', ['string', 'Buffer', 'TypedArray', 'DataView'], data);
}

// ---- Stats and Dirent -----------------------------------------------------------------
const MODES = { file: 0o100644, dir: 0o40755, char: 0o20666 };

export class Stats {
  constructor(info, readOnly) {
    const mode = MODES[info.type] & (readOnly ? ~0o222 : ~0);
    const ms = info.mtime.getTime();
    const birth = info.birth ? info.birth.getTime() : ms;
    Object.assign(this, {
      dev: 0, ino: 0, mode, nlink: 1, uid: 0, gid: 0, rdev: 0, size: info.size, blksize: 4096,
      blocks: Math.ceil(info.size / 512), atimeMs: ms, mtimeMs: ms, ctimeMs: ms, birthtimeMs: birth,
      atime: new Date(ms), mtime: new Date(ms), ctime: new Date(ms), birthtime: new Date(birth),
    });
    this._type = info.type;
    Object.defineProperty(this, '_type', { enumerable: false });
  }
  isFile() { return this._type === 'file'; }
  isDirectory() { return this._type === 'dir'; }
  isSymbolicLink() { return false; }
  isCharacterDevice() { return this._type === 'char'; }
  isBlockDevice() { return false; }
  isFIFO() { return false; }
  isSocket() { return false; }
}

export class Dirent {
  constructor(name, type, parentPath) {
    this.name = name;
    this.parentPath = parentPath;
    this.path = parentPath;
    Object.defineProperty(this, '_type', { value: type, enumerable: false });
  }
  isFile() { return this._type === 'file'; }
  isDirectory() { return this._type === 'dir'; }
  isSymbolicLink() { return false; }
  isCharacterDevice() { return this._type === 'char'; }
  isBlockDevice() { return false; }
  isFIFO() { return false; }
  isSocket() { return false; }
}

function entries(abs) {
  const a = area(abs);
  switch (a.kind) {
    case 'root':
      return ['bundle', 'dev', 'tmp'];
    case 'bundle':
      return native.fsBundleList(a.rel) || [];
    case 'dev':
      return DEVICES.slice().sort();
    case 'tmp': {
      const prefix = abs + '/';
      const out = [];
      for (const key of tmp.keys()) {
        if (key.startsWith(prefix) && !key.slice(prefix.length).includes('/')) out.push(key.slice(prefix.length));
      }
      return out.sort();
    }
    default:
      return [];
  }
}

// ---- sync API -----------------------------------------------------------------------
export function existsSync(p) {
  try {
    return lookup(resolvePath(p)) !== null;
  } catch {
    return false;
  }
}

export function statSync(p, options) {
  const abs = resolvePath(p);
  const info = lookup(abs);
  if (!info) {
    if (options && options.throwIfNoEntry === false) return undefined;
    throw fsError('ENOENT', 'stat', abs);
  }
  const s = new Stats(info, !info.writable);
  if (options && options.bigint) {
    for (const key of Object.keys(s)) if (typeof s[key] === 'number') s[key] = BigInt(Math.floor(s[key]));
  }
  return s;
}
export const lstatSync = statSync;

export function accessSync(p, mode = F_OK) {
  const abs = resolvePath(p);
  const info = lookup(abs);
  if (!info) throw fsError('ENOENT', 'access', abs);
  if (mode & W_OK && !info.writable) throw fsError('EPERM', 'access', abs);
}

export function readFileSync(p, options) {
  if (typeof p === 'number') throw fsError('EBADF', 'read', String(p));
  const abs = resolvePath(p);
  const bytes = readBytes(abs);
  const encoding = encodingOf(options, null);
  return encoding && encoding !== 'buffer' ? bytes.toString(encoding) : bytes;
}

export function writeFileSync(p, data, options) {
  const abs = resolvePath(p);
  const flag = (options && options.flag) || 'w';
  writeBytes(abs, dataBytes(data, encodingOf(options, 'utf8')), flag.startsWith('a'), 'open', flag.includes('x'));
}

export function appendFileSync(p, data, options) {
  writeBytes(resolvePath(p), dataBytes(data, encodingOf(options, 'utf8')), true);
}

export function readdirSync(p, options) {
  const abs = resolvePath(p);
  const info = lookup(abs);
  if (!info) throw fsError('ENOENT', 'scandir', abs);
  if (info.type !== 'dir') throw fsError('ENOTDIR', 'scandir', abs);
  const withTypes = options && typeof options === 'object' && options.withFileTypes;
  const recursive = options && typeof options === 'object' && options.recursive;
  const out = [];
  const walk = (dir, prefix) => {
    for (const name of entries(dir)) {
      const full = dir === '/' ? '/' + name : `${dir}/${name}`;
      const child = lookup(full);
      if (!child) continue;
      out.push(withTypes ? new Dirent(name, child.type, dir) : prefix + name);
      if (recursive && child.type === 'dir') walk(full, prefix + name + '/');
    }
  };
  walk(abs, '');
  const encoding = encodingOf(options, 'utf8');
  if (!withTypes && encoding === 'buffer') return out.map((n) => Buffer.from(n));
  return out;
}

export function mkdirSync(p, options) {
  const abs = resolvePath(p);
  const recursive = typeof options === 'object' && options !== null && options.recursive;
  if (area(abs).kind !== 'tmp') {
    if (recursive && lookup(abs) && lookup(abs).type === 'dir') return undefined;
    throw fsError(lookup(abs) ? 'EEXIST' : 'EPERM', 'mkdir', abs);
  }
  const existing = tmp.get(abs);
  if (existing) {
    if (recursive && existing.dir) return undefined;
    throw fsError('EEXIST', 'mkdir', abs);
  }
  const parent = tmp.get(parentOf(abs));
  if (!parent) {
    if (!recursive) throw fsError('ENOENT', 'mkdir', abs);
    const first = mkdirSync(parentOf(abs), options);
    tmp.set(abs, { dir: true, mtime: new Date(), birth: new Date() });
    return first || abs;
  }
  if (!parent.dir) throw fsError('ENOTDIR', 'mkdir', abs);
  tmp.set(abs, { dir: true, mtime: new Date(), birth: new Date() });
  return recursive ? abs : undefined;
}

export function mkdtempSync(prefix) {
  for (;;) {
    const name = resolvePath(prefix + Math.random().toString(36).slice(2, 8));
    if (!tmp.has(name)) {
      mkdirSync(name);
      return name;
    }
  }
}

function removable(abs, syscall) {
  if (area(abs).kind !== 'tmp' || abs === '/tmp') {
    throw fsError(lookup(abs) ? 'EPERM' : 'ENOENT', syscall, abs);
  }
}

export function unlinkSync(p) {
  const abs = resolvePath(p);
  removable(abs, 'unlink');
  const e = tmp.get(abs);
  if (!e) throw fsError('ENOENT', 'unlink', abs);
  if (e.dir) throw fsError('EISDIR', 'unlink', abs);
  tmp.delete(abs);
}

export function rmdirSync(p, options) {
  const abs = resolvePath(p);
  removable(abs, 'rmdir');
  const e = tmp.get(abs);
  if (!e) throw fsError('ENOENT', 'rmdir', abs);
  if (!e.dir) throw fsError('ENOTDIR', 'rmdir', abs);
  if (entries(abs).length && !(options && options.recursive)) throw fsError('ENOTEMPTY', 'rmdir', abs);
  for (const key of [...tmp.keys()]) if (key === abs || key.startsWith(abs + '/')) tmp.delete(key);
}

export function rmSync(p, options) {
  const abs = resolvePath(p);
  const e = area(abs).kind === 'tmp' ? tmp.get(abs) : lookup(abs);
  if (!e) {
    if (options && options.force) return;
    throw fsError('ENOENT', 'rm', abs);
  }
  removable(abs, 'rm');
  if (e.dir) {
    if (!(options && options.recursive)) {
      const err = nodeError(Error, 'ERR_FS_EISDIR', `Path is a directory: rm returned EISDIR (is a directory) ${abs}`);
      err.errno = 21;
      err.syscall = 'rm';
      err.path = abs;
      throw err;
    }
    rmdirSync(abs, { recursive: true });
  } else {
    tmp.delete(abs);
  }
}

export function renameSync(from, to) {
  const a = resolvePath(from);
  const b = resolvePath(to);
  if (area(a).kind !== 'tmp' || area(b).kind !== 'tmp') throw fsError('EPERM', 'rename', a, b);
  if (!tmp.has(a)) throw fsError('ENOENT', 'rename', a, b);
  if (!tmp.get(parentOf(b))) throw fsError('ENOENT', 'rename', a, b);
  for (const key of [...tmp.keys()]) {
    if (key === a || key.startsWith(a + '/')) {
      tmp.set(b + key.slice(a.length), tmp.get(key));
      tmp.delete(key);
    }
  }
}

export function copyFileSync(src, dest, mode = 0) {
  const a = resolvePath(src);
  const b = resolvePath(dest);
  const bytes = readBytes(a, 'copyfile');
  if (mode & constants.COPYFILE_EXCL && lookup(b)) throw fsError('EEXIST', 'copyfile', a, b);
  writeBytes(b, bytes, false, 'copyfile');
}

export function cpSync(src, dest, options) {
  const a = resolvePath(src);
  const info = lookup(a);
  if (!info) throw fsError('ENOENT', 'cp', a);
  if (info.type === 'dir') {
    if (!(options && options.recursive)) throw nodeError(Error, 'ERR_FS_EISDIR', `Recursive option is required to copy a directory: ${a}`);
    mkdirSync(dest, { recursive: true });
    for (const name of entries(a)) cpSync(`${a}/${name}`, `${resolvePath(dest)}/${name}`, options);
  } else {
    copyFileSync(a, dest);
  }
}

export function realpathSync(p) {
  const abs = resolvePath(p);
  if (!lookup(abs)) throw fsError('ENOENT', 'realpath', abs);
  return abs;
}
realpathSync.native = realpathSync;

export function truncateSync(p, len = 0) {
  const abs = resolvePath(p);
  const bytes = readBytes(abs);
  const out = Buffer.alloc(len);
  bytes.copy(out, 0, 0, Math.min(len, bytes.length));
  writeBytes(abs, out, false);
}

export function utimesSync(p, _atime, mtime) {
  const abs = resolvePath(p);
  const e = tmp.get(abs);
  if (!e) throw fsError(lookup(abs) ? 'EPERM' : 'ENOENT', 'utime', abs);
  e.mtime = new Date(typeof mtime === 'number' ? mtime * 1000 : mtime);
}

export function chmodSync(p) {
  if (!lookup(resolvePath(p))) throw fsError('ENOENT', 'chmod', resolvePath(p));
}
export const chownSync = chmodSync;
export const lchownSync = chmodSync;

// ---- callback and promise forms ----------------------------------------------------------
function callbackForm(fn) {
  return function (...args) {
    const cb = args.pop();
    validateFunction(cb, 'cb');
    let result;
    let error = null;
    try {
      result = fn(...args);
    } catch (e) {
      error = e;
    }
    queueMicrotask(() => (error ? cb(error) : cb(null, result)));
  };
}

function promiseForm(fn) {
  return (...args) => {
    try {
      return Promise.resolve(fn(...args));
    } catch (e) {
      return Promise.reject(e);
    }
  };
}

const SYNC = {
  access: accessSync, appendFile: appendFileSync, chmod: chmodSync, chown: chownSync, copyFile: copyFileSync,
  cp: cpSync, lchown: lchownSync, lstat: lstatSync, mkdir: mkdirSync, mkdtemp: mkdtempSync, readdir: readdirSync,
  readFile: readFileSync, realpath: realpathSync, rename: renameSync, rm: rmSync, rmdir: rmdirSync, stat: statSync,
  truncate: truncateSync, unlink: unlinkSync, utimes: utimesSync, writeFile: writeFileSync,
};

export const access = callbackForm(accessSync);
export const appendFile = callbackForm(appendFileSync);
export const chmod = callbackForm(chmodSync);
export const chown = callbackForm(chownSync);
export const copyFile = callbackForm(copyFileSync);
export const cp = callbackForm(cpSync);
export const lchown = callbackForm(lchownSync);
export const lstat = callbackForm(lstatSync);
export const mkdir = callbackForm(mkdirSync);
export const mkdtemp = callbackForm(mkdtempSync);
export const readdir = callbackForm(readdirSync);
export const readFile = callbackForm(readFileSync);
export const realpath = callbackForm(realpathSync);
export const rename = callbackForm(renameSync);
export const rm = callbackForm(rmSync);
export const rmdir = callbackForm(rmdirSync);
export const stat = callbackForm(statSync);
export const truncate = callbackForm(truncateSync);
export const unlink = callbackForm(unlinkSync);
export const utimes = callbackForm(utimesSync);
export const writeFile = callbackForm(writeFileSync);

export function exists(p, cb) {
  validateFunction(cb, 'cb');
  const result = existsSync(p);
  queueMicrotask(() => cb(result));
}

export const promises = { constants };
for (const [name, fn] of Object.entries(SYNC)) promises[name] = promiseForm(fn);

// ---- streams ---------------------------------------------------------------------------
export function createReadStream(p, options) {
  const opts = typeof options === 'string' ? { encoding: options } : options || {};
  const abs = resolvePath(p);
  let data = null;
  const stream = new Readable({
    highWaterMark: opts.highWaterMark || 64 * 1024,
    encoding: opts.encoding,
    read(size) {
      try {
        if (data === null) {
          const all = readBytes(abs);
          data = all.subarray(opts.start || 0, opts.end === undefined ? all.length : opts.end + 1);
          this.emit('open', 3);
          this.emit('ready');
        }
      } catch (e) {
        this.destroy(e);
        return;
      }
      const chunk = data.subarray(0, size);
      data = data.subarray(chunk.length);
      this.bytesRead += chunk.length;
      this.push(chunk.length ? chunk : null);
    },
  });
  stream.path = abs;
  stream.bytesRead = 0;
  stream.pending = true;
  return stream;
}

export function createWriteStream(p, options) {
  const opts = typeof options === 'string' ? { encoding: options } : options || {};
  const abs = resolvePath(p);
  let first = !(opts.flags || 'w').startsWith('a');
  const stream = new Writable({
    decodeStrings: true,
    write(chunk, _enc, cb) {
      try {
        writeBytes(abs, chunk, !first);
        first = false;
        this.bytesWritten += chunk.length;
        cb();
      } catch (e) {
        cb(e);
      }
    },
    final(cb) {
      try {
        if (first) writeBytes(abs, Buffer.alloc(0), false);
        cb();
      } catch (e) {
        cb(e);
      }
    },
  });
  stream.path = abs;
  stream.bytesWritten = 0;
  return stream;
}

function unsupported(name) {
  return () => {
    throw nodeError(Error, 'ERR_METHOD_NOT_IMPLEMENTED', `The ${name} method is not implemented`);
  };
}
export const watch = unsupported('fs.watch()');
export const watchFile = unsupported('fs.watchFile()');
export const unwatchFile = unsupported('fs.unwatchFile()');
export const globSync = unsupported('fs.globSync()');
export const glob = unsupported('fs.glob()');

export default {
  constants, F_OK, R_OK, W_OK, X_OK, Stats, Dirent, existsSync, exists, statSync, lstatSync, accessSync,
  readFileSync, writeFileSync, appendFileSync, readdirSync, mkdirSync, mkdtempSync, unlinkSync, rmdirSync, rmSync,
  renameSync, copyFileSync, cpSync, realpathSync, truncateSync, utimesSync, chmodSync, chownSync, lchownSync,
  access, appendFile, chmod, chown, copyFile, cp, lchown, lstat, mkdir, mkdtemp, readdir, readFile, realpath,
  rename, rm, rmdir, stat, truncate, unlink, utimes, writeFile, promises, createReadStream, createWriteStream,
  watch, watchFile, unwatchFile, globSync, glob,
};

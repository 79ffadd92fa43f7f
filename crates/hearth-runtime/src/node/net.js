// node:net — a client `Socket` (a Duplex stream) over the Workers `connect()`
// of cloudflare:sockets, as workerd provides it, plus the `isIP` helpers.
// Servers are not available: `createServer` throws (use a Socket Worker with
// [[tcp_listeners]] instead).
import { Duplex } from 'node:stream';
import { Buffer } from 'node:buffer';
import { internal } from 'hearth:internal';

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6 =
  /^(?:(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|(?:[0-9a-fA-F]{1,4}:){1,7}:|(?:[0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}|(?:[0-9a-fA-F]{1,4}:){1,5}(?::[0-9a-fA-F]{1,4}){1,2}|(?:[0-9a-fA-F]{1,4}:){1,4}(?::[0-9a-fA-F]{1,4}){1,3}|(?:[0-9a-fA-F]{1,4}:){1,3}(?::[0-9a-fA-F]{1,4}){1,4}|(?:[0-9a-fA-F]{1,4}:){1,2}(?::[0-9a-fA-F]{1,4}){1,5}|[0-9a-fA-F]{1,4}:(?::[0-9a-fA-F]{1,4}){1,6}|:(?:(?::[0-9a-fA-F]{1,4}){1,7}|:)|(?:[0-9a-fA-F]{1,4}:){6}(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)|::(?:ffff(?::0{1,4})?:)?(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d))(?:%.+)?$/;

export function isIPv4(input) {
  return IPV4.test(String(input));
}
export function isIPv6(input) {
  return IPV6.test(String(input));
}
export function isIP(input) {
  return isIPv4(input) ? 4 : isIPv6(input) ? 6 : 0;
}

function cfConnect(address, options) {
  return internal.connect(address, options);
}

function splitAddress(addr) {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(addr || '');
  return m ? { address: m[1], port: Number(m[2]) } : { address: addr || undefined, port: undefined };
}

function normalizeArgs(args) {
  let options;
  let cb = null;
  if (args.length && typeof args[args.length - 1] === 'function') cb = args[args.length - 1];
  if (args[0] !== null && typeof args[0] === 'object') options = { ...args[0] };
  else if (typeof args[0] === 'string' && !/^\d+$/.test(args[0])) options = { path: args[0] };
  else {
    options = { port: args[0] };
    if (typeof args[1] === 'string') options.host = args[1];
  }
  return [options, cb];
}

export class Socket extends Duplex {
  constructor(options = {}) {
    super({ ...options, allowHalfOpen: options.allowHalfOpen === true, decodeStrings: true });
    this.connecting = false;
    this.pending = true;
    this.bytesRead = 0;
    this.bytesWritten = 0;
    this.remoteAddress = undefined;
    this.remotePort = undefined;
    this.remoteFamily = undefined;
    this.localAddress = undefined;
    this.localPort = undefined;
    this._cf = null;
    this._writer = null;
    this._reader = null;
    this._wantRead = false;
    this._reading = false;
    this._timeout = 0;
    this._timer = null;
    this._host = undefined;
    this._secure = false;
    this.encrypted = undefined;
  }

  get readyState() {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable) return 'readOnly';
    if (this.writable) return 'writeOnly';
    return 'closed';
  }

  connect(...args) {
    const [options, cb] = normalizeArgs(args);
    if (options.path) throw new Error('net.Socket: Unix domain sockets are not supported by hearth');
    const port = Number(options.port);
    const host = options.host || 'localhost';
    if (cb) this.once('connect', cb);
    let socket;
    try {
      socket = cfConnect({ hostname: host, port }, { secureTransport: this._secure ? 'on' : 'starttls', allowHalfOpen: true });
    } catch (err) {
      queueMicrotask(() => this.destroy(err));
      return this;
    }
    this._host = host;
    this._attach(socket, 'connect');
    return this;
  }

  // Takes over a cloudflare:sockets Socket; `event` is emitted once it opens.
  _attach(socket, event) {
    this.connecting = true;
    this._cf = socket;
    this._writer = socket.writable.getWriter();
    this._writer.closed.catch(() => {});
    socket.opened.then(
      (info) => {
        if (this.destroyed) return;
        this.connecting = false;
        this.pending = false;
        const remote = splitAddress(info && info.remoteAddress);
        const local = splitAddress(info && info.localAddress);
        this.remoteAddress = remote.address;
        this.remotePort = remote.port;
        this.remoteFamily = remote.address && isIPv6(remote.address) ? 'IPv6' : 'IPv4';
        this.localAddress = local.address;
        this.localPort = local.port;
        this.emit(event);
        if (event !== 'ready') this.emit('ready');
        this._pump();
      },
      (err) => this.destroy(netError(err, this._host)),
    );
  }

  async _pump() {
    if (this._reading || !this._cf) return;
    this._reading = true;
    if (!this._reader) this._reader = this._cf.readable.getReader();
    const reader = this._reader;
    try {
      while (this._wantRead && !this.destroyed) {
        const { value, done } = await reader.read();
        if (this.destroyed || reader !== this._reader) return;
        this._touch();
        if (done) {
          this.push(null);
          if (!this.allowHalfOpen) this.end();
          return;
        }
        this.bytesRead += value.byteLength;
        this._wantRead = this.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      }
    } catch (err) {
      if (!this.destroyed && reader === this._reader) this.destroy(netError(err, this._host));
    } finally {
      this._reading = false;
    }
  }

  _read() {
    this._wantRead = true;
    if (!this.connecting && this._cf) this._pump();
  }

  _write(chunk, encoding, cb) {
    if (!this._writer) return cb(new Error('This socket is not connected'));
    if (typeof chunk === 'string') chunk = Buffer.from(chunk, encoding);
    this.bytesWritten += chunk.length;
    this._touch();
    this._writer.write(chunk).then(
      () => cb(),
      (err) => cb(netError(err, this._host)),
    );
  }

  _final(cb) {
    if (!this._writer) return cb();
    this._writer.close().then(
      () => cb(),
      () => cb(),
    );
  }

  _destroy(err, cb) {
    this.connecting = false;
    clearTimeout(this._timer);
    if (this._reader) this._reader.cancel().catch(() => {});
    this._reader = null;
    if (this._cf) this._cf.close().catch(() => {});
    cb(err);
  }

  // Hands the connection over for startTls (see tls.connect({ socket })).
  _upgrade(options) {
    const cf = this._cf;
    if (this._reader) {
      this._reader.releaseLock();
      this._reader = null;
    }
    if (this._writer) {
      this._writer.releaseLock();
      this._writer = null;
    }
    this._cf = null;
    return cf.startTls(options);
  }

  _touch() {
    if (!this._timeout) return;
    clearTimeout(this._timer);
    this._timer = setTimeout(() => this.emit('timeout'), this._timeout);
  }

  setTimeout(ms, cb) {
    this._timeout = Number(ms) || 0;
    if (cb) this.once('timeout', cb);
    clearTimeout(this._timer);
    if (this._timeout) this._touch();
    return this;
  }
  setNoDelay() {
    return this;
  }
  setKeepAlive() {
    return this;
  }
  ref() {
    return this;
  }
  unref() {
    return this;
  }
  address() {
    return this.localAddress ? { address: this.localAddress, port: this.localPort, family: isIPv6(this.localAddress) ? 'IPv6' : 'IPv4' } : {};
  }
  resetAndDestroy() {
    return this.destroy();
  }
}

function netError(err, host) {
  if (!(err instanceof Error)) err = new Error(String(err));
  if (!err.code) {
    const m = String(err.message).toLowerCase();
    if (m.includes('refused')) err.code = 'ECONNREFUSED';
    else if (m.includes('reset')) err.code = 'ECONNRESET';
    else if (m.includes('timed out')) err.code = 'ETIMEDOUT';
    else if (m.includes('dns') || m.includes('resolve') || m.includes('lookup')) err.code = 'ENOTFOUND';
  }
  if (host && err.hostname === undefined) err.hostname = host;
  return err;
}

export function connect(...args) {
  const [options] = normalizeArgs(args);
  const socket = new Socket(options);
  if (options.timeout) socket.setTimeout(options.timeout);
  return socket.connect(...args);
}
export const createConnection = connect;

export function createServer() {
  const err = new Error('net.createServer is not supported by hearth: serve TCP with a Socket Worker ([[tcp_listeners]] and a connect() handler)');
  err.code = 'ERR_METHOD_NOT_IMPLEMENTED';
  throw err;
}
export const Server = createServer;

export class BlockList {
  constructor() {
    this.rules = [];
  }
  addAddress(address) {
    this.rules.push(address);
  }
  check(address) {
    return this.rules.includes(address);
  }
}

export class SocketAddress {
  constructor(options = {}) {
    this.address = options.address || '127.0.0.1';
    this.port = options.port || 0;
    this.family = options.family || (isIPv6(this.address) ? 'ipv6' : 'ipv4');
    this.flowlabel = options.flowlabel || 0;
  }
}

export function getDefaultAutoSelectFamily() {
  return false;
}
export function setDefaultAutoSelectFamily() {}

export const Stream = Socket;

export default {
  Socket,
  Stream,
  Server,
  BlockList,
  SocketAddress,
  connect,
  createConnection,
  createServer,
  isIP,
  isIPv4,
  isIPv6,
  getDefaultAutoSelectFamily,
  setDefaultAutoSelectFamily,
};

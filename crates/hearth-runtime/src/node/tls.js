// node:tls — client TLS over the Workers `connect()` of cloudflare:sockets:
// `tls.connect({ host, port })` opens with `secureTransport: "on"`, and
// `tls.connect({ socket })` upgrades a node:net Socket in place with
// `startTls()`. Certificates are verified by hearth against its CA bundle
// (`ca`, `rejectUnauthorized: false` and client certificates are not
// supported). Servers are not available.
import { Socket, isIP } from 'node:net';

export class TLSSocket extends Socket {
  constructor(socket, options = {}) {
    super(options);
    this.encrypted = true;
    this.authorized = false;
    this.authorizationError = null;
    this.alpnProtocol = false;
    this._secure = true;
    this._servername = options.servername;
    if (socket instanceof Socket && socket._cf) this._upgradeFrom(socket, options);
  }

  _upgradeFrom(plain, options) {
    const host = options.servername || options.host || plain._host;
    this._host = host;
    const expected = host && !isIP(host) ? host : undefined;
    let upgraded;
    try {
      upgraded = plain._upgrade(expected ? { expectedServerHostname: expected } : undefined);
    } catch (err) {
      queueMicrotask(() => this.destroy(err));
      return;
    }
    this._attach(upgraded, 'secureConnect');
    upgraded.opened.then(() => {
      this.authorized = true;
    }, () => {});
  }

  connect(...args) {
    const res = super.connect(...args);
    if (this._cf) this._cf.opened.then(() => {
      this.authorized = true;
      this.emit('secureConnect');
    }, () => {});
    return res;
  }

  getPeerCertificate() {
    return {};
  }
  getProtocol() {
    return 'TLSv1.3';
  }
  getCipher() {
    return { name: 'TLS_AES_128_GCM_SHA256', standardName: 'TLS_AES_128_GCM_SHA256', version: 'TLSv1.3' };
  }
  getSession() {
    return undefined;
  }
  isSessionReused() {
    return false;
  }
  setServername(name) {
    this._servername = name;
  }
}

export function connect(...args) {
  let options = {};
  let cb = null;
  if (typeof args[args.length - 1] === 'function') cb = args.pop();
  if (typeof args[0] === 'object' && args[0] !== null) options = { ...args[0] };
  else {
    options.port = args[0];
    if (typeof args[1] === 'string') options.host = args[1];
    if (typeof args[args.length - 1] === 'object' && args[args.length - 1] !== null) Object.assign(options, args[args.length - 1]);
  }
  if (options.socket) {
    const tls = new TLSSocket(options.socket, options);
    if (cb) tls.once('secureConnect', cb);
    return tls;
  }
  const tls = new TLSSocket(null, options);
  if (cb) tls.once('secureConnect', cb);
  tls.connect({ port: options.port, host: options.servername && !options.host ? options.servername : options.host || 'localhost' });
  return tls;
}

export function createSecureContext(options = {}) {
  return { context: options };
}

export function checkServerIdentity() {
  return undefined;
}

export function createServer() {
  const err = new Error('tls.createServer is not supported by hearth');
  err.code = 'ERR_METHOD_NOT_IMPLEMENTED';
  throw err;
}

export function getCiphers() {
  return ['tls_aes_128_gcm_sha256', 'tls_aes_256_gcm_sha384', 'tls_chacha20_poly1305_sha256'];
}

export const DEFAULT_ECDH_CURVE = 'auto';
export const DEFAULT_MIN_VERSION = 'TLSv1.2';
export const DEFAULT_MAX_VERSION = 'TLSv1.3';
export const rootCertificates = [];

export class SecureContext {}

export default {
  TLSSocket,
  SecureContext,
  connect,
  createSecureContext,
  checkServerIdentity,
  createServer,
  getCiphers,
  DEFAULT_ECDH_CURVE,
  DEFAULT_MIN_VERSION,
  DEFAULT_MAX_VERSION,
  rootCertificates,
};

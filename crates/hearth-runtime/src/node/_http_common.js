// hearth:http-common — what node:http's client and server share: the method
// and status tables, header validation, the header store of an outgoing
// message, and IncomingMessage (a Readable over a fetch body), as workerd
// builds them on Request and Response instead of sockets.
import { Stream, Readable } from 'node:stream';
import { EventEmitter } from 'node:events';
import { Buffer } from 'node:buffer';
import { nodeError, invalidArgType, invalidArgValue } from 'hearth:node-errors';

export const METHODS = [
  'ACL', 'BIND', 'CHECKOUT', 'CONNECT', 'COPY', 'DELETE', 'GET', 'HEAD', 'LINK', 'LOCK',
  'M-SEARCH', 'MERGE', 'MKACTIVITY', 'MKCALENDAR', 'MKCOL', 'MOVE', 'NOTIFY', 'OPTIONS',
  'PATCH', 'POST', 'PROPFIND', 'PROPPATCH', 'PURGE', 'PUT', 'QUERY', 'REBIND', 'REPORT',
  'SEARCH', 'SOURCE', 'SUBSCRIBE', 'TRACE', 'UNBIND', 'UNLINK', 'UNLOCK', 'UNSUBSCRIBE',
];

export const STATUS_CODES = {
  100: 'Continue', 101: 'Switching Protocols', 102: 'Processing', 103: 'Early Hints',
  200: 'OK', 201: 'Created', 202: 'Accepted', 203: 'Non-Authoritative Information',
  204: 'No Content', 205: 'Reset Content', 206: 'Partial Content', 207: 'Multi-Status',
  208: 'Already Reported', 226: 'IM Used', 300: 'Multiple Choices', 301: 'Moved Permanently',
  302: 'Found', 303: 'See Other', 304: 'Not Modified', 305: 'Use Proxy',
  307: 'Temporary Redirect', 308: 'Permanent Redirect', 400: 'Bad Request',
  401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 406: 'Not Acceptable', 407: 'Proxy Authentication Required',
  408: 'Request Timeout', 409: 'Conflict', 410: 'Gone', 411: 'Length Required',
  412: 'Precondition Failed', 413: 'Payload Too Large', 414: 'URI Too Long',
  415: 'Unsupported Media Type', 416: 'Range Not Satisfiable', 417: 'Expectation Failed',
  418: "I'm a Teapot", 421: 'Misdirected Request', 422: 'Unprocessable Entity', 423: 'Locked',
  424: 'Failed Dependency', 425: 'Too Early', 426: 'Upgrade Required',
  428: 'Precondition Required', 429: 'Too Many Requests',
  431: 'Request Header Fields Too Large', 451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway',
  503: 'Service Unavailable', 504: 'Gateway Timeout', 505: 'HTTP Version Not Supported',
  506: 'Variant Also Negotiates', 507: 'Insufficient Storage', 508: 'Loop Detected',
  509: 'Bandwidth Limit Exceeded', 510: 'Not Extended', 511: 'Network Authentication Required',
};

/** Node's default `--max-http-header-size`. */
export const maxHeaderSize = 16384;

const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
// Field content: visible characters, spaces and tabs (and obs-text).
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

export function validateHeaderName(name, label = 'Header name') {
  if (typeof name !== 'string' || !name || !TOKEN.test(name)) {
    throw nodeError(TypeError, 'ERR_INVALID_HTTP_TOKEN', `${label} must be a valid HTTP token ["${name}"]`);
  }
}

export function validateHeaderValue(name, value) {
  if (value === undefined) {
    throw nodeError(TypeError, 'ERR_HTTP_INVALID_HEADER_VALUE', `Invalid value "${value}" for header "${name}"`);
  }
  const values = Array.isArray(value) ? value : [value];
  for (const v of values) {
    if (INVALID_VALUE.test(String(v))) {
      throw nodeError(TypeError, 'ERR_INVALID_CHAR', `Invalid character in header content ["${name}"]`);
    }
  }
}

export function headersSentError(action) {
  return nodeError(Error, 'ERR_HTTP_HEADERS_SENT', `Cannot ${action} headers after they are sent to the client`);
}

/** Bytes of a chunk written to a message: a string in `encoding`, or bytes. */
export function chunkBytes(chunk, encoding) {
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding || 'utf8');
  if (chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  throw invalidArgType('chunk', ['string', 'Buffer', 'Uint8Array'], chunk);
}

// Headers that an outgoing message never hands to fetch: the framing is
// fetch's to decide.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

/**
 * Header pairs for fetch from an outgoing message's header store (pairs, not
 * a Headers object: Request and Response copy their init's headers anyway).
 */
export function toFetchHeaders(store, { dropHost = false } = {}) {
  const pairs = [];
  for (const [lower, [, value]] of store) {
    if (HOP_BY_HOP.has(lower) || (dropHost && lower === 'host')) continue;
    if (Array.isArray(value)) for (const v of value) pairs.push([lower, String(v)]);
    else pairs.push([lower, String(value)]);
  }
  return pairs;
}

// ---- OutgoingMessage: the header store and state of ClientRequest and
// ServerResponse (a legacy Stream, as in Node.js) -------------------------
const kHeaders = Symbol('kOutHeaders');

export function OutgoingMessage(options) {
  Stream.call(this, options);
  this[kHeaders] = new Map();
  this._headerSent = false;
  this.headersSent = false;
  this.finished = false;
  this.writable = true;
  this.destroyed = false;
  this.sendDate = false;
  this.chunkedEncoding = false;
  this.useChunkedEncodingByDefault = true;
  this.shouldKeepAlive = true;
  this.writableEnded = false;
  this.writableFinished = false;
  this.writableCorked = 0;
  this.writableObjectMode = false;
  this.writableHighWaterMark = options?.highWaterMark ?? 16 * 1024;
  this.writableNeedDrain = false;
  this.writableLength = 0;
  this.strictContentLength = false;
}
Object.setPrototypeOf(OutgoingMessage.prototype, Stream.prototype);
Object.setPrototypeOf(OutgoingMessage, Stream);

OutgoingMessage.prototype.headerStore = function () {
  return this[kHeaders];
};

OutgoingMessage.prototype.setHeader = function (name, value) {
  if (this.headersSent) throw headersSentError('set');
  validateHeaderName(name);
  validateHeaderValue(name, value);
  this[kHeaders].set(name.toLowerCase(), [name, value]);
  return this;
};

OutgoingMessage.prototype.appendHeader = function (name, value) {
  if (this.headersSent) throw headersSentError('append');
  validateHeaderName(name);
  validateHeaderValue(name, value);
  const lower = name.toLowerCase();
  const existing = this[kHeaders].get(lower);
  if (!existing) return this.setHeader(name, value);
  const prev = Array.isArray(existing[1]) ? existing[1] : [existing[1]];
  existing[1] = prev.concat(value);
  return this;
};

OutgoingMessage.prototype.setHeaders = function (headers) {
  if (this.headersSent) throw headersSentError('set');
  const entries = headers instanceof Headers || headers instanceof Map ? headers.entries() : Object.entries(headers);
  for (const [k, v] of entries) this.setHeader(k, v);
  return this;
};

OutgoingMessage.prototype.getHeader = function (name) {
  if (typeof name !== 'string') throw invalidArgType('name', 'string', name);
  return this[kHeaders].get(name.toLowerCase())?.[1];
};

OutgoingMessage.prototype.getHeaders = function () {
  const out = Object.create(null);
  for (const [lower, [, value]] of this[kHeaders]) out[lower] = value;
  return out;
};

OutgoingMessage.prototype.getHeaderNames = function () {
  return [...this[kHeaders].keys()];
};

OutgoingMessage.prototype.getRawHeaderNames = function () {
  return [...this[kHeaders].values()].map(([name]) => name);
};

OutgoingMessage.prototype.hasHeader = function (name) {
  if (typeof name !== 'string') throw invalidArgType('name', 'string', name);
  return this[kHeaders].has(name.toLowerCase());
};

OutgoingMessage.prototype.removeHeader = function (name) {
  if (typeof name !== 'string') throw invalidArgType('name', 'string', name);
  if (this.headersSent) throw headersSentError('remove');
  this[kHeaders].delete(name.toLowerCase());
};

/** Adds headers given as an object, a flat raw array or an array of pairs. */
OutgoingMessage.prototype.addHeaders = function (headers) {
  if (Array.isArray(headers)) {
    if (headers.length && Array.isArray(headers[0])) {
      for (const [k, v] of headers) this.appendHeader(k, v);
    } else {
      if (headers.length % 2 !== 0) throw invalidArgValue('headers', headers);
      for (let i = 0; i < headers.length; i += 2) this.appendHeader(headers[i], headers[i + 1]);
    }
  } else if (headers) {
    for (const k of Object.keys(headers)) if (headers[k] !== undefined) this.setHeader(k, headers[k]);
  }
};

OutgoingMessage.prototype.cork = function () {
  this.writableCorked++;
};
OutgoingMessage.prototype.uncork = function () {
  if (this.writableCorked) this.writableCorked--;
};
OutgoingMessage.prototype.setTimeout = function (msecs, callback) {
  if (callback) this.once('timeout', callback);
  return this;
};
// Trailers cannot be sent through fetch; accepted and dropped, as on workerd.
OutgoingMessage.prototype.addTrailers = function () {};
OutgoingMessage.prototype.flushHeaders = function () {};
Object.defineProperty(OutgoingMessage.prototype, '_header', {
  get() {
    return this.headersSent ? 'sent' : null;
  },
  configurable: true,
});
Object.defineProperty(OutgoingMessage.prototype, 'writableAborted', {
  get() {
    return this.destroyed && !this.writableFinished;
  },
  configurable: true,
});

// ---- IncomingMessage ------------------------------------------------------

// Headers whose repeats Node.js drops (the first one wins).
const SINGLE = new Set([
  'age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host',
  'if-modified-since', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards',
  'proxy-authorization', 'referer', 'retry-after', 'server', 'user-agent',
]);

const kBody = Symbol('kBody');
const kReader = Symbol('kReader');

/**
 * A message read from fetch: the request a server handles, or the response
 * a client request gets. `socket` may be null (Node.js's own constructor
 * takes the socket); the body comes in through `setIncomingBody`.
 */
export function IncomingMessage(socket) {
  Readable.call(this, { highWaterMark: 16 * 1024 });
  this.socket = socket ?? null;
  this.httpVersionMajor = 1;
  this.httpVersionMinor = 1;
  this.httpVersion = '1.1';
  this.complete = false;
  this.rawHeaders = [];
  this.rawTrailers = [];
  this.headers = {};
  this.trailers = {};
  this.joinDuplicateHeaders = false;
  this.aborted = false;
  this.upgrade = false;
  this.url = '';
  this.method = null;
  this.statusCode = null;
  this.statusMessage = null;
  this[kBody] = null;
  this[kReader] = null;
}
Object.setPrototypeOf(IncomingMessage.prototype, Readable.prototype);
Object.setPrototypeOf(IncomingMessage, Readable);

Object.defineProperty(IncomingMessage.prototype, 'connection', {
  get() {
    return this.socket;
  },
  set(v) {
    this.socket = v;
  },
  configurable: true,
});

Object.defineProperty(IncomingMessage.prototype, 'headersDistinct', {
  get() {
    const out = Object.create(null);
    for (let i = 0; i < this.rawHeaders.length; i += 2) {
      const k = this.rawHeaders[i].toLowerCase();
      (out[k] ??= []).push(this.rawHeaders[i + 1]);
    }
    return out;
  },
  configurable: true,
});

Object.defineProperty(IncomingMessage.prototype, 'trailersDistinct', {
  get() {
    return Object.create(null);
  },
  configurable: true,
});

/** Fills `headers` and `rawHeaders` from fetch `Headers`, as Node.js joins them. */
export function setIncomingHeaders(msg, headers) {
  const raw = [];
  const out = {};
  for (const [name, value] of headers) {
    if (name === 'set-cookie') continue;
    raw.push(name, value);
    if (SINGLE.has(name)) {
      // fetch joined repeats with ', '; Node.js keeps the first.
      out[name] = name === 'content-length' ? value.split(',')[0].trim() : value;
    } else {
      out[name] = value;
    }
  }
  const cookies = typeof headers.getSetCookie === 'function' ? headers.getSetCookie() : [];
  if (cookies.length) {
    for (const c of cookies) raw.push('set-cookie', c);
    out['set-cookie'] = cookies;
  }
  msg.rawHeaders = raw;
  msg.headers = out;
}

/** Makes a fetch body (a ReadableStream, or null) the message's readable side. */
export function setIncomingBody(msg, body) {
  msg[kBody] = body;
  if (!body) {
    msg.complete = true;
    msg.push(null);
  }
}

IncomingMessage.prototype._read = function () {
  const body = this[kBody];
  if (!body) return;
  const reader = (this[kReader] ??= body.getReader());
  reader.read().then(
    ({ done, value }) => {
      if (done) {
        this.complete = true;
        this.push(null);
      } else {
        // Readable calls _read again while it wants more.
        this.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      }
    },
    (err) => {
      this.aborted = true;
      this.destroy(err);
    },
  );
};

IncomingMessage.prototype._destroy = function (err, cb) {
  this.aborted = !this.complete;
  const reader = this[kReader];
  if (reader && !this.complete) reader.cancel(err ?? undefined).catch(() => {});
  else if (!reader && this[kBody] && !this.complete) this[kBody].cancel().catch(() => {});
  cb(err);
};

IncomingMessage.prototype.setTimeout = function (msecs, callback) {
  if (callback) this.once('timeout', callback);
  return this;
};

/**
 * The stand-in for the connection behind an IncomingMessage: the fields
 * libraries read (`remoteAddress`, `encrypted`, ...) and an event emitter
 * (on-finished, which Express uses, listens on it).
 */
export function fakeSocket(msg, { remoteAddress, encrypted, localAddress, localPort }) {
  const socket = new EventEmitter();
  const remotePort = (Math.random() * 0x8000) | 0x8000;
  Object.defineProperties(socket, {
    encrypted: { value: encrypted, configurable: true },
    readable: { get: () => msg.readable, configurable: true },
    writable: { value: true, writable: true, configurable: true },
    remoteAddress: { get: () => (msg.destroyed ? undefined : remoteAddress), configurable: true },
    remoteFamily: { get: () => (remoteAddress.includes(':') ? 'IPv6' : 'IPv4'), configurable: true },
    remotePort: { get: () => (msg.destroyed ? undefined : remotePort), configurable: true },
    localAddress: { value: localAddress, configurable: true },
    localPort: { value: localPort, configurable: true },
    destroy: { value: (err) => msg.destroy(err), configurable: true },
    end: { value: () => {}, configurable: true },
    setTimeout: { value: () => socket, configurable: true },
    setNoDelay: { value: () => socket, configurable: true },
    setKeepAlive: { value: () => socket, configurable: true },
    ref: { value: () => socket, configurable: true },
    unref: { value: () => socket, configurable: true },
    address: {
      value: () => ({ address: localAddress, port: localPort, family: 'IPv4' }),
      configurable: true,
    },
  });
  return socket;
}

// node:http — as Cloudflare Workers provide it. The client (`request`,
// `get`, ClientRequest) sends its requests with the runtime's fetch(), so the
// [outbound] policy and the CA bundle apply; the server (`createServer`,
// Server, ServerResponse) does not open ports: `listen(port)` registers the
// server for that port inside the isolate, and cloudflare:node's
// `httpServerHandler` turns each Request into an IncomingMessage and the
// ServerResponse into a streamed Response.
import { EventEmitter, addAbortListener } from 'node:events';
import { Buffer } from 'node:buffer';
import { urlToHttpOptions } from 'node:url';
import { internal } from 'hearth:internal';
import { nodeError, invalidArgType, AbortError } from 'hearth:node-errors';
import {
  METHODS,
  STATUS_CODES,
  maxHeaderSize,
  validateHeaderName,
  validateHeaderValue,
  chunkBytes,
  toFetchHeaders,
  OutgoingMessage,
  IncomingMessage,
  setIncomingHeaders,
  setIncomingBody,
  fakeSocket,
} from 'hearth:http-common';

// The servers listening in this isolate, by port; cloudflare:node reads it
// through the internal object, out of user code's reach.
const servers = (internal.httpServers ??= new Map());

function notImplemented(what) {
  return nodeError(Error, 'ERR_METHOD_NOT_IMPLEMENTED', `The ${what} method is not implemented`);
}

function serverModulesOn() {
  return Boolean(internal.compat?.enable_nodejs_http_server_modules);
}

function later(fn) {
  queueMicrotask(fn);
}

// ---- Agent -----------------------------------------------------------------

/** Connection pooling belongs to fetch(); Agent keeps Node's shape and options. */
export function Agent(options) {
  if (!(this instanceof Agent)) return new Agent(options);
  EventEmitter.call(this);
  this.options = { __proto__: null, ...options };
  this.defaultPort = this.options.defaultPort ?? 80;
  this.protocol = this.options.protocol ?? 'http:';
  this.keepAlive = Boolean(this.options.keepAlive);
  this.keepAliveMsecs = this.options.keepAliveMsecs ?? 1000;
  this.maxSockets = this.options.maxSockets ?? Infinity;
  this.maxFreeSockets = this.options.maxFreeSockets ?? 256;
  this.maxTotalSockets = this.options.maxTotalSockets ?? Infinity;
  this.scheduling = this.options.scheduling ?? 'lifo';
  this.sockets = Object.create(null);
  this.freeSockets = Object.create(null);
  this.requests = Object.create(null);
  this.totalSocketCount = 0;
}
Object.setPrototypeOf(Agent.prototype, EventEmitter.prototype);
Object.setPrototypeOf(Agent, EventEmitter);
Agent.defaultMaxSockets = Infinity;
Agent.prototype.destroy = function () {};
Agent.prototype.getName = function (options = {}) {
  return `${options.host || 'localhost'}:${options.port || ''}:${options.localAddress || ''}`;
};
Agent.prototype.createConnection = function () {
  throw notImplemented('Agent.createConnection');
};
Agent.prototype.keepSocketAlive = function () {
  return true;
};
Agent.prototype.reuseSocket = function () {};

export const globalAgent = new Agent();

// ---- ClientRequest ---------------------------------------------------------

const kChunks = Symbol('kChunks');
const kAbort = Symbol('kAbort');
const kTimer = Symbol('kTimer');
const kUrl = Symbol('kUrl');

const INVALID_PATH = /[\u0000-\u0020]/;

/** Why a fetch failed, as the `code` Node.js gives the same failure. */
function errorCode(message) {
  if (/connection refused/i.test(message)) return 'ECONNREFUSED';
  if (/DNS lookup/i.test(message)) return 'ENOTFOUND';
  if (/timed out/i.test(message)) return 'ETIMEDOUT';
  if (/reset/i.test(message)) return 'ECONNRESET';
  return undefined;
}

/** An HTTP request sent with fetch() when it ends; a Writable-like OutgoingMessage. */
export function ClientRequest(input, options, cb) {
  if (!(this instanceof ClientRequest)) return new ClientRequest(input, options, cb);
  OutgoingMessage.call(this);
  if (typeof input === 'string') {
    input = urlToHttpOptions(new URL(input));
  } else if (input instanceof URL) {
    input = urlToHttpOptions(input);
  } else {
    cb = options;
    options = input;
    input = null;
  }
  if (typeof options === 'function') {
    cb = options;
    options = undefined;
  }
  options = Object.assign({}, input, options);

  const defaultAgent = options._defaultAgent || globalAgent;
  let agent = options.agent;
  if (agent === false) agent = new defaultAgent.constructor();
  else if (agent == null) agent = typeof options.createConnection === 'function' ? undefined : defaultAgent;
  else if (typeof agent.addRequest !== 'function' && !(agent instanceof Agent)) {
    throw invalidArgType('options.agent', ['Agent-like Object', 'undefined', 'false'], agent);
  }
  this.agent = agent;
  const defaultPort = options.defaultPort || agent?.defaultPort || 80;
  const protocol = options.protocol || defaultAgent.protocol;
  const expected = agent?.protocol ?? defaultAgent.protocol;
  if (protocol !== expected) {
    throw nodeError(TypeError, 'ERR_INVALID_PROTOCOL', `Protocol "${protocol}" not supported. Expected "${expected}"`);
  }
  const port = Number(options.port || defaultPort);
  const host = options.hostname || options.host || 'localhost';
  const path = options.path || '/';
  if (INVALID_PATH.test(path)) {
    throw nodeError(TypeError, 'ERR_UNESCAPED_CHARACTERS', 'Request path contains unescaped characters');
  }
  let method = options.method;
  if (method != null && typeof method !== 'string') throw invalidArgType('options.method', 'string', method);
  method = method ? method.toUpperCase() : 'GET';
  validateHeaderName(method, 'Method');

  this.method = method;
  this.path = path;
  this.host = host;
  this.protocol = protocol;
  this.port = port;
  this.aborted = false;
  this.reusedSocket = false;
  this.maxHeadersCount = null;
  this.res = null;
  this.timeout = undefined;
  this[kChunks] = [];
  this[kAbort] = new AbortController();
  this[kTimer] = null;
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  this[kUrl] = `${protocol}//${hostPart}:${port}${path.startsWith('/') ? path : `/${path}`}`;

  if (options.headers) this.addHeaders(options.headers);
  if (options.auth && !this.hasHeader('authorization')) {
    this.setHeader('Authorization', `Basic ${Buffer.from(options.auth).toString('base64')}`);
  }
  if (options.timeout !== undefined) this.setTimeout(options.timeout);
  if (cb) this.once('response', cb);
  if (options.signal) {
    const signal = options.signal;
    const onAbort = () => this.destroy(new AbortError(undefined, { cause: signal.reason }));
    if (signal.aborted) later(onAbort);
    else addAbortListener(signal, onAbort);
  }
  this.socket = fakeSocket(this, {
    remoteAddress: host,
    encrypted: protocol === 'https:',
    localAddress: '127.0.0.1',
    localPort: 0,
  });
  later(() => {
    if (!this.destroyed) this.emit('socket', this.socket);
  });
}
Object.setPrototypeOf(ClientRequest.prototype, OutgoingMessage.prototype);
Object.setPrototypeOf(ClientRequest, OutgoingMessage);

Object.defineProperty(ClientRequest.prototype, 'connection', {
  get() {
    return this.socket;
  },
  configurable: true,
});

ClientRequest.prototype.write = function (chunk, encoding, cb) {
  if (typeof encoding === 'function') {
    cb = encoding;
    encoding = undefined;
  }
  if (this.writableEnded) {
    const err = nodeError(Error, 'ERR_STREAM_WRITE_AFTER_END', 'write after end');
    later(() => {
      if (cb) cb(err);
      this.emit('error', err);
    });
    return false;
  }
  if (chunk === null) throw nodeError(TypeError, 'ERR_STREAM_NULL_VALUES', 'May not write null values to stream');
  this[kChunks].push(Buffer.from(chunkBytes(chunk, encoding)));
  if (cb) later(() => cb(null));
  return true;
};

// `end([chunk][, encoding][, cb])`, as Node reads its optional arguments.
function endArguments([chunk, encoding, cb]) {
  if (typeof chunk === 'function') return [undefined, undefined, chunk];
  if (typeof encoding === 'function') return [chunk, undefined, encoding];
  return [chunk, encoding, cb];
}

ClientRequest.prototype.end = function (...args) {
  const [chunk, encoding, cb] = endArguments(args);
  if (this.writableEnded) {
    if (cb) later(cb);
    return this;
  }
  if (chunk != null) this.write(chunk, encoding);
  this.writableEnded = true;
  this.finished = true;
  this.writable = false;
  if (cb) this.once('finish', cb);
  send(this);
  return this;
};

function send(req) {
  if (req.destroyed) return;
  req.headersSent = true;
  const chunks = req[kChunks];
  req[kChunks] = [];
  const body = chunks.length ? Buffer.concat(chunks) : null;
  const init = {
    method: req.method,
    headers: toFetchHeaders(req.headerStore(), { dropHost: true }),
    redirect: 'manual',
    signal: req[kAbort].signal,
  };
  // fetch() refuses a body on GET and HEAD; Node.js sends none for an empty one.
  if (body && body.byteLength) init.body = body;
  later(() => {
    req.writableFinished = true;
    req.emit('prefinish');
    req.emit('finish');
  });
  fetch(req[kUrl], init).then(
    (response) => {
      if (req.destroyed) {
        response.body?.cancel().catch(() => {});
        return;
      }
      clearTimer(req);
      const res = new IncomingMessage(req.socket);
      res.req = req;
      res.statusCode = response.status;
      res.statusMessage = response.statusText || STATUS_CODES[response.status] || '';
      setIncomingHeaders(res, response.headers);
      setIncomingBody(res, response.body);
      req.res = res;
      res.once('end', () => {
        later(() => req.emit('close'));
      });
      // Nobody listening: read the body away so the request completes, as Node.js does.
      if (!req.emit('response', res)) res.resume();
    },
    (cause) => {
      clearTimer(req);
      if (req.destroyed) return;
      const message = cause?.message ?? String(cause);
      const code = errorCode(message);
      const err = code ? nodeError(Error, code, message, { cause }) : cause;
      req.destroy(err);
    },
  );
}

function clearTimer(req) {
  if (req[kTimer]) {
    clearTimeout(req[kTimer]);
    req[kTimer] = null;
  }
}

ClientRequest.prototype.setTimeout = function (msecs, callback) {
  if (callback) this.once('timeout', callback);
  clearTimer(this);
  this.timeout = msecs;
  if (msecs > 0 && !this.res) {
    this[kTimer] = setTimeout(() => {
      this[kTimer] = null;
      this.emit('timeout');
    }, msecs);
  }
  return this;
};

ClientRequest.prototype.setNoDelay = function () {};
ClientRequest.prototype.setSocketKeepAlive = function () {};

ClientRequest.prototype.abort = function () {
  if (this.aborted) return;
  this.aborted = true;
  later(() => this.emit('abort'));
  this.destroy();
};

ClientRequest.prototype.destroy = function (err) {
  if (this.destroyed) return this;
  this.destroyed = true;
  this.writable = false;
  clearTimer(this);
  this[kAbort].abort(err);
  if (this.res && !this.res.complete) this.res.destroy(err);
  later(() => {
    if (err) this.emit('error', err);
    this.emit('close');
  });
  return this;
};

export function request(url, options, cb) {
  return new ClientRequest(url, options, cb);
}

export function get(url, options, cb) {
  const req = request(url, options, cb);
  req.end();
  return req;
}

// ---- ServerResponse --------------------------------------------------------

const kState = Symbol('kState');

/** The response to one request: its writes become a streamed fetch Response. */
export function ServerResponse(req, options) {
  if (!(this instanceof ServerResponse)) return new ServerResponse(req, options);
  OutgoingMessage.call(this, options);
  this.req = req;
  this.socket = req?.socket ?? null;
  this.statusCode = 200;
  this.statusMessage = undefined;
  this.sendDate = true;
  this._hasBody = req?.method !== 'HEAD';
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  this[kState] = { promise, resolve, reject, responded: false, controller: null, cancelled: false };
}
Object.setPrototypeOf(ServerResponse.prototype, OutgoingMessage.prototype);
Object.setPrototypeOf(ServerResponse, OutgoingMessage);

Object.defineProperty(ServerResponse.prototype, 'connection', {
  get() {
    return this.socket;
  },
  configurable: true,
});

ServerResponse.prototype.writeHead = function (statusCode, reason, headers) {
  if (this.headersSent) {
    throw nodeError(Error, 'ERR_HTTP_HEADERS_SENT', 'Cannot write headers after they are sent to the client');
  }
  const original = statusCode;
  statusCode |= 0;
  if (statusCode < 100 || statusCode > 999) {
    throw nodeError(RangeError, 'ERR_HTTP_INVALID_STATUS_CODE', `Invalid status code: ${original}`);
  }
  if (typeof reason === 'string') this.statusMessage = reason;
  else headers = reason;
  this.statusCode = statusCode;
  if (headers) this.addHeaders(headers);
  this.headersSent = true;
  this._headerSent = true;
  return this;
};

ServerResponse.prototype.writeContinue = function (cb) {
  if (cb) later(cb);
};
ServerResponse.prototype.writeProcessing = function (cb) {
  if (cb) later(cb);
};
ServerResponse.prototype.writeEarlyHints = function (hints, cb) {
  if (cb) later(cb);
};
ServerResponse.prototype.assignSocket = function (socket) {
  this.socket = socket;
  this.emit('socket', socket);
};
ServerResponse.prototype.detachSocket = function () {
  this.socket = null;
};

// 1xx, 204, 205 and 304 responses carry no body; neither does the answer to HEAD.
function bodyAllowed(res) {
  const s = res.statusCode;
  return res._hasBody && s !== 204 && s !== 205 && s !== 304 && !(s >= 100 && s < 200);
}

/** Hands the Response (its head, and `body`) to the fetch handler, once. */
function respond(res, body) {
  const state = res[kState];
  if (state.responded) return;
  state.responded = true;
  res.headersSent = true;
  res._headerSent = true;
  const headers = toFetchHeaders(res.headerStore());
  if (res.sendDate && !res.hasHeader('date')) headers.push(['date', new Date().toUTCString()]);
  const status = res.statusCode;
  try {
    state.resolve(
      new Response(bodyAllowed(res) ? body : null, {
        status,
        statusText: res.statusMessage || STATUS_CODES[status] || '',
        headers,
      }),
    );
  } catch (err) {
    state.reject(err);
  }
}

function openStream(res) {
  const state = res[kState];
  if (state.responded) return;
  const stream = new ReadableStream(
    {
      start(controller) {
        state.controller = controller;
      },
      pull() {
        if (res.writableNeedDrain) {
          res.writableNeedDrain = false;
          res.emit('drain');
        }
      },
      cancel() {
        // The client went away: later writes are dropped.
        state.cancelled = true;
        state.controller = null;
        if (!res.writableFinished) res.destroy();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: res.writableHighWaterMark }),
  );
  respond(res, stream);
}

ServerResponse.prototype.flushHeaders = function () {
  openStream(this);
};

ServerResponse.prototype.write = function (chunk, encoding, cb) {
  if (typeof encoding === 'function') {
    cb = encoding;
    encoding = undefined;
  }
  if (this.writableEnded || this.destroyed) {
    const err = this.destroyed
      ? nodeError(Error, 'ERR_STREAM_DESTROYED', 'Cannot call write after a stream was destroyed')
      : nodeError(Error, 'ERR_STREAM_WRITE_AFTER_END', 'write after end');
    later(() => {
      if (cb) cb(err);
      if (!this.destroyed) this.emit('error', err);
    });
    return false;
  }
  if (chunk === null) throw nodeError(TypeError, 'ERR_STREAM_NULL_VALUES', 'May not write null values to stream');
  const bytes = chunkBytes(chunk, encoding);
  openStream(this);
  const state = this[kState];
  let ok = true;
  if (state.controller && bodyAllowed(this) && bytes.byteLength) {
    // A copy: the caller may reuse its buffer once write() returns.
    state.controller.enqueue(new Uint8Array(bytes));
    ok = state.controller.desiredSize > 0;
    if (!ok) this.writableNeedDrain = true;
  }
  if (cb) later(() => cb(null));
  return ok;
};

ServerResponse.prototype.end = function (...args) {
  const [chunk, encoding, cb] = endArguments(args);
  if (this.writableEnded) {
    if (cb) later(cb);
    return this;
  }
  const bytes = chunk != null ? chunkBytes(chunk, encoding) : null;
  this.writableEnded = true;
  this.finished = true;
  this.writable = false;
  const state = this[kState];
  if (!state.responded) {
    respond(this, bytes && bytes.byteLength ? new Uint8Array(bytes) : null);
  } else if (state.controller) {
    if (bytes && bytes.byteLength && bodyAllowed(this)) state.controller.enqueue(new Uint8Array(bytes));
    state.controller.close();
    state.controller = null;
  }
  if (cb) this.once('finish', cb);
  later(() => {
    this.writableFinished = true;
    this.emit('prefinish');
    this.emit('finish');
    later(() => this.emit('close'));
  });
  return this;
};

ServerResponse.prototype.destroy = function (err) {
  if (this.destroyed) return this;
  this.destroyed = true;
  this.writable = false;
  const state = this[kState];
  if (!state.responded) {
    state.responded = true;
    state.reject(err ?? nodeError(Error, 'ERR_STREAM_PREMATURE_CLOSE', 'The response was destroyed before it was sent'));
  } else if (state.controller) {
    state.controller.error(err ?? new Error('The response was destroyed'));
    state.controller = null;
  }
  later(() => {
    if (err && this.listenerCount('error')) this.emit('error', err);
    this.emit('close');
  });
  return this;
};

// ---- Server ----------------------------------------------------------------

const kPort = Symbol('kPort');

function validatePort(port) {
  const n = typeof port === 'string' && port.trim() !== '' ? Number(port) : port;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw nodeError(RangeError, 'ERR_SOCKET_BAD_PORT', `options.port should be >= 0 and < 65536. Received ${port}.`);
  }
  return n;
}

/** An HTTP server with no socket: `listen(port)` registers it for cloudflare:node. */
export function Server(options, requestListener) {
  if (!(this instanceof Server)) return new Server(options, requestListener);
  if (!serverModulesOn()) throw notImplemented('Server');
  EventEmitter.call(this);
  if (typeof options === 'function') {
    requestListener = options;
    options = {};
  } else if (options == null) {
    options = {};
  } else if (typeof options !== 'object') {
    throw invalidArgType('options', 'object', options);
  }
  this.IncomingMessage = options.IncomingMessage || IncomingMessage;
  this.ServerResponse = options.ServerResponse || ServerResponse;
  this.timeout = 0;
  this.keepAliveTimeout = 5000;
  this.headersTimeout = 60000;
  this.requestTimeout = 300000;
  this.maxHeadersCount = null;
  this.maxRequestsPerSocket = 0;
  this.highWaterMark = options.highWaterMark;
  this[kPort] = null;
  if (requestListener) this.on('request', requestListener);
}
Object.setPrototypeOf(Server.prototype, EventEmitter.prototype);
Object.setPrototypeOf(Server, EventEmitter);

Server.prototype.listen = function (...args) {
  const callback = typeof args[args.length - 1] === 'function' ? args.pop() : null;
  let port = args[0];
  if (port !== null && typeof port === 'object') port = port.port;
  port = port == null ? 0 : validatePort(port);
  if (this[kPort] != null || servers.has(port)) {
    throw nodeError(Error, 'ERR_SERVER_ALREADY_LISTEN', 'Listen method has been called more than once without closing.');
  }
  if (port === 0) {
    // As workerd: any free number, since no real port is bound.
    do {
      port = 1024 + Math.floor(Math.random() * (65536 - 1024));
    } while (servers.has(port));
  }
  this[kPort] = port;
  servers.set(port, (request, env, ctx) => handle(this, request, env, ctx));
  if (callback) this.once('listening', callback);
  later(() => this.emit('listening'));
  return this;
};

Server.prototype.close = function (callback) {
  if (this[kPort] != null) {
    servers.delete(this[kPort]);
    this[kPort] = null;
  }
  if (typeof callback === 'function') this.once('close', callback);
  later(() => this.emit('close'));
  return this;
};

Server.prototype.address = function () {
  if (this[kPort] == null) return null;
  return { port: this[kPort], family: 'IPv4', address: '127.0.0.1' };
};

Object.defineProperty(Server.prototype, 'listening', {
  get() {
    return this[kPort] != null;
  },
  configurable: true,
});

Server.prototype.setTimeout = function (msecs, callback) {
  if (typeof msecs === 'function') {
    callback = msecs;
  } else if (typeof msecs === 'number') {
    this.timeout = msecs;
  }
  if (typeof callback === 'function') this.once('timeout', callback);
  return this;
};
Server.prototype.closeAllConnections = function () {};
Server.prototype.closeIdleConnections = function () {};
Server.prototype.ref = function () {
  return this;
};
Server.prototype.unref = function () {
  return this;
};
Server.prototype.getConnections = function (callback) {
  if (callback) later(() => callback(null, 0));
  return this;
};
Server.prototype[Symbol.asyncDispose] = function () {
  return new Promise((resolve) => this.close(resolve));
};

/** One Request through the server's 'request' listeners, to a Response. */
function handle(server, request, env, ctx) {
  // request.url is absolute and serialized: its path starts at the first '/'
  // after the authority (cheaper than parsing it again with URL).
  const href = request.url;
  const pathStart = href.indexOf('/', href.indexOf('//') + 2);
  const hash = href.indexOf('#');
  const req = new server.IncomingMessage(null);
  req.socket = fakeSocket(req, {
    remoteAddress: request.headers.get('cf-connecting-ip') ?? '127.0.0.1',
    encrypted: href.startsWith('https:') || request.headers.get('x-forwarded-proto') === 'https',
    localAddress: request.headers.get('host') ?? '127.0.0.1',
    localPort: server[kPort],
  });
  setIncomingHeaders(req, request.headers);
  req.method = request.method;
  req.url = pathStart < 0 ? '/' : href.slice(pathStart, hash < 0 ? undefined : hash);
  setIncomingBody(req, request.body);
  req.cloudflare = { env, ctx, cf: request.cf };
  const res = new server.ServerResponse(req, { highWaterMark: server.highWaterMark });
  res.socket = req.socket;
  try {
    server.emit('connection', req.socket);
    server.emit('request', req, res);
  } catch (err) {
    res.destroy(err);
    throw err;
  }
  return res[kState].promise;
}

export function createServer(options, requestListener) {
  if (!serverModulesOn()) throw notImplemented('createServer');
  return new Server(options, requestListener);
}

export function setMaxIdleHTTPParsers() {
  throw notImplemented('setMaxIdleHTTPParsers');
}

export function _connectionListener() {
  throw notImplemented('_connectionListener');
}

export const WebSocket = globalThis.WebSocket;
export const CloseEvent = globalThis.CloseEvent;
export const MessageEvent = globalThis.MessageEvent;

export {
  METHODS,
  STATUS_CODES,
  maxHeaderSize,
  validateHeaderName,
  validateHeaderValue,
  OutgoingMessage,
  IncomingMessage,
};

export default {
  METHODS,
  STATUS_CODES,
  maxHeaderSize,
  validateHeaderName,
  validateHeaderValue,
  Agent,
  globalAgent,
  ClientRequest,
  request,
  get,
  OutgoingMessage,
  IncomingMessage,
  Server,
  ServerResponse,
  createServer,
  setMaxIdleHTTPParsers,
  _connectionListener,
  WebSocket,
  CloseEvent,
  MessageEvent,
};

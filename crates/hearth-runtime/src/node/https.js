// node:https — node:http's client with `https:` defaults (TLS is fetch's,
// with the runtime's CA bundle), and the same socket-less server: TLS for
// incoming requests ends in front of the worker, as on Cloudflare.
import {
  Agent as HttpAgent,
  ClientRequest,
  Server,
  createServer,
} from 'node:http';

/** The https Agent: Node's shape, port 443 and the `https:` protocol. */
export function Agent(options) {
  if (!(this instanceof Agent)) return new Agent(options);
  HttpAgent.call(this, { defaultPort: 443, protocol: 'https:', ...options });
}
Object.setPrototypeOf(Agent.prototype, HttpAgent.prototype);
Object.setPrototypeOf(Agent, HttpAgent);

export const globalAgent = new Agent();

function withDefaults(url, options, cb) {
  if (typeof url === 'string' || url instanceof URL) {
    if (typeof options === 'function') return [url, { _defaultAgent: globalAgent }, options];
    return [url, { ...options, _defaultAgent: globalAgent }, cb];
  }
  return [{ ...url, _defaultAgent: globalAgent }, options, cb];
}

export function request(url, options, cb) {
  return new ClientRequest(...withDefaults(url, options, cb));
}

export function get(url, options, cb) {
  const req = request(url, options, cb);
  req.end();
  return req;
}

export { Server, createServer };

export default { Agent, globalAgent, request, get, Server, createServer };

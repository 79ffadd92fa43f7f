// cloudflare:node — hands fetch requests to the node:http servers that
// called `listen(port)` in this isolate, as on Cloudflare Workers:
// `export default httpServerHandler({ port: 8080 })` (or the server itself).
import { internal } from 'hearth:internal';

function validatePort(port) {
  if (!Number.isFinite(port) || port < 0 || port > 65535) {
    throw new Error('Failed to determine port for server');
  }
  return port;
}

/** Runs `request` through the server listening on `desc` (a port or `{ port }`). */
export async function handleAsNodeRequest(desc, request, env, ctx) {
  if (typeof desc === 'number') desc = { port: desc };
  const port = validatePort(desc?.port);
  const handler = internal.httpServers?.get(port);
  if (!handler) {
    const err = new Error(
      `Http server with port ${port} not found. This is likely a bug with your code. ` +
        `You should check if server.listen() was called with the same port (${port})`,
    );
    err.code = 'ERR_INVALID_ARG_VALUE';
    throw err;
  }
  return await handler(request, env, ctx);
}

/**
 * A fetch handler for a port, `{ port }`, or a server (listened on here if
 * it is not yet: workerd picks the port synchronously, and so does hearth).
 */
export function httpServerHandler(desc) {
  if (typeof desc === 'number') desc = { port: desc };
  if (desc == null) throw new Error('Server descriptor cannot be null or undefined');
  let port = null;
  if (desc.port == null && typeof desc.listen === 'function') {
    if (typeof desc.address()?.port !== 'number') desc.listen();
    port = desc.address()?.port ?? null;
  } else if (typeof desc.port === 'number') {
    port = desc.port;
  }
  port = validatePort(port);
  return {
    async fetch(request, env, ctx) {
      return await handleAsNodeRequest(port, request, env, ctx);
    },
  };
}

export default { httpServerHandler, handleAsNodeRequest };

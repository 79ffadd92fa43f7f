// The `cloudflare:sockets` module: re-exports connect() from sockets.js.
export const connect = globalThis.__hearth_internal.connect;
export default { connect };

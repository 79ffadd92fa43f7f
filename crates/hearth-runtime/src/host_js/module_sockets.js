// The `cloudflare:sockets` module. Outbound TCP is not implemented yet; the
// import succeeds so workers that only sometimes connect still load.
export function connect() {
  throw new Error('connect() from cloudflare:sockets is not supported by hearth yet (see docs/compatibility.md)');
}
export default { connect };

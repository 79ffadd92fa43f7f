// The `cloudflare:sockets` module: re-exports connect() from sockets.js.
import { internal } from 'hearth:internal';
export const connect = internal.connect;
export default { connect };

// redis-lite: a small Redis-protocol (RESP2) server as a Socket Worker, with
// its data in Workers KV. Supports PING, ECHO, SET (EX/PX/NX/XX), GET, DEL,
// EXISTS, EXPIRE, TTL, COMMAND and QUIT; works with the real redis-cli.
//
// KV only expires keys after 60 s or more, so the exact expiry time is kept
// in the key's metadata and checked on every read; KV's own expirationTtl
// (at least 60 s) cleans up eventually.
import { RespParser, simple, error, integer, bulk, array } from './resp.js';

export default {
  async connect(socket, env) {
    const writer = socket.writable.getWriter();
    const parser = new RespParser();
    for await (const chunk of socket.readable) {
      parser.push(chunk);
      const replies = [];
      let args;
      while ((args = parser.next()) !== null) {
        if (args.length === 0) continue;
        if (args[0].toUpperCase() === 'QUIT') {
          await writer.write(concatAll([...replies, simple('OK')]));
          await socket.close();
          return;
        }
        replies.push(await run(env.KV, args));
      }
      // Pipelined commands are answered with one write.
      if (replies.length > 0) await writer.write(concatAll(replies));
    }
    await writer.close().catch(() => {});
  },

  async fetch() {
    return new Response('redis-lite: a RESP server backed by KV. Try `redis-cli -p 6380 PING`.\n');
  },
};

const commands = {
  PING: (kv, args) => (args.length > 1 ? bulk(args[1]) : simple('PONG')),
  ECHO: (kv, args) => (args.length === 2 ? bulk(args[1]) : arity('echo')),
  COMMAND: () => array([]),
  async GET(kv, args) {
    if (args.length !== 2) return arity('get');
    const entry = await read(kv, args[1]);
    return bulk(entry ? entry.value : null);
  },
  async SET(kv, args) {
    if (args.length < 3) return arity('set');
    const [, key, value, ...opts] = args;
    let ttlMs = null;
    let mode = null;
    for (let i = 0; i < opts.length; i++) {
      const opt = opts[i].toUpperCase();
      if (opt === 'EX' || opt === 'PX') {
        const n = Number(opts[++i]);
        if (!Number.isInteger(n) || n <= 0) return error('ERR invalid expire time in \'set\' command');
        ttlMs = opt === 'EX' ? n * 1000 : n;
      } else if (opt === 'NX' || opt === 'XX') {
        mode = opt;
      } else {
        return error('ERR syntax error');
      }
    }
    if (mode) {
      const exists = (await read(kv, key)) !== null;
      if ((mode === 'NX' && exists) || (mode === 'XX' && !exists)) return bulk(null);
    }
    await write(kv, key, value, ttlMs === null ? null : Date.now() + ttlMs);
    return simple('OK');
  },
  async DEL(kv, args) {
    if (args.length < 2) return arity('del');
    let removed = 0;
    for (const key of args.slice(1)) {
      if ((await read(kv, key)) !== null) {
        await kv.delete(key);
        removed++;
      }
    }
    return integer(removed);
  },
  async EXISTS(kv, args) {
    if (args.length < 2) return arity('exists');
    let found = 0;
    for (const key of args.slice(1)) if ((await read(kv, key)) !== null) found++;
    return integer(found);
  },
  async EXPIRE(kv, args) {
    if (args.length !== 3) return arity('expire');
    const seconds = Number(args[2]);
    if (!Number.isInteger(seconds)) return error('ERR value is not an integer or out of range');
    const entry = await read(kv, args[1]);
    if (entry === null) return integer(0);
    if (seconds <= 0) await kv.delete(args[1]);
    else await write(kv, args[1], entry.value, Date.now() + seconds * 1000);
    return integer(1);
  },
  async TTL(kv, args) {
    if (args.length !== 2) return arity('ttl');
    const entry = await read(kv, args[1]);
    if (entry === null) return integer(-2);
    if (entry.expiresAt === null) return integer(-1);
    return integer(Math.max(0, Math.round((entry.expiresAt - Date.now()) / 1000)));
  },
};

async function run(kv, args) {
  const command = commands[args[0].toUpperCase()];
  if (!command) {
    const shown = args.slice(1).map((a) => `'${a}'`).join(' ');
    return error(`ERR unknown command '${args[0]}', with args beginning with: ${shown}`);
  }
  try {
    return await command(kv, args);
  } catch (err) {
    return error(`ERR ${err && err.message ? err.message : err}`);
  }
}

function arity(name) {
  return error(`ERR wrong number of arguments for '${name}' command`);
}

// A live entry `{ value, expiresAt }`, or null when missing or expired.
async function read(kv, key) {
  const { value, metadata } = await kv.getWithMetadata(key);
  if (value === null) return null;
  const expiresAt = metadata && typeof metadata.expiresAt === 'number' ? metadata.expiresAt : null;
  if (expiresAt !== null && Date.now() >= expiresAt) {
    await kv.delete(key);
    return null;
  }
  return { value, expiresAt };
}

async function write(kv, key, value, expiresAt) {
  const options = { metadata: { expiresAt } };
  if (expiresAt !== null) options.expirationTtl = Math.max(60, Math.ceil((expiresAt - Date.now()) / 1000));
  await kv.put(key, value, options);
}

function concatAll(parts) {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

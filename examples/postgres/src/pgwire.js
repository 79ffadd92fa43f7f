// A minimal PostgreSQL client over `connect()` from cloudflare:sockets:
// the v3 wire protocol with trust, cleartext-password and SCRAM-SHA-256
// authentication, simple queries (several statements, no parameters) and
// extended-protocol queries with $1..$n text parameters.
//
// It exists because hearth can run this example without any npm driver; with
// a driver that supports Workers (e.g. `pg` with nodejs_compat) you would use
// that instead.
import { connect } from 'cloudflare:sockets';

const enc = new TextEncoder();
const dec = new TextDecoder();

export class PostgresError extends Error {
  constructor(fields) {
    super(fields.M || 'PostgreSQL error');
    this.name = 'PostgresError';
    this.code = fields.C; // SQLSTATE, e.g. 23505 unique_violation
    this.severity = fields.S;
    this.detail = fields.D;
  }
}

export class Client {
  #socket;
  #writer;
  #reader;
  #buf = new Uint8Array(0);
  #queue = Promise.resolve();
  parameters = {};

  // `postgres://user:password@host:port/database`
  static async connect(url) {
    const client = new Client();
    await client.#open(new URL(url));
    return client;
  }

  async #open(url) {
    const user = decodeURIComponent(url.username || 'postgres');
    const password = decodeURIComponent(url.password || '');
    const database = decodeURIComponent(url.pathname.slice(1) || user);
    this.#socket = connect({ hostname: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 5432) });
    this.#writer = this.#socket.writable.getWriter();
    this.#reader = this.#socket.readable.getReader();
    await this.#socket.opened;
    // StartupMessage: protocol 3.0 and key/value pairs.
    const params = cstrings(['user', user, 'database', database, 'client_encoding', 'UTF8', '']);
    const body = new Uint8Array(4 + params.length);
    new DataView(body.buffer).setInt32(0, 196608);
    body.set(params, 4);
    await this.#writer.write(frame(null, body));
    let scram = null;
    for (;;) {
      const [type, data] = await this.#message();
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      if (type === 'R') {
        const kind = view.getInt32(0);
        if (kind === 0) continue; // AuthenticationOk
        if (kind === 3) {
          await this.#writer.write(frame('p', cstrings([password])));
        } else if (kind === 10) {
          const mechanisms = dec.decode(data.subarray(4)).split('\0');
          if (!mechanisms.includes('SCRAM-SHA-256')) throw new Error(`unsupported SASL mechanisms: ${mechanisms.join(', ')}`);
          scram = await scramStart();
          const first = enc.encode(scram.clientFirst);
          const msg = concat([cstrings(['SCRAM-SHA-256']), int32(first.length), first]);
          await this.#writer.write(frame('p', msg));
        } else if (kind === 11) {
          const final = await scramContinue(scram, dec.decode(data.subarray(4)), password);
          await this.#writer.write(frame('p', enc.encode(final)));
        } else if (kind === 12) {
          // SASLFinal: the server proved it knows the password.
          if (dec.decode(data.subarray(4)) !== scram.expectedServerFinal) throw new Error('SCRAM: the server signature does not match');
        } else {
          throw new Error(`unsupported authentication method ${kind} (pgwire.js supports trust, password and SCRAM-SHA-256)`);
        }
      } else if (type === 'S') {
        const [k, v] = dec.decode(data).split('\0');
        this.parameters[k] = v;
      } else if (type === 'K') {
        // BackendKeyData: only needed for cancel requests.
      } else if (type === 'E') {
        throw new PostgresError(errorFields(data));
      } else if (type === 'Z') {
        return;
      }
    }
  }

  // Runs `sql`; with `params` it uses the extended protocol ($1, $2, ...).
  // Resolves to { rows, command, rowCount } of the last statement.
  query(sql, params) {
    const run = () => (params && params.length ? this.#extended(sql, params) : this.#simple(sql));
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => {});
    return result;
  }

  async end() {
    try {
      await this.#writer.write(frame('X', new Uint8Array(0)));
    } catch (_) {}
    await this.#socket.close();
  }

  async #simple(sql) {
    await this.#writer.write(frame('Q', cstrings([sql])));
    return this.#results();
  }

  async #extended(sql, params) {
    const values = params.map((p) => (p === null || p === undefined ? null : enc.encode(typeof p === 'object' ? JSON.stringify(p) : String(p))));
    const bind = [cstrings(['', '']), int16(0), int16(values.length)];
    for (const v of values) {
      if (v === null) bind.push(int32(-1));
      else bind.push(int32(v.length), v);
    }
    bind.push(int16(0));
    await this.#writer.write(
      concat([
        frame('P', concat([cstrings(['', sql]), int16(0)])),
        frame('B', concat(bind)),
        frame('D', concat([enc.encode('P'), new Uint8Array([0])])),
        frame('E', concat([new Uint8Array([0]), int32(0)])),
        frame('S', new Uint8Array(0)),
      ])
    );
    return this.#results();
  }

  // Reads messages up to ReadyForQuery; throws the first error after it.
  async #results() {
    let fields = [];
    let rows = [];
    let result = { rows: [], command: '', rowCount: 0 };
    let error = null;
    for (;;) {
      const [type, data] = await this.#message();
      if (type === 'T') {
        fields = rowDescription(data);
        rows = [];
      } else if (type === 'D') {
        rows.push(dataRow(data, fields));
      } else if (type === 'C') {
        const tag = dec.decode(data.subarray(0, data.length - 1));
        const count = Number(tag.split(' ').pop());
        result = { rows, command: tag.split(' ')[0], rowCount: Number.isFinite(count) ? count : rows.length };
        rows = [];
        fields = [];
      } else if (type === 'E') {
        error = error || new PostgresError(errorFields(data));
      } else if (type === 'Z') {
        if (error) throw error;
        return result;
      }
      // '1' ParseComplete, '2' BindComplete, 'n' NoData, 'I' EmptyQuery, 'N' notices: nothing to do.
    }
  }

  async #message() {
    for (;;) {
      if (this.#buf.length >= 5) {
        const len = new DataView(this.#buf.buffer, this.#buf.byteOffset + 1, 4).getInt32(0);
        if (this.#buf.length >= len + 1) {
          const type = String.fromCharCode(this.#buf[0]);
          const data = this.#buf.subarray(5, len + 1);
          this.#buf = this.#buf.subarray(len + 1);
          return [type, data];
        }
      }
      const { done, value } = await this.#reader.read();
      if (done) throw new Error('the PostgreSQL server closed the connection');
      this.#buf = this.#buf.length ? concat([this.#buf, value]) : value;
    }
  }
}

const TYPES = {
  16: (s) => s === 't',
  20: (s) => (Number.isSafeInteger(Number(s)) ? Number(s) : s),
  21: Number,
  23: Number,
  700: Number,
  701: Number,
  114: JSON.parse,
  3802: JSON.parse,
};

function rowDescription(data) {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const count = view.getInt16(0);
  const fields = [];
  let at = 2;
  for (let i = 0; i < count; i++) {
    const end = data.indexOf(0, at);
    const name = dec.decode(data.subarray(at, end));
    at = end + 1;
    const oid = view.getInt32(at + 6);
    fields.push({ name, parse: TYPES[oid] || ((s) => s) });
    at += 18;
  }
  return fields;
}

function dataRow(data, fields) {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const count = view.getInt16(0);
  const row = {};
  let at = 2;
  for (let i = 0; i < count; i++) {
    const len = view.getInt32(at);
    at += 4;
    const field = fields[i];
    if (len < 0) {
      row[field.name] = null;
    } else {
      row[field.name] = field.parse(dec.decode(data.subarray(at, at + len)));
      at += len;
    }
  }
  return row;
}

function errorFields(data) {
  const fields = {};
  let at = 0;
  while (at < data.length && data[at] !== 0) {
    const end = data.indexOf(0, at + 1);
    fields[String.fromCharCode(data[at])] = dec.decode(data.subarray(at + 1, end));
    at = end + 1;
  }
  return fields;
}

// ---- SCRAM-SHA-256 (RFC 5802/7677) with WebCrypto.

async function scramStart() {
  const nonce = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(18))));
  const bare = `n=*,r=${nonce}`;
  return { nonce, bare, clientFirst: `n,,${bare}` };
}

async function scramContinue(state, serverFirst, password) {
  const attrs = Object.fromEntries(serverFirst.split(',').map((kv) => [kv[0], kv.slice(2)]));
  if (!attrs.r.startsWith(state.nonce)) throw new Error('SCRAM: the server nonce does not extend ours');
  const salt = Uint8Array.from(atob(attrs.s), (c) => c.charCodeAt(0));
  const salted = await pbkdf2(enc.encode(password), salt, Number(attrs.i));
  const clientKey = await hmac(salted, 'Client Key');
  const storedKey = new Uint8Array(await crypto.subtle.digest('SHA-256', clientKey));
  const withoutProof = `c=biws,r=${attrs.r}`;
  const authMessage = `${state.bare},${serverFirst},${withoutProof}`;
  const signature = await hmac(storedKey, authMessage);
  const proof = clientKey.map((b, i) => b ^ signature[i]);
  const serverKey = await hmac(salted, 'Server Key');
  state.expectedServerFinal = `v=${b64(await hmac(serverKey, authMessage))}`;
  return `${withoutProof},p=${b64(proof)}`;
}

// PBKDF2-HMAC-SHA-256 for one 32-byte block (SCRAM's SaltedPassword), from
// WebCrypto's PBKDF2 where the runtime has it, else from HMAC directly.
async function pbkdf2(password, salt, iterations) {
  try {
    const key = await crypto.subtle.importKey('raw', password, 'PBKDF2', false, ['deriveBits']);
    return new Uint8Array(await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256));
  } catch (_) {
    const key = await crypto.subtle.importKey('raw', password, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    let u = new Uint8Array(await crypto.subtle.sign('HMAC', key, concat([salt, int32(1)])));
    const out = u.slice();
    for (let i = 1; i < iterations; i++) {
      u = new Uint8Array(await crypto.subtle.sign('HMAC', key, u));
      for (let j = 0; j < out.length; j++) out[j] ^= u[j];
    }
    return out;
  }
}

async function hmac(keyBytes, text) {
  const key = await crypto.subtle.importKey('raw', keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(text)));
}

const b64 = (bytes) => btoa(String.fromCharCode(...bytes));

// ---- framing helpers

function frame(type, body) {
  const head = type === null ? 0 : 1;
  const out = new Uint8Array(head + 4 + body.length);
  if (type !== null) out[0] = type.charCodeAt(0);
  new DataView(out.buffer).setInt32(head, 4 + body.length);
  out.set(body, head + 4);
  return out;
}

function cstrings(list) {
  return concat(list.map((s) => concat([enc.encode(s), new Uint8Array([0])])));
}

function int16(n) {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setInt16(0, n);
  return b;
}

function int32(n) {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, n);
  return b;
}

function concat(parts) {
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

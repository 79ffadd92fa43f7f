// Full Tilt's backend (Ludum Dare 49, "Developer Spotlight: Winning a Game Jam
// with Jamstack and Durable Objects"): a Room Hub hands out short room codes
// that point at Game Room objects, and a Game Room relays messages between
// the game (host) and phone controllers (peers) over WebSockets.
import { DurableObject } from 'cloudflare:workers';
import { HOST_PAGE, CONTROLLER_PAGE } from './pages.js';

// 29 characters: no 0, O, I, 1, B, 8.
export const DICTIONARY = '2345679ADEFGHJKLMNPQRSTUVWXYZ';
const ROOM_STATE_PREFIX = 'room:';

const json = (value, status = 200) =>
  new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } });

function generateRoomCode(length) {
  let code = '';
  const random = crypto.getRandomValues(new Uint8Array(length));
  for (const r of random) code += DICTIONARY[r % DICTIONARY.length];
  return code;
}

// ---- Room Hub: room code → game room id -------------------------------------
export class RoomHub extends DurableObject {
  get maxAge() {
    return Number(this.env.MAX_ROOM_AGE_MS || 24 * 60 * 60 * 1000);
  }
  get codeLength() {
    return Number(this.env.ROOM_CODE_LENGTH || 4);
  }

  // A code is free if never used or older than the maximum room age.
  async #isFree(code, now) {
    const room = await this.ctx.storage.get(ROOM_STATE_PREFIX + code);
    if (room === undefined) return true;
    if (now - room.createdAt > this.maxAge) {
      await this.ctx.storage.delete(ROOM_STATE_PREFIX + code);
      return true;
    }
    return false;
  }

  async requestRoom(durableObjectId) {
    const now = Date.now();
    let roomCode = null;
    // As in the post: a few random attempts...
    for (let i = 0; i < 5 && roomCode === null; i++) {
      const candidate = generateRoomCode(this.codeLength);
      if (await this.#isFree(candidate, now)) roomCode = candidate;
    }
    // ...and, when the code space is small, a full scan before giving up.
    const space = DICTIONARY.length ** this.codeLength;
    for (let n = 0; roomCode === null && space <= 4096 && n < space; n++) {
      let candidate = '';
      for (let k = n, i = 0; i < this.codeLength; i++, k = Math.floor(k / DICTIONARY.length)) candidate += DICTIONARY[k % DICTIONARY.length];
      if (await this.#isFree(candidate, now)) roomCode = candidate;
    }
    if (roomCode === null) return null;
    const room = { roomCode, durableObjectId, createdAt: now };
    await this.ctx.storage.put(ROOM_STATE_PREFIX + roomCode, room);
    // Sweep expired codes with an alarm (lookups also check the age).
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(now + this.maxAge + 1);
    return room;
  }

  async lookupRoom(roomCode) {
    const room = await this.ctx.storage.get(ROOM_STATE_PREFIX + roomCode);
    if (room === undefined) return null;
    if (Date.now() - room.createdAt > this.maxAge) {
      await this.ctx.storage.delete(ROOM_STATE_PREFIX + roomCode);
      return null;
    }
    return room;
  }

  async alarm() {
    const now = Date.now();
    let next = null;
    for (const [key, room] of await this.ctx.storage.list({ prefix: ROOM_STATE_PREFIX })) {
      const expires = room.createdAt + this.maxAge;
      if (expires < now) await this.ctx.storage.delete(key);
      else if (next === null || expires < next) next = expires;
    }
    if (next !== null) await this.ctx.storage.setAlarm(next + 1);
  }
}

// ---- Game Room: relay between host(s) and peers ------------------------------
// Sockets are hibernatable: tags are the role, attachments carry role and id.
export class GameRoom extends DurableObject {
  async fetch(request) {
    if (request.headers.get('Upgrade') !== 'websocket') return new Response('Expected a WebSocket upgrade', { status: 426 });
    const role = new URL(request.url).searchParams.get('role') === 'host' ? 'host' : 'peer';
    const id = ((await this.ctx.storage.get('nextId')) || 0) + 1;
    await this.ctx.storage.put('nextId', id);
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1], [role]);
    pair[1].serializeAttachment({ role, id });
    pair[1].send(JSON.stringify({ type: 'welcome', role, id }));
    if (role === 'peer') this.#send('host', { type: 'peer-joined', peer: id });
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  #send(role, message, except) {
    const data = typeof message === 'string' || message instanceof ArrayBuffer ? message : JSON.stringify(message);
    for (const ws of this.ctx.getWebSockets(role)) {
      if (ws === except) continue;
      try {
        ws.send(data);
      } catch {
        // closing; its webSocketClose will follow
      }
    }
  }

  async webSocketMessage(ws, message) {
    const { role, id } = ws.deserializeAttachment();
    if (role === 'peer') {
      // peer → hosts, labelled with the peer's id (binary goes through as is)
      this.#send('host', typeof message === 'string' ? { type: 'peer-message', peer: id, data: message } : message);
    } else {
      // host → every peer, unchanged
      this.#send('peer', message);
    }
  }

  async webSocketClose(ws, code, reason) {
    const attachment = ws.deserializeAttachment();
    if (!attachment) return;
    if (attachment.role === 'peer') this.#send('host', { type: 'peer-left', peer: attachment.id });
    else this.#send('peer', { type: 'host-left', host: attachment.id });
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, 'closed');
    } catch {}
  }

  async webSocketError(ws) {
    await this.webSocketClose(ws, 1011, 'error');
  }
}

// ---- the Worker: pages and the room API --------------------------------------
const hub = (env) => env.ROOM_HUB.getByName('hub');

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const html = (body) => new Response(body, { headers: { 'content-type': 'text/html; charset=utf-8' } });
    if (url.pathname === '/' && request.method === 'GET') return html(HOST_PAGE);
    if (url.pathname === '/controller' && request.method === 'GET') return html(CONTROLLER_PAGE);

    if (url.pathname === '/api/room' && request.method === 'POST') {
      // The game room is created here, by the Worker, not by the hub.
      const id = env.GAME_ROOM.newUniqueId();
      const room = await hub(env).requestRoom(id.toString());
      if (room === null) return json({ error: "Couldn't find available room code :(" }, 503);
      return json({ room }, 201);
    }
    const match = url.pathname.match(/^\/api\/room\/([A-Za-z0-9]+)(\/websocket)?$/);
    if (match) {
      const room = await hub(env).lookupRoom(match[1].toUpperCase());
      if (room === null) return json({ error: 'Room not found' }, 404);
      if (!match[2]) return json({ room });
      const stub = env.GAME_ROOM.get(env.GAME_ROOM.idFromString(room.durableObjectId));
      return stub.fetch(request);
    }
    return new Response('Not found', { status: 404 });
  },
};

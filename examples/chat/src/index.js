// A chat room per name, message history in Durable Object storage, and a
// per-IP rate limiter in a second Durable Object class.
import { DurableObject } from 'cloudflare:workers';

const json = (value, status = 200) =>
  new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } });

export class ChatRoom extends DurableObject {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname.endsWith('/history')) return json(await this.history());
    if (request.headers.get('Upgrade') !== 'websocket') return new Response('Expected a WebSocket upgrade', { status: 426 });
    const ip = request.headers.get('CF-Connecting-IP') || 'unknown';
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    pair[1].serializeAttachment({ ip, name: null });
    // Backlog first, then "ready".
    for (const message of await this.history()) pair[1].send(JSON.stringify(message));
    pair[1].send(JSON.stringify({ ready: true }));
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  async history() {
    const list = await this.ctx.storage.list({ prefix: 'msg:', reverse: true, limit: Number(this.env.HISTORY_SIZE || 100) });
    return [...list.values()].reverse();
  }

  broadcast(message) {
    const data = JSON.stringify(message);
    for (const ws of this.ctx.getWebSockets()) {
      if (!ws.deserializeAttachment()?.name) continue; // not joined yet
      try {
        ws.send(data);
      } catch {}
    }
  }

  async webSocketMessage(ws, raw) {
    const session = ws.deserializeAttachment();
    let data;
    try {
      data = JSON.parse(raw);
    } catch {
      ws.send(JSON.stringify({ error: 'Messages must be JSON' }));
      return;
    }
    if (!session.name) {
      // The first message names the user.
      const name = String(data.name || 'anonymous').slice(0, 32);
      ws.serializeAttachment({ ...session, name });
      this.broadcast({ joined: name });
      return;
    }
    const limiter = this.env.LIMITERS.getByName(session.ip);
    const wait = await limiter.take();
    if (wait > 0) {
      ws.send(JSON.stringify({ error: `Your IP is being rate-limited, please try again in ${Math.ceil(wait / 1000)} s.` }));
      return;
    }
    const message = { name: session.name, message: String(data.message).slice(0, 256), timestamp: Date.now() };
    // Keys sort by time; the counter keeps them unique within a millisecond.
    const seq = ((await this.ctx.storage.get('seq')) || 0) + 1;
    await this.ctx.storage.put({ seq, [`msg:${String(message.timestamp).padStart(15, '0')}:${String(seq).padStart(10, '0')}`]: message });
    this.broadcast(message);
  }

  async webSocketClose(ws) {
    const session = ws.deserializeAttachment();
    if (session?.name) this.broadcast({ quit: session.name });
  }
}

// One object per client IP: allows MESSAGE_BURST messages at once, then one
// per MESSAGE_INTERVAL_MS. take() returns 0 when allowed, else ms to wait.
export class RateLimiter extends DurableObject {
  nextAllowed = 0;
  take() {
    const interval = Number(this.env.MESSAGE_INTERVAL_MS || 1000);
    const grace = interval * Number(this.env.MESSAGE_BURST || 5);
    const now = Date.now();
    const next = Math.max(now, this.nextAllowed) + interval;
    if (next - now > grace) return next - now - grace;
    this.nextAllowed = next;
    return 0;
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const match = url.pathname.match(/^\/api\/room\/([A-Za-z0-9_-]{1,32})\/(websocket|history)$/);
    if (match) return env.ROOMS.getByName(match[1]).fetch(request);
    if (url.pathname === '/') return new Response(PAGE, { headers: { 'content-type': 'text/html; charset=utf-8' } });
    return new Response('Not found', { status: 404 });
  },
};

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>chat</title></head>
<body style="font-family:sans-serif"><h1>chat</h1>
<p><input id="room" placeholder="room" value="lobby"> <input id="name" placeholder="your name"> <button id="join">Join</button></p>
<pre id="log" style="height:20em;overflow:auto;border:1px solid #ccc"></pre>
<form id="f"><input id="msg" size="60"> <button>Send</button></form>
<script>
let ws;
const log = (t) => { const l = document.getElementById('log'); l.textContent += t + '\\n'; l.scrollTop = 1e9; };
document.getElementById('join').onclick = () => {
  ws = new WebSocket(location.origin.replace('http', 'ws') + '/api/room/' + document.getElementById('room').value + '/websocket');
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.ready) ws.send(JSON.stringify({ name: document.getElementById('name').value }));
    else if (m.message) log(m.name + ': ' + m.message);
    else if (m.joined) log('* ' + m.joined + ' joined');
    else if (m.quit) log('* ' + m.quit + ' left');
    else if (m.error) log('! ' + m.error);
  };
};
document.getElementById('f').onsubmit = (e) => { e.preventDefault(); ws.send(JSON.stringify({ message: document.getElementById('msg').value })); document.getElementById('msg').value = ''; };
</script></body></html>`;

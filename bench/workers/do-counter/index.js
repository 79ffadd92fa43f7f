// Durable Object benchmark worker (bench/durable.py), identical on hearth and
// workerd: a counter with one storage write per request, and a WebSocket
// relay (host -> peers) using accept() and event listeners.
import { DurableObject } from 'cloudflare:workers';

export class Counter extends DurableObject {
  async fetch(request) {
    const value = ((await this.ctx.storage.get('value')) || 0) + 1;
    await this.ctx.storage.put('value', value);
    return new Response(String(value));
  }
}

export class Relay extends DurableObject {
  hosts = new Set();
  peers = new Set();
  async fetch(request) {
    const role = new URL(request.url).searchParams.get('role');
    const pair = new WebSocketPair();
    const ws = pair[1];
    ws.accept();
    const mine = role === 'host' ? this.hosts : this.peers;
    const others = role === 'host' ? this.peers : this.hosts;
    mine.add(ws);
    ws.addEventListener('message', (e) => {
      for (const o of others) o.send(e.data);
    });
    ws.addEventListener('close', () => mine.delete(ws));
    return new Response(null, { status: 101, webSocket: pair[0] });
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const name = url.searchParams.get('name') || 'one';
    if (url.pathname === '/relay') return env.RELAY.getByName(name).fetch(request);
    return env.COUNTER.getByName(name).fetch(request);
  },
};

// bench/soak's worker: plain HTTP, KV reads and writes, Durable Object
// increments and a WebSocket echo.
import { DurableObject } from "cloudflare:workers";

export class Counter extends DurableObject {
  async fetch() {
    const n = ((await this.ctx.storage.get("n")) ?? 0) + 1;
    await this.ctx.storage.put("n", n);
    return new Response(String(n));
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const key = url.searchParams.get("k") ?? "k";
    switch (url.pathname) {
      case "/kv/put":
        await env.KV.put(key, await request.text());
        return new Response("ok");
      case "/kv/get":
        return new Response((await env.KV.get(key)) ?? "");
      case "/do":
        return env.COUNTER.get(env.COUNTER.idFromName(key)).fetch(request);
      case "/ws": {
        const [client, server] = Object.values(new WebSocketPair());
        server.accept();
        server.addEventListener("message", (e) => server.send(e.data));
        return new Response(null, { status: 101, webSocket: client });
      }
      default:
        return new Response("hello");
    }
  },
};

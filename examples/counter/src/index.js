import { DurableObject } from 'cloudflare:workers';

// The smallest useful Durable Object: one counter per name, persisted.
export class Counter extends DurableObject {
  async increment(by = 1) {
    const value = ((await this.ctx.storage.get('value')) || 0) + by;
    await this.ctx.storage.put('value', value);
    return value;
  }

  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname.endsWith('/increment')) return new Response(String(await this.increment()));
    return new Response(String((await this.ctx.storage.get('value')) || 0));
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const name = url.searchParams.get('name') || 'default';
    const stub = env.COUNTER.get(env.COUNTER.idFromName(name));
    if (url.pathname === '/rpc') return new Response(String(await stub.increment()));
    return stub.fetch(request);
  },
};

// Structured-serialization micro-benchmark (bench/clone.py): each request
// repeats one operation `n` times on one payload.
import { DurableObject } from 'cloudflare:workers';

const payloads = {
  // A 1 MiB typed array.
  bytes: () => new Uint8Array(1 << 20).fill(7),
  // A 10,000-entry object.
  object: () => {
    const o = {};
    for (let i = 0; i < 10000; i++) o['key' + i] = 'value ' + i;
    return o;
  },
};

export class Store extends DurableObject {
  async storage(kind, n) {
    const value = payloads[kind]();
    let got;
    for (let i = 0; i < n; i++) {
      await this.ctx.storage.put('k', value);
      got = await this.ctx.storage.get('k');
    }
    return got !== undefined;
  }
  echo(value) {
    return value;
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const op = url.searchParams.get('op');
    const kind = url.searchParams.get('kind');
    const n = Number(url.searchParams.get('n') || 1);
    const stub = env.STORE.getByName('bench');
    let ok = true;
    if (op === 'clone') {
      const value = payloads[kind]();
      for (let i = 0; i < n; i++) ok = structuredClone(value) !== value;
    } else if (op === 'storage') {
      ok = await stub.storage(kind, n);
    } else if (op === 'rpc') {
      const value = payloads[kind]();
      for (let i = 0; i < n; i++) ok = (await stub.echo(value)) !== undefined;
    } else {
      return new Response('unknown op', { status: 400 });
    }
    return new Response(ok ? 'ok' : 'wrong', { status: ok ? 200 : 500 });
  },
};

// One 100 KB R2 put per request, answered once the put has resolved.
const body = new Uint8Array(100 * 1024).fill(7);
let n = 0;
export default {
  async fetch(request, env) {
    const object = await env.BUCKET.put(`object-${n++ % 1000}`, body);
    return new Response(object.size === body.length ? 'stored' : 'not stored');
  },
};

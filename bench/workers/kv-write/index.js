// KV write-heavy: every request writes a fresh key (~100 bytes plus metadata)
// and answers only after the put has been acknowledged.
export default {
  async fetch(request, env) {
    const key = `w:${Date.now()}:${Math.random().toString(36).slice(2)}`;
    await env.DATA.put(key, 'x'.repeat(100), { metadata: { at: Date.now() } });
    return new Response('stored');
  },
};

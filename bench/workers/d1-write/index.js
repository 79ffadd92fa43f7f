// One D1 insert per request, answered once the insert has resolved.
let n = 0;
export default {
  async fetch(request, env) {
    const { meta } = await env.DB.prepare('INSERT INTO events (at, body) VALUES (?, ?)').bind(Date.now(), `event ${++n}`).run();
    return new Response(meta.changes === 1 ? 'stored' : 'not stored');
  },
};

// One D1 point query per request: the row with the id in the path.
export default {
  async fetch(request, env) {
    const id = Number(new URL(request.url).pathname.split('/')[2]);
    const row = await env.DB.prepare('SELECT id, name FROM items WHERE id = ?').bind(id).first();
    return row ? Response.json(row) : new Response('missing', { status: 404 });
  },
};

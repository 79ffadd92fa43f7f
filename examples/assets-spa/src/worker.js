// The notes API. Everything that is not /api/* never reaches this code:
// the assets (and the SPA fallback) answer it.
const json = (value, status = 200) => Response.json(value, { status });

async function list(env) {
  const { keys } = await env.NOTES.list({ prefix: 'note:' });
  const notes = await Promise.all(keys.map((k) => env.NOTES.get(k.name, 'json')));
  return notes.filter(Boolean).sort((a, b) => a.id - b.id);
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const match = url.pathname.match(/^\/api\/notes(?:\/(\d+))?$/);
    if (!match) return json({ error: 'no such API' }, 404);
    const id = match[1];

    if (!id && request.method === 'GET') return json(await list(env));
    if (!id && request.method === 'POST') {
      const { text } = await request.json().catch(() => ({}));
      if (typeof text !== 'string' || !text.trim()) return json({ error: 'text is required' }, 400);
      const next = Number((await env.NOTES.get('next-id')) ?? '1');
      const note = { id: next, text: text.trim(), created: new Date().toISOString() };
      await env.NOTES.put(`note:${next}`, JSON.stringify(note));
      await env.NOTES.put('next-id', String(next + 1));
      return json(note, 201);
    }
    if (id && request.method === 'GET') {
      const note = await env.NOTES.get(`note:${id}`, 'json');
      return note ? json(note) : json({ error: 'not found' }, 404);
    }
    if (id && request.method === 'DELETE') {
      await env.NOTES.delete(`note:${id}`);
      return new Response(null, { status: 204 });
    }
    return json({ error: 'method not allowed' }, 405);
  },
};

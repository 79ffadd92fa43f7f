// A comments board on D1: an HTML page and a small JSON API.
// Run `hearth d1 migrations apply DB` once, then `hearth dev`.

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function list(db, author) {
  const stmt = author
    ? db.prepare('SELECT id, author, content, created_at FROM comments WHERE author = ? ORDER BY id').bind(author)
    : db.prepare('SELECT id, author, content, created_at FROM comments ORDER BY id');
  const { results } = await stmt.all();
  return results;
}

async function page(db) {
  const comments = await list(db);
  const items = comments.map((c) => `<li><b>${escape(c.author)}</b>: ${escape(c.content)}</li>`).join('\n');
  return new Response(
    `<!doctype html><title>Comments</title><h1>Comments</h1><ul>\n${items}\n</ul>
<form method="post" action="/comments"><input name="author" placeholder="name"> <input name="content" placeholder="comment"> <button>Post</button></form>`,
    { headers: { 'content-type': 'text/html;charset=utf-8' } },
  );
}

async function add(db, author, content) {
  if (!author || !content) return Response.json({ error: 'author and content are required' }, { status: 400 });
  const row = await db
    .prepare("INSERT INTO comments (author, content, created_at) VALUES (?, ?, datetime('now')) RETURNING id, author, content")
    .bind(author, content)
    .first();
  return Response.json(row, { status: 201 });
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const db = env.DB;
    if (url.pathname === '/' && request.method === 'GET') return page(db);
    if (url.pathname === '/comments' && request.method === 'POST') {
      const form = await request.formData();
      await add(db, form.get('author'), form.get('content'));
      return Response.redirect(new URL('/', url), 303);
    }
    if (url.pathname === '/api/comments' && request.method === 'GET')
      return Response.json(await list(db, url.searchParams.get('author')));
    if (url.pathname === '/api/comments' && request.method === 'POST') {
      const body = await request.json().catch(() => ({}));
      return add(db, body.author, body.content);
    }
    const match = url.pathname.match(/^\/api\/comments\/(\d+)$/);
    if (match && request.method === 'DELETE') {
      const { meta } = await db.prepare('DELETE FROM comments WHERE id = ?').bind(Number(match[1])).run();
      return meta.changes ? new Response(null, { status: 204 }) : Response.json({ error: 'no such comment' }, { status: 404 });
    }
    if (url.pathname === '/api/stats') {
      // Two reads in one batch: one consistent snapshot.
      const [count, authors] = await db.batch([
        db.prepare('SELECT count(*) AS n FROM comments'),
        db.prepare('SELECT author, count(*) AS n FROM comments GROUP BY author ORDER BY n DESC, author'),
      ]);
      return Response.json({ comments: count.results[0].n, authors: authors.results });
    }
    return new Response('Not found', { status: 404 });
  },
};

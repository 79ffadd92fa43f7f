// A small REST API over a PostgreSQL table, talking to the database through
// a TCP socket from `cloudflare:sockets` (see pgwire.js).
//
//   GET    /items            list items
//   POST   /items            {"name": "...", "qty": 1} -> 201 and the row
//   GET    /items/:id        one item (404 if missing)
//   PUT    /items/:id        {"name"?, "qty"?} -> the updated row
//   DELETE /items/:id        204
//   POST   /items/bulk       [{...}, ...] in one transaction: all or nothing
import { Client, PostgresError } from './pgwire.js';

const SCHEMA = `CREATE TABLE IF NOT EXISTS items (
  id serial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  qty integer NOT NULL DEFAULT 0 CHECK (qty >= 0),
  created_at timestamptz NOT NULL DEFAULT now()
)`;

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] !== 'items') return json({ error: 'not found; try /items' }, 404);
    let db;
    try {
      db = await Client.connect(env.DATABASE_URL);
      await db.query(SCHEMA);
      return await route(db, request, parts);
    } catch (err) {
      if (err instanceof PostgresError) return json({ error: err.message, code: err.code, detail: err.detail }, status(err));
      if (err instanceof SyntaxError) return json({ error: `invalid JSON body: ${err.message}` }, 400);
      return json({ error: String(err && err.message ? err.message : err) }, 502);
    } finally {
      if (db) ctx.waitUntil(db.end());
    }
  },
};

async function route(db, request, [, id]) {
  const method = request.method;
  if (id === undefined) {
    if (method === 'GET') return json((await db.query('SELECT id, name, qty FROM items ORDER BY id')).rows);
    if (method === 'POST') {
      const item = await request.json();
      const { rows } = await db.query('INSERT INTO items (name, qty) VALUES ($1, $2) RETURNING id, name, qty', [item.name, item.qty ?? 0]);
      return json(rows[0], 201);
    }
    return json({ error: 'method not allowed' }, 405);
  }
  if (id === 'bulk' && method === 'POST') {
    const items = await request.json();
    await db.query('BEGIN');
    try {
      const inserted = [];
      for (const item of items) {
        const { rows } = await db.query('INSERT INTO items (name, qty) VALUES ($1, $2) RETURNING id, name, qty', [item.name, item.qty ?? 0]);
        inserted.push(rows[0]);
      }
      await db.query('COMMIT');
      return json(inserted, 201);
    } catch (err) {
      await db.query('ROLLBACK');
      throw err;
    }
  }
  if (!/^\d+$/.test(id)) return json({ error: `item id must be a number, got '${id}'` }, 400);
  if (method === 'GET') {
    const { rows } = await db.query('SELECT id, name, qty FROM items WHERE id = $1', [id]);
    return rows.length ? json(rows[0]) : json({ error: `no item ${id}` }, 404);
  }
  if (method === 'PUT') {
    const patch = await request.json();
    const { rows } = await db.query(
      'UPDATE items SET name = COALESCE($2, name), qty = COALESCE($3, qty) WHERE id = $1 RETURNING id, name, qty',
      [id, patch.name ?? null, patch.qty ?? null]
    );
    return rows.length ? json(rows[0]) : json({ error: `no item ${id}` }, 404);
  }
  if (method === 'DELETE') {
    const { rowCount } = await db.query('DELETE FROM items WHERE id = $1', [id]);
    return rowCount ? new Response(null, { status: 204 }) : json({ error: `no item ${id}` }, 404);
  }
  return json({ error: 'method not allowed' }, 405);
}

// Constraint and input errors are the client's fault; the rest is ours.
function status(err) {
  if (err.code === '23505') return 409; // unique_violation
  if (err.code && (err.code.startsWith('22') || err.code.startsWith('23'))) return 400;
  return 500;
}

function json(value, status = 200) {
  return Response.json(value, { status });
}

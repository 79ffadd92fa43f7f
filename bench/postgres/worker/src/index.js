// One PostgreSQL query per request with node-postgres, the way Cloudflare's
// docs write it: a new Client per request, ended after the response. The
// database is the Hyperdrive binding's pool when there is one, else
// DATABASE_URL (a new server connection per request).
import { Client } from 'pg';

export default {
  async fetch(request, env, ctx) {
    const connectionString = env.HYPERDRIVE ? env.HYPERDRIVE.connectionString : env.DATABASE_URL;
    const client = new Client({ connectionString });
    await client.connect();
    try {
      const id = 1 + Math.floor(Math.random() * 1000);
      const { rows } = await client.query('SELECT id, name FROM items WHERE id = $1', [id]);
      return Response.json(rows[0]);
    } finally {
      ctx.waitUntil(client.end());
    }
  },
};

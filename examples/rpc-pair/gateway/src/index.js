// The public worker: an HTTP API that calls the "users" worker over RPC.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const name = url.pathname.slice("/users/".length);
    try {
      if (url.pathname === "/count") {
        return Response.json({ users: await env.ADMIN.count() });
      }
      if (!url.pathname.startsWith("/users/")) {
        return new Response("try POST /users/NAME, GET /users/NAME, GET /count\n", { status: 404 });
      }
      if (request.method === "POST") {
        const user = await env.USERS.create(name);
        return Response.json({ created: user.name, at: user.created.toISOString() }, { status: 201 });
      }
      const user = await env.USERS.get(name);
      return user ? Response.json({ name: user.name, since: user.created.toISOString() }) : new Response("no such user\n", { status: 404 });
    } catch (e) {
      // The users worker's RangeError arrives as a RangeError.
      const status = e instanceof RangeError ? 400 : 500;
      return Response.json({ error: e.message }, { status });
    }
  },
};

// Block an IP address for a week with a self-expiring KV key.
//
//   POST /admin/block?ip=1.2.3.4   (Authorization: Bearer <ADMIN_TOKEN>)  -> blocks for 7 days
//   POST /admin/unblock?ip=1.2.3.4                                      -> lifts the block
//   anything else: 403 while the client's IP (CF-Connecting-IP) is blocked, else the page.
const WEEK = 7 * 24 * 60 * 60; // 604800 s

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname.startsWith('/admin/')) {
      if (request.headers.get('Authorization') !== `Bearer ${env.ADMIN_TOKEN}`)
        return new Response('Forbidden\n', { status: 403 });
      const ip = url.searchParams.get('ip');
      if (!ip) return new Response('missing ?ip=\n', { status: 400 });
      if (request.method === 'POST' && url.pathname === '/admin/block') {
        const reason = url.searchParams.get('reason') || 'blocked by an admin';
        await env.BLOCKLIST.put(`ip:${ip}`, reason, {
          expirationTtl: WEEK,
          metadata: { blockedAt: Date.now() },
        });
        return Response.json({ blocked: ip, for_seconds: WEEK });
      }
      if (request.method === 'POST' && url.pathname === '/admin/unblock') {
        await env.BLOCKLIST.delete(`ip:${ip}`);
        return Response.json({ unblocked: ip });
      }
      return new Response('Not found\n', { status: 404 });
    }
    const ip = request.headers.get('CF-Connecting-IP');
    const reason = await env.BLOCKLIST.get(`ip:${ip}`);
    if (reason !== null) return new Response(`Your IP ${ip} is blocked: ${reason}\n`, { status: 403 });
    return new Response(`Welcome, ${ip}!\n`);
  },
};

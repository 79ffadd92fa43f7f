// "A Worker that can handle billions of redirects" from the Workers KV GA post:
// /redirect/<hash> looks <hash> up in the REDIRECTS namespace and answers a 302
// to the stored path. Written as an ES module (the post used the older
// service-worker syntax; `REDIRECTS.get` becomes `env.REDIRECTS.get`).
// Locally there is no origin to fall through to, so other paths get a 404.
export default {
  async fetch(request, env) {
    const prefix = '/redirect';
    const url = new URL(request.url);
    if (url.pathname.startsWith(prefix)) {
      const redirect = await env.REDIRECTS.get(url.pathname.replace(prefix, ''));
      if (redirect) {
        url.pathname = redirect;
        return Response.redirect(url, 302);
      }
    }
    return new Response('No redirect here\n', { status: 404 });
  },
};

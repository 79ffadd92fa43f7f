// A rewriting proxy: fetches the page at UPSTREAM + path and streams it back
// through HTMLRewriter, which
//   - adds a banner at the top of <body>,
//   - turns links to the upstream's own origin into links through this proxy,
//   - marks links to other sites rel="noopener" target="_blank",
//   - prefixes the <title>,
//   - lazy-loads images.
// Rewritten pages are kept in the Cache API for a minute (cf-cache-status: HIT).

class Links {
  constructor(upstream) {
    this.origin = new URL(upstream).origin;
  }
  element(el) {
    const href = el.getAttribute('href');
    if (href === null) return;
    let url;
    try {
      url = new URL(href, this.origin);
    } catch {
      return;
    }
    if (url.origin === this.origin) {
      el.setAttribute('href', url.pathname + url.search + url.hash);
    } else if (url.protocol === 'http:' || url.protocol === 'https:') {
      el.setAttribute('rel', 'noopener');
      el.setAttribute('target', '_blank');
    }
  }
}

const escape = (s) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

export default {
  async fetch(request, env, ctx) {
    if (request.method !== 'GET') return new Response('Method Not Allowed', { status: 405 });
    const url = new URL(request.url);
    const cache = caches.default;
    const cached = await cache.match(request);
    if (cached) return cached;

    const target = new URL(url.pathname + url.search, env.UPSTREAM);
    const upstream = await fetch(target, { headers: { accept: request.headers.get('accept') || 'text/html' } });
    const type = upstream.headers.get('content-type') || '';
    if (!type.includes('text/html')) return upstream;

    let title = '';
    const rewritten = new HTMLRewriter()
      .on('title', {
        text(t) {
          title += t.text;
          if (t.lastInTextNode) t.replace(`[proxied] ${title}`);
          else t.remove();
        },
      })
      .on('body', {
        element(el) {
          el.prepend(`<div id="hearth-banner" style="padding:8px;background:#fe8">${escape(env.BANNER)}</div>`, { html: true });
        },
      })
      .on('a[href]', new Links(env.UPSTREAM))
      .on('img', { element(el) { el.setAttribute('loading', 'lazy'); } })
      .transform(upstream);

    const response = new Response(rewritten.body, rewritten);
    response.headers.set('cache-control', 'public, max-age=60');
    response.headers.set('x-rewritten-by', 'hearth');
    if (upstream.ok) ctx.waitUntil(cache.put(request, response.clone()));
    return response;
  },
};

// Open Graph images: a 1200x630 PNG card drawn from the query string by
// @cf-wasm/og (satori lays the elements out with yoga, resvg rasterizes the
// SVG; both are wasm). Elements are plain objects, so no JSX build step.
import { ImageResponse } from '@cf-wasm/og';

// satori wants `display: flex` on every element with children.
const h = (type, style, ...children) => ({
  type, props: { style: { display: 'flex', ...style }, children: children.length === 1 ? children[0] : children },
});

function card(title, subtitle) {
  return h('div', {
    width: '100%', height: '100%', flexDirection: 'column',
    justifyContent: 'center', padding: '80px',
    background: 'linear-gradient(135deg, #f6821f 0%, #fbad41 100%)', color: '#1d1d1d',
  },
  h('div', { fontSize: 72, fontWeight: 700, lineHeight: 1.1 }, title),
  h('div', { fontSize: 36, marginTop: 32, color: '#3d2200' }, subtitle),
  h('div', { marginTop: 'auto', fontSize: 28 }, 'served by hearth'));
}

const page = (title) => `<!doctype html>
<meta charset="utf-8">
<meta property="og:image" content="/og?title=${encodeURIComponent(title)}">
<title>${title.replace(/[<&]/g, (c) => `&#${c.charCodeAt(0)};`)}</title>
<img src="/og?title=${encodeURIComponent(title)}" width="600" height="315" alt="">`;

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const title = (url.searchParams.get('title') || 'Hello from hearth').slice(0, 100);
    const subtitle = (url.searchParams.get('subtitle') || 'WebAssembly on wasmtime').slice(0, 140);
    if (url.pathname === '/og') {
      const format = url.searchParams.get('format') === 'svg' ? 'svg' : 'png';
      return ImageResponse.async(card(title, subtitle), { width: 1200, height: 630, format });
    }
    if (url.pathname === '/') {
      return new Response(page(title), { headers: { 'content-type': 'text/html; charset=utf-8' } });
    }
    return new Response('not found', { status: 404 });
  },
};

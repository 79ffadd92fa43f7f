// Upload and serve binary files (GIFs, or anything) straight from KV.
//   PUT /gifs/<name>   body = the file (up to 25 MiB); Content-Type is kept as metadata
//   GET /gifs/<name>   the exact bytes back, streamed, with that Content-Type
//   GET /gifs          JSON list of names, sizes and types
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const name = decodeURIComponent(url.pathname.replace(/^\/gifs\/?/, ''));
    if (url.pathname === '/gifs' || url.pathname === '/gifs/') {
      const { keys } = await env.GIFS.list();
      return Response.json(keys.map((k) => ({ name: k.name, ...k.metadata })));
    }
    if (!url.pathname.startsWith('/gifs/') || !name) return new Response('Not found\n', { status: 404 });
    if (request.method === 'PUT') {
      const size = Number(request.headers.get('Content-Length'));
      const contentType = request.headers.get('Content-Type') || 'image/gif';
      // Stream the upload into KV without buffering it in the worker.
      await env.GIFS.put(name, request.body, { metadata: { contentType, size } });
      return new Response(`Stored ${name}\n`, { status: 201 });
    }
    if (request.method === 'DELETE') {
      await env.GIFS.delete(name);
      return new Response(null, { status: 204 });
    }
    const { value, metadata } = await env.GIFS.getWithMetadata(name, { type: 'stream' });
    if (value === null) return new Response('Not found\n', { status: 404 });
    return new Response(value, {
      headers: { 'Content-Type': (metadata && metadata.contentType) || 'application/octet-stream', 'Cache-Control': 'public, max-age=3600' },
    });
  },
};

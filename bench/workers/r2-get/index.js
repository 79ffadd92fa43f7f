// One 100 KB R2 get per request, the object's body as the response. The
// first request writes the object.
export default {
  async fetch(request, env) {
    let object = await env.BUCKET.get('object');
    if (object === null) {
      await env.BUCKET.put('object', new Uint8Array(100 * 1024).fill(7));
      object = await env.BUCKET.get('object');
    }
    return new Response(object.body, { headers: { etag: object.httpEtag } });
  },
};

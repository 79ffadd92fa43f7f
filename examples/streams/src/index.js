// Fetches the upstream and streams its body back upper-cased, chunk by chunk:
// nothing is buffered beyond the chunk being rewritten.
export default {
  async fetch(request, env) {
    const upstream = await fetch(env.UPSTREAM);
    if (!upstream.body) return new Response('upstream sent no body', { status: 502 });

    const decoder = new TextDecoder();
    const encoder = new TextEncoder();
    const upperCase = new TransformStream({
      transform(chunk, controller) {
        // `stream: true` keeps a multi-byte character split across chunks intact.
        const text = decoder.decode(chunk, { stream: true });
        if (text) controller.enqueue(encoder.encode(text.toUpperCase()));
      },
      flush(controller) {
        const rest = decoder.decode();
        if (rest) controller.enqueue(encoder.encode(rest.toUpperCase()));
      },
    });

    const headers = new Headers(upstream.headers);
    headers.delete('content-length'); // the rewritten body is streamed
    headers.set('x-rewritten-by', 'hearth-streams-example');
    return new Response(upstream.body.pipeThrough(upperCase), {
      status: upstream.status,
      headers,
    });
  },
};

// Streaming response: a ReadableStream that hands out 16 chunks of 4 KB
// (64 KB in total) one pull() at a time, then closes. Measures the cost of
// the streams machinery and chunked transfer, not JS compute.
const CHUNKS = 16;
const CHUNK_SIZE = 4096;
const CHUNK = new TextEncoder().encode("x".repeat(CHUNK_SIZE));

export default {
  async fetch(request, env, ctx) {
    let sent = 0;
    const body = new ReadableStream({
      pull(controller) {
        // A fresh copy per chunk: some runtimes detach enqueued buffers.
        controller.enqueue(CHUNK.slice());
        sent++;
        if (sent === CHUNKS) controller.close();
      },
    });
    return new Response(body, { headers: { "content-type": "text/plain" } });
  },
};

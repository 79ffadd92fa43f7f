// Baseline: the smallest possible response. Measures per-request overhead of
// the runtime (HTTP parsing, dispatch into JS, response write).
export default {
  async fetch(request, env, ctx) {
    return new Response("Hello World");
  },
};

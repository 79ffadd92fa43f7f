// Builds a ~20 KB JSON document on every request (nothing is cached between
// requests), so this measures object allocation + JSON.stringify + a
// medium-sized response body.
const COUNT = 230; // 230 objects serialise to ~20 KB

export default {
  async fetch(request, env, ctx) {
    const items = [];
    for (let i = 0; i < COUNT; i++) {
      items.push({
        id: i,
        name: `item-${i}`,
        price: Math.round(i * 137.31) / 100,
        tags: ["alpha", "beta", i % 2 ? "odd" : "even"],
        active: i % 3 === 0,
      });
    }
    return new Response(JSON.stringify({ count: COUNT, items }), {
      headers: { "content-type": "application/json" },
    });
  },
};

// CPU-bound request: a JSON round-trip of 2,000 objects (build, stringify,
// parse) with a tiny response, so the time goes into the JS engine rather
// than into I/O.
const COUNT = 2000;

export default {
  async fetch(request, env, ctx) {
    const items = [];
    for (let i = 0; i < COUNT; i++) {
      items.push({ id: i, name: `n${i}`, value: i * 3, nested: { even: i % 2 === 0 } });
    }
    const text = JSON.stringify(items);
    const parsed = JSON.parse(text);
    let sum = 0;
    let even = 0;
    for (const item of parsed) {
      sum += item.value;
      if (item.nested.even) even++;
    }
    return new Response(
      JSON.stringify({ count: parsed.length, sum, even, bytes: text.length }),
      { headers: { "content-type": "application/json" } },
    );
  },
};

// Calls the "callee" worker over a service binding: /rpc makes one RPC
// call, /rpc10 ten in a row, /fetch one service-binding fetch().
export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === "/rpc") return new Response(String(await env.CALLEE.add(1, 2)));
    if (pathname === "/rpc10") {
      let n = 0;
      for (let i = 0; i < 10; i++) n = await env.CALLEE.add(n, 1);
      return new Response(String(n));
    }
    if (pathname === "/fetch") return env.CALLEE.fetch(request);
    return new Response("ok");
  },
};

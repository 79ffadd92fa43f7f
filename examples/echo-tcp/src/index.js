// A line-echo Socket Worker: every complete line a client sends comes straight
// back. Try it with `hearth dev examples/echo-tcp` and `nc 127.0.0.1 7007`.
const NEWLINE = 10;

export default {
  async connect(socket, env, ctx) {
    const writer = socket.writable.getWriter();
    let pending = new Uint8Array(0);
    for await (const chunk of socket.readable) {
      const data = concat(pending, chunk);
      const end = data.lastIndexOf(NEWLINE) + 1;
      if (end > 0) await writer.write(data.subarray(0, end));
      pending = data.slice(end);
    }
    // The client finished: echo a last unterminated line, then close.
    if (pending.length > 0) await writer.write(pending);
    await writer.close().catch(() => {});
  },

  async fetch(request) {
    return new Response('echo-tcp: a line-echo Socket Worker. Connect with `nc 127.0.0.1 7007`.\n');
  },
};

function concat(a, b) {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

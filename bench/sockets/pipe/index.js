// Echo by piping the socket's readable into its writable: measures the
// socket plumbing itself (no per-chunk JavaScript work).
export default {
  async connect(socket) {
    await socket.readable.pipeTo(socket.writable);
  },
};

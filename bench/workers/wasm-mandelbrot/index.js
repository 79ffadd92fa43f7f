// The C kernel of tests/fixtures/wasm (built by bench.toml's `prepare`).
import kernel from './kernel.wasm';

const { exports: k } = new WebAssembly.Instance(kernel, {
  env: { log() {}, scale: (x) => x, add64: (a, b) => a + b },
});

export default {
  fetch() {
    return new Response(JSON.stringify({ total: k.mandelbrot(200, 100, 200) }));
  },
};

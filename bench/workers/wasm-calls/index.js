// A tight loop of small exported calls into the C kernel of tests/fixtures/wasm.
import kernel from './kernel.wasm';

const { exports: k } = new WebAssembly.Instance(kernel, {
  env: { log() {}, scale: (x) => x, add64: (a, b) => a + b },
});

export default {
  fetch() {
    let sum = 0;
    for (let i = 0; i < 10000; i++) sum = k.add(sum, i) | 0;
    return new Response(JSON.stringify({ sum }));
  },
};

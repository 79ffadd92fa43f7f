// @cf-wasm/photon's glue and module (copied by prepare.sh), initialized as
// its workerd entry does.
import { initSync, PhotonImage, resize, SamplingFilter } from './photon/photon_rs.js';
import photonModule from './photon/photon_rs_bg.wasm';

initSync({ module: photonModule });

const SIDE = 1000;
let pixels;

// A 1000x1000 RGBA gradient, made once (making it is JavaScript work, not
// what this scenario measures).
function source() {
  if (!pixels) {
    pixels = new Uint8Array(SIDE * SIDE * 4);
    for (let i = 0; i < SIDE * SIDE; i++) {
      pixels[i * 4] = i % 251;
      pixels[i * 4 + 1] = (i >> 3) % 253;
      pixels[i * 4 + 2] = (i >> 7) % 255;
      pixels[i * 4 + 3] = 255;
    }
  }
  return pixels;
}

export default {
  fetch() {
    const image = new PhotonImage(source(), SIDE, SIDE);
    const small = resize(image, SIDE / 2, SIDE / 2, SamplingFilter.Triangle);
    const out = small.get_raw_pixels();
    const size = [small.get_width(), small.get_height()];
    image.free();
    small.free();
    return new Response(JSON.stringify({ size, first: out[0], last: out[out.length - 4] }));
  },
};

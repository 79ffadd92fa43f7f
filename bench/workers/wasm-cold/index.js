// @cf-wasm/photon's 1.5 MB module (copied by ../wasm-photon/prepare.sh),
// instantiated when the worker starts, as its workerd entry does.
import { initSync, PhotonImage } from './photon/photon_rs.js';
import photonModule from './photon/photon_rs_bg.wasm';

initSync({ module: photonModule });

export default {
  fetch() {
    const image = new PhotonImage(new Uint8Array(16), 2, 2);
    const width = image.get_width();
    image.free();
    return new Response(`ok ${width}`);
  },
};

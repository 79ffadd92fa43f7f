// Image resizing with @cf-wasm/photon (Rust compiled to wasm with
// wasm-bindgen). POST an image (PNG, JPEG, WebP, GIF, BMP, ...) to /resize
// and get it back resized; /sample draws a test image so there is something
// to resize without an upload.
import { PhotonImage, resize, SamplingFilter } from '@cf-wasm/photon';

const FORMATS = {
  png: ['image/png', (image) => image.get_bytes()],
  jpeg: ['image/jpeg', (image) => image.get_bytes_jpeg(85)],
  webp: ['image/webp', (image) => image.get_bytes_webp()],
};

const MAX_SIDE = 4096;

const fail = (status, message) => new Response(`${message}\n`, { status });

// A w x h RGBA picture: a gradient with a red square in the middle.
function sample(w, h) {
  const pixels = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      const square = Math.abs(x - w / 2) < w / 8 && Math.abs(y - h / 2) < h / 8;
      pixels[i] = square ? 255 : (x * 255 / w) | 0;
      pixels[i + 1] = square ? 0 : (y * 255 / h) | 0;
      pixels[i + 2] = square ? 0 : 160;
      pixels[i + 3] = 255;
    }
  }
  return new PhotonImage(pixels, w, h);
}

// A side length from the query: an integer in 1..MAX_SIDE, or null.
function side(params, name) {
  const raw = params.get(name);
  if (raw === null) return null;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 && n <= MAX_SIDE ? n : NaN;
}

function encode(image, format) {
  const [type, bytes] = FORMATS[format];
  return new Response(bytes(image), { headers: { 'content-type': type } });
}

const FORM = `<!doctype html>
<meta charset="utf-8"><title>image-resize</title>
<h1>Resize an image</h1>
<input type="file" id="file" accept="image/*"> width <input id="width" value="320" size="5">
<select id="format"><option>png<option>jpeg<option>webp</select>
<button id="go">resize</button>
<p><img id="out" alt=""></p>
<script>
go.onclick = async () => {
  const r = await fetch('/resize?width=' + width.value + '&format=' + format.value, { method: 'POST', body: file.files[0] });
  out.src = URL.createObjectURL(await r.blob());
};
</script>`;

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const params = url.searchParams;
    const format = params.get('format') || 'png';
    if (!(format in FORMATS)) return fail(400, `format must be one of ${Object.keys(FORMATS).join(', ')}`);

    if (url.pathname === '/sample' && request.method === 'GET') {
      const w = side(params, 'width') ?? 800, h = side(params, 'height') ?? 600;
      if (Number.isNaN(w) || Number.isNaN(h)) return fail(400, `width and height must be integers from 1 to ${MAX_SIDE}`);
      const image = sample(w, h);
      try {
        return encode(image, format);
      } finally {
        image.free();
      }
    }

    if (url.pathname === '/resize' && request.method === 'POST') {
      const bytes = new Uint8Array(await request.arrayBuffer());
      if (bytes.length === 0) return fail(400, 'POST the image as the request body');
      let image;
      try {
        image = PhotonImage.new_from_byteslice(bytes);
      } catch {
        return fail(415, 'the body is not an image photon can decode');
      }
      let resized;
      try {
        const width = side(params, 'width'), height = side(params, 'height');
        if (Number.isNaN(width) || Number.isNaN(height) || (width === null && height === null)) {
          return fail(400, `give width and/or height, integers from 1 to ${MAX_SIDE}`);
        }
        // One side given: keep the aspect ratio.
        const w = width ?? Math.max(1, Math.round(image.get_width() * height / image.get_height()));
        const h = height ?? Math.max(1, Math.round(image.get_height() * width / image.get_width()));
        resized = resize(image, w, h, SamplingFilter.Lanczos3);
        return encode(resized, format);
      } finally {
        image.free();
        resized?.free();
      }
    }

    if (url.pathname === '/' && request.method === 'GET') {
      return new Response(FORM, { headers: { 'content-type': 'text/html; charset=utf-8' } });
    }
    return fail(404, 'not found');
  },
};

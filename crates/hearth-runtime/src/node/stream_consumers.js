// node:stream/consumers — read a whole stream (Node.js Readable, web
// ReadableStream or any async iterable) as text, JSON, bytes or a Blob.
import { Buffer } from 'node:buffer';

async function chunks(stream) {
  const out = [];
  for await (const chunk of stream) out.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return out;
}

export async function arrayBuffer(stream) {
  const buf = Buffer.concat(await chunks(stream));
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
}

export async function buffer(stream) {
  return Buffer.concat(await chunks(stream));
}

export async function bytes(stream) {
  const buf = Buffer.concat(await chunks(stream));
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export async function blob(stream) {
  return new Blob(await chunks(stream));
}

export async function text(stream) {
  const decoder = new TextDecoder();
  let out = '';
  for await (const chunk of stream) {
    out += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  }
  return out + decoder.decode();
}

export async function json(stream) {
  return JSON.parse(await text(stream));
}

export default { arrayBuffer, buffer, bytes, blob, text, json };

// RESP2: an incremental request parser and reply encoders.
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CR = 13;
const LF = 10;

export class RespParser {
  #buf = new Uint8Array(0);

  push(chunk) {
    if (this.#buf.length === 0) {
      this.#buf = chunk;
      return;
    }
    const out = new Uint8Array(this.#buf.length + chunk.length);
    out.set(this.#buf, 0);
    out.set(chunk, this.#buf.length);
    this.#buf = out;
  }

  // The next command as an array of strings, or null if it is incomplete.
  next() {
    const b = this.#buf;
    if (b.length === 0) return null;
    if (b[0] !== 42 /* '*' */) {
      // Inline command (telnet / nc style): words up to the end of the line.
      const end = b.indexOf(LF);
      if (end < 0) return null;
      this.#buf = b.subarray(end + 1);
      return decoder.decode(b.subarray(0, end)).trim().split(/\s+/).filter(Boolean);
    }
    let line = readLine(b, 0);
    if (!line) return null;
    const count = Number(line.text.slice(1));
    let pos = line.next;
    const args = [];
    for (let i = 0; i < count; i++) {
      line = readLine(b, pos);
      if (!line) return null;
      if (line.text[0] !== '$') throw new Error(`Protocol error: expected '$', got '${line.text[0]}'`);
      const len = Number(line.text.slice(1));
      pos = line.next;
      if (b.length < pos + len + 2) return null;
      args.push(decoder.decode(b.subarray(pos, pos + len)));
      pos += len + 2;
    }
    this.#buf = b.subarray(pos);
    return args;
  }
}

function readLine(b, from) {
  for (let i = from; i + 1 < b.length; i++) {
    if (b[i] === CR && b[i + 1] === LF) return { text: decoder.decode(b.subarray(from, i)), next: i + 2 };
  }
  return null;
}

export const simple = (s) => encoder.encode(`+${s}\r\n`);
export const error = (s) => encoder.encode(`-${s}\r\n`);
export const integer = (n) => encoder.encode(`:${n}\r\n`);
export const bulk = (s) => {
  if (s === null) return encoder.encode('$-1\r\n');
  const body = encoder.encode(s);
  return join([encoder.encode(`$${body.length}\r\n`), body, encoder.encode('\r\n')]);
};
export const array = (items) => join([encoder.encode(`*${items.length}\r\n`), ...items]);

function join(parts) {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

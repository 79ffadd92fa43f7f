// node:string_decoder — decodes Buffers to strings across chunk boundaries:
// an incomplete UTF-8 or UTF-16 character (or base64 group) at the end of a
// chunk waits for the next one; `end()` flushes what is left as Node does.
import { Buffer } from 'node:buffer';
import { nodeError, unknownEncoding, invalidArgType } from 'hearth:node-errors';

function normalize(enc) {
  const e = String(enc === undefined || enc === null ? 'utf8' : enc).toLowerCase();
  switch (e) {
    case 'utf8':
    case 'utf-8':
    case '':
      return 'utf8';
    case 'ucs2':
    case 'ucs-2':
    case 'utf16le':
    case 'utf-16le':
      return 'utf16le';
    case 'latin1':
    case 'binary':
      return 'latin1';
    case 'base64':
    case 'base64url':
    case 'ascii':
    case 'hex':
      return e;
    default:
      return undefined;
  }
}

// How many bytes a UTF-8 sequence starting with `b` has, by its bit pattern
// as Node.js judges it (0: not a lead byte).
function utf8Length(b) {
  if (b >> 5 === 0x06) return 2;
  if (b >> 4 === 0x0e) return 3;
  if (b >> 3 === 0x1e) return 4;
  return 0;
}

// The length of a trailing incomplete UTF-8 sequence and the length it
// needs, or null. The bytes held back are decoded with the next chunk, so
// invalid sequences still become U+FFFD exactly as a one-shot decode would.
function utf8Tail(bytes) {
  const n = bytes.length;
  for (let i = 1; i <= Math.min(3, n); i++) {
    const b = bytes[n - i];
    if ((b & 0xc0) === 0x80) continue;
    const need = utf8Length(b);
    return need > i ? { have: i, total: need } : null;
  }
  return null;
}

export function StringDecoder(encoding) {
  const enc = normalize(encoding);
  if (enc === undefined) throw unknownEncoding(encoding);
  this.encoding = enc;
  this.pending = Buffer.alloc(0);
  this.pendingTotal = 0;
}

function toBytes(buf) {
  if (buf instanceof Buffer) return buf;
  if (ArrayBuffer.isView(buf)) return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  throw invalidArgType('buf', ['Buffer', 'TypedArray', 'DataView'], buf);
}

function checkThis(self) {
  if (!self || !(self.pending instanceof Uint8Array)) {
    throw nodeError(TypeError, 'ERR_INVALID_THIS', 'Value of "this" must be of type StringDecoder');
  }
}

StringDecoder.prototype.write = function (buf) {
  checkThis(this);
  if (typeof buf === 'string') return buf;
  let bytes = toBytes(buf);
  if (this.encoding === 'utf8') {
    // Held-back bytes go in front; utf8Tail holds back what is still open.
    if (this.pending.length) bytes = Buffer.concat([this.pending, bytes]);
    this.pending = Buffer.alloc(0);
    this.pendingTotal = 0;
    const tail = utf8Tail(bytes);
    if (tail) {
      this.pending = Buffer.from(bytes.subarray(bytes.length - tail.have));
      this.pendingTotal = tail.total;
      bytes = bytes.subarray(0, bytes.length - tail.have);
    }
    return bytes.toString('utf8');
  }
  let out = '';
  if (this.pending.length) {
    // First complete the held-back unit (a UTF-16 code unit or surrogate
    // pair, a base64 group).
    const take = Math.min(this.pendingTotal - this.pending.length, bytes.length);
    this.pending = Buffer.concat([this.pending, bytes.subarray(0, take)]);
    bytes = bytes.subarray(take);
    if (this.pending.length < this.pendingTotal) return '';
    out = this.pending.toString(this.encoding);
    this.pending = Buffer.alloc(0);
    this.pendingTotal = 0;
  }
  let keep = 0;
  let total = 0;
  if (this.encoding === 'utf16le') {
    keep = bytes.length % 2;
    total = 2;
    if (keep === 0 && bytes.length >= 2) {
      const last = bytes[bytes.length - 2] | (bytes[bytes.length - 1] << 8);
      // A lead surrogate waits for its trail.
      if (last >= 0xd800 && last <= 0xdbff) {
        keep = 2;
        total = 4;
      }
    }
  } else if (this.encoding === 'base64' || this.encoding === 'base64url') {
    keep = bytes.length % 3;
    total = 3;
  }
  if (keep) {
    this.pending = Buffer.from(bytes.subarray(bytes.length - keep));
    this.pendingTotal = total;
    bytes = bytes.subarray(0, bytes.length - keep);
  }
  return out + bytes.toString(this.encoding);
};

StringDecoder.prototype.end = function (buf) {
  let out = buf === undefined ? '' : this.write(buf);
  if (this.pending.length) {
    // An incomplete UTF-8 sequence ends as one replacement character.
    if (this.encoding === 'utf8') out += '\ufffd';
    else if (this.encoding === 'utf16le') out += this.pending.subarray(0, this.pending.length & ~1).toString('utf16le');
    else out += this.pending.toString(this.encoding);
    this.pending = Buffer.alloc(0);
    this.pendingTotal = 0;
  }
  return out;
};

StringDecoder.prototype.text = function (buf, offset) {
  this.pending = Buffer.alloc(0);
  this.pendingTotal = 0;
  return this.write(toBytes(buf).subarray(offset));
};

Object.defineProperties(StringDecoder.prototype, {
  lastChar: {
    get() {
      const out = Buffer.alloc(4);
      this.pending.copy(out);
      return out;
    },
  },
  lastNeed: {
    get() {
      return this.pending.length ? this.pendingTotal - this.pending.length : 0;
    },
  },
  lastTotal: {
    get() {
      return this.pending.length ? this.pendingTotal : 0;
    },
  },
});

export default { StringDecoder };

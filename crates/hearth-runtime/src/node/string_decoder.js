// node:string_decoder — decodes Buffers to strings across chunk boundaries.
import { Buffer } from 'node:buffer';

export class StringDecoder {
  constructor(encoding = 'utf8') {
    const enc = String(encoding).toLowerCase().replace('-', '');
    this.encoding = enc === 'utf8' ? 'utf8' : enc;
    this.decoder = this.encoding === 'utf8' ? new TextDecoder('utf-8') : null;
    this.pending = null;
  }

  write(buf) {
    if (typeof buf === 'string') return buf;
    if (this.decoder) return this.decoder.decode(buf, { stream: true });
    let bytes = Buffer.from(buf);
    if (this.pending) {
      bytes = Buffer.concat([this.pending, bytes]);
      this.pending = null;
    }
    const unit = this.encoding === 'base64' || this.encoding === 'base64url' ? 3 : this.encoding === 'utf16le' || this.encoding === 'ucs2' ? 2 : 1;
    const keep = bytes.length % unit;
    if (keep) {
      this.pending = bytes.subarray(bytes.length - keep);
      bytes = bytes.subarray(0, bytes.length - keep);
    }
    return bytes.toString(this.encoding);
  }

  end(buf) {
    let out = buf ? this.write(buf) : '';
    if (this.decoder) out += this.decoder.decode();
    else if (this.pending) {
      out += this.pending.toString(this.encoding);
      this.pending = null;
    }
    return out;
  }
}

export default { StringDecoder };

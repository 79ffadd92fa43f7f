// node:tty — a worker has no terminal: `isatty` is false, and the stream
// classes exist for code that checks them (as workerd's).
import { Socket } from 'node:net';

export function isatty() {
  return false;
}

export function ReadStream(fd) {
  if (!(this instanceof ReadStream)) return new ReadStream(fd);
  this.fd = fd;
  this.isRaw = false;
  this.isTTY = false;
}
Object.setPrototypeOf(ReadStream.prototype, Socket.prototype);
Object.setPrototypeOf(ReadStream, Socket);
ReadStream.prototype.setRawMode = function (mode) {
  this.isRaw = Boolean(mode);
  return this;
};

export function WriteStream(fd) {
  if (!(this instanceof WriteStream)) return new WriteStream(fd);
  this.fd = fd;
  this.columns = 0;
  this.rows = 0;
}
Object.setPrototypeOf(WriteStream.prototype, Socket.prototype);
Object.setPrototypeOf(WriteStream, Socket);
WriteStream.prototype.isTTY = true;
WriteStream.prototype.getColorDepth = () => 1;
WriteStream.prototype.hasColors = () => false;
WriteStream.prototype.getWindowSize = () => [0, 0];
for (const name of ['cursorTo', 'moveCursor', 'clearLine', 'clearScreenDown']) {
  WriteStream.prototype[name] = function (...args) {
    const cb = args.find((a) => typeof a === 'function');
    if (cb) queueMicrotask(cb);
    return true;
  };
}

export default { isatty, ReadStream, WriteStream };

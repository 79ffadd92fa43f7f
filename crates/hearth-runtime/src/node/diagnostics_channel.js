// node:diagnostics_channel — named channels with subscribers.
const channels = new Map();

export class Channel {
  constructor(name) {
    this.name = name;
    this._subscribers = [];
  }
  get hasSubscribers() {
    return this._subscribers.length > 0;
  }
  subscribe(fn) {
    this._subscribers.push(fn);
  }
  unsubscribe(fn) {
    const i = this._subscribers.indexOf(fn);
    if (i >= 0) this._subscribers.splice(i, 1);
    return i >= 0;
  }
  publish(message) {
    for (const fn of this._subscribers.slice()) fn(message, this.name);
  }
}

export function channel(name) {
  if (!channels.has(name)) channels.set(name, new Channel(name));
  return channels.get(name);
}
export const hasSubscribers = (name) => channels.has(name) && channels.get(name).hasSubscribers;
export const subscribe = (name, fn) => channel(name).subscribe(fn);
export const unsubscribe = (name, fn) => channel(name).unsubscribe(fn);
export function tracingChannel(name) {
  const names = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'];
  const t = {};
  for (const n of names) t[n] = channel(`tracing:${name}:${n}`);
  t.traceSync = (fn, ctx, thisArg, ...args) => fn.apply(thisArg, args);
  t.tracePromise = (fn, ctx, thisArg, ...args) => fn.apply(thisArg, args);
  return t;
}
export default { channel, hasSubscribers, subscribe, unsubscribe, tracingChannel, Channel };

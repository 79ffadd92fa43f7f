// node:timers/promises — promise forms of the timers, with AbortSignal.
import { AbortError } from 'hearth:node-errors';

function abortable(signal, start) {
  return new Promise((resolve, reject) => {
    if (signal && signal.aborted) {
      reject(new AbortError(undefined, { cause: signal.reason }));
      return;
    }
    const cancel = start(resolve);
    if (signal) {
      signal.addEventListener(
        'abort',
        () => {
          cancel();
          reject(new AbortError(undefined, { cause: signal.reason }));
        },
        { once: true },
      );
    }
  });
}

export function setTimeout(delay, value, options = {}) {
  return abortable(options.signal, (resolve) => {
    const id = globalThis.setTimeout(() => resolve(value), delay);
    return () => globalThis.clearTimeout(id);
  });
}

export function setImmediate(value, options = {}) {
  return setTimeout(0, value, options);
}

export async function* setInterval(delay, value, options = {}) {
  const signal = options.signal;
  let pending = 0;
  let wake = null;
  const id = globalThis.setInterval(() => {
    pending++;
    if (wake) wake();
  }, delay);
  try {
    for (;;) {
      if (signal && signal.aborted) throw new AbortError(undefined, { cause: signal.reason });
      if (pending === 0) {
        await abortable(signal, (resolve) => {
          wake = resolve;
          return () => {};
        });
        wake = null;
      }
      while (pending > 0) {
        pending--;
        yield value;
      }
    }
  } finally {
    globalThis.clearInterval(id);
  }
}

export const scheduler = {
  wait: (delay, options) => setTimeout(delay, undefined, options),
  yield: () => setImmediate(),
};

export default { setTimeout, setImmediate, setInterval, scheduler };

// The worker that runs one of Node's test files (GET /?t=test-x.js): it
// imports the file (CommonJS, so it runs as it loads), waits until every
// common.mustCall() has its count (or 5 s), emits process 'exit' as Node
// does at the end, and answers with what went wrong.
import process from 'node:process';
import { setImmediate, clearImmediate } from 'node:timers';

const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

export default {
  async fetch(request) {
    const name = new URL(request.url).searchParams.get('t');
    const errors = (globalThis.__nodeCompatErrors = []);
    const checks = (globalThis.__nodeCompatChecks = []);
    // Node's globals that workerd has as well, or that the tests lean on.
    if (!globalThis.setImmediate) {
      globalThis.setImmediate = setImmediate;
      globalThis.clearImmediate = clearImmediate;
    }
    process.on('uncaughtException', (e) => errors.push(e));
    try {
      await import(`./parallel/${name}`);
    } catch (e) {
      if (!globalThis.__nodeCompatSkipped) errors.push(e);
    }
    const met = (c) => (c.atLeast ? c.actual >= c.exact : c.actual === c.exact);
    for (let i = 0; i < 500 && !checks.every(met); i++) await tick();
    // Room for late or extra calls.
    for (let i = 0; i < 5; i++) await tick();
    try {
      process.emit('exit', 0);
    } catch (e) {
      errors.push(e);
    }
    const unmet = checks
      .filter((c) => !met(c))
      .map((c) => `${c.name}: expected ${c.atLeast ? 'at least ' : ''}${c.exact} call(s), got ${c.actual}\n${c.stack}`);
    return Response.json({
      skipped: globalThis.__nodeCompatSkipped || null,
      errors: errors.map((e) => `${e}\n${(e && e.stack) || ""}`),
      unmet,
    });
  },
};

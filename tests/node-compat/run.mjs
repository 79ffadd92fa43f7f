#!/usr/bin/env node
// Runs Node.js's own tests for node:stream, node:events, node:string_decoder
// and node:zlib inside a worker on the real hearth binary, one hearth process
// per test file, and prints the pass rate per module.
//
//   tests/node-compat/fetch.sh [NODE_TEST_GIT_DIR]   # once: extract the tests
//   node tests/node-compat/run.mjs [--failures] [name-filter]
//
// HEARTH_BIN picks the binary (default target/release/hearth). A test passes
// when importing it throws nothing, nothing fails asynchronously, every
// common.mustCall() count is met and the process 'exit' listeners pass.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const testsDir = path.join(repo, '.tools/node-tests/test');
const project = path.join(repo, '.tools/node-compat-project');
const bin = process.env.HEARTH_BIN || path.join(repo, 'target/release/hearth');
const args = process.argv.slice(2);
const showFailures = args.includes('--failures');
const filter = args.find((a) => !a.startsWith('--'));

const MODULES = [
  ['stream', /^test-stream/],
  ['events', /^test-(event-emitter|events)-/],
  ['string_decoder', /^test-string-decoder/],
  ['zlib', /^test-zlib/],
];

if (!fs.existsSync(path.join(testsDir, 'parallel'))) {
  console.error('no Node.js tests in .tools/node-tests: run tests/node-compat/fetch.sh first');
  process.exit(2);
}

// The project: the runner worker, the common shim, the tests and fixtures.
fs.rmSync(project, { recursive: true, force: true });
fs.mkdirSync(project, { recursive: true });
fs.writeFileSync(
  path.join(project, 'wrangler.toml'),
  'name = "node-compat"\nmain = "worker.mjs"\ncompatibility_date = "2025-09-01"\ncompatibility_flags = ["nodejs_compat"]\n',
);
fs.copyFileSync(path.join(here, 'worker.mjs'), path.join(project, 'worker.mjs'));
fs.cpSync(path.join(here, 'common'), path.join(project, 'common'), { recursive: true });
fs.cpSync(path.join(testsDir, 'parallel'), path.join(project, 'parallel'), { recursive: true });
if (fs.existsSync(path.join(testsDir, 'fixtures'))) {
  fs.cpSync(path.join(testsDir, 'fixtures'), path.join(project, 'fixtures'), { recursive: true });
}

const moduleOf = (name) => (MODULES.find(([, re]) => re.test(name)) || [null])[0];
const tests = fs
  .readdirSync(path.join(project, 'parallel'))
  .filter((n) => n.endsWith('.js') && moduleOf(n) && (!filter || n.includes(filter)))
  .sort();

function runOne(name) {
  return new Promise((resolve) => {
    // Runs at once share the project; a state folder is held by one server.
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-node-compat-'));
    const child = spawn(bin, ['dev', project, '--port', '0', '--persist-to', state], {
      env: { ...process.env, NO_COLOR: '1', HEARTH_LOG: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let logs = '';
    let done = false;
    const finish = (result) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      const clean = () => fs.rmSync(state, { recursive: true, force: true });
      if (child.exitCode !== null || child.signalCode !== null) clean();
      else child.once('exit', clean);
      resolve({ name, logs, ...result });
    };
    const timer = setTimeout(() => finish({ status: 'timeout' }), 30000);
    child.stderr.on('data', (d) => (logs += d));
    child.stdout.on('data', async (d) => {
      const text = String(d);
      logs += text;
      const m = /Ready on (\S+)/.exec(text);
      if (!m) return;
      try {
        const res = await fetch(`${m[1]}/?t=${encodeURIComponent(name)}`);
        const body = await res.text();
        let report;
        try {
          report = JSON.parse(body);
        } catch {
          return finish({ status: 'fail', detail: `HTTP ${res.status}: ${body.slice(0, 2000)}` });
        }
        // Give asynchronous failures a moment to reach the log.
        await new Promise((r) => setTimeout(r, 20));
        const uncaught = /Uncaught|unhandled rejection/i.test(logs);
        if (report.skipped) return finish({ status: 'skip', detail: report.skipped });
        if (report.errors.length || report.unmet.length || uncaught) {
          return finish({ status: 'fail', detail: [...report.errors, ...report.unmet, uncaught ? logs : ''].join('\n').slice(0, 4000) });
        }
        finish({ status: 'pass' });
      } catch (e) {
        finish({ status: 'fail', detail: String(e) });
      }
    });
    child.on('exit', () => setTimeout(() => finish({ status: 'fail', detail: `hearth exited\n${logs}` }), 50));
  });
}

const results = [];
const queue = tests.slice();
const workers = Array.from({ length: Number(process.env.JOBS || 2) }, async () => {
  while (queue.length) {
    const r = await runOne(queue.shift());
    results.push(r);
    if (showFailures && r.status !== 'pass') console.log(`--- ${r.name}: ${r.status}\n${r.detail || ''}\n`);
  }
});
await Promise.all(workers);

console.log('module           passed / total (skipped)');
let pass = 0;
for (const [mod] of MODULES) {
  const mine = results.filter((r) => moduleOf(r.name) === mod);
  if (!mine.length) continue;
  const p = mine.filter((r) => r.status === 'pass').length;
  const s = mine.filter((r) => r.status === 'skip').length;
  pass += p;
  console.log(`${mod.padEnd(16)} ${String(p).padStart(6)} / ${mine.length} (${s})  ${((100 * p) / mine.length).toFixed(1)}%`);
}
console.log(`${'all'.padEnd(16)} ${String(pass).padStart(6)} / ${results.length}`);
fs.writeFileSync(
  path.join(repo, '.tools/node-compat-results.json'),
  JSON.stringify(results.map(({ name, status, detail }) => ({ name, status, detail })).sort((a, b) => a.name.localeCompare(b.name)), null, 1),
);

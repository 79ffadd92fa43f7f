// Runs every *.test.mjs suite in this folder; `node run.mjs [filter]`.
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { runSuite } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2];
let passed = 0, failed = 0;
for (const f of readdirSync(here).filter((f) => f.endsWith('.test.mjs')).sort()) {
  const mod = await import(pathToFileURL(path.join(here, f)).href);
  const r = await runSuite(f.replace('.test.mjs', ''), mod.tests, filter);
  passed += r.passed;
  failed += r.failed;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

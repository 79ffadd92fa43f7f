// Drives the to-do app in headless Chromium (Debian's /usr/bin/chromium) with
// playwright-core: add two todos, tick one, reload, check both persisted and
// the one ticked. Usage: node browser.mjs URL USER_DATA_DIR
// (NODE_PATH must reach playwright-core; scripts/test.sh installs it in .tools/browser).
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const [url, userDataDir] = process.argv.slice(2);
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  timeout: 60000,
});
const fail = async (msg) => { console.error('FAIL: ' + msg); await context.close(); process.exit(1); };
try {
  const page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(20000);
  await page.goto(url);
  const names = async () => page.$$eval('#todos [data-todo] span', els => els.map(e => e.textContent));
  if ((await names()).length !== 0) await fail('expected an empty list, got ' + (await names()));
  const saved = () => page.waitForResponse(r => r.request().method() === 'PUT' && r.status() === 200);
  for (const name of ['Buy milk', 'Write tests']) {
    await page.fill('input[name=name]', name);
    await Promise.all([saved(), page.click('#create')]);
  }
  if (JSON.stringify(await names()) !== JSON.stringify(['Buy milk', 'Write tests'])) await fail('after adding: ' + (await names()));
  await Promise.all([saved(), page.click('#todos [data-todo="2"] input[type=checkbox]')]);
  await page.reload();
  const after = await names();
  const checked = await page.$$eval('#todos [data-todo] input[type=checkbox]', els => els.map(e => e.checked));
  const struck = await page.$$eval('#todos [data-todo] span', els => els.map(e => e.className));
  console.log(JSON.stringify({ names: after, checked, struck }));
  if (JSON.stringify(after) !== JSON.stringify(['Buy milk', 'Write tests'])) await fail('after reload: ' + after);
  if (JSON.stringify(checked) !== JSON.stringify([false, true])) await fail('checked after reload: ' + checked);
  if (struck[1] !== 'line-through' || struck[0] !== '') await fail('classes after reload: ' + struck);
  console.log('PASS');
} catch (e) {
  await fail(e.stack || String(e));
}
await context.close();

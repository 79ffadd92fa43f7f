//! AsyncLocalStorage context across `await` inside npm packages (ES modules
//! and CommonJS), as on Workers: packages such as ORMs, loggers and tracing
//! libraries await between a `run()` and a `getStore()`.

use hearth_tests::{write_project, Hearth};

const WORKER: &str = r#"import { AsyncLocalStorage } from 'node:async_hooks';
import { readLater as esmRead, runAndAwait } from 'als-esm';
import cjs from 'als-cjs';

const als = new AsyncLocalStorage();
const both = (read) =>
  Promise.all([als.run('first', () => read(als)), als.run('second', () => read(als))]);

export default {
  async fetch() {
    return Response.json({
      esm: await both(esmRead),
      cjs: await both(cjs.readLater),
      // The package's own storage, run() with an async callback that awaits.
      inside: await Promise.all([runAndAwait('a', () => 1), runAndAwait('b', () => 2)]),
    });
  },
};
"#;

const ESM: &str = r#"import { AsyncLocalStorage } from 'node:async_hooks';
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
export async function readLater(als) {
  const before = als.getStore();
  await tick();
  await null;
  return `${before}/${als.getStore()}`;
}
const own = new AsyncLocalStorage();
export function runAndAwait(value, work) {
  return own.run(value, async () => {
    await tick();
    const result = await work();
    await tick();
    return `${own.getStore()}:${result}`;
  });
}
"#;

const CJS: &str = r#"'use strict';
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
class Reader {
  async read(als) {
    const before = als.getStore();
    await tick();
    return `${before}/${als.getStore()}`;
  }
}
exports.readLater = async function (als) {
  await null;
  return new Reader().read(als);
};
"#;

#[test]
fn async_local_storage_survives_await_inside_npm_packages() {
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"als\"\nmain = \"src/index.js\"\ncompatibility_date = \"2025-01-01\"\n\
             compatibility_flags = [\"nodejs_compat\"]\n",
        ),
        ("src/index.js", WORKER),
        (
            "node_modules/als-esm/package.json",
            r#"{"name":"als-esm","type":"module","main":"index.js"}"#,
        ),
        ("node_modules/als-esm/index.js", ESM),
        (
            "node_modules/als-cjs/package.json",
            r#"{"name":"als-cjs","main":"lib.js"}"#,
        ),
        ("node_modules/als-cjs/lib.js", CJS),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    let (status, body) = h.get("/");
    assert_eq!(status, 200, "{body}\n{}", h.logs());
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["esm"],
        serde_json::json!(["first/first", "second/second"]),
        "{v}"
    );
    assert_eq!(
        v["cjs"],
        serde_json::json!(["first/first", "second/second"]),
        "{v}"
    );
    assert_eq!(v["inside"], serde_json::json!(["a:1", "b:2"]), "{v}");
}

#[test]
fn async_local_storage_in_packages_needs_no_nodejs_compat_with_nodejs_als() {
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"als\"\nmain = \"src/index.js\"\ncompatibility_date = \"2024-01-01\"\n\
             compatibility_flags = [\"nodejs_als\"]\n",
        ),
        (
            "src/index.js",
            "import { AsyncLocalStorage } from 'node:async_hooks';\n\
             import { readLater } from 'als-esm';\n\
             const als = new AsyncLocalStorage();\n\
             export default { async fetch() { return new Response(await als.run('ctx', () => readLater(als))); } };\n",
        ),
        (
            "node_modules/als-esm/package.json",
            r#"{"name":"als-esm","type":"module","main":"index.js"}"#,
        ),
        ("node_modules/als-esm/index.js", ESM),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(h.get("/"), (200, "ctx/ctx".into()), "{}", h.logs());
}

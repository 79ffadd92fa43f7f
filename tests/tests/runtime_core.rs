//! The runtime core's guarantees to user code: hearth's natives are out of
//! reach, one Durable Object cannot use another's storage, and an error is
//! judged a broken limit only when the engine says so, never by its text.

use hearth_tests::{write_project, Hearth};
use serde_json::Value;

const CONFIG: &str = r#"
name = "core"
main = "src/index.js"
compatibility_date = "2025-01-01"

[durable_objects]
bindings = [ { name = "OBJ", class_name = "Leaky" } ]

[[migrations]]
tag = "v1"
new_sqlite_classes = ["Leaky"]
"#;

const WORKER: &str = r#"
import { DurableObject } from 'cloudflare:workers';

// Module state: survives between requests as long as the isolate lives.
const isolateId = crypto.randomUUID();

export class Leaky extends DurableObject {
  async fetch(request) {
    const url = new URL(request.url);
    await this.ctx.storage.put('secret', 'of ' + url.searchParams.get('name'));
    if (url.pathname === '/leak') {
      // A careless (or hostile) object hands its storage to module state.
      globalThis.leakedStorage = this.ctx.storage;
      return new Response('leaked');
    }
    if (url.pathname === '/steal') {
      try {
        const value = await globalThis.leakedStorage.get('secret');
        return new Response('read ' + value);
      } catch (e) {
        return new Response(`${e.name}: ${e.message}`, { status: 403 });
      }
    }
    return new Response(await this.ctx.storage.get('secret'));
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case '/globals': {
        const own = Object.getOwnPropertyNames(globalThis).filter((n) => /hearth/i.test(n));
        const attempts = {};
        for (const name of ['hearth:internal', 'hearth:cjs']) {
          try {
            const ns = await import(name);
            attempts[name] = 'imported: ' + Object.keys(ns).join(',');
          } catch (e) {
            attempts[name] = String(e.message);
          }
        }
        return Response.json({ own, keys: Object.keys(globalThis), attempts });
      }
      case '/throw-interrupted':
        throw new Error('upload interrupted');
      case '/throw-oom':
        throw new Error('parser ran out of memory');
      case '/isolate':
        return new Response(isolateId);
      default: {
        // /leak, /steal, /read?name=... go to the object named by `name`.
        const name = url.searchParams.get('name');
        return env.OBJ.get(env.OBJ.idFromName(name)).fetch(request);
      }
    }
  },
};
"#;

fn start() -> (tempfile::TempDir, Hearth) {
    let dir = write_project(&[("wrangler.toml", CONFIG), ("src/index.js", WORKER)]);
    // One event-loop thread: every object and request shares one isolate,
    // which is what a leak across objects needs.
    let h = Hearth::start(dir.path(), &["--threads", "1"]);
    (dir, h)
}

#[test]
fn natives_are_neither_visible_nor_importable() {
    let (_dir, h) = start();
    let (status, body) = h.get("/globals");
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["own"], serde_json::json!([]), "{body}");
    assert_eq!(v["keys"], serde_json::json!([]), "{body}");
    for name in ["hearth:internal", "hearth:cjs"] {
        let outcome = v["attempts"][name].as_str().unwrap();
        assert!(
            outcome.contains("hearth does not provide this module"),
            "{name}: {outcome}"
        );
    }
}

#[test]
fn one_object_cannot_use_another_objects_storage() {
    let (_dir, h) = start();
    assert_eq!(h.get("/leak?name=alice"), (200, "leaked".into()));
    let (status, body) = h.get("/steal?name=mallory");
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("Cannot perform I/O on behalf of a different Durable Object"),
        "{body}"
    );
    // Both objects still work with their own storage.
    assert_eq!(h.get("/read?name=alice"), (200, "of alice".into()));
    assert_eq!(h.get("/read?name=mallory"), (200, "of mallory".into()));
}

#[test]
fn errors_that_mention_limits_are_ordinary_exceptions() {
    let (_dir, h) = start();
    let (_, before) = h.get("/isolate");
    for (path, marker) in [
        ("/throw-interrupted", "upload interrupted"),
        ("/throw-oom", "parser ran out of memory"),
    ] {
        let (status, body) = h.get(path);
        assert_eq!(status, 500, "{path}: {body}");
        h.wait_for_log(marker);
    }
    let logs = h.logs();
    assert!(!logs.contains("CPU time limit"), "{logs}");
    assert!(!logs.contains("memory limit"), "{logs}");
    // The isolate was not recycled: its module state is the same.
    assert_eq!(h.get("/isolate"), (200, before));
}

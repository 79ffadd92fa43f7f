//! A Durable Object's input gate, black-box, as on Cloudflare: events start
//! one at a time in arrival order and interleave only where one awaits
//! something other than storage (a timer, a fetch, another object); an
//! event whose promise can never settle fails instead of wedging its object.

use hearth_tests::{write_project, Hearth};
use std::time::{Duration, Instant};

fn project() -> tempfile::TempDir {
    write_project(&[
        (
            "wrangler.toml",
            "name = \"gate\"\nmain = \"index.js\"\ncompatibility_date = \"2025-09-20\"\n\
             [[durable_objects.bindings]]\nname = \"OBJ\"\nclass_name = \"Obj\"\n\
             [[migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"Obj\"]\n",
        ),
        (
            "index.js",
            r#"import { DurableObject } from 'cloudflare:workers';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class Obj extends DurableObject {
  log = [];
  // Writes, then waits on a timer: the gate opens while it waits.
  async slow() {
    this.log.push('slow-start');
    await this.ctx.storage.put('slow', 1);
    await sleep(600);
    this.log.push('slow-end');
    return this.log;
  }
  quick() {
    this.log.push('quick');
    return this.log;
  }
  // A promise nothing can settle: no timer, no I/O behind it.
  hang() {
    this.log.push('hang');
    return new Promise(() => {});
  }
  // Waits inside blockConcurrencyWhile: nothing else may start meanwhile.
  async block() {
    await this.ctx.blockConcurrencyWhile(async () => {
      this.log.push('block-start');
      await sleep(400);
      this.log.push('block-end');
    });
    return this.log;
  }
  async stored() {
    return (await this.ctx.storage.get('slow')) ?? null;
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const stub = env.OBJ.getByName(url.searchParams.get('name'));
    try {
      return Response.json(await stub[url.pathname.slice(1)]());
    } catch (err) {
      return Response.json({ error: String(err.message) }, { status: 500 });
    }
  },
};
"#,
        ),
    ])
}

/// Calls `method` of object `name` on another thread.
fn call_later(
    h: &Hearth,
    method: &str,
    name: &str,
) -> std::thread::JoinHandle<(u16, serde_json::Value)> {
    let url = format!("{}/{method}?name={name}", h.url);
    std::thread::spawn(move || {
        let (status, text) = hearth_tests::request(&url, "GET", &[], None);
        (status, serde_json::from_str(&text).unwrap_or_default())
    })
}

#[test]
fn an_event_awaiting_a_timer_lets_the_next_one_in() {
    let p = project();
    let h = Hearth::start(p.path(), &[]);
    let slow = call_later(&h, "slow", "a");
    std::thread::sleep(Duration::from_millis(200));
    let start = Instant::now();
    let (status, log) = h.json("GET", "/quick?name=a", None);
    assert_eq!(status, 200, "{log}");
    assert!(
        start.elapsed() < Duration::from_millis(400),
        "the second event waited {:?} for the first one's timer",
        start.elapsed()
    );
    assert_eq!(log, serde_json::json!(["slow-start", "quick"]));
    let (status, log) = slow.join().unwrap();
    assert_eq!(status, 200);
    assert_eq!(log, serde_json::json!(["slow-start", "quick", "slow-end"]));
    // The write made before the await was committed with it.
    assert_eq!(h.json("GET", "/stored?name=a", None).1, 1);
}

#[test]
fn block_concurrency_while_keeps_the_gate_closed_across_its_awaits() {
    let p = project();
    let h = Hearth::start(p.path(), &[]);
    let block = call_later(&h, "block", "b");
    std::thread::sleep(Duration::from_millis(150));
    let (status, log) = h.json("GET", "/quick?name=b", None);
    assert_eq!(status, 200, "{log}");
    assert_eq!(
        log,
        serde_json::json!(["block-start", "block-end", "quick"])
    );
    assert_eq!(block.join().unwrap().0, 200);
}

#[test]
fn a_promise_that_never_settles_fails_its_call_and_the_object_goes_on() {
    let p = project();
    let h = Hearth::start(p.path(), &[]);
    let start = Instant::now();
    let (status, body) = h.json("GET", "/hang?name=c", None);
    assert_eq!(status, 500, "{body}");
    assert_eq!(
        body["error"],
        "The script will never generate a response.",
        "{}",
        h.logs()
    );
    assert!(start.elapsed() < Duration::from_secs(5));
    // The same instance answers the next event: nothing was reset.
    let (status, log) = h.json("GET", "/quick?name=c", None);
    assert_eq!(status, 200);
    assert_eq!(log, serde_json::json!(["hang", "quick"]));
}

//! `err.stack` shaped as on Workers (V8): npm code parses it (depd,
//! source-map-support, error reporters), so the first line is
//! `${name}: ${message}` and frames read `    at fn (file:line:col)`.

use hearth_tests::{write_project, Hearth};
use serde_json::Value;

const WORKER: &str = r#"class ValidationError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ValidationError';
  }
}
function named() {
  return new Error('boom');
}
export default {
  async fetch(request) {
    if (new URL(request.url).pathname === '/throw') throw new Error('uncaught marker');
    const out = {};
    out.plain = named().stack;
    out.subclass = new ValidationError('bad input').stack;
    out.arrow = [1].map(() => new Error('in arrow').stack)[0];
    out.engine = (() => { try { null.x; } catch (e) { return e.stack; } })();
    const cleared = new Error('x');
    cleared.stack = undefined;
    out.cleared = cleared.stack === undefined;
    const assigned = new Error('x');
    assigned.stack = 'my own';
    out.assigned = assigned.stack;
    const target = { name: 'Custom', message: 'from capture' };
    Error.captureStackTrace(target);
    out.captured = target.stack;
    Error.prepareStackTrace = (err, sites) => ({ sites: sites.length > 0, message: err.message });
    out.prepared = new Error('prep').stack;
    Error.prepareStackTrace = undefined;
    Error.stackTraceLimit = 0;
    out.noFrames = new Error('bare').stack;
    Error.stackTraceLimit = 10;
    out.dom = new DOMException('stopped', 'AbortError').stack;
    return Response.json(out);
  },
};
"#;

fn start() -> (tempfile::TempDir, Hearth) {
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"stacks\"\nmain = \"src/index.js\"\ncompatibility_date = \"2025-01-01\"\n",
        ),
        ("src/index.js", WORKER),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    (dir, h)
}

#[test]
fn error_stacks_start_with_name_and_message_then_v8_frames() {
    let (_dir, h) = start();
    let (status, body) = h.get("/");
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let lines = |key: &str| -> Vec<String> {
        v[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key}: {v}"))
            .lines()
            .map(str::to_string)
            .collect()
    };

    let plain = lines("plain");
    assert_eq!(plain[0], "Error: boom");
    assert!(
        plain[1].starts_with("    at named (src/index.js:8:"),
        "{plain:?}"
    );
    assert!(plain[1].ends_with(')'), "{plain:?}");
    assert!(
        plain[2].starts_with("    at fetch (src/index.js:14:"),
        "{plain:?}"
    );

    // The name a subclass sets after super() is the one shown, as on V8
    // (which formats the stack when it is first read).
    assert_eq!(lines("subclass")[0], "ValidationError: bad input");

    // An anonymous function's frame has no name and no parentheses.
    let arrow = lines("arrow");
    assert_eq!(arrow[0], "Error: in arrow");
    assert!(arrow[1].starts_with("    at src/index.js:16:"), "{arrow:?}");

    let engine = lines("engine");
    assert!(engine[0].starts_with("TypeError: "), "{engine:?}");
    assert!(
        engine[1].starts_with("    at src/index.js:17:"),
        "{engine:?}"
    );

    assert_eq!(v["cleared"], true);
    assert_eq!(v["assigned"], "my own");

    let captured = lines("captured");
    assert_eq!(captured[0], "Custom: from capture");
    assert!(
        captured[1].starts_with("    at fetch (src/index.js:25:"),
        "{captured:?}"
    );

    // A program's prepareStackTrace decides the value, whatever it is.
    assert_eq!(
        v["prepared"],
        serde_json::json!({"sites": true, "message": "prep"})
    );
    assert_eq!(v["noFrames"], "Error: bare");
    assert_eq!(lines("dom")[0], "AbortError: stopped");
}

#[test]
fn logged_uncaught_error_shows_its_first_line_once() {
    let (_dir, h) = start();
    assert_eq!(h.get("/throw").0, 500);
    h.wait_for_log("src/index.js:12:");
    let logs = h.logs();
    assert_eq!(logs.matches("Error: uncaught marker").count(), 1, "{logs}");
    assert!(
        logs.contains("Error: uncaught marker\n    at fetch (src/index.js:12:"),
        "{logs}"
    );
}

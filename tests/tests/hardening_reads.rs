//! Reading what is not yours, black-box: a worker's code reads only its own
//! project's modules (no `hearth-cjs:` or path tricks, no hearth state as a
//! Data module, no state or config through node:fs's /bundle); Durable
//! Object SQL stays inside the object's own database (SQLite's authorizer,
//! as on Cloudflare); with two workers, each reaches only the bindings its
//! configuration gives it; a class or worker name cannot make hearth write
//! outside `--persist-to`.

use hearth_tests::{request, write_project, Hearth};
use std::path::Path;

/// Runs every attempt of `attempts` (name → async function body) in the
/// worker and answers `{ name: "refused: message" | "read: text" }`.
fn attempts_worker(attempts: &[(&str, &str)]) -> String {
    let mut body = String::new();
    for (name, code) in attempts {
        body.push_str(&format!(
            "  try {{ const v = await (async () => {{ {code} }})(); out[{name:?}] = 'read: ' + show(v); }}\n  \
             catch (e) {{ out[{name:?}] = 'refused: ' + String(e && e.message || e); }}\n"
        ));
    }
    format!(
        "import fs from 'node:fs';\n\
         const show = (v) => {{\n\
           if (v && v.default !== undefined) v = v.default;\n\
           if (v instanceof ArrayBuffer) v = new Uint8Array(v);\n\
           if (v instanceof Uint8Array) return new TextDecoder().decode(v);\n\
           return typeof v === 'string' ? v : JSON.stringify(v);\n\
         }};\n\
         export default {{\n\
           async fetch(request, env) {{\n\
             const url = new URL(request.url);\n\
             if (url.pathname === '/put') {{ await env.KV.put('k', 'KVVALUE-SECRET'); return new Response('ok'); }}\n\
             const out = {{}};\n{body}\
             return Response.json(out);\n\
           }},\n\
         }};\n"
    )
}

fn refused(out: &serde_json::Value, name: &str) {
    let v = out[name].as_str().unwrap_or_default();
    assert!(v.starts_with("refused"), "{name} was not refused: {v}");
}

#[test]
fn a_worker_reads_only_its_own_project() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("secret.json"),
        r#"{"secret":"OUTSIDE-SECRET"}"#,
    )
    .unwrap();
    let secret = outside.path().join("secret.json");
    let secret = secret.display().to_string();
    let up = "../".repeat(16);
    let rel = secret.trim_start_matches('/');
    let attempts: Vec<(String, String)> = vec![
        (
            "cjs-absolute".into(),
            format!("return await import({:?});", format!("hearth-cjs:{secret}")),
        ),
        (
            "cjs-dotdot".into(),
            format!(
                "return await import({:?});",
                format!("hearth-cjs:{up}{rel}")
            ),
        ),
        (
            "import-absolute".into(),
            format!("return await import({secret:?});"),
        ),
        (
            "import-dotdot".into(),
            format!("return await import({:?});", format!("./{up}{rel}")),
        ),
        (
            "data-state".into(),
            "return await import('./.hearth/state/kv.sqlite3');".into(),
        ),
        (
            "data-state-wal".into(),
            "return await import('./.hearth/state/kv.sqlite3-wal');".into(),
        ),
        (
            "cjs-state".into(),
            "return await import('hearth-cjs:.hearth/state/kv.sqlite3');".into(),
        ),
        (
            "fs-state".into(),
            "return fs.readFileSync('/bundle/.hearth/state/kv.sqlite3');".into(),
        ),
        (
            "fs-state-wal".into(),
            "return fs.readFileSync('/bundle/.hearth/state/kv.sqlite3-wal');".into(),
        ),
        (
            "fs-config".into(),
            "return fs.readFileSync('/bundle/wrangler.toml', 'utf8');".into(),
        ),
        (
            "fs-dev-vars".into(),
            "return fs.readFileSync('/bundle/.dev.vars', 'utf8');".into(),
        ),
        (
            "fs-outside".into(),
            format!(
                "return fs.readFileSync({:?}, 'utf8');",
                format!("/bundle/{up}{rel}")
            ),
        ),
    ];
    let mut all: Vec<(&str, &str)> = attempts
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    all.push(("listing", "return fs.readdirSync('/bundle');"));
    all.push((
        "own-data",
        "return fs.readFileSync('/bundle/data.txt', 'utf8');",
    ));
    all.push(("own-import", "return await import('./data.txt');"));
    let source = attempts_worker(&all);
    let project = write_project(&[
        (
            "wrangler.toml",
            "name = \"reader\"\nmain = \"index.js\"\ncompatibility_date = \"2025-09-20\"\n\
             compatibility_flags = [\"nodejs_compat\"]\n\
             kv_namespaces = [{ binding = \"KV\", id = \"reader-kv\" }]\n\
             [[rules]]\ntype = \"Data\"\nglobs = [\"**/*.sqlite3\", \"**/*-wal\"]\n",
        ),
        (".dev.vars", "TOKEN=DEVVARS-SECRET\n"),
        ("data.txt", "own data"),
        ("index.js", &source),
    ]);
    let h = Hearth::start(project.path(), &[]);
    assert_eq!(h.get("/put"), (200, "ok".into()));
    let (status, body) = h.get("/");
    assert_eq!(status, 200, "{body}\n{}", h.logs());
    for secret in [
        "OUTSIDE-SECRET",
        "KVVALUE-SECRET",
        "DEVVARS-SECRET",
        "reader-kv",
    ] {
        assert!(!body.contains(secret), "{secret} leaked: {body}");
    }
    let out: serde_json::Value = serde_json::from_str(&body).unwrap();
    for (name, _) in &attempts {
        refused(&out, name);
    }
    let listing = out["listing"].as_str().unwrap();
    assert!(
        listing.contains("index.js") && listing.contains("data.txt"),
        "{listing}"
    );
    for hidden in [".hearth", "wrangler.toml", ".dev.vars"] {
        assert!(
            !listing.contains(hidden),
            "/bundle shows {hidden}: {listing}"
        );
    }
    assert_eq!(out["own-data"], "read: own data", "{body}");
    assert_eq!(out["own-import"], "read: own data", "{body}");
}

/// Two workers: `a` serves HTTP and has its own KV, Durable Object, D1 and a
/// service binding to `b`'s default entrypoint; `b` has data of its own.
fn two_workers() -> tempfile::TempDir {
    write_project(&[
        (
            "a/wrangler.toml",
            "name = \"a\"\nmain = \"index.js\"\ncompatibility_date = \"2025-09-20\"\n\
             kv_namespaces = [{ binding = \"KVA\", id = \"a-ns\" }]\n\
             d1_databases = [{ binding = \"DBA\", database_name = \"a\", database_id = \"a-db\" }]\n\
             services = [{ binding = \"B\", service = \"b\" }]\n\
             [durable_objects]\nbindings = [{ name = \"OWN\", class_name = \"Own\" }]\n\
             [[migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"Own\"]\n",
        ),
        (
            "a/index.js",
            r#"import { DurableObject } from 'cloudflare:workers';
export class Own extends DurableObject {}
const attempt = async (f) => { try { return 'read: ' + JSON.stringify(await f()); } catch (e) { return 'refused: ' + e.message; } };
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/seed') return env.B.fetch('http://b/seed');
    if (url.pathname === '/legit') return env.B.fetch('http://b/read');
    const ns = new env.KVA.constructor('b-ns');
    const secret = new DurableObjectNamespace('Secret', 'b');
    const own = env.OWN.constructor;
    return Response.json({
      kv: await attempt(() => ns.get('k')),
      kvList: await attempt(() => ns.list()),
      kvPut: await attempt(() => ns.put('k', 'overwritten')),
      doFetch: await attempt(async () => (await secret.getByName('x').fetch('http://x/')).text()),
      doRpc: await attempt(() => secret.getByName('x').read()),
      doOwnCtor: await attempt(() => new own('Secret', 'b').getByName('x').read()),
      d1: await attempt(() => new env.DBA.constructor('DBB').prepare('SELECT v FROM t').all()),
      d1Attach: await attempt(() => env.DBA.exec("ATTACH DATABASE 'elsewhere.sqlite3' AS other")),
      service: await attempt(() => new env.B.constructor('b', 'Admin').secret()),
      serviceFetch: await attempt(async () => (await new env.B.constructor('b', 'Admin').fetch('http://b/read')).text()),
    });
  },
};
"#,
        ),
        (
            "b/wrangler.toml",
            "name = \"b\"\nmain = \"index.js\"\ncompatibility_date = \"2025-09-20\"\n\
             kv_namespaces = [{ binding = \"KVB\", id = \"b-ns\" }]\n\
             d1_databases = [{ binding = \"DBB\", database_name = \"b\", database_id = \"b-db\" }]\n\
             [durable_objects]\nbindings = [{ name = \"SECRET\", class_name = \"Secret\" }]\n\
             [[migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"Secret\"]\n",
        ),
        (
            "b/index.js",
            r#"import { DurableObject, WorkerEntrypoint } from 'cloudflare:workers';
export class Secret extends DurableObject {
  async fetch() { return new Response(await this.read()); }
  async seed() { await this.ctx.storage.put('s', 'DO-SECRET'); }
  async read() { return this.ctx.storage.get('s'); }
}
export class Admin extends WorkerEntrypoint {
  secret() { return 'ADMIN-SECRET'; }
  fetch() { return new Response('ADMIN-SECRET'); }
}
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const stub = env.SECRET.getByName('x');
    if (url.pathname === '/seed') {
      await env.KVB.put('k', 'KV-SECRET');
      await stub.seed();
      await env.DBB.exec('CREATE TABLE IF NOT EXISTS t (v TEXT)');
      await env.DBB.prepare("INSERT INTO t VALUES ('D1-SECRET')").run();
      return new Response('seeded');
    }
    return new Response([await env.KVB.get('k'), await stub.read()].join(' '));
  },
};
"#,
        ),
    ])
}

#[test]
fn each_of_two_workers_reaches_only_its_own_bindings() {
    let dir = two_workers();
    let state = tempfile::tempdir().unwrap();
    let config = |w: &str| {
        dir.path()
            .join(w)
            .join("wrangler.toml")
            .display()
            .to_string()
    };
    let (a, b) = (config("a"), config("b"));
    let state_arg = state.path().display().to_string();
    let h = Hearth::start(
        dir.path(),
        &["-c", &a, "-c", &b, "--persist-to", &state_arg],
    );
    assert_eq!(h.get("/seed"), (200, "seeded".into()), "{}", h.logs());
    assert_eq!(h.get("/legit"), (200, "KV-SECRET DO-SECRET".into()));
    let (status, body) = h.get("/");
    assert_eq!(status, 200, "{body}\n{}", h.logs());
    for secret in ["KV-SECRET", "DO-SECRET", "D1-SECRET", "ADMIN-SECRET"] {
        assert!(!body.contains(secret), "{secret} leaked: {body}");
    }
    let out: serde_json::Value = serde_json::from_str(&body).unwrap();
    for name in [
        "kv",
        "kvList",
        "kvPut",
        "doFetch",
        "doRpc",
        "doOwnCtor",
        "d1",
        "d1Attach",
        "service",
        "serviceFetch",
    ] {
        refused(&out, name);
    }
    // b's value was not overwritten through a's hand-made namespace.
    assert_eq!(h.get("/legit"), (200, "KV-SECRET DO-SECRET".into()));
}

/// A Durable Object running the SQL of `?q=` and answering the error
/// message (or `ok`), then `/count` to show it still works.
fn sql_project() -> tempfile::TempDir {
    write_project(&[
        (
            "wrangler.toml",
            "name = \"sql\"\nmain = \"index.js\"\ncompatibility_date = \"2025-09-20\"\n\
             [durable_objects]\nbindings = [{ name = \"OBJ\", class_name = \"Obj\" }]\n\
             [[migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"Obj\"]\n",
        ),
        (
            "index.js",
            r#"import { DurableObject } from 'cloudflare:workers';
export class Obj extends DurableObject {
  run(q) {
    try { return 'ok: ' + JSON.stringify(this.ctx.storage.sql.exec(q).toArray()); }
    catch (e) { return 'error: ' + e.message; }
  }
  count() {
    const sql = this.ctx.storage.sql;
    sql.exec('CREATE TABLE IF NOT EXISTS c (n INTEGER)');
    sql.exec('INSERT INTO c VALUES (1)');
    return sql.exec('SELECT count(*) AS n FROM c').one().n;
  }
}
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const stub = env.OBJ.getByName('one');
    if (url.pathname === '/count') return new Response(String(await stub.count()));
    return new Response(await stub.run(url.searchParams.get('q')));
  },
};
"#,
        ),
    ])
}

fn sql(h: &Hearth, q: &str) -> String {
    let url = format!("{}/?q={}", h.url, urlencode(q));
    let (status, body) = request(&url, "GET", &[], None);
    assert_eq!(status, 200, "{q}: {body}");
    body
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn durable_object_sql_stays_in_the_objects_database() {
    let project = sql_project();
    let state = tempfile::tempdir().unwrap();
    let state_arg = state.path().display().to_string();
    // Somewhere else the process may write.
    let elsewhere = tempfile::tempdir().unwrap();
    let h = Hearth::start(project.path(), &["--persist-to", &state_arg]);
    assert_eq!(h.get("/count"), (200, "1".into()), "{}", h.logs());
    let created = elsewhere.path().join("created.sqlite3");
    let auth = "error: not authorized: SQLITE_AUTH";
    let transaction = "error: To execute a transaction, please use the state.storage.transaction()";
    let cases: Vec<(String, &str)> = vec![
        (
            format!("ATTACH DATABASE '{}' AS o", created.display()),
            auth,
        ),
        (
            format!("ATTACH '{}/x.sqlite3' AS kv", state.path().display()),
            auth,
        ),
        ("DETACH DATABASE o".into(), auth),
        ("PRAGMA journal_mode=DELETE".into(), auth),
        ("PRAGMA synchronous=FULL".into(), auth),
        ("PRAGMA writable_schema=1".into(), auth),
        ("SELECT * FROM _cf_KV".into(), auth),
        ("CREATE TEMP TABLE t (x)".into(), auth),
        ("BEGIN".into(), transaction),
        ("COMMIT".into(), transaction),
        ("/* leading comment */ COMMIT".into(), transaction),
        ("-- line comment\nCOMMIT".into(), transaction),
        ("SELECT 1; COMMIT".into(), transaction),
        ("SAVEPOINT s".into(), transaction),
        ("ROLLBACK".into(), transaction),
    ];
    for (q, want) in &cases {
        let got = sql(&h, q);
        assert!(got.starts_with(want), "{q}: {got}");
    }
    assert!(
        !created.exists(),
        "ATTACH created a file outside the state folder"
    );
    let vacuum = elsewhere.path().join("vacuum.sqlite3");
    let got = sql(&h, &format!("VACUUM INTO '{}'", vacuum.display()));
    assert!(got.starts_with("error"), "{got}");
    assert!(
        !vacuum.exists(),
        "VACUUM INTO wrote outside the state folder"
    );
    // What Cloudflare allows still works, and the object is not wedged.
    for q in [
        "PRAGMA foreign_keys=OFF",
        "PRAGMA table_list",
        "PRAGMA table_info(c)",
    ] {
        assert!(sql(&h, q).starts_with("ok"), "{q}");
    }
    assert_eq!(h.get("/count"), (200, "2".into()), "{}", h.logs());
    drop(h);
    // The count survived: the COMMIT attempts did not break the storage's
    // own transaction bookkeeping.
    let h = Hearth::start(project.path(), &["--persist-to", &state_arg]);
    assert_eq!(h.get("/count"), (200, "3".into()), "{}", h.logs());
}

fn start_fails(dir: &Path, args: &[&str]) -> String {
    match Hearth::try_start(dir, args) {
        Ok(_) => panic!("hearth started"),
        Err(logs) => logs,
    }
}

#[test]
fn class_and_worker_names_cannot_leave_the_state_folder() {
    let dir = write_project(&[
        (
            "class/wrangler.toml",
            "name = \"c\"\nmain = \"index.js\"\ncompatibility_date = \"2025-09-20\"\n\
             [durable_objects]\nbindings = [{ name = \"OBJ\", class_name = \"../../../escaped\" }]\n",
        ),
        ("class/index.js", "export default { fetch() { return new Response('x'); } };\n"),
        (
            "main/wrangler.toml",
            "name = \"main\"\nmain = \"index.js\"\ncompatibility_date = \"2025-09-20\"\n",
        ),
        ("main/index.js", "export default { fetch() { return new Response('x'); } };\n"),
        (
            "other/wrangler.toml",
            "name = \"../../../escaped-worker\"\nmain = \"index.js\"\ncompatibility_date = \"2025-09-20\"\n",
        ),
        ("other/index.js", "export default { fetch() { return new Response('x'); } };\n"),
    ]);
    let state = dir.path().join("deep/er/state");
    let state_arg = state.display().to_string();
    let logs = start_fails(&dir.path().join("class"), &["--persist-to", &state_arg]);
    assert!(
        logs.contains("durable_objects.bindings[0].class_name")
            && logs.contains("not a class name"),
        "{logs}"
    );
    let main = dir.path().join("main/wrangler.toml").display().to_string();
    let other = dir.path().join("other/wrangler.toml").display().to_string();
    let logs = start_fails(
        dir.path(),
        &["-c", &main, "-c", &other, "--persist-to", &state_arg],
    );
    assert!(
        logs.contains("not a worker name") && logs.contains("name"),
        "{logs}"
    );
    for escaped in [
        "escaped",
        "escaped-worker",
        "deep/escaped",
        "deep/escaped-worker",
    ] {
        assert!(!dir.path().join(escaped).exists(), "{escaped} was written");
    }
}

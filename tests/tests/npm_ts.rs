//! TypeScript, npm dependencies and Node.js compatibility: real packages from
//! the npm registry (installed by scripts/test.sh with `npm ci`) run unbundled.

use hearth_tests::{fixture, repo_root, request, run_to_exit, write_project, Hearth};
use serde_json::Value;
use std::time::Duration;

fn json(h: &Hearth, path: &str) -> Value {
    let (status, body) = h.get(path);
    assert_eq!(status, 200, "{path}: {body}\n{}", h.logs());
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

#[test]
fn hono_typescript_project_runs_with_extensionless_imports_and_cors() {
    let h = Hearth::start(&fixture("npm-hono-ts"), &[]);
    assert_eq!(h.get("/"), (200, "hono on hearth".into()));
    let v = json(&h, "/api/greet/ann?lang=fr");
    assert_eq!(v["text"], "bonjour ann");
    assert_eq!(v["status"], "ok");
}

#[test]
fn async_local_storage_follows_await_in_hono_context_storage() {
    let h = Hearth::start(&fixture("npm-hono-ts"), &[]);
    let (status, body) = request(
        &format!("{}/context", h.url),
        "GET",
        &[("x-request-id", "42")],
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, r#"{"requestId":"rid-42"}"#);
}

#[test]
fn stack_traces_point_at_typescript_lines() {
    let h = Hearth::start(&fixture("npm-hono-ts"), &[]);
    assert_eq!(h.get("/boom").0, 500);
    h.wait_for_log("exploded: on purpose");
    h.wait_for_log("src/util.ts:14:");
}

/// Named imports from CommonJS packages: the names are read from the syntax
/// tree (as Node's cjs-module-lexer finds them), so comments and strings that
/// look like exports add nothing, and re-exports are followed.
#[test]
fn commonjs_named_exports_come_from_the_syntax_tree() {
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"cjs\"\nmain = \"src/index.js\"\ncompatibility_date = \"2025-01-01\"\n",
        ),
        (
            "src/index.js",
            "import { plain, computed, viaDefine, literal } from 'assigns';\n\
             import * as assigns from 'assigns';\n\
             import { fromEsbuild, Other } from 'esbuilt';\n\
             import { deep, star } from 'tsc-star';\n\
             import { babelled, listed } from 'babel-reexport';\n\
             export default { fetch() { return Response.json({ plain, computed, viaDefine, literal, \
             names: Object.keys(assigns).sort(), fromEsbuild, Other: typeof Other, deep, star, babelled, listed }); } };\n",
        ),
        ("node_modules/assigns/package.json", r#"{"name":"assigns","main":"index.js"}"#),
        (
            "node_modules/assigns/index.js",
            "// exports.commented = 0;\nconst s = \"exports.quoted = 0\";\nexports.plain = 1;\n\
             exports['computed'] = 2;\n\
             Object.defineProperty(exports, 'viaDefine', { enumerable: true, get() { return 3; } });\n\
             module.exports.literal = 4;\nif (exports.plain == 1) {}\n",
        ),
        ("node_modules/esbuilt/package.json", r#"{"name":"esbuilt","main":"out.js"}"#),
        (
            "node_modules/esbuilt/out.js",
            "var __defProp = Object.defineProperty;\n\
             var __export = (target, all) => { for (var name in all) __defProp(target, name, { get: all[name], enumerable: true }); };\n\
             var src_exports = {};\n\
             __export(src_exports, { fromEsbuild: () => fromEsbuild, Other: () => Other });\n\
             module.exports = src_exports;\nconst fromEsbuild = 'e';\nclass Other {}\n",
        ),
        ("node_modules/tsc-star/package.json", r#"{"name":"tsc-star","main":"index.js"}"#),
        (
            "node_modules/tsc-star/index.js",
            "\"use strict\";\n\
             var __exportStar = function (m, exports) { for (var p in m) if (p !== 'default' && !Object.prototype.hasOwnProperty.call(exports, p)) exports[p] = m[p]; };\n\
             Object.defineProperty(exports, '__esModule', { value: true });\n\
             __exportStar(require('./inner'), exports);\nexports.star = 's';\n",
        ),
        ("node_modules/tsc-star/inner.js", "module.exports = { deep: 'd' };\n"),
        ("node_modules/babel-reexport/package.json", r#"{"name":"babel-reexport","main":"index.js"}"#),
        ("node_modules/babel-reexport/index.js", "module.exports = require('./impl');\n"),
        (
            "node_modules/babel-reexport/impl.js",
            "var _x = require('./x');\n\
             Object.keys(_x).forEach(function (key) {\n  if (key === 'default' || key === '__esModule') return;\n  \
             Object.defineProperty(exports, key, { enumerable: true, get: function () { return _x[key]; } });\n});\n\
             module.exports.listed = 'l';\n",
        ),
        ("node_modules/babel-reexport/x.js", "exports.babelled = 'b';\n"),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(
        json(&h, "/"),
        serde_json::json!({
            "plain": 1, "computed": 2, "viaDefine": 3, "literal": 4,
            "names": ["computed", "default", "literal", "plain", "viaDefine"],
            "fromEsbuild": "e", "Other": "function", "deep": "d", "star": "s",
            "babelled": "b", "listed": "l",
        })
    );
}

#[test]
fn typescript_syntax_error_names_file_line_col() {
    let dir = write_project(&[
        ("wrangler.toml", "name = \"bad\"\nmain = \"src/index.ts\"\n"),
        (
            "src/index.ts",
            "import { x } from './lib';\nexport default { fetch() { return new Response(x); } };\n",
        ),
        ("src/lib.ts", "// types\nexport const x: string = (;\n"),
    ]);
    let (status, out) = run_to_exit(
        &["dev", dir.path().to_str().unwrap(), "--port", "0"],
        Duration::from_secs(10),
    );
    assert!(!status.success(), "{out}");
    assert!(out.contains("src/lib.ts:2:"), "no file:line:col in:\n{out}");
}

#[test]
fn type_only_imports_are_erased() {
    let dir = write_project(&[
        ("wrangler.toml", "name = \"ts\"\nmain = \"src/index.ts\"\n"),
        (
            "src/index.ts",
            "import type { Shape } from './types';\nimport { type Size, area } from './types';\n\
             export type { Shape };\nconst s: Shape = { w: 2, h: 3 };\nconst z: Size = 1;\n\
             export default { fetch(): Response { return new Response(String(area(s) + z)); } };\n",
        ),
        (
            "src/types.ts",
            "export interface Shape { w: number; h: number }\nexport type Size = number;\n\
             export const area = (s: Shape): number => s.w * s.h;\n",
        ),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(h.get("/"), (200, "7".into()));
}

#[test]
fn missing_package_names_the_import_and_the_file() {
    let dir = write_project(&[
        ("wrangler.toml", "name = \"np\"\nmain = \"src/index.js\"\n"),
        (
            "src/index.js",
            "import x from 'not-installed-pkg';\nexport default { fetch() { return new Response(x); } };\n",
        ),
    ]);
    let (status, out) = run_to_exit(
        &["dev", dir.path().to_str().unwrap(), "--port", "0"],
        Duration::from_secs(10),
    );
    assert!(!status.success(), "{out}");
    assert!(out.contains("not-installed-pkg"), "{out}");
    assert!(out.contains("src/index.js"), "{out}");
}

#[test]
fn node_modules_without_nodejs_compat_tell_the_user_to_add_the_flag() {
    // Before 2026-08-04 Node.js compatibility is not the default.
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"nc\"\nmain = \"src/index.js\"\ncompatibility_date = \"2025-01-01\"\n",
        ),
        (
            "src/index.js",
            "import { Buffer } from 'node:buffer';\nexport default { fetch() { return new Response(Buffer.from('x')); } };\n",
        ),
    ]);
    let (status, out) = run_to_exit(
        &["dev", dir.path().to_str().unwrap(), "--port", "0"],
        Duration::from_secs(10),
    );
    assert!(!status.success(), "{out}");
    assert!(out.contains("nodejs_compat"), "{out}");
}

#[test]
fn itty_router_zod_jose_nanoid_date_fns() {
    let h = Hearth::start(&fixture("npm-libs"), &[]);
    let v = json(&h, "/itty/bob?q=1");
    assert_eq!(v["hello"], "bob");
    assert_eq!(v["q"], "1");

    let url = format!("{}/zod", h.url);
    let (status, body) = request(&url, "POST", &[], Some(br#"{"name":"a","age":3}"#));
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"ok":true,"user":{"name":"a","age":3}}"#)
    );
    let (status, body) = request(&url, "POST", &[], Some(br#"{"name":"","age":-1}"#));
    assert_eq!(status, 400, "{body}");
    assert!(body.contains(r#""issues":["name","age"]"#), "{body}");

    let v = json(&h, "/jose");
    assert_eq!(v["parts"], 3);
    assert_eq!(v["sub"], "user-1");
    assert_eq!(v["alg"], "HS256");
    assert_eq!(v["rejected"], "ERR_JWS_SIGNATURE_VERIFICATION_FAILED");

    let v = json(&h, "/nanoid");
    assert_eq!(v["id"].as_str().unwrap().len(), 21);
    assert_eq!(v["short"].as_str().unwrap().len(), 8);
    assert_eq!(v["hex"].as_str().unwrap().len(), 10);

    let v = json(&h, "/date-fns");
    assert_eq!(v["later"], "2024-02-02T12:00:00.000Z");
    assert_eq!(v["diff"], 3);
}

#[test]
fn commonjs_packages_and_files_can_be_imported() {
    let h = Hearth::start(&fixture("npm-libs"), &[]);
    let v = json(&h, "/cjs");
    assert_eq!(v["ms"], 172_800_000);
    assert_eq!(v["msBack"], "1m");
    assert_eq!(v["cookie"]["b"], "two");
    assert_eq!(v["serialized"], "k=v%20w; HttpOnly");
    assert_eq!(v["counter"], serde_json::json!([2, 4]));
    assert_eq!(v["label"], "from json");
    assert_eq!(v["emitter"], true);
    assert_eq!(v["pkg"], "hearth-fixture-npm-libs");
}

#[test]
fn node_buffer_events_crypto() {
    let h = Hearth::start(&fixture("npm-libs"), &[]);
    let v = json(&h, "/node/buffer");
    assert_eq!(v["hex"], "68c3a96c6c6f2077c3b6726c64");
    assert_eq!(v["base64"], "aMOpbGxvIHfDtnJsZA==");
    assert_eq!(v["base64url"], "-_-_");
    assert_eq!(v["roundtrip"], "héllo wörld");
    assert_eq!(v["latin1"], 255);
    assert_eq!(v["byteLength"], 6);
    assert_eq!(v["concat"], "abcd");
    assert_eq!(v["read"], serde_json::json!([3735928559u32, 4660, 222]));
    assert_eq!(v["equals"], true);
    assert_eq!(v["compare"], -1);
    assert_eq!(v["isBuffer"], true);
    assert_eq!(v["global"], true);

    let v = json(&h, "/node/events");
    assert_eq!(v["seen"], serde_json::json!(["on:1", "once:1", "on:2"]));
    assert_eq!(v["value"], 42);

    let v = json(&h, "/node/crypto");
    assert_eq!(v["sha1"], "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_eq!(
        v["sha256"],
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(v["md5"], "900150983cd24fb0d6963f7d28e17f72");
    assert_eq!(
        v["hmac"],
        "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    );
    assert_eq!(v["random"], 16);
    assert_eq!(v["uuid"], true);
    assert_eq!(v["safe"], serde_json::json!([true, false]));
}

#[test]
fn node_util_path_stream_async_hooks_and_process_env() {
    let h = Hearth::start(&fixture("npm-libs"), &[]);
    let v = json(&h, "/node/util");
    assert_eq!(v["format"], r#"a=42 {"b":1}"#);
    assert_eq!(
        v["inspect"],
        "{ a: [ 1, 2 ], b: 'x', m: Map(1) { 1 => 2 } }"
    );
    assert_eq!(v["promisified"], "waited 1");

    let v = json(&h, "/node/path");
    assert_eq!(v["join"], "/a/c/d.txt");
    assert_eq!(v["resolve"], "/x/z");
    assert_eq!(v["relative"], "../../d");

    let v = json(&h, "/node/stream");
    assert_eq!(v["collected"], serde_json::json!(["A", "B", "C"]));
    assert_eq!(v["parts"], serde_json::json!(["x", "y"]));

    let v = json(&h, "/node/als");
    for key in ["before", "afterAwait", "inThen", "inTimer"] {
        assert_eq!(v[key], "req-1", "{key}: {v}");
    }
    assert_eq!(v["outside"], Value::Null);

    let v = json(&h, "/node/misc");
    assert_eq!(v["assertion"], "ERR_ASSERTION");
    assert_eq!(v["url"], "/tmp/a b.txt");
    assert_eq!(v["legacy"], "8080");
    assert_eq!(v["env"], "hello from vars");
    assert_eq!(v["secret"], "s3cret");
    assert_eq!(v["globalProcess"], true);
    assert_eq!(v["decoded"], "€");
}

#[test]
fn hono_zod_example_validates_json() {
    // In-memory state lives in one isolate, as on Cloudflare; one thread keeps
    // every request on the same isolate.
    let h = Hearth::start(&repo_root().join("examples/hono-zod"), &["--threads", "1"]);
    let url = format!("{}/todos", h.url);
    let (status, body) = request(
        &url,
        "POST",
        &[("content-type", "application/json")],
        Some(br#"{"title":" write docs ","tags":["docs"]}"#),
    );
    assert_eq!(status, 201, "{body}");
    let todo: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(todo["title"], "write docs");
    let id = todo["id"].as_u64().unwrap();

    let (status, body) = request(&url, "POST", &[], Some(br#"{"title":"  "}"#));
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("title must not be empty"), "{body}");
    let (status, body) = request(&url, "POST", &[], Some(b"not json"));
    assert_eq!(
        (status, body.as_str()),
        (400, r#"{"error":"body must be JSON"}"#)
    );

    let (status, body) = request(&format!("{url}/{id}/done"), "PATCH", &[], None);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""done":true"#), "{body}");
    assert_eq!(h.get("/todos/999").0, 404);
    let list = json(&h, "/todos");
    assert!(!list.as_array().unwrap().is_empty());
}

#[test]
fn a_package_with_main_and_module_loads_once_for_import_and_require() {
    // The Remix 2 shape: an ES module imports `dual` while a CommonJS file
    // requires it; with two copies, state kept in the package (a React
    // context, a registry) differs between the two. wrangler's bundler loads
    // such a package once, and so does hearth.
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"dual\"\nmain = \"src/index.js\"\ncompatibility_date = \"2025-01-01\"\n",
        ),
        (
            "src/index.js",
            "import { registry, flavour } from 'dual';\nimport consumer from 'consumer';\n\
             export default { fetch() { registry.push('from import');\n\
             return Response.json({ same: consumer.registry === registry, seen: consumer.seen(), flavour, \
             consumerFlavour: consumer.flavour }); } };\n",
        ),
        (
            "node_modules/dual/package.json",
            r#"{"name":"dual","main":"dist/index.cjs.js","module":"dist/index.esm.js"}"#,
        ),
        (
            "node_modules/dual/dist/index.cjs.js",
            "exports.registry = [];\nexports.flavour = 'cjs';\n",
        ),
        (
            "node_modules/dual/dist/index.esm.js",
            "export const registry = [];\nexport const flavour = 'esm';\n",
        ),
        (
            "node_modules/consumer/package.json",
            r#"{"name":"consumer","main":"index.js"}"#,
        ),
        (
            "node_modules/consumer/index.js",
            "const dual = require('dual');\nmodule.exports = { registry: dual.registry, \
             flavour: dual.flavour, seen: () => dual.registry.slice() };\n",
        ),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    let got = json(&h, "/");
    assert_eq!(got["same"], true, "{got}");
    assert_eq!(got["seen"], serde_json::json!(["from import"]), "{got}");
    assert_eq!(got["flavour"], got["consumerFlavour"], "{got}");
}

//! WebAssembly: modules from the bundle on wasmtime, the JS API, limits and
//! bad input. The main module is C (tests/fixtures/wasm/src/kernel.c) built
//! with Debian's clang when the test runs; a second one is written here in
//! the text format for what C cannot express (global imports, externref,
//! multi-value, custom sections).

use hearth_tests::{copy_project, fixture, get_json, request, write_project, Hearth};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

const EXTRA: &str = r#"
(module
  (import "host" "counter" (global $counter (mut i32)))
  (import "host" "seed" (global $seed i32))
  (import "host" "note" (func $note (param externref)))
  (global $total (export "total") (mut i32) (i32.const 0))
  (func (export "bump") (param $n i32)
    (global.set $counter (i32.add (global.get $counter) (local.get $n)))
    (global.set $total (i32.add (global.get $seed) (global.get $counter))))
  (func (export "identity") (param externref) (result externref) local.get 0)
  (func (export "pass") (param externref) local.get 0 call $note)
  (func (export "pair") (param i32) (result i32 i32)
    local.get 0 local.get 0 i32.const 2 i32.mul)
  (func (export "wide") (param i64) (result i64) local.get 0 i64.const 1 i64.add)
  (@custom "hearth" "made by the test")
)
"#;

/// Shared memories (threads proposal) and exception handling.
const PROPOSALS: &str = r#"
(module
  (import "host" "mem" (memory 1 4 shared))
  (import "host" "tag" (tag $t (param i32)))
  (import "host" "thrower" (func $thrower (param i32)))
  (tag $own (export "own") (param f64))
  (func (export "atomicAdd") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.atomic.rmw.add)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (func (export "size") (result i32) memory.size)
  (func (export "throwOwn") (param f64) local.get 0 throw $own)
  (func (export "throwImported") (param i32) local.get 0 throw $t)
  ;; Calls JavaScript; an exception of tag $t it throws is caught here and
  ;; its payload + 1 returned; -1 when nothing was thrown.
  (func (export "catchFromJs") (param i32) (result i32)
    (block $caught (result i32)
      (try_table (catch $t $caught)
        local.get 0
        call $thrower)
      i32.const -1
      return)
    i32.const 1
    i32.add)
)
"#;

/// Builds the C module with clang into `dir/kernel.wasm`.
fn build_kernel(dir: &Path) {
    let out = Command::new("sh")
        .arg(dir.join("build.sh"))
        .output()
        .expect("running build.sh (needs clang and lld: apt-get install clang lld)");
    assert!(
        out.status.success(),
        "building kernel.c failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The fixture in a temporary folder, with both modules built.
fn project() -> tempfile::TempDir {
    let dir = copy_project(&fixture("wasm"));
    build_kernel(dir.path());
    std::fs::write(
        dir.path().join("extra.wasm"),
        wat::parse_str(EXTRA).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("proposals.wasm"),
        wat::parse_str(PROPOSALS).unwrap(),
    )
    .unwrap();
    dir
}

fn get(hearth: &Hearth, path: &str) -> Value {
    get_json(&format!("{}{path}", hearth.url))
}

#[test]
fn the_js_api_over_a_c_module() {
    let dir = project();
    let hearth = Hearth::start(dir.path(), &[]);

    let api = get(&hearth, "/api");
    assert_eq!(api["tag"], "[object WebAssembly]");
    assert_eq!(api["module"], true);
    assert_eq!(api["sameModule"], true, "`?module` names the same file");
    assert_eq!(api["add"], 42);
    assert_eq!(api["addCoerced"], 4);
    assert_eq!(api["addWraps"], -2147483648i64);
    assert_eq!(api["mul64"], format!("{}n", (3u64 << 40) * 5));
    assert_eq!(api["mul64Number"]["name"], "TypeError");
    assert_eq!(api["half"], 2.5);
    assert_eq!(api["fnLength"], 2);
    assert_eq!(api["frozen"], true);
    let imports = api["imports"].as_array().unwrap();
    assert!(imports.contains(&json!({"module": "env", "name": "log", "kind": "function"})));
    let kinds: Vec<_> = api["exports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), e["kind"].as_str().unwrap()))
        .collect();
    for want in [
        ("memory", "memory"),
        ("__indirect_function_table", "table"),
        ("add", "function"),
        ("__heap_base", "global"),
    ] {
        assert!(kinds.contains(&want), "{want:?} in {kinds:?}");
    }

    // JavaScript imports, with i32, f64 and i64 (BigInt) values.
    let imports = get(&hearth, "/imports");
    assert_eq!(imports, json!({"result": 10.5, "logged": [7]}));

    let table = get(&hearth, "/table");
    assert_eq!(table["isTable"], true);
    assert_eq!(table["applied"], json!([42, 81]));
    assert_eq!(table["fromTable"], "function");
    assert_eq!(table["called"], 144);
    assert_eq!(table["same"], true, "one function object per wasm function");
    assert_eq!(table["outOfRange"]["name"], "RangeError");
    assert_eq!(table["nullCall"]["isRuntimeError"], true);

    let memory = get(&hearth, "/memory");
    assert_eq!(memory["isMemory"], true);
    assert_eq!(memory["sameObject"], true);
    assert_eq!(memory["stable"], true);
    assert_eq!(
        memory["detachedByWasm"], 0,
        "growth inside wasm detaches: {memory}"
    );
    assert_eq!(memory["sum"], memory["expected"]);
    assert_eq!(memory["seenByJs"], 18, "JavaScript sees what wasm wrote");
    assert_eq!(memory["grew"], json!([true, 2]));
    assert_eq!(memory["detachedByJs"], 0);
    assert_eq!(memory["newLength"], true);
    assert_eq!(memory["wasmGrow"], true);

    let js_memory = get(&hearth, "/js-memory");
    assert_eq!(js_memory["length"], 2 * 65536);
    assert_eq!(js_memory["kept"], true);
    assert_eq!(js_memory["detached"], 0);
    assert_eq!(js_memory["overMax"]["name"], "RangeError");

    let globals = get(&hearth, "/globals");
    assert_eq!(globals["heapBase"], true);
    assert_eq!(globals["mutable"], 42);
    assert_eq!(globals["valueOf"], 42);
    assert_eq!(globals["big"], "5n");
    assert_eq!(globals["immutable"]["name"], "TypeError");

    let extra = get(&hearth, "/extra");
    assert_eq!(
        extra["counter"], 15,
        "a mutable Global imported by wasm: {extra}"
    );
    assert_eq!(extra["exportedGlobal"], 115);
    assert_eq!(extra["identity"], true, "externref round trip");
    assert_eq!(extra["nullRef"], Value::Null);
    assert_eq!(extra["pair"], json!([3, 6]));
    assert_eq!(extra["wide"], format!("{}n", (1u64 << 40) + 1));
    assert_eq!(extra["notedIsObject"], true);
    assert_eq!(extra["table"], true);
    assert_eq!(extra["tableLength"], 2);
    assert_eq!(extra["funcTable"], true);
    assert_eq!(extra["jsFunctionInTable"]["name"], "TypeError");
    assert_eq!(extra["customSections"], json!(["made by the test"]));
}

#[test]
fn shared_memories_are_shared_array_buffers() {
    let dir = project();
    let hearth = Hearth::start(dir.path(), &[]);
    let shared = get(&hearth, "/shared");
    assert_eq!(shared["ctor"], "SharedArrayBuffer", "{shared}");
    assert_eq!(shared["isShared"], true);
    assert_eq!(shared["frozen"], true);
    assert_eq!(shared["same"], true);
    assert_eq!(
        shared["old"], 40,
        "wasm's atomic add saw JavaScript's write"
    );
    assert_eq!(shared["seenByJs"], 42, "JavaScript sees wasm's write");
    // TextEncoder/TextDecoder work on views of a SharedArrayBuffer.
    assert_eq!(shared["written"], json!({"read": 5, "written": 6}));
    for key in ["decoded", "decodedDataView", "decodedStream"] {
        assert_eq!(shared[key], "héllo", "{key}: {shared}");
    }
    assert_eq!(shared["decodedBuffer"], "hi!");
    // Growing never detaches: old buffers keep their length.
    assert_eq!(shared["grewJs"], 1);
    assert_eq!(shared["oldLength"], 65536);
    assert_eq!(shared["newLength"], 2 * 65536);
    assert_eq!(shared["grewWasm"], 2);
    assert_eq!(shared["afterWasm"], 3 * 65536);
    assert_eq!(shared["sizeInWasm"], 3);
    assert_eq!(shared["noMaximum"]["name"], "TypeError");
    assert_eq!(shared["overMaximum"]["name"], "RangeError");
    assert_eq!(shared["unsharedImport"]["name"], "LinkError", "{shared}");
}

#[test]
fn exceptions_cross_between_wasm_and_javascript() {
    let dir = project();
    let hearth = Hearth::start(dir.path(), &[]);
    let exn = get(&hearth, "/exceptions");
    assert_eq!(
        exn["caughtInWasm"], 42,
        "a WebAssembly.Exception thrown by JavaScript is caught by try_table: {exn}"
    );
    assert_eq!(exn["nothingThrown"], -1);
    assert_eq!(exn["jsErrorPassesThrough"], "not a wasm exception");
    let own = &exn["own"];
    for key in ["isException", "notError", "exportedTag", "sameTag", "is"] {
        assert_eq!(own[key], true, "{key}: {exn}");
    }
    assert_eq!(own["isOther"], false);
    assert_eq!(own["arg"], 2.5);
    assert_eq!(own["wrongTag"]["name"], "TypeError");
    assert_eq!(own["tagType"], json!({"parameters": ["f64"]}));
    assert_eq!(exn["imported"], json!({"is": true, "arg": 7}));
    assert_eq!(exn["converted"], 3);
    for key in ["wrongCount", "badType", "notTag"] {
        assert_eq!(exn[key]["name"], "TypeError", "{key}: {exn}");
    }
    assert_eq!(exn["outOfRange"]["name"], "RangeError");
}

#[test]
fn link_errors_name_the_module_and_field() {
    let dir = project();
    let hearth = Hearth::start(dir.path(), &[]);
    let link = get(&hearth, "/link");
    assert_eq!(link["noImports"]["name"], "TypeError");
    assert_eq!(link["noModule"]["name"], "TypeError");
    assert!(
        link["noModule"]["message"]
            .as_str()
            .unwrap()
            .contains("\"env\""),
        "{link}"
    );
    assert_eq!(link["missingField"]["name"], "LinkError");
    let message = link["missingField"]["message"].as_str().unwrap();
    assert!(message.contains("\"env\" \"add64\""), "{message}");
    assert_eq!(link["notCallable"]["name"], "LinkError");
    assert_eq!(link["mutableGlobal"]["name"], "LinkError");
}

#[test]
fn traps_fail_only_that_request() {
    let dir = project();
    let hearth = Hearth::start(dir.path(), &[]);
    let traps = get(&hearth, "/traps");
    for (route, message) in [
        ("unreachable", "unreachable"),
        ("divideByZero", "divide by zero"),
        ("overflow", "divide result unrepresentable"),
        ("outOfBounds", "memory access out of bounds"),
    ] {
        assert_eq!(traps[route]["name"], "RuntimeError", "{route}: {traps}");
        assert_eq!(traps[route]["isRuntimeError"], true);
        assert_eq!(traps[route]["message"], message);
    }
    assert!(!traps["stack"].is_null(), "deep recursion traps: {traps}");
    assert_eq!(traps["afterwards"], 2);

    let thrown = get(&hearth, "/throwing-import");
    assert_eq!(
        thrown["error"],
        json!({"name": "TypeError", "message": "from the import", "isRuntimeError": false})
    );
    assert_eq!(thrown["afterwards"], 5);

    let (status, body) = hearth.get("/trap-uncaught");
    assert_eq!(status, 500, "{body}");
    hearth.wait_for_log("RuntimeError: unreachable");
    assert_eq!(
        get(&hearth, "/api")["add"],
        42,
        "the next request is served"
    );
}

#[test]
fn an_infinite_loop_hits_the_cpu_limit_and_the_next_request_is_served() {
    let dir = project();
    let hearth = Hearth::start(dir.path(), &[]);
    let started = std::time::Instant::now();
    let (status, body) = hearth.get("/spin");
    assert_eq!(status, 500, "{body}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "stopped near the 500 ms limit, not after {:?}",
        started.elapsed()
    );
    hearth.wait_for_log("exceeded its CPU time limit");
    assert_eq!(get(&hearth, "/api")["add"], 42);
}

#[test]
fn a_huge_memory_grow_fails_with_the_memory_limit() {
    let dir = project();
    let hearth = Hearth::start(dir.path(), &[]);
    let (status, body) = hearth.get("/grow-huge");
    let value: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    assert_eq!(status, 200, "{body}");
    assert_eq!(value["error"]["name"], "RangeError", "{body}");
    let message = value["error"]["message"].as_str().unwrap();
    assert!(message.contains("exceeded its memory limit"), "{message}");
    assert_eq!(
        get(&hearth, "/api")["add"],
        42,
        "a fresh isolate serves the next request"
    );
}

#[test]
fn code_is_not_generated_from_bytes_at_run_time() {
    let dir = project();
    let hearth = Hearth::start(dir.path(), &[]);
    let result = get(&hearth, "/disallowed");
    assert_eq!(result["validate"], true);
    assert_eq!(result["invalid"], false);
    for (key, api) in [
        ("compile", "WebAssembly.compile()"),
        ("instantiate", "WebAssembly.instantiate()"),
        ("constructor", "WebAssembly.Module()"),
        ("streaming", "WebAssembly.instantiateStreaming()"),
    ] {
        assert_eq!(result[key]["name"], "CompileError", "{key}: {result}");
        assert_eq!(
            result[key]["message"],
            format!("{api}: Wasm code generation disallowed by embedder")
        );
    }
    assert_eq!(result["instantiateModule"], 3);
}

#[test]
fn an_invalid_module_fails_start_up_naming_the_file() {
    let dir = write_project(&[
        ("wrangler.toml", "name = \"bad\"\nmain = \"index.js\"\n"),
        (
            "index.js",
            "import m from './broken.wasm';\nexport default { fetch() { return new Response(String(m)); } };\n",
        ),
        ("broken.wasm", "\0asm\x01\0\0\0\x01\x05"),
    ]);
    let err = match Hearth::try_start(dir.path(), &[]) {
        Ok(_) => panic!("started with an invalid module"),
        Err(logs) => logs,
    };
    assert!(err.contains("broken.wasm"), "{err}");
    assert!(err.contains("not a valid WebAssembly module"), "{err}");
}

#[test]
fn compiled_code_is_cached_on_disk() {
    let dir = project();
    {
        let hearth = Hearth::start(dir.path(), &[]);
        assert_eq!(get(&hearth, "/api")["add"], 42);
    }
    let cache = dir.path().join(".hearth/state/wasm-cache");
    let files: Vec<_> = walk(&cache);
    assert_eq!(
        files.iter().filter(|f| f.ends_with(".cwasm")).count(),
        3,
        "one compiled file per module: {files:?}"
    );
    // A restart reads the cache: a compiled file is not rewritten.
    let stamp = |f: &String| std::fs::metadata(f).unwrap().modified().unwrap();
    let before: Vec<_> = files.iter().map(stamp).collect();
    let hearth = Hearth::start(dir.path(), &[]);
    assert_eq!(get(&hearth, "/api")["add"], 42);
    let after: Vec<_> = files.iter().map(stamp).collect();
    assert_eq!(before, after);
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path.display().to_string());
            }
        }
    }
    out
}

#[test]
fn a_mandelbrot_kernel_runs_compiled() {
    let dir = project();
    let hearth = Hearth::start(dir.path(), &[]);
    let (status, body) = request(&format!("{}/mandelbrot", hearth.url), "GET", &[], None);
    assert_eq!(status, 200, "{body}");
    let value: Value = serde_json::from_str(&body).unwrap();
    // The same kernel in Rust, for the expected count.
    let (width, height, limit) = (200, 100, 200);
    let mut total = 0u32;
    for y in 0..height {
        for x in 0..width {
            let cr = 3.0 * x as f64 / width as f64 - 2.0;
            let ci = 2.0 * y as f64 / height as f64 - 1.0;
            let (mut zr, mut zi, mut i) = (0.0f64, 0.0f64, 0);
            while i < limit && zr * zr + zi * zi <= 4.0 {
                let t = zr * zr - zi * zi + cr;
                zi = 2.0 * zr * zi + ci;
                zr = t;
                i += 1;
            }
            total += i;
        }
    }
    assert_eq!(value["total"], total);
}

/// npm packages that ship wasm, unchanged (tests/fixtures/npm-wasm; its
/// node_modules come from the lock file: scripts/test.sh runs `npm ci`).
fn npm_wasm() -> Hearth {
    let dir = fixture("npm-wasm");
    assert!(
        dir.join("node_modules/@cf-wasm/photon").is_dir(),
        "run `npm ci --prefix {}` (scripts/test.sh does)",
        dir.display()
    );
    Hearth::start(&dir, &[])
}

/// One server for the packages: compiling their modules (several MB of
/// wasm) once is what takes time.
#[test]
fn npm_packages_that_ship_wasm() {
    let hearth = npm_wasm();
    photon_resizes_and_encodes_a_png_made_by_jsquash(&hearth);
    resvg_renders_an_svg(&hearth);
    brotli_wasm_round_trips(&hearth);
    hash_wasm_fails_as_on_cloudflare(&hearth);
}

fn photon_resizes_and_encodes_a_png_made_by_jsquash(hearth: &Hearth) {
    // A 1000x750 PNG encoded by @jsquash/png (wasm) ...
    let (status, png, _) = hearth_tests::request_full(
        &format!("{}/make-png?w=1000&h=750", hearth.url),
        "GET",
        &[],
        None,
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&png));
    assert_eq!(&png[1..4], b"PNG");
    // ... decoded, resized and encoded again by photon (Rust, wasm-bindgen).
    let (status, body) = request(
        &format!("{}/photon?width=320", hearth.url),
        "POST",
        &[("content-type", "image/png")],
        Some(&png),
    );
    assert_eq!(status, 200, "{body}\n{}", hearth.logs());
    let facts: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(facts["input"], json!([1000, 750]));
    assert_eq!(facts["output"], json!([320, 240]));
    assert_eq!(facts["pngSize"], json!([320, 240]));
    assert_eq!(facts["decoded"], json!([320, 240]));
    assert_eq!(facts["jpegMagic"], "ffd8ff");
    assert!(facts["jpegBytes"].as_u64().unwrap() > 1000, "{facts}");
    // The red square in the middle survived the resize.
    let center: Vec<u64> = facts["center"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert!(
        center[0] > 200 && center[1] < 60 && center[2] < 60,
        "{center:?}"
    );
}

fn resvg_renders_an_svg(hearth: &Hearth) {
    let result = get(hearth, "/resvg");
    assert_eq!(result["size"], json!([400, 200]), "{result}");
    assert_eq!(result["center"], json!([0, 80, 255, 255]));
    assert_eq!(result["corner"], json!([255, 255, 255, 255]));
}

fn brotli_wasm_round_trips(hearth: &Hearth) {
    let result = get(hearth, "/brotli");
    assert_eq!(result["same"], true, "{result}");
    assert!(
        result["compressedBytes"].as_u64().unwrap() < 1000,
        "{result}"
    );
}

fn hash_wasm_fails_as_on_cloudflare(hearth: &Hearth) {
    // hash-wasm compiles the wasm it embeds as base64 at run time, which
    // Cloudflare (workerd) refuses; hearth refuses it the same way.
    let result = get(hearth, "/hash");
    assert_eq!(
        result["error"],
        json!({"name": "CompileError", "message": "WebAssembly.compile(): Wasm code generation disallowed by embedder"}),
        "{result}"
    );
}

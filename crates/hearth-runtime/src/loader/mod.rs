//! Module resolution and loading for a worker's sources.
//!
//! Module names are paths relative to the project root with `/` separators
//! (`src/index.js`, `node_modules/hono/dist/index.js`), so stack traces read
//! like the user's tree. Files are typed by the project's `[[rules]]`: ES
//! modules are compiled, Text and Data modules become a default export of a
//! string or an `ArrayBuffer`.
//!
//! On top of that, as wrangler's bundler does:
//! - TypeScript (`.ts`, `.mts`, `.tsx`, `.cts`) and JSX are transpiled on load
//!   with oxc (see [`crate::loader::transpile`]); stack traces are mapped back.
//! - Bare imports resolve from `node_modules` following package.json
//!   `exports` (conditions `workerd`, `worker`, `browser`, `import`/`require`,
//!   `default`), then `module`, then `main`.
//! - CommonJS files are wrapped: each gets a *register* module
//!   (`hearth-cjs:NAME`) that defines its factory and imports what it
//!   statically `require`s, and ES modules importing it get a facade whose
//!   default export is `module.exports`.
//! - `node:*` builtins (and bare `buffer`, `events`, ...) come from
//!   `src/node/*.js` when the `nodejs_compat` flag is set.

pub(crate) mod cjs;
pub(crate) mod data;
mod define;
pub(crate) mod transpile;

use crate::worker::Worker;
use hearth_config::ModuleKind;
use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::{Ctx, Error, Module};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// Modules hearth provides itself, and the JavaScript that backs each.
const BUILTINS: &[(&str, &str)] = &[
    (
        "cloudflare:workers",
        include_str!("../worker/module_workers.js"),
    ),
    (
        "cloudflare:sockets",
        include_str!("../bindings/sockets/module.js"),
    ),
    (
        "cloudflare:node",
        include_str!("../node/cloudflare_node.js"),
    ),
    (CJS_MODULE, include_str!("../node/_cjs.js")),
    ("hearth:node-globals", include_str!("../node/_globals.js")),
    ("hearth:node-errors", include_str!("../node/_errors.js")),
    (
        "hearth:http-common",
        include_str!("../node/_http_common.js"),
    ),
];

/// Node.js builtins available with `nodejs_compat`, by name without `node:`.
const NODE_BUILTINS: &[(&str, &str)] = &[
    ("assert", include_str!("../node/assert.js")),
    ("assert/strict", include_str!("../node/assert_strict.js")),
    ("async_hooks", include_str!("../node/async_hooks.js")),
    ("buffer", include_str!("../node/buffer.js")),
    ("crypto", include_str!("../node/crypto.js")),
    (
        "diagnostics_channel",
        include_str!("../node/diagnostics_channel.js"),
    ),
    ("dns", include_str!("../node/dns.js")),
    ("dns/promises", include_str!("../node/dns_promises.js")),
    ("events", include_str!("../node/events.js")),
    ("fs", include_str!("../node/fs.js")),
    ("fs/promises", include_str!("../node/fs_promises.js")),
    ("http", include_str!("../node/http.js")),
    ("https", include_str!("../node/https.js")),
    ("net", include_str!("../node/net.js")),
    ("os", include_str!("../node/os.js")),
    ("path", include_str!("../node/path.js")),
    ("path/posix", include_str!("../node/path.js")),
    ("process", include_str!("../node/process.js")),
    ("querystring", include_str!("../node/querystring.js")),
    ("stream", include_str!("../node/stream.js")),
    (
        "stream/consumers",
        include_str!("../node/stream_consumers.js"),
    ),
    (
        "stream/promises",
        include_str!("../node/stream_promises.js"),
    ),
    ("stream/web", include_str!("../node/stream_web.js")),
    ("string_decoder", include_str!("../node/string_decoder.js")),
    ("timers", include_str!("../node/timers.js")),
    (
        "timers/promises",
        include_str!("../node/timers_promises.js"),
    ),
    ("tls", include_str!("../node/tls.js")),
    ("tty", include_str!("../node/tty.js")),
    ("url", include_str!("../node/url.js")),
    ("util", include_str!("../node/util.js")),
    ("util/types", include_str!("../node/util_types.js")),
    ("zlib", include_str!("../node/zlib.js")),
];

/// Node.js builtins hearth knows by name but does not provide.
const NODE_UNSUPPORTED: &[&str] = &[
    "child_process",
    "cluster",
    "dgram",
    "http2",
    "module",
    "perf_hooks",
    "punycode",
    "readline",
    "repl",
    "sys",
    "v8",
    "vm",
    "worker_threads",
];

/// Extensions tried for extension-less relative imports, as bundlers do.
const PROBE_EXTENSIONS: &[&str] = &["ts", "tsx", "mts", "js", "mjs", "cjs", "jsx", "json"];

/// Prefix of the register module that defines a CommonJS factory.
const CJS_PREFIX: &str = "hearth-cjs:";

/// The module through which hearth's own modules reach the native and
/// internal objects (see `host::isolate::Internals`).
const INTERNAL_MODULE: &str = "hearth:internal";

/// The CommonJS registry's module.
const CJS_MODULE: &str = "hearth:cjs";

/// Whether the module `base` may import `name`: hearth's internal modules are
/// for hearth's own modules and the wrappers its loader generates, never for
/// user code, which is told they do not exist.
fn may_import(worker: &Worker, base: &str, name: &str) -> bool {
    let own = |base: &str| {
        ["node:", "cloudflare:", "hearth:"]
            .iter()
            .any(|p| base.starts_with(p))
    };
    match name {
        INTERNAL_MODULE => {
            own(base) || matches!(file_kind(worker, base), Ok(FileKind::Data | FileKind::Wasm))
        }
        CJS_MODULE => {
            own(base)
                || base.starts_with(CJS_PREFIX)
                || file_kind(worker, base) == Ok(FileKind::CommonJs)
        }
        _ => true,
    }
}

/// `hearth:internal`, a native module exporting `native` and `internal`.
struct InternalModule;

impl rquickjs::module::ModuleDef for InternalModule {
    fn declare<'js>(decl: &rquickjs::module::Declarations<'js>) -> rquickjs::Result<()> {
        decl.declare("native")?.declare("internal")?;
        Ok(())
    }

    fn evaluate<'js>(
        ctx: &Ctx<'js>,
        exports: &rquickjs::module::Exports<'js>,
    ) -> rquickjs::Result<()> {
        let core = crate::host::event_loop::current();
        let internals = core.internals();
        exports.export("native", internals.native.clone().restore(ctx)?)?;
        exports.export("internal", internals.internal.clone().restore(ctx)?)?;
        Ok(())
    }
}

/// Whether the worker has Node.js's modules (`nodejs_compat`, by flag or by
/// date; `nodejs_compat_v2` implies it).
fn node_modules_on(worker: &Worker) -> bool {
    let compat = &worker.config().compatibility;
    compat.is_on("nodejs_compat") || compat.is_on("nodejs_compat_v2")
}

/// Whether the worker may import the Node.js module `bare` (without `node:`):
/// all of them with `nodejs_compat`, only `async_hooks` with `nodejs_als`.
fn node_module_allowed(worker: &Worker, bare: &str) -> bool {
    node_modules_on(worker)
        || (bare == "async_hooks" && worker.config().compatibility.is_on("nodejs_als"))
}

/// `nodejs_compat_v2`: builtins without the `node:` prefix, and `Buffer`,
/// `process` and `global` as globals.
fn node_v2(worker: &Worker) -> bool {
    worker.config().compatibility.is_on("nodejs_compat_v2")
}

/// Whether AsyncLocalStorage is available, so `await` must keep its context.
fn async_context(worker: &Worker) -> bool {
    node_module_allowed(worker, "async_hooks")
}

/// Whether a file's `await`s are lowered (see [`transpile::transpile`]) so
/// AsyncLocalStorage context follows them: with AsyncLocalStorage on, in
/// every file that awaits, the project's and its packages' (ES modules and
/// CommonJS). Files with async generators or `for await` keep native async:
/// hearth does not ship the helpers their lowering needs (context is then
/// lost after `await` in those files only).
fn lower_async(worker: &Worker, bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    async_context(worker)
        && text.contains("await")
        && !(text.contains("for await")
            || text.contains("async function*")
            || text.contains("async *"))
}

/// The JavaScript QuickJS runs for a file: TypeScript and JSX transpiled,
/// `await` lowered where [`lower_async`] says. A package's file oxc cannot
/// lower loads as written (QuickJS may accept what oxc refuses, such as
/// sloppy-mode oddities), only its `await`s losing the context.
fn javascript(
    worker: &Worker,
    name: &str,
    bytes: &Arc<[u8]>,
    commonjs: bool,
) -> Result<String, String> {
    let lower = lower_async(worker, bytes);
    let as_written = || {
        std::str::from_utf8(bytes)
            .map(str::to_string)
            .map_err(|_| format!("{name} is not valid UTF-8"))
    };
    if !transpile::wants_transpile(name) && !lower {
        return as_written();
    }
    match transpile::transpile(name, bytes, lower, commonjs, worker.jsx()) {
        Ok(code) => Ok(code.to_string()),
        Err(_) if in_node_modules(name) && !transpile::wants_transpile(name) => as_written(),
        Err(e) => Err(e),
    }
}

/// Whether `node:fs` is on: `enable_nodejs_fs_module`, by flag or by date
/// (with `nodejs_compat`), unless `disable_nodejs_fs_module`, as on Workers.
fn nodejs_fs(worker: &Worker) -> bool {
    worker
        .config()
        .compatibility
        .is_on("enable_nodejs_fs_module")
}

/// Whether `node:http` and `node:https` are on: `enable_nodejs_http_modules`,
/// by flag or by date (2025-08-15, with `nodejs_compat`), as on Workers.
fn nodejs_http(worker: &Worker) -> bool {
    worker
        .config()
        .compatibility
        .is_on("enable_nodejs_http_modules")
}

/// The error for a Node.js module the worker's configuration turns off.
fn node_disabled(worker: &Worker, name: &str, base: &str) -> Option<String> {
    let bare = name.strip_prefix("node:").unwrap_or(name);
    if matches!(bare, "fs" | "fs/promises") && !nodejs_fs(worker) {
        return Some(format!(
            "cannot import '{name}' from {base}: node:fs needs compatibility_date 2025-09-15 \
             or later, or the enable_nodejs_fs_module compatibility flag"
        ));
    }
    (matches!(bare, "http" | "https") && !nodejs_http(worker)).then(|| {
        format!(
            "cannot import '{name}' from {base}: node:{bare} needs compatibility_date \
             2025-08-15 or later, or the enable_nodejs_http_modules compatibility flag"
        )
    })
}

/// Whether `node:{bare}` is a module this worker can load (for
/// `process.getBuiltinModule`, which answers `undefined` otherwise).
pub(crate) fn node_builtin_available(worker: &Worker, bare: &str) -> bool {
    node_builtin(bare).is_some()
        && node_module_allowed(worker, bare)
        && node_disabled(worker, bare, "").is_none()
}

fn node_builtin(name: &str) -> Option<&'static str> {
    NODE_BUILTINS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, source)| *source)
}

pub(crate) struct ProjectResolver {
    pub(crate) worker: Worker,
}

impl Resolver for ProjectResolver {
    fn resolve<'js>(
        &mut self,
        _ctx: &Ctx<'js>,
        base: &str,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<String> {
        if !may_import(&self.worker, base, name) {
            return Err(Error::new_resolving_message(
                base,
                name,
                format!("cannot import '{name}' from {base}: hearth does not provide this module"),
            ));
        }
        if let Some(target) = name.strip_prefix(CJS_PREFIX) {
            // Generated by hearth with an already-resolved name; user code
            // can write one too, so it must name what the loader would have.
            if cjs_target_allowed(&self.worker, target) {
                return Ok(name.to_string());
            }
            return Err(Error::new_resolving_message(
                base,
                name,
                format!("cannot import '{name}' from {base}: hearth does not provide this module"),
            ));
        }
        let base = match base.strip_prefix(CJS_PREFIX) {
            // A register module importing the file it registers.
            Some(file) if file == name => return Ok(name.to_string()),
            Some(file) => file,
            None => base,
        };
        resolve(&self.worker, base, name, Kind::Import)
            .map_err(|message| Error::new_resolving_message(base, name, message))
    }
}

/// Whether `hearth-cjs:{target}` names a register module the loader makes:
/// one of hearth's modules the worker may use, or a file of the project.
fn cjs_target_allowed(worker: &Worker, target: &str) -> bool {
    if let Some(bare) = target.strip_prefix("node:") {
        return node_builtin(bare).is_some()
            && node_module_allowed(worker, bare)
            && node_disabled(worker, target, "").is_none();
    }
    BUILTINS.iter().any(|(n, _)| *n == target) || crate::worker::inside_project(target)
}

/// Whether a specifier is being imported (ESM) or required (CommonJS); picks
/// the `import` or `require` condition of package `exports`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Import,
    Require,
}

/// Resolves `name` as imported from the module `base` to a module name.
fn resolve(worker: &Worker, base: &str, name: &str, kind: Kind) -> Result<String, String> {
    if name == INTERNAL_MODULE {
        return Ok(name.to_string());
    }
    if name == crate::bindings::site::MANIFEST_MODULE && worker.config().site.is_some() {
        // Kept in memory by Worker::load.
        return Ok(name.to_string());
    }
    if BUILTINS.iter().any(|(n, _)| *n == name) {
        return Ok(name.to_string());
    }
    // hearth's own modules may use Node.js's whatever the flags.
    let internal = base.starts_with("node:") || base.starts_with("hearth:");
    if let Some(bare) = name.strip_prefix("node:") {
        if !internal && !node_module_allowed(worker, bare) {
            return Err(format!(
                "cannot import '{name}' from {base}: Node.js modules need the nodejs_compat \
                 flag; add `compatibility_flags = [\"nodejs_compat\"]` to your wrangler \
                 configuration"
            ));
        }
        if let Some(message) = node_disabled(worker, name, base) {
            return Err(message);
        }
        if node_builtin(bare).is_some() {
            return Ok(name.to_string());
        }
        return Err(unsupported_node(name, base));
    }
    if node_v2(worker) {
        if let Some(message) = node_disabled(worker, name, base) {
            return Err(message);
        }
        if node_builtin(name).is_some() {
            return Ok(format!("node:{name}"));
        }
        if NODE_UNSUPPORTED.contains(&name) {
            return Err(unsupported_node(name, base));
        }
    }
    // `./x.wasm?module`, as npm packages written for Workers import wasm.
    let name = name.strip_suffix("?module").unwrap_or(name);
    let root = worker.root();
    let base_dir = Path::new(base).parent().unwrap_or(Path::new(""));
    if name.starts_with("./") || name.starts_with("../") || name.starts_with('/') || name == "." {
        let joined = normalize(&base_dir.join(name));
        return match probe_file(root, &joined) {
            Some(p) => Ok(to_module_name(&p)),
            None => Err(format!(
                "cannot find module '{name}' imported from {base} (looked for {})",
                root.join(&joined).display()
            )),
        };
    }
    if name.contains(':') {
        return Err(format!(
            "cannot import '{name}' from {base}: hearth does not provide this module"
        ));
    }
    // A bare specifier: a package in node_modules.
    let (package, subpath) = split_package(name);
    let mut dir = Some(base_dir.to_path_buf());
    while let Some(d) = dir {
        let candidate = d.join("node_modules").join(package);
        if root.join(&candidate).is_dir() {
            return resolve_in_package(root, &candidate, subpath, kind)
                .map(|p| to_module_name(&p))
                .map_err(|why| format!("cannot resolve '{name}' imported from {base}: {why}"));
        }
        dir = if d.as_os_str().is_empty() {
            None
        } else {
            Some(d.parent().map(Path::to_path_buf).unwrap_or_default())
        };
    }
    let mut message = format!(
        "cannot find package '{package}' imported from {base}: it is not installed in \
         node_modules (run `npm install {package}`)"
    );
    if !node_v2(worker) && (node_builtin(name).is_some() || NODE_UNSUPPORTED.contains(&name)) {
        message.push_str(&format!(
            "; '{name}' is a Node.js module: import it as 'node:{name}' with \
             `compatibility_flags = [\"nodejs_compat\"]` in your wrangler configuration \
             (from compatibility_date 2024-09-23 the prefix is optional)"
        ));
    }
    Err(message)
}

fn unsupported_node(name: &str, base: &str) -> String {
    format!("cannot import '{name}' from {base}: this Node.js module is not supported by hearth")
}

/// `@scope/pkg/sub/path` → (`@scope/pkg`, `sub/path`).
fn split_package(name: &str) -> (&str, &str) {
    let mut cut = 0;
    let parts = if name.starts_with('@') { 2 } else { 1 };
    for (seen, (i, _)) in name.match_indices('/').enumerate() {
        if seen + 1 == parts {
            cut = i;
            break;
        }
    }
    if cut == 0 {
        (name, "")
    } else {
        (&name[..cut], &name[cut + 1..])
    }
}

/// A file, or the file with a probed extension, or the folder's index.
fn probe_file(root: &Path, joined: &Path) -> Option<PathBuf> {
    let candidate = |p: &Path| root.join(p).is_file();
    if candidate(joined) {
        return Some(joined.to_path_buf());
    }
    let with_ext = |ext: &str| {
        let mut s = joined.as_os_str().to_owned();
        s.push(".");
        s.push(ext);
        PathBuf::from(s)
    };
    // `./util.js` written for a `util.ts` file, as TypeScript allows.
    if let Some(stem) = joined.to_str().and_then(|s| s.strip_suffix(".js")) {
        for ext in ["ts", "tsx"] {
            let p = PathBuf::from(format!("{stem}.{ext}"));
            if candidate(&p) {
                return Some(p);
            }
        }
    }
    if let Some(p) = PROBE_EXTENSIONS
        .iter()
        .map(|ext| with_ext(ext))
        .find(|p| candidate(p))
    {
        return Some(p);
    }
    if root.join(joined).is_dir() {
        if let Some(pkg) = read_package_json(root, joined) {
            if let Some(main) = pkg.get("main").and_then(|m| m.as_str()) {
                if let Some(p) = probe_file(root, &normalize(&joined.join(main))) {
                    return Some(p);
                }
            }
        }
        return PROBE_EXTENSIONS
            .iter()
            .map(|ext| joined.join(format!("index.{ext}")))
            .find(|p| candidate(p));
    }
    None
}

fn read_package_json(root: &Path, dir: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(root.join(dir).join("package.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// Resolves `subpath` (`""` for the package itself) inside a package folder.
fn resolve_in_package(
    root: &Path,
    dir: &Path,
    subpath: &str,
    kind: Kind,
) -> Result<PathBuf, String> {
    let pkg = read_package_json(root, dir).unwrap_or(serde_json::Value::Null);
    if let Some(exports) = read_exports(root, dir) {
        let exports = &exports;
        let key = if subpath.is_empty() {
            ".".to_string()
        } else {
            format!("./{subpath}")
        };
        let target = match_exports(exports, &key, kind).ok_or_else(|| {
            format!(
                "package {} does not export '{key}' for the workerd/worker/browser/{}/default \
                 conditions",
                dir.display(),
                if kind == Kind::Import {
                    "import"
                } else {
                    "require"
                }
            )
        })?;
        let path = normalize(&dir.join(&target));
        return if root.join(&path).is_file() {
            Ok(path)
        } else {
            probe_file(root, &path)
                .ok_or_else(|| format!("its exports point at {}, which is missing", path.display()))
        };
    }
    if subpath.is_empty() {
        // One entry for `import` and `require` alike, so a package with both
        // `main` (CommonJS) and `module` (ESM) loads once per isolate: two
        // copies break code that shares state or classes through it (Remix 2).
        // `main` wins, as in esbuild's bundles (wrangler's bundler) whenever
        // the package is also required.
        for field in ["main", "module"] {
            if let Some(main) = pkg.get(field).and_then(|m| m.as_str()) {
                if let Some(p) = probe_file(root, &normalize(&dir.join(main))) {
                    return Ok(p);
                }
            }
        }
        return PROBE_EXTENSIONS
            .iter()
            .map(|ext| dir.join(format!("index.{ext}")))
            .find(|p| root.join(p).is_file())
            .ok_or_else(|| format!("package {} has no entry point", dir.display()));
    }
    probe_file(root, &normalize(&dir.join(subpath)))
        .ok_or_else(|| format!("{} has no file '{subpath}'", dir.display()))
}

/// Node's `exports` algorithm: subpath keys (with `*` patterns), then
/// conditions in the order the package lists them.
fn match_exports(exports: &Ordered, key: &str, kind: Kind) -> Option<String> {
    let is_subpath_map =
        matches!(exports, Ordered::Object(m) if m.first().is_some_and(|(k, _)| k.starts_with('.')));
    if !is_subpath_map {
        // Sugar: the whole value is the "." target.
        return if key == "." {
            pick_target(exports, kind, None)
        } else {
            None
        };
    }
    let Ordered::Object(map) = exports else {
        return None;
    };
    if let Some((_, target)) = map.iter().find(|(k, _)| k == key) {
        return pick_target(target, kind, None);
    }
    // Patterns: the longest matching prefix wins.
    let mut best: Option<(&str, &Ordered, String)> = None;
    for (pattern, target) in map {
        if let Some((prefix, suffix)) = pattern.split_once('*') {
            if key.starts_with(prefix)
                && key.ends_with(suffix)
                && key.len() >= prefix.len() + suffix.len()
                && best.as_ref().is_none_or(|(p, _, _)| prefix.len() > p.len())
            {
                let star = key[prefix.len()..key.len() - suffix.len()].to_string();
                best = Some((prefix, target, star));
            }
        } else if pattern.ends_with('/') && key.starts_with(pattern.as_str()) {
            // Deprecated folder mappings ("./lib/": "./lib/").
            let rest = &key[pattern.len()..];
            return pick_target(target, kind, None).map(|t| format!("{t}{rest}"));
        }
    }
    let (_, target, star) = best?;
    pick_target(target, kind, Some(&star))
}

fn pick_target(target: &Ordered, kind: Kind, star: Option<&str>) -> Option<String> {
    match target {
        Ordered::String(s) => Some(match star {
            Some(star) => s.replace('*', star),
            None => s.clone(),
        }),
        Ordered::Array(items) => items.iter().find_map(|t| pick_target(t, kind, star)),
        Ordered::Object(conditions) => {
            let wanted = |c: &str| match c {
                "workerd" | "worker" | "browser" | "default" => true,
                "import" => kind == Kind::Import,
                "require" => kind == Kind::Require,
                _ => false,
            };
            conditions
                .iter()
                .filter(|(c, _)| wanted(c))
                .find_map(|(_, t)| pick_target(t, kind, star))
        }
        _ => None,
    }
}

/// A package.json `exports` value with object keys in file order (condition
/// order matters, and `serde_json::Map` sorts keys).
#[derive(Debug)]
enum Ordered {
    String(String),
    Array(Vec<Ordered>),
    Object(Vec<(String, Ordered)>),
    Other,
}

impl<'de> serde::Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_str<E>(self, v: &str) -> Result<Ordered, E> {
                Ok(Ordered::String(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Ordered, E> {
                Ok(Ordered::String(v))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Ordered, E> {
                Ok(Ordered::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Ordered, E> {
                Ok(Ordered::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Ordered, E> {
                Ok(Ordered::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Ordered, E> {
                Ok(Ordered::Other)
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Other)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Ordered, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = a.next_element()? {
                    items.push(item);
                }
                Ok(Ordered::Array(items))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Ordered, A::Error> {
                let mut entries = Vec::new();
                while let Some((k, v)) = a.next_entry::<String, Ordered>()? {
                    entries.push((k, v));
                }
                Ok(Ordered::Object(entries))
            }
        }
        d.deserialize_any(V)
    }
}

/// The `exports` field of a package's package.json, in file order.
fn read_exports(root: &Path, dir: &Path) -> Option<Ordered> {
    #[derive(serde::Deserialize)]
    struct Package {
        exports: Option<Ordered>,
    }
    let text = std::fs::read_to_string(root.join(dir).join("package.json")).ok()?;
    let pkg: Package = serde_json::from_str(&text).ok()?;
    pkg.exports.filter(|e| !matches!(e, Ordered::Other))
}

pub(crate) struct ProjectLoader {
    pub(crate) worker: Worker,
}

impl Loader for ProjectLoader {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<Module<'js, rquickjs::module::Declared>> {
        if name == INTERNAL_MODULE {
            return Module::declare_def::<InternalModule, _>(ctx.clone(), name);
        }
        let source = load(&self.worker, name).map_err(|e| Error::new_loading_message(name, e))?;
        Module::declare(ctx.clone(), name, source)
    }
}

/// The JavaScript source QuickJS compiles for the module `name`.
fn load(worker: &Worker, name: &str) -> Result<String, String> {
    if let Some((_, source)) = BUILTINS.iter().find(|(n, _)| *n == name) {
        return Ok((*source).to_string());
    }
    if let Some(bare) = name.strip_prefix("node:") {
        return node_builtin(bare)
            .map(str::to_string)
            .ok_or_else(|| unsupported_node(name, "here"));
    }
    if let Some(target) = name.strip_prefix(CJS_PREFIX) {
        return cjs_register(worker, target);
    }
    let kind = file_kind(worker, name)?;
    let bytes = worker.source(name)?;
    let text = || std::str::from_utf8(&bytes).map_err(|_| format!("{name} is not valid UTF-8"));
    match kind {
        FileKind::Esm => module_source(worker, name),
        FileKind::CommonJs => Ok(cjs_facade(worker, name, &bytes)),
        FileKind::Json => Ok(format!("export default {};", text()?)),
        FileKind::Text => {
            let literal = serde_json::to_string(text()?).expect("strings serialize");
            Ok(format!("export default {literal};"))
        }
        FileKind::Data => {
            let literal = serde_json::to_string(name).expect("strings serialize");
            Ok(format!(
                "import {{ native }} from \"{INTERNAL_MODULE}\";\n\
                 export default native.moduleData({literal});"
            ))
        }
        FileKind::Wasm => {
            // Compiled now (or read from the cache), so an invalid module
            // fails start-up naming the file and wasmtime's reason.
            crate::web::wasm::cache(worker)
                .module(&bytes)
                .map_err(|e| format!("{name} is not a valid WebAssembly module: {e}"))?;
            let literal = serde_json::to_string(name).expect("strings serialize");
            Ok(format!(
                "import {{ internal }} from \"{INTERNAL_MODULE}\";\n\
                 export default internal.wasm.bundleModule({literal});"
            ))
        }
    }
}

/// The source of an ES module (the entry point or any imported file), TypeScript
/// and JSX transpiled; when `nodejs_compat` is on, the entry point first
/// imports the Node.js globals (`Buffer`, `process`).
pub(crate) fn module_source(worker: &Worker, name: &str) -> Result<String, String> {
    let bytes = worker.source(name)?;
    let code = javascript(worker, name, &bytes, false)?;
    let code = define::node_env(code, false);
    if name == worker.main() && async_context(worker) {
        // Same line: line numbers in stack traces stay right.
        return Ok(format!("import \"hearth:node-globals\";{code}"));
    }
    Ok(code)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum FileKind {
    Esm,
    CommonJs,
    Json,
    Text,
    Data,
    Wasm,
}

/// Decides how a file is loaded: `[[rules]]` for the project's own files,
/// Node's rules (`.mjs`/`.cjs`, package `type`, then syntax) in node_modules.
fn file_kind(worker: &Worker, name: &str) -> Result<FileKind, String> {
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("");
    if ext == "json" {
        return Ok(FileKind::Json);
    }
    if matches!(ext, "ts" | "mts" | "tsx" | "jsx") {
        return Ok(FileKind::Esm);
    }
    if matches!(ext, "cjs" | "cts") {
        return Ok(FileKind::CommonJs);
    }
    if ext == "mjs" {
        return Ok(FileKind::Esm);
    }
    if ext == "wasm" && in_node_modules(name) {
        // wrangler's default rule (`**/*.wasm` is CompiledWasm) applies
        // inside packages too.
        return Ok(FileKind::Wasm);
    }
    if !in_node_modules(name) {
        match worker.module_kind(name) {
            Some(ModuleKind::Text) => return Ok(FileKind::Text),
            Some(ModuleKind::Data) => return Ok(FileKind::Data),
            Some(ModuleKind::CompiledWasm) => return Ok(FileKind::Wasm),
            Some(ModuleKind::CommonJs) => return Ok(FileKind::CommonJs),
            Some(ModuleKind::EsModule) | None => {}
        }
    }
    if ext == "js" || ext.is_empty() {
        // As esbuild does: the syntax decides, whatever package.json `type`
        // says. A file without `import`/`export` that touches `module`,
        // `exports` or `require` is CommonJS.
        let bytes = worker.source(name)?;
        if transpile::has_module_syntax(name, &bytes) {
            return Ok(FileKind::Esm);
        }
        let text = String::from_utf8_lossy(&bytes);
        let cjs = ["module.exports", "exports.", "require(", "exports["]
            .iter()
            .any(|needle| text.contains(needle));
        return Ok(
            if cjs || package_type(worker.root(), name).as_deref() != Some("module") {
                FileKind::CommonJs
            } else {
                FileKind::Esm
            },
        );
    }
    Ok(FileKind::Esm)
}

fn in_node_modules(name: &str) -> bool {
    name.starts_with("node_modules/") || name.contains("/node_modules/")
}

/// The `type` of the package.json nearest to a file.
fn package_type(root: &Path, name: &str) -> Option<String> {
    let mut dir = Path::new(name).parent();
    while let Some(d) = dir {
        if let Some(pkg) = read_package_json(root, d) {
            return pkg.get("type").and_then(|t| t.as_str()).map(str::to_string);
        }
        if d.as_os_str().is_empty() {
            break;
        }
        dir = d.parent();
    }
    None
}

/// What an ES module importing a CommonJS file sees: `module.exports` as the
/// default export, and the names we can find statically as named exports.
fn cjs_facade(worker: &Worker, name: &str, source: &Arc<[u8]>) -> String {
    let literal = serde_json::to_string(name).expect("strings serialize");
    let mut names = Vec::new();
    collect_cjs_exports(worker, name, source, &mut names, 0);
    names.sort();
    names.dedup();
    let mut out = format!(
        "import * as __hearth_cjs from \"{CJS_MODULE}\";\nimport {lit};\n\
         const __m = __hearth_cjs.require({literal});\n\
         export default __hearth_cjs.interopDefault(__m);\n",
        lit = serde_json::to_string(&format!("{CJS_PREFIX}{name}")).expect("strings serialize"),
    );
    for (i, export) in names.iter().enumerate() {
        out.push_str(&format!(
            "const __e{i} = __m[{q}];\nexport {{ __e{i} as {export} }};\n",
            q = serde_json::to_string(export).expect("strings serialize")
        ));
    }
    out
}

/// The register module of a file required from CommonJS: defines the
/// factory of a CommonJS file (after importing what it requires), or hands
/// an ES module's namespace, a JSON value or a builtin to the registry.
fn cjs_register(worker: &Worker, name: &str) -> Result<String, String> {
    let literal = serde_json::to_string(name).expect("strings serialize");
    let header = format!("import * as __hearth_cjs from \"{CJS_MODULE}\";");
    if name.starts_with("node:") || BUILTINS.iter().any(|(n, _)| *n == name) {
        return Ok(format!(
            "{header}import * as ns from {literal};__hearth_cjs.builtin({literal}, ns);"
        ));
    }
    match file_kind(worker, name)? {
        FileKind::CommonJs => {}
        FileKind::Json => {
            let bytes = worker.source(name)?;
            let text =
                std::str::from_utf8(&bytes).map_err(|_| format!("{name} is not valid UTF-8"))?;
            return Ok(format!("{header}__hearth_cjs.value({literal}, {text});"));
        }
        _ => {
            return Ok(format!(
                "{header}import * as ns from {literal};__hearth_cjs.esm({literal}, ns);"
            ))
        }
    }
    let source = javascript(worker, name, &worker.source(name)?, true)?;
    let source = define::node_env(source, true);
    let source = source.strip_prefix("#!").map_or(source.as_str(), |rest| {
        // Keep the line, drop the shebang.
        &rest[rest.find('\n').unwrap_or(rest.len())..]
    });
    // Every statically required specifier that resolves is imported (so it
    // is loaded before the factory can run) and mapped for `require`. Ones
    // that don't resolve are left for `require` to throw at run time, which
    // `try { require('optional') } catch {}` expects.
    let mut imports = String::new();
    let mut map = serde_json::Map::new();
    for spec in &cjs::analysis(name, &worker.source(name)?).requires {
        if let Ok(resolved) = resolve(worker, name, spec, Kind::Require) {
            imports.push_str(&format!(
                "import {};",
                serde_json::to_string(&format!("{CJS_PREFIX}{resolved}"))
                    .expect("strings serialize")
            ));
            map.insert(spec.clone(), serde_json::Value::String(resolved));
        }
    }
    let deps = serde_json::Value::Object(map).to_string();
    // All on the first line, so the file's own lines keep their numbers.
    Ok(format!(
        "{header}{imports}__hearth_cjs.define({literal}, {deps}, function (exports, require, \
         module, __filename, __dirname) {{{source}\n}});"
    ))
}

/// Names a CommonJS file exports (see [`cjs`]), following its re-exports of
/// other CommonJS files a few levels deep.
fn collect_cjs_exports(
    worker: &Worker,
    name: &str,
    source: &Arc<[u8]>,
    out: &mut Vec<String>,
    depth: usize,
) {
    let analysis = cjs::analysis(name, source);
    out.extend(analysis.exports.iter().cloned());
    if depth >= 4 {
        return;
    }
    for spec in &analysis.reexports {
        let Ok(target) = resolve(worker, name, spec, Kind::Require) else {
            continue;
        };
        if file_kind(worker, &target).ok() != Some(FileKind::CommonJs) {
            continue;
        }
        if let Ok(bytes) = worker.source(&target) {
            collect_cjs_exports(worker, &target, &bytes, out, depth + 1);
        }
    }
}

/// Collapses `.` and `..` without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(p) => out.push(p),
        }
    }
    out
}

/// A module name is the relative path with forward slashes.
pub(crate) fn to_module_name(path: &Path) -> String {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_package_names() {
        assert_eq!(split_package("hono"), ("hono", ""));
        assert_eq!(split_package("hono/cors"), ("hono", "cors"));
        assert_eq!(split_package("@scope/pkg"), ("@scope/pkg", ""));
        assert_eq!(split_package("@scope/pkg/a/b"), ("@scope/pkg", "a/b"));
    }

    #[test]
    fn exports_conditions_follow_package_order() {
        let exports: Ordered = serde_json::from_str(
            r#"{
            ".": { "types": "./x.d.ts", "workerd": "./w.js", "import": "./i.js", "default": "./d.js" },
            "./utils/*": { "require": "./cjs/*.js", "import": "./esm/*.js" },
            "./package.json": "./package.json"
        }"#,
        )
        .unwrap();
        assert_eq!(
            match_exports(&exports, ".", Kind::Import).as_deref(),
            Some("./w.js")
        );
        assert_eq!(
            match_exports(&exports, "./utils/a/b", Kind::Import).as_deref(),
            Some("./esm/a/b.js")
        );
        assert_eq!(
            match_exports(&exports, "./utils/x", Kind::Require).as_deref(),
            Some("./cjs/x.js")
        );
        assert_eq!(match_exports(&exports, "./nope", Kind::Import), None);
        let sugar: Ordered =
            serde_json::from_str(r#"{ "node": "./n.js", "default": "./d.js" }"#).unwrap();
        assert_eq!(
            match_exports(&sugar, ".", Kind::Import).as_deref(),
            Some("./d.js")
        );
    }
}

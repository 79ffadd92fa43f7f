//! Running projects the way their authors do: `hearth dev SCRIPT`, the
//! configuration a build generated (`.wrangler/deploy/config.json`), no
//! false warnings for generated configurations, `[build] command`.

use hearth_tests::{write_project, Hearth};
use std::time::{Duration, Instant};

#[test]
fn a_script_argument_is_the_entry_point() {
    // No configuration at all: the script runs with defaults, as with wrangler.
    let dir = write_project(&[(
        "src/index.js",
        "export default { fetch() { return new Response('bare script'); } };",
    )]);
    let script = dir.path().join("src/index.js");
    let h = Hearth::start(&script, &[]);
    assert_eq!(h.get("/"), (200, "bare script".to_string()));
    drop(h);

    // A configuration without `main`: the script is the entry, the rest of
    // the configuration (vars, --env) applies.
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"app\"\n[vars]\nWHO = \"top\"\n[env.staging.vars]\nWHO = \"staging\"\n",
        ),
        (
            "src/worker.ts",
            "export default { fetch(_r: Request, env: { WHO: string }) { return new Response(`hello ${env.WHO}`); } };",
        ),
    ]);
    let config = dir.path().join("wrangler.toml");
    let script = dir.path().join("src/worker.ts");
    let args = ["--config", config.to_str().unwrap()];
    let h = Hearth::start(&script, &args);
    assert_eq!(h.get("/"), (200, "hello top".to_string()));
    drop(h);
    let h = Hearth::start(&script, &[args[0], args[1], "--env", "staging"]);
    assert_eq!(h.get("/"), (200, "hello staging".to_string()));
}

/// What `@cloudflare/vite-plugin` writes: the build's own wrangler.json,
/// full of wrangler's defaults, and a pointer to it.
const GENERATED: &str = r#"{
  "configPath": "../../wrangler.jsonc",
  "userConfigPath": "../../wrangler.jsonc",
  "topLevelName": "app",
  "definedEnvironments": [],
  "legacy_env": true,
  "name": "app",
  "main": "index.js",
  "compatibility_date": "2025-06-01",
  "compatibility_flags": [],
  "jsx_factory": "React.createElement",
  "jsx_fragment": "React.Fragment",
  "rules": [],
  "triggers": {},
  "dev": { "ip": "localhost", "local_protocol": "http", "upstream_protocol": "http", "enable_containers": true, "generate_types": false },
  "vars": {},
  "durable_objects": { "bindings": [] },
  "kv_namespaces": [],
  "queues": { "producers": [], "consumers": [] },
  "r2_buckets": [],
  "d1_databases": [],
  "vectorize": [],
  "services": [],
  "analytics_engine_datasets": [],
  "dispatch_namespaces": [],
  "mtls_certificates": [],
  "pipelines": [],
  "send_email": [],
  "workflows": [],
  "secrets_store_secrets": [],
  "ratelimits": [],
  "unsafe_hello_world": [],
  "worker_loaders": [],
  "vpc_services": [],
  "logfwdr": { "bindings": [] },
  "python_modules": { "exclude": ["**/*.pyc"] },
  "observability": { "enabled": true },
  "cloudchamber": {},
  "unsafe": {},
  "define": {},
  "migrations": [],
  "assets": { "directory": "../client" }
}"#;

#[test]
fn the_configuration_a_build_generated_is_used_without_false_warnings() {
    let dir = write_project(&[
        (
            "wrangler.jsonc",
            r#"{ "name": "app", "main": "src/index.ts", "compatibility_date": "2025-06-01", "assets": { "directory": "public" } }"#,
        ),
        (
            "src/index.ts",
            "export default { fetch() { return new Response('the source, not the build'); } };",
        ),
        (
            ".wrangler/deploy/config.json",
            r#"{ "configPath": "../../dist/app/wrangler.json" }"#,
        ),
        ("dist/app/wrangler.json", GENERATED),
        (
            "dist/app/index.js",
            "export default { fetch() { return new Response('the build'); } };",
        ),
        ("dist/client/logo.txt", "built asset"),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(h.get("/api"), (200, "the build".to_string()));
    assert_eq!(h.get("/logo.txt"), (200, "built asset".to_string()));
    let logs = h.logs();
    assert!(
        logs.contains("redirected by") && logs.contains("config.json"),
        "{logs}"
    );
    assert!(!logs.contains("WARN"), "no warnings expected:\n{logs}");

    // A pointer to a missing file is an error naming both.
    std::fs::remove_file(dir.path().join("dist/app/wrangler.json")).unwrap();
    let logs = Hearth::try_start(dir.path(), &[])
        .err()
        .expect("must not start");
    assert!(
        logs.contains("config.json") && logs.contains("does not exist"),
        "{logs}"
    );
}

#[test]
fn ignored_keys_with_values_still_warn() {
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"x\"\nmain = \"index.js\"\nvectorize = []\n[[workflows]]\nname = \"w\"\nbinding = \"W\"\nclass_name = \"W\"\n",
        ),
        ("index.js", "export default { fetch() { return new Response('ok'); } };"),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    let logs = h.logs();
    assert!(logs.contains("workflows"), "{logs}");
    assert!(!logs.contains("vectorize"), "{logs}");
}

#[test]
fn build_command_runs_before_start_and_on_reload() {
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"built\"\nmain = \"dist/index.js\"\n[build]\ncommand = \"mkdir -p dist && sed 's/SOURCE/built from source/' src/index.js > dist/index.js\"\n",
        ),
        ("src/index.js", "export default { fetch() { return new Response('v1 SOURCE'); } };"),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(h.get("/"), (200, "v1 built from source".to_string()));
    assert!(h.logs().contains("Running custom build"), "{}", h.logs());
    std::fs::write(
        dir.path().join("src/index.js"),
        "export default { fetch() { return new Response('v2 SOURCE'); } };",
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while h.get("/").1 != "v2 built from source" {
        assert!(Instant::now() < deadline, "not rebuilt:\n{}", h.logs());
        std::thread::sleep(Duration::from_millis(100));
    }
    // The build's own output does not start another build.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        h.logs().matches("Running custom build").count(),
        2,
        "{}",
        h.logs()
    );

    // A failing build stops start-up, naming the command.
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"x\"\nmain = \"index.js\"\n[build]\ncommand = \"exit 3\"\n",
        ),
        (
            "index.js",
            "export default { fetch() { return new Response('x'); } };",
        ),
    ]);
    let logs = Hearth::try_start(dir.path(), &[])
        .err()
        .expect("must not start");
    assert!(logs.contains("build.command `exit 3` failed"), "{logs}");
}

#[test]
fn build_command_finds_the_projects_own_npm_tools() {
    // `esbuild src/client.tsx ...` as durable-chat's build: the tool is in
    // node_modules/.bin, on PATH under `npm run dev` (which starts wrangler).
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"tools\"\nmain = \"dist/index.js\"\n[build]\ncommand = \"make-worker dist\"\n",
        ),
        (
            "node_modules/.bin/make-worker",
            "#!/bin/sh\nmkdir -p \"$1\" && echo \"export default { fetch() { return new Response('made by a local tool'); } };\" > \"$1/index.js\"\n",
        ),
    ]);
    let tool = dir.path().join("node_modules/.bin/make-worker");
    let mut mode = std::fs::metadata(&tool).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut mode, 0o755);
    std::fs::set_permissions(&tool, mode).unwrap();
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(h.get("/"), (200, "made by a local tool".to_string()));
}

#[test]
fn process_env_node_env_is_defined_as_wranglers_bundler_defines_it() {
    // No nodejs_compat: `process` does not exist, yet packages that branch
    // on process.env.NODE_ENV (React, many CommonJS builds) work.
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"env\"\nmain = \"src/index.js\"\ncompatibility_date = \"2025-06-01\"\n",
        ),
        (
            "src/index.js",
            "import mode from 'mode-pkg';\n\
             export default { fetch() {\n\
               const hint = 'set process.env.NODE_ENV to production';\n\
               return new Response(`${mode} ${process.env.NODE_ENV} ${typeof process} ${hint}`);\n\
             } };",
        ),
        (
            "node_modules/mode-pkg/package.json",
            r#"{ "name": "mode-pkg", "main": "index.js" }"#,
        ),
        (
            "node_modules/mode-pkg/index.js",
            "'use strict';\nif (process.env.NODE_ENV === 'production') {\n  module.exports = 'prod-build';\n} else {\n  module.exports = 'dev-build';\n}\n",
        ),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(
        h.get("/"),
        (
            200,
            "dev-build development undefined set process.env.NODE_ENV to production".to_string()
        )
    );
    drop(h);
    let h = Hearth::start_with_env(dir.path(), &[], &[("NODE_ENV", "production")]);
    assert!(
        h.get("/").1.starts_with("prod-build production"),
        "{}",
        h.logs()
    );
}

#[test]
fn workers_sites_serve_the_bucket() {
    // What @cloudflare/kv-asset-handler does: look the path up in the
    // manifest, then read the key from __STATIC_CONTENT.
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"site\"\nmain = \"src/index.js\"\ncompatibility_date = \"2025-06-01\"\n[site]\nbucket = \"./public\"\n",
        ),
        (
            "src/index.js",
            "import manifestJSON from '__STATIC_CONTENT_MANIFEST';\n\
             const manifest = JSON.parse(manifestJSON);\n\
             export default { async fetch(request, env) {\n\
               const path = new URL(request.url).pathname.slice(1) || 'index.html';\n\
               const key = manifest[path];\n\
               if (!key) return new Response('not in manifest', { status: 404 });\n\
               const body = await env.__STATIC_CONTENT.get(key, 'arrayBuffer');\n\
               return new Response(body, { headers: { 'x-keys': Object.keys(manifest).sort().join(',') } });\n\
             } };",
        ),
        ("public/index.html", "<h1>site</h1>"),
        ("public/css/app.css", "body{}"),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(h.get("/"), (200, "<h1>site</h1>".to_string()));
    assert_eq!(h.get("/css/app.css"), (200, "body{}".to_string()));
    assert_eq!(h.get("/../wrangler.toml").0, 404);
    assert!(!h.logs().contains("WARN"), "{}", h.logs());
    drop(h);

    // Service workers get both as globals.
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"site-sw\"\nmain = \"worker.js\"\ncompatibility_date = \"2025-06-01\"\n[site]\nbucket = \"./public\"\n",
        ),
        (
            "worker.js",
            "addEventListener('fetch', (event) => event.respondWith((async () => {\n\
               const key = JSON.parse(__STATIC_CONTENT_MANIFEST)['hello.txt'];\n\
               return new Response(await __STATIC_CONTENT.get(key));\n\
             })()));",
        ),
        ("public/hello.txt", "hello from the bucket"),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(h.get("/"), (200, "hello from the bucket".to_string()));
}

#[test]
fn tsconfig_jsx_settings_are_honoured() {
    // hono/jsx style: the automatic runtime from another import source.
    let dir = write_project(&[
        ("wrangler.toml", "name = \"jsx\"\nmain = \"src/index.tsx\"\ncompatibility_date = \"2025-06-01\"\n"),
        (
            "tsconfig.json",
            r#"{
              // as `npm create hono` writes it
              "compilerOptions": { "jsx": "react-jsx", "jsxImportSource": "tiny-jsx", },
            }"#,
        ),
        (
            "node_modules/tiny-jsx/package.json",
            r#"{ "name": "tiny-jsx", "type": "module", "exports": { "./jsx-runtime": "./jsx-runtime.js" } }"#,
        ),
        (
            "node_modules/tiny-jsx/jsx-runtime.js",
            "export function jsx(tag, props) { const kids = [].concat(props.children ?? []).join(''); return `<${tag}>${kids}</${tag}>`; }\n\
             export const jsxs = jsx; export const Fragment = 'frag';\n",
        ),
        (
            "src/index.tsx",
            "export default { fetch() { const name: string = 'jsx'; return new Response(<p><b>{name}</b></p>); } };",
        ),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(h.get("/"), (200, "<p><b>jsx</b></p>".to_string()));
    drop(h);

    // Without a tsconfig: the classic runtime, React.createElement (esbuild's
    // and wrangler's default).
    let dir = write_project(&[
        ("wrangler.toml", "name = \"jsx2\"\nmain = \"src/index.jsx\"\ncompatibility_date = \"2025-06-01\"\n"),
        (
            "src/index.jsx",
            "const React = { createElement: (tag, _props, ...kids) => `${tag}(${kids.join(',')})` };\n\
             export default { fetch() { return new Response(<ul><li>a</li><li>b</li></ul>); } };",
        ),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    assert_eq!(h.get("/"), (200, "ul(li(a),li(b))".to_string()));
}

#!/usr/bin/env bash
# Runs every hearth test. Works on a fresh Debian machine: installs what the
# tests need (system packages, the npm packages of the JS test harness) when
# missing, builds hearth, then runs the Rust and JavaScript suites.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_missing=()
command -v cc >/dev/null || apt_missing+=(build-essential)
command -v node >/dev/null || apt_missing+=(nodejs npm)
command -v chromium >/dev/null || apt_missing+=(chromium)
command -v redis-cli >/dev/null || apt_missing+=(redis-tools)
# A real PostgreSQL for tests/tests/postgres.rs (a private cluster per test).
command -v initdb >/dev/null || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null ||
  apt_missing+=(postgresql)
# A real MariaDB for tests/tests/mysql_drivers.rs (a private server per test).
command -v mariadbd >/dev/null || command -v mysqld >/dev/null ||
  [ -x /usr/sbin/mariadbd ] || [ -x /usr/sbin/mysqld ] || apt_missing+=(mariadb-server)
command -v openssl >/dev/null || apt_missing+=(openssl)
# serve_routing.rs: curl resolves `*.localhost` to loopback as browsers do.
command -v curl >/dev/null || apt_missing+=(curl)
# clang and lld build the C test module of tests/tests/wasm.rs (--target=wasm32).
{ command -v clang >/dev/null && command -v wasm-ld >/dev/null; } || apt_missing+=(clang lld)
if ((${#apt_missing[@]})); then
  echo "installing: ${apt_missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi

# QuickJS compiled to wasm runs the Web API layer's unit tests on the same
# engine hearth embeds. Pinned; installed into an ignored folder.
js_tools=.tools/js
if [ ! -d "$js_tools/node_modules/quickjs-emscripten" ]; then
  npm install --silent --no-audit --no-fund --prefix "$js_tools" \
    quickjs-emscripten@0.32.0 @jitl/quickjs-ng-wasmfile-release-sync@0.32.0
fi

# playwright-core drives Debian's chromium for the to-do example's browser
# test (tests/tests/kv_examples.rs). Pinned; installed into an ignored folder.
browser_tools=.tools/browser
if [ ! -d "$browser_tools/node_modules/playwright-core" ]; then
  npm install --silent --no-audit --no-fund --prefix "$browser_tools" playwright-core@1.52.0
fi

# boto3, the AWS SDK for Python, is the real S3 client R2's S3-compatible API
# is tested with (tests/tests/r2_s3.rs). Pinned; installed into an ignored venv.
py_tools=.tools/py
if [ ! -x "$py_tools/bin/python" ] || ! "$py_tools/bin/python" -c 'import boto3' 2>/dev/null; then
  { command -v python3 >/dev/null && python3 -c 'import ensurepip' 2>/dev/null; } ||
    { apt-get update -qq && apt-get install -y -qq python3 python3-venv >/dev/null; }
  python3 -m venv "$py_tools"
  "$py_tools/bin/pip" install -q boto3==1.43.11
fi

# npm projects the TypeScript/npm, database-driver, wasm and framework tests
# run (tests/tests/npm_ts.rs, pg_drivers.rs, mysql_drivers.rs, node_http.rs,
# wasm.rs, examples_wasm.rs, frameworks.rs): their node_modules are
# git-ignored, so install them from the committed lock files (the framework
# apps' builds run in frameworks.rs).
for project in tests/fixtures/npm-* tests/fixtures/*-driver tests/fixtures/node-http-express \
  tests/fixtures/frameworks/*/ examples/hono-zod examples/image-resize examples/og-image; do
  if [ -f "$project/package-lock.json" ] && [ ! -d "$project/node_modules" ]; then
    npm ci --silent --no-audit --no-fund --prefix "$project"
  fi
done

cargo build --release --bin hearth
export HEARTH_BIN="$PWD/target/release/hearth"
cargo test --release --workspace
QJS_NODE_MODULES="$PWD/$js_tools" node crates/hearth-runtime/tests/js/run.mjs

#!/usr/bin/env bash
# Start-up of a TypeScript project with npm dependencies (examples/hono-zod):
# wall time from launching the dev server to the first 200 on GET /.
# Usage: bench/startup_ts.sh [runs]   (needs bench/.tools with wrangler@4.60.0)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
project=examples/hono-zod
[ -d "$project/node_modules" ] || npm ci --silent --prefix "$project"
hearth=${HEARTH_BIN:-target/release/hearth}
wrangler=bench/.tools/node_modules/.bin/wrangler

measure() { # name, port, command...
  local name=$1 port=$2; shift 2
  local times=()
  for _ in $(seq "$runs"); do
    local start end pid
    start=$(date +%s%N)
    "$@" >/tmp/startup_ts.$name.log 2>&1 &
    pid=$!
    until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/" || true)" = 200 ]; do
      sleep 0.01
      if ! kill -0 "$pid" 2>/dev/null; then echo "$name exited:"; cat /tmp/startup_ts.$name.log; return 1; fi
    done
    end=$(date +%s%N)
    times+=($(((end - start) / 1000000)))
    kill "$pid"; wait "$pid" 2>/dev/null || true
    pkill -P "$pid" 2>/dev/null || true
    sleep 0.5
  done
  printf '%s: runs(ms)=%s median=%s\n' "$name" "${times[*]}" \
    "$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")"
}

measure hearth 8871 "$hearth" dev "$project" --port 8871
(cd "$project" && WRANGLER_SEND_METRICS=false measure wrangler 8872 "../../$wrangler" dev --port 8872 --ip 127.0.0.1)

#!/usr/bin/env bash
# hearth serve: memory per deployed worker (idle, and after one request
# each) and deploys under load (failed requests, time per `hearth deploy`).
# Usage: bench/serve.sh [path/to/hearth]   (needs python3 and curl)
set -euo pipefail
H=${1:-$(dirname "$0")/../target/release/hearth}
H=$(realpath "$H")
work=$(mktemp -d)
trap 'kill $SP 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
mkdir data
serve() { "$H" serve --data data --port 18080 --admin-port 18788 --admin-token t --threads 2 >>serve.log 2>&1 & SP=$!; sleep 1; }
rss() { awk '/VmRSS/ {print $2}' /proc/$SP/status; }
stop() { kill -TERM $SP; wait $SP; }
N=50
for i in $(seq 1 $N); do
  mkdir -p p$i
  printf 'name = "w%s"\nmain = "index.js"\ncompatibility_date = "2025-01-01"\n' $i >p$i/wrangler.toml
  echo 'export default { fetch() { return new Response("hi"); } };' >p$i/index.js
done
serve
empty=$(rss)
for i in $(seq 1 $N); do "$H" deploy p$i --server http://127.0.0.1:18788 --token t >/dev/null; done
deployed=$(rss)
stop
serve
idle=$(rss)
for i in $(seq 1 $N); do curl -s -H "Host: w$i.localhost" http://127.0.0.1:18080/ >/dev/null; done
used=$(rss)
echo "RSS: empty ${empty} kB; $N workers just deployed ${deployed} kB; after a restart (idle, never requested) ${idle} kB; after one request each ${used} kB"
cat >load.py <<'PY'
import http.client, threading, time, sys
stop = False; ok = 0; bad = 0
def run():
    global ok, bad
    c = http.client.HTTPConnection("127.0.0.1", 18080, timeout=10)
    while not stop:
        try:
            c.request("GET", "/", headers={"Host": "w1.localhost"}); r = c.getresponse(); r.read()
            if r.status == 200: ok += 1
            else: bad += 1
        except Exception:
            bad += 1; c = http.client.HTTPConnection("127.0.0.1", 18080, timeout=10)
ts = [threading.Thread(target=run) for _ in range(4)]
[t.start() for t in ts]; time.sleep(float(sys.argv[1])); stop = True; [t.join() for t in ts]
print(f"under load: {ok} requests answered 200, {bad} failed")
PY
python3 load.py 12 & LP=$!
sleep 1
for i in $(seq 1 10); do
  echo "export default { fetch() { return new Response('v$i'); } };" >p1/index.js
  s=$(date +%s%N); "$H" deploy p1 --server http://127.0.0.1:18788 --token t >/dev/null; e=$(date +%s%N)
  echo "deploy $i: $(((e - s) / 1000000)) ms"
done
wait $LP
stop

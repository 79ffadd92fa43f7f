#!/usr/bin/env python3
"""Durable Object benchmarks: hearth vs workerd (local Durable Objects with
on-disk SQLite storage), in one run, loopback only.

  python3 bench/durable.py [--duration 10] [--objects 10000] [--idle 5000]

Scenarios (bench/workers/do-counter):
  counter-1     one object, one storage read + write per request (wrk, GET /increment)
  counter-10k   the same spread over 10,000 objects (wrk + spread.lua)
  ws-relay      one host and one peer on a relay object: host->peer latency
                p50/p99 (one message in flight) and messages/s (pipelined)
  idle-memory   RSS growth per idle object after touching N objects

Prints a markdown table and, with --write-docs, replaces the "Durable
Objects" section of docs/benchmarks.md (other sections are kept).
"""
import argparse, asyncio, json, os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import urllib.request

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORKER = BENCH / "workers" / "do-counter"
sys.path.insert(0, str(BENCH))
from harness.runtimes import Workerd, WORKERD_VERSION  # noqa: E402


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def workerd_config(workdir: Path, port: int) -> str:
    (workdir / "do-storage").mkdir(exist_ok=True)
    return f'''using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .w),
    (name = "do-disk", disk = (path = "{workdir / 'do-storage'}", writable = true)),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:{port}", http = (), service = "main") ],
);
const w :Workerd.Worker = (
  modules = [ (name = "index.js", esModule = embed "index.js") ],
  compatibilityDate = "2025-01-01",
  bindings = [
    (name = "COUNTER", durableObjectNamespace = "Counter"),
    (name = "RELAY", durableObjectNamespace = "Relay"),
  ],
  durableObjectNamespaces = [
    (className = "Counter", uniqueKey = "bench-counter", enableSql = true),
    (className = "Relay", uniqueKey = "bench-relay", enableSql = true),
  ],
  durableObjectStorage = (localDisk = "do-disk"),
);
'''


class Server:
    def __init__(self, runtime: str, hearth_bin: str, workerd_bin: str):
        self.runtime = runtime
        self.dir = Path(tempfile.mkdtemp(prefix=f"do-bench-{runtime}-"))
        shutil.copytree(WORKER, self.dir / "w")
        self.port = free_port()
        wd = self.dir / "w"
        if runtime == "hearth":
            cmd = [hearth_bin, "dev", str(wd), "--port", str(self.port), "--ip", "127.0.0.1",
                   "--persist-to", str(self.dir / "state")]
        else:
            (wd / "bench.capnp").write_text(workerd_config(wd, self.port))
            cmd = [workerd_bin, "serve", str(wd / "bench.capnp")]
        self.log = open(self.dir / "server.log", "w")
        self.proc = subprocess.Popen(cmd, cwd=wd, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "/increment?name=ready", timeout=2) as r:
                    if r.status == 200:
                        break
            except Exception:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"{runtime} did not start: {(self.dir / 'server.log').read_text()[-2000:]}")
            time.sleep(0.05)

    def rss_kb(self) -> int:
        total = 0
        pids = [self.proc.pid]
        try:
            out = subprocess.run(["pgrep", "-g", str(self.proc.pid)], capture_output=True, text=True).stdout
            pids = sorted({int(p) for p in out.split()} | {self.proc.pid})
        except Exception:
            pass
        for pid in pids:
            try:
                for line in open(f"/proc/{pid}/status"):
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(5)
        except Exception:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except Exception:
                pass
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def wrk(url: str, duration: int, script: Path | None = None) -> dict:
    cmd = ["wrk", "-t2", "-c50", f"-d{duration}s", "--latency"]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run(cmd + [url], capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    def pct(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)", out, re.M)
        if not m:
            return None
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
    return {"rps": rps, "p50": pct(50), "p99": pct(99),
            "non2xx": int(errors.group(1)) if errors else 0, "socket_errors": sock.group(1) if sock else ""}


async def ws_relay(server: Server, latency_msgs: int, burst_msgs: int) -> dict:
    import websockets
    base = server.url.replace("http", "ws") + "/relay?name=bench"
    async with websockets.connect(base + "&role=host", max_size=None) as host, \
            websockets.connect(base + "&role=peer", max_size=None) as peer:
        await asyncio.sleep(0.2)
        # latency: one message in flight
        lat = []
        for i in range(latency_msgs):
            t = time.perf_counter()
            await host.send(f"m{i}")
            got = await asyncio.wait_for(peer.recv(), 10)
            lat.append((time.perf_counter() - t) * 1000)
            assert got == f"m{i}", got
        lat.sort()
        # throughput: pipelined
        async def receive():
            for i in range(burst_msgs):
                await asyncio.wait_for(peer.recv(), 30)
        t = time.perf_counter()
        rx = asyncio.create_task(receive())
        for i in range(burst_msgs):
            await host.send("x" * 32)
        await rx
        elapsed = time.perf_counter() - t
    return {"p50": lat[len(lat) // 2], "p99": lat[int(len(lat) * 0.99)], "msgs": burst_msgs / elapsed}


def idle_memory(server: Server, n: int) -> dict:
    def touch(i):
        with urllib.request.urlopen(f"{server.url}/increment?name=idle{i}", timeout=30) as r:
            r.read()
    for i in range(50):  # warm the code paths
        touch(-i - 1)
    time.sleep(1)
    before = server.rss_kb()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(touch, range(n)))
    time.sleep(2)
    after = server.rss_kb()
    return {"before_mb": before / 1024, "after_mb": after / 1024, "per_object_kb": (after - before) / n}


def run(runtime: str, args) -> dict:
    res = {}
    s = Server(runtime, args.hearth_bin, args.workerd_bin)
    try:
        res["counter-1"] = wrk(s.url + "/increment?name=one", args.duration)
        res["counter-10k"] = wrk(s.url, args.duration, WORKER / "spread.lua")
        res["ws-relay"] = asyncio.run(ws_relay(s, args.latency_msgs, args.burst_msgs))
        final = urllib.request.urlopen(s.url + "/increment?name=one").read().decode()
        res["counter-1"]["final_value"] = int(final)
    finally:
        s.stop()
    s = Server(runtime, args.hearth_bin, args.workerd_bin)
    try:
        res["idle-memory"] = idle_memory(s, args.idle)
    finally:
        s.stop()
    return res


def report(r: dict, args) -> str:
    h, w = r["hearth"], r["workerd"]
    def ratio(a, b):
        return f"{a / b:.2f}x" if a and b else "n/a"
    rows = [
        ("single object, storage write per request: requests/s", h["counter-1"]["rps"], w["counter-1"]["rps"], "{:,.0f}"),
        ("single object: p99 latency (ms)", h["counter-1"]["p99"], w["counter-1"]["p99"], "{:.2f}"),
        (f"spread over 10,000 objects: requests/s", h["counter-10k"]["rps"], w["counter-10k"]["rps"], "{:,.0f}"),
        ("spread over 10,000 objects: p99 latency (ms)", h["counter-10k"]["p99"], w["counter-10k"]["p99"], "{:.2f}"),
        ("WebSocket relay host→peer latency p50 (ms)", h["ws-relay"]["p50"], w["ws-relay"]["p50"], "{:.3f}"),
        ("WebSocket relay host→peer latency p99 (ms)", h["ws-relay"]["p99"], w["ws-relay"]["p99"], "{:.3f}"),
        ("WebSocket relay messages/s (pipelined)", h["ws-relay"]["msgs"], w["ws-relay"]["msgs"], "{:,.0f}"),
        (f"memory per idle object (KiB, {args.idle:,} objects)", h["idle-memory"]["per_object_kb"], w["idle-memory"]["per_object_kb"], "{:.1f}"),
        ("RSS with those objects loaded (MiB)", h["idle-memory"]["after_mb"], w["idle-memory"]["after_mb"], "{:.0f}"),
    ]
    lines = ["## Durable Objects", "",
             f"`python3 bench/durable.py --duration {args.duration} --write-docs` — worker "
             "`bench/workers/do-counter`, hearth (`hearth dev --persist-to`) vs npm "
             f"`workerd@{WORKERD_VERSION}` (`durableObjectStorage = (localDisk = ...)`, SQLite-backed "
             "objects); both persist every write to disk. wrk `-t2 -c50` on loopback, same 2 cores. "
             "Ratio = hearth/workerd (> 1 favours hearth for throughput, < 1 for latency and memory).", "",
             "| scenario | hearth | workerd | ratio |", "|---|---|---|---|"]
    for name, a, b, fmt in rows:
        lines.append(f"| {name} | {fmt.format(a)} | {fmt.format(b)} | {ratio(a, b)} |")
    lines += ["",
              f"Counter check: after the single-object run the counter read {h['counter-1']['final_value']:,} on hearth and "
              f"{w['counter-1']['final_value']:,} on workerd (every acknowledged increment counted). "
              f"Non-2xx under load: hearth {h['counter-1']['non2xx'] + h['counter-10k']['non2xx']}, "
              f"workerd {w['counter-1']['non2xx'] + w['counter-10k']['non2xx']}. "
              f"Relay latency: {args.latency_msgs} sequential messages; messages/s: {args.burst_msgs} pipelined 32-byte messages. "
              "Idle memory: RSS growth after one request to each of N fresh objects, 2 s later (objects stay loaded; "
              "hearth evicts after 30 s idle).", ""]
    return "\n".join(lines)


def write_docs(section: str):
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text() if doc.exists() else "# Benchmarks\n"
    pattern = re.compile(r"^## Durable Objects\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    doc.write_text(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--idle", type=int, default=5000)
    ap.add_argument("--latency-msgs", type=int, default=2000)
    ap.add_argument("--burst-msgs", type=int, default=20000)
    ap.add_argument("--hearth-bin", default=os.environ.get("HEARTH_BIN", str(ROOT / "target" / "release" / "hearth")))
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args()
    try:
        import websockets  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--user", "websockets"], check=True)
    wd = Workerd()
    wd.prepare(lambda m: print(m, file=sys.stderr))
    if getattr(wd, "error", None):
        sys.exit(f"workerd unavailable: {wd.error}")
    args.workerd_bin = str(wd.bin)
    results = {}
    for rt in ["hearth", "workerd"]:
        print(f"running {rt} ...", file=sys.stderr)
        results[rt] = run(rt, args)
        print(json.dumps(results[rt], indent=1), file=sys.stderr)
    section = report(results, args)
    print(section)
    out = BENCH / "results" / ("durable-" + time.strftime("%Y%m%d-%H%M%S"))
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1))
    (out / "report.md").write_text(section)
    if args.write_docs:
        write_docs(section)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Service-binding RPC benchmark: hearth vs workerd, the same two workers
(bench/workers/rpc-pair: `caller` binds `callee`'s default WorkerEntrypoint),
in one run, loopback only.

  python3 bench/rpc.py [--duration 10]

Scenarios (wrk -t2 -c50 against the caller):
  plain    a response without any call (the baseline)
  rpc      one RPC call (`env.CALLEE.add(1, 2)`) per request
  rpc10    ten sequential RPC calls per request
  fetch    one service-binding fetch() per request

Prints a markdown table: requests/s per runtime and the ratio hearth/workerd.
"""
import argparse, sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
WORKERS = BENCH / "workers" / "rpc-pair"
sys.path.insert(0, str(BENCH))
import durable  # noqa: E402  (its server and wrk helpers)
from harness.runtimes import Workerd  # noqa: E402


def workerd_config(port: int) -> str:
    return f'''using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "caller", worker = .caller), (name = "callee", worker = .callee) ],
  sockets = [ (name = "http", address = "127.0.0.1:{port}", http = (), service = "caller") ],
);
const caller :Workerd.Worker = (
  modules = [ (name = "index.js", esModule = embed "caller.js") ],
  compatibilityDate = "2025-01-01",
  bindings = [ (name = "CALLEE", service = "callee") ],
);
const callee :Workerd.Worker = (
  modules = [ (name = "index.js", esModule = embed "callee.js") ],
  compatibilityDate = "2025-01-01",
);
'''


class Server(durable.Server):
    """Both workers on one runtime (hearth: `dev -c caller -c callee`)."""

    def __init__(self, runtime: str, hearth_bin: str, workerd_bin: str):
        import shutil, subprocess, tempfile, time, urllib.request
        self.runtime = runtime
        self.dir = Path(tempfile.mkdtemp(prefix=f"rpc-bench-{runtime}-"))
        self.port = durable.free_port()
        if runtime == "hearth":
            shutil.copytree(WORKERS, self.dir / "w")
            cmd = [hearth_bin, "dev", "--port", str(self.port), "--ip", "127.0.0.1",
                   "-c", str(self.dir / "w" / "caller" / "wrangler.toml"),
                   "-c", str(self.dir / "w" / "callee" / "wrangler.toml"),
                   "--persist-to", str(self.dir / "state")]
        else:
            # capnp embeds files relative to the config.
            for name in ["caller", "callee"]:
                shutil.copy(WORKERS / name / "index.js", self.dir / f"{name}.js")
            (self.dir / "bench.capnp").write_text(workerd_config(self.port))
            cmd = [workerd_bin, "serve", str(self.dir / "bench.capnp")]
        self.log = open(self.dir / "server.log", "w")
        self.proc = subprocess.Popen(cmd, cwd=self.dir, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "/rpc", timeout=2) as r:
                    if r.status == 200 and r.read() == b"3":
                        break
            except Exception:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"{runtime} did not start: {(self.dir / 'server.log').read_text()[-2000:]}")
            time.sleep(0.05)


SCENARIOS = ["plain", "rpc", "rpc10", "fetch"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--hearth-bin", default=str(BENCH.parent / "target" / "release" / "hearth"))
    args = ap.parse_args()
    wd = Workerd()
    wd.prepare(lambda m: print(m, file=sys.stderr))
    if getattr(wd, "error", None):
        sys.exit(f"workerd unavailable: {wd.error}")
    results = {}
    for rt in ["hearth", "workerd"]:
        print(f"running {rt} ...", file=sys.stderr)
        s = Server(rt, args.hearth_bin, str(wd.bin))
        try:
            results[rt] = {sc: durable.wrk(f"{s.url}/{'' if sc == 'plain' else sc}", args.duration)
                           for sc in SCENARIOS}
        finally:
            s.stop()
    print("| scenario (requests/s) | hearth | workerd | ratio |\n|---|---|---|---|")
    for sc in SCENARIOS:
        h, w = results["hearth"][sc]["rps"], results["workerd"][sc]["rps"]
        print(f"| {sc} | {h:,.0f} | {w:,.0f} | {h / w:.2f}x |")
    # Per-call overhead: the server time ten calls add to a request (at
    # saturation, 1/rps is the server time per request), over ten.
    for rt in ["hearth", "workerd"]:
        r = results[rt]
        per_call = (1 / r["rpc10"]["rps"] - 1 / r["plain"]["rps"]) / 10 * 1e6
        print(f"\n{rt}: ~{per_call:.1f} µs of server time per RPC call (rpc10 vs plain)", end="")
    print()


if __name__ == "__main__":
    main()

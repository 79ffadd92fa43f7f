"""Socket Worker benchmarks: echo throughput (MB/s) and connections/s.

hearth only: workerd has no inbound TCP for Workers (its `connect()` is
outbound only), so there is no like-for-like baseline.

Scenarios (each on a fresh `hearth dev` with its own temp copy):
  throughput-1   one connection streams BENCH_SOCKET_MB through the `pipe`
                 worker (readable.pipeTo(writable)) and reads it all back
  throughput-8   eight such connections at once
  lines          examples/echo-tcp (line echo in JS), one connection,
                 1 KiB lines
  connect        examples/echo-tcp: N client processes loop connect, send a
                 line, read it back, close -- connections per second
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from .runtimes import BENCH_DIR, REPO_DIR

LISTEN_RE = re.compile(r"Socket Worker listening on tcp://(\S+):(\d+)")


class Hearth:
    def __init__(self, project: Path, threads: int) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="hearth-bench-sock-"))
        shutil.copytree(project, self.dir / "p", ignore=shutil.ignore_patterns(".hearth"))
        toml = self.dir / "p" / "wrangler.toml"
        toml.write_text(re.sub(r'address = "[^"]+"', 'address = "127.0.0.1:0"', toml.read_text()))
        binary = os.environ.get("HEARTH_BIN", str(REPO_DIR / "target" / "release" / "hearth"))
        self.proc = subprocess.Popen(
            [binary, "dev", str(self.dir / "p"), "--port", "0", "--no-watch",
             "--threads", str(threads)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            start_new_session=True)
        self.port = None
        deadline = time.monotonic() + 30
        for line in self.proc.stdout:
            m = LISTEN_RE.search(line)
            if m:
                self.port = int(m.group(2))
            if line.startswith("Ready on") or time.monotonic() > deadline:
                break
        if self.port is None:
            self.stop()
            raise SystemExit(f"hearth did not start a TCP listener for {project}")
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def peak_rss_mib(self) -> float:
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=5)
        except Exception:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def stream(port: int, total: int, block: bytes, results: list) -> None:
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send() -> None:
        sent = 0
        while sent < total:
            s.sendall(block)
            sent += len(block)
        s.shutdown(socket.SHUT_WR)

    t = threading.Thread(target=send)
    t.start()
    got = 0
    buf = bytearray(1 << 18)
    while True:
        n = s.recv_into(buf)
        if n == 0:
            break
        got += n
    t.join()
    s.close()
    results.append(got)


def throughput(port: int, conns: int, megabytes: int, block: bytes) -> dict:
    total = megabytes * 1024 * 1024
    results: list = []
    threads = [threading.Thread(target=stream, args=(port, total, block, results))
               for _ in range(conns)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.monotonic() - t0
    echoed = sum(results)
    if echoed != total * conns:
        raise SystemExit(f"echoed {echoed} bytes, want {total * conns}")
    return {"MB/s": echoed / secs / 1e6, "seconds": secs, "MB": echoed / 1e6}


def _connect_loop(port: int, seconds: float, q) -> None:
    count = errors = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"ping\n")
            got = b""
            while not got.endswith(b"\n"):
                chunk = s.recv(64)
                if not chunk:
                    break
                got += chunk
            s.close()
            if got == b"ping\n":
                count += 1
            else:
                errors += 1
        except OSError:
            errors += 1
    q.put((count, errors))


def connections(port: int, procs: int, seconds: float) -> dict:
    q = mp.Queue()
    ps = [mp.Process(target=_connect_loop, args=(port, seconds, q)) for _ in range(procs)]
    for p in ps:
        p.start()
    res = [q.get() for _ in ps]
    for p in ps:
        p.join()
    ok = sum(r[0] for r in res)
    return {"conn/s": ok / seconds, "connections": ok, "errors": sum(r[1] for r in res)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="bench/run-sockets", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2, help="hearth event-loop threads")
    ap.add_argument("--mb", type=int, default=int(os.environ.get("BENCH_SOCKET_MB", "200")),
                    help="MB sent per connection in the throughput scenarios")
    ap.add_argument("--seconds", type=float, default=5.0, help="duration of the connect scenario")
    ap.add_argument("--clients", type=int, default=4, help="client processes in the connect scenario")
    ap.add_argument("--out", help="markdown report (default bench/results/<run>-sockets/sockets.md)")
    args = ap.parse_args(argv)

    started = dt.datetime.now(dt.timezone.utc)
    rows = []
    block = os.urandom(256 * 1024)
    line_block = (b"x" * 1023 + b"\n") * 256

    def run(name, project, what, fn):
        h = Hearth(project, args.threads)
        try:
            res = fn(h.port)
            res["peak RSS MiB"] = h.peak_rss_mib()
        finally:
            h.stop()
        print(f"{name:14} {what:58} " + ", ".join(f"{k} {v:,.1f}" for k, v in res.items()), flush=True)
        rows.append((name, what, res))

    pipe = BENCH_DIR / "sockets" / "pipe"
    echo = REPO_DIR / "examples" / "echo-tcp"
    run("throughput-1", pipe, f"1 conn, {args.mb} MB each way, pipeTo echo",
        lambda p: throughput(p, 1, args.mb, block))
    run("throughput-8", pipe, f"8 conns, {args.mb // 4} MB each way each, pipeTo echo",
        lambda p: throughput(p, 8, max(1, args.mb // 4), block))
    run("lines", echo, f"examples/echo-tcp, 1 conn, {args.mb // 2} MB of 1 KiB lines",
        lambda p: throughput(p, 1, max(1, args.mb // 2), line_block))
    run("connect", echo, f"examples/echo-tcp, {args.clients} clients: connect+line+close",
        lambda p: connections(p, args.clients, args.seconds))

    out = Path(args.out) if args.out else \
        BENCH_DIR / "results" / (started.strftime("%Y%m%d-%H%M%S") + "-sockets") / "sockets.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"Socket Workers (hearth only; workerd has no inbound TCP). "
             f"{started:%Y-%m-%d %H:%M} UTC, nproc {os.cpu_count()}, hearth --threads {args.threads}, "
             "clients on the same machine (Python).", "",
             "| scenario | what | result | peak RSS |", "|---|---|---|---|"]
    for name, what, res in rows:
        main_metric = f"{res['MB/s']:,.0f} MB/s" if "MB/s" in res else \
            f"{res['conn/s']:,.0f} connections/s ({res['errors']} errors)"
        lines.append(f"| {name} | {what} | {main_metric} | {res['peak RSS MiB']:.0f} MiB |")
    out.write_text("\n".join(lines) + "\n")
    print(f"report: {out}")
    return 0

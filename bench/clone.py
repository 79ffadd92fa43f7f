#!/usr/bin/env python3
"""Structured-serialization micro-benchmark: structuredClone, Durable Object
storage put+get and RPC echo of a 1 MiB Uint8Array and of a 10,000-entry
object, on one or more hearth binaries (e.g. before and after a change).

  python3 bench/clone.py [--rounds 5] BIN [BIN ...]

Each request repeats one operation n times inside the worker
(bench/workers/clone); the time per operation is the median request time
over the rounds divided by n. Loopback only.
"""
import argparse, shutil, socket, statistics, subprocess, sys, tempfile, time
import urllib.error, urllib.request
from pathlib import Path

WORKER = Path(__file__).resolve().parent / "workers" / "clone"
CASES = [(op, kind) for op in ("clone", "storage", "rpc") for kind in ("bytes", "object")]
REPEAT = {"bytes": 20, "object": 20}


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def get(url):
    with urllib.request.urlopen(url, timeout=300) as r:
        return r.status, r.read().decode()


def measure(binary, rounds):
    work = Path(tempfile.mkdtemp(prefix="bench-clone-"))
    shutil.copytree(WORKER, work / "w")
    port = free_port()
    proc = subprocess.Popen([binary, "dev", str(work / "w"), "--port", str(port), "--ip", "127.0.0.1",
                             "--persist-to", str(work / "state")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                get(base + "/?op=clone&kind=bytes&n=1"); break
            except Exception:
                time.sleep(0.05)
        out = {}
        for op, kind in CASES:
            n = REPEAT[kind]
            url = f"{base}/?op={op}&kind={kind}&n={n}"
            try:
                status, body = get(url)  # warm-up, and a check
            except urllib.error.HTTPError as e:
                status, body = e.code, e.read().decode(errors="replace")
            if status != 200 or body != "ok":
                # e.g. a value over the storage limit: reported, not timed.
                print(f"{binary}: {op} {kind}: {status} {body.splitlines()[0] if body else ''}", file=sys.stderr)
                out[(op, kind)] = None
                continue
            times = []
            for _ in range(rounds):
                t = time.perf_counter(); get(url); times.append(time.perf_counter() - t)
            out[(op, kind)] = statistics.median(times) / n * 1000
        return out
    finally:
        proc.terminate(); proc.wait(10)
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("binaries", nargs="+")
    args = ap.parse_args()
    results = [measure(b, args.rounds) for b in args.binaries]
    head = "| operation | payload | " + " | ".join(f"`{b}` ms/op" for b in args.binaries)
    if len(results) > 1:
        head += " | speed-up (first/last)"
    print(head + " |")
    print("|" + "---|" * (head.count("|") - 1))
    for case in CASES:
        row = f"| {case[0]} | {'1 MiB Uint8Array' if case[1] == 'bytes' else '10,000-entry object'} | "
        row += " | ".join("fails" if r[case] is None else f"{r[case]:.2f}" for r in results)
        if len(results) > 1:
            first, last = results[0][case], results[-1][case]
            row += " | " + ("n/a" if first is None or last is None else f"{first / last:.1f}x")
        print(row + " |")


if __name__ == "__main__":
    sys.exit(main())

"""bench/run: orchestrates scenarios x runtimes and writes the report."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import measure, report
from .measure import RunError
from .runtimes import BASELINE, BENCH_DIR, FALLBACK_BASELINE, REPO_DIR, RUNTIMES, Runtime
from .scenarios import Scenario, load_scenarios


@dataclass
class Settings:
    threads: int
    connections: int
    duration: str
    warmup: str
    rounds: int
    cold_runs: int
    ready_timeout: float

    @classmethod
    def from_env(cls, quick: bool) -> "Settings":
        # --quick only changes the defaults; explicit env vars still win.
        d = dict(duration="3s", warmup="1s", rounds="1", cold="3") if quick else \
            dict(duration="10s", warmup="2s", rounds="3", cold="5")
        e = os.environ.get
        return cls(
            threads=int(e("BENCH_THREADS", "2")),
            connections=int(e("BENCH_CONNECTIONS", "50")),
            duration=e("BENCH_DURATION", d["duration"]),
            warmup=e("BENCH_WARMUP", d["warmup"]),
            rounds=int(e("BENCH_ROUNDS", d["rounds"])),
            cold_runs=int(e("BENCH_COLD_RUNS", d["cold"])),
            ready_timeout=float(e("BENCH_READY_TIMEOUT", "30")),
        )


class Log:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.f = open(path, "a")
        self.t0 = time.monotonic()

    def __call__(self, msg: str) -> None:
        line = f"[{time.monotonic() - self.t0:6.1f}s] {msg}"
        print(line, flush=True)
        self.f.write(line + "\n")
        self.f.flush()


def ensure_wrk(log: Log) -> None:
    if shutil.which("wrk"):
        return
    log("installing wrk (apt-get)")
    cmd = ["apt-get", "install", "-y", "wrk"]
    if subprocess.run(cmd, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update"], capture_output=True)
        subprocess.run(cmd, capture_output=True)
    if not shutil.which("wrk"):
        raise SystemExit("bench/run: could not install wrk (apt-get install -y wrk)")


def bench_one(rt: Runtime, sc: Scenario, rnd: int, cfg: Settings, run_dir: Path) -> dict:
    """One launch: check the answer, warm up, measure under load, read peak RSS."""
    tag = f"{sc.name}-{rt.name}-r{rnd}"
    server = measure.launch(rt, sc, run_dir / "work" / tag, run_dir / "logs" / f"{tag}.log")
    try:
        measure.wait_ready(server, sc.path, cfg.ready_timeout, want_status=None)
        status, body = measure.http_get(server.port, sc.path)
        err = sc.check_response(status, body)
        if err:
            raise RunError(f"wrong response: {err}")
        if cfg.warmup not in ("0", "0s", ""):
            measure.run_wrk(server.port, sc.path, cfg.threads, cfg.connections, cfg.warmup,
                            None, sc.wrk_script)
        res = measure.run_wrk(server.port, sc.path, cfg.threads, cfg.connections, cfg.duration,
                              run_dir / "wrk" / f"{tag}.txt", sc.wrk_script)
        if server.proc.poll() is not None:
            raise RunError(f"server exited (code {server.proc.returncode}) during load: "
                           f"{server.log_tail()}")
        res["peak_rss_kib"] = measure.peak_rss_kib(server.proc.pid)
        if res.get("requests", 1) == 0:
            raise RunError("no request completed under load")
        if res["non_2xx"]:
            raise RunError(f"{res['non_2xx']} of {res.get('requests')} responses under load "
                           f"were not 2xx/3xx ({res['rps']:,.0f} req/s)")
        return {"round": rnd, "ok": True, **res}
    finally:
        server.stop()
        time.sleep(0.3)  # let the port and CPU settle before the next launch


def cold_start_once(rt: Runtime, sc: Scenario, i: int, cfg: Settings, run_dir: Path) -> float:
    tag = f"{sc.name}-{rt.name}-cold{i}"
    server = measure.launch(rt, sc, run_dir / "work" / tag, run_dir / "logs" / f"{tag}.log")
    try:
        return measure.wait_ready(server, sc.path, cfg.ready_timeout, want_status=200) * 1000
    finally:
        server.stop()
        time.sleep(0.3)


def loadavg() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


def machine_facts(cfg: Settings, runtimes: list[Runtime], started: dt.datetime,
                  load_start: str) -> list:
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kib = int(next(l for l in open("/proc/meminfo") if l.startswith("MemTotal")).split()[1])
        mem = f"{kib / 1024 / 1024:.1f} GiB"
    except Exception:
        pass
    r = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    words = (r.stdout + r.stderr).split()  # "wrk debian/4.1.0-3+b2 [epoll] Copyright ..."
    wrk_v = " ".join(words[:2]) if words else "wrk"
    facts = [
        ("date", started.strftime("%Y-%m-%d %H:%M UTC")),
        ("nproc", len(os.sched_getaffinity(0))),
        ("CPU", cpu),
        ("memory", mem),
        ("kernel", platform.release()),
        # Load other than ours (compiles...) is the main source of drift.
        ("load average (1/5/15 min)", f"{load_start} at start, {loadavg()} at end"),
        ("load generator", f"{wrk_v}; `wrk -t{cfg.threads} -c{cfg.connections} -d{cfg.duration} --latency`, "
                f"{cfg.warmup} warm-up per launch"),
        ("rounds", f"{cfg.rounds} per scenario and runtime; cold start: median of "
                   f"{cfg.cold_runs} launches"),
    ]
    for rt in runtimes:
        facts.append((rt.name, rt.error and f"unavailable: {rt.error}" or rt.version()))
    rev = subprocess.run(["git", "-C", str(REPO_DIR), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip()
    facts.append(("repo HEAD at run", f"git {rev}" if rev else "no commit yet"))
    return facts


METHOD = [
    "Every scenario is a plain Workers project in `bench/workers/<name>/` (wrangler.toml + "
    "index.js); both runtimes run the same files. workerd gets a capnp config generated from "
    "wrangler.toml (`bench/harness/runtimes.py`).",
    "Each measurement launches a fresh server on a free 127.0.0.1 port from a fresh copy of the "
    "scenario folder, checks one response for correctness, runs a wrk warm-up, then the measured "
    "wrk run, then stops the server. Runtimes alternate launch by launch (hearth, workerd, "
    "hearth, workerd, ...) so slow drifts of the shared machine hit both alike.",
    "Throughput and latency percentiles come from `wrk --latency`; the table shows the median "
    "over rounds. Peak RSS is VmHWM from /proc/<pid>/status (summed over the server's child "
    "processes, if any) read right after the measured run, so it covers start-up, warm-up and "
    "load; the table shows the maximum over rounds.",
    "Cold start: time from spawning the server process to the first HTTP 200 on `/`, polled "
    "in a tight loop (1 ms back-off while the port refuses connections); median over launches.",
    "A runtime that crashes, times out, answers wrongly or returns non-2xx under load is shown "
    "as `failed` with the error instead of numbers.",
]


KEEP_MARKER = "<!-- bench/run keeps everything below this line -->"


def kept_sections(report_path: Path) -> str:
    """The hand-maintained sections (KV, Durable Objects, start-up...) that
    follow KEEP_MARKER in the existing report; a full run must not erase them."""
    if not report_path.exists():
        return ""
    text = report_path.read_text()
    at = text.find(KEEP_MARKER)
    return "\n" + text[at:] if at >= 0 else ""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench/run", description=(
        "Benchmark hearth against workerd on the scenarios in bench/workers/. "
        "Env: BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_THREADS, BENCH_ROUNDS, "
        "BENCH_COLD_RUNS, BENCH_READY_TIMEOUT, HEARTH_BIN."))
    ap.add_argument("--quick", action="store_true",
                    help="~1 minute smoke run (3s runs, 1 round); report goes to bench/results/")
    ap.add_argument("--runtimes", default=",".join(RUNTIMES),
                    help=f"comma-separated subset/order of: {', '.join(RUNTIMES)}")
    ap.add_argument("--scenarios", default="", help="comma-separated scenario names (default: all)")
    ap.add_argument("--out", help="report path (default: docs/benchmarks.md, or "
                                  "bench/results/<run>/benchmarks.md with --quick)")
    args = ap.parse_args(argv)

    cfg = Settings.from_env(args.quick)
    started = dt.datetime.now(dt.timezone.utc)
    load_start = loadavg()
    run_dir = BENCH_DIR / "results" / started.strftime("%Y%m%d-%H%M%S")
    log = Log(run_dir / "run.log")
    log(f"run directory: {run_dir.relative_to(REPO_DIR)}")

    names = [n for n in args.runtimes.split(",") if n]
    unknown = [n for n in names if n not in RUNTIMES]
    if unknown:
        ap.error(f"unknown runtime(s): {', '.join(unknown)}")
    scenarios = load_scenarios(BENCH_DIR / "workers",
                               [n for n in args.scenarios.split(",") if n] or None)

    ensure_wrk(log)
    runtimes: list[Runtime] = [RUNTIMES[n]() for n in names]
    for rt in runtimes:
        rt.prepare(log)
        log(f"{rt.name}: {'UNAVAILABLE: ' + rt.error if rt.error else rt.version()}")

    results: dict = {s.name: {rt.name: {"runs": []} for rt in runtimes} for s in scenarios}
    for sc in scenarios:
        for rnd in range(1, cfg.rounds + 1):
            for rt in runtimes:  # alternate runtimes launch by launch
                if not sc.runs_on(rt.name):
                    continue
                runs = results[sc.name][rt.name]["runs"]
                if rt.error:
                    runs.append({"round": rnd, "ok": False, "error": rt.error})
                    continue
                log(f"{sc.name} / {rt.name} / round {rnd}")
                try:
                    r = bench_one(rt, sc, rnd, cfg, run_dir)
                    log(f"  {r['rps']:,.0f} req/s, p50 {r.get('p50_ms', 0):.2f} ms, "
                        f"p99 {r.get('p99_ms', 0):.2f} ms, peak RSS {r['peak_rss_kib'] / 1024:.1f} MiB")
                except (RunError, OSError, ValueError, subprocess.SubprocessError) as e:
                    r = {"round": rnd, "ok": False, "error": str(e) or type(e).__name__}
                    log(f"  FAILED: {r['error']}")
                runs.append(r)
        if sc.cold_start and cfg.cold_runs > 0:
            for rt in runtimes:
                results[sc.name][rt.name]["cold"] = {"samples_ms": [], "errors": []}
            for i in range(1, cfg.cold_runs + 1):
                for rt in runtimes:
                    if not sc.runs_on(rt.name):
                        continue
                    cold = results[sc.name][rt.name]["cold"]
                    if rt.error:
                        cold["errors"].append(rt.error)
                        continue
                    try:
                        cold["samples_ms"].append(cold_start_once(rt, sc, i, cfg, run_dir))
                    except (RunError, OSError, ValueError, subprocess.SubprocessError) as e:
                        cold["errors"].append(str(e) or type(e).__name__)
            for rt in runtimes:
                c = results[sc.name][rt.name]["cold"]
                if c["samples_ms"]:
                    log(f"{sc.name} / {rt.name} cold start: median "
                        f"{statistics.median(c['samples_ms']):.1f} ms of "
                        f"{[round(x, 1) for x in c['samples_ms']]}")
                elif c["errors"]:
                    log(f"{sc.name} / {rt.name} cold start FAILED: {c['errors'][0]}")

    # The per-launch copies are only useful while debugging a failure.
    shutil.rmtree(run_dir / "work", ignore_errors=True)

    meta = {"facts": machine_facts(cfg, runtimes, started, load_start), "method": METHOD}
    (run_dir / "results.json").write_text(json.dumps(
        {"settings": cfg.__dict__, "facts": meta["facts"], "results": results}, indent=2,
        default=str))
    baseline = BASELINE if BASELINE in names else (
        FALLBACK_BASELINE if FALLBACK_BASELINE in names else names[-1])
    md = report.render(meta, scenarios, [rt.name for rt in runtimes], baseline, results)
    out = Path(args.out) if args.out else (
        run_dir / "benchmarks.md" if args.quick else REPO_DIR / "docs" / "benchmarks.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(md + kept_sections(out))
    (run_dir / "benchmarks.md").write_text(md)
    log(f"report written to {out}")
    return 0

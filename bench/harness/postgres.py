"""PostgreSQL benchmark: one query per request, with and without a pool.

The worker (bench/postgres/worker, node-postgres from npm) opens a new
`pg.Client` per request, runs `SELECT id, name FROM items WHERE id = $1` and
ends the client -- the pattern Cloudflare's docs show. Variants, in one run
against one private PostgreSQL cluster (SCRAM-SHA-256 password auth over
TCP, Debian's default):

  hearth-direct   hearth, DATABASE_URL: a new server connection per request
  hearth-pool     hearth, [[hyperdrive]] binding: hearth's pool lends a
                  pooled, already-authenticated server connection
  workerd-direct  workerd (npm, pinned), the same worker bundled by
                  `wrangler deploy --dry-run` (pinned), DATABASE_URL

Per variant and round: requests/s, p50/p99 (wrk --latency), server
connections opened during the measured run (log_connections lines) and the
peak number open at once (pg_stat_activity sampled every 50 ms over a
Unix-socket session of its own). Medians over rounds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import socket
import statistics
import struct
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from . import measure
from .runtimes import BENCH_DIR, REPO_DIR, TOOLS_DIR, WORKERD_VERSION, WRANGLER_VERSION, \
    Workerd, WranglerDev

WORKER = BENCH_DIR / "postgres" / "worker"
DOC = REPO_DIR / "docs" / "benchmarks-postgres.md"
PASSWORD = "bench-secret"
DB = "bench"
VARIANTS = ["hearth-direct", "hearth-pool", "workerd-direct"]


def log(msg: str) -> None:
    print(f"[run-postgres] {msg}", flush=True)


# --------------------------------------------------------------------------
# PostgreSQL


def pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found and name == "psql":
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                      key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    return str(versions[-1]) if versions else found


def ensure_postgres() -> None:
    if pg_bin("initdb") and pg_bin("pg_ctl") and pg_bin("psql"):
        return
    log("installing postgresql (apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], capture_output=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql"], capture_output=True, env=env)
    if not (pg_bin("initdb") and pg_bin("pg_ctl")):
        raise SystemExit("bench/run-postgres: PostgreSQL is missing (apt-get install postgresql)")


class Cluster:
    """A private cluster in a temp dir: TCP with SCRAM passwords, Unix socket trusted."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="hearth-bench-pg-"))
        self.root = os.geteuid() == 0
        if self.root:  # initdb and postgres refuse to run as root
            os.chown(self.dir, 65534, 65534)
        pw = self.dir / "pw"
        pw.write_text(PASSWORD + "\n")
        if self.root:
            os.chown(pw, 65534, 65534)
        self.data = self.dir / "data"
        self.logfile = self.dir / "log"
        self._run([pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth-local=trust",
                   "--auth-host=scram-sha-256", "--pwfile", str(pw), "-E", "UTF8"])
        self.port = measure.free_port()
        opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                "-c max_connections=300 -c log_connections=on")
        self._run([pg_bin("pg_ctl"), "-D", str(self.data), "-o", opts, "-l", str(self.logfile),
                   "-w", "start"])
        self.psql("postgres", f"CREATE DATABASE {DB}")
        self.psql(DB, "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);"
                      "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 1000) g")

    def _run(self, argv: list) -> None:
        if self.root:
            argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + argv
        r = subprocess.run(argv, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"{argv[0]} failed: {r.stderr.strip()[-400:]}")

    def psql(self, db: str, sql: str) -> str:
        r = subprocess.run([pg_bin("psql"), "-h", str(self.dir), "-p", str(self.port),
                            "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-Atc", sql],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"psql: {r.stderr.strip()}")
        return r.stdout

    def url(self) -> str:
        return f"postgres://postgres:{PASSWORD}@127.0.0.1:{self.port}/{DB}"

    def connections_logged(self) -> int:
        """Server connections authorized for the bench database so far."""
        text = self.logfile.read_text(errors="replace")
        return sum(1 for line in text.splitlines()
                   if "connection authorized" in line and f"database={DB}" in line)

    def stop(self) -> None:
        self._run([pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"])
        shutil.rmtree(self.dir, ignore_errors=True)


class Sampler:
    """Counts open server connections to the bench database every 50 ms, over
    one trusted Unix-socket session (a minimal protocol 3.0 client)."""

    QUERY = (f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{DB}' "
             "AND backend_type = 'client backend'")

    def __init__(self, cluster: Cluster) -> None:
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(str(cluster.dir / f".s.PGSQL.{cluster.port}"))
        body = b"user\0postgres\0database\0postgres\0\0"
        self.sock.sendall(struct.pack("!ii", len(body) + 8, 196608) + body)
        self._until_ready()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _message(self) -> tuple[bytes, bytes]:
        head = self._read(5)
        return head[:1], self._read(struct.unpack("!i", head[1:])[0] - 4)

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise OSError("sampler connection closed")
            data += chunk
        return data

    def _until_ready(self) -> list[bytes]:
        rows = []
        while True:
            tag, body = self._message()
            if tag == b"E":
                raise OSError(f"sampler: {body!r}")
            if tag == b"D":
                n = struct.unpack("!i", body[2:6])[0]
                rows.append(body[6:6 + n])
            if tag == b"Z":
                return rows

    def count(self) -> int:
        q = self.QUERY.encode() + b"\0"
        self.sock.sendall(b"Q" + struct.pack("!i", len(q) + 4) + q)
        return int(self._until_ready()[0])

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.count())
            time.sleep(0.05)

    def start(self) -> None:
        self.peak = self.count()
        self._thread.start()

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        self.sock.close()
        return self.peak


# --------------------------------------------------------------------------
# The worker, per variant


def ensure_worker_deps() -> None:
    if not (WORKER / "node_modules" / "pg").is_dir():
        log(f"npm ci in {WORKER.relative_to(REPO_DIR)}")
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(WORKER)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit("npm ci failed: " + (r.stderr or r.stdout).strip()[-400:])


def project(workdir: Path, variant: str, cluster: Cluster) -> Path:
    """A copy of the worker with the variant's database binding."""
    dst = workdir / variant
    shutil.copytree(WORKER, dst, ignore=shutil.ignore_patterns("node_modules", ".hearth", "dist"))
    (dst / "node_modules").symlink_to(WORKER / "node_modules")
    toml = (dst / "wrangler.toml").read_text()
    if variant == "hearth-pool":
        toml += ("\n[[hyperdrive]]\nbinding = \"HYPERDRIVE\"\nid = \"bench\"\n"
                 f"localConnectionString = \"{cluster.url()}\"\n")
    else:
        toml += f"\n[vars]\nDATABASE_URL = \"{cluster.url()}\"\n"
    (dst / "wrangler.toml").write_text(toml)
    return dst


def bundle(src: Path) -> Path:
    """`wrangler deploy --dry-run --outdir`: the bundle wrangler would upload."""
    wrangler = TOOLS_DIR / "node_modules" / ".bin" / "wrangler"
    r = subprocess.run([str(wrangler), "deploy", "--dry-run", "--outdir", "dist"], cwd=src,
                       capture_output=True, text=True, timeout=300,
                       env={**os.environ, "WRANGLER_SEND_METRICS": "false", "CI": "true"})
    if r.returncode != 0:
        raise SystemExit("wrangler deploy --dry-run failed: " + (r.stderr or r.stdout)[-400:])
    return src / "dist" / "index.js"


def workerd_config(bundle_js: str, url: str, port: int) -> str:
    # connect() goes through the "internet" service; the database is on loopback.
    return f"""# Generated by bench/run-postgres -- do not edit.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .mainWorker),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:{port}", http = (), service = "main") ],
);

const mainWorker :Workerd.Worker = (
  modules = [ (name = "index.js", esModule = embed {json.dumps(bundle_js)}) ],
  compatibilityDate = "2025-01-01",
  compatibilityFlags = ["nodejs_compat"],
  bindings = [ (name = "DATABASE_URL", text = {json.dumps(url)}) ],
);
"""


def launch(variant: str, src: Path, cluster: Cluster, threads: int | None,
           log_file: Path) -> measure.Server:
    port = measure.free_port()
    if variant.startswith("hearth"):
        binary = Path(os.environ.get("HEARTH_BIN", REPO_DIR / "target" / "release" / "hearth"))
        argv = [str(binary.absolute()), "dev", str(src), "--port", str(port), "--ip", "127.0.0.1",
                "--no-watch"]
        if threads:
            argv += ["--threads", str(threads)]
    else:
        config = src / "bench-workerd.capnp"
        # embed paths are relative to the config file.
        config.write_text(workerd_config("dist/index.js", cluster.url(), port))
        argv = [str(TOOLS_DIR / "node_modules" / ".bin" / "workerd"), "serve", str(config)]
    log_file.parent.mkdir(parents=True, exist_ok=True)
    out = open(log_file, "wb")
    out.write(("$ " + " ".join(argv) + "\n").encode())
    out.flush()
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=src, stdin=subprocess.DEVNULL, stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True)
    out.close()
    return measure.Server(proc, port, log_file, t0)


# --------------------------------------------------------------------------
# Run and report


def measure_variant(variant: str, src: Path, cluster: Cluster, args, run_dir: Path,
                    rnd: int) -> dict:
    at_launch = cluster.connections_logged()
    server = launch(variant, src, cluster, args.threads, run_dir / "logs" / f"{variant}-r{rnd}.log")
    try:
        measure.wait_ready(server, "/", 30)
        status, body = measure.http_get(server.port, "/")
        row = json.loads(body)
        if status != 200 or not str(row.get("name", "")).startswith("item "):
            raise measure.RunError(f"bad answer {status}: {body[:200]!r}")
        if args.warmup != "0":
            measure.run_wrk(server.port, "/", 2, args.connections, args.warmup, None)
        time.sleep(0.5)
        before = cluster.connections_logged()
        sampler = Sampler(cluster)
        sampler.start()
        res = measure.run_wrk(server.port, "/", 2, args.connections, args.duration,
                              run_dir / "wrk" / f"{variant}-r{rnd}.txt")
        res["peak_connections"] = sampler.stop()
        time.sleep(0.5)
        res["connections_opened"] = cluster.connections_logged() - before
        res["connections_opened_launch"] = cluster.connections_logged() - at_launch
        return res
    finally:
        server.stop()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="bench/run-postgres", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", default=os.environ.get("BENCH_DURATION", "10s"),
                    help="measured wrk run per launch (default 10s)")
    ap.add_argument("--warmup", default=os.environ.get("BENCH_WARMUP", "2s"),
                    help="unmeasured wrk run before it (0 to skip)")
    ap.add_argument("--connections", type=int, default=int(os.environ.get("BENCH_CONNECTIONS", "32")),
                    help="wrk -c (default 32)")
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "3")),
                    help="launches per variant (default 3)")
    ap.add_argument("--threads", type=int, default=None, help="hearth --threads (default: per core)")
    ap.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated subset")
    ap.add_argument("--write-docs", action="store_true", help=f"rewrite {DOC.relative_to(REPO_DIR)}")
    args = ap.parse_args(argv)
    variants = [v for v in args.variants.split(",") if v]
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        raise SystemExit(f"unknown variant(s): {', '.join(sorted(unknown))}")

    started = dt.datetime.now(dt.timezone.utc)
    run_dir = BENCH_DIR / "results" / (started.strftime("%Y%m%d-%H%M%S") + "-postgres")
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "install", "-y", "wrk"], capture_output=True)
    ensure_postgres()
    ensure_worker_deps()
    if "workerd-direct" in variants:
        for runtime in (Workerd(), WranglerDev()):
            runtime.prepare(log)
            if runtime.error:
                raise SystemExit(f"{runtime.name}: {runtime.error}")

    cluster = Cluster()
    workdir = Path(tempfile.mkdtemp(prefix="hearth-bench-pgw-"))
    results: dict[str, list[dict]] = {v: [] for v in variants}
    try:
        sources = {v: project(workdir, v, cluster) for v in variants}
        if "workerd-direct" in variants:
            log("bundling the worker for workerd with wrangler deploy --dry-run")
            bundle(sources["workerd-direct"])
        for rnd in range(1, args.rounds + 1):
            for v in variants:
                try:
                    res = measure_variant(v, sources[v], cluster, args, run_dir, rnd)
                except measure.RunError as e:
                    res = {"error": str(e)}
                results[v].append(res)
                shown = res.get("error") or (
                    f"{res['rps']:,.0f} req/s, p50 {res['p50_ms']:.1f} ms, p99 {res['p99_ms']:.1f} ms, "
                    f"non-2xx {res['non_2xx']}, connections opened {res['connections_opened']} "
                    f"({res['connections_opened_launch']} since launch), "
                    f"peak open {res['peak_connections']}")
                log(f"round {rnd} {v:15} {shown}")
    finally:
        cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    report = render(results, args, started)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "results.json").write_text(json.dumps(results, indent=2))
    (run_dir / "postgres.md").write_text(report)
    if args.write_docs:
        DOC.write_text(report)
        log(f"wrote {DOC.relative_to(REPO_DIR)}")
    print(report)
    return 0


def _median(rows: list[dict], key: str) -> float | None:
    values = [r[key] for r in rows if key in r]
    return statistics.median(values) if values else None


def render(results: dict, args, started: dt.datetime) -> str:
    pg_version = subprocess.run([pg_bin("postgres") or "postgres", "--version"],
                                capture_output=True, text=True).stdout.strip()
    lines = [
        "# Benchmarks: PostgreSQL, one query per request",
        "",
        "Generated by `bench/run-postgres --write-docs` "
        f"({started:%Y-%m-%d %H:%M} UTC). Reproduce:",
        "",
        "```sh",
        "cargo build --release --bin hearth",
        "bench/run-postgres --write-docs   # ~3 min",
        "```",
        "",
        "The worker (`bench/postgres/worker`, `pg` 8.23.1 from npm) creates a `pg.Client` per "
        "request, runs `SELECT id, name FROM items WHERE id = $1` (random id of 1,000 rows) and ends "
        "the client. It runs as:",
        "",
        "- **hearth-direct**: hearth, `DATABASE_URL`: every request opens (and authenticates) its "
        "own server connection;",
        "- **hearth-pool**: hearth, a `[[hyperdrive]]` binding: the driver connects to hearth's pool, "
        "which lends it a pooled, already-authenticated server connection (default limit, 20);",
        f"- **workerd-direct**: workerd (npm `workerd@{WORKERD_VERSION}`) serving the same worker "
        f"bundled by `wrangler deploy --dry-run` (npm `wrangler@{WRANGLER_VERSION}`), "
        "`DATABASE_URL`.",
        "",
        f"Database: a private cluster ({pg_version}), password auth SCRAM-SHA-256 over TCP "
        "(Debian's default), `log_connections = on`. Load: "
        f"`wrk -t2 -c{args.connections} -d{args.duration} --latency` after a {args.warmup} warm-up, "
        f"{args.rounds} launches per variant alternating; medians over launches. "
        "**Connections opened** counts `connection authorized` log lines for the database during "
        "the measured run (and, in brackets, since the server was launched, warm-up included); "
        "**peak open** is the most `pg_stat_activity` rows seen at once "
        "(sampled every 50 ms). Machine: "
        f"{os.cpu_count()} cores shared with the load generator, the database and other work, so "
        "absolute numbers are noisy: compare ratios.",
        "",
        "| variant | requests/s | p50 | p99 | connections opened | per 1,000 requests | peak open | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    medians = {}
    for v, rows in results.items():
        ok = [r for r in rows if "error" not in r]
        errors = [r["error"] for r in rows if "error" in r]
        if not ok:
            lines.append(f"| {v} | failed | | | | | | {errors[0][:120] if errors else ''} |")
            continue
        m = {k: _median(ok, k) for k in ("rps", "p50_ms", "p99_ms", "connections_opened",
                                         "connections_opened_launch", "peak_connections",
                                         "requests")}
        medians[v] = m
        per_k = 1000 * m["connections_opened"] / m["requests"] if m["requests"] else 0
        bad = sum(r.get("non_2xx", 0) + sum(r.get("socket_errors", {}).values()) for r in ok)
        lines.append(f"| {v} | {m['rps']:,.0f} | {m['p50_ms']:.1f} ms | {m['p99_ms']:.1f} ms | "
                     f"{m['connections_opened']:,.0f} ({m['connections_opened_launch']:,.0f}) | {per_k:,.1f} | {m['peak_connections']:.0f} | "
                     f"{bad + len(errors)} |")
    lines += ["", "Ratios (medians):", ""]
    pairs = [("hearth-pool", "hearth-direct"), ("hearth-pool", "workerd-direct"),
             ("hearth-direct", "workerd-direct")]
    for a, b in pairs:
        if a in medians and b in medians:
            ma, mb = medians[a], medians[b]
            lines.append(f"- {a} / {b}: requests/s {ma['rps'] / mb['rps']:.2f}x, "
                         f"p50 {ma['p50_ms'] / mb['p50_ms']:.2f}x, p99 {ma['p99_ms'] / mb['p99_ms']:.2f}x")
    lines += ["", "Per launch (requests/s):", ""]
    for v, rows in results.items():
        lines.append(f"- {v}: " + ", ".join(f"{r['rps']:,.0f}" if "rps" in r else "failed"
                                           for r in rows))
    return "\n".join(lines) + "\n"

"""The runtimes a scenario is run on.

A runtime knows how to get itself ready (install / locate its binary) and how
to turn a scenario's working copy plus a port into a server command line.
Everything else -- launching, readiness polling, load, memory, teardown -- is
shared, so adding a runtime is one small class here plus one line in
RUNTIMES. For example a `wrangler dev` runtime for the KV scenarios would
`npm install --prefix bench/.tools wrangler@<exact>` in prepare() and return
`[".../.bin/wrangler", "dev", "--ip", "127.0.0.1", "--port", str(port)]`
from command(), run with cwd=workdir.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path

from .scenarios import Scenario

BENCH_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BENCH_DIR.parent
TOOLS_DIR = BENCH_DIR / ".tools"

# Exact npm version of workerd to compare against. Bump deliberately: the
# report names it, and numbers from different versions are not comparable.
WORKERD_VERSION = "1.20261117.1"

# Exact npm version of wrangler for the KV scenarios (`wrangler dev`'s local KV,
# Miniflare over workerd). 4.60.0 is the newest that runs on Node 20.
WRANGLER_VERSION = "4.60.0"


def seed_kv(scenario: Scenario, argv_prefix: list[str], workdir: Path, extra: list[str]) -> None:
    """Preload a scenario's `kv_seed` bulk file (bench.toml) into the runtime's
    local KV state with its own CLI, before the server starts."""
    seed = scenario.settings.get("kv_seed")
    if not seed:
        return
    binding = scenario.settings["kv_binding"]
    r = subprocess.run(argv_prefix + ["kv", "bulk", "put", seed, "--binding", binding] + extra,
                       cwd=workdir, capture_output=True, text=True, timeout=300,
                       env={**os.environ, "WRANGLER_SEND_METRICS": "false", "CI": "true"})
    if r.returncode != 0:
        raise OSError(f"loading {seed} failed: {_last_line(r.stderr or r.stdout)}")


def seed_d1(scenario: Scenario, argv_prefix: list[str], workdir: Path, extra: list[str]) -> None:
    """Run a scenario's `d1_seed` SQL file (bench.toml) into the runtime's
    local D1 database with its own `d1 execute --file`, before the server starts."""
    seed = scenario.settings.get("d1_seed")
    if not seed:
        return
    binding = scenario.settings["d1_binding"]
    r = subprocess.run(argv_prefix + ["d1", "execute", binding, "--file", seed, "--yes"] + extra,
                       cwd=workdir, capture_output=True, text=True, timeout=300,
                       env={**os.environ, "WRANGLER_SEND_METRICS": "false", "CI": "true"})
    if r.returncode != 0:
        raise OSError(f"running {seed} failed: {_last_line(r.stderr or r.stdout)}")


class Runtime:
    name = "?"
    #: Set by prepare() when the runtime cannot run at all; every scenario
    #: then reports this error instead of numbers.
    error: str | None = None

    def prepare(self, log) -> None:
        """Install or locate the runtime; set self.error if impossible."""

    def version(self) -> str:
        return "unknown"

    def command(self, scenario: Scenario, workdir: Path, port: int) -> tuple[list[str], Path]:
        """Return (argv, cwd) serving the copy of `scenario` in `workdir`.

        May write files (e.g. a generated config) into workdir, which is a
        fresh private copy of the scenario folder for every launch.
        """
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return dict(os.environ)


class Hearth(Runtime):
    name = "hearth"

    def __init__(self) -> None:
        # Absolute: the server runs with cwd set to the scenario copy.
        self.bin = Path(os.environ.get("HEARTH_BIN", REPO_DIR / "target/release/hearth")).absolute()

    def prepare(self, log) -> None:
        # Never build here: the harness measures whatever binary exists.
        if not (self.bin.is_file() and os.access(self.bin, os.X_OK)):
            self.error = f"binary not found at {_rel(self.bin)} (cargo build --release)"

    def version(self) -> str:
        try:
            out = subprocess.run([str(self.bin), "--version"], capture_output=True,
                                 text=True, timeout=10)
            lines = (out.stdout or out.stderr).strip().splitlines()
            v = lines[0] if out.returncode == 0 and lines else "version unknown"
        except Exception:
            v = "version unknown"
        built = dt.datetime.fromtimestamp(self.bin.stat().st_mtime, dt.timezone.utc)
        return f"{v}; {_rel(self.bin)} built {built:%Y-%m-%d %H:%M} UTC"

    def command(self, scenario, workdir, port):
        seed_kv(scenario, [str(self.bin)], workdir, [])
        seed_d1(scenario, [str(self.bin)], workdir, [])
        argv = [str(self.bin), "dev", str(workdir), "--port", str(port), "--ip", "127.0.0.1"]
        if scenario.settings.get("hearth_shared_state"):
            # One state folder for all of this scenario's launches (beside the
            # per-launch copies): the wasm compile cache stays warm.
            argv += ["--persist-to", str(workdir.parent / f"{scenario.name}-hearth-state")]
        return (argv, workdir)


class Workerd(Runtime):
    name = "workerd"

    def __init__(self, outbound: tuple[str, ...] = ()) -> None:
        # node_modules/.bin/workerd links straight to the native ELF binary
        # (not a node wrapper), so the PID we launch is the server itself.
        self.bin = TOOLS_DIR / "node_modules" / ".bin" / "workerd"
        #: Address kinds the worker's fetch() may reach ("local", "private",
        #: "public"); empty keeps workerd's default, the public internet only.
        self.outbound = outbound

    def _installed_version(self) -> str | None:
        pkg = TOOLS_DIR / "node_modules" / "workerd" / "package.json"
        try:
            return json.loads(pkg.read_text())["version"]
        except Exception:
            return None

    def prepare(self, log) -> None:
        if self._installed_version() != WORKERD_VERSION or not self.bin.exists():
            log(f"installing workerd@{WORKERD_VERSION} into {TOOLS_DIR}")
            TOOLS_DIR.mkdir(parents=True, exist_ok=True)
            r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--save-exact",
                                "--prefix", str(TOOLS_DIR), f"workerd@{WORKERD_VERSION}"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                self.error = "npm install failed: " + _last_line(r.stderr or r.stdout)
                return
        try:
            r = subprocess.run([str(self.bin), "--version"], capture_output=True,
                               text=True, timeout=30)
        except Exception as e:  # exec format error, missing file, ...
            self.error = f"workerd --version failed: {e}"
            return
        if r.returncode != 0:
            self.error = "workerd --version failed: " + _last_line(r.stderr or r.stdout)

    def version(self) -> str:
        try:
            out = subprocess.run([str(self.bin), "--version"], capture_output=True,
                                 text=True, timeout=10).stdout.strip()
        except Exception:
            out = "?"
        return f"npm workerd@{WORKERD_VERSION} ({out})"

    def command(self, scenario, workdir, port):
        config = workdir / "bench-workerd.capnp"
        config.write_text(workerd_config(scenario.wrangler, workdir, port, self.outbound))
        return ([str(self.bin), "serve", str(config)], workdir)


class WranglerDev(Runtime):
    """`wrangler dev` in local mode (Miniflare + workerd child process), with
    its local KV persisted to a fresh folder per launch. No network is used:
    metrics are off and every binding is local."""

    name = "wrangler"

    def __init__(self) -> None:
        self.bin = TOOLS_DIR / "node_modules" / ".bin" / "wrangler"

    def _installed_version(self) -> str | None:
        pkg = TOOLS_DIR / "node_modules" / "wrangler" / "package.json"
        try:
            return json.loads(pkg.read_text())["version"]
        except Exception:
            return None

    def prepare(self, log) -> None:
        if self._installed_version() != WRANGLER_VERSION or not self.bin.exists():
            log(f"installing wrangler@{WRANGLER_VERSION} into {TOOLS_DIR}")
            TOOLS_DIR.mkdir(parents=True, exist_ok=True)
            r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--save-exact",
                                "--prefix", str(TOOLS_DIR), f"wrangler@{WRANGLER_VERSION}"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                self.error = "npm install failed: " + _last_line(r.stderr or r.stdout)

    def version(self) -> str:
        return f"npm wrangler@{WRANGLER_VERSION} (wrangler dev, local mode; node {_node_version()})"

    def env(self) -> dict[str, str]:
        return {**os.environ, "WRANGLER_SEND_METRICS": "false", "CI": "true",
                "NO_UPDATE_NOTIFIER": "1"}

    def command(self, scenario, workdir, port):
        state = workdir / ".wrangler-state"
        seed_kv(scenario, [str(self.bin)], workdir, ["--local", "--persist-to", str(state)])
        seed_d1(scenario, [str(self.bin)], workdir, ["--local", "--persist-to", str(state)])
        return ([str(self.bin), "dev", "--local", "--ip", "127.0.0.1", "--port", str(port),
                 "--persist-to", str(state), "--show-interactive-dev-session=false",
                 "--log-level", "warn"], workdir)


class Nginx(Runtime):
    """Debian's nginx serving a scenario's `[assets] directory` as plain
    files: the physical-limit anchor for static assets. One worker process
    per core, access log off, sendfile on, as a tuned static server runs."""

    name = "nginx"

    def __init__(self) -> None:
        self.bin = shutil.which("nginx") or "/usr/sbin/nginx"

    def prepare(self, log) -> None:
        if Path(self.bin).is_file():
            return
        log("installing Debian's nginx (apt-get)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        r = subprocess.run(["apt-get", "install", "-y", "-q", "nginx"], capture_output=True,
                           text=True, env=env)
        if r.returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], capture_output=True, env=env)
            r = subprocess.run(["apt-get", "install", "-y", "-q", "nginx"], capture_output=True,
                               text=True, env=env)
        self.bin = shutil.which("nginx") or "/usr/sbin/nginx"
        if r.returncode != 0 or not Path(self.bin).is_file():
            self.error = "apt-get install nginx failed: " + _last_line(r.stderr or r.stdout)

    def version(self) -> str:
        try:
            r = subprocess.run([self.bin, "-v"], capture_output=True, text=True, timeout=10)
            return (r.stderr or r.stdout).strip().replace("nginx version: ", "") + " (Debian)"
        except Exception:
            return "nginx"

    def command(self, scenario, workdir, port):
        assets = (scenario.wrangler.get("assets") or {}).get("directory")
        if not assets:
            raise OSError("nginx only serves scenarios with an [assets] directory")
        root = (workdir / assets).resolve()
        tmp = workdir / ".nginx"
        tmp.mkdir(exist_ok=True)
        conf = tmp / "nginx.conf"
        conf.write_text(f"""# Generated by bench/run -- do not edit.
{"user root;" if os.geteuid() == 0 else ""}
worker_processes auto;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  include /etc/nginx/mime.types;
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  server {{
    listen 127.0.0.1:{port};
    root {root};
  }}
}}
""")
        return ([self.bin, "-e", str(tmp / "error.log"), "-c", str(conf), "-g", "daemon off;"],
                workdir)


def _node_version() -> str:
    try:
        return subprocess.run(["node", "--version"], capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except Exception:
        return "?"


def workerd_config(wrangler: dict, workdir: Path, port: int,
                   outbound: tuple[str, ...] = ()) -> str:
    """Translate the wrangler.toml subset the scenarios use into workerd capnp.

    Handles main + sibling ES modules (or main alone as a service-worker
    script when it exports nothing, as wrangler decides), compatibility_date/
    flags and [vars].
    New binding kinds (KV, Durable Objects) belong here too. `outbound`
    widens what fetch() may reach (workerd's "internet" network service).
    """
    main = wrangler["main"]
    # workerd needs every module listed; the first one is the entry point.
    modules = [main] + sorted(
        str(p.relative_to(workdir)) for p in workdir.rglob("*")
        if p.suffix in (".js", ".mjs", ".wasm") and str(p.relative_to(workdir)) != main
        and "node_modules" not in p.parts
    )
    kind = lambda m: "wasm" if m.endswith(".wasm") else "esModule"
    mods = ",\n    ".join(f"(name = {_q(m)}, {kind(m)} = embed {_q(m)})" for m in modules)
    source = (workdir / main).read_text(encoding="utf-8", errors="replace")
    if any(line.lstrip().startswith("export") for line in source.splitlines()):
        script = f"modules = [\n    {mods}\n  ]"
    else:
        script = f"serviceWorkerScript = embed {_q(main)}"

    fields = [script,
              f"compatibilityDate = {_q(wrangler['compatibility_date'])}"]
    flags = wrangler.get("compatibility_flags") or []
    if flags:
        fields.append("compatibilityFlags = [" + ", ".join(_q(f) for f in flags) + "]")
    bindings = []
    for key, value in (wrangler.get("vars") or {}).items():
        if isinstance(value, str):
            bindings.append(f"(name = {_q(key)}, text = {_q(value)})")
        else:
            bindings.append(f"(name = {_q(key)}, json = {_q(json.dumps(value))})")
    if bindings:
        fields.append("bindings = [" + ", ".join(bindings) + "]")

    internet = ""
    if outbound:
        allow = ", ".join(_q(a) for a in outbound)
        internet = f', (name = "internet", network = (allow = [{allow}]))'
    return f"""# Generated by bench/run from wrangler.toml -- do not edit.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .mainWorker){internet} ],
  sockets = [ (name = "http", address = "127.0.0.1:{port}", http = (), service = "main") ],
);

const mainWorker :Workerd.Worker = (
  {(',' + chr(10) + '  ').join(fields)},
);
"""


def _q(s: str) -> str:
    # JSON string escapes are valid Cap'n Proto text literals.
    return json.dumps(s)


def _rel(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(REPO_DIR))
    except ValueError:
        return str(p)


def _last_line(text: str) -> str:
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return lines[-1][:300] if lines else "(no output)"


# Run order within each round; the report's ratio columns are <runtime>/BASELINE.
RUNTIMES = {"hearth": Hearth, "workerd": Workerd, "wrangler": WranglerDev, "nginx": Nginx}
BASELINE = "workerd"
#: Used when BASELINE is not among the runtimes of a run (e.g. the KV
#: scenarios, which run on hearth and wrangler only).
FALLBACK_BASELINE = "wrangler"

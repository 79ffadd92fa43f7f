"""Scenarios: one folder per worker under bench/workers/<name>/.

Each folder is a normal Workers project (wrangler.toml + its modules) plus an
optional bench.toml with harness-only settings:

    description      one line for the report
    path             request path (default "/")
    expect_status    status the check request must return (default 200)
    expect_body      exact body
    expect_contains  substring the body must contain
    expect_bytes     exact body length
    expect_min_bytes minimum body length
    cold_start       true -> also measure launch-to-first-200 (default false)
    runtimes         list of runtime names to run on (default: all)
    order            sort key for the run and the report (default 100)
    wrk_script       Lua file in the scenario folder passed to `wrk -s`
                     (for POST bodies, headers, several paths, ...)
    prepare          shell command run in the scenario folder when it is
                     loaded (e.g. building a .wasm module from C)
    hearth_shared_state  hearth keeps one --persist-to folder across the
                     scenario's launches (a warm wasm compile cache for cold
                     starts, as after a restart)
"""

from __future__ import annotations

import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Scenario:
    name: str
    dir: Path
    wrangler: dict
    settings: dict = field(default_factory=dict)

    @property
    def description(self) -> str:
        return self.settings.get("description", "")

    @property
    def path(self) -> str:
        return self.settings.get("path", "/")

    @property
    def cold_start(self) -> bool:
        return bool(self.settings.get("cold_start", False))

    @property
    def wrk_script(self) -> Path | None:
        script = self.settings.get("wrk_script")
        return self.dir / script if script else None

    def runs_on(self, runtime_name: str) -> bool:
        allowed = self.settings.get("runtimes")
        if allowed is None:
            # wrangler dev and nginx only run the scenarios that name them
            # (KV, static assets): workerd is the runtime baseline.
            return runtime_name not in ("wrangler", "nginx")
        return runtime_name in allowed

    def check_response(self, status: int, body: bytes) -> str | None:
        """Validate the one request sent before load; returns an error or None.

        Benchmarking a runtime that answers with a 500 page would measure the
        error path, so a wrong answer fails the scenario for that runtime.
        """
        s = self.settings
        want = s.get("expect_status", 200)
        if status != want:
            return f"status {status} (want {want}): {_snippet(body)}"
        if "expect_body" in s and body != s["expect_body"].encode():
            return f"body {_snippet(body)!r} != {s['expect_body']!r}"
        if "expect_contains" in s and s["expect_contains"].encode() not in body:
            return f"body lacks {s['expect_contains']!r}: {_snippet(body)}"
        if "expect_bytes" in s and len(body) != s["expect_bytes"]:
            return f"body is {len(body)} bytes, want {s['expect_bytes']}"
        if "expect_min_bytes" in s and len(body) < s["expect_min_bytes"]:
            return f"body is {len(body)} bytes, want >= {s['expect_min_bytes']}"
        return None


def _snippet(body: bytes, n: int = 160) -> str:
    text = body[:n].decode("utf-8", "replace").replace("\n", " ")
    return text + ("..." if len(body) > n else "")


def load_scenarios(workers_dir: Path, only: list[str] | None = None) -> list[Scenario]:
    scenarios = []
    for d in sorted(p for p in workers_dir.iterdir() if (p / "wrangler.toml").is_file()):
        if only and d.name not in only:
            continue
        wrangler = tomllib.loads((d / "wrangler.toml").read_text())
        settings = {}
        if (d / "bench.toml").is_file():
            settings = tomllib.loads((d / "bench.toml").read_text())
        if settings.get("prepare"):
            subprocess.run(settings["prepare"], shell=True, cwd=d, check=True)
        scenarios.append(Scenario(d.name, d, wrangler, settings))
    if only:
        missing = set(only) - {s.name for s in scenarios}
        if missing:
            raise SystemExit(f"unknown scenario(s): {', '.join(sorted(missing))}")
    scenarios.sort(key=lambda s: (s.settings.get("order", 100), s.name))
    return scenarios

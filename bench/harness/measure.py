"""Launching servers and measuring them: readiness, wrk load, memory, teardown."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .runtimes import Runtime
from .scenarios import Scenario


class RunError(Exception):
    """A runtime failed a scenario (crash, timeout, wrong answer): reported, not fatal."""


# --------------------------------------------------------------------------
# Server processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    log: Path
    launched_at: float  # time.perf_counter() just before Popen

    def log_tail(self, n: int = 3) -> str:
        try:
            # Line 1 is the "$ command" header written by launch().
            lines = [l for l in self.log.read_text(errors="replace").splitlines()[1:] if l.strip()]
        except OSError:
            lines = []
        return " / ".join(lines[-n:])[-400:] if lines else "(no output)"

    def stop(self) -> None:
        # The server runs in its own session, so its process-group id is the
        # PID we launched: signalling the group reaches any children it forked
        # and nothing else.
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
            except ProcessLookupError:
                pass
        else:
            try:  # leader gone, but children may still hold the group
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def launch(runtime: Runtime, scenario: Scenario, workdir: Path, log: Path) -> Server:
    """Start `runtime` serving a fresh copy of `scenario` in `workdir`."""
    if workdir.exists():
        shutil.rmtree(workdir)
    # A private copy per launch: no runtime state (.hearth/, caches, KV data)
    # leaks from one launch into the next, and every launch is equally cold.
    shutil.copytree(scenario.dir, workdir, ignore=shutil.ignore_patterns("bench.toml"))
    port = free_port()
    argv, cwd = runtime.command(scenario, workdir, port)
    log.parent.mkdir(parents=True, exist_ok=True)
    out = open(log, "wb")
    out.write(("$ " + " ".join(argv) + "\n").encode())
    out.flush()
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=runtime.env(), stdin=subprocess.DEVNULL,
                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    out.close()
    return Server(proc, port, log, t0)


def http_get(port: int, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    """Minimal HTTP/1.1 GET over a raw socket.

    Raw sockets keep the cold-start poll loop cheap and free of client-side
    pooling. The response is framed by Content-Length or chunked encoding, so
    a server that keeps the connection open despite `Connection: close` does
    not stall the measurement; chunked bodies are decoded for the check.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                  "Connection: close\r\n\r\n".encode())
        data = b""

        def more() -> bool:
            nonlocal data
            chunk = s.recv(65536)
            data += chunk
            return bool(chunk)

        while b"\r\n\r\n" not in data:
            if not more():
                raise RunError(f"connection closed mid-headers: {data[:80]!r}")
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        if not lines[0].startswith(b"HTTP/"):
            raise RunError(f"not an HTTP response: {data[:80]!r}")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in
                   (l.decode("latin-1").partition(":") for l in lines[1:])}
        start = len(head) + 4
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while not data.endswith(b"0\r\n\r\n") and more():
                pass
            return status, _dechunk(data[start:])
        if "content-length" in headers:
            while len(data) - start < int(headers["content-length"]) and more():
                pass
        else:
            while more():
                pass
        return status, data[start:]


def _dechunk(data: bytes) -> bytes:
    out, i = b"", 0
    while True:
        j = data.index(b"\r\n", i)
        size = int(data[i:j].split(b";")[0], 16)
        if size == 0:
            return out
        out += data[j + 2:j + 2 + size]
        i = j + 2 + size + 2


def wait_ready(server: Server, path: str, timeout: float, want_status: int | None = 200) -> float:
    """Poll until the server answers `want_status` (None: any HTTP response);
    return seconds since launch.

    Tight loop (1 ms back-off on refused connections) so the measured cold
    start is within ~1 ms of the truth without starving the starting server
    of CPU on a 2-core machine.
    """
    deadline = time.perf_counter() + timeout
    last = "no answer"
    while time.perf_counter() < deadline:
        if server.proc.poll() is not None:
            raise RunError(f"exited with code {server.proc.returncode} before serving: "
                           f"{server.log_tail()}")
        try:
            status, body = http_get(server.port, path, timeout=2.0)
            if want_status is None or status == want_status:
                return time.perf_counter() - server.launched_at
            last = f"status {status}"
            time.sleep(0.01)
        except (ConnectionRefusedError, ConnectionResetError):
            time.sleep(0.001)
        except (OSError, RunError, ValueError) as e:
            last = str(e)
            time.sleep(0.005)
    raise RunError(f"not ready after {timeout:.0f}s ({last}): {server.log_tail()}")


# --------------------------------------------------------------------------
# Memory


def _children(pid: int) -> list[int]:
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # Field 4 (ppid) follows the parenthesised command name, which may contain spaces.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            kids.append(int(entry))
    return kids


def process_tree(pid: int) -> list[int]:
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(_children(p))
    return tree


def peak_rss_kib(pid: int) -> int:
    """Sum of VmHWM (peak resident set) over the server and its descendants.

    For a single process this is its exact lifetime peak; with children it is
    an upper bound (their peaks need not coincide).
    """
    total = 0
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


# --------------------------------------------------------------------------
# wrk

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _ms(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value)
    if not m:
        raise ValueError(f"bad wrk latency {value!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_wrk(text: str) -> dict:
    """Pull throughput, latency percentiles and error counts out of `wrk --latency`."""
    out: dict = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if not m:
        lines = text.strip().splitlines() or ["(no output)"]
        raise RunError("wrk printed no Requests/sec: " + lines[-1])
    out["rps"] = float(m.group(1))
    for pct, val in re.findall(r"^\s+(50|75|90|99)(?:\.0+)?%\s+(\S+)", text, re.M):
        out[f"p{pct}_ms"] = _ms(val)
    m = re.search(r"(\d+) requests in ([\d.]+\w+), (\S+) read", text)
    if m:
        out["requests"] = int(m.group(1))
        out["read"] = m.group(3)
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    out["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"),
                                    map(int, m.groups()))) if m else {}
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    out["non_2xx"] = int(m.group(1)) if m else 0
    return out


def run_wrk(port: int, path: str, threads: int, connections: int, duration: str,
            out_file: Path | None, script: Path | None = None) -> dict:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}", "--latency"]
    if script:
        cmd += ["-s", str(script)]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    secs = _ms(duration) / 1000 if not duration.isdigit() else float(duration)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=secs + 60)
    if out_file:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_text("$ " + " ".join(cmd) + "\n" + r.stdout + r.stderr)
    if r.returncode != 0:
        raise RunError(f"wrk exited {r.returncode}: {(r.stderr or r.stdout).strip()[-200:]}")
    return parse_wrk(r.stdout)

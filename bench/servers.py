"""The apps under test as processes: pinned to the server core, logging to files, ready before measured."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent  # the project's .venv/bin
PROJECT = Path(__file__).resolve().parents[1]
SERVER_CORE = "0"  # the apps; wrk gets the other core
_READY_TIMEOUT_S = 60.0
_STOP_TIMEOUT_S = 10.0
# Settings the machine's environment must not slip into an app (the service reads these prefixes).
_OURS = ("DATABASE_", "AUTH_", "CORS_", "LOG_", "BENCH_")


@dataclass(frozen=True, slots=True)
class Server:
    name: str  # "bare" or "service"
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        """The process that serves: taskset execs its command and one uvicorn worker serves in its own
        process, but should anything ever wrap it, the server is the deepest descendant."""
        pid = self.process.pid
        while children := _children(pid):
            pid = children[0]
        return pid

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"no VmRSS for {self.name} (pid {self.pid})")


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name may hold spaces; the fields after its closing parenthesis do not.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def environment(**settings: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(_OURS)}
    env.update(settings)
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(
    name: str, command: list[str], env: dict[str, str], log_path: Path, port: int, cwd: Path
) -> Server:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # A file, not a pipe: nobody reads a pipe during a run, and a full one would stall the server.
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["taskset", "-c", SERVER_CORE, *command],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return Server(name, f"http://127.0.0.1:{port}", process, log_path)


def start_bare(module: str, env: dict[str, str], log_path: Path, bin_dir: Path = BIN) -> Server:
    port = free_port()
    command = [
        str(bin_dir / "python"), "-m", "uvicorn", f"bench.{module}:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port),
        "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--workers", "1",
    ]  # fmt: skip
    return _start("bare", command, env, log_path, port, PROJECT)


def start_service(env: dict[str, str], log_path: Path, bin_dir: Path = BIN) -> Server:
    port = free_port()
    command = [str(bin_dir / "tasks"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    # Run from the log's folder: the service reads a `.env` in its working directory, and a
    # developer's own must not change what is measured.
    return _start("service", command, env, log_path, port, log_path.parent)


def wait_ready(server: Server, path: str, headers: dict[str, str] | None = None) -> None:
    deadline = time.monotonic() + _READY_TIMEOUT_S
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited early:\n{_tail(server.log_path)}")
        try:
            if httpx.get(server.url + path, headers=headers, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{server.name} did not answer {path} in {_READY_TIMEOUT_S:.0f} s")
        time.sleep(0.1)


def stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@contextmanager
def stopping(*servers: Server) -> Iterator[None]:
    try:
        yield
    finally:
        for server in servers:
            stop(server)


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

"""A real `tasks serve` process on a free loopback port, with none of the machine's service settings."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

TASKS = str(Path(sys.executable).parent / "tasks")
_OUR_VARIABLES = (
    "DATABASE_",
    "AUTH_",
    "CORS_",
    "LOG_",
    "TASKS_",  # TASKS_DATA_DIR, TASKS_TOKEN
    "HTTP_MAX_",
    "HTTP_TRUSTED_",
    "PURGE_",
    "EVENTS_",
    "SYNC_",
)


def clean_environment(**extra: str) -> dict[str, str]:
    """The machine's environment without any of the service's own settings, plus `extra`."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(_OUR_VARIABLES)}
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(cwd: Path, env: dict[str, str], *options: str) -> Iterator[str]:
    """Run `tasks serve` in `cwd` until it answers /health/ready; yield its base URL; stop it after."""
    with served_process(cwd, env, *options) as (base_url, _):
        yield base_url


@contextmanager
def served_process(
    cwd: Path, env: dict[str, str], *options: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """As `served`, yielding the process too."""
    port = free_port()
    # Output goes to a file: a pipe nobody reads fills up and freezes a busy server.
    output_path = cwd / f"tasks-serve-{port}.log"
    output = output_path.open("w")
    process = subprocess.Popen(
        [TASKS, "serve", "--port", str(port), *options],
        cwd=cwd,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"`tasks serve` exited early:\n{output_path.read_text()}")
            try:
                if httpx.get(f"{base_url}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("`tasks serve` did not become ready within 30 s")
            time.sleep(0.1)
        yield base_url, process
    finally:
        process.terminate()
        process.wait(timeout=10)
        output.close()

"""What a result was measured on: the machine, the tools, and the code."""

from __future__ import annotations

import asyncio
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

PROJECT = Path(__file__).resolve().parents[1]


def _first_line(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return "not installed"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0].strip() if lines else "unknown"


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def commit() -> str:
    head = _first_line(["git", "-C", str(PROJECT), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(
        ["git", "-C", str(PROJECT), "status", "--porcelain"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return head + ("+dirty" if dirty else "")


async def _postgres(admin_url: str) -> str:
    connection = await asyncpg.connect(admin_url, timeout=5)
    try:
        version = await connection.fetchval("SHOW server_version")
        ssl = await connection.fetchval("SHOW ssl")
    finally:
        await connection.close()
    return f"{version} (ssl {ssl})"


def describe(admin_url: str | None, pgbouncer: str | None) -> dict[str, Any]:
    """Taken before the run: the commit is the tree as measured, not with the new results in it."""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit(),
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": asyncio.run(_postgres(admin_url)) if admin_url else "not used",
        "pgbouncer": _first_line([pgbouncer, "--version"]) if pgbouncer else "not used",
        "wrk": _first_line(["wrk", "-v"]).split(" Copyright")[0],
    }

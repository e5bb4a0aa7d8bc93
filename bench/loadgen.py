"""wrk runs: the data file its scripts read, one run pinned to the load core, its JSON line parsed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

WRK_DIR = Path(__file__).resolve().parent / "wrk"
SCRIPTS = {"get": "get_one.lua", "list": "list.lua", "list_deep": "list_deep.lua", "create": "create.lua"}
LOAD_CORE = "1"
_MARK = "BENCH_RESULT "


def wrk_binary() -> str:
    found = shutil.which("wrk") or ("/usr/bin/wrk" if os.access("/usr/bin/wrk", os.X_OK) else None)
    if found is None:
        raise SystemExit("wrk is not installed: run `make wrk` (.ci/install-wrk: apt-get install wrk)")
    return found


def write_data(
    path: Path,
    tokens: Mapping[str, str],
    ids: Mapping[str, Sequence[object]],
    cursors: Mapping[str, str],
    writer_tokens: Mapping[str, str],
) -> None:
    """A Lua chunk returning one table per user: token, deep-page cursor, task ids (space-separated),
    and the token creates are sent with (the user's writer: see dataset.writer_of)."""
    entries = [
        f"  {{token = {_lua(tokens[user])}, cursor = {_lua(quote(cursors[user], safe=''))},"
        f" ids = {_lua(' '.join(map(str, ids[user])))}, writer = {_lua(writer_tokens[user])}}},"
        for user in tokens
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("return {\n" + "\n".join(entries) + "\n}\n")


def _lua(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run(url: str, path: str, data: Path, duration: float, connections: int) -> dict[str, Any]:
    """One wrk run against one app and path: requests, req/s, p50 and p99 (ms), non-2xx, socket errors."""
    command = [
        "taskset", "-c", LOAD_CORE, wrk_binary(), "-t1", f"-c{connections}", f"-d{duration:g}s",
        "--latency", "-s", str(WRK_DIR / SCRIPTS[path]), url,
    ]  # fmt: skip
    env = {**os.environ, "BENCH_WRK_DATA": str(data)}
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=duration + 60, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith(_MARK)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(lines[-1].removeprefix(_MARK))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["socket_errors"] = sum(result[kind] for kind in ("connect", "read", "write", "timeout"))
    return result

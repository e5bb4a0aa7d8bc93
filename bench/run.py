"""The benchmark: the service against a bare app on the same rows, interleaved rounds, one table per backend.

`python -m bench.run [--rounds 5] [--duration 10] [--backends postgres,sqlite,pgbouncer] [--write-results]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import loadgen, machine, report, servers
from bench.cursors import DEEP_PAGE, PAGE_SIZE, deep_cursors
from bench.dataset import SECRET, Dataset, build, token, writer_of
from bench.load import OUT, PostgresTarget, SqliteTarget, load_postgres, load_sqlite
from bench.venv import production_bin
from tests.support.pgbouncer import pgbouncer_binary, running_pgbouncer

BACKENDS = ("postgres", "sqlite", "pgbouncer")
POOL_SIZE = "32"  # each app's pool: the concurrency one worker serves, wrk's 32 connections (FIELD-NOTES)
WARM_UP_S = 2.0
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


@dataclass(frozen=True, slots=True)
class Targets:
    """How each app reaches its database on one backend."""

    bare_module: str
    bare_env: dict[str, str]
    service_env: dict[str, str]


@contextmanager
def prepared(backend: str, dataset: Dataset) -> Iterator[Targets]:
    """Fresh rows for both apps, and a PgBouncer in front of them when the backend asks for one."""
    if backend == "sqlite":
        files = SqliteTarget()
        load_sqlite(dataset, files)
        yield Targets(
            "bare_aiosqlite", {"BENCH_DSN": str(files.bare_path)}, {"DATABASE_URL": files.service_url}
        )
        return
    target = PostgresTarget()
    asyncio.run(load_postgres(dataset, target))
    if backend == "postgres":
        yield Targets("bare_asyncpg", {"BENCH_DSN": target.bare_dsn}, {"DATABASE_URL": target.service_url})
        return
    # The project's own test PgBouncer, with a pool as large as each app's.
    with running_pgbouncer(target.admin_url, pool_size=int(POOL_SIZE)) as bouncer:
        bouncer.allow_user(target.role)
        yield Targets(
            "bare_asyncpg",
            {"BENCH_DSN": bouncer.through(target.bare_dsn), "BENCH_POOLER": "transaction"},
            {"DATABASE_URL": bouncer.through(target.service_url), "DATABASE_POOLER": "transaction"},
        )


def start(
    backend: str, targets: Targets, stack: ExitStack, probe_token: str, bin_dir: Path
) -> dict[str, servers.Server]:
    bare_env = servers.environment(BENCH_SECRET=SECRET, BENCH_POOL_SIZE=POOL_SIZE, **targets.bare_env)
    service_env = servers.environment(
        AUTH_JWT_SECRET=SECRET,
        LOG_LEVEL="INFO",  # its request log line is part of what a request costs
        DATABASE_POOL_SIZE=POOL_SIZE,
        DATABASE_MAX_OVERFLOW="0",
        **targets.service_env,
    )
    bare = servers.start_bare(targets.bare_module, bare_env, OUT / f"{backend}-bare.log", bin_dir)
    stack.enter_context(servers.stopping(bare))
    service = servers.start_service(service_env, OUT / f"{backend}-service" / "service.log", bin_dir)
    stack.enter_context(servers.stopping(service))
    servers.wait_ready(bare, "/api/v1/tasks?limit=1", {"Authorization": f"Bearer {probe_token}"})
    servers.wait_ready(service, "/health/ready")
    return {"bare": bare, "service": service}


def bench_backend(backend: str, args: argparse.Namespace, dataset: Dataset, bin_dir: Path) -> dict[str, Any]:
    tokens = {user: token(user) for user in dataset.users}
    writer_tokens = {user: token(writer_of(user)) for user in dataset.users}
    ids = dataset.ids_by_user()
    deep_page = min(DEEP_PAGE, -(-args.tasks // PAGE_SIZE))
    runs: list[dict[str, Any]] = []
    with ExitStack() as stack:
        targets = stack.enter_context(prepared(backend, dataset))
        apps = start(backend, targets, stack, tokens[dataset.users[0]], bin_dir)
        data = {}
        for name, app in apps.items():
            cursors = asyncio.run(deep_cursors(app.url, tokens, deep_page))
            data[name] = OUT / f"wrk-{backend}-{name}.lua"
            loadgen.write_data(data[name], tokens, ids, cursors, writer_tokens)
        for path in args.paths:
            for name, app in apps.items():
                loadgen.run(app.url, path, data[name], WARM_UP_S, args.connections)
        for number in range(1, args.rounds + 1):
            order = ("bare", "service") if number % 2 else ("service", "bare")  # who goes first alternates
            for path in args.paths:
                for name in order:
                    result = loadgen.run(apps[name].url, path, data[name], args.duration, args.connections)
                    runs.append({"round": number, "path": path, "app": name, **result})
                    _progress(backend, number, path, name, result)
        pairs = deep_page_pairs(apps, data, args) if {"list", "list_deep"} <= set(args.paths) else []
        rss = {name: app.rss_mb() for name, app in apps.items()}
    return {
        "backend": backend,
        "paths": args.paths,
        "deep_page": deep_page,
        "runs": runs,
        "pairs": pairs,
        "pair_duration": args.pair_duration,
        "rss_mb": rss,
    }


def deep_page_pairs(
    apps: dict[str, Any], data: dict[str, Path], args: argparse.Namespace
) -> list[dict[str, Any]]:
    """Page 1 and the deep page of one app measured back to back, many short times: the two halves
    of a pair share the machine's mood, which on a shared machine swings more between the rounds'
    runs (minutes apart) than the deep page costs. Which page and which app go first alternates."""
    pairs = []
    for number in range(1, args.pairs + 1):
        for name in ("bare", "service") if number % 2 else ("service", "bare"):
            order = ("list", "list_deep") if number % 2 else ("list_deep", "list")
            rps = {
                path: loadgen.run(apps[name].url, path, data[name], args.pair_duration, args.connections)[
                    "rps"
                ]
                for path in order
            }
            pairs.append(
                {"pair": number, "app": name, **{f"{path}_rps": value for path, value in rps.items()}}
            )
            print(
                f"[pair {number}] {name:<7} list_deep ÷ list {rps['list_deep'] / rps['list']:.3f}",
                file=sys.stderr,
                flush=True,
            )
    return pairs


def _progress(backend: str, number: int, path: str, app: str, result: dict[str, Any]) -> None:
    print(
        f"[{backend} round {number}] {path:<9} {app:<7} {result['rps']:8.0f} req/s"
        f"  p50 {result['p50_ms']:6.1f} ms  p99 {result['p99_ms']:7.1f} ms"
        f"  non-2xx {result['non_2xx']}  socket errors {result['socket_errors']}",
        file=sys.stderr,
        flush=True,
    )


def _names(text: str, allowed: tuple[str, ...]) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = set(names) - set(allowed)
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(allowed)}")
    return names


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--backends", type=lambda text: _names(text, BACKENDS), default=list(BACKENDS))
    parser.add_argument(
        "--paths", type=lambda text: _names(text, tuple(loadgen.SCRIPTS)), default=list(loadgen.SCRIPTS)
    )
    parser.add_argument(
        "--pairs", type=int, default=8, help="back-to-back page 1 / deep page pairs per app (0: none)"
    )
    parser.add_argument("--pair-duration", type=float, default=3, help="seconds of each half of a pair")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--tasks", type=int, default=1000, help="tasks per user")
    parser.add_argument("--write-results", action="store_true", help=f"rewrite {RESULTS.name}")
    args = parser.parse_args(argv)
    if args.tasks <= PAGE_SIZE:
        parser.error(f"--tasks must be more than {PAGE_SIZE}: list_deep needs a second page")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    loadgen.wrk_binary()  # fail before loading anything
    uses_postgres = any(backend != "sqlite" for backend in args.backends)
    pgbouncer = _pgbouncer() if "pgbouncer" in args.backends else None
    meta = machine.describe(PostgresTarget().admin_url if uses_postgres else None, pgbouncer)
    command = shlex.join(["python", "-m", "bench.run", *(sys.argv[1:] if argv is None else argv)])
    dataset = build(args.users, args.tasks)
    bin_dir = production_bin()
    results = [bench_backend(backend, args, dataset, bin_dir) for backend in args.backends]
    print(report.tables(results))
    OUT.mkdir(parents=True, exist_ok=True)
    raw = json.dumps({"meta": meta, "command": command, "results": results}, indent=2, default=str)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for name in (f"results-{stamp}.json", "results-latest.json"):
        (OUT / name).write_text(raw)
    if args.write_results:
        text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
        RESULTS.write_text(report.rewrite(text, report.recorded(meta, command, results)))
        print(f"wrote {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")


def _pgbouncer() -> str:
    binary = pgbouncer_binary()
    if binary is None:
        raise SystemExit("pgbouncer is not installed: run `make pgbouncer` (.ci/install-pgbouncer)")
    return binary


if __name__ == "__main__":
    main()

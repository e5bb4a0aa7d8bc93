"""The tables: medians across rounds, spreads, ratios to the bare app, and RSS."""

from __future__ import annotations

from collections.abc import Sequence
from statistics import median
from typing import Any

APPS = ("bare", "service")
TITLES = {
    "postgres": "PostgreSQL (direct), bare app: FastAPI + asyncpg",
    "sqlite": "SQLite (embedded), bare app: FastAPI + aiosqlite",
    "pgbouncer": (
        "PostgreSQL through PgBouncer (transaction mode), bare app: FastAPI + asyncpg, no statement cache"
    ),
}
_HEADER = (
    "| path | app | req/s (median) | spread (min–max) | service ÷ bare (median, min–max) "
    "| p50 ms | p99 ms | p99÷p50 | non-2xx | socket errors |\n"
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def _runs(result: dict[str, Any], path: str, app: str) -> list[dict[str, Any]]:
    return [run for run in result["runs"] if run["path"] == path and run["app"] == app]


def ratios(result: dict[str, Any], numerator: tuple[str, str], denominator: tuple[str, str]) -> list[float]:
    """Per-round ratios of req/s: (path, app) over (path, app) in the same round."""
    over = {run["round"]: run["rps"] for run in _runs(result, *denominator)}
    return [run["rps"] / over[run["round"]] for run in _runs(result, *numerator) if over.get(run["round"])]


def pair_ratios(pairs: Sequence[dict[str, Any]], app: str) -> list[float]:
    """Deep page ÷ page 1 within each back-to-back pair of one app."""
    return [
        pair["list_deep_rps"] / pair["list_rps"] for pair in pairs if pair["app"] == app and pair["list_rps"]
    ]


def _ratio(values: Sequence[float]) -> str:
    if not values:
        return "–"
    return f"{median(values):.2f}× ({min(values):.2f}–{max(values):.2f})"


def table(result: dict[str, Any]) -> str:
    rows = []
    for path in result["paths"]:
        for app in APPS:
            runs = _runs(result, path, app)
            if not runs:
                continue
            rps = [run["rps"] for run in runs]
            p50 = median(run["p50_ms"] for run in runs)
            p99 = median(run["p99_ms"] for run in runs)
            label = f"{path} (page {result['deep_page']})" if path == "list_deep" else path
            ratio = _ratio(ratios(result, (path, "service"), (path, "bare"))) if app == "service" else "–"
            rows.append(
                f"| {label} | {app} | {median(rps):.0f} | {min(rps):.0f}–{max(rps):.0f} | {ratio} "
                f"| {p50:.1f} | {p99:.1f} | {p99 / p50 if p50 else 0:.1f} "
                f"| {sum(run['non_2xx'] for run in runs)} | {sum(run['socket_errors'] for run in runs)} |"
            )
    rss = result["rss_mb"]
    lines = [f"### {TITLES.get(result['backend'], result['backend'])}", "", _HEADER, *rows, ""]
    lines.append(
        f"RSS after the run: bare {rss['bare']:.0f} MB, service {rss['service']:.0f} MB "
        f"(service ÷ bare {rss['service'] / rss['bare']:.2f}×)."
    )
    if {"list", "list_deep"} <= set(result["paths"]):
        deep = {app: _ratio(ratios(result, ("list_deep", app), ("list", app))) for app in APPS}
        lines.append(f"list_deep ÷ list, by round: service {deep['service']}; bare {deep['bare']}.")
    pairs = result.get("pairs") or []
    if pairs:
        paired = {app: _ratio(pair_ratios(pairs, app)) for app in APPS}
        count = len(pairs) // len(APPS)
        lines.append(
            f"list_deep ÷ list, back to back ({count} pairs of {result['pair_duration']:g} s each):"
            f" service {paired['service']}; bare {paired['bare']}."
        )
    return "\n".join(lines) + "\n"


def tables(results: Sequence[dict[str, Any]]) -> str:
    return "\n".join(table(result) for result in results)


BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def recorded(meta: dict[str, Any], command: str, results: Sequence[dict[str, Any]]) -> str:
    """The section `make bench` keeps in RESULTS.md: where, when, what, and the tables."""
    machine = [
        f"- Date: {meta['date']}; commit `{meta['commit']}`",
        f"- Command: `{command}`",
        f"- Machine: {meta['nproc']} cores, {meta['cpu']}; Linux {meta['kernel']}",
        f"- Python {meta['python']}; PostgreSQL {meta['postgresql']}; PgBouncer: {meta['pgbouncer']}",
        "- Both apps connect with `sslmode=disable` (plain loopback TCP), directly or through PgBouncer",
        f"- Load: {meta['wrk']}",
    ]
    return "\n".join(["## Latest run", "", *machine, "", tables(results)])


def rewrite(text: str, section: str) -> str:
    """The file with the recorded section replaced; anything outside the markers is kept."""
    if BEGIN not in text or END not in text:
        text = f"{text.rstrip()}\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    return f"{head}{BEGIN}\n{section.rstrip()}\n{END}{tail}"

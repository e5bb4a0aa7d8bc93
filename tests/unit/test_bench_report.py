"""The benchmark's report: ratios within the same round, and within each back-to-back pair."""
# ruff: noqa: RUF001  (the report writes the multiplication sign and the en dash, as a reader expects)

from __future__ import annotations

from typing import Any

from bench import report


def _result(pairs: list[dict[str, Any]]) -> dict[str, Any]:
    runs = [
        {"round": 1, "path": path, "app": app, "rps": rps, "p50_ms": 10.0, "p99_ms": 20.0, "non_2xx": 0,
         "socket_errors": 0}
        for path, app, rps in [
            ("list", "bare", 1000.0), ("list", "service", 900.0),
            ("list_deep", "bare", 800.0), ("list_deep", "service", 810.0),
        ]
    ]  # fmt: skip
    return {
        "backend": "postgres",
        "paths": ["list", "list_deep"],
        "deep_page": 50,
        "runs": runs,
        "pairs": pairs,
        "pair_duration": 3.0,
        "rss_mb": {"bare": 60.0, "service": 80.0},
    }


def test_pair_ratios_divide_within_each_pair_of_one_app() -> None:
    pairs = [
        {"pair": 1, "app": "service", "list_rps": 1000.0, "list_deep_rps": 950.0},
        {"pair": 1, "app": "bare", "list_rps": 2000.0, "list_deep_rps": 1000.0},
        {"pair": 2, "app": "service", "list_rps": 500.0, "list_deep_rps": 490.0},
    ]

    assert report.pair_ratios(pairs, "service") == [0.95, 0.98]
    assert report.pair_ratios(pairs, "bare") == [0.5]


def test_the_table_reports_the_round_ratio_and_the_paired_one() -> None:
    pairs = [
        {"pair": n, "app": app, "list_rps": 1000.0, "list_deep_rps": deep}
        for n, (service, bare) in enumerate([(960.0, 900.0), (980.0, 880.0)], start=1)
        for app, deep in (("service", service), ("bare", bare))
    ]

    text = report.table(_result(pairs))

    assert "list_deep ÷ list, by round: service 0.90× (0.90–0.90); bare 0.80× (0.80–0.80)." in text
    assert "back to back (2 pairs of 3 s each): service 0.97× (0.96–0.98); bare 0.89× (0.88–0.90)." in text
    assert "back to back" not in report.table(_result([]))

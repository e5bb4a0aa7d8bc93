"""How units of work open their transactions: timeouts, connection retries, waiting for a connection.
What a driver's failures mean to the application is each database's own (Database.translated)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class TransactionPolicy:
    statement_timeout_ms: int = 15_000
    idle_in_transaction_timeout_ms: int = 30_000
    connect_attempts: int = 4
    connect_backoff_seconds: float = 0.2  # doubled each time: 0.2 + 0.4 + 0.8 s at the most
    begin_deadline_seconds: float = 5.0  # all attempts together, however slowly each one fails
    pool_timeout_seconds: float = 30.0  # waiting for a free pooled connection

"""SQLAlchemy Core statements compiled once per dialect, run on the driver connection."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import pydantic_core
from sqlalchemy import JSON, DateTime, Float, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class Compiled:
    """One statement as one dialect's driver takes it: SQL text with positional placeholders,
    the bound names in placeholder order, and the type conversions SQLAlchemy would have applied
    on the way in and out (so rows are stored as through an engine, and read alike from every
    dialect: see _result_processor)."""

    sql: str
    names: tuple[str, ...]
    binds: tuple[Processor, ...]
    columns: tuple[str, ...]
    converted: tuple[tuple[str, Callable[[Any], Any]], ...]  # the columns read through a conversion
    writes: bool  # changes rows, or locks them for a change
    given: Mapping[str, Any]  # the values the statement itself carries, e.g. an IN list's

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        given = self.given
        ordered = [values[name] if name in values else given[name] for name in self.names]
        return [
            value if process is None else process(value)
            for process, value in zip(self.binds, ordered, strict=True)
        ]

    def row(self, raw: Sequence[Any]) -> dict[str, Any]:
        row = dict(zip(self.columns, raw, strict=True))
        for name, process in self.converted:
            value = row[name]
            if value is not None:
                row[name] = process(value)
        return row


class Statement:
    """A Core statement with named bound parameters, compiled the first time each dialect runs it.

    A statement whose shape depends on its values (an IN list) is made afresh for each use, with
    its values in it."""

    __slots__ = ("_build", "_compiled")

    def __init__(self, build: ClauseElement | Callable[[Dialect], ClauseElement]) -> None:
        self._build = build
        self._compiled: dict[str, Compiled] = {}

    def on(self, dialect: Dialect) -> Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            statement = self._build if isinstance(self._build, ClauseElement) else self._build(dialect)
            compiled = self._compiled[dialect.name] = compile_for(statement, dialect)
        return compiled


def compile_for(statement: ClauseElement, dialect: Dialect) -> Compiled:
    expanded = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    compiled = cast(SQLCompiler, expanded)
    names = tuple(compiled.positiontup or ())
    binds = compiled.binds
    # Values the statement carries; an IN list's elements come as <the list's name>_<position>.
    given = {
        name: value
        for name, value in compiled.params.items()
        if name not in binds or not binds[name].required
    }
    types = [
        binds[name if name in binds else name.rpartition("_")[0]].type.dialect_impl(dialect) for name in names
    ]
    selected = _selected_columns(statement)
    columns = tuple(column.key for column in selected)
    results = tuple(_result_processor(column.type, dialect) for column in selected)
    return Compiled(
        sql=compiled.string,
        names=names,
        binds=tuple(type_.bind_processor(dialect) for type_ in types),
        columns=columns,
        converted=tuple((name, process) for name, process in zip(columns, results, strict=True) if process),
        # A read that locks rows is a write's first step: SQLite serves it as one (see sqlite.py).
        writes=isinstance(statement, UpdateBase) or getattr(statement, "_for_update_arg", None) is not None,
        given=given,
    )


def _selected_columns(statement: ClauseElement) -> list[Any]:
    if isinstance(statement, UpdateBase):
        returning = getattr(statement, "_returning", ())
        return list(returning)
    return list(getattr(statement, "selected_columns", ()))


def _result_processor(type_: Any, dialect: Dialect) -> Processor:
    """How a column's value is read, so that every dialect hands back the same: among others,
    times aware and in UTC (asyncpg's own for timestamptz; SQLite stores UTC clock readings)."""
    implementation = type_.dialect_impl(dialect)
    if isinstance(implementation, DateTime) and dialect.name == "sqlite":
        return _sqlite_time
    if isinstance(implementation, JSON):
        # The drivers hand back the text (SQLAlchemy's asyncpg dialect decodes JSON in a codec it
        # installs on each connection); pydantic's parser reads it several times faster than json.
        return pydantic_core.from_json
    if isinstance(implementation, Float) and not implementation.asdecimal:
        return None  # both drivers hand back a Python float (and asyncpg's dialect wants the column's OID)
    process: Processor = implementation.result_processor(dialect, None)
    return process


def _sqlite_time(stored: str) -> datetime:
    """SQLAlchemy's SQLite text for a time ("2026-12-02 08:57:07.331284", in UTC), as an aware time.
    Parsed with its offset in one call: `.replace(tzinfo=...)` after would cost five times more."""
    return datetime.fromisoformat(stored + "+00:00")


def upsert_into(table: Table, dialect: Dialect) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that can take ON CONFLICT, in the dialect's own construct (PostgreSQL's or SQLite's)."""
    return (postgresql.insert if dialect.name == "postgresql" else sqlite.insert)(table)

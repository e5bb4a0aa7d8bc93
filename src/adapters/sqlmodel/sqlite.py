"""SQLite: one connection that every unit of work reads on, one that writes, each on a thread of its own."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

from adapters.sqlmodel.database import NO_VALUES, Database, Transaction
from adapters.sqlmodel.statements import Compiled, Statement
from adapters.sqlmodel.transactions import TransactionPolicy

BUSY_TIMEOUT_MS = 5000
AUTOCHECKPOINT_PAGES = 20_000
# How often, at most, the WAL's new pages are copied into the database file: a page written many
# times in that while (an index's page, say) is copied once.
CHECKPOINT_EVERY_S = 1.0
PRAGMAS = (
    # WAL lets readers run beside a writer; busy_timeout waits for another process's lock.
    "PRAGMA journal_mode=WAL",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
    # The WAL is checkpointed in the background (SqliteDatabase.checkpoint_soon); a writer
    # checkpoints on its own, on its COMMIT, only past this many pages (80 MB at 4 KB), should the
    # background ever not keep up. After a checkpoint the WAL file is cut back to 64 MB.
    f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}",
    "PRAGMA journal_size_limit=67108864",
)
# Busy or locked once busy_timeout ran out (another process writing): worth running the work again.
_BUSY = ("SQLITE_BUSY", "SQLITE_BUSY_SNAPSHOT", "SQLITE_LOCKED")
T = TypeVar("T")
log = logging.getLogger(__name__)
Write = tuple[str, Sequence[Any]]  # a statement's SQL and its arguments, as sqlite3 takes them


class SqliteConnection:
    """A sqlite3 connection and the one thread it is used on: `call` runs a function with the
    connection there, calls in the order they were made. The event loop never touches the
    connection itself, so sqlite3's same-thread check stays on. (aiosqlite's design, down to what
    the group commit needs, which aiosqlite has no public call for: a function run in its thread.)"""

    def __init__(self, path: str, role: str) -> None:
        self._calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        # Named for what it does ("sqlite writer"), as profilers and thread dumps show it.
        self._thread = threading.Thread(target=self._serve, args=(path,), name=f"sqlite {role}", daemon=True)

    @classmethod
    async def open(cls, path: str, role: str) -> SqliteConnection:
        connection = cls(path, role)
        connection._thread.start()
        try:
            await connection.call(_check)
        except BaseException:
            connection._calls.put(None)
            raise
        return connection

    def call(self, function: Callable[..., T], *arguments: Any) -> asyncio.Future[T]:
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._calls.put((done, function, arguments))
        return done

    async def close(self) -> None:
        try:
            await self.call(sqlite3.Connection.close)
        finally:
            self._calls.put(None)  # the thread ends after the calls before it

    def _serve(self, path: str) -> None:
        connection: sqlite3.Connection | None = None
        opening: BaseException | None = None
        try:
            connection = _connect(path)
        except BaseException as error:
            opening = error
        while (call := self._calls.get()) is not None:
            done, function, arguments = call
            loop = done.get_loop()
            result, failure = None, None
            try:
                if connection is None:
                    raise opening or sqlite3.OperationalError("the connection could not be opened")
                result = function(connection, *arguments)
            except BaseException as error:
                failure = error
            with contextlib.suppress(RuntimeError):  # the event loop is gone: nobody waits
                loop.call_soon_threadsafe(_settle_call, done, result, failure)


_Call = tuple["asyncio.Future[Any]", Callable[..., Any], tuple[Any, ...]]


def _settle_call(done: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if done.cancelled():
        return  # the caller went away; what ran, ran
    if error is None:
        done.set_result(result)
    else:
        done.set_exception(error)


# --- What runs on a connection's thread ---


def _connect(path: str) -> sqlite3.Connection:
    # No implicit transactions: the writer opens its own, with BEGIN IMMEDIATE.
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in PRAGMAS:
            connection.execute(pragma)
    except BaseException:
        connection.close()
        raise
    return connection


def _check(_connection: sqlite3.Connection) -> None:
    """Nothing: answered only once the connection is open, or with why it could not be."""


def _fetch(connection: sqlite3.Connection, sql: str, arguments: Sequence[Any]) -> list[Any]:
    return connection.execute(sql, arguments).fetchall()


def _write_then(
    connection: sqlite3.Connection,
    begin: bool,
    writes: list[Write],
    sql: str,
    arguments: Sequence[Any],
    rows: bool,
) -> Any:
    """Open the transaction if asked, send the writes held back so far, then the statement: its
    rows, or how many rows it changed."""
    if begin:
        connection.execute("BEGIN IMMEDIATE")
    for write in writes:
        connection.execute(*write)
    cursor = connection.execute(sql, arguments)
    if rows:
        return cursor.fetchall()
    if cursor.rowcount >= 0:
        return cursor.rowcount
    # sqlite3 counts only statements that start with INSERT, UPDATE, DELETE or REPLACE; one that
    # starts with a WITH (an UPDATE over a recursive walk) it leaves at -1. SQLite's own count is
    # the statement's rows, not its triggers' (the change log's).
    ((changed,),) = connection.execute("SELECT changes()").fetchall()
    return changed


def _commit(connection: sqlite3.Connection, writes: list[Write], checkpoint: bool = False) -> None:
    """Send the writes held back and commit; then, if asked, checkpoint (see _checkpoint_after)."""
    for write in writes:
        connection.execute(*write)
    if connection.in_transaction:
        connection.execute("COMMIT")
    if checkpoint:
        _checkpoint_after(connection)


def _checkpoint(connection: sqlite3.Connection) -> bool:
    """Copy the WAL's pages into the database file, without waiting for anyone (PASSIVE); whether
    it was kept from finishing. (fetchall: a statement left unfinished would keep a lock.)"""
    ((busy, _pages, _copied),) = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    return bool(busy)


def _checkpoint_after(connection: sqlite3.Connection) -> None:
    """The writer's share of a background checkpoint, after a COMMIT: the pages written while the
    checkpointer copied. Whatever comes of it, the COMMIT stands: a failure is only logged."""
    try:
        _checkpoint(connection)
    except Exception:
        log.warning("SQLite checkpoint failed", exc_info=True)


def _rollback(connection: sqlite3.Connection) -> None:
    if connection.in_transaction:
        connection.execute("ROLLBACK")


def _commit_group(
    connection: sqlite3.Connection, group: list[list[Write]], checkpoint: bool = False
) -> list[Exception | None]:
    """Several units of work's writes in one transaction, each under a savepoint of its own so
    that one failing leaves the others whole; what failed, by unit of work. A unit of work alone
    needs no savepoint. When the transaction itself fails, none of them was kept, and the error is
    raised for all. Once committed, a checkpoint if asked (see _checkpoint_after)."""
    alone = len(group) == 1
    connection.execute("BEGIN IMMEDIATE")
    try:
        outcomes: list[Exception | None] = []
        for writes in group:
            if alone:
                _commit(connection, writes, checkpoint)
                return [None]
            connection.execute("SAVEPOINT unit_of_work")
            try:
                for write in writes:
                    connection.execute(*write)
            except sqlite3.Error as error:
                connection.execute("ROLLBACK TO unit_of_work")
                outcomes.append(error)
            else:
                outcomes.append(None)
            connection.execute("RELEASE unit_of_work")
        connection.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            _rollback(connection)
        raise
    if checkpoint:
        _checkpoint_after(connection)
    return outcomes


# --- Units of work ---


class SqliteTransaction(Transaction[SqliteConnection]):
    """Reads until the first write run on the shared reading connection, each statement on its own
    (in WAL mode, a consistent view of what was committed).

    A write whose answer nobody waits for (`write`, e.g. an INSERT) is held back, and sent at the
    latest with the COMMIT: a unit of work that only does such writes goes to the group commit
    (see SqliteDatabase.commit_together). Any other write, or a read that locks rows (FOR UPDATE,
    which SQLite has not), or a read after a held-back write, takes the process's write lock and
    moves the unit of work to the writing connection, where BEGIN IMMEDIATE, the held-back writes
    and the statement go in one call.

    The lock comes first, so a read-then-write unit of work never has to upgrade a read lock (which
    fails at once in WAL mode when someone else wrote meanwhile, SQLITE_BUSY_SNAPSHOT), and writers
    of this process queue here, not in SQLite's sleeping busy handler.
    """

    database: SqliteDatabase
    writing = False

    def __init__(self, database: SqliteDatabase, connection: SqliteConnection) -> None:
        super().__init__(database, connection)
        self.held: list[Write] = []

    async def write(self, statement: Statement, values: Mapping[str, Any] = NO_VALUES) -> None:
        compiled = statement.on(self.database.dialect)
        self.held.append((compiled.sql, compiled.arguments(values)))

    async def _fetch(self, compiled: Compiled, arguments: Sequence[Any]) -> Sequence[Sequence[Any]]:
        if not (compiled.writes or self.held or self.writing):
            return await self.connection.call(_fetch, compiled.sql, arguments)
        return await self._on_the_writer(compiled, arguments, rows=True)  # type: ignore[no-any-return]

    async def _execute(self, compiled: Compiled, arguments: Sequence[Any]) -> int:
        return await self._on_the_writer(compiled, arguments, rows=False)  # type: ignore[no-any-return]

    async def _on_the_writer(self, compiled: Compiled, arguments: Sequence[Any], *, rows: bool) -> Any:
        begin = not self.writing
        if begin:
            self.connection = await self.database.writer()
            self.writing = True
        held, self.held = self._sending(self.held), []
        return await self.connection.call(_write_then, begin, held, compiled.sql, arguments, rows)

    def _sending(self, writes: list[Write]) -> list[Write]:
        for write in writes:
            self.database.starting(*write)
        return writes

    async def _end(self, verb: str) -> None:
        held, self.held = self.held, []
        if verb == "COMMIT" and held and not self.writing:
            await self.database.commit_together(self._sending(held))
            return
        if not self.writing:
            return  # reads only (or a rollback of writes never sent): nothing was begun
        if verb == "COMMIT":
            self._sending(held)
            self.database.starting(verb)
            await self.connection.call(_commit, held, self.database.taking_the_rest())
        else:
            self.database.starting(verb)
            await self.connection.call(_rollback)
        # Only once it went through: after a failure the unit of work's end rolls back first.
        self.writing = False
        self.database.release_writer()
        if verb == "COMMIT":
            self.database.checkpoint_soon()


class SqliteDatabase(Database[SqliteConnection]):
    """Two connections per process, each on a thread of its own: more would only take turns at the
    one core a worker runs on, and each holds a page cache of its own. (A third, on a thread of its
    own too, only checkpoints: see checkpoint_soon.)

    Units of work whose writes need no answer before they commit (creating a task) are committed
    together: whoever is waiting when the writer comes free goes in the same transaction, each
    under its own savepoint, in one call to the writer's thread. Under load that is one COMMIT
    for many of them instead of two thread hops each, one after the other, with the event loop's
    turn in between (group commit, as databases do with their logs).
    """

    dialect = SQLiteDialect_pysqlite()
    inserts_log_themselves = False  # no data-modifying WITH: changes.add_logged holds a second INSERT back

    def __init__(
        self,
        path: str,
        policy: TransactionPolicy,
        *,
        slow_statement_ms: float | None = None,
        checkpoint_every_s: float | None = CHECKPOINT_EVERY_S,
    ) -> None:
        super().__init__(policy, slow_statement_ms=slow_statement_ms)
        self._path = path
        self._reader: SqliteConnection | None = None
        self._writer: SqliteConnection | None = None
        self._checkpointer: SqliteConnection | None = None
        self._checkpoint_every_s = checkpoint_every_s
        self._checkpointed_at: float | None = None
        self._checkpointing: asyncio.Task[None] | None = None
        self._rest_to_checkpoint = False
        self._opening: asyncio.Lock | None = None
        self._write_lock: asyncio.Lock | None = None
        self._waiting: list[tuple[list[Write], asyncio.Future[None]]] = []
        self._committer: asyncio.Task[None] | None = None

    def conflict(self, error: BaseException) -> str | None:
        if isinstance(error, sqlite3.OperationalError) and error.sqlite_errorname in _BUSY:
            return error.sqlite_errorname
        return None

    def is_unique_violation(self, error: BaseException) -> bool:
        return isinstance(error, sqlite3.IntegrityError)

    async def _begin(self, owner_id: str, deadline: float) -> SqliteTransaction:
        """Nothing to send: SQLite has no row-level security, and a transaction starts on first write."""
        reader = self._reader or await self._open_reader(deadline)
        self.checked_out += 1
        transaction = SqliteTransaction(self, reader)
        transaction.begun = True
        return transaction

    async def end(self, transaction: Transaction[SqliteConnection]) -> None:
        assert isinstance(transaction, SqliteTransaction)
        transaction.held.clear()
        try:
            if transaction.writing:
                await asyncio.shield(self._roll_back(transaction))
        finally:
            self.checked_out -= 1

    async def writer(self) -> SqliteConnection:
        """The writing connection, once the caller holds the process's write lock."""
        self._write_lock = self._write_lock or asyncio.Lock()
        await self._write_lock.acquire()
        try:
            if self._writer is None:
                self._writer = await SqliteConnection.open(self._path, "writer")
        except BaseException:
            self._write_lock.release()
            raise
        return self._writer

    def release_writer(self) -> None:
        assert self._write_lock is not None
        self._write_lock.release()

    async def commit_together(self, writes: list[Write]) -> None:
        """Commit one unit of work's writes with those of everyone else waiting; return once they
        are committed, or raise what kept them from it.

        The group is committed by a task of its own, so a request that is cancelled while it waits
        cannot stop the others' commit (its own writes may still land, as a COMMIT already sent)."""
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((writes, done))
        if self._committer is None:
            self._committer = asyncio.create_task(self._commit_groups())
        await done

    async def _commit_groups(self) -> None:
        try:
            while self._waiting:
                group, self._waiting = self._waiting, []
                try:
                    await self._commit_group(group)
                except Exception as error:  # the transaction failed: none of the group was kept
                    _settle(group, error)
                except BaseException:
                    _settle(group, None)
                    raise
        finally:
            self._committer = None

    async def _commit_group(self, group: list[tuple[list[Write], asyncio.Future[None]]]) -> None:
        writer = await self.writer()
        try:
            started = self.starting("COMMIT")
            groups = [writes for writes, _ in group]
            outcomes = await writer.call(_commit_group, groups, self.taking_the_rest())
            self.finished("COMMIT", started)
        finally:
            self.release_writer()
        self.checkpoint_soon()
        for (_, done), outcome in zip(group, outcomes, strict=True):
            if not done.done():
                if outcome is None:
                    done.set_result(None)
                else:
                    done.set_exception(outcome)

    def checkpoint_soon(self) -> None:
        """After a commit: checkpoint in the background, unless one runs or ran a moment ago.

        SQLite's own checkpoint runs in the writer's COMMIT once the WAL holds 1,000 pages. Under
        load that is often, and every write waits for it: each new task goes into several indexes,
        each on a page of its owner's, and copying those pages is most of what a creation costs
        the database. Here the copying is done on a connection of its own, writers going on
        meanwhile (SQLite's "application-initiated checkpoints", https://sqlite.org/wal.html), and
        at most once a second, so a page written many times since is copied once. The writer then
        copies the few pages written during that, right after its next COMMIT: the WAL is then
        wholly in the database, and the next write starts it again from its beginning instead of
        growing it. (The task takes no lock: one that outlived its event loop would hold it.)
        """
        every, last = self._checkpoint_every_s, self._checkpointed_at
        if every is None:
            return  # SQLite's own checkpoints only
        loop = asyncio.get_running_loop()
        running = self._checkpointing
        if running is not None and not running.done() and running.get_loop() is loop:
            return
        if last is None or loop.time() - last >= every:
            self._checkpointing = loop.create_task(self._checkpoint(), name="sqlite checkpoint")

    async def _checkpoint(self) -> None:
        try:
            self._checkpointer = self._checkpointer or await SqliteConnection.open(self._path, "checkpointer")
            busy = await self._checkpointer.call(_checkpoint)
            # Kept from finishing (another process checkpointing): the writer would only copy the
            # whole WAL itself, under its lock, which is what this is here to spare it.
            self._rest_to_checkpoint = not busy
        except Exception:  # the WAL only grows meanwhile, up to where the writer checkpoints itself
            log.warning("SQLite checkpoint failed", exc_info=True)
            broken, self._checkpointer = self._checkpointer, None  # the next one opens afresh
            if broken is not None:
                with contextlib.suppress(Exception):
                    await broken.close()
        finally:
            self._checkpointed_at = asyncio.get_running_loop().time()

    def taking_the_rest(self) -> bool:
        """Whether the writer's next COMMIT is to be followed by its share of a checkpoint."""
        rest, self._rest_to_checkpoint = self._rest_to_checkpoint, False
        return rest

    async def _roll_back(self, transaction: SqliteTransaction) -> None:
        """After an error or a cancellation: a statement may still be running in the writer's
        thread, and the rollback queues behind it there. A writer that cannot roll back is closed."""
        connection = transaction.connection
        try:
            await connection.call(_rollback)
        except Exception:
            self._writer = None
            with contextlib.suppress(Exception):
                await connection.close()
        finally:
            transaction.open = transaction.writing = False
            self.release_writer()

    async def _open_reader(self, deadline: float) -> SqliteConnection:
        self._opening = self._opening or asyncio.Lock()
        async with asyncio.timeout_at(deadline), self._opening:
            if self._reader is None:
                self._reader = await SqliteConnection.open(self._path, "reader")
        return self._reader

    async def ping(self) -> None:
        loop = asyncio.get_running_loop()
        reader = self._reader or await self._open_reader(loop.time() + self.policy.begin_deadline_seconds)
        await reader.call(_fetch, "SELECT 1", ())

    async def close(self) -> None:
        """Close both connections, once any group commit under way is done; they open again if the
        database is used after."""
        if self._committer is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._committer)
        running, self._checkpointing = self._checkpointing, None
        if running is not None and running.get_loop() is asyncio.get_running_loop():
            await asyncio.wait({running})  # it logs its own failure, and may have been cancelled
        for connection in (self._reader, self._writer, self._checkpointer):
            if connection is not None:
                await connection.close()
        self._reader = self._writer = self._checkpointer = None


def _settle(group: list[tuple[list[Write], asyncio.Future[None]]], error: Exception | None) -> None:
    """Every unit of work of a group that could not be committed hears why, each with its own copy
    of the error; with none (the committer was cancelled, at shutdown), it is cancelled."""
    for _, done in group:
        if done.done():
            continue
        if error is None:
            done.cancel()
        else:
            done.set_exception(copy.copy(error))

"""A private PgBouncer in transaction mode on loopback, in front of the test PostgreSQL.

It stands in for Neon's `-pooler` endpoint (../shared/FIELD-NOTES.md). Debian's 1.18 has no
prepared-statement tracking, which makes it the strictest case. The process belongs to the test
session: its own ini in its own directory, a free port, stopped at the end. The system service
(if the package started one) is never touched.
"""

from __future__ import annotations

import asyncio
import csv
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.support.databases import IN_CI, asyncpg_dsn, off_loop

POOL_SIZE = 5
MAX_CLIENT_CONN = 500
INSTALL_HINT = "run .ci/install-pgbouncer (apt-get install pgbouncer)"
_START_TIMEOUT_S = 15.0
_STOP_TIMEOUT_S = 10.0
# PgBouncer refuses to run as root; it drops to this user (`-u`) when started by root.
_UNPRIVILEGED_USERS = ("postgres", "nobody")


def pgbouncer_binary() -> str | None:
    """Debian installs it in /usr/sbin, which is not on every user's PATH."""
    found = shutil.which("pgbouncer")
    if found:
        return found
    return "/usr/sbin/pgbouncer" if os.access("/usr/sbin/pgbouncer", os.X_OK) else None


def require_pgbouncer() -> str:
    """The pgbouncer executable; under CI a missing one fails instead of skipping."""
    binary = pgbouncer_binary()
    if binary:
        return binary
    if IN_CI:
        pytest.fail(f"CI=true but pgbouncer is not installed: {INSTALL_HINT}")
    pytest.skip(f"pgbouncer is not installed: {INSTALL_HINT}")


@dataclass(frozen=True, slots=True)
class PgBouncer:
    host: str
    port: int
    directory: Path
    process: subprocess.Popen[bytes]
    admin_user: str

    def through(self, url: str) -> str:
        """The same database, user and parameters, reached through this PgBouncer."""
        return make_url(url).set(host=self.host, port=self.port).render_as_string(hide_password=False)

    def show(self, what: str) -> list[dict[str, str]]:
        """Rows of the admin console's `SHOW <what>` (CONFIG, POOLS, ...)."""
        header, *rows = csv.reader(self._console(f"SHOW {what}").splitlines())
        return [dict(zip(header, row, strict=True)) for row in rows]

    def _console(self, command: str) -> str:
        """Run a command on the admin console with psql: the console speaks only the simple query
        protocol, over which asyncpg cannot fetch rows."""
        psql = shutil.which("psql")
        if psql is None:
            raise RuntimeError("psql is not installed (Debian: postgresql-client)")
        connection = ["-h", self.host, "-p", str(self.port), "-U", self.admin_user, "-d", "pgbouncer"]
        answer = subprocess.run(
            [psql, "-X", "--csv", *connection, "-c", command],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return answer.stdout

    def log(self) -> str:
        path = self.directory / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def allow_user(self, name: str, password: str = "") -> None:
        """Let another role in (trust auth still needs it in auth_file), e.g. an RLS test's ordinary
        role; the password is what PgBouncer uses to log in to PostgreSQL, if it asks."""
        with (self.directory / "userlist.txt").open("a") as users:
            users.write(f"{_quoted(name)} {_quoted(password)}\n")
        self._console("RELOAD")  # rereads the ini and auth_file before it answers


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ini(
    *, port: int, directory: Path, server_host: str, server_port: int, admin: str, pool_size: int
) -> str:
    return f"""\
[databases]
* = host={server_host} port={server_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
logfile = {directory / "pgbouncer.log"}
pidfile = {directory / "pgbouncer.pid"}
auth_type = trust
auth_file = {directory / "userlist.txt"}
admin_users = {admin}
stats_users = {admin}
pool_mode = transaction
default_pool_size = {pool_size}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = {MAX_CLIENT_CONN}
max_db_connections = 0
server_reset_query =
server_check_delay = 0
ignore_startup_parameters = extra_float_digits,statement_timeout,idle_in_transaction_session_timeout,options
"""


def _owner_for_process() -> str | None:
    """The user PgBouncer should switch to: none needed unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in _UNPRIVILEGED_USERS:
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError(f"running as root and none of the users {_UNPRIVILEGED_USERS} exists for pgbouncer -u")


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


async def _select_one(dsn: str) -> None:
    connection = await asyncpg.connect(dsn, statement_cache_size=0, timeout=5)
    try:
        await connection.execute("SELECT 1")  # simple query protocol: nothing to prepare
    finally:
        await connection.close()


def _start(binary: str, server_url: str, directory: Path, pool_size: int = POOL_SIZE) -> PgBouncer:
    server = make_url(server_url)
    user = server.username or "postgres"
    port = _free_port()
    users = directory / "userlist.txt"
    users.write_text(f"{_quoted(user)} {_quoted(server.password or '')}\n")
    users.chmod(0o600)  # it may hold the server password; the directory itself is world-readable
    (directory / "pgbouncer.ini").write_text(
        _ini(
            port=port,
            directory=directory,
            server_host=server.host or "127.0.0.1",
            server_port=server.port or 5432,
            admin=user,
            pool_size=pool_size,
        )
    )
    command = [binary]
    owner = _owner_for_process()
    if owner:
        entry = pwd.getpwnam(owner)
        for path in (directory, *directory.iterdir()):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        command += ["-u", owner]
    command.append(str(directory / "pgbouncer.ini"))
    with (directory / "stderr.log").open("wb") as stderr:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr)
    bouncer = PgBouncer(host="127.0.0.1", port=port, directory=directory, process=process, admin_user=user)

    deadline = time.monotonic() + _START_TIMEOUT_S
    while not _accepts(port):
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(bouncer)
            raise RuntimeError(f"pgbouncer did not listen on 127.0.0.1:{port}{_diagnostics(bouncer)}")
        time.sleep(0.05)
    try:
        off_loop(asyncio.run, _select_one(asyncpg_dsn(bouncer.through(server_url))))
    except (OSError, asyncpg.PostgresError) as error:
        _stop(bouncer)
        message = f"pgbouncer does not pass queries through: {error!r}{_diagnostics(bouncer)}"
        raise RuntimeError(message) from error
    return bouncer


def _diagnostics(bouncer: PgBouncer) -> str:
    stderr = (bouncer.directory / "stderr.log").read_text(errors="replace")
    return f"\n--- pgbouncer stderr ---\n{stderr}\n--- pgbouncer log ---\n{bouncer.log()}"


def _stop(bouncer: PgBouncer) -> None:
    """SIGTERM is PgBouncer's immediate shutdown; SIGINT would wait for clients to leave."""
    if bouncer.process.poll() is None:
        bouncer.process.terminate()
        try:
            bouncer.process.wait(timeout=_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            bouncer.process.kill()
            bouncer.process.wait()


def _start_on_a_free_port(
    binary: str, server_url: str, directory: Path, attempts: int = 3, pool_size: int = POOL_SIZE
) -> PgBouncer:
    """Another process may take the free port between the probe and PgBouncer's bind: try again."""
    failures = []
    for _ in range(attempts):
        try:
            return _start(binary, server_url, directory, pool_size)
        except RuntimeError as error:
            failures.append(str(error))
    pytest.fail(f"pgbouncer did not start in {attempts} attempts:\n" + "\n\n".join(failures))


@contextmanager
def running_pgbouncer(server_url: str, pool_size: int = POOL_SIZE) -> Iterator[PgBouncer]:
    """Start a private PgBouncer in front of the server of `server_url`, stop it after.

    `pool_size` is its server connections per database and user (the benchmark's pools need 20).

    Skips when pgbouncer is not installed, except under CI; a PgBouncer that is installed but does
    not start fails everywhere, with its logs.
    """
    binary = require_pgbouncer()
    directory = Path(tempfile.mkdtemp(prefix="tasks-pgbouncer-"))
    directory.chmod(0o755)  # traversable by the user pgbouncer switches to
    try:
        bouncer = _start_on_a_free_port(binary, server_url, directory, pool_size=pool_size)
        try:
            yield bouncer
        finally:
            _stop(bouncer)
    finally:
        shutil.rmtree(directory, ignore_errors=True)

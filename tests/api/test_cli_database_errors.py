"""`tasks migrate` and `tasks serve` on a database they cannot use: one line that says what failed
(the URL's password masked) and what to do, exit status 2, never a traceback; and `serve` refuses
a schema behind this release, and warns about a role that row-level security does not bind."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.support.databases import fresh_postgres_database, migrate, require_postgres
from tests.support.served import TASKS, clean_environment, free_port, served

pytestmark = pytest.mark.postgres
SECRET = "a-secret-for-the-command-line-tests-0123456789"


def _run(command: str, url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = clean_environment(DATABASE_URL=url, AUTH_JWT_SECRET=SECRET, DATABASE_CONNECT_TIMEOUT_SECONDS="2")
    return subprocess.run(
        [TASKS, command], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("tasks: ")
    return lines[0]


def _plain(url: str, **changes: object) -> str:
    return make_url(url).set(drivername="postgresql", **changes).render_as_string(hide_password=False)


@pytest.mark.parametrize("command", ["migrate", "serve"])
def test_a_missing_database_is_one_line_that_says_how_to_create_it(tmp_path: Path, command: str) -> None:
    name = f"tasks_missing_{uuid.uuid4().hex[:8]}"
    url = _plain(require_postgres(), database=name)

    line = _one_line(_run(command, url, tmp_path))

    assert f'database "{name}" does not exist' in line
    assert f'CREATE DATABASE "{name}"' in line
    assert "tasks migrate" in line


@pytest.mark.parametrize("command", ["migrate", "serve"])
def test_a_refused_login_is_one_line_with_the_password_masked(tmp_path: Path, command: str) -> None:
    url = _plain(require_postgres(), username=f"nobody_{uuid.uuid4().hex[:6]}", password="hunter2-secret")

    line = _one_line(_run(command, url, tmp_path))

    assert "hunter2-secret" not in line
    assert ":***@" in line
    assert "user name and password" in line


@pytest.mark.parametrize("command", ["migrate", "serve"])
def test_an_unreachable_server_is_one_line(tmp_path: Path, command: str) -> None:
    url = _plain(require_postgres(), port=free_port())

    line = _one_line(_run(command, url, tmp_path))

    assert "nothing answers at that host and port" in line


@pytest.mark.parametrize("command", ["migrate", "serve"])
def test_a_certificate_that_does_not_verify_is_one_line(tmp_path: Path, command: str) -> None:
    # The test server's certificate is self-signed (.ci/enable-postgres-tls), so verify-full fails;
    # without TLS on the server the failure is another one, still one line.
    url = _plain(require_postgres(), query={"sslmode": "verify-full"})

    line = _one_line(_run(command, url, tmp_path))

    assert "cannot use the database at" in line
    assert "TLS" in line or "connection failed" in line


@pytest.mark.parametrize(
    ("revision", "said"),
    [(None, "no schema yet"), ("0008", "at 0008, behind")],
    ids=["never-migrated", "behind"],
)
def test_serve_refuses_a_schema_behind_this_release(tmp_path: Path, revision: str | None, said: str) -> None:
    with fresh_postgres_database(require_postgres()) as url:
        if revision is not None:
            migrate(url)
            update = f"UPDATE alembic_version SET version_num = '{revision}'"
            subprocess.run(["psql", _plain(url), "-qc", update], check=True)
        line = _one_line(_run("serve", _plain(url), tmp_path))

    assert said in line
    assert "run `tasks migrate`" in line


def test_serving_as_a_superuser_warns_that_row_level_security_does_not_apply(tmp_path: Path) -> None:
    with fresh_postgres_database(require_postgres()) as url:
        migrate(url)
        env = clean_environment(DATABASE_URL=_plain(url), AUTH_JWT_SECRET=SECRET)
        with served(tmp_path, env):
            pass
    log = "\n".join(path.read_text() for path in tmp_path.glob("tasks-serve-*.log"))

    assert "superuser or has BYPASSRLS" in log
    assert "Row-level security: connect as an ordinary role" in log

"""The real `tasks` command over TCP: with no configuration, and on PostgreSQL after `tasks migrate`."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.databases import fresh_postgres_database, require_postgres
from tests.support.served import TASKS, clean_environment, served


def _token(cwd: Path, env: dict[str, str], sub: str) -> str:
    result = subprocess.run(
        [TASKS, "token", sub], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def _newcomer_flow(base_url: str, token: str) -> None:
    """Create, list, toggle and delete, as the README shows."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as http:
        created = http.post("/api/v1/tasks", json={"title": "Buy milk", "tags": ["Home"]})
        assert created.status_code == 201, created.text
        task_id = created.json()["id"]
        assert [item["id"] for item in http.get("/api/v1/tasks").json()["items"]] == [task_id]
        toggled = http.post(f"/api/v1/tasks/{task_id}/toggle")
        assert toggled.json()["completed"] is True
        assert http.delete(f"/api/v1/tasks/{task_id}").status_code == 204
        assert http.get("/api/v1/tasks").json() == {"items": [], "next_cursor": None}
        assert http.get("/api/v1/tasks", headers={"Authorization": "Bearer forged"}).status_code == 401


def test_with_no_configuration_the_service_runs_on_an_embedded_sqlite_file(tmp_path: Path) -> None:
    env = clean_environment()

    with served(tmp_path, env) as base_url:
        _newcomer_flow(base_url, _token(tmp_path, env, "newcomer"))

    secret = tmp_path / "data" / ".tasks-jwt-secret"
    assert (tmp_path / "data" / "tasks.db").is_file()
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600


def test_a_token_from_before_a_restart_still_works_after_it(tmp_path: Path) -> None:
    env = clean_environment()
    with served(tmp_path, env):
        token = _token(tmp_path, env, "returning")

    with served(tmp_path, env) as base_url:
        answer = httpx.get(f"{base_url}/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})

    assert answer.status_code == 200


@pytest.mark.postgres
def test_on_postgresql_the_service_migrates_and_serves_the_same_flows(tmp_path: Path) -> None:
    with fresh_postgres_database(require_postgres()) as url:
        plain_url = url.replace("postgresql+asyncpg://", "postgresql://", 1)
        env = clean_environment(
            DATABASE_URL=plain_url, AUTH_JWT_SECRET="a-postgres-secret-of-at-least-thirty-two-bytes"
        )
        subprocess.run([TASKS, "migrate"], cwd=tmp_path, env=env, check=True, capture_output=True)

        with served(tmp_path, env) as base_url:
            _newcomer_flow(base_url, _token(tmp_path, env, "postgres-user"))


@pytest.mark.parametrize("secret", ["too-short", ""])
def test_a_secret_under_32_bytes_is_refused_at_start_with_a_message_not_a_traceback(
    tmp_path: Path, secret: str
) -> None:
    env = clean_environment(DATABASE_URL="postgresql://postgres@127.0.0.1:5432/test", AUTH_JWT_SECRET=secret)

    result = subprocess.run(
        [TASKS, "serve"], check=False, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30
    )

    assert result.returncode == 2
    assert "AUTH_JWT_SECRET" in result.stderr
    assert "Traceback" not in result.stderr


def test_on_postgresql_without_a_secret_the_service_refuses_to_start_and_says_what_to_set(
    tmp_path: Path,
) -> None:
    env = clean_environment(DATABASE_URL="postgresql://postgres@127.0.0.1:5432/test")

    result = subprocess.run(
        [TASKS, "serve"], check=False, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30
    )

    assert result.returncode == 2
    assert "AUTH_JWT_SECRET" in result.stderr


def test_the_served_process_believes_no_x_forwarded_for_unless_told_and_tasks_purge_runs(
    tmp_path: Path,
) -> None:
    """uvicorn on its own would believe X-Forwarded-For from 127.0.0.1; `tasks serve` does not."""
    env = clean_environment(AUTH_LOGIN_RATE_PER_ADDRESS="2/minute", HTTP_TRUSTED_PROXIES="")

    with served(tmp_path, env) as base_url, httpx.Client(base_url=base_url, timeout=10) as http:
        answers = [
            http.post(
                "/api/v1/auth/token",
                data={"username": f"user{i}@example.com", "password": "wrong password"},
                headers={"X-Forwarded-For": f"203.0.113.{i}"},
            )
            for i in range(3)
        ]
    purged = subprocess.run(
        [TASKS, "purge"], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )

    assert [answer.status_code for answer in answers] == [401, 401, 429]
    assert purged.returncode == 0, purged.stderr
    assert purged.stdout.startswith("purged 0 expired idempotency keys, ")


def test_tasks_data_dir_puts_the_database_and_the_secret_in_one_place_whatever_the_working_directory(
    tmp_path: Path,
) -> None:
    data, here, there = tmp_path / "store", tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()
    env = clean_environment(TASKS_DATA_DIR=str(data))

    first = subprocess.run(
        [TASKS, "token", "ada"], cwd=here, env=env, capture_output=True, text=True, check=True
    )
    again = subprocess.run(
        [TASKS, "token", "ada"], cwd=there, env=env, capture_output=True, text=True, check=True
    )
    with served(there, env) as base_url:
        answer = httpx.get(
            f"{base_url}/api/v1/tasks",
            headers={"Authorization": f"Bearer {first.stdout.strip()}"},
            timeout=10,
        )

    assert f"created a new token-signing secret in {data / '.tasks-jwt-secret'}" in first.stderr
    assert "created" not in again.stderr  # the same secret, found from another folder
    assert answer.status_code == 200
    assert (data / "tasks.db").is_file()
    assert not (here / "data").exists()
    assert not (there / "data").exists()


def test_migrate_ends_its_line_and_serve_with_two_workers_on_sqlite_says_where_it_serves(
    tmp_path: Path,
) -> None:
    env = clean_environment()
    migrated = subprocess.run(
        [TASKS, "migrate"], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    )

    with served(tmp_path, env, "--workers", "2") as base_url:
        pass
    log = "\n".join(path.read_text() for path in tmp_path.glob("tasks-serve-*.log"))

    assert migrated.stdout == "migrated sqlite+aiosqlite:///data/tasks.db to head\n"
    assert f"Uvicorn running on {base_url}" in log

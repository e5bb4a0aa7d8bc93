"""Each app made by create_app answers from its own container, whatever other apps exist."""

import subprocess
import sys
from pathlib import Path

import httpx

from entrypoints.http.app import create_app
from tests.support.app import test_settings


async def test_an_app_keeps_its_own_database_after_another_app_is_built(client: httpx.AsyncClient) -> None:
    create_app(test_settings("postgresql+asyncpg://postgres@127.0.0.1:1/none"))

    response = await client.get("/health/ready")

    assert response.status_code == 200


def test_a_service_on_sqlite_loads_no_postgresql_driver_no_jwks_client_and_no_mcp_sdk(tmp_path: Path) -> None:
    """One worker's memory is part of what it costs: drivers, clients and the MCP SDK load for what
    is used."""
    probe = f"""
import sys
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
url = "sqlite:///{tmp_path / "tasks.db"}"
app = create_app(Settings(_env_file=None, database_url=url, auth_jwt_secret="{"s" * 40}"))
app.state.container.adapters.database()
app.state.container.adapters.token_verifier()
unused = ("asyncpg", "httpx", "adapters.sqlmodel.postgres", "mcp")
print(sorted(name for name in unused if name in sys.modules))
"""
    project = Path(__file__).parents[2]
    run = [sys.executable, "-c", probe]
    loaded = subprocess.run(run, capture_output=True, text=True, check=True, cwd=project)

    assert loaded.stdout.strip() == "[]", loaded.stderr

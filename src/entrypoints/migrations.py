"""Run Alembic's migrations from code, with the URL the settings give."""

from pathlib import Path

from alembic import command
from alembic.config import Config


def _home() -> Path:
    """Where alembic.ini and alembic/ are: packaged beside this module in a wheel, else the checkout."""
    packaged = Path(__file__).resolve().parent / "_alembic"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2]


def alembic_config(database_url: str) -> Config:
    home = _home()
    config = Config(str(home / "alembic.ini"))
    config.set_main_option("script_location", str(home / "alembic"))
    config.attributes["database_url"] = database_url
    return config


def upgrade_to_head(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")

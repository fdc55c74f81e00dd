"""Run the Alembic migrations programmatically (CLI, start-up and tests share this)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, make_url

from app.db import normalise_url

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str, connection: Connection | None = None) -> Config:
    """Alembic config pointing at our migrations, for this database."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _ensure_sqlite_dir(url: str) -> None:
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def upgrade(url: str) -> None:
    """Bring the database to the latest schema (creating the SQLite file's folder if needed)."""
    _ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), "head")


def check(url: str) -> None:
    """Raise when the models and the migrations disagree (drift)."""
    command.check(alembic_config(url))

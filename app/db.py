"""Engine and sessions: SQLite (WAL, foreign keys) by default, PostgreSQL via psycopg 3."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from app.config import Settings


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgresql:// URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(settings: Settings) -> Engine:
    """Build the engine for the configured database."""
    url = normalise_url(settings.resolved_database_url)
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def is_postgres(engine: Engine) -> bool:
    """True when the engine talks to PostgreSQL (row locks with SKIP LOCKED available)."""
    return engine.dialect.name == "postgresql"


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """Commit the session when the block succeeds, roll it back when it raises, close it either way."""
    with session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def session_scope(engine: Engine) -> AbstractContextManager[Session]:
    """A unit of work outside a request (worker, CLI): commit on success, roll back on error."""
    return unit_of_work(Session(engine, expire_on_commit=False))


def create_scratch_database(base_url: str, prefix: str = "mou_scratch") -> str:
    """A fresh, uniquely named PostgreSQL database next to `base_url` (tests and benchmarks); its URL."""
    url = make_url(normalise_url(base_url))
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa_create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_scratch_database(base_url: str, url: str) -> None:
    """Drop a database made by create_scratch_database."""
    name = make_url(url).database
    admin = sa_create_engine(make_url(normalise_url(base_url)), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()

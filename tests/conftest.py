"""Shared fixtures: a database built by the Alembic migrations (SQLite, and PostgreSQL when
MOU_TEST_DATABASE_URL is set), each test inside a rolled-back transaction, and the app over it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from app.accounts import security
from app.accounts import service as accounts
from app.config import Settings
from app.db import create_scratch_database, drop_scratch_database, make_engine
from app.main import create_app
from app.migrate import upgrade
from app.models import Role, Team, User

PG_URL = os.environ.get("MOU_TEST_DATABASE_URL")
# Minimum-cost argon2 for the suite: tests are about behaviour, not hash strength (the real parameters
# cost ~0.5 s a hash on a busy 2-core machine, and the `world` fixture hashes seven passwords).
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PG_SKIP = "PostgreSQL run skipped: set MOU_TEST_DATABASE_URL (CI does) to run these tests on PostgreSQL too"


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """Argon2 (still argon2id) with minimal cost; verification reads parameters from the hash."""
    monkeypatch.setattr(security, "_hasher", CHEAP_HASHER)


@pytest.fixture(scope="session")
def make_database(tmp_path_factory) -> Iterator[Callable[[str], str]]:
    """Factory: a new migrated database of the given kind ("sqlite" or "postgresql"), returns its URL."""
    made: list[str] = []

    def _make(kind: str) -> str:
        if kind == "postgresql":
            if not PG_URL:
                pytest.skip(PG_SKIP)
            url = create_scratch_database(PG_URL, "mou_test")
            made.append(url)
        else:
            url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'mou.db'}"
        upgrade(url)
        return url

    yield _make
    for url in made:
        drop_scratch_database(PG_URL or "", url)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, make_database) -> str:
    """The migrated database the suite runs on; every DB test runs once per kind."""
    return make_database(request.param)


@pytest.fixture(scope="session")
def engine(database_url: str, tmp_path_factory) -> Iterator[Engine]:
    """Engine over the session's migrated database."""
    settings = Settings(_env_file=None, database_url=database_url, data_dir=tmp_path_factory.mktemp("data"))
    eng = make_engine(settings)
    yield eng
    eng.dispose()


@pytest.fixture
def db_conn(engine: Engine) -> Iterator[Connection]:
    """One connection in an outer transaction that is rolled back after the test."""
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


@pytest.fixture
def session_factory(db_conn: Connection) -> Callable[[], Session]:
    """Sessions joined to the test transaction: their commits become savepoints."""
    return lambda: Session(bind=db_conn, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def session(session_factory) -> Iterator[Session]:
    """A session for arranging and asserting in tests."""
    with session_factory() as s:
        yield s


def suite_settings(database_url: str, data_dir: Path) -> Settings:
    """Settings for tests: memory mail backend, its own data dir, no in-process worker."""
    return Settings(
        _env_file=None,
        database_url=database_url,
        data_dir=data_dir,
        secret_key="test-secret-key-for-the-suite",
        mail_backend="memory",
        worker_in_process=False,
        internal_domains=["acme-sales.example", "mou-assistant.example"],
        from_address="MOU Assistant <assistant@mou-assistant.example>",
        inbound_address="mou@inbound.mou-assistant.example",
    )


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for one test (see suite_settings)."""
    return suite_settings(database_url, tmp_path / "data")


@pytest.fixture
def app(settings: Settings, session_factory):
    """The application over the test transaction."""
    return create_app(settings, session_factory, run_worker=False)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    """HTTP client for the app (lifespan run)."""
    with TestClient(app) as c:
        yield c


@dataclass
class Person:
    """A user in the test world with an API token and auth headers."""

    user: User
    token: str
    password: str = "correct horse battery staple"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class World:
    """Two teams, each with a manager and two reps, plus an admin."""

    team_a: Team
    team_b: Team
    admin: Person
    manager_a: Person
    manager_b: Person
    rep_a1: Person
    rep_a2: Person
    rep_b1: Person


def make_person(session: Session, email: str, name: str, role: str, team: Team | None) -> Person:
    """Create a user with a password and a token."""
    password = "correct horse battery staple"
    user = accounts.create_user(session, email=email, name=name, role=role, team=team, password=password)
    _, token = accounts.issue_token(session, user)
    return Person(user=user, token=token, password=password, headers={"Authorization": f"Bearer {token}"})


def build_world(session: Session) -> World:
    """Create the test organisation and commit it."""
    team_a = accounts.create_team(session, "Enterprise East", "structured")
    team_b = accounts.create_team(session, "Mid-Market West", "conversational")
    w = World(
        team_a=team_a,
        team_b=team_b,
        admin=make_person(session, "admin@acme-sales.example", "Ada Admin", Role.admin, None),
        manager_a=make_person(
            session, "maria.manager@acme-sales.example", "María Núñez", Role.manager, team_a
        ),
        manager_b=make_person(session, "mark.manager@acme-sales.example", "Mark Boss", Role.manager, team_b),
        rep_a1=make_person(session, "dana.whitfield@acme-sales.example", "Dana Whitfield", Role.rep, team_a),
        rep_a2=make_person(session, "leo.park@acme-sales.example", "Leo Park", Role.rep, team_a),
        rep_b1=make_person(session, "sam.reed@acme-sales.example", "Sam Reed", Role.rep, team_b),
    )
    session.commit()
    return w


@pytest.fixture
def world(session: Session) -> World:
    """A small organisation to test scoping and flows against."""
    return build_world(session)

"""Delivery fixtures: a real aiosmtpd server, a fresh migrated database per test and a small sales org."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.accounts import service as accounts
from app.config import Settings
from app.db import make_engine
from app.models import Mou, Role, Team, User


@dataclass
class Received:
    """One message as the SMTP server got it."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes


@dataclass
class Handler:
    """Collects envelopes; `rcpt_reply` / `data_reply` let a test make the server refuse."""

    received: list[Received] = field(default_factory=list)
    sessions: int = 0
    rcpt_reply: Callable[[str], str | None] = lambda address: None
    data_reply: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.rcpt_reply(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
        return "250 Message accepted for delivery"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    """A real SMTP server on a fixed port that a test can stop and start again (outages)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.handler = Handler()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, data_size_limit=None)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A running aiosmtpd server collecting envelopes."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, make_database) -> str:
    """A fresh migrated database for one test (the worker commits, so no rollback trick)."""
    return make_database(request.param)


def delivery_settings(db_url: str, data_dir: Path, port: int, **overrides) -> Settings:
    """Settings pointing the SMTP backend at the test server, with quick retries."""
    values = {
        "database_url": db_url,
        "data_dir": data_dir,
        "mail_backend": "smtp",
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_timeout": 5.0,
        "worker_in_process": False,
        "worker_poll_seconds": 0.05,
        "delivery_backoff_seconds": 0.1,
        "delivery_max_attempts": 20,
        "from_address": "MOU Assistant <assistant@mou-assistant.example>",
        "inbound_address": "mou@inbound.mou-assistant.example",
        "base_url": "https://mou.acme-sales.example",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def dsettings(db_url: str, tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    """Delivery settings for the test database and SMTP server."""
    return delivery_settings(db_url, tmp_path / "data", smtp_server.port)


@pytest.fixture
def db_engine(dsettings: Settings) -> Iterator[Engine]:
    """Engine over the fresh database."""
    engine = make_engine(dsettings)
    yield engine
    engine.dispose()


@pytest.fixture
def factory(db_engine: Engine) -> Callable[[], Session]:
    """Session factory for the worker and the test."""
    return lambda: Session(db_engine, expire_on_commit=False)


@dataclass
class Org:
    """A team with a rep (non-ASCII name) and two managers."""

    team: Team
    rep: User
    managers: list[User]


def make_org(session: Session) -> Org:
    """Create the team, the rep and the managers, committed."""
    team = accounts.create_team(session, "Enterprise East", "structured")
    rep = accounts.create_user(
        session, email="dana@acme-sales.example", name="Dana Ünal-Whitfield", role=Role.rep, team=team
    )
    managers = [
        accounts.create_user(
            session, email="maria@acme-sales.example", name="María Núñez", role=Role.manager, team=team
        ),
        accounts.create_user(
            session, email="mark@acme-sales.example", name="Mark Boss", role=Role.manager, team=team
        ),
    ]
    session.commit()
    return Org(team, rep, managers)


@pytest.fixture
def org(factory) -> Org:
    """The sales org in the fresh database."""
    with factory() as session:
        return make_org(session)


def make_mou(session: Session, org: Org, n: int = 0, **fields) -> Mou:
    """A complete MOU for customer number n."""
    values = {
        "rep_id": org.rep.id,
        "team_id": org.team.id,
        "customer_email": f"customer{n}@northwind.example",
        "customer_name": f"Jörg Müller {n}",
        "company": "Northwind Logistik GmbH",
        "meeting_date": date(2025, 3, 4),
        "situation": "12 depots plan routes in spreadsheets.",
        "goals": "Dispatch in under an hour.",
        "obstacles": "Route data in three systems.",
        "complications": "CFO approval over 50k; budget closes in June.",
        "next_step": "Share route data with our engineer.",
        "next_step_due": date(2025, 3, 14),
        "stage": "research",
        "complete": True,
        "reply_token": f"tok{n:06d}{'x' * 10}",
    }
    values.update(fields)
    mou = Mou(**values)
    session.add(mou)
    session.flush()
    return mou

"""A real server for browser tests: uvicorn on a free port over a fresh migrated SQLite database."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from sqlmodel import Session

from app.accounts import service as accounts
from app.config import Settings
from app.db import make_engine
from app.main import create_app
from app.migrate import upgrade
from app.models import Role

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery staple"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"

pytestmark = pytest.mark.browser


@dataclass
class LiveServer:
    """Where the server listens and who can sign in."""

    url: str
    rep_email: str
    manager_email: str
    settings: Settings


def free_port() -> int:
    """An unused local TCP port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(settings: Settings) -> None:
    """A team with a manager and a rep, who sign in with passwords."""
    engine = make_engine(settings)
    with Session(engine) as session:
        team = accounts.create_team(session, "Enterprise East", "structured")
        accounts.create_user(
            session,
            email="maria@acme-sales.example",
            name="María Núñez",
            role=Role.manager,
            team=team,
            password=PASSWORD,
        )
        accounts.create_user(
            session,
            email="dana@acme-sales.example",
            name="Dana Whitfield",
            role=Role.rep,
            team=team,
            password=PASSWORD,
        )
        session.commit()
    engine.dispose()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    """uvicorn in a thread, serving the app over its own database; stopped after the module."""
    if CHROMIUM is None:
        pytest.skip("Browser tests skipped: Debian's chromium is not installed (apt-get install chromium)")
    data = tmp_path_factory.mktemp("browser-data")
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{data / 'mou.db'}",
        data_dir=data,
        secret_key="browser-test-secret",
        mail_backend="memory",
        worker_in_process=False,
        internal_domains=["acme-sales.example"],
    )
    upgrade(settings.database_url)
    seed(settings)
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, run_worker=False),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    yield LiveServer(
        f"http://127.0.0.1:{port}", "dana@acme-sales.example", "maria@acme-sales.example", settings
    )
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if CHROMIUM is None:
        pytest.skip("Browser tests skipped: Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def shoot():
    """Save a full-page screenshot under test-artifacts/browser/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def _shoot(page, name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return _shoot

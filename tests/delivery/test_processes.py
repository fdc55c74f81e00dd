"""Several `python -m app.delivery.worker` processes on one database: no delivery is sent twice."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from app.db import make_engine
from app.delivery import service
from app.models import Delivery, utcnow
from tests.delivery.conftest import delivery_settings, make_mou, make_org

ROOT = Path(__file__).resolve().parents[2]


def worker_env(url: str, data_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOU_")}
    env.update(
        MOU_DATABASE_URL=url,
        MOU_DATA_DIR=str(data_dir),
        MOU_MAIL_BACKEND="smtp",
        MOU_SMTP_HOST="127.0.0.1",
        MOU_SMTP_PORT=str(port),
        MOU_WORKER_POLL_SECONDS="0.05",
        MOU_DELIVERY_BACKOFF_SECONDS="0.1",
    )
    return env


@pytest.mark.parametrize(
    ("kind", "count"), [("sqlite", 100), pytest.param("postgresql", 500, marks=pytest.mark.postgres)]
)
def test_two_worker_processes_never_send_a_delivery_twice(kind, count, make_database, tmp_path, smtp_server):
    url = make_database(kind)  # PostgreSQL is skipped, with the reason, when MOU_TEST_DATABASE_URL is unset
    settings = delivery_settings(url, tmp_path / "data", smtp_server.port)
    engine = make_engine(settings)
    with Session(engine, expire_on_commit=False) as session:
        org = make_org(session)
        for n in range(count):
            service.enqueue_mou_delivery(session, make_mou(session, org, n), settings=settings)
        # Due a little later, so both processes are up and polling when the work appears.
        session.execute(update(Delivery).values(next_attempt_at=utcnow() + timedelta(seconds=3)))
        session.commit()

    command = [sys.executable, "-m", "app.delivery.worker", "--until-idle"]
    env = worker_env(url, tmp_path / "data", smtp_server.port)
    workers = [subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE) for _ in range(2)]
    for proc in workers:
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err.decode()[-2000:]

    ids = Counter(message_from_bytes(r.content)["Message-ID"] for r in smtp_server.received)
    assert len(ids) == count and set(ids.values()) == {1}
    with Session(engine) as session:
        rows = list(session.exec(select(Delivery)))
    assert {d.status for d in rows} == {"sent"} and {d.attempts for d in rows} == {1}
    assert len({d.claimed_by for d in rows}) == 2  # both processes did part of the work
    engine.dispose()

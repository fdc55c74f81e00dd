"""End to end: an MOU goes out through the outbox, the customer's replies come back through provider
webhooks and thread to it; an overdue next step earns one reminder; two workers send one digest each."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlmodel import Session, func, select

from app.accounts import service as accounts
from app.config import Settings
from app.db import make_engine
from app.delivery.periodic import run_periodic
from app.delivery.service import enqueue_mou_delivery
from app.delivery.worker import run_once
from app.intake import service as intake
from app.intake.submit import MouInput, create_mou
from app.models import CustomerReply, Delivery, JobRun, Mou, Role, Source
from tests.followup.conftest import NORTHWIND, POSTMARK_AUTH, basic, mailgun_fields, reply_email, send_mou

INBOUND = "mou@inbound.mou-assistant.example"


def postmark_payload(msg, recipient: str) -> bytes:
    """Postmark's parsed JSON (no RawEmail), threading headers only in its Headers list."""
    headers = [
        {"Name": k, "Value": str(v)} for k, v in msg.items() if k.lower() in ("message-id", "in-reply-to")
    ]
    return json.dumps(
        {
            "From": msg["From"],
            "FromFull": {"Email": "jordan.alvarez@northwind.example", "Name": "Jordan Alvarez"},
            "To": msg["To"],
            "OriginalRecipient": recipient,
            "Subject": msg["Subject"],
            "MessageID": "b7bc2f4a-e38e-4336-af7d-e6c392c2f817",
            "TextBody": msg.get_content(),
            "HtmlBody": "",
            "Headers": headers,
            "Attachments": [],
        }
    ).encode()


def process(session: Session, settings: Settings) -> None:
    intake.process_pending(session, settings)
    session.commit()
    session.expire_all()


def test_replies_through_two_providers_thread_and_classify(client, session, session_factory, settings, world):
    mou, delivery = send_mou(session, session_factory, settings, world.rep_a1.user)
    assert mou.status == "sent" and delivery.message_id.startswith("<")
    other, _ = send_mou(
        session, session_factory, settings, world.rep_a1.user, customer_email="kim@else.example"
    )

    # Postmark: to the plain inbound address, only In-Reply-To ties it to the MOU.
    confirming = reply_email(
        to=INBOUND,
        subject="Thanks",
        body="Yes, that's an accurate summary. Confirmed.",
        in_reply_to=delivery.message_id,
    )
    answer = client.post(
        "/webhooks/inbound/postmark",
        content=postmark_payload(confirming, INBOUND),
        headers={"Authorization": basic(*POSTMARK_AUTH), "Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    process(session, settings)
    assert session.get(Mou, mou.id).reply_status == "confirmed"

    # Mailgun raw MIME: only the plus-address; no threading headers, an unrelated subject.
    tagged = f"mou+{mou.reply_token}@inbound.mou-assistant.example"
    correcting = reply_email(
        to=tagged,
        subject="one more thing",
        body="Small correction: the budget cycle closes in September, not June.",
    )
    form = {
        "recipient": tagged,
        "sender": "jordan.alvarez@northwind.example",
        "from": correcting["From"],
        "subject": correcting["Subject"],
        "body-mime": correcting.as_string(),
        **mailgun_fields(int(time.time())),
    }
    answer = client.post(
        "/webhooks/inbound/mailgun",
        data=form,
    )
    assert answer.status_code == 200, answer.text
    process(session, settings)

    replies = list(session.exec(select(CustomerReply).order_by(CustomerReply.id)))
    assert [(r.mou_id, r.matched_by, r.classification) for r in replies] == [
        (mou.id, "in_reply_to", "confirmed"),
        (mou.id, "token", "corrected"),
    ]
    assert session.get(Mou, mou.id).reply_status == "corrected"
    assert session.get(Mou, other.id).reply_status == "none"

    listed = client.get(f"/api/mous/{mou.id}/replies", headers=world.rep_a1.headers).json()
    assert listed["reply_status"] == "corrected"
    (mark,) = listed["items"][1]["highlights"]
    assert mark["element"] == "complications"
    assert "September" in " ".join(p["text"] for p in mark["parts"] if p["op"] == "added")
    assert client.get(f"/api/mous/{mou.id}/replies", headers=world.rep_b1.headers).status_code == 404


def test_overdue_next_step_produces_exactly_one_reminder(
    session, session_factory, settings, world, worker_jobs
):
    mou, _ = send_mou(session, session_factory, settings, world.rep_a1.user, next_step_due=date(2026, 3, 14))
    worker_jobs(settings)
    with time_machine.travel(datetime(2026, 3, 17, 8, tzinfo=UTC), tick=False):
        run_periodic(session_factory, force=True)
        run_periodic(session_factory, force=True)
    session.expire_all()
    reminders = session.exec(select(Delivery).where(Delivery.kind == "reminder")).all()
    assert [(d.mou_id, d.recipients) for d in reminders] == [(mou.id, [world.rep_a1.user.email])]


# --- two workers, one digest per manager per week --------------------------------------------------------


def _seed(engine, settings: Settings) -> list[str]:
    """Two teams with a manager each, and one sent MOU with an overdue next step."""
    with Session(engine, expire_on_commit=False) as s:
        managers = []
        for name in ("East", "West"):
            team = accounts.create_team(s, name)
            managers.append(
                accounts.create_user(
                    s,
                    email=f"boss.{name.lower()}@acme-sales.example",
                    name=f"{name} Boss",
                    role=Role.manager,
                    team=team,
                ).email
            )
            rep = accounts.create_user(
                s,
                email=f"rep.{name.lower()}@acme-sales.example",
                name=f"{name} Rep",
                role=Role.rep,
                team=team,
            )
        mou = create_mou(s, rep, MouInput(**{**NORTHWIND, "next_step_due": date(2026, 3, 1)}), Source.api)
        enqueue_mou_delivery(s, mou, settings=settings)
        s.commit()
    run_once(lambda: Session(engine, expire_on_commit=False), settings=settings)
    return managers


def _worker(url: str, settings: Settings, barrier: threading.Barrier, errors: list[BaseException]) -> None:
    """A worker with its own engine: the periodic loop three times, as the real loop would."""
    engine = make_engine(settings.model_copy(update={"database_url": url}))
    factory = lambda: Session(engine, expire_on_commit=False)  # noqa: E731
    try:
        barrier.wait(timeout=30)
        for _ in range(3):
            run_periodic(factory, force=True)
    except BaseException as exc:  # surfaced by the test
        errors.append(exc)
    finally:
        engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_two_workers_send_one_digest_per_manager_and_one_reminder(kind, make_database, tmp_path, worker_jobs):
    url = make_database(kind)  # a fresh database both workers share (skips PostgreSQL when not configured)
    settings = Settings(_env_file=None, database_url=url, data_dir=tmp_path, mail_backend="memory")
    engine = make_engine(settings)
    managers = _seed(engine, settings)
    worker_jobs(settings)
    errors: list[BaseException] = []
    with time_machine.travel(datetime(2026, 3, 16, 7, 30, tzinfo=UTC), tick=True):
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=_worker, args=(url, settings, barrier, errors)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        _worker(url, settings, threading.Barrier(1), errors)  # a restarted worker later that week
    assert errors == []
    with Session(engine) as s:
        digests = s.exec(select(Delivery).where(Delivery.kind == "digest")).all()
        assert sorted(d.recipients[0] for d in digests) == sorted(managers)
        assert s.exec(select(func.count()).select_from(JobRun).where(JobRun.name == "digest")).one() == 2
        reminders = s.exec(select(Delivery).where(Delivery.kind == "reminder")).all()
        assert len(reminders) == 1
        body = next(d for d in digests if d.recipients == [managers[1]]).raw.decode("utf-8", "replace")
        assert "Customer next steps overdue: 1" in body
    engine.dispose()

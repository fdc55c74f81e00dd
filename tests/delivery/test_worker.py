"""The outbox against a real SMTP server: volume, outages, failures, stale claims, concurrent workers."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes, policy
from types import SimpleNamespace

import pytest
from sqlmodel import select

from app.delivery import claims, periodic, service, worker
from app.delivery.claims import claim_next, mark_stale
from app.delivery.periodic import register_periodic, run_periodic
from app.delivery.worker import run_once, run_worker, start_in_process_worker
from app.models import Delivery, Mou, MouStatus, utcnow
from tests.delivery.conftest import delivery_settings, make_mou


def enqueue_many(factory, org, settings, count: int) -> list[int]:
    """Create and queue `count` complete MOUs in one transaction; their ids."""
    with factory() as session:
        ids = []
        for n in range(count):
            mou = make_mou(session, org, n)
            service.enqueue_mou_delivery(session, mou, settings=settings)
            ids.append(mou.id)
        session.commit()
    return ids


def statuses(factory) -> Counter:
    with factory() as session:
        return Counter(d.status for d in session.exec(select(Delivery)))


def wait_until(predicate, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def header_addresses(msg) -> set[str]:
    found = set()
    for name in ("From", "To", "Cc", "Bcc", "Reply-To", "Sender"):
        for header in msg.get_all(name, []):
            found |= {a.addr_spec.lower() for a in header.addresses}
    return found


def test_200_mous_make_200_customer_messages_with_managers_only_in_the_envelope(
    factory, org, dsettings, smtp_server
):
    enqueue_many(factory, org, dsettings, 200)

    assert run_once(factory, settings=dsettings) == 200

    received = smtp_server.received
    assert len(received) == 200
    assert smtp_server.handler.sessions == 1  # one connection reused for the whole batch
    managers = {m.email for m in org.managers}
    customers = set()
    for item in received:
        msg = message_from_bytes(item.content, policy=policy.strict)
        assert msg.get_content_type() == "multipart/alternative"
        kinds = [part.get_content_type() for part in msg.iter_parts()]
        assert kinds == ["text/plain", "text/html"]
        assert managers <= set(item.rcpt_tos)
        assert not managers & header_addresses(msg)
        assert b"Bcc:" not in item.content
        assert msg["Auto-Submitted"] is None
        assert msg["X-MOU-Assistant-Loop"]
        to = msg["To"].addresses[0]
        assert to.display_name.startswith("Jörg Müller")
        assert msg["From"].addresses[0].display_name == "Dana Ünal-Whitfield via MOU Assistant"
        assert msg["Cc"].addresses[0].addr_spec == org.rep.email
        reply_to = {a.addr_spec for a in msg["Reply-To"].addresses}
        assert org.rep.email in reply_to
        assert any(a.startswith("mou+tok") and a.endswith("@inbound.mou-assistant.example") for a in reply_to)
        item.content.decode("ascii")  # non-ASCII names travel RFC 2047-encoded
        customers.add(to.addr_spec)
    assert len(customers) == 200
    assert statuses(factory) == {"sent": 200}
    with factory() as session:
        assert {m.status for m in session.exec(select(Mou))} == {MouStatus.sent}


def test_server_down_at_first_every_delivery_goes_out_exactly_once(factory, org, dsettings, smtp_server):
    outage = float(__import__("os").environ.get("MOU_TEST_SMTP_OUTAGE_SECONDS", "3"))
    smtp_server.stop()
    enqueue_many(factory, org, dsettings, 30)
    stop = threading.Event()
    worker = threading.Thread(
        target=run_worker, args=(stop,), kwargs={"settings": dsettings, "session_factory": factory}
    )
    worker.start()
    try:
        time.sleep(outage)
        assert not smtp_server.received
        with factory() as session:
            rows = list(session.exec(select(Delivery)))
        # Never sent; a row may be claimed for its next attempt at the moment we look.
        assert all(d.status in ("queued", "sending") for d in rows)
        assert all(d.attempts >= 1 and "connect" in (d.last_error or "") for d in rows)
        smtp_server.start()
        assert wait_until(lambda: statuses(factory) == {"sent": 30}, timeout=30 + outage)
    finally:
        stop.set()
        worker.join(10)
    ids = Counter(message_from_bytes(r.content)["Message-ID"] for r in smtp_server.received)
    assert len(ids) == 30 and set(ids.values()) == {1}


def test_permanent_refusal_stops_at_once_and_keeps_the_error(factory, org, dsettings, smtp_server):
    smtp_server.handler.rcpt_reply = lambda address: (
        "550 5.1.1 No such user" if address.startswith("customer") else None
    )
    enqueue_many(factory, org, dsettings, 1)
    smtp_server.handler.data_reply = "554 5.7.1 Message rejected as spam"

    run_once(factory, settings=dsettings)

    with factory() as session:
        delivery = session.exec(select(Delivery)).one()
        mou = session.exec(select(Mou)).one()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "554" in delivery.last_error and "spam" in delivery.last_error
    assert mou.status == MouStatus.failed


def test_temporary_refusal_is_retried_with_backoff_until_the_limit(
    factory, org, tmp_path, db_url, smtp_server
):
    settings = delivery_settings(
        db_url, tmp_path, smtp_server.port, delivery_max_attempts=3, delivery_backoff_seconds=0.05
    )
    smtp_server.handler.data_reply = "451 4.3.0 Try again later"
    enqueue_many(factory, org, settings, 1)

    run_once(factory, settings=settings)
    with factory() as session:
        first = session.exec(select(Delivery)).one()
    assert (first.status, first.attempts) == ("queued", 1)
    assert first.next_attempt_at.replace(tzinfo=None) > (utcnow() - timedelta(seconds=1)).replace(tzinfo=None)
    assert "451" in first.last_error

    assert wait_until(
        lambda: run_once(factory, settings=settings) >= 0 and statuses(factory) == {"failed": 1}, 5
    )
    with factory() as session:
        final = session.exec(select(Delivery)).one()
    assert final.attempts == 3 and "gave up after 3 attempts" in final.last_error
    assert not smtp_server.received


def test_partially_refused_recipients_do_not_cause_a_resend(factory, org, dsettings, smtp_server):
    smtp_server.handler.rcpt_reply = lambda address: (
        "550 5.1.1 No such user" if address.startswith("mark") else None
    )
    enqueue_many(factory, org, dsettings, 1)

    run_once(factory, settings=dsettings)

    with factory() as session:
        delivery = session.exec(select(Delivery)).one()
    assert delivery.status == "sent"
    assert "mark@acme-sales.example" in delivery.last_error
    assert len(smtp_server.received) == 1


def test_a_claim_left_in_sending_becomes_uncertain_not_resent(factory, org, dsettings, smtp_server):
    enqueue_many(factory, org, dsettings, 1)
    with factory() as session:  # a worker claims the row, then dies before recording the result
        claimed = claim_next(session, "dead-worker", utcnow())
        assert claimed is not None
        delivery = session.get(Delivery, claimed)
        delivery.claimed_at = utcnow() - timedelta(hours=1)
        session.add(delivery)
        session.commit()

    assert run_once(factory, settings=dsettings) == 0
    with factory() as session:
        assert mark_stale(session, utcnow(), timedelta(minutes=5)) == 0  # already swept by run_once
        delivery = session.get(Delivery, claimed)
        assert delivery.status == "uncertain"
        assert "may or may not have been delivered" in delivery.last_error
    assert not smtp_server.received

    with factory() as session:  # a person checked with the customer: send it again
        service.requeue(session, claimed)
        session.commit()
    run_once(factory, settings=dsettings)
    assert statuses(factory) == {"sent": 1}
    assert len(smtp_server.received) == 1


def test_two_workers_never_send_the_same_delivery(factory, org, dsettings, smtp_server):
    enqueue_many(factory, org, dsettings, 200)
    counts: list[int] = []
    threads = [
        threading.Thread(target=lambda: counts.append(run_once(factory, settings=dsettings)))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(counts) == 200
    ids = Counter(message_from_bytes(r.content)["Message-ID"] for r in smtp_server.received)
    assert len(ids) == 200 and set(ids.values()) == {1}


def test_periodic_jobs_run_in_the_worker_loop(factory):
    seen = []
    register_periodic("test-job", lambda session: seen.append(session), every_seconds=3600)
    try:
        assert run_periodic(factory) >= 1
        assert run_periodic(factory) == 0  # not due again yet
        assert len(seen) == 1
    finally:
        periodic._periodic.pop("test-job", None)


def test_in_process_worker_starts_and_stops(factory, org, dsettings, smtp_server):
    state = SimpleNamespace(settings=dsettings, session_factory=factory)
    stop = start_in_process_worker(state)
    try:
        enqueue_many(factory, org, dsettings, 3)
        assert wait_until(lambda: len(smtp_server.received) == 3, 10)
    finally:
        stop()
    assert not state.delivery_worker[0].is_alive()


def test_a_missing_variable_blocks_sending_with_a_clear_message(factory, org, dsettings):
    with factory() as session:
        session.add(
            __import__("app.models", fromlist=["EmailTemplate"]).EmailTemplate(
                name="custom", subject="Hello {{ customer_name }}", html="<p>{{ budget_owner }}</p>", text="x"
            )
        )
        mou = make_mou(session, org, 1, template="custom")
        with pytest.raises(Exception) as info:
            service.enqueue_mou_delivery(session, mou, settings=dsettings)
        session.rollback()
    assert info.value.status == 422
    assert "'budget_owner'" in info.value.message
    assert statuses(factory) == Counter()


def test_a_batch_claim_takes_at_most_its_size_and_skips_rows_another_claim_holds(
    db_engine, factory, org, dsettings
):
    enqueue_many(factory, org, dsettings, 30)
    params = {"now": utcnow(), "size": 10}
    with db_engine.connect() as first:
        mine = {row.id for row in first.execute(claims._CLAIM, {**params, "claimer": "first"})}
        assert len(mine) == 10
        if db_engine.dialect.name == "postgresql":  # SQLite's single writer would simply wait here
            with db_engine.connect() as second:
                theirs = {row.id for row in second.execute(claims._CLAIM, {**params, "claimer": "second"})}
                second.commit()
            assert len(theirs) == 10 and not mine & theirs
        first.commit()
    with factory() as session:
        rows = claims.claim_rows(session, "third", utcnow(), 50)
    assert len(rows) == (10 if db_engine.dialect.name == "postgresql" else 20)
    assert [row.id for row in rows] == sorted(row.id for row in rows)  # queue order
    assert statuses(factory) == {"sending": 30}


def test_claimed_rows_not_yet_tried_go_back_to_the_queue(factory, org, dsettings, smtp_server, monkeypatch):
    enqueue_many(factory, org, dsettings, 5)
    monkeypatch.setattr(worker, "stale_after", lambda settings: timedelta(0))  # deadline already passed

    assert run_once(factory, settings=dsettings) == 0

    with factory() as session:
        rows = list(session.exec(select(Delivery)))
    assert {(d.status, d.attempts, d.claimed_by) for d in rows} == {("queued", 0, None)}
    assert not smtp_server.received


class Crash(BaseException):
    """The process dies (say, killed) in the middle of a send."""


def test_a_crash_mid_batch_leaves_only_the_message_in_flight_in_sending(factory, org, dsettings, smtp_server):
    enqueue_many(factory, org, dsettings, 5)
    real = worker.get_sender(dsettings)
    calls = []

    class DiesOnSecond:
        def send(self, envelope_from, recipients, raw):
            calls.append(1)
            if len(calls) == 2:
                real.send(envelope_from, recipients, raw)  # the server has it, the 250 is never recorded
                raise Crash
            return real.send(envelope_from, recipients, raw)

        def close(self):
            real.close()

    with pytest.raises(Crash):
        run_once(factory, settings=dsettings, sender=DiesOnSecond())

    with factory() as session:
        rows = sorted(session.exec(select(Delivery)), key=lambda d: d.id)
    assert [d.status for d in rows] == ["sent", "sending", "queued", "queued", "queued"]
    assert [d.attempts for d in rows] == [1, 1, 0, 0, 0]
    with factory() as session:  # the one in flight is never resent blindly
        assert mark_stale(session, utcnow() + timedelta(hours=1), timedelta(minutes=5)) == 1
    run_once(factory, settings=dsettings)
    assert statuses(factory) == {"sent": 4, "uncertain": 1}
    ids = Counter(message_from_bytes(r.content)["Message-ID"] for r in smtp_server.received)
    assert len(ids) == 5 and set(ids.values()) == {1}


@pytest.mark.postgres
def test_outcome_commits_skip_the_flush_wait_only_inside_the_batch(db_engine, make_database):
    if db_engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite commits are local")
    with db_engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        default = conn.exec_driver_sql("SHOW synchronous_commit").scalar()
        with pytest.raises(RuntimeError), worker._outcomes_without_flush_wait(conn):
            assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "off"
            raise RuntimeError("send failed")
        assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == default != "off"

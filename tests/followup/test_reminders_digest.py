"""Reminders for overdue customer next steps and the weekly manager digest (single worker)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine
from sqlmodel import select

from app.followup import digest
from app.followup.reminders import send_due_reminders
from app.models import JobRun, Mou, utcnow
from tests.followup.conftest import deliveries, send_mou

DUE = date(2026, 3, 14)
AFTER_DUE = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)  # a Monday, after 07:00 UTC


def test_overdue_next_step_gets_exactly_one_reminder(session, session_factory, settings, world):
    mou, _ = send_mou(session, session_factory, settings, world.rep_a1.user, next_step_due=DUE)
    with time_machine.travel(AFTER_DUE, tick=False):
        assert send_due_reminders(session, utcnow(), settings) == 1
        session.commit()
        assert send_due_reminders(session, utcnow(), settings) == 0
        session.commit()
    (reminder,) = deliveries(session, "reminder")
    assert reminder.recipients == [world.rep_a1.user.email]
    assert reminder.mou_id == mou.id
    assert b"Overdue" in reminder.raw
    sent_at = session.get(Mou, mou.id).reminder_sent_at
    assert sent_at.replace(tzinfo=sent_at.tzinfo or UTC) == AFTER_DUE


def test_no_reminder_before_the_due_date_passes(session, session_factory, settings, world):
    send_mou(session, session_factory, settings, world.rep_a1.user, next_step_due=DUE)
    assert send_due_reminders(session, datetime(2026, 3, 14, 23, 59, tzinfo=UTC), settings) == 0


def test_a_reply_or_a_newer_mou_means_no_reminder(session, session_factory, settings, world):
    replied, _ = send_mou(session, session_factory, settings, world.rep_a1.user, next_step_due=DUE)
    replied.reply_status = "confirmed"
    session.add(replied)
    send_mou(
        session,
        session_factory,
        settings,
        world.rep_a1.user,
        next_step_due=DUE,
        customer_email="kim@brightpath.example",
    )
    send_mou(
        session,
        session_factory,
        settings,
        world.rep_a1.user,
        next_step_due=None,
        customer_email="KIM@brightpath.example",
    )
    session.commit()
    assert send_due_reminders(session, AFTER_DUE, settings) == 0


def test_unsent_drafts_get_no_reminder(session, session_factory, settings, world):
    mou, _ = send_mou(session, session_factory, settings, world.rep_a1.user, next_step_due=DUE)
    mou.status = "held"
    session.add(mou)
    session.commit()
    assert send_due_reminders(session, AFTER_DUE, settings) == 0


def test_digest_waits_for_monday_morning_then_goes_once_per_manager(
    session, session_factory, settings, world
):
    send_mou(session, session_factory, settings, world.rep_a1.user, next_step_due=DUE)
    sunday = datetime(2026, 3, 15, 22, 0, tzinfo=UTC)
    monday_early = datetime(2026, 3, 16, 6, 59, tzinfo=UTC)
    assert digest.send_weekly_digests(session, sunday, settings) == 2  # last week's, sent late
    assert digest.send_weekly_digests(session, monday_early, settings) == 0
    assert digest.send_weekly_digests(session, AFTER_DUE, settings) == 2
    assert digest.send_weekly_digests(session, AFTER_DUE.replace(day=20), settings) == 0
    session.commit()
    mails = deliveries(session, "digest")[2:]
    assert sorted(m.recipients[0] for m in mails) == [world.manager_a.user.email, world.manager_b.user.email]
    east = next(m for m in mails if m.recipients == [world.manager_a.user.email]).raw.decode(
        "utf-8", "replace"
    )
    assert "Waiting for review: 1" in east and "Customer next steps overdue: 1" in east
    periods = sorted(session.exec(select(JobRun.period).where(JobRun.name == "digest")))
    assert periods[-2:] == sorted(
        [
            f"2026-W12-team{world.team_a.id}/manager{world.manager_a.user.id}",
            f"2026-W12-team{world.team_b.id}/manager{world.manager_b.user.id}",
        ]
    )


def test_digest_lists_customers_who_moved_stage(session, session_factory, settings, world):
    with time_machine.travel(datetime(2026, 3, 2, 10, tzinfo=UTC), tick=False):
        send_mou(session, session_factory, settings, world.rep_a1.user, stage="research")
    with time_machine.travel(datetime(2026, 3, 12, 10, tzinfo=UTC), tick=False):
        send_mou(session, session_factory, settings, world.rep_a1.user, stage="comparison")
    items, counts = digest.collect(session, world.team_a.id, AFTER_DUE)
    assert counts["Customers who moved stage"] == 1
    assert any("moved Research → Comparison" in r for i in items.values() for r in i.reasons)
